// The JavaScript layer under hostile conditions: a snapshot directory that vanishes, a clock that
// steps back, user callbacks that throw, writers killed mid-write, a full disk, long file names,
// a tracker cleared mid-settle, abandoned or concurrent assertNoLeak calls, malformed URLs in a
// report, and CLI arguments that point at devices or at the CLI's own inputs. Nothing here may
// crash the process or leave debris behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { once } from 'node:events';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const lh = require('../index.js');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-hostile-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * `promise`, or a rejection naming `what` after `ms`. The timer is also what keeps the event loop
 * alive while leakhound's own timers (unref'd) do the work.
 */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Polls `condition` every 10 ms until it returns a truthy value, which it resolves to. */
async function until(condition, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const temps = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('monitor: a removed snapshot directory under a disk budget refuses a signal, no crash', async (t) => {
  const dir = tempDir(t);
  // SIGWINCH: harmless by default, where a test runner may turn SIGUSR2 into a diagnostic
  // report written to the working directory (Node 26's does).
  const m = lh.monitor({ dir, signal: 'SIGWINCH', maxDiskBytes: 1e12, minIntervalMs: 0 });
  t.after(() => m.stop());
  fs.rmSync(dir, { recursive: true });
  const refused = once(m, 'refused');
  process.kill(process.pid, 'SIGWINCH');
  const [e] = await within(refused, 30_000, 'refused event');
  assert.equal(e.trigger, 'signal');
  assert.equal(e.reason, 'disk-budget');
  assert.equal(e.error.code, 'ENOENT');
  assert.match(e.message, /cannot measure/);
  assert.deepEqual(m.snapshots, []);
});

test('monitor: a listener that throws on a signal-triggered snapshot is a warning, not a crash', () => {
  // In a process of its own: before, the throw escaped the signal handler and ended the process.
  const code = `const lh = require('./');
    const fs = require('node:fs');
    const dir = fs.mkdtempSync(require('node:os').tmpdir() + '/leakhound-throwing-');
    const m = lh.monitor({ dir, signal: 'SIGWINCH', maxDiskBytes: 1e12, minIntervalMs: 0 });
    fs.rmSync(dir, { recursive: true });
    let refusals = 0;
    m.on('refused', () => { refusals++; throw new Error('listener bug'); });
    process.on('warning', (w) => {
      if (w.name !== 'LeakhoundWarning') return;
      console.log(JSON.stringify({ refusals, message: w.message }));
      m.stop();
    });
    process.kill(process.pid, 'SIGWINCH');
    setTimeout(() => {}, 100);`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.refusals, 1);
  assert.match(out.message, /a listener threw while a 'signal' snapshot was handled.*listener bug/);
});

test('monitor: a threshold trigger on a directory that became a file is refused, no crash', async (t) => {
  const dir = tempDir(t);
  const m = lh.monitor({ dir, heapUsedBytes: 1, maxDiskBytes: 1e12, minIntervalMs: 0, intervalMs: 10 });
  t.after(() => m.stop());
  fs.rmdirSync(dir);
  fs.writeFileSync(dir, 'not a directory');
  const [e] = await within(once(m, 'refused'), 30_000, 'refused event');
  m.stop();
  assert.equal(e.trigger, 'heap-used');
  assert.equal(e.reason, 'disk-budget');
  assert.equal(e.error.code, 'ENOTDIR');
  // Without a budget the write itself fails, and is refused the same way.
  const other = tempDir(t);
  const plain = lh.monitor({ dir: other, rssBytes: 1, minIntervalMs: 0, intervalMs: 10 });
  fs.rmdirSync(other);
  fs.writeFileSync(other, 'not a directory');
  const [w] = await within(once(plain, 'refused'), 30_000, 'refused event');
  plain.stop();
  assert.deepEqual([w.trigger, w.reason, w.error.code], ['rss', 'write-failed', 'ENOTDIR']);
});

test('sampler: a clock that steps back an hour is clamped, on the timer and after a GC', async (t) => {
  let stepped = false;
  let reads = 0;
  // Wall-clock-like readings that jump back an hour after the third one, then advance again.
  const clock = () => 1_700_000_000_000 + ++reads * 10 - (stepped ? 3_600_000 : 0);
  const s = new lh.Sampler({ clock, intervalMs: 10 });
  t.after(() => s.stop());
  let afterStep = 0;
  let gcAfterStep = false;
  const done = new Promise((resolve) => {
    s.on('sample', (x) => {
      if (reads === 3) stepped = true;
      if (!stepped) return;
      afterStep++;
      gcAfterStep ||= x.afterGc;
      if (afterStep === 3) lh.gc();
      if (afterStep >= 6 && gcAfterStep) resolve();
    });
  });
  s.start();
  await within(done, 30_000, 'samples after the step');
  s.stop();
  const stamps = s.samples().map((x) => x.timestamp);
  assert.ok(stamps.every((ts, i) => i === 0 || ts >= stamps[i - 1]), `timestamps never go back: ${stamps}`);
  const last = stamps.find((ts, i) => i > 0 && ts === stamps[i - 1]);
  assert.ok(last !== undefined, 'samples after the step keep the last timestamp');
  // A sample pushed by the caller is still checked.
  assert.throws(() => s.push({ timestamp: 1000, heapUsed: 1 }), { name: 'RangeError', message: /^Sampler: / });
});

test('sampler: a throwing clock or sample listener never throws from the timer', async (t) => {
  let reads = 0;
  const s = new lh.Sampler({
    clock: () => {
      if (++reads % 2 === 0) throw new Error('clock broke');
      return 1_700_000_000_000 + reads;
    },
    intervalMs: 10,
  });
  t.after(() => s.stop());
  const warned = new Promise((resolve) => process.once('warning', resolve));
  let listened = 0;
  s.on('sample', () => {
    if (++listened === 2) throw new Error('listener broke');
  });
  s.start();
  const warning = await within(warned, 30_000, 'a warning');
  assert.equal(warning.name, 'LeakhoundWarning');
  assert.match(warning.message, /^Sampler: a sample failed and was dropped/);
  // Sampling goes on after both kinds of failure.
  const more = reads + 6;
  await within(new Promise((resolve) => s.on('sample', () => reads >= more && resolve())), 30_000, 'later samples');
  assert.ok(s.samples().length >= 3);
});

test('a throwing onProgress is dropped with a warning; loadSnapshot and findLeaks finish', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.heapsnapshot');
  // Big enough to take many 10 ms ticks to parse.
  globalThis.leakhoundHostileBallast = Array.from({ length: 4e5 }, (_, i) => ({ i, s: `v${i}` }));
  v8.writeHeapSnapshot(file);
  globalThis.leakhoundHostileBallast = null;
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  let calls = 0;
  const onProgress = () => {
    calls++;
    throw new Error('progress display went away');
  };
  const snap = await lh.loadSnapshot(file, { onProgress, progressIntervalMs: 10 });
  assert.ok(snap.nodeCount > 4e5);
  assert.equal(calls, 1, 'called until it threw, not after');
  const report = await lh.findLeaks({ baseline: file, target: file, final: file }, { onProgress, progressIntervalMs: 10 });
  assert.deepEqual(report.leaks, []);
  assert.equal(calls, 2);
  await until(() => warnings.length >= 2, 'warnings');
  for (const w of warnings) {
    assert.match(w.message, /onProgress threw.*progress display went away/);
    assert.equal(w.cause.message, 'progress display went away');
  }
});

const { estimateSnapshotBytes } = require('../lib/write-snapshot.js');

test('snapshot writes: a writer killed mid-write leaves a temp file that is counted, then cleaned', async (t) => {
  const dir = tempDir(t);
  const child = spawn(
    process.execPath,
    ['-e', `globalThis.keep = Array.from({ length: 1.5e6 }, (_, i) => ({ i, s: 'v' + i }));
            require('./').writeHeapSnapshot({ dir: ${JSON.stringify(dir)}, filename: 'big.heapsnapshot' });`],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit');
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  // Mid-write: the temp file exists, has grown past what this process's snapshot would take, and
  // is still growing. The writer is then frozen, so its size stays put for the checks.
  let last = -1;
  const temp = await until(() => {
    if (child.exitCode !== null) throw new Error(`the writer finished before it was caught mid-write: ${stderr}`);
    const [name] = temps(dir);
    const size = name === undefined ? -1 : fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? -1;
    const growing = size > last && last >= estimateSnapshotBytes();
    last = size;
    return growing && name;
  }, 'a growing temp file');
  child.kill('SIGSTOP');
  const held = fs.statSync(path.join(dir, temp)).size;

  // A live writer's temp file counts against the budget, and nobody else removes it. The budget
  // has room for this process's next snapshot, but not with the temp file counted.
  lh.gc();
  const budget = held + Math.floor(estimateSnapshotBytes() / 2);
  assert.ok(estimateSnapshotBytes() <= budget, `the next snapshot (${estimateSnapshotBytes()} bytes) fits in ${budget} bytes without the temp file`);
  const m = lh.monitor({ dir, maxDiskBytes: budget, minIntervalMs: 0 });
  t.after(() => m.stop());
  assert.equal(m.snapshot(), null, 'refused: the live temp file fills the budget');
  m.stop();
  assert.equal(m.refused.at(-1).reason, 'disk-budget');
  const mine = lh.writeHeapSnapshot({ dir, filename: 'mine.heapsnapshot' });
  assert.deepEqual(temps(dir), [temp]);

  // Killed: the default action of SIGTERM ends the writer with its temp file still there.
  child.kill('SIGTERM');
  child.kill('SIGCONT');
  const [code, signal] = await within(exited, 60_000, 'writer exit');
  assert.deepEqual([code, signal], [null, 'SIGTERM']);
  assert.deepEqual(temps(dir), [temp]);
  // The next write in the directory removes it.
  lh.writeHeapSnapshot({ dir, filename: 'later.heapsnapshot' });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['later.heapsnapshot', path.basename(mine)].sort());
});

test('snapshot writes: a dead writer\'s temp file is removed when a monitor measures its budget', async (t) => {
  const dir = tempDir(t);
  const child = spawn(
    process.execPath,
    ['-e', `globalThis.keep = Array.from({ length: 1e6 }, (_, i) => ({ i }));
            require('./').writeHeapSnapshot({ dir: ${JSON.stringify(dir)} });`],
    { cwd: root, stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let last = -1;
  await until(() => {
    if (child.exitCode !== null) throw new Error('the writer finished before it was caught mid-write');
    const [name] = temps(dir);
    const size = name === undefined ? -1 : fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? -1;
    const growing = size > last && last > 0;
    last = size;
    return growing;
  }, 'a growing temp file');
  child.kill('SIGINT');
  assert.deepEqual((await within(exited, 60_000, 'writer exit'))[1], 'SIGINT');
  assert.equal(temps(dir).length, 1);
  const m = lh.monitor({ dir, maxDiskBytes: Number.MAX_SAFE_INTEGER, minIntervalMs: 0 });
  t.after(() => m.stop());
  const written = m.snapshot();
  m.stop();
  assert.ok(written, m.refused.at(-1)?.message);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(written)]);
});

const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => fs.existsSync(p));
const noEfbig = !prlimit ? 'prlimit (util-linux) is not installed' : !fs.existsSync('/proc/self/fd') ? 'no /proc/self/fd to see held files' : false;

test('snapshot writes: after EFBIG the failed temp file holds no disk space, and the next write works', { skip: noEfbig }, (t) => {
  const dir = tempDir(t);
  // Node ignores SIGXFSZ, so a write past the file-size limit fails with EFBIG. V8 keeps its file
  // open after a write error: what that deleted file still holds is what the disk lost.
  const code = `const fs = require('node:fs');
    globalThis.keep = Array.from({ length: 2e5 }, (_, i) => ({ i }));
    let code;
    try { require('./').writeHeapSnapshot({ dir: ${JSON.stringify(dir)} }); } catch (e) { code = e.code; }
    const held = [];
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      let link;
      try { link = fs.readlinkSync('/proc/self/fd/' + fd); } catch { continue; }
      if (link.startsWith(${JSON.stringify(dir + path.sep)})) held.push({ link, bytes: fs.fstatSync(Number(fd)).size });
    }
    console.log(JSON.stringify({ code, held, files: fs.readdirSync(${JSON.stringify(dir)}) }));`;
  const r = spawnSync(prlimit, ['--fsize=262144', process.execPath, '-e', code], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.code, 'EFBIG');
  assert.deepEqual(out.files, []);
  assert.deepEqual(out.held.filter((h) => h.bytes > 0), [], 'no deleted file holds any bytes');
  const file = lh.writeHeapSnapshot({ dir });
  assert.deepEqual(fs.readdirSync(dir), [path.basename(file)]);
});

/**
 * Why a small filesystem of our own cannot be had here, or false: a tmpfs mounted in a user and
 * mount namespace of its own (`unshare -rm`), so nothing outside the test sees it.
 */
function noSmallDisk() {
  if (process.platform !== 'linux') return 'a small tmpfs needs Linux';
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d"; rmdir "$d"'], { encoding: 'utf8' });
  return r.status === 0 ? false : `cannot mount a tmpfs in a namespace of its own (unshare -rm): ${(r.stderr || r.error?.message || '').trim()}`;
}

test('snapshot writes: a full disk (ENOSPC) leaves no file, holds no blocks, and the next write fits', { skip: noSmallDisk() }, () => {
  // The write checks the free space against an estimate learned from the last snapshot's size, so
  // a full disk is hit when the heap changed shape: the first snapshot (elsewhere) is of a heap
  // that is mostly one array of doubles (a small file for its heap), the second of many objects with
  // many references (a large file for its heap), into an 8 MiB tmpfs.
  const code = `const fs = require('node:fs');
    const lh = require('./');
    const dir = process.env.DIR;
    const elsewhere = fs.mkdtempSync(require('node:os').tmpdir() + '/leakhound-learn-');
    globalThis.big = new Array(5e6).fill(1.5);
    fs.rmSync(lh.writeHeapSnapshot({ dir: elsewhere }));
    fs.rmdirSync(elsewhere);
    globalThis.big = null;
    const shared = {};
    globalThis.keep = Array.from({ length: 2e5 }, () => ({ a: shared, b: shared, c: shared, d: shared, e: shared, f: shared }));
    lh.gc();
    let code;
    try { lh.writeHeapSnapshot({ dir }); } catch (e) { code = e.code; }
    const { bsize, blocks, bfree } = fs.statfsSync(dir);
    const usedBytes = (blocks - bfree) * bsize;
    let next = 'written';
    try { fs.writeFileSync(dir + '/after', Buffer.alloc(4 << 20)); } catch (e) { next = e.code; }
    console.log(JSON.stringify({ code, files: fs.readdirSync(dir), usedBytes, next }));`;
  const script = 'd=$(mktemp -d) && mount -t tmpfs -o size=8m tmpfs "$d" && DIR="$d" "$NODE" -e "$CODE"; s=$?; umount "$d"; rmdir "$d"; exit $s';
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE: process.execPath, CODE: code } });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.code, 'ENOSPC', JSON.stringify(out));
  assert.equal(out.usedBytes, 0, 'the failed temp file holds no blocks');
  assert.deepEqual(out.files, ['after'], 'no temp file and no partial snapshot');
  assert.equal(out.next, 'written', 'the space the failed write took is free again');
});

test('snapshot writes: a 240-character file name works; the temporary name stays short', async (t) => {
  const dir = tempDir(t);
  const filename = `${'n'.repeat(240 - '.heapsnapshot'.length)}.heapsnapshot`;
  assert.equal(filename.length, 240);
  const file = lh.writeHeapSnapshot({ dir, filename });
  assert.equal(path.basename(file), filename);
  assert.deepEqual(fs.readdirSync(dir), [filename]);
  assert.ok((await lh.loadSnapshot(file)).nodeCount > 1000);
});

const settleInternals = require('../lib/settle.js');

test('tracker.clear() during a settle: no sentinel is waited for in vain, then or later', async () => {
  const tracker = new lh.Tracker({ name: 'cleared' });
  const kept = [{ kept: 1 }];
  tracker.track({ garbage: true });
  const before = settleInternals.sentinelTimeouts();
  // The settle arms a sentinel in the tracker's registry at once; clear() replaces that registry.
  const pending = lh.settle();
  tracker.clear();
  tracker.track(kept[0], 'kept');
  await pending;
  for (let i = 0; i < 3; i++) await lh.settle();
  assert.equal(settleInternals.sentinelTimeouts() - before, 0, 'no round waited out its sentinels');
  assert.equal(tracker.alive, 1);
  assert.equal(kept.length, 1);
});

/** trace_function_count from a heap snapshot's header: above 0 while allocations are tracked. */
async function tracedFunctions() {
  let head = '';
  for await (const chunk of v8.getHeapSnapshot()) {
    head += chunk;
    const m = /"trace_function_count":(\d+)/.exec(head);
    if (m) return Number(m[1]);
  }
  throw new Error('no trace_function_count in the snapshot');
}

const MARKER = 'leakhound-hostile-id';

/** The snapshot ids of the objects marked with MARKER, by marker. */
async function markedIds() {
  const snap = await lh.loadSnapshot(v8.getHeapSnapshot());
  return Object.fromEntries(snap.markedObjects(MARKER).map((m) => [m.marker, m.id]));
}

test('assertNoLeak({ trackAllocations }) leaves heap object ids as they were', async () => {
  const keep = [{ a: 1 }, { b: 2 }, { c: 3 }];
  const marks = new WeakMap(keep.map((o, i) => [o, [MARKER, i].join(':')]));
  const before = await markedIds();
  assert.equal(Object.keys(before).length, 3);
  const report = await lh.assertNoLeak((i) => ({ i }), { iterations: 3, warmup: 1, trackAllocations: true });
  assert.deepEqual(report.leaks, []);
  assert.deepEqual(await markedIds(), before);
  assert.equal(await tracedFunctions(), 0, 'allocation tracking is off again');
  assert.ok(marks.has(keep[0]));
});

class Hoarded {
  constructor(i) {
    this.i = i;
  }
}

test('concurrent assertNoLeak calls each get the verdict they would get alone', async () => {
  const hoard = [];
  const leaky = (i) => {
    for (let k = 0; k < 4; k++) hoard.push(new Hoarded(i));
  };
  const clean = (i) => new Array(8).fill(i).length;
  const [a, b] = await Promise.allSettled([lh.assertNoLeak(leaky, { iterations: 10 }), lh.assertNoLeak(clean, { iterations: 10 })]);
  assert.equal(a.status, 'rejected');
  assert.ok(a.reason instanceof lh.LeakError, a.reason?.stack);
  assert.deepEqual(a.reason.report.leaks.map((g) => [g.name, g.count]), [['Hoarded', 40]]);
  assert.equal(b.status, 'fulfilled', b.reason?.message);
  assert.deepEqual(b.value.leaks, []);
  hoard.length = 0;
});

test('an abandoned assertNoLeak stops tracking: timeoutMs and an AbortSignal', { timeout: 120_000 }, async () => {
  const keep = [{ x: 1 }, { y: 2 }];
  const before = await markedIdsOf(keep);
  const never = () => new Promise(() => {});
  await assert.rejects(lh.assertNoLeak(never, { timeoutMs: 200, trackAllocations: true }), {
    code: 'ERR_LEAKHOUND_TIMEOUT',
    message: /assertNoLeak\(\): timed out after 200 ms/,
  });
  assert.equal(await tracedFunctions(), 0, 'allocation tracking is off after the timeout');

  const controller = new AbortController();
  let during = -1;
  const fn = async () => {
    during = await tracedFunctions();
    controller.abort();
    return never();
  };
  await assert.rejects(lh.assertNoLeak(fn, { signal: controller.signal, trackAllocations: true }), { name: 'AbortError', code: 'ABORT_ERR' });
  assert.ok(during > 0, 'allocations were tracked while the call ran');
  assert.equal(await tracedFunctions(), 0, 'allocation tracking is off after the abort');
  await assert.rejects(lh.assertNoLeak(never, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });

  // The next call works, and ids are intact.
  const report = await lh.assertNoLeak((i) => ({ i }), { iterations: 3, warmup: 1, trackAllocations: true });
  assert.deepEqual(report.leaks, []);
  assert.deepEqual(await markedIdsOf(keep), before);
  await assert.rejects(lh.assertNoLeak(never, { timeoutMs: 0 }), /timeoutMs must be an integer/);
  await assert.rejects(lh.assertNoLeak(never, { signal: {} }), /signal must be an AbortSignal/);
});

test('an assertNoLeak abandoned between its rounds never calls fn again, in the next call\'s turn or later', async () => {
  const controller = new AbortController();
  let calls = 0;
  let callsAtAbort = -1;
  controller.signal.addEventListener('abort', () => (callsAtAbort = calls));
  const warmup = 2;
  // The last warm-up call aborts from a later task: while the call settles before its baseline.
  const fn = (i) => {
    calls++;
    if (i === warmup - 1) setImmediate(() => controller.abort());
    return { i };
  };
  await assert.rejects(lh.assertNoLeak(fn, { signal: controller.signal, warmup, iterations: 3 }), { code: 'ABORT_ERR' });
  assert.equal(callsAtAbort, warmup, 'aborted after the warm-up');
  // The next call runs whole; the abandoned one must not come back to life meanwhile.
  const report = await lh.assertNoLeak((i) => ({ i }), { iterations: 3, warmup: 1 });
  assert.deepEqual(report.leaks, []);
  await lh.settle();
  assert.equal(calls, callsAtAbort, 'fn was not called after the abort');
});

/** Marks `objects` and returns their snapshot ids, in order. */
async function markedIdsOf(objects) {
  const prefix = [MARKER, 'of'].join(':');
  const marks = new WeakMap(objects.map((o, i) => [o, [prefix, i].join(':')]));
  const ids = await markedIds();
  return objects.map((o) => ids[marks.get(o)]);
}

test('node:test: a test that times out aborts its assertNoLeak through t.signal', () => {
  const fixture = path.join(root, '__test__', 'fixtures', 'abandoned-no-leak.test.js');
  // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', fixture], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1, 'the abandoned test fails the run');
  // What the fixture prints comes through as TAP comments.
  assert.match(r.stdout, /^not ok 1 - abandoned: fn never settles/m);
  assert.match(r.stdout, /test timed out after 500ms/);
  assert.match(r.stdout, /^# rejected ABORT_ERR$/m);
  assert.match(r.stdout, /^# traced functions after: 0$/m);
  assert.match(r.stdout, /^ok 2 - the next test runs with tracking off/m);
});

const { reportDocument, pageScript } = require('./fixtures/page-dom.js');

// A script URL with a malformed escape (`%A` ends early): decodeURI throws on it.
const BAD_URL = ['file://', root, '/%E0%A4%A/leaky.js'].join('');

test('report: a malformed escape in a script URL does not blank the page', async () => {
  const bag = [];
  const subscribe = vm.runInThisContext('(function (bag) { return function subscribe(i) { bag.push(function onTick() { return i; }); }; })', {
    filename: BAD_URL,
  });
  const err = await lh.assertNoLeak(subscribe(bag), { iterations: 10, warmup: 2 }).catch((e) => e);
  bag.length = 0;
  assert.ok(err instanceof lh.LeakError, err.stack);
  const group = err.report.leaks.find((g) => g.location?.script === BAD_URL);
  assert.ok(group, `a group located in ${BAD_URL}: ${JSON.stringify(err.report.leaks.map((g) => g.location))}`);

  const html = lh.renderHtmlReport(err.report, { baseDir: root });
  const document = reportDocument(html);
  vm.runInNewContext(pageScript(html), { document });
  assert.equal(document.body.getAttribute('data-ready'), 'true');
  const cards = document.getElementById('leak-list').findAll('article', 'group');
  assert.equal(cards.length, err.report.leaks.length);
  const locations = cards.flatMap((c) => c.findAll('span', 'loc').map((l) => l.textContent));
  // Shown undecoded, relative to the base directory.
  assert.ok(locations.some((l) => l.startsWith('%E0%A4%A/leaky.js:')), locations.join('\n'));
});

const cli = path.join(root, 'bin', 'leakhound.js');
const run = (args, timeout = 60_000) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout });

/** Two real snapshots of one process (a.heapsnapshot before a leak, b.heapsnapshot after). */
function plantLeaks(t) {
  const dir = tempDir(t);
  const [a, b] = ['a', 'b'].map((n) => path.join(dir, `${n}.heapsnapshot`));
  const r = spawnSync(process.execPath, [path.join(root, '__test__', 'fixtures', 'plant-leaks.js'), a, b], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { dir, a, b };
}

test('CLI report --timeline refuses a pipe, a device and an oversized file, naming it', (t) => {
  const { dir, a, b } = plantLeaks(t);
  const out = path.join(dir, 'out.html');
  const report = (timeline) => run(['report', a, b, b, '--html', out, '--timeline', timeline], 30_000);
  // A pipe nobody writes to: reading it would wait forever.
  const fifo = path.join(dir, 'samples.fifo');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status === 0) {
    const r = report(fifo);
    assert.equal(r.status, 1, r.error?.message ?? r.stderr);
    assert.match(r.stderr, /^leakhound: the timeline .*samples\.fifo is not a regular file/);
  } else t.diagnostic(`mkfifo failed: ${made.error?.message ?? made.stderr}`);
  // Sparse: 257 MiB that take no disk.
  const huge = path.join(dir, 'huge.json');
  fs.closeSync(fs.openSync(huge, 'w'));
  fs.truncateSync(huge, 257 * 1024 * 1024);
  let r = report(huge);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^leakhound: the timeline .*huge\.json is 269\.\d MB; the limit is 268\.4 MB \(256 MiB\)/);
  r = report('/dev/zero');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^leakhound: the timeline \/dev\/zero is not a regular file/);
  assert.equal(fs.existsSync(out), false);
});

test('CLI report --html refuses to overwrite one of its own snapshots', (t) => {
  const { dir, a, b } = plantLeaks(t);
  const original = fs.readFileSync(b);
  let r = run(['report', a, b, b, '--html', b]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^leakhound: --html .*b\.heapsnapshot is the target snapshot; refusing to overwrite an input/);
  // The same file under another name: a hard link and a relative path through a symlink.
  const hard = path.join(dir, 'hard.html');
  fs.linkSync(a, hard);
  r = run(['report', a, b, b, '--html', hard]);
  assert.match(r.stderr, /^leakhound: --html .*hard\.html is the baseline snapshot/);
  fs.symlinkSync(dir, path.join(dir, 'alias'));
  r = run(['report', a, b, b, '--html', path.join(dir, 'alias', 'b.heapsnapshot')]);
  assert.match(r.stderr, /is the target snapshot/);
  assert.ok(fs.readFileSync(b).equals(original), 'the snapshot is untouched');
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(hard)));
  r = run(['report', a, b, b, '--html', path.join(dir, 'fine.html'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).bytes, fs.statSync(path.join(dir, 'fine.html')).size);
});
