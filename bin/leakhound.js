#!/usr/bin/env node
'use strict';
// `npx leakhound <command>`: heap-snapshot analysis from the command line. Every command takes
// --json (one JSON document on stdout); errors go to stderr with a non-zero exit code.
const lh = require('..');
// A batch process: big tables freed are given back at once (see crates/core/src/allocator.rs).
require('../lib/native').useMmapForLargeAllocations();

const HELP = {
  main: `Usage: leakhound <command> [options]

Commands:
  summary <file> [--top N]          class summary: count, self size, retained size
  diff <before> <after> [--top N]   per-class growth between two snapshots of one process
  path <file> <nodeId>              retainer path of one object, from a GC root
  find-leaks <baseline> <target> <final>
                                    objects allocated between baseline and target that
                                    survive in final, grouped, with a retainer path each
  report <baseline> <target> <final> --html <out.html>
                                    the same as a self-contained HTML report to open
                                    in a browser

Options:
  --json        print one JSON document on stdout
  --top N       rows to show (default 25; with --json, all unless given)
  --no-color    plain output (colour is used only on a terminal)
  -h, --help    help for a command: leakhound <command> --help`,
  summary: `Usage: leakhound summary <file> [--top N] [--json]

Groups every object of the snapshot by class and prints count, self size and retained size
(memory freed if every object of the class were gone, without double counting objects that
other objects of the same class retain), largest retained size first.`,
  diff: `Usage: leakhound diff <before> <after> [--top N] [--json]

Compares two snapshots of the same process by object id: per class, objects allocated and freed
between them, and the change in count and size, largest growth first.`,
  'find-leaks': `Usage: leakhound find-leaks <baseline> <target> <final> [--top N] [--json]

Three-snapshot leak isolation. Take <baseline> after warming up, <target> after running the
suspect action, <final> after running it again (or undoing it). Objects allocated between
baseline and target that still exist in final are grouped by class (closures by source
location); each group shows its count, the memory it retains (nothing counted twice) and the
path that keeps its largest member alive. Groups held by another group's objects are folded
into it. --json prints a LeakReport.`,
  report: `Usage: leakhound report <baseline> <target> <final> --html <out.html>
                       [--timeline <samples.json>] [--title <text>] [--top N] [--json]

Runs find-leaks and writes one self-contained HTML file (no network needed) with the leak
groups (count, retained size, share of the heap, the retainer chain from a GC root with closure
locations and allocation sites), growing collections, and a sortable per-class table of what
changed from baseline to final. --timeline adds a memory chart from samples saved as JSON
(e.g. JSON.stringify(sampler.samples())), a regular file of at most 256 MiB. --top N keeps the
N largest groups, collections and class rows (default: all). --json prints a summary of what was
written. The report never replaces one of its inputs.`,
  path: `Usage: leakhound path <file> <nodeId> [--json]

Prints the shortest chain of references from a GC root to the object with this id (the @id
DevTools shows), skipping weak references and preferring user-visible edges.`,
};

class UsageError extends Error {}

// Options that take a value, and the commands that accept them.
const VALUE_OPTIONS = { html: ['report'], timeline: ['report'], title: ['report'] };

function parseArgs(argv) {
  const args = { positional: [], json: false, color: undefined, help: false, top: undefined, values: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const valueOption = /^--([a-z]+)(?:=(.*))?$/s.exec(a);
    if (valueOption && VALUE_OPTIONS[valueOption[1]]) {
      const v = valueOption[2] ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`--${valueOption[1]} needs a value`);
      args.values[valueOption[1]] = v;
    } else if (a === '--json') args.json = true;
    else if (a === '--no-color') args.color = false;
    else if (a === '--color') args.color = true;
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a === '--top' || a.startsWith('--top=')) {
      const v = a === '--top' ? argv[++i] : a.slice('--top='.length);
      if (!/^[1-9]\d*$/.test(v ?? '')) throw new UsageError(`--top needs a positive whole number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
      args.top = Number(v);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else args.positional.push(a);
  }
  return args;
}

function painter(enabled) {
  const wrap = (code) => (s) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : String(s));
  return { enabled, bold: wrap(1), green: wrap(32), cyan: wrap(36) };
}

const { bytes, count, printable, formatPath, formatLeakReport } = require('../lib/format');
const signed = (n, f) => (n > 0 ? `+${f(n)}` : f(n));

function table(rows, columns) {
  const cells = rows.map((r) => columns.map((c) => printable(c.text(r))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (columns[i].left ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

const PHASES = { graph: 'building the graph', analysis: 'computing retained sizes', done: 'finishing' };

// A progress bar on stderr while files load, only on a terminal. `files` are all the files the
// load parses; their parsed bytes are counted together.
function progressFor(files, paint) {
  if (!process.stderr.isTTY) return {};
  const fs = require('node:fs');
  const size = files.reduce((sum, f) => sum + (fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
  const label = files.length === 1 ? files[0] : `${files.length} snapshots`;
  const width = 28;
  const progress = {
    onProgress({ bytes: done, phase }) {
      let line;
      if (size > 0 && done < size) {
        const filled = Math.round((done / size) * width);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
        line = `${label} ${paint.cyan(bar)} ${String(Math.floor((done / size) * 100)).padStart(3)}%  ${bytes(done)} / ${bytes(size)}`;
      } else line = `${label}: ${PHASES[phase] ?? 'parsing'}…`;
      process.stderr.write(`\r\x1b[K${line}`);
    },
    progressIntervalMs: 100,
  };
  // Drawn at once, so even a load done before the first tick shows what it was doing.
  progress.onProgress({ bytes: 0, phase: 'parsing' });
  return progress;
}

const clearProgress = () => process.stderr.isTTY && process.stderr.write('\r\x1b[K');

async function load(file, paint) {
  try {
    return await lh.loadSnapshot(file, progressFor([file], paint));
  } finally {
    clearProgress();
  }
}

async function summary(args, paint) {
  const [file, ...extra] = args.positional;
  if (!file || extra.length) throw new UsageError('summary takes one snapshot file');
  const snap = await load(file, paint);
  const rows = snap.summary({ top: args.top ?? (args.json ? undefined : 25) });
  if (args.json) return rows;
  const header = `${file}: ${count(snap.nodeCount)} objects, ${count(snap.edgeCount)} references, ${bytes(snap.totalSize)}`;
  return `${paint.bold(header)}\n${table(rows, [
    { title: 'Retained', text: (r) => bytes(r.retainedSize) },
    { title: 'Self', text: (r) => bytes(r.selfSize) },
    { title: 'Count', text: (r) => count(r.count) },
    { title: 'Type', text: (r) => r.type, left: true },
    { title: 'Class', text: summaryClass, left: true },
  ])}`;
}

/** The verdict when no group is reported, saying what was left out. */
function noLeaksText(surviving) {
  if (!surviving) return 'No leaks: nothing allocated between baseline and target survives in final.';
  return (
    `No leaks: ${count(surviving)} objects allocated between baseline and target survive in final, none of ` +
    "them the program's own (engine internals: compiled code, hidden classes, system objects)."
  );
}

/** A summary row's class: closures by function, `onConfig() app.js:44:39`. */
function summaryClass(r) {
  if (r.functionName === undefined) return r.name;
  const at = r.location ? ` ${r.location.script}:${r.location.line}:${r.location.column}` : '';
  return `${r.functionName || '(anonymous)'}()${at}`;
}

async function diff(args, paint) {
  const [before, after, ...extra] = args.positional;
  if (!before || !after || extra.length) throw new UsageError('diff takes two snapshot files: <before> <after>');
  let all;
  try {
    all = await lh.diffSnapshots(before, after, progressFor([before, after], paint));
  } finally {
    clearProgress();
  }
  const rows = all.slice(0, args.top ?? (args.json ? all.length : 25));
  if (args.json) return rows;
  return table(rows, [
    { title: 'Size Δ', text: (r) => signed(r.sizeDelta, bytes) },
    { title: 'Count Δ', text: (r) => signed(r.countDelta, count) },
    { title: 'New', text: (r) => count(r.addedCount) },
    { title: 'Freed', text: (r) => count(r.removedCount) },
    { title: 'After', text: (r) => bytes(r.sizeAfter) },
    { title: 'Type', text: (r) => r.type, left: true },
    { title: 'Class', text: (r) => r.name, left: true },
  ]);
}

async function pathCommand(args, paint) {
  const [file, idText, ...extra] = args.positional;
  if (!file || idText === undefined || extra.length) throw new UsageError('path takes a snapshot file and a node id');
  const id = Number(idText.replace(/^@/, ''));
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new UsageError(`node id must be a whole number, got ${JSON.stringify(idText)}`);
  const snap = await load(file, paint);
  const steps = snap.retainerPath(id);
  if (args.json) return steps;
  if (steps === null) return `@${id} is not reachable from any GC root (it would be collected)`;
  return formatPath(steps, { color: paint.enabled });
}

async function findLeaksCommand(args, paint) {
  const [baseline, target, final, ...extra] = args.positional;
  if (!final || extra.length) throw new UsageError('find-leaks takes three snapshot files: <baseline> <target> <final>');
  let report;
  try {
    report = await lh.findLeaks({ baseline, target, final }, progressFor([baseline, target, final], paint));
  } finally {
    clearProgress();
  }
  if (args.json) return args.top ? { ...report, leaks: report.leaks.slice(0, args.top), collections: report.collections.slice(0, args.top) } : report;
  if (report.leaks.length === 0) return paint.green(noLeaksText(report.survivingObjects));
  const n = report.leaks.length;
  const head = paint.bold(`${count(report.leakedObjects)} leaked objects in ${count(n)} group${n === 1 ? '' : 's'}`);
  return `${head}\n\n${formatLeakReport(report, { color: paint.enabled, top: args.top ?? 10 })}`;
}

// A timeline is samples() saved as JSON: a full ring of a million samples is well under this.
const TIMELINE_LIMIT = 256 * 1024 * 1024;

// Read with a limit, from a regular file only: a pipe with no writer would block the read for
// ever, and a device such as /dev/zero would be read until memory ran out.
function readTimeline(file) {
  const fs = require('node:fs');
  const refuse = (why) => new Error(`the timeline ${file} ${why}`);
  let fd;
  try {
    if (!fs.statSync(file).isFile()) throw refuse('is not a regular file');
    // Non-blocking, in case it was swapped for a pipe since: opening a pipe would wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw err.code === undefined ? err : new Error(`cannot read the timeline ${file}: ${err.message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw refuse('is not a regular file');
    const tooLarge = (size) => refuse(`is ${bytes(size)}; the limit is ${bytes(TIMELINE_LIMIT)} (256 MiB)`);
    if (st.size > TIMELINE_LIMIT) throw tooLarge(st.size);
    // It may still grow while it is read.
    const chunks = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, TIMELINE_LIMIT + 1 - total));
      if (chunk.length === 0) throw tooLarge(total);
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

// The report must not replace one of its own inputs, under whatever name (a hard link, a
// symbolic link, another relative path): same device and inode.
function refuseToOverwrite(out, inputs) {
  const fs = require('node:fs');
  const target = fs.statSync(out, { throwIfNoEntry: false });
  if (target === undefined) return;
  for (const [what, file] of inputs) {
    const st = file === undefined ? undefined : fs.statSync(file, { throwIfNoEntry: false });
    if (st !== undefined && st.dev === target.dev && st.ino === target.ino) {
      throw new Error(`--html ${out} is the ${what}; refusing to overwrite an input`);
    }
  }
}

async function reportCommand(args, paint) {
  const [baseline, target, final, ...extra] = args.positional;
  if (!final || extra.length) throw new UsageError('report takes three snapshot files: <baseline> <target> <final>');
  const out = args.values.html;
  if (out === undefined) throw new UsageError('report needs --html <file> to write the report to');
  const fs = require('node:fs');
  refuseToOverwrite(out, [
    ['baseline snapshot', baseline],
    ['target snapshot', target],
    ['final snapshot', final],
    ['timeline', args.values.timeline],
  ]);
  let samples;
  if (args.values.timeline !== undefined) {
    const file = args.values.timeline;
    const text = readTimeline(file);
    try {
      samples = JSON.parse(text);
    } catch (err) {
      throw new Error(`the timeline ${file} is not JSON: ${err.message}`);
    }
    // Either samples() itself or an object holding it.
    if (!Array.isArray(samples) && Array.isArray(samples?.samples)) samples = samples.samples;
  }
  const files = { baseline, target, final };
  let report;
  try {
    report = await lh.findLeaks(files, { classDiff: true, ...progressFor([baseline, target, final], paint) });
  } finally {
    clearProgress();
  }
  if (args.top !== undefined) {
    const top = (list) => list?.slice(0, args.top);
    report = { ...report, leaks: top(report.leaks), collections: top(report.collections), classDiff: top(report.classDiff) };
  }
  let html;
  try {
    html = lh.renderHtmlReport(report, { title: args.values.title, samples, files, baseDir: process.cwd() });
  } catch (err) {
    throw new Error(`the timeline ${args.values.timeline}: ${err.message.replace(/^renderHtmlReport\(\): /, '')}`);
  }
  fs.writeFileSync(out, html);
  const size = Buffer.byteLength(html);
  const n = report.leaks.length;
  if (args.json) return { html: require('node:path').resolve(out), bytes: size, leakGroups: n, leakedObjects: report.leakedObjects };
  return `Wrote ${out} (${bytes(size)}): ${n === 0 ? paint.green('no leaks') : `${count(report.leakedObjects)} leaked objects in ${count(n)} group${n === 1 ? '' : 's'}`}`;
}

const COMMANDS = { summary, diff, path: pathCommand, 'find-leaks': findLeaksCommand, report: reportCommand };

async function main(argv) {
  let args;
  try {
    args = parseArgs(argv.slice(1));
  } catch (err) {
    return fail(err);
  }
  const command = argv[0];
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(HELP.main);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) return fail(new UsageError(`unknown command ${JSON.stringify(command)}`));
  if (args.help) {
    console.log(HELP[command]);
    return 0;
  }
  for (const name of Object.keys(args.values)) {
    if (!VALUE_OPTIONS[name].includes(command)) return fail(new UsageError(`--${name} is not an option of ${command}`));
  }
  const paint = painter(args.color ?? (process.stdout.isTTY && !process.env.NO_COLOR));
  try {
    const out = await run(args, paint);
    process.stdout.write(args.json ? `${JSON.stringify(out, null, 2)}\n` : `${out}\n`);
    return 0;
  } catch (err) {
    return fail(err);
  }
}

function fail(err) {
  const usage = err instanceof UsageError;
  process.stderr.write(`leakhound: ${err.message}\n${usage ? "Run 'leakhound --help' for usage.\n" : ''}`);
  return usage ? 2 : 1;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
