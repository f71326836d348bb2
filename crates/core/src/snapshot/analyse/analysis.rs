//! Everything the queries need, computed once. Dominators and retained sizes are built with the
//! snapshot; path distances only when a path is first asked for, since a class summary (the
//! commonest query) never needs them.

use std::sync::OnceLock;

use super::paths::{Distances, PathRules, PathStep, retainer_path, retainer_path_with};
use super::summary::{ClassSummary, class_summary};
use crate::snapshot::error::Result;
use crate::snapshot::heap::dominators::Dominators;
use crate::snapshot::heap::graph::HeapGraph;
use crate::snapshot::heap::nodes::NodeIdx;

pub struct Analysis {
    pub dominators: Dominators,
    paths: OnceLock<(PathRules, Distances)>,
}

impl Analysis {
    pub fn compute(graph: &HeapGraph) -> Result<Analysis> {
        Ok(Analysis {
            dominators: Dominators::compute(graph)?,
            paths: OnceLock::new(),
        })
    }

    /// The same, with the path distances and closure locations computed on another core
    /// alongside the dominators, for callers that know they will ask for paths (leak isolation).
    /// That core builds the retainers first: the dominators need them after their forward
    /// passes, and the distances (forward edges only) are not needed before the dominators end.
    pub fn compute_with_paths(graph: &HeapGraph) -> Result<Analysis> {
        let paths = OnceLock::new();
        let (dominators, ()) = crate::parallel::join(
            || Dominators::compute(graph),
            || {
                graph.retainer_columns();
                paths.get_or_init(|| path_distances(graph));
                graph.locate_closures();
            },
        );
        let dominators = dominators?;
        Ok(Analysis { dominators, paths })
    }

    /// Heap memory the analysis holds (the path distances once computed).
    pub fn heap_bytes(&self) -> u64 {
        let paths = self
            .paths
            .get()
            .map_or(0, |(rules, dist)| rules.heap_bytes() + dist.heap_bytes());
        self.dominators.heap_bytes() + paths
    }

    /// Path rules and distances for `graph`, the graph this analysis was computed from.
    fn paths(&self, graph: &HeapGraph) -> &(PathRules, Distances) {
        self.paths.get_or_init(|| path_distances(graph))
    }

    /// Distance from the root along edges a retainer path may use; `None` if unreachable.
    pub fn distance(&self, graph: &HeapGraph, node: NodeIdx) -> Option<u32> {
        self.paths(graph).1.get(node)
    }

    pub fn retainer_path(&self, graph: &HeapGraph, node: NodeIdx) -> Option<Vec<PathStep>> {
        let (rules, distances) = self.paths(graph);
        retainer_path(graph, rules, distances, Some(&self.dominators), node)
    }

    /// A retainer path whose steps through objects not `avoid`ed avoid those that are, where
    /// another way from the root exists (leak isolation: a path to a pre-existing holder should
    /// not run through another leak).
    pub fn retainer_path_avoiding(
        &self,
        graph: &HeapGraph,
        node: NodeIdx,
        avoid: &dyn Fn(NodeIdx) -> bool,
    ) -> Option<Vec<PathStep>> {
        let (rules, distances) = self.paths(graph);
        retainer_path_with(
            graph,
            rules,
            distances,
            Some(&self.dominators),
            node,
            Some(avoid),
        )
    }

    /// A retainer path that never passes through a `blocked` object, or `None` if every path
    /// does; with `realm_paths`, by the rules for a path to a realm's global (see `PathRules`).
    /// Walks the whole graph afresh: for the rare question, not for every path.
    pub fn retainer_path_without(
        &self,
        graph: &HeapGraph,
        node: NodeIdx,
        blocked: &dyn Fn(NodeIdx) -> bool,
        realm_paths: bool,
    ) -> Option<Vec<PathStep>> {
        let own;
        let rules = if realm_paths {
            own = PathRules::for_paths(graph, true);
            &own
        } else {
            &self.paths(graph).0
        };
        let distances = Distances::compute_without(graph, rules, blocked);
        retainer_path(graph, rules, &distances, Some(&self.dominators), node)
    }

    pub fn class_summary(&self, graph: &HeapGraph, top: Option<usize>) -> Vec<ClassSummary> {
        class_summary(graph, &self.dominators, top)
    }
}

fn path_distances(graph: &HeapGraph) -> (PathRules, Distances) {
    let rules = PathRules::new(graph);
    let distances = Distances::compute(graph, &rules);
    (rules, distances)
}
