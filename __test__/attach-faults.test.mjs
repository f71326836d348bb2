// What can go wrong when leakhound works on a running process, each on a real process: the
// error names the cause, the exit code is 1, no partial file is left, the target goes on
// serving and its inspector is closed again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { cli, cliStarted, listeningPorts, load, native, skip, startServer, startTarget, until } from './live-helpers.mjs';

const tempDir = (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-faults-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const [major, minor] = process.versions.node.split('.').map(Number);
const noDisableFlag = (major < 22 || (major === 22 && minor < 14)) && `Node ${process.version} has no --disable-sigusr1`;

test('a target started with --disable-sigusr1 is refused with that reason, and never signalled', { skip: skip || noDisableFlag }, async (t) => {
  for (const how of ['flag', 'NODE_OPTIONS']) {
    const target = await startTarget(t, how === 'flag' ? { flags: ['--disable-sigusr1'] } : { env: { NODE_OPTIONS: '--disable-sigusr1' } });
    const r = cli('summary', String(target.pid));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /was started with --disable-sigusr1, so its inspector cannot be opened from outside; start it with --inspect/);
    const pending = /SigPnd:\s+(\w+)/.exec(fs.readFileSync(`/proc/${target.pid}/status`, 'utf8'))[1];
    assert.equal(BigInt(`0x${pending}`) & 0x200n, 0n, 'no SIGUSR1 was sent');
    assert.ok(await target.ping());
  }
});

const notRoot = (typeof process.getuid !== 'function' || process.getuid() !== 0) && 'needs root to run processes as two other users';

test("another user's process is refused, naming both users", { skip: skip || notRoot }, async (t) => {
  // The tool runs as user 1000 from a copy it can read; the target runs as nobody.
  const dir = tempDir(t);
  fs.chmodSync(dir, 0o755);
  const tool = path.join(dir, 'leakhound-native');
  fs.copyFileSync(native, tool);
  fs.chmodSync(tool, 0o755);
  const target = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("ready")'], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => target.kill('SIGKILL'));
  await once(target.stdout, 'data');
  const r = spawnSync(tool, ['summary', String(target.pid)], { uid: 1000, gid: 1000, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /it belongs to user 65534 and leakhound runs as user 1000; run leakhound as that user \(or root\)/);
  assert.equal(target.exitCode, null, 'the target still runs');
});

test('a port that is not an inspector is named as such', { skip }, async (t) => {
  // An HTTP server that is not an inspector, and a TCP server that never answers.
  const web = http.createServer((req, res) => res.writeHead(404).end('no\n')).listen(0, '127.0.0.1');
  const mute = net.createServer(() => {}).listen(0, '127.0.0.1');
  await Promise.all([once(web, 'listening'), once(mute, 'listening')]);
  t.after(() => {
    web.close();
    mute.close();
    web.closeAllConnections();
  });
  const ask = (port) => cliStarted(['summary', `127.0.0.1:${port}`]).done;
  const notInspector = await ask(web.address().port);
  assert.equal(notInspector.status, 1);
  assert.match(notInspector.stderr, /127\.0\.0\.1:\d+ is not a Node\.js inspector: it answered HTTP status 404 to GET \/json\/list/);
  const silent = await ask(mute.address().port);
  assert.equal(silent.status, 1);
  assert.match(silent.stderr, /127\.0\.0\.1:\d+ is not a Node\.js inspector: it answered nothing to GET \/json\/list within 2 s/);
  for (const s of mute.connections ?? []) s.destroy();
});

test('a target that ends during a phase ends the hunt with that reason, and leaves no file', { skip }, async (t) => {
  const { child } = await startServer(t);
  const saved = tempDir(t);
  const r = await cliStarted(['attach', String(child.pid), '--load', `kill ${child.pid}`, '--save', saved]).done;
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`process ${child.pid} ended during phase 1`));
  assert.deepEqual(fs.readdirSync(saved), [], 'no snapshot kept, no temporary file left');
});

/**
 * `snapshot -o` on a target whose snapshot takes a few seconds to stream (~600,000 objects),
 * resolved once the snapshot has begun to arrive.
 */
async function snapshotStreaming(t) {
  const target = await startTarget(t, { env: { PLANTED: '600000' } });
  const dir = tempDir(t);
  const taking = cliStarted(['snapshot', String(target.pid), '-o', path.join(dir, 'live.heapsnapshot'), '--progress']);
  await taking.saidOnStderr('receiving the snapshot');
  return { target, dir, taking };
}

test('a snapshot cut off mid-stream (the target killed) is an error naming it, and leaves no file', { skip }, async (t) => {
  const { target, dir, taking } = await snapshotStreaming(t);
  target.kill('SIGKILL');
  const r = await taking.done;
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`process ${target.pid} has ended`));
  assert.deepEqual(fs.readdirSync(dir), [], 'no partial file');
});

test('Ctrl-C mid-snapshot stops at once, leaves no file, and the target closes its inspector and goes on', { skip }, async (t) => {
  const { target, dir, taking } = await snapshotStreaming(t);
  taking.kill('SIGINT');
  const r = await taking.done;
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /leakhound: interrupted/);
  assert.deepEqual(fs.readdirSync(dir), [], 'no partial file');
  // V8 finishes the snapshot it had begun; then the inspector closes, and the target answers.
  assert.ok(await target.ping(), 'the process still answers');
  await until(() => listeningPorts(target.pid).length === 0);
  // It can be opened again.
  const again = cli('summary', String(target.pid), '--top', '1');
  assert.equal(again.status, 0, again.stderr);
});

/** Processes whose command line holds `text`. */
const running = (text) =>
  fs.readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });

test('Ctrl-C during a phase ends the hunt and its load command, and closes the inspector', { skip }, async (t) => {
  const { child, port } = await startServer(t);
  for (const phase of [['--duration', '10m'], ['--load', 'sleep 617.25']]) {
    const hunting = cliStarted(['attach', String(child.pid), ...phase, '--progress']);
    await hunting.saidOnStderr('phase 1: ');
    hunting.kill('SIGINT');
    const r = await hunting.done;
    assert.equal(r.status, 1);
    assert.match(r.stderr, /leakhound: interrupted/);
    assert.deepEqual(listeningPorts(child.pid), [port], 'only the server listens');
  }
  await until(() => running('617.25').length === 0); // the load command was stopped
});

test('a target without the memory to build a snapshot is refused with the figures, and goes on', { skip: skip || (!fs.existsSync('/usr/bin/prlimit') && 'no prlimit') }, async (t) => {
  const target = await startTarget(t, { env: { PLANTED: '300000' } });
  // Its address space capped above what it uses by enough to open the inspector (a thread and
  // its arena), far less than V8 needs to build a snapshot of its heap.
  const size = Number(/VmSize:\s+(\d+)/.exec(fs.readFileSync(`/proc/${target.pid}/status`, 'utf8'))[1]) * 1024;
  const limit = size + 100 * 1024 * 1024;
  const capped = spawnSync('prlimit', ['--pid', String(target.pid), `--as=${limit}`], { encoding: 'utf8' });
  assert.equal(capped.status, 0, capped.stderr);
  const r = cli('summary', String(target.pid));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a snapshot of this process \(heap in use: \d+ MB\) needs about \d+ MB more while V8 builds it, and only \d+ MB is free \(.*address-space limit: \d+ MB free of/);
  assert.match(r.stderr, /--force takes it anyway/);
  assert.ok(await target.ping(), 'the process still answers');
  await until(() => listeningPorts(target.pid).length === 0);
});

test('the interactive phase: Enter on a terminal ends each phase', { skip: skip || (!fs.existsSync('/usr/bin/script') && 'no script(1) for a terminal') }, async (t) => {
  const { child, port } = await startServer(t);
  // script(1) gives the tool a terminal; the load runs from here while it waits for Enter.
  const command = `${native} attach ${child.pid} --json`;
  const terminal = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => terminal.kill('SIGKILL'));
  terminal.stdout.setEncoding('utf8');
  let seen = '';
  terminal.stdout.on('data', (d) => (seen += d));
  const exit = once(terminal, 'close');
  for (const round of [1, 2]) {
    while (!seen.includes(`phase ${round}: exercise the process, then press Enter`)) await once(terminal.stdout, 'data');
    const requests = spawnSync('sh', ['-c', load(port, '/leak', 30)]);
    assert.equal(requests.status, 0);
    terminal.stdin.write('\n');
  }
  await exit;
  const json = seen.slice(seen.indexOf('{')).replace(/\r/g, '');
  const report = JSON.parse(json.slice(0, json.lastIndexOf('}') + 1));
  assert.equal(report.leaks[0].name, 'Session');
  assert.equal(report.leaks[0].count, 30);
});
