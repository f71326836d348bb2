'use strict';
// leakhound's error classes, all of them:
// - LeakError: what survived, for how long, where it was created and (when known) what holds
//   it; or, from assertNoLeak, which groups of objects grew with the iterations and why;
// - SnapshotError: a snapshot that cannot be read or compared, with its kind, file and offset;
// - SnapshotWriteError: a snapshot that was not written (disk, headroom), with the figures.
const { formatPath, formatLeakReport, printable } = require('./format');

function formatAge(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60000).toFixed(1)} min`;
}

function formatSurvivor(s) {
  const label = s.label === undefined || s.label === null ? '<unlabelled>' : printable(s.label);
  const lines = [`  - #${s.id} ${label}${s.group ? ` [${printable(s.group)}]` : ''}, alive for ${formatAge(s.ageMs)}`];
  if (s.stack) lines.push(...s.stack.split('\n').map((l) => `      ${printable(l.trim())}`));
  if (s.retainers) {
    const frame = suspendedFrame(s.retainers);
    if (frame) {
      const at = frame.location ? ` at ${printable(frame.location.script)}:${frame.location.line}:${frame.location.column}` : '';
      lines.push(
        `      held by a suspended async function${at}: its frame keeps its locals alive while it awaits a promise that has not settled (settle or time out that promise, or drop the reference before the await)`,
      );
    }
    lines.push('      retained by (from a GC root):', formatPath(s.retainers, { indent: '        ' }));
  } else if (s.retainers === null) {
    lines.push('      (not found in the heap snapshot: it may have been collected since)');
  }
  return lines.join('\n');
}

const MAX_LISTED = 20;

/** The suspended async function (its generator object) whose frame a path runs through. */
function suspendedFrame(steps) {
  const at = steps.findIndex((s, i) => /^(Async)?Generator$/.test(s.className) && steps[i + 1]?.edge === 'parameters_and_registers');
  return at < 0 ? null : steps[at];
}

class LeakError extends Error {
  /** `survivors`: tracked objects not collected; `report`: set by assertNoLeak. */
  constructor(message, { survivors = [], report } = {}) {
    super(message);
    this.name = 'LeakError';
    this.survivors = survivors;
    if (report !== undefined) this.report = report;
  }
}

/**
 * A snapshot that cannot be read, analysed or compared. `kind` says what sort of problem it is
 * ('io', 'syntax', 'data', 'limit', 'incompatible', 'usage', 'internal'), and `code` is
 * `ERR_LEAKHOUND_SNAPSHOT_<KIND>`; `file` and `offset` (bytes) say where, when known;
 * `reason` says why snapshots are incompatible ('different-versions', 'different-processes',
 * 'wrong-order').
 */
class SnapshotError extends Error {
  constructor(message, { kind = 'internal', reason, file, offset, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SnapshotError';
    this.kind = kind;
    this.code = `ERR_LEAKHOUND_SNAPSHOT_${kind.toUpperCase()}`;
    if (reason != null) this.reason = reason;
    if (file != null) this.file = file;
    if (offset != null) this.offset = offset;
  }
}

// The addon's errors carry their details as JSON in a cause marked with this (src/errors.rs).
const DETAILS = 'LEAKHOUND_DETAILS';

/**
 * `err` as a SnapshotError: the addon's with the details it carries (every error it raises on a
 * snapshot path has them); anything else came from reading the source (a stream that failed),
 * so kind 'io', with the original as its cause.
 */
function snapshotError(err) {
  if (err instanceof SnapshotError) return err;
  const carried = err?.cause?.message;
  if (typeof carried === 'string' && carried.startsWith(DETAILS)) {
    let details = {};
    try {
      details = JSON.parse(carried.slice(DETAILS.length));
    } catch {
      // A malformed detail string is the addon's bug: the message still says what happened.
    }
    return new SnapshotError(err.message, details);
  }
  return new SnapshotError(String(err?.message ?? err), { kind: 'io', file: err?.path, cause: err });
}

class SnapshotWriteError extends Error {
  constructor(message, code, extra) {
    super(message);
    this.name = 'SnapshotWriteError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/** Tracked objects that were not collected, each with its age, stack and retainers if known. */
function survivorsError(survivors, tracker) {
  const n = survivors.length;
  const head = `${n} tracked object${n === 1 ? ' was' : 's were'} not collected (tracker "${tracker}"):`;
  const listed = survivors.slice(0, MAX_LISTED).map(formatSurvivor);
  if (n > MAX_LISTED) listed.push(`  … and ${n - MAX_LISTED} more`);
  return new LeakError([head, ...listed].join('\n'), { survivors });
}

/** Groups of objects that grew with assertNoLeak's iterations. */
function reportError(report) {
  const n = report.leaks.length;
  const head = `${n} group${n === 1 ? '' : 's'} of objects grew with each of ${report.iterations} iterations and stayed alive:`;
  return new LeakError(`${head}\n\n${formatLeakReport(report)}`, { report });
}

/**
 * Surfaces an error thrown where leakhound's own work must go on (a timer, a signal handler, a
 * user callback) as a process warning named LeakhoundWarning, with the error as its cause.
 */
function emitWarning(what, err) {
  const warning = new Error(`${what}: ${err?.message ?? String(err)}`, { cause: err });
  warning.name = 'LeakhoundWarning';
  process.emitWarning(warning);
}

module.exports = { emitWarning, LeakError, SnapshotError, SnapshotWriteError, snapshotError, survivorsError, reportError, formatAge };
