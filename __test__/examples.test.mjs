import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { root } from './helpers.mjs';

test('the quick-start example finds the listener leak and shows the fix is clean', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', 'tracked-leak.js')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /leaky handler: LEAK FOUND\n3 tracked objects were not collected \(tracker "sessions"\)/);
  for (const user of ['ada', 'grace', 'linus']) assert.match(r.stdout, new RegExp(`session of ${user}, alive for`));
  assert.match(r.stdout, /at handleRequest \(.*tracked-leak\.js:\d+:\d+\)/);
  assert.match(r.stdout, /fixed handler: every session was collected/);
});

test('the main example: a leaky HTTP server, its leak found with count, location and retainer path', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', 'leaky-server.js')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Served 450 requests/);
  assert.match(r.stdout, /#1 200 × repriceOrder\(\) closures at .*leaky-server\.js:\d+:\d+, retaining [\d.]+ kB/);
  assert.match(r.stdout, /also retains: .*200 × OrderContext/);
  assert.match(r.stdout, /--priceFeed \(context\)--> EventEmitter/);
  assert.match(r.stdout, /--price \(property\)--> Array/);
});
