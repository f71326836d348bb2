'use strict';
// Holders that keep a finished test file's objects alive for a while, on purpose and boundedly.
// Each is recognised by where it sits on the retainer path (an exact edge from a known owner),
// never by the class of what it holds: a real leak through another path is still found, because
// the check then looks for a path that avoids the holder.
//
// Each rule: `holder(steps)` returns the index of the step that is the harmless holder, or -1.
// The version number in the key changes with undici's major (1 in Node 20 and 22, 2 in 24).
const DISPATCHER_KEY = /^undici\.globalDispatcher\.\d+$/;
const DISPATCHER_EDGE = /^<symbol undici\.globalDispatcher\.\d+>$/;

const HARMLESS = [
  {
    name: 'undici-global-dispatcher',
    // The same holder seen from the process: the new global property itself.
    leftover: (l) => l.kind === 'global' && typeof l.key === 'symbol' && Symbol.keyFor(l.key) !== undefined && DISPATCHER_KEY.test(Symbol.keyFor(l.key)),
    why:
      "fetch() (Node's built-in undici) keeps one connection pool for the process on the global object, " +
      "under Symbol.for('undici.globalDispatcher.<major>'). Its keep-alive connections hold the last requests " +
      'for a few seconds after the response, then close.',
    holder: (steps) => steps.findIndex((s, i) => i > 0 && DISPATCHER_EDGE.test(s.edge) && isGlobalObject(steps[i - 1])),
  },
  {
    name: 'async-resource-store',
    why:
      'A Node resource (a timer, the DNS resolver channel) keeps the AsyncLocalStorage store that was ' +
      "current when it was made. A runner's store describes the running test and so holds the file; a " +
      'resource made once per process keeps that one file, which does not grow with the files. A leaked ' +
      'resource is still found through its own callback.',
    holder: (steps) => steps.findIndex((s, i) => i > 0 && s.edge === '<symbol kResourceStore>'),
  },
];

// The global object as a snapshot names it: "global", "global (global*)" (Node 26), "Window".
function isGlobalObject(step) {
  return step.type === 'object' && (/^(global|Window)\b/.test(step.name) || step.className === 'global');
}

/** The harmless rule a leftover on the process's roots is, or null: no snapshot needed. */
function harmlessLeftover(leftover) {
  return HARMLESS.find((rule) => rule.leftover?.(leftover)) ?? null;
}

/** The first harmless rule the path runs through, as { rule, holderId }, or null. */
function harmlessHolder(steps) {
  for (const rule of HARMLESS) {
    const i = rule.holder(steps);
    if (i >= 0) return { rule, holderId: steps[i].id };
  }
  return null;
}

module.exports = { HARMLESS, harmlessHolder, harmlessLeftover };
