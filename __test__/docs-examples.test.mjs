// Every example in README.md and docs/*.md runs here, so none can rot.
//
// - JavaScript blocks (```js, ```mjs, ```cjs, ```javascript) run in a child Node process from a
//   temporary directory whose node_modules/leakhound is this checkout, and must exit 0. A block
//   that uses `require(` runs as CommonJS (.cjs), any other as an ES module (.mjs, so top-level
//   `await` works). Test files run under their runner: node:test blocks with `node --test`, Jest
//   blocks with Jest, Vitest blocks with `vitest run`.
// - docs/api.md binds `lh` once, at its top; a block there that uses `lh` without binding it gets
//   that binding first.
// - The reader's own objects (a session, a request handler, a logger) come from a hidden HTML
//   comment just above the block, `<!-- example setup: …code… -->`, run before it; and
//   `<!-- example tmpdir: /some/path -->` runs the block with that path replaced by a fresh
//   temporary directory. The heap snapshots the examples name (app, baseline, target, final, b,
//   t, f, before, after) are written once, before the examples run.
// - ```js fragment marks a block that cannot run alone: it is only syntax-checked (node --check).
// - Shell blocks (```sh, ```console): each `npx leakhound …` command runs against those
//   snapshots and must exit 0. npm commands (they build) and `node examples/…` (the examples
//   suite runs those) are left out, as is a synopsis with [optional] parts.
// - A transcript (an untagged block starting with `$ command`) whose command is cheap runs, and
//   its output must have the shape shown: the same lines up to the retainer path modulo numbers,
//   a path of well-formed steps ending at the same kind of object.
// Failures name the doc and line; a generated file puts each block on its doc line numbers, so
// a stack trace's line is the doc's line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

const JS = new Set(['js', 'javascript', 'mjs', 'cjs']);
const SHELL = new Set(['sh', 'bash', 'shell', 'console']);
const OUTPUT = new Set(['', 'text']);
const CHILD_TIMEOUT_MS = 60_000;

// ---- extraction -------------------------------------------------------------------------------

/** The fenced blocks of a markdown file: { doc, line (of the fence), lang, flags, code, codeLine, setup, tmpdirs, next }. */
function blocksOf(doc) {
  const lines = fs.readFileSync(path.join(root, doc), 'utf8').split('\n');
  const blocks = [];
  let pending = { setup: [], tmpdirs: [] };
  let last = null; // the previous block, while only blank lines follow it
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]);
    if (open) {
      const [, fence, info] = open;
      const [lang = '', ...flags] = info.trim().split(/\s+/).filter(Boolean);
      const start = i;
      const body = [];
      for (i++; i < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[i]); i++) body.push(lines[i]);
      assert.ok(i < lines.length, `${doc}:${start + 1}: unclosed code block`);
      const block = { doc, line: start + 1, codeLine: start + 2, lang: lang.toLowerCase(), flags, code: body.join('\n') + '\n', ...pending, next: null };
      if (last) last.next = block;
      blocks.push(block);
      last = block;
      pending = { setup: [], tmpdirs: [] };
      continue;
    }
    const comment = /^\s*<!--\s*example\b(.*)$/.exec(lines[i]);
    if (comment) {
      const start = i;
      let text = comment[1];
      while (!text.includes('-->') && ++i < lines.length) text += '\n' + lines[i];
      assert.ok(text.includes('-->'), `${doc}:${start + 1}: unclosed <!-- example comment`);
      text = text.slice(0, text.indexOf('-->'));
      const m = /^\s*(setup|tmpdir):([\s\S]*)$/.exec(text);
      assert.ok(m, `${doc}:${start + 1}: expected <!-- example setup: … --> or <!-- example tmpdir: /path -->`);
      if (m[1] === 'setup') pending.setup.push(m[2].trim());
      else pending.tmpdirs.push(...m[2].trim().split(/\s+/));
      last = null;
      continue;
    }
    if (lines[i].trim() !== '') {
      assert.deepEqual(pending, { setup: [], tmpdirs: [] }, `${doc}:${i + 1}: an <!-- example … --> comment must come right before its code block`);
      last = null;
    }
  }
  return blocks;
}

const DOCS = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const BLOCKS = DOCS.flatMap(blocksOf);
const where = (b) => `${b.doc}:${b.line}`;

// ---- running ------------------------------------------------------------------------------------

let work; // the temporary directory the examples run in
let exampleDir; // the generated example files
const fixtures = {}; // what the setup found in the snapshots it wrote

/** Runs a command; resolves { status, signal, stdout, stderr } and kills it after the timeout. */
function run(cmd, args, { cwd = work, env = {}, timeout = CHILD_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    // Without NODE_TEST_CONTEXT, which `node --test` sets: a child `node --test` that sees it
    // reports to this runner instead of exiting non-zero on a failure. Plain text, no colour.
    const { NODE_TEST_CONTEXT, FORCE_COLOR, ...parentEnv } = process.env;
    const child = spawn(cmd, args, { cwd, env: { ...parentEnv, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeout} ms]`;
      child.kill('SIGKILL');
    }, timeout);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

const bash = (command, opts) => run('bash', ['-c', command], opts);

before(async () => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-docs-')));
  exampleDir = path.join(work, 'examples');
  fs.mkdirSync(exampleDir);
  // `leakhound` resolves to this checkout; the dev dependencies the docs import (prom-client, …)
  // resolve too; `leakhound` on the PATH is the package's command (package.json's bin).
  const nm = path.join(work, 'node_modules');
  fs.mkdirSync(path.join(nm, '.bin'), { recursive: true });
  fs.symlinkSync(root, path.join(nm, 'leakhound'), 'dir');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.devDependencies ?? {})) {
    const target = path.join(root, 'node_modules', dep);
    if (!fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(path.join(nm, dep)), { recursive: true });
    fs.symlinkSync(target, path.join(nm, dep), 'dir');
  }
  // As npm links the package's command (a script, or a .js file run by this Node).
  const bin = path.join(root, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.leakhound);
  const exec = /\.[cm]?js$/.test(bin) ? `exec '${process.execPath}' '${bin}' "$@"` : `exec '${bin}' "$@"`;
  fs.writeFileSync(path.join(nm, '.bin', 'leakhound'), `#!/bin/sh\n${exec}\n`, { mode: 0o755 });

  // The snapshots the examples name. baseline/target/final: a session cache that grows by 100
  // sessions between each. app is baseline: a process's first snapshot numbers every object in
  // sequence, so it holds the @12345 the examples ask about. before/after: the CLI tests' fixture,
  // whose session cache the path transcript walks.
  const threeSnapshots = `
    const v8 = require('node:v8');
    class Session { constructor(id) { this.id = id; this.onMessage = function handleMessage(m) { return m + this.id; }; } }
    globalThis.sessions = new Map();
    const open = (from, to) => { for (let i = from; i < to; i++) sessions.set(i, new Session(i)); };
    open(0, 10);
    v8.writeHeapSnapshot('baseline.heapsnapshot');
    open(10, 110);
    v8.writeHeapSnapshot('target.heapsnapshot');
    open(110, 210);
    v8.writeHeapSnapshot('final.heapsnapshot');`;
  const [three, two] = await Promise.all([
    run(process.execPath, ['-e', threeSnapshots]),
    run(process.execPath, [path.join(root, '__test__', 'fixtures', 'plant-leaks.js'), 'before.heapsnapshot', 'after.heapsnapshot']),
  ]);
  assert.equal(three.status, 0, three.stderr);
  assert.equal(two.status, 0, two.stderr);
  for (const [link, file] of [['app', 'baseline'], ['b', 'baseline'], ['t', 'target'], ['f', 'final']]) {
    fs.linkSync(path.join(work, `${file}.heapsnapshot`), path.join(work, `${link}.heapsnapshot`));
  }
  fixtures.nodesByName = nodesByName(path.join(work, 'after.heapsnapshot'));
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** name → [{ id, type }] of every object and closure in a snapshot, read from the raw file. */
function nodesByName(file) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const f = j.snapshot.meta.node_fields;
  const types = j.snapshot.meta.node_types[0];
  const [ti, ni, ii] = ['type', 'name', 'id'].map((k) => f.indexOf(k));
  const out = new Map();
  for (let i = 0; i < j.nodes.length; i += f.length) {
    const type = types[j.nodes[i + ti]];
    if (type !== 'object' && type !== 'closure') continue;
    const name = j.strings[j.nodes[i + ni]];
    if (!out.has(name)) out.set(name, []);
    out.get(name).push({ id: j.nodes[i + ii], type });
  }
  return out;
}

/** How a JS block runs: { kind: 'cjs' | 'mjs', runner: 'node' | 'node-test' | 'jest' | 'vitest' }. */
function classify(b) {
  const usesRequire = /\brequire\(/.test(b.code);
  const usesImport = /^\s*import\b/m.test(b.code);
  assert.ok(!(usesRequire && usesImport), `${where(b)}: a block uses either require() or import, not both`);
  const kind = b.lang === 'cjs' || (b.lang !== 'mjs' && usesRequire) ? 'cjs' : 'mjs';
  let runner = 'node';
  if (/['"](?:vitest|leakhound\/vitest)['"]/.test(b.code)) runner = 'vitest';
  else if (/['"](?:@jest\/globals|leakhound\/jest)['"]/.test(b.code)) runner = 'jest';
  else if (/['"](?:node:test|leakhound\/node-test)['"]/.test(b.code)) runner = 'node-test';
  return { kind, runner };
}

/** Writes the program for a block: `lh` binding, setup, then the block on its doc lines. */
function writeExample(b, { kind, runner }, replacements) {
  const head = [];
  if (b.doc === 'docs/api.md' && /\blh\./.test(b.code) && !/\b(?:const|let|var)\s+lh\b|\bas\s+lh\b/.test(b.code)) {
    head.push(kind === 'cjs' ? "const lh = require('leakhound');" : "import * as lh from 'leakhound';");
  }
  head.push(...b.setup);
  let code = b.code;
  for (const [from, to] of replacements) code = code.split(from).join(to);
  const prefix = head.length > 0 ? head.join('\n').split('\n') : [];
  // Pad so the block's first line is its doc line: stack traces then point into the doc.
  const pad = Math.max(0, b.codeLine - 1 - prefix.length);
  const source = [...prefix, ...Array(pad).fill(''), code].join('\n');
  const ext = { node: kind, 'node-test': kind, jest: 'test.js', vitest: 'test.mjs' }[runner];
  assert.ok(runner !== 'jest' || kind === 'cjs', `${where(b)}: a Jest example is CommonJS here`);
  assert.ok(runner !== 'vitest' || kind === 'mjs', `${where(b)}: a Vitest example is an ES module`);
  const file = path.join(exampleDir, `${b.doc.replace(/[/.]/g, '-')}-${b.line}.${ext}`);
  fs.writeFileSync(file, source);
  return file;
}

function runnerArgs(runner, file) {
  switch (runner) {
    case 'node':
      return [file];
    case 'node-test':
      return ['--test', file];
    case 'jest':
      return [
        path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--config',
        JSON.stringify({ rootDir: work, testEnvironment: 'node', testTimeout: 60_000 }),
        '--ci',
        '--runTestsByPath',
        file,
      ];
    case 'vitest':
      return [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', work, path.relative(work, file)];
  }
}

function report(b, r, file) {
  const numbered = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').map((l, i) => `${String(i + 1).padStart(4)} ${l}`).filter((l) => l.trim().length > 4).join('\n')
    : '';
  return `${where(b)}: exited ${r.status ?? r.signal}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}\n--- program (line numbers are the doc's) ---\n${numbered}`;
}

// ---- output shapes ------------------------------------------------------------------------------

const STEP = /^\s*--.+ \([\w ]+\)--> .+ @\d+/;
const sizeless = (l) => l.replaceAll(root + path.sep, '').replace(/\d[\d,.]*( (?:B|kB|MB|GB))?/g, (_, unit) => (unit ? 'N <size>' : 'N')).trimEnd();
const target = (step) => /--> (.+?) @\d+/.exec(step)?.[1];

/** Asserts that `actual` has the shape of the `shown` output (see the header comment). */
function assertShape(shown, actual, label) {
  const split = (text) => {
    const lines = text.split('\n');
    const first = lines.findIndex((l) => STEP.test(l));
    if (first < 0) return { head: lines, steps: [], rest: [] };
    let end = first;
    while (end < lines.length && STEP.test(lines[end])) end++;
    return { head: lines.slice(0, first), steps: lines.slice(first, end), rest: lines.slice(end) };
  };
  const want = split(shown);
  const got = split(actual);
  const nonEmpty = (ls) => ls.map(sizeless).filter((l) => l !== '');
  if (want.steps.length === 0) {
    // No retainer path: every line shown, in order, modulo numbers.
    let at = 0;
    const have = nonEmpty(got.head);
    for (const line of nonEmpty(want.head)) {
      at = have.indexOf(line, at);
      assert.ok(at >= 0, `${label}: the output lacks a line shaped like\n  ${line}\n--- output ---\n${actual}`);
      at++;
    }
    return;
  }
  const head = nonEmpty(want.head);
  const gotHead = nonEmpty(got.head);
  assert.deepEqual(gotHead.slice(gotHead.length - head.length), head, `${label}: the lines before the retainer path differ\n--- output ---\n${actual}`);
  assert.ok(got.steps.length > 0, `${label}: no retainer path in the output\n${actual}`);
  assert.equal(sizeless(target(got.steps.at(-1))), sizeless(target(want.steps.at(-1))), `${label}: the path ends elsewhere\n${actual}`);
  let at = 0;
  const rest = nonEmpty(got.rest);
  for (const line of nonEmpty(want.rest).filter((l) => !l.trimStart().startsWith('…'))) {
    at = rest.indexOf(line, at);
    assert.ok(at >= 0, `${label}: after the path, the output lacks a line shaped like\n  ${line}\n--- output ---\n${actual}`);
    at++;
  }
}

// ---- shell --------------------------------------------------------------------------------------

/** The commands of a shell block or transcript, continuation lines joined. */
function commandsOf(b) {
  const out = [];
  const lines = b.code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const line0 = b.codeLine + i;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i].trim();
    const cmd = line.replace(/^\s*\$\s*/, '').trim();
    if (cmd !== '' && !cmd.startsWith('#')) out.push({ cmd, line: line0 });
  }
  return out;
}

/** Why a command is not run here, or null when it runs. */
function skipReason(cmd) {
  if (/^npm\b/.test(cmd)) return 'npm builds or runs the whole suite';
  if (/^node examples\//.test(cmd)) return 'the examples suite (examples.test.mjs) runs the examples';
  if (!/^(?:npx )?leakhound\b/.test(cmd)) return 'not a leakhound command';
  if (/ \[/.test(cmd)) return 'a synopsis with [optional] parts';
  return null;
}

const cliCommand = (cmd) => cmd.replace(/^npx leakhound\b/, 'leakhound');
const cliEnv = () => ({ PATH: `${path.join(work, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` });

// ---- the tests ----------------------------------------------------------------------------------

test('the docs have examples, and every code block is run, checked, or is output', () => {
  assert.ok(BLOCKS.filter((b) => b.doc === 'README.md' && JS.has(b.lang)).length >= 1, 'README.md has a JavaScript example');
  assert.ok(BLOCKS.filter((b) => b.doc === 'docs/api.md' && JS.has(b.lang)).length >= 10, 'docs/api.md has its JavaScript examples');
  for (const b of BLOCKS) {
    assert.ok(JS.has(b.lang) || SHELL.has(b.lang) || OUTPUT.has(b.lang), `${where(b)}: a \`\`\`${b.lang} block: this test neither runs nor checks it (use js, sh or an untagged output block, or teach this test the language)`);
    for (const flag of b.flags) assert.ok(JS.has(b.lang) && flag === 'fragment', `${where(b)}: unknown info-string word "${flag}"`);
    assert.ok(JS.has(b.lang) || (b.setup.length === 0 && b.tmpdirs.length === 0), `${where(b)}: an <!-- example … --> comment belongs above a JavaScript block`);
  }
});

for (const b of BLOCKS.filter((x) => JS.has(x.lang))) {
  const fragment = b.flags.includes('fragment');
  const how = classify(b);
  const name = `${where(b)}: ${fragment ? 'parses (a fragment)' : `runs (${how.kind}${how.runner === 'node' ? '' : `, ${how.runner}`})`}`;
  test(name, async () => {
    if (fragment) {
      const file = writeExample(b, how, []);
      const r = await run(process.execPath, ['--check', file]);
      assert.equal(r.status, 0, report(b, r, file));
      return;
    }
    const replacements = b.tmpdirs.map((from) => [from, fs.mkdtempSync(path.join(work, 'dir-'))]);
    for (const [from] of replacements) assert.ok(b.code.includes(from), `${where(b)}: tmpdir ${from} is not in the block`);
    const file = writeExample(b, how, replacements);
    const r = await run(process.execPath, runnerArgs(how.runner, file));
    assert.equal(r.status, 0, report(b, r, file));
    if (b.next && OUTPUT.has(b.next.lang) && !b.next.code.startsWith('$')) assertShape(b.next.code, r.stdout, `${where(b)} against the output at ${where(b.next)}`);
  });
}

for (const b of BLOCKS.filter((x) => SHELL.has(x.lang))) {
  const commands = commandsOf(b).map((c) => ({ ...c, skip: skipReason(c.cmd) }));
  const runs = commands.filter((c) => !c.skip);
  const notRun = commands.filter((c) => c.skip).map((c) => `${b.doc}:${c.line}: ${c.skip}: ${c.cmd.replace(/\s+#.*/, '')}`);
  if (runs.length === 0) {
    test(`${where(b)}: shell, nothing to run here`, { skip: notRun.join('; ') }, () => {});
    continue;
  }
  test(`${where(b)}: its leakhound commands run`, async (t) => {
    for (const reason of notRun) t.diagnostic(`not run: ${reason}`);
    for (const { cmd, line } of runs) {
      const r = await bash(cliCommand(cmd), { env: cliEnv() });
      assert.equal(r.status, 0, `${b.doc}:${line}: \`${cmd}\` exited ${r.status ?? r.signal}\n${r.stderr}`);
      assert.notEqual(r.stdout.trim(), '', `${b.doc}:${line}: \`${cmd}\` printed nothing`);
    }
  });
}

// A transcript: `$ command` and the output it printed.
for (const b of BLOCKS.filter((x) => OUTPUT.has(x.lang) && x.code.startsWith('$ '))) {
  const [{ cmd }] = commandsOf(b);
  const shown = b.code.slice(b.code.indexOf('\n') + 1);
  test(`${where(b)}: \`${cmd.replace(/\s+#.*/, '')}\` prints what the doc shows`, async (t) => {
    let r;
    if (/^node examples\/[\w/.-]+\.js$/.test(cmd)) {
      r = await run(process.execPath, [cmd.slice('node '.length)], { cwd: root });
    } else if (/^(?:npx )?leakhound path /.test(cmd)) {
      // The doc's object id is from its author's snapshot: ask for an object of the same name in
      // this one (the shown path ends at it).
      const name = target(shown.trimEnd().split('\n').at(-1));
      const [obj] = fixtures.nodesByName.get(name.replace(/\(\)$/, '')) ?? [];
      assert.ok(obj, `${where(b)}: no ${name} in the fixture snapshot`);
      r = await bash(cliCommand(cmd).replace(/ @\d+/, ` @${obj.id}`), { env: cliEnv() });
    } else {
      return t.skip(`${skipReason(cmd) ?? 'not a cheap command'}: ${cmd}`);
    }
    assert.equal(r.status, 0, `${where(b)}: \`${cmd}\` exited ${r.status ?? r.signal}\n${r.stderr}`);
    assertShape(shown, r.stdout, where(b));
  });
}
