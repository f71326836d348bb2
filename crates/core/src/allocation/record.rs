//! A growing site as reports show it: the addon, the command-line tool and the HTML page share
//! this one form.

use serde::Serialize;

use super::profile::Frame;
use super::site_table::GrowingSite;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteRecord {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
    /// The site's frames, allocating frame first: `name (script:line:column)`.
    pub stack: Vec<String>,
    pub live_bytes: f64,
    pub slope_bytes_per_sec: f64,
    pub confidence: f64,
}

impl SiteRecord {
    pub fn of(site: &GrowingSite) -> SiteRecord {
        let top = site.frames.first().cloned().unwrap_or(Frame {
            function_name: String::new(),
            url: String::new(),
            line: 0,
            column: 0,
        });
        SiteRecord {
            function_name: top.function_name,
            script: top.url,
            line: top.line,
            column: top.column,
            stack: site.frames.iter().map(Frame::describe).collect(),
            live_bytes: site.live_bytes,
            slope_bytes_per_sec: site.slope_bytes_per_sec,
            confidence: site.confidence,
        }
    }
}
