// A request handler that leaks: every session subscribes to a long-lived event bus and never
// unsubscribes, so the bus keeps every session alive. leakhound tracks each session and, once
// the requests are done, proves which ones were never collected and where they were created.
//
//   node examples/tracked-leak.js
const { EventEmitter } = require('node:events');
const { Tracker, expectCollected, LeakError } = require('..');

const bus = new EventEmitter(); // lives as long as the process
bus.setMaxListeners(0);

const tracker = new Tracker({ name: 'sessions', captureStacks: true });

class Session {
  constructor(user) {
    this.user = user;
    this.buffer = Buffer.alloc(16 * 1024);
  }
}

function handleRequest(user, { unsubscribe }) {
  const session = new Session(user);
  const onConfigChange = () => session.buffer.fill(0);
  bus.on('config-change', onConfigChange); // the bug: this listener keeps `session` alive
  tracker.track(session, `session of ${user}`);
  // ... the request's work would happen here ...
  if (unsubscribe) bus.off('config-change', onConfigChange); // the fix
}

async function run(label, options) {
  tracker.clear();
  for (const user of ['ada', 'grace', 'linus']) handleRequest(user, options);
  try {
    await expectCollected(tracker);
    console.log(`${label}: every session was collected`);
    return true;
  } catch (err) {
    if (!(err instanceof LeakError)) throw err;
    console.log(`${label}: LEAK FOUND\n${err.message}`);
    return false;
  }
}

(async () => {
  const leakyClean = await run('leaky handler', { unsubscribe: false });
  bus.removeAllListeners();
  const fixedClean = await run('fixed handler', { unsubscribe: true });
  if (leakyClean || !fixedClean) {
    console.error('unexpected result: the leak should be found, and the fix should be clean');
    process.exitCode = 1;
  }
})();
