'use strict';
// Relief for fragmentation: ask the C allocator to give freed memory back to the system.
const native = require('./native');

/**
 * Calls `malloc_trim(0)` where glibc is the allocator (jemalloc: purges every arena) and returns
 * the bytes the resident set dropped by; null where the allocator cannot trim (musl, macOS,
 * Windows, or not Linux).
 * It walks every arena under its lock: a pause of milliseconds on a large heap, so call it from
 * a maintenance path, not per request.
 */
function trimNativeHeap() {
  return native.trimNativeHeap();
}

module.exports = { trimNativeHeap };
