//! Everything the queries need, computed once: dominators/retained sizes and
//! the path distances run side by side on the two cores.

use super::dominators::Dominators;
use super::error::Result;
use super::graph::HeapGraph;
use super::nodes::NodeIdx;
use super::paths::{Distances, PathRules, PathStep, retainer_path};
use super::summary::{ClassSummary, class_summary};

pub struct Analysis {
    pub dominators: Dominators,
    pub rules: PathRules,
    pub distances: Distances,
}

impl Analysis {
    pub fn compute(graph: &HeapGraph) -> Result<Analysis> {
        std::thread::scope(|scope| {
            let dominators = scope.spawn(|| Dominators::compute(graph));
            let rules = PathRules::new(graph);
            let distances = Distances::compute(graph, &rules);
            let dominators = match dominators.join() {
                Ok(result) => result?,
                // Dominators::compute does not panic; if it ever did, keep
                // the panic rather than hide it.
                Err(panic) => std::panic::resume_unwind(panic),
            };
            Ok(Analysis {
                dominators,
                rules,
                distances,
            })
        })
    }

    /// Sequential variant (for one-core environments and measurements).
    pub fn compute_sequential(graph: &HeapGraph) -> Result<Analysis> {
        let dominators = Dominators::compute(graph)?;
        let rules = PathRules::new(graph);
        let distances = Distances::compute(graph, &rules);
        Ok(Analysis {
            dominators,
            rules,
            distances,
        })
    }

    pub fn retainer_path(&self, graph: &HeapGraph, node: NodeIdx) -> Option<Vec<PathStep>> {
        retainer_path(
            graph,
            &self.rules,
            &self.distances,
            Some(&self.dominators),
            node,
        )
    }

    pub fn class_summary(&self, graph: &HeapGraph, top: Option<usize>) -> Vec<ClassSummary> {
        class_summary(graph, &self.dominators, top)
    }
}
