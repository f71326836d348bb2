'use strict';
// graphql-subscriptions 1.0 subscribes to the PubSub as soon as pubsub.asyncIterator() returns:
// its event-emitter iterator adds its `pushValue` listener to the PubSub's EventEmitter at once,
// and only return() or throw() on that iterator removes it. A consumer that never starts
// iterating never calls either: a subscription resolver written as an async generator that
// yields a first value before its `for await`, and whose client leaves after that first value,
// finishes without ever touching the iterator. Each such subscription leaves its listener (a
// closure over the iterator's queues) on the emitter for good. 1.1.0 (PubSubAsyncIterator)
// subscribes on the first next() only.
const { EventEmitter } = require('node:events');

module.exports = {
  package: 'graphql-subscriptions',
  leaky: '1.0.0',
  fixed: '1.1.0',
  source: 'https://github.com/apollographql/graphql-subscriptions/pull/148',
  shape: 'listeners: a closure left on the PubSub EventEmitter',
  expect: {
    // The listener closure created by the iterator.
    group: '^pushValue$',
    // pubsub.ee._events.USERS_CHANGED[i]
    edges: ['ee', '_events', 'USERS_CHANGED'],
  },

  async start(mod) {
    // An emitter without the 10-listener warning: its first print would initialise console state
    // mid-run, which is not the leak being measured.
    const eventEmitter = new EventEmitter();
    eventEmitter.setMaxListeners(0);
    const pubsub = new mod.PubSub({ eventEmitter });
    let online = 0;
    // A subscription resolver: the current count first, then every change.
    async function* usersOnline() {
      const changes = pubsub.asyncIterator('USERS_CHANGED');
      yield online;
      for await (const change of changes) yield change.online;
    }
    return {
      async iteration() {
        online++;
        const subscription = usersOnline();
        await subscription.next(); // the client gets the first value…
        await subscription.return(); // …and unsubscribes.
      },
      async close() {},
    };
  },
};
