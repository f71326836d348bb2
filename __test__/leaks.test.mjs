import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findLeaks, loadSnapshot, diffSnapshots, SnapshotError } from '../index.js';
import { root } from './helpers.mjs';

const ITERATIONS = 60; // per phase, as in fixtures/leak-patterns.js
let dir;
const snaps = (mode) => ({
  baseline: path.join(dir, `${mode}-baseline.heapsnapshot`),
  target: path.join(dir, `${mode}-target.heapsnapshot`),
  final: path.join(dir, `${mode}-final.heapsnapshot`),
});

function writePattern(mode, name = mode, flags = []) {
  const s = snaps(name);
  const r = spawnSync(process.execPath, [...flags, path.join(root, '__test__', 'fixtures', 'leak-patterns.js'), mode, s.baseline, s.target, s.final], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-leaks-'));
  for (const mode of ['map-cache', 'listeners', 'timer', 'global-array', 'clean']) writePattern(mode);
  // V8's compiled tiers may allocate without telling the allocation tracker (Node 20's, even
  // with --max-opt=0, depending on heap layout); --jitless keeps every allocation traced.
  writePattern('listeners', 'listeners-tracked', ['--track-heap-objects', '--jitless']);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The group reporting `name` (or the group that folded it in), with the count it reports. */
function groupOf(report, name) {
  for (const g of report.leaks) {
    if (g.name === name) return { group: g, count: g.count };
    const folded = g.alsoRetains.find((a) => a.name === name);
    if (folded) return { group: g, count: folded.count };
  }
  return null;
}

test('a Map cache that grows per request is found with the right count and path', async () => {
  const report = await findLeaks(snaps('map-cache'));
  const { group, count } = groupOf(report, 'CacheEntry');
  assert.equal(count, ITERATIONS);
  assert.equal(report.leaks[0], group, 'the biggest leak is the cache');
  const edges = group.trace.map((s) => s.edge);
  assert.ok(edges.includes('cache') || edges.includes('table'), edges.join(' > '));
  assert.equal(group.trace.at(-1).className, 'CacheEntry');
  const [map] = report.collections;
  assert.deepEqual([map.name, map.added], ['Map', ITERATIONS], 'the cache is reported as a growing Map');
  assert.equal(map.trace.at(-1).edge, 'cache');
  assert.ok(group.location.script.endsWith('leak-patterns.js'), 'constructor location');
  assert.ok(group.retainedSize >= group.selfSize);
});

test('listeners left on a long-lived EventEmitter: the closures, grouped by source location, holding the requests', async () => {
  const report = await findLeaks(snaps('listeners'));
  const { group, count } = groupOf(report, '(closure)');
  assert.equal(count, ITERATIONS);
  assert.equal(group.type, 'closure');
  assert.ok(group.location.script.endsWith('leak-patterns.js'));
  assert.equal(group.location.line, 44, 'where `function onConfig` is defined');
  // Each Request holds a string of its own (its body): leaked with it, folded into it.
  assert.deepEqual(group.alsoRetains.map((a) => [a.name, a.count]), [['Request', ITERATIONS], ['string', ITERATIONS]]);
  const edges = group.trace.map((s) => s.edge);
  assert.ok(edges.includes('_events') && edges.includes('config'), edges.join(' > '));
  const [listenerArray] = report.collections;
  assert.deepEqual([listenerArray.name, listenerArray.added, listenerArray.trace.at(-1).edge], ['Array', ITERATIONS, 'config']);
});

test('with allocation tracking, each group names the stack that allocated it', async () => {
  const tracked = await findLeaks(snaps('listeners-tracked'));
  const { group } = groupOf(tracked, '(closure)');
  assert.equal(group.count, ITERATIONS);
  const [inner] = group.allocation;
  assert.equal(inner.functionName, 'listeners', JSON.stringify(group.allocation));
  assert.ok(inner.script.endsWith('leak-patterns.js'));
  // V8 records functions, not call sites: the frame is where `listeners` is defined (1-based).
  const source = fs.readFileSync(path.join(root, '__test__', 'fixtures', 'leak-patterns.js'), 'utf8').split('\n');
  const line = source.findIndex((l) => /^\s*listeners: \(i\) =>/.test(l));
  assert.deepEqual([inner.line, inner.column], [line + 1, source[line].indexOf('(i)') + 1]);
  const untracked = await findLeaks(snaps('listeners'));
  assert.equal(groupOf(untracked, '(closure)').group.allocation, undefined);
});

test('a closure kept by a forgotten timer is found through the Timeout that holds it', async () => {
  const report = await findLeaks(snaps('timer'));
  assert.equal(groupOf(report, 'Session').count, ITERATIONS);
  assert.equal(groupOf(report, 'Timeout').count, ITERATIONS);
  const closure = groupOf(report, '(closure)');
  assert.equal(closure.count, ITERATIONS);
  const folded = closure.group.alsoRetains.find((a) => a.type === 'closure');
  assert.equal(folded.functionName, 'refreshSession', 'folded closures keep their name');
  assert.ok(folded.location.script.endsWith('leak-patterns.js'));
  assert.equal(folded.location.line, 51);
  assert.equal(report.leaks.length, 1, 'one root cause: timers, sessions and closures fold into one group');
});

test('a growing global array is found with its global name on the path', async () => {
  const report = await findLeaks(snaps('global-array'));
  const { group, count } = groupOf(report, 'Record');
  assert.equal(count, ITERATIONS);
  assert.deepEqual(
    group.trace.slice(-2).map((s) => [s.edge.replace(/\d+/, 'i'), s.className]),
    [['records', 'Array'], ['[i]', 'Record']].slice(-2),
  );
  assert.deepEqual(report.collections.map((c) => [c.name, c.added, c.trace.at(-1).edge]), [['Array', ITERATIONS, 'records']]);
});

test('a workload that allocates and drops the same objects reports no leak', async () => {
  const report = await findLeaks(snaps('clean'));
  assert.deepEqual(report.leaks, []);
  assert.deepEqual(report.collections, []);
  assert.equal(report.leakedObjects, 0);
});

test('snapshots in the wrong order or from different processes are refused with a clear message', async () => {
  const timer = snaps('timer');
  await assert.rejects(
    findLeaks({ baseline: timer.final, target: timer.target, final: timer.baseline }),
    (e) => e instanceof SnapshotError && e.code === 'ERR_LEAKHOUND_SNAPSHOT_INCOMPATIBLE' && e.reason === 'wrong-order' && /wrong order/.test(e.message),
  );
  await assert.rejects(
    findLeaks({ baseline: timer.baseline, target: timer.target, final: snaps('clean').final }),
    (e) => e instanceof SnapshotError && e.reason === 'different-processes' && /not come from the same process/.test(e.message),
  );
  // A snapshot whose layout differs, as one written by another V8 version would.
  const other = path.join(dir, 'other-v8.heapsnapshot');
  const json = JSON.parse(fs.readFileSync(timer.baseline, 'utf8'));
  json.snapshot.meta.node_types[0].push('future type');
  fs.writeFileSync(other, JSON.stringify(json));
  await assert.rejects(
    findLeaks({ baseline: other, target: timer.target, final: timer.final }),
    (e) => e instanceof SnapshotError && e.reason === 'different-versions' && /written by different V8 versions \(their node types differ\)/.test(e.message),
  );
  await assert.rejects(findLeaks({ baseline: timer.baseline, target: timer.target }), TypeError);
  await assert.rejects(findLeaks('x'), TypeError);
  await assert.rejects(
    findLeaks({ ...timer, final: path.join(dir, 'missing.heapsnapshot') }),
    (e) => e instanceof SnapshotError && e.kind === 'io' && e.file === path.join(dir, 'missing.heapsnapshot') && /missing\.heapsnapshot/.test(e.message),
  );
});

test('leakhound find-leaks prints the groups, or a LeakReport with --json', async () => {
  const s = snaps('listeners');
  const cli = (...args) => spawnSync(process.execPath, [path.join(root, 'bin', 'leakhound.js'), 'find-leaks', ...args], { encoding: 'utf8' });
  const text = cli(s.baseline, s.target, s.final);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^180 leaked objects in 1 group\n/);
  assert.match(text.stdout, /#1 60 × onConfig\(\) closures holding Request \(via context\.request\) at .*leak-patterns\.js:44:\d+, retaining [\d.]+ kB/);
  assert.match(text.stdout, /also retains: 60 × Request, 60 × string/);
  assert.match(text.stdout, /Growing collections:\n\nArray @\d+ grew by 60 entries/);
  const json = JSON.parse(cli(s.baseline, s.target, s.final, '--json').stdout);
  assert.deepEqual(Object.keys(json).sort(), ['belowCount', 'collections', 'heapSize', 'leakedObjects', 'leaks', 'survivingObjects']);
  // heapSize is the final snapshot's: what a group's share is a share of.
  assert.equal(json.heapSize, (await loadSnapshot(s.final)).totalSize);
  // Closure groups also name their function, and a group keeping a user class alive says
  // which, and through which edges.
  assert.deepEqual(Object.keys(json.leaks[0]).sort(), [
    'alsoRetains', 'bufferSize', 'count', 'functionName', 'holds', 'holdsVia', 'location', 'name', 'representativeId', 'retainedSize', 'selfSize', 'trace', 'type',
  ]);
  assert.equal(json.leaks[0].holds, 'Request');
  assert.deepEqual(json.leaks[0].holdsVia, ['context', 'request']);
  const clean = snaps('clean');
  const verdict = cli(clean.baseline, clean.target, clean.final).stdout;
  assert.match(verdict, /^No leaks/);
  // It says what it left out, rather than claiming that nothing survived.
  const cleanJson = JSON.parse(cli(clean.baseline, clean.target, clean.final, '--json').stdout);
  assert.ok(Number.isInteger(cleanJson.survivingObjects), JSON.stringify(cleanJson));
  assert.match(
    verdict,
    cleanJson.survivingObjects > 0
      ? new RegExp(`^No leaks: ${cleanJson.survivingObjects.toLocaleString('en-US')} objects allocated between baseline and target survive in final, none of them the program's own`)
      : /^No leaks: nothing allocated between baseline and target survives in final\./,
  );
  assert.equal(cli(s.baseline, s.target).status, 2);
});

test('findLeaks({ classDiff }) gives the same per-class diff as diffSnapshots(baseline, final)', async () => {
  const s = snaps('map-cache');
  const report = await findLeaks(s, { classDiff: true });
  const sortKey = (d) => `${d.type}\u0000${d.name}`;
  const byClass = (rows) => [...rows].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  assert.deepEqual(byClass(report.classDiff), byClass(await diffSnapshots(s.baseline, s.final)));
  assert.equal((await findLeaks(s)).classDiff, undefined);
  await assert.rejects(findLeaks(s, { classDiff: 'yes' }), /classDiff must be a boolean/);
});

test('a group without an allocation stack says why: allocated before tracking started', async (t) => {
  // A process that leaks 100 objects, starts tracking allocations, then leaks 100 more, all
  // between baseline and target.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-late-tracking-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const code = `
    const v8 = require('v8'), path = require('path'), inspector = require('inspector');
    const session = new inspector.Session(); session.connect();
    const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
    (async () => {
      globalThis.kept = [];
      v8.writeHeapSnapshot(path.join(process.argv[1], 'baseline.heapsnapshot'));
      for (let i = 0; i < 100; i++) kept.push({ early: i });
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
      (function allocateLate() { for (let i = 0; i < 100; i++) kept.push({ late: i }); })();
      v8.writeHeapSnapshot(path.join(process.argv[1], 'target.heapsnapshot'));
      v8.writeHeapSnapshot(path.join(process.argv[1], 'final.heapsnapshot'));
      process.exit(0);
    })();`;
  const r = spawnSync(process.execPath, ['-e', code, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const file = (n) => path.join(dir, `${n}.heapsnapshot`);
  const report = await findLeaks({ baseline: file('baseline'), target: file('target'), final: file('final') });
  const early = report.leaks.find((g) => g.name === 'Object {early}');
  const late = report.leaks.find((g) => g.name === 'Object {late}');
  assert.equal(early?.count, 100);
  assert.equal(early.allocation, undefined);
  assert.equal(early.allocationMissing, 'allocated before allocation tracking started');
  assert.equal(late?.count, 100);
  assert.equal(late.allocation?.[0]?.functionName, 'allocateLate');
  assert.equal(late.allocationMissing, undefined);
});
