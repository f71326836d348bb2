// The fix for timer-closure.js: the request clears its watchdog when it completes.
//
//   node examples/gallery/timer-closure.fixed.js
'use strict';
const { hunt } = require('./hunt');

class IncomingRequest {
  constructor(id) {
    this.id = id;
    this.body = Buffer.alloc(8 * 1024);
    this.aborted = false;
  }
}

function handle(id) {
  const request = new IncomingRequest(id);
  const watchdog = setTimeout(function abortSlowRequest() {
    request.aborted = true;
  }, 30_000);
  try {
    return request.body.length;
  } finally {
    clearTimeout(watchdog);
  }
}

hunt('A closure kept by a timer, fixed by clearing the timer', handle);
