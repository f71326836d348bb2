'use strict';
// assertNoLeak(fn): the three-snapshot method inside this process. Warm up, snapshot (baseline),
// run `iterations` times, snapshot (target), run `iterations` times again, snapshot (final).
// Snapshots stream straight into the Rust core; no file is written. What `fn` leaks shows up as
// groups of objects allocated between baseline and target, still alive in final, at least one
// per iteration. One-off allocations (lazy initialisation, a cache filled during warm-up) do not
// scale with the iterations and are not reported.
//
// Calls take turns: one call's allocations would show up in another's snapshots. A call that
// times out or is aborted gives up its turn at once and stops allocation tracking.
const native = require('./native');
const check = require('./validate');
const { settle } = require('./settle');
const { captureSnapshot, captureLightSnapshot, newLightStream, kNative } = require('./snapshot');
const { reportError, snapshotError } = require('./errors');

const DEFAULT_TIMEOUT_MS = 120_000;
const noop = () => {};

// Allocation tracking, so leak groups can name the allocating stack, goes through one inspector
// session, connected on first use and never disconnected: HeapProfiler.disable (which a
// disconnect implies) clears V8's heap object ids for the whole process, so snapshots taken
// before and after would no longer match. stopTrackingHeapObjects keeps the ids; it streams a
// snapshot through the session first, which serves as the final snapshot.
let session = null;
// The call whose allocation tracking is on, and its requests to start and stop, one at a time:
// a call abandoned while its start is on the way must not switch off the next call's tracking.
let owner = null;
let trackingTurns = Promise.resolve();

function post(method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

function inTurn(step) {
  const done = trackingTurns.then(step);
  trackingTurns = done.catch(noop);
  return done;
}

/** Switches tracking on for `call`, unless it was abandoned before its turn came. */
function startTracking(call) {
  return inTurn(async () => {
    if (call.abandoned) return;
    if (session === null) {
      session = new (require('node:inspector').Session)();
      session.connect();
      await post('HeapProfiler.enable');
    }
    await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    owner = call;
  });
}

/**
 * Switches `call`'s tracking off now (nothing if another call's is on); with `keep`, resolves to
 * the snapshot V8 takes on the way, analysed, or null when `call` had no tracking on. Called
 * from the call's own frame: from a promise job, the job's promise (a stack root while V8 takes
 * the snapshot) would lead through the call's suspended frame to what `fn` leaked.
 */
function stopTracking(call, keep) {
  if (owner !== call) return Promise.resolve(null);
  owner = null;
  return stopTrackingHeapObjects(keep);
}

/** stopTracking for an abandoned call: after a start of its that is still on its way. */
function stopTrackingInTurn(call) {
  return inTurn(() => stopTracking(call, false));
}

// Apart from the call, so the chunk listener that is alive while the final snapshot is taken
// does not lead to the call's promises, and through them to what `fn` leaked.
async function stopTrackingHeapObjects(keep) {
  if (!keep) return void (await post('HeapProfiler.stopTrackingHeapObjects'));
  const stream = new native.SnapshotStream(false);
  const onChunk = (m) => stream.push(Buffer.from(m.params.chunk));
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await post('HeapProfiler.stopTrackingHeapObjects');
  } finally {
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  return stream.finish(native.newLoadProgress());
}

class Abandoned extends Error {}

// Its own frame, so nothing `fn` returns lingers in assertNoLeak's suspended registers. Calls
// are numbered on from `from` across warm-up and both rounds, so `fn(i)` can make unique keys.
async function repeat(fn, from, times, call) {
  for (let i = from; i < from + times; i++) {
    // An abandoned call never calls `fn` again, and one whose `fn` resolves late stops here:
    // not in the next call's turn.
    if (call.abandoned) throw new Abandoned();
    await fn(i);
  }
  if (call.abandoned) throw new Abandoned();
}

function readOptions(opts) {
  const where = 'assertNoLeak()';
  const o = check.options(where, opts);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: signal must be an AbortSignal, got ${check.describe(o.signal)}`);
  }
  return {
    iterations: check.integer(where, 'iterations', o.iterations, 2, 1_000_000, 20),
    warmup: check.integer(where, 'warmup', o.warmup, 0, 1_000_000, 5),
    tracking: check.boolean(where, 'trackAllocations', o.trackAllocations, false),
    timeoutMs: check.integer(where, 'timeoutMs', o.timeoutMs, 1, 2 ** 31 - 1, DEFAULT_TIMEOUT_MS),
    signal: o.signal,
  };
}

function abortError(signal) {
  const err = new Error('assertNoLeak(): aborted (signal); allocation tracking, if on, was stopped', { cause: signal.reason });
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

let queue = Promise.resolve();

async function assertNoLeak(fn, opts) {
  if (typeof fn !== 'function') throw new TypeError(`assertNoLeak(): expected a function, got ${check.describe(fn)}`);
  const o = readOptions(opts);
  if (o.signal?.aborted) throw abortError(o.signal);
  const call = { abandoned: false, disarm: noop };
  const work = queue.then(() => (call.abandoned ? null : hunt(fn, o, call)));
  const outcome = abandonable(work, o, call);
  // The next call's turn starts when this one settles, abandoned or not.
  queue = outcome.then(noop, noop);
  return outcome;
}

/**
 * `work`, or a rejection once `timeoutMs` pass or `signal` aborts, after tracking is off. The
 * call disarms both before its final snapshot: reachable from a global (the timer list, a test
 * runner's signal), they would become the retainer path of whatever `fn` leaks, through the
 * caller's pending await.
 */
function abandonable(work, { timeoutMs, signal }, call) {
  return new Promise((resolve, reject) => {
    const abandon = async (err) => {
      disarm();
      call.abandoned = true;
      // In turn after a start still on its way, so the next call starts with tracking off.
      await stopTrackingInTurn(call).catch(noop);
      reject(err);
    };
    const timer = setTimeout(() => {
      const err = new Error(`assertNoLeak(): timed out after ${timeoutMs} ms (timeoutMs); allocation tracking, if on, was stopped`);
      err.code = 'ERR_LEAKHOUND_TIMEOUT';
      abandon(err);
    }, timeoutMs);
    const onAbort = () => abandon(abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const disarm = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    call.disarm = disarm;
    // Once abandoned, the call's outcome is the abandonment's: whatever the work ends with
    // (its own stop at the next step, or a result that came too late) is dropped.
    work.then(
      (report) => call.abandoned || (disarm(), resolve(report)),
      (err) => call.abandoned || (disarm(), reject(err)),
    );
  });
}

async function hunt(fn, { iterations, warmup, tracking }, call) {
  // Made before the baseline: allocated later, they would be new objects that survive to final.
  const baseline = newLightStream();
  const target = newLightStream();
  if (tracking) await startTracking(call);
  try {
    // Each step stops an abandoned call: nothing of it runs in the next call's turn.
    const step = async (work) => {
      if (call.abandoned) throw new Abandoned();
      await work;
      if (call.abandoned) throw new Abandoned();
    };
    await step(repeat(fn, 0, warmup, call));
    await step(settle());
    await step(captureLightSnapshot(baseline));
    await step(repeat(fn, warmup, iterations, call));
    await step(settle());
    await step(captureLightSnapshot(target));
    await step(repeat(fn, warmup + iterations, iterations, call));
    await step(settle());
    call.disarm();
    const final = (await stopTracking(call, true)) ?? (await captureSnapshot())[kNative]();

    let found;
    try {
      // Off the JavaScript thread: the final snapshot's graph is as large as the heap.
      found = await native.findLeaksInSnapshots(baseline, target, final, iterations);
    } catch (err) {
      throw snapshotError(err);
    } finally {
      // The final heap's graph is as large as the heap: give it back now, not at some GC.
      final.dispose();
    }
    const leaks = found.leaks;
    const collections = found.collections.filter((c) => c.added >= iterations);
    const { leakedObjects, survivingObjects, belowCount, heapSize } = found;
    const report = { leaks, collections, leakedObjects, survivingObjects, belowCount, heapSize, iterations };
    if (leaks.length > 0) throw reportError(report);
    return report;
  } finally {
    await stopTracking(call, false);
  }
}

module.exports = { assertNoLeak };
