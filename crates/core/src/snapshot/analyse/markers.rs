//! Finding objects a program marked before taking a snapshot: the object is a WeakMap key whose
//! value is a unique string with a known prefix. The map does not keep the object alive, and
//! V8 writes the pair as an edge from the key to the value ("part of key … -> value …"), so the
//! marker string's retainer on that edge is the marked object.

use crate::snapshot::heap::graph::{EdgeName, HeapGraph};
use crate::snapshot::heap::nodes::NodeIdx;

/// `(marker string, marked object)` for every string node starting with `prefix`.
pub fn marked_objects(graph: &HeapGraph, prefix: &str) -> Vec<(String, NodeIdx)> {
    let string = graph.meta.node_type_ids.string;
    let mut found = Vec::new();
    for i in 0..graph.node_count() as u32 {
        let node = NodeIdx(i);
        if Some(graph.node_type(node)) != string || !graph.node_name(node).starts_with(prefix) {
            continue;
        }
        let key = graph
            .retainers_of(node)
            .find_map(|(e, from)| match graph.edge_name(e) {
                EdgeName::Name(n) if n.contains("part of key") && from != node => {
                    // The table also holds the pair; the key is the retainer whose id the name shows.
                    let id = graph.node_id(from);
                    n.contains(&format!("@{id}) ->")).then_some(from)
                }
                _ => None,
            });
        if let Some(key) = key {
            found.push((graph.node_name(node).to_string(), key));
        }
    }
    found
}
