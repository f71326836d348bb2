'use strict';
// node:test: `useTracker(t)` gives a test its own Tracker and fails the test, after its body has
// finished, if anything tracked with it was not collected.
const { Tracker, expectCollected } = require('..');

function useTracker(t, opts = {}) {
  if (!t || typeof t.after !== 'function') {
    throw new TypeError('useTracker(t): pass the node:test TestContext (the `t` argument of the test function)');
  }
  const { maxRounds, ...trackerOpts } = opts;
  const tracker = new Tracker({ name: t.name, ...trackerOpts });
  t.after(() => expectCollected(tracker, { maxRounds }));
  return tracker;
}

module.exports = { useTracker };
