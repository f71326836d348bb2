// The HTML report, on snapshots a real process writes: what the file contains, the CLI that
// writes it, and how it renders in a real browser (headless Chromium through playwright-core).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const lh = require('../index.js');

const CLASSES = 10_000;
const HTML_EDGE = '</script><b id="pwn">html in a property name</b>';
const fixture = path.join(root, '__test__', 'fixtures', 'report-workload.js');
const cli = path.join(root, 'bin', 'leakhound.js');
const count = (n) => n.toLocaleString('en-US');

let dir;
let files;
let report;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-report-'));
  const r = spawnSync(process.execPath, [fixture, dir, String(CLASSES)], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  files = Object.fromEntries(['baseline', 'target', 'final'].map((k) => [k, path.join(dir, `${k}.heapsnapshot`)]));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const reportFile = () => path.join(dir, 'report.html');

test('the CLI writes one self-contained report of every leak group', async () => {
  const r = spawnSync(
    process.execPath,
    [cli, 'report', files.baseline, files.target, files.final, '--html', reportFile(), '--timeline', path.join(dir, 'samples.json'), '--title', 'Workload <10k classes>', '--json'],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  report = await lh.findLeaks(files, { classDiff: true });
  assert.equal(out.leakGroups, report.leaks.length);
  assert.equal(out.leakedObjects, report.leakedObjects);
  // One group per leaked class: every Leaked<i> once, with its one object.
  const leakedClasses = report.leaks.filter((g) => /^Leaked\d+$/.test(g.name));
  assert.equal(leakedClasses.length, CLASSES);
  assert.ok(leakedClasses.every((g) => g.count === 1));
  assert.ok(report.heapSize > 0 && report.classDiff.length > CLASSES);

  const html = fs.readFileSync(reportFile(), 'utf8');
  assert.equal(out.bytes, Buffer.byteLength(html));
  assert.match(html, /<title>Workload &#60;10k classes&#62;<\/title>/);
  // Nothing is fetched: no external resource, and a policy that forbids any.
  assert.doesNotMatch(html, /\b(src|href)\s*=/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none';/);
  // Snapshot strings cannot end the data element early: the only </script> are the page's own.
  assert.equal(html.split('</script>').length - 1, 2);
  assert.ok(html.includes(JSON.stringify(HTML_EDGE).replace(/</g, '\\u003c')));
  // The timeline from the saved samples, with the major GCs the workload forced.
  assert.match(html, /<svg [^>]*data-samples="\d+"/);
  assert.ok((html.match(/class="gc"/g) ?? []).length >= 3);
});

test('report errors name the problem', () => {
  const run = (...args) => spawnSync(process.execPath, [cli, 'report', ...args], { encoding: 'utf8' });
  let r = run(files.baseline, files.target, files.final);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /report needs --html <file>/);
  r = run(files.baseline, files.target);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /three snapshot files/);
  const top = run(files.baseline, files.target, files.final, '--html', path.join(dir, 'top.html'), '--top', '5', '--json');
  assert.equal(top.status, 0, top.stderr);
  assert.equal(JSON.parse(top.stdout).leakGroups, 5);
  const bad = path.join(dir, 'bad-samples.json');
  fs.writeFileSync(bad, JSON.stringify([{ timestamp: 1, heapUsed: -5 }]));
  r = run(files.baseline, files.target, files.final, '--html', path.join(dir, 'x.html'), '--timeline', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the timeline .*bad-samples\.json: samples\[0\]: field `heapUsed`/);
  assert.equal(fs.existsSync(path.join(dir, 'x.html')), false);
  assert.throws(() => lh.renderHtmlReport({ leaks: 'none' }), /expected a leak report/);
  assert.throws(() => lh.renderHtmlReport({ leaks: [] }, { samples: 'lots' }), /samples must be an array/);
  assert.throws(() => lh.renderHtmlReport({ leaks: [] }, { sampler: {} }), /sampler must be a Sampler/);
  assert.throws(() => lh.renderHtmlReport({ leaks: [] }, { files: { final: 7 } }), /files must be \{ baseline, target, final \} file paths/);
});

test('an in-process report (assertNoLeak) renders the same way', () => {
  const out = path.join(dir, 'in-process.html');
  const fixtureScript = path.join(root, '__test__', 'fixtures', 'in-process-report.js');
  const r = spawnSync(process.execPath, ['--jitless', fixtureScript, out], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const html = fs.readFileSync(out, 'utf8');
  const data = JSON.parse(html.match(/<script id="leakhound-data" type="application\/json">(.*?)<\/script>/s)[1]);
  assert.equal(data.iterations, 10);
  const group = data.leaks.find((g) => g.name === 'CachedReply');
  assert.equal(group?.count, 10);
  assert.ok(group.allocation?.some((f) => f.functionName === 'cacheReply'), 'allocated in cacheReply');
  assert.equal(data.classDiff, null);
  // The browser test opens it too: allocation sites are part of what it draws.
});

test('on a terminal the CLI shows a progress bar and colour; piped, plain text only', { skip: !fs.existsSync('/usr/bin/script') && 'util-linux script(1) is not installed' }, () => {
  const args = [cli, 'find-leaks', files.baseline, files.target, files.final, '--top', '1'];
  // script(1) gives the CLI a pseudo-terminal for stdout and stderr.
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const tty = spawnSync('/usr/bin/script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(tty.status, 0, tty.stderr);
  // The bar is drawn at once; the 100 ms ticks then show bytes parsed or the phase, as far as the
  // machine's pace gets before the report.
  assert.match(tty.stdout, /\r\x1b\[K3 snapshots \x1b\[36m░{28}\x1b\[0m +0%  0 B \/ [\d.]+ MB/);
  assert.match(tty.stdout, /\x1b\[1m[\d,]+ leaked objects in [\d,]+ groups\x1b\[0m/);
  const piped = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  assert.equal(piped.status, 0, piped.stderr);
  assert.doesNotMatch(piped.stdout + piped.stderr, /\x1b/);
  assert.match(piped.stdout, /^[\d,]+ leaked objects in [\d,]+ groups\n/);
  assert.match(piped.stdout, /… and [\d,]+ more groups/);
});

function findChromium() {
  const candidates = [process.env.LEAKHOUND_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p) => p && fs.existsSync(p));
}

const chromium = findChromium();
// Resolved now, loaded by the browser test only: a heap holding playwright-core makes Node 20's
// snapshot writer (used by the in-process test above) take tens of seconds.
let playwrightPath;
try {
  playwrightPath = require.resolve('playwright-core');
} catch {
  playwrightPath = null;
}
const skipBrowser = !chromium ? 'Chromium is not installed (Debian: apt-get install chromium)' : !playwrightPath ? 'playwright-core is not installed' : false;

test('the report renders in headless Chromium: groups, paths, sorting, chart', { skip: skipBrowser, timeout: 120_000 }, async (t) => {
  assert.ok(report, 'the CLI test wrote the report');
  const playwright = require(playwrightPath);
  const browser = await playwright.chromium.launch({
    executablePath: chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));

  let start = Date.now();
  await page.goto(`file://${reportFile()}`);
  await page.waitForSelector('body[data-ready="true"]');
  t.diagnostic(`${count(report.leaks.length)} groups: ready in ${Date.now() - start} ms`);

  // One page of groups in the DOM, whatever the number of groups.
  const groups = report.leaks.length;
  assert.equal(await page.locator('#leak-list .group').count(), 20);
  assert.equal(await page.textContent('#leak-pager .range'), `1–20 of ${count(groups)} groups`);
  assert.match(await page.textContent('#overview'), new RegExp(`Leak found ${count(report.leakedObjects)} leaked objects in ${count(groups)} groups, retaining .* of the final heap of`));
  const first = report.leaks[0];
  assert.match(await page.textContent('#leak-list .group[data-rank="1"] h3'), new RegExp(`#1 ${count(first.count)} × `));
  start = Date.now();
  await page.click('#leak-pager button:has-text("Last")');
  await page.waitForSelector(`#leak-list .group[data-rank="${groups}"]`);
  t.diagnostic(`last page in ${Date.now() - start} ms`);
  assert.ok((await page.evaluate(() => document.querySelectorAll('*').length)) < 5000, 'the DOM holds one page');

  // The listener leak: 50 onTick closures folded under the listeners array, with the chain
  // from the GC roots through the long-lived emitter and the closures' source location.
  await page.fill('#leak-filter', 'onTick');
  assert.equal(await page.locator('#leak-list .group').count(), 1);
  const listener = page.locator('#leak-list .group').first();
  // Under the CLI's working directory, paths read relative to it.
  assert.match(await listener.locator('.also').textContent(), /50 × onTick\(\) closures \(__test__\/fixtures\/report-workload\.js:\d+\)/);
  const nodes = await listener.locator('.chain .node b').allTextContents();
  const edges = await listener.locator('.chain .edge-name').allTextContents();
  assert.equal(nodes[0], 'GC roots');
  assert.ok(nodes.includes('EventEmitter'), nodes.join(' → '));
  for (const e of ['bus', '_events', 'tick']) assert.ok(edges.includes(e), edges.join(' → '));
  assert.ok(await listener.locator('.share').count(), 'share of the heap shown');

  // A property name that is HTML shows as text and creates no element.
  await page.fill('#leak-filter', 'HtmlNamed');
  assert.equal(await page.locator('#leak-list .group').count(), 1);
  assert.ok((await page.locator('#leak-list .group .edge-name').allTextContents()).includes(HTML_EDGE));
  assert.equal(await page.locator('#pwn').count(), 0);
  await page.fill('#leak-filter', '');

  // The per-class table: one page of rows, sorted by a click, then the other way.
  assert.equal(await page.locator('#diff-table tbody tr').count(), 50);
  const column = (i) => page.$$eval(`#diff-table tbody tr td:nth-child(${i})`, (tds) => tds.map((td) => Number(td.textContent.replace(/[+,]/g, ''))));
  await page.click('#diff-table th[data-key="countDelta"] button');
  assert.equal(await page.getAttribute('#diff-table th[data-key="countDelta"]', 'aria-sort'), 'descending');
  let deltas = await column(4);
  assert.equal(deltas[0], Math.max(...report.classDiff.map((d) => d.countDelta)));
  assert.ok(deltas.every((d, i) => i === 0 || deltas[i - 1] >= d));
  await page.click('#diff-table th[data-key="countDelta"] button');
  assert.equal(await page.getAttribute('#diff-table th[data-key="countDelta"]', 'aria-sort'), 'ascending');
  deltas = await column(4);
  assert.equal(deltas[0], Math.min(...report.classDiff.map((d) => d.countDelta)));
  await page.fill('#diff-filter', 'Leaked42');
  assert.equal(await page.textContent('#diff-pager .range'), '1–50 of 111 classes');

  // The chart: three series, the GC markers, visible.
  assert.equal(await page.locator('#timeline').isVisible(), true);
  assert.equal(await page.locator('#timeline svg polyline').count(), 3);
  assert.ok((await page.locator('#timeline svg circle.gc').count()) >= 3);

  assert.deepEqual(problems, []);
  assert.ok(requests.every((u) => u.startsWith('file://')), `only the file itself is loaded: ${requests.join(', ')}`);

  // An in-process report with allocation tracking: the allocating stack, relative to baseDir.
  await page.goto(`file://${path.join(dir, 'in-process.html')}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#leak-filter', 'CachedReply');
  assert.match(await page.textContent('#leak-list .group .alloc'), /allocated in .*cacheReply \(__test__\/fixtures\/in-process-report\.js:\d+:\d+\)/);
  assert.equal(await page.isHidden('#diff'), true, 'no per-class table without a diff');
  assert.equal(await page.isHidden('#timeline'), true, 'no chart without samples');
  assert.deepEqual(problems, []);

  await page.goto(`file://${reportFile()}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#leak-filter', 'onTick');
  const shots = path.join(root, '.test-output');
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'report.png'), fullPage: true });
  t.diagnostic(`screenshot: ${path.join('.test-output', 'report.png')}`);
});
