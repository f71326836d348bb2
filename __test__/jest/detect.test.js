'use strict';
// Jest's leaking-file detection (`testEnvironment: 'leakhound/jest/environment'`, with and without
// `--detectLeaks`), run by Jest on fixture files that contain no leakhound code.
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

test('with --detectLeaks, the realm check adds no false leak (fetch, a failing test)', async () => {
  const { status, output } = await runJest(['--detectLeaks']);
  expect(status).toBe(1);
  expect(problems(output, 'jest', fixtureNames(dir))).toEqual([]);
  // Jest's own message, printed for each file its leak detector flags.
  const flagged = output.split('\n').filter((l) => /Your test suite is leaking memory/.test(l)).length;
  expect(flagged).toBe(0);
});
