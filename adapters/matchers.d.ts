import type { Survivor, Tracker, expectCollected } from '../index';

/** toBeCollected's options: expectCollected's (maxRounds, tracker for ids of another tracker, explain). */
export type CollectedOptions = NonNullable<Parameters<typeof expectCollected>[1]>;

export interface CollectedMatchers<R = unknown> {
  /** Settles the heap, then passes if every given id (or everything in the Tracker) was collected. */
  toBeCollected(opts?: CollectedOptions): Promise<R>;
}
export type Collectable = Tracker | number | number[];

/** The matchers the adapters register with expect.extend() (a type alias, so it fits their index signatures). */
export type CollectedMatcherFunctions = {
  toBeCollected(
    received: unknown,
    opts?: CollectedOptions,
  ): Promise<{ pass: boolean; message(): string; survivors?: Survivor[] }>;
};
