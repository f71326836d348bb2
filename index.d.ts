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
  /** One id per object: tracking a tracked object returns its id (a WeakMap lookup, ~6× the cost). */
  dedupe?: boolean;
  /** Capture the creation stack of every tracked object (costs a stack trace per track()). */
  captureStacks?: boolean;
  /** Most objects alive in the tracker at once (default 1,000,000). */
  maxTracked?: number;
  /** When full: 'throw' a RangeError (default) or 'drop' (track() returns 0, `dropped` counts). */
  overflow?: 'throw' | 'drop';
}

export interface PathStep {
  edge: string;
  name: string;
  type: string;
  location?: { script: string; line: number; column: number };
}

export interface Survivor {
  id: number;
  label: string;
  ageMs: number;
  group?: string;
  /** Creation stack, when the tracker captures stacks. */
  stack?: string;
  /** Retainer path from a GC root, with check({ explain: true }). */
  retainers?: PathStep[];
}

export class Tracker {
  constructor(opts?: TrackerOptions);
  readonly name: string;
  readonly maxTracked: number;
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
  /** Settles the heap, then returns the survivors. */
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
  opts?: { maxRounds?: number; tracker?: Tracker },
): Promise<void>;

export class LeakError extends Error {
  readonly name: 'LeakError';
  readonly survivors: Survivor[];
}
