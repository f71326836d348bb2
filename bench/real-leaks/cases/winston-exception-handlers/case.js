'use strict';
// A winston 3 logger with a transport that has `handleExceptions: true` registers its
// ExceptionHandler on the process: process.on('uncaughtException', handler._uncaughtException
// bound to the handler). Up to 3.3.3, logger.close() never took that listener off again, so each
// logger created and closed (per request, per job, per test) stays reachable from the process's
// listener list, with its ExceptionHandler, its transports and their streams. 3.4.0 calls
// exceptions.unhandle() and rejections.unhandle() in close() (and when configure() replaces them).
const { Writable } = require('node:stream');

module.exports = {
  package: 'winston',
  leaky: '3.3.3',
  fixed: '3.4.0',
  source: 'https://github.com/winstonjs/winston/pull/1824',
  shape: 'listeners on process: a bound method that holds the closed logger',
  expect: {
    // What the program created and closed: the logger (createLogger's class DerivedLogger).
    group: '^DerivedLogger$',
    // process._events.uncaughtException[i] -> (bound) ExceptionHandler -> logger
    edges: ['_events', 'uncaughtException', 'logger'],
  },

  async start(winston) {
    // The leaky version piles up 'uncaughtException' listeners; past 10, the process prints a
    // MaxListenersExceededWarning, whose first print initialises console state mid-run. Lift the
    // limit for the run so that only the leak itself is measured; close() puts it back.
    const maxListeners = process.getMaxListeners();
    process.setMaxListeners(0);
    // A sink that keeps nothing: what a log line costs is not the point.
    const sink = () => new Writable({ write(chunk, encoding, callback) { callback(); } });
    return {
      async iteration(i) {
        const logger = winston.createLogger({
          transports: [new winston.transports.Stream({ stream: sink(), handleExceptions: true })],
        });
        logger.info('job done', { job: i });
        await new Promise((resolve) => setImmediate(resolve));
        logger.close();
      },
      async close() {
        process.setMaxListeners(maxListeners);
      },
    };
  },
};
