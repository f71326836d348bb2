//! A snapshot ready for queries: the graph plus its analysis, built from a file or from pushed
//! chunks, with progress another thread can watch.

use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use super::analysis::Analysis;
use super::paths::PathStep;
use super::summary::ClassSummary;
use crate::snapshot::error::Result;
use crate::snapshot::heap::graph::HeapGraph;
use crate::snapshot::heap::nodes::NodeIdx;
use crate::snapshot::read::budget::ensure_room;
use crate::snapshot::read::parser::{ParseOptions, SnapshotParser};
use crate::snapshot::read::raw::RawSnapshot;
use crate::snapshot::read::source::parse_file_with_progress;

/// The stage a load is in, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    Parsing = 0,
    Graph = 1,
    Analysis = 2,
    Done = 3,
}

/// Shared between a loading thread and whoever reports on it.
#[derive(Debug, Default)]
pub struct Progress {
    bytes: AtomicU64,
    phase: AtomicU8,
}

impl Progress {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The byte counter parsers add to; several parses may share it.
    pub fn bytes_counter(&self) -> &AtomicU64 {
        &self.bytes
    }

    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Parsing,
            1 => Phase::Graph,
            2 => Phase::Analysis,
            _ => Phase::Done,
        }
    }

    fn enter(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }
}

/// What a query about one object returns.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFacts {
    pub id: u32,
    pub name: String,
    pub node_type: String,
    pub class_name: String,
    pub self_size: u64,
    pub retained_size: u64,
    /// The id of its immediate dominator; `None` for the root.
    pub dominator_id: Option<u32>,
}

pub struct AnalysedSnapshot {
    pub graph: HeapGraph,
    pub analysis: Analysis,
    total_size: u64,
}

/// What the graph's columns and edge arrays take, about (see graph.rs).
const GRAPH_BYTES_PER_NODE: u64 = 24;
const GRAPH_BYTES_PER_EDGE: u64 = 12;
/// Dominator arrays, retained sizes and path distances, about.
const ANALYSIS_BYTES_PER_NODE: u64 = 40;

impl AnalysedSnapshot {
    pub fn load(path: &Path, progress: &Progress) -> Result<AnalysedSnapshot> {
        Self::load_for(path, progress, false)
    }

    /// Loads a snapshot that retainer paths will be asked of: their distances are computed
    /// alongside the dominators.
    pub fn load_for_paths(path: &Path, progress: &Progress) -> Result<AnalysedSnapshot> {
        Self::load_for(path, progress, true)
    }

    fn load_for(path: &Path, progress: &Progress, paths: bool) -> Result<AnalysedSnapshot> {
        progress.enter(Phase::Parsing);
        let raw = parse_file_with_progress(path, ParseOptions::full(), &progress.bytes)?;
        Self::from_raw(raw, progress, paths).map_err(|e| e.with_path(path))
    }

    /// Finishes a push parser (e.g. fed from `v8.getHeapSnapshot()`) and analyses the result.
    pub fn from_parser(parser: SnapshotParser, progress: &Progress) -> Result<AnalysedSnapshot> {
        progress.bytes.store(parser.bytes_seen(), Ordering::Relaxed);
        Self::from_raw(parser.finish()?, progress, false)
    }

    /// `from_parser` with the retainer-path distances computed alongside the dominators, for a
    /// snapshot whose paths will be asked for (the final snapshot of a leak hunt).
    pub fn from_parser_for_paths(
        parser: SnapshotParser,
        progress: &Progress,
    ) -> Result<AnalysedSnapshot> {
        progress.bytes.store(parser.bytes_seen(), Ordering::Relaxed);
        Self::from_raw(parser.finish()?, progress, true)
    }

    fn from_raw(raw: RawSnapshot, progress: &Progress, paths: bool) -> Result<AnalysedSnapshot> {
        progress.enter(Phase::Graph);
        // Probes for the room the next stages take (their tables are sized by the input), so
        // a machine or a cap that cannot give it gets an error, not an abort, mid-build.
        let (n, m) = (raw.meta.node_count, raw.meta.edge_count);
        ensure_room(
            n * GRAPH_BYTES_PER_NODE + m * GRAPH_BYTES_PER_EDGE,
            "the heap graph",
        )?;
        let graph = HeapGraph::from_raw(raw)?;
        progress.enter(Phase::Analysis);
        ensure_room(n * ANALYSIS_BYTES_PER_NODE, "dominators and retained sizes")?;
        let analysis = if paths {
            Analysis::compute_with_paths(&graph)?
        } else {
            Analysis::compute(&graph)?
        };
        progress.enter(Phase::Done);
        Ok(Self::from_parts(graph, analysis))
    }

    /// Joins a graph and the analysis computed from it.
    pub fn from_parts(graph: HeapGraph, analysis: Analysis) -> AnalysedSnapshot {
        let total_size = (0..graph.node_count() as u32)
            .map(|i| u64::from(graph.self_size(NodeIdx(i))))
            .sum();
        AnalysedSnapshot {
            graph,
            analysis,
            total_size,
        }
    }

    /// Heap memory this snapshot holds now; it grows when paths or indices are first built.
    pub fn heap_bytes(&self) -> u64 {
        self.graph.heap_bytes() + self.analysis.heap_bytes()
    }

    /// Sum of all nodes' self sizes.
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    pub fn summary(&self, top: Option<usize>) -> Vec<ClassSummary> {
        self.analysis.class_summary(&self.graph, top)
    }

    /// One object's figures, or `None` when no node has this id.
    pub fn node(&self, id: u32) -> Option<NodeFacts> {
        let node = self.graph.find_by_id(id)?;
        let dom = &self.analysis.dominators;
        Some(NodeFacts {
            id,
            name: self.graph.node_name(node).to_string(),
            node_type: self.graph.node_type_name(node).to_string(),
            class_name: self.graph.class_name(node).into_owned(),
            self_size: u64::from(self.graph.self_size(node)),
            retained_size: dom.retained_size(node),
            dominator_id: (node.0 != 0).then(|| self.graph.node_id(dom.idom(node))),
        })
    }

    /// `None` when no node has this id; `Some(None)` when it exists but is unreachable.
    pub fn retainer_path_by_id(&self, id: u32) -> Option<Option<Vec<PathStep>>> {
        let node = self.graph.find_by_id(id)?;
        Some(self.analysis.retainer_path(&self.graph, node))
    }

    /// Like `retainer_path_by_id`, on paths through none of the objects with the `without` ids
    /// (ids not in the snapshot are ignored); with `realm_paths`, by the rules for a path to a
    /// realm's global.
    pub fn retainer_path_by_id_without(
        &self,
        id: u32,
        without: &[u32],
        realm_paths: bool,
    ) -> Option<Option<Vec<PathStep>>> {
        if without.is_empty() && !realm_paths {
            return self.retainer_path_by_id(id);
        }
        let node = self.graph.find_by_id(id)?;
        let mut blocked: Vec<NodeIdx> = without
            .iter()
            .filter_map(|&w| self.graph.find_by_id(w))
            .filter(|&w| w != node)
            .collect();
        blocked.sort_unstable();
        let is_blocked = |n: NodeIdx| blocked.binary_search(&n).is_ok();
        Some(
            self.analysis
                .retainer_path_without(&self.graph, node, &is_blocked, realm_paths),
        )
    }
}
