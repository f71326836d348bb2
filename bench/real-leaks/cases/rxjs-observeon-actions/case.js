'use strict';
// rxjs 7.0 to 7.3.0: observeOn(scheduler) hands each value to the scheduler with
// subscriber.add(scheduler.schedule(() => subscriber.next(value))). The scheduled action is
// added to the downstream subscriber's teardowns, and nothing removes it once it has run, so a
// long-lived subscription keeps every action it ever scheduled, each holding its work closure and
// the value it delivered. 7.3.1 schedules through executeSchedule(), whose action unsubscribes
// itself (and so leaves its parent's teardowns) after running.
class Message {
  constructor(id) {
    this.id = id;
    this.body = `message ${id}`;
  }
}

module.exports = {
  package: 'rxjs',
  leaky: '7.3.0',
  fixed: '7.3.1',
  source: 'https://github.com/ReactiveX/rxjs/pull/6562',
  shape: 'scheduled actions (timers) kept by a long-lived subscription, closures over each value',
  expect: {
    // The action the async scheduler created for one value (it holds the value through its work).
    group: '^AsyncAction$',
    // The downstream Subscriber's _teardowns[i] (reached through the Subject's observers or
    // through the Subscription the program keeps to unsubscribe later, either is right).
    edges: ['_teardowns'],
  },

  async start(rxjs) {
    const subject = new rxjs.Subject();
    let delivered = null;
    const subscription = subject.pipe(rxjs.observeOn(rxjs.asyncScheduler)).subscribe((message) => {
      const resolve = delivered;
      delivered = null;
      resolve(message);
    });
    return {
      async iteration(i) {
        const arrived = new Promise((resolve) => (delivered = resolve));
        subject.next(new Message(i));
        await arrived;
      },
      async close() {
        subscription.unsubscribe();
      },
    };
  },
};
