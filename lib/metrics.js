'use strict';
// The sampler's figures in the metrics engines fleets already run. Both adapters read the same
// metric families as toPrometheus(), at collection time, so every engine sees the same numbers.
const v = require('./validate');

function source(where, s) {
  if (!s || typeof s.metrics !== 'function') {
    throw new TypeError(`${where}: expected a leakhound Sampler, Monitor or AllocationSampler, got ${v.describe(s)}`);
  }
  // Families exist once there is a sample; take one so the set is known at registration.
  if (s.metrics().length === 0) (s.sampler ?? s).sample();
  return s;
}

/**
 * Families by name, read once per scrape: prom-client collects every metric in one pass, and
 * each read recomputes the trend in the core.
 */
function scrapeCache(s) {
  let cache = null;
  return (name) => {
    if (cache === null) {
      cache = new Map(s.metrics().map((f) => [f.name, f]));
      queueMicrotask(() => (cache = null));
    }
    return cache.get(name);
  };
}

function loadPromClient() {
  try {
    return require('prom-client');
  } catch {
    throw new Error('registerPromClient: prom-client is not installed; pass it as { client: require("prom-client") }');
  }
}

/**
 * Registers the figures of `sampler` (a Sampler, Monitor or AllocationSampler) as prom-client gauges and counters in
 * `registry` (default: prom-client's global registry). Returns `{ unregister() }`.
 */
function registerPromClient(sampler, opts) {
  const where = 'registerPromClient';
  const s = source(where, sampler);
  const o = v.options(where, opts);
  const client = o.client ?? loadPromClient();
  const registry = o.registry ?? client.register;
  const current = scrapeCache(s);
  const names = [];
  for (const family of s.metrics()) {
    const config = { name: family.name, help: family.help, labelNames: family.labelNames, registers: [registry] };
    if (family.kind === 'counter') {
      new client.Counter({
        ...config,
        collect() {
          // prom-client counters only go up by inc(); restate the total at each scrape.
          this.reset();
          for (const x of current(family.name)?.samples ?? []) this.inc(x.labels, x.value);
        },
      });
    } else {
      new client.Gauge({
        ...config,
        collect() {
          for (const x of current(family.name)?.samples ?? []) this.set(x.labels, x.value);
        },
      });
    }
    names.push(family.name);
  }
  return {
    names,
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

/**
 * Reports the figures of `sampler` (a Sampler, Monitor or AllocationSampler) as OpenTelemetry observable gauges and
 * counters created on `meter` (from `@opentelemetry/api`'s `metrics.getMeter(...)`).
 * Returns `{ unregister() }`.
 */
function registerOpenTelemetry(sampler, opts) {
  const where = 'registerOpenTelemetry';
  const s = source(where, sampler);
  const o = v.options(where, opts);
  const meter = o.meter;
  if (!meter || typeof meter.createObservableGauge !== 'function' || typeof meter.addBatchObservableCallback !== 'function') {
    throw new TypeError(`${where}: meter must be an OpenTelemetry Meter, got ${v.describe(meter)}`);
  }
  const instruments = new Map();
  for (const family of s.metrics()) {
    const options = { description: family.help, unit: family.name.endsWith('_bytes') ? 'By' : family.name.includes('bytes_per_second') ? 'By/s' : '1' };
    const make = family.kind === 'counter' ? meter.createObservableCounter : meter.createObservableGauge;
    instruments.set(family.name, make.call(meter, family.name, options));
  }
  const callback = (observer) => {
    for (const family of s.metrics()) {
      const instrument = instruments.get(family.name);
      if (!instrument) continue;
      for (const x of family.samples) observer.observe(instrument, x.value, x.labels);
    }
  };
  const list = [...instruments.values()];
  meter.addBatchObservableCallback(callback, list);
  return {
    names: [...instruments.keys()],
    unregister() {
      meter.removeBatchObservableCallback(callback, list);
    },
  };
}

module.exports = { registerPromClient, registerOpenTelemetry };
