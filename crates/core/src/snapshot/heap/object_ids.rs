//! What leak isolation keeps of the baseline and target snapshots: every object's id with a
//! fingerprint of its class, sorted by id. Eight bytes per node, where a light snapshot keeps
//! its node table and strings, and enough to tell which objects are new and whether two
//! snapshots come from one process (one id names the same object, so the same class, for the
//! life of a process).

use super::nodes::{NodeIdx, NodeView, check_type_and_name, class_name};
use crate::snapshot::error::{Result, SnapshotError};
use crate::snapshot::read::budget::reserve;
use crate::snapshot::read::meta::SnapshotMeta;
use crate::snapshot::read::raw::RawSnapshot;
use crate::snapshot::read::strings::StringTable;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectIds {
    pub meta: SnapshotMeta,
    /// `[id, class fingerprint]` pairs, sorted by id.
    entries: Vec<u32>,
}

/// The class of a node, as a number equal across snapshots for equal classes: FNV-1a over the
/// type and class names.
pub fn class_fingerprint(view: &NodeView, node: NodeIdx) -> u32 {
    let (node_type, name) = view.type_and_name(node);
    fingerprint(view.meta, view.strings, node_type, name)
}

pub(crate) fn fingerprint(
    meta: &SnapshotMeta,
    strings: &StringTable,
    node_type: u8,
    name: u32,
) -> u32 {
    let type_name = meta.node_type_name(node_type);
    let class = class_name(meta, strings, node_type, name);
    let mut hash: u32 = 0x811c_9dc5;
    for &b in type_name
        .as_bytes()
        .iter()
        .chain(b"/")
        .chain(class.as_bytes())
    {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    hash
}

/// Fingerprints worked out once per class: objects by name, every other type as one class
/// (natives are few and hashed each time).
struct Fingerprints<'a> {
    meta: &'a SnapshotMeta,
    strings: &'a StringTable,
    by_name: Vec<Option<u32>>,
    by_type: Vec<Option<u32>>,
}

impl<'a> Fingerprints<'a> {
    fn new(meta: &'a SnapshotMeta, strings: &'a StringTable) -> Self {
        Fingerprints {
            meta,
            strings,
            by_name: vec![None; strings.len()],
            by_type: vec![None; meta.node_types.len()],
        }
    }

    fn of(&mut self, node_type: u8, name: u32) -> u32 {
        let ids = self.meta.node_type_ids;
        let t = Some(node_type);
        let slot = if t == ids.object {
            self.by_name.get_mut(name as usize)
        } else if t == ids.native {
            None
        } else {
            self.by_type.get_mut(usize::from(node_type))
        };
        let (meta, strings) = (self.meta, self.strings);
        match slot {
            Some(Some(f)) => *f,
            Some(empty) => *empty.insert(fingerprint(meta, strings, node_type, name)),
            None => fingerprint(meta, strings, node_type, name),
        }
    }
}

impl ObjectIds {
    /// From a light (or full) parse, with the type and name checks of a node table. The pairs
    /// are written over the records they come from, so no second table is allocated.
    pub fn from_raw(raw: RawSnapshot) -> Result<ObjectIds> {
        let RawSnapshot {
            meta,
            strings,
            nodes: mut words,
            node_layout: layout,
            ..
        } = raw;
        // Pair i lands on words 2i and 2i + 1, never past record i: records are at least two
        // words long (type, name and id are distinct fields).
        let stride = layout.stride;
        if stride < 2 {
            return Err(SnapshotError::BadMeta(
                "node records have fewer than two fields".into(),
            ));
        }
        let n = words.len() / stride;
        if n == 0 {
            return Err(SnapshotError::NoNodes);
        }
        let mut fingerprints = Fingerprints::new(&meta, &strings);
        for i in 0..n {
            let field = |offset: usize| words.get(i * stride + offset).copied().unwrap_or(0);
            let (node_type, name, id) = (
                field(layout.node_type),
                field(layout.name),
                field(layout.id),
            );
            let node_type = check_type_and_name(&meta, &strings, i, node_type, name)?;
            words[2 * i] = id;
            words[2 * i + 1] = fingerprints.of(node_type, name);
        }
        drop(fingerprints);
        words.truncate(2 * n);
        words.shrink_to_fit();
        Ok(Self::sorted(meta, words))
    }

    pub fn from_view(view: &NodeView) -> Result<ObjectIds> {
        let nodes = view.nodes;
        let mut fingerprints = Fingerprints::new(view.meta, view.strings);
        let mut words = Vec::new();
        reserve(&mut words, 2 * nodes.id.len(), "object ids")?;
        for ((&id, &node_type), &name) in nodes.id.iter().zip(&nodes.node_type).zip(&nodes.name) {
            words.push(id);
            words.push(fingerprints.of(node_type, name));
        }
        Ok(Self::sorted(view.meta.clone(), words))
    }

    fn sorted(meta: SnapshotMeta, mut entries: Vec<u32>) -> ObjectIds {
        // Stable: it finds and merges the long runs of ids in node order (see `NodeTable`).
        let (pairs, _) = entries.as_chunks_mut::<2>();
        pairs.sort_by_key(|&[id, fingerprint]| (u64::from(id) << 32) | u64::from(fingerprint));
        ObjectIds { meta, entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (id, class fingerprint) pairs in ascending id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, u32)> + ExactSizeIterator + '_ {
        self.entries
            .as_chunks::<2>()
            .0
            .iter()
            .map(|&[id, fingerprint]| (id, fingerprint))
    }

    /// The newest JavaScript object's id. V8 numbers heap objects with odd ids in allocation
    /// order; native (embedder) nodes get even ids derived from hashes, which say nothing about
    /// age.
    pub fn newest_heap_id(&self) -> Option<u32> {
        self.iter().rev().map(|(id, _)| id).find(|id| id % 2 == 1)
    }
}
