#!/usr/bin/env node
'use strict';
// `leakhound <command>`: runs the native command-line tool (crates/cli), which npm install
// builds into bin/leakhound-native. This file only finds it and hands over arguments, standard
// streams, signals and the exit code.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const exe = path.join(__dirname, process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');

if (!fs.existsSync(exe)) {
  process.stderr.write(
    `leakhound: the command-line tool is not built for this install (${process.platform}-${process.arch}): ` +
      `${exe} is missing.\nIt is built from source by \`npm install\` (needs a Rust toolchain: https://rustup.rs); ` +
      'run `npm run build` in the leakhound package to build it.\n',
  );
  process.exit(1);
}

const r = spawnSync(exe, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
if (r.error) {
  process.stderr.write(`leakhound: cannot run ${exe}: ${r.error.message}\n`);
  process.exit(1);
}
// Killed by a signal: die of the same one, so the caller sees what happened.
if (r.signal) process.kill(process.pid, r.signal);
process.exit(r.status ?? 1);
