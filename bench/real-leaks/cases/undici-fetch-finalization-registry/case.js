'use strict';
// undici's fetch registers every Response that has a body with a FinalizationRegistry, to cancel
// the body stream of a Response that is collected unread. From 6.16.0 to 6.19.5 the held value
// was the body's ReadableStream itself, and a registry holds its held values strongly until their
// target is collected: a Response whose stream leads back to it is never collected. The stream
// does wherever a request-scoped AsyncLocalStorage store keeps the Response (React's and
// Next.js's fetch caches do), since the stream's promises carry the store of their context.
// 6.19.6 holds a WeakRef to the stream instead.
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');

module.exports = {
  package: 'undici',
  leaky: '6.19.5',
  fixed: '6.19.6',
  source: 'https://github.com/nodejs/undici/pull/3445',
  shape: 'registry that only grows: FinalizationRegistry held values keeping their targets',
  expect: {
    // The body stream of each fetch, held by undici's module-level `registry`.
    group: '^(ReadableStream|Response)$',
    edges: ['registry'],
    // Not given yet: the shortest path to the streams runs through the realm's queue of
    // registries with pending cleanups (principal_realm → cleanup_queue), not undici's
    // `registry`; and on the fixed version undici's fast-timer wheel still holds about one
    // cleared timer per iteration until its next sweep, which a verdict taken right after the
    // iterations reads as a leak.
    todo: 'the path runs through the realm cleanup queue, not `registry`; the fixed version shows pending fast timers',
  },

  async start(mod) {
    const server = http.createServer((req, res) => res.end('leakhound'));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    // No request timeouts: undici's timer wheel would hold the cleared timers of the last
    // requests until its next sweep, which a verdict taken right after cannot tell from a leak.
    const dispatcher = new mod.Agent({ headersTimeout: 0, bodyTimeout: 0 });
    // One store per request, as a server framework makes them.
    const requestStore = new AsyncLocalStorage();
    const fetchInRequest = async () => {
      const res = await mod.fetch(url, { dispatcher });
      requestStore.getStore().set(url, res);
      await res.text();
    };
    // fetch adds a PerformanceResourceTiming per request to Node's resource timing buffer, which
    // holds the first 250: fill it now, so it does not show as growth during the iterations.
    for (let i = 0; i < 250; i++) await (await mod.fetch(url, { dispatcher })).text();
    return {
      async iteration() {
        await requestStore.run(new Map(), fetchInRequest);
      },
      async close() {
        await dispatcher.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  },
};
