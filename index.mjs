// ESM entry: the same objects as the CommonJS entry (one default tracker per thread).
import leakhound from './index.js';

export const { gc, settle, Tracker, tracker, track, expectCollected, LeakError } = leakhound;
export default leakhound;
