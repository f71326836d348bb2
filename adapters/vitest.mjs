// Vitest: `import 'leakhound/vitest'` in a test or a setup file registers
// `await expect(idsOrTracker).toBeCollected()`.
import { expect } from 'vitest';
import { createRequire } from 'node:module';

const matchers = createRequire(import.meta.url)('./matchers.js');
expect.extend(matchers);

export { matchers };
