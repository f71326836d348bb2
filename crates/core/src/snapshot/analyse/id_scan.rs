//! Leak isolation's reading of the baseline and target files, lean enough to run while the
//! final snapshot is analysed on the other core. Node records are streamed out of the parser
//! as they arrive and only what the comparison needs is kept: the baseline's heap object ids
//! (four bytes a node, where `ObjectIds` keeps eight and a light snapshot sixteen), the
//! target's new ids, and a sample of both with class fingerprints, to check that the
//! snapshots come from one process and the final one from the same.
//!
//! The sample is taken by id, not by position, so that the baseline's and the target's hold
//! the same objects: an id is in it when `(id >> 1) % every == 0`.
//!
//! Anything unexpected while streaming (the header after the nodes, no `strings` key found
//! from the end, a bad record) reads the file again as a light snapshot, which reports errors
//! exactly as a full read does.

use crate::snapshot::read::budget::{out_of_memory, push_or_note};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use super::leaks::{NewObjects, SharedIds};
use crate::snapshot::error::{Result, SnapshotError};
use crate::snapshot::heap::id_cursor::IdCursor;
use crate::snapshot::heap::nodes::check_type_and_name;
use crate::snapshot::heap::object_ids::fingerprint;
use crate::snapshot::read::light_file::parse_skipping_with;
use crate::snapshot::read::meta::SnapshotMeta;
use crate::snapshot::read::parser::{ParseOptions, SnapshotParser};
use crate::snapshot::read::raw::NodeLayout;
use crate::snapshot::read::source::{ProgressFeed, parse_file_fed};
use crate::snapshot::read::strings::StringTable;

/// About this many sampled objects per snapshot.
const SAMPLE_SIZE: u64 = 65_536;

/// What the target is compared with: the baseline's heap ids and sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineIds {
    meta: SnapshotMeta,
    /// Odd (heap object) ids, ascending.
    heap_ids: Vec<u32>,
    sample: IdSample,
}

impl BaselineIds {
    pub fn read(path: &Path, progress: Option<&AtomicU64>) -> Result<BaselineIds> {
        let (mut visitor, meta, strings) = read_nodes(path, progress, || BaselineVisitor {
            heap_ids: Vec::new(),
            sampler: Sampler::new(None),
            short_of: None,
        })?;
        // Stable: V8's ids come mostly in node order, in a few long runs that it merges.
        visitor.heap_ids.sort();
        let sample = visitor.sampler.fingerprinted(&meta, &strings);
        Ok(BaselineIds {
            meta,
            heap_ids: visitor.heap_ids,
            sample,
        })
    }

    /// Heap objects the baseline holds.
    pub fn len(&self) -> usize {
        self.heap_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap_ids.is_empty()
    }
}

impl NewObjects {
    /// Reads the target and keeps the heap objects it holds that `baseline` did not, refusing
    /// snapshot pairs that cannot be compared (as `NewObjects::between`).
    pub fn read_target(
        path: &Path,
        baseline: &BaselineIds,
        progress: Option<&AtomicU64>,
    ) -> Result<NewObjects> {
        let (mut visitor, meta, strings) = read_nodes(path, progress, || TargetVisitor {
            baseline: &baseline.heap_ids,
            cursor: IdCursor::default(),
            new_ids: Vec::new(),
            sampler: Sampler::new(Some(baseline.sample.every)),
            short_of: None,
        })?;
        visitor.new_ids.sort();
        let sample = visitor.sampler.fingerprinted(&meta, &strings);
        let shared = baseline.sample.shared_with(&sample);
        NewObjects::checked(
            (&baseline.meta, baseline.sample.newest_heap_id),
            (&meta, sample.newest_heap_id),
            shared,
            visitor.new_ids,
            sample.entries,
        )
    }
}

/// Sampled objects with their class fingerprints, ascending by id, and the newest heap id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdSample {
    every: u32,
    entries: Vec<(u32, u32)>,
    newest_heap_id: Option<u32>,
}

impl IdSample {
    /// Class agreement over the objects both samples hold: both sample the same ids.
    fn shared_with(&self, later: &IdSample) -> SharedIds {
        let mut shared = SharedIds::default();
        let mut earlier = self.entries.iter().peekable();
        for &(id, fingerprint) in &later.entries {
            while earlier.next_if(|&&(e, _)| e < id).is_some() {}
            if let Some(&&(e, earlier_fingerprint)) = earlier.peek()
                && e == id
            {
                shared.add(earlier_fingerprint == fingerprint);
            }
        }
        shared
    }
}

/// Picks the sample while the records stream by; names are resolved once the strings are in.
#[derive(Debug)]
struct Sampler {
    /// A power of two, once chosen (see `choose_rate`).
    every: Option<u32>,
    /// (id, type, name) of the sampled objects.
    picked: Vec<(u32, u8, u32)>,
    newest_heap_id: Option<u32>,
    /// Bytes `picked` could not grow by (a memory cap).
    short_of: Option<u64>,
}

impl Sampler {
    fn new(every: Option<u32>) -> Sampler {
        Sampler {
            every,
            picked: Vec::new(),
            newest_heap_id: None,
            short_of: None,
        }
    }

    /// The baseline's rate comes from its node count (the target uses the same).
    fn choose_rate(&mut self, node_count: u64) {
        let every = (node_count / SAMPLE_SIZE)
            .max(1)
            .next_power_of_two()
            .min(1 << 30);
        self.every.get_or_insert(every as u32);
    }

    #[inline]
    fn see(&mut self, id: u32, node_type: u8, name: u32) {
        if id % 2 == 1 && self.newest_heap_id.is_none_or(|newest| id > newest) {
            self.newest_heap_id = Some(id);
        }
        // `every` is a power of two.
        if (id >> 1) & (self.every.unwrap_or(1) - 1) == 0 {
            push_or_note(&mut self.picked, (id, node_type, name), &mut self.short_of);
        }
    }

    /// The strings the fingerprints read: names of sampled objects and natives.
    fn names(&self, meta: &SnapshotMeta) -> Vec<u32> {
        let ids = meta.node_type_ids;
        let mut names: Vec<u32> = self
            .picked
            .iter()
            .filter(|&&(_, t, _)| Some(t) == ids.object || Some(t) == ids.native)
            .map(|&(_, _, name)| name)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn fingerprinted(self, meta: &SnapshotMeta, strings: &StringTable) -> IdSample {
        let mut entries: Vec<(u32, u32)> = self
            .picked
            .into_iter()
            .map(|(id, t, name)| (id, fingerprint(meta, strings, t, name)))
            .collect();
        entries.sort_unstable();
        IdSample {
            every: self.every.unwrap_or(1),
            entries,
            newest_heap_id: self.newest_heap_id,
        }
    }
}

/// What is kept of each node record.
trait NodeVisitor {
    fn node(&mut self, id: u32, node_type: u8, name: u32);
    fn sampler(&mut self) -> &mut Sampler;
    /// Bytes the visitor's lists could not grow by, if any (a memory cap).
    fn short_of(&self) -> Option<u64>;
}

struct BaselineVisitor {
    heap_ids: Vec<u32>,
    sampler: Sampler,
    short_of: Option<u64>,
}

impl NodeVisitor for BaselineVisitor {
    #[inline]
    fn node(&mut self, id: u32, node_type: u8, name: u32) {
        if id % 2 == 1 {
            push_or_note(&mut self.heap_ids, id, &mut self.short_of);
        }
        self.sampler.see(id, node_type, name);
    }

    fn sampler(&mut self) -> &mut Sampler {
        &mut self.sampler
    }

    fn short_of(&self) -> Option<u64> {
        self.short_of.or(self.sampler.short_of)
    }
}

struct TargetVisitor<'a> {
    /// The baseline's heap ids, ascending.
    baseline: &'a [u32],
    cursor: IdCursor,
    new_ids: Vec<u32>,
    sampler: Sampler,
    short_of: Option<u64>,
}

impl NodeVisitor for TargetVisitor<'_> {
    #[inline]
    fn node(&mut self, id: u32, node_type: u8, name: u32) {
        // Only heap objects (odd ids, given in allocation order) can be told new: embedder
        // nodes' even ids are hashes (as in `NewObjects::between`).
        if id % 2 == 1 && self.cursor.find(self.baseline, |&b| b, id).is_none() {
            push_or_note(&mut self.new_ids, id, &mut self.short_of);
        }
        self.sampler.see(id, node_type, name);
    }

    fn sampler(&mut self) -> &mut Sampler {
        &mut self.sampler
    }

    fn short_of(&self) -> Option<u64> {
        self.short_of.or(self.sampler.short_of)
    }
}

/// Streams a file's node records to a visitor from `make`; on any trouble, reads the file again
/// as a light snapshot, with a fresh visitor, for the errors of a full read.
fn read_nodes<V: NodeVisitor>(
    path: &Path,
    progress: Option<&AtomicU64>,
    make: impl Fn() -> V,
) -> Result<(V, SnapshotMeta, StringTable)> {
    let feed = ProgressFeed::new(progress);
    let at = |e: std::io::Error| SnapshotError::from(e).with_path(path);
    // The streaming read may give up and read again, so a pipe (which can be opened and read
    // only once) gets the single read below instead.
    if std::fs::metadata(path).map_err(at)?.is_file() {
        let mut file = File::open(path).map_err(at)?;
        let mut visitor = make();
        let streamed = stream_nodes(&mut file, &mut visitor, &feed);
        if let Some(bytes) = visitor.short_of() {
            return Err(out_of_memory("node ids", bytes as usize).with_path(path));
        }
        if let Some((meta, strings)) = streamed {
            return Ok((visitor, meta, strings));
        }
    }
    let raw = parse_file_fed(path, ParseOptions::light_skipping(), &feed)?;
    let layout = raw.node_layout;
    let mut visitor = make();
    visitor.sampler().choose_rate(raw.meta.node_count);
    let records = raw.nodes.chunks_exact(layout.stride.max(1));
    if records.len() == 0 {
        return Err(SnapshotError::NoNodes.with_path(path));
    }
    for (i, record) in records.enumerate() {
        let (t, name, id) = (
            record[layout.node_type],
            record[layout.name],
            record[layout.id],
        );
        let t = check_type_and_name(&raw.meta, &raw.strings, i, t, name)
            .map_err(|e| e.with_path(path))?;
        visitor.node(id, t, name);
    }
    if let Some(bytes) = visitor.short_of() {
        return Err(out_of_memory("node ids", bytes as usize).with_path(path));
    }
    Ok((visitor, raw.meta, raw.strings))
}

/// The streaming read: `None` if anything is not as expected.
fn stream_nodes<V: NodeVisitor>(
    file: &mut File,
    visitor: &mut V,
    feed: &ProgressFeed,
) -> Option<(SnapshotMeta, StringTable)> {
    let (mut nodes, mut max_name, mut bad_type, mut parked) = (0u64, 0u32, false, false);
    let mut after_push = |parser: &mut SnapshotParser| {
        feed.update(parser);
        let streamed = parser.drain_light_nodes(|meta, records| {
            let layout = NodeLayout::light_from_file(meta);
            let type_count = meta.node_types.len();
            visitor.sampler().choose_rate(meta.node_count);
            for record in records.chunks_exact(layout.stride) {
                let (t, name, id) = (
                    record[layout.node_type],
                    record[layout.name],
                    record[layout.id],
                );
                bad_type |= t as usize >= type_count;
                max_name = max_name.max(name);
                visitor.node(id, t as u8, name);
            }
            nodes += (records.len() / layout.stride) as u64;
        });
        if parser.is_parked()
            && let Some(meta) = parser.meta()
        {
            // The strings come next: keep those the sample's fingerprints read.
            parked = true;
            let names = visitor.sampler().names(meta);
            parser.keep_strings(names);
        }
        streamed && !bad_type
    };
    let raw = parse_skipping_with(file, ParseOptions::light_skipping(), &mut after_push)?;
    let complete = parked
        && nodes > 0
        && nodes == raw.meta.node_count
        && (max_name as usize) < raw.strings.len();
    complete.then_some((raw.meta, raw.strings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::heap::id_cursor::shuffled;

    #[test]
    fn new_ids_are_the_set_difference_in_any_arrival_order() {
        let baseline: Vec<u32> = (1..4000).step_by(2).filter(|id| id % 3 != 0).collect();
        let target: Vec<u32> = (1..6000).filter(|id| id % 5 != 0).collect();
        let expected: Vec<u32> = target
            .iter()
            .copied()
            .filter(|id| id % 2 == 1 && baseline.binary_search(id).is_err())
            .collect();
        // In order, with a few steps back (as V8 writes them), and fully shuffled.
        let mut stepped = target.clone();
        stepped[1000..2000].reverse();
        for arrival in [target.clone(), stepped, shuffled(target.clone(), 7)] {
            let mut visitor = TargetVisitor {
                baseline: &baseline,
                cursor: IdCursor::default(),
                new_ids: Vec::new(),
                sampler: Sampler::new(Some(1)),
                short_of: None,
            };
            for &id in &arrival {
                visitor.node(id, 3, 0);
            }
            visitor.new_ids.sort();
            assert_eq!(visitor.new_ids, expected);
        }
    }
}
