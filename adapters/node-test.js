'use strict';
// node:test: `useTracker(t)` gives a test its own Tracker and fails the test, after its body has
// finished, if anything tracked with it was not collected. `assertNoLeak(t, fn, opts)` is
// leakhound's assertNoLeak under the test's signal: a test that times out stops it.
const { Tracker, expectCollected } = require('..');
const { assertNoLeakWithSignal } = require('./with-signal');

function checkContext(where, t) {
  if (!t || typeof t.after !== 'function') {
    throw new TypeError(`${where}: pass the node:test TestContext (the \`t\` argument of the test function)`);
  }
}

function useTracker(t, opts = {}) {
  checkContext('useTracker(t)', t);
  const { maxRounds, ...trackerOpts } = opts;
  const tracker = new Tracker({ name: t.name, ...trackerOpts });
  t.after(() => expectCollected(tracker, { maxRounds }));
  return tracker;
}

function assertNoLeak(t, fn, opts) {
  checkContext('assertNoLeak(t, fn)', t);
  return assertNoLeakWithSignal(t.signal, fn, opts);
}

module.exports = { useTracker, assertNoLeak };
