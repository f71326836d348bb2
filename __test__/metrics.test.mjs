// Metrics export: the Prometheus text is valid (promtool) and scraped by a real Prometheus
// server; prom-client and OpenTelemetry see the same figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import client from 'prom-client';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Sampler, monitor, registerPromClient, registerOpenTelemetry } from '../index.js';

/** A sampler holding a known series: 30 post-GC samples of a heap growing 1 MB per second. */
function knownSampler() {
  const s = new Sampler({ warmupMs: 0, heapSpaces: true });
  for (let i = 0; i < 30; i++) {
    s.push({
      timestamp: 1_000_000 + i * 1000,
      heapUsed: 100_000_000 + i * 1_000_000,
      heapTotal: 150_000_000 + i * 1_000_000,
      rss: 300_000_000 + i * 2_000_000,
      external: 4_000_000,
      arrayBuffers: 1_000_000,
      heapSpaces: { old_space: 90_000_000 + i * 1_000_000, new_space: 1_000_000 },
      afterGc: true,
    });
  }
  return s;
}

/** Parses Prometheus text into { 'name{labels}': value }. */
function parseText(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

test('toPrometheus() gives the last sample, the post-GC trend and valid exposition text', (t) => {
  const s = knownSampler();
  const text = s.toPrometheus();
  const v = parseText(text);
  assert.equal(v.leakhound_heap_used_bytes, 129_000_000);
  assert.equal(v.leakhound_rss_bytes, 358_000_000);
  assert.equal(v['leakhound_heap_space_used_bytes{space="old_space"}'], 119_000_000);
  assert.equal(v.leakhound_heap_used_after_gc_bytes, 129_000_000);
  assert.equal(v.leakhound_heap_growth_bytes_per_second, 1_000_000);
  assert.equal(v['leakhound_leak_verdict{verdict="leaking"}'], 1);
  assert.equal(v['leakhound_leak_verdict{verdict="stable"}'], 0);
  assert.equal(v.leakhound_samples_total, 30);
  for (const name of Object.keys(v)) assert.match(name, /^leakhound_[a-z_]+(\{.*\})?$/);
  assert.match(text, /# HELP leakhound_samples_total Samples taken\.\n# TYPE leakhound_samples_total counter\n/);
  const promtool = which('promtool');
  if (!promtool) return t.skip('promtool not installed (Debian package prometheus)');
  const lint = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
});

test('registerPromClient exposes the same figures in a prom-client registry', async () => {
  const s = knownSampler();
  const registry = new client.Registry();
  const handle = registerPromClient(s, { client, registry });
  const ours = parseText(s.toPrometheus());
  const theirs = parseText(await registry.metrics());
  assert.deepEqual(theirs, ours);
  // Figures are read at scrape time.
  s.push({ timestamp: 2_000_000, heapUsed: 5, afterGc: false });
  assert.equal(parseText(await registry.metrics()).leakhound_heap_used_bytes, 5);
  assert.equal(parseText(await registry.metrics()).leakhound_samples_total, 31);
  handle.unregister();
  assert.equal(await registry.metrics(), '\n');
  assert.throws(() => registerPromClient({}, { client, registry }), /expected a leakhound Sampler, Monitor or AllocationSampler/);
});

test("a monitor's counters registered before their first sample still scrape with labels", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-metrics-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const m = monitor({ sampler: knownSampler(), dir, maxCount: 0 });
  t.after(() => m.stop());
  const registry = new client.Registry();
  registerPromClient(m, { client, registry });
  assert.equal(m.snapshot('manual'), null);
  const v = parseText(await registry.metrics());
  assert.equal(v['leakhound_heap_snapshots_refused_total{reason="max-count"}'], 1);
  assert.deepEqual(v, parseText(m.toPrometheus()));
});

test('registerOpenTelemetry reports the same figures as observable instruments', async () => {
  const s = knownSampler();
  class Reader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const handle = registerOpenTelemetry(s, { meter: provider.getMeter('leakhound-test') });
  const { resourceMetrics } = await reader.collect();
  const seen = {};
  for (const m of resourceMetrics.scopeMetrics[0].metrics) {
    for (const p of m.dataPoints) {
      const labels = Object.entries(p.attributes).map(([k, v]) => `${k}="${v}"`);
      seen[labels.length ? `${m.descriptor.name}{${labels.join(',')}}` : m.descriptor.name] = p.value;
    }
    if (m.descriptor.name.endsWith('_bytes')) assert.equal(m.descriptor.unit, 'By');
  }
  assert.deepEqual(seen, parseText(s.toPrometheus()));
  handle.unregister();
  await provider.shutdown();
  assert.throws(() => registerOpenTelemetry(s, { meter: {} }), /meter must be an OpenTelemetry Meter/);
});

async function freePort() {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function query(base, q) {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = await res.json();
  return body.data?.result ?? [];
}

test('a real Prometheus server scrapes the sampler and the prom-client registry', { timeout: 90_000 }, async (t) => {
  const prometheus = which('prometheus');
  if (!prometheus) return t.skip('prometheus not installed (Debian package prometheus); .ci/run installs it');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-prometheus-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = knownSampler();
  const m = monitor({ sampler: s, dir });
  t.after(() => m.stop());
  m.snapshot('manual');
  const registry = new client.Registry();
  registerPromClient(m, { client, registry });
  const server = http.createServer(async (req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(req.url === '/prom-client' ? await registry.metrics() : m.toPrometheus());
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => server.close());
  const target = `127.0.0.1:${server.address().port}`;
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n` +
      `  - job_name: leakhound\n    static_configs: [{ targets: ['${target}'] }]\n` +
      `  - job_name: prom-client\n    metrics_path: /prom-client\n    static_configs: [{ targets: ['${target}'] }]\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(
    prometheus,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  t.after(() => proc.kill('SIGKILL'));

  let result = [];
  for (let i = 0; i < 120 && result.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 500));
    result = await query(base, 'leakhound_heap_used_bytes').catch(() => []);
  }
  assert.equal(result.length, 2, `no scrape of both jobs in 60 s; prometheus said:\n${log.slice(-2000)}`);
  for (const r of result) assert.equal(r.value[1], '129000000', r.metric.job);
  assert.deepEqual(result.map((r) => r.metric.job).sort(), ['leakhound', 'prom-client']);
  const verdict = await query(base, 'leakhound_leak_verdict{job="leakhound",verdict="leaking"}');
  assert.equal(verdict[0].value[1], '1');
  const snaps = await query(base, 'leakhound_heap_snapshots_total{job="leakhound"}');
  assert.deepEqual([snaps[0].metric.trigger, snaps[0].value[1]], ['manual', '1']);
  const targets = (await (await fetch(`${base}/api/v1/targets`)).json()).data.activeTargets;
  assert.ok(targets.every((x) => x.health === 'up'), JSON.stringify(targets.map((x) => [x.scrapeUrl, x.lastError])));
  const meta = (await (await fetch(`${base}/api/v1/metadata?metric=leakhound_samples_total`)).json()).data;
  assert.deepEqual(meta.leakhound_samples_total[0], { type: 'counter', help: 'Samples taken.', unit: '' });
});

test('toPrometheus(extra) refuses names that would inject lines or series, and keeps lone surrogates apart', () => {
  const s = new Sampler();
  s.sample();
  const family = (name, labels = {}) => [{ name, help: 'h', kind: 'gauge', labelNames: Object.keys(labels), samples: [{ labels, value: 1 }] }];
  for (const [bad, labels] of [
    ['app_x\n# TYPE app_x counter\nevil 1', {}],
    ['app x', {}],
    ['1app', {}],
    ['app_ok', { 'le"}': 'v' }],
    ['app_ok', { __name__: 'v' }],
  ]) {
    assert.throws(() => s.toPrometheus(family(bad, labels)), (e) => /metric family/.test(e.message) && e.message.includes(JSON.stringify(bad)));
  }
  assert.throws(() => s.toPrometheus('app_x'), TypeError);
  // Label values are escaped, never refused; two that differ only by a lone surrogate stay two.
  const text = s.toPrometheus([
    { name: 'app_tag', help: 'h', kind: 'gauge', labelNames: ['tag'], samples: [{ labels: { tag: 'a\ud800' }, value: 1 }, { labels: { tag: 'a\ud801' }, value: 2 }, { labels: { tag: 'q"\n' }, value: 3 }, { labels: { tag: 'a\\ud800' }, value: 4 }] },
  ]);
  assert.match(text, /^app_tag\{tag="a\\\\ud800"\} 1$/m);
  assert.match(text, /^app_tag\{tag="a\\\\ud801"\} 2$/m);
  assert.match(text, /^app_tag\{tag="q\\"\\n"\} 3$/m);
  // The escape's text is another value again (its backslash doubled, then escaped for the format).
  assert.match(text, /^app_tag\{tag="a\\\\\\\\ud800"\} 4$/m);
  const series = text.split('\n').filter((l) => l.startsWith('app_tag{')).map((l) => l.slice(0, l.lastIndexOf(' ')));
  assert.equal(new Set(series).size, series.length, 'no duplicate series');
});
