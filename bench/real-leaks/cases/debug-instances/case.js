'use strict';
// debug 3.1 to 4.2 keeps every instance it creates in `createDebug.instances`, so that a later
// debug.enable() can update them, and only the undocumented instance.destroy() ever removes one.
// Code that creates a debug instance per call (a namespace per request, per job, per tenant…)
// therefore leaks one `debug` function, its closure and its inspectOpts per call, whether or
// not the namespace is enabled. 4.3.0 drops the array: `enabled` became a getter that asks
// createDebug.enabled() each time, so nothing global keeps an instance.
module.exports = {
  package: 'debug',
  leaky: '4.2.0',
  fixed: '4.3.0',
  source: 'https://github.com/debug-js/debug/issues/678',
  shape: 'registry that only grows (a module-level array of every instance)',
  expect: {
    // The instance is the closure `debug` that createDebug() returns.
    group: '^debug$',
    // createDebug.instances[i]
    edges: ['instances'],
  },

  async start(mod) {
    // Nothing enabled: the leak does not depend on output, and the run stays quiet.
    mod.disable();
    return {
      iteration(i) {
        // A logger created inside the function that uses it, as in the upstream report.
        const log = mod('leakhound:job');
        log('job %d started', i);
      },
      async close() {},
    };
  },
};
