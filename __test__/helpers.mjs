// Shared test helpers: run node scripts in child processes and make garbage out of reach of the
// caller's frames.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `node [...flags] -e code` with the package root as cwd; returns { status, stdout, stderr, ms }. */
export function runNode(code, { flags = [], env = {}, timeout = 60_000 } = {}) {
  const start = Date.now();
  const r = spawnSync(process.execPath, [...flags, '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start };
}

/** Tracks `n` fresh objects that nothing else references; returns their ids. */
export function trackGarbage(tracker, n, label = 'garbage') {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(tracker.track({ i, payload: new Array(8).fill(i) }, label));
  return ids;
}
