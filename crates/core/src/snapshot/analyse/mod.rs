//! The analyses over the graph: class summaries, retainer paths, diffs, three-snapshot leak
//! isolation, allocation sites, and the drivers that run them on files.

pub(crate) mod allocation;
pub(crate) mod analysed;
pub(crate) mod analysis;
pub(crate) mod diff;
pub(crate) mod files;
pub(crate) mod id_scan;
pub(crate) mod leaks;
pub(crate) mod markers;
pub(crate) mod paths;
pub(crate) mod summary;
