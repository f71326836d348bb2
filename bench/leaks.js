#!/usr/bin/env node
// npm run bench:leaks — three-snapshot leak finding on a ~60 MB and a ~350 MB
// set (3 files each), leakhound against memlab, side by side in one run:
//   leakhound     `bin/leakhound find-leaks B T F --json`, the command npm installs: the
//                 native tool (bin/leakhound-native, built by npm install)
//   memlab 2.0.5  `memlab find-leaks --baseline B --target T --final F
//                 --trace-all-objects`; set MEMLAB_DIR to a directory where
//                 memlab is npm-installed (skipped when unset)
// Targets: leakhound >= 20x faster than memlab on 3 x ~60 MB and >= 25x on
// 3 x ~350 MB; leakhound's peak RSS <= 1.3x the largest file of the set.
//
// More leakhound rows (informational, no targets):
//   `in Node`          the library's findLeaks in a Node program
//   `summary FINAL`    the full load of final: parse, graph, dominators
//   `diff BASE TARGET` the two id-only parses
// Then, per planted class, the leaked count each tool reports against the
// count the generator planted (bench/make-leak-snapshots.js).
//
// Sets are generated into bench/out/ (git-ignored) on first use. Wall time and
// peak RSS come from GNU time (`apt-get install time`); each tool runs 3 times
// per set (`--runs N`), reporting its best time and highest peak RSS, and the
// load averages are printed since the machine may be shared.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { bestOf, runsFromArgv } = require('./best-of');
const { makeLeakSnapshots } = require('./make-leak-snapshots');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const GENERATOR = path.join(__dirname, 'make-leak-snapshots.js');
const NATIVE = path.join(ROOT, 'bin', process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');
const CLI = NATIVE;
// The library as a Node program calls it (findLeaks in-process).
const LIBRARY = `require(${JSON.stringify(ROOT)}).findLeaks({ baseline: process.argv[1], target: process.argv[2], final: process.argv[3] }).then((r) => process.stdout.write(JSON.stringify(r)))`;
const MB = 1 << 20;
const GNU_TIME = '/usr/bin/time';
const RUN_TIMEOUT_MS = 60 * 60 * 1000;

const SETS = [
  { name: 'leaks-60mb', mb: 60, target: 20 },
  { name: 'leaks-350mb', mb: 350, target: 25 },
];
const ROLES = ['baseline', 'target', 'final'];

function ensureSet({ name, mb }) {
  const dir = path.join(OUT, name);
  const files = ROLES.map((r) => path.join(dir, `${r}.heapsnapshot`));
  const expectedFile = path.join(dir, 'expected.json');
  if (!fs.existsSync(expectedFile) || !files.every((f) => fs.existsSync(f))) {
    console.error(`generating ${path.relative(ROOT, dir)}/ (3 x ~${mb} MB) ...`);
    makeLeakSnapshots(dir, mb);
  }
  return { dir, files, expected: JSON.parse(fs.readFileSync(expectedFile, 'utf8')).expected };
}

// ---------------------------------------------------------------- the tools
const leakhound = {
  name: 'leakhound find-leaks',
  lh: true,
  cmd: CLI,
  args: ([b, t, f]) => ['find-leaks', b, t, f, '--json'],
};
const lhNode = { name: '  leakhound in Node', cmd: process.execPath, args: ([b, t, f]) => ['-e', LIBRARY, b, t, f] };
const lhFinal = { name: '  lh summary final', cmd: CLI, args: ([, , f]) => ['summary', f, '--json', '--top', '20'] };
const lhLight = { name: '  lh diff base target', cmd: CLI, args: ([b, t]) => ['diff', b, t, '--json', '--top', '20'] };

function memlab() {
  const dir = process.env.MEMLAB_DIR;
  if (!dir) {
    console.error('skipping memlab 2.0.5: set MEMLAB_DIR to a directory with memlab@2.0.5 npm-installed');
    return null;
  }
  // memlab's bin has `#!/usr/bin/env node --expose-gc ...`, which Linux's env
  // takes as one program name (it hangs re-executing itself): run it with node.
  const bin = require.resolve('@memlab/cli/bin/memlab.js', { paths: [path.resolve(dir)] });
  return {
    name: 'memlab find-leaks',
    cmd: process.execPath,
    // Its whole final graph is JS objects; give it room to finish.
    args: ([b, t, f], workDir) => [
      '--expose-gc', '--max-old-space-size=16384', bin, 'find-leaks',
      '--baseline', b, '--target', t, '--final', f,
      // Without this memlab only reports detached DOM / React Fiber nodes.
      '--trace-all-objects',
      '--work-dir', workDir,
    ],
  };
}

// ---------------------------------------------------------------- measuring
// Wall seconds, peak RSS (MiB) and stdout of one run; GNU time writes to its
// own file so the tool's output stays clean. Each run gets a fresh temp dir
// (memlab's work dir) that is removed afterwards.
function measure(tool, files) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-bench-leaks-'));
  const report = path.join(tmp, 'time');
  const stdout = path.join(tmp, 'stdout');
  const out = fs.openSync(stdout, 'w');
  try {
    const r = spawnSync(GNU_TIME, ['-f', '%e %M', '-o', report, tool.cmd, ...tool.args(files, tmp)], {
      stdio: ['ignore', out, 'pipe'],
      timeout: RUN_TIMEOUT_MS,
      maxBuffer: 256 * MB,
    });
    fs.closeSync(out);
    if (r.status !== 0) {
      const tail = String(r.stderr || '').trim().split('\n').slice(-3).join('\n  ');
      return { error: `exit ${r.status ?? r.signal}${tail ? `:\n  ${tail}` : ''}` };
    }
    const [secs, kib] = fs.readFileSync(report, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    const leaksTxt = path.join(tmp, 'data', 'out', 'leaks.txt');
    return {
      secs,
      rssMb: kib / 1024,
      stdout: fs.readFileSync(stdout, 'utf8'),
      leaksTxt: fs.existsSync(leaksTxt) ? fs.readFileSync(leaksTxt, 'utf8') : '',
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function warmCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 * MB);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}

// ------------------------------------------------------- leak-group counts
// Planted closures are told apart by source line in leakhound (it names every
// closure "(closure)" and groups by location) and by function name in memlab.
function closureLines() {
  const src = fs.readFileSync(GENERATOR, 'utf8').split('\n');
  const lines = {};
  src.forEach((l, i) => {
    const m = /function (sessionTick|onRequest|poll)\(/.exec(l);
    if (m) lines[i + 1] = m[1];
  });
  return lines;
}

// leakhound: class -> count, including groups folded into alsoRetains.
// Folded closures carry no location, so they are only counted in '(closure)*'.
function leakhoundCounts(report) {
  const byLine = closureLines();
  const counts = {};
  const add = (k, n) => (counts[k] = (counts[k] || 0) + n);
  for (const g of report.leaks) {
    if (g.type === 'closure') {
      const planted = g.location && g.location.script === GENERATOR && byLine[g.location.line];
      add(planted || g.name, g.count);
      add('(closure)*', g.count);
    } else add(g.name, g.count);
    for (const a of g.alsoRetains || []) {
      add(a.type === 'closure' ? '(closure)*' : a.name, a.count);
      if (a.type === 'closure') add(`  folded in ${g.name}`, a.count);
    }
  }
  return counts;
}

// memlab: the "Alive objects allocated in target page" console.table (class,
// type, count; top 20 by retained size) is its only per-class count; its
// leak clusters (data/out/leaks.txt) group whole retainer traces, with the
// trace's last node as the leaked object.
function memlabCounts(stdout) {
  const counts = {};
  for (const line of stdout.split('\n')) {
    const cells = line.split('│').map((c) => c.trim());
    if (cells.length < 5 || !/^\d+$/.test(cells[1])) continue;
    const [name, type, count] = [cells[2], cells[3], cells[4]].map((c) => c.replace(/^'|'$/g, ''));
    counts[name] = (counts[name] || 0) + Number(count);
    if (type === 'closure') counts['(closure)*'] = (counts['(closure)*'] || 0) + Number(count);
  }
  return counts;
}

function memlabClusters(leaksTxt) {
  const clusters = [];
  for (const block of leaksTxt.split('--Similar leaks in this run: ').slice(1)) {
    const count = Number(block.split('--')[0]);
    const nodes = [...block.matchAll(/\[([^\]]*)\] \(([^)]*)\) @(\d+)/g)];
    const last = nodes[nodes.length - 1];
    clusters.push({ count, name: last ? last[1] : '?', type: last ? last[2] : '?', hops: nodes.length });
  }
  return clusters;
}

// ---------------------------------------------------------------- printing
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const row = (cells, widths) => cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' ');
const TIMING = [22, 12, 9, 14, 12, 13];

function compare(set, expected, lh, ml) {
  const planted = [...Object.keys(expected), '(closure)*'];
  expected = { ...expected, '(closure)*': expected.sessionTick + expected.onRequest + expected.poll };
  const extra = Object.keys(lh || {}).filter((k) => !planted.includes(k));
  const widths = [22, 9, 10, 8, 8];
  console.log(`\n${set}: leaked count per planted class (leakhound counts alsoRetains; * = all closures)`);
  console.log(row(['class', 'planted', 'leakhound', 'memlab', 'agree'], widths));
  for (const k of [...planted, ...extra]) {
    const e = expected[k] ?? '';
    // A planted closure folded into another group has no location: say so.
    const folded = lh && Object.values(closureLines()).includes(k) && Object.keys(lh).some((x) => x.startsWith('  folded'));
    const a = lh ? lh[k] ?? (folded ? 'folded' : 0) : '-';
    const b = ml ? ml[k] ?? 0 : '-';
    const verdict = e === '' ? '' : [lh && a === e ? 'lh' : '', ml && b === e ? 'ml' : ''].filter(Boolean).join('+') || 'none';
    console.log(row([k, e, a, b, verdict], widths));
  }
}

function main() {
  const runs = runsFromArgv();
  if (!fs.existsSync(GNU_TIME)) {
    console.error(`${GNU_TIME} not found: install GNU time (apt-get install time)`);
    process.exit(2);
  }
  if (!fs.existsSync(NATIVE)) {
    console.error(`${path.relative(ROOT, NATIVE)} is missing: build it with npm run build`);
    process.exit(2);
  }
  const sets = SETS.map((s) => ({ ...s, ...ensureSet(s) }));
  const ml = memlab();
  const tools = [leakhound, lhNode, lhFinal, lhLight, ml].filter(Boolean);

  console.log(`\nthree-snapshot leak finding; ${os.cpus().length} cores, best of ${runs} runs, load ${load()}`);
  console.log(row(['tool', 'set', 'wall s', 'peak RSS MiB', 'RSS/largest', 'vs leakhound'], TIMING));
  const verdicts = [];
  const groups = [];
  for (const set of sets) {
    const largest = Math.max(...set.files.map((f) => fs.statSync(f).size)) / MB;
    for (const f of set.files) warmCache(f);
    let base = null;
    const found = {};
    for (const tool of tools) {
      const m = bestOf(runs, () => measure(tool, set.files));
      if (m.error) {
        console.log(`${pad(tool.name, TIMING[0])} ${lpad(set.name, TIMING[1])}  failed: ${m.error}`);
        continue;
      }
      if (tool.lh) base = m;
      printTiming(tool, set, m, base, largest);
      if (tool === leakhound) {
        found.lh = leakhoundCounts(JSON.parse(m.stdout));
        const ok = m.rssMb <= 1.3 * largest;
        verdicts.push(`${ok ? 'ok  ' : 'MISS'} ${set.name}: leakhound peak RSS ${(m.rssMb / largest).toFixed(2)}x the largest file (target <= 1.3x)`);
      }
      if (tool === ml) {
        found.ml = memlabCounts(m.stdout);
        found.clusters = memlabClusters(m.leaksTxt);
        if (base) {
          const speedup = m.secs / base.secs;
          verdicts.push(`${speedup >= set.target ? 'ok  ' : 'MISS'} ${set.name}: leakhound ${speedup.toFixed(1)}x faster than memlab (target >= ${set.target}x)`);
        }
      }
    }
    groups.push({ set, found });
  }
  console.log(`load after: ${load()}`);
  if (verdicts.length) console.log(`\n${verdicts.join('\n')}`);

  for (const { set, found } of groups) {
    compare(set.name, set.expected, found.lh, found.ml);
    if (found.clusters) {
      const shown = found.clusters.slice(0, 8).map((c) => `${c.count} x ${c.name} (${c.type}), ${c.hops}-node trace`);
      console.log(`memlab leak clusters (${found.clusters.length}): ${shown.join('; ')}`);
    }
  }
}

function printTiming(tool, set, m, base, largest) {
  console.log(
    row(
      [
        tool.name,
        set.name,
        m.secs.toFixed(2),
        m.rssMb.toFixed(0),
        (m.rssMb / largest).toFixed(2),
        base ? `${(m.secs / base.secs).toFixed(1)}x` : '-',
      ],
      TIMING,
    ),
  );
}

main();
