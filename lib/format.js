'use strict';
// Human-readable text for error messages and events. Sizes are formatted here; leak reports and
// retainer paths by the core's renderer (crates/core/src/report), which the command-line tool
// prints with too, so both print one text. `color` adds ANSI colour; the default is plain.
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

// Control characters (C0, DEL, C1), which a terminal would obey.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Text from the heap or from users (class names, labels, stacks) with control characters shown
 * as `\xNN`, so a name holding ESC or BEL cannot drive the terminal that prints it. The native
 * renderer escapes the same way (crates/core/src/report/text.rs `printable`).
 */
function printable(s) {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A retainer path as indented lines: `--edge (type)--> Class @id location (retains …)`. */
function formatPath(steps, { color = false, indent = '' } = {}) {
  return native.renderPath(steps, color, indent);
}

/** A leak report's `top` largest groups with their paths, then its growing collections if any. */
function formatLeakReport(report, { color = false, top = 10 } = {}) {
  return native.renderLeakReport(report, color, top, root);
}

module.exports = { bytes, printable, formatPath, formatLeakReport };
