//! Class summary as DevTools' Summary view builds it: nodes grouped by
//! (type, class name); a class's retained size counts only members that are
//! not dominated by another member of the same class.

use std::collections::HashMap;

use super::dominators::Dominators;
use super::graph::HeapGraph;
use super::nodes::{NodeIdx, class_key, class_name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    pub node_type: String,
    pub class_name: String,
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
}

const NO_CLASS: u32 = u32::MAX;

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
    let native = meta.node_type_ids.native;
    let mut class_ids: HashMap<(u8, u32), u32> = HashMap::new();
    let mut classes: Vec<ClassSummary> = Vec::new();
    let mut class_of = vec![NO_CLASS; nodes.len()];
    for (i, slot) in class_of.iter_mut().enumerate() {
        let (t, name, size) = (nodes.node_type[i], nodes.name[i], nodes.self_size[i]);
        if size == 0 && Some(t) != native {
            continue;
        }
        let key = class_key(meta, t, name);
        let c = *class_ids.entry(key).or_insert_with(|| {
            classes.push(ClassSummary {
                node_type: meta.node_type_name(t).to_string(),
                class_name: class_name(meta, &graph.strings, t, name).into_owned(),
                count: 0,
                self_size: 0,
                retained_size: 0,
            });
            (classes.len() - 1) as u32
        });
        *slot = c;
        let class = &mut classes[c as usize];
        class.count += 1;
        class.self_size += size as u64;
    }

    // One DFS over the dominator tree; `active[c]` counts open ancestors of
    // class c, so only the outermost member of a class adds its size.
    let mut active = vec![0u32; classes.len()];
    let mut stack: Vec<(u32, bool)> = vec![(0, false)];
    while let Some((node, leaving)) = stack.pop() {
        // Checked lookups: dominators of a different graph must not panic.
        let c = class_of.get(node as usize).copied().unwrap_or(NO_CLASS);
        if leaving {
            if c != NO_CLASS {
                active[c as usize] -= 1;
            }
            continue;
        }
        if c != NO_CLASS {
            if active[c as usize] == 0 {
                classes[c as usize].retained_size += dominators.retained_size(NodeIdx(node));
            }
            active[c as usize] += 1;
        }
        stack.push((node, true));
        for &child in dominators.children(NodeIdx(node)) {
            stack.push((child, false));
        }
    }

    classes.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.self_size.cmp(&a.self_size))
            .then_with(|| a.class_name.cmp(&b.class_name))
    });
    if let Some(top) = top {
        classes.truncate(top);
    }
    classes
}
