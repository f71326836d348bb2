// Sampler on real processes: real memoryUsage figures, real GCs marked, statistics that match the
// samples, a bounded ring, no keeping the process alive, no garbage per sample, and a verdict
// that tells a real leak from a real cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, gc, Tracker } from '../index.js';
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import { root, runNode } from './helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('samples real memory figures and marks the samples taken after a major GC', async () => {
  const s = new Sampler({ intervalMs: 20, heapSpaces: true, detachedContexts: true }).start();
  assert.equal(s.running, true);
  let keep = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20000; i++) keep.push({ i, text: `x${i}` });
    await sleep(40);
    keep = [];
    gc({ type: 'major' });
    await sleep(40);
  }
  s.stop();
  const samples = s.samples();
  assert.ok(samples.length >= 5, `${samples.length} samples`);
  const spaces = v8.getHeapSpaceStatistics().map((space) => space.space_name);
  for (const x of samples) {
    assert.ok(x.heapUsed > 0 && x.heapUsed <= x.heapTotal, 'heapUsed within heapTotal');
    assert.ok(x.rss > x.heapUsed, 'rss above heapUsed');
    assert.ok(x.arrayBuffers <= x.external, 'arrayBuffers are part of external');
    assert.deepEqual(Object.keys(x.heapSpaces), spaces, 'every V8 heap space, by name');
    assert.ok(x.heapSpaces.old_space > 0);
    assert.equal(x.detachedContexts, 0, 'this process has no detached contexts');
  }
  for (let i = 1; i < samples.length; i++) assert.ok(samples[i].timestamp >= samples[i - 1].timestamp);
  const afterGc = samples.filter((x) => x.afterGc);
  assert.ok(afterGc.length >= 1, 'the forced major GCs were observed');
  assert.equal(s.counts().gcSamplesTotal, afterGc.length);
  // A post-GC sample sees the garbage gone: below the largest heap of its round.
  assert.ok(Math.min(...afterGc.map((x) => x.heapUsed)) < Math.max(...samples.map((x) => x.heapUsed)));
});

test('stats() agree with the samples', () => {
  const s = new Sampler({ capacity: 50 });
  for (let i = 0; i < 30; i++) s.sample();
  const samples = s.samples();
  const stats = s.stats();
  assert.equal(stats.count, samples.length);
  for (const field of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']) {
    const values = samples.map((x) => x[field]);
    const sorted = [...values].sort((a, b) => a - b);
    const rank = (q) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
    assert.deepEqual(stats[field], {
      min: sorted[0],
      max: sorted.at(-1),
      mean: stats[field].mean,
      p50: rank(0.5),
      p95: rank(0.95),
      last: values.at(-1),
    });
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(stats[field].mean - mean) <= 1e-6 * mean, field);
  }
});

test('the ring keeps the newest samples up to its capacity', () => {
  const s = new Sampler({ capacity: 5 });
  for (let i = 1; i <= 12; i++) s.push({ timestamp: i * 1000, heapUsed: i * 1e6, rss: 2e8 });
  assert.deepEqual(
    s.samples().map((x) => x.heapUsed),
    [8e6, 9e6, 10e6, 11e6, 12e6],
  );
  assert.equal(s.counts().samplesTotal, 12);
  s.clear();
  assert.equal(s.samples().length, 0);
});

test('bad options and samples get errors naming the problem', () => {
  assert.throws(() => new Sampler({ intervalMs: 0 }), /intervalMs must be an integer from 10/);
  assert.throws(() => new Sampler({ capacity: 0 }), /capacity must be an integer from 1/);
  assert.throws(() => new Sampler({ capacity: 2 ** 21 }), /capacity/);
  assert.throws(() => new Sampler({ windowMs: -1 }), /windowMs/);
  assert.throws(() => new Sampler({ minPoints: 50, maxPoints: 10 }), /minPoints/);
  assert.throws(() => new Sampler({ confirmGc: { intervalMs: -5 } }), /confirmGc.intervalMs/);
  assert.throws(() => new Sampler('fast'), /options must be an object/);
  const s = new Sampler();
  assert.throws(() => s.push({ timestamp: 1, heapUsed: Number.NaN }), /field `heapUsed` of a sample is NaN/);
  s.push({ timestamp: 10, heapUsed: 1 });
  assert.throws(() => s.push({ timestamp: 5, heapUsed: 1 }), /earlier than the previous sample/);
  assert.throws(() => s.push(null), /sample must be an object/);
});

test('stop() is idempotent, and a stopped sampler is collected when dropped', async () => {
  const tracker = new Tracker({ name: 'sampler' });
  (() => {
    const s = new Sampler({ intervalMs: 10 }).start();
    s.on('sample', () => {});
    tracker.track(s, 'stopped sampler');
    s.stop();
    s.stop();
    assert.equal(s.running, false);
  })();
  const survivors = await tracker.check();
  assert.deepEqual(survivors, []);
});

test('a running sampler or monitor never keeps the process alive', () => {
  const r = runNode(
    `const lh = require('.');
     const s = new lh.Sampler({ intervalMs: 50, confirmGc: true }).start();
     const m = lh.monitor({ intervalMs: 50, dir: require('os').tmpdir(), signal: 'SIGUSR2', onLeak: true });
     setTimeout(() => console.log('done', s.running, m.running), 200);`,
    { timeout: 20_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done true true');
  assert.ok(r.ms < 10_000, `exited after ${r.ms} ms`);
});

test("sampling creates no JavaScript garbage beyond Node's own calls", () => {
  // A young generation large enough that no GC runs while counting allocated bytes. The timer
  // path is measured against the Node calls it makes (process.memoryUsage(), performance.now()),
  // in alternating rounds; the first rounds are the optimising compiler's, so the steady state
  // is the smallest figure of the later rounds.
  const r = runNode(
    `const { Sampler } = require('.');
     const { performance } = require('node:perf_hooks');
     const s = new Sampler({ capacity: 100 });
     const tick = () => s._sample(false);
     // The same Node calls, their results used the same way, without leakhound.
     const row = new Float64Array(8);
     const origin = performance.timeOrigin;
     const node = () => {
       const m = process.memoryUsage();
       row[0] = origin + performance.now();
       row[1] = m.rss; row[2] = m.heapTotal; row[3] = m.heapUsed; row[4] = m.external; row[5] = m.arrayBuffers;
     };
     const N = 20000;
     const used = () => process.memoryUsage().heapUsed;
     const perCall = (f) => { const a = used(); for (let i = 0; i < N; i++) f(); return (used() - a) / N; };
     const bare = [], sampled = [];
     for (let round = 0; round < 8; round++) { bare.push(perCall(node)); sampled.push(perCall(tick)); }
     console.log(JSON.stringify({ bare: Math.min(...bare.slice(3)), sampled: Math.min(...sampled.slice(3)) }));`,
    { flags: ['--min-semi-space-size=64', '--max-semi-space-size=64'] },
  );
  assert.equal(r.status, 0, r.stderr);
  const { bare, sampled } = JSON.parse(r.stdout);
  // Node 24 and later allocate nothing at all here; Node 20 and 22 box performance.now().
  assert.ok(sampled <= bare + 1, `a sample allocates ${sampled} bytes, Node's calls alone ${bare}`);
});

// The simulated-time server runs real request work (real allocation, real GCs) with a simulated
// clock, so minutes of a server's life take seconds.
function simulate(mode, seconds, extra = []) {
  const r = spawnSync(process.execPath, ['bench/simulated-server.js', mode, String(seconds), '100', ...extra], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a server leaking 50 KB per request is called leaking within 60 s (with confirming GCs)', () => {
  const r = simulate('leak', 90, ['--confirm-gc']);
  assert.ok(r.leakAt !== null && r.leakAt <= 60, `leaking at ${r.leakAt} s`);
  assert.equal(r.trend.verdict, 'leaking');
  const perSecond = 100 * 6400 * 8;
  assert.ok(Math.abs(r.trend.slopeBytesPerSec - perSecond) < 0.25 * perSecond, `slope ${r.trend.slopeBytesPerSec}`);
});

test('a server with a full, churning cache stays stable for 10 simulated minutes', () => {
  const r = simulate('cache', 600, ['--confirm-gc']);
  assert.equal(r.leakAt, null);
  assert.equal(r.verdictTicks.leaking, 0);
  assert.equal(r.trend.verdict, 'stable');
  assert.ok(r.gcSamples >= 10, `${r.gcSamples} post-GC samples`);
});

test("replaying a recorded series gives the same verdict and node-memwatch's rule for comparison", () => {
  // A recorded leak, replayed through a fresh sampler at once.
  const s = new Sampler({ warmupMs: 0 });
  let leakAt = null;
  let memwatchAt = null;
  for (let i = 0; i < 300; i++) {
    const t = i * 1000;
    const sawtooth = (i % 10) * 3e6;
    const live = 50e6 + (i >= 100 ? (i - 100) * 2e5 : 0) + ((i * 7919) % 13) * 1e5;
    const r = s.push({ timestamp: t, heapUsed: live + sawtooth, rss: 3e8, afterGc: i % 10 === 0 });
    if (r.leak) leakAt ??= t;
    if (r.memwatchLeak) memwatchAt ??= t;
  }
  assert.ok(leakAt > 100_000, 'no leak called before the leak began');
  assert.equal(s.trend().verdict, 'leaking');
  assert.ok(memwatchAt === null || memwatchAt > 100_000);
});

test('toSVG() draws the series, one marker per post-GC sample and the trend', () => {
  const s = new Sampler({ warmupMs: 0, capacity: 1000 });
  for (let i = 0; i < 600; i++) {
    s.push({ timestamp: i * 1000, heapUsed: 40e6 + i * 1e5 + (i % 20) * 2e6, rss: 2e8 + i * 1e5, external: 3e6, afterGc: i % 20 === 0 });
  }
  const svg = s.toSVG({ title: 'leak <demo>' });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.endsWith('</svg>'));
  assert.ok(!/<script|href=/.test(svg), 'standalone: no scripts, no links');
  assert.match(svg, /<title>leak &lt;demo&gt;<\/title>/);
  for (const cls of ['rss', 'heap-used', 'external']) assert.match(svg, new RegExp(`<polyline class="series ${cls}"`));
  const markers = svg.match(/<circle class="gc"/g) ?? [];
  assert.equal(markers.length, s.samples().filter((x) => x.afterGc).length);
  const trend = svg.match(/<line class="trend" data-verdict="(\w+)" data-slope="([^"]+)" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/);
  assert.ok(trend, 'a trend line');
  assert.equal(trend[1], s.trend().verdict);
  assert.ok(Number(trend[6]) < Number(trend[4]), 'the rising trend goes up the chart');
  // Every drawn point lies inside the chart.
  const [, w, h] = svg.match(/viewBox="0 0 (\d+) (\d+)"/).map(Number);
  for (const m of svg.matchAll(/points="([^"]*)"/g)) {
    for (const p of m[1].trim().split(/\s+/)) {
      const [x, y] = p.split(',').map(Number);
      assert.ok(x >= 0 && x <= w && y >= 0 && y <= h, `${p} outside ${w}×${h}`);
    }
  }
});
