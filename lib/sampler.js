'use strict';
// Memory sampling. JavaScript reads the figures (process.memoryUsage, V8 heap statistics and the
// GC observer are only reachable from here) into one reused Float64Array; the ring, statistics,
// trend, verdict and exports are the Rust core's. Nothing here keeps the process alive.
const { EventEmitter } = require('node:events');
const { PerformanceObserver, performance, constants } = require('node:perf_hooks');
const v8 = require('node:v8');
const { emitWarning } = require('./errors');
const native = require('./native');
const v = require('./validate');
const { gc } = require('./gc');

const BASE_FIELDS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'];
const LEAK_STARTED = 1;
const MEMWATCH_LEAK = 2;
const CONFIRM_GC = 4;
const CAUSE_LEAK = 8;
const GC_MAJOR = constants.NODE_PERFORMANCE_GC_MAJOR;
// Constant for the life of the process; read once, since the getter boxes its result.
const TIME_ORIGIN = performance.timeOrigin;

function readConfirm(where, c) {
  if (c === undefined || c === false) return {};
  if (c === true) return { confirmIntervalMs: 8000 };
  const o = v.options(`${where}: confirmGc`, c);
  return {
    confirmIntervalMs: v.number(where, 'confirmGc.intervalMs', o.intervalMs, 0, Number.MAX_SAFE_INTEGER, 8000),
    confirmGrowthRatio: v.number(where, 'confirmGc.growthRatio', o.growthRatio, 0, 1000, undefined),
    confirmMinGrowthBytes: v.number(where, 'confirmGc.minGrowthBytes', o.minGrowthBytes, 0, Number.MAX_SAFE_INTEGER, undefined),
  };
}

function readOptions(opts) {
  const where = 'Sampler';
  const o = v.options(where, opts);
  if (o.clock !== undefined && typeof o.clock !== 'function') {
    throw new TypeError(`${where}: clock must be a function returning milliseconds, got ${v.describe(o.clock)}`);
  }
  return {
    clock: o.clock,
    confirm: readConfirm(where, o.confirmGc),
    intervalMs: v.integer(where, 'intervalMs', o.intervalMs, 10, 86_400_000, 1000),
    capacity: v.integer(where, 'capacity', o.capacity, 1, 1 << 20, 3600),
    heapSpaces: v.boolean(where, 'heapSpaces', o.heapSpaces, false),
    detachedContexts: v.boolean(where, 'detachedContexts', o.detachedContexts, false),
    observeGc: v.boolean(where, 'observeGc', o.observeGc, true),
    nativeMemory: v.boolean(where, 'nativeMemory', o.nativeMemory, true),
    trimOnFragmentation: v.boolean(where, 'trimOnFragmentation', o.trimOnFragmentation, false),
    trend: {
      windowMs: v.number(where, 'windowMs', o.windowMs, 1, Number.MAX_SAFE_INTEGER, undefined),
      warmupMs: v.number(where, 'warmupMs', o.warmupMs, 0, Number.MAX_SAFE_INTEGER, undefined),
      minPoints: v.integer(where, 'minPoints', o.minPoints, 3, 4096, undefined),
      maxPoints: v.integer(where, 'maxPoints', o.maxPoints, 3, 4096, undefined),
      minGrowthBytes: v.number(where, 'minGrowthBytes', o.minGrowthBytes, 0, Number.MAX_SAFE_INTEGER, undefined),
      minGrowthRatio: v.number(where, 'minGrowthRatio', o.minGrowthRatio, 0, 1000, undefined),
      leakConfidence: v.number(where, 'leakConfidence', o.leakConfidence, 0.5, 1, undefined),
      growingConfidence: v.number(where, 'growingConfidence', o.growingConfidence, 0.5, 1, undefined),
    },
  };
}

function outcome(bits) {
  return { leak: (bits & LEAK_STARTED) !== 0, memwatchLeak: (bits & MEMWATCH_LEAK) !== 0 };
}

class Sampler extends EventEmitter {
  constructor(opts) {
    super();
    const o = readOptions(opts);
    this.intervalMs = o.intervalMs;
    this.capacity = o.capacity;
    this._observeGc = o.observeGc;
    // Inline when absent: a clock function's boxed return value would be garbage per sample.
    this._clock = o.clock ?? null;
    // performance.now() of the last confirming GC: the observer skips the entry it causes.
    this._confirmedAt = -1;
    // The series refuses a timestamp earlier than the last; a clock that steps back (a wall clock
    // set back) must not make the timer or the GC observer throw, so live samples are clamped.
    this._lastTimestamp = -Infinity;
    // The set of V8 heap spaces is fixed for the life of a process.
    this._spaces = o.heapSpaces ? v8.getHeapSpaceStatistics().map((s) => s.space_name) : [];
    this._detached = o.detachedContexts;
    // Memory outside the JS heap, as far as this platform measures it (see nativeMemoryFields).
    this._native = o.nativeMemory ? native.nativeMemoryFields() : [];
    this._allocator = o.nativeMemory ? native.nativeAllocator() : null;
    this._trimOnFragmentation = o.trimOnFragmentation;
    this.fields = [...BASE_FIELDS, ...this._native, ...this._spaces.map((s) => `space:${s}`), ...(this._detached ? ['detachedContexts'] : [])];
    try {
      this._series = new native.SampleSeries({ capacity: o.capacity, fields: this.fields, ...o.trend, ...o.confirm });
    } catch (err) {
      throw new RangeError(`Sampler: ${err.message}`);
    }
    this._row = new Float64Array(2 + this.fields.length);
    this._timer = null;
    this._observer = null;
    this._onTick = () => this._sampleSafely(false);
    // Called with the reused row after each live sample (the monitor's thresholds).
    this._onRow = null;
    this._warned = false;
  }

  get running() {
    return this._timer !== null;
  }

  /** Starts sampling every `intervalMs` and after each major GC. */
  start() {
    if (this._timer) return this;
    this._timer = setInterval(this._onTick, this.intervalMs);
    this._timer.unref();
    if (this._observeGc) {
      this._observer = new PerformanceObserver((list) => {
        // One post-GC sample per delivery: entries arrive in batches after the GCs happened.
        const entries = list.getEntries();
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i];
          if (e.detail?.kind === GC_MAJOR && e.startTime > this._confirmedAt) return this._sampleSafely(true);
        }
      });
      this._observer.observe({ entryTypes: ['gc'] });
    }
    this._sample(false);
    return this;
  }

  /** Stops the timer and the GC observer. Samples stay readable; calling it twice is harmless. */
  stop() {
    if (this._timer) clearInterval(this._timer);
    this._timer = null;
    if (this._observer) this._observer.disconnect();
    this._observer = null;
  }

  /**
   * Takes one sample now (also while stopped). `afterGc: true` when the caller has just run a
   * major GC (`lh.gc()`): the sample then counts for the verdicts, as the GC observer's do.
   */
  sample(opts) {
    const o = v.options('Sampler.sample', opts);
    return outcome(this._sample(v.boolean('Sampler.sample', 'afterGc', o.afterGc, false)));
  }

  /**
   * A sample from the timer or the GC observer, where a throw (from a `clock` option, or a
   * 'sample' or 'leak' listener) would end the process: the sample is dropped and the first such
   * error of this sampler is surfaced as a warning.
   */
  _sampleSafely(afterGc) {
    try {
      this._sample(afterGc);
    } catch (err) {
      if (this._warned) return;
      this._warned = true;
      emitWarning('Sampler: a sample failed and was dropped (later failures are not reported)', err);
    }
  }

  _sample(afterGc) {
    const m = process.memoryUsage();
    const row = this._row;
    const now = this._clock === null ? TIME_ORIGIN + performance.now() : this._clock();
    // `!(>=)`: NaN is clamped too.
    row[0] = !(now >= this._lastTimestamp) && this._lastTimestamp !== -Infinity ? this._lastTimestamp : now;
    row[1] = afterGc ? 1 : 0;
    row[2] = m.rss;
    row[3] = m.heapTotal;
    row[4] = m.heapUsed;
    row[5] = m.external;
    row[6] = m.arrayBuffers;
    let i = 7;
    if (this._native.length > 0) {
      native.fillNativeMemory(row, i);
      i += this._native.length;
    }
    if (this._spaces.length > 0) {
      const spaces = v8.getHeapSpaceStatistics();
      for (let s = 0; s < this._spaces.length; s++) row[i++] = spaces[s]?.space_used_size ?? 0;
    }
    if (this._detached) row[i++] = v8.getHeapStatistics().number_of_detached_contexts;
    return this._record(true);
  }

  /**
   * Records a sample measured elsewhere, e.g. to replay a recorded series through the trend:
   * `{ timestamp, heapUsed, rss?, heapTotal?, external?, arrayBuffers?, afterGc? }`.
   * Returns whether it started a leak episode, and whether node-memwatch's rule would fire.
   */
  push(sample) {
    if (sample === null || typeof sample !== 'object') {
      throw new TypeError(`Sampler.push: sample must be an object, got ${v.describe(sample)}`);
    }
    const row = this._row;
    row[0] = sample.timestamp;
    row[1] = sample.afterGc ? 1 : 0;
    for (let f = 0; f < this.fields.length; f++) {
      const name = this.fields[f];
      const value = name.startsWith('space:') ? sample.heapSpaces?.[name.slice(6)] : sample[name];
      row[2 + f] = value === undefined && name !== 'heapUsed' ? 0 : value;
    }
    return outcome(this._record(false));
  }

  _record(live) {
    let bits;
    try {
      bits = this._series.record(this._row);
    } catch (err) {
      // A live sample the series still refuses (a clock that never gave a number) is dropped: it
      // is taken from a timer or the GC observer, where a throw would end the process.
      if (live) return 0;
      throw new RangeError(`Sampler: ${err.message}`);
    }
    this._lastTimestamp = this._row[0];
    if (bits & LEAK_STARTED) {
      const trend = this.trend();
      this.emit('leak', { timestamp: this._row[0], heapUsed: this._row[4], cause: 'js-heap', trend });
    }
    if (bits & CAUSE_LEAK) {
      const trend = this._series.lastCause();
      const event = { timestamp: this._row[0], heapUsed: this._row[4], cause: trend.kind, trend };
      // Proof and relief at once: what the allocator gives back is what fragmentation held.
      if (trend.kind === 'fragmentation' && this._trimOnFragmentation) event.reclaimedBytes = native.trimNativeHeap();
      this.emit('leak', event);
    }
    if (this.listenerCount('sample') > 0) this.emit('sample', this._rowToSample(this._row, 0));
    if (live && this._onRow !== null) this._onRow(this._row);
    if (live && bits & CONFIRM_GC) {
      // The heap grew well past the last live level and no major GC came: learn the live heap.
      // Spacing confirming GCs 100 pauses apart keeps them under 1% of the time.
      const { durationMs } = gc({ type: 'major' });
      this._confirmedAt = performance.now();
      this._series.deferConfirmation(this._row[0] + 100 * durationMs);
      this._sample(true);
    }
    // Bits, not an object: the timer path allocates nothing of its own.
    return bits;
  }

  _rowToSample(rows, at) {
    const s = { timestamp: rows[at], afterGc: rows[at + 1] === 1 };
    for (let f = 0; f < BASE_FIELDS.length; f++) s[BASE_FIELDS[f]] = rows[at + 2 + f];
    let i = at + 2 + BASE_FIELDS.length;
    for (const name of this._native) s[name] = rows[i++];
    if (this._spaces.length > 0) {
      s.heapSpaces = {};
      for (const name of this._spaces) s.heapSpaces[name] = rows[i++];
    }
    if (this._detached) s.detachedContexts = rows[i++];
    return s;
  }

  /** The samples in the ring, oldest first. */
  samples() {
    const rows = this._series.rows();
    const width = 2 + this.fields.length;
    const out = new Array(rows.length / width);
    for (let r = 0; r < out.length; r++) out[r] = this._rowToSample(rows, r * width);
    return out;
  }

  /** Per field: min, max, mean, p50, p95 and last over the samples in the ring. */
  stats() {
    const out = { count: this._series.length };
    for (const s of this._series.stats()) {
      const { field, ...figures } = s;
      if (field.startsWith('space:')) (out.heapSpaces ??= {})[field.slice(6)] = figures;
      else out[field] = figures;
    }
    return out;
  }

  /**
   * The post-GC heap trend (slope, window, verdict, confidence), and `causes`: the verdict per
   * cause of growth (js-heap, external, native, fragmentation), each `available` only where the
   * platform measures what it needs.
   */
  trend() {
    return { ...this._series.trend(), causes: this._series.causes() };
  }

  /**
   * Where the resident set of the newest sample goes: the V8 heap (committed and used), external
   * and ArrayBuffer bytes, and where the platform measures them, the C allocator's memory in use
   * and freed-but-kept, mapped files with the machine code among them, thread stacks, and the
   * anonymous memory none of these explains. null before the first sample.
   */
  breakdown() {
    const row = this._series.lastRow();
    if (row === null) return null;
    const s = this._rowToSample(row, 0);
    const out = {
      timestamp: s.timestamp,
      rss: s.rss,
      heap: { committed: s.heapTotal, used: s.heapUsed },
      external: s.external,
      arrayBuffers: s.arrayBuffers,
    };
    if (s.mallocInUse !== undefined) out.malloc = { allocator: this._allocator, inUse: s.mallocInUse, freeHeld: s.mallocFree };
    if (s.rssFile !== undefined) out.mappedFiles = s.rssFile;
    if (s.rssCode !== undefined) {
      out.code = s.rssCode;
      out.threadStacks = s.rssStacks;
    }
    if (s.rssAnon !== undefined) {
      // Anonymous memory that is neither the V8 heap, the C heap (ArrayBuffers live there) nor
      // a thread stack: other mappings (addons' own, V8's reservations touched outside the heap).
      const known = s.heapTotal + (out.malloc ? out.malloc.inUse + out.malloc.freeHeld : 0) + (out.threadStacks ?? 0);
      out.otherMappings = Math.max(0, s.rssAnon - known);
    }
    return out;
  }

  /** Counters since start: samples, post-GC samples, leak episodes, memwatch-rule firings. */
  counts() {
    return this._series.counts();
  }

  /** The metric families behind toPrometheus(), for the prom-client and OpenTelemetry adapters. */
  metrics() {
    return this._series.families();
  }

  /** The figures in Prometheus text exposition format, followed by `extra` families if given. */
  toPrometheus(extra) {
    if (extra !== undefined && !Array.isArray(extra)) {
      throw new TypeError(`toPrometheus(): extra must be an array of metric families, got ${v.describe(extra)}`);
    }
    const families = extra?.map((f) => ({
      ...f,
      samples: f?.samples?.map((s) => ({
        ...s,
        labels: Object.fromEntries(Object.entries(s?.labels ?? {}).map(([k, value]) => [k, typeof value === 'string' ? v.wellFormed(value) : value])),
      })),
    }));
    return this._series.prometheus(families);
  }

  /** A standalone SVG of heapUsed, rss and external over time, GC markers and the trend. */
  toSVG(opts) {
    const o = v.options('Sampler.toSVG', opts);
    return this._series.svg(
      v.integer('Sampler.toSVG', 'width', o.width, 200, 10_000, undefined),
      v.integer('Sampler.toSVG', 'height', o.height, 120, 10_000, undefined),
      v.optionalString('Sampler.toSVG', 'title', o.title),
    );
  }

  /** Forgets samples, trend and counters. */
  clear() {
    this._series.clear();
    this._lastTimestamp = -Infinity;
  }
}

module.exports = { Sampler };
