import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { assertNoLeak, LeakError } from '../index.js';
import { root } from './helpers.mjs';

class Job {
  constructor(i) {
    this.i = i;
    this.data = new Array(16).fill(i);
  }
}

test('assertNoLeak passes code that creates and drops objects, only logs, or fills a fixed-size cache', async () => {
  const clean = await assertNoLeak(() => new Job(1).data.length);
  assert.deepEqual(clean.leaks, []);
  assert.equal(clean.iterations, 20);
  const logged = await assertNoLeak((i) => console.log(`# iteration ${i}`), { iterations: 10 });
  assert.deepEqual(logged.leaks, []);
  const lru = new Map();
  const cached = await assertNoLeak((i) => lru.set(i % 4, new Job(i % 4)), { warmup: 4 });
  assert.deepEqual(cached.leaks, []);
});

test('a passing assertNoLeak says what it left out: survivors and groups below the count', async () => {
  // Three objects kept once, whatever the iterations: a one-off group, below the count.
  const once = [];
  const report = await assertNoLeak((i) => {
    if (once.length < 3) once.push({ kept: i });
  }, { iterations: 10, warmup: 0 });
  assert.deepEqual(report.leaks, []);
  assert.ok(report.survivingObjects >= 3, `${report.survivingObjects} survivors`);
  const oneOff = report.belowCount.find((g) => g.name === 'Object {kept}');
  assert.ok(oneOff, JSON.stringify(report.belowCount));
  assert.ok(oneOff.count >= 1 && oneOff.count < 10);
});

test('assertNoLeak numbers its calls on across the warm-up and both rounds', async () => {
  const calls = new Array(8).fill(-1);
  let n = 0;
  await assertNoLeak((i) => void (calls[n++] = i), { iterations: 3, warmup: 2 });
  assert.deepEqual(calls, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('assertNoLeak fails leaky code with a LeakError showing counts, sizes and the path', async () => {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const subscribe = (i) => {
    const job = new Job(i);
    bus.on('tick', function onTick() {
      return job.i;
    });
  };
  const err = await assertNoLeak(subscribe, { iterations: 15, warmup: 2 }).then(
    () => assert.fail('the leak was not found'),
    (e) => e,
  );
  assert.ok(err instanceof LeakError);
  assert.match(err.message, /^1 group of objects grew with each of 15 iterations and stayed alive:/);
  assert.match(err.message, /#1 15 × onTick\(\) closures holding Job \(via context\.job\) at .*no-leak\.test\.mjs:\d+:\d+, retaining [\d.]+ [kM]?B/);
  assert.match(err.message, /also retains: (.*, )?15 × Job/);
  assert.match(err.message, /--_events \(property\)--> Object/);
  const [group] = err.report.leaks;
  assert.equal(group.count, 15);
  assert.deepEqual(err.report.collections.map((c) => [c.name, c.added]), [['Array', 15]], 'the listener array grew');
  assert.match(err.message, /Growing collections:\n\nArray @\d+ grew by 15 entries/);
  assert.equal(group.trace.at(-1).name, 'onTick');
  bus.removeAllListeners();
});

test('assertNoLeak({ trackAllocations: true }) names the allocating function via the inspector', () => {
  const r = spawnSync(process.execPath, ['--jitless', path.join(root, '__test__', 'fixtures', 'track-allocations.js')], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.name, 'LeakError');
  assert.match(out.message, /allocated in: registerJob \(.*track-allocations\.js:\d+:\d+\)/);
  assert.doesNotMatch(out.message, /assert-no-leak\.js/, 'leakhound frames are not shown');
  assert.equal(out.inner.functionName, 'registerJob');
  assert.equal(out.cleanLeaks, 0);
});

test('assertNoLeak validates its arguments', async () => {
  await assert.rejects(assertNoLeak('fn'), { name: 'TypeError', message: /expected a function/ });
  await assert.rejects(assertNoLeak(() => {}, { iterations: 1 }), { name: 'TypeError', message: /iterations/ });
  await assert.rejects(assertNoLeak(() => {}, { warmup: -1 }), { name: 'TypeError', message: /warmup/ });
  await assert.rejects(assertNoLeak(() => {}, { trackAllocations: 1 }), { name: 'TypeError', message: /trackAllocations/ });
});

test('an error thrown by the function under test propagates unchanged', async () => {
  const boom = new Error('boom');
  await assert.rejects(assertNoLeak(() => {
    throw boom;
  }), (e) => e === boom);
});
