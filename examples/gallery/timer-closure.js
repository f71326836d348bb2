// Leak pattern: a closure kept alive by a timer. Each request arms a watchdog that aborts it
// after 30 s, and the request finishes without clearing it: for 30 s the timer's closure keeps
// the whole finished request (body included) alive. At 1,000 requests a second that is 30,000
// dead requests in memory.
//
//   node examples/gallery/timer-closure.js          (the fix: timer-closure.fixed.js)
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
  setTimeout(function abortSlowRequest() {
    request.aborted = true;
  }, 30_000); // the bug: never cleared when the request completes
  return request.body.length; // the request is done
}

hunt('A closure kept by a timer', handle);
