//! Memory sampling for long-running processes, without Node: a fixed-capacity ring of samples,
//! per-field statistics, a robust post-GC trend with a leak verdict, node-memwatch's rule for
//! comparison, Prometheus text exposition and an SVG timeline.
//!
//! JavaScript reads the figures (only it can reach `process.memoryUsage()` and the GC observer)
//! and records them here; everything that is computed from them lives in this module.

mod causes;
mod error;
mod memwatch;
mod metrics;
mod ring;
mod series;
mod stats;
mod svg;
mod trend;

pub use causes::{Cause, CauseKind};
pub use error::SamplingError;
pub use memwatch::MemwatchRule;
pub use metrics::{Family, Kind, render_prometheus};
pub use ring::{MAX_CAPACITY, MAX_FIELDS, SampleRef, SampleRing};
pub use series::{Confirm, Recorded, Series, SeriesOptions};
pub use stats::{FieldStats, field_stats};
pub use svg::{SvgOptions, render_svg};
pub(crate) use svg::{bytes as svg_bytes, xml};
pub(crate) use trend::mann_kendall_confidence;
pub use trend::{Trend, TrendDetector, TrendOptions, Verdict, theil_sen};
