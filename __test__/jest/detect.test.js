'use strict';
// Jest's leaking-file detection (`testEnvironment: 'leakhound/jest/environment'`, with and without
// `--detectLeaks`), run by Jest on fixture files that contain no leakhound code.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { problems, fixtureNames, runRunner } = require('../fixtures/detect/expectations.cjs');

const dir = path.join(__dirname, '..', 'fixtures', 'detect', 'jest');
const jestBin = require.resolve('jest/bin/jest');

const runJest = (args) => runRunner([jestBin, '--config', 'jest.config.js', ...args], { cwd: dir });

test('each leaky file fails with the path to its cause, no clean file does', async () => {
  const { status, output } = await runJest([]);
  expect(status).toBe(1);
  expect(problems(output, 'jest', fixtureNames(dir))).toEqual([]);
});

test('with --detectLeaks, the realm check adds no false leak (fetch, a failing test, ESM-style hooks)', async () => {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-detect-')), 'verdicts.jsonl');
  const { status, output } = await runRunner([jestBin, '--config', 'jest.config.js', '--detectLeaks'], { cwd: dir, env: { LEAKHOUND_DETECT_LOG: log } });
  expect(status).toBe(1);
  expect(problems(output, 'jest', fixtureNames(dir))).toEqual([]);
  // Jest's own message, printed for each file its leak detector flags.
  const flagged = output.split('\n').filter((l) => /Your test suite is leaking memory/.test(l)).length;
  expect(flagged).toBe(0);
  // Each clean file's realm was judged; fetch's stayed alive only through an async resource's
  // store, recognised on the path.
  const realms = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((v) => v.realm);
  const judged = realms.map((v) => path.basename(v.file)).sort();
  expect(judged).toEqual(expect.arrayContaining(['clean-esm.test.js', 'clean-failing.test.js', 'clean-fetch.test.js', 'clean-tidy.test.js']));
  for (const v of realms) expect(v.leaks).toEqual([]);
  const fetchRealm = realms.find((v) => v.file.endsWith('clean-fetch.test.js'));
  expect(fetchRealm.harmless.map((h) => h.rule)).toEqual(['async-resource-store']);
  fs.rmSync(path.dirname(log), { recursive: true, force: true });
});
