#!/usr/bin/env node
'use strict';
// Builds the native command-line tool (crates/cli) and puts it at
// bin/leakhound-native, where bin/leakhound finds it. Run by `npm install` / `npm run build`
// after the addon. The library works without it, so a failed build warns instead of failing
// the install; the `leakhound` command then says what is missing.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(__dirname, process.platform === 'win32' ? 'leakhound-native.exe' : 'leakhound-native');

const r = spawnSync('cargo', ['build', '--release', '-p', 'leakhound-cli', '--message-format=json-render-diagnostics'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 64 << 20,
});
// Cargo names the executable it built in its JSON messages (wherever the target dir is).
const built = r.status === 0
  ? String(r.stdout).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
    .find((m) => m.reason === 'compiler-artifact' && m.target?.name === 'leakhound' && m.executable)?.executable
  : undefined;
fs.rmSync(out, { force: true });
if (!built) {
  console.warn(`leakhound: the command-line tool was not built (cargo ${r.error ? r.error.message : `exit ${r.status}`}); the library works without it`);
} else {
  fs.copyFileSync(built, out);
  fs.chmodSync(out, 0o755);
}
