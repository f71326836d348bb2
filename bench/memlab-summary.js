// memlab's side of `npm run bench:snapshot`: load a snapshot with memlab 2.0.5
// (`getFullHeapFromFile` parses it and computes dominators and retained
// sizes) and build the same class summary leakhound prints: nodes grouped by
// (type, name), a class's retained size counting only members that no other
// member of the class dominates.
//   MEMLAB_DIR=<dir with node_modules/memlab> node bench/memlab-summary.js FILE [TOP]
'use strict';
const path = require('node:path');

const dir = process.env.MEMLAB_DIR;
if (!dir) {
  console.error('MEMLAB_DIR is not set');
  process.exit(2);
}
const { getFullHeapFromFile } = require(
  require.resolve('@memlab/heap-analysis', { paths: [path.resolve(dir)] }),
);

// DevTools' class names: objects and natives by name, every other type is one class.
function className(type, name) {
  if (type === 'object' || type === 'native') return name;
  if (type === 'hidden') return '(system)';
  if (type === 'code') return '(compiled code)';
  return `(${type})`;
}

async function main() {
  const [file, topArg] = process.argv.slice(2);
  const top = Number(topArg || 20);
  const heap = await getFullHeapFromFile(file);

  // Flat arrays over node indices: memlab's node objects are views created on
  // access, so walking them once is the cheap way.
  const n = heap.nodes.length;
  const idom = new Int32Array(n);
  const retained = new Float64Array(n);
  const classOf = new Int32Array(n).fill(-1);
  const classIds = new Map();
  const classes = [];
  heap.nodes.forEach((node) => {
    const i = node.nodeIndex;
    const dom = node.dominatorNode;
    idom[i] = dom ? dom.nodeIndex : i;
    retained[i] = node.retainedSize;
    if (node.self_size === 0 && node.type !== 'native') return;
    const name = className(node.type, node.name);
    const key = `${node.type}\0${name}`;
    let c = classIds.get(key);
    if (c === undefined) {
      c = classes.length;
      classIds.set(key, c);
      classes.push({ type: node.type, name, count: 0, self: 0, retained: 0 });
    }
    classOf[i] = c;
    classes[c].count++;
    classes[c].self += node.self_size;
  });

  // Dominator-tree children (CSR), then one DFS with per-class open counts.
  const first = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) if (idom[i] !== i) first[idom[i] + 1]++;
  for (let i = 0; i < n; i++) first[i + 1] += first[i];
  const fill = first.slice(0, n);
  const children = new Uint32Array(first[n]);
  for (let i = 0; i < n; i++) if (idom[i] !== i) children[fill[idom[i]]++] = i;
  const active = new Uint32Array(classes.length);
  const stack = [0];
  while (stack.length) {
    const v = stack.pop();
    const node = v < 0 ? ~v : v;
    const c = classOf[node];
    if (v < 0) {
      if (c >= 0) active[c]--;
      continue;
    }
    if (c >= 0) {
      if (active[c] === 0) classes[c].retained += retained[node];
      active[c]++;
    }
    stack.push(~node);
    for (let k = first[node]; k < first[node + 1]; k++) stack.push(children[k]);
  }

  classes.sort((a, b) => b.retained - a.retained || b.self - a.self || (a.name < b.name ? -1 : 1));
  for (const c of classes.slice(0, top)) {
    console.log(`${String(c.retained).padStart(14)} ${String(c.self).padStart(14)} ${String(c.count).padStart(10)}  ${c.name} (${c.type})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
