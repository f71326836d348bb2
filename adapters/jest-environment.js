'use strict';
// Jest: `testEnvironment: 'leakhound/jest/environment'` checks each test file, when its
// environment is torn down, for what it leaves attached to the worker process (listeners on
// process, intervals, servers, properties of the process's own global) and fails the file with
// the retainer path of each, found in one snapshot (streamed, no file). Nothing is collected or
// snapshotted when nothing was left behind. With `--detectLeaks`, the file's own realm (its vm
// context) is judged too, once Jest's runtime has let it go (see jest-realm-detector.js).
//
// It extends Jest's node environment, resolved from the project that runs Jest.
const path = require('node:path');
const { FileLeakCheck, FileLeakError } = require('../lib/file-leaks/file-check.js');
const { RealmLeakDetector } = require('./jest-realm-detector');

function requireFromProject(name) {
  for (const base of [process.cwd(), __dirname]) {
    try {
      return require(require.resolve(name, { paths: [base] }));
    } catch (err) {
      if (err?.code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  throw new Error(`leakhound/jest/environment: cannot find ${name}; it comes with Jest (npm install --save-dev jest)`);
}

const { TestEnvironment } = requireFromProject('jest-environment-node');

// jest-runner makes its LeakDetector from jest-leak-detector's default export, read when a file
// starts, after its environment module is loaded: that export becomes leakhound's detector.
function answerDetectLeaks() {
  let detector;
  try {
    const runner = path.dirname(require.resolve('jest-runner/package.json', { paths: [process.cwd(), __dirname] }));
    detector = require(require.resolve('jest-leak-detector', { paths: [runner] }));
  } catch {
    return;
  }
  if (detector && typeof detector === 'object') detector.default = RealmLeakDetector;
}
answerDetectLeaks();

class LeakhoundEnvironment extends TestEnvironment {
  #testPath;
  #check = null;

  constructor(config, context) {
    super(config, context);
    this.#testPath = context?.testPath;
  }

  get testPath() {
    return this.#testPath;
  }

  async setup() {
    await super.setup();
    // Globals set on the realm die with it, and test code cannot reach the worker's own (new
    // ones there are Jest's). Test code calls the realm's setInterval, or node:timers'.
    this.#check = new FileLeakCheck({ file: this.#testPath, global: null, timerGlobals: [this.global] });
  }

  async teardown() {
    const check = this.#check;
    this.#check = null;
    // Before the realm's globals are torn down: the watch restores the realm's setInterval.
    const finished = check?.finish();
    await super.teardown();
    const report = await finished;
    if (report !== undefined && report.leaks.length > 0) throw new FileLeakError(report);
  }
}

module.exports = LeakhoundEnvironment;
module.exports.TestEnvironment = LeakhoundEnvironment;
