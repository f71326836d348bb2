// A Jest user of 'leakhound/jest' (CommonJS, as the package exports it): `toBeCollected` on
// `expect` from @jest/globals, and on the global `jest.Matchers` of @types/jest. Type-checked only.
import { describe, expect, test } from '@jest/globals';
import adapter = require('leakhound/jest');
import { Tracker, track } from 'leakhound';
import type { Survivor } from 'leakhound';
import { assertType, type Equal, type IsAny } from './check.cjs';

assertType<Equal<IsAny<typeof adapter.matchers>, false>>();
expect.extend(adapter.matchers);

describe('request handling', () => {
  test('dropped requests are collected', async () => {
    const tracker = new Tracker({ name: 'requests', explain: true });
    tracker.track({ body: 'x'.repeat(100) }, 'request');
    await expect(tracker).toBeCollected();
    await expect(tracker).toBeCollected({ maxRounds: 3, explain: true });
    const ids = [1, 2, 3].map((n) => track({ n }, 'default'));
    await expect(ids).toBeCollected();
    await expect(ids[0]).not.toBeCollected({ tracker });

    // @ts-expect-error: misspelled option
    await expect(tracker).toBeCollected({ maxRound: 3 });
    // @ts-expect-error: tracker is a Tracker
    await expect(ids).toBeCollected({ tracker: 'requests' });
  });
});

export async function callMatcherDirectly(tracker: Tracker): Promise<Survivor[] | undefined> {
  const result = await adapter.matchers.toBeCollected(tracker, { maxRounds: 2 });
  const pass: boolean = result.pass;
  const message: string = result.message();
  console.log(pass, message);
  return result.survivors;
}

// With @types/jest, `expect(…)` returns jest.Matchers<void>.
declare const viaTypesJest: jest.Matchers<void>;
assertType<Equal<ReturnType<typeof viaTypesJest.toBeCollected>, Promise<void>>>();
