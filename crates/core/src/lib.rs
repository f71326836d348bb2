//! leakhound-core: the analysis behind leakhound, without Node.
//!
//! - [`snapshot`]: the heap-snapshot parser, graph, dominators, retained sizes, retainer paths,
//!   class summaries, diffs and three-snapshot leak isolation;
//! - [`report`]: what the analyses report, as serde records (the one data contract of the
//!   addon and the command-line tool), and its text rendering;
//! - [`sampling`]: memory-sample series, trend statistics, metrics and charts;
//! - [`allocation`]: allocation sites from V8's sampling heap profiler, their growth, pprof and
//!   flame graphs;
//! - [`tracker_table`] and [`issued_ids`]: the leak tracker's bookkeeping.
//!
//! The Node addon (the `leakhound` package at the workspace root) and the command-line tool
//! (`crates/cli`) are thin layers over this crate.

pub mod allocation;
pub mod allocator;
mod internal_error;
pub mod issued_ids;
pub mod native_memory;
pub mod parallel;
pub mod report;
pub mod sampling;
pub mod snapshot;
pub mod tracker_table;

pub use internal_error::internal_error;
