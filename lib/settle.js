'use strict';
// settle(): major GCs interleaved with event-loop turns until the finalizers they caused have run.
//
// V8 runs FinalizationRegistry callbacks in tasks posted after a GC, one per dirty registry. To know
// when they have run (instead of guessing a number of ticks), every registry that has live entries
// gets a fresh "sentinel" object registered right before the GC; once each sentinel's callback has
// fired, that registry's cleanup for this GC is done.
const { majorGcAsync } = require('./gc');
const check = require('./validate');

const kArmSentinel = Symbol('leakhound.armSentinel');
const kFlush = Symbol('leakhound.flush');
const kLive = Symbol('leakhound.live');

// How long one round waits for sentinels before moving on (a safety net, not the normal path).
const SENTINEL_WAIT_MS = 2000;
// V8 runs one dirty registry's cleanup per event-loop turn; registries that are not ours get
// this many turns after ours are done (~0.01 ms each on an idle loop).
const FOREIGN_REGISTRY_TURNS = 16;
const DEFAULT_MAX_ROUNDS = 10;

let finalizedCount = 0;
const noteFinalized = () => {
  finalizedCount++;
};

// Trackers are held weakly: a tracker the user dropped must not be kept alive by this list.
const trackerRefs = new Set();
let pruneAt = 64;

function watch(tracker) {
  trackerRefs.add(new WeakRef(tracker));
  if (trackerRefs.size >= pruneAt) {
    liveTrackers(true);
    pruneAt = Math.max(64, trackerRefs.size * 2);
  }
}

function liveTrackers(all = false) {
  const out = [];
  for (const ref of trackerRefs) {
    const t = ref.deref();
    if (t === undefined) trackerRefs.delete(ref);
    else if (all || t[kLive]() > 0) out.push(t);
  }
  return out;
}

// A registry of our own, so even a settle with no tracker waits for one cleanup task to pass.
let ownFired = 0;
let ownArmed = 0;
const ownRegistry = new FinalizationRegistry(() => {
  ownFired++;
});
function armOwnSentinel() {
  const target = ++ownArmed;
  ownRegistry.register({}, 0);
  return () => ownFired >= target;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// Rounds whose sentinels did not all fire in time: each is SENTINEL_WAIT_MS lost, and a sign that
// a sentinel can no longer fire (its registry was dropped). Read by the tests.
let sentinelTimeouts = 0;

/** Waits until `condition()` holds or `ms` have passed; says whether it holds. */
async function waitFor(condition, ms) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await nextTurn();
  return condition();
}

// Trackers are only touched inside these synchronous helpers. A suspended async function keeps
// its whole register file alive, stale temporaries included, so a tracker that ever sat in a
// local of settleUntil would be held through the very GC meant to collect it.
function armSentinels() {
  const armed = [{ ref: null, fired: armOwnSentinel() }];
  for (const t of liveTrackers()) armed.push({ ref: new WeakRef(t), fired: t[kArmSentinel]() });
  return armed;
}

function sentinelsDone(armed) {
  return armed.every((a) => a.fired() || (a.ref !== null && a.ref.deref() === undefined));
}

function flushAll(armed) {
  for (const a of armed) a.ref?.deref()?.[kFlush]();
}

/**
 * Runs rounds of (async major GC, wait for finalizers) until `isDone()` after a round, or until a
 * round changes nothing (after at least two, since some objects are only freed once another
 * object's finalizer has run), or `maxRounds`.
 */
async function settleUntil(isDone, maxRounds, { foreignTurns = 0 } = {}) {
  let rounds = 0;
  while (rounds < maxRounds) {
    rounds++;
    const before = finalizedCount;
    const armed = armSentinels();
    await majorGcAsync();
    if (!(await waitFor(() => sentinelsDone(armed), SENTINEL_WAIT_MS))) sentinelTimeouts++;
    for (let turn = 0; turn < foreignTurns; turn++) await nextTurn();
    flushAll(armed);
    if (isDone()) break;
    if (rounds >= 2 && finalizedCount === before) break;
  }
  return { rounds };
}

function roundsOption(where, opts) {
  const o = check.options(where, opts);
  return check.integer(where, 'maxRounds', o.maxRounds, 1, 1000, DEFAULT_MAX_ROUNDS);
}

const noTrackerAlive = () => liveTrackers().length === 0;

/**
 * Public settle(): done when no tracker has live entries left. Leakhound's own finalizers are
 * waited for exactly; other registries' get a few more turns.
 */
async function settle(opts) {
  const maxRounds = roundsOption('settle()', opts);
  return settleUntil(noTrackerAlive, maxRounds, { foreignTurns: FOREIGN_REGISTRY_TURNS });
}

module.exports = {
  settle,
  settleUntil,
  roundsOption,
  watch,
  noteFinalized,
  kArmSentinel,
  kFlush,
  kLive,
  sentinelTimeouts: () => sentinelTimeouts,
};
