// Runs under Vitest: the toBeCollected matcher from leakhound/vitest.
import { test, expect } from 'vitest';
import '../../adapters/vitest.mjs';
import { Tracker } from '../../index.mjs';

const listeners = [];

function subscribe(tracker, n, leak) {
  const handler = { n, onEvent() {} };
  if (leak) listeners.push(handler);
  return tracker.track(handler, `handler ${n}`);
}

test('dropped handlers are collected', async () => {
  const tracker = new Tracker({ name: 'vitest-clean' });
  const ids = [];
  for (let i = 0; i < 100; i++) ids.push(subscribe(tracker, i, false));
  await expect(tracker).toBeCollected();
  await expect(ids).toBeCollected({ tracker });
});

test('a handler left in a listener list fails with its label', async () => {
  const tracker = new Tracker({ name: 'vitest-leaky' });
  subscribe(tracker, 3, true);
  await expect(tracker).not.toBeCollected();
  await expect(expect(tracker).toBeCollected()).rejects.toThrow(/handler 3/);
  listeners.length = 0;
  await expect(tracker).toBeCollected();
});
