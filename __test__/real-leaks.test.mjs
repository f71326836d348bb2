// The real-leak corpus (bench/real-leaks): documented leaks in published npm packages, each pinned
// to its leaky and its fixed version. For every case, in a child process per version: assertNoLeak
// must reject on the leaky version, naming the case's group with a count that is a multiple of
// the iterations and a retainer path through the case's edges, and resolve on the fixed one; then
// find-leaks on three snapshots written by that child must name the same group on the leaky
// version and not on the fixed one. A case whose packages are not installed is installed here
// (npm ci from its lock file); if npm cannot, the case is skipped with npm's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const casesDir = path.join(root, 'bench', 'real-leaks', 'cases');
const leakhoundBin = path.join(root, 'bin', 'leakhound-native');
const ITERATIONS = 20;
const WARMUP = 5;
const VERSIONS = ['leaky', 'fixed'];

const cases = fs.existsSync(casesDir)
  ? fs.readdirSync(casesDir).filter((name) => fs.existsSync(path.join(casesDir, name, 'case.js'))).sort()
  : [];

/** Runs a command to its exit; never throws. Kills it (SIGKILL) after `timeout` ms. */
function run(command, args, { env = {}, timeout = 120_000, cwd = root } = {}) {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, error, stdout, stderr, ms: Date.now() - start });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
    });
  });
}

// Installed when every dependency of the case's package.json is (the two versions and any driver).
const isInstalled = (dir) => {
  const { dependencies = {} } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return [...VERSIONS, ...Object.keys(dependencies)].every((d) => fs.existsSync(path.join(dir, 'node_modules', d, 'package.json')));
};

// Installs run ahead of the cases that need them, two at a time (npm is mostly waiting on the
// registry), so a fresh checkout does not pay for them one after another.
let installSlots = 2;
const installQueue = [];
async function inSlot(fn) {
  if (installSlots === 0) await new Promise((resolve) => installQueue.push(resolve));
  else installSlots--;
  try {
    return await fn();
  } finally {
    const next = installQueue.shift();
    if (next) next();
    else installSlots++;
  }
}
const installs = new Map(
  cases.map((name) => {
    const dir = path.join(casesDir, name);
    if (isInstalled(dir)) return [name, Promise.resolve({ ok: true })];
    const installing = inSlot(async () => {
      const r = await run('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { timeout: 150_000 });
      if (r.code === 0 && isInstalled(dir)) return { ok: true };
      const why = r.error ? r.error.message : r.signal ? `killed (${r.signal})` : (r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${r.code}`);
      return { ok: false, reason: `npm ci failed: ${why}` };
    });
    return [name, installing];
  }),
);

// In the child: assertNoLeak on one driver (30 s at most: a case's 45 calls take seconds), then
// three snapshots of a second one (warm-up, baseline, iterations, target, iterations, final), then
// one JSON line on stdout.
const MARK = 'REAL-LEAKS-RESULT ';
const CHILD = `
'use strict';
const path = require('node:path');
const v8 = require('node:v8');
const { CASE_DIR, CASE_VERSION, SNAPSHOT_DIR, LEAKHOUND_ROOT } = process.env;
const ITERATIONS = ${ITERATIONS}, WARMUP = ${WARMUP};
const { assertNoLeak } = require(LEAKHOUND_ROOT);
const spec = require(path.join(CASE_DIR, 'case.js'));
const mod = require(require.resolve(CASE_VERSION, { paths: [CASE_DIR] }));
const groups = (leaks) => leaks.map((g) => ({
  name: g.name, type: g.type, count: g.count, representativeId: g.representativeId,
  functionName: g.functionName, holds: g.holds, holdsVia: g.holdsVia,
  trace: g.trace.map((s) => ({ edge: s.edge, name: s.name, type: s.type, id: s.id })),
}));
(async () => {
  const out = {};
  let h = await spec.start(mod);
  try {
    const report = await assertNoLeak((i) => h.iteration(i), { iterations: ITERATIONS, warmup: WARMUP, timeoutMs: 30000 });
    out.assert = { rejected: false, leaks: groups(report.leaks) };
  } catch (err) {
    if (!err || err.name !== 'LeakError' || !err.report) throw err;
    out.assert = { rejected: true, iterations: err.report.iterations, leaks: groups(err.report.leaks) };
  } finally {
    await h.close();
  }
  h = await spec.start(mod);
  let call = WARMUP + 2 * ITERATIONS;
  const iterate = async (n) => { for (let k = 0; k < n; k++) await h.iteration(call++); };
  out.snapshots = {};
  await iterate(WARMUP);
  out.snapshots.baseline = v8.writeHeapSnapshot(path.join(SNAPSHOT_DIR, 'baseline.heapsnapshot'));
  await iterate(ITERATIONS);
  out.snapshots.target = v8.writeHeapSnapshot(path.join(SNAPSHOT_DIR, 'target.heapsnapshot'));
  await iterate(ITERATIONS);
  out.snapshots.final = v8.writeHeapSnapshot(path.join(SNAPSHOT_DIR, 'final.heapsnapshot'));
  await h.close();
  process.stdout.write('\\n${MARK}' + JSON.stringify(out) + '\\n');
  process.exit(0);
})().catch((err) => {
  console.error((err && err.stack) || err);
  process.exit(1);
});
`;

/**
 * The names a group's headline gives: its class, a closure group's function, and the user
 * class its objects keep alive (`40 × Timeout holding RedirectableRequest`).
 */
function headlines(group) {
  const names = [group.name];
  if (group.type === 'closure' && group.functionName !== undefined) names.push(group.functionName);
  if (group.holds !== undefined) names.push(group.holds);
  return names;
}

/** The edges from the root to a group's representative, then on to the user class it holds. */
const edgesOf = (group) => [...group.trace.map((s) => s.edge), ...(group.holdsVia ?? [])];

/** Whether `edges` appear in the group's edge names in this order (not necessarily adjacent). */
function passesThrough(group, edges) {
  let k = 0;
  for (const edge of edgesOf(group)) if (k < edges.length && edge === edges[k]) k++;
  return k === edges.length;
}

const describeGroup = (g) => `  ${headlines(g).join(' / ')} [${g.type}] ×${g.count} via ${edgesOf(g).join(' → ')}`;
const describeAll = (leaks) => (leaks.length ? leaks.map(describeGroup).join('\n') : '  (no group)');
const named = (leaks, expect) => leaks.filter((g) => headlines(g).some((h) => new RegExp(expect.group).test(h)));

function assertNamesLeak(leaks, expect, what) {
  const candidates = named(leaks, expect);
  assert.ok(candidates.length > 0, `${what}: no group named /${expect.group}/; the groups were:\n${describeAll(leaks)}`);
  const match = candidates.find((g) => g.count > 0 && g.count % ITERATIONS === 0 && passesThrough(g, expect.edges));
  assert.ok(
    match,
    `${what}: /${expect.group}/ is named, but not with a count that is a positive multiple of ${ITERATIONS}` +
      ` and a path through ${expect.edges.join(' … ')}:\n${describeAll(candidates)}`,
  );
}

function assertNamesNoLeak(leaks, expect, what) {
  const candidates = named(leaks, expect);
  assert.equal(candidates.length, 0, `${what}: the fixed version still has /${expect.group}/:\n${describeAll(candidates)}`);
}

for (const name of cases) {
  const dir = path.join(casesDir, name);
  // A case.js that cannot load fails its own test, not the whole file.
  let spec;
  let loadError = null;
  try {
    spec = require(path.join(dir, 'case.js'));
  } catch (error) {
    spec = {};
    loadError = error;
  }
  // A case whose verdict leakhound does not give yet says why in `expect.todo`: it still runs
  // and reports, as a todo.
  const options = { timeout: 600_000, todo: spec.expect?.todo };
  test(`real leak ${name}: assertNoLeak and find-leaks name it on the leaky version only`, options, async (t) => {
    assert.ifError(loadError);
    assert.equal(typeof spec.start, 'function', `${name}/case.js exports no start()`);
    assert.ok(spec.expect && typeof spec.expect.group === 'string' && Array.isArray(spec.expect.edges), `${name}/case.js has no expect { group, edges }`);
    const installed = await installs.get(name);
    if (!installed.ok) return t.skip(installed.reason);
    const label = `${spec.package} ${spec.leaky} → ${spec.fixed}`;

    for (const version of VERSIONS) {
      const snapshotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-real-leaks-'));
      try {
        const child = await run(process.execPath, ['-e', CHILD], {
          cwd: dir,
          env: { CASE_DIR: dir, CASE_VERSION: version, SNAPSHOT_DIR: snapshotDir, LEAKHOUND_ROOT: root },
          // assertNoLeak gives up after 30 s and the snapshots take seconds: a case that hangs
          // costs this much, not the whole run.
          timeout: 90_000,
        });
        const line = child.stdout.split('\n').find((l) => l.startsWith(MARK));
        const ran = child.code === 0 && line;
        const result = ran ? JSON.parse(line.slice(MARK.length)) : null;
        const failed = `the ${version} child failed (${child.signal ?? `exit ${child.code}`}):\n${child.stderr.trim().split('\n').slice(-15).join('\n')}`;

        await t.test(`${version} (${spec[version]}): assertNoLeak ${version === 'leaky' ? 'rejects naming' : 'resolves without'} /${spec.expect.group}/`, { todo: options.todo }, () => {
          assert.ok(ran, failed);
          const what = `${label}, ${version} ${spec[version]}, assertNoLeak`;
          if (version === 'leaky') {
            assert.equal(result.assert.rejected, true, `${what} resolved; the groups were:\n${describeAll(result.assert.leaks)}`);
            assertNamesLeak(result.assert.leaks, spec.expect, what);
          } else {
            assert.equal(result.assert.rejected, false, `${what} rejected; the groups were:\n${describeAll(result.assert.leaks)}`);
            assertNamesNoLeak(result.assert.leaks, spec.expect, what);
          }
        });

        await t.test(`${version} (${spec[version]}): find-leaks on three snapshots ${version === 'leaky' ? 'names' : 'does not name'} /${spec.expect.group}/`, { todo: options.todo }, async () => {
          assert.ok(ran, failed);
          const { baseline, target, final } = result.snapshots;
          const r = await run(leakhoundBin, ['find-leaks', baseline, target, final, '--json'], { timeout: 120_000 });
          assert.equal(r.code, 0, `find-leaks failed (${r.signal ?? r.code}): ${r.error?.message ?? r.stderr}`);
          const report = JSON.parse(r.stdout);
          const what = `${label}, ${version} ${spec[version]}, find-leaks`;
          if (version === 'leaky') assertNamesLeak(report.leaks, spec.expect, what);
          else assertNamesNoLeak(report.leaks, spec.expect, what);
        });
      } finally {
        fs.rmSync(snapshotDir, { recursive: true, force: true });
      }
    }
  });
}

test('the real-leak corpus has cases', () => {
  assert.ok(cases.length > 0, `no case under ${path.relative(root, casesDir)}`);
});
