// Leak pattern: a forgotten setInterval. Each client connection starts a heartbeat, and
// disconnecting never stops it: the interval keeps running, and keeps its connection alive,
// for the life of the process.
//
//   node examples/gallery/forgotten-interval.js     (the fix: forgotten-interval.fixed.js)
'use strict';
const { hunt } = require('./hunt');

class ClientConnection {
  constructor(id) {
    this.id = id;
    this.sent = 0;
    this.outbox = [];
    this.heartbeat = setInterval(() => this.ping(), 25_000);
  }

  ping() {
    this.sent++;
  }

  disconnect() {
    this.outbox = null; // the bug: the heartbeat is never cleared
  }
}

hunt('A forgotten setInterval', (i) => new ClientConnection(i).disconnect());
