//! The heap graph in flat columnar form: forward edges in CSR order (as in the
//! file) and a reverse CSR of retainers.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use parking_lot::Mutex;

use super::nodes::{NodeIdx, NodeTable, NodeView};
use crate::snapshot::error::{Result, SnapshotError};
use crate::snapshot::read::budget::vec_bytes;
use crate::snapshot::read::meta::SnapshotMeta;
use crate::snapshot::read::raw::{RawSnapshot, TraceTreeNode};
use crate::snapshot::read::strings::StringTable;

/// Flag bits of a `retainer` entry; the low bits are the retaining node.
pub const RETAINED_WEAKLY: u32 = 1 << 31;
pub const RETAINED_BY_SHORTCUT: u32 = 1 << 30;
pub const RETAINER_NODE_MASK: u32 = RETAINED_BY_SHORTCUT - 1;
/// An edge's target keeps the edge type in its top three bits (one byte less per edge, the
/// biggest column there is); the low bits are the target node.
const EDGE_TYPE_SHIFT: u32 = 29;
const EDGE_TARGET_MASK: u32 = (1 << EDGE_TYPE_SHIFT) - 1;
/// Edge types that fit those three bits (V8 has seven).
const EDGE_TYPE_LIMIT: usize = 1 << (32 - EDGE_TYPE_SHIFT);

/// Closure locations by node and the script names learnt from them.
#[derive(Debug, Clone)]
struct Located {
    /// Sorted by node.
    locations: Vec<RawLocation>,
    /// (script id, script name), sorted by id.
    scripts: Vec<(u32, String)>,
}

/// Index of an edge (its position in `edges`, divided by the field count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeIdx(pub u32);

impl EdgeIdx {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An edge's label: a property/variable name or an element index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeName<'a> {
    Name(&'a str),
    Index(u32),
}

impl fmt::Display for EdgeName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdgeName::Name(s) => f.write_str(s),
            EdgeName::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A `locations` record resolved to a node index (0-based line/column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLocation {
    pub node: u32,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

/// The columns are the crate's own: indexes into them (edge targets, string and type indices)
/// were checked when the graph was built, and every walk relies on that.
#[derive(Debug)]
pub struct HeapGraph {
    pub(crate) meta: SnapshotMeta,
    pub(crate) strings: StringTable,
    pub(crate) nodes: NodeTable,
    /// `first_edge[n]..first_edge[n + 1]` are node n's outgoing edges.
    first_edge: Vec<u32>,
    /// Edge e is `[target, name]` at `2e`: the target node index (already divided by the node
    /// field count) with the type in the top bits, then the name. Kept as pairs, as the edge
    /// records become them in place: splitting them into columns took two more passes, and
    /// the graph walks reach an edge's target and name through the same cache line anyway.
    edges: Vec<u32>,
    /// Built on first use, so that the dominators can build it on one core while their
    /// forward passes run on the other.
    retainers: OnceLock<Retainers>,
    /// The `locations` records as read, resolved on first use (and then released): a class
    /// summary never needs them, and sorting them is most of the work (20 ms for 750 k closures).
    location_records: Mutex<Vec<u32>>,
    located: OnceLock<Located>,
    pub(crate) trace_function_infos: Vec<u32>,
    pub(crate) trace_tree: Vec<TraceTreeNode>,
}

/// The reverse CSR.
#[derive(Debug, Clone)]
struct Retainers {
    /// `first[n]..first[n + 1]` index `entries`.
    first: Vec<u32>,
    /// Node n's retainers: the retaining node, with `RETAINED_WEAKLY` / `RETAINED_BY_SHORTCUT`
    /// set for weak and shortcut edges; in node order, then edge order. The edge itself is
    /// found again among the retainer's edges when a path needs it (one column, not two).
    entries: Vec<u32>,
}

impl HeapGraph {
    /// The header the snapshot declared (field and type names).
    pub fn meta(&self) -> &SnapshotMeta {
        &self.meta
    }

    /// The node columns (ids, types, names, sizes, allocation traces).
    pub fn nodes(&self) -> &NodeTable {
        &self.nodes
    }

    pub fn strings(&self) -> &StringTable {
        &self.strings
    }
}

impl HeapGraph {
    /// Heap memory the graph holds now (its lazily built indices once they are built).
    pub fn heap_bytes(&self) -> u64 {
        let retainers = self
            .retainers
            .get()
            .map_or(0, |r| vec_bytes(&r.first) + vec_bytes(&r.entries));
        let located = self.located.get().map_or(0, |l| {
            vec_bytes(&l.locations)
                + l.scripts
                    .iter()
                    .map(|(_, name)| 8 + 24 + name.len() as u64)
                    .sum::<u64>()
        });
        let records = vec_bytes(&self.location_records.lock());
        self.strings.heap_bytes()
            + self.nodes.heap_bytes()
            + vec_bytes(&self.first_edge)
            + vec_bytes(&self.edges)
            + retainers
            + located
            + records
            + vec_bytes(&self.trace_function_infos)
            + vec_bytes(&self.trace_tree)
    }

    /// Validates and indexes a full-mode parse.
    pub fn from_raw(mut raw: RawSnapshot) -> Result<HeapGraph> {
        if raw.light {
            return Err(SnapshotError::Internal(
                "a light-mode parse has no edges; parse in full mode to build a graph".into(),
            ));
        }
        // Memory is what limits large snapshots. The edge records, the biggest array, are split
        // in their own buffer (shrinking by a third) while, on the second core, the node records
        // give the edge offsets and are turned into columns; then they are freed. Each side
        // reads only its own records. The id index is built on first use.
        let edge_records = std::mem::take(&mut raw.edges);
        let edge_numbers = edge_records.len();
        let node_count = raw.nodes.len() / raw.meta.node.count.max(1);
        let raw_ref = &raw;
        let (edges, node_side) = crate::parallel::join(
            || edge_pairs(raw_ref, edge_records, node_count),
            // The columns are not worth building for a snapshot whose offsets are refused.
            move || {
                first_edges(raw_ref, edge_numbers)
                    .map(|first_edge| (first_edge, NodeTable::from_raw(raw_ref)))
            },
        );
        // Errors in the order a reader meets them: node offsets, edges, node columns.
        let (first_edge, nodes) = node_side?;
        let edges = edges?;
        let nodes = nodes?;
        raw.nodes = Vec::new();
        Ok(HeapGraph {
            nodes,
            first_edge,
            edges,
            retainers: OnceLock::new(),
            location_records: Mutex::new(raw.locations),
            located: OnceLock::new(),
            trace_function_infos: raw.trace_function_infos,
            trace_tree: raw.trace_tree,
            strings: raw.strings,
            meta: raw.meta,
        })
    }

    /// Resolves the closure locations now rather than on first use, for callers with a core to
    /// spare before their first path.
    pub fn locate_closures(&self) {
        self.located();
    }

    fn located(&self) -> &Located {
        self.located.get_or_init(|| {
            let records = std::mem::take(&mut *self.location_records.lock());
            let locations = resolve_locations(&self.meta, &records, self.node_count());
            drop(records);
            let scripts = self.collect_script_names(&locations);
            Located { locations, scripts }
        })
    }

    /// Script names by id, from the first closure of each script whose
    /// name can be resolved.
    fn collect_script_names(&self, locations: &[RawLocation]) -> Vec<(u32, String)> {
        let closure = self.meta.node_type_ids.closure;
        let mut scripts: Vec<(u32, String)> = Vec::new();
        let mut seen: HashSet<u32> = HashSet::new();
        for loc in locations {
            let node = NodeIdx(loc.node);
            if Some(self.node_type(node)) != closure || seen.contains(&loc.script_id) {
                continue;
            }
            if let Some(name) = self.closure_script_name(node) {
                seen.insert(loc.script_id);
                scripts.push((loc.script_id, name));
            }
        }
        scripts.sort_by_key(|s| s.0);
        scripts
    }

    /// The name of the script a location's script id refers to, if known.
    pub fn script_name(&self, script_id: u32) -> Option<&str> {
        let scripts = &self.located().scripts;
        let pos = scripts.partition_point(|s| s.0 < script_id);
        scripts
            .get(pos)
            .filter(|s| s.0 == script_id)
            .map(|s| s.1.as_str())
    }

    fn named_edge_target(&self, node: NodeIdx, names: &[&str]) -> Option<NodeIdx> {
        self.edges_of(node)
            .map(EdgeIdx)
            .find_map(|e| match self.edge_name(e) {
                EdgeName::Name(n) if names.contains(&n) => Some(self.edge_to(e)),
                _ => None,
            })
    }

    /// Follows closure → `shared` → SharedFunctionInfo →
    /// `script`/`script_or_debug_info` → Script → `name` (a string node
    /// holding the file path or URL).
    pub fn closure_script_name(&self, closure: NodeIdx) -> Option<String> {
        let shared = self.named_edge_target(closure, &["shared"])?;
        let mut script = self.named_edge_target(shared, &["script", "script_or_debug_info"])?;
        // `script_or_debug_info` may lead to a DebugInfo that holds the script.
        if let Some(inner) = self.named_edge_target(script, &["script"]) {
            script = inner;
        }
        let ids = self.meta.node_type_ids;
        let from_name_edge = self
            .named_edge_target(script, &["name"])
            .filter(|&s| {
                let t = Some(self.node_type(s));
                t == ids.string || t == ids.concatenated_string || t == ids.sliced_string
            })
            .map(|s| self.string_text(s));
        from_name_edge
            .or_else(|| Some(self.node_name(script).to_string()))
            .filter(|s| !s.is_empty())
    }

    /// A string node's text. A concatenated string is named "(concatenated string)" in a
    /// snapshot, its text split over `first` and `second` edges (a module runner that builds a
    /// script's file name by concatenation leaves one): they are joined, up to a bound.
    pub fn string_text(&self, node: NodeIdx) -> String {
        const MAX_LEN: usize = 4096;
        const MAX_PARTS: usize = 1024;
        let cons = self.meta.node_type_ids.concatenated_string;
        if Some(self.node_type(node)) != cons {
            return self.node_name(node).to_string();
        }
        let mut text = String::new();
        let mut stack = vec![node];
        let mut visited = 0;
        while let Some(n) = stack.pop() {
            visited += 1;
            if visited > MAX_PARTS || text.len() >= MAX_LEN {
                break;
            }
            if Some(self.node_type(n)) == cons {
                let first = self.named_edge_target(n, &["first"]);
                let second = self.named_edge_target(n, &["second"]);
                if first.is_none() && second.is_none() {
                    return self.node_name(node).to_string();
                }
                stack.extend(second);
                stack.extend(first);
            } else {
                text.push_str(self.node_name(n));
            }
        }
        text
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len() / 2
    }

    pub fn view(&self) -> NodeView<'_> {
        NodeView {
            meta: &self.meta,
            strings: &self.strings,
            nodes: &self.nodes,
        }
    }

    pub fn node_type(&self, node: NodeIdx) -> u8 {
        self.nodes.node_type.get(node.index()).copied().unwrap_or(0)
    }

    pub fn node_type_name(&self, node: NodeIdx) -> &str {
        self.meta.node_type_name(self.node_type(node))
    }

    /// The target of an internal edge named `name` from `node` (a bound function's
    /// `bound_function` or `bound_this`, say).
    pub fn internal_target(&self, node: NodeIdx, name: &str) -> Option<NodeIdx> {
        let internal = self.meta.edge_type_ids.internal?;
        let edges = self.edge_columns();
        self.edges_of(node)
            .filter(|&e| self.edge_type(EdgeIdx(e)) == internal)
            .find(|&e| matches!(self.edge_name(EdgeIdx(e)), EdgeName::Name(n) if n == name))
            .map(|e| NodeIdx(edges.to(e as usize)))
    }

    /// The function a bound function (`fn.bind(obj)`, named "native_bind" by V8) calls.
    pub fn bound_target(&self, node: NodeIdx) -> Option<NodeIdx> {
        if Some(self.node_type(node)) != self.meta.node_type_ids.closure {
            return None;
        }
        self.internal_target(node, "bound_function")
    }

    /// The nodes that hold `node` strongly (weak and shortcut edges left out), one entry per
    /// edge.
    pub fn strong_retainers(&self, node: NodeIdx) -> impl Iterator<Item = NodeIdx> + '_ {
        let (first, entries) = self.retainer_columns();
        let start = first.get(node.index()).copied().unwrap_or(0) as usize;
        let end = first.get(node.index() + 1).copied().unwrap_or(0) as usize;
        entries
            .get(start..end.max(start))
            .unwrap_or(&[])
            .iter()
            .filter(|&&entry| entry & (RETAINED_WEAKLY | RETAINED_BY_SHORTCUT) == 0)
            .map(|&entry| NodeIdx(entry & RETAINER_NODE_MASK))
    }

    /// Whether a node is a string of any kind (flat, concatenated, sliced).
    pub fn is_string(&self, node: NodeIdx) -> bool {
        let ids = self.meta.node_type_ids;
        let t = Some(self.node_type(node));
        t == ids.string || t == ids.concatenated_string || t == ids.sliced_string
    }

    /// A function's name as a reader knows it: a bound function is "bound <its target>".
    pub fn function_name(&self, node: NodeIdx) -> Cow<'_, str> {
        match self.bound_target(node) {
            Some(target) => Cow::Owned(format!("bound {}", self.node_name(target))),
            None => Cow::Borrowed(self.node_name(node)),
        }
    }

    pub fn node_name(&self, node: NodeIdx) -> &str {
        self.strings
            .get_or_empty(self.nodes.name.get(node.index()).copied().unwrap_or(0))
    }

    pub fn node_id(&self, node: NodeIdx) -> u32 {
        self.nodes.id.get(node.index()).copied().unwrap_or(0)
    }

    pub fn self_size(&self, node: NodeIdx) -> u32 {
        self.nodes.self_size.get(node.index()).copied().unwrap_or(0)
    }

    pub fn class_name(&self, node: NodeIdx) -> Cow<'_, str> {
        self.view().class_name(node)
    }

    pub fn find_by_id(&self, id: u32) -> Option<NodeIdx> {
        self.nodes.find_by_id(id)
    }

    /// Outgoing edge indices of a node.
    pub fn edges_of(&self, node: NodeIdx) -> std::ops::Range<u32> {
        let i = node.index();
        let start = self.first_edge.get(i).copied().unwrap_or(0);
        let end = self.first_edge.get(i + 1).copied().unwrap_or(start);
        start..end
    }

    /// Incoming edges of a node as (edge, retaining node), in retaining node order.
    pub fn retainers_of(&self, node: NodeIdx) -> impl Iterator<Item = (EdgeIdx, NodeIdx)> + '_ {
        let i = node.index();
        let (first_retainer, retainer) = self.retainer_columns();
        let start = first_retainer.get(i).copied().unwrap_or(0) as usize;
        let end = first_retainer.get(i + 1).copied().unwrap_or(0) as usize;
        // Entries of one retainer are adjacent and in edge order: each resumes the scan of the
        // retainer's edges where the previous one stopped.
        let mut resume: Option<(u32, u32)> = None;
        retainer
            .get(start..end.max(start))
            .unwrap_or(&[])
            .iter()
            .filter_map(move |&entry| {
                let from = entry & RETAINER_NODE_MASK;
                let (begin, stop) = match (resume, self.edges_of(NodeIdx(from))) {
                    (Some((f, next)), edges) if f == from => (next, edges.end),
                    (_, edges) => (edges.start, edges.end),
                };
                let edges = self.edge_columns();
                let e = (begin..stop).find(|&e| edges.to(e as usize) == node.0)?;
                resume = Some((from, e + 1));
                Some((EdgeIdx(e), NodeIdx(from)))
            })
    }

    pub fn edge_type(&self, edge: EdgeIdx) -> u8 {
        let target = self.edges.get(2 * edge.index()).copied().unwrap_or(0);
        (target >> EDGE_TYPE_SHIFT) as u8
    }

    pub fn edge_type_name(&self, edge: EdgeIdx) -> &str {
        self.meta.edge_type_name(self.edge_type(edge))
    }

    pub fn edge_to(&self, edge: EdgeIdx) -> NodeIdx {
        let target = self.edges.get(2 * edge.index()).copied().unwrap_or(0);
        NodeIdx(target & EDGE_TARGET_MASK)
    }

    /// The node an edge starts from (binary search over `first_edge`).
    pub fn edge_from(&self, edge: EdgeIdx) -> NodeIdx {
        let pos = self.first_edge.partition_point(|&start| start <= edge.0);
        NodeIdx(pos.saturating_sub(1) as u32)
    }

    pub fn edge_name(&self, edge: EdgeIdx) -> EdgeName<'_> {
        let raw = self.edges.get(2 * edge.index() + 1).copied().unwrap_or(0);
        if self.meta.edge_name_is_index(self.edge_type(edge)) {
            EdgeName::Index(raw)
        } else {
            EdgeName::Name(self.strings.get_or_empty(raw))
        }
    }

    /// The location record of a node (closures, mostly), if any.
    pub fn raw_location(&self, node: NodeIdx) -> Option<RawLocation> {
        let locations = &self.located().locations;
        let pos = locations.partition_point(|l| l.node < node.0);
        locations.get(pos).filter(|l| l.node == node.0).copied()
    }

    /// Flat edge columns for the analyses' inner loops.
    pub fn edge_columns(&self) -> EdgeColumns<'_> {
        EdgeColumns { pairs: &self.edges }
    }

    pub fn first_edge(&self) -> &[u32] {
        &self.first_edge
    }

    /// Reverse CSR: (first_retainer, retainer entries with their flag bits), built on first use
    /// (threads asking at once wait for one build).
    pub fn retainer_columns(&self) -> (&[u32], &[u32]) {
        let retainers = self.retainers.get_or_init(|| {
            let ids = self.meta.edge_type_ids;
            build_retainers(
                &self.first_edge,
                self.edge_columns(),
                ids.weak,
                ids.shortcut,
            )
        });
        (&retainers.first, &retainers.entries)
    }
}

/// The edges, indexed by edge; in range for every edge of the graph they come from.
#[derive(Debug, Clone, Copy)]
pub struct EdgeColumns<'a> {
    /// `[target with type, name]` per edge.
    pairs: &'a [u32],
}

impl EdgeColumns<'_> {
    #[inline]
    pub fn to(&self, e: usize) -> u32 {
        self.pairs[2 * e] & EDGE_TARGET_MASK
    }

    #[inline]
    pub fn edge_type(&self, e: usize) -> u8 {
        (self.pairs[2 * e] >> EDGE_TYPE_SHIFT) as u8
    }

    /// A string index, or an element/hidden index (see `SnapshotMeta::edge_name_is_index`).
    #[inline]
    pub fn name(&self, e: usize) -> u32 {
        self.pairs[2 * e + 1]
    }

    pub fn len(&self) -> usize {
        self.pairs.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Per-node first-edge offsets, validated against the number of edge records (`edge_numbers`
/// numbers of `meta.edge.count` fields each).
fn first_edges(raw: &RawSnapshot, edge_numbers: usize) -> Result<Vec<u32>> {
    let meta = &raw.meta;
    let node_fields = meta.node.count.max(1);
    let n = raw.nodes.len() / node_fields;
    if n == 0 {
        return Err(SnapshotError::NoNodes);
    }
    // Edge targets keep the edge type above the node index (and retainer entries two flags).
    if n > EDGE_TARGET_MASK as usize {
        return Err(SnapshotError::TooLarge {
            what: "node_count",
            value: n as u64,
            limit: u64::from(EDGE_TARGET_MASK),
        });
    }
    let edge_count_field = meta.node.edge_count;
    let mut first_edge = Vec::with_capacity(n + 1);
    let mut sum: u64 = 0;
    for record in raw.nodes.chunks_exact(node_fields) {
        first_edge.push(sum as u32);
        sum += record.get(edge_count_field).copied().unwrap_or(0) as u64;
        if sum > u32::MAX as u64 {
            break;
        }
    }
    let declared_edges = (edge_numbers / meta.edge.count.max(1)) as u64;
    if sum != declared_edges {
        return Err(SnapshotError::EdgeCountSum {
            sum,
            declared: declared_edges,
        });
    }
    first_edge.push(sum as u32);
    Ok(first_edge)
}

/// Validates the edge records and turns them into (target with type, name) pairs inside their own
/// buffer, so that the peak stays at the size of the records: record e is read before slots 2e
/// and 2e + 1 <= its start + 1 are written, and the freed third is returned.
fn edge_pairs(raw: &RawSnapshot, mut records: Vec<u32>, node_count: usize) -> Result<Vec<u32>> {
    let meta = &raw.meta;
    let fields = meta.edge.count.max(1);
    let node_fields = meta.node.count as u64;
    let m = records.len() / fields;
    let type_count = meta.edge_types.len();
    if type_count > EDGE_TYPE_LIMIT {
        return Err(SnapshotError::TooLarge {
            what: "the number of edge types",
            value: type_count as u64,
            limit: EDGE_TYPE_LIMIT as u64,
        });
    }
    let string_count = raw.strings.len() as u64;
    for e in 0..m {
        let record = &records[e * fields..(e + 1) * fields];
        let field = |offset: usize| record.get(offset).copied().unwrap_or(0);
        let t = field(meta.edge.edge_type);
        if t as usize >= type_count {
            return Err(SnapshotError::TypeIndexOutOfRange {
                index: t as u64,
                count: type_count as u64,
                location: format!("edge {e} field `type`"),
            });
        }
        let name = field(meta.edge.name_or_index);
        if !meta.edge_name_is_index(t as u8) && name as u64 >= string_count {
            return Err(SnapshotError::StringIndexOutOfRange {
                index: name as u64,
                count: string_count,
                location: format!("edge {e} field `name_or_index`"),
            });
        }
        let offset = field(meta.edge.to_node) as u64;
        if !offset.is_multiple_of(node_fields) {
            return Err(SnapshotError::EdgeTargetMisaligned {
                edge: e as u64,
                offset,
                fields: node_fields,
            });
        }
        let to = offset / node_fields;
        if to >= node_count as u64 {
            return Err(SnapshotError::EdgeTargetOutOfRange {
                edge: e as u64,
                offset,
                nodes: node_count as u64,
            });
        }
        records[2 * e] = to as u32 | t << EDGE_TYPE_SHIFT;
        records[2 * e + 1] = name;
    }
    records.truncate(2 * m);
    records.shrink_to_fit();
    Ok(records)
}

/// Counting sort of edges by target; within a node, retainers stay in edge order (the order
/// memlab and DevTools see them in).
fn build_retainers(
    first_edge: &[u32],
    edges: EdgeColumns,
    weak: Option<u8>,
    shortcut: Option<u8>,
) -> Retainers {
    let n = first_edge.len() - 1;
    let m = edges.len();
    // Counts land one slot up, so that after the prefix sum `first_retainer[to + 1]` is node
    // to's start and serves as its fill cursor; once filled it is node to's end.
    let mut first_retainer = vec![0u32; n + 1];
    for e in 0..m {
        if let Some(c) = first_retainer.get_mut(edges.to(e) as usize + 2) {
            *c += 1;
        }
    }
    for i in 1..n {
        first_retainer[i + 1] += first_retainer[i];
    }
    let mut retainer = vec![0u32; m];
    for from in 0..n {
        for e in first_edge[from] as usize..first_edge[from + 1] as usize {
            let cursor = &mut first_retainer[edges.to(e) as usize + 1];
            let t = Some(edges.edge_type(e));
            let flags = if t == weak { RETAINED_WEAKLY } else { 0 }
                | if t == shortcut {
                    RETAINED_BY_SHORTCUT
                } else {
                    0
                };
            retainer[*cursor as usize] = from as u32 | flags;
            *cursor += 1;
        }
    }
    Retainers {
        first: first_retainer,
        entries: retainer,
    }
}

/// Records whose object index is not a valid node offset are dropped:
/// locations are only decoration.
fn resolve_locations(meta: &SnapshotMeta, records: &[u32], n: usize) -> Vec<RawLocation> {
    let Some(loc) = meta.location else {
        return Vec::new();
    };
    let node_fields = meta.node.count.max(1) as u32;
    let mut out: Vec<RawLocation> = records
        .chunks_exact(loc.count.max(1))
        .filter_map(|r| {
            let offset = *r.get(loc.object_index)?;
            let node = offset / node_fields;
            (offset % node_fields == 0 && (node as usize) < n).then(|| RawLocation {
                node,
                script_id: r.get(loc.script_id).copied().unwrap_or(0),
                line: r.get(loc.line).copied().unwrap_or(0),
                column: r.get(loc.column).copied().unwrap_or(0),
            })
        })
        .collect();
    // The whole record is the key, so that the order does not depend on the sort's stability.
    out.sort_unstable_by_key(|l| (l.node, l.script_id, l.line, l.column));
    out
}
