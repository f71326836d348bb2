'use strict';
// node-fetch 3.x guards against a chunked response that ends early by hooking the socket of every
// request (fixResponseChunkedTransferBadEnding): a 'close' listener (onSocketClose) and a 'data'
// listener that keeps the last chunk. Up to 3.2.4 only an 'abort' removed them, so with a
// keep-alive agent every request that reuses the socket adds two listeners that stay until the
// socket closes, holding that request's ClientRequest, its fetch closures and its last Buffer
// chunk. 3.2.5 removes both listeners on the request's 'close'.
const http = require('node:http');

module.exports = {
  package: 'node-fetch',
  leaky: '3.2.4',
  fixed: '3.2.5',
  source: 'https://github.com/node-fetch/node-fetch/pull/1474',
  shape: 'listeners on a reused keep-alive socket, closures over the request, Buffers',
  expect: {
    // The socket's listener closures, which retain the request's ClientRequest. Both the
    // `close` and the `data` listener are left behind and hold it: a path through either of
    // the socket's _events is right.
    group: '^(onSocketClose|ClientRequest)$',
    edges: ['_events'],
  },

  async start(mod) {
    const fetch = mod.default;
    const server = http.createServer((req, res) => {
      // No Content-Length: the response is chunked, the case node-fetch guards.
      res.write('leak');
      res.end('hound');
    });
    // The socket must stay open for the whole run: no server-side idle timeout.
    server.keepAliveTimeout = 0;
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    // One keep-alive socket, reused by every request.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    return {
      async iteration() {
        const res = await fetch(url, { agent });
        await res.text();
      },
      async close() {
        agent.destroy();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  },
};
