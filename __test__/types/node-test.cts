// A node:test user of 'leakhound/node-test' (CommonJS, as the package exports it): a Tracker per
// test, and assertNoLeak under the test's signal. Type-checked only.
import { test } from 'node:test';
import nodeTest = require('leakhound/node-test');
import type { LeakReport, Tracker } from 'leakhound';
import { assertType, type Equal, type IsAny } from './check.cjs';

assertType<Equal<IsAny<typeof nodeTest.useTracker>, false>>();

const cache = new Map<number, object>();

test('handler does not leak', (t) => {
  const tracker = nodeTest.useTracker(t, { name: 'handler', captureStacks: true, maxRounds: 5 });
  assertType<Equal<typeof tracker, Tracker>>();
  tracker.track({ response: 'ok' }, 'response');

  // @ts-expect-error: maxRounds is a number
  nodeTest.useTracker(t, { maxRounds: 'many' });
  // @ts-expect-error: misspelled option
  nodeTest.useTracker(t, { captureStack: true });
});

test('requests do not leak', async (t) => {
  const report = await nodeTest.assertNoLeak(
    t,
    async (call) => {
      cache.set(call, { call });
      cache.delete(call);
    },
    { iterations: 10, timeoutMs: 30_000, signal: AbortSignal.timeout(60_000) },
  );
  assertType<Equal<typeof report, LeakReport & { iterations: number }>>();

  // @ts-expect-error: the TestContext comes first
  await nodeTest.assertNoLeak(async () => undefined);
});
