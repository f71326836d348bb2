// Writes a random but well-formed V8 heap snapshot that exercises the odd
// cases of the dominator computation: weak and shortcut edges, self edges,
// nodes retained only weakly, unreachable cycles, edges from outside the
// root-reachable "page" into it.
//   node gen_random.js SEED NODE_COUNT FILE
const fs = require('fs');
let seed = Number(process.argv[2]) >>> 0 || 1;
const rand = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
const pick = n => Math.floor(rand() * n);
const n = Number(process.argv[3]) || 200;
const file = process.argv[4];
const nodeTypes = ['hidden','array','string','object','code','closure','regexp','number','native','synthetic','concatenated string','sliced string','symbol','bigint','object shape'];
const edgeTypes = ['context','element','property','internal','hidden','shortcut','weak'];
const strings = ['', '(GC roots)', 'Foo', 'Bar', 'Baz', 'system / Context', 'x', 'y', 'next', 'map'];
const NF = 7;
const nodes = [], edges = [];
const adj = [];
for (let i = 0; i < n; i++) adj.push([]);
// root -> (GC roots) element, root -> some shortcut edges
adj[0].push([1, 1, 1]);
for (let i = 2; i < n; i++) {
  const r = rand();
  if (r < 0.75) {
    // retained by some earlier node (keeps most of the graph reachable)
    adj[pick(i)].push([i, pick(edgeTypes.length), pick(strings.length)]);
  } else if (r < 0.85) {
    adj[pick(n)].push([i, 6, pick(strings.length)]); // weak only
  } else if (r < 0.9) {
    adj[0].push([i, 5, pick(strings.length)]); // shortcut from root
  } // else: no retainer from here (maybe a cycle below)
  // extra random edges, including back edges, self edges and cycles
  const extra = pick(4);
  for (let k = 0; k < extra; k++) adj[i].push([pick(n), pick(edgeTypes.length), pick(strings.length)]);
}
for (let i = 0; i < n; i++) {
  const type = i < 2 ? 9 : [0,1,2,3,5,8,3,3][pick(8)];
  const name = i === 1 ? 1 : pick(strings.length);
  nodes.push(type, name, 2 * i + 1, i < 2 ? 0 : 1 + pick(100), adj[i].length, 0, 0);
  for (const [to, t, nm] of adj[i]) {
    const nameOrIndex = (t === 1 || t === 4) ? pick(50) : nm;
    edges.push(t, nameOrIndex, to * NF);
  }
}
const snap = {
  snapshot: {
    meta: {
      node_fields: ['type','name','id','self_size','edge_count','trace_node_id','detachedness'],
      node_types: [nodeTypes,'string','number','number','number','number','number'],
      edge_fields: ['type','name_or_index','to_node'],
      edge_types: [edgeTypes,'string_or_number','node'],
      trace_function_info_fields: ['function_id','name','script_name','script_id','line','column'],
      trace_node_fields: ['id','function_info_index','count','size','children'],
      sample_fields: ['timestamp_us','last_assigned_id'],
      location_fields: ['object_index','script_id','line','column'],
    },
    node_count: n, edge_count: edges.length / 3, trace_function_count: 0,
  },
  nodes, edges, trace_function_infos: [], trace_tree: [], samples: [], locations: [], strings,
};
fs.writeFileSync(file, JSON.stringify(snap));
