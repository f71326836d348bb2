// Input that lies about its size or never ends, under a memory cap: refused with an error
// that names the problem, in the addon and in the native command-line tool; never an abort.
// Inputs that can be read only once (named pipes, process substitution) are read once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';
import lh from '../index.js';

const fixture = path.join(root, '__test__', 'fixtures', 'endless-snapshot.js');
const native = path.join(root, 'bin', 'leakhound-native');
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const noPrlimit = hasPrlimit ? false : 'prlimit (util-linux) is not installed';
// Address space for the capped processes: Node starts in far less; the endless inputs would
// take all of it within seconds if they were buffered.
const CAP = String(1536 * 1024 * 1024);

const capped = (args, opts = {}) =>
  spawnSync('prlimit', [`--as=${CAP}`, ...args], { encoding: 'utf8', timeout: 300_000, ...opts });

for (const [kind, expected] of [
  ['nodes', /`nodes` runs past the 7 numbers its header declares/],
  ['big-nodes', /out of memory: could not allocate \d+ bytes for nodes/],
  ['string', /element 0 of `strings` is longer than 16777216 bytes/],
  ['nesting', /`trace_tree` nests deeper than 4096 levels/],
]) {
  test(`an endless stream (${kind}) under a memory cap is refused, not an abort`, { skip: noPrlimit }, () => {
    const r = capped([process.execPath, fixture, kind, 'load']);
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SnapshotError: /);
    assert.match(r.stdout, expected);
  });
}

test('the native tool refuses an endless pipe under a memory cap', { skip: noPrlimit || (!fs.existsSync(native) && 'no native build') }, () => {
  for (const kind of ['nodes', 'big-nodes']) {
    const r = spawnSync('sh', ['-c', `"$0" "$1" ${kind} print | prlimit --as=${CAP} "$2" summary /dev/stdin`, process.execPath, fixture, native], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 1, `${kind}: exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    assert.match(r.stderr, /^leakhound: \/dev\/stdin: (`nodes` runs past|out of memory)/, kind);
  }
});

test('every command of the native tool, under caps from too small to start to enough, ends with a result or an error, never an abort', { skip: noPrlimit || (!fs.existsSync(native) && 'no native build') }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-caps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [a, b, c] = threeSnapshots(dir);
  const html = path.join(dir, 'out.html');
  const commands = [
    ['summary', a],
    ['diff', a, c],
    ['path', a, '1'],
    ['find-leaks', a, b, c],
    ['report', a, b, c, '--html', html],
  ];
  const outcomes = new Set();
  // 4 MB snapshots: below about 8 MiB the tool cannot start, above about 40 MiB every command
  // fits; in between, each stage of each command meets the cap somewhere.
  for (let mib = 6; mib <= 44; mib += 2) {
    for (const args of commands) {
      fs.rmSync(html, { force: true });
      const r = spawnSync('prlimit', [`--as=${mib << 20}`, native, ...args], { encoding: 'utf8', timeout: 120_000 });
      const what = `${args[0]} under ${mib} MiB`;
      assert.equal(r.signal, null, `${what}: killed by ${r.signal}: ${r.stderr}`);
      assert.ok(r.status === 0 || r.status === 1, `${what}: exit ${r.status}: ${r.stderr}`);
      if (r.status === 1) {
        assert.match(r.stderr, /^leakhound: (.*: )?out of memory: /, what);
        outcomes.add('out of memory');
      } else outcomes.add('done');
    }
  }
  assert.deepEqual([...outcomes].sort(), ['done', 'out of memory'], 'the caps span both outcomes');
});

test('an error about a crafted key names it escaped, on the terminal and in JavaScript', { skip: !fs.existsSync(native) && 'no native build' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-key-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [a] = threeSnapshots(dir);
  // A real header, then a key that would retitle the terminal, nesting past the limit.
  const text = fs.readFileSync(a);
  const head = text.subarray(0, text.indexOf('"nodes"'));
  const crafted = path.join(dir, 'crafted.heapsnapshot');
  fs.writeFileSync(crafted, Buffer.concat([head, Buffer.from('"\x1b]0;PWNED\x07":'), Buffer.alloc(5000, '[')]));
  const r = spawnSync(native, ['summary', crafted], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /`\\x1b\]0;PWNED\\x07` nests deeper than 4096 levels/);
  assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control character reaches the terminal');
  const err = await lh.loadSnapshot(crafted).then(() => null, (e) => e);
  assert.ok(err instanceof lh.SnapshotError);
  assert.match(err.message, /`\\x1b\]0;PWNED\\x07` nests deeper/);
  assert.doesNotMatch(err.message, /[\x00-\x1f\x7f]/);
});

/** Three snapshots of a process that keeps 300 objects per step. */
function threeSnapshots(dir) {
  const files = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.heapsnapshot`));
  const code = `const v8 = require('v8'); const keep = [];
    for (const f of ${JSON.stringify(files)}) { for (let i = 0; i < 300; i++) keep.push({ i }); v8.writeHeapSnapshot(f); }`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return files;
}

test('find-leaks reads named pipes once, in both command-line forms', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-pipes-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = threeSnapshots(dir);
  const forms = [[process.execPath, path.join(root, 'bin', 'leakhound.js')]];
  if (fs.existsSync(native)) forms.push([native]);
  for (const cli of forms) {
    const pipes = ['pa', 'pb', 'pc'].map((n) => path.join(dir, n));
    for (const p of pipes) {
      fs.rmSync(p, { force: true });
      assert.equal(spawnSync('mkfifo', [p]).status, 0);
    }
    // Writers that fail (EPIPE) when a reader opens a pipe, gives up and opens it again.
    const writers = files.map((f, i) => spawn('sh', ['-c', 'cat "$0" > "$1"', f, pipes[i]]));
    const done = writers.map((w) => new Promise((resolve) => w.on('exit', resolve)));
    const r = await new Promise((resolve) => {
      const child = spawn(cli[0], [...cli.slice(1), 'find-leaks', ...pipes, '--json']);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (status) => resolve({ status, out, err }));
    });
    assert.equal(r.status, 0, `${cli.at(-1)}: ${r.err}`);
    assert.deepEqual(await Promise.all(done), [0, 0, 0], 'every writer finished');
    const report = JSON.parse(r.out);
    assert.ok(report.leaks.some((g) => g.name === 'Object {i}' && g.count >= 300), r.out.slice(0, 400));
  }
});

test('the same pipe given twice is refused with the reason', { skip: !fs.existsSync(native) && 'no native build' }, () => {
  const r = spawnSync('sh', ['-c', 'echo "{}" | "$0" find-leaks /dev/stdin /dev/stdin /dev/stdin', native], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /can be read only once, but it is given more than once/);
});

test('control characters from the heap are escaped in text output, kept in JSON', async (t) => {
  // A real process whose class names and property keys hold terminal escapes (a title change
  // and BEL, a clear screen), as JSON keys and Symbol.toStringTag can.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-escapes-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.heapsnapshot`));
  const code = `const v8 = require('v8');
    const Evil = (() => class {})();
    Object.defineProperty(Evil.prototype, Symbol.toStringTag, { value: '\\x1b]0;pwned\\x07Evil' });
    const store = JSON.parse('{"\\\\u001b[2Jcleared": []}');
    for (const f of ${JSON.stringify(files)}) { for (let i = 0; i < 300; i++) store['\\x1b[2Jcleared'].push(new Evil()); v8.writeHeapSnapshot(f); }`;
  const made = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const forms = [[process.execPath, path.join(root, 'bin', 'leakhound.js')]];
  if (fs.existsSync(native)) forms.push([native]);
  for (const cli of forms) {
    // Every row: the class is small, and a heap of another Node version may rank it low.
    for (const args of [['find-leaks', ...files], ['summary', files[2], '--top', '100000'], ['diff', files[0], files[2], '--top', '100000']]) {
      const r = spawnSync(cli[0], [...cli.slice(1), ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, `${args[0]} printed a control character`);
      assert.match(r.stdout, /\\x1b\]0;pwned\\x07Evil/, `${args[0]}: ${r.stdout.slice(0, 300)}`);
      if (args[0] === 'find-leaks') assert.match(r.stdout, /--\\x1b\[2Jcleared \(property\)-->/);
    }
    const json = spawnSync(cli[0], [...cli.slice(1), 'find-leaks', ...files, '--json'], { encoding: 'utf8' });
    const evil = JSON.parse(json.stdout).leaks.find((g) => g.name === '\x1b]0;pwned\x07Evil');
    assert.ok(evil, 'JSON keeps the name as it is');
    // The retainer path of one of them, as `path` prints it.
    const p = spawnSync(cli[0], [...cli.slice(1), 'path', files[2], `@${evil.representativeId}`], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.doesNotMatch(p.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'path printed a control character');
    assert.match(p.stdout, /\\x1b\[2Jcleared/);
  }
  // And the LeakError assertNoLeak throws, whose message is printed by test runners.
  const Evil = (() => class {})();
  Object.defineProperty(Evil.prototype, Symbol.toStringTag, { value: '\x1b]0;pwned\x07Evil' });
  const store = JSON.parse('{"\\u001b[2Jcleared": []}');
  const err = await lh.assertNoLeak(() => store['\x1b[2Jcleared'].push(new Evil()), { iterations: 5 }).then(
    () => null,
    (e) => e,
  );
  assert.ok(err instanceof lh.LeakError);
  assert.doesNotMatch(err.message, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'the LeakError message holds a control character');
  assert.match(err.message, /\\x1b\]0;pwned\\x07Evil/);
  store['\x1b[2Jcleared'].length = 0;
});

test('a snapshot holding one huge string is refused at the string bound, naming where', async (t) => {
  // V8 writes at most 1,024 characters of a string; a crafted 40 MB one used to cost several
  // times its size in both tools before anything was reported.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-bigstring-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'big.heapsnapshot');
  const meta = `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["hidden","object","synthetic"],"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["property"],"string_or_number","node"]},"node_count":1,"edge_count":0},"nodes":[2,0,1,0,0],"edges":[],"strings":["`;
  fs.writeFileSync(file, `${meta}${'x'.repeat(40 << 20)}"]}`);
  const forms = [[process.execPath, path.join(root, 'bin', 'leakhound.js')]];
  if (fs.existsSync(native)) forms.push([native]);
  for (const cli of forms) {
    const r = spawnSync(cli[0], [...cli.slice(1), 'summary', file], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /string at byte \d+ is too large: element 0 of `strings` is longer than 16777216 bytes/);
  }
  await assert.rejects(lh.loadSnapshot(file), (e) => e.name === 'SnapshotError' && /longer than 16777216 bytes/.test(e.message));
});
