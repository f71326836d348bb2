// The fleet view shipped in contrib/: Prometheus alerting and recording rules (checked and
// unit-tested with promtool on recorded series) and a Grafana dashboard whose every query parses
// and names only metrics leakhound really exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const lh = require('../index.js');
const rulesDir = path.join(root, 'contrib', 'prometheus');
const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'contrib', 'grafana', 'leakhound-dashboard.json'), 'utf8'));

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p));
const skip = !promtool && 'promtool is not installed (Debian package prometheus)';
const run = (args, cwd) => spawnSync(promtool, args, { cwd, encoding: 'utf8', timeout: 60_000 });

/** The metric names a monitor exports once it has sampled after a major GC. */
function exportedNames() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-fleet-'));
  fs.chmodSync(dir, 0o700);
  const m = lh.monitor({ dir });
  try {
    m.sampler.push({ ...m.sampler.samples().at(-1), afterGc: true, timestamp: Date.now() + 1000 });
    return new Set([...m.toPrometheus().matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
  } finally {
    m.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const rulesText = fs.readFileSync(path.join(rulesDir, 'leakhound-rules.yml'), 'utf8');
const recorded = new Set([...rulesText.matchAll(/^\s*- record: (\S+)/gm)].map((x) => x[1]));
const metricNames = (expr) => [...expr.matchAll(/\bleakhound[a-z_:]*/g)].map((x) => x[0]);

test('the alerting rules pass promtool check and their unit tests on recorded series', { skip }, () => {
  const check = run(['check', 'rules', 'leakhound-rules.yml'], rulesDir);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 4 rules found/);
  const unit = run(['test', 'rules', 'leakhound-rules.test.yml'], rulesDir);
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
});

test('every metric the rules and the dashboard use is one leakhound exports', () => {
  const exported = exportedNames();
  for (const name of ['leakhound_leak_cause_verdict', 'leakhound_heap_used_after_gc_bytes', 'leakhound_heap_snapshots_total']) {
    assert.ok(exported.has(name), `${name} exported`);
  }
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  assert.ok(exprs.length >= 10);
  // Platform-dependent families (the C heap's) count as exported where they are measured here.
  const measured = (name) => exported.has(name) || recorded.has(name) || /^leakhound_(malloc|rss_(anon|file))_/.test(name);
  for (const expr of [...exprs, ...[...rulesText.matchAll(/expr: (.+)/g)].map((x) => x[1])]) {
    for (const name of metricNames(expr)) assert.ok(measured(name), `${name} in ${expr}`);
  }
});

test('every dashboard query parses as PromQL', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-dash-'));
  try {
    const rules = dashboard.panels.flatMap((p) =>
      p.targets.map((t) => `      - record: dashboard:panel_${p.id}_${t.refId}\n        expr: ${JSON.stringify(t.expr.replaceAll('$instance', '.*'))}`),
    );
    fs.writeFileSync(path.join(dir, 'dashboard.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
    const check = run(['check', 'rules', 'dashboard.yml'], dir);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    // Panel ids are unique, and every query uses the dashboard's data source variable.
    assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length);
    for (const p of dashboard.panels) for (const t of p.targets) assert.equal(t.datasource.uid, '${datasource}', p.title);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
