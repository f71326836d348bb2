'use strict';
// Jest: `require('leakhound/jest')` in a test or in setupFilesAfterEnv registers
// `await expect(idsOrTracker).toBeCollected()`. Jest gives a test no AbortSignal, so a test that
// times out cannot stop an assertNoLeak it started: give assertNoLeak a `timeoutMs` below the
// test's timeout, and it stops (allocation tracking too) on its own.
const matchers = require('./matchers');

if (typeof expect !== 'undefined' && typeof expect.extend === 'function') expect.extend(matchers);

module.exports = { matchers };
