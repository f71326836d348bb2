'use strict';
// What a test file can leave attached to the process, where it outlives the file: listeners on
// `process` and its standard streams, new properties of the global object, intervals never cleared, servers never closed,
// running child processes and file watchers. A baseline is taken when the file starts; whatever
// is new and still attached when it ends is a candidate leak, named by where it hangs.
const { IntervalWatch } = require('./intervals');
const { ServerWatch } = require('./servers');

// The process-wide emitters a file can hang listeners on: `process` and its standard streams
// (a runner's vm realm may give the file its own `process`, but the streams are the real ones).
const EMITTERS = [
  ['process', () => process],
  ['process.stdout', () => process.stdout],
  ['process.stderr', () => process.stderr],
];

// What `readable.pipe(stream)` hangs on the stream (a reporter piped into stdout, say): Node's
// own handlers, gone when the pipe ends; not something a file left behind.
const PIPE_HANDLERS = new Set(['onunpipe', 'ondrain', 'onerror', 'onclose', 'onfinish']);
const isPipeHandler = (fn) => PIPE_HANDLERS.has(fn.name) || PIPE_HANDLERS.has(fn.listener?.name);

function listenerSets() {
  const sets = new Map();
  for (const [name, get] of EMITTERS) {
    const emitter = get();
    for (const event of emitter.eventNames()) sets.set(`${name} ${String(event)}`, new Set(emitter.rawListeners(event)));
  }
  return sets;
}

// Handles found among the active ones (servers have their own watch). Client sockets are left
// out: they belong to a connection pool (an Agent), whose idle timeout closes them.
function handleKind(h) {
  const name = h?.constructor?.name;
  if (name === 'ChildProcess') return h.exitCode === null && h.signalCode === null ? 'running child process' : null;
  if (name === 'FSWatcher' || name === 'StatWatcher') return 'open file watcher';
  return null;
}

function otherHandles() {
  // Long-standing though undocumented; skipped where it is gone.
  const list = typeof process._getActiveHandles === 'function' ? process._getActiveHandles() : [];
  return list.filter((h) => handleKind(h) !== null);
}

function keyText(key) {
  return typeof key === 'symbol' ? `[${key.toString()}]` : key;
}

function serverText(server) {
  const a = server.address();
  const where = a === null ? '' : typeof a === 'string' ? ` on ${a}` : ` on ${a.address}:${a.port}`;
  return `server never closed (${server.constructor.name}${where})`;
}

// The function a root holds, where there is one: the path then ends at a source location.
function handlerOf(server) {
  return server.listeners('request')[0] ?? server.listeners('connection')[0] ?? server;
}

class OutwardRoots {
  #global;
  #listeners;
  #globals;
  #handles;
  #intervals;
  #servers;

  /**
   * The baseline: what is attached now. `global` is the global object whose new properties
   * outlive the file (null for none: a file in a vm realm cannot reach the process's own);
   * `timerGlobals`, those test code calls setInterval through.
   */
  constructor({ global = globalThis, timerGlobals = [global] } = {}) {
    this.#global = global;
    this.#listeners = listenerSets();
    this.#globals = new Set(global === null ? [] : Reflect.ownKeys(global));
    this.#handles = new Set(otherHandles());
    this.#intervals = new IntervalWatch(timerGlobals.filter((g) => g !== null));
    this.#servers = new ServerWatch();
  }

  /**
   * What was attached since the baseline and still is: [{ kind, what, value, key? }], where
   * `value` is the object that hangs there (a listener, a property's value, a callback).
   */
  leftovers() {
    const out = [];
    for (const [name, get] of EMITTERS) {
      const emitter = get();
      for (const event of emitter.eventNames()) {
        const before = this.#listeners.get(`${name} ${String(event)}`);
        for (const fn of emitter.rawListeners(event)) {
          if (before?.has(fn) || (emitter !== process && isPipeHandler(fn))) continue;
          out.push({ kind: 'listener', what: `${name} listener for '${String(event)}'`, value: fn });
        }
      }
    }
    for (const key of this.#global === null ? [] : Reflect.ownKeys(this.#global)) {
      if (this.#globals.has(key)) continue;
      const d = Object.getOwnPropertyDescriptor(this.#global, key);
      // Accessors are not called (a getter could run test code); primitives hold no graph.
      const value = d && 'value' in d ? d.value : undefined;
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
        out.push({ kind: 'global', what: `global property ${keyText(key)}`, value, key });
      }
    }
    for (const timer of this.#intervals.active()) {
      const callback = typeof timer._onTimeout === 'function' ? timer._onTimeout : timer;
      out.push({ kind: 'interval', what: `interval every ${timer._repeat} ms never cleared`, value: callback });
    }
    for (const server of this.#servers.listening()) {
      out.push({ kind: 'server', what: serverText(server), value: handlerOf(server) });
    }
    for (const h of otherHandles()) {
      if (!this.#handles.has(h)) out.push({ kind: 'handle', what: handleKind(h), value: h });
    }
    return out;
  }

  /** Stops watching and drops the baseline. */
  stop() {
    this.#intervals.stop();
    this.#servers.stop();
    this.#listeners.clear();
    this.#globals.clear();
    this.#handles.clear();
  }
}

module.exports = { OutwardRoots };
