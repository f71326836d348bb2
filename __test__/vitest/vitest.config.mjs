import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.mjs'],
    pool: 'forks',
    // assertNoLeak takes heap snapshots of the test process: seconds each.
    testTimeout: 60_000,
  },
});
