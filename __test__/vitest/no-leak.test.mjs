// Runs under Vitest: assertNoLeak in a Vitest worker.
import { test, expect } from 'vitest';
import { assertNoLeak } from '../../index.mjs';

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
    /#1 10 × Entry at [\s\S]*--table \(internal\)-->/,
  );
});
