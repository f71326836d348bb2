import type { CollectedMatchers } from './matchers';

declare module 'vitest' {
  interface Assertion<T = any> extends CollectedMatchers<T> {}
  interface AsymmetricMatchersContaining extends CollectedMatchers {}
}
export declare const matchers: Record<string, (...args: any[]) => Promise<{ pass: boolean; message(): string }>>;
