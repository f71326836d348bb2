#!/usr/bin/env node
// npm run bench:real-leaks [-- --json] [case ...]
// Judges leak finders on the real leaks in cases/ (README.md): for each case, the leaky and the
// fixed version of the package, through
//   assertNoLeak    leakhound in process: warm-up 5, 20 + 20 iterations
//   find-leaks      `bin/leakhound find-leaks B T F --json` on three snapshots written by the
//                   same driver (warm-up 5, baseline, 20 iterations, target, 20, final)
//   memlab          memlab 2.0.5 `find-leaks` on the same snapshots, with default options and
//                   with --trace-all-objects
// A leaky row is right when the tool reports a leak (for leakhound: a group matching the case's
// expect.group, a multiple of the iterations, with expect.edges on its path); a fixed row is
// right when it reports none.
// Every driver runs in a child process of its own, so one case's heap never shows in another's.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const CASES = path.join(__dirname, 'cases');
const CLI = path.join(ROOT, 'bin', process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');
const MEMLAB = path.join(ROOT, 'node_modules', '@memlab', 'cli', 'bin', 'memlab.js');
const ITERATIONS = 20;
const WARMUP = 5;
const CHILD_TIMEOUT_MS = 10 * 60 * 1000;
const MB = 1 << 20;

// ------------------------------------------------------------ child side: the drivers
async function startCase(caseName, version) {
  const dir = path.join(CASES, caseName);
  const spec = require(path.join(dir, 'case.js'));
  return spec.start(require(require.resolve(version, { paths: [dir] })));
}

// assertNoLeak's verdict and groups, as JSON on stdout.
async function childAssert(caseName, version) {
  const { assertNoLeak } = require(ROOT);
  const h = await startCase(caseName, version);
  const t0 = performance.now();
  let report = null;
  try {
    await assertNoLeak((i) => h.iteration(i), { iterations: ITERATIONS, warmup: WARMUP });
  } catch (e) {
    if (!e.report) throw e;
    report = e.report;
  }
  const ms = performance.now() - t0;
  await h.close();
  return { ms, leaks: report ? report.leaks.map(groupSummary) : [] };
}

// Baseline, target and final snapshots of the same driver, as files in `dir`.
async function childSnapshots(caseName, version, dir) {
  const v8 = require('node:v8');
  const h = await startCase(caseName, version);
  let i = 0;
  const run = async (n) => {
    for (const end = i + n; i < end; i++) await h.iteration(i);
  };
  // The same settling assertNoLeak does not get here: full GCs and a turn of the event loop,
  // so closed sockets and finished timers are gone before each snapshot.
  const settle = async () => {
    for (let k = 0; k < 3; k++) {
      global.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await run(WARMUP);
  for (const [role, n] of [['baseline', 0], ['target', ITERATIONS], ['final', ITERATIONS]]) {
    await run(n);
    await settle();
    v8.writeHeapSnapshot(path.join(dir, `${role}.heapsnapshot`));
  }
  await h.close();
  return {};
}

// What the table and the JSON need of a leak group: headline (class, a closure's function, the
// user class it keeps alive), count, and the edges of its path on to that class.
function groupSummary(g) {
  const trace = g.trace || [];
  const fn = g.type === 'closure' ? g.functionName : undefined;
  const edges = [...trace.map((s) => s.edge), ...(g.holdsVia || [])];
  return { name: g.name, functionName: fn, holds: g.holds, type: g.type, count: g.count, edges };
}

// ------------------------------------------------------------ parent side: the runs
function installed(caseName) {
  const dir = path.join(CASES, caseName);
  if (!fs.existsSync(path.join(dir, 'node_modules'))) {
    console.error(`installing ${caseName} ...`);
    const r = spawnSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm ci failed for ${caseName}`);
  }
  return require(path.join(dir, 'case.js'));
}

// Runs this file as a driver child; its last stdout line is the JSON result.
function driver(mode, args) {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, mode, ...args], {
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 64 * MB,
  });
  if (r.status !== 0) return { error: failure(r) };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function failure(r) {
  const tail = String(r.stderr || '').trim().split('\n').slice(-2).join(' | ');
  return `exit ${r.status ?? r.signal}${tail ? `: ${tail}` : ''}`;
}

// Wall milliseconds and stdout of one tool run.
function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, maxBuffer: 256 * MB });
  const ms = performance.now() - t0;
  return r.status === 0 ? { ms, stdout: r.stdout } : { ms, error: failure(r) };
}

function findLeaks(files) {
  const r = timed(CLI, ['find-leaks', ...files, '--json']);
  if (r.error) return r;
  return { ms: r.ms, leaks: JSON.parse(r.stdout).leaks.map(groupSummary) };
}

// memlab as bench/leaks.js runs it: under node (its shebang passes flags env cannot split), with
// its own work dir. Its leak clusters are in data/out/leaks.txt, one trace each, the leaked
// object last.
function memlab(files, traceAll) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'real-leaks-memlab-'));
  try {
    const [b, t, f] = files;
    const args = ['--expose-gc', MEMLAB, 'find-leaks', '--baseline', b, '--target', t, '--final', f, '--work-dir', work];
    const r = timed(process.execPath, traceAll ? [...args, '--trace-all-objects'] : args);
    if (r.error) return r;
    const txt = path.join(work, 'data', 'out', 'leaks.txt');
    return { ms: r.ms, leaks: memlabClusters(fs.existsSync(txt) ? fs.readFileSync(txt, 'utf8') : '') };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function memlabClusters(leaksTxt) {
  return leaksTxt
    .split('--Similar leaks in this run: ')
    .slice(1)
    .map((block) => {
      const nodes = [...block.matchAll(/\[([^\]]*)\] \(([^)]*)\) @\d+/g)];
      const last = nodes[nodes.length - 1];
      return { name: last ? last[1] : '?', type: last ? last[2] : '?', count: Number(block.split('--')[0]) };
    });
}

// The first group of a leakhound report that is the expected one: named by expect.group, a
// multiple of the iterations, with expect.edges in order on its path. -1 when there is none.
function expectedGroup(leaks, expect) {
  const re = new RegExp(expect.group);
  return leaks.findIndex(
    (g) =>
      (re.test(g.name) || re.test(g.functionName || '') || re.test(g.holds || '')) &&
      g.count % ITERATIONS === 0 &&
      inOrder(g.edges, expect.edges),
  );
}

function inOrder(edges, wanted) {
  let k = 0;
  for (const e of edges) if (k < wanted.length && e === wanted[k]) k++;
  return k === wanted.length;
}

function runVersion(caseName, spec, version) {
  const row = { case: caseName, package: spec.package, version, semver: spec[version] };
  row.assertNoLeak = driver('--child-assert', [caseName, version]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'real-leaks-snapshots-'));
  try {
    const snap = driver('--child-snapshots', [caseName, version, dir]);
    const files = ['baseline', 'target', 'final'].map((r) => path.join(dir, `${r}.heapsnapshot`));
    if (snap.error) {
      row.findLeaks = row.memlab = row.memlabAll = snap;
    } else {
      row.findLeaks = findLeaks(files);
      row.memlab = memlab(files, false);
      row.memlabAll = memlab(files, true);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const tool of ['assertNoLeak', 'findLeaks']) {
    if (row[tool].leaks) row[tool].expectedGroup = expectedGroup(row[tool].leaks, spec.expect);
  }
  return row;
}

// ------------------------------------------------------------ printing
// "clean", or the number of groups and one of them, "3: onSocketClose() x20": the expected one
// when there is one, else the largest. Then whether the verdict is right: on a leaky row
// leakhound must report the expected group (memlab only has to report something); on a fixed
// row every tool must report nothing.
function verdict(r, version) {
  if (!r) return '-';
  if (r.error) return `failed (${r.error.slice(0, 60)})`;
  const expected = r.expectedGroup === undefined ? 0 : r.expectedGroup;
  const right = version === 'fixed' ? !r.leaks.length : r.leaks.length > 0 && expected >= 0;
  if (!r.leaks.length) return `clean ${right ? 'ok' : 'MISS'}`;
  const g = r.leaks[Math.max(expected, 0)];
  const name = (g.functionName !== undefined ? `${g.functionName || '(anonymous)'}()` : g.name).concat(g.holds ? ` holding ${g.holds}` : '').slice(0, 56);
  return `${r.leaks.length}: ${name} x${g.count} ${right ? 'ok' : version === 'fixed' ? 'FALSE' : 'WRONG'}`;
}

const secs = (r) => (r && r.ms !== undefined ? `${(r.ms / 1000).toFixed(1)}s` : '');

function printTable(rows) {
  const header = ['case', 'version', 'assertNoLeak', 's', 'find-leaks', 's', 'memlab', 's', 'memlab --trace-all', 's'];
  const cells = rows.map((r) => [
    r.case,
    `${r.version} ${r.semver}`,
    verdict(r.assertNoLeak, r.version),
    secs(r.assertNoLeak),
    verdict(r.findLeaks, r.version),
    secs(r.findLeaks),
    verdict(r.memlab, r.version),
    secs(r.memlab),
    verdict(r.memlabAll, r.version),
    secs(r.memlabAll),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  console.log('\nok: right verdict; MISS: leak not reported; WRONG: reported, but not expect.group with');
  console.log('expect.edges on its path (leakhound); FALSE: a leak reported on the fixed version');
}

function main() {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const named = argv.filter((a) => !a.startsWith('--'));
  const all = fs.readdirSync(CASES).filter((d) => fs.existsSync(path.join(CASES, d, 'case.js')));
  const unknown = named.filter((n) => !all.includes(n));
  if (unknown.length) {
    console.error(`unknown case(s): ${unknown.join(', ')}; cases: ${all.join(', ')}`);
    process.exit(2);
  }
  const rows = [];
  for (const caseName of named.length ? named : all) {
    const spec = installed(caseName);
    for (const version of ['leaky', 'fixed']) {
      rows.push(runVersion(caseName, spec, version));
    }
  }
  if (json) console.log(JSON.stringify(rows, null, 2));
  else printTable(rows);
}

const CHILDREN = { '--child-assert': childAssert, '--child-snapshots': childSnapshots };
if (CHILDREN[process.argv[2]]) {
  CHILDREN[process.argv[2]](...process.argv.slice(3)).then(
    // Exit at once: a case may leave timers or handles behind, by design of its leak.
    (result) => {
      process.stdout.write(`\n${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main();
}
