import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { loadSnapshot, captureSnapshot, diffSnapshots, SnapshotError, HeapSnapshot } from '../index.js';
import { root } from './helpers.mjs';

const require = createRequire(import.meta.url);
let dir;
const file = (name) => path.join(dir, name);

function writeSnapshots(fixture, ...names) {
  const r = spawnSync(process.execPath, [path.join(root, '__test__', 'fixtures', fixture), ...names.map(file)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-snapshot-'));
  writeSnapshots('plant-leaks.js', 'before.heapsnapshot', 'after.heapsnapshot');
  writeSnapshots('plant-weak-and-strong.js', 'weak.heapsnapshot');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The first node of the snapshot JSON with this type and name (read directly, independently of leakhound). */
function findNodes(snapshotFile, type, name) {
  const j = JSON.parse(fs.readFileSync(snapshotFile, 'utf8'));
  const fields = j.snapshot.meta.node_fields;
  const types = j.snapshot.meta.node_types[0];
  const [t, n, id] = ['type', 'name', 'id'].map((f) => fields.indexOf(f));
  const ids = [];
  for (let i = 0; i < j.nodes.length; i += fields.length) {
    if (types[j.nodes[i + t]] === type && j.strings[j.nodes[i + n]] === name) ids.push(j.nodes[i + id]);
  }
  return ids;
}

test('retained sizes and dominators equal memlab 2.0.5 for every node', { timeout: 120_000 }, async () => {
  const { getFullHeapFromFile } = require('@memlab/heap-analysis');
  for (const name of ['after.heapsnapshot', 'weak.heapsnapshot']) {
    const ours = await loadSnapshot(file(name));
    const theirs = await getFullHeapFromFile(file(name));
    let compared = 0;
    const mismatches = [];
    theirs.nodes.forEach((node) => {
      const mine = ours.node(node.id);
      compared++;
      // memlab makes the root its own dominator; leakhound gives the root none.
      const dom = node.dominatorNode && node.dominatorNode.id !== node.id ? node.dominatorNode.id : undefined;
      if (!mine || mine.retainedSize !== node.retainedSize || mine.dominatorId !== dom) {
        if (mismatches.length < 5) mismatches.push({ id: node.id, memlab: [node.retainedSize, dom], ours: mine && [mine.retainedSize, mine.dominatorId] });
      }
    });
    assert.equal(compared, ours.nodeCount, `${name}: same node count`);
    assert.deepEqual(mismatches, [], `${name}: every node's retained size and dominator match memlab`);
  }
});

test('class summary counts planted objects; retained sizes do not double count', async () => {
  const snap = await loadSnapshot(file('after.heapsnapshot'));
  assert.ok(snap.nodeCount > 10_000 && snap.edgeCount > snap.nodeCount && snap.totalSize > 1_000_000);
  const rows = snap.summary();
  const foo = rows.find((r) => r.name === 'Foo');
  assert.deepEqual({ type: foo.type, count: foo.count }, { type: 'object', count: 500 });
  assert.equal(rows.find((r) => r.name === 'Session').count, 120);
  assert.ok(foo.retainedSize >= foo.selfSize);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].retainedSize >= rows[i].retainedSize, 'sorted by retained size');
  const total = rows.reduce((s, r) => s + r.selfSize, 0);
  assert.equal(total, snap.totalSize, 'self sizes add up to the snapshot total');
  assert.equal(snap.summary({ top: 3 }).length, 3);
  assert.throws(() => snap.summary({ top: 0 }), TypeError);
});

test('retainer path of a planted object names the global variable, the index and the closure location', async () => {
  const snapFile = file('after.heapsnapshot');
  const snap = await loadSnapshot(snapFile);
  const [fooId] = findNodes(snapFile, 'object', 'Foo');
  const steps = snap.retainerPath(fooId);
  const edges = steps.map((s) => s.edge);
  assert.ok(edges.includes('leakyFoos'), `path goes through the global: ${edges.join(' → ')}`);
  assert.match(steps.at(-1).edge, /^\[\d+\]$/);
  assert.equal(steps.at(-1).id, fooId);
  assert.equal(steps.at(-1).className, 'Foo');
  assert.equal(steps.at(-2).className, 'Array');

  const [handlerId] = findNodes(snapFile, 'closure', 'handleMessage');
  const handlerPath = snap.retainerPath(handlerId);
  assert.ok(handlerPath.map((s) => s.edge).includes('sessionCache'));
  const last = handlerPath.at(-1);
  assert.equal(last.edge, 'onMessage');
  assert.ok(last.location.script.endsWith('plant-leaks.js'), last.location.script);
  assert.equal(last.location.line, 13, 'the line of `function handleMessage`');

  const node = snap.node(fooId);
  assert.deepEqual({ className: node.className, type: node.type, id: node.id }, { className: 'Foo', type: 'object', id: fooId });
  assert.ok(node.retainedSize >= node.selfSize && node.selfSize > 0);
  assert.equal(node.dominatorId, steps.at(-2).id, 'the array dominates the Foo it alone holds');
  assert.equal(snap.node(0xfffffff0), null);
  assert.throws(() => snap.retainerPath(0xfffffff0), { name: 'RangeError', message: /no object with id/ });
  assert.throws(() => snap.retainerPath('1'), TypeError);

  // The async twin, on a snapshot no path was asked of yet (it walks the graph off the
  // JavaScript thread), gives the same paths, and reports the walk's memory to V8.
  const fresh = await loadSnapshot(snapFile);
  const before = fresh.nativeBytes;
  const pending = fresh.retainerPathAsync(fooId);
  assert.ok(pending instanceof Promise);
  assert.deepEqual(await pending, steps);
  assert.deepEqual(await fresh.retainerPathAsync(handlerId), handlerPath);
  assert.ok(fresh.nativeBytes > before, 'the distances are kept and counted');
  await assert.rejects(fresh.retainerPathAsync(0xfffffff0), { name: 'RangeError', message: /retainerPathAsync\(\): no object with id/ });
  await assert.rejects(fresh.retainerPathAsync(-1), TypeError);
  fresh.dispose();
  await assert.rejects(fresh.retainerPathAsync(fooId), { code: 'ERR_LEAKHOUND_DISPOSED' });
});

test('diff by object id counts exactly what the process allocated between snapshots', async () => {
  const rows = await diffSnapshots(file('before.heapsnapshot'), file('after.heapsnapshot'), { onProgress() {}, progressIntervalMs: 10 });
  const foo = rows.find((r) => r.name === 'Foo');
  assert.deepEqual(
    { added: foo.addedCount, removed: foo.removedCount, before: foo.countBefore, after: foo.countAfter, delta: foo.countDelta },
    { added: 500, removed: 0, before: 0, after: 500, delta: 500 },
  );
  assert.equal(rows.find((r) => r.name === 'Session').addedCount, 120);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].sizeDelta >= rows[i].sizeDelta, 'sorted by size growth');
  await assert.rejects(diffSnapshots(file('before.heapsnapshot')), TypeError);
});

test('captureSnapshot analyses the live heap through the stream, without writing a file', async () => {
  class Captured {}
  globalThis.capturedObjects = Array.from({ length: 777 }, () => new Captured());
  const filesBefore = fs.readdirSync(process.cwd()).filter((f) => f.endsWith('.heapsnapshot'));
  const progress = [];
  const snap = await captureSnapshot({ onProgress: (p) => progress.push(p), progressIntervalMs: 10 });
  assert.ok(snap instanceof HeapSnapshot);
  assert.equal(snap.summary().find((r) => r.name === 'Captured').count, 777);
  assert.deepEqual(fs.readdirSync(process.cwd()).filter((f) => f.endsWith('.heapsnapshot')), filesBefore);
  delete globalThis.capturedObjects;
  assert.throws(() => new HeapSnapshot(), TypeError);
});

test('bad input gets a SnapshotError with its kind, file and byte offset, never a crash', async () => {
  const good = fs.readFileSync(file('before.heapsnapshot'));
  const write = (name, data) => {
    fs.writeFileSync(file(name), data);
    return file(name);
  };
  // [file, kind, byte offset (undefined: none), message]
  const cases = [
    [file('missing.heapsnapshot'), 'io', undefined, /missing\.heapsnapshot.*No such file/],
    [dir, 'io', undefined, /Is a directory/],
    [write('empty.heapsnapshot', ''), 'syntax', 0, /empty\.heapsnapshot.*byte 0/],
    [write('garbage.heapsnapshot', 'not json at all'), 'syntax', 0, /garbage\.heapsnapshot.*byte 0/],
    [write('other.heapsnapshot', '{"name": "leakhound", "version": "1.0.0"}'), 'data', undefined, /other\.heapsnapshot.*snapshot/],
    [write('array.heapsnapshot', '[1, 2, 3]'), 'syntax', 0, /array\.heapsnapshot/],
  ];
  for (const at of [1, 100, 5000, Math.floor(good.length / 2), good.length - 2]) {
    cases.push([write(`cut-${at}.heapsnapshot`, good.subarray(0, at)), 'syntax', at, new RegExp(`cut-${at}\\.heapsnapshot.*byte ${at}`)]);
  }
  for (const [p, kind, offset, message] of cases) {
    await assert.rejects(loadSnapshot(p), (e) => {
      assert.ok(e instanceof SnapshotError, p);
      assert.deepEqual([e.kind, e.code, e.file, e.offset], [kind, `ERR_LEAKHOUND_SNAPSHOT_${kind.toUpperCase()}`, p, offset], p);
      assert.match(e.message, message);
      return true;
    });
  }
  await assert.rejects(loadSnapshot(42), TypeError);
  await assert.rejects(loadSnapshot(file('before.heapsnapshot'), { onProgress: 'x' }), TypeError);
  await assert.rejects(diffSnapshots(file('before.heapsnapshot'), file('missing.heapsnapshot')), /missing\.heapsnapshot/);
  await assert.rejects(
    loadSnapshot((async function* () {
      yield good.subarray(0, 1000);
    })()),
    (e) => e instanceof SnapshotError && /byte \d+/.test(e.message),
  );
});

test('summary breaks closures down by function, with name and location', async () => {
  // Two functions' closures, 300 and 200 of them, held by a global of this process.
  const make = (i) => function onTick() { return i; };
  const other = (i) => () => i + 1;
  globalThis.closureRows = [...Array.from({ length: 300 }, (_, i) => make(i)), ...Array.from({ length: 200 }, (_, i) => other(i))];
  const snap = await captureSnapshot();
  delete globalThis.closureRows;
  const rows = snap.summary().filter((r) => r.type === 'closure');
  assert.ok(rows.every((r) => r.name === '(closure)' && typeof r.functionName === 'string'), 'every closure row names its function');
  const onTick = rows.find((r) => r.functionName === 'onTick' && r.location?.script.endsWith('snapshot.test.mjs'));
  assert.ok(onTick, rows.slice(0, 10).map((r) => r.functionName).join(', '));
  assert.ok(onTick.count >= 300, `${onTick.count} onTick closures`);
  const arrow = rows.find((r) => r.functionName === '' && r.location?.script.endsWith('snapshot.test.mjs') && r.count >= 200);
  assert.ok(arrow, 'the anonymous arrow has a row of its own');
  assert.notEqual(arrow.location.line, onTick.location.line);
  snap.dispose();
});

test("the addon's own failures reach JavaScript as SnapshotErrors of kind internal, not io", async () => {
  const native = require('../lib/native.js');
  const { kNative } = require('../lib/snapshot.js');
  const { snapshotError } = require('../lib/errors.js');
  const last = await loadSnapshot(file('after.heapsnapshot'));
  // Streams never fed: a broken internal protocol, which a user cannot cause.
  const err = await native.findLeaksInSnapshots(new native.SnapshotStream(true), new native.SnapshotStream(true), last[kNative](), 1).then(
    () => null,
    (e) => snapshotError(e),
  );
  assert.ok(err instanceof SnapshotError);
  assert.deepEqual([err.kind, err.code, err.message], ['internal', 'ERR_LEAKHOUND_SNAPSHOT_INTERNAL', 'a light snapshot stream is not finished']);
  // A source stream that fails is an I/O problem.
  const failing = (async function* () {
    yield Buffer.from('{"snapshot":');
    throw new Error('connection reset');
  })();
  await assert.rejects(loadSnapshot(failing), (e) => e instanceof SnapshotError && e.kind === 'io' && e.message === 'connection reset');
});

// Node 26 writes negative lines and columns in a snapshot's locations for code compiled with
// negative offsets, as module runners (Vitest's, Jest's) compile their wrappers; older Nodes write
// none, and there the snapshot simply loads.
test('a snapshot of code compiled at negative line and column offsets loads, its closures located', async () => {
  const vm = await import('node:vm');
  const script = new vm.Script('(function wrappedByARunner() { return function innerOfTheModule() {} })', {
    filename: 'runner-module.js',
    lineOffset: -2,
    columnOffset: -40,
  });
  globalThis.__negativeOffsets = script.runInThisContext()();
  try {
    const snap = await captureSnapshot();
    try {
      const inner = snap.summary().find((c) => c.type === 'closure' && c.functionName === 'innerOfTheModule');
      assert.ok(inner, 'the closure is in the summary');
      assert.equal(inner.location.script, 'runner-module.js');
      // Lines and columns are 1-based here; a negative one reads as the script's start.
      assert.ok(inner.location.line >= 1 && inner.location.column >= 1, JSON.stringify(inner.location));
    } finally {
      snap.dispose();
    }
  } finally {
    delete globalThis.__negativeOffsets;
  }
});
