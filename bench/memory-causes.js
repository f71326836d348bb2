'use strict';
// npm run bench:causes — how fast and how honestly the verdicts per cause of memory growth call
// each cause, side by side with the RSS/heap ratio alarm on the same samples; and what the
// allocator setup does to a fragmenting workload.
//
// 1. Each workload of __test__/fixtures/memory-workloads.js (real work, real GCs, one simulated
//    second a step) runs for 10 simulated minutes in a process of its own. For each: when each
//    cause's verdict first said `leaking`, and when the ratio alarms fired (RSS > 4x the V8 heap
//    for 5 minutes; and the shipped Prometheus rule, which also needs RSS > 512 MiB for 30).
// 2. The fragmenting workload under glibc's defaults, MALLOC_ARENA_MAX=2 and jemalloc
//    (LD_PRELOAD, where installed): RSS growth over the 10 minutes, freed-but-kept memory, and
//    what trimNativeHeap() gives back at the end.
const path = require('node:path');
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

const STEPS = Number(process.env.BENCH_STEPS ?? 600);
const MiB = 1 << 20;
const fixture = path.join(__dirname, '..', '__test__', 'fixtures', 'memory-workloads.js');

function run(workload, env = {}, extra = []) {
  const r = spawnSync(process.execPath, [fixture, workload, String(STEPS), '', ...extra], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 * MiB,
  });
  if (r.status !== 0) throw new Error(`${workload} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const mib = (b) => (b == null ? '–' : `${(b / MiB).toFixed(1)} MiB`);
const at = (s) => (s == null ? 'never' : `${s} s`);

// What each workload is, so the table says which verdicts are right. An unclosed zlib stream
// also keeps its 16 KiB output Buffer: external is true there too, native is the headline.
const truth = {
  'buffer-leak': ['external'],
  'native-leak': ['native', 'external'],
  fragmentation: ['fragmentation'],
  'js-heap-leak': ['js-heap'],
  'bounded-cache': [],
};

console.log(`# Verdicts per cause against the RSS/heap ratio alarm (${STEPS} simulated seconds each, Node ${process.version})\n`);
console.log('| workload | truth | js-heap | external | native | fragmentation | ratio > 4 for 5 min | shipped ratio rule | false verdicts | RSS growth |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [workload, causes] of Object.entries(truth)) {
  const o = run(workload);
  const first = (kind) => o.leaks.find((e) => e.cause === kind)?.at;
  const wrong = o.leaks.filter((e) => !causes.includes(e.cause)).map((e) => e.cause);
  // The ratio alarm says "memory outside the heap grows": false where nothing leaks.
  const leaking = causes.length > 0 && causes[0] !== 'fragmentation';
  const ratioWrong = !leaking && o.alarms.ratio4for5m !== null ? 'ratio alarm' : '';
  const falses = [...new Set(wrong)].join(', ') || 'none';
  console.log(
    `| ${workload} | ${causes.join(' + ') || 'no leak'} | ${at(first('js-heap'))} | ${at(first('external'))} | ${at(first('native'))} | ${at(first('fragmentation'))} | ${at(o.alarms.ratio4for5m)} | ${at(o.alarms.shippedRule)} | ${falses}${ratioWrong ? `; ${ratioWrong}` : ''} | ${mib(o.rssGrowth)} |`,
  );
}

const jemalloc = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'].find((f) => existsSync(f));
const setups = [
  ['glibc, default arenas', {}],
  ['glibc, MALLOC_ARENA_MAX=2', { MALLOC_ARENA_MAX: '2' }],
  ...(jemalloc ? [['jemalloc (LD_PRELOAD)', { LD_PRELOAD: jemalloc }]] : []),
];
console.log(`\n# The fragmenting workload by allocator setup (${STEPS} simulated seconds)\n`);
console.log('| setup | RSS growth | C heap in use | freed but kept | fragmentation verdict | trim gave back at the end |');
console.log('|---|---|---|---|---|---|');
for (const [name, env] of setups) {
  const o = run('fragmentation', env, ['trim']);
  const verdict = o.leaks.find((e) => e.cause === 'fragmentation');
  console.log(
    `| ${name} | ${mib(o.rssGrowth)} | ${mib(o.breakdown.malloc?.inUse)} | ${mib(o.breakdown.malloc?.freeHeld)} | ${verdict ? `after ${verdict.at} s (trim: ${mib(verdict.reclaimedBytes)})` : 'none'} | ${mib(o.trimmedAtEnd)} |`,
  );
}
if (!jemalloc) console.log('\njemalloc is not installed (Debian: libjemalloc2): its row is left out.');
