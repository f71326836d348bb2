// The fix for promise-chain.js: subscribe to the flags once, at start-up, and let requests read
// the current value (defaults until the service answers) instead of each awaiting the promise.
// Racing each request's await against a timeout would still leak: every race leaves a reaction
// on the pending promise.
//
//   node examples/gallery/promise-chain.fixed.js
'use strict';
const { hunt } = require('./hunt');

const flagsLoaded = new Promise(() => {});
let flags = { newCheckout: false }; // defaults until the service answers
flagsLoaded.then((loaded) => {
  flags = loaded;
});

class RequestContext {
  constructor(id) {
    this.id = id;
    this.user = { name: `user ${id}`, roles: ['reader'] };
    this.scratch = new Array(64).fill(id);
  }
}

async function handle(id) {
  const context = new RequestContext(id);
  return flags.newCheckout ? context.id : -context.id;
}

hunt('A promise that never settles, fixed by reading the current value', (i) => {
  handle(i);
});
