'use strict';
// AllocationSampler: where the memory a process keeps is allocated, in production. V8's sampling
// heap profiler runs through an in-process inspector session (live objects only); every window
// its profile goes to the Rust core (AllocationSites), which folds it into sites, follows each
// site's live bytes and decides which grow. Nothing here keeps the process alive.
const { EventEmitter } = require('node:events');
const inspector = require('node:inspector');
const { performance } = require('node:perf_hooks');
const zlib = require('node:zlib');
const { emitWarning } = require('./errors');
const native = require('./native');
const v = require('./validate');

const KiB = 1024;
/** V8 has one sampling heap profiler per isolate: one running sampler per thread. */
let active = null;

function readOptions(opts) {
  const where = 'AllocationSampler';
  const o = v.options(where, opts);
  // 512 KiB: 0.3 % of CPU on allocation-heavy work (bench:alloc), where 32 KiB costs 9 %.
  const intervalBytes = v.integer(where, 'intervalBytes', o.intervalBytes, 1, 1 << 30, 512 * KiB);
  return {
    intervalBytes,
    windowMs: v.integer(where, 'windowMs', o.windowMs, 10, 86_400_000, 10_000),
    maxProfileNodes: v.integer(where, 'maxProfileNodes', o.maxProfileNodes, 100, 10_000_000, 20_000),
    gcBeforeProfile: v.boolean(where, 'gcBeforeProfile', o.gcBeforeProfile, false),
    topSites: v.integer(where, 'topSites', o.topSites, 0, 1000, 10),
    sites: {
      intervalBytes,
      maxStackDepth: v.integer(where, 'maxStackDepth', o.maxStackDepth, 1, 64, 4),
      maxSites: v.integer(where, 'maxSites', o.maxSites, 1, 100_000, undefined),
      maxPoints: v.integer(where, 'maxPoints', o.maxPoints, 4, 4096, undefined),
      minPoints: v.integer(where, 'minPoints', o.minPoints, 4, 4096, 12),
      // Default (the core's): 16 samples' worth, 16 × intervalBytes.
      minGrowthBytes: v.number(where, 'minGrowthBytes', o.minGrowthBytes, 0, Number.MAX_SAFE_INTEGER, undefined),
      minGrowthRatio: v.number(where, 'minGrowthRatio', o.minGrowthRatio, 0, 1000, undefined),
      falseDiscoveryRate: v.number(where, 'falseDiscoveryRate', o.falseDiscoveryRate, 1e-9, 0.5, undefined),
    },
  };
}

/** An inspector command, answered synchronously on this thread's own session. */
function post(session, method, params) {
  let out;
  session.post(method, params, (err, result) => (out = { err, result }));
  if (out === undefined) throw new Error(`${method}: the inspector did not answer`);
  if (out.err) throw out.err;
  return out.result;
}

class AllocationSampler extends EventEmitter {
  constructor(opts) {
    super();
    const o = readOptions(opts);
    this.intervalBytes = o.intervalBytes;
    this.windowMs = o.windowMs;
    this.maxProfileNodes = o.maxProfileNodes;
    this._gc = o.gcBeforeProfile;
    this._top = o.topSites;
    try {
      this._sites = new native.AllocationSites(o.sites);
    } catch (err) {
      throw new RangeError(`AllocationSampler: ${err.message}`);
    }
    this._session = null;
    this._timer = null;
    this._growing = new Set();
    this._warned = false;
    this._onTick = () => this._profileSafely();
  }

  get running() {
    return this._session !== null;
  }

  /** Starts V8's sampling heap profiler and takes a profile every `windowMs`. */
  start() {
    if (this._session) return this;
    if (active) {
      const e = new Error('AllocationSampler: another AllocationSampler is running in this thread (V8 has one sampling heap profiler); stop() it first');
      e.code = 'ERR_LEAKHOUND_ALLOCATION_SAMPLER_ACTIVE';
      throw e;
    }
    const session = new inspector.Session();
    session.connect();
    try {
      this._startSampling(session);
    } catch (err) {
      session.disconnect();
      const e = new Error(`AllocationSampler: V8's sampling heap profiler did not start (${err.message}); is another profiler using it?`);
      e.cause = err;
      throw e;
    }
    this._session = session;
    active = this;
    this._timer = setInterval(this._onTick, this.windowMs);
    this._timer.unref();
    return this;
  }

  _startSampling(session) {
    post(session, 'HeapProfiler.startSampling', {
      samplingInterval: this.intervalBytes,
      includeObjectsCollectedByMajorGC: false,
      includeObjectsCollectedByMinorGC: false,
    });
  }

  /** Stops the profiler and the timer. Sites and verdicts stay readable; twice is harmless. */
  stop() {
    if (this._timer) clearInterval(this._timer);
    this._timer = null;
    const session = this._session;
    this._session = null;
    if (!session) return;
    if (active === this) active = null;
    try {
      post(session, 'HeapProfiler.stopSampling');
    } catch {
      // Stopped already (the session may have been closed under us): nothing to release.
    }
    session.disconnect();
  }

  /**
   * Takes a profile now (also between windows) and updates the verdict. Returns what the profile
   * held: `{ nodes, sites, liveBytes }`.
   */
  profile() {
    if (!this._session) throw new Error('AllocationSampler.profile(): the sampler is not started');
    if (this._gc) post(this._session, 'HeapProfiler.collectGarbage');
    let profile;
    try {
      ({ profile } = post(this._session, 'HeapProfiler.getSamplingProfile'));
    } catch (err) {
      if (!/not started/.test(err.message)) throw err;
      // Another tool stopped V8's one sampling heap profiler: start it again; what it had
      // sampled is gone, so the sites start over.
      this._startSampling(this._session);
      this._sites.restarted();
      this._growing.clear();
      this.emit('restart', { reason: 'stopped-elsewhere', nodes: 0, maxProfileNodes: this.maxProfileNodes });
      ({ profile } = post(this._session, 'HeapProfiler.getSamplingProfile'));
    }
    const observed = this._sites.observe(performance.now(), Date.now(), JSON.stringify(profile));
    if (observed.nodes > this.maxProfileNodes) this._restart(observed.nodes);
    this._announce();
    this.emit('profile', observed);
    return observed;
  }

  /** V8 keeps a node per stack it ever sampled: past the bound, its profile starts over. */
  _restart(nodes) {
    post(this._session, 'HeapProfiler.stopSampling');
    this._startSampling(this._session);
    this._sites.restarted();
    this._growing.clear();
    this.emit('restart', { reason: 'max-profile-nodes', nodes, maxProfileNodes: this.maxProfileNodes });
  }

  /** 'allocation-leak' once for each site that starts to grow. */
  _announce() {
    const sites = this._sites.growingSites();
    if (sites.length === 0 && this._growing.size === 0) return;
    // A site is its stack.
    const keys = sites.map((s) => s.stack.join(' < '));
    const before = this._growing;
    this._growing = new Set(keys);
    keys.forEach((key, i) => {
      if (!before.has(key)) this.emit('allocation-leak', sites[i]);
    });
  }

  /**
   * A profile from the timer, where a throw (a listener, a profiler taken by another tool) would
   * end the process: the first such error of this sampler becomes a warning.
   */
  _profileSafely() {
    try {
      this.profile();
    } catch (err) {
      if (this._warned) return;
      this._warned = true;
      emitWarning('AllocationSampler: a profile failed and was dropped (later failures are not reported)', err);
    }
  }

  /**
   * Sites whose live bytes grow, fastest first:
   * `[{ functionName, script, line, column, stack, liveBytes, slopeBytesPerSec, confidence }]`.
   */
  growingSites() {
    return this._sites.growingSites();
  }

  /** Sites followed, sites dropped for room, profiles read, profiler restarts. */
  counts() {
    const s = this._sites;
    return { sites: s.sites, droppedSites: s.droppedSites, profiles: s.profiles, restarts: s.restarts };
  }

  /**
   * The newest profile as pprof (`profile.proto`, gzipped) of live bytes, or with
   * `{ growth: true }` of what each stack gained since the first profile. Null before a profile.
   */
  toPprof(opts) {
    const growth = v.boolean('AllocationSampler.toPprof', 'growth', v.options('AllocationSampler.toPprof', opts).growth, false);
    const raw = this._sites.pprof(growth);
    return raw === null ? null : zlib.gzipSync(raw);
  }

  /** The same profile as a self-contained flame graph (SVG markup). Null before a profile. */
  toFlameGraph(opts) {
    const where = 'AllocationSampler.toFlameGraph';
    const o = v.options(where, opts);
    return this._sites.flameGraph(
      v.boolean(where, 'growth', o.growth, false),
      v.optionalString(where, 'title', o.title),
      v.integer(where, 'width', o.width, 200, 10_000, undefined),
    );
  }

  /** Metric families: the fastest growing sites (at most `topSites`), counts. */
  metrics() {
    return this._sites.families(this._top);
  }

  /** The same in Prometheus text exposition format. */
  toPrometheus() {
    return native.renderMetricFamilies(this.metrics());
  }
}

module.exports = { AllocationSampler };
