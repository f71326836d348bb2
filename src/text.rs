//! Leak reports and retainer paths as text for JavaScript (LeakError messages, the JavaScript
//! command-line tool), from the renderer the native tool prints with: one implementation.

use napi_derive::napi;

use leakhound_core::report::text::Paint;
use leakhound_core::report::{OwnCode, leak_report_text, path_text};

use crate::guard::guarded;
use crate::records::{LeakReportRecord, PathStepRecord, mirror};

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
