// Leak pattern: a promise that never settles, awaited by every request. Handlers wait for the
// feature flags to load from a config service; the service is unreachable, so the promise stays
// pending and each request's suspended handler (with its context) hangs on it forever.
//
//   node examples/gallery/promise-chain.js          (the fix: promise-chain.fixed.js)
'use strict';
const { hunt } = require('./hunt');

// Settles when the config service answers, which here it never does.
const flagsLoaded = new Promise(() => {});

class RequestContext {
  constructor(id) {
    this.id = id;
    this.user = { name: `user ${id}`, roles: ['reader'] };
    this.scratch = new Array(64).fill(id);
  }
}

async function handle(id) {
  const context = new RequestContext(id);
  const flags = await flagsLoaded; // the bug: parks the handler, and `context`, on the promise
  return flags.newCheckout ? context.id : -context.id;
}

// A server dispatches requests without waiting for the previous one to finish.
hunt('A promise that never settles, awaited per request', (i) => {
  handle(i);
});
