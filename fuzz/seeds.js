// Writes a small seed corpus for the `parse_snapshot` fuzz target:
//   node fuzz/seeds.js [outDir]        (default: fuzz/corpus/parse_snapshot)
// Real snapshots are megabytes, far past a useful fuzz input, so each seed is
// a real snapshot of this process cut down to the first few hundred nodes
// reachable from the root: real meta, real node/edge types, strings with
// escapes and non-ASCII, locations. Seeds are made at run time and never
// committed (fuzz/corpus is git-ignored).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');

const outDir = process.argv[2] || path.join(__dirname, 'corpus', 'parse_snapshot');
fs.mkdirSync(outDir, { recursive: true });

// Something for the snapshot to show: closures, a Map, odd strings.
globalThis.__seedState = {
  map: new Map([['k\u00e9y', { v: 1 }]]),
  fn: ((x) => () => x)('captured "quoted"\n\u{1F600}'),
  arr: [1.5, 'two', { three: 3 }],
};

function takeSnapshot() {
  const file = path.join(os.tmpdir(), `leakhound-seed-${process.pid}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  return snap;
}

// Keeps the first `limit` nodes in BFS order from the root and the edges
// between them, renumbering node offsets and strings.
function shrink(snap, limit) {
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const edgeTypes = meta.edge_types[0];
  const iName = meta.node_fields.indexOf('name');
  const iEdges = meta.node_fields.indexOf('edge_count');
  const iTrace = meta.node_fields.indexOf('trace_node_id');
  const iEType = meta.edge_fields.indexOf('type');
  const iEName = meta.edge_fields.indexOf('name_or_index');
  const iETo = meta.edge_fields.indexOf('to_node');
  const nodeCount = snap.nodes.length / nf;

  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0; n < nodeCount; n++) firstEdge[n + 1] = firstEdge[n] + snap.nodes[n * nf + iEdges];

  const newIndex = new Map([[0, 0]]);
  const order = [0];
  for (let q = 0; q < order.length && order.length < limit; q++) {
    const n = order[q];
    for (let e = firstEdge[n]; e < firstEdge[n + 1] && order.length < limit; e++) {
      const to = snap.edges[e * ef + iETo] / nf;
      if (!newIndex.has(to)) {
        newIndex.set(to, order.length);
        order.push(to);
      }
    }
  }

  const strings = [];
  const stringIndex = new Map();
  const str = (i) => {
    if (!stringIndex.has(i)) {
      stringIndex.set(i, strings.length);
      strings.push(snap.strings[i]);
    }
    return stringIndex.get(i);
  };
  str(0);

  const nodes = [];
  const edges = [];
  for (const n of order) {
    const rec = snap.nodes.slice(n * nf, n * nf + nf);
    rec[iName] = str(rec[iName]);
    if (iTrace >= 0) rec[iTrace] = 0;
    let kept = 0;
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e++) {
      const to = snap.edges[e * ef + iETo] / nf;
      if (!newIndex.has(to)) continue;
      const type = edgeTypes[snap.edges[e * ef + iEType]];
      const edge = snap.edges.slice(e * ef, e * ef + ef);
      if (type !== 'element' && type !== 'hidden') edge[iEName] = str(edge[iEName]);
      edge[iETo] = newIndex.get(to) * nf;
      edges.push(...edge);
      kept++;
    }
    rec[iEdges] = kept;
    nodes.push(...rec);
  }

  const lf = (meta.location_fields || []).length;
  const locations = [];
  for (let i = 0; lf && i < snap.locations.length; i += lf) {
    const at = newIndex.get(snap.locations[i] / nf);
    if (at !== undefined) locations.push(at * nf, ...snap.locations.slice(i + 1, i + lf));
  }

  return {
    snapshot: { ...snap.snapshot, node_count: order.length, edge_count: edges.length / ef, trace_function_count: 0 },
    nodes,
    edges,
    trace_function_infos: [],
    trace_tree: [],
    samples: [],
    locations,
    strings,
  };
}

const snap = takeSnapshot();
const written = [];
for (const limit of [8, 40, 150, 400]) {
  let text = JSON.stringify(shrink(snap, limit));
  // Keep seeds under the fuzzer's -max_len.
  if (text.length > 60000) continue;
  const file = path.join(outDir, `real-${limit}.heapsnapshot.json`);
  fs.writeFileSync(file, text);
  written.push(file);
  // V8's own layout: one record per line, which exercises whitespace.
  text = text.replace(/\],"/g, '],\n"').replace(/,(\d+,\d+,\d+),/g, ',\n$1,');
  const pretty = path.join(outDir, `real-${limit}-lines.heapsnapshot.json`);
  fs.writeFileSync(pretty, text);
  written.push(pretty);
}

// A hand-made one with a trace tree, which real snapshots only carry under
// --track-heap-objects (and then far too big).
const tiny = shrink(snap, 4);
tiny.snapshot.trace_function_count = 1;
tiny.trace_function_infos = [1, 0, 0, 0, 1, 1];
tiny.trace_tree = [1, 0, 1, 16, [2, 0, 1, 8, [], 3, 0, 2, 32, []]];
const tinyFile = path.join(outDir, 'trace-tree.heapsnapshot.json');
fs.writeFileSync(tinyFile, JSON.stringify(tiny));
written.push(tinyFile);

for (const f of written) console.log(`${fs.statSync(f).size}\t${path.relative(process.cwd(), f)}`);
