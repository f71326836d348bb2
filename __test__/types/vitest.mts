// A Vitest user of 'leakhound/vitest' (an ES module): `toBeCollected` on Vitest's `expect`, and
// assertNoLeak under the test context's signal. Type-checked only.
import { expect, test } from 'vitest';
import { assertNoLeak, matchers } from 'leakhound/vitest';
import { Tracker } from 'leakhound';
import { assertType, type Equal, type IsAny } from './check.cjs';

assertType<Equal<IsAny<typeof assertNoLeak>, false>>();
expect.extend(matchers);

const listeners: object[] = [];

test('dropped handlers are collected', async () => {
  const tracker = new Tracker({ name: 'handlers' });
  const ids = [tracker.track({ onEvent() {} }, 'handler')];
  await expect(tracker).toBeCollected();
  await expect(ids).toBeCollected({ tracker, maxRounds: 5 });
  await expect(ids).not.toBeCollected({ tracker });
  // @ts-expect-error: misspelled option
  await expect(ids).toBeCollected({ trackers: tracker });
});

test('subscribing does not leak', async (context) => {
  const report = await assertNoLeak(
    context,
    (call) => {
      listeners.push({ call });
      listeners.pop();
    },
    { iterations: 10, warmup: 2, trackAllocations: true, timeoutMs: 50_000 },
  );
  assertType<Equal<typeof report.iterations, number>>();
  expect(report.leaks).toHaveLength(0);

  // @ts-expect-error: the test context comes first
  await assertNoLeak(() => undefined);
  // @ts-expect-error: iterations is a number
  await assertNoLeak(context, () => undefined, { iterations: 'ten' });
});
