// Compile-time assertions for the consumers in this directory.

/** true only when A and B are the same type; `any` equals nothing but `any`. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when its type argument is `true`: `assertType<Equal<typeof x, Expected>>()`. */
export function assertType<T extends true>(): T | void {}

/** true when T is `any`, which would let every use compile. */
export type IsAny<T> = 0 extends 1 & T ? true : false;
