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
  // Registering the hook creates the file's root test, and with it the runner's own listeners:
  // the baseline is taken after them.
  after(checkFile);
  check = new FileLeakCheck({ file: process.argv[1] });
}

async function checkFile() {
  const report = await check.finish();
  if (report.leaks.length > 0) throw new FileLeakError(report);
}
