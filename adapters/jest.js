'use strict';
// Jest: `require('leakhound/jest')` in a test or in setupFilesAfterEach registers
// `await expect(idsOrTracker).toBeCollected()`.
const matchers = require('./matchers');

if (typeof expect !== 'undefined' && typeof expect.extend === 'function') expect.extend(matchers);

module.exports = { matchers };
