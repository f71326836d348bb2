//! Heap-snapshot analysis core: streaming parser, flat heap graph, dominators
//! and retained sizes (memlab-compatible), retainer paths, class summary,
//! two-snapshot diff and three-snapshot leak isolation.
//!
//! By stage: `read` turns bytes into columns, `heap` makes them a graph with its dominator
//! tree, `analyse` answers questions about it. Everything public is re-exported here; the
//! stages themselves are the crate's own.

pub(crate) mod analyse;
pub mod error;
pub(crate) mod heap;
pub(crate) mod read;

pub use analyse::allocation::{Frame, allocation_stack};
pub use analyse::analysed::{AnalysedSnapshot, NodeFacts, Phase, Progress};
pub use analyse::analysis::Analysis;
pub use analyse::diff::{ClassDiff, diff_snapshots};
pub use analyse::files::{diff_files, find_leaks_in_files, find_leaks_with_class_diff};
pub use analyse::id_scan::BaselineIds;
pub use analyse::leaks::{
    FoldedGroup, GrowingCollection, LeakGroup, LeakOptions, LeakReport, NewObjects, find_leaks,
    find_leaks_with,
};
pub use analyse::markers::marked_objects;
pub use analyse::paths::{
    Distances, EdgeLabel, Location, PathRules, PathStep, StepEdge, StepNode, node_location,
    retainer_path, retainer_path_with,
};
pub use analyse::summary::{ClassSummary, class_summary};
pub use error::{ErrorKind, Incompatibility, Result, SnapshotError};
pub use heap::dominators::Dominators;
pub use heap::graph::{EdgeIdx, EdgeName, HeapGraph};
pub use heap::nodes::{LightSnapshot, NodeIdx, NodeTable, NodeView, class_name};
pub use heap::object_ids::ObjectIds;
pub use heap::retained::RetainedSizes;
pub use read::budget::{MAX_NESTING, MAX_STRING_BYTES};
pub use read::budget::{room_for_a_thread, slack_left as room_to_work};
pub use read::meta::SnapshotMeta;
pub use read::parser::{ParseOptions, SnapshotParser};
pub use read::raw::{NodeLayout, RawSnapshot, TraceTreeNode};
pub use read::source::{parse_file, parse_file_with, parse_file_with_progress};
pub use read::strings::StringTable;
