'use strict';
// follow-redirects' RedirectableRequest.setTimeout(msecs) starts its own timer once the request
// has a socket, and up to 1.14.4 clears it only on 'response' or 'error'. A request aborted
// before its response (a cancelled axios call with a timeout, say) keeps that timer pending for
// the full msecs, and its callback closes over the RedirectableRequest (`self`), which holds the
// native ClientRequest, its socket and the options. 1.14.5 also clears it on 'abort'.
const http = require('node:http');

// A long request timeout, as services set them: the aborted requests stay for the whole run.
const TIMEOUT_MS = 30 * 60 * 1000;

module.exports = {
  package: 'follow-redirects',
  leaky: '1.14.4',
  fixed: '1.14.5',
  source: 'https://github.com/follow-redirects/follow-redirects/commit/86f7572f9365dadc39f85916259b58973819617f',
  shape: 'timers: a pending timer closing over an aborted request',
  expect: {
    // The package's request object, kept by its own timer's callback (`self`).
    group: '^RedirectableRequest$',
    edges: ['_onTimeout', 'self'],
  },

  async start(mod) {
    let arrived = null;
    // The server never answers: the client aborts every request while it waits.
    const server = http.createServer(() => arrived());
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    return {
      async iteration() {
        const seen = new Promise((resolve) => (arrived = resolve));
        const req = mod.http.request(url);
        req.on('error', () => {});
        req.setTimeout(TIMEOUT_MS);
        req.end();
        await seen;
        req.abort();
      },
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        // The leaky version's timers would keep the process alive for TIMEOUT_MS.
      },
    };
  },
};
