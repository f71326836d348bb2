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
    // Node 24 and later keep the stores in an AsyncContextFrame instead.
    holder: (steps) => steps.findIndex((s, i) => i > 0 && (s.edge === '<symbol kResourceStore>' || s.edge === '<symbol kAsyncContextFrame>')),
  },
  {
    name: 'jest-failure-details',
    why:
      "Jest's reporters keep a failing test's errors in its result (failureDetails) while they print it; " +
      "an error made by the file's own expect() holds the file's realm until then. Seen when Jest runs " +
      'the files in its own process (one file, or --runInBand).',
    holder: (steps) => steps.findIndex((s, i) => i > 0 && s.edge === 'failureDetails'),
  },
];

// The global object as a snapshot names it: "global", "global (global*)" (Node 26), "Window".
function isGlobalObject(step) {
  return step.type === 'object' && (/^(global|Window)\b/.test(step.name) || step.className === 'global');
}

// Not a holder: a realm that outlived the settle although no path to it is left once the realm
// rules set aside WeakMap entries, Node's vm-context wrapper and the engine's transient roots.
// Node 22 and 26 were seen keeping a finished Jest realm this way (through the wrapper in Node's
// base object list, and a WeakMap entry keyed by a core module); a snapshot cannot show a holder
// the file could remove, so the file is not failed.
const NO_PATH = {
  name: 'no-retaining-path',
  why:
    'The realm outlived the settle, but every path to it runs through a WeakMap entry, Node\'s vm-context ' +
    "wrapper or the engine's transient roots: nothing the test file holds.",
};

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

module.exports = { HARMLESS, NO_PATH, harmlessHolder, harmlessLeftover };
