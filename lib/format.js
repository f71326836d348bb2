'use strict';
// Human-readable rendering shared by the CLI and error messages. Sizes and counts are formatted
// here; leak reports and retainer paths by the native renderer the native CLI prints with
// (src/cli/report_text.rs), so both tools print one text. `color` adds ANSI colour (the CLI on
// a terminal); the default leaves text plain.
const path = require('node:path');
const native = require('./native');

const root = path.dirname(__dirname);

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

/** A retainer path as indented lines: `--edge (type)--> Class @id location (retains …)`. */
function formatPath(steps, { color = false, indent = '' } = {}) {
  return native.renderPath(steps, color, indent);
}

/** A leak report's `top` largest groups with their paths, then its growing collections if any. */
function formatLeakReport(report, { color = false, top = 10 } = {}) {
  return native.renderLeakReport(report, color, top, root);
}

module.exports = { bytes, count, formatPath, formatLeakReport };
