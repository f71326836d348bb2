// A CommonJS user of 'leakhound' (`import … = require()` compiles to require()): the whole public
// API in typed use. Type-checked only, never run; every function here is a usage example.
import lh = require('leakhound');
import v8 = require('node:v8');
import type {
  ClassDelta,
  ClassSummary,
  FieldStats,
  GcResult,
  GrowingCollection,
  LeakEvent,
  LeakGroup,
  LeakReport,
  MetricFamily,
  PathStep,
  RefusedSnapshot,
  Sample,
  SampleStats,
  SnapshotInfo,
  SnapshotNode,
  SourceLocation,
  Survivor,
  Trend,
} from 'leakhound';
import { assertType, type Equal, type IsAny } from './check.cjs';

// The module itself is typed, not `any`.
assertType<Equal<IsAny<typeof lh>, false>>();
assertType<Equal<IsAny<typeof lh.gc>, false>>();

export async function forcedGc(): Promise<number> {
  const sync = lh.gc();
  assertType<Equal<typeof sync, GcResult>>();
  const major = lh.gc({ type: 'major', execution: 'sync' });
  assertType<Equal<typeof major, GcResult>>();
  const async = lh.gc({ type: 'minor', execution: 'async' });
  assertType<Equal<typeof async, Promise<GcResult>>>();
  const { freed, heapUsedBefore, heapUsedAfter, durationMs } = await async;
  const chosen: 'sync' | 'async' = Math.random() < 0.5 ? 'sync' : 'async';
  const either = lh.gc({ execution: chosen });
  assertType<Equal<typeof either, GcResult | Promise<GcResult>>>();

  // @ts-expect-error: 'full' is not a GC type
  lh.gc({ type: 'full' });
  // @ts-expect-error: misspelled option
  lh.gc({ exectuion: 'async' });

  const { rounds } = await lh.settle({ maxRounds: 5 });
  assertType<Equal<typeof rounds, number>>();
  // @ts-expect-error: maxRounds is a number
  await lh.settle({ maxRounds: '5' });

  return freed + heapUsedBefore + heapUsedAfter + durationMs + rounds + sync.freed + major.freed;
}

class Connection {
  constructor(readonly user: string) {}
}

export async function tracking(): Promise<void> {
  const tracker = new lh.Tracker({
    name: 'connections',
    explain: true,
    dedupe: true,
    captureStacks: true,
    maxTracked: 10_000,
    overflow: 'drop',
  });
  const id: number = tracker.track(new Connection('ada'), 'connection', 'http');
  tracker.track(() => undefined);
  const wasAlive: boolean = tracker.untrack(id);
  const counts: number[] = [tracker.alive, tracker.collected, tracker.dropped, tracker.maxTracked];
  const named: string = tracker.name;
  const explainable: boolean = tracker.explainable;

  const survivors = tracker.survivors({ group: 'http', ids: [id] });
  assertType<Equal<typeof survivors, Survivor[]>>();
  for (const s of await tracker.check({ maxRounds: 3, explain: true })) {
    const label: string = s.label;
    const age: number = s.ageMs;
    const group: string | undefined = s.group;
    const stack: string | undefined = s.stack;
    const retainers: PathStep[] | null | undefined = s.retainers;
    const first = retainers?.[0];
    const where: SourceLocation | undefined = first?.location;
    console.log(s.id, label, age, group, stack, first?.edge, first?.edgeType, first?.className, first?.repeat, where?.line);
  }
  tracker.clear();

  // The default tracker and its shortcut.
  const defaultId: number = lh.track({ payload: 1 }, 'payload');
  const sameTracker: lh.Tracker = lh.tracker;

  await lh.expectCollected();
  await lh.expectCollected(tracker, { maxRounds: 4, explain: true });
  await lh.expectCollected(defaultId);
  await lh.expectCollected([id, defaultId], { tracker: sameTracker });

  try {
    await lh.expectCollected(id, { tracker });
  } catch (err) {
    if (err instanceof lh.LeakError) {
      const name: 'LeakError' = err.name;
      const left: Survivor[] = err.survivors;
      console.log(name, left.length, err.message);
    }
  }
  // A LeakError of one's own, e.g. from a custom check.
  const own = new lh.LeakError('1 connection survived', { survivors: tracker.survivors() });
  console.log(own.survivors.length, own.report?.iterations);

  // @ts-expect-error: overflow is 'throw' or 'drop'
  new lh.Tracker({ overflow: 'ignore' });
  // @ts-expect-error: misspelled option
  new lh.Tracker({ captureStack: true });
  // @ts-expect-error: primitives cannot be tracked
  tracker.track(42);
  // @ts-expect-error: alive is read-only
  tracker.alive = 0;
  // @ts-expect-error: an object, not its id list, is not collectable
  await lh.expectCollected({ id });

  console.log(wasAlive, counts, named, explainable);
}

function describeGroup(g: LeakGroup): string {
  const trace = g.trace.map((step) => `${step.edge} -> ${step.name}`).join(' ');
  const alsoRetains = g.alsoRetains.map((f) => `${f.count} × ${f.name}${f.functionName ? ` ${f.functionName}` : ''}`);
  const allocated = g.allocation?.map((f) => `${f.functionName} (${f.script}:${f.line}:${f.column})`) ?? [g.allocationMissing ?? ''];
  const holds = g.holds === undefined ? '' : `holds ${g.holds} via ${(g.holdsVia ?? []).join('.')}`;
  return [
    `${g.count} × ${g.name} (${g.type}) ${g.selfSize}/${g.retainedSize} #${g.representativeId}`,
    g.functionName ?? '',
    g.boundThis ?? '',
    g.location ? `${g.location.script}:${g.location.line}:${g.location.column} (${g.location.scriptId})` : '',
    trace,
    ...alsoRetains,
    ...allocated,
    holds,
  ].join('\n');
}

function describeReport(report: LeakReport): string {
  const collections = report.collections.map((c: GrowingCollection) => `${c.name} #${c.id} +${c.added} ${c.retainedSize} ${c.type} ${c.trace.length}`);
  const below = report.belowCount.map((b) => `${b.name}: ${b.count}`);
  const diff = (report.classDiff ?? []).map((d) => `${d.name} ${d.countDelta} ${d.sizeDelta} +${d.addedCount} -${d.removedCount}`);
  return [
    ...report.leaks.map(describeGroup),
    ...collections,
    ...below,
    ...diff,
    `${report.leakedObjects} of ${report.survivingObjects} surviving objects, heap ${report.heapSize}`,
  ].join('\n');
}

export async function leakAssertions(handle: (n: number) => Promise<void>): Promise<string> {
  const report = await lh.assertNoLeak(async (call) => handle(call), {
    iterations: 20,
    warmup: 5,
    trackAllocations: true,
    timeoutMs: 30_000,
    signal: AbortSignal.timeout(60_000),
  });
  assertType<Equal<typeof report.iterations, number>>();
  assertType<Equal<typeof report.leaks, LeakGroup[]>>();
  await lh.assertNoLeak(() => undefined);
  await lh.assertNoLeak((call) => [call]);

  try {
    await lh.assertNoLeak(() => handle(0), { iterations: 10 });
  } catch (err) {
    if (err instanceof lh.LeakError && err.report) {
      const iterations: number = err.report.iterations;
      return `${iterations}\n${describeReport(err.report)}\n${lh.renderHtmlReport(err.report, { title: 'leaks' })}`;
    }
    throw err;
  }

  // @ts-expect-error: iterations is a number
  await lh.assertNoLeak(() => handle(0), { iterations: '20' });
  // @ts-expect-error: misspelled option
  await lh.assertNoLeak(() => handle(0), { iteration: 20 });
  // @ts-expect-error: signal is an AbortSignal
  await lh.assertNoLeak(() => handle(0), { signal: new AbortController() });
  // @ts-expect-error: fn comes first
  await lh.assertNoLeak({ iterations: 5 });
  return describeReport(report);
}

export async function snapshots(dir: string): Promise<void> {
  const snap = await lh.loadSnapshot(`${dir}/app.heapsnapshot`, {
    onProgress: ({ bytes, phase }) => {
      const p: 'parsing' | 'graph' | 'analysis' | 'done' = phase;
      console.log(bytes, p);
    },
    progressIntervalMs: 500,
  });
  assertType<Equal<typeof snap, lh.HeapSnapshot>>();
  const figures: number[] = [snap.nodeCount, snap.edgeCount, snap.totalSize, snap.nativeBytes];
  const classes: ClassSummary[] = snap.summary({ top: 20 });
  const closure = classes.find((c) => c.functionName !== undefined);
  console.log(figures, closure?.location?.script, classes[0]?.retainedSize);
  const node: SnapshotNode | null = snap.node(12345);
  if (node !== null) {
    const dominator: number | undefined = node.dominatorId;
    console.log(node.className, node.retainedSize, dominator);
    const path = snap.retainerPath(node.id);
    assertType<Equal<typeof path, PathStep[] | null>>();
  }
  for (const { marker, id } of snap.markedObjects('leakhound:')) console.log(marker, id);
  snap.dispose();
  snap[Symbol.dispose]();
  const disposed: boolean = snap.disposed;

  const streamed = await lh.loadSnapshot(v8.getHeapSnapshot());
  const live = await lh.captureSnapshot({ progressIntervalMs: 100 });
  console.log(streamed.nodeCount, live.nodeCount, disposed);

  const deltas = await lh.diffSnapshots(`${dir}/a.heapsnapshot`, `${dir}/b.heapsnapshot`);
  assertType<Equal<typeof deltas, ClassDelta[]>>();
  const paths = { baseline: `${dir}/1.heapsnapshot`, target: `${dir}/2.heapsnapshot`, final: `${dir}/3.heapsnapshot` };
  const report = await lh.findLeaks(paths, { classDiff: true, onProgress: (p) => console.log(p.bytes) });
  const html: string = await lh.htmlReport(paths, { title: 'nightly', baseDir: dir, progressIntervalMs: 1000 });
  const again: string = lh.renderHtmlReport(report, { files: paths, baseDir: dir, samples: [] });
  console.log(html.length, again.length);

  try {
    await lh.loadSnapshot('truncated.heapsnapshot');
  } catch (err) {
    if (err instanceof lh.SnapshotError) {
      const kind: lh.SnapshotErrorKind = err.kind;
      const code: `ERR_LEAKHOUND_SNAPSHOT_${string}` = err.code;
      const where: [string | undefined, number | undefined] = [err.file, err.offset];
      if (err.kind === 'incompatible' && err.reason === 'wrong-order') console.log('swap them');
      // @ts-expect-error: no such kind
      const wrong: typeof err.kind = 'parse';
      console.log(kind, code, where, wrong, err.name);
    }
  }

  // @ts-expect-error: HeapSnapshot is made by loadSnapshot() and captureSnapshot()
  new lh.HeapSnapshot();
  // @ts-expect-error: findLeaks needs all three snapshots
  await lh.findLeaks({ baseline: 'a', target: 'b' });
  // @ts-expect-error: a snapshot is loaded from a path or a stream, not a number
  await lh.loadSnapshot(7);
  // @ts-expect-error: no such phase
  await lh.loadSnapshot('x', { onProgress: (p) => p.phase === 'parsed' });
}

export function sampling(): string {
  const sampler = new lh.Sampler({
    intervalMs: 500,
    capacity: 7200,
    heapSpaces: true,
    detachedContexts: true,
    observeGc: true,
    confirmGc: { intervalMs: 4000, growthRatio: 0.25, minGrowthBytes: 8 * 2 ** 20 },
    windowMs: 600_000,
    warmupMs: 10_000,
    minPoints: 5,
    maxPoints: 240,
    minGrowthBytes: 2 ** 20,
    minGrowthRatio: 0.02,
    leakConfidence: 0.98,
    growingConfidence: 0.9,
    clock: () => Date.now(),
  }).start();
  const onSample = (s: Sample) => console.log(s.heapUsed, s.afterGc, s.heapSpaces?.['old_space'], s.detachedContexts);
  sampler.on('sample', onSample).on('leak', (e: LeakEvent) => console.log(e.trend.verdict, e.heapUsed, e.timestamp));
  sampler.off('sample', onSample);
  sampler.once('leak', ({ trend }) => console.log(trend.levelBytes));
  const configured: number = sampler.intervalMs * sampler.capacity;
  const { leak, memwatchLeak } = sampler.sample();
  sampler.push({ timestamp: Date.now(), heapUsed: 1e6, afterGc: true });
  const samples: Sample[] = sampler.samples();
  const stats: SampleStats = sampler.stats();
  const heap: FieldStats | undefined = stats.heapUsed;
  const trend: Trend = sampler.trend();
  const verdict: 'stable' | 'growing' | 'leaking' = trend.verdict;
  const { samplesTotal, gcSamplesTotal, leakEpisodes, memwatchLeaks, confirmingGcs } = sampler.counts();
  const families: MetricFamily[] = sampler.metrics();
  const text: string = sampler.toPrometheus(families.filter((f) => f.kind === 'counter'));
  const svg: string = sampler.toSVG({ width: 800, height: 240, title: 'heap' });
  const fields: string[] = sampler.fields;
  const running: boolean = sampler.running;
  sampler.stop();
  sampler.clear();

  // @ts-expect-error: no such event
  sampler.on('sampled', () => undefined);
  // @ts-expect-error: confirmGc is a boolean or its settings
  new lh.Sampler({ confirmGc: 'yes' });
  // @ts-expect-error: misspelled option
  new lh.Sampler({ interval: 1000 });
  // @ts-expect-error: a pushed sample needs its timestamp
  sampler.push({ heapUsed: 1 });

  // @ts-expect-error: intervalMs is read-only (it is set when the sampler is created)
  sampler.intervalMs = 10;

  return [configured, leak, memwatchLeak, samples.length, heap?.p95, trend.slopeBytesPerSec, trend.confidence, verdict]
    .concat([samplesTotal, gcSamplesTotal, leakEpisodes, memwatchLeaks, confirmingGcs, fields.length, running])
    .join() + text + svg;
}

export function monitoring(dir: string, meter: unknown): () => void {
  const m = lh.monitor({
    dir,
    intervalMs: 1000,
    heapUsedBytes: 1.5 * 2 ** 30,
    rssBytes: 3 * 2 ** 30,
    onLeak: true,
    signal: 'SIGUSR2',
    nearHeapLimit: 1,
    minIntervalMs: 600_000,
    maxCount: 3,
    maxDiskBytes: 8 * 2 ** 30,
    headroomFactor: 1.5,
  });
  assertType<Equal<typeof m, lh.Monitor>>();
  m.on('snapshot', (info: SnapshotInfo) => console.log(info.path, info.trigger, info.bytes, info.durationMs))
    .on('refused', (r: RefusedSnapshot) => console.log(r.reason, r.message, r.error?.message))
    .on('leak', ({ trend }) => console.log(trend.growthBytes));
  const written: string | null = m.snapshot('manual');
  const known: number = m.snapshots.length + m.refused.length + m.sampler.samples().length;
  const text: string = m.toPrometheus();
  const families: MetricFamily[] = m.metrics();
  const running: boolean = m.running;
  console.log(written, known, text, families, running);

  const prom = lh.registerPromClient(m, { client: require('prom-client') });
  const otel = lh.registerOpenTelemetry(new lh.Sampler(), { meter });
  const names: string[] = [...prom.names, ...otel.names];
  console.log(names);

  const file: string = lh.writeHeapSnapshot({ dir, filename: 'now.heapsnapshot', headroomFactor: 2 });
  try {
    lh.writeHeapSnapshot();
  } catch (err) {
    if (err instanceof lh.SnapshotWriteError) console.log(err.name, err.code, file);
  }

  // @ts-expect-error: SIGKILL cannot be caught
  lh.monitor({ dir, signal: 'SIGKILL' });
  // @ts-expect-error: misspelled option
  lh.monitor({ dir, heapUsed: 1e9 });
  // @ts-expect-error: the OpenTelemetry adapter needs a meter
  lh.registerOpenTelemetry(m);
  // @ts-expect-error: a snapshot file name, not options
  lh.writeHeapSnapshot('now.heapsnapshot');

  const onRefused = (r: RefusedSnapshot) => console.log(r.trigger, r.timestamp);
  m.once('snapshot', ({ path }) => console.log(path)).on('refused', onRefused);
  m.off('refused', onRefused);
  // Monitor is also a class: new Monitor(opts) is monitor(opts).
  const second = new lh.Monitor({ sampler: m.sampler });
  second.stop();

  return () => {
    prom.unregister();
    otel.unregister();
    m.stop();
  };
}

export function allocations(): string {
  const sampler = new lh.AllocationSampler({ intervalBytes: 128 * 1024, windowMs: 10_000, maxStackDepth: 4, maxProfileNodes: 20_000 });
  sampler.start().on('allocation-leak', (site: lh.GrowingSite) => console.log(site.functionName, site.line, site.slopeBytesPerSec));
  sampler.on('restart', ({ reason, nodes }) => console.log(reason, nodes));
  const profile: { nodes: number; sites: number; liveBytes: number } = sampler.profile();
  const sites: lh.GrowingSite[] = sampler.growingSites();
  const pprof: Buffer | null = sampler.toPprof({ growth: true });
  const svg: string | null = sampler.toFlameGraph({ growth: true, width: 1600 });
  const { restarts, droppedSites } = sampler.counts();
  const m = lh.monitor({ allocations: { windowMs: 30_000 } });
  m.on('allocation-leak', (site) => console.log(site.stack.join(' < ')));
  const withSites: string = lh.renderHtmlReport({ leaks: [] } as never, { allocations: sampler });
  // @ts-expect-error: allocations is an AllocationSampler, not options
  lh.renderHtmlReport({ leaks: [] } as never, { allocations: { windowMs: 1 } });
  // @ts-expect-error: misspelled option
  new lh.AllocationSampler({ interval: 1024 });
  m.stop();
  sampler.stop();
  return [profile.nodes, sites.length, pprof?.length, svg, restarts, droppedSites, withSites, m.allocations?.running, sampler.toPrometheus()].join();
}
