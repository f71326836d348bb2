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
use super::dominators::Dominators;
use super::error::{Result, SnapshotError};
use super::graph::HeapGraph;
use super::id_scan::IdCursor;
use super::meta::SnapshotMeta;
use super::nodes::NodeIdx;
use super::object_ids::{ObjectIds, class_fingerprint};
use super::paths::{Location, PathStep, node_location};

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
    /// The member retaining the most, whose path is `trace`.
    pub representative_id: u32,
    pub trace: Vec<PathStep>,
    /// Where a closure group's function (or an object group's constructor) is defined.
    pub location: Option<Location>,
    /// Groups folded in because their objects are reached through this group's objects.
    pub also_retains: Vec<FoldedGroup>,
    /// The stack that allocated the group's objects, when allocations were tracked (taken from
    /// a member V8 recorded: optimised code may allocate some members without a trace).
    pub allocation: Option<Vec<Frame>>,
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
pub(super) struct SharedIds {
    compared: usize,
    agreed: usize,
}

impl SharedIds {
    pub(super) fn add(&mut self, same_class: bool) {
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
    pub(super) fn checked(
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
    let differs = if a.node_fields != b.node_fields {
        Some("node fields")
    } else if a.node_types != b.node_types {
        Some("node types")
    } else if a.edge_types != b.edge_types {
        Some("edge types")
    } else {
        None
    };
    match differs {
        Some(what) => Err(SnapshotError::Incompatible(format!(
            "the {} and {} snapshots were written by different V8 versions (their {what} \
             differ): take all three from one process",
            earlier.0, later.0
        ))),
        None => Ok(()),
    }
}

/// One id names the same object, so the same class, for the life of a process.
fn check_same_process(names: (&str, &str), compared: usize, agreed: usize) -> Result<()> {
    if compared == 0 || (agreed as f64) < SAME_PROCESS_MIN_AGREEMENT * compared as f64 {
        return Err(SnapshotError::Incompatible(format!(
            "the {} and {} snapshots do not come from the same process (object ids are not \
             comparable: {agreed} of {compared} shared ids name the same class)",
            names.0, names.1
        )));
    }
    Ok(())
}

/// Newer objects get higher ids: an earlier snapshot cannot hold a newer object.
fn check_order(earlier: (&str, Option<u32>), later: (&str, Option<u32>)) -> Result<()> {
    if let (Some(earlier_max), Some(later_max)) = (earlier.1, later.1)
        && earlier_max > later_max
    {
        return Err(SnapshotError::Incompatible(format!(
            "the {} snapshot has newer objects (ids up to {earlier_max}) than the {} snapshot \
             (up to {later_max}): the snapshots are given in the wrong order",
            earlier.0, later.0
        )));
    }
    Ok(())
}

/// Whether a node of `final` can be reported as a leak: user-level objects only. Engine and
/// Node internals (code, hidden and synthetic nodes, shapes, backing arrays, `system /` objects,
/// strings and numbers, which their owners' retained sizes account for) are noise.
fn reportable(graph: &HeapGraph, node: NodeIdx) -> bool {
    let ids = graph.meta.node_type_ids;
    let t = Some(graph.node_type(node));
    if t == ids.closure || t == ids.regexp {
        return true;
    }
    if t != ids.object && t != ids.native {
        return false;
    }
    let name = graph.node_name(node);
    !(name.is_empty() || name.starts_with("system /") || name.starts_with('('))
}

/// Groups closures by where they are defined, everything else by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GroupKey {
    node_type: u8,
    name: u32,
    script_id: u32,
    line: u32,
    column: u32,
}

fn group_key(graph: &HeapGraph, node: NodeIdx) -> GroupKey {
    let node_type = graph.node_type(node);
    let name = graph.nodes.name[node.index()];
    match graph.raw_location(node) {
        Some(loc) if Some(node_type) == graph.meta.node_type_ids.closure => GroupKey {
            node_type,
            name,
            script_id: loc.script_id,
            line: loc.line,
            column: loc.column,
        },
        _ => GroupKey {
            node_type,
            name,
            script_id: u32::MAX,
            line: 0,
            column: 0,
        },
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
    count: u64,
    self_size: u64,
    retained_size: u64,
    /// The member retaining the most; among equals the nearest to the root, then the oldest.
    representative: Option<(Rank, NodeIdx)>,
    /// A member with an allocation trace, if any.
    traced: Option<NodeIdx>,
}

// `Leaked` state bits: the node leaked; `dominated_by_leak` knows its answer; the answer is yes.
const LEAKED: u8 = 1;
const KNOWN: u8 = 2;
const UNDER_LEAK: u8 = 4;

/// The leaked nodes of the final snapshot, one byte per node, which also remembers which nodes
/// a leaked object dominates.
struct Leaked {
    state: Vec<u8>,
    /// The leaked nodes, in node order.
    nodes: Vec<NodeIdx>,
    chain: Vec<u32>,
}

impl Leaked {
    /// `nodes` in node order.
    fn new(node_count: usize, nodes: Vec<NodeIdx>) -> Leaked {
        let mut state = vec![0; node_count];
        for n in &nodes {
            if let Some(s) = state.get_mut(n.index()) {
                *s |= LEAKED;
            }
        }
        Leaked {
            state,
            nodes,
            chain: Vec::new(),
        }
    }

    fn contains(&self, node: NodeIdx) -> bool {
        self.state
            .get(node.index())
            .is_some_and(|s| s & LEAKED != 0)
    }

    fn nodes(&self) -> impl Iterator<Item = NodeIdx> + '_ {
        self.nodes.iter().copied()
    }

    /// Whether `node` or one of its dominators leaked. Answers are remembered along the way,
    /// so all questions together walk every node at most once.
    fn dominated_by_leak(&mut self, dom: &Dominators, node: NodeIdx) -> bool {
        self.chain.clear();
        let mut at = node;
        let answer = loop {
            let Some(&s) = self.state.get(at.index()) else {
                break false;
            };
            if s & KNOWN != 0 {
                break s & UNDER_LEAK != 0;
            }
            if s & LEAKED != 0 {
                break true;
            }
            self.chain.push(at.0);
            let up = dom.idom(at);
            if up == at {
                break false;
            }
            at = up;
        };
        let mark = KNOWN | if answer { UNDER_LEAK } else { 0 };
        for &c in &self.chain {
            self.state[c as usize] |= mark;
        }
        answer
    }
}

/// Finds the leaks among `new` objects still alive in `last`.
pub fn find_leaks(new: &NewObjects, last: &AnalysedSnapshot) -> Result<LeakReport> {
    let graph = &last.graph;
    let dom = &last.analysis.dominators;
    let leaked_nodes: Vec<NodeIdx> = new
        .find_in_final(graph)?
        .into_iter()
        .filter(|&n| reportable(graph, n) && last.analysis.distance(graph, n).is_some())
        .collect();
    let leaked_objects = leaked_nodes.len() as u64;
    let mut leaked = Leaked::new(graph.node_count(), leaked_nodes);

    // A leaked object's retained size counts only when no leaked object above it in the
    // dominator tree already holds it.
    let mut groups: HashMap<GroupKey, Acc> = HashMap::new();
    for i in 0..leaked.nodes.len() {
        let node = leaked.nodes[i];
        let v = node.0;
        let up = dom.idom(node);
        let inside = up != node && leaked.dominated_by_leak(dom, up);
        let acc = groups.entry(group_key(graph, node)).or_default();
        let retained = dom.retained_size(node);
        acc.count += 1;
        acc.self_size += u64::from(graph.self_size(node));
        if !inside {
            acc.retained_size += retained;
        }
        let rank = Rank {
            retained,
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
                .get(v as usize)
                .is_some_and(|&t| t != 0)
        {
            acc.traced = Some(node);
        }
    }

    let mut built: Vec<Built> = Vec::new();
    for (key, acc) in groups {
        let Some((_, rep)) = acc.representative else {
            continue;
        };
        let trace = last.analysis.retainer_path(graph, rep).unwrap_or_default();
        // The first leaked object on the way from the root, if it is not the representative.
        let holder = trace
            .iter()
            .map(|s| s.node.index)
            .find(|&i| leaked.contains(i) && i != rep);
        built.push(Built {
            key,
            holder: holder.map(|h| group_key(graph, h)),
            group: LeakGroup {
                class_name: graph.class_name(rep).into_owned(),
                node_type: graph.node_type_name(rep).to_string(),
                count: acc.count,
                self_size: acc.self_size,
                retained_size: acc.retained_size,
                representative_id: graph.node_id(rep),
                trace,
                location: node_location(graph, rep),
                also_retains: Vec::new(),
                allocation: acc.traced.and_then(|t| allocation_stack(graph, t)),
            },
        });
    }
    Ok(LeakReport {
        leaks: fold_held_groups(built),
        collections: growing_collections(last, &leaked),
        leaked_objects,
        heap_size: last.total_size(),
    })
}

struct Built {
    key: GroupKey,
    /// The group of the first other leaked object on the representative's path, if any.
    holder: Option<GroupKey>,
    group: LeakGroup,
}

/// Folds every group whose representative is reached through another leaked object into the
/// group of that object, so one root cause is reported once.
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
                let function_name = (folded.node_type == "closure")
                    .then(|| folded.trace.last().map(|s| s.node.name.clone()))
                    .flatten();
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
    leaks.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.count.cmp(&a.count))
    });
    leaks
}
