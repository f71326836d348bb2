// leakhound — public API types.

export interface GcOptions {
  /** 'major' (default): full mark-compact. 'minor': young generation only. */
  type?: 'major' | 'minor';
  /**
   * 'sync' (default) collects now. 'async' collects from a fresh task with no JavaScript frames on
   * the stack, so objects referenced only from the caller's frames can die; prefer it in checks.
   */
  execution?: 'sync' | 'async';
}

export interface GcResult {
  heapUsedBefore: number;
  heapUsedAfter: number;
  freed: number;
  durationMs: number;
}

/** Forces a garbage collection; works without --expose-gc and leaves globalThis.gc untouched. */
export function gc(opts?: GcOptions & { execution?: 'sync' }): GcResult;
export function gc(opts: GcOptions & { execution: 'async' }): Promise<GcResult>;
export function gc(opts?: GcOptions): GcResult | Promise<GcResult>;

/**
 * Async major GCs interleaved with event-loop turns until the finalizers they caused have run
 * (and nothing tracked is left alive, or a round changes nothing), at most `maxRounds` (default 10).
 */
export function settle(opts?: { maxRounds?: number }): Promise<{ rounds: number }>;

export interface TrackerOptions {
  /** Shown in LeakError messages. */
  name?: string;
  /**
   * Mark each object so survivors can be explained (check({ explain: true }), and LeakError
   * messages from expectCollected show retainer paths). Costs a WeakMap set per track().
   */
  explain?: boolean;
  /** One id per object: tracking a tracked object returns its id (a WeakMap lookup, ~6× the cost). */
  dedupe?: boolean;
  /** Capture the creation stack of every tracked object (costs a stack trace per track()). */
  captureStacks?: boolean;
  /** Most objects alive in the tracker at once (default 1,000,000). */
  maxTracked?: number;
  /** When full: 'throw' a RangeError (default) or 'drop' (track() returns 0, `dropped` counts). */
  overflow?: 'throw' | 'drop';
}

/** Where a function (or an object's constructor) is defined; line and column are 1-based. */
export interface SourceLocation {
  script: string;
  scriptId: number;
  line: number;
  column: number;
}

export interface PathStep {
  /** Property name, `[index]`, or variable name of the reference leading to this object. */
  edge: string;
  /** 'property' | 'element' | 'context' | 'internal' | 'hidden' | 'shortcut' */
  edgeType: string;
  /** The object's name in the snapshot (constructor name, function name, string value…). */
  name: string;
  /** V8 node type: 'object' | 'closure' | 'array' | 'string' | 'hidden' | 'code' | … */
  type: string;
  /** The class name DevTools shows ('(closure)', '(array)', 'Foo', …). */
  className: string;
  id: number;
  selfSize: number;
  retainedSize?: number;
  /** Source location (1-based) of a function, or of an object's constructor. */
  location?: SourceLocation;
  /** How many times this hop repeats in a row (a list's `next`), when more than once. */
  repeat?: number;
}

export interface Survivor {
  id: number;
  label: string;
  ageMs: number;
  group?: string;
  /** Creation stack, when the tracker captures stacks. */
  stack?: string;
  /** Retainer path from a GC root, when explained; null if it was not found in the snapshot. */
  retainers?: PathStep[] | null;
}

export class Tracker {
  constructor(opts?: TrackerOptions);
  readonly name: string;
  readonly maxTracked: number;
  /** Created with explain: true. */
  readonly explainable: boolean;
  /**
   * Tracks an object or function until it is garbage collected; returns its id (unique in this
   * thread). TypeError for primitives. Tracking an already tracked object returns its id and keeps
   * the first label only with dedupe (otherwise each call is its own registration). With
   * overflow: 'drop', returns 0 when the tracker is full.
   */
  track(target: object | Function, label?: string, group?: string): number;
  /** Stops tracking; true if the id was tracked and alive. */
  untrack(id: number): boolean;
  readonly alive: number;
  readonly collected: number;
  readonly dropped: number;
  /** Objects not collected yet, oldest first. */
  survivors(filter?: { group?: string; ids?: number[] }): Survivor[];
  /**
   * Settles the heap, then returns the survivors; with explain (tracker created with explain:
   * true), each survivor's `retainers` is its path from a GC root in a snapshot of this process.
   */
  check(opts?: { maxRounds?: number; explain?: boolean }): Promise<Survivor[]>;
  /** Forgets everything tracked so far; the tracker stays usable. */
  clear(): void;
}

/** The default tracker behind track() and expectCollected(). */
export const tracker: Tracker;
export function track(target: object | Function, label?: string, group?: string): number;

/**
 * Settles the heap and resolves if everything given was collected; otherwise rejects with a
 * LeakError listing the survivors. `what`: a Tracker, an id, ids, or nothing (default tracker).
 */
export function expectCollected(
  what?: Tracker | number | number[],
  opts?: { maxRounds?: number; tracker?: Tracker; explain?: boolean },
): Promise<void>;

/**
 * Runs `fn` `warmup` times, snapshots the heap (baseline), runs it `iterations` times, snapshots
 * (target), runs it `iterations` times again and snapshots (final), all in this process with no
 * file written. Rejects with a LeakError (with `.report`) when groups of objects allocated between
 * baseline and target, at least one per iteration, are still alive in final. `fn` gets the call's
 * number, counted on across the warm-up and both rounds (0, 1, 2, …). Concurrent calls take
 * turns, so each gets the verdict it would get alone.
 */
export function assertNoLeak(
  fn: (call: number) => unknown | Promise<unknown>,
  opts?: {
    iterations?: number;
    warmup?: number;
    /** Track allocations through the inspector so each group names the stack that allocated it. */
    trackAllocations?: boolean;
    /**
     * Give up after this many milliseconds (default 120000), stopping allocation tracking, and
     * reject with an error whose code is 'ERR_LEAKHOUND_TIMEOUT'.
     */
    timeoutMs?: number;
    /** Give up when this aborts, stopping allocation tracking; rejects with code 'ABORT_ERR'. */
    signal?: AbortSignal;
  },
): Promise<LeakReport & { iterations: number }>;

export class LeakError extends Error {
  constructor(message: string, opts?: { survivors?: Survivor[]; report?: LeakReport & { iterations: number } });
  readonly name: 'LeakError';
  readonly survivors: Survivor[];
  /** Set by assertNoLeak. */
  readonly report?: LeakReport & { iterations: number };
}

export interface ClassSummary {
  name: string;
  type: string;
  count: number;
  selfSize: number;
  /** Memory freed if every object of the class were gone (no double counting within the class). */
  retainedSize: number;
  /** Of `retainedSize`, bytes of ArrayBuffer backing stores: Buffer and typed-array memory outside the JS heap. */
  bufferSize: number;
  /** Closure rows (one per function): the function's name and where it is defined. */
  functionName?: string;
  location?: SourceLocation;
}

export interface ClassDelta {
  name: string;
  type: string;
  countBefore: number;
  countAfter: number;
  countDelta: number;
  sizeBefore: number;
  sizeAfter: number;
  sizeDelta: number;
  /** Objects whose id is only in the second snapshot. */
  addedCount: number;
  /** Objects whose id is only in the first snapshot. */
  removedCount: number;
  addedSize: number;
  removedSize: number;
}

export interface SnapshotNode {
  id: number;
  name: string;
  type: string;
  className: string;
  selfSize: number;
  retainedSize: number;
  /** Id of the immediate dominator; absent for the root. */
  dominatorId?: number;
}

export interface LoadOptions {
  /**
   * Called every `progressIntervalMs` (default 200) while loading: bytes parsed and phase. If it
   * throws, it is not called again and the error becomes a process warning; the load goes on.
   */
  onProgress?: (p: { bytes: number; phase: 'parsing' | 'graph' | 'analysis' | 'done' }) => void;
  progressIntervalMs?: number;
}

/** An analysed heap snapshot: graph, dominator tree and retained sizes live in Rust. */
export class HeapSnapshot {
  private constructor();
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Sum of all objects' self sizes, in bytes. */
  readonly totalSize: number;
  /** Native memory the analysed snapshot holds, in bytes; reported to V8 as external memory. */
  readonly nativeBytes: number;
  readonly disposed: boolean;
  /** Frees the native memory now; later queries throw an error with code ERR_LEAKHOUND_DISPOSED. */
  dispose(): void;
  [Symbol.dispose](): void;
  /** Per class, largest retained size first. */
  summary(opts?: { top?: number }): ClassSummary[];
  /** One object by id, or null. */
  node(nodeId: number): SnapshotNode | null;
  /** Objects marked as WeakMap keys whose values are strings starting with `prefix`. */
  markedObjects(prefix: string): { marker: string; id: number }[];
  /** Path from a GC root to the object; null if unreachable; RangeError for an unknown id. */
  retainerPath(nodeId: number): PathStep[] | null;
  /**
   * The same, off the JavaScript thread (the first path of a snapshot walks the whole graph):
   * resolves to what retainerPath returns; rejects with a RangeError for an unknown id. With
   * `without`, the path runs through none of those objects (null if every path does); with
   * `realm`, the path to a realm's global object: through its native context (skipped by
   * default), and not through WeakMap entries.
   */
  retainerPathAsync(nodeId: number, opts?: { without?: number[]; realm?: boolean }): Promise<PathStep[] | null>;
}

/**
 * Loads and analyses a `.heapsnapshot` file, or a stream / async iterable of its chunks (such as
 * `v8.getHeapSnapshot()`), off the JS thread. Rejects with a SnapshotError naming the file and
 * byte offset on bad input.
 */
export function loadSnapshot(source: string | AsyncIterable<Buffer | Uint8Array | string>, opts?: LoadOptions): Promise<HeapSnapshot>;
/** Snapshots this process's heap and analyses it without writing a file (pauses the event loop while V8 walks the heap). */
export function captureSnapshot(opts?: LoadOptions): Promise<HeapSnapshot>;
/** Per-class growth between two snapshots of one process, by object id, largest size growth first. */
export function diffSnapshots(before: string, after: string, opts?: LoadOptions): Promise<ClassDelta[]>;

/** What sort of problem a SnapshotError is. */
export type SnapshotErrorKind = 'io' | 'syntax' | 'data' | 'limit' | 'incompatible' | 'usage' | 'internal';

/**
 * A snapshot that cannot be read, analysed or compared: `io` (reading failed), `syntax` (not
 * well-formed JSON, or cut short), `data` (not a snapshot V8 could have written), `limit`
 * (beyond leakhound's limits or memory), `incompatible` (snapshots that cannot be compared:
 * see `reason`), `usage`, `internal` (a bug to report).
 */
export class SnapshotError extends Error {
  readonly name: 'SnapshotError';
  readonly kind: SnapshotErrorKind;
  readonly code: `ERR_LEAKHOUND_SNAPSHOT_${Uppercase<SnapshotErrorKind>}`;
  /** Why snapshots are incompatible. */
  readonly reason?: 'different-versions' | 'different-processes' | 'wrong-order';
  /** The file the error is about, when one was read. */
  readonly file?: string;
  /** The byte offset in the input the error points at. */
  readonly offset?: number;
}

export interface LeakGroup {
  name: string;
  type: string;
  count: number;
  selfSize: number;
  /** Of `retainedSize`, bytes of ArrayBuffer backing stores: the memory behind Buffers and typed arrays, outside the JS heap. */
  bufferSize: number;
  /** Memory the group keeps alive, counting nothing another leaked object already holds. */
  retainedSize: number;
  representativeId: number;
  /** Path from a GC root to the group's largest member. */
  trace: PathStep[];
  /** Where a closure group's function, or an object group's constructor, is defined. */
  location?: SourceLocation;
  /** Groups folded in because this group's objects own theirs (dominate or hold them exclusively). */
  alsoRetains: {
    name: string;
    type: string;
    count: number;
    /** For closures: the function's name and where it is defined. */
    functionName?: string;
    location?: SourceLocation;
  }[];
  /**
   * The stack that allocated the representative, innermost first, when the snapshots were taken
   * with allocation tracking. Frames are functions and where they are defined (1-based).
   */
  allocation?: { functionName: string; script: string; line: number; column: number }[];
  /** Why `allocation` is missing although allocations were tracked. */
  allocationMissing?: string;
  /** Closure groups: the function's name (`bound handleClose` for bound functions). */
  functionName?: string;
  /** Bound functions: the class of the object they are bound to. */
  boundThis?: string;
  /** The nearest user class the group's objects keep alive, and the edges from them to it. */
  holds?: string;
  holdsVia?: string[];
}

export interface GrowingCollection {
  /** Map, Set, Array, Object… */
  name: string;
  type: string;
  id: number;
  /** Leaked objects it holds (allocated between baseline and target, alive in final). */
  added: number;
  retainedSize: number;
  trace: PathStep[];
}

export interface LeakReport {
  /** Largest retained size first. */
  leaks: LeakGroup[];
  /** Collections that existed at baseline and gained leaked entries, most first. */
  collections: GrowingCollection[];
  leakedObjects: number;
  /** Objects allocated between baseline and target alive in final, engine internals included. */
  survivingObjects: number;
  /** Groups left out for having fewer objects than assertNoLeak's iterations (largest first, ≤ 5). */
  belowCount: { name: string; count: number }[];
  /** Self sizes of every object in the final snapshot, in bytes. */
  heapSize: number;
  /** Per class, baseline to final (with `classDiff: true`), largest size growth first. */
  classDiff?: ClassDelta[];
}

export interface FindLeaksOptions extends LoadOptions {
  /** Also compare baseline and final per class (`report.classDiff`); cheap, used by reports. */
  classDiff?: boolean;
}

/** Three-snapshot leak isolation over snapshot files of one process. */
export function findLeaks(paths: { baseline: string; target: string; final: string }, opts?: FindLeaksOptions): Promise<LeakReport>;

// ---------------------------------------------------------------- memory sampling and monitoring

export interface SamplerOptions {
  /** Sampling period (default 1000 ms). The timer never keeps the process alive. */
  intervalMs?: number;
  /** Samples kept in the ring (default 3600). Memory is fixed up front. */
  capacity?: number;
  /** Also sample each V8 heap space's used size (`heapSpaces`). */
  heapSpaces?: boolean;
  /** Also sample V8's `number_of_detached_contexts`. */
  detachedContexts?: boolean;
  /** Take a sample after each major GC (default true); these drive the verdict. */
  observeGc?: boolean;
  /**
   * Also sample memory outside the JS heap where the platform measures it (default true): the C
   * allocator's memory in use and freed-but-kept (glibc 2.33+ or jemalloc), the resident set's
   * anonymous and file-backed parts, its machine code and thread stacks (Linux). About 20 µs
   * more per sample (reading /proc/self/status is most of it; code and stacks come from
   * /proc/self/smaps, read on a thread of its own at most every 30 s); see `breakdown()`.
   */
  nativeMemory?: boolean;
  /**
   * When a `fragmentation` verdict starts, call `trimNativeHeap()` and report the bytes it gave
   * back as the `leak` event's `reclaimedBytes` (default false: a trim pauses the thread for
   * milliseconds on a large C heap).
   */
  trimOnFragmentation?: boolean;
  /**
   * Bring a major GC forward when the heap has grown well past the last live level and none has
   * come for `intervalMs` (default 8000), so a fast leak is judged in seconds rather than minutes.
   * Costs one GC pause each time, spaced at least 100 pauses apart. Off by default.
   */
  confirmGc?: boolean | { intervalMs?: number; growthRatio?: number; minGrowthBytes?: number };
  /** Trend window (default 10 min) and the warm-up during which post-GC samples are ignored (10 s). */
  windowMs?: number;
  warmupMs?: number;
  /** Fewest post-GC points for a verdict other than stable (5); points kept at most (240). */
  minPoints?: number;
  maxPoints?: number;
  /** Growth across the window that can be a leak: at least this many bytes (1 MiB) and this share of the heap (0.02). */
  minGrowthBytes?: number;
  minGrowthRatio?: number;
  /** Mann–Kendall confidence needed for `leaking` (0.98) and `growing` (0.9). */
  leakConfidence?: number;
  growingConfidence?: number;
  /**
   * Milliseconds for timestamps (default: performance.timeOrigin + performance.now()); for
   * simulations. A reading earlier than the last sample's is taken as the last sample's.
   */
  clock?: () => number;
}

export interface Sample {
  timestamp: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Taken right after a major GC. */
  afterGc: boolean;
  heapSpaces?: Record<string, number>;
  detachedContexts?: number;
  /** With `nativeMemory`, where measured: the C allocator's memory in use and freed-but-kept. */
  mallocInUse?: number;
  mallocFree?: number;
  /** With `nativeMemory`, where measured: resident anonymous memory and mapped files. */
  rssAnon?: number;
  rssFile?: number;
  /** With `nativeMemory`, on Linux: resident machine code and thread stacks (at most 30 s old). */
  rssCode?: number;
  rssStacks?: number;
}

/** Where the resident set of a sample goes (`Sampler.breakdown()`), in bytes. */
export interface MemoryBreakdown {
  timestamp: number;
  rss: number;
  /** The V8 heap: reserved (committed) and in use. */
  heap: { committed: number; used: number };
  external: number;
  arrayBuffers: number;
  /**
   * The C allocator (glibc 2.33+, or jemalloc when it is the allocator): handed out, and freed
   * but kept (fragmentation shows here).
   */
  malloc?: { allocator: 'glibc' | 'jemalloc'; inUse: number; freeHeld: number };
  /** Resident mapped files: the executable's and libraries' code and data (Linux). */
  mappedFiles?: number;
  /** Of `mappedFiles`, the executable mappings: the program's and libraries' machine code (Linux). */
  code?: number;
  /** Resident thread stacks: the main thread's and every thread's whose stack pointer was read (Linux). */
  threadStacks?: number;
  /** Anonymous memory that is neither the V8 heap, the C heap nor a thread stack (Linux). */
  otherMappings?: number;
}

/** What grows: the JS heap, buffers, the C heap (native code), or nothing but fragmentation. */
export type LeakCauseKind = 'js-heap' | 'external' | 'native' | 'fragmentation';

export interface CauseVerdict {
  kind: LeakCauseKind;
  verdict: 'stable' | 'growing' | 'leaking';
  slopeBytesPerSec: number;
  confidence: number;
  growthBytes: number;
  levelBytes: number;
  /** False where the platform does not measure what this cause needs (its verdict stays stable). */
  available: boolean;
}

export interface FieldStats {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p95: number;
  last: number;
}

export interface SampleStats {
  count: number;
  rss?: FieldStats;
  heapTotal?: FieldStats;
  heapUsed?: FieldStats;
  external?: FieldStats;
  arrayBuffers?: FieldStats;
  detachedContexts?: FieldStats;
  heapSpaces?: Record<string, FieldStats>;
}

export interface Trend {
  /** Theil–Sen slope of post-GC heap use. */
  slopeBytesPerSec: number;
  /** Time spanned by the post-GC points used. */
  windowMs: number;
  verdict: 'stable' | 'growing' | 'leaking';
  /** 0..1: for growing/leaking, the Mann–Kendall confidence that the heap rises. */
  confidence: number;
  points: number;
  growthBytes: number;
  /** The fitted post-GC heap at the newest point. */
  levelBytes: number;
  /** The verdict per cause of growth, the JS heap's (this trend's) first. */
  causes: CauseVerdict[];
}

export interface LeakEvent {
  timestamp: number;
  heapUsed: number;
  /** What leaks: the JS heap (then `trend` is the heap trend) or another cause (its verdict). */
  cause: LeakCauseKind;
  trend: Trend | CauseVerdict;
  /** A `fragmentation` leak with `trimOnFragmentation`: the bytes the trim gave back (null where it cannot trim). */
  reclaimedBytes?: number | null;
}

/**
 * Asks the C allocator to give freed memory back to the system (glibc: `malloc_trim(0)`;
 * jemalloc: purge every arena) and returns the bytes the resident set dropped by; null where
 * the allocator cannot trim.
 */
export function trimNativeHeap(): number | null;

export interface MetricFamily {
  name: string;
  help: string;
  kind: 'gauge' | 'counter';
  labelNames: string[];
  samples: { labels: Record<string, string>; value: number }[];
}

export class Sampler {
  constructor(opts?: SamplerOptions);
  /** As created (defaults filled in). */
  readonly intervalMs: number;
  readonly capacity: number;
  readonly running: boolean;
  readonly fields: string[];
  start(): this;
  /** Stops the timer and the GC observer; samples stay readable. Idempotent. */
  stop(): void;
  /** Takes one sample now. */
  sample(): { leak: boolean; memwatchLeak: boolean };
  /** Records a sample measured elsewhere (e.g. replaying a recorded series). */
  push(sample: Partial<Sample> & { timestamp: number; heapUsed: number }): { leak: boolean; memwatchLeak: boolean };
  samples(): Sample[];
  stats(): SampleStats;
  /**
   * Takes one sample now (also while stopped). `afterGc: true` when the caller has just run a
   * major GC (`lh.gc()`): the sample then counts for the verdicts, as the GC observer's do.
   */
  sample(opts?: { afterGc?: boolean }): { leak: boolean; memwatchLeak: boolean };
  trend(): Trend;
  /** Where the newest sample's resident set goes; null before the first sample. */
  breakdown(): MemoryBreakdown | null;
  counts(): { samplesTotal: number; gcSamplesTotal: number; leakEpisodes: number; memwatchLeaks: number; confirmingGcs: number };
  metrics(): MetricFamily[];
  /** Prometheus text, followed by `extra` families if given. */
  toPrometheus(extra?: MetricFamily[]): string;
  toSVG(opts?: { width?: number; height?: number; title?: string }): string;
  clear(): void;
  on(event: 'sample', fn: (sample: Sample) => void): this;
  on(event: 'leak', fn: (event: LeakEvent) => void): this;
  once(event: 'sample', fn: (sample: Sample) => void): this;
  once(event: 'leak', fn: (event: LeakEvent) => void): this;
  off(event: 'sample' | 'leak', fn: (...args: any[]) => void): this;
}

export interface WriteHeapSnapshotOptions {
  /** Default: the working directory. Must exist and be writable. */
  dir?: string;
  /** Default: leakhound-<date>-<time>-<pid>-<n>.heapsnapshot; never overwrites. */
  filename?: string;
  /** Free memory needed, as a multiple of the heap in use (default 1). */
  headroomFactor?: number;
}

/** Writes a snapshot safely (headroom and disk checks, 0600, temp + link) and returns its path. */
export function writeHeapSnapshot(opts?: WriteHeapSnapshotOptions): string;

export class SnapshotWriteError extends Error {
  readonly name: 'SnapshotWriteError';
  /** ENOENT, ENOTDIR, EACCES, EEXIST, EFBIG, ENOSPC, ERR_LEAKHOUND_HEADROOM, ERR_LEAKHOUND_DISK… */
  code: string;
}

export interface MonitorOptions extends SamplerOptions {
  /** Where snapshots go; required with any trigger. Keep it private: snapshots hold secrets. */
  dir?: string;
  /** Snapshot when heapUsed / rss reach these (re-armed below 90%). */
  heapUsedBytes?: number;
  rssBytes?: number;
  /** Snapshot when the verdict turns to leaking. */
  onLeak?: boolean;
  /** Snapshot on this signal. */
  signal?: 'SIGUSR1' | 'SIGUSR2' | 'SIGHUP' | 'SIGWINCH' | 'SIGBREAK' | false;
  /** V8 writes up to this many snapshots near the heap limit (process-wide; into --diagnostic-dir or cwd). */
  nearHeapLimit?: boolean | number;
  /** Policy: at least this long between snapshots (default 60 s), at most this many (5). */
  minIntervalMs?: number;
  maxCount?: number;
  /** Refuse when the directory's .heapsnapshot files plus the next would exceed this. */
  maxDiskBytes?: number;
  headroomFactor?: number;
  /** Use this sampler (you start and stop it) instead of creating one. */
  sampler?: Sampler;
  /**
   * Also sample allocations (opt-in): true, AllocationSampler options, or an AllocationSampler you
   * start and stop. Adds the 'allocation-leak' event and the allocation site metrics.
   */
  allocations?: boolean | AllocationSamplerOptions | AllocationSampler;
}

export interface SnapshotInfo {
  path: string;
  trigger: string;
  bytes: number;
  durationMs: number;
  timestamp: number;
}

export interface RefusedSnapshot {
  trigger: string;
  /** stopped, no-dir, busy, max-count, rate-limit, disk-budget, headroom, disk-space, write-failed */
  reason: string;
  message: string;
  timestamp: number;
  error?: Error;
}

export class Monitor {
  /** Same as monitor(opts). */
  constructor(opts?: MonitorOptions);
  readonly sampler: Sampler;
  /** The allocation sampler, when `allocations` was given; else null. */
  readonly allocations: AllocationSampler | null;
  readonly running: boolean;
  readonly snapshots: SnapshotInfo[];
  /** The last 100 refusals. */
  readonly refused: RefusedSnapshot[];
  /** Writes a snapshot if the policy allows; null when refused. */
  snapshot(trigger?: string): string | null;
  metrics(): MetricFamily[];
  toPrometheus(): string;
  /** Idempotent. */
  stop(): void;
  on(event: 'snapshot', fn: (info: SnapshotInfo) => void): this;
  on(event: 'refused', fn: (info: RefusedSnapshot) => void): this;
  on(event: 'leak', fn: (event: LeakEvent) => void): this;
  on(event: 'allocation-leak', fn: (site: GrowingSite) => void): this;
  once(event: 'snapshot', fn: (info: SnapshotInfo) => void): this;
  once(event: 'refused', fn: (info: RefusedSnapshot) => void): this;
  once(event: 'leak', fn: (event: LeakEvent) => void): this;
  once(event: 'allocation-leak', fn: (site: GrowingSite) => void): this;
  off(event: 'snapshot' | 'refused' | 'leak' | 'allocation-leak', fn: (...args: any[]) => void): this;
}

export interface AllocationSamplerOptions {
  /** Bytes allocated between two samples, on average (default 512 KiB). */
  intervalBytes?: number;
  /** Time between two profiles (default 10 s). */
  windowMs?: number;
  /** User frames that make a site (default 4). */
  maxStackDepth?: number;
  /** V8's profile keeps a node per stack ever sampled: past this many it restarts (default 20,000). */
  maxProfileNodes?: number;
  /** A major GC before each profile (default false: dead objects leave at the next GC anyway). */
  gcBeforeProfile?: boolean;
  /** Sites given a metric series (default 10). */
  topSites?: number;
  /** Sites followed at most (default 1000); points per site (120); fewest points for a verdict (12). */
  maxSites?: number;
  maxPoints?: number;
  minPoints?: number;
  /** Smallest growth that can be a leak (default 16 × intervalBytes), and as a share of the site (0.1). */
  minGrowthBytes?: number;
  minGrowthRatio?: number;
  /** Expected share of false sites among those reported (default 0.01). */
  falseDiscoveryRate?: number;
}

/** A site whose live bytes grow. */
export interface GrowingSite {
  functionName: string;
  script: string;
  /** 1-based: the allocating function's position. */
  line: number;
  column: number;
  /** The site's frames, allocating frame first: `name (script:line:column)`. */
  stack: string[];
  liveBytes: number;
  slopeBytesPerSec: number;
  confidence: number;
}

/** Where the memory a process keeps is allocated: V8's sampling heap profiler, per-site growth. */
export class AllocationSampler {
  constructor(opts?: AllocationSamplerOptions);
  readonly intervalBytes: number;
  readonly windowMs: number;
  readonly maxProfileNodes: number;
  readonly running: boolean;
  /**
   * Starts the profiler (in-process inspector session) and the unref'd window timer. One per
   * thread: a second throws ERR_LEAKHOUND_ALLOCATION_SAMPLER_ACTIVE until the first stops.
   */
  start(): this;
  /** Idempotent; sites stay readable. */
  stop(): void;
  /** Takes a profile now and updates the verdict. */
  profile(): { nodes: number; sites: number; liveBytes: number };
  growingSites(): GrowingSite[];
  counts(): { sites: number; droppedSites: number; profiles: number; restarts: number };
  /** gzipped pprof `profile.proto` of live bytes, or of growth since the first profile; null before one. */
  toPprof(opts?: { growth?: boolean }): Buffer | null;
  /** Flame graph SVG of the same; null before a profile. */
  toFlameGraph(opts?: { growth?: boolean; title?: string; width?: number }): string | null;
  metrics(): MetricFamily[];
  toPrometheus(): string;
  on(event: 'allocation-leak', fn: (site: GrowingSite) => void): this;
  on(event: 'profile', fn: (p: { nodes: number; sites: number; liveBytes: number }) => void): this;
  /** V8's profile started over: past maxProfileNodes, or stopped by another tool; sites start over. */
  on(event: 'restart', fn: (r: { reason: 'max-profile-nodes' | 'stopped-elsewhere'; nodes: number; maxProfileNodes: number }) => void): this;
  once(event: 'allocation-leak' | 'profile' | 'restart', fn: (...args: any[]) => void): this;
  off(event: 'allocation-leak' | 'profile' | 'restart', fn: (...args: any[]) => void): this;
}

/** One monitor per process: a second throws ERR_LEAKHOUND_MONITOR_ACTIVE until the first stops. */
export function monitor(opts?: MonitorOptions): Monitor;

/** Registers the figures as prom-client gauges and counters, read at scrape time. */
export function registerPromClient(
  source: Sampler | Monitor | AllocationSampler,
  opts?: { client?: unknown; registry?: unknown },
): { names: string[]; unregister(): void };

/** Reports the figures as OpenTelemetry observable gauges and counters on `meter`. */
export function registerOpenTelemetry(source: Sampler | Monitor | AllocationSampler, opts: { meter: unknown }): { names: string[]; unregister(): void };

// ---------------------------------------------------------------- reports

export interface HtmlReportOptions {
  /** Shown as the page title (default "leakhound leak report"). */
  title?: string;
  /** A memory timeline: a Sampler, or samples as `sampler.samples()` returned them (e.g. saved as JSON). */
  sampler?: Sampler;
  samples?: Sample[];
  /** Where the growing memory is allocated: its growing sites and a flame graph of their growth. */
  allocations?: AllocationSampler;
  /** Script and file paths under this directory are shown relative to it (the CLI uses its cwd). */
  baseDir?: string;
}

/**
 * Three-snapshot leak isolation as one self-contained HTML document (no network): leak groups
 * with counts, retained sizes, share of the heap and retainer chains, growing collections, a
 * sortable per-class diff, and the memory timeline when given. Write it anywhere and open it.
 */
export function htmlReport(
  paths: { baseline: string; target: string; final: string },
  opts?: HtmlReportOptions & LoadOptions,
): Promise<string>;

/** The same document from a report you already have (findLeaks, assertNoLeak or LeakError.report). */
export function renderHtmlReport(
  report: LeakReport,
  opts?: HtmlReportOptions & { files?: { baseline?: string; target?: string; final?: string } },
): string;
