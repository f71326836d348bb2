'use strict';
// The HTML leak report: one self-contained file (styles, script and data inline, no network)
// that opens from disk, rendered by the core (crates/core/src/report/html.rs), as the
// command-line tool's `report` renders it. Here: options checked, the timeline drawn.
const check = require('./validate');
const native = require('./native');
const { Sampler } = require('./sampler');
const { AllocationSampler } = require('./allocation-sampler');
const { findLeaks } = require('./snapshot');

/** The memory timeline as SVG markup, from a Sampler or from samples (e.g. a saved samples()). */
function timelineSvg(where, o) {
  if (o.sampler !== undefined && o.samples !== undefined) throw new TypeError(`${where}: give sampler or samples, not both`);
  const size = { width: 960, height: 300, title: 'Memory over time' };
  if (o.sampler !== undefined) {
    if (!(o.sampler instanceof Sampler)) throw new TypeError(`${where}: sampler must be a Sampler, got ${check.describe(o.sampler)}`);
    return o.sampler.toSVG(size);
  }
  if (o.samples === undefined) return null;
  if (!Array.isArray(o.samples)) throw new TypeError(`${where}: samples must be an array of samples, got ${check.describe(o.samples)}`);
  if (o.samples.length === 0) return null;
  const replay = new Sampler({ capacity: Math.min(o.samples.length, 1 << 20), observeGc: false });
  o.samples.forEach((sample, i) => {
    try {
      replay.push(sample);
    } catch (err) {
      throw new TypeError(`${where}: samples[${i}]: ${err.message.replace(/^Sampler(\.push)?: /, '')}`);
    }
  });
  return replay.toSVG(size);
}

function checkFiles(where, files) {
  if (files === undefined) return null;
  const ok = files !== null && typeof files === 'object' && Object.values(files).every((f) => f === undefined || typeof f === 'string');
  if (!ok) throw new TypeError(`${where}: files must be { baseline, target, final } file paths, got ${check.describe(files)}`);
  return files;
}

function checkReport(where, report) {
  if (report === null || typeof report !== 'object' || !Array.isArray(report.leaks)) {
    throw new TypeError(`${where}: expected a leak report ({ leaks, collections, ... }), got ${check.describe(report)}`);
  }
}

/**
 * Renders a leak report (from findLeaks or assertNoLeak) as one self-contained HTML document.
 * Options: title, files ({ baseline, target, final }, shown in the header), baseDir (paths
 * under it are shown relative to it), a memory timeline from `sampler` or `samples`, and where
 * the growing memory is allocated from `allocations` (an AllocationSampler).
 */
function renderHtmlReport(report, opts) {
  const where = 'renderHtmlReport()';
  checkReport(where, report);
  return render(report, pageOptions(where, opts));
}

/** The allocation sampler's section: its growing sites and a flame graph of their growth. */
function allocationSection(where, sampler) {
  if (sampler === undefined) return {};
  if (!(sampler instanceof AllocationSampler)) {
    throw new TypeError(`${where}: allocations must be an AllocationSampler, got ${check.describe(sampler)}`);
  }
  return { allocationSites: sampler.growingSites(), allocationSvg: sampler.toFlameGraph({ growth: true }) ?? undefined };
}

function pageOptions(where, opts) {
  const o = check.options(where, opts);
  return {
    title: check.optionalString(where, 'title', o.title) ?? 'leakhound leak report',
    files: checkFiles(where, o.files),
    baseDir: check.optionalString(where, 'baseDir', o.baseDir) ?? null,
    svg: timelineSvg(where, o),
    allocations: allocationSection(where, o.allocations),
    rest: o,
  };
}

function render(report, { title, files, baseDir, svg, allocations }) {
  // Reports made by hand may leave out what the page can do without.
  const full = { collections: [], leakedObjects: 0, survivingObjects: 0, belowCount: [], heapSize: 0, ...report };
  const page = {
    title,
    files: files ?? undefined,
    baseDir: baseDir ?? undefined,
    timelineSvg: svg ?? undefined,
    iterations: report.iterations ?? undefined,
    ...allocations,
  };
  return native.renderHtmlReport(full, page);
}

/**
 * Three-snapshot leak isolation rendered as an HTML report: resolves to the document. Options as
 * for renderHtmlReport, plus findLeaks's load options (onProgress, progressIntervalMs).
 */
async function htmlReport(paths, opts) {
  // Options are checked (and the timeline drawn) before the long analysis.
  const page = pageOptions('htmlReport()', opts);
  const { onProgress, progressIntervalMs } = page.rest;
  const report = await findLeaks(paths, { onProgress, progressIntervalMs, classDiff: true });
  page.files = { baseline: paths.baseline, target: paths.target, final: paths.final };
  return render(report, page);
}

module.exports = { renderHtmlReport, htmlReport };
