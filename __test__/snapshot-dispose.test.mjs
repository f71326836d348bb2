// Loaded snapshots hold native memory that V8 is told about (external memory), so dropped ones
// are collected as their size asks; dispose() frees one at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { root } from './helpers.mjs';
import lh from '../index.js';

function writeSnapshot(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-dispose-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return v8.writeHeapSnapshot(path.join(dir, 'heap.heapsnapshot'));
}

test('dispose() frees a snapshot now, and later queries throw a coded error', async (t) => {
  const file = writeSnapshot(t);
  const snap = await lh.loadSnapshot(file);
  assert.ok(snap.nativeBytes > fs.statSync(file).size / 4, `nativeBytes ${snap.nativeBytes}`);
  const id = snap.summary({ top: 1 }).length && snap.node(1)?.id;
  snap.dispose();
  assert.equal(snap.disposed, true);
  assert.equal(snap.nativeBytes, 0);
  for (const query of [() => snap.summary(), () => snap.nodeCount, () => snap.retainerPath(id ?? 1), () => snap.node(1)]) {
    assert.throws(query, { code: 'ERR_LEAKHOUND_DISPOSED' });
  }
  snap.dispose();
  const other = await lh.loadSnapshot(file);
  other[Symbol.dispose]();
  assert.equal(other.disposed, true);
});

test('snapshots dropped without dispose() are collected as their native size asks', () => {
  // A child loads the same snapshot 300 times and keeps none: V8, told their size, collects
  // them as they pile up. Without it, every one stays until V8 happens to collect.
  const code = `
    const lh = require(${JSON.stringify(root)});
    const v8 = require('v8');
    const keep = []; for (let i = 0; i < 8000; i++) keep.push({ i, s: 'x' + i });
    const file = v8.writeHeapSnapshot(require('path').join(process.argv[1], 'loads.heapsnapshot'));
    (async () => {
      const first = await lh.loadSnapshot(file);
      const one = first.nativeBytes;
      first.dispose();
      const base = process.memoryUsage().rss;
      let peak = base;
      for (let i = 0; i < 300; i++) {
        await lh.loadSnapshot(file);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      console.log(JSON.stringify({ one, growth: peak - base }));
    })();`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-loads-'));
  try {
    const r = spawnSync(process.execPath, ['-e', code, dir], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const { one, growth } = JSON.parse(r.stdout);
    assert.ok(one > 0);
    // 300 loads kept would be 300 × one; collected as they go, a small multiple of one.
    assert.ok(growth < 100 * one, `RSS grew by ${(growth / one).toFixed(1)} loads' worth (${growth} bytes)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
