// Helpers for the tests on running processes: start an unmodified target, see which ports it
// listens on, run the native tool on it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './helpers.mjs';

export const native = path.join(root, 'bin', 'leakhound-native');
export const skip = process.platform !== 'linux' ? 'SIGUSR1 and /proc are tested on Linux' : !fs.existsSync(native) && 'no native build';
const fixture = (name) => path.join(root, '__test__', 'fixtures', name);

/** The native tool, run to its end. */
export const cli = (...args) => spawnSync(native, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });

/** The native tool, started; `done` resolves with { status, stdout, stderr }. */
export function cliStarted(args, options = {}) {
  const child = spawn(native, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.out = '';
  child.err = '';
  child.stdout.on('data', (d) => (child.out += d));
  child.stderr.on('data', (d) => (child.err += d));
  child.done = once(child, 'close').then(([status]) => ({ status, stdout: child.out, stderr: child.err }));
  /** Resolves once stderr holds `text`. */
  child.saidOnStderr = async (text) => {
    while (!child.err.includes(text)) await once(child.stderr, 'data');
  };
  return child;
}

/** Starts running-target.js and resolves once it has said "ready". */
export async function startTarget(t, { env = {}, flags = [], spawnOptions = {} } = {}) {
  const child = spawn(process.execPath, [...flags, '--inspect-port=0', fixture('running-target.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    ...spawnOptions,
  });
  t.after(() => child.kill('SIGKILL'));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderrText = '';
  child.stderr.on('data', (d) => (child.stderrText += d));
  const lines = [];
  child.stdout.on('data', (d) => lines.push(...d.split('\n').filter(Boolean)));
  while (!lines.includes('ready')) {
    const [event] = await Promise.race([once(child.stdout, 'data').then(() => ['data']), once(child, 'exit').then(() => ['exit'])]);
    if (event === 'exit') throw new Error(`the target ended: ${child.stderrText}`);
  }
  /** Asks it to answer, proving its event loop still runs. */
  child.ping = async () => {
    const before = lines.filter((l) => l === 'alive').length;
    child.stdin.write('ping\n');
    while (lines.filter((l) => l === 'alive').length === before) await once(child.stdout, 'data');
    return true;
  };
  return child;
}

/** Starts a server fixture and resolves with it and the line it printed (`port N …`). */
export async function startServer(t, name = 'leaky-server.js') {
  const child = spawn(process.execPath, ['--inspect-port=0', fixture(name)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  child.stdout.setEncoding('utf8');
  let out = '';
  while (!/port (\d+)/.test(out)) out += (await once(child.stdout, 'data'))[0];
  return { child, port: Number(/port (\d+)/.exec(out)[1]), line: out };
}

/** The load command for a hunt: `requests` GETs of `route`, one after another. */
export const load = (port, route, n) => `"${process.execPath}" "${fixture('load.js')}" ${port} ${route} ${n}`;

/** Ports process `pid` listens on (its own sockets in LISTEN state). */
export function listeningPorts(pid) {
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

/** Resolves once `condition()` holds, looking again every 50 ms. */
export async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * GETs `route` one request after another until `stop()` resolves; the counts of answered and
 * failed requests.
 */
export async function probe(port, route, stopped) {
  const http = await import('node:http');
  const counts = { answered: 0, failed: 0 };
  let done = false;
  stopped.then(() => (done = true));
  while (!done) {
    await new Promise((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
          if (res.statusCode === 200) counts.answered++;
          else counts.failed++;
          res.resume();
          res.on('end', resolve);
        })
        .on('error', () => {
          counts.failed++;
          resolve();
        });
    });
  }
  return counts;
}
