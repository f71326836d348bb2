#!/usr/bin/env node
// Proves a case's leak without leakhound: runs N iterations of the leaky and of the fixed version,
// each in its own process, and prints the heap growth per iteration after full GCs, and the
// classes whose instance count grew the most, counted in heap snapshots before and after.
//   node bench/real-leaks/prove.js <case> [iterations=2000]
// A leak shows as a steady number of bytes and of instances per iteration on the leaky version
// and about 0 on the fixed one.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');

const CASES = path.join(__dirname, 'cases');

// Full GCs until the heap stops shrinking: weak callbacks and finalizers get their turns.
async function settledHeap() {
  let used = Infinity;
  for (let i = 0; i < 10; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
    const now = process.memoryUsage().heapUsed;
    if (now >= used - 1024) return now;
    used = now;
  }
  return used;
}

// Instances per class in a heap snapshot: objects by constructor, closures by function name,
// everything else (strings, arrays, code, ...) by type.
function classCounts() {
  const file = path.join(os.tmpdir(), `real-leaks-prove-${process.pid}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  try {
    const { snapshot, nodes, strings } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const fields = snapshot.meta.node_fields;
    const types = snapshot.meta.node_types[0];
    const [typeAt, nameAt] = [fields.indexOf('type'), fields.indexOf('name')];
    const counts = new Map();
    for (let i = 0; i < nodes.length; i += fields.length) {
      const type = types[nodes[i + typeAt]];
      const name = strings[nodes[i + nameAt]] || '(anonymous)';
      const key = type === 'object' ? name : type === 'closure' ? `${name}()` : `(${type})`;
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    return counts;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function topGrowth(before, after, n) {
  return [...after]
    .map(([k, v]) => [k, v - (before.get(k) || 0)])
    .filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

async function child(caseName, version, iterations) {
  const dir = path.join(CASES, caseName);
  const spec = require(path.join(dir, 'case.js'));
  const mod = require(require.resolve(version, { paths: [dir] }));
  const h = await spec.start(mod);
  // Warm-up: lazy module state, first-connection objects, JIT.
  for (let i = 0; i < 20; i++) await h.iteration(i);
  const before = await settledHeap();
  const classesBefore = classCounts();
  for (let i = 0; i < iterations; i++) await h.iteration(i);
  const after = await settledHeap();
  const grown = topGrowth(classesBefore, classCounts(), 10);
  await h.close();
  process.stdout.write(JSON.stringify({ before, after, perIteration: (after - before) / iterations, grown }));
  process.exit(0);
}

function main() {
  const [caseName, n] = process.argv.slice(2);
  if (!caseName) {
    console.error('usage: node bench/real-leaks/prove.js <case> [iterations]');
    process.exit(2);
  }
  const iterations = Number(n || 2000);
  for (const version of ['leaky', 'fixed']) {
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', caseName, version, String(iterations)], {
      encoding: 'utf8',
      timeout: 10 * 60 * 1000,
    });
    if (r.status !== 0) {
      console.log(`${caseName} ${version}: failed (${r.status ?? r.signal}) ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
      continue;
    }
    const { before, after, perIteration, grown } = JSON.parse(r.stdout);
    const mb = (b) => (b / 1048576).toFixed(2);
    console.log(
      `${caseName} ${version}: heapUsed ${mb(before)} MB -> ${mb(after)} MB after ${iterations} iterations, ${perIteration.toFixed(0)} B/iteration`,
    );
    console.log(`  most grown: ${grown.map(([k, d]) => `${k} +${d}`).join(', ') || 'none'}`);
  }
}

if (process.argv[2] === '--child') {
  const [, caseName, version, n] = process.argv.slice(2);
  child(caseName, version, Number(n)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main();
}
