import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { root } from './helpers.mjs';

// Each worker loads the addon in its own environment and runs a full track/collect/verdict cycle;
// the main thread tracks at the same time. Nothing is shared between them.
const workerSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  const lh = require(workerData.root);
  // Allocation happens in a sync function: a suspended async function would keep the last
  // loop value alive in its registers.
  function allocate(keep) {
    for (let i = 0; i < 2000; i++) {
      const o = { worker: workerData.n, i };
      if (i % 100 === 0) keep.push(o);
      lh.track(o, 'w' + workerData.n);
    }
  }
  (async () => {
    const keep = [];
    allocate(keep);
    const survivors = await lh.tracker.check();
    lh.gc();
    parentPort.postMessage({ n: workerData.n, survivors: survivors.length, collected: lh.tracker.collected,
      labels: [...new Set(survivors.map((s) => s.label))], kept: keep.length });
  })().catch((e) => parentPort.postMessage({ error: e.stack }));
`;

test('the addon loads and works in several workers at once', async () => {
  const lh = await import('../index.js');
  const mainKeep = [];
  for (let i = 0; i < 100; i++) mainKeep.push({ i });
  mainKeep.forEach((o) => lh.track(o, 'main'));
  const run = (n) =>
    new Promise((resolve, reject) => {
      const w = new Worker(workerSource, { eval: true, workerData: { root, n } });
      w.once('message', resolve);
      w.once('error', reject);
    });
  const results = await Promise.all([1, 2, 3, 4].map(run));
  for (const r of results) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.survivors, 20, `worker ${r.n}: 20 kept objects survive`);
    assert.equal(r.collected, 1980);
    assert.deepEqual(r.labels, [`w${r.n}`], 'each worker sees only its own objects');
  }
  const mine = lh.tracker.survivors().filter((s) => s.label === 'main');
  assert.equal(mine.length, 100, 'the main thread table is untouched by the workers');
  mainKeep.forEach((o) => lh.tracker.untrack(lh.track(o)));
});
