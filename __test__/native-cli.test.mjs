// The native command-line tool (bin/leakhound-native, built by npm install) against the
// JavaScript one (bin/leakhound.js): on real snapshots, every command it runs itself prints
// byte for byte what the JavaScript tool prints, errors and exit codes included, and what it
// does not run it hands over through bin/leakhound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

const native = path.join(root, 'bin', process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');
const launcher = path.join(root, 'bin', 'leakhound');
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const js = (...args) => run([process.execPath, path.join(root, 'bin', 'leakhound.js')], args);

let dir;
const file = (name) => path.join(dir, name);
const three = (mode) => ['baseline', 'target', 'final'].map((r) => file(`${mode}-${r}.heapsnapshot`));

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

test('npm install built the native tool', () => {
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

test('each native command prints what the JavaScript tool prints', () => {
  const id = fooId();
  const commands = [
    ['summary', file('b.heapsnapshot')],
    ['diff', file('a.heapsnapshot'), file('b.heapsnapshot')],
    ['path', file('b.heapsnapshot'), `@${id}`],
    ['path', file('b.heapsnapshot'), String(id)],
    ['find-leaks', ...three('listeners')],
    ['find-leaks', ...three('map-cache')],
    ['find-leaks', ...three('clean')],
    ['find-leaks', ...three('timer-tracked')],
  ];
  const options = [[], ['--json'], ['--color'], ['--top', '2'], ['--json', '--top=1'], ['--no-color']];
  let compared = 0;
  for (const command of commands) {
    for (const option of options) {
      const args = [...command, ...option];
      const expected = js(...args);
      assert.equal(expected.status, 0, `${args.join(' ')}: ${expected.stderr}`);
      assert.deepEqual(run([native], args), expected, args.join(' '));
      compared++;
    }
  }
  assert.equal(compared, commands.length * options.length);
  // The comparison saw the parts that matter: groups with paths, allocation sites, colour.
  const tracked = js('find-leaks', ...three('timer-tracked')).stdout;
  assert.match(tracked, /allocated in: /);
  assert.match(js('find-leaks', ...three('listeners'), '--color').stdout, /\x1b\[1m#1 /);
});

test('errors match too: file problems exit 1 with the same message', () => {
  for (const args of [
    ['summary', file('nope.heapsnapshot')],
    ['summary', file('cut.heapsnapshot')],
    ['summary', `${dir}/./sub/../cut.heapsnapshot`],
    ['diff', file('a.heapsnapshot'), file('nope.heapsnapshot')],
    ['path', file('b.heapsnapshot'), '4294967295'],
    ['find-leaks', file('nope.heapsnapshot'), ...three('clean').slice(1)],
    ['find-leaks', ...three('clean').slice(0, 2), file('cut.heapsnapshot')],
    ['find-leaks', three('listeners')[2], three('listeners')[1], three('listeners')[0]],
  ]) {
    const expected = js(...args);
    assert.equal(expected.status, 1, args.join(' '));
    assert.notEqual(expected.stderr, '');
    assert.deepEqual(run([native], args), expected, args.join(' '));
  }
});

test('bin/leakhound hands help, report and usage mistakes to the JavaScript tool', () => {
  const out = file('report.html');
  for (const args of [
    ['--help'],
    [],
    ['find-leaks', '--help'],
    ['summary'],
    ['summary', 'x', '--top', '0'],
    ['path', 'f', '0x10'],
    ['frob'],
    ['report', ...three('listeners'), '--html', out, '--json'],
  ]) {
    const expected = js(...args);
    const got = run([launcher], args);
    if (args[0] === 'report') {
      // Same report; it names the file it wrote.
      assert.equal(got.status, 0, got.stderr);
      assert.deepEqual(JSON.parse(got.stdout), JSON.parse(expected.stdout));
    } else {
      assert.deepEqual(got, expected, args.join(' '));
    }
  }
  assert.ok(fs.statSync(out).size > 1000);
});

test('on a terminal the native tool draws the same progress bar and colour', { skip: !fs.existsSync('/usr/bin/script') && 'util-linux script(1) is not installed' }, () => {
  // script(1) gives the tool a pseudo-terminal for stdout and stderr.
  const quoted = [native, 'find-leaks', ...three('listeners'), '--top', '1'].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const tty = spawnSync('/usr/bin/script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(tty.status, 0, tty.stderr);
  assert.match(tty.stdout, /\r\x1b\[K3 snapshots \x1b\[36m░{28}\x1b\[0m +0%  0 B \/ [\d.]+ [kM]B/);
  assert.match(tty.stdout, /\x1b\[1m[\d,]+ leaked objects in [\d,]+ groups?\x1b\[0m/);
  // The bar is cleared before the report.
  assert.match(tty.stdout, /\r\x1b\[K\x1b\[1m[\d,]+ leaked objects/);
});
