'use strict';
// One test file's leak check. Created when the file starts (the baseline of what hangs on the
// process); `finish()` after the file's tests: what is left attached after settling is looked up
// in one snapshot of the process (streamed, no file) for its retainer path. Nothing is loaded,
// collected or snapshotted when nothing is left behind. `explainSurvivingFile` does the snapshot
// part for other checks (Jest's realm, in adapters/jest-realm-detector.js).
const path = require('node:path');
const { OutwardRoots } = require('./outward-roots');
const { harmlessHolder, harmlessLeftover, NO_PATH } = require('./harmless');

// How many harmless holders one path may be re-searched around.
const MAX_DETOURS = 4;

class FileLeakError extends Error {
  constructor(report) {
    super(formatFileLeaks(report));
    this.name = 'FileLeakError';
    // Not enumerable, and no stack of our own: a runner prints the message, which says it all.
    const hidden = (value) => ({ value, enumerable: false, writable: true, configurable: true });
    Object.defineProperties(this, {
      code: hidden('ERR_LEAKHOUND_FILE_LEAK'),
      file: hidden(report.file),
      leaks: hidden(report.leaks),
      stack: hidden(`${this.name}: ${this.message}`),
    });
  }
}

// Loaded on first need: a clean file never loads the addon (nor does a vm realm that merely
// imports this module).
const lazy = () => ({ ...require('../tracker'), ...require('../snapshot'), ...require('../explain'), ...require('../format') });

class FileLeakCheck {
  #file;
  #roots;
  #done = false;

  /**
   * `file`: the test file's path; `global`: the global object whose new properties outlive the
   * file (null: none); `timerGlobals`: the global objects test code calls setInterval through.
   */
  constructor({ file, global, timerGlobals } = {}) {
    this.#file = typeof file === 'string' ? file : '(unknown file)';
    this.#roots = new OutwardRoots({ global, timerGlobals });
  }

  get file() {
    return this.#file;
  }

  /**
   * `file`: the test file's path, where it was not known when the check began. Resolves to
   * { file, leaks: [{ kind, what, retainers }], harmless: [{ what, rule }], snapshots }:
   * `retainers` is the path from a GC root (PathStep[]), or null where none was found;
   * `snapshots`, how many were taken (0 or 1).
   */
  async finish(file) {
    if (this.#done) throw new Error('FileLeakCheck.finish(): already finished');
    this.#done = true;
    if (typeof file === 'string') this.#file = file;
    // Let close callbacks that are already queued run before judging what is still attached.
    await turns(2);
    const report = { file: this.#file, leaks: [], harmless: [], snapshots: 0 };
    const tracked = this.#trackWhatRemains(report);
    if (tracked === null) {
      recordReport(report);
      return report;
    }
    const survivors = await tracked.tracker.check();
    // The tracker's markers are what the snapshot finds the survivors by: cleared afterwards.
    if (survivors.length > 0) await explain(survivors, tracked.byId, report);
    tracked.tracker.clear();
    recordReport(report);
    return report;
  }

  // Synchronous on purpose: a suspended async function keeps its temporaries alive, and these
  // hold the very objects whose survival is being judged.
  #trackWhatRemains(report) {
    const candidates = this.#roots.leftovers().filter((l) => {
      const rule = harmlessLeftover(l);
      if (rule !== null) report.harmless.push({ what: l.what, rule: rule.name });
      return rule === null;
    });
    this.#roots.stop();
    if (candidates.length === 0) return null;
    const { Tracker } = lazy();
    const tracker = new Tracker({ name: `file ${path.basename(this.#file)}`, explain: true });
    const byId = new Map();
    for (const c of candidates) byId.set(tracker.track(c.value, c.what), { kind: c.kind, what: c.what });
    return { tracker, byId };
  }
}

async function explain(survivors, byId, report) {
  const { captureSnapshot, markerFor } = lazy();
  const snapshot = await captureSnapshot();
  report.snapshots = (report.snapshots ?? 0) + 1;
  try {
    const nodes = new Map(snapshot.markedObjects(`${markerFor('')}`).map((m) => [m.marker, m.id]));
    for (const s of survivors) {
      const { kind, what } = byId.get(s.id);
      const nodeId = nodes.get(markerFor(s.id));
      // A realm's global is reached through its native context, from any of its functions held.
      const realm = kind === 'collect';
      let retainers = nodeId === undefined ? null : await snapshot.retainerPathAsync(nodeId, { realm });
      const without = [];
      let rule = null;
      for (let i = 0; retainers !== null && i < MAX_DETOURS; i++) {
        const held = harmlessHolder(retainers);
        if (held === null) break;
        rule = held.rule;
        // The object is itself what the harmless holder is (the dispatcher as a new global).
        if (held.holderId === nodeId) {
          retainers = null;
          break;
        }
        without.push(held.holderId);
        retainers = await snapshot.retainerPathAsync(nodeId, { without, realm });
      }
      if (retainers === null && rule !== null) report.harmless.push({ what, rule: rule.name });
      // A realm that outlived the settle with no path left by the realm rules is held only
      // through what a snapshot draws without its retaining, or by Node's own vm wrapper: not
      // something the file did (see NO_PATH in harmless.js).
      else if (retainers === null && kind === 'collect') report.harmless.push({ what, rule: NO_PATH.name });
      else report.leaks.push({ kind, what, retainers });
    }
  } finally {
    snapshot.dispose();
  }
}

/**
 * With LEAKHOUND_DETECT_LOG set to a file path, each file's verdict is appended to it as one JSON
 * line ({ file, realm?, leaks: [what], harmless: [{ what, rule }], snapshots }, mode 0600): what was
 * judged harmless, and why, stays visible to whoever reads the run.
 */
function recordReport(report) {
  const log = process.env.LEAKHOUND_DETECT_LOG;
  if (!log) return;
  const line = {
    file: report.file,
    ...(report.realm ? { realm: true } : {}),
    leaks: report.leaks.map((l) => l.what),
    harmless: report.harmless,
    snapshots: report.snapshots ?? 0,
  };
  require('node:fs').appendFileSync(log, `${JSON.stringify(line)}\n`, { mode: 0o600 });
}

const turns = async (n) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** The report as text: one paragraph per leak, with its retainer path. */
function formatFileLeaks(report) {
  const { formatPath } = lazy();
  const n = report.leaks.length;
  const file = path.relative(process.cwd(), report.file) || report.file;
  const lines = [`${file} leaks: ${n} thing${n === 1 ? '' : 's'} outlived the file`];
  for (const leak of report.leaks) {
    lines.push(`- ${leak.what}${leak.kind === 'collect' ? ' was not collected' : ''}`);
    lines.push(leak.retainers ? formatPath(leak.retainers, { indent: '    ' }) : '    (no retainer path found)');
  }
  return lines.join('\n');
}

module.exports = { FileLeakCheck, FileLeakError, formatFileLeaks, recordReport, explainSurvivingFile: explain };
