'use strict';
// expectCollected(): settle the heap, then fail with a LeakError if tracked objects survived.
const check = require('./validate');
const { Tracker, kNotIssued } = require('./tracker');
const { settleUntil, roundsOption } = require('./settle');
const { survivorsError } = require('./errors');
const { explainSurvivors } = require('./explain');

function isIdList(what) {
  return Array.isArray(what) && what.every((i) => Number.isInteger(i) && i > 0);
}

/**
 * `what`: a Tracker (all its objects), an id or an array of ids (on `opts.tracker`, default the
 * module's default tracker), or nothing (the default tracker).
 */
async function expectCollected(what, opts, defaultTracker) {
  const o = check.options('expectCollected()', opts);
  let tracker = o.tracker ?? defaultTracker;
  if (!(tracker instanceof Tracker)) {
    throw new TypeError(`expectCollected(): tracker must be a Tracker, got ${check.describe(tracker)}`);
  }
  let ids;
  if (what instanceof Tracker) tracker = what;
  else if (typeof what === 'number' && Number.isInteger(what) && what > 0) ids = [what];
  else if (isIdList(what)) ids = what;
  else if (what !== undefined) {
    throw new TypeError(`expectCollected(): expected a Tracker, an id or an array of ids, got ${check.describe(what)}`);
  }
  if (ids) {
    // An id this tracker cannot vouch for would otherwise read as collected.
    const unknown = tracker[kNotIssued](ids);
    if (unknown.length > 0) {
      const err = new Error(
        `expectCollected(): tracker "${tracker.name}" did not track id${unknown.length === 1 ? '' : 's'} ${unknown.slice(0, 10).join(', ')}` +
          `${unknown.length > 10 ? ', …' : ''} (an id of another tracker, untracked, cleared, or never issued); pass { tracker } for another tracker's ids`,
      );
      err.code = 'ERR_LEAKHOUND_UNKNOWN_ID';
      err.ids = unknown;
      throw err;
    }
  }
  const maxRounds = roundsOption('expectCollected()', { maxRounds: o.maxRounds });
  const explain = check.boolean('expectCollected()', 'explain', o.explain, tracker.explainable);
  if (explain && !tracker.explainable) {
    throw new TypeError('expectCollected(): explain needs a Tracker created with { explain: true }');
  }
  // Between rounds only a count is needed; labels and stacks are read once, at the end.
  const remaining = ids ? () => tracker.survivors({ ids }).length : () => tracker.alive;
  if (remaining() > 0) await settleUntil(() => remaining() === 0, maxRounds);
  const survivors = tracker.survivors(ids ? { ids } : undefined);
  if (survivors.length > 0) {
    throw survivorsError(explain ? await explainSurvivors(survivors) : survivors, tracker.name);
  }
}

module.exports = { expectCollected };
