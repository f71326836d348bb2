// Vitest: `import 'leakhound/vitest'` in a test or a setup file registers
// `await expect(idsOrTracker).toBeCollected()`. `assertNoLeak(context, fn, opts)` is leakhound's
// assertNoLeak under the test context's signal: a test that times out stops it.
import { expect } from 'vitest';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const matchers = require('./matchers.js');
const { assertNoLeakWithSignal } = require('./with-signal.js');
expect.extend(matchers);

function assertNoLeak(context, fn, opts) {
  // Vitest's context is a function object carrying the test's task and signal.
  if (!context || !['object', 'function'].includes(typeof context) || !('task' in context)) {
    throw new TypeError('assertNoLeak(context, fn): pass the Vitest test context (the argument of the test function)');
  }
  return assertNoLeakWithSignal(context.signal, fn, opts);
}

export { matchers, assertNoLeak };
