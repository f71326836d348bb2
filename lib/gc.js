'use strict';
// Forced garbage collection without --expose-gc.
//
// V8 installs its `gc` function in every context created while the --expose-gc flag is set.
// We set the flag just long enough to create one private context, keep that context's `gc`,
// and put the flag back: the main context's globalThis.gc is never touched.
const v8 = require('node:v8');
const vm = require('node:vm');
const { performance } = require('node:perf_hooks');
const check = require('./validate');
const native = require('./native');

let v8gc = null;

function flagAlreadyOn() {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)];
  return typeof globalThis.gc === 'function' || args.some((a) => a === '--expose-gc' || a === '--expose_gc');
}

function v8GcFunction() {
  if (v8gc) return v8gc;
  const keepFlag = flagAlreadyOn();
  // Flags are per process: worker threads doing this at the same time must take turns.
  v8gc = native.withProcessLock(() => {
    v8.setFlagsFromString('--expose-gc');
    try {
      return vm.runInNewContext('gc');
    } finally {
      if (!keepFlag) v8.setFlagsFromString('--no-expose-gc');
    }
  });
  return v8gc;
}

const heapUsed = () => v8.getHeapStatistics().used_heap_size;

function result(before, start) {
  const after = heapUsed();
  return {
    heapUsedBefore: before,
    heapUsedAfter: after,
    freed: Math.max(0, before - after),
    durationMs: performance.now() - start,
  };
}

/**
 * Runs a garbage collection. Sync by default; `execution: 'async'` runs it from a fresh task, with
 * no JavaScript frames on the stack, so objects referenced only from the caller's frames die too.
 */
function gc(opts) {
  const o = check.options('gc()', opts);
  const type = check.oneOf('gc()', 'type', o.type, ['major', 'minor'], 'major');
  const execution = check.oneOf('gc()', 'execution', o.execution, ['sync', 'async'], 'sync');
  const collect = v8GcFunction();
  const before = heapUsed();
  const start = performance.now();
  if (execution === 'async') {
    return Promise.resolve(collect({ type, execution })).then(() => result(before, start));
  }
  // Node 20's V8 reads any options object in a sync call as "minor": a bare call is the
  // portable way to ask for a full mark-compact.
  if (type === 'major') collect();
  else collect({ type });
  return result(before, start);
}

/**
 * A major GC from a fresh macrotask, for settle(): like V8's async execution, no caller frames
 * are on the stack, but the finalizer tasks it causes run sooner (measured ~0.6 ms per round).
 */
function majorGcAsync() {
  const collect = v8GcFunction();
  return new Promise((resolve) => {
    setImmediate(() => {
      collect();
      resolve();
    });
  });
}

module.exports = { gc, majorGcAsync };
