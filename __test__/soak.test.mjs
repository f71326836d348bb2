// leakhound's own memory over many rounds of everything a long-running process uses (see
// scripts/soak.js; `npm run soak` runs 400 rounds, this a short run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { root } from './helpers.mjs';

test('RSS stays bounded over rounds of loads, trackers, samplers, monitors and hunts', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'soak.js'), '--rounds', '60', '--json'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(r.signal, null, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.ok(result.bounded, `RSS after GC grew from ${result.rssSecondQuarter} to ${result.rssLastQuarter} bytes (allowed ${result.allowed})`);
  assert.equal(r.status, 0, r.stderr);
});
