import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runNode } from './helpers.mjs';

test('nothing in leakhound keeps the event loop alive', () => {
  // Tracking (live and dead objects), gc, and a settle that finishes: the process must exit on
  // its own as soon as the script is done.
  const r = runNode(`
    const lh = require('.');
    globalThis.kept = { a: 1 };
    lh.track(globalThis.kept, 'kept');
    for (let i = 0; i < 1000; i++) lh.track({ i });
    new lh.Tracker({ captureStacks: true }).track({});
    lh.gc();
    lh.settle().then(() => console.log('settled', lh.tracker.alive));
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'settled 1');
  assert.ok(r.ms < 10_000, `exited after ${r.ms} ms`);
});

test('a pending settle is not cut short by the process running out of work', () => {
  const r = runNode(`
    const lh = require('.');
    globalThis.kept = [];
    for (let i = 0; i < 10; i++) { const o = {}; globalThis.kept.push(o); lh.track(o, 'kept'); }
    lh.expectCollected().catch((e) => console.log(e.name, e.survivors.length));
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'LeakError 10');
});

test('the ESM entry exposes the same API as the CommonJS one', async () => {
  const esm = await import('../index.mjs');
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('../index.js');
  for (const k of ['gc', 'settle', 'Tracker', 'tracker', 'track', 'expectCollected', 'LeakError']) {
    assert.equal(esm[k], cjs[k], k);
  }
  assert.equal(esm.default, cjs);
});
