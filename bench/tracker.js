// npm run bench — leakhound's in-process costs against the anchors, side by side in one run:
//   1. track() vs a raw FinalizationRegistry.register      (target: ≤ 1.5×)
//   2. expectCollected() for one object vs jest-leak-detector's isLeaking()  (target: ≤ 1/3)
//   3. one verdict over 10,000 tracked objects               (target: one settle, < 50 ms)
// Medians of alternating repetitions; figures vary with machine load, ratios much less.
const { performance } = require('node:perf_hooks');
const LeakDetector = require('jest-leak-detector').default;
const lh = require('..');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 1) => n.toFixed(d);

function makeObjects(n) {
  const objs = new Array(n);
  for (let i = 0; i < n; i++) objs[i] = { i };
  return objs;
}

async function benchTrack() {
  const N = 100_000;
  const REPS = 15;
  const raw = [];
  const labelled = [];
  const unlabelled = [];
  const explained = [];
  for (let rep = 0; rep < REPS; rep++) {
    let objs = makeObjects(N);
    const registry = new FinalizationRegistry(() => {});
    let t0 = performance.now();
    for (let i = 0; i < N; i++) registry.register(objs[i], i + 1);
    raw.push(((performance.now() - t0) * 1e6) / N);

    objs = makeObjects(N);
    const tracker = new lh.Tracker({ name: 'bench' });
    t0 = performance.now();
    for (let i = 0; i < N; i++) tracker.track(objs[i], 'request');
    tracker.alive; // includes handing the batch to Rust
    labelled.push(((performance.now() - t0) * 1e6) / N);

    objs = makeObjects(N);
    const tracker2 = new lh.Tracker({ name: 'bench' });
    t0 = performance.now();
    for (let i = 0; i < N; i++) tracker2.track(objs[i]);
    tracker2.alive;
    unlabelled.push(((performance.now() - t0) * 1e6) / N);

    objs = makeObjects(N);
    const tracker3 = new lh.Tracker({ name: 'bench', explain: true });
    t0 = performance.now();
    for (let i = 0; i < N; i++) tracker3.track(objs[i], 'request');
    tracker3.alive;
    explained.push(((performance.now() - t0) * 1e6) / N);
    objs = null;
    await lh.settle();
  }
  const r = median(raw);
  console.log(`track() per object            raw register ${fmt(r)} ns`);
  console.log(`  with a label                 ${fmt(median(labelled))} ns  → ${fmt(median(labelled) / r, 2)}× raw (target ≤ 1.5×)`);
  console.log(`  without a label (class name) ${fmt(median(unlabelled))} ns  → ${fmt(median(unlabelled) / r, 2)}× raw`);
  console.log(`  with explain: true           ${fmt(median(explained))} ns  → ${fmt(median(explained) / r, 2)}× raw (opt-in: a WeakMap marker per object)`);
}

async function benchOneObject() {
  const REPS = 40;
  const jest = [];
  const ours = [];
  const fullGc = [];
  const runJest = async (rep) => {
    const t0 = performance.now();
    const detector = (() => new LeakDetector({ payload: new Array(64).fill(rep) }))();
    if (await detector.isLeaking()) throw new Error('jest-leak-detector saw a leak');
    jest.push(performance.now() - t0);
  };
  const runOurs = async (rep) => {
    const t0 = performance.now();
    const id = (() => lh.track({ payload: new Array(64).fill(rep) }, 'one'))();
    await lh.expectCollected(id);
    ours.push(performance.now() - t0);
  };
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate the order: each tool's GC also collects the garbage the other one left.
    if (rep % 2) {
      await runJest(rep);
      await runOurs(rep);
    } else {
      await runOurs(rep);
      await runJest(rep);
    }
    fullGc.push(lh.gc().durationMs);
  }
  const j = median(jest);
  const o = median(ours);
  console.log(`verdict for one object        jest-leak-detector isLeaking() ${fmt(j, 2)} ms`);
  console.log(`  leakhound expectCollected()  ${fmt(o, 2)} ms  → ${fmt(o / j, 2)}× of its time (target ≤ 0.33×)`);
  console.log(`  one full mark-compact alone  ${fmt(median(fullGc), 2)} ms (the floor: only a major GC clears FinalizationRegistry cells)`);
}

async function benchTenThousand() {
  const REPS = 9;
  const times = [];
  let rounds = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const tracker = new lh.Tracker({ name: 'bench10k' });
    (() => {
      for (let i = 0; i < 10_000; i++) tracker.track({ i, payload: [i] }, 'item');
    })();
    const t0 = performance.now();
    await lh.expectCollected(tracker);
    times.push(performance.now() - t0);
    rounds = Math.max(rounds, (await lh.settle()).rounds);
    if (tracker.collected !== 10_000) throw new Error(`only ${tracker.collected} collected`);
  }
  console.log(`verdict for 10,000 objects    ${fmt(median(times), 1)} ms median (target < 50 ms, one settle round)`);
}

(async () => {
  console.log(`leakhound bench — node ${process.version}, ${require('node:os').cpus()[0].model}`);
  await benchTrack();
  await benchOneObject();
  await benchTenThousand();
})();
