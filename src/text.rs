//! Leak reports as text (LeakError messages) and as an HTML page, and retainer paths as text,
//! from the core's renderers, which the command-line tool prints with too.

use napi_derive::napi;

use leakhound_core::report::html::{AllocationSection, Page, ReportFiles, render_html};
use leakhound_core::report::text::Paint;
use leakhound_core::report::{OwnCode, leak_report_text, path_text};

use crate::guard::guarded;
use crate::records::{GrowingSiteRecord, LeakReportRecord, PathStepRecord, mirror};

/// `root`: the package directory, whose scripts allocation stacks leave out.
#[napi]
pub fn render_leak_report(
    report: LeakReportRecord,
    color: bool,
    top: u32,
    root: String,
) -> napi::Result<String> {
    guarded("formatLeakReport", || {
        let own_code = OwnCode::at(Some(std::path::Path::new(&root)));
        Ok(leak_report_text(
            &report.into(),
            Paint { enabled: color },
            top as usize,
            &own_code,
        ))
    })
}

#[napi]
pub fn render_path(
    steps: Vec<PathStepRecord>,
    color: bool,
    indent: String,
) -> napi::Result<String> {
    guarded("formatPath", || {
        Ok(path_text(&mirror(steps), Paint { enabled: color }, &indent))
    })
}

#[napi(object)]
pub struct ReportFilesRecord {
    pub baseline: Option<String>,
    pub target: Option<String>,
    #[napi(js_name = "final")]
    pub last: Option<String>,
}

#[napi(object)]
pub struct HtmlPageRecord {
    pub title: String,
    pub files: Option<ReportFilesRecord>,
    pub base_dir: Option<String>,
    pub timeline_svg: Option<String>,
    pub iterations: Option<u32>,
    /// The allocation sampler's growing sites and flame graph of growth.
    pub allocation_sites: Option<Vec<GrowingSiteRecord>>,
    pub allocation_svg: Option<String>,
}

/// The report as one self-contained HTML document.
#[napi]
pub fn render_html_report(report: LeakReportRecord, page: HtmlPageRecord) -> napi::Result<String> {
    guarded("renderHtmlReport", || {
        let page = Page {
            title: page.title,
            files: page.files.map(|f| ReportFiles {
                baseline: f.baseline,
                target: f.target,
                last: f.last,
            }),
            base_dir: page.base_dir,
            timeline_svg: page.timeline_svg,
            iterations: page.iterations.map(u64::from),
            allocations: page.allocation_sites.map(|sites| AllocationSection {
                sites: mirror(sites),
                flame_svg: page.allocation_svg,
            }),
        };
        Ok(render_html(&report.into(), &page))
    })
}
