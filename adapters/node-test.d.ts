import type { TestContext } from 'node:test';
import type { Tracker, TrackerOptions } from '../index';

/** A Tracker for this test; the test fails after its body if anything tracked survived. */
export declare function useTracker(t: TestContext, opts?: TrackerOptions & { maxRounds?: number }): Tracker;
