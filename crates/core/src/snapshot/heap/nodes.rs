//! Per-node columns shared by the full graph and light-mode snapshots, the
//! id→index lookup, and DevTools' class naming.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::snapshot::error::{Result, SnapshotError};
use crate::snapshot::read::budget::vec_bytes;
use crate::snapshot::read::meta::SnapshotMeta;
use crate::snapshot::read::raw::RawSnapshot;
use crate::snapshot::read::strings::StringTable;

/// What V8 names the node of an ArrayBuffer's backing store (its self size is the byte length).
pub const BACKING_STORE: &str = "system / JSArrayBufferData";

/// Index of a node in the snapshot (its position in `nodes`, not its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(pub u32);

impl NodeIdx {
    /// Node 0 is the synthetic root.
    pub const ROOT: NodeIdx = NodeIdx(0);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Columnar node data; every type and name index has been validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeTable {
    pub node_type: Vec<u8>,
    pub name: Vec<u32>,
    pub id: Vec<u32>,
    pub self_size: Vec<u32>,
    /// Allocation trace node of every node; empty unless the snapshot was taken while allocations
    /// were tracked (otherwise every value is 0 and the column is not kept).
    pub trace_node: Vec<u32>,
    /// Node indices ordered by id, for binary search instead of a hash map; built when a bulk
    /// user asks for it or after `LINEAR_LOOKUPS` single lookups (a class summary never looks an
    /// id up, and its memory peak should not pay for the index).
    by_id: OnceLock<Vec<u32>>,
    linear_lookups: LookupCount,
}

/// Single id lookups scan the id column (milliseconds on millions of nodes) this many times
/// before the index is built.
const LINEAR_LOOKUPS: u32 = 16;

/// How many lookups scanned the id column; not part of a table's value.
#[derive(Debug, Default)]
struct LookupCount(AtomicU32);

impl Clone for LookupCount {
    fn clone(&self) -> Self {
        LookupCount(AtomicU32::new(self.0.load(Ordering::Relaxed)))
    }
}

impl PartialEq for LookupCount {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LookupCount {}

impl NodeTable {
    /// Heap memory the columns hold (the id index once it is built).
    pub fn heap_bytes(&self) -> u64 {
        vec_bytes(&self.node_type)
            + vec_bytes(&self.name)
            + vec_bytes(&self.id)
            + vec_bytes(&self.self_size)
            + vec_bytes(&self.trace_node)
            + self.by_id.get().map_or(0, |v| vec_bytes(v))
    }

    /// Builds the columns from full or light records, validating indices; the id index is built
    /// when an id is first looked up.
    pub fn from_raw(raw: &RawSnapshot) -> Result<NodeTable> {
        let layout = raw.node_layout;
        let stride = layout.stride.max(1);
        let n = raw.nodes.len() / stride;
        if n == 0 {
            return Err(SnapshotError::NoNodes);
        }
        let mut table = NodeTable {
            node_type: Vec::with_capacity(n),
            name: Vec::with_capacity(n),
            id: Vec::with_capacity(n),
            self_size: Vec::with_capacity(n),
            trace_node: Vec::new(),
            by_id: OnceLock::new(),
            linear_lookups: LookupCount::default(),
        };
        if let Some(offset) = layout.trace_node_id {
            let traces = raw
                .nodes
                .chunks_exact(stride)
                .map(|r| r.get(offset).copied().unwrap_or(0));
            if traces.clone().any(|t| t != 0) {
                table.trace_node = traces.collect();
            }
        }
        for (i, record) in raw.nodes.chunks_exact(stride).enumerate() {
            let field = |offset: usize| record.get(offset).copied().unwrap_or(0);
            let (node_type, name) = (field(layout.node_type), field(layout.name));
            let node_type = check_type_and_name(&raw.meta, &raw.strings, i, node_type, name)?;
            table.node_type.push(node_type);
            table.name.push(name);
            table.id.push(field(layout.id));
            table.self_size.push(field(layout.self_size));
        }
        Ok(table)
    }

    fn build_id_index(&self) -> Vec<u32> {
        // Sorting (id, index) pairs is far faster than sorting indices by a looked-up key (no
        // cache misses in the comparisons). The pairs are sorted in one buffer that then keeps
        // the indices only, so the peak is 8 bytes per node rather than 12. V8 numbers objects
        // in the order it first meets them, which is mostly node order: a stable sort finds those
        // long sorted runs and merges them (0.02 s instead of 0.06 s on 4.5 M nodes).
        let mut pairs: Vec<[u32; 2]> = self
            .id
            .iter()
            .enumerate()
            .map(|(i, &id)| [id, i as u32])
            .collect();
        pairs.sort_by_key(|&[id, index]| (u64::from(id) << 32) | u64::from(index));
        let mut words: Vec<u32> = pairs.into_flattened();
        let n = words.len() / 2;
        for i in 0..n {
            words[i] = words[2 * i + 1];
        }
        words.truncate(n);
        words.shrink_to_fit();
        words
    }

    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Node indices sorted by object id.
    pub fn indices_by_id(&self) -> &[u32] {
        self.by_id.get_or_init(|| self.build_id_index())
    }

    pub fn find_by_id(&self, id: u32) -> Option<NodeIdx> {
        let ids = &self.id;
        let by_id = match self.by_id.get() {
            Some(by_id) => by_id,
            None if self.linear_lookups.0.fetch_add(1, Ordering::Relaxed) < LINEAR_LOOKUPS => {
                return ids.iter().position(|&x| x == id).map(|i| NodeIdx(i as u32));
            }
            None => self.indices_by_id(),
        };
        let pos = by_id.partition_point(|&i| ids.get(i as usize).copied().unwrap_or(u32::MAX) < id);
        let &index = by_id.get(pos)?;
        (ids.get(index as usize) == Some(&id)).then_some(NodeIdx(index))
    }
}

/// Node `i`'s type (returned as the byte columns keep it) and name must index the snapshot's
/// node types and strings.
pub fn check_type_and_name(
    meta: &SnapshotMeta,
    strings: &StringTable,
    i: usize,
    node_type: u32,
    name: u32,
) -> Result<u8> {
    let type_count = meta.node_types.len();
    if node_type as usize >= type_count {
        return Err(SnapshotError::TypeIndexOutOfRange {
            index: node_type as u64,
            count: type_count as u64,
            location: format!("node {i} field `type`"),
        });
    }
    let string_count = strings.len();
    if name as usize >= string_count {
        return Err(SnapshotError::StringIndexOutOfRange {
            index: name as u64,
            count: string_count as u64,
            location: format!("node {i} field `name`"),
        });
    }
    Ok(node_type as u8)
}

/// DevTools' class name (HeapSnapshot.ts `className`): hidden nodes are
/// "(system)", objects and natives use their name, code is "(compiled code)",
/// everything else is the type in parentheses.
pub fn class_name<'a>(
    meta: &'a SnapshotMeta,
    strings: &'a StringTable,
    node_type: u8,
    name: u32,
) -> Cow<'a, str> {
    let ids = &meta.node_type_ids;
    let t = Some(node_type);
    if t == ids.hidden {
        Cow::Borrowed("(system)")
    } else if t == ids.object || t == ids.native {
        Cow::Borrowed(strings.get_or_empty(name))
    } else if t == ids.code {
        Cow::Borrowed("(compiled code)")
    } else {
        Cow::Owned(format!("({})", meta.node_type_name(node_type)))
    }
}

/// Grouping key for a class: objects and natives group by name, every other
/// type forms one class.
pub fn class_key(meta: &SnapshotMeta, node_type: u8, name: u32) -> (u8, u32) {
    let ids = &meta.node_type_ids;
    if Some(node_type) == ids.object || Some(node_type) == ids.native {
        (node_type, name)
    } else {
        (node_type, u32::MAX)
    }
}

/// Borrowed view of everything the per-node analyses (summary, diff) need.
#[derive(Debug, Clone, Copy)]
pub struct NodeView<'a> {
    pub meta: &'a SnapshotMeta,
    pub strings: &'a StringTable,
    pub nodes: &'a NodeTable,
}

impl<'a> NodeView<'a> {
    pub fn class_name(&self, node: NodeIdx) -> Cow<'a, str> {
        let (node_type, name) = self.type_and_name(node);
        class_name(self.meta, self.strings, node_type, name)
    }

    /// A node's type and name index (0 and 0 past the end).
    pub fn type_and_name(&self, node: NodeIdx) -> (u8, u32) {
        let i = node.index();
        (
            self.nodes.node_type.get(i).copied().unwrap_or(0),
            self.nodes.name.get(i).copied().unwrap_or(0),
        )
    }
}

/// A snapshot parsed in light mode: nodes only, enough for diffs.
#[derive(Debug, Clone)]
pub struct LightSnapshot {
    pub meta: SnapshotMeta,
    pub strings: StringTable,
    pub nodes: NodeTable,
}

impl LightSnapshot {
    /// Works from light or full parses.
    pub fn from_raw(raw: RawSnapshot) -> Result<LightSnapshot> {
        let nodes = NodeTable::from_raw(&raw)?;
        Ok(LightSnapshot {
            meta: raw.meta,
            strings: raw.strings,
            nodes,
        })
    }

    pub fn view(&self) -> NodeView<'_> {
        NodeView {
            meta: &self.meta,
            strings: &self.strings,
            nodes: &self.nodes,
        }
    }
}
