'use strict';
// LeakError: what survived, for how long, where it was created and (when known) what holds it;
// or, from assertNoLeak, which groups of objects grew with the iterations and why.
const { formatPath, formatLeakGroups, formatCollections } = require('./format');

function formatAge(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60000).toFixed(1)} min`;
}

function formatSurvivor(s) {
  const lines = [`  - #${s.id} ${s.label ?? '<unlabelled>'}${s.group ? ` [${s.group}]` : ''}, alive for ${formatAge(s.ageMs)}`];
  if (s.stack) lines.push(...s.stack.split('\n').map((l) => `      ${l.trim()}`));
  if (s.retainers) {
    lines.push('      retained by (from a GC root):', formatPath(s.retainers, { indent: '        ' }));
  } else if (s.retainers === null) {
    lines.push('      (not found in the heap snapshot: it may have been collected since)');
  }
  return lines.join('\n');
}

const MAX_LISTED = 20;

class LeakError extends Error {
  constructor(survivors, { tracker = 'default' } = {}) {
    const n = survivors.length;
    const head = `${n} tracked object${n === 1 ? ' was' : 's were'} not collected (tracker "${tracker}"):`;
    const listed = survivors.slice(0, MAX_LISTED).map(formatSurvivor);
    if (survivors.length > MAX_LISTED) listed.push(`  … and ${survivors.length - MAX_LISTED} more`);
    super([head, ...listed].join('\n'));
    this.name = 'LeakError';
    this.survivors = survivors;
  }

  /** A LeakError for an assertNoLeak report: `.report` holds the groups. */
  static fromReport(report) {
    const n = report.leaks.length;
    const head = `${n} group${n === 1 ? '' : 's'} of objects grew with each of ${report.iterations} iterations and stayed alive:`;
    const err = new LeakError([]);
    const collections = report.collections.length ? `\n\nGrowing collections:\n\n${formatCollections(report.collections)}` : '';
    err.message = `${head}\n\n${formatLeakGroups(report.leaks)}${collections}`;
    err.report = report;
    return err;
  }
}

module.exports = { LeakError, formatAge };
