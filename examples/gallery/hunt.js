// The gallery's runner: runs one example's request handler under leakhound's assertNoLeak (the
// three-snapshot method in this process: warm up, snapshot, run the handler, snapshot, run it
// again, snapshot) and prints what leaked and why, or that nothing did.
'use strict';
const { assertNoLeak, LeakError } = require('../..');

/**
 * `handle(i)` serves request number i. Exits when done: a leaky example may have left timers
 * running that would otherwise keep the process alive.
 */
async function hunt(title, handle, { iterations = 20, warmup = 20 } = {}) {
  console.log(`${title}\n${'='.repeat(title.length)}`);
  try {
    const report = await assertNoLeak(handle, { iterations, warmup });
    console.log(`leakhound: no leak. Nothing allocated per request survived ${report.iterations} more requests.`);
  } catch (err) {
    if (!(err instanceof LeakError)) throw err;
    console.log(`leakhound: LEAK. ${err.message}`);
  }
  process.exit();
}

module.exports = { hunt };
