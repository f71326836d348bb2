//! Three-snapshot leak isolation: objects allocated between `baseline` and `target` (by id) that
//! still exist in `final`, minus engine noise, grouped by class (closures by source location),
//! with retained sizes that never count an object twice and one representative retainer path
//! per root cause.
//!
//! Only `final` needs a full graph: baseline and target are read for their ids and class names,
//! and only the new objects' ids (plus a sample of the target) are kept while `final` loads.

use std::cmp::Reverse;
use std::collections::HashMap;

use super::allocation::{Frame, allocation_stack};
use super::analysed::AnalysedSnapshot;
use super::paths::{Location, PathStep, node_location};
use crate::snapshot::error::{Incompatibility, Result, SnapshotError};
use crate::snapshot::heap::dominators::Dominators;
use crate::snapshot::heap::graph::{EdgeIdx, EdgeName, HeapGraph};
use crate::snapshot::heap::id_cursor::IdCursor;
use crate::snapshot::heap::nodes::{BACKING_STORE, NodeIdx};
use crate::snapshot::heap::object_ids::{ObjectIds, class_fingerprint};
use crate::snapshot::read::meta::SnapshotMeta;

/// Below this share of ids naming the same class in two snapshots, they are not from one process.
const SAME_PROCESS_MIN_AGREEMENT: f64 = 0.9;
/// Target objects kept (evenly spread over its ids) to check the final snapshot against.
const TARGET_SAMPLE: usize = 65_536;

/// A class of leaked objects, or several folded into the one whose objects hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct LeakGroup {
    pub class_name: String,
    pub node_type: String,
    pub count: u64,
    pub self_size: u64,
    /// Memory these objects keep alive, counting nothing another leaked object already holds.
    pub retained_size: u64,
    /// Of `retained_size`, the bytes of ArrayBuffer backing stores (the memory behind Buffers
    /// and typed arrays, outside the JS heap).
    pub buffer_size: u64,
    /// The member retaining the most, whose path is `trace`.
    pub representative_id: u32,
    pub trace: Vec<PathStep>,
    /// Where a closure group's function (or an object group's constructor) is defined.
    pub location: Option<Location>,
    /// Groups folded in because their objects are reached through this group's objects.
    pub also_retains: Vec<FoldedGroup>,
    /// The stack that allocated the group's objects, when allocations were tracked (taken from
    /// a member V8 recorded: compiled code may allocate some members without a trace).
    pub allocation: Option<Vec<Frame>>,
    /// Why `allocation` is missing although allocations were tracked.
    pub allocation_missing: Option<String>,
    /// For closures: the function's name ("bound handleClose" for bound functions).
    pub function_name: Option<String>,
    /// For bound functions: the class of the object they are bound to, the one whose method
    /// leaks.
    pub bound_this: Option<String>,
    /// The nearest instance of a user class the representative keeps alive, and the edges
    /// from it there, for the headline.
    pub holds: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FoldedGroup {
    pub class_name: String,
    pub node_type: String,
    pub count: u64,
    /// The function's name, for closures (class_name is "(closure)" for all of them).
    pub function_name: Option<String>,
    /// Where a folded closure's function (or an object's constructor) is defined.
    pub location: Option<Location>,
}

/// A Map, Set, Array or plain object that existed at baseline and gained leaked entries.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowingCollection {
    pub class_name: String,
    pub node_type: String,
    pub id: u32,
    /// Leaked objects it holds (allocated between baseline and target, alive in final).
    pub added: u64,
    pub retained_size: u64,
    pub trace: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeakReport {
    /// Largest retained size first.
    pub leaks: Vec<LeakGroup>,
    /// Collections that grew, most leaked entries first.
    pub collections: Vec<GrowingCollection>,
    /// Leaked objects before grouping.
    pub leaked_objects: u64,
    /// Objects allocated between baseline and target still alive in final, engine internals
    /// (code, hidden classes, system objects) included: what the leaked objects were taken from.
    pub surviving_objects: u64,
    /// Groups left out for having fewer than `LeakOptions::min_count` objects (name, count),
    /// largest first, at most `BELOW_COUNT_LISTED`.
    pub below_count: Vec<(String, u64)>,
    /// Self sizes of every object in the final snapshot: what a group's share is a share of.
    pub heap_size: u64,
}

/// Collections reported: those that gained at least this many leaked entries.
const MIN_COLLECTION_GROWTH: u64 = 2;
/// How far up the dominator tree a leaked object's holder is looked for.
const HOLDER_SEARCH_DEPTH: usize = 8;

/// The collection holding a leaked object: the nearest object above it in the dominator tree that
/// is user-level and not leaked itself. Internal backing stores (a Map's table, an Array's
/// elements) are dominated by their collection, so the walk passes through them.
fn holding_collection(
    graph: &HeapGraph,
    dom: &Dominators,
    leaked: &Leaked,
    node: NodeIdx,
) -> Option<NodeIdx> {
    let mut at = node;
    for _ in 0..HOLDER_SEARCH_DEPTH {
        let up = dom.idom(at);
        if up == at || up == NodeIdx::ROOT {
            return None;
        }
        if leaked.contains(up) {
            return None; // held through another leak, which is reported instead
        }
        if reportable(graph, up) && Some(graph.node_type(up)) == graph.meta.node_type_ids.object {
            return Some(up);
        }
        at = up;
    }
    None
}

fn growing_collections(last: &AnalysedSnapshot, leaked: &Leaked) -> Vec<GrowingCollection> {
    let graph = &last.graph;
    let dom = &last.analysis.dominators;
    let mut added: HashMap<u32, u64> = HashMap::new();
    for node in leaked.nodes() {
        if let Some(c) = holding_collection(graph, dom, leaked, node) {
            *added.entry(c.0).or_default() += 1;
        }
    }
    let mut out: Vec<GrowingCollection> = added
        .into_iter()
        .filter(|&(_, n)| n >= MIN_COLLECTION_GROWTH)
        .map(|(c, n)| {
            let node = NodeIdx(c);
            GrowingCollection {
                class_name: graph.class_name(node).into_owned(),
                node_type: graph.node_type_name(node).to_string(),
                id: graph.node_id(node),
                added: n,
                retained_size: dom.retained_size(node),
                trace: last.analysis.retainer_path(graph, node).unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.added.cmp(&a.added).then(a.id.cmp(&b.id)));
    out
}

/// Ids two snapshots both hold, and how many of them name the same class in both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SharedIds {
    compared: usize,
    agreed: usize,
}

impl SharedIds {
    pub(crate) fn add(&mut self, same_class: bool) {
        self.compared += 1;
        self.agreed += usize::from(same_class);
    }
}

/// What leak isolation needs of the baseline and target snapshots: the heap objects the target
/// holds that the baseline did not (by id), and enough of the target to check the final
/// snapshot against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObjects {
    /// Odd (heap object) ids, ascending.
    ids: Vec<u32>,
    target_meta: SnapshotMeta,
    /// (id, class fingerprint) of a sample of target objects, ascending by id (spread evenly
    /// over its ids, or picked by id when the target was streamed).
    target_sample: Vec<(u32, u32)>,
    target_newest: Option<u32>,
}

impl NewObjects {
    /// Refuses snapshot pairs that cannot be compared (see `check_layout`, `check_same_process`
    /// and `check_order`).
    pub fn between(baseline: &ObjectIds, target: &ObjectIds) -> Result<NewObjects> {
        let mut ids = Vec::new();
        let mut shared = SharedIds::default();
        let mut earlier = baseline.iter().peekable();
        for (id, fingerprint) in target.iter() {
            while earlier.next_if(|&(e, _)| e < id).is_some() {}
            match earlier.peek() {
                Some(&(e, earlier_fingerprint)) if e == id => {
                    shared.add(earlier_fingerprint == fingerprint);
                }
                // Only heap objects (odd ids, given in allocation order) can be told new;
                // embedder nodes' even ids are hashes, and a native leak shows through its
                // JS wrappers anyway.
                _ if id % 2 == 1 => ids.push(id),
                _ => {}
            }
        }
        let step = (target.len() / TARGET_SAMPLE).max(1);
        Self::checked(
            (&baseline.meta, baseline.newest_heap_id()),
            (&target.meta, target.newest_heap_id()),
            shared,
            ids,
            target.iter().step_by(step).collect(),
        )
    }

    /// From a comparison made elsewhere (`id_scan`): `ids` are the new heap ids, ascending,
    /// `shared` the class agreement over ids both snapshots hold (all, or a sample), and the
    /// sample (id, fingerprint) pairs of target objects, ascending. Metas come with the newest
    /// heap id of each snapshot.
    pub(crate) fn checked(
        baseline: (&SnapshotMeta, Option<u32>),
        target: (&SnapshotMeta, Option<u32>),
        shared: SharedIds,
        ids: Vec<u32>,
        target_sample: Vec<(u32, u32)>,
    ) -> Result<NewObjects> {
        check_layout(("baseline", baseline.0), ("target", target.0))?;
        check_same_process(("baseline", "target"), shared.compared, shared.agreed)?;
        check_order(("baseline", baseline.1), ("target", target.1))?;
        Ok(NewObjects {
            ids,
            target_meta: target.0.clone(),
            target_sample,
            target_newest: target.1,
        })
    }

    /// The heap ids of the objects the target holds that the baseline did not, ascending.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// How many objects the target holds that the baseline did not.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// One pass over the final snapshot's nodes checks it against the target and finds the new
    /// objects it still holds, in node order. Its ids mostly ascend in node order, so lookups
    /// in the (sorted) new ids and target sample gallop on: no id index is built, which would
    /// take a sort and 8 bytes per node.
    fn find_in_final(&self, last: &HeapGraph) -> Result<Vec<NodeIdx>> {
        check_layout(("target", &self.target_meta), ("final", &last.meta))?;
        let view = last.view();
        let (mut new_ids, mut sample) = (IdCursor::default(), IdCursor::default());
        let (mut compared, mut agreed) = (0usize, 0usize);
        let mut final_newest = None;
        let mut found = Vec::new();
        for (i, &id) in last.nodes.id.iter().enumerate() {
            let node = NodeIdx(i as u32);
            if id % 2 == 1 {
                final_newest = final_newest.max(Some(id));
                if new_ids.find(&self.ids, |&n| n, id).is_some() {
                    found.push(node);
                }
            }
            if let Some(k) = sample.find(&self.target_sample, |e| e.0, id) {
                compared += 1;
                agreed += usize::from(class_fingerprint(&view, node) == self.target_sample[k].1);
            }
        }
        check_same_process(("target", "final"), compared, agreed)?;
        check_order(("target", self.target_newest), ("final", final_newest))?;
        Ok(found)
    }
}

/// Snapshots written by different V8 versions lay their records out differently.
fn check_layout(earlier: (&str, &SnapshotMeta), later: (&str, &SnapshotMeta)) -> Result<()> {
    let (a, b) = (earlier.1, later.1);
    // Fields V8 writes only sometimes (`trace_node_id` while allocations are tracked) do not
    // make two snapshots of one process incomparable: each is read by its own header.
    let core = |fields: &[String]| -> Vec<String> {
        fields
            .iter()
            .filter(|f| !matches!(f.as_str(), "trace_node_id" | "detachedness"))
            .cloned()
            .collect()
    };
    let differs = if core(&a.node_fields) != core(&b.node_fields) {
        Some("node fields")
    } else if a.node_types != b.node_types {
        Some("node types")
    } else if a.edge_types != b.edge_types {
        Some("edge types")
    } else {
        None
    };
    match differs {
        Some(what) => Err(SnapshotError::Incompatible {
            reason: Incompatibility::DifferentVersions,
            message: format!(
                "the {} and {} snapshots were written by different V8 versions (their {what} \
                 differ): take all three from one process",
                earlier.0, later.0
            ),
        }),
        None => Ok(()),
    }
}

/// One id names the same object, so the same class, for the life of a process.
fn check_same_process(names: (&str, &str), compared: usize, agreed: usize) -> Result<()> {
    if compared == 0 || (agreed as f64) < SAME_PROCESS_MIN_AGREEMENT * compared as f64 {
        return Err(SnapshotError::Incompatible {
            reason: Incompatibility::DifferentProcesses,
            message: format!(
                "the {} and {} snapshots do not come from the same process (object ids are not \
                 comparable: {agreed} of {compared} shared ids name the same class)",
                names.0, names.1
            ),
        });
    }
    Ok(())
}

/// Newer objects get higher ids: an earlier snapshot cannot hold a newer object.
fn check_order(earlier: (&str, Option<u32>), later: (&str, Option<u32>)) -> Result<()> {
    if let (Some(earlier_max), Some(later_max)) = (earlier.1, later.1)
        && earlier_max > later_max
    {
        return Err(SnapshotError::Incompatible {
            reason: Incompatibility::WrongOrder,
            message: format!(
                "the {} snapshot has newer objects (ids up to {earlier_max}) than the {} snapshot \
                 (up to {later_max}): the snapshots are given in the wrong order",
                earlier.0, later.0
            ),
        });
    }
    Ok(())
}

fn is_closure(graph: &HeapGraph, node: NodeIdx) -> bool {
    Some(graph.node_type(node)) == graph.meta.node_type_ids.closure
}

/// Whether a node of `final` can be reported as a leak: user-level objects only. Engine and
/// Node internals (code, hidden and synthetic nodes, shapes, backing arrays, `system /` objects,
/// strings and numbers, which their owners' retained sizes account for) are noise.
fn reportable(graph: &HeapGraph, node: NodeIdx) -> bool {
    let ids = graph.meta.node_type_ids;
    let t = Some(graph.node_type(node));
    if t == ids.closure {
        // Anonymous and without a source position: made by the engine (the resolve and reject
        // closures of an `await`), reported through what they hold, the suspended function.
        return !graph.node_name(node).is_empty() || graph.raw_location(node).is_some();
    }
    if t == ids.regexp {
        return true;
    }
    if graph.is_string(node) {
        // Strings the program keeps (in a property, an element or a variable); the engine's
        // own (names, source positions, the snapshot's) are held internally.
        return graph.retainers_of(node).any(|(e, _)| {
            let t = Some(graph.edge_type(e));
            let e_ids = graph.meta.edge_type_ids;
            t == e_ids.property || t == e_ids.element || t == e_ids.context
        });
    }
    if t != ids.object && t != ids.native {
        return false;
    }
    let name = graph.node_name(node);
    !(name.is_empty() || name.starts_with("system /") || name.starts_with('('))
}

/// Groups closures by where they are defined, everything else by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct GroupKey {
    node_type: u8,
    name: u32,
    script_id: u32,
    line: u32,
    column: u32,
    bound: bool,
    /// Plain objects (class `Object`) group by their hidden class (V8's map) too, 1 + its
    /// node index: one map, one set of property names.
    shape: u32,
}

/// Property names shown in a plain object group's name, at most.
const SHAPE_NAMES_SHOWN: usize = 6;

/// A plain object's hidden class (V8's map), or None for any other object.
fn plain_object_map(graph: &HeapGraph, node: NodeIdx) -> Option<NodeIdx> {
    if Some(graph.node_type(node)) != graph.meta.node_type_ids.object
        || graph.node_name(node) != "Object"
    {
        return None;
    }
    graph.internal_target(node, "map")
}

/// A plain object's property names, sorted. Numbers stored in the object have no node, so no
/// edge: its map's descriptors name them, when the map owns them all (the last map of its
/// transition chain, or one that shares its descriptor array with no other; a shared array
/// also holds the names of the maps it transitions to). Else the names of the properties that
/// hold objects.
fn plain_object_shape(graph: &HeapGraph, node: NodeIdx) -> Option<Vec<String>> {
    let map = plain_object_map(graph, node)?;
    let edges = graph.edge_columns();
    // The last map of a transition chain (no transitions on) owns every descriptor.
    let own_descriptors = graph.internal_target(map, "descriptors").filter(|&d| {
        graph.internal_target(map, "transitions").is_none() || graph.retainers_of(d).count() == 1
    });
    let mut names: Vec<String> = match own_descriptors {
        // Descriptors are (key, details, value) triples; the keys are edges "0", "3", "6"…
        Some(descriptors) => graph
            .edges_of(descriptors)
            .filter_map(|e| match graph.edge_name(EdgeIdx(e)) {
                EdgeName::Name(n) if n.parse::<u32>().is_ok_and(|i| i % 3 == 0) => {
                    let key = NodeIdx(edges.to(e as usize));
                    (Some(graph.node_type(key)) == graph.meta.node_type_ids.string)
                        .then(|| graph.node_name(key).to_string())
                }
                _ => None,
            })
            .collect(),
        None => graph
            .edges_of(node)
            .filter(|&e| Some(edges.edge_type(e as usize)) == graph.meta.edge_type_ids.property)
            .map(|e| {
                graph
                    .strings
                    .get_or_empty(edges.name(e as usize))
                    .to_string()
            })
            .filter(|name| name != "__proto__")
            .collect(),
    };
    names.sort_unstable();
    names.dedup();
    Some(names)
}

/// A plain object group's name: `Object {id, next, value}`.
fn shape_name(names: &[String]) -> String {
    let mut shown: Vec<&str> = names
        .iter()
        .take(SHAPE_NAMES_SHOWN)
        .map(String::as_str)
        .collect();
    if names.len() > SHAPE_NAMES_SHOWN {
        shown.push("…");
    }
    format!("Object {{{}}}", shown.join(", "))
}

/// Hops searched from a group's representative for a user class it holds.
const HOLDS_DEPTH: usize = 4;
/// Nodes looked at in that search, at most.
const HOLDS_VISITS: usize = 256;

/// Whether `node` is an instance of a class the program (or a package) defines: its
/// constructor's source is not Node's own.
fn is_user_class(graph: &HeapGraph, node: NodeIdx) -> bool {
    Some(graph.node_type(node)) == graph.meta.node_type_ids.object
        && graph.node_name(node) != "Object"
        && node_location(graph, node).is_some_and(|l| !l.script_name.starts_with("node:"))
}

/// The nearest instance of a user class that a leaked object keeps alive (it dominates it),
/// and the edge names leading there: for headlines such as `40 × Timeout holding
/// RedirectableRequest (via _onTimeout.context.self)`. A bound function is searched from the
/// object it is bound to, which its headline names already.
fn held_user_class(
    graph: &HeapGraph,
    dom: &Dominators,
    rep: NodeIdx,
) -> Option<(String, Vec<String>)> {
    let start = graph
        .internal_target(rep, "bound_this")
        .filter(|_| graph.bound_target(rep).is_some());
    let edges = graph.edge_columns();
    let ids = graph.meta.edge_type_ids;
    let dominated = |node: NodeIdx| {
        let mut at = node;
        for _ in 0..HOLDS_DEPTH * 2 {
            let up = dom.idom(at);
            if up == rep || Some(up) == start {
                return true;
            }
            if up == at {
                return false;
            }
            at = up;
        }
        false
    };
    let mut frontier: Vec<(NodeIdx, Vec<String>)> = vec![(start.unwrap_or(rep), Vec::new())];
    let mut visits = 0;
    for _ in 0..HOLDS_DEPTH {
        let mut next = Vec::new();
        for (node, via) in frontier {
            for e in graph.edges_of(node) {
                let t = Some(edges.edge_type(e as usize));
                if t == ids.weak || t == ids.shortcut || t == ids.hidden {
                    continue;
                }
                let to = NodeIdx(edges.to(e as usize));
                let name = match graph.edge_name(EdgeIdx(e)) {
                    EdgeName::Name(n) => n.to_string(),
                    EdgeName::Index(i) => format!("[{i}]"),
                };
                if matches!(
                    name.as_str(),
                    "map" | "__proto__" | "prototype" | "constructor"
                ) {
                    continue;
                }
                visits += 1;
                if visits > HOLDS_VISITS {
                    return None;
                }
                if !dominated(to) {
                    continue;
                }
                let mut path = via.clone();
                path.push(name);
                if is_user_class(graph, to) {
                    return Some((graph.class_name(to).into_owned(), path));
                }
                next.push((to, path));
            }
        }
        frontier = next;
    }
    None
}

/// A group's name: the class, a plain object's shape, or "string" for strings of every kind.
fn group_name(graph: &HeapGraph, node: NodeIdx) -> String {
    if graph.is_string(node) {
        return "string".into();
    }
    match plain_object_shape(graph, node) {
        Some(names) => shape_name(&names),
        None => graph.class_name(node).into_owned(),
    }
}

fn group_key(graph: &HeapGraph, node: NodeIdx) -> GroupKey {
    // Strings of every kind are one group.
    let node_type = match graph.meta.node_type_ids.string {
        Some(string) if graph.is_string(node) => string,
        _ => graph.node_type(node),
    };
    // Bound functions group by the function they call.
    let bound = graph.bound_target(node);
    let function = bound.unwrap_or(node);
    // Objects group by class and closures by function; strings (whose name is their text)
    // and the other kinds by kind alone.
    let ids = graph.meta.node_type_ids;
    let t = Some(node_type);
    let name = if t == ids.object || t == ids.native || t == ids.closure {
        graph.nodes.name[function.index()]
    } else {
        u32::MAX
    };
    let key = |script_id, line, column| GroupKey {
        node_type,
        name,
        script_id,
        line,
        column,
        bound: bound.is_some(),
        shape: plain_object_map(graph, node).map_or(0, |map| map.0 + 1),
    };
    match graph.raw_location(function) {
        Some(loc) if Some(node_type) == graph.meta.node_type_ids.closure => {
            key(loc.script_id, loc.line, loc.column)
        }
        _ => key(u32::MAX, 0, 0),
    }
}

/// Orders a group's members for the choice of its representative (greatest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    retained: u64,
    distance: Reverse<u32>,
    id: Reverse<u32>,
}

#[derive(Debug, Default)]
struct Acc {
    key: GroupKey,
    count: u64,
    self_size: u64,
    retained_size: u64,
    /// The member retaining the most; among equals the nearest to the root, then the oldest.
    representative: Option<(Rank, NodeIdx)>,
    /// A member with an allocation trace, if any.
    traced: Option<NodeIdx>,
    /// How many of the group's roots (members not held by the group itself) each holder class
    /// (their immediate dominator's) holds.
    holders: Vec<((u8, u32), u64)>,
    roots: u64,
    /// How many members each other group's objects own.
    owners: Vec<(usize, u64)>,
}

/// Owner answers: not asked yet, and no owner; otherwise the owner's node index, with
/// `HELD_EXCLUSIVELY` set when it owns through its group's exclusive hold rather than dominance.
const UNKNOWN: u32 = u32::MAX - 1;
const NO_OWNER: u32 = u32::MAX;
const HELD_EXCLUSIVELY: u32 = 1 << 31;

/// Who owns a leaked object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    node: NodeIdx,
    /// Whether `node` dominates it (else its group holds it exclusively, together): only then
    /// does the owner's retained size already count it.
    dominates: bool,
}

/// The leaked nodes of the final snapshot, and for any node the nearest leaked object above it
/// in the dominator tree (its owner), remembered along the way so all questions together walk
/// every node at most once.
struct Leaked {
    is_leaked: Vec<bool>,
    /// The leaked nodes, in node order.
    nodes: Vec<NodeIdx>,
    owner: Vec<u32>,
    chain: Vec<u32>,
}

impl Leaked {
    /// `nodes` in node order.
    fn new(node_count: usize, nodes: Vec<NodeIdx>) -> Leaked {
        let mut is_leaked = vec![false; node_count];
        for n in &nodes {
            if let Some(s) = is_leaked.get_mut(n.index()) {
                *s = true;
            }
        }
        Leaked {
            is_leaked,
            nodes,
            owner: vec![UNKNOWN; node_count],
            chain: Vec::new(),
        }
    }

    fn contains(&self, node: NodeIdx) -> bool {
        self.is_leaked.get(node.index()).copied().unwrap_or(false)
    }

    fn nodes(&self) -> impl Iterator<Item = NodeIdx> + '_ {
        self.nodes.iter().copied()
    }

    /// The group of a leaked node, by its position among the leaked nodes.
    fn group(&self, node: NodeIdx, member_group: &[usize]) -> Option<usize> {
        let at = self.nodes.binary_search(&node).ok()?;
        member_group.get(at).copied()
    }

    /// A leaked object whose group, together, holds `node` exclusively: every strong retainer
    /// of `node` is a leaked member of that one group (two closures sharing a context, say).
    fn exclusive_holder(
        &self,
        graph: &HeapGraph,
        node: NodeIdx,
        member_group: &[usize],
    ) -> Option<NodeIdx> {
        let mut holder: Option<(NodeIdx, usize)> = None;
        for from in graph.strong_retainers(node) {
            let group = self.group(from, member_group)?;
            match holder {
                Some((_, g)) if g != group => return None,
                Some(_) => {}
                None => holder = Some((from, group)),
            }
        }
        holder.map(|(h, _)| h)
    }

    /// A leaked object that holds `node`, a string: a string is part of the data of any leaked
    /// object that holds it (a cache's key that is also the value's `url`), not a leak of its own.
    fn string_holder(&self, graph: &HeapGraph, node: NodeIdx) -> Option<Owner> {
        if !graph.is_string(node) {
            return None;
        }
        graph
            .strong_retainers(node)
            .find(|&from| self.contains(from))
            .map(|node| Owner {
                node,
                dominates: false,
            })
    }

    /// The leaked object that owns `node`: the nearest one that strictly dominates it, or whose
    /// group holds exclusively a node on the way up the dominator tree.
    fn owner(
        &mut self,
        graph: &HeapGraph,
        dom: &Dominators,
        node: NodeIdx,
        member_group: &[usize],
    ) -> Option<Owner> {
        let up = dom.idom(node);
        if up == node {
            return None;
        }
        // Node indices must leave room for the flag bit (2^31 nodes: far past any real heap).
        let exclusivity = self.owner.len() < HELD_EXCLUSIVELY as usize - 2;
        self.chain.clear();
        let mut at = up;
        let answer = loop {
            if self.contains(at) {
                break at.0;
            }
            match self.owner.get(at.index()) {
                None => break NO_OWNER,
                Some(&known) if known != UNKNOWN => break known,
                Some(_) => {}
            }
            if exclusivity
                && at != NodeIdx::ROOT
                && let Some(holder) = self.exclusive_holder(graph, at, member_group)
            {
                break holder.0 | HELD_EXCLUSIVELY;
            }
            self.chain.push(at.0);
            let next = dom.idom(at);
            if next == at {
                break NO_OWNER;
            }
            at = next;
        };
        for &c in &self.chain {
            self.owner[c as usize] = answer;
        }
        (answer != NO_OWNER).then_some(Owner {
            node: NodeIdx(answer & !HELD_EXCLUSIVELY),
            dominates: answer & HELD_EXCLUSIVELY == 0,
        })
    }
}

/// What leak isolation reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakOptions {
    /// Groups of fewer objects are neither reported nor folded into (assertNoLeak: the number
    /// of iterations, since a leak leaves at least one object per iteration).
    pub min_count: u64,
}

impl Default for LeakOptions {
    fn default() -> Self {
        LeakOptions { min_count: 1 }
    }
}

/// The class of a node's immediate dominator: members of one group held the same way share it.
fn holder_class(graph: &HeapGraph, dom: &Dominators, node: NodeIdx) -> (u8, u32) {
    let up = dom.idom(node);
    (graph.node_type(up), graph.nodes.name[up.index()])
}

/// Why no member of a group has an allocation stack although the snapshot tracked allocations:
/// older than the first object tracked, or made where V8 records no JavaScript frame.
fn missing_allocation_reason(
    graph: &HeapGraph,
    rep: NodeIdx,
    first_traced_id: Option<u32>,
) -> &'static str {
    match first_traced_id {
        Some(first) if graph.node_id(rep) < first => "allocated before allocation tracking started",
        _ => {
            "V8 recorded no JavaScript stack for it (allocated by compiled code, native code or the engine; --jitless records every stack)"
        }
    }
}

/// Groups below the count listed in a report, at most.
const BELOW_COUNT_LISTED: usize = 5;

/// Holder classes counted per group, a few at most: enough to find the majority.
const HOLDER_CLASSES: usize = 16;

/// Finds the leaks among `new` objects still alive in `last`.
pub fn find_leaks(new: &NewObjects, last: &AnalysedSnapshot) -> Result<LeakReport> {
    find_leaks_with(new, last, &LeakOptions::default())
}

/// Finds the leaks among `new` objects still alive in `last`, reporting groups of at least
/// `options.min_count` objects.
pub fn find_leaks_with(
    new: &NewObjects,
    last: &AnalysedSnapshot,
    options: &LeakOptions,
) -> Result<LeakReport> {
    let graph = &last.graph;
    let dom = &last.analysis.dominators;
    let surviving = new.find_in_final(graph)?;
    let surviving_objects = surviving.len() as u64;
    let leaked_nodes: Vec<NodeIdx> = surviving
        .into_iter()
        .filter(|&n| reportable(graph, n) && last.analysis.distance(graph, n).is_some())
        .collect();
    let leaked_objects = leaked_nodes.len() as u64;
    let mut leaked = Leaked::new(graph.node_count(), leaked_nodes);

    // First pass: each leaked object's group.
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    let mut accs: Vec<Acc> = Vec::new();
    let mut member_group: Vec<usize> = Vec::with_capacity(leaked.nodes.len());
    for &node in &leaked.nodes {
        let key = group_key(graph, node);
        let g = *index.entry(key).or_insert_with(|| {
            accs.push(Acc {
                key,
                ..Acc::default()
            });
            accs.len() - 1
        });
        let acc = &mut accs[g];
        acc.count += 1;
        acc.self_size += u64::from(graph.self_size(node));
        member_group.push(g);
    }

    // Second pass: each leaked object's owner (its retained size counts only when no leaked
    // object already holds it), which groups own which, and how each group's roots are held.
    let mut member_root: Vec<bool> = Vec::with_capacity(leaked.nodes.len());
    for i in 0..leaked.nodes.len() {
        let node = leaked.nodes[i];
        let acc_index = member_group[i];
        let owner = leaked
            .owner(graph, dom, node, &member_group)
            .or_else(|| leaked.string_holder(graph, node));
        if !owner.is_some_and(|o| o.dominates) {
            accs[acc_index].retained_size += dom.retained_size(node);
        }
        let owner_group = owner.and_then(|o| leaked.group(o.node, &member_group));
        if let Some(owner_group) = owner_group {
            let owners = &mut accs[acc_index].owners;
            match owners.iter_mut().find(|(o, _)| *o == owner_group) {
                Some((_, n)) => *n += 1,
                None => owners.push((owner_group, 1)),
            }
        }
        // Members held by their own group (a list's later nodes, a timer's own socket timer)
        // are not what holds the group: representatives come from the others.
        let root = owner_group != Some(acc_index);
        member_root.push(root);
        let acc = &mut accs[acc_index];
        if root {
            acc.roots += 1;
            let holder = holder_class(graph, dom, node);
            if let Some(at) = acc.holders.iter().position(|(h, _)| *h == holder) {
                acc.holders[at].1 += 1;
            } else if acc.holders.len() < HOLDER_CLASSES {
                acc.holders.push((holder, 1));
            }
        }
    }

    // Third pass: representatives from each group's majority: roots held the way most are.
    // Without a strict majority (two ways of holding, equally common) every root may represent
    // the group, and the one retaining the most does.
    let majorities: Vec<Option<(u8, u32)>> = accs
        .iter()
        .map(|acc| {
            let most = acc.holders.iter().map(|&(_, n)| n).max().unwrap_or(0);
            let mut leading = acc.holders.iter().filter(|&&(_, n)| n == most);
            match (leading.next(), leading.next()) {
                (Some(&(h, _)), None) => Some(h),
                _ => None,
            }
        })
        .collect();
    for (i, &node) in leaked.nodes.iter().enumerate() {
        let acc = &mut accs[member_group[i]];
        if acc.roots > 0 && !member_root[i] {
            continue;
        }
        let majority = majorities[member_group[i]];
        if majority.is_some() && majority != Some(holder_class(graph, dom, node)) {
            continue;
        }
        let rank = Rank {
            retained: dom.retained_size(node),
            distance: Reverse(last.analysis.distance(graph, node).unwrap_or(u32::MAX)),
            id: Reverse(graph.node_id(node)),
        };
        if acc.representative.is_none_or(|(r, _)| rank > r) {
            acc.representative = Some((rank, node));
        }
        if acc.traced.is_none()
            && graph
                .nodes
                .trace_node
                .get(node.index())
                .is_some_and(|&t| t != 0)
        {
            acc.traced = Some(node);
        }
    }

    let fold_into = fold_targets(&accs, options.min_count);
    // With allocations tracked, the oldest object V8 recorded a stack for: looked for only
    // when a reported group has no stack.
    let first_traced_id = std::cell::OnceCell::new();
    let first_traced_id = || {
        *first_traced_id.get_or_init(|| {
            (0..graph.node_count())
                .filter(|&i| graph.nodes.trace_node.get(i).is_some_and(|&t| t != 0))
                .map(|i| graph.nodes.id[i])
                .filter(|id| id % 2 == 1)
                .min()
        })
    };
    let mut below_count: Vec<(String, u64)> = accs
        .iter()
        .filter(|acc| acc.count < options.min_count)
        .filter_map(|acc| {
            acc.representative
                .map(|(_, rep)| (group_name(graph, rep), acc.count))
        })
        .collect();
    below_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    below_count.truncate(BELOW_COUNT_LISTED);
    let buffers = buffer_bytes(graph, dom, &leaked, &member_group, accs.len());
    let mut built: Vec<Built> = Vec::new();
    for (g, acc) in accs.iter().enumerate() {
        let Some((_, rep)) = acc.representative else {
            continue;
        };
        if acc.count < options.min_count {
            continue;
        }
        let owner = fold_into[g].map(|o| accs[o].key);
        let trace = last
            .analysis
            .retainer_path_avoiding(graph, rep, &|n| leaked.contains(n))
            .unwrap_or_default();
        built.push(Built {
            key: acc.key,
            holder: owner,
            group: LeakGroup {
                class_name: group_name(graph, rep),
                holds: held_user_class(graph, dom, rep),
                node_type: graph.node_type_name(rep).to_string(),
                count: acc.count,
                self_size: acc.self_size,
                retained_size: acc.retained_size,
                buffer_size: buffers[g],
                representative_id: graph.node_id(rep),
                trace,
                location: node_location(graph, rep),
                also_retains: Vec::new(),
                allocation: acc.traced.and_then(|t| allocation_stack(graph, t)),
                allocation_missing: (acc.traced.is_none() && !graph.trace_tree.is_empty())
                    .then(|| missing_allocation_reason(graph, rep, first_traced_id()))
                    .map(str::to_string),
                function_name: is_closure(graph, rep)
                    .then(|| graph.function_name(rep).into_owned()),
                bound_this: graph
                    .bound_target(rep)
                    .and(graph.internal_target(rep, "bound_this"))
                    .map(|this| graph.class_name(this).into_owned()),
            },
        });
    }
    Ok(LeakReport {
        leaks: fold_held_groups(built),
        collections: growing_collections(last, &leaked),
        leaked_objects,
        surviving_objects,
        below_count,
        heap_size: last.total_size(),
    })
}

/// Per group, the bytes of the ArrayBuffer backing stores its objects keep: each store counts
/// for the group of its highest leaked dominator, the member whose retained size holds it.
fn buffer_bytes(
    graph: &HeapGraph,
    dom: &Dominators,
    leaked: &Leaked,
    member_group: &[usize],
    groups: usize,
) -> Vec<u64> {
    let mut bytes = vec![0u64; groups];
    let Some(native) = graph.meta.node_type_ids.native else {
        return bytes;
    };
    if leaked.nodes.is_empty() {
        return bytes;
    }
    for i in 0..graph.node_count() {
        let store = NodeIdx(i as u32);
        if graph.node_type(store) != native || graph.node_name(store) != BACKING_STORE {
            continue;
        }
        let mut top = None;
        let mut n = store;
        // Bounded by the node count, so a malformed tree cannot loop.
        for _ in 0..graph.node_count() {
            let up = dom.idom(n);
            if up == n {
                break;
            }
            if leaked.contains(up) {
                top = Some(up);
            }
            n = up;
        }
        if let Some(g) = top.and_then(|t| leaked.group(t, member_group)) {
            bytes[g] += u64::from(graph.self_size(store));
        }
    }
    bytes
}

/// Rounds of the fold-target search: enough for chains of owners this deep.
const FOLD_ROUNDS: usize = 8;

/// For each group, the reported group it folds into: the one whose objects (or the objects of
/// groups folded into it) own most of this group's, by dominance or exclusive holding. Never
/// one that is not reported (fewer than `min_count` objects), never because a path happens to
/// pass through it.
fn fold_targets(accs: &[Acc], min_count: u64) -> Vec<Option<usize>> {
    let mut root: Vec<usize> = (0..accs.len()).collect();
    for _ in 0..FOLD_ROUNDS {
        let mut changed = false;
        for (g, acc) in accs.iter().enumerate() {
            let mut by_root: Vec<(usize, u64)> = Vec::new();
            for &(o, n) in &acc.owners {
                let r = root[o];
                if r == g || accs[r].count < min_count {
                    continue;
                }
                match by_root.iter_mut().find(|(x, _)| *x == r) {
                    Some((_, m)) => *m += n,
                    None => by_root.push((r, n)),
                }
            }
            let best = by_root
                .into_iter()
                .max_by_key(|&(r, n)| (n, Reverse(r)))
                .filter(|&(_, n)| 2 * n > acc.count)
                .map_or(g, |(r, _)| r);
            // Only a group that is not itself folded into `g` can take it (no cycles).
            if best != root[g] && root[best] != g {
                root[g] = best;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    root.iter()
        .enumerate()
        .map(|(g, &r)| (r != g).then_some(r))
        .collect()
}

struct Built {
    key: GroupKey,
    /// The group whose objects own most of this group's, if any.
    holder: Option<GroupKey>,
    group: LeakGroup,
}

/// Folds every group owned by another group's objects into that group, so one root cause is
/// reported once.
fn fold_held_groups(built: Vec<Built>) -> Vec<LeakGroup> {
    let index: HashMap<GroupKey, usize> =
        built.iter().enumerate().map(|(i, b)| (b.key, i)).collect();
    let holder_group: Vec<Option<usize>> = built
        .iter()
        .map(|b| b.holder.and_then(|k| index.get(&k).copied()))
        .collect();
    // Follow holders to a group that is not held itself (bounded: a cycle stops the chase).
    let root_of = |mut i: usize| {
        for _ in 0..built.len() {
            match holder_group[i] {
                Some(h) if h != i => i = h,
                _ => break,
            }
        }
        i
    };
    let roots: Vec<usize> = (0..built.len()).map(root_of).collect();
    let mut out: Vec<Option<LeakGroup>> = built.into_iter().map(|b| Some(b.group)).collect();
    for (i, &root) in roots.iter().enumerate() {
        if root == i {
            continue;
        }
        let Some(folded) = out[i].take() else {
            continue;
        };
        match out[root].as_mut() {
            Some(into) => {
                into.retained_size += folded.retained_size;
                into.buffer_size += folded.buffer_size;
                let function_name = folded.function_name;
                into.also_retains.push(FoldedGroup {
                    class_name: folded.class_name,
                    node_type: folded.node_type,
                    count: folded.count,
                    function_name,
                    location: folded.location,
                });
            }
            // Only in a cycle of holders whose root was folded itself: keep the group.
            None => out[i] = Some(folded),
        }
    }
    let mut leaks: Vec<LeakGroup> = out.into_iter().flatten().collect();
    for g in &mut leaks {
        g.also_retains.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.class_name.cmp(&b.class_name))
        });
    }
    // Ties broken by name and representative, so equal groups come out in one order.
    leaks.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.class_name.cmp(&b.class_name))
            .then(a.representative_id.cmp(&b.representative_id))
    });
    leaks
}
