#!/usr/bin/env node
'use strict';
// Soak test of leakhound itself: every part a long-running process uses, over and over —
// snapshot loads (disposed and dropped), live captures, trackers filled and cleared, settles,
// samplers and monitors started and stopped, monitor snapshots, leak isolation, assertNoLeak —
// with the process's RSS read after a full GC between rounds. A leak library must not leak:
// the RSS of the last quarter of the rounds must stay near that of the second quarter.
//
//   node scripts/soak.js [--rounds N] [--json]      (npm run soak: 400 rounds)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const lh = require('..');

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 400;
const json = args.includes('--json');
/** Growth allowed from the second quarter's median to the last quarter's. */
const SLACK_BYTES = 12 << 20;
const SLACK_RATIO = 0.1;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-soak-'));
const files = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.heapsnapshot`));
const held = [];
for (const f of files) {
  for (let i = 0; i < 500; i++) held.push({ i, s: `held-${f}-${i}` });
  v8.writeHeapSnapshot(f);
}

async function round(i) {
  // Snapshot files: one disposed, one dropped, one diffed and isolated.
  const snap = await lh.loadSnapshot(files[2]);
  snap.summary({ top: 5 });
  snap.retainerPath(snap.node(1)?.id ?? 1);
  snap.dispose();
  await lh.loadSnapshot(files[i % 3]);
  await lh.diffSnapshots(files[0], files[1]);
  await lh.findLeaks({ baseline: files[0], target: files[1], final: files[2] });
  // Trackers: filled, settled, cleared, dropped.
  const t = new lh.Tracker({ name: `soak-${i}`, captureStacks: i % 2 === 0 });
  for (let k = 0; k < 2000; k++) t.track({ k }, `label-${k % 50}`, k % 3 ? 'g' : undefined);
  await t.check({ maxRounds: 2 });
  t.clear();
  // Samplers and a monitor, started and stopped.
  const s = new lh.Sampler({ intervalMs: 10 });
  s.start();
  s.sample();
  s.toPrometheus();
  s.stop();
  const m = lh.monitor({ dir, signal: 'SIGUSR2', minIntervalMs: 0, maxCount: 1 });
  const written = m.snapshot('manual');
  m.stop();
  if (written) fs.rmSync(written);
  // The in-process hunt, now and then (it takes three snapshots of this heap).
  if (i % 10 === 0) await lh.assertNoLeak(() => ({ i }), { iterations: 3, warmup: 1 });
}

function rssAfterGc() {
  lh.gc({ type: 'major' });
  return process.memoryUsage().rss;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

(async () => {
  const rss = [];
  for (let i = 0; i < rounds; i++) {
    await round(i);
    await lh.settle();
    rss.push(rssAfterGc());
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const q = Math.max(1, rounds >> 2);
  const second = median(rss.slice(q, 2 * q));
  const last = median(rss.slice(-q));
  const allowed = second * (1 + SLACK_RATIO) + SLACK_BYTES;
  const result = { rounds, rssSecondQuarter: second, rssLastQuarter: last, allowed, bounded: last <= allowed };
  if (json) console.log(JSON.stringify(result));
  else {
    const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
    console.log(`${rounds} rounds: RSS after GC ${mb(second)} (second quarter) → ${mb(last)} (last quarter), allowed ${mb(allowed)}`);
    console.log(result.bounded ? 'bounded' : 'GROWING: leakhound keeps memory it should release');
  }
  process.exitCode = result.bounded ? 0 : 1;
})();
