//! Class summary as DevTools' Summary view builds it: nodes grouped by
//! (type, class name); a class's retained size counts only members that are
//! not dominated by another member of the same class.

use std::collections::HashMap;

use super::paths::{Location, node_location};
use crate::snapshot::heap::dominators::Dominators;
use crate::snapshot::heap::graph::HeapGraph;
use crate::snapshot::heap::nodes::{BACKING_STORE, NodeIdx, class_name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    pub node_type: String,
    pub class_name: String,
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
    /// Of `retained_size`, bytes of ArrayBuffer backing stores: memory outside the JS heap that
    /// the class's objects keep (Buffers, typed arrays).
    pub buffer_size: u64,
    /// Closures are summarised per function: its name and where it is defined.
    pub function_name: Option<String>,
    pub location: Option<Location>,
}

const NO_CLASS: u32 = u32::MAX;
/// Node indices stay below 2^30 (the graph refuses more) and classes below the node count, so
/// bit 31 is free.
const LEAVING: u32 = 1 << 31;

/// A node's class from its type and name, without a column per node: objects by name,
/// natives (rare) through a map, every other type as one class.
struct ClassIndex {
    by_object_name: Vec<u32>,
    by_native_name: HashMap<u32, u32>,
    /// Closures by function: name and source position (script id, line, column).
    by_function: HashMap<(u32, u32, u32, u32), u32>,
    by_type: Vec<u32>,
}

impl ClassIndex {
    fn new(graph: &HeapGraph) -> ClassIndex {
        ClassIndex {
            by_object_name: vec![NO_CLASS; graph.strings.len()],
            by_native_name: HashMap::new(),
            by_function: HashMap::new(),
            by_type: vec![NO_CLASS; graph.meta.node_types.len()],
        }
    }

    /// The class slot of node `i` (`NO_CLASS` until assigned); `None` for nodes the summary
    /// leaves out (zero self size, unless native) and out-of-range indices.
    fn slot(&mut self, graph: &HeapGraph, i: usize) -> Option<&mut u32> {
        let nodes = &graph.nodes;
        let ids = graph.meta.node_type_ids;
        let (&t, &name, &size) = (
            nodes.node_type.get(i)?,
            nodes.name.get(i)?,
            nodes.self_size.get(i)?,
        );
        if size == 0 && Some(t) != ids.native {
            return None;
        }
        if Some(t) == ids.object {
            self.by_object_name.get_mut(name as usize)
        } else if Some(t) == ids.native {
            Some(self.by_native_name.entry(name).or_insert(NO_CLASS))
        } else if Some(t) == ids.closure {
            let at = graph
                .raw_location(NodeIdx(i as u32))
                .map_or((u32::MAX, 0, 0), |l| (l.script_id, l.line, l.column));
            Some(
                self.by_function
                    .entry((name, at.0, at.1, at.2))
                    .or_insert(NO_CLASS),
            )
        } else {
            self.by_type.get_mut(t as usize)
        }
    }
}

/// Classes sorted by retained size (then self size, then name), at most
/// `top` of them if given. Like DevTools, nodes with a zero self size are
/// left out unless they are native, which drops the synthetic root and the
/// GC-roots groups. `dominators` must come from the same graph.
pub fn class_summary(
    graph: &HeapGraph,
    dominators: &Dominators,
    top: Option<usize>,
) -> Vec<ClassSummary> {
    let meta = &graph.meta;
    let nodes = &graph.nodes;
    let mut index = ClassIndex::new(graph);
    let mut classes: Vec<ClassSummary> = Vec::new();
    for i in 0..nodes.len() {
        let Some(slot) = index.slot(graph, i) else {
            continue;
        };
        if *slot == NO_CLASS {
            let (t, name) = (nodes.node_type[i], nodes.name[i]);
            let node = NodeIdx(i as u32);
            let closure = Some(t) == meta.node_type_ids.closure;
            classes.push(ClassSummary {
                node_type: meta.node_type_name(t).to_string(),
                class_name: class_name(meta, &graph.strings, t, name).into_owned(),
                count: 0,
                self_size: 0,
                retained_size: 0,
                buffer_size: 0,
                function_name: closure.then(|| graph.function_name(node).into_owned()),
                location: closure.then(|| node_location(graph, node)).flatten(),
            });
            *slot = (classes.len() - 1) as u32;
        }
        let class = &mut classes[*slot as usize];
        class.count += 1;
        class.self_size += u64::from(nodes.self_size[i]);
    }

    // One DFS over the dominator tree; `active[c]` counts open ancestors of class c, so only the
    // outermost member of a class adds its size. Stack entries are node indices, or a class
    // with `LEAVING` set on the entry that closes a node of that class. Leaves (most nodes) and
    // classless nodes close nothing, so they push no such entry. A subtree is visited in one
    // stretch, so the backing-store bytes an outermost member keeps are the running total when
    // it closes minus the total when it opened (`open`, one entry per outermost member).
    let native = meta.node_type_ids.native;
    let mut buffers_seen = 0u64;
    let mut open: Vec<u64> = Vec::new();
    let mut active = vec![0u32; classes.len()];
    let mut stack: Vec<u32> = vec![0];
    while let Some(entry) = stack.pop() {
        if entry & LEAVING != 0 {
            let c = (entry & !LEAVING) as usize;
            active[c] -= 1;
            if active[c] == 0 {
                let opened = open.pop().unwrap_or(buffers_seen);
                classes[c].buffer_size += buffers_seen - opened;
            }
            continue;
        }
        let i = entry as usize;
        let node = NodeIdx(entry);
        let own = if native.is_some()
            && nodes.node_type.get(i).copied() == native
            && graph.node_name(node) == BACKING_STORE
        {
            u64::from(nodes.self_size[i])
        } else {
            0
        };
        buffers_seen += own;
        let children = dominators.children(node);
        if let Some(c) = index.slot(graph, i).map(|c| *c)
            && let Some(a) = active.get_mut(c as usize)
        {
            if *a == 0 {
                let class = &mut classes[c as usize];
                class.retained_size += dominators.retained_size(node);
                if children.is_empty() {
                    class.buffer_size += own;
                } else {
                    open.push(buffers_seen - own);
                }
            }
            if !children.is_empty() {
                *a += 1;
                stack.push(c | LEAVING);
            }
        }
        stack.extend_from_slice(children);
    }

    classes.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.self_size.cmp(&a.self_size))
            .then_with(|| a.class_name.cmp(&b.class_name))
            .then_with(|| a.function_name.cmp(&b.function_name))
            .then_with(|| {
                let at =
                    |c: &ClassSummary| c.location.as_ref().map(|l| (l.script_id, l.line, l.column));
                at(a).cmp(&at(b))
            })
    });
    if let Some(top) = top {
        classes.truncate(top);
    }
    classes
}
