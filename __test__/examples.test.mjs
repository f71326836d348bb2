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
