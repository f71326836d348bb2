// An ES module user of 'leakhound': the forms index.mjs provides (named exports, the default
// export, which is the CommonJS module object, and a namespace import). Type-checked only.
import lh, { assertNoLeak, captureSnapshot, expectCollected, gc, LeakError, monitor, Sampler, settle, track, Tracker } from 'leakhound';
import * as ns from 'leakhound';
import type { GcResult, LeakReport, Survivor, TrackerOptions, Trend } from 'leakhound';
import { assertType, type Equal, type IsAny } from './check.cjs';

// One module object behind all three forms.
assertType<Equal<IsAny<typeof lh>, false>>();
assertType<Equal<typeof lh, typeof ns.default>>();
assertType<Equal<typeof lh.gc, typeof gc>>();
assertType<Equal<typeof ns.Tracker, typeof Tracker>>();
assertType<Equal<typeof lh.tracker, Tracker>>();

const options: TrackerOptions = { name: 'esm', dedupe: true };
const tracker = new Tracker(options);
const ids = [track({ a: 1 }), tracker.track(new Map(), 'cache', 'caches')];
await expectCollected(ids.slice(0, 1));
await lh.expectCollected(tracker, { maxRounds: 2 });

const collected: GcResult = await gc({ execution: 'async' });
const viaNamespace: GcResult = ns.gc();
const { rounds } = await settle();
console.log(collected.freed, viaNamespace.freed, rounds);

try {
  const report: LeakReport & { iterations: number } = await assertNoLeak((call) => new Array(call), { warmup: 2 });
  console.log(report.leaks.length, report.iterations);
} catch (err) {
  if (err instanceof LeakError) {
    const survivors: Survivor[] = err.survivors;
    console.log(survivors.length, err.report?.heapSize);
  }
}

// HeapSnapshot is disposable: `using` frees its native memory at the end of the block.
{
  using snap = await captureSnapshot();
  const top = snap.summary({ top: 1 })[0];
  console.log(top?.name, top?.count);
}

const sampler = new Sampler({ intervalMs: 1000 }).start();
const trend: Trend = sampler.trend();
sampler.stop();
const m = monitor({ sampler });
m.stop();
console.log(trend.verdict);

// @ts-expect-error: index.mjs has no such export
import { waitForFinalizers } from 'leakhound';
// @ts-expect-error: a misspelled option is rejected through the default export too
lh.gc({ typ: 'minor' });
// @ts-expect-error: and through the namespace
ns.settle({ rounds: 2 });

