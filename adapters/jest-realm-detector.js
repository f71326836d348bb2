'use strict';
// With `--detectLeaks`, Jest asks a LeakDetector, once a file's environment is torn down and its
// runtime let go, whether the file's realm (its vm context) is still alive. Under leakhound's
// environment that detector is this one: the realm's global is tracked, the heap settled until
// finalizers have run, and a surviving realm is looked up in one snapshot for its retainer path,
// holders known to be harmless set aside. The path is printed with the file's name; Jest then
// fails the file as leaking.
const { Tracker } = require('../lib/tracker');
const { explainSurvivingFile, formatFileLeaks, recordReport } = require('../lib/file-leaks/file-check');

const WHAT = "the test file's realm (its vm context)";

class RealmLeakDetector {
  #tracker = new Tracker({ name: 'jest realm', explain: true });
  #byId = new Map();
  #file;

  /** Jest passes the test environment (Jest 30) or its global object (earlier versions). */
  constructor(environment, _opts) {
    const global = environment?.global ?? environment;
    this.#file = environment?.testPath ?? '(unknown test file)';
    if (global !== null && (typeof global === 'object' || typeof global === 'function')) {
      this.#byId.set(this.#tracker.track(global, WHAT), { kind: 'collect', what: WHAT });
    }
  }

  async isLeaking() {
    const survivors = await this.#tracker.check();
    const report = { file: this.#file, realm: true, leaks: [], harmless: [], snapshots: 0 };
    if (survivors.length > 0) await explainSurvivingFile(survivors, this.#byId, report);
    this.#tracker.clear();
    recordReport(report);
    if (report.leaks.length === 0) return false;
    process.stderr.write(`${formatFileLeaks(report)}\n`);
    return true;
  }
}

module.exports = { RealmLeakDetector };
