// node:test: `node --test --import leakhound/node-test/detect` checks each test file for what it
// leaves behind when its tests end (listeners on process, globals, intervals, open servers) and
// fails the file with the retainer path of each. Under `--test` every file runs in its own
// process, where this module is preloaded; the runner's own process is left alone.
import { after } from 'node:test';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { FileLeakCheck, FileLeakError } = require('../lib/file-leaks/file-check.js');

const isRunner = !process.env.NODE_TEST_CONTEXT && process.execArgv.some((a) => a === '--test' || a.startsWith('--test='));

let check = null;
if (!isRunner && process.argv[1] !== undefined) {
  // Registering a hook creates the file's root test, and with it the runner's own listeners: the
  // baseline is taken after them. Root `after` hooks run in the order they were added, and this
  // one is added before the file's: it adds the check behind the file's own, to run after its
  // cleanup.
  after((t) => t.after(checkFile));
  check = new FileLeakCheck({ file: process.argv[1] });
}

// A hook added this late cannot fail the file through the runner (its error is not reported on
// every Node version): the report goes to stderr, which the runner shows, and the exit code
// fails the file.
async function checkFile() {
  const report = await check.finish();
  if (report.leaks.length === 0) return;
  process.stderr.write(`${new FileLeakError(report).message}\n`);
  process.exitCode = 1;
}
