// ESM entry: the same objects as the CommonJS entry (one default tracker per thread); Node derives
// the named exports from index.js.
export * from './index.js';
export { default } from './index.js';
