// A running, unmodified Node.js process: `leakhound snapshot <pid>` writes one snapshot of it
// (opening its inspector with SIGUSR1), `leakhound summary <pid>` analyses one as it streams
// in. The process goes on working; nothing else is ever signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';
import { cli, cliStarted, listeningPorts, load, native, probe, skip, startServer, startTarget, until } from './live-helpers.mjs';
import lh from '../index.js';

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

test('summary <pid> analyses a snapshot of a running process as it streams in, and again on the next call', { skip }, async (t) => {
  const target = await startTarget(t);
  assert.deepEqual(listeningPorts(target.pid), [], 'no inspector before');
  const r = cli('summary', String(target.pid), '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).find((row) => row.name === 'Planted').count, 4321);
  // The inspector leakhound opened is closed again: its port is refused once the command ends.
  assert.deepEqual(listeningPorts(target.pid), [], 'the inspector is closed afterwards');
  await until(() => /Debugger listening on ws:\/\/127\.0\.0\.1:/.test(target.stderrText)); // on loopback
  // And it opens again on the next call, every time.
  for (let i = 0; i < 3; i++) {
    const again = cli('summary', String(target.pid), '--top', '1');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(listeningPorts(target.pid), []);
  }
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
  const [url, port] = /ws:\/\/127\.0\.0\.1:(\d+)\/[\w-]+/.exec(err);
  const text = cli('summary', `127.0.0.1:${port}`, '--top', '100000');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^127\.0\.0\.1:\d+: [\d,]+ objects/);
  assert.match(text.stdout, /4,321\s+object\s+Planted$/m);
  assert.ok(listeningPorts(child.pid).includes(Number(port)), 'an inspector that was open stays open');
  // The same inspector named by option, and by its WebSocket URL.
  const byOption = cli('summary', '--inspect', `127.0.0.1:${port}`, '--json');
  assert.equal(byOption.status, 0, byOption.stderr);
  assert.equal(JSON.parse(byOption.stdout).find((row) => row.name === 'Planted').count, 4321);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-url-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const byUrl = cli('snapshot', '--url', url, '-o', path.join(dir, 'u.heapsnapshot'), '--json');
  assert.equal(byUrl.status, 0, byUrl.stderr);
  assert.ok(JSON.parse(byUrl.stdout).bytes > 0);
  assert.ok(listeningPorts(child.pid).includes(Number(port)), 'still open');
  assert.match(cli('summary', '--url', 'http://127.0.0.1:1/').stderr, /--url needs the inspector's ws:\/\/ URL, got "http:\/\/127\.0\.0\.1:1\/"/);
  assert.match(cli('summary', '1', '--url', url).stderr, /give the process as an operand or with --url, not both/);
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
  assert.match(cli('snapshot', 'nothing-here').stderr, /not a process id, the host:port of an open inspector or its ws:\/\/ URL/);
});

test('attach <pid> --load finds the leak of a running server between two phases of load, with its path', { skip }, async (t) => {
  const { child, port } = await startServer(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-hunt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const html = path.join(dir, 'hunt.html');
  const saved = path.join(dir, 'saved');
  fs.mkdirSync(saved);
  const hunting = cliStarted(['attach', String(child.pid), '--load', load(port, '/leak', 200), '--json', '--html', html, '--save', saved]);
  // Requests all through the hunt, snapshots included: slowed, never failed.
  const counts = await probe(port, '/ok', hunting.done);
  const r = await hunting.done;
  assert.equal(r.status, 0, r.stderr);
  assert.equal(counts.failed, 0, JSON.stringify(counts));
  assert.ok(counts.answered > 0, JSON.stringify(counts));
  // Afterwards only the server's own port is open: the inspector the hunt opened is closed.
  assert.deepEqual(listeningPorts(child.pid), [port]);
  const report = JSON.parse(r.stdout);
  const [top] = report.leaks;
  // One phase's requests: allocated between baseline and target, alive in final.
  assert.equal(top.name, 'Session');
  assert.equal(top.count, 200);
  assert.ok(top.trace.some((s) => s.edge === 'sessions'), JSON.stringify(top.trace.map((s) => s.edge)));
  assert.ok(report.collections.some((c) => c.added === 200), 'the cache grew by one entry a request');
  assert.equal(fs.statSync(html).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(html, 'utf8'), /"name":"Session"/);
  // --save kept the three snapshots, private, and they give the same verdict from files.
  const files = fs.readdirSync(saved).sort();
  assert.deepEqual(
    files.map((f) => f.replace(/^\d+-\d+-/, '')),
    ['baseline.heapsnapshot', 'final.heapsnapshot', 'target.heapsnapshot'],
  );
  for (const f of files) assert.equal(fs.statSync(path.join(saved, f)).mode & 0o777, 0o600);
  const [baseline, last, target] = files.map((f) => path.join(saved, f));
  const fromFiles = cli('find-leaks', baseline, target, last, '--json');
  assert.equal(fromFiles.status, 0, fromFiles.stderr);
  assert.equal(JSON.parse(fromFiles.stdout).leaks[0].count, 200);
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
  const ready = ['--ready-line', `port ${port}`, '--ready-url', `http://127.0.0.1:${port}/ok`];
  const r = spawnSync(native, ['run', ...ready, '--load', load(port, '/leak', 120), '--json', '--', process.execPath, server], {
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
  assert.match(spawnSync(native, ['run', '--duration', '1s', '--ready-url', 'https://x/', '--', 'node'], { encoding: 'utf8' }).stderr, /--ready-url https:\/\/x\/: only http:\/\/ URLs/);
});

test('worker threads: listed, and a worker whose heap leaks is hunted with --worker', { skip }, async (t) => {
  const { child, port, line } = await startServer(t, 'worker-server.js');
  const workerId = /worker (\d+)/.exec(line)[1];
  const listed = cli('attach', String(child.pid), '--list-workers', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).map((w) => [w.workerId, w.title]),
    [[workerId, `[worker ${workerId}] sessions`]],
  );
  assert.match(cli('attach', String(child.pid), '--list-workers').stdout, new RegExp(`^\\s*${workerId}\\s+\\[worker ${workerId}\\] sessions`, 'm'));
  const r = cli('attach', String(child.pid), '--worker', workerId, '--load', load(port, '/leak', 150), '--json');
  assert.equal(r.status, 0, r.stderr);
  const [top] = JSON.parse(r.stdout).leaks;
  assert.equal(top.name, 'WorkerSession');
  assert.equal(top.count, 150);
  // The main thread's heap holds no WorkerSession; a worker that is not there is named.
  const main = cli('summary', String(child.pid), '--json');
  assert.ok(!JSON.parse(main.stdout).some((row) => row.name === 'WorkerSession'));
  const missing = cli('summary', String(child.pid), '--worker', '99');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, new RegExp(`has no worker 99; its workers: ${workerId} \\(\\[worker ${workerId}\\] sessions\\)`));
  assert.deepEqual(listeningPorts(child.pid), [port], 'the inspector is closed afterwards');
});

const require = createRequire(import.meta.url);
const chromium = [process.env.LEAKHOUND_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && fs.existsSync(p));
const playwrightPath = (() => {
  try {
    return require.resolve('playwright-core');
  } catch {
    return null;
  }
})();
const skipBrowser = skip || (!chromium ? 'Chromium is not installed (Debian: apt-get install chromium)' : !playwrightPath && 'playwright-core is not installed');

test('the HTML report of an attach hunt opens in headless Chromium with the leak and its path', { skip: skipBrowser, timeout: 120_000 }, async (t) => {
  const { child, port } = await startServer(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-hunt-html-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const html = path.join(dir, 'hunt.html');
  const r = cli('attach', String(child.pid), '--load', load(port, '/leak', 60), '--html', html);
  assert.equal(r.status, 0, r.stderr);
  const browser = await require(playwrightPath).chromium.launch({
    executablePath: chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (req) => requests.push(req.url()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`file://${html}`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.match(await page.title(), new RegExp(`leakhound: process ${child.pid}`));
  const top = page.locator('#leak-list .group[data-rank="1"]');
  assert.match(await top.locator('h3').textContent(), /#1 60 × Session/);
  const edges = await top.locator('.chain .edge-name').allTextContents();
  assert.ok(edges.includes('sessions'), edges.join(' → '));
  assert.equal((await top.locator('.chain .node b').allTextContents())[0], 'GC roots');
  assert.deepEqual(problems, []);
  assert.ok(requests.every((u) => u.startsWith('file://')), `only the file itself is loaded: ${requests.join(', ')}`);
});

const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

test('a snapshot streams through the tool: its peak RSS stays far below the snapshot it writes', { skip: skip || (!gnuTime && 'GNU time is not installed (Debian: apt-get install time)') }, async (t) => {
  const target = await startTarget(t, { env: { PLANTED: '600000' } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-stream-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'big.heapsnapshot');
  const report = path.join(dir, 'time.txt');
  const r = spawnSync(gnuTime, ['-f', '%M', '-o', report, native, 'snapshot', String(target.pid), '-o', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const peak = Number(fs.readFileSync(report, 'utf8').trim().split('\n').pop()) * 1024;
  const size = fs.statSync(file).size;
  assert.ok(size > 40e6, `a snapshot of ${size} bytes`);
  assert.ok(peak < size / 4, `peak RSS ${peak} bytes for a ${size}-byte snapshot`);
  t.diagnostic(`peak ${(peak / 1e6).toFixed(1)} MB for a ${(size / 1e6).toFixed(1)} MB snapshot`);
});
