// The command-line tool (crates/cli, built by npm install into bin/leakhound-native, run by
// the `leakhound` command, bin/leakhound.js): on real snapshots, its --json output is the
// library's result for the same files (one data contract), its errors name the problem with
// the right exit code, and the launcher hands everything through or says what is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const lh = require('../index.js');
const { formatLeakReport } = require('../lib/format.js');
const native = path.join(root, 'bin', process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');
const launcher = path.join(root, 'bin', 'leakhound.js');
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const cli = (...args) => run([native], args);
const json = (...args) => {
  const r = cli(...args, '--json');
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

let dir;
const file = (name) => path.join(dir, name);
const three = (mode) => ['baseline', 'target', 'final'].map((r) => file(`${mode}-${r}.heapsnapshot`));
const files = (mode) => Object.fromEntries(['baseline', 'target', 'final'].map((r, i) => [r, three(mode)[i]]));

function fixture(script, args, flags = []) {
  const r = spawnSync(process.execPath, [...flags, path.join(root, '__test__', 'fixtures', script), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-native-'));
  fixture('plant-leaks.js', [file('a.heapsnapshot'), file('b.heapsnapshot')]);
  for (const mode of ['listeners', 'map-cache', 'clean']) fixture('leak-patterns.js', [mode, ...three(mode)]);
  // Allocation stacks in the report (see leaks.test.mjs for the flags).
  fixture('leak-patterns.js', ['timer', ...three('timer-tracked')], ['--track-heap-objects', '--jitless']);
  fs.writeFileSync(file('cut.heapsnapshot'), fs.readFileSync(file('a.heapsnapshot')).subarray(0, 4000));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('npm install built the tool; it runs without Node', () => {
  assert.ok(fs.existsSync(native), `${native} is missing: run npm run build`);
  // It answers by itself: no node on its PATH, yet it prints a summary.
  const r = run([native], ['summary', file('a.heapsnapshot'), '--top', '1'], { PATH: '/nonexistent' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /a\.heapsnapshot: [\d,]+ objects/);
});

function fooId() {
  const j = JSON.parse(fs.readFileSync(file('b.heapsnapshot'), 'utf8'));
  const f = j.snapshot.meta.node_fields;
  for (let i = 0; i < j.nodes.length; i += f.length) {
    if (j.strings[j.nodes[i + f.indexOf('name')]] === 'Foo') return j.nodes[i + f.indexOf('id')];
  }
  throw new Error('no Foo in the snapshot');
}

test('one data contract: --json prints what the library returns for the same files', async () => {
  const b = await lh.loadSnapshot(file('b.heapsnapshot'));
  assert.deepEqual(json('summary', file('b.heapsnapshot')), b.summary());
  assert.deepEqual(json('summary', file('b.heapsnapshot'), '--top', '3'), b.summary({ top: 3 }));
  const id = fooId();
  assert.deepEqual(json('path', file('b.heapsnapshot'), `@${id}`), b.retainerPath(id));
  assert.deepEqual(json('path', file('b.heapsnapshot'), String(id)), b.retainerPath(id));
  assert.deepEqual(json('diff', file('a.heapsnapshot'), file('b.heapsnapshot')), await lh.diffSnapshots(file('a.heapsnapshot'), file('b.heapsnapshot')));
  for (const mode of ['listeners', 'map-cache', 'clean', 'timer-tracked']) {
    const report = await lh.findLeaks(files(mode));
    assert.deepEqual(json('find-leaks', ...three(mode)), report, mode);
    const top = json('find-leaks', ...three(mode), '--top=1');
    assert.deepEqual(top.leaks, report.leaks.slice(0, 1), mode);
  }
  // The comparison saw the parts that matter: groups with paths and allocation sites.
  const tracked = json('find-leaks', ...three('timer-tracked'));
  assert.ok(tracked.leaks.some((g) => g.allocation?.length > 0 && g.trace.length > 0));
});

test('text output: the report the library renders, colour only when asked or on a terminal', async () => {
  const report = await lh.findLeaks(files('listeners'));
  const plain = cli('find-leaks', ...three('listeners'));
  assert.equal(plain.status, 0, plain.stderr);
  const n = report.leaks.length;
  const head = `${report.leakedObjects.toLocaleString('en-US')} leaked objects in ${n} group${n === 1 ? '' : 's'}`;
  assert.equal(plain.stdout, `${head}\n\n${formatLeakReport(report)}\n`);
  assert.doesNotMatch(plain.stdout, /\x1b/);
  assert.match(cli('find-leaks', ...three('listeners'), '--color').stdout, /\x1b\[1m#1 /);
  assert.match(cli('find-leaks', ...three('timer-tracked')).stdout, /allocated in: /);
  assert.match(cli('find-leaks', ...three('clean')).stdout, /^No leaks: /);
});

test('errors name the problem: file problems exit 1, usage mistakes 2', () => {
  const missing = /^leakhound: .*nope\.heapsnapshot: I\/O error: No such file or directory/;
  const cut = /^leakhound: .*cut\.heapsnapshot: unexpected end of input at byte 4000 while reading `nodes`/;
  for (const [args, message] of [
    [['summary', file('nope.heapsnapshot')], missing],
    [['summary', file('cut.heapsnapshot')], cut],
    [['summary', `${dir}/./sub/../cut.heapsnapshot`], cut],
    [['diff', file('a.heapsnapshot'), file('nope.heapsnapshot')], missing],
    [['path', file('b.heapsnapshot'), '4294967295'], /^leakhound: no object with id 4294967295 in this snapshot$/m],
    [['find-leaks', file('nope.heapsnapshot'), ...three('clean').slice(1)], missing],
    [['find-leaks', ...three('clean').slice(0, 2), file('cut.heapsnapshot')], cut],
    [['find-leaks', three('listeners')[2], three('listeners')[1], three('listeners')[0]], /^leakhound: the baseline snapshot has newer objects .*: the snapshots are given in the wrong order$/m],
  ]) {
    const r = cli(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
  for (const [args, message] of [
    [['summary'], 'summary takes one snapshot file or process id'],
    [['summary', 'x', '--top', '0'], '--top needs a positive whole number, got "0"'],
    [['path', 'f', '0x10'], 'node id must be a whole number below 2^32, got "0x10"'],
    [['frob'], 'unknown command "frob"'],
    [['summary', 'x', '--html', 'y'], '--html is not an option of summary'],
  ]) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, `leakhound: ${message}\nRun 'leakhound --help' for usage.\n`);
  }
});

test('the leakhound command hands arguments, streams and exit codes through', () => {
  const node = (...args) => run([process.execPath, launcher], args);
  for (const args of [['--help'], [], ['find-leaks', '--help'], ['summary'], ['frob'], ['summary', file('nope.heapsnapshot')], ['summary', file('a.heapsnapshot'), '--top', '2']]) {
    assert.deepEqual(node(...args), cli(...args), args.join(' '));
  }
  assert.match(node('--help').stdout, /^Usage: leakhound <command>/);
  const out = file('report.html');
  const r = node('report', ...three('listeners'), '--html', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).bytes, fs.statSync(out).size);
});

test('without a built tool, the leakhound command says what is missing and how to build it', () => {
  const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-launcher-'));
  try {
    fs.copyFileSync(launcher, path.join(lone, 'leakhound.js'));
    const r = run([process.execPath, path.join(lone, 'leakhound.js')], ['--help']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`the command-line tool is not built for this install \\(${process.platform}-${process.arch}\\)`));
    assert.match(r.stderr, /leakhound-native is missing/);
    assert.match(r.stderr, /npm run build/);
  } finally {
    fs.rmSync(lone, { recursive: true, force: true });
  }
});

test('on a terminal the tool draws a progress bar and colour', { skip: !fs.existsSync('/usr/bin/script') && 'util-linux script(1) is not installed' }, () => {
  // script(1) gives the tool a pseudo-terminal for stdout and stderr.
  const quoted = [native, 'find-leaks', ...three('listeners'), '--top', '1'].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const tty = spawnSync('/usr/bin/script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(tty.status, 0, tty.stderr);
  assert.match(tty.stdout, /\r\x1b\[K3 snapshots \x1b\[36m░{28}\x1b\[0m +0%  0 B \/ [\d.]+ [kM]B/);
  assert.match(tty.stdout, /\x1b\[1m[\d,]+ leaked objects in [\d,]+ groups?\x1b\[0m/);
  // The bar is cleared before the report.
  assert.match(tty.stdout, /\r\x1b\[K\x1b\[1m[\d,]+ leaked objects/);
});
