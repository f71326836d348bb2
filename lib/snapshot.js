'use strict';
// Heap snapshots: loading, analysis and diffs run in the Rust core on libuv's thread pool; this
// layer validates arguments, feeds streams and wraps results.
const path = require('node:path');
const v8 = require('node:v8');
const native = require('./native');
const check = require('./validate');
const { SnapshotError, snapshotError, emitWarning } = require('./errors');

const created = Symbol('leakhound.snapshot');
// Lets other leakhound modules reach the native snapshot without exposing it to users.
const kNative = Symbol('leakhound.nativeSnapshot');

class HeapSnapshot {
  #native;

  constructor(token, nativeSnapshot) {
    if (token !== created) throw new TypeError('HeapSnapshot is created by loadSnapshot() or captureSnapshot()');
    this.#native = nativeSnapshot;
  }

  [kNative]() {
    return this.#live();
  }

  #live() {
    if (this.#native.disposed) {
      const err = new Error('HeapSnapshot: this snapshot was disposed; load it again to query it');
      err.code = 'ERR_LEAKHOUND_DISPOSED';
      throw err;
    }
    return this.#native;
  }

  get nodeCount() {
    return this.#live().nodeCount;
  }

  get edgeCount() {
    return this.#live().edgeCount;
  }

  /** Sum of every object's self size, in bytes. */
  get totalSize() {
    return this.#live().totalSize;
  }

  /** Native memory the analysed snapshot holds, in bytes (reported to V8 as external memory). */
  get nativeBytes() {
    return this.#native.nativeBytes;
  }

  get disposed() {
    return this.#native.disposed;
  }

  /** Frees the native memory now instead of at garbage collection; later queries throw. */
  dispose() {
    this.#native.dispose();
  }

  [Symbol.dispose]() {
    this.dispose();
  }

  /** Per class: { name, type, count, selfSize, retainedSize, bufferSize }, largest retained size first. */
  summary(opts) {
    const o = check.options('summary()', opts);
    const top = check.integer('summary()', 'top', o.top, 1, 2 ** 31 - 1, undefined);
    return this.#live().summary(top);
  }

  /** Objects marked as WeakMap keys whose values are strings starting with `prefix`: [{ marker, id }]. */
  markedObjects(prefix) {
    if (typeof prefix !== 'string' || prefix === '') throw new TypeError('markedObjects(): prefix must be a non-empty string');
    return this.#live().markedObjects(prefix);
  }

  /** One object: { id, name, type, className, selfSize, retainedSize, dominatorId }, or null. */
  node(nodeId) {
    const id = check.integer('node()', 'nodeId', nodeId, 0, 0xffffffff, undefined);
    if (id === undefined) throw new TypeError('node(): nodeId is required');
    return this.#live().node(id) ?? null;
  }

  /**
   * The shortest path from a GC root to the object with this id (weak edges skipped, internal
   * edges avoided), as steps { edge, edgeType, name, type, className, id, selfSize, retainedSize,
   * location? }. null when the object is unreachable; RangeError when no object has the id.
   */
  retainerPath(nodeId) {
    return this.#live().retainerPath(this.#nodeId('retainerPath()', nodeId));
  }

  /**
   * The same, off the JavaScript thread: the first path of a snapshot walks the whole graph,
   * which on a large heap would hold up the event loop. Resolves to what retainerPath returns.
   * With `{ without: [ids] }`, the path runs through none of those objects (null if every path
   * does): how to ask whether anything but a known holder keeps an object alive. With
   * `{ realm: true }`, the path to a realm's global object: through the realm's native context
   * (skipped by default), which is how the global is reached when only the realm's functions are
   * held from outside, and not through WeakMap entries (drawn whether or not the map is alive).
   */
  async retainerPathAsync(nodeId, opts) {
    const where = 'retainerPathAsync()';
    const id = this.#nodeId(where, nodeId);
    const o = check.options(where, opts);
    const without = o.without;
    if (without !== undefined && !(Array.isArray(without) && without.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff))) {
      throw new TypeError(`${where}: without must be an array of object ids, got ${check.describe(without)}`);
    }
    const realm = check.boolean(where, 'realm', o.realm, false);
    const native = this.#live();
    const steps = await native.retainerPathAsync(id, without, realm);
    // The walk's distances are kept for later paths: V8 hears of their memory.
    if (!native.disposed) native.reportMemory();
    return steps;
  }

  #nodeId(where, nodeId) {
    const id = check.integer(where, 'nodeId', nodeId, 0, 0xffffffff, undefined);
    if (id === undefined) throw new TypeError(`${where}: nodeId is required`);
    if (!this.#live().hasNode(id)) throw new RangeError(`${where}: no object with id ${id} in this snapshot`);
    return id;
  }
}

function progressReporter(o, progress) {
  const onProgress = o.onProgress;
  if (onProgress === undefined) return () => {};
  if (typeof onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${check.describe(onProgress)}`);
  }
  const every = check.integer('onProgress', 'progressIntervalMs', o.progressIntervalMs, 10, 60_000, 200);
  const timer = setInterval(() => {
    try {
      onProgress({ bytes: progress.bytes, phase: progress.phase });
    } catch (err) {
      // Called from a timer, a throw would end the process mid-load: the load goes on without
      // progress reports, and the error is surfaced as a warning.
      clearInterval(timer);
      emitWarning('onProgress threw and is no longer called', err);
    }
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

async function feed(stream, source) {
  for await (const chunk of source) {
    stream.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  return stream;
}

async function loadFromStream(source, progress) {
  return (await feed(new native.SnapshotStream(false), source)).finish(progress);
}

/**
 * This process's heap, nodes only (ids, classes, sizes): enough for a baseline or target. Read
 * into `stream`, a light stream made beforehand (`newLightStream()`), which keeps the result: a
 * hunt makes both of its streams before its baseline, so nothing of leakhound's own that
 * outlives a snapshot is allocated between baseline and final.
 */
async function captureLightSnapshot(stream) {
  try {
    await feed(stream, v8.getHeapSnapshot());
    await stream.finishLight();
  } catch (err) {
    throw snapshotError(err);
  }
}

const newLightStream = () => new native.SnapshotStream(true);

/**
 * Loads and analyses a snapshot: `source` is a file path, or a stream / async iterable of chunks
 * (such as `v8.getHeapSnapshot()`), analysed without touching disk. Parsing, the graph and the
 * dominator tree are built off the JS thread.
 */
async function loadSnapshot(source, opts) {
  const o = check.options('loadSnapshot()', opts);
  const progress = native.newLoadProgress();
  const stop = progressReporter(o, progress);
  try {
    let loaded;
    if (typeof source === 'string') loaded = await native.loadSnapshotFile(path.resolve(source), progress);
    else if (source != null && typeof source[Symbol.asyncIterator] === 'function') loaded = await loadFromStream(source, progress);
    else throw new TypeError(`loadSnapshot(): expected a file path or a stream of chunks, got ${check.describe(source)}`);
    return new HeapSnapshot(created, loaded);
  } catch (err) {
    throw err instanceof TypeError ? err : snapshotError(err);
  } finally {
    stop();
  }
}

/**
 * Snapshots this process's heap and analyses it, streaming V8's output straight into the parser.
 * Like any heap snapshot it pauses the event loop while V8 walks the heap.
 */
function captureSnapshot(opts) {
  return loadSnapshot(v8.getHeapSnapshot(), opts);
}

/**
 * Per-class growth between two snapshot files, by object id; largest size growth first.
 * `onProgress` sees the bytes of both files parsed so far.
 */
async function diffSnapshots(before, after, opts) {
  for (const [name, value] of [['before', before], ['after', after]]) {
    if (typeof value !== 'string') throw new TypeError(`diffSnapshots(): ${name} must be a file path, got ${check.describe(value)}`);
  }
  const o = check.options('diffSnapshots()', opts);
  const progress = native.newLoadProgress();
  const stop = progressReporter(o, progress);
  try {
    return await native.diffSnapshotFiles(path.resolve(before), path.resolve(after), progress);
  } catch (err) {
    throw snapshotError(err);
  } finally {
    stop();
  }
}

/**
 * Three-snapshot leak isolation: objects allocated between `baseline` and `target` that still
 * exist in `final`, grouped by class (closures by source location), each group with its count,
 * retained size and a representative retainer path. Resolves to { leaks, collections,
 * leakedObjects, heapSize }, plus `classDiff` (per class, baseline to final) when asked for.
 */
async function findLeaks(paths, opts) {
  if (paths === null || typeof paths !== 'object') {
    throw new TypeError(`findLeaks(): expected { baseline, target, final } file paths, got ${check.describe(paths)}`);
  }
  for (const name of ['baseline', 'target', 'final']) {
    if (typeof paths[name] !== 'string') throw new TypeError(`findLeaks(): ${name} must be a file path, got ${check.describe(paths[name])}`);
  }
  const o = check.options('findLeaks()', opts);
  const classDiff = check.boolean('findLeaks()', 'classDiff', o.classDiff, false);
  const progress = native.newLoadProgress();
  const stop = progressReporter(o, progress);
  try {
    const { baseline, target, final } = paths;
    return await native.findLeaksInFiles(path.resolve(baseline), path.resolve(target), path.resolve(final), progress, classDiff);
  } catch (err) {
    throw snapshotError(err);
  } finally {
    stop();
  }
}

module.exports = {
  HeapSnapshot,
  SnapshotError,
  loadSnapshot,
  captureSnapshot,
  captureLightSnapshot,
  newLightStream,
  diffSnapshots,
  findLeaks,
  kNative,
};
