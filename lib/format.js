'use strict';
// Human-readable rendering shared by the CLI and error messages. `paint` adds colour (the CLI on
// a terminal); the default leaves text plain.
const { isOwnCode } = require('./own-code');

const plain = { bold: String, dim: String, red: String, green: String, cyan: String, yellow: String };

function bytes(n) {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${sign}${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

const count = (n) => n.toLocaleString('en-US');

/** One step of a retainer path: `--edge (type)--> Class @id location (retains …)`. */
function formatStep(step, paint = plain) {
  const where = step.location ? paint.cyan(` ${step.location.script}:${step.location.line}:${step.location.column}`) : '';
  const size = step.retainedSize === undefined ? '' : paint.dim(` (retains ${bytes(step.retainedSize)})`);
  const name = step.type === 'closure' ? `${step.name || '(anonymous)'}()` : step.className;
  return `--${paint.yellow(step.edge)} (${step.edgeType})--> ${paint.bold(name)} @${step.id}${where}${size}`;
}

/** A path as indented lines. */
function formatPath(steps, { paint = plain, indent = '' } = {}) {
  return steps.map((s, depth) => `${indent}${'  '.repeat(Math.min(depth, 12))}${formatStep(s, paint)}`).join('\n');
}

/** An allocation stack on one line, the program's own frames (up to four). */
function formatAllocation(frames) {
  const known = frames.filter((f) => f.script !== '' && !isOwnCode(f.script));
  const own = known.filter((f) => !f.script.startsWith('node:'));
  const shown = (own.length > 0 ? own : known).slice(0, 4);
  return shown.map((f) => `${f.functionName} (${f.script}:${f.line}:${f.column})`).join(' ← ');
}

/** Leak groups as numbered blocks with their paths. */
function formatLeakGroups(leaks, { paint = plain, top = 10 } = {}) {
  const shown = leaks.slice(0, top);
  const blocks = shown.map((g, i) => {
    const where = g.location ? paint.cyan(` at ${g.location.script}:${g.location.line}:${g.location.column}`) : '';
    const folded = (a) =>
      a.type === 'closure'
        ? `${count(a.count)} × ${a.functionName || '(anonymous)'}() closures${a.location ? ` (${a.location.script}:${a.location.line})` : ''}`
        : `${count(a.count)} × ${a.name}`;
    const also = g.alsoRetains.length ? `\n   also retains: ${g.alsoRetains.map(folded).join(', ')}` : '';
    const allocated = g.allocation?.length ? `\n   allocated in: ${formatAllocation(g.allocation)}` : '';
    const name = g.type === 'closure' ? `${g.trace.at(-1)?.name || '(anonymous)'}() closures` : g.name;
    const head = paint.bold(`#${i + 1} ${count(g.count)} × ${name}`);
    return `${head}${where}, retaining ${paint.red(bytes(g.retainedSize))}${also}${allocated}\n${formatPath(g.trace, { paint, indent: '   ' })}`;
  });
  const more = leaks.length > shown.length ? `\n… and ${count(leaks.length - shown.length)} more groups` : '';
  return `${blocks.join('\n\n')}${more}`;
}

/** Collections that gained leaked entries, with the path to each. */
function formatCollections(collections, { paint = plain, top = 5 } = {}) {
  return collections
    .slice(0, top)
    .map((c) => {
      const head = paint.bold(`${c.name} @${c.id} grew by ${count(c.added)} entries`);
      return `${head}, retaining ${paint.red(bytes(c.retainedSize))}\n${formatPath(c.trace, { paint, indent: '   ' })}`;
    })
    .join('\n\n');
}

/** A leak report's groups, then its growing collections if any. */
function formatLeakReport(report, { paint = plain, top = 10 } = {}) {
  const groups = formatLeakGroups(report.leaks, { paint, top });
  if (report.collections.length === 0) return groups;
  return `${groups}\n\nGrowing collections:\n\n${formatCollections(report.collections, { paint })}`;
}

module.exports = { plain, bytes, count, formatStep, formatPath, formatLeakReport };
