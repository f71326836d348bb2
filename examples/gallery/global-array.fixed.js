// The fix for global-array.js: keep only the most recent entries, in a ring of fixed size.
//
//   node examples/gallery/global-array.fixed.js
'use strict';
const { hunt } = require('./hunt');

class LogEntry {
  constructor(id) {
    this.id = id;
    this.at = Date.now();
    this.headers = { 'user-agent': 'example', accept: '*/*', cookie: `session=${id}` };
  }
}

const KEEP = 10;
globalThis.requestLog = new Array(KEEP).fill(null);
let next = 0;

function record(entry) {
  requestLog[next] = entry; // overwrites the oldest
  next = (next + 1) % KEEP;
}

hunt('A growing global array, fixed with a ring of the last 10', (i) => record(new LogEntry(i)));
