import type { CollectedMatcherFunctions, CollectedMatchers } from './matchers';

declare global {
  // `expect` of @types/jest.
  namespace jest {
    interface Matchers<R> extends CollectedMatchers<R> {}
  }
}
declare module 'expect' {
  // `expect` of @jest/globals.
  interface Matchers<R> extends CollectedMatchers<R> {}
}
export declare const matchers: CollectedMatcherFunctions;
