// The fix for forgotten-interval.js: disconnect() clears the heartbeat.
//
//   node examples/gallery/forgotten-interval.fixed.js
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
    clearInterval(this.heartbeat);
    this.outbox = null;
  }
}

hunt('A forgotten setInterval, fixed by clearing it on disconnect', (i) => new ClientConnection(i).disconnect());
