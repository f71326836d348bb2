// node:test's leaking-file detection (`--import leakhound/node-test/detect`), run by the real
// runner on fixture files that contain no leakhound code, and FileLeakCheck itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, runNode } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { CLEAN, problems, fixtureNames, runRunner } = require('./fixtures/detect/expectations.cjs');
const { FileLeakCheck } = require('../lib/file-leaks/file-check.js');
const { HARMLESS, NO_PATH } = require('../lib/file-leaks/harmless.js');

const dir = path.join(root, '__test__', 'fixtures', 'detect', 'node-test');

const run = (args) => runRunner(args, { cwd: dir });

// Node 24 and later install the dispatcher under two keys (undici's majors 1 and 2).
function assertDispatcherOnly(harmless) {
  assert.ok(harmless.length >= 1, JSON.stringify(harmless));
  for (const h of harmless) {
    assert.equal(h.rule, 'undici-global-dispatcher');
    assert.match(h.what, /^global property \[Symbol\(undici\.globalDispatcher\.\d+\)\]$/);
  }
}

test('node --test --import leakhound/node-test/detect flags each leaky file with the path to its cause, and no clean one', async () => {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-detect-')), 'verdicts.jsonl');
  const { status, output } = await runRunner(['--test', '--import', 'leakhound/node-test/detect', '--test-reporter=spec'], {
    cwd: dir,
    env: { LEAKHOUND_DETECT_LOG: log },
  });
  assert.equal(status, 1, output);
  assert.deepEqual(problems(output, 'node-test', fixtureNames(dir)), []);
  // Clean files take no snapshot; fetch's dispatcher is recognised where it hangs.
  const verdicts = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(fs.statSync(log).mode & 0o777, 0o600);
  const byName = new Map(verdicts.map((v) => [path.basename(v.file).replace(/\.test\.[cm]?js$/, ''), v]));
  for (const name of CLEAN) {
    assert.equal(byName.get(name)?.snapshots, 0, `${name}: ${JSON.stringify(byName.get(name))}`);
    assert.deepEqual(byName.get(name).leaks, []);
  }
  assertDispatcherOnly(byName.get('clean-fetch').harmless);
  fs.rmSync(path.dirname(log), { recursive: true, force: true });
});

test('a file run directly with the hook preloaded is checked too', async () => {
  const { status, output } = await run(['--import', 'leakhound/node-test/detect', '--test-reporter=spec', 'leaky-interval.test.mjs']);
  assert.equal(status, 1, output);
  assert.match(output, /leaky-interval\.test\.mjs leaks: 1 thing outlived the file/);
  const clean = await run(['--import', 'leakhound/node-test/detect', 'clean-fetch.test.mjs']);
  assert.equal(clean.status, 0, clean.output);
});

test('FileLeakCheck: nothing left behind means no tracking and no snapshot; a leftover is found in one snapshot', async () => {
  const clean = new FileLeakCheck({ file: 'clean.js' });
  const onTerm = () => {};
  process.on('SIGTERM', onTerm);
  process.off('SIGTERM', onTerm);
  clearInterval(setInterval(() => {}, 1000));
  const quiet = await clean.finish();
  assert.deepEqual(quiet, { file: 'clean.js', leaks: [], harmless: [], snapshots: 0 });

  const leaky = new FileLeakCheck({ file: 'leaky.js' });
  const timer = setInterval(function keepPolling() {}, 60_000);
  timer.unref();
  globalThis.__detectTestCache = [1, 2, 3];
  try {
    const report = await leaky.finish();
    assert.equal(report.snapshots, 1);
    assert.deepEqual(report.leaks.map((l) => l.what).sort(), ['global property __detectTestCache', 'interval every 60000 ms never cleared']);
    const interval = report.leaks.find((l) => l.kind === 'interval');
    assert.equal(interval.retainers.at(-1).name, 'keepPolling');
  } finally {
    clearInterval(timer);
    delete globalThis.__detectTestCache;
  }
});

test("FileLeakCheck: fetch's global dispatcher is recognised by where it hangs, without a snapshot", async () => {
  // A fresh process: the dispatcher is installed on the first fetch, after the baseline.
  const script = `
    const { FileLeakCheck } = require('./lib/file-leaks/file-check.js');
    const { createServer } = require('node:http');
    (async () => {
      const server = createServer((req, res) => res.end('ok'));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const check = new FileLeakCheck({ file: 'fetch.js' });
      const text = await (await fetch('http://127.0.0.1:' + server.address().port + '/')).text();
      const report = await check.finish();
      server.closeAllConnections();
      server.close();
      console.log(JSON.stringify({ text, report }));
    })();`;
  const r = runNode(script);
  assert.equal(r.status, 0, r.stderr);
  const { text, report } = JSON.parse(r.stdout);
  assert.equal(text, 'ok');
  assert.deepEqual(report.leaks, []);
  assert.equal(report.snapshots, 0);
  assertDispatcherOnly(report.harmless);
});

// Jest runs only under Node 20 in the Jest suite; this runs it under every Node the node:test
// suites run on, where realms are let go differently (Node 22 and later were seen keeping a
// failing file's realm through Jest's reporter, or only through snapshot artefacts).
test('Jest with leakhound/jest/environment and --detectLeaks, under this Node: a failing file, fetch and hooks are not leaks', async () => {
  const jestDir = path.join(root, '__test__', 'fixtures', 'detect', 'jest');
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-detect-')), 'verdicts.jsonl');
  const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const { output } = await runRunner([jest, '--config', 'jest.config.js', '--detectLeaks', 'clean-failing', 'clean-fetch', 'clean-esm'], {
    cwd: jestDir,
    env: { LEAKHOUND_DETECT_LOG: log },
  });
  assert.doesNotMatch(output, /Your test suite is leaking memory/);
  assert.match(output, /fails on purpose/);
  const realms = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((v) => v.realm);
  assert.deepEqual(realms.map((v) => path.basename(v.file)).sort(), ['clean-esm.test.js', 'clean-failing.test.js', 'clean-fetch.test.js']);
  const documented = new Set([...HARMLESS.map((r) => r.name), NO_PATH.name]);
  for (const v of realms) {
    assert.deepEqual(v.leaks, [], JSON.stringify(v));
    for (const h of v.harmless) assert.ok(documented.has(h.rule), JSON.stringify(v));
  }
  fs.rmSync(path.dirname(log), { recursive: true, force: true });
});
