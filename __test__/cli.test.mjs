import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

let dir;
const file = (name) => path.join(dir, name);
const cli = (...args) => spawnSync(process.execPath, [path.join(root, 'bin', 'leakhound.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-cli-'));
  const r = spawnSync(process.execPath, [path.join(root, '__test__', 'fixtures', 'plant-leaks.js'), file('a.heapsnapshot'), file('b.heapsnapshot')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('summary --json prints the class summary as one JSON document', () => {
  const r = cli('summary', file('b.heapsnapshot'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.equal(rows.find((x) => x.name === 'Foo').count, 500);
  assert.deepEqual(Object.keys(rows[0]).sort(), ['bufferSize', 'count', 'name', 'retainedSize', 'selfSize', 'type']);
  assert.equal(JSON.parse(cli('summary', file('b.heapsnapshot'), '--json', '--top', '2').stdout).length, 2);
});

test('summary prints a readable table with human sizes and no colour off a terminal', () => {
  const r = cli('summary', file('b.heapsnapshot'), '--top=5');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /b\.heapsnapshot: [\d,]+ objects, [\d,]+ references, [\d.]+ [kMG]?B/);
  assert.match(lines[1], /^Retained\s+Buffers\s+Self\s+Count\s+Type\s+Class$/);
  assert.equal(lines.length, 7);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});

test('diff shows per-class growth; --json matches the API shape', () => {
  const json = JSON.parse(cli('diff', file('a.heapsnapshot'), file('b.heapsnapshot'), '--json').stdout);
  const foo = json.find((x) => x.name === 'Foo');
  assert.equal(foo.addedCount, 500);
  assert.equal(foo.countDelta, 500);
  const table = cli('diff', file('a.heapsnapshot'), file('b.heapsnapshot'));
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /\+500\s+500\s+0\s+[\d.]+ [kM]?B\s+object\s+Foo/);
});

test('path prints the chain from a GC root; --json gives the steps', () => {
  // Find a Foo id from the raw file, independently of leakhound.
  const j = JSON.parse(fs.readFileSync(file('b.heapsnapshot'), 'utf8'));
  const f = j.snapshot.meta.node_fields;
  let fooId;
  for (let i = 0; i < j.nodes.length && fooId === undefined; i += f.length) {
    if (j.strings[j.nodes[i + f.indexOf('name')]] === 'Foo' && j.snapshot.meta.node_types[0][j.nodes[i]] === 'object') fooId = j.nodes[i + f.indexOf('id')];
  }
  const r = cli('path', file('b.heapsnapshot'), `@${fooId}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--leakyFoos \(property\)--> Array @\d+/);
  assert.match(r.stdout, new RegExp(`--\\[\\d+\\] \\(element\\)--> Foo @${fooId}`));
  const steps = JSON.parse(cli('path', file('b.heapsnapshot'), String(fooId), '--json').stdout);
  assert.equal(steps.at(-1).id, fooId);
});

test('errors go to stderr with a non-zero exit: bad files 1, bad usage 2', () => {
  const missing = cli('summary', file('nope.heapsnapshot'));
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /^leakhound: .*nope\.heapsnapshot.*No such file/);
  fs.writeFileSync(file('cut.heapsnapshot'), fs.readFileSync(file('a.heapsnapshot')).subarray(0, 4000));
  assert.match(cli('summary', file('cut.heapsnapshot')).stderr, /cut\.heapsnapshot.*byte \d+/);
  assert.match(cli('path', file('b.heapsnapshot'), '4294967295').stderr, /no object with id 4294967295/);
  for (const args of [['frob'], ['summary'], ['summary', 'x', '--top', '0'], ['diff', 'a'], ['path', 'f', 'x1'], ['summary', 'x', '--bogus']]) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^leakhound: .*\nRun 'leakhound --help' for usage\./, args.join(' '));
  }
});

test('help for the tool and each command', () => {
  const main = cli('--help');
  assert.equal(main.status, 0);
  for (const c of ['summary', 'diff', 'path', '--json']) assert.match(main.stdout, new RegExp(c.replace('-', '\\-')));
  for (const c of ['summary', 'diff', 'path']) assert.match(cli(c, '--help').stdout, new RegExp(`^Usage: leakhound ${c}`));
});
