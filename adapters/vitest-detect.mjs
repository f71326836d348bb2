// Vitest: `setupFiles: ['leakhound/vitest/detect']` checks each test file, when its tests end,
// for what it leaves behind (listeners on process, globals, intervals, servers) and fails the
// file with the retainer path of each. Works in the forks, threads and vmThreads pools: the
// setup file runs before every test file, in the file's own worker or realm.
//
// With LEAKHOUND_DETECT_FAIL=run the files do not fail: each report is kept in the file's task
// meta, and the reporter `leakhound/vitest/detect-reporter` prints them all and fails the run.
import { afterAll } from 'vitest';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { FileLeakCheck, FileLeakError } = require('../lib/file-leaks/file-check.js');

// In the vm pools each file runs in its own realm: globals set there die with it.
const pool = globalThis.__vitest_worker__?.ctx?.pool ?? '';
const inOwnRealm = pool.startsWith('vm');
const check = new FileLeakCheck({ global: inOwnRealm ? null : globalThis, timerGlobals: [globalThis] });
const failRun = process.env.LEAKHOUND_DETECT_FAIL === 'run';

// Vitest passes the hook's fixtures first (destructured, as it requires) and the file's suite second.
afterAll(async ({}, file) => {
  const report = await check.finish(file?.filepath);
  if (report.leaks.length === 0) return;
  const error = new FileLeakError(report);
  if (!failRun) throw error;
  if (file?.meta) file.meta.leakhound = error.message;
  process.stderr.write(`${error.message}\n`);
});
