// Vitest's leaking-file detection (`setupFiles: ['leakhound/vitest/detect']`), run by Vitest on
// fixture files that contain no leakhound code, in each pool the setup file supports.
import { test, expect } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { problems, fixtureNames, runRunner } = require('../fixtures/detect/expectations.cjs');

const dir = fileURLToPath(new URL('../fixtures/detect/vitest/', import.meta.url));
const vitest = path.join(dir, '..', '..', '..', '..', 'node_modules', 'vitest', 'vitest.mjs');

const runVitest = (pool, env = {}) => runRunner([vitest, 'run', '--config', 'vitest.config.mjs'], { cwd: dir, env: { DETECT_POOL: pool, ...env } });

for (const pool of ['forks', 'threads', 'vmThreads']) {
  test(`pool ${pool}: each leaky file fails with the path to its cause, no clean file does`, async () => {
    const { status, output } = await runVitest(pool);
    expect(status, output).toBe(1);
    expect(problems(output, pool.startsWith('vm') ? 'vitest-vm' : 'vitest', fixtureNames(dir))).toEqual([]);
  }, 120_000);
}

test('LEAKHOUND_DETECT_FAIL=run: leaky files pass, the reporter prints every report and fails the run', async () => {
  const { status, output } = await runVitest('forks', { LEAKHOUND_DETECT_FAIL: 'run', DETECT_REPORTER: '1' });
  expect(status, output).toBe(1);
  expect(problems(output, 'vitest', fixtureNames(dir))).toEqual([]);
  // Only the failing assertion fails a file; the leaks fail the run.
  expect(output).toMatch(/Test Files\s+1 failed \| \d+ passed/);
  expect(output).toMatch(/leakhound: 5 test files leaked/);
}, 120_000);
