'use strict';
// leakhound's public API. The analysis core is Rust (./lib/native.js); this layer only reaches
// the V8 features that JavaScript alone can use and converts between the two.
const { gc } = require('./lib/gc');
const { settle } = require('./lib/settle');
const { Tracker } = require('./lib/tracker');
const { LeakError } = require('./lib/errors');
const collected = require('./lib/expect');
const { assertNoLeak } = require('./lib/assert-no-leak');
const { Sampler } = require('./lib/sampler');
const { AllocationSampler } = require('./lib/allocation-sampler');
const { trimNativeHeap } = require('./lib/native-memory');
const { monitor, Monitor } = require('./lib/monitor');
const { writeHeapSnapshot, SnapshotWriteError } = require('./lib/write-snapshot');
const { registerPromClient, registerOpenTelemetry } = require('./lib/metrics');
const { renderHtmlReport, htmlReport } = require('./lib/report');
const { HeapSnapshot, SnapshotError, loadSnapshot, captureSnapshot, diffSnapshots, findLeaks } = require('./lib/snapshot');

/** The default tracker, used by track() and expectCollected() without a tracker. */
const tracker = new Tracker({ name: 'default' });

const track = (target, label, group) => tracker.track(target, label, group);
const expectCollected = (what, opts) => collected.expectCollected(what, opts, tracker);

module.exports = {
  gc,
  settle,
  Tracker,
  tracker,
  track,
  expectCollected,
  assertNoLeak,
  LeakError,
  loadSnapshot,
  captureSnapshot,
  diffSnapshots,
  findLeaks,
  htmlReport,
  renderHtmlReport,
  HeapSnapshot,
  SnapshotError,
  Sampler,
  AllocationSampler,
  trimNativeHeap,
  monitor,
  Monitor,
  writeHeapSnapshot,
  SnapshotWriteError,
  registerPromClient,
  registerOpenTelemetry,
};
