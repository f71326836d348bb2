import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gc, settle } from '../index.js';
import { runNode } from './helpers.mjs';

const hadGlobalGc = typeof globalThis.gc;

test('gc() works in a process started without --expose-gc', () => {
  assert.equal(hadGlobalGc, 'undefined', 'this suite must run without --expose-gc');
  // ~8 MB of objects, dropped before the call: a real major GC frees them.
  (() => Array.from({ length: 200_000 }, (_, i) => ({ i })).length)();
  const r = gc();
  for (const k of ['heapUsedBefore', 'heapUsedAfter', 'freed', 'durationMs']) assert.equal(typeof r[k], 'number', k);
  assert.ok(r.freed > 4_000_000, `the dropped 200k objects were freed: ${JSON.stringify(r)}`);
  assert.equal(r.freed, Math.max(0, r.heapUsedBefore - r.heapUsedAfter));
  assert.ok(r.durationMs > 0, 'a mark-compact takes time');
  assert.equal(typeof globalThis.gc, 'undefined', 'globalThis.gc is left as it was');
});

test('gc() leaves the --expose-gc flag as it found it: later contexts get no gc', async () => {
  gc();
  const vm = await import('node:vm');
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined');
});

test('gc() in a process started with --expose-gc keeps globalThis.gc and the flag', () => {
  const r = runNode(
    `const before = globalThis.gc; const lh = require('.'); lh.gc(); lh.gc({ type: 'minor' });
     const vm = require('vm');
     console.log(JSON.stringify({ same: globalThis.gc === before, ctx: vm.runInNewContext('typeof gc') }));`,
    { flags: ['--expose-gc'] },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { same: true, ctx: 'function' });
});

test('a major gc frees unreachable old-generation objects; a minor gc runs a scavenge', () => {
  const r = runNode(
    `const lh = require('.');
     const keep = []; for (let i = 0; i < 200000; i++) keep.push({ i });
     lh.gc(); // promote
     keep.length = 0;
     console.log('MAJOR'); const major = lh.gc();
     console.log('MINOR'); lh.gc({ type: 'minor' });
     console.log('FREED ' + major.freed);`,
    { flags: ['--trace-gc'] },
  );
  assert.equal(r.status, 0, r.stderr);
  const after = (marker) => r.stdout.split(marker)[1].split('\n')[1];
  assert.match(after('MAJOR'), /Mark-Compact/, 'major → mark-compact');
  assert.match(after('MINOR'), /Scavenge/, 'minor → scavenge');
  assert.ok(Number(r.stdout.match(/FREED (\d+)/)[1]) > 4_000_000, 'the dropped 200k objects were freed');
});

test('async gc resolves after collecting objects held only by the caller frames', async () => {
  let fired = false;
  const registry = new FinalizationRegistry(() => {
    fired = true;
  });
  (() => registry.register({ big: new Array(1000).fill(1) }, 'x'))();
  // A WeakRef keeps its target alive until the current job ends, so a sync gc() here could not
  // clear it: the async one runs from a fresh task, after the job.
  const ref = (() => new WeakRef({ big: new Array(1000).fill(1) }))();
  await gc({ execution: 'async' });
  assert.equal(ref.deref(), undefined, 'collected by the async gc itself');
  await settle();
  assert.equal(fired, true);
  const minor = await gc({ type: 'minor', execution: 'async' });
  assert.equal(minor.freed, Math.max(0, minor.heapUsedBefore - minor.heapUsedAfter));
});

test('gc() rejects bad options with a TypeError naming the option', () => {
  assert.throws(() => gc('major'), { name: 'TypeError', message: /options must be an object/ });
  assert.throws(() => gc({ type: 'full' }), { name: 'TypeError', message: /type must be one of 'major', 'minor'/ });
  assert.throws(() => gc({ execution: true }), { name: 'TypeError', message: /execution/ });
  assert.throws(() => gc(null), TypeError);
});

test('settle() returns after one round when nothing tracked is left, and validates maxRounds', async () => {
  const { rounds } = await settle();
  assert.equal(rounds, 1);
  await assert.rejects(settle({ maxRounds: 0 }), { name: 'TypeError', message: /maxRounds/ });
  await assert.rejects(settle({ maxRounds: 1.5 }), TypeError);
});

test('settle() waits for user FinalizationRegistry callbacks of the collected objects', async () => {
  let count = 0;
  const registry = new FinalizationRegistry(() => count++);
  (() => {
    for (let i = 0; i < 500; i++) registry.register({ i }, i);
  })();
  await settle();
  assert.equal(count, 500);
});
