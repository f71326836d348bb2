#!/usr/bin/env node
// npm run bench:detect [-- --rounds N] [--files N]
// What leaking-file detection costs a test run, and whether it flags clean files, beside Jest's
// own --detectLeaks. A suite of N (default 50) clean test files is written for each runner, each
// file doing ordinary work: objects built, a server opened, fetched from and closed, timers set
// and cleared. Every configuration runs the whole suite with its runner's command; each with
// detection runs right after the same runner without, round after round, and the ratio is taken
// pair by pair (medians printed), so a machine whose speed drifts does not skew it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'bench', 'out', 'detect-suite');
const NODE = process.execPath;
const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  const v = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} expects a positive integer`);
  return v;
}
const ROUNDS = arg('--rounds', 5);
const FILES = arg('--files', 50);

// The body every file runs, with its runner's test() and hooks.
const BODY = `
const { createServer } = require('node:http');
let server;
beforeAll(async () => {
  server = createServer((req, res) => res.end(JSON.stringify({ url: req.url, n: 42 })));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
test('builds and sorts records', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: 'row-' + i, tags: [i % 7, i % 11] }));
  rows.sort((a, b) => b.tags[0] - a.tags[0] || a.id - b.id);
  if (rows.length !== 5000) throw new Error('lost rows');
});
test('fetches from its own server', async () => {
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/item');
  const body = await res.json();
  if (body.n !== 42) throw new Error('bad body');
});
test('sets and clears timers and listeners', async () => {
  const onTerm = () => {};
  process.on('SIGTERM', onTerm);
  const tick = setInterval(() => {}, 5);
  await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(tick);
  process.off('SIGTERM', onTerm);
});
`;

function writeSuite() {
  fs.rmSync(OUT, { recursive: true, force: true });
  const dirs = { node: path.join(OUT, 'node-test'), vitest: path.join(OUT, 'vitest'), jest: path.join(OUT, 'jest') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const name = `file-${String(i).padStart(2, '0')}`;
    fs.writeFileSync(
      path.join(dirs.node, `${name}.test.cjs`),
      `'use strict';\nconst { test, before: beforeAll, after: afterAll } = require('node:test');\n${BODY}`,
    );
    fs.writeFileSync(path.join(dirs.vitest, `${name}.test.mjs`), `import { test, beforeAll, afterAll } from 'vitest';\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${BODY}`);
    fs.writeFileSync(path.join(dirs.jest, `${name}.test.js`), `'use strict';\n${BODY}`);
  }
  const vitestConfig = (pool, detect) =>
    `export default { test: { root: ${JSON.stringify(dirs.vitest)}, include: ['*.test.mjs'], pool: '${pool}'${detect ? ", setupFiles: ['leakhound/vitest/detect']" : ''} } };\n`;
  for (const pool of ['forks', 'vmThreads']) {
    fs.writeFileSync(path.join(dirs.vitest, `plain-${pool}.config.mjs`), vitestConfig(pool, false));
    fs.writeFileSync(path.join(dirs.vitest, `detect-${pool}.config.mjs`), vitestConfig(pool, true));
  }
  const jestConfig = (env) => `module.exports = { rootDir: __dirname, testMatch: ['<rootDir>/*.test.js'], testEnvironment: '${env}' };\n`;
  fs.writeFileSync(path.join(dirs.jest, 'plain.config.js'), jestConfig('node'));
  fs.writeFileSync(path.join(dirs.jest, 'detect.config.js'), jestConfig('leakhound/jest/environment'));
  return dirs;
}

// Each: the command with detection, and the same runner without.
function configurations(dirs) {
  const vitest = (config) => ({ cmd: [VITEST, 'run', '--config', config], cwd: dirs.vitest });
  const jest = (config, ...extra) => ({ cmd: [JEST, '--config', config, ...extra], cwd: dirs.jest });
  const nodeTest = (...flags) => ({ cmd: ['--test', ...flags, '.'], cwd: dirs.node });
  return [
    { name: 'node:test --import leakhound/node-test/detect', with: nodeTest('--import', 'leakhound/node-test/detect'), without: nodeTest() },
    { name: 'Vitest forks, leakhound/vitest/detect', with: vitest('detect-forks.config.mjs'), without: vitest('plain-forks.config.mjs') },
    { name: 'Vitest vmThreads, leakhound/vitest/detect', with: vitest('detect-vmThreads.config.mjs'), without: vitest('plain-vmThreads.config.mjs') },
    { name: 'Jest, leakhound/jest/environment', with: jest('detect.config.js'), without: jest('plain.config.js') },
    { name: 'Jest, leakhound/jest/environment --detectLeaks', with: jest('detect.config.js', '--detectLeaks'), without: jest('plain.config.js') },
    { name: "Jest 30's own --detectLeaks", with: jest('plain.config.js', '--detectLeaks'), without: jest('plain.config.js') },
  ];
}

// The test files a run flagged: leakhound's reports name them; Jest's own leak message sits in
// the block of its file (printed twice: as the file ends and in the summary).
function flaggedFiles(output) {
  const files = new Set();
  for (const m of output.matchAll(/(\S+\.test\.\w+) leaks: \d+ things? outlived/g)) files.add(path.basename(m[1]));
  for (const m of output.matchAll(/^(?:FAIL|PASS) \S*?([^/\s]+\.test\.\w+)\n([\s\S]*?)(?=^(?:FAIL|PASS) |(?![\s\S]))/gm)) {
    if (/Your test suite is leaking memory/.test(m[2])) files.add(m[1]);
  }
  return files.size;
}

function run({ cmd, cwd }) {
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, cmd, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { secs, status: r.status, output: `${r.stdout}${r.stderr}` };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main() {
  const dirs = writeSuite();
  const rows = [];
  for (const c of configurations(dirs)) {
    // One warm-up pair fills the runners' caches (transforms, compiled code).
    run(c.without);
    run(c.with);
    const ratios = [];
    const withSecs = [];
    const withoutSecs = [];
    let flagged = 0;
    let failedRuns = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const a = run(c.without);
      const b = run(c.with);
      if (a.status !== 0) throw new Error(`${c.name}: the suite failed without detection:\n${a.output.slice(-2000)}`);
      flagged = Math.max(flagged, flaggedFiles(b.output));
      if (b.status !== 0) failedRuns++;
      withoutSecs.push(a.secs);
      withSecs.push(b.secs);
      ratios.push(b.secs / a.secs);
    }
    rows.push({ name: c.name, without: median(withoutSecs), with: median(withSecs), ratio: median(ratios), flagged, failedRuns });
    process.stderr.write(`  ${c.name}: done\n`);
  }
  console.log(`${FILES} clean test files, ${ROUNDS} rounds, Node ${process.version}`);
  console.log('configuration                                        without   with    ratio  clean files flagged');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(52)} ${r.without.toFixed(2).padStart(6)} s ${r.with.toFixed(2).padStart(6)} s ${r.ratio.toFixed(3).padStart(6)}×  ${String(r.flagged).padStart(3)} of ${FILES}${r.failedRuns ? ` (run failed ${r.failedRuns}×)` : ''}`,
    );
  }
}

main();
