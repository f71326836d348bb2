'use strict';
// Why is a tracked object still alive? Trackers created with { explain: true } mark each object
// as a WeakMap key whose value is a unique string; a snapshot of this process (streamed into the
// Rust core, no file) finds the marked objects and their retainer paths from a GC root.
const { captureSnapshot } = require('./snapshot');

const MARKER_PREFIX = 'leakhound-survivor';

// Array#join builds a flat string, which the snapshot names by its content (a `+` would build a
// concatenated string the snapshot does not name).
const markerFor = (id) => [MARKER_PREFIX, id].join(':');

/** Adds `retainers` (PathStep[], or null if the object was not found) to each survivor. */
async function explainSurvivors(survivors) {
  if (survivors.length === 0) return survivors;
  const snapshot = await captureSnapshot();
  const marked = new Map(snapshot.markedObjects(`${MARKER_PREFIX}:`).map((m) => [m.marker, m.id]));
  for (const s of survivors) {
    const nodeId = marked.get(markerFor(s.id));
    s.retainers = nodeId === undefined ? null : await snapshot.retainerPathAsync(nodeId);
  }
  return survivors;
}

module.exports = { markerFor, explainSurvivors };
