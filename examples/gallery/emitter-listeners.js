// Leak pattern: listeners on a long-lived EventEmitter. Each connection subscribes to the
// process-wide config emitter so it can reload its settings, and closing it never unsubscribes:
// the emitter keeps every closed connection alive through its listener.
//
//   node examples/gallery/emitter-listeners.js      (the fix: emitter-listeners.fixed.js)
'use strict';
const { EventEmitter } = require('node:events');
const { hunt } = require('./hunt');

const config = new EventEmitter(); // lives as long as the process
config.setMaxListeners(0);

class Connection {
  constructor(id) {
    this.id = id;
    this.settings = { timeoutMs: 5000, buffer: Buffer.alloc(4096) };
    config.on('change', (next) => this.reload(next));
  }

  reload(next) {
    this.settings = { ...this.settings, ...next };
  }

  close() {
    this.settings = null; // the bug: the 'change' listener still holds `this`
  }
}

hunt('Listeners on a long-lived emitter', (i) => new Connection(i).close());
