//! Three-snapshot leak isolation: objects allocated between `baseline` and `target` (by id) that
//! still exist in `final`, minus engine noise, grouped by class (closures by source location),
//! with retained sizes that never count an object twice and one representative retainer path
//! per root cause.
//!
//! Only `final` needs a full graph: baseline and target are read for their ids and class names.

use std::collections::HashMap;

use super::allocation::{Frame, allocation_stack};
use super::analysed::AnalysedSnapshot;
use super::error::{Result, SnapshotError};
use super::graph::HeapGraph;
use super::nodes::{NodeIdx, NodeView};
use super::paths::{Location, PathStep, node_location};

/// Below this share of ids naming the same class in two snapshots, they are not from one process.
const SAME_PROCESS_MIN_AGREEMENT: f64 = 0.9;
/// Ids compared for the same-process check (evenly spread over the common ids).
const AGREEMENT_SAMPLE: usize = 20_000;

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
    dom: &super::dominators::Dominators,
    leaked: &[bool],
    node: NodeIdx,
) -> Option<NodeIdx> {
    let mut at = node;
    for _ in 0..HOLDER_SEARCH_DEPTH {
        let up = dom.idom(at);
        if up == at || up == NodeIdx::ROOT {
            return None;
        }
        if leaked[up.index()] {
            return None; // held through another leak, which is reported instead
        }
        if reportable(graph, up) && Some(graph.node_type(up)) == graph.meta.node_type_ids.object {
            return Some(up);
        }
        at = up;
    }
    None
}

fn growing_collections(last: &AnalysedSnapshot, leaked: &[bool]) -> Vec<GrowingCollection> {
    let graph = &last.graph;
    let dom = &last.analysis.dominators;
    let mut added: HashMap<u32, u64> = HashMap::new();
    for (i, _) in leaked.iter().enumerate().filter(|(_, l)| **l) {
        if let Some(c) = holding_collection(graph, dom, leaked, NodeIdx(i as u32)) {
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

/// One of the three snapshots, as the comparisons need it. Ids are looked up through the node
/// table's own sorted index, so no side copies its ids.
struct Side<'a> {
    name: &'static str,
    view: NodeView<'a>,
}

impl<'a> Side<'a> {
    fn new(name: &'static str, view: NodeView<'a>) -> Self {
        Side { name, view }
    }

    fn has(&self, id: u32) -> bool {
        self.view.nodes.find_by_id(id).is_some()
    }

    /// Ids in ascending order.
    fn ids(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let nodes = self.view.nodes;
        nodes.indices_by_id().iter().map(|&i| nodes.id[i as usize])
    }

    /// The newest JavaScript object's id. V8 numbers heap objects with odd ids in allocation
    /// order; native (embedder) nodes get even ids derived from hashes, which say nothing about age.
    fn newest_heap_id(&self) -> Option<u32> {
        self.ids().rev().find(|id| id % 2 == 1)
    }
}

/// Refuses snapshot pairs that cannot be compared: written by different V8 versions (records
/// laid out differently), taken from different processes (one id names the same object, so the
/// same class, for the life of a process), or given out of order (newer objects get higher ids).
fn check_comparable(earlier: &Side, later: &Side) -> Result<()> {
    let (a, b) = (earlier.view.meta, later.view.meta);
    let layout_differs = if a.node_fields != b.node_fields {
        Some("node fields")
    } else if a.node_types != b.node_types {
        Some("node types")
    } else if a.edge_types != b.edge_types {
        Some("edge types")
    } else {
        None
    };
    if let Some(what) = layout_differs {
        return Err(SnapshotError::Incompatible(format!(
            "the {} and {} snapshots were written by different V8 versions (their {what} \
             differ): take all three from one process",
            earlier.name, later.name
        )));
    }
    let common: Vec<u32> = earlier.ids().filter(|&id| later.has(id)).collect();
    let step = (common.len() / AGREEMENT_SAMPLE).max(1);
    let (mut compared, mut agreed) = (0usize, 0usize);
    for &id in common.iter().step_by(step) {
        let (Some(e), Some(l)) = (
            earlier.view.nodes.find_by_id(id),
            later.view.nodes.find_by_id(id),
        ) else {
            continue;
        };
        compared += 1;
        agreed += usize::from(earlier.view.class_name(e) == later.view.class_name(l));
    }
    if compared == 0 || (agreed as f64) < SAME_PROCESS_MIN_AGREEMENT * compared as f64 {
        return Err(SnapshotError::Incompatible(format!(
            "the {} and {} snapshots do not come from the same process (object ids are not \
             comparable: {agreed} of {compared} shared ids name the same class)",
            earlier.name, later.name
        )));
    }
    if let (Some(earlier_max), Some(later_max)) = (earlier.newest_heap_id(), later.newest_heap_id())
        && earlier_max > later_max
    {
        return Err(SnapshotError::Incompatible(format!(
            "the {} snapshot has newer objects (ids up to {earlier_max}) than the {} snapshot \
             (up to {later_max}): the snapshots are given in the wrong order",
            earlier.name, later.name
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

#[derive(Debug, Default)]
struct Acc {
    count: u64,
    self_size: u64,
    retained_size: u64,
    representative: Option<(u64, NodeIdx)>,
    /// A member with an allocation trace, if any.
    traced: Option<NodeIdx>,
}

/// Finds the leaks: `baseline` and `target` need node ids and names only (light parses).
pub fn find_leaks(
    baseline: &NodeView,
    target: &NodeView,
    last: &AnalysedSnapshot,
) -> Result<LeakReport> {
    let graph = &last.graph;
    let dom = &last.analysis.dominators;
    let baseline = Side::new("baseline", *baseline);
    let target = Side::new("target", *target);
    check_comparable(&baseline, &target)?;
    check_comparable(&target, &Side::new("final", graph.view()))?;

    let n = graph.node_count();
    let mut leaked = vec![false; n];
    let mut leaked_objects = 0u64;
    for i in 0..n as u32 {
        let node = NodeIdx(i);
        let id = graph.node_id(node);
        // Only heap objects (odd ids, given in allocation order) can be told new; embedder
        // nodes' even ids are hashes, and a native leak shows through its JS wrappers anyway.
        if id % 2 == 1
            && target.has(id)
            && !baseline.has(id)
            && reportable(graph, node)
            && last.analysis.distance(graph, node).is_some()
        {
            leaked[i as usize] = true;
            leaked_objects += 1;
        }
    }

    // One walk over the dominator tree: a leaked object's retained size counts only when no
    // leaked object above it already holds it.
    let mut groups: HashMap<GroupKey, Acc> = HashMap::new();
    let mut stack: Vec<(u32, bool)> = vec![(0, false)];
    while let Some((v, inside)) = stack.pop() {
        let node = NodeIdx(v);
        let is_leaked = leaked[v as usize];
        if is_leaked {
            let acc = groups.entry(group_key(graph, node)).or_default();
            let retained = dom.retained_size(node);
            acc.count += 1;
            acc.self_size += u64::from(graph.self_size(node));
            if !inside {
                acc.retained_size += retained;
            }
            if acc.representative.is_none_or(|(r, _)| retained > r) {
                acc.representative = Some((retained, node));
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
        for &child in dom.children(node) {
            stack.push((child, inside || is_leaked));
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
            .find(|&i| leaked[i.index()] && i != rep);
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
