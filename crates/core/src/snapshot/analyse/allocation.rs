//! Where an object was allocated, from snapshots taken while V8 tracked allocations
//! (`--track-heap-objects`, or the inspector's `HeapProfiler.startTrackingHeapObjects`): each
//! node names a trace-tree node, whose ancestors are the call stack of the allocation.

use crate::snapshot::heap::graph::HeapGraph;
use crate::snapshot::heap::nodes::NodeIdx;

/// One frame of an allocation stack, innermost first. V8 records functions, not call sites:
/// `line` and `column` (1-based, 0 when unknown) are where the function is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
}

/// The stack that allocated `node`, innermost frame first; `None` without allocation tracking.
pub fn allocation_stack(graph: &HeapGraph, node: NodeIdx) -> Option<Vec<Frame>> {
    let trace_id = *graph.nodes.trace_node.get(node.index())?;
    if trace_id == 0 {
        return None;
    }
    let fields = &graph.meta.trace_function_info_fields;
    let at = |name: &str| fields.iter().position(|f| f == name);
    let (name_at, script_at, line_at, column_at) =
        (at("name")?, at("script_name")?, at("line")?, at("column")?);
    let stride = fields.len();
    let infos = &graph.trace_function_infos;
    let tree = &graph.trace_tree;
    let mut index = tree.iter().position(|t| t.id == trace_id)?;
    let mut frames = Vec::new();
    // Bounded by the tree's size, so a malformed parent chain cannot loop forever.
    for _ in 0..tree.len() {
        let t = &tree[index];
        let base = t.function_info_index as usize * stride;
        let info = infos.get(base..base + stride)?;
        let function_name = graph.strings.get_or_empty(info[name_at]);
        if function_name != "(root)" {
            frames.push(Frame {
                function_name: if function_name.is_empty() {
                    "(anonymous)".to_string()
                } else {
                    function_name.to_string()
                },
                script: graph.strings.get_or_empty(info[script_at]).to_string(),
                line: info[line_at],
                column: info[column_at],
            });
        }
        if t.parent == u32::MAX {
            break;
        }
        index = t.parent as usize;
    }
    Some(frames)
}
