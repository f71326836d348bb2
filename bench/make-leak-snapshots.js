#!/usr/bin/env node
// Writes a three-snapshot leak set of one leaky, server-like process:
//   node bench/make-leak-snapshots.js <outdir> --mb N [--iterations K]
// -> <outdir>/baseline.heapsnapshot  after warm-up and a base state sized so
//                                    the files come out at about N MB
//    <outdir>/target.heapsnapshot    after K leaky requests
//    <outdir>/final.heapsnapshot     after K more
//    <outdir>/expected.json          what leaked between baseline and target
//
// All three come from ONE child process (the ids must match across files), run
// with an old space sized for the file. Each request leaks a known set:
//   Session           kept in a Map cache nobody evicts
//   sessionTick()     closure on the session (so it folds under Session)
//   RequestRecord     captured by an onRequest() listener on a long-lived
//   onRequest()       EventEmitter that is never removed
//   AuditEntry        pushed on a global array
//   Timeout + poll()  one interval timer per TIMER_EVERY requests, its closure
//                     holding the request
// plus transient garbage (freed at once) and InFlight objects that are alive
// in target but released before final: both must NOT be reported.
//
// The base state is made of the same requests, run before baseline, so leaked
// classes also have old, non-leaked members that only ids tell apart. Its size
// is calibrated like bench/make-snapshot.js: two small runs give the file's
// fixed cost and its cost per request.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MB = 1 << 20;
const TIMER_EVERY = 10;
const DEFAULT_ITERATIONS = 200; // memlab samples at most 5000 traces; stay below it

// --------------------------------------------------------------- the child
function child(outdir, baseUnits, k) {
  const { EventEmitter } = require('node:events');
  const v8 = require('node:v8');

  const bus = new EventEmitter(); // lives as long as the process
  bus.setMaxListeners(0);
  const sessions = new Map();
  const auditLog = [];
  const timers = [];
  let inflight = []; // released one phase later: alive in target, gone in final
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  // Reachable from a global, as a server's module state is: retainer paths
  // then read global -> __leaky -> sessions rather than through a timer.
  globalThis.__leaky = { bus, sessions, auditLog, timers };

  class Session {
    constructor(id, user) {
      this.id = id;
      this.user = user;
      this.createdAt = Date.now();
      this.onTick = null;
    }
  }
  class RequestRecord {
    constructor(i, session) {
      this.method = methods[i & 3];
      this.url = `/api/v1/users/${session.user}/items/${i}?page=${i % 50}`;
      this.startedAt = i;
      this.session = session;
    }
  }
  class AuditEntry {
    constructor(i, url) {
      this.seq = i;
      this.line = `${i} ${url}`;
    }
  }
  class InFlight {
    constructor(i) {
      this.seq = i;
    }
  }
  function request(i) {
    const session = new Session(`sess-${i.toString(16)}`, `user${i}`);
    session.onTick = function sessionTick() {
      return session.createdAt;
    };
    sessions.set(session.id, session);
    const req = new RequestRecord(i, session);
    bus.on('request', function onRequest() {
      return req.url;
    });
    auditLog.push(new AuditEntry(i, req.url));
    if (i % TIMER_EVERY === 0) {
      const t = setInterval(function poll() {
        return req.startedAt;
      }, 1 << 30);
      t.unref();
      timers.push(t);
    }
    inflight.push(new InFlight(i));
    // Transient garbage: parsed bodies and temporaries that die with the request.
    let junk = [];
    for (let j = 0; j < 20; j++) junk.push({ j, s: `tmp-${i}-${j}` });
    junk = null;
  }

  let i = 0;
  for (; i < baseUnits; i++) request(i);
  inflight = [];
  const snap = (name) => v8.writeHeapSnapshot(path.join(outdir, `${name}.heapsnapshot`));
  snap('baseline');
  if (k < 0) return; // calibration: baseline only
  for (const end = i + k; i < end; i++) request(i);
  snap('target');
  inflight = []; // the InFlight objects of the first phase are released here
  for (const end = i + k; i < end; i++) request(i);
  inflight = [];
  snap('final');
  for (const t of timers) clearInterval(t);
}

// Between baseline and target exactly k requests ran; their leaks by class.
function expectedLeaks(baseUnits, k) {
  let timers = 0;
  for (let i = baseUnits; i < baseUnits + k; i++) if (i % TIMER_EVERY === 0) timers++;
  return {
    Session: k,
    sessionTick: k,
    RequestRecord: k,
    onRequest: k,
    AuditEntry: k,
    Timeout: timers,
    poll: timers,
    InFlight: 0,
  };
}

// --------------------------------------------------------------- the parent
function runChild(outdir, baseUnits, k, heapMb) {
  const r = spawnSync(
    process.execPath,
    [`--max-old-space-size=${heapMb}`, __filename, '--child', outdir, String(baseUnits), String(k)],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`snapshot child failed (status ${r.status}, signal ${r.signal})`);
}

const sizeOf = (f) => fs.statSync(f).size;

// File bytes of an idle process and per base request, from two baseline-only runs.
function calibrate() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-leakcalib-'));
  try {
    const small = 20_000;
    runChild(tmp, 0, -1, 2048);
    const idle = sizeOf(path.join(tmp, 'baseline.heapsnapshot'));
    runChild(tmp, small, -1, 2048);
    const big = sizeOf(path.join(tmp, 'baseline.heapsnapshot'));
    return { idle, perUnit: (big - idle) / small };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function makeLeakSnapshots(outdir, mb, k = DEFAULT_ITERATIONS) {
  const t0 = Date.now();
  const { idle, perUnit } = calibrate();
  const baseUnits = Math.max(0, Math.round((mb * MB - idle) / perUnit));
  console.error(`calibration: idle ${(idle / MB).toFixed(1)} MB + ${perUnit.toFixed(0)} B/request -> ${baseUnits} base requests, ${k} leaky requests per phase`);
  fs.mkdirSync(outdir, { recursive: true });
  // About 5 bytes of JS heap per byte of file is plenty, as in make-snapshot.js.
  runChild(outdir, baseUnits, k, Math.max(2048, Math.ceil(mb * 5)));
  const expected = expectedLeaks(baseUnits, k);
  const files = Object.fromEntries(['baseline', 'target', 'final'].map((n) => [n, path.join(outdir, `${n}.heapsnapshot`)]));
  fs.writeFileSync(path.join(outdir, 'expected.json'), `${JSON.stringify({ mb, baseUnits, iterations: k, expected }, null, 2)}\n`);
  for (const [n, f] of Object.entries(files)) console.error(`wrote ${f}: ${(sizeOf(f) / MB).toFixed(1)} MB`);
  console.error(`expected leaks (baseline -> target): ${JSON.stringify(expected)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { files, expected };
}

function main(argv) {
  if (argv[0] === '--child') return child(argv[1], Number(argv[2]), Number(argv[3]));
  const flag = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const outdir = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const mb = flag('--mb');
  const k = flag('--iterations') ?? DEFAULT_ITERATIONS;
  if (!outdir || !(mb > 0) || !(k > 0)) {
    console.error('usage: node bench/make-leak-snapshots.js <outdir> --mb N [--iterations K]');
    process.exit(2);
  }
  const { expected } = makeLeakSnapshots(outdir, mb, k);
  console.log(JSON.stringify(expected, null, 2));
}

module.exports = { makeLeakSnapshots, expectedLeaks };

if (require.main === module) main(process.argv.slice(2));
