//! Leak reports and retainer paths as text for JavaScript (LeakError messages, the JavaScript
//! command-line tool), from the renderer the native tool prints with: one implementation.

use napi_derive::napi;

use super::guard::guarded;
use super::records::{LeakReportRecord, PathStepRecord};
use crate::cli::report_text::{OwnCode, leak_report_text, path_text};
use crate::cli::text::Paint;

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
            &report,
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
        Ok(path_text(&steps, Paint { enabled: color }, &indent))
    })
}
