// The committed lock is complete: in a fresh clone of this checkout's HEAD, `npm ci` accepts it
// and `npm install` (the README's command) leaves the tree exactly as committed. The packages
// come from npm's cache where the suite's own install put them; install scripts (the Rust
// build) are skipped, since only the lock is in question.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

const git = (cwd, ...args) => spawnSync('git', args, { cwd, encoding: 'utf8' });
const npm = (cwd, ...args) => spawnSync('npm', [...args, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd, encoding: 'utf8', timeout: 600_000 });
const skip =
  git(root, 'rev-parse', '--is-inside-work-tree').stdout.trim() !== 'true'
    ? 'not a git checkout'
    : spawnSync('npm', ['--version']).status !== 0 && 'npm is not on PATH';

test('a fresh clone: npm ci accepts the lock, and npm install leaves the tree as committed', { skip, timeout: 600_000 }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-install-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clone = path.join(dir, 'leakhound');
  const cloned = git(dir, 'clone', '--quiet', '--no-hardlinks', root, clone);
  assert.equal(cloned.status, 0, cloned.stderr);
  const ci = npm(clone, 'ci');
  assert.equal(ci.status, 0, `npm ci refused the lock:\n${ci.stderr}`);
  fs.rmSync(path.join(clone, 'node_modules'), { recursive: true, force: true });
  const install = npm(clone, 'install');
  assert.equal(install.status, 0, install.stderr);
  assert.equal(git(clone, 'status', '--porcelain').stdout, '', 'npm install changed the committed tree');
});
