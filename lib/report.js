'use strict';
// The HTML leak report: one self-contained file (styles, script and data inline, no network)
// that opens from disk. The data travels as JSON and the page script renders it with DOM text
// nodes, so nothing from a snapshot (class names, property names, file paths) is ever parsed as
// markup. Pages of groups and diff rows are rendered on demand, so 10,000 groups stay quick.
const fs = require('node:fs');
const path = require('node:path');
const check = require('./validate');
const { Sampler } = require('./sampler');
const { findLeaks } = require('./snapshot');
const { bytes } = require('./format');

// Read on first use, not when leakhound is required.
let assets = null;
const pageAssets = () =>
  (assets ??= {
    script: fs.readFileSync(path.join(__dirname, 'report-page.js'), 'utf8'),
    style: fs.readFileSync(path.join(__dirname, 'report-page.css'), 'utf8'),
  });

// No network, no plugins, no frames: the page is self-contained by construction.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// JSON inside <script>: `<` escaped so no string can close the element or open a comment.
const scriptJson = (value) => JSON.stringify(value).replace(/</g, '\\u003c');

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
 * under it are shown relative to it), and a memory timeline from `sampler` or `samples`.
 */
function renderHtmlReport(report, opts) {
  const where = 'renderHtmlReport()';
  checkReport(where, report);
  return render(report, pageOptions(where, opts));
}

function pageOptions(where, opts) {
  const o = check.options(where, opts);
  return {
    title: check.optionalString(where, 'title', o.title) ?? 'leakhound leak report',
    files: checkFiles(where, o.files),
    baseDir: check.optionalString(where, 'baseDir', o.baseDir) ?? null,
    svg: timelineSvg(where, o),
    rest: o,
  };
}

function render(report, { title, files, baseDir, svg }) {
  const { script, style } = pageAssets();
  const data = {
    title,
    generatedAt: new Date().toISOString(),
    files,
    baseDir,
    heapSize: report.heapSize ?? null,
    leakedObjects: report.leakedObjects ?? 0,
    iterations: report.iterations ?? null,
    leaks: report.leaks,
    collections: report.collections ?? [],
    classDiff: report.classDiff ?? null,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="leakhound">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header id="top"><h1>${escapeHtml(title)}</h1><p id="overview"></p><dl id="files"></dl></header>
<main>
<section id="leaks"><h2>Leak groups</h2><div class="toolbar"><input id="leak-filter" type="search" placeholder="Filter by class, function or file" aria-label="Filter leak groups"><nav class="pager" id="leak-pager"></nav></div><div id="leak-list"></div></section>
<section id="collections" hidden><h2>Growing collections</h2><div id="collection-list"></div></section>
<section id="timeline"${svg ? '' : ' hidden'}><h2>Memory timeline</h2><div class="chart">${svg ?? ''}</div></section>
<section id="diff" hidden><h2>Per-class change, baseline to final</h2><div class="toolbar"><input id="diff-filter" type="search" placeholder="Filter classes" aria-label="Filter classes"><nav class="pager" id="diff-pager"></nav></div><table id="diff-table"><thead></thead><tbody></tbody></table></section>
</main>
<noscript><p>This report draws its tables with JavaScript; the data is in the leakhound-data element of this file.</p></noscript>
<script id="leakhound-data" type="application/json">${scriptJson(data)}</script>
<script>const bytes = ${bytes};
${script}</script>
</body>
</html>
`;
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
