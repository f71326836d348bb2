// Snapshot triggers on real processes: files private and complete or absent, every refusal
// reported with its reason, signals and full disks handled, one monitor per process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { writeHeapSnapshot, monitor, Sampler, loadSnapshot } from '../index.js';
import { root } from './helpers.mjs';

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-monitor-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const files = (dir) => fs.readdirSync(dir).sort();

test('writeHeapSnapshot writes a complete, private snapshot and leaves nothing else', async (t) => {
  const dir = tempDir(t);
  const file = writeHeapSnapshot({ dir });
  assert.equal(path.dirname(file), dir);
  assert.match(path.basename(file), /^leakhound-\d{8}-\d{6}-\d+-\d+\.heapsnapshot$/);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(files(dir), [path.basename(file)]);
  const snap = await loadSnapshot(file);
  assert.ok(snap.nodeCount > 1000);
  const named = writeHeapSnapshot({ dir, filename: 'named.heapsnapshot' });
  assert.equal(path.basename(named), 'named.heapsnapshot');
  assert.throws(() => writeHeapSnapshot({ dir, filename: 'named.heapsnapshot' }), { code: 'EEXIST' });
  assert.throws(() => writeHeapSnapshot({ dir, filename: '../escape.heapsnapshot' }), /plain file name/);
});

test('writeHeapSnapshot refuses a missing directory, a file, and too little headroom', (t) => {
  const dir = tempDir(t);
  assert.throws(() => writeHeapSnapshot({ dir: path.join(dir, 'missing') }), { code: 'ENOENT', message: /does not exist/ });
  fs.writeFileSync(path.join(dir, 'plain'), 'x');
  assert.throws(() => writeHeapSnapshot({ dir: path.join(dir, 'plain') }), { code: 'ENOTDIR' });
  assert.throws(() => writeHeapSnapshot({ dir, headroomFactor: 1e6 }), {
    code: 'ERR_LEAKHOUND_HEADROOM',
    message: /not enough memory headroom.*available.*needed/,
  });
  assert.deepEqual(files(dir), ['plain']);
});

/**
 * A copy of the package (the JavaScript layer and the addon) that any user can read: the checkout
 * itself may sit in a private directory that an unprivileged user cannot enter.
 */
function readableCopy(t) {
  const copy = tempDir(t);
  for (const name of ['package.json', 'index.js', 'leakhound.node', 'lib']) {
    fs.cpSync(path.join(root, name), path.join(copy, name), { recursive: true });
  }
  const readable = (p) => {
    const isDir = fs.statSync(p).isDirectory();
    fs.chmodSync(p, isDir ? 0o755 : 0o644);
    if (isDir) for (const entry of fs.readdirSync(p)) readable(path.join(p, entry));
  };
  readable(copy);
  return copy;
}

test('writeHeapSnapshot refuses a directory it cannot write', (t) => {
  const dir = tempDir(t);
  const code = `try { require('./').writeHeapSnapshot({ dir: ${JSON.stringify(dir)} }); console.log('wrote') }
                catch (e) { console.log(e.code, e.message) }`;
  let r;
  if (process.getuid?.() === 0) {
    // root writes anywhere: check as an unprivileged user instead, on a copy of the package that
    // user can read.
    fs.chmodSync(dir, 0o755);
    const pkg = readableCopy(t);
    const nobody = { cwd: pkg, uid: 65534, gid: 65534, encoding: 'utf8' };
    // Node itself, or the temporary directory, may be out of that user's reach (a Node installed
    // under a private home, a private TMPDIR): then there is nothing to check here.
    const reach = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(dir)}); require('./')`], nobody);
    const denied = reach.error?.message ?? reach.stderr.split('\n').find((l) => /EACCES|permission denied/i.test(l));
    if (denied) return t.skip(`user 65534 cannot run ${process.execPath} on a copy of the package in ${path.dirname(pkg)}: ${denied}`);
    assert.equal(reach.status, 0, `the copy of the package does not load: ${reach.stderr}`);
    r = spawnSync(process.execPath, ['-e', code], nobody);
  } else {
    fs.chmodSync(dir, 0o555);
    r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' });
  }
  assert.match(r.stdout, /^EACCES .*is not writable/, r.stderr);
  assert.deepEqual(files(dir), []);
});

test('a full disk fails the write cleanly: an error naming the file, nothing half-written', (t) => {
  const dir = tempDir(t);
  // A 256 KiB file-size limit stands in for a full disk; Node reports EFBIG instead of dying.
  const code = `const lh = require('./'); const keep = Array.from({ length: 2e5 }, (_, i) => ({ i }));
    try { lh.writeHeapSnapshot({ dir: ${JSON.stringify(dir)} }); console.log('wrote') }
    catch (e) { console.log(e.name, e.code, e.message) }`;
  const r = spawnSync('bash', ['-c', `ulimit -f 256; exec "${process.execPath}" -e "$CODE"`], {
    cwd: root,
    env: { ...process.env, CODE: code },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^SnapshotWriteError EFBIG writeHeapSnapshot: writing .*leakhound-.*\.heapsnapshot failed/);
  assert.deepEqual(files(dir), [], 'no temp file, no partial snapshot');
});

test('monitor: threshold, manual and leak triggers, rate limit, count and disk budget', async (t) => {
  const dir = tempDir(t);
  const started = Date.now();
  let now = 0;
  const sampler = new Sampler({ clock: () => now, warmupMs: 0, intervalMs: 86_400_000 });
  const m = monitor({ sampler, dir, heapUsedBytes: 1, onLeak: true, minIntervalMs: 0, maxCount: 3 });
  t.after(() => m.stop());
  const events = [];
  m.on('snapshot', (e) => events.push(['snapshot', e.trigger]));
  m.on('refused', (e) => events.push(['refused', e.trigger, e.reason]));
  // heapUsed is above 1 byte: the threshold fires at the next sample, once per crossing.
  now = 1000;
  sampler.sample();
  sampler.sample();
  assert.deepEqual(events, [['snapshot', 'heap-used']]);
  // A leaking series pushed through the sampler fires the leak trigger.
  for (let i = 1; i <= 12; i++) {
    now = 1000 + i * 1000;
    sampler.push({ timestamp: now, heapUsed: 50e6 + i * 5e6, afterGc: true });
  }
  assert.deepEqual(events.at(-1), ['snapshot', 'leak']);
  assert.equal(m.snapshot(), m.snapshots[2].path);
  assert.equal(m.snapshot('manual'), null);
  assert.deepEqual(events.at(-1), ['refused', 'manual', 'max-count']);
  for (const s of m.snapshots) {
    assert.equal(fs.statSync(s.path).mode & 0o777, 0o600);
    assert.equal(s.bytes, fs.statSync(s.path).size);
    // Wall-clock times (not the sampler's clock): when the write started, and how long it took.
    assert.ok(s.timestamp >= started && s.timestamp + s.durationMs <= Date.now(), JSON.stringify(s));
  }
  m.stop();

  const limited = monitor({ dir, minIntervalMs: 60_000, maxDiskBytes: Number.MAX_SAFE_INTEGER });
  assert.equal(path.dirname(limited.snapshot('manual')), dir);
  assert.equal(limited.snapshot('manual'), null);
  assert.equal(limited.refused.at(-1).reason, 'rate-limit');
  limited.stop();

  const rssSampler = new Sampler({ intervalMs: 86_400_000 });
  const rss = monitor({ sampler: rssSampler, dir, rssBytes: 1, minIntervalMs: 0 });
  rssSampler.sample();
  assert.deepEqual(rss.snapshots.map((x) => x.trigger), ['rss']);
  rssSampler.sample();
  assert.equal(rss.snapshots.length, 1, 'once per crossing');
  rss.stop();

  const budget = monitor({ dir, maxDiskBytes: 1000 });
  assert.equal(budget.snapshot(), null);
  assert.equal(budget.refused.at(-1).reason, 'disk-budget');
  assert.match(budget.refused.at(-1).message, /maxDiskBytes is 1000/);
  const text = budget.toPrometheus();
  assert.match(text, /leakhound_heap_snapshots_refused_total\{reason="disk-budget"\} 1/);
  budget.stop();
  assert.equal(files(dir).filter((f) => !f.endsWith('.heapsnapshot')).length, 0);
});

test('monitor: one per process, stop() twice is harmless, a stopped monitor refuses', (t) => {
  const dir = tempDir(t);
  const a = monitor({ dir, intervalMs: 1000 });
  assert.throws(() => monitor({ dir }), { code: 'ERR_LEAKHOUND_MONITOR_ACTIVE' });
  a.stop();
  a.stop();
  assert.equal(a.running, false);
  assert.equal(a.sampler.running, false);
  assert.equal(a.snapshot(), null);
  assert.equal(a.refused.at(-1).reason, 'stopped');
  const b = monitor({ dir, intervalMs: 1000 });
  b.stop();
  assert.throws(() => monitor({ signal: 'SIGUSR2' }), /dir is required/);
  assert.throws(() => monitor({ dir, signal: 'SIGKILL' }), /signal must be one of/);
  assert.throws(() => monitor({ dir: path.join(dir, 'nope'), onLeak: true }), { code: 'ENOENT' });
});

test('monitor: signals arriving during a snapshot are rate limited, not lost or fatal', async (t) => {
  const dir = tempDir(t);
  // The child ends shortly after its first refusal (or after 20 s, which fails the test).
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const lh = require('./');
       const keep = Array.from({ length: 3e5 }, (_, i) => ({ i, s: 'v' + i }));
       const m = lh.monitor({ dir: ${JSON.stringify(dir)}, signal: 'SIGUSR2', minIntervalMs: 60000 });
       const end = () => { m.stop(); console.log('end', keep.length > 0); };
       const safety = setTimeout(end, 20000);
       m.on('snapshot', (e) => console.log('snapshot', e.trigger));
       m.on('refused', (e) => {
         console.log('refused', e.trigger, e.reason);
         if (e.reason === 'rate-limit') { clearTimeout(safety); setTimeout(end, 300); }
       });
       console.log('ready');`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  let stream = null;
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('ready') && stream === null) {
      // A stream of signals, every 100 ms until one is refused: the first starts a (synchronous)
      // snapshot, the next ones arrive during it (the kernel may merge those) and after it.
      stream = setInterval(() => child.kill('SIGUSR2'), 100);
    }
    // Stopped before the child stops its monitor: after that a SIGUSR2 would end it.
    if (out.includes('refused signal rate-limit')) clearInterval(stream);
  });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(stream);
  assert.equal(code, 0, err);
  const lines = out.trim().split('\n');
  assert.equal(lines.filter((l) => l === 'snapshot signal').length, 1, out);
  assert.ok(lines.filter((l) => l === 'refused signal rate-limit').length >= 1, out);
  assert.equal(lines.at(-1), 'end true');
  const written = files(dir);
  assert.equal(written.length, 1);
  assert.equal(fs.statSync(path.join(dir, written[0])).mode & 0o777, 0o600);
});

test('monitor: near the heap limit V8 writes a private snapshot before the process dies', async (t) => {
  const dir = tempDir(t);
  const r = spawnSync(
    process.execPath,
    [
      '--max-old-space-size=48',
      '-e',
      `require(${JSON.stringify(root)}).monitor({ nearHeapLimit: true });
       const keep = []; for (;;) keep.push({ payload: new Array(64).fill(keep.length) });`,
    ],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  assert.notEqual(r.status, 0, 'the process ran out of heap');
  const snaps = files(dir).filter((f) => f.endsWith('.heapsnapshot'));
  assert.equal(snaps.length, 1, r.stderr.slice(0, 2000));
  const file = path.join(dir, snaps[0]);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const snap = await loadSnapshot(file);
  const objects = snap.summary().find((c) => c.name === 'Object');
  assert.ok(objects.count > 50_000, `${objects?.count} Objects in the snapshot`);
});
