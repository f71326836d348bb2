'use strict';
// Whether the code calling a wrapped function is the program's own, not Node's internals (an
// HTTP server starts its own interval, which belongs to the server, not to the test file).
function calledFromUserCode(wrapper) {
  const holder = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, wrapper);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const frame = String(holder.stack).split('\n')[1] ?? '';
  return !/\(node:|^\s*at node:/.test(frame);
}

module.exports = { calledFromUserCode };
