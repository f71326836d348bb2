//! The parsed-but-not-yet-indexed snapshot: flat number arrays as they appear
//! in the file, plus the string table and the decoded header.

use super::budget;
use super::json_scan::{TOKEN_CLOSE, TOKEN_OPEN};
use super::meta::SnapshotMeta;
use super::strings::StringTable;
use crate::snapshot::error::{Result, SnapshotError};

/// Field offsets inside the stored `nodes` records. In full mode this is the
/// file's layout; in light mode only type, name, id and self size are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLayout {
    pub stride: usize,
    pub node_type: usize,
    pub name: usize,
    pub id: usize,
    pub self_size: usize,
    /// Present when the file has the field (light records drop it).
    pub trace_node_id: Option<usize>,
}

impl NodeLayout {
    pub fn full(meta: &SnapshotMeta) -> NodeLayout {
        NodeLayout {
            stride: meta.node.count,
            node_type: meta.node.node_type,
            name: meta.node.name,
            id: meta.node.id,
            self_size: meta.node.self_size,
            trace_node_id: meta.node.trace_node_id,
        }
    }

    /// Which fields of a file record light mode keeps (file order is kept,
    /// so `light_from_file` says where each one lands).
    pub fn light_keep_mask(meta: &SnapshotMeta) -> Vec<bool> {
        let n = &meta.node;
        (0..n.count)
            .map(|f| f == n.node_type || f == n.name || f == n.id || f == n.self_size)
            .collect()
    }

    /// The layout of records filtered with `light_keep_mask`.
    pub fn light_from_file(meta: &SnapshotMeta) -> NodeLayout {
        let n = &meta.node;
        let mut kept: Vec<usize> = vec![n.node_type, n.name, n.id, n.self_size];
        kept.sort_unstable();
        let at = |field: usize| kept.iter().position(|&f| f == field).unwrap_or(0);
        NodeLayout {
            stride: 4,
            node_type: at(n.node_type),
            name: at(n.name),
            id: at(n.id),
            self_size: at(n.self_size),
            trace_node_id: None,
        }
    }
}

/// One node of the allocation trace tree, flattened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceTreeNode {
    pub id: u32,
    pub function_info_index: u32,
    pub count: u32,
    pub size: u32,
    /// Index of the parent in `RawSnapshot::trace_tree`, `u32::MAX` at the top.
    pub parent: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSnapshot {
    pub meta: SnapshotMeta,
    pub nodes: Vec<u32>,
    pub node_layout: NodeLayout,
    /// Empty in light mode.
    pub edges: Vec<u32>,
    /// Empty in light mode.
    pub locations: Vec<u32>,
    pub trace_function_infos: Vec<u32>,
    pub trace_tree: Vec<TraceTreeNode>,
    pub strings: StringTable,
    pub light: bool,
    /// False when a light file parse jumped over the edges and locations
    /// (`ParseOptions::skip_to_strings`), which were then not checked.
    pub edges_read: bool,
    pub bytes_read: u64,
}

impl RawSnapshot {
    pub fn node_count(&self) -> usize {
        self.nodes.len() / self.node_layout.stride.max(1)
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len() / self.meta.edge.count.max(1)
    }
}

fn malformed(why: &str) -> SnapshotError {
    SnapshotError::BadMeta(format!("malformed `trace_tree`: {why}"))
}

/// Rebuilds the nested trace tree from its token stream. The `children`
/// field must be the last one, as V8 writes it.
pub fn flatten_trace_tree(meta: &SnapshotMeta, tokens: &[u64]) -> Result<Vec<TraceTreeNode>> {
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let fields = &meta.trace_node_fields;
    let pos = |name: &str| fields.iter().position(|f| f == name);
    let (Some(id), Some(fi), Some(count), Some(size), Some(children)) = (
        pos("id"),
        pos("function_info_index"),
        pos("count"),
        pos("size"),
        pos("children"),
    ) else {
        return Err(malformed("`trace_node_fields` lacks a required field"));
    };
    if children + 1 != fields.len() {
        return Err(malformed("`children` is not the last trace node field"));
    }
    let scalars = fields.len() - 1;
    let mut out = Vec::new();
    // A node takes at least its scalars and two brackets: room for all there can be, or an error.
    budget::reserve(
        &mut out,
        tokens.len() / (scalars + 2),
        "the allocation trace tree",
    )?;
    let mut parents: Vec<u32> = Vec::new();
    let mut values: Vec<u32> = Vec::with_capacity(scalars);
    let mut iter = tokens.iter();
    if iter.next() != Some(&TOKEN_OPEN) {
        return Err(malformed("it is not an array"));
    }
    parents.push(u32::MAX);
    for &token in iter {
        match token {
            TOKEN_OPEN => {
                if values.len() != scalars {
                    return Err(malformed("children array in the wrong place"));
                }
                let get = |f: usize| values.get(f).copied().unwrap_or(0);
                let node = TraceTreeNode {
                    id: get(id),
                    function_info_index: get(fi),
                    count: get(count),
                    size: get(size),
                    parent: parents.last().copied().unwrap_or(u32::MAX),
                };
                let index = u32::try_from(out.len()).map_err(|_| malformed("too many nodes"))?;
                out.push(node);
                parents.push(index);
                values.clear();
            }
            TOKEN_CLOSE => {
                if !values.is_empty() {
                    return Err(malformed("a node lacks its children array"));
                }
                if parents.pop().is_none() {
                    return Err(malformed("unbalanced brackets"));
                }
            }
            number => {
                if values.len() == scalars {
                    return Err(malformed("too many fields in a node"));
                }
                values.push(number as u32);
            }
        }
    }
    if !parents.is_empty() {
        return Err(malformed("unbalanced brackets"));
    }
    Ok(out)
}
