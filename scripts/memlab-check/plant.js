// Plants objects in Maps, closures, WeakMaps, WeakRefs, FinalizationRegistry
// and cycles, then writes a snapshot (argv[2]).
const v8 = require('v8');
class Holder { constructor(i) { this.i = i; this.payload = new Array(8).fill(i); } }
class WeakKey { constructor(i) { this.i = i; } }
const map = new Map();
const wm = new WeakMap();
const ws = new WeakSet();
const refs = [];
const keys = [];
const registry = new FinalizationRegistry(() => {});
for (let i = 0; i < 3000; i++) {
  const h = new Holder(i);
  map.set('k' + i, h);
  const k = new WeakKey(i);
  if (i % 2 === 0) keys.push(k);          // half the keys stay strongly held
  wm.set(k, { value: new Holder(-i) });   // values reachable only via the ephemeron
  ws.add(k);
  refs.push(new WeakRef(new Holder(i + 100000)));  // only weakly held
  registry.register(h, i);
}
const closures = [];
for (let i = 0; i < 500; i++) {
  const captured = { n: i, big: 'x'.repeat(50) };
  closures.push(() => captured.n);
}
// A cycle only reachable weakly.
const a = { name: 'a' }, b = { name: 'b', a };
a.b = b;
const cycleRef = new WeakRef(a);
globalThis.keepAlive = { map, wm, ws, refs, keys, closures, registry, cycleRef };
v8.writeHeapSnapshot(process.argv[2]);
