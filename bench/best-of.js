'use strict';
// Repeats one measurement: on a shared machine noise only ever adds time, so the best wall time
// is the fairest, while the highest peak RSS keeps memory figures honest. `--runs N` on the
// command line (default 3); every tool gets the same number of runs.

function runsFromArgv(argv = process.argv) {
  const at = argv.indexOf('--runs');
  const runs = at >= 0 ? Number(argv[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs expects a positive integer, got ${argv[at + 1]}`);
  return runs;
}

/** Calls `measure()` `runs` times; the first error ends it. Returns the fastest run's result with
 * `rssMb` raised to the highest seen. */
function bestOf(runs, measure) {
  let best = null;
  let rssMb = 0;
  for (let i = 0; i < runs; i++) {
    const m = measure();
    if (m.error) return m;
    rssMb = Math.max(rssMb, m.rssMb);
    if (!best || m.secs < best.secs) best = m;
  }
  return { ...best, rssMb };
}

module.exports = { bestOf, runsFromArgv };
