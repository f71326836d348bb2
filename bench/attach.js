#!/usr/bin/env node
// npm run bench:attach — leakhound on a running server with a ~350 MB heap (HEAP_MB to change
// it), side by side in one run:
//   1. One snapshot. `leakhound summary <host:port>`, from "snapshot requested" to "analysis
//      done", against the time V8 alone takes to write a snapshot of the same heap to a file
//      (v8.writeHeapSnapshot in the server). Target: at most 1.3x, since transfer and parsing
//      overlap V8's own writing. The client's peak RSS is set against the snapshot's size.
//   2. The hunt. `leakhound attach <host:port> --load … --save DIR` (three snapshots, two phases
//      of 200 requests), then the same three files analysed by `leakhound find-leaks` and by
//      `memlab find-leaks` (set MEMLAB_DIR to a directory where memlab is npm-installed).
// The server runs with its inspector open (--inspect=127.0.0.1:0), so the figures leave out
// opening it with SIGUSR1. Each measurement runs --runs N times (default 2), alternating with
// its anchor, and the best time and highest peak RSS are kept. Wall time and peak RSS come from
// GNU time (`apt-get install time`).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runsFromArgv } = require('./best-of');

const ROOT = path.join(__dirname, '..');
const NATIVE = path.join(ROOT, 'bin', 'leakhound-native');
const GNU_TIME = '/usr/bin/time';
const MB = 1e6;

/** Runs a command under GNU time: { secs, rssMb, stdout } or { error }. */
function timed(cmd, args) {
  const report = path.join(os.tmpdir(), `leakhound-bench-attach-${process.pid}.time`);
  const r = spawnSync(GNU_TIME, ['-f', '%e %M', '-o', report, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const [secs, kb] = fs.readFileSync(report, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  fs.rmSync(report, { force: true });
  if (r.status !== 0) return { error: `${path.basename(cmd)} exited ${r.status}: ${r.stderr.slice(-400)}` };
  return { secs, rssMb: (kb * 1024) / MB, stdout: r.stdout };
}

async function startServer() {
  const server = spawn(process.execPath, ['--inspect=127.0.0.1:0', path.join(__dirname, 'attach-target.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  server.stdout.setEncoding('utf8');
  server.stderr.setEncoding('utf8');
  let out = '';
  let err = '';
  server.stdout.on('data', (d) => (out += d));
  server.stderr.on('data', (d) => (err += d));
  while (!/port \d+ heap \d+/.test(out) || !/ws:\/\/127\.0\.0\.1:\d+/.test(err)) {
    await Promise.race([once(server.stdout, 'data'), once(server.stderr, 'data')]);
  }
  const [, port, heap] = /port (\d+) heap (\d+)/.exec(out);
  const inspector = /ws:\/\/(127\.0\.0\.1:\d+)/.exec(err)[1];
  /** V8 writes a snapshot of the server's heap to `file`; the milliseconds it took. */
  server.write = async (file) => {
    const before = out.length;
    server.stdin.write(`write ${file}\n`);
    while (!/wrote [\d.]+/.test(out.slice(before))) await once(server.stdout, 'data');
    return Number(/wrote ([\d.]+)/.exec(out.slice(before))[1]);
  };
  return { server, port: Number(port), heapMb: Number(heap), inspector };
}

function row(name, m, extra = '') {
  const figures = m.error ? m.error : `${m.secs.toFixed(1).padStart(7)} s ${m.rssMb.toFixed(0).padStart(7)} MB`;
  console.log(`${name.padEnd(34)} ${figures} ${extra}`);
}

async function main() {
  if (!fs.existsSync(GNU_TIME)) throw new Error('GNU time is needed: apt-get install time');
  if (!fs.existsSync(NATIVE)) throw new Error('no native build: npm install first');
  const runs = runsFromArgv(process.argv.includes('--runs') ? process.argv : [...process.argv, '--runs', '2']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-bench-attach-'));
  const { server, port, heapMb, inspector } = await startServer();
  try {
    console.log(`server: heap ${heapMb} MB in use, inspector at ${inspector}; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // 1. One snapshot, alternating with V8's own write.
    let v8Best = Infinity;
    let snapshotBytes = 0;
    let summary = null;
    for (let i = 0; i < runs; i++) {
      const file = path.join(dir, 'v8.heapsnapshot');
      v8Best = Math.min(v8Best, (await server.write(file)) / 1000);
      snapshotBytes = fs.statSync(file).size;
      fs.rmSync(file);
      const m = timed(NATIVE, ['summary', inspector, '--json', '--top', '5']);
      if (m.error || !summary || m.secs < summary.secs) summary = { ...m, rssMb: Math.max(m.rssMb ?? 0, summary?.rssMb ?? 0) };
    }
    console.log(`\nOne snapshot (${(snapshotBytes / MB).toFixed(0)} MB), best of ${runs}:`);
    row('V8 writes it to a file', { secs: v8Best, rssMb: NaN }, '(in the server)');
    row('leakhound summary <host:port>', summary, summary.error ? '' : `${(summary.secs / v8Best).toFixed(2)}x V8's write (target <= 1.3x); client peak ${(summary.rssMb / (snapshotBytes / MB)).toFixed(3)}x the snapshot`);

    // 2. The hunt, then the same three files from disk.
    const saved = path.join(dir, 'saved');
    fs.mkdirSync(saved);
    const loadCmd = `"${process.execPath}" "${path.join(ROOT, '__test__', 'fixtures', 'load.js')}" ${port} /leak 200`;
    const hunt = timed(NATIVE, ['attach', inspector, '--load', loadCmd, '--save', saved, '--json']);
    console.log('\nThe hunt (three snapshots, two phases of 200 requests):');
    row('leakhound attach --save', hunt, hunt.error ? '' : `top: ${JSON.parse(hunt.stdout).leaks[0].count} x ${JSON.parse(hunt.stdout).leaks[0].name}`);
    if (hunt.error) return;
    const files = ['baseline', 'target', 'final'].map((role) => fs.readdirSync(saved).find((f) => f.endsWith(`-${role}.heapsnapshot`))).map((f) => path.join(saved, f));
    const largest = Math.max(...files.map((f) => fs.statSync(f).size)) / MB;
    const fromFiles = timed(NATIVE, ['find-leaks', ...files, '--json']);
    row('leakhound find-leaks (files)', fromFiles, fromFiles.error ? '' : `peak ${(fromFiles.rssMb / largest).toFixed(2)}x the largest file (${largest.toFixed(0)} MB)`);
    if (!process.env.MEMLAB_DIR) {
      console.log('memlab find-leaks: skipped (set MEMLAB_DIR to a directory with memlab npm-installed)');
      return;
    }
    const memlab = require.resolve('@memlab/cli/bin/memlab.js', { paths: [path.resolve(process.env.MEMLAB_DIR)] });
    const work = path.join(dir, 'memlab-work');
    fs.mkdirSync(work);
    const [b, t, f] = files;
    const m = timed(process.execPath, ['--max-old-space-size=16384', memlab, 'find-leaks', '--baseline', b, '--target', t, '--final', f, '--trace-all-objects', '--work-dir', work]);
    row('memlab find-leaks (files)', m, m.error || fromFiles.error ? '' : `leakhound find-leaks ${(m.secs / fromFiles.secs).toFixed(1)}x faster; the whole hunt ${(m.secs / hunt.secs).toFixed(1)}x`);
  } finally {
    server.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
