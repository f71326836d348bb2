import type { CollectedMatchers } from './matchers';

declare global {
  namespace jest {
    interface Matchers<R> extends CollectedMatchers<R> {}
  }
}
export declare const matchers: Record<string, (...args: any[]) => Promise<{ pass: boolean; message(): string }>>;
