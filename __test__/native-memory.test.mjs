// Memory outside the JS heap, on this real process: the breakdown of the resident set, the
// verdict per cause of growth on a real Buffer leak, and malloc_trim's measured relief.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root, runNode } from './helpers.mjs';
import fs from 'node:fs';
import os from 'node:os';

const require = createRequire(import.meta.url);
const lh = require('../index.js');
const native = require('../lib/native.js');

const MiB = 1 << 20;
const measured = native.nativeMemoryFields();
const glibc = measured.includes('mallocInUse');
const linux = measured.includes('rssAnon');

test('the platform says which native figures it measures, and the sampler samples exactly those', () => {
  if (process.platform === 'linux') assert.ok(linux, 'Linux has /proc/self/status');
  else assert.equal(linux, false);
  const s = new lh.Sampler({ observeGc: false });
  assert.deepEqual(s.fields, ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', ...measured]);
  assert.deepEqual(new lh.Sampler({ nativeMemory: false }).fields, ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']);
  assert.equal(s.breakdown(), null);
  s.sample();
  const b = s.breakdown();
  const last = s.samples().at(-1);
  assert.deepEqual({ rss: b.rss, heap: b.heap, external: b.external }, { rss: last.rss, heap: { committed: last.heapTotal, used: last.heapUsed }, external: last.external });
  // Figures the platform does not measure are absent, never zero or guessed.
  assert.equal('malloc' in b, glibc);
  assert.equal('mappedFiles' in b, linux);
  if (linux) {
    // The kinds of resident memory make up the resident set (read a moment apart).
    assert.ok(Math.abs(last.rssAnon + last.rssFile - last.rss) < 16 * MiB, JSON.stringify(last));
    assert.ok(b.mappedFiles > MiB, 'node and its libraries are mapped files');
  }
  const causes = s.trend().causes;
  assert.deepEqual(causes.map((c) => c.kind), ['js-heap', 'external', 'native', 'fragmentation']);
  assert.deepEqual(causes.map((c) => c.available), [true, true, glibc, glibc && linux]);
  // Without the figures (as on musl or macOS, or turned off), the verdicts that need them say so.
  const bare = new lh.Sampler({ nativeMemory: false, observeGc: false });
  bare.sample();
  assert.deepEqual(bare.trend().causes.map((c) => [c.kind, c.available, c.verdict]), [
    ['js-heap', true, 'stable'],
    ['external', true, 'stable'],
    ['native', false, 'stable'],
    ['fragmentation', false, 'stable'],
  ]);
  const b0 = bare.breakdown();
  for (const absent of ['malloc', 'mappedFiles', 'code', 'threadStacks', 'otherMappings']) assert.equal(absent in b0, false, absent);
});

test('the C heap counts Buffers handed out and freed', { skip: !glibc && 'the C allocator is not glibc 2.33+' }, async () => {
  const s = new lh.Sampler({ observeGc: false });
  lh.gc();
  s.sample();
  const before = s.breakdown().malloc.inUse;
  // 64 KiB blocks: below glibc's mmap threshold, so from the arenas, counted in use.
  const keep = Array.from({ length: 400 }, () => Buffer.alloc(64 * 1024, 1));
  s.sample();
  const during = s.breakdown().malloc.inUse;
  assert.ok(during - before >= 0.9 * keep.length * 64 * 1024, `${before} -> ${during}`);
  keep.length = 0;
  // V8 frees backing stores on a background sweeper after the GC: wait for it, round by round.
  const inUse = () => (s.sample(), s.breakdown().malloc.inUse);
  for (let round = 0; round < 100 && inUse() >= during - 20 * MiB; round++) {
    lh.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(inUse() < during - 20 * MiB, 'freed once collected');
});

/**
 * Runs `leakOne()` once a simulated second, with a sample after each forced major GC, until a
 * leak of `cause` is reported or `maxSteps` pass. Returns the sampler, the leak events and the
 * steps taken.
 */
async function hunt(cause, leakOne, maxSteps = 120, warmupMs = 0) {
  let now = 0;
  const s = new lh.Sampler({ clock: () => now, warmupMs, observeGc: false });
  const leaks = [];
  s.on('leak', (e) => leaks.push(e));
  let step = 0;
  while (!leaks.some((e) => e.cause === cause) && step < maxSteps) {
    step++;
    now += 1000;
    leakOne(step);
    // A real major GC, from a fresh task (nothing of this frame on the stack), then the sample.
    await new Promise((resolve) => setImmediate(resolve));
    lh.gc();
    s.sample({ afterGc: true });
  }
  return { s, leaks, step };
}

test('a real Buffer leak is an external leak, and nothing else', { skip: !glibc && 'the C allocator is not glibc 2.33+' }, async (t) => {
  const kept = [];
  // 1 MiB/s.
  const { s, leaks, step } = await hunt('external', (i) => kept.push(Buffer.alloc(MiB, i)));
  const external = leaks.find((e) => e.cause === 'external');
  assert.ok(external, `no external verdict after ${step} s: ${JSON.stringify(s.trend().causes)}`);
  t.diagnostic(`external verdict after ${step} simulated seconds at 1 MiB/s`);
  assert.ok(step <= 60, `found after ${step} simulated seconds`);
  assert.equal(external.trend.kind, 'external');
  assert.ok(external.trend.slopeBytesPerSec > 0.8 * MiB && external.trend.slopeBytesPerSec < 1.2 * MiB, String(external.trend.slopeBytesPerSec));
  assert.deepEqual(leaks.map((e) => e.cause), ['external'], 'the JS heap, the C heap and fragmentation are not blamed');
  const verdicts = Object.fromEntries(s.trend().causes.map((c) => [c.kind, c.verdict]));
  assert.equal(verdicts.external, 'leaking');
  assert.notEqual(verdicts.native, 'leaking');
  assert.notEqual(verdicts['js-heap'], 'leaking');
  // The metrics carry the cause verdicts.
  assert.match(s.toPrometheus(), /^leakhound_leak_cause_verdict\{cause="external",verdict="leaking"\} 1$/m);
  kept.length = 0;
});

test('zlib streams written and never closed are a native leak, not a JS heap one', { skip: !glibc && 'the C allocator is not glibc 2.33+' }, async (t) => {
  const zlib = await import('node:zlib');
  // Each keeps its deflate state (about 260 KiB of C heap, of which zlib reports 16 KiB to V8).
  const open = [];
  const { s, leaks, step } = await hunt('native', (i) => {
    const d = zlib.createDeflate();
    d.write(Buffer.alloc(64, i));
    open.push(d);
  });
  const found = leaks.find((e) => e.cause === 'native');
  assert.ok(found, `no native verdict after ${step} s: ${JSON.stringify(s.trend().causes)}`);
  t.diagnostic(`native verdict after ${step} simulated seconds at one stream a second`);
  assert.ok(step <= 60, `found after ${step} simulated seconds`);
  assert.ok(!leaks.some((e) => e.cause === 'js-heap'), 'the JS heap is not blamed');
  assert.ok(found.trend.slopeBytesPerSec > 128 * 1024, String(found.trend.slopeBytesPerSec));
  for (const d of open) d.close();
});

/** Runs a workload of fixtures/memory-workloads.js in a process of its own; its outcome. */
function runWorkload(args, env = process.env) {
  const r = spawnSync(process.execPath, [path.join(root, '__test__', 'fixtures', 'memory-workloads.js'), ...args], { encoding: 'utf8', timeout: 300_000, env });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a clean process with a bounded cache gets no verdict of any cause in 10 simulated minutes', { skip: !glibc && 'the C allocator is not glibc 2.33+' }, (t) => {
  const { samples, leaks, causes } = runWorkload(['bounded-cache', '600']);
  t.diagnostic(`${samples} samples, causes: ${causes.map((c) => `${c.kind} ${c.verdict}`).join(', ')}`);
  assert.equal(samples, 600);
  assert.deepEqual(leaks, [], 'no leak of any cause');
});

test('scrypt jobs on the thread pool fragment the arenas: a fragmentation verdict, the trim measured, no leak', { skip: !(glibc && linux) && 'needs glibc 2.33+ and Linux' }, (t) => {
  const { steps, leaks, breakdown } = runWorkload(['fragmentation', '300', 'fragmentation', 'trim']);
  const found = leaks.find((e) => e.cause === 'fragmentation');
  assert.ok(found, `no fragmentation verdict in ${steps} simulated seconds: ${JSON.stringify(leaks)}`);
  t.diagnostic(`fragmentation verdict after ${found.at} simulated seconds; the trim gave back ${found.reclaimedBytes} bytes`);
  assert.deepEqual(leaks.map((e) => e.cause), ['fragmentation'], 'nothing is blamed on a leak');
  // Nothing stays in use: the freed-but-kept memory is most of the C heap.
  assert.ok(breakdown.malloc.freeHeld > 2 * breakdown.malloc.inUse, JSON.stringify(breakdown.malloc));
  assert.equal(typeof found.reclaimedBytes, 'number');
  assert.ok(found.reclaimedBytes > 0 && found.reclaimedBytes <= breakdown.rss, String(found.reclaimedBytes));
});

test('trimNativeHeap gives freed C heap back and says how much', async () => {
  const dropped = lh.trimNativeHeap();
  if (!glibc || !linux) return assert.equal(dropped, null);
  const s = new lh.Sampler({ observeGc: false });
  const inUse = () => (s.sample(), s.breakdown().malloc.inUse);
  const start = inUse();
  // Fragment the arenas: many mid-sized blocks, every other one kept for a moment.
  let blocks = Array.from({ length: 4000 }, (_, i) => Buffer.alloc(16 * 1024 + (i % 7) * 512, 1));
  blocks = blocks.filter((_, i) => i % 2 === 0);
  lh.gc();
  blocks = [];
  // V8 frees backing stores on a background sweeper after the GC: wait until they are back.
  for (let round = 0; round < 100 && inUse() > start + 8 * MiB; round++) {
    lh.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  s.sample();
  const before = s.breakdown();
  const freed = lh.trimNativeHeap();
  s.sample();
  const after = s.breakdown();
  assert.equal(typeof freed, 'number');
  assert.ok(freed > 8 * MiB, `trim gave back ${freed} bytes (free held ${before.malloc.freeHeld})`);
  assert.ok(after.rss <= before.rss - freed / 2, `${before.rss} -> ${after.rss}`);
});

test('a leak of Buffers names the native bytes each group keeps, in the report and its text', async () => {
  // Small JS objects, each holding 64 KiB outside the JS heap.
  const held = [];
  const err = await lh.assertNoLeak((i) => held.push({ i, payload: Buffer.alloc(64 * 1024, i) }), { iterations: 10 }).then(
    () => null,
    (e) => e,
  );
  assert.ok(err instanceof lh.LeakError, 'the leak is found');
  const group = err.report.leaks[0];
  // 10 Buffers a round, each 64 KiB behind a few dozen bytes of JS objects.
  assert.equal(group.bufferSize, 10 * 64 * 1024, JSON.stringify(group, null, 1).slice(0, 600));
  assert.ok(group.retainedSize >= group.bufferSize);
  assert.match(err.message, /retaining [\d.]+ kB, of which 655\.4 kB in buffers/);
  for (const g of err.report.leaks.slice(1)) assert.equal(g.bufferSize, 0, g.name);
  const html = lh.renderHtmlReport(err.report);
  assert.ok(html.includes('"bufferSize":655360'));
  held.length = 0;
});

test('machine code and thread stacks are told apart: the stack of every waiting worker is found', { skip: !linux && 'needs Linux' }, async () => {
  const s = new lh.Sampler({ observeGc: false });
  s.sample();
  const b = s.breakdown();
  assert.ok(b.code > MiB && b.code <= b.mappedFiles, `node's machine code: ${b.code} of ${b.mappedFiles} bytes of mapped files`);
  assert.ok(b.threadStacks > 0 && b.otherMappings >= 0, JSON.stringify(b));
  const before = native.memoryMappings();
  // Workers that use about 1 MiB of stack each, then wait (blocked in the kernel, so their
  // stack pointers can be read).
  const { Worker } = await import('node:worker_threads');
  const workers = [];
  const ready = [];
  for (let i = 0; i < 3; i++) {
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       function burn(n) { const frame = [0, 1, 2, 3, 4, 5, 6, 7]; return n === 0 ? 0 : burn(n - 1) + frame[n & 7]; }
       burn(6000);
       parentPort.postMessage('ready');
       Atomics.wait(workerData, 0, 0);`,
      { eval: true, workerData: new Int32Array(new SharedArrayBuffer(4)), resourceLimits: { stackSizeMb: 4 } },
    );
    workers.push(w);
    ready.push(new Promise((resolve) => w.once('message', resolve)));
  }
  await Promise.all(ready);
  // A worker posts before it waits: read again until each is blocked (bounded).
  let during = native.memoryMappings();
  for (let round = 0; round < 500 && during.stacksFound < before.stacksFound + 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    during = native.memoryMappings();
  }
  for (const w of workers) await w.terminate();
  assert.ok(during.stacksFound >= before.stacksFound + 3, `${before.stacksFound} -> ${during.stacksFound} stacks found`);
  assert.ok(during.threadStacks >= before.threadStacks + 3 * 256 * 1024, `${before.threadStacks} -> ${during.threadStacks}`);
});

// Where Debian's jemalloc is installed; the test says so and skips where it is not.
const jemalloc = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'].find((f) => existsSync(f));

test('with jemalloc as the allocator its own statistics are read, and trimming purges it', { skip: !jemalloc && 'libjemalloc2 is not installed' }, () => {
  const script = `
    const lh = require(${JSON.stringify(path.join(root, 'index.js'))});
    const s = new lh.Sampler({ observeGc: false });
    const inUse = () => (s.sample(), s.breakdown().malloc.inUse);
    const start = inUse();
    let keep = Array.from({ length: 300 }, () => Buffer.alloc(64 * 1024, 1));
    const during = inUse();
    keep = null;
    const wait = () => { lh.gc(); if (inUse() > during - 16 * 1024 * 1024) return setImmediate(wait);
      s.sample(); const held = s.breakdown().malloc.freeHeld; const trimmed = lh.trimNativeHeap();
      process.stdout.write(JSON.stringify({ allocator: s.breakdown().malloc.allocator, start, during, held, trimmed })); };
    wait();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LD_PRELOAD: jemalloc } });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.allocator, 'jemalloc');
  assert.ok(o.during - o.start >= 0.9 * 300 * 64 * 1024, JSON.stringify(o));
  assert.ok(o.held > 8 * MiB, `freed pages jemalloc keeps: ${o.held}`);
  assert.ok(o.trimmed > 8 * MiB, `the purge gave back ${o.trimmed} bytes`);
});

test('the class summary says how many Buffer bytes each class keeps, in the API and the command line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-buffers-'));
  try {
    const file = path.join(dir, 'buffers.heapsnapshot');
    const r = runNode(`class Upload { constructor(i) { this.name = 'upload ' + i; this.body = Buffer.alloc(256 * 1024, i); } }
      globalThis.uploads = Array.from({ length: 12 }, (_, i) => new Upload(i));
      require('node:v8').writeHeapSnapshot(${JSON.stringify(file)});`);
    assert.equal(r.status, 0, r.stderr);
    const snap = await lh.loadSnapshot(file);
    const rows = snap.summary();
    const upload = rows.find((row) => row.name === 'Upload');
    // Tiny objects on the JS heap, 3 MiB outside it.
    assert.equal(upload.bufferSize, 12 * 256 * 1024);
    assert.ok(upload.selfSize < 12 * 256, String(upload.selfSize));
    assert.ok(rows.every((row) => row.bufferSize >= 0 && row.bufferSize <= row.retainedSize));
    snap.dispose();
    const cli = spawnSync(process.execPath, [path.join(root, 'bin', 'leakhound.js'), 'summary', file], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /Retained\s+Buffers\s+Self/);
    assert.match(cli.stdout, /^\s*[\d.]+ MB\s+3\.15 MB\s.*\bUpload$/m);
    const json = JSON.parse(spawnSync(process.execPath, [path.join(root, 'bin', 'leakhound.js'), 'summary', file, '--json'], { encoding: 'utf8' }).stdout);
    assert.equal(json.find((row) => row.name === 'Upload').bufferSize, 12 * 256 * 1024);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
