//! Heap-snapshot analysis core: streaming parser, flat heap graph, dominators
//! and retained sizes (memlab-compatible), retainer paths, class summary and
//! two-snapshot diff.

pub mod allocation;
pub mod analysed;
pub mod analysis;
pub mod budget;
mod byte_blocks;
pub mod diff;
pub mod dominators;
pub mod error;
pub mod files;
mod fill;
pub mod graph;
mod id_cursor;
pub mod id_scan;
mod json_scan;
pub mod leaks;
mod light_file;
pub mod markers;
pub mod meta;
pub mod nodes;
mod number_array;
pub mod object_ids;
pub mod parser;
pub mod paths;
pub mod raw;
pub mod read;
pub mod retained;
pub mod strings;
pub mod summary;
mod swar;

pub use allocation::{Frame, allocation_stack};
pub use analysed::{AnalysedSnapshot, NodeFacts, Phase, Progress};
pub use analysis::Analysis;
pub use diff::{ClassDiff, diff_snapshots};
pub use dominators::Dominators;
pub use error::{ErrorKind, Incompatibility, Result, SnapshotError};
pub use files::{diff_files, find_leaks_in_files, find_leaks_with_class_diff};
pub use graph::{EdgeIdx, EdgeName, HeapGraph};
pub use id_scan::BaselineIds;
pub use leaks::{
    FoldedGroup, GrowingCollection, LeakGroup, LeakOptions, LeakReport, NewObjects, find_leaks,
    find_leaks_with,
};
pub use markers::marked_objects;
pub use meta::SnapshotMeta;
pub use nodes::{LightSnapshot, NodeIdx, NodeTable, NodeView, class_name};
pub use object_ids::ObjectIds;
pub use parser::{ParseOptions, SnapshotParser};
pub use paths::{
    Distances, EdgeLabel, Location, PathRules, PathStep, StepEdge, StepNode, node_location,
    retainer_path, retainer_path_with,
};
pub use raw::{NodeLayout, RawSnapshot, TraceTreeNode};
pub use read::{parse_file, parse_file_with, parse_file_with_progress};
pub use retained::RetainedSizes;
pub use strings::StringTable;
pub use summary::{ClassSummary, class_summary};
