#!/usr/bin/env node
// Writes a heap snapshot of a leaky, server-like workload, scaled so the FILE
// comes out at about N MB:
//   node bench/make-snapshot.js <out.heapsnapshot> --mb N [--min-nodes K] [--units U]
// --min-nodes raises the scale until the snapshot has at least K nodes (the
// big benchmark needs more than 2^24, which takes more than 1 GB of file).
// The workload leaks the way real servers do: sessions whose closures sit in a
// Map cache, listeners piling up on a long-lived EventEmitter, a global array
// of request records with strings, and interval timers holding closures.
//
// File size per unit of workload is measured, not guessed: two small
// calibration snapshots give the fixed cost of an idle process and the cost
// per unit, and the real run uses (N MB - fixed) / per-unit units. Each
// snapshot is written by a child node whose old space is sized for the
// target, since a > 1 GB snapshot needs a heap far past node's default.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MB = 1 << 20;

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node bench/make-snapshot.js <out.heapsnapshot> --mb N [--min-nodes K] [--units U]');
  process.exit(2);
}

// ---------------------------------------------------------------- the child
// Runs the workload for `units` units, then writes the snapshot.
function child(out, units) {
  const { EventEmitter } = require('node:events');
  const v8 = require('node:v8');

  const bus = new EventEmitter(); // lives as long as the process
  bus.setMaxListeners(0);
  const sessions = new Map(); // the "cache" nobody evicts
  const requestLog = []; // global array of request records
  const timers = [];
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];

  class Session {
    constructor(id, user) {
      this.id = id;
      this.user = user;
      this.createdAt = Date.now();
      this.cart = [];
      this.onTick = null;
    }
  }
  class RequestRecord {
    constructor(i, session) {
      this.method = methods[i & 3];
      this.url = `/api/v1/users/${session.user.name}/items/${i}?page=${i % 50}`;
      this.headers = { 'user-agent': `bench-client/${i % 7}`, 'x-request-id': `req-${i.toString(36)}` };
      this.startedAt = i;
      this.session = session;
    }
  }

  for (let i = 0; i < units; i++) {
    const user = { name: `user${i}`, email: `user${i}@example.test`, roles: ['reader'] };
    const session = new Session(`sess-${i.toString(16)}`, user);
    session.cart.push({ sku: i % 1000, qty: 1 + (i % 3) });
    // A closure per session that captures it: the classic cache leak.
    session.onTick = () => session.cart.length + user.name.length;
    sessions.set(session.id, session);
    // A listener per request that is never removed.
    bus.on('tick', function onTick() {
      return session.createdAt;
    });
    requestLog.push(new RequestRecord(i, session));
    if (i % 100 === 0) {
      // An interval holding a closure over a batch of records.
      const batch = requestLog.slice(-100);
      const t = setInterval(() => batch.length, 1 << 30);
      t.unref();
      timers.push(t);
    }
  }
  globalThis.__leaky = { bus, sessions, requestLog, timers };
  v8.writeHeapSnapshot(out);
  for (const t of timers) clearInterval(t);
}

// --------------------------------------------------------------- the parent
function runChild(out, units, heapMb) {
  const r = spawnSync(
    process.execPath,
    [`--max-old-space-size=${heapMb}`, __filename, '--child', out, String(units)],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`snapshot child failed (status ${r.status}, signal ${r.signal})`);
  return fs.statSync(out).size;
}

// node_count sits in the header, so the first KB tells it without parsing.
function nodeCount(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(4096);
  fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const m = /"node_count":(\d+)/.exec(buf.toString('latin1'));
  return m ? Number(m[1]) : NaN;
}

// About 5 bytes of JS heap per byte of file is plenty; never below the default.
const heapFor = (fileBytes) => Math.max(2048, Math.ceil((fileBytes / MB) * 5));

function calibrate() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-calib-'));
  try {
    const small = 20_000;
    const a = path.join(tmp, 'a.heapsnapshot');
    const b = path.join(tmp, 'b.heapsnapshot');
    const base = runChild(a, 0, 2048);
    const big = runChild(b, small, 2048);
    return {
      base,
      perUnit: (big - base) / small,
      baseNodes: nodeCount(a),
      nodesPerUnit: (nodeCount(b) - nodeCount(a)) / small,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main(argv) {
  if (argv[0] === '--child') return child(argv[1], Number(argv[2]));
  const out = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const flag = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const mb = flag('--mb');
  const minNodes = flag('--min-nodes') ?? 0;
  let units = flag('--units');
  if (!out) usage('missing output file');
  if (!(mb > 0) && !(units >= 0)) usage('give --mb N (or --units U)');

  const t0 = Date.now();
  if (units === undefined) {
    const { base, perUnit, baseNodes, nodesPerUnit } = calibrate();
    const forSize = Math.round((mb * MB - base) / perUnit);
    // 1% over, since nodes per unit drift a little with scale.
    const forNodes = Math.ceil(((minNodes - baseNodes) / nodesPerUnit) * 1.01);
    units = Math.max(0, forSize, forNodes);
    console.error(
      `calibration: idle ${(base / MB).toFixed(1)} MB + ${perUnit.toFixed(0)} B/unit, ` +
        `${nodesPerUnit.toFixed(1)} nodes/unit -> ${units} units`,
    );
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const size = runChild(out, units, heapFor(Math.max(mb ? mb * MB : 0, units * 2000)));
  console.error(
    `wrote ${out}: ${(size / MB).toFixed(1)} MB, ${nodeCount(out)} nodes, ${units} units, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { file: out, size, nodes: nodeCount(out), units };
}

module.exports = {
  makeSnapshot: (out, mb, minNodes = 0) => main([out, '--mb', String(mb), '--min-nodes', String(minNodes)]),
  nodeCount,
};

if (require.main === module) main(process.argv.slice(2));
