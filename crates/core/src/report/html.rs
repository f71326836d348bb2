//! The HTML leak report: one self-contained file (styles, script and data inline, no network)
//! that opens from disk. The data travels as JSON and the page script (`page.js`) renders it
//! with DOM text nodes, so nothing from a snapshot (class names, property names, file paths) is
//! ever parsed as markup. Pages of groups and diff rows are rendered on demand, so 10,000 groups
//! stay quick.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::records::{ClassDeltaRecord, CollectionRecord, LeakGroupRecord, LeakReportRecord};
use crate::allocation::SiteRecord;

const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// No network, no plugins, no frames: the page is self-contained by construction.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// The snapshot files a report was made from, shown in its header.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportFiles {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(rename = "final", skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// What the page shows besides the report.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub title: String,
    pub files: Option<ReportFiles>,
    /// Paths under it are shown relative to it.
    pub base_dir: Option<String>,
    /// The memory timeline, SVG markup (`sampling::render_svg`).
    pub timeline_svg: Option<String>,
    /// assertNoLeak's iterations.
    pub iterations: Option<u64>,
    /// Where the growing memory is allocated, from the allocation sampler.
    pub allocations: Option<AllocationSection>,
}

/// The growing allocation sites and a flame graph of the growth (SVG markup).
#[derive(Debug, Clone, Default)]
pub struct AllocationSection {
    pub sites: Vec<SiteRecord>,
    pub flame_svg: Option<String>,
}

/// The page's data element, as the page script reads it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageData<'a> {
    title: &'a str,
    generated_at: String,
    files: Option<&'a ReportFiles>,
    base_dir: Option<&'a str>,
    heap_size: u64,
    leaked_objects: u64,
    iterations: Option<u64>,
    leaks: &'a [LeakGroupRecord],
    collections: &'a [CollectionRecord],
    class_diff: Option<&'a [ClassDeltaRecord]>,
    allocation_sites: Option<&'a [SiteRecord]>,
    /// A page of allocation sites alone (`leakhound alloc --html`): no leak report.
    allocations_only: bool,
}

/// The report as one HTML document.
pub fn render_html(report: &LeakReportRecord, page: &Page) -> String {
    render(report, page, false)
}

/// A page of the allocation sites alone (`page.allocations`), without a leak report.
pub fn render_allocation_html(page: &Page) -> String {
    render(&LeakReportRecord::default(), page, true)
}

fn render(report: &LeakReportRecord, page: &Page, allocations_only: bool) -> String {
    let data = PageData {
        title: &page.title,
        generated_at: iso8601(SystemTime::now()),
        files: page.files.as_ref(),
        base_dir: page.base_dir.as_deref(),
        heap_size: report.heap_size,
        leaked_objects: report.leaked_objects,
        iterations: page.iterations,
        leaks: &report.leaks,
        collections: &report.collections,
        class_diff: report.class_diff.as_deref(),
        allocation_sites: page.allocations.as_ref().map(|a| a.sites.as_slice()),
        allocations_only,
    };
    // Records hold strings and numbers only: serialising them cannot fail.
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "null".into());
    let title = escape_html(&page.title);
    let (timeline_hidden, svg) = match &page.timeline_svg {
        Some(svg) => ("", svg.as_str()),
        None => (" hidden", ""),
    };
    let (allocations_hidden, flame) = match &page.allocations {
        Some(a) => ("", a.flame_svg.as_deref().unwrap_or("")),
        None => (" hidden", ""),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="leakhound">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<header id="top"><h1>{title}</h1><p id="overview"></p><dl id="files"></dl></header>
<main>
<section id="leaks"{leaks_hidden}><h2>Leak groups</h2><div class="toolbar"><input id="leak-filter" type="search" placeholder="Filter by class, function or file" aria-label="Filter leak groups"><nav class="pager" id="leak-pager"></nav></div><div id="leak-list"></div></section>
<section id="collections" hidden><h2>Growing collections</h2><div id="collection-list"></div></section>
<section id="allocations"{allocations_hidden}><h2>Where the growing memory is allocated</h2><div id="allocation-list"></div><div class="chart">{flame}</div></section>
<section id="timeline"{timeline_hidden}><h2>Memory timeline</h2><div class="chart">{svg}</div></section>
<section id="diff" hidden><h2>Per-class change, baseline to final</h2><div class="toolbar"><input id="diff-filter" type="search" placeholder="Filter classes" aria-label="Filter classes"><nav class="pager" id="diff-pager"></nav></div><table id="diff-table"><thead></thead><tbody></tbody></table></section>
</main>
<noscript><p>This report draws its tables with JavaScript; the data is in the leakhound-data element of this file.</p></noscript>
<script id="leakhound-data" type="application/json">{data}</script>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        data = script_json(&json),
        leaks_hidden = if allocations_only { " hidden" } else { "" },
    )
}

/// Text as HTML: the five characters markup gives meaning to, as numeric references.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' | '<' | '>' | '"' | '\'' => out.push_str(&format!("&#{};", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

/// JSON inside `<script>`: `<` escaped, so no string can close the element or open a comment.
fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

/// `2026-12-02T03:04:05.678Z`, as JavaScript's `Date.prototype.toISOString` writes it.
fn iso8601(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::{Page, escape_html, iso8601, render_html, script_json};
    use crate::report::records::LeakReportRecord;

    #[test]
    fn timestamps_read_as_iso_8601() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day of a century divisible by 400), 12:34:56.789.
        let t = UNIX_EPOCH + Duration::from_millis(951_827_696_789);
        assert_eq!(iso8601(t), "2000-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_083_200);
        assert_eq!(iso8601(t), "2026-12-01T00:00:00.000Z");
    }

    #[test]
    fn snapshot_text_cannot_become_markup() {
        assert_eq!(
            escape_html(r#"<b a="1">&'"#),
            "&#60;b a=&#34;1&#34;&#62;&#38;&#39;"
        );
        assert_eq!(
            script_json(r#"{"n":"</script><!--"}"#),
            r#"{"n":"\u003c/script>\u003c!--"}"#
        );
        let report = LeakReportRecord::default();
        let html = render_html(
            &report,
            &Page {
                title: "</title><script>".into(),
                ..Page::default()
            },
        );
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(html.contains("<title>&#60;/title&#62;&#60;script&#62;</title>"));
        assert!(html.contains(r#"<section id="timeline" hidden>"#));
    }
}
