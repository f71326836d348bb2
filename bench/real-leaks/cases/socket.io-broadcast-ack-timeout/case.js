'use strict';
// A broadcast with an acknowledgement and a timeout (`io.timeout(ms).emitWithAck(...)`) puts one
// ack callback per receiving socket into that socket's `acks` Map. Up to 4.8.3 only a reply took
// it out: when a client does not answer before the timeout, the callback, with the closure state
// of the broadcast (its responses array, its timer, the caller's resolver), stays in the Map for
// as long as the connection lives. 4.8.4 deletes the packet's entry from every socket on timeout.
const http = require('node:http');

module.exports = {
  package: 'socket.io',
  leaky: '4.8.3',
  fixed: '4.8.4',
  source: 'https://github.com/socketio/socket.io/issues/4984',
  shape: 'registry that only grows: a Map of pending ack callbacks on a long-lived socket',
  expect: {
    // The anonymous ack callback of the broadcast, an entry of the server socket's `acks` Map.
    group: '^\\(closure\\)$',
    edges: ['sockets', 'acks'],
  },

  async start(mod) {
    // Required here, not at the top: the case's metadata must load before its packages are installed.
    const { io: connect } = require('socket.io-client');
    const httpServer = http.createServer();
    const io = new mod.Server(httpServer);
    const connected = new Promise((resolve) => io.on('connection', resolve));
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    // One client that stays connected and never acknowledges 'probe'.
    const client = connect(`http://127.0.0.1:${httpServer.address().port}`, { transports: ['websocket'] });
    client.on('probe', () => {});
    await connected;
    return {
      async iteration() {
        await io
          .timeout(5)
          .emitWithAck('probe')
          .catch(() => {});
      },
      async close() {
        client.close();
        await new Promise((resolve) => io.close(resolve));
      },
    };
  },
};
