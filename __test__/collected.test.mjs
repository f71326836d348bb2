import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Tracker, expectCollected, LeakError, track, tracker as defaultTracker } from '../index.js';
import { root, trackGarbage } from './helpers.mjs';

test('expectCollected resolves when everything tracked was collected', async () => {
  const t = new Tracker();
  trackGarbage(t, 500);
  await expectCollected(t);
  assert.equal(t.collected, 500);
});

test('expectCollected rejects with a LeakError naming each survivor, its age and its stack', async () => {
  const t = new Tracker({ name: 'sessions', captureStacks: true });
  const leaked = [];
  (function openSession() {
    const s = { id: 1 };
    leaked.push(s);
    t.track(s, 'session#1');
  })();
  trackGarbage(t, 50);
  const err = await expectCollected(t).then(
    () => assert.fail('should have rejected'),
    (e) => e,
  );
  assert.ok(err instanceof LeakError);
  assert.equal(err.name, 'LeakError');
  assert.match(err.message, /^1 tracked object was not collected \(tracker "sessions"\):/);
  assert.match(err.message, /#\d+ session#1, alive for \d+ ms/);
  assert.match(err.message, /at openSession \(.*collected\.test\.mjs:\d+:\d+\)/);
  assert.equal(err.survivors.length, 1);
  assert.equal(err.survivors[0].label, 'session#1');
  assert.equal(t.collected, 50, 'the garbage was collected');
});

test('expectCollected checks only the given ids, on the default tracker unless told otherwise', async () => {
  const kept = {};
  const keptId = track(kept, 'kept-on-default');
  const dropped = (() => track({}, 'dropped-on-default'))();
  await expectCollected([dropped]);
  await expectCollected(dropped);
  await assert.rejects(expectCollected([dropped, keptId]), (e) => e instanceof LeakError && /kept-on-default/.test(e.message));
  defaultTracker.untrack(keptId);

  const t = new Tracker({ name: 'own' });
  const mine = [{}];
  const id = t.track(mine[0], 'mine');
  await assert.rejects(expectCollected([id], { tracker: t }), /tracker "own"/);
  mine.length = 0;
  await expectCollected([id], { tracker: t });
});

test('expectCollected validates its arguments', async () => {
  await assert.rejects(expectCollected('all'), { name: 'TypeError', message: /expected a Tracker, an id or an array of ids/ });
  await assert.rejects(expectCollected([1, 'x']), TypeError);
  await assert.rejects(expectCollected(undefined, { tracker: {} }), { name: 'TypeError', message: /tracker must be a Tracker/ });
  await assert.rejects(expectCollected(undefined, { maxRounds: -1 }), { message: /maxRounds/ });
  await assert.rejects(expectCollected(undefined, 5), { message: /options must be an object/ });
});

test('a LeakError lists at most 20 survivors and says how many more there are', async () => {
  const t = new Tracker();
  const keep = Array.from({ length: 25 }, (_, i) => ({ i }));
  keep.forEach((o, i) => t.track(o, `item${i}`));
  const err = await expectCollected(t, { maxRounds: 2 }).catch((e) => e);
  assert.match(err.message, /^25 tracked objects were not collected/);
  assert.match(err.message, /… and 5 more/);
  assert.equal(err.survivors.length, 25);
});

test('verdict for 10,000 tracked objects takes one settle round', async () => {
  const t = new Tracker();
  trackGarbage(t, 10_000);
  const { settle } = await import('../index.js');
  const { rounds } = await settle();
  assert.equal(rounds, 1);
  assert.equal(t.alive, 0);
  assert.equal(t.collected, 10_000);
});

test('node:test helper useTracker passes clean tests and fails leaky ones with the survivor', () => {
  const fixture = path.join(root, '__test__', 'fixtures', 'node-test-helper.test.js');
  // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', fixture], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, 'the leaky test fails the run');
  assert.match(r.stdout, /^ok \d+ - clean: request objects are dropped/m);
  assert.match(r.stdout, /^not ok \d+ - leaky: sessions end up in a module-level cache/m);
  assert.match(r.stdout, /1 tracked object was not collected \(tracker "leaky: sessions end up in a module-level cache"\)/);
  assert.match(r.stdout, /cached-session/);
  assert.match(r.stdout, /# pass 1/);
  assert.match(r.stdout, /# fail 1/);
});

test('explained survivors: check({ explain: true }) and LeakError carry the retainer path from a GC root', async () => {
  const t = new Tracker({ name: 'explained', explain: true });
  class Connection {}
  const pool = { idle: [] };
  globalThis.leakhoundTestPool = pool;
  (function openConnection() {
    const c = new Connection();
    pool.idle.push(c);
    t.track(c, 'connection');
  })();
  trackGarbage(t, 20);
  const [s] = await t.check({ explain: true });
  assert.equal(s.label, 'connection');
  const edges = s.retainers.map((step) => step.edge);
  assert.deepEqual(edges.slice(-3, -1), ['leakhoundTestPool', 'idle'], edges.join(' > '));
  assert.equal(s.retainers.at(-1).className, 'Connection');
  assert.ok(s.retainers.at(-1).location.script.endsWith('collected.test.mjs'));

  const err = await expectCollected(t).catch((e) => e);
  assert.ok(err instanceof LeakError);
  assert.match(err.message, /retained by \(from a GC root\):/);
  assert.match(err.message, /--leakhoundTestPool \(property\)--> Object @\d+/);
  assert.match(err.message, /--idle \(property\)--> Array @\d+/);
  assert.match(err.message, /\(element\)--> Connection @\d+ .*collected\.test\.mjs:\d+:\d+/);
  // The global is not the only reference: this function's own `pool` would keep it alive too.
  delete globalThis.leakhoundTestPool;
  pool.idle.length = 0;
  await expectCollected(t);
});

test('explain needs a tracker created with explain: true', async () => {
  const t = new Tracker();
  const keep = {};
  t.track(keep);
  await assert.rejects(t.check({ explain: true }), /create the Tracker with \{ explain: true \}/);
  await assert.rejects(expectCollected(t, { explain: true }), { name: 'TypeError', message: /explain needs a Tracker created with/ });
  assert.throws(() => new Tracker({ explain: 'yes' }), /explain must be a boolean/);
  assert.equal(new Tracker({ explain: true }).explainable, true);
  const err = await expectCollected(t, { maxRounds: 2 }).catch((e) => e);
  assert.doesNotMatch(err.message, /retained by/);
});

test('expectCollected refuses ids it cannot vouch for: of another tracker, untracked, cleared, made up', async () => {
  const mine = new Tracker({ name: 'mine' });
  const theirs = new Tracker({ name: 'theirs' });
  const own = mine.track({});
  const foreign = theirs.track({});
  const untracked = mine.track({});
  mine.untrack(untracked);
  await expectCollected([own], { tracker: mine }); // collected: passes
  for (const ids of [[foreign], [own, 2 ** 31 - 5], [untracked]]) {
    await assert.rejects(expectCollected(ids, { tracker: mine }), (e) => {
      assert.equal(e.code, 'ERR_LEAKHOUND_UNKNOWN_ID');
      assert.deepEqual(e.ids, ids.filter((i) => i !== own));
      assert.match(e.message, /tracker "mine" did not track/);
      return true;
    });
  }
  await expectCollected([foreign], { tracker: theirs });
  mine.clear();
  await assert.rejects(expectCollected([own], { tracker: mine }), { code: 'ERR_LEAKHOUND_UNKNOWN_ID' });
});

test('a survivor held only by a suspended async function is said to be, with where and the fix', async () => {
  const t = new Tracker({ name: 'frames', explain: true });
  const never = new Promise(() => {});
  async function handle(i) {
    const request = { i };
    t.track(request, 'request');
    await never; // parks `request` in this frame for good
    return request.i;
  }
  handle(1);
  const err = await expectCollected(t).then(() => assert.fail('collected?'), (e) => e);
  assert.ok(err instanceof LeakError);
  assert.match(err.message, /held by a suspended async function at .*collected\.test\.mjs:\d+:\d+: its frame keeps its locals alive while it awaits a promise that has not settled/);
});
