// Dumps `id retained_size idom_id` for every node of a snapshot as memlab
// 2.0.5 computes them, sorted by id; compared against the Rust core's
// `examples/dump_retained` output.
//   node dump.js FILE > memlab.txt
const { getFullHeapFromFile } = require('@memlab/heap-analysis');

(async () => {
  const file = process.argv[2];
  const heap = await getFullHeapFromFile(file);
  const rows = [];
  heap.nodes.forEach(node => {
    const dom = node.dominatorNode;
    rows.push([node.id, node.retainedSize, dom ? dom.id : -1]);
  });
  rows.sort((a, b) => a[0] - b[0]);
  const out = rows.map(r => r.join(' ')).join('\n') + '\n';
  process.stdout.write(out);
})().catch(e => { console.error(e); process.exit(1); });
