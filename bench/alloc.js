'use strict';
// npm run bench:alloc — what the AllocationSampler costs a busy server, and how fast and how
// honestly it names a leaking allocation site at its default settings.
//
// 1. Overhead: the HTTP server of bench:monitor on loopback under a closed-loop load, without the
//    sampler and with it at 32 KiB, 128 KiB, 512 KiB and 1 MiB intervals, alternating runs
//    (A B C D E, A B C D E, …); requests per second, and the server's CPU time per request, as
//    ratios to the runs without (medians).
//    And the CPU cost on the same per-request work in a loop, in one process (see cpuCost).
// 2. Detection at the defaults (10 s windows, a verdict from 12 windows): alloc-server.js with
//    the sampler inside it, under steady load. The leaking route: when the leaking site is
//    announced, and which other sites are. The clean route and the filling-then-bounded cache:
//    sites announced over the horizon (BENCH_ALLOC_MINUTES, default 10; both run at once).
//
//   BENCH_SECONDS (21: two 10 s windows a run) and BENCH_ROUNDS (5) set the overhead runs;
//   BENCH_ALLOC_MINUTES the horizon; BENCH_ALLOC_OVERHEAD=0 and BENCH_ALLOC_DETECTION=0 skip
//   those parts.
const path = require('node:path');
const { fork, spawn } = require('node:child_process');
const { startServer, stopServer, load } = require('./http-load');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 21);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MINUTES = Number(process.env.BENCH_ALLOC_MINUTES ?? 10);
const INTERVALS = [32, 128, 512, 1024].map((k) => k * 1024);

async function overhead() {
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const interval of [0, ...INTERVALS]) {
      const s = startServer(interval ? { ALLOC_INTERVAL: String(interval) } : {});
      const port = await s.port;
      await load(port, 1); // warm-up
      const rps = await load(port, SECONDS);
      const exit = await stopServer(s);
      // The server's CPU time per request: steadier than requests per second on a shared machine,
      // where the load generator and the server compete for the same cores.
      const cpuUsPerRequest = exit ? (exit.cpu.user + exit.cpu.system) / exit.served : null;
      runs.push({ interval, rps, cpuUsPerRequest, profiles: exit?.allocations?.profiles ?? 0, profileMs: exit?.profileMs ?? null });
      process.stderr.write(`round ${round + 1}: ${interval ? `${interval / 1024} KiB` : 'off'} ${rps.toFixed(0)} req/s, ${cpuUsPerRequest?.toFixed(1)} µs CPU/request\n`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const off = median(runs.filter((r) => r.interval === 0).map((r) => r.rps));
  const cpuOff = median(runs.filter((r) => r.interval === 0).map((r) => r.cpuUsPerRequest));
  return {
    rpsWithout: off,
    cpuUsPerRequestWithout: cpuOff,
    withSampler: INTERVALS.map((interval) => {
      const rps = median(runs.filter((r) => r.interval === interval).map((r) => r.rps));
      const profileMs = median(runs.filter((r) => r.interval === interval && r.profileMs !== null).map((r) => r.profileMs));
      const cpu = median(runs.filter((r) => r.interval === interval).map((r) => r.cpuUsPerRequest));
      return { intervalKiB: interval / 1024, rps, ratio: rps / off, lossPercent: 100 * (1 - rps / off), cpuUsPerRequest: cpu, cpuRatio: cpu / cpuOff, profileMs };
    }),
    runs,
  };
}

/**
 * The sampler's CPU cost on allocation-heavy JavaScript (the server's per-request work, in a
 * loop), in this process: off and each interval in turn, 30 rounds, CPU time medians. Free of
 * the load generator's and the network's noise, which dwarf a 2 % effect on a shared machine.
 */
function cpuCost() {
  const { AllocationSampler } = require('..');
  const work = () => {
    let n = 0;
    for (let r = 0; r < 2000; r++) {
      const items = Array.from({ length: 50 }, (_, k) => ({ k, name: `item-${k}`, tags: ['a', 'b', String(k)] }));
      n += JSON.stringify({ url: '/api', items }).length;
    }
    return n;
  };
  for (let i = 0; i < 30; i++) work();
  const ms = new Map([0, ...INTERVALS].map((i) => [i, []]));
  for (let round = 0; round < 30; round++) {
    for (const interval of ms.keys()) {
      const sampler = interval ? new AllocationSampler({ intervalBytes: interval, windowMs: 3_600_000 }).start() : null;
      for (let w = 0; w < 5; w++) work();
      const t0 = process.cpuUsage();
      for (let i = 0; i < 5; i++) work();
      const used = process.cpuUsage(t0);
      ms.get(interval).push((used.user + used.system) / 1000);
      sampler?.stop();
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const off = median(ms.get(0));
  return { msWithout: off, withSampler: INTERVALS.map((i) => ({ intervalKiB: i / 1024, ms: median(ms.get(i)), ratio: median(ms.get(i)) / off })) };
}

/** alloc-server.js with the sampler at its defaults, `route` under steady load, for `ms` or until `until`. */
function watch(route, ms, until) {
  const fixtures = path.join(__dirname, '..', '__test__', 'fixtures');
  const child = fork(path.join(fixtures, 'alloc-inprocess.js'), [], { env: { ...process.env, LEAKHOUND_ALLOC: '{}' }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const started = Date.now();
  const announced = [];
  let loader = null;
  return new Promise((resolve) => {
    let out = '';
    const finish = () => {
      clearTimeout(timer);
      loader?.kill('SIGKILL');
      child.kill('SIGKILL');
      resolve({ route, seconds: (Date.now() - started) / 1000, announced });
    };
    const timer = setTimeout(finish, ms);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m && !loader) loader = spawn(process.execPath, [path.join(fixtures, 'load.js'), m[1], route, '1000000000'], { stdio: 'ignore' });
    });
    child.on('message', (m) => {
      if (m.event !== 'allocation-leak') return;
      const s = m.site;
      announced.push({ afterSeconds: (Date.now() - started) / 1000, profiles: m.at, site: `${s.functionName || '(anonymous)'} ${path.basename(s.script)}:${s.line}`, slopeBytesPerSec: Math.round(s.slopeBytesPerSec) });
      process.stderr.write(`${route}: ${announced.at(-1).site} after ${announced.at(-1).afterSeconds.toFixed(0)} s\n`);
      if (until?.(s)) finish();
    });
  });
}

async function detection() {
  const leak = await watch('/', 5 * 60_000, (s) => s.functionName === 'remember' || s.functionName === '');
  const horizon = MINUTES * 60_000;
  const [clean, cache] = await Promise.all([watch('/clean', horizon), watch('/cache', horizon)]);
  return { leak, clean, cache };
}

(async () => {
  const out = { node: process.version, cpus: require('node:os').cpus().length };
  out.cpuCost = cpuCost();
  if (process.env.BENCH_ALLOC_OVERHEAD !== '0') out.overhead = await overhead();
  if (process.env.BENCH_ALLOC_DETECTION !== '0') out.detection = await detection();
  console.log(JSON.stringify(out, null, 2));
})();
