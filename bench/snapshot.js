#!/usr/bin/env node
// npm run bench:snapshot — class summary with retained sizes of a ~60 MB and a
// ~350 MB snapshot, leakhound against the anchors, side by side in one run:
//   leakhound     `leakhound summary FILE --json --top 20` (the command-line tool npm install
//                 builds; `leakhound in Node` is the library's loadSnapshot in a Node
//                 program), and the `summary_bench` example (same core, per-phase times)
//   v8-heap-cli   Microsoft's Rust tool; set V8_HEAP_CLI to its `v8-heap` binary
//   memlab 2.0.5  set MEMLAB_DIR to a directory where memlab is npm-installed
// Targets: on the ~350 MB file leakhound is >= 5x faster than v8-heap-cli,
// and its peak RSS is <= 1.2x the file size.
//
//   node bench/snapshot.js          the two files, every tool that is set up
//   node bench/snapshot.js --big    a > 1 GB, > 2^24-node file, leakhound only
//
// Snapshots are generated into bench/out/ (git-ignored) on first use. Wall
// time and peak RSS come from GNU time (`apt-get install time`). Each tool runs
// 3 times per file (`--runs N`), reporting its best time and highest peak RSS;
// a busy machine shows up in the load averages printed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { bestOf, runsFromArgv } = require('./best-of');
const { makeSnapshot, nodeCount } = require('./make-snapshot');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const MB = 1 << 20;
const TOP = '20';
const GNU_TIME = '/usr/bin/time';
const RUN_TIMEOUT_MS = 30 * 60 * 1000;

const FILES = [
  { name: 'leaky-60mb.heapsnapshot', mb: 60 },
  { name: 'leaky-350mb.heapsnapshot', mb: 350 },
];
// 2^24 is where f32-indexed or 24-bit designs break; the workload has ~80 bytes
// of file per node, so this many nodes takes ~1.4 GB.
const BIG = { name: 'leaky-big.heapsnapshot', mb: 1100, minNodes: 2 ** 24 + 500_000 };

function ensureSnapshot({ name, mb, minNodes = 0 }) {
  const file = path.join(OUT, name);
  if (!fs.existsSync(file)) {
    console.error(`generating ${path.relative(ROOT, file)} (~${mb} MB) ...`);
    makeSnapshot(file, mb, minNodes);
  }
  return file;
}

// --------------------------------------------------------------- the tools
// The CLI as users run it, and the `summary_bench` example (the same core without Node, with
// per-phase times), built on first use.
function leakhound() {
  const cli = path.join(ROOT, 'bin', process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');
  // The library as a Node program calls it (loadSnapshot and summary in-process).
  const library = `require(${JSON.stringify(ROOT)}).loadSnapshot(process.argv[1]).then((s) => process.stdout.write(JSON.stringify(s.summary({ top: ${TOP} }))))`;
  const tools = [
    { name: 'leakhound', lh: true, cmd: cli, args: (f) => ['summary', f, '--json', '--top', TOP] },
    { name: 'leakhound in Node', lh: true, cmd: process.execPath, args: (f) => ['-e', library, f] },
  ];
  const exe = path.join(ROOT, 'target', 'release', 'examples', 'summary_bench');
  if (!fs.existsSync(exe)) {
    console.error('building crates/core/examples/summary_bench (cargo build --release -p leakhound-core --example summary_bench) ...');
    const r = spawnSync('cargo', ['build', '--release', '-p', 'leakhound-core', '--example', 'summary_bench'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cargo build of summary_bench failed');
  }
  tools.push({ name: 'leakhound core (example)', lh: true, cmd: exe, args: (f) => [f, TOP] });
  return tools;
}

function v8HeapCli() {
  const exe = process.env.V8_HEAP_CLI;
  if (!exe) return skip('v8-heap-cli', 'set V8_HEAP_CLI to the `v8-heap` binary of microsoft/vscode-v8-heap-tools');
  // Its default view is the DevTools-style class summary sorted by retained size.
  return { name: 'v8-heap-cli', cmd: exe, args: (f) => [f, '--top', TOP, '--format', 'json'] };
}

function memlab() {
  const dir = process.env.MEMLAB_DIR;
  if (!dir) return skip('memlab 2.0.5', 'set MEMLAB_DIR to a directory with memlab@2.0.5 npm-installed');
  return {
    name: 'memlab 2.0.5',
    cmd: process.execPath,
    // memlab keeps the whole graph as JS objects; give it room to finish.
    args: (f) => ['--max-old-space-size=16384', path.join(__dirname, 'memlab-summary.js'), f, TOP],
    env: { ...process.env, MEMLAB_DIR: path.resolve(dir) },
  };
}

function skip(name, why) {
  console.error(`skipping ${name}: ${why}`);
  return null;
}

// ---------------------------------------------------------- measuring
// Wall seconds and peak RSS (MiB) of one run, from GNU time's report file so
// the tool's own stderr stays separate.
function measure(tool, file) {
  const report = path.join(os.tmpdir(), `leakhound-bench-${process.pid}.time`);
  const r = spawnSync(GNU_TIME, ['-f', '%e %M', '-o', report, tool.cmd, ...tool.args(file)], {
    env: tool.env || process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 64 * MB,
  });
  const timed = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').trim().split('\n').pop() : '';
  fs.rmSync(report, { force: true });
  if (r.status !== 0) {
    const tail = String(r.stderr || '').trim().split('\n').slice(-3).join('\n  ');
    return { error: `exit ${r.status ?? r.signal}${tail ? `:\n  ${tail}` : ''}` };
  }
  const [secs, kib] = timed.split(' ').map(Number);
  return { secs, rssMb: kib / 1024 };
}

// Reads the file once so no tool pays for the first read from disk.
function warmCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 * MB);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function printRow(cells) {
  const widths = [25, 10, 9, 14, 10, 11, 10];
  console.log(cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' '));
}

function main() {
  const runs = runsFromArgv();
  if (!fs.existsSync(GNU_TIME)) {
    console.error(`${GNU_TIME} not found: install GNU time (apt-get install time)`);
    process.exit(2);
  }
  const big = process.argv.includes('--big');
  const specs = big ? [BIG] : FILES;
  const files = specs.map(ensureSnapshot);
  const tools = [...leakhound(), ...(big ? [] : [v8HeapCli(), memlab()])].filter(Boolean);

  console.log(`\nclass summary with retained sizes (top ${TOP}); ${os.cpus().length} cores, best of ${runs} runs, load ${load()}`);
  printRow(['tool', 'file MiB', 'seconds', 'peak RSS MiB', 'RSS/file', 'time vs lh', 'RSS vs lh']);
  const verdicts = [];
  for (const file of files) {
    const fileMb = fs.statSync(file).size / MB;
    warmCache(file);
    let base = null;
    for (const tool of tools) {
      const m = bestOf(runs, () => measure(tool, file));
      if (m.error) {
        console.log(`${pad(tool.name, 25)} ${lpad(fileMb.toFixed(0), 10)}  failed: ${m.error}`);
        continue;
      }
      // Ratios are against the first leakhound row, the CLI.
      if (tool.lh && !base) base = m;
      const ratio = (a, b) => (b ? `${(a / b).toFixed(2)}x` : '-');
      printRow([
        tool.name,
        fileMb.toFixed(0),
        m.secs.toFixed(2),
        m.rssMb.toFixed(0),
        (m.rssMb / fileMb).toFixed(2),
        ratio(m.secs, base?.secs),
        ratio(m.rssMb, base?.rssMb),
      ]);
      if (tool.lh) {
        const ok = m.rssMb <= 1.2 * fileMb;
        verdicts.push(`${ok ? 'ok  ' : 'MISS'} ${path.basename(file)}: ${tool.name} peak RSS ${(m.rssMb / fileMb).toFixed(2)}x the file (target <= 1.2x)`);
      }
      if (tool.name === 'v8-heap-cli' && base && fileMb > 200) {
        const speedup = m.secs / base.secs;
        verdicts.push(`${speedup >= 5 ? 'ok  ' : 'MISS'} ${path.basename(file)}: leakhound ${speedup.toFixed(1)}x faster than v8-heap-cli (target >= 5x)`);
      }
    }
    if (big) console.log(`  (${nodeCount(file)} nodes; 2^24 = ${2 ** 24})`);
  }
  console.log(`load after: ${load()}`);
  if (verdicts.length) console.log(`\n${verdicts.join('\n')}`);
}

main();
