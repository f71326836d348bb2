'use strict';
// monitor(): a Sampler plus a snapshot policy for production. Triggers (heap or RSS threshold,
// leak verdict, a signal, near the heap limit) ask for a snapshot; the policy (one monitor per
// process, minimum interval, maximum count, disk budget, memory headroom) decides, and every
// refusal is reported with its reason instead of being silently dropped.
const { EventEmitter } = require('node:events');
const path = require('node:path');
const v8 = require('node:v8');
const { Sampler } = require('./sampler');
const { AllocationSampler } = require('./allocation-sampler');
const { writeSnapshotFile, estimateSnapshotBytes, checkDirectory, snapshotDirectoryBytes } = require('./write-snapshot');
const { bytes } = require('./format');
const { emitWarning } = require('./errors');
const v = require('./validate');

const SIGNALS = ['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGWINCH', 'SIGBREAK'];
/** A threshold re-arms once the figure falls below this share of it. */
const REARM = 0.9;
/** Positions in the sampler's row: [timestamp, afterGc, rss, heapTotal, heapUsed, ...]. */
const ROW_RSS = 2;
const ROW_HEAP_USED = 4;
let active = null;

function readOptions(opts) {
  const where = 'monitor';
  const o = v.options(where, opts);
  const threshold = (name) => v.number(where, name, o[name], 1, Number.MAX_SAFE_INTEGER, undefined);
  const signal = o.signal === undefined || o.signal === false ? null : v.oneOf(where, 'signal', o.signal, SIGNALS);
  const nearHeapLimit =
    o.nearHeapLimit === undefined || o.nearHeapLimit === false
      ? 0
      : o.nearHeapLimit === true
        ? 1
        : v.integer(where, 'nearHeapLimit', o.nearHeapLimit, 1, 100, 0);
  const out = {
    dir: v.optionalString(where, 'dir', o.dir),
    heapUsedBytes: threshold('heapUsedBytes'),
    rssBytes: threshold('rssBytes'),
    onLeak: v.boolean(where, 'onLeak', o.onLeak, false),
    signal,
    nearHeapLimit,
    minIntervalMs: v.integer(where, 'minIntervalMs', o.minIntervalMs, 0, 86_400_000 * 365, 60_000),
    maxCount: v.integer(where, 'maxCount', o.maxCount, 0, 10_000, 5),
    maxDiskBytes: v.number(where, 'maxDiskBytes', o.maxDiskBytes, 0, Number.MAX_SAFE_INTEGER, Infinity),
    headroomFactor: v.number(where, 'headroomFactor', o.headroomFactor, 0, 1e6, 1),
    sampler: o.sampler,
    allocations: readAllocations(where, o.allocations),
  };
  const wantsSnapshots = out.heapUsedBytes || out.rssBytes || out.onLeak || out.signal;
  if (wantsSnapshots && out.dir === undefined) {
    throw new TypeError(`${where}: dir is required when a snapshot trigger is set (snapshots hold the heap's secrets; choose a private directory)`);
  }
  if (out.dir !== undefined) {
    out.dir = path.resolve(out.dir);
    checkDirectory(where, out.dir);
  }
  if (out.sampler !== undefined && !(out.sampler instanceof Sampler)) {
    throw new TypeError(`${where}: sampler must be a leakhound Sampler, got ${v.describe(out.sampler)}`);
  }
  // The rest (intervalMs, capacity, windowMs, ...) configures the sampler this monitor creates.
  const samplerOpts = Object.fromEntries(Object.entries(o).filter(([k]) => !(k in out)));
  return { ...out, samplerOpts };
}

/** `allocations`: true, AllocationSampler options, or an AllocationSampler (the caller's). */
function readAllocations(where, a) {
  if (a === undefined || a === false) return null;
  if (a instanceof AllocationSampler) return a;
  if (a === true) return {};
  if (a === null || typeof a !== 'object' || Array.isArray(a)) {
    throw new TypeError(`${where}: allocations must be true, AllocationSampler options or an AllocationSampler, got ${v.describe(a)}`);
  }
  return a;
}

class Monitor extends EventEmitter {
  constructor(opts) {
    super();
    const o = readOptions(opts);
    if (active) {
      const e = new Error('monitor: a monitor is already running in this process; stop() it before starting another');
      e.code = 'ERR_LEAKHOUND_MONITOR_ACTIVE';
      throw e;
    }
    this.options = o;
    this.sampler = o.sampler ?? new Sampler(o.samplerOpts);
    this._ownSampler = !o.sampler;
    // Where the growing memory is allocated: opt-in, since the profiler costs a little.
    this._ownAllocations = o.allocations !== null && !(o.allocations instanceof AllocationSampler);
    this.allocations = this._ownAllocations ? new AllocationSampler(o.allocations) : o.allocations;
    this.snapshots = [];
    this.refused = [];
    this._counts = new Map();
    this._refusedCounts = new Map();
    this._lastWrite = -Infinity;
    this._writing = false;
    this._armed = { heapUsed: true, rss: true };
    this._stopped = false;
    this._warned = false;

    this._onLeak = (info) => {
      this.emit('leak', info);
      if (o.onLeak) this._trigger('leak');
    };
    this._onSignal = () => this._trigger('signal');
    this._onAllocationLeak = (site) => this.emit('allocation-leak', site);
    this.sampler.on('leak', this._onLeak);
    this.allocations?.on('allocation-leak', this._onAllocationLeak);
    if (o.signal) process.on(o.signal, this._onSignal);
    if (o.nearHeapLimit) {
      // V8 writes these itself (into --diagnostic-dir, or the working directory, mode 0600) as
      // the heap limit approaches; it is a process-wide setting that cannot be undone.
      v8.setHeapSnapshotNearHeapLimit(o.nearHeapLimit);
    }
    active = this;
    // A sampler passed in is the caller's to start and stop.
    if (this._ownSampler) this.sampler.start();
    if (this._ownAllocations) {
      try {
        this.allocations.start();
      } catch (err) {
        this.stop();
        throw err;
      }
    }
    // Thresholds are checked from the next sample on, once the caller can listen for snapshots,
    // on the sampler's reused row: nothing is allocated per sample.
    if (o.heapUsedBytes || o.rssBytes) this.sampler._onRow = (row) => this._checkThresholds(row);
  }

  get running() {
    return !this._stopped;
  }

  _checkThresholds(row) {
    const { heapUsedBytes, rssBytes } = this.options;
    if (heapUsedBytes) this._checkThreshold('heapUsed', row[ROW_HEAP_USED], heapUsedBytes, 'heap-used');
    if (rssBytes) this._checkThreshold('rss', row[ROW_RSS], rssBytes, 'rss');
  }

  /**
   * A snapshot from a signal handler or a sample, where a throw (from a 'snapshot' or 'refused'
   * listener) would end the process: the first such error of this monitor becomes a warning.
   */
  _trigger(trigger) {
    try {
      this.snapshot(trigger);
    } catch (err) {
      if (this._warned) return;
      this._warned = true;
      emitWarning(`monitor: a listener threw while a '${trigger}' snapshot was handled (later errors are not reported)`, err);
    }
  }

  _checkThreshold(key, value, limit, trigger) {
    if (value >= limit && this._armed[key]) {
      this._armed[key] = false;
      this._trigger(trigger);
    } else if (value < limit * REARM) {
      this._armed[key] = true;
    }
  }

  _refuse(trigger, reason, message, error) {
    const entry = { trigger, reason, message, timestamp: Date.now(), ...(error ? { error } : {}) };
    this.refused.push(entry);
    if (this.refused.length > 100) this.refused.shift();
    this._refusedCounts.set(reason, (this._refusedCounts.get(reason) ?? 0) + 1);
    this.emit('refused', entry);
    return null;
  }

  /**
   * Writes a snapshot now if the policy allows it; `trigger` names why (default 'manual').
   * Returns its path, or null when refused (the 'refused' event and `refused` say why).
   */
  snapshot(trigger = 'manual') {
    let result;
    try {
      result = this._write(trigger);
    } catch (err) {
      // Nothing may escape: triggers run from timers and signal handlers, where a throw is fatal.
      result = { refused: ['write-failed', err.message, err] };
    }
    if (result.refused) return this._refuse(trigger, ...result.refused);
    this.snapshots.push(result);
    this._counts.set(trigger, (this._counts.get(trigger) ?? 0) + 1);
    this.emit('snapshot', result);
    return result.path;
  }

  /** The policy, then the write: the snapshot's info, or { refused: [reason, message, error?] }. */
  _write(trigger) {
    const o = this.options;
    const refuse = (...why) => ({ refused: why });
    if (this._stopped) return refuse('stopped', 'the monitor is stopped');
    if (o.dir === undefined) return refuse('no-dir', 'no snapshot directory was configured');
    if (this._writing) return refuse('busy', 'a snapshot is being written');
    if (this.snapshots.length >= o.maxCount) return refuse('max-count', `${o.maxCount} snapshots were already written`);
    const since = Date.now() - this._lastWrite;
    if (since < o.minIntervalMs) {
      return refuse('rate-limit', `the last snapshot was ${since} ms ago (minIntervalMs ${o.minIntervalMs})`);
    }
    if (o.maxDiskBytes !== Infinity) {
      let used;
      try {
        used = snapshotDirectoryBytes(o.dir);
      } catch (err) {
        // The directory went away or became unreadable: the budget cannot be kept.
        return refuse('disk-budget', `cannot measure the snapshots in ${o.dir} against maxDiskBytes: ${err.message}`, err);
      }
      const next = estimateSnapshotBytes();
      if (used + next > o.maxDiskBytes) {
        return refuse(
          'disk-budget',
          `${o.dir} holds ${bytes(used)} of snapshots and the next takes about ${bytes(next)}; maxDiskBytes is ${o.maxDiskBytes}`,
        );
      }
    }
    this._writing = true;
    const started = Date.now();
    let file;
    try {
      file = writeSnapshotFile({ dir: o.dir, headroomFactor: o.headroomFactor });
    } catch (err) {
      const reason = err.code === 'ERR_LEAKHOUND_HEADROOM' ? 'headroom' : err.code === 'ERR_LEAKHOUND_DISK' ? 'disk-space' : 'write-failed';
      return refuse(reason, err.message, err);
    } finally {
      this._writing = false;
    }
    this._lastWrite = Date.now();
    return { path: file.path, trigger, bytes: file.bytes, durationMs: this._lastWrite - started, timestamp: started };
  }

  /** The monitor's own families: snapshots written and refused. */
  _snapshotFamilies() {
    const counter = (name, help, label, counts) => ({
      name,
      help,
      kind: 'counter',
      labelNames: [label],
      samples: [...counts].map(([value, n]) => ({ labels: { [label]: value }, value: n })),
    });
    return [
      counter('leakhound_heap_snapshots_total', 'Heap snapshots written, by trigger.', 'trigger', this._counts),
      counter('leakhound_heap_snapshots_refused_total', 'Heap snapshot requests refused, by reason.', 'reason', this._refusedCounts),
    ];
  }

  /** The monitor's own families, and the allocation sites' when it samples allocations. */
  _ownFamilies() {
    return [...this._snapshotFamilies(), ...(this.allocations?.metrics() ?? [])];
  }

  /** The sampler's metric families plus the monitor's snapshot counters (and allocation sites). */
  metrics() {
    return [...this.sampler.metrics(), ...this._ownFamilies()];
  }

  toPrometheus() {
    return this.sampler.toPrometheus(this._ownFamilies());
  }

  /** Stops triggers (and the sampler this monitor created). Calling it twice is harmless. */
  stop() {
    if (this._stopped) return;
    this._stopped = true;
    if (this.sampler._onRow) this.sampler._onRow = null;
    this.sampler.off('leak', this._onLeak);
    if (this.options.signal) process.off(this.options.signal, this._onSignal);
    if (this._ownSampler) this.sampler.stop();
    this.allocations?.off('allocation-leak', this._onAllocationLeak);
    if (this._ownAllocations) this.allocations.stop();
    if (active === this) active = null;
  }
}

function monitor(opts) {
  return new Monitor(opts);
}

module.exports = { monitor, Monitor };
