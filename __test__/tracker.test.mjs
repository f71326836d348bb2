import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tracker, track, tracker as defaultTracker, settle, gc } from '../index.js';
import { trackGarbage } from './helpers.mjs';

test('tracked garbage is collected and counted; live objects survive with their labels', async () => {
  const t = new Tracker({ name: 'basic' });
  const kept = { name: 'kept' };
  const start = performance.now();
  const keptId = t.track(kept, 'session');
  const ids = trackGarbage(t, 1000);
  assert.equal(new Set([keptId, ...ids]).size, 1001, 'ids are unique');
  assert.equal(t.alive, 1001);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const survivors = await t.check();
  const elapsed = performance.now() - start;
  assert.equal(t.collected, 1000);
  assert.equal(t.alive, 1);
  assert.deepEqual(survivors.map((s) => [s.id, s.label]), [[keptId, 'session']]);
  // Registrations reach the table at the end of the job that made them: the age counts from
  // then, so it covers the 30 ms wait and no more than the time since track().
  assert.ok(survivors[0].ageMs >= 25 && survivors[0].ageMs <= elapsed, `ageMs ${survivors[0].ageMs}, ${elapsed} ms since track()`);
  assert.equal(survivors[0].stack, undefined, 'no stack unless captureStacks');
  assert.equal(kept.name, 'kept');
});

test('captureStacks records where the object was tracked, without leakhound frames', async () => {
  const t = new Tracker({ captureStacks: true });
  const obj = {};
  (function createSessionHere() {
    t.track(obj, 'with-stack');
  })();
  const [s] = t.survivors();
  assert.match(s.stack, /createSessionHere/);
  assert.match(s.stack, /tracker\.test\.mjs:\d+:\d+/);
  assert.doesNotMatch(s.stack, /lib[\\/]tracker\.js/);
});

test('unlabelled objects get their class or function name without running user code', () => {
  const t = new Tracker();
  class Session {}
  const trap = new Proxy({}, {
    get() {
      throw new Error('trap ran');
    },
    getPrototypeOf() {
      throw new Error('trap ran');
    },
  });
  let getterRan = false;
  class Sneaky {}
  Object.defineProperty(Sneaky.prototype, 'constructor', { get: () => ((getterRan = true), Sneaky) });
  const objs = [new Session(), function handler() {}, Object.create(null), trap, new Sneaky(), () => {}];
  objs.forEach((o) => t.track(o));
  assert.deepEqual(
    t.survivors().map((s) => s.label),
    ['Session', 'handler', 'Object(null prototype)', 'Proxy', 'Object', 'objs'.length ? '(anonymous function)' : ''],
  );
  assert.equal(getterRan, false);
});

test('primitives get a TypeError; functions, classes, proxies and frozen objects are tracked and collected', async () => {
  const t = new Tracker();
  for (const bad of [undefined, null, 1, 1n, 'str', true, Symbol('s')]) {
    assert.throws(() => t.track(bad), { name: 'TypeError', message: /needs an object or a function/ }, String(bad));
  }
  assert.throws(() => t.track({}, 42), { name: 'TypeError', message: /label must be a string/ });
  assert.throws(() => t.track({}, 'x', {}), { name: 'TypeError', message: /group must be a string/ });
  (() => {
    t.track(function named() {}, 'fn');
    t.track(class K {}, 'class');
    t.track(new Proxy({}, {}), 'proxy');
    t.track(new Proxy(() => {}, {}), 'fn-proxy');
    t.track(Object.freeze({ a: 1 }), 'frozen');
    t.track(Object.seal([1, 2]), 'sealed');
    t.track(new WeakRef({}), 'weakref');
  })();
  assert.equal(t.alive, 7);
  assert.deepEqual(await t.check(), []);
  assert.equal(t.collected, 7);
});

test('with dedupe, tracking the same object twice returns the same id and keeps the first label', async () => {
  const t = new Tracker({ dedupe: true });
  const o = {};
  const a = t.track(o, 'first');
  const b = t.track(o, 'second');
  assert.equal(a, b);
  assert.equal(t.alive, 1);
  assert.equal(t.survivors()[0].label, 'first');
  // Another tracker tracks it independently.
  const other = new Tracker();
  assert.notEqual(other.track(o), a);
  // Without dedupe every call is its own registration.
  assert.notEqual(other.track(o), other.track(o));
  assert.equal(other.alive, 3);
});

test('untrack stops tracking; with dedupe, re-tracking reuses the registration and counts the collection', async () => {
  const t = new Tracker({ dedupe: true });
  let o = { x: 1 };
  const id = t.track(o, 'a');
  assert.equal(t.untrack(id), true);
  assert.equal(t.untrack(id), false);
  assert.equal(t.untrack(123456789), false);
  assert.equal(t.alive, 0);
  for (let i = 0; i < 100; i++) {
    assert.equal(t.track(o, 'again'), id, 'same id, no new registration');
    t.untrack(id);
  }
  assert.equal(t.track(o, 'b'), id);
  assert.equal(t.survivors()[0].label, 'b');
  o = null;
  assert.deepEqual(await t.check(), []);
  assert.equal(t.collected, 1);
  assert.throws(() => t.untrack('1'), TypeError);
  assert.throws(() => t.untrack(-1), TypeError);
});

test('maxTracked bounds the table: throw by default, drop on request; room comes back after collection', async () => {
  const t = new Tracker({ maxTracked: 100 });
  const keep = Array.from({ length: 100 }, () => ({}));
  keep.forEach((o) => t.track(o));
  assert.throws(() => t.track({}), { name: 'RangeError', message: /is full: 100 objects/ });
  keep.length = 50;
  await t.check();
  assert.equal(t.alive, 50);
  trackGarbage(t, 50);
  assert.equal(t.alive, 100);

  const d = new Tracker({ maxTracked: 3, overflow: 'drop' });
  const held = [{}, {}, {}];
  held.forEach((o) => assert.ok(d.track(o) > 0));
  assert.equal(d.track({}), 0);
  assert.equal(d.dropped, 1);
  assert.equal(d.alive, 3);
});

test('constructor options are validated', () => {
  assert.throws(() => new Tracker('x'), { name: 'TypeError', message: /options must be an object/ });
  assert.throws(() => new Tracker({ maxTracked: 0 }), { name: 'TypeError', message: /maxTracked/ });
  assert.throws(() => new Tracker({ maxTracked: '10' }), TypeError);
  assert.throws(() => new Tracker({ captureStacks: 'yes' }), { message: /captureStacks must be a boolean/ });
  assert.throws(() => new Tracker({ name: 5 }), { message: /name must be a string/ });
  assert.throws(() => new Tracker({ overflow: 'evict' }), { message: /overflow must be one of/ });
});

test('clear() forgets everything; the tracker stays usable and old finalizations are ignored', async () => {
  const t = new Tracker();
  trackGarbage(t, 100);
  const kept = {};
  t.track(kept, 'old');
  t.clear();
  assert.equal(t.alive, 0);
  assert.deepEqual(t.survivors(), []);
  await settle();
  assert.equal(t.collected, 0, 'objects tracked before clear() do not count');
  const id = t.track(kept, 'new');
  assert.deepEqual(t.survivors().map((s) => [s.id, s.label]), [[id, 'new']], 'only the new registration is alive');
  trackGarbage(t, 10);
  await t.check();
  assert.equal(t.collected, 10);
});

test('survivors can be filtered by group and ids', () => {
  const t = new Tracker();
  const objs = [{}, {}, {}];
  const ids = objs.map((o, i) => t.track(o, `o${i}`, i === 1 ? 'b' : 'a'));
  assert.deepEqual(t.survivors({ group: 'a' }).map((s) => s.label), ['o0', 'o2']);
  assert.deepEqual(t.survivors({ ids: [ids[2], 999999] }).map((s) => s.label), ['o2']);
  assert.equal(t.survivors({ group: 'b' })[0].group, 'b');
  assert.throws(() => t.survivors({ ids: 'x' }), TypeError);
  assert.throws(() => t.survivors({ group: 1 }), TypeError);
});

test('track() uses the default tracker', async () => {
  const before = defaultTracker.alive;
  (() => track({}, 'default-garbage'))();
  assert.equal(defaultTracker.alive, before + 1);
  await settle();
  assert.equal(defaultTracker.alive, before);
});

test('a dropped tracker does not keep itself or its objects alive', async () => {
  let finalizedTracker = false;
  const watcher = new FinalizationRegistry(() => {
    finalizedTracker = true;
  });
  const kept = {};
  (() => {
    const t = new Tracker();
    t.track(kept, 'long-lived');
    watcher.register(t, 't');
  })();
  await settle();
  await settle();
  assert.equal(finalizedTracker, true);
});

test('bookkeeping is released: 200k tracked-and-collected objects leave the table empty and the heap flat', async () => {
  const t = new Tracker();
  // Measured after full GCs, so garbage left by the finalizer callbacks themselves is not counted.
  const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);
  // Warm up to the peak size used below: V8's weak tables keep the capacity of their peak.
  for (let round = 0; round < 2; round++) {
    trackGarbage(t, 20_000);
    await t.check();
  }
  const base = heap();
  for (let round = 0; round < 10; round++) {
    trackGarbage(t, 20_000);
    await t.check();
  }
  assert.equal(t.alive, 0);
  assert.equal(t.collected, 240_000);
  const growth = heap() - base;
  assert.ok(growth < 1_000_000, `heap grew ${growth} bytes over 200k tracked objects`);
});

test('labels beyond the interning limit and repeated labels are all reported correctly', () => {
  const t = new Tracker();
  const keep = [];
  for (let i = 0; i < 5000; i++) {
    const o = {};
    keep.push(o);
    t.track(o, `label-${i}`, i % 2 ? 'odd' : undefined);
    t.track(o, `label-${i}`); // the same label twice in a row, past the interning limit too
  }
  const s = t.survivors();
  assert.equal(s.length, 10000);
  for (let i = 0; i < 5000; i++) {
    assert.equal(s[2 * i].label, `label-${i}`);
    assert.equal(s[2 * i + 1].label, `label-${i}`);
    assert.equal(s[2 * i].group, i % 2 ? 'odd' : undefined);
  }
});

test('dedupe: true gives one id per object', () => {
  const t = new Tracker({ dedupe: true });
  const o = {};
  assert.equal(t.track(o, 'a'), t.track(o, 'b'));
  assert.equal(t.alive, 1);
  assert.throws(() => new Tracker({ dedupe: 1 }), /dedupe must be a boolean/);
});

test('labels and groups that differ only by a lone surrogate stay apart', () => {
  const t = new Tracker();
  const keep = [{}, {}];
  t.track(keep[0], 'x\ud800', 'g\ud800');
  t.track(keep[1], 'x\udc00', 'g\udc00');
  const one = t.survivors({ group: 'g\ud800' });
  assert.equal(one.length, 1);
  assert.equal(one[0].label, 'x\\ud800');
  assert.deepEqual(t.survivors({ group: 'g\udc00' }).map((s) => s.label), ['x\\udc00']);
  // The text of an escape is not the lone surrogate it reads like.
  const text = {};
  t.track(text, 'escape text', 'g\\ud800');
  assert.deepEqual(t.survivors({ group: 'g\ud800' }).map((s) => s.label), ['x\\ud800']);
  assert.deepEqual(t.survivors({ group: 'g\\ud800' }).map((s) => s.label), ['escape text']);
  assert.equal(keep.length, 2);
  assert.ok(text);
});
