'use strict';
// Intervals a test file starts and never clears. Node has no public list of timers (active
// handles omit them, and unref'd ones are invisible everywhere), so setInterval is wrapped while a
// file runs and each interval the program itself starts is remembered weakly.
const timers = require('node:timers');
const { syncBuiltinESMExports } = require('node:module');
const { WeakList } = require('./weak-list');
const { calledFromUserCode } = require('./user-caller');

class IntervalWatch {
  #list = new WeakList();
  #patched = []; // [global, original setInterval]
  #originalModule;

  /**
   * Starts watching setInterval on each of `globals` (the global objects test code calls it
   * through: a runner's vm realm has its own) and in node:timers.
   */
  constructor(globals = [globalThis]) {
    this.#originalModule = timers.setInterval;
    const list = this.#list;
    const wrap = (original) =>
      function setInterval(...args) {
        const timer = Reflect.apply(original, this, args);
        if (timer !== null && typeof timer === 'object' && calledFromUserCode(setInterval)) list.add(timer);
        return timer;
      };
    for (const global of new Set(globals)) {
      const original = global.setInterval;
      if (typeof original !== 'function') continue;
      this.#patched.push([global, original]);
      global.setInterval = wrap(original);
    }
    timers.setInterval = wrap(this.#originalModule);
    // `import { setInterval } from 'node:timers'` reads the builtin's ESM view.
    syncBuiltinESMExports();
  }

  /** Intervals started since the watch began that are still running. */
  active() {
    // `_destroyed` is set by clearInterval/clearTimeout (the public API has no "is active").
    return this.#list.live((timer) => timer._destroyed !== true);
  }

  /** Puts the original setInterval back and forgets every interval. */
  stop() {
    for (const [global, original] of this.#patched) global.setInterval = original;
    this.#patched = [];
    timers.setInterval = this.#originalModule;
    syncBuiltinESMExports();
    this.#list.clear();
  }
}

module.exports = { IntervalWatch };
