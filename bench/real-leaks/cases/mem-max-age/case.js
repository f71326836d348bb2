'use strict';
// mem up to 3.x checked `maxAge` only when the same key was asked for again: an expired entry was
// dropped on its next lookup and never otherwise. A function memoized with maxAge over keys that
// do not come back (ids, timestamps, one-off queries) therefore keeps every result it ever
// returned, expired or not, in its cache Map. 4.0.0 hands the cache to map-age-cleaner, which
// deletes each entry when its maxAge passes.
module.exports = {
  package: 'mem',
  leaky: '3.0.1',
  fixed: '4.0.0',
  source: 'https://github.com/sindresorhus/mem/issues/14',
  shape: 'cache (memoization Map) of Buffers, entries never expired',
  expect: {
    // mem's cache entries, `{ data, maxAge }`, each holding what the memoized function returned
    // (a rendered page as a Buffer): the entry is what stays, and the Buffer with it.
    group: '^Object \\{data, maxAge\\}$',
    // mem's cacheStore WeakMap -> the memoized function's cache Map -> the entry
    edges: ['cacheStore'],
  },

  async start(mem) {
    const maxAge = 10;
    const renderPage = mem((id) => Buffer.alloc(1024, `<p>page ${id}</p>`), { maxAge });
    return {
      async iteration(i) {
        renderPage(i);
        // Long enough for the entry to expire.
        await new Promise((resolve) => setTimeout(resolve, maxAge + 5));
      },
      async close() {},
    };
  },
};
