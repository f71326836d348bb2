// Leak pattern: a growing global array. A debugging aid records every request in a module-level
// log "to inspect later", and nothing ever trims it.
//
//   node examples/gallery/global-array.js           (the fix: global-array.fixed.js)
'use strict';
const { hunt } = require('./hunt');

class LogEntry {
  constructor(id) {
    this.id = id;
    this.at = Date.now();
    this.headers = { 'user-agent': 'example', accept: '*/*', cookie: `session=${id}` };
  }
}

globalThis.requestLog = []; // the bug: grows by one entry per request, forever

hunt('A growing global array', (i) => requestLog.push(new LogEntry(i)));
