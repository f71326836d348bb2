// Runs under Vitest: assertNoLeak in a Vitest worker.
import { test, expect } from 'vitest';
import { assertNoLeak } from '../../index.mjs';
import { assertNoLeak as assertNoLeakInTest } from '../../adapters/vitest.mjs';

class Entry {
  constructor(i) {
    this.i = i;
  }
}

test('clean code passes', async () => {
  const report = await assertNoLeak(() => new Entry(1).i, { iterations: 10 });
  expect(report.leaks).toEqual([]);
});

test('an unbounded cache fails with the cache on the path', async () => {
  const cache = new Map();
  let n = 0;
  await expect(assertNoLeak(() => cache.set(`key-${n++}`, new Entry(n)), { iterations: 10 })).rejects.toThrow(
    /#1 10 × Entry at [\s\S]*--cache \(context\)--> Map [\s\S]*--\["key-\d+"\] \(entry\)--> Entry/,
  );
});

test('assertNoLeak(context, fn) runs under the test signal, combined with the caller signal', async (context) => {
  const report = await assertNoLeakInTest(context, () => new Entry(1).i, { iterations: 5 });
  expect(report.leaks).toEqual([]);
  const controller = new AbortController();
  const never = () => (controller.abort(), new Promise(() => {}));
  await expect(assertNoLeakInTest(context, never, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
  expect(() => assertNoLeakInTest({}, never)).toThrow(/pass the Vitest test context/);
});
