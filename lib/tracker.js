'use strict';
// Tracker: FinalizationRegistry-based leak tracking. JavaScript keeps only what V8 requires
// (the registry, plus WeakMaps for the opt-in dedupe and explain); the Rust TrackerTable owns the
// records.
//
// track() is on hot paths, so registrations are queued as numbers in a typed array and handed to
// Rust once per synchronous job (a microtask), and finalizations likewise.
const types = require('node:util').types;
const native = require('./native');
const check = require('./validate');
const { watch, noteFinalized, settleUntil, roundsOption, kArmSentinel, kFlush, kLive } = require('./settle');
const { markerFor, explainSurvivors } = require('./explain');
const { isOwnCode } = require('./own-code');

const FIELDS = 3; // per queued registration: id, label ref, group ref
const QUEUE_CAPACITY = 4096; // registrations per hand-over inside one long synchronous job
const NO_STRING = 0;
const SIDE_STRING = 0xffffffff;
const MAX_INTERNED = 4096; // distinct labels interned per tracker; rarer ones travel as strings
const MAX_TRACKED_LIMIT = 2 ** 31 - 1;
const DEFAULT_MAX_TRACKED = 1_000_000;
const SENTINEL = 0; // held value of settle()'s sentinels; object ids start at 1

const kNotIssued = Symbol('leakhound.notIssued');

// Ids are unique across all trackers of this thread, so an id names one object unambiguously.
let lastId = 0;

// Class names by prototype, so an unlabelled track() does not inspect descriptors every time.
// Bounded: dynamically created classes must not pile up here.
const classNames = new Map();
const MAX_CLASS_NAMES = 256;

function className(proto) {
  let name = classNames.get(proto);
  if (name !== undefined) return name;
  // Own data descriptors only: reading `constructor` or `name` could run user getters.
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  name = typeof ctor === 'function' ? Object.getOwnPropertyDescriptor(ctor, 'name')?.value : undefined;
  if (typeof name !== 'string' || !name) name = 'Object';
  if (classNames.size >= MAX_CLASS_NAMES) classNames.clear();
  classNames.set(proto, name);
  return name;
}

function defaultLabel(target) {
  try {
    if (types.isProxy(target)) return typeof target === 'function' ? 'Proxy(function)' : 'Proxy';
    if (typeof target === 'function') {
      const name = Object.getOwnPropertyDescriptor(target, 'name')?.value;
      return typeof name === 'string' && name ? name : '(anonymous function)';
    }
    const proto = Object.getPrototypeOf(target);
    return proto === null ? 'Object(null prototype)' : className(proto);
  } catch {
    return 'Object';
  }
}

function captureStack() {
  const holder = {};
  Error.captureStackTrace(holder, Tracker.prototype.track);
  return holder.stack
    .split('\n')
    .slice(1)
    .filter((line) => !isOwnCode(line) && !line.includes('node:internal'))
    .map((line) => line.trim())
    .join('\n');
}

class Tracker {
  #name;
  #captureStacks;
  #maxTracked;
  #overflow;
  #dedupe;
  #explain;
  #markers; // object → marker string, only with explain (see lib/explain.js)
  #table;
  #registry;
  #ids; // object → id, only with dedupe (a WeakMap costs ~6× a registration)
  // Registrations not yet handed to Rust: [id, labelRef, groupRef] triples, plus the strings
  // that are not interned and the stacks.
  #queue = new Uint32Array(QUEUE_CAPACITY * FIELDS);
  #queued = 0;
  #side = [];
  #stacks = [];
  #refs = new Map(); // interned label → ref
  #lastLabel = undefined;
  #lastRef = NO_STRING;
  #finalized = [];
  #flushQueued = false;
  // Live entries as of the last flush plus registrations queued since: checked against maxTracked
  // without a native call; exact again after every flush.
  #live = 0;
  #dropped = 0;
  // Shared with settle()'s sentinel checks, which must not hold the tracker itself.
  #sentinels = { armed: 0, fired: 0 };

  constructor(opts) {
    const o = check.options('new Tracker()', opts);
    this.#name = check.optionalString('new Tracker()', 'name', o.name) ?? 'tracker';
    this.#captureStacks = check.boolean('new Tracker()', 'captureStacks', o.captureStacks, false);
    this.#maxTracked = check.integer('new Tracker()', 'maxTracked', o.maxTracked, 1, MAX_TRACKED_LIMIT, DEFAULT_MAX_TRACKED);
    this.#overflow = check.oneOf('new Tracker()', 'overflow', o.overflow, ['throw', 'drop'], 'throw');
    this.#dedupe = check.boolean('new Tracker()', 'dedupe', o.dedupe, false);
    this.#explain = check.boolean('new Tracker()', 'explain', o.explain, false);
    this.#table = new native.TrackerTable(this.#maxTracked);
    this.#reset();
    watch(this);
  }

  // A fresh registry (and WeakMap): cells of the old ones can no longer reach the table. The old
  // registry is garbage, so sentinels armed in it may never fire: they count as fired, and any
  // that still does is ignored, so a pending or later settle() does not wait for them in vain.
  #reset() {
    this.#sentinels.fired = this.#sentinels.armed;
    const registry = new FinalizationRegistry((held) => registry === this.#registry && this.#onFinalized(held));
    this.#registry = registry;
    this.#ids = this.#dedupe ? new WeakMap() : null;
    this.#markers = this.#explain ? new WeakMap() : null;
    this.#refs = new Map();
    this.#lastLabel = undefined;
    this.#lastRef = NO_STRING;
  }

  #onFinalized(held) {
    if (held === SENTINEL) {
      this.#sentinels.fired++;
      return;
    }
    noteFinalized();
    this.#finalized.push(held);
    this.#scheduleFlush();
  }

  #scheduleFlush() {
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  #flush = () => {
    this.#flushQueued = false;
    if (this.#queued > 0) {
      const count = this.#queued;
      const side = this.#side;
      const stacks = this.#captureStacks ? this.#stacks : undefined;
      this.#queued = 0;
      this.#side = [];
      this.#stacks = [];
      this.#table.add(this.#queue, count, side, stacks);
    }
    if (this.#finalized.length > 0) {
      const ids = this.#finalized;
      this.#finalized = [];
      this.#table.finalize(ids);
    }
    this.#live = this.#table.alive;
  };

  #ref(s) {
    if (s === undefined) return NO_STRING;
    // Most calls repeat the previous label: skip the Map lookup.
    if (s === this.#lastLabel) return this.#lastRef;
    const r = this.#lookupRef(s);
    if (r !== SIDE_STRING) {
      // Side strings are consumed one per use, so they are never cached.
      this.#lastLabel = s;
      this.#lastRef = r;
    }
    return r;
  }

  #lookupRef(s) {
    const r = this.#refs.get(s);
    if (r !== undefined) return r;
    if (this.#refs.size < MAX_INTERNED) {
      const interned = this.#table.intern(check.wellFormed(s));
      this.#refs.set(s, interned);
      return interned;
    }
    this.#side.push(check.wellFormed(s));
    return SIDE_STRING;
  }

  get name() {
    return this.#name;
  }

  /**
   * Tracks `target` until it is garbage collected and returns its id. Each call is a separate
   * registration; with `dedupe: true`, tracking an already tracked object returns its id instead.
   */
  track(target, label, group) {
    const kind = typeof target;
    if ((kind !== 'object' || target === null) && kind !== 'function') {
      throw new TypeError(`track() needs an object or a function, got ${check.describe(target)}`);
    }
    if (label !== undefined && typeof label !== 'string') {
      throw new TypeError(`track(): label must be a string, got ${check.describe(label)}`);
    }
    if (group !== undefined && typeof group !== 'string') {
      throw new TypeError(`track(): group must be a string, got ${check.describe(group)}`);
    }
    let id;
    if (this.#dedupe) {
      id = this.#ids.get(target);
      if (id !== undefined) {
        this.#flush();
        if (this.#table.contains(id)) return id;
        // Untracked earlier: its registry cell still exists, so the id is reused below instead
        // of registering the object again (repeated track/untrack must not pile up cells).
      }
    }
    if (this.#live >= this.#maxTracked && this.#isFull()) return this.#refuse();
    if (id === undefined) {
      id = ++lastId;
      this.#registry.register(target, id);
      if (this.#dedupe) this.#ids.set(target, id);
      if (this.#explain) this.#markers.set(target, markerFor(id));
    }
    if (this.#queued === QUEUE_CAPACITY) this.#flush();
    const at = this.#queued * FIELDS;
    this.#queue[at] = id;
    this.#queue[at + 1] = this.#ref(label ?? defaultLabel(target));
    this.#queue[at + 2] = this.#ref(group);
    this.#queued++;
    if (this.#captureStacks) this.#stacks.push(captureStack());
    this.#live++;
    if (!this.#flushQueued) this.#scheduleFlush();
    return id;
  }

  #isFull() {
    this.#flush();
    return this.#live >= this.#maxTracked;
  }

  #refuse() {
    if (this.#overflow === 'drop') {
      this.#dropped++;
      return 0;
    }
    throw new RangeError(
      `Tracker "${this.#name}" is full: ${this.#maxTracked} objects are tracked and alive (raise maxTracked, or use overflow: 'drop')`,
    );
  }

  /** Stops tracking one object (it will not be reported); true if it was tracked. */
  untrack(id) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new TypeError(`untrack(): id must be a non-negative integer, got ${check.describe(id)}`);
    }
    this.#flush();
    const was = id <= 0xffffffff && this.#table.untrack(id);
    this.#live = this.#table.alive;
    return was;
  }

  /** Tracked objects not collected yet (finalizations already delivered are applied first). */
  get alive() {
    this.#flush();
    return this.#live;
  }

  /** Tracked objects whose collection has been observed. */
  get collected() {
    this.#flush();
    return this.#table.collected;
  }

  /** track() calls refused because the tracker was full (with overflow: 'drop'). */
  get dropped() {
    return this.#dropped;
  }

  get maxTracked() {
    return this.#maxTracked;
  }

  /** Whether survivors can be explained (the tracker was created with explain: true). */
  get explainable() {
    return this.#explain;
  }

  /** Objects not collected yet, oldest first: { id, label, ageMs, group?, stack? }. */
  survivors(filter) {
    const f = check.options('survivors()', filter);
    const group = check.optionalString('survivors()', 'group', f.group);
    if (f.ids !== undefined && !(Array.isArray(f.ids) && f.ids.every((i) => Number.isInteger(i) && i >= 0))) {
      throw new TypeError(`survivors(): ids must be an array of ids, got ${check.describe(f.ids)}`);
    }
    this.#flush();
    return this.#table.survivors(group === undefined ? group : check.wellFormed(group), f.ids?.filter((i) => i <= 0xffffffff));
  }

  /**
   * Settles the heap (GC until finalizers have run), then returns the survivors. With explain,
   * each survivor gets `retainers`: its path from a GC root, from a snapshot of this process.
   */
  async check(opts) {
    const o = check.options('check()', opts);
    const explain = check.boolean('check()', 'explain', o.explain, false);
    if (explain && !this.#explain) {
      throw new Error(`check({ explain: true }): create the Tracker with { explain: true } so its objects can be found in a snapshot`);
    }
    await settleUntil(() => this.#live === 0, roundsOption('check()', { maxRounds: o.maxRounds }));
    const survivors = this.survivors();
    return explain ? explainSurvivors(survivors) : survivors;
  }

  /**
   * Forgets every tracked object. The tracker stays usable; finalizations of objects tracked
   * before the call are ignored, and they can be tracked again.
   */
  clear() {
    this.#queued = 0;
    this.#side = [];
    this.#stacks = [];
    this.#finalized = [];
    this.#table.clear();
    this.#live = 0;
    this.#reset();
  }

  [kLive]() {
    return this.#live;
  }

  /** Of `ids`, those this tracker never issued, or forgot (untracked, cleared). */
  [kNotIssued](ids) {
    this.#flush();
    return this.#table.notIssued(ids.filter((i) => i <= 0xffffffff)).concat(ids.filter((i) => i > 0xffffffff));
  }

  [kFlush]() {
    this.#flush();
  }

  [kArmSentinel]() {
    const sentinels = this.#sentinels;
    const target = ++sentinels.armed;
    this.#registry.register({}, SENTINEL);
    return () => sentinels.fired >= target;
  }
}

module.exports = { Tracker, kNotIssued };
