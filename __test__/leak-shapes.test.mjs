// One leaked thing per iteration, of every common shape, under assertNoLeak at 5, 20 and 100
// iterations: each is reported as one group with exactly that many objects, named the way a
// developer knows it; each clean twin passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { assertNoLeak, LeakError } from '../index.js';

class Connection {
  constructor(i) {
    this.i = i;
  }
  handleClose() {
    return this.i;
  }
}

// [name pattern of the group, () => [leaky, clean]]: fresh state for every run.
const SHAPES = {
  'small object': [/^Object \{id\}$/, () => { const keep = []; return [(i) => void keep.push({ id: i }), (i) => ({ id: i }).id]; }],
  'Map entry': [/^Object \{i\}$/, () => { const m = new Map(); return [(i) => void m.set(`k${i}`, { i }), (i) => void m.set(`k${i % 3}`, { i })]; }],
  'Set entry': [/^Object \{i\}$/, () => { const s = new Set(); return [(i) => void s.add({ i }), (i) => { const o = { i }; s.add(o); s.delete(o); }]; }],
  closure: [/^\(closure\)$/, () => { const keep = []; return [(i) => void keep.push(() => i), (i) => (() => i)()]; }],
  'bound function': [/^bound handleClose$/, () => {
    const keep = [];
    return [(i) => { const c = new Connection(i); keep.push(c.handleClose.bind(c)); }, (i) => { const c = new Connection(i); return c.handleClose.bind(c)(); }];
  }],
  string: [/^string$/, () => { const keep = []; return [(i) => void keep.push(`request ${i} of ${keep.length}`), (i) => `request ${i}`.length]; }],
  Buffer: [/^Buffer$/, () => { const keep = []; return [(i) => void keep.push(Buffer.alloc(64, i)), (i) => Buffer.alloc(64, i).length]; }],
  Promise: [/^Promise$/, () => { const keep = []; return [(i) => void keep.push(new Promise(() => {})), (i) => Promise.resolve(i)]; }],
  Timeout: [/^Timeout$/, () => {
    const timers = [];
    const leak = (i) => void setInterval(() => i, 1e7).unref();
    const clean = (i) => clearInterval(setInterval(() => i, 1e7));
    return [leak, clean, timers];
  }],
};

for (const [shape, [pattern, make]] of Object.entries(SHAPES)) {
  for (const iterations of [5, 20, 100]) {
    test(`${shape} × ${iterations}: found with the right count, its clean twin passes`, async () => {
      const [leaky, clean] = make();
      const err = await assertNoLeak(leaky, { iterations }).then(
        () => assert.fail(`${shape}: one per iteration was not reported`),
        (e) => e,
      );
      assert.ok(err instanceof LeakError, err.message);
      const groups = err.report.leaks.map((g) => `${g.count} × ${g.functionName !== undefined && g.type === 'closure' ? g.functionName || '(closure)' : g.name}`);
      assert.equal(err.report.leaks.length, 1, `one group: ${groups}`);
      const [group] = err.report.leaks;
      assert.equal(group.count, iterations, groups.join(', '));
      const name = group.type === 'closure' ? group.functionName || '(closure)' : group.name;
      assert.match(name, pattern, groups.join(', '));
      await assertNoLeak(clean, { iterations });
    });
  }
}

test('paths through a Map, a Set or a WeakMap show the entry by its key, not a table slot', async () => {
  const edgesOf = async (fn) => {
    const err = await assertNoLeak(fn, { iterations: 20 }).then(() => assert.fail('not found'), (e) => e);
    return err.report.leaks[0].trace.map((s) => [s.edge, s.edgeType, s.className]);
  };
  const byUser = new Map();
  const mapPath = await edgesOf((i) => void byUser.set(`session:${i}`, new Set([i])));
  assert.match(mapPath.at(-1)[0], /^\["session:\d+"\]$/, JSON.stringify(mapPath));
  assert.deepEqual(mapPath.at(-1).slice(1), ['entry', 'Set']);
  assert.ok(!mapPath.some(([edge]) => edge === 'table'), 'no hop through the hash table');
  const seen = new Set();
  const setPath = await edgesOf((i) => void seen.add({ visit: i }));
  assert.match(setPath.at(-1)[0], /^\[Object \{visit\} @\d+\]$|^\[Object @\d+\]$/, JSON.stringify(setPath));
  assert.equal(setPath.at(-1)[1], 'entry');
  const keys = Array.from({ length: 100 }, (_, k) => ({ k }));
  const weak = new WeakMap();
  const weakPath = await edgesOf((i) => void weak.set(keys[i], { v: i }));
  assert.match(weakPath.at(-1)[0], /^\[Object @\d+\]$/, JSON.stringify(weakPath));
  assert.equal(weakPath.at(-1)[1], 'entry');
});

test('independent leaks in one code path are reported as separate groups, none folded into another', async () => {
  // Bound listener methods, the nodes of a list that only grows, and Sets kept in a Map by
  // user key: three causes, three groups (one was reported as a single group whose shortest
  // path happened to run through a leaked bound function).
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  class Listener {
    constructor(i) {
      this.i = i;
      bus.on('close', this.handleClose.bind(this));
    }
    handleClose() {
      return this.i;
    }
  }
  const list = { head: null };
  const byUser = new Map();
  const err = await assertNoLeak(
    (i) => {
      new Listener(i);
      list.head = { id: i, value: `v${i}`, next: list.head };
      byUser.set(`user:${i}`, new Set([i]));
    },
    { iterations: 20 },
  ).then(() => assert.fail('not found'), (e) => e);
  const heads = err.report.leaks.map((g) => `${g.count} × ${g.type === 'closure' ? g.functionName : g.name}`).sort();
  assert.deepEqual(heads, ['20 × Object {id, next, value}', '20 × Set', '20 × bound handleClose'], heads.join(', '));
  const bound = err.report.leaks.find((g) => g.type === 'closure');
  assert.equal(bound.boundThis, 'Listener');
  assert.ok(bound.alsoRetains.some((a) => a.name === 'Listener' && a.count === 20));
  const set = err.report.leaks.find((g) => g.name === 'Set');
  assert.match(set.trace.at(-1).edge, /^\["user:\d+"\]$/);
  // The list's path runs along `next` in one collapsed step, not twenty.
  const node = err.report.leaks.find((g) => g.name.startsWith('Object'));
  const nexts = node.trace.filter((s) => s.edge === 'next');
  assert.ok(nexts.length <= 2 && nexts.some((s) => s.repeat >= 3), JSON.stringify(nexts));
});

test('paths name their synthetic roots and prefer a global over the stack', async () => {
  // Reachable from a global and from this function's frame: the path shown is the global's.
  const kept = [];
  globalThis.__leakhoundRootsTest = kept;
  const err = await assertNoLeak((i) => void kept.push({ viaGlobal: i }), { iterations: 5 }).then(
    () => assert.fail('not found'),
    (e) => e,
  );
  delete globalThis.__leakhoundRootsTest;
  const [group] = err.report.leaks;
  const edges = group.trace.map((s) => s.edge);
  assert.ok(edges.includes('__leakhoundRootsTest'), edges.join(' > '));
  assert.ok(!group.trace.some((s) => s.className === '(synthetic)'), 'no anonymous synthetic root');
  // Where a path does start in a synthetic root, it is named.
  const named = err.report.leaks.flatMap((g) => g.trace).filter((s) => s.type === 'synthetic');
  assert.ok(named.every((s) => s.className !== '(synthetic)' && s.className === s.name && s.name !== ''), JSON.stringify(named));
});
