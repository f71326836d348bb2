//! What leak isolation keeps of the baseline and target snapshots: every object's id with a
//! fingerprint of its class, sorted by id. Eight bytes per node, where a light snapshot keeps
//! its node table and strings, and enough to tell which objects are new and whether two
//! snapshots come from one process (one id names the same object, so the same class, for the
//! life of a process).

use super::error::Result;
use super::meta::SnapshotMeta;
use super::nodes::{NodeIdx, NodeTable, NodeView};
use super::raw::RawSnapshot;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectIds {
    pub meta: SnapshotMeta,
    /// `id << 32 | class fingerprint`, ascending: sorted by id.
    entries: Vec<u64>,
}

/// The class of a node, as a number equal across snapshots for equal classes: FNV-1a over the
/// type and class names.
pub fn class_fingerprint(view: &NodeView, node: NodeIdx) -> u32 {
    let type_name = view
        .meta
        .node_type_name(view.nodes.node_type.get(node.index()).copied().unwrap_or(0));
    let mut hash: u32 = 0x811c_9dc5;
    for &b in type_name
        .as_bytes()
        .iter()
        .chain(b"/")
        .chain(view.class_name(node).as_bytes())
    {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    hash
}

impl ObjectIds {
    /// From a light (or full) parse; the records are validated as for a node table.
    pub fn from_raw(raw: RawSnapshot) -> Result<ObjectIds> {
        let nodes = NodeTable::from_raw(&raw)?;
        let RawSnapshot { meta, strings, .. } = raw;
        let view = NodeView {
            meta: &meta,
            strings: &strings,
            nodes: &nodes,
        };
        let entries = Self::entries_of(&view);
        Ok(ObjectIds { meta, entries })
    }

    pub fn from_view(view: &NodeView) -> ObjectIds {
        ObjectIds {
            meta: view.meta.clone(),
            entries: Self::entries_of(view),
        }
    }

    fn entries_of(view: &NodeView) -> Vec<u64> {
        // Fingerprints are worked out once per class: objects and natives by name, every
        // other type as one class.
        let ids = view.meta.node_type_ids;
        let mut by_name: Vec<Option<u32>> = vec![None; view.strings.len()];
        let mut by_type: Vec<Option<u32>> = vec![None; view.meta.node_types.len()];
        let nodes = view.nodes;
        let mut entries: Vec<u64> = (0..nodes.len())
            .map(|i| {
                let t = Some(nodes.node_type[i]);
                let slot = if t == ids.object {
                    by_name.get_mut(nodes.name[i] as usize)
                } else if t == ids.native {
                    None // few: hashed each time
                } else {
                    by_type.get_mut(nodes.node_type[i] as usize)
                };
                let fingerprint = match slot {
                    Some(Some(f)) => *f,
                    Some(empty) => *empty.insert(class_fingerprint(view, NodeIdx(i as u32))),
                    None => class_fingerprint(view, NodeIdx(i as u32)),
                };
                (u64::from(nodes.id[i]) << 32) | u64::from(fingerprint)
            })
            .collect();
        entries.sort_unstable();
        entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (id, class fingerprint) pairs in ascending id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, u32)> + ExactSizeIterator + '_ {
        self.entries.iter().map(|&e| ((e >> 32) as u32, e as u32))
    }

    /// The newest JavaScript object's id. V8 numbers heap objects with odd ids in allocation
    /// order; native (embedder) nodes get even ids derived from hashes, which say nothing about
    /// age.
    pub fn newest_heap_id(&self) -> Option<u32> {
        self.iter().rev().map(|(id, _)| id).find(|id| id % 2 == 1)
    }
}
