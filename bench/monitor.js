'use strict';
// npm run bench:monitor — what the Sampler costs a busy server, and how fast and how honestly the
// verdict (and node-memwatch's rule, on the same series) calls a leak.
//
// 1. Overhead: an HTTP server on loopback under a closed-loop load, with and without a 10 Hz
//    Sampler, alternating runs; plus the cost of one sample measured directly.
// 2. Detection in simulated time (real work and real GCs, simulated clock): a 50 KB/request leak,
//    a full churning cache and a clean server, 10 minutes each, passive and with confirming GCs.
// 3. Detection in real time: the HTTP server leaking 50 KB per request at 100 requests/s.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Sampler } = require('..');
const { startServer, stopServer, load } = require('./http-load');

const argSeconds = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function overhead() {
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const sampler of ['0', '1']) {
      const s = startServer({ SAMPLER: sampler });
      const port = await s.port;
      await load(port, 1); // warm-up
      const rps = await load(port, argSeconds);
      await stopServer(s);
      rows.push({ sampler: sampler === '1', rps });
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = mean(rows.filter((r) => !r.sampler).map((r) => r.rps));
  const on = mean(rows.filter((r) => r.sampler).map((r) => r.rps));
  // The cost of one sample, measured directly (CPU time): the share of a core at 1 and 10 Hz,
  // with the memory outside the JS heap (the default) and without it.
  const perSample = (nativeMemory) => {
    const s = new Sampler({ capacity: 1000, nativeMemory });
    for (let i = 0; i < 2000; i++) s.sample();
    const n = 20000;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) s.sample();
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / n;
  };
  const perSampleUs = perSample(true);
  const perSampleHeapOnlyUs = perSample(false);
  // Code and thread stacks come from /proc/self/smaps, read on a thread of its own at most every
  // 30 s whatever the sampling rate: its cost, measured directly, spread over those 30 s.
  const mappingsReadUs = (() => {
    const native = require('../lib/native');
    if (!native.memoryMappings()) return null;
    const n = 200;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) native.memoryMappings();
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / n;
  })();
  return {
    rounds: rows,
    rpsWithout: off,
    rpsWith: on,
    ratio: on / off,
    perSampleUs,
    perSampleHeapOnlyUs,
    mappingsReadUs,
    mappingsCoreShare: mappingsReadUs === null ? null : mappingsReadUs / 30e6,
    coreShareAt1Hz: perSampleUs / 1e6,
    coreShareAt10Hz: (perSampleUs * 10) / 1e6,
  };
}

function simulate(mode, confirm) {
  const args = [path.join(__dirname, 'simulated-server.js'), mode, '600', '100', ...(confirm ? ['--confirm-gc'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

async function realLeak(confirm) {
  const s = startServer({ SAMPLER: '1', LEAK: '1', CONFIRM: confirm ? '1' : '0' });
  const port = await s.port;
  const limit = 90;
  const started = Date.now();
  const loading = load(port, limit, 4, 100);
  while (!s.lines.some((l) => l.leakAfterS) && Date.now() - started < limit * 1000) await new Promise((r) => setTimeout(r, 200));
  const hit = s.lines.find((l) => l.leakAfterS);
  const exit = await stopServer(s);
  await loading;
  return { confirmGc: confirm, leakingAfterS: hit ? hit.leakAfterS : null, memwatchLeaks: exit?.memwatchLeaks ?? null };
}

async function main() {
  const out = { node: process.version };
  console.error('overhead: HTTP server on loopback, 10 Hz sampler on and off…');
  out.overhead = await overhead();
  console.error(`  ${out.overhead.rpsWithout.toFixed(0)} req/s without, ${out.overhead.rpsWith.toFixed(0)} with (ratio ${out.overhead.ratio.toFixed(4)}); one sample ${out.overhead.perSampleUs.toFixed(2)} µs of CPU (${out.overhead.perSampleHeapOnlyUs.toFixed(2)} µs without the native figures) = ${(out.overhead.coreShareAt1Hz * 100).toFixed(4)} % of a core at 1 Hz, ${(out.overhead.coreShareAt10Hz * 100).toFixed(4)} % at 10 Hz`);
  if (out.overhead.mappingsReadUs !== null) {
    console.error(`  code and thread stacks (smaps, every 30 s on its own thread): ${out.overhead.mappingsReadUs.toFixed(0)} µs of CPU a read = ${(out.overhead.mappingsCoreShare * 100).toFixed(4)} % of a core`);
  }
  out.simulated = [];
  for (const mode of ['leak', 'cache', 'clean']) {
    for (const confirm of [false, true]) {
      const r = simulate(mode, confirm);
      out.simulated.push({ mode, confirmGc: confirm, leakhoundLeakAtS: r.leakAt, leakingTicks: r.verdictTicks.leaking, memwatchFirstAtS: r.memwatchAt, memwatchFirings: r.memwatchCount, postGcSamples: r.gcSamples, confirmingGcs: r.confirmingGcs, finalVerdict: r.trend.verdict });
      console.error(`  simulated ${mode}${confirm ? ' +confirmGc' : ''}: leakhound ${r.leakAt ?? '—'} s, memwatch ${r.memwatchAt ?? '—'} s (${r.memwatchCount} firings), ${r.gcSamples} post-GC samples, final ${r.trend.verdict}`);
    }
  }
  if (process.env.BENCH_REAL !== '0') {
    out.realTime = [];
    for (const confirm of [false, true]) {
      const r = await realLeak(confirm);
      out.realTime.push(r);
      console.error(`  real-time 50 KB/request at 100 req/s${confirm ? ' +confirmGc' : ''}: leaking after ${r.leakingAfterS ?? '> 90'} s; memwatch rule fired ${r.memwatchLeaks} times`);
    }
  }
  console.log(JSON.stringify(out, null, 2));
}

main();
