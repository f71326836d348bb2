//! What the analyses report: records in the shape JavaScript and `--json` both receive, and
//! their rendering as text (the native tool's output, LeakError messages).

pub mod html;
mod leak_text;
pub mod records;
pub mod text;

pub use leak_text::{OwnCode, leak_report_text, path_text};
