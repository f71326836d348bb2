import type { TestContext } from 'vitest';
import type { CollectedMatcherFunctions, CollectedMatchers } from './matchers.js';
import type { assertNoLeak as assertNoLeakAlone } from '../index.js';

declare module 'vitest' {
  interface Assertion<T = any> extends CollectedMatchers<T> {}
  interface AsymmetricMatchersContaining extends CollectedMatchers {}
}
export declare const matchers: CollectedMatcherFunctions;

/** assertNoLeak under the test context's signal: a test that times out or is cancelled stops it. */
export declare function assertNoLeak(
  context: TestContext,
  fn: Parameters<typeof assertNoLeakAlone>[0],
  opts?: Parameters<typeof assertNoLeakAlone>[1],
): ReturnType<typeof assertNoLeakAlone>;
