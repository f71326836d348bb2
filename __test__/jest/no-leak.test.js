// Runs under Jest: assertNoLeak inside Jest's module sandbox.
const { EventEmitter } = require('node:events');
const { assertNoLeak } = require('../..');

class Order {
  constructor(i) {
    this.i = i;
  }
}

test('clean code passes', async () => {
  const report = await assertNoLeak(() => new Order(1).i, { iterations: 10 });
  expect(report.leaks).toEqual([]);
});

test('a leak fails with the group, its count and its path', async () => {
  const feed = new EventEmitter();
  feed.setMaxListeners(0);
  const leaky = (i) => {
    const order = new Order(i);
    feed.on('price', function reprice() {
      return order.i;
    });
  };
  await expect(assertNoLeak(leaky, { iterations: 10 })).rejects.toThrow(/#1 10 × reprice\(\) closures holding Order \(via context\.order\) at [\s\S]*also retains: 10 × Order[\s\S]*_events/);
});
