'use strict';
// A socket.io server that joins a room after an await (a database lookup, an auth check) may do
// it after the client has gone. Up to 4.5.1 socket.join() still worked on a disconnected socket:
// the adapter recorded the room under the socket's id, in `sids` (id -> Set of rooms) and in
// `rooms` (room -> Set of ids), and since the socket had already left everything on disconnect
// no one ever removed them. 4.5.2 makes join() a no-op once the socket is closed.
const http = require('node:http');

module.exports = {
  package: 'socket.io',
  leaky: '4.5.1',
  fixed: '4.5.2',
  source: 'https://github.com/socketio/socket.io/issues/4380',
  shape: 'registry that only grows: the adapter\'s room maps keyed by socket ids',
  expect: {
    // The Set of rooms of each departed socket, an entry of the in-memory adapter's `sids`.
    group: '^Set$',
    edges: ['adapter', 'sids'],
  },

  async start(mod) {
    // Required here, not at the top: the case's metadata must load before its packages are installed.
    const { io: connect } = require('socket.io-client');
    const httpServer = http.createServer();
    const io = new mod.Server(httpServer);
    let joined = null;
    io.on('connection', (socket) => {
      socket.on('enter', async (ack) => {
        ack();
        // The lookup that decides the room outlives the client's visit.
        await new Promise((resolve) => socket.once('disconnect', resolve));
        socket.join('lobby');
        joined();
      });
    });
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${httpServer.address().port}`;
    return {
      async iteration() {
        const done = new Promise((resolve) => (joined = resolve));
        const client = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
        await new Promise((resolve) => client.once('connect', resolve));
        await new Promise((resolve) => client.emit('enter', resolve));
        client.disconnect();
        await done;
      },
      async close() {
        await new Promise((resolve) => io.close(resolve));
      },
    };
  },
};
