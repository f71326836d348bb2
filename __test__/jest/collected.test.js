// Runs under Jest: the toBeCollected matcher from leakhound/jest.
require('../../adapters/jest');
const { Tracker, track } = require('../..');

const cache = new Map();

function handleRequest(tracker, n, leak) {
  const request = { n, body: 'x'.repeat(100) };
  if (leak) cache.set(n, request);
  return tracker.track(request, `request ${n}`);
}

test('objects that are dropped are collected', async () => {
  const tracker = new Tracker({ name: 'jest-clean' });
  for (let i = 0; i < 100; i++) handleRequest(tracker, i, false);
  await expect(tracker).toBeCollected();
});

test('ids on the default tracker can be asserted too', async () => {
  const ids = [1, 2, 3].map((n) => (() => track({ n }, 'jest-default'))());
  await expect(ids).toBeCollected();
});

test('a leak fails the matcher with the survivor named in the message and the path that holds it', async () => {
  const tracker = new Tracker({ name: 'jest-leaky', captureStacks: true, explain: true });
  handleRequest(tracker, 7, true);
  await expect(tracker).not.toBeCollected();
  const failure = expect(tracker).toBeCollected();
  await expect(failure).rejects.toThrow(/1 tracked object was not collected \(tracker "jest-leaky"\)/);
  await expect(expect(tracker).toBeCollected()).rejects.toThrow(/request 7[\s\S]*collected\.test\.js:10:/);
  await expect(expect(tracker).toBeCollected()).rejects.toThrow(/retained by[\s\S]*--table \(internal\)-->[\s\S]*--> Object @\d+/);
  cache.clear();
  await expect(tracker).toBeCollected();
});
