'use strict';
// The `toBeCollected` matcher shared by the Jest and Vitest adapters (both use the same
// expect.extend protocol). It takes ids or a Tracker, never the object itself: holding the object
// in expect() would keep it alive.
const { expectCollected, LeakError } = require('..');

async function toBeCollected(received, opts) {
  try {
    await expectCollected(received, opts);
  } catch (err) {
    if (!(err instanceof LeakError)) throw err;
    return { pass: false, message: () => err.message, survivors: err.survivors };
  }
  return {
    pass: true,
    message: () => 'expected tracked objects to survive garbage collection, but all of them were collected',
  };
}

module.exports = { toBeCollected };
