import type { TestContext } from 'node:test';
import type { Tracker, TrackerOptions, assertNoLeak as assertNoLeakAlone } from '../index';

/** A Tracker for this test; the test fails after its body if anything tracked survived. */
export declare function useTracker(t: TestContext, opts?: TrackerOptions & { maxRounds?: number }): Tracker;

/** assertNoLeak under the test's signal: a test that times out or is cancelled stops it. */
export declare function assertNoLeak(
  t: TestContext,
  fn: Parameters<typeof assertNoLeakAlone>[0],
  opts?: Parameters<typeof assertNoLeakAlone>[1],
): ReturnType<typeof assertNoLeakAlone>;
