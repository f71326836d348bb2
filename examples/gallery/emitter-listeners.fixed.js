// The fix for emitter-listeners.js: close() removes the listener it added.
//
//   node examples/gallery/emitter-listeners.fixed.js
'use strict';
const { EventEmitter } = require('node:events');
const { hunt } = require('./hunt');

const config = new EventEmitter();
config.setMaxListeners(0);

class Connection {
  constructor(id) {
    this.id = id;
    this.settings = { timeoutMs: 5000, buffer: Buffer.alloc(4096) };
    this.onChange = (next) => this.reload(next);
    config.on('change', this.onChange);
  }

  reload(next) {
    this.settings = { ...this.settings, ...next };
  }

  close() {
    config.off('change', this.onChange);
    this.settings = null;
  }
}

hunt('Listeners on a long-lived emitter, fixed by removing them on close', (i) => new Connection(i).close());
