import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
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
  assert.match(r.stdout, /#1 200 × repriceOrder\(\) closures holding OrderContext \(via context\.order\) at .*leaky-server\.js:\d+:\d+, retaining [\d.]+ kB/);
  assert.match(r.stdout, /also retains: .*200 × OrderContext/);
  assert.match(r.stdout, /--priceFeed \(context\)--> EventEmitter/);
  assert.match(r.stdout, /--price \(property\)--> Array/);
});

// The gallery: each leaky example must be found with the right objects, and its fixed version
// must come out clean.
const gallery = path.join(root, 'examples', 'gallery');
const LEAKS = {
  'unbounded-cache': [/#1 20 × RenderedPage at .*unbounded-cache\.js:\d+:\d+/, /--pages \(context\)--> Map/],
  'emitter-listeners': [/#1 20 × \(anonymous\)\(\) closures holding Connection \(via context\.this\) at .*emitter-listeners\.js:\d+:\d+.*\n\s+also retains: 20 × Connection/, /--config \(context\)--> EventEmitter/, /--change \(property\)--> Array/],
  'timer-closure': [/#1 20 × Timeout.*\n\s+also retains: .*20 × abortSlowRequest\(\) closures \(.*timer-closure\.js:\d+\).*20 × IncomingRequest/, /TimersList/],
  'global-array': [/#1 20 × LogEntry at .*global-array\.js:\d+:\d+/, /--requestLog \(property\)--> Array/],
  'forgotten-interval': [/#1 20 × Timeout.*\n\s+also retains: .*\(.*forgotten-interval\.js:\d+\).*20 × ClientConnection/, /TimersList/],
  'promise-chain': [
    /also retains: .*20 × RequestContext/,
    /held by a suspended async function at .*promise-chain\.js:20:\d+: its frame keeps its locals alive/,
    /--flagsLoaded \(context\)--> Promise/,
  ],
};

test('the gallery: every leaky example is found, every fixed one is clean', () => {
  const files = fs.readdirSync(gallery).filter((f) => f.endsWith('.js') && f !== 'hunt.js');
  assert.deepEqual(files.filter((f) => !f.endsWith('.fixed.js')).map((f) => f.slice(0, -3)).sort(), Object.keys(LEAKS).sort());
  for (const name of Object.keys(LEAKS)) {
    const leaky = spawnSync(process.execPath, [path.join(gallery, `${name}.js`)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(leaky.status, 0, `${name}: ${leaky.stderr}`);
    assert.match(leaky.stdout, /leakhound: LEAK\. 1 group of objects grew with each of 20 iterations/, `${name}:\n${leaky.stdout}`);
    for (const pattern of LEAKS[name]) assert.match(leaky.stdout, pattern, `${name}:\n${leaky.stdout}`);
    const fixed = spawnSync(process.execPath, [path.join(gallery, `${name}.fixed.js`)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(fixed.status, 0, `${name}.fixed: ${fixed.stderr}`);
    assert.match(fixed.stdout, /leakhound: no leak\./, `${name}.fixed:\n${fixed.stdout}`);
  }
});
