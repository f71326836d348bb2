'use strict';
// assertNoLeak under a test runner's AbortSignal (node:test's t.signal, Vitest's context.signal):
// a test that times out or is cancelled then also stops the hunt and allocation tracking, which
// would otherwise go on slowing every allocation of the process.
const lh = require('..');

function assertNoLeakWithSignal(testSignal, fn, opts = {}) {
  let signal = opts.signal;
  if (testSignal instanceof AbortSignal) {
    // Both, when the caller gave one too; anything else is left for assertNoLeak to refuse.
    if (signal === undefined) signal = testSignal;
    else if (signal instanceof AbortSignal) signal = AbortSignal.any([testSignal, signal]);
  }
  return lh.assertNoLeak(fn, { ...opts, signal });
}

module.exports = { assertNoLeakWithSignal };
