// A running, unmodified Node.js process: `leakhound snapshot <pid>` writes one snapshot of it
// (opening its inspector with SIGUSR1), `leakhound summary <pid>` analyses one as it streams
// in. The process goes on working; nothing else is ever signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';
import lh from '../index.js';

const native = path.join(root, 'bin', 'leakhound-native');
const skip = process.platform !== 'linux' ? 'SIGUSR1 and /proc are tested on Linux' : !fs.existsSync(native) && 'no native build';

/** Starts the target and resolves once it has said "ready". */
async function startTarget(t) {
  const child = spawn(process.execPath, ['--inspect-port=0', path.join(root, '__test__', 'fixtures', 'running-target.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => child.kill());
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderrText = '';
  child.stderr.on('data', (d) => (child.stderrText += d));
  const lines = [];
  child.stdout.on('data', (d) => lines.push(...d.split('\n').filter(Boolean)));
  while (!lines.includes('ready')) await once(child.stdout, 'data');
  /** Asks it to answer, proving its event loop still runs. */
  child.ping = async () => {
    const before = lines.filter((l) => l === 'alive').length;
    child.stdin.write('ping\n');
    while (lines.filter((l) => l === 'alive').length === before) await once(child.stdout, 'data');
    return true;
  };
  return child;
}

const cli = (...args) => spawnSync(native, args, { encoding: 'utf8', timeout: 120_000 });

test('snapshot <pid> writes a snapshot of an unmodified running process, mode 0600, and the process goes on', { skip }, async (t) => {
  const target = await startTarget(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-attach-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'live.heapsnapshot');
  const r = cli('snapshot', String(target.pid), '-o', file, '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.path, file);
  assert.equal(fs.statSync(file).size, out.bytes);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), ['live.heapsnapshot'], 'no temporary file left');
  const snap = await lh.loadSnapshot(file);
  assert.equal(snap.summary().find((row) => row.name === 'Planted').count, 4321);
  snap.dispose();
  assert.ok(await target.ping(), 'the process still answers');
  // A second snapshot to the same name never replaces the first.
  const again = cli('snapshot', String(target.pid), '-o', file);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists; leakhound never replaces a file/);
  assert.equal(fs.statSync(file).size, out.bytes);
});

/** Ports process `pid` listens on (its own sockets in LISTEN state). */
function listeningPorts(pid) {
  if (!fs.existsSync(`/proc/${pid}/net/tcp`)) return [];
  const sockets = new Set(
    fs.readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]];
      } catch {
        return [];
      }
    }),
  );
  return ['tcp', 'tcp6'].flatMap((table) =>
    fs
      .readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[3] === '0A' && sockets.has(c[9]))
      .map((c) => parseInt(c[1].split(':')[1], 16)),
  );
}

test('summary <pid> analyses a snapshot of a running process as it streams in, and again on the next call', { skip }, async (t) => {
  const target = await startTarget(t);
  const r = cli('summary', String(target.pid), '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).find((row) => row.name === 'Planted').count, 4321);
  // The inspector stays open (as Node leaves it after SIGUSR1), on loopback only, and is used again.
  const ports = listeningPorts(target.pid);
  assert.equal(ports.length, 1, String(ports));
  assert.equal(cli('summary', String(target.pid), '--top', '1').status, 0);
  assert.deepEqual(listeningPorts(target.pid), ports);
  assert.ok(await target.ping(), 'the process still answers');
});

test('summary host:port uses an inspector that is already open, and leaves it open', { skip }, async (t) => {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', path.join(root, '__test__', 'fixtures', 'running-target.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  child.stderr.setEncoding('utf8');
  child.stdout.setEncoding('utf8');
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  let out = '';
  // The inspector opens before the script runs: wait for both.
  while (!out.includes('ready')) out += (await once(child.stdout, 'data'))[0];
  while (!/ws:\/\/127\.0\.0\.1:(\d+)\//.test(err)) await once(child.stderr, 'data');
  const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)\//.exec(err)[1]);
  const text = cli('summary', `127.0.0.1:${port}`, '--top', '100000');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^127\.0\.0\.1:\d+: [\d,]+ objects/);
  assert.match(text.stdout, /4,321\s+object\s+Planted$/m);
  assert.ok(listeningPorts(child.pid).includes(port), 'an inspector that was open stays open');
});

test('snapshot refuses what it cannot or must not signal, naming why', { skip }, async (t) => {
  // A process that is not Node.js: SIGUSR1 would end it, so it is never sent.
  const sleeper = spawn('sleep', ['60']);
  t.after(() => sleeper.kill());
  const r = cli('snapshot', String(sleeper.pid));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /runs .*sleep, not Node\.js, and SIGUSR1 would end it/);
  const state = fs.readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8').split(') ')[1][0];
  assert.notEqual(state, 'Z', 'the process was not signalled: it still runs');
  // No such process; and an operand that is neither a process nor an inspector address.
  assert.match(cli('snapshot', '999999999').stderr, /no process 999999999/);
  assert.equal(cli('snapshot', 'nothing-here').status, 1);
  assert.match(cli('snapshot', 'nothing-here').stderr, /not a process id or the host:port of an open inspector/);
});

/** Starts the leaky server and resolves with it and its port. */
async function startServer(t) {
  const child = spawn(process.execPath, ['--inspect-port=0', path.join(root, '__test__', 'fixtures', 'leaky-server.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  child.stdout.setEncoding('utf8');
  let out = '';
  while (!/port (\d+)/.test(out)) out += (await once(child.stdout, 'data'))[0];
  return { child, port: Number(/port (\d+)/.exec(out)[1]) };
}

const load = (port, route, n) => `"${process.execPath}" "${path.join(root, '__test__', 'fixtures', 'load.js')}" ${port} ${route} ${n}`;

test('attach <pid> --load finds the leak of a running server between two phases of load, with its path', { skip }, async (t) => {
  const { child, port } = await startServer(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-hunt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const html = path.join(dir, 'hunt.html');
  const r = cli('attach', String(child.pid), '--load', load(port, '/leak', 200), '--json', '--html', html);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const [top] = report.leaks;
  // One phase's requests: allocated between baseline and target, alive in final.
  assert.equal(top.name, 'Session');
  assert.equal(top.count, 200);
  assert.ok(top.trace.some((s) => s.edge === 'sessions'), JSON.stringify(top.trace.map((s) => s.edge)));
  assert.ok(report.collections.some((c) => c.added === 200), 'the cache grew by one entry a request');
  assert.equal(fs.statSync(html).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(html, 'utf8'), /"name":"Session"/);
  // The text form names the class, the count and the cache.
  const text = cli('attach', String(child.pid), '--load', load(port, '/leak', 50), '--top', '1');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /#1 50 × Session at .*leaky-server\.js:\d+:\d+/);
  assert.match(text.stdout, /--sessions \(context\)--> Array/);
});

test('attach on the same server driven on its clean route reports no Session leak', { skip }, async (t) => {
  const { child, port } = await startServer(t);
  const r = cli('attach', String(child.pid), '--load', load(port, '/ok', 200), '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.ok(!report.leaks.some((g) => g.name === 'Session'), JSON.stringify(report.leaks.map((g) => `${g.count} × ${g.name}`)));
  // A load command that fails ends the hunt with its reason; the phase options are checked.
  const failed = cli('attach', String(child.pid), '--load', 'exit 3');
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /--load: `exit 3` failed/);
  assert.match(cli('attach', String(child.pid), '--duration', 'soon').stderr, /--duration needs a time such as 60s/);
  assert.match(cli('attach', String(child.pid)).stderr, /give --load "<command>" or --duration <time>/);
});

/** A loopback port free a moment ago. */
async function freePort() {
  const { createServer } = await import('node:net');
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  s.close();
  await once(s, 'close');
  return port;
}

test('run -- node server.js starts the program with its inspector, hunts once it is ready, and stops it', { skip }, async () => {
  const port = await freePort();
  const server = path.join(root, '__test__', 'fixtures', 'leaky-server.js');
  const r = spawnSync(native, ['run', '--ready-line', `port ${port}`, '--load', load(port, '/leak', 120), '--json', '--', process.execPath, server], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PORT: String(port) },
  });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.leaks[0].name, 'Session');
  assert.equal(report.leaks[0].count, 120);
  // The program's output went to stderr, and it was stopped: nothing listens on its port.
  assert.match(r.stderr, new RegExp(`port ${port}`));
  const { connect } = await import('node:net');
  const probe = connect(port, '127.0.0.1');
  const [err] = await once(probe, 'error');
  assert.equal(err.code, 'ECONNREFUSED');
  // A program that ends before it is ready, and a missing program, say so.
  const early = spawnSync(native, ['run', '--duration', '1s', '--', process.execPath, '-e', 'process.exit(3)'], { encoding: 'utf8' });
  assert.equal(early.status, 1);
  assert.match(early.stderr, /the program ended before it was ready/);
  assert.match(spawnSync(native, ['run', '--duration', '1s'], { encoding: 'utf8' }).stderr, /run needs the program to start after --/);
});
