import type { Tracker } from '../index';

export interface CollectedMatchers<R = unknown> {
  /** Settles the heap, then passes if every given id (or everything in the Tracker) was collected. */
  toBeCollected(opts?: { maxRounds?: number }): Promise<R>;
}
export type Collectable = Tracker | number | number[];
