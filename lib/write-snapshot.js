'use strict';
// Writing a heap snapshot inside a running server, safely: refuse when memory or disk is too
// short to finish, create the file private (0600) from the first byte, and publish it under its
// final name only once it is complete. A writer killed mid-write (a snapshot is written
// synchronously, so no signal handler can run meanwhile) leaves its temporary file: the name
// carries the writer's pid, and later writes and disk budgets remove those of dead writers.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { threadId } = require('node:worker_threads');
const v = require('./validate');
const { SnapshotWriteError } = require('./errors');
const { bytes: fmt } = require('./format');

/** Snapshot files are this many times the used heap, until one has been measured. */
const DEFAULT_FILE_RATIO = 2;
let measuredRatio = null;
let sequence = 0;
let tempSequence = 0;
/** When this process started, to tell its temporary files from an earlier holder of its pid. */
const STARTED = Date.now() - Math.ceil(process.uptime() * 1000);

// Temporary files: `.lh-<pid>-<thread>-<n>-<time>.tmp`, short so that any valid final name fits;
// and the older `.<name>.heapsnapshot.<pid>.<time>.tmp`.
const TEMP_NAME = /^\.lh-(\d+)-\d+-\d+-([0-9a-z]+)\.tmp$|^\..+\.heapsnapshot\.(\d+)\.([0-9a-z]+)\.tmp$/;


function stamp(date) {
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Memory the process can still take: the smaller of free system memory and its cgroup room. */
function availableMemory() {
  let avail = os.freemem();
  const limit = process.constrainedMemory?.();
  if (limit && limit < Number.MAX_SAFE_INTEGER) avail = Math.min(avail, limit - process.memoryUsage.rss());
  return Math.max(0, avail);
}

/** Estimated size of a snapshot of the current heap. */
function estimateSnapshotBytes(heapUsed = process.memoryUsage().heapUsed) {
  return Math.ceil(heapUsed * (measuredRatio ?? DEFAULT_FILE_RATIO));
}

function checkDirectory(where, dir) {
  let st;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    throw new SnapshotWriteError(`${where}: snapshot directory ${dir} does not exist (${err.code})`, err.code, { dir });
  }
  if (!st.isDirectory()) throw new SnapshotWriteError(`${where}: ${dir} is not a directory`, 'ENOTDIR', { dir });
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new SnapshotWriteError(`${where}: snapshot directory ${dir} is not writable (${err.code})`, err.code, { dir });
  }
}

function tempName() {
  return `.lh-${process.pid}-${threadId}-${++tempSequence}-${Date.now().toString(36)}.tmp`;
}

/** Whether the writer of a temporary file may still be writing it. */
function writerAlive(pid, time) {
  // Ours, unless written before this process started (by an earlier process with this pid).
  if (pid === process.pid) return time >= STARTED - 1000;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's.
    return err.code !== 'ESRCH';
  }
}

/**
 * Bytes of snapshots in `dir`, counting those still being written; temporary files of dead
 * writers are removed on the way. Throws what reading the directory throws.
 */
function snapshotDirectoryBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(dir, entry.name);
    const temp = TEMP_NAME.exec(entry.name);
    if (temp !== null && !writerAlive(Number(temp[1] ?? temp[3]), parseInt(temp[2] ?? temp[4], 36))) {
      fs.rmSync(file, { force: true });
    } else if (temp !== null || entry.name.endsWith('.heapsnapshot')) {
      try {
        total += fs.statSync(file).size;
      } catch {
        // Published or removed meanwhile: it no longer counts.
      }
    }
  }
  return total;
}

/** Checks that there is memory and disk to write a snapshot of `heapUsed`; throws why not. */
function checkRoom(where, dir, { headroomFactor, heapUsed }) {
  const needMemory = heapUsed * headroomFactor;
  const memory = availableMemory();
  if (memory < needMemory) {
    throw new SnapshotWriteError(
      `${where}: refused, not enough memory headroom to write a snapshot safely: ` +
        `${fmt(memory)} available, ${fmt(needMemory)} needed (${headroomFactor}× the ${fmt(heapUsed)} heap in use)`,
      'ERR_LEAKHOUND_HEADROOM',
      { available: memory, needed: needMemory },
    );
  }
  const needDisk = estimateSnapshotBytes(heapUsed);
  const fsStats = fs.statfsSync(dir);
  const disk = fsStats.bavail * fsStats.bsize;
  if (disk < needDisk) {
    throw new SnapshotWriteError(
      `${where}: refused, ${dir} has ${fmt(disk)} free and a snapshot of this heap takes about ${fmt(needDisk)}`,
      'ERR_LEAKHOUND_DISK',
      { available: disk, needed: needDisk },
    );
  }
}

/**
 * Writes a heap snapshot and returns `{ path, bytes }`. Options as writeHeapSnapshot's.
 */
function writeSnapshotFile(opts) {
  const where = 'writeHeapSnapshot';
  const o = v.options(where, opts);
  const dir = path.resolve(v.optionalString(where, 'dir', o.dir) ?? process.cwd());
  const headroomFactor = v.number(where, 'headroomFactor', o.headroomFactor, 0, 1e6, 1);
  let filename = v.optionalString(where, 'filename', o.filename);
  if (filename === undefined) filename = `leakhound-${stamp(new Date())}-${process.pid}-${++sequence}.heapsnapshot`;
  if (filename === '' || filename !== path.basename(filename) || filename.startsWith('.') || filename.includes('\0')) {
    throw new TypeError(`${where}: filename must be a plain file name without a directory, got ${v.describe(filename)}`);
  }
  checkDirectory(where, dir);
  const target = path.join(dir, filename);
  if (fs.existsSync(target)) throw new SnapshotWriteError(`${where}: ${target} already exists`, 'EEXIST', { path: target });
  try {
    // Before measuring free space: what dead writers left is space this write can use.
    snapshotDirectoryBytes(dir);
  } catch {
    // Best effort: the write below reports any real problem with the directory.
  }
  const heapUsed = process.memoryUsage().heapUsed;
  checkRoom(where, dir, { headroomFactor, heapUsed });

  const temp = path.join(dir, tempName());
  const failed = (err) =>
    new SnapshotWriteError(`${where}: writing ${target} failed: ${err.message}`, err.code ?? 'ERR_LEAKHOUND_WRITE', { path: target, cause: err });
  try {
    // Created 0600 before V8 opens it: V8 truncates an existing file and keeps its mode.
    fs.closeSync(fs.openSync(temp, 'wx', 0o600));
  } catch (err) {
    throw failed(err);
  }
  try {
    v8.writeHeapSnapshot(temp);
    // link() refuses to replace an existing file, atomically; the temp name then goes away.
    fs.linkSync(temp, target);
  } catch (err) {
    // After a write error (ENOSPC, EFBIG) V8 keeps its file open, so unlinking alone would not
    // give the disk space back: emptied first, the file holds nothing.
    try {
      fs.truncateSync(temp, 0);
    } catch {
      // Gone already: nothing is held.
    }
    throw failed(err);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  const size = fs.statSync(target).size;
  if (heapUsed > 0) measuredRatio = size / heapUsed;
  return { path: target, bytes: size };
}

/**
 * Writes a heap snapshot and returns its path. Options: `dir` (default: the working directory),
 * `filename` (default: leakhound-<date>-<time>-<pid>-<n>.heapsnapshot), `headroomFactor`
 * (free memory needed, as a multiple of the heap in use; default 1).
 */
function writeHeapSnapshot(opts) {
  return writeSnapshotFile(opts).path;
}

module.exports = {
  writeHeapSnapshot,
  writeSnapshotFile,
  SnapshotWriteError,
  estimateSnapshotBytes,
  checkDirectory,
  snapshotDirectoryBytes,
};
