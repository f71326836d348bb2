//! Retainer paths: the shortest root→node path along forward edges that
//! memlab's trace finder would consider meaningful, preferring user-level
//! edges at equal length. One BFS (`Distances`) serves every query.

use std::collections::VecDeque;

use crate::snapshot::heap::dominators::Dominators;
use crate::snapshot::heap::graph::{EdgeIdx, EdgeName, HeapGraph};
use crate::snapshot::heap::nodes::NodeIdx;

const UNREACHED: u32 = u32::MAX;

// Per-string flags, computed once so the BFS never compares strings.
const NODE_NAME_BLOCKED: u8 = 1;
const EDGE_NAME_BLOCKED: u8 = 2;
const WEAK_MAP_EDGE: u8 = 4;
const DEVTOOLS_CONSOLE: u8 = 8;
const CODE_EDGE_NAME: u8 = 16;

/// memlab's trace-finding filters (`isMeaningfulEdge`, `isMeaningfulNode`,
/// `isBlockListedEdge`), plus: shortcut edges count only from the root.
pub struct PathRules {
    string_flags: Vec<u8>,
}

impl PathRules {
    pub fn heap_bytes(&self) -> u64 {
        self.string_flags.len() as u64
    }

    pub fn new(graph: &HeapGraph) -> PathRules {
        PathRules::for_paths(graph, false)
    }

    /// With `realm_paths`, the rules for a path to a realm's global object: it may pass through
    /// the realm's native context (blocked by default, as noise), which is how the global is
    /// reached when only the realm's functions are held from outside; it may not take a
    /// WeakMap's key-to-value edge, which a snapshot draws whether or not the map itself is
    /// alive (a realm's own WeakMap keyed by a process-wide object would otherwise "hold" it);
    /// nor pass through Node's wrapper of a vm context, which holds the context's sandbox
    /// weakly though the snapshot draws an ordinary edge; nor start at a handle scope or the
    /// engine's strong roots, which hold objects for the native work under way while the
    /// snapshot is taken (seen holding a realm that only a harmless holder keeps).
    pub fn for_paths(graph: &HeapGraph, realm_paths: bool) -> PathRules {
        let strings = &graph.strings;
        let string_flags = (0..strings.len() as u32)
            .map(|i| {
                let s = strings.get_or_empty(i);
                let mut f = 0;
                if matches!(
                    s,
                    "system / PropertyCell"
                        | "system / SourcePositionTableWithFrameCache"
                        | "(map descriptors)"
                ) || (s == "system / NativeContext" && !realm_paths)
                    || (realm_paths
                        && matches!(
                            s,
                            "Node / ContextifyContext" | "(Handle scope)" | "(Strong roots)"
                        ))
                {
                    f |= NODE_NAME_BLOCKED;
                }
                if matches!(
                    s,
                    "feedback_cell" | "part of key -> value pair in ephemeron table"
                ) {
                    f |= EDGE_NAME_BLOCKED;
                }
                if s.contains("WeakMap") {
                    f |= WEAK_MAP_EDGE;
                }
                if realm_paths && s.contains("pair in WeakMap") {
                    f |= EDGE_NAME_BLOCKED;
                }
                if s.contains("DevTools console") {
                    f |= DEVTOOLS_CONSOLE;
                }
                if s == "code" {
                    f |= CODE_EDGE_NAME;
                }
                f
            })
            .collect();
        PathRules { string_flags }
    }

    fn flags(&self, string: u32) -> u8 {
        self.string_flags.get(string as usize).copied().unwrap_or(0)
    }

    /// Whether a retainer path may use edge `e` from `from` to `to`.
    pub fn allows(&self, graph: &HeapGraph, from: u32, e: u32, to: u32) -> bool {
        if from == to {
            return false;
        }
        let ids = graph.meta.edge_type_ids;
        let edges = graph.edge_columns();
        let t = Some(edges.edge_type(e as usize));
        if t == ids.weak || (t == ids.shortcut && from != 0) {
            return false;
        }
        let to_type = graph.nodes.node_type[to as usize];
        if Some(to_type) == graph.meta.node_type_ids.code
            || self.flags(graph.nodes.name[to as usize]) & NODE_NAME_BLOCKED != 0
        {
            return false;
        }
        if !graph.meta.edge_name_is_index(edges.edge_type(e as usize)) {
            let flags = self.flags(edges.name(e as usize));
            if flags & EDGE_NAME_BLOCKED != 0 {
                return false;
            }
            if t == ids.internal && flags & (CODE_EDGE_NAME | DEVTOOLS_CONSOLE) != 0 {
                return false;
            }
            if flags & WEAK_MAP_EDGE != 0
                && weak_map_key_id(graph, EdgeIdx(e)) == Some(graph.nodes.id[to as usize])
            {
                // A WeakMap does not retain its keys.
                return false;
            }
        }
        true
    }
}

/// The key id V8 writes into ephemeron edge names: "... (… @123) -> ...".
fn weak_map_key_id(graph: &HeapGraph, e: EdgeIdx) -> Option<u32> {
    let EdgeName::Name(name) = graph.edge_name(e) else {
        return None;
    };
    let arrow = name.find(") ->")?;
    let at = name[..arrow].rfind('@')?;
    name[at + 1..arrow].parse().ok()
}

/// BFS distance of every node from the root along allowed edges, in two passes as DevTools
/// does: first from the user roots (the global objects the root points at), then through V8's
/// "(GC roots)" (handle scopes, stack roots, compilation caches…). A path through the program's
/// own globals is shown in preference to an equally short one through the engine's internals.
pub struct Distances {
    dist: Vec<u32>,
    /// The "(GC roots)" node when its distance was deferred to the second pass.
    deferred: Option<u32>,
}

impl Distances {
    pub fn heap_bytes(&self) -> u64 {
        self.dist.len() as u64 * 4
    }

    pub fn compute(graph: &HeapGraph, rules: &PathRules) -> Distances {
        Distances::compute_without(graph, rules, &|_| false)
    }

    /// Distances along paths that never enter a `blocked` node: the way to ask whether an object
    /// is still reachable once a known, harmless holder is set aside.
    pub fn compute_without(
        graph: &HeapGraph,
        rules: &PathRules,
        blocked: &dyn Fn(NodeIdx) -> bool,
    ) -> Distances {
        let n = graph.node_count();
        let edges = graph.edge_columns();
        let first_edge = graph.first_edge();
        let mut dist = vec![UNREACHED; n];
        // Only the frontier is queued, not every node reached.
        let mut queue: VecDeque<u32> = VecDeque::new();
        let gc_roots = find_gc_roots(graph);
        // Returns the farthest distance it gave.
        let bfs = |dist: &mut Vec<u32>, queue: &mut VecDeque<u32>, skip: Option<u32>| {
            let mut farthest = 0;
            while let Some(v) = queue.pop_front() {
                let next = dist[v as usize] + 1;
                for e in first_edge[v as usize]..first_edge[v as usize + 1] {
                    let to = edges.to(e as usize);
                    if dist[to as usize] == UNREACHED
                        && Some(to) != skip
                        && rules.allows(graph, v, e, to)
                        && !blocked(NodeIdx(to))
                    {
                        dist[to as usize] = next;
                        farthest = next;
                        queue.push_back(to);
                    }
                }
            }
            farthest
        };
        if n > 0 {
            dist[0] = 0;
            queue.push_back(0);
        }
        let farthest = bfs(&mut dist, &mut queue, gc_roots);
        let mut deferred = None;
        if let Some(g) = gc_roots.filter(|&g| dist[g as usize] == UNREACHED) {
            dist[g as usize] = farthest + 1;
            queue.push_back(g);
            deferred = Some(g);
            bfs(&mut dist, &mut queue, None);
        }
        Distances { dist, deferred }
    }

    /// Whether `node` is the deferred "(GC roots)" node, whose distance is not its depth.
    fn is_deferred(&self, node: NodeIdx) -> bool {
        self.deferred == Some(node.0)
    }

    pub fn get(&self, node: NodeIdx) -> Option<u32> {
        self.dist
            .get(node.index())
            .copied()
            .filter(|&d| d != UNREACHED)
    }
}

/// A source position, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub script_name: String,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeLabel {
    Name(String),
    Index(u32),
}

impl std::fmt::Display for EdgeLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EdgeLabel::Name(s) => f.write_str(s),
            EdgeLabel::Index(i) => write!(f, "[{i}]"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEdge {
    pub index: EdgeIdx,
    pub edge_type: String,
    pub name: EdgeLabel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepNode {
    pub index: NodeIdx,
    pub id: u32,
    pub node_type: String,
    pub name: String,
    pub class_name: String,
    pub self_size: u32,
    pub retained_size: Option<u64>,
}

/// One hop of a retainer path: the edge that leads to `node` (None for the
/// root, which starts every path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    pub edge: Option<StepEdge>,
    pub node: StepNode,
    pub location: Option<Location>,
    /// How many times this hop repeats in a row (a linked list's `next`, a chain of promise
    /// reactions): the run is shown as its first step, `× repeat`. 1 for a single hop.
    pub repeat: u32,
}

/// Keys longer than this are cut in an entry's label.
const KEY_SHOWN: usize = 40;

/// `Map --table--> (array) --98--> value` becomes `Map --["session:42"] (entry)--> value`: the
/// hop through a Map's, Set's or WeakMap's hash table is shown by the entry's key, as far as
/// the snapshot has it (a Map's key sits in the slot before its value; a Set's entry is its
/// own key; V8 names a WeakMap's key in the edge).
fn name_collection_entries(graph: &HeapGraph, mut steps: Vec<PathStep>) -> Vec<PathStep> {
    // A WeakMap value reached from its key (V8's ephemeron edge) is the entry of that key.
    for step in &mut steps {
        if let Some(edge) = step.edge.as_mut()
            && let EdgeLabel::Name(name) = &edge.name
            && name.contains("pair in WeakMap")
            && let Some(key) = weak_key_label(name)
        {
            edge.name = EdgeLabel::Name(format!("[{key}]"));
            edge.edge_type = "entry".into();
        }
    }
    let mut i = 1;
    while i + 1 < steps.len() {
        let owner = steps[i - 1].node.class_name.as_str();
        let through_table = matches!(
            steps[i].edge.as_ref().map(|e| &e.name),
            Some(EdgeLabel::Name(n)) if n == "table"
        );
        let kind = match owner {
            "Map" => Some(0),
            "Set" => Some(1),
            "WeakMap" | "WeakSet" => Some(2),
            _ => None,
        };
        let (Some(kind), true) = (kind, through_table) else {
            i += 1;
            continue;
        };
        let table = steps[i].node.index;
        let entry = &steps[i + 1];
        let slot = match entry.edge.as_ref().map(|e| &e.name) {
            Some(EdgeLabel::Name(n)) => n.parse::<u32>().ok(),
            Some(EdgeLabel::Index(n)) => Some(*n),
            None => None,
        };
        let key = match kind {
            // Map entries are (key, value, chain) triples after the header and the buckets.
            0 => slot
                .zip(map_entries_start(graph.self_size(table)))
                .and_then(|(s, start)| match s.checked_sub(start)? % 3 {
                    0 => Some(format!("key {}", key_label(graph, entry.node.index))),
                    1 => graph
                        .internal_target(table, &(s - 1).to_string())
                        .map(|key| key_label(graph, key)),
                    _ => None,
                }),
            1 => Some(key_label(graph, entry.node.index)),
            // Already named by its key above.
            _ => match entry.edge.as_ref().map(|e| (&e.name, e.edge_type.as_str())) {
                Some((EdgeLabel::Name(n), "entry")) => Some(n.trim_matches(['[', ']']).to_string()),
                _ => None,
            },
        };
        match key {
            Some(key) => {
                let mut entry = steps.remove(i + 1);
                if let Some(edge) = entry.edge.as_mut() {
                    edge.name = EdgeLabel::Name(format!("[{key}]"));
                    edge.edge_type = "entry".into();
                }
                steps[i] = entry;
            }
            None => i += 1,
        }
    }
    steps
}

/// Where a Map's hash table (V8's OrderedHashMap: 3 header slots, `b` buckets, then `2b`
/// entries of 3 slots) starts its entries, from the table's size; None if the size fits no
/// such table (with 8-byte slots, or 4-byte ones under pointer compression).
fn map_entries_start(self_size: u32) -> Option<u32> {
    [(16u32, 8u32), (8, 4)]
        .into_iter()
        .find_map(|(header, slot)| {
            let body = self_size.checked_sub(header)?;
            let len = (body % slot == 0).then_some(body / slot)?;
            let buckets = len.checked_sub(3)?;
            (buckets % 7 == 0 && buckets > 0).then_some(3 + buckets / 7)
        })
}

/// An entry key as a reader writes it: a string quoted, a number as is, an object by class.
fn key_label(graph: &HeapGraph, key: NodeIdx) -> String {
    let name = graph.node_name(key);
    if graph.is_string(key) {
        let shown: String = name.chars().take(KEY_SHOWN).collect();
        let cut = if shown.len() < name.len() { "…" } else { "" };
        format!("{:?}", format!("{shown}{cut}"))
    } else if Some(graph.node_type(key)) == graph.meta.node_type_ids.number {
        name.to_string()
    } else {
        format!("{} @{}", graph.class_name(key), graph.node_id(key))
    }
}

/// The key V8 names in a WeakMap entry's edge: "part of key (Object @123) -> value …".
fn weak_key_label(edge: &str) -> Option<String> {
    let start = edge.find("key (")? + "key (".len();
    let end = start + edge[start..].find(')')?;
    Some(edge[start..end].to_string())
}

/// Runs this long of the same hop (edge name and type, node type and class) are collapsed.
const MIN_RUN: usize = 3;

/// Collapses runs of the same hop into their first step with a `repeat` count, so a path
/// through a list of 70 nodes reads as one line, not 70.
pub fn collapse_runs(steps: Vec<PathStep>) -> Vec<PathStep> {
    let same = |a: &PathStep, b: &PathStep| {
        a.edge.as_ref().map(|e| (&e.name, &e.edge_type))
            == b.edge.as_ref().map(|e| (&e.name, &e.edge_type))
            && a.node.node_type == b.node.node_type
            && a.node.class_name == b.node.class_name
    };
    let mut out: Vec<PathStep> = Vec::with_capacity(steps.len());
    let mut run = 0usize;
    for step in steps {
        if let Some(last) = out.last()
            && same(last, &step)
        {
            run += 1;
            out.push(step);
            continue;
        }
        fold_run(&mut out, run);
        run = 1;
        out.push(step);
    }
    fold_run(&mut out, run);
    out
}

/// Replaces the last `run` steps of `out` with the first of them, counted.
fn fold_run(out: &mut Vec<PathStep>, run: usize) {
    if run >= MIN_RUN {
        let first = out.len() - run;
        out.truncate(first + 1);
        out[first].repeat = run as u32;
    }
}

/// Lower is better: user-level edges first, then their sources' kinds.
fn preference(graph: &HeapGraph, from: u32, e: u32) -> u8 {
    let ids = graph.meta.edge_type_ids;
    let t = Some(graph.edge_columns().edge_type(e as usize));
    let edge_rank = if t == ids.property || t == ids.element || t == ids.context {
        0
    } else if t == ids.hidden {
        1
    } else if t == ids.internal {
        2
    } else {
        3
    };
    let n = graph.meta.node_type_ids;
    let ft = Some(graph.nodes.node_type[from as usize]);
    let from_is_user = ft == n.object || ft == n.closure || ft == n.array || ft == n.regexp;
    edge_rank * 2 + u8::from(!from_is_user)
}

/// The synthetic "(GC roots)" node, if the root points at one.
fn find_gc_roots(graph: &HeapGraph) -> Option<u32> {
    let synthetic = graph.meta.node_type_ids.synthetic?;
    let edges = graph.edge_columns();
    let first_edge = graph.first_edge();
    let (start, end) = (*first_edge.first()?, *first_edge.get(1)?);
    (start..end).map(|e| edges.to(e as usize)).find(|&to| {
        graph.nodes.node_type[to as usize] == synthetic
            && graph.node_name(NodeIdx(to)) == "(GC roots)"
    })
}

/// The path from the root to `target`, or None if no allowed path exists.
pub fn retainer_path(
    graph: &HeapGraph,
    rules: &PathRules,
    distances: &Distances,
    dominators: Option<&Dominators>,
    target: NodeIdx,
) -> Option<Vec<PathStep>> {
    retainer_path_with(graph, rules, distances, dominators, target, None)
}

/// The shortest path from the root to `target`; with `avoid`, a step from a node that is not
/// avoided takes a retainer that is not avoided either, when one nearer the root exists (the
/// path may then be longer than the shortest).
pub fn retainer_path_with(
    graph: &HeapGraph,
    rules: &PathRules,
    distances: &Distances,
    dominators: Option<&Dominators>,
    target: NodeIdx,
    avoid: Option<&dyn Fn(NodeIdx) -> bool>,
) -> Option<Vec<PathStep>> {
    let mut d = distances.get(target)?;
    let mut hops: Vec<(u32, NodeIdx)> = Vec::new();
    let mut node = target;
    while d > 0 {
        // The deferred "(GC roots)" hangs directly under the root whatever its distance says.
        let deferred = distances.is_deferred(node);
        let allowed = |&(e, from): &(EdgeIdx, NodeIdx)| rules.allows(graph, from.0, e.0, node.0);
        let detour = avoid
            .filter(|avoid| !deferred && node != target && !avoid(node))
            .and_then(|avoid| {
                graph
                    .retainers_of(node)
                    .filter(|&(_, from)| !avoid(from) && distances.get(from).is_some_and(|f| f < d))
                    .filter(allowed)
                    .min_by_key(|&(e, from)| {
                        (distances.get(from), preference(graph, from.0, e.0), e.0)
                    })
            });
        let (edge, from) = match detour {
            Some(step) => step,
            None => graph
                .retainers_of(node)
                .filter(|&(_, from)| {
                    if deferred {
                        from == NodeIdx::ROOT
                    } else {
                        distances.get(from) == Some(d - 1)
                    }
                })
                .filter(allowed)
                .min_by_key(|&(e, from)| (preference(graph, from.0, e.0), e.0))?,
        };
        hops.push((edge.0, node));
        node = from;
        d = distances.get(from)?;
    }
    let mut steps = Vec::with_capacity(hops.len() + 1);
    steps.push(make_step(graph, dominators, None, NodeIdx::ROOT));
    for &(edge, node) in hops.iter().rev() {
        steps.push(make_step(graph, dominators, Some(EdgeIdx(edge)), node));
    }
    Some(collapse_runs(name_collection_entries(graph, steps)))
}

fn make_step(
    graph: &HeapGraph,
    dominators: Option<&Dominators>,
    edge: Option<EdgeIdx>,
    node: NodeIdx,
) -> PathStep {
    PathStep {
        edge: edge.map(|e| StepEdge {
            index: e,
            edge_type: graph.edge_type_name(e).to_string(),
            name: match graph.edge_name(e) {
                EdgeName::Name(s) => EdgeLabel::Name(s.to_string()),
                EdgeName::Index(i) => EdgeLabel::Index(i),
            },
        }),
        node: StepNode {
            index: node,
            id: graph.node_id(node),
            node_type: graph.node_type_name(node).to_string(),
            name: graph.function_name(node).into_owned(),
            class_name: step_class_name(graph, node),
            self_size: graph.self_size(node),
            retained_size: dominators.map(|d| d.retained_size(node)),
        },
        location: node_location(graph, node),
        repeat: 1,
    }
}

/// The class a path step shows: synthetic roots by their own names ("(GC roots)",
/// "(Stack roots)", "(Global handles)"…), so a reader can tell a stack root from a handle.
fn step_class_name(graph: &HeapGraph, node: NodeIdx) -> String {
    let name = graph.node_name(node);
    if Some(graph.node_type(node)) == graph.meta.node_type_ids.synthetic && !name.is_empty() {
        name.to_string()
    } else {
        graph.class_name(node).into_owned()
    }
}

/// A node's source location. Closures carry one, and so do objects (their
/// constructor's position). The script name comes from the node's own
/// closure → SharedFunctionInfo → Script chain, else from any closure of
/// the same script, else it is "script #<id>".
pub fn node_location(graph: &HeapGraph, node: NodeIdx) -> Option<Location> {
    let Some(raw) = graph.raw_location(node) else {
        // A bound function is where its target is defined.
        return graph
            .bound_target(node)
            .and_then(|target| node_location(graph, target));
    };
    let script_name = graph
        .closure_script_name(node)
        .or_else(|| graph.script_name(raw.script_id).map(str::to_string))
        .unwrap_or_else(|| format!("script #{}", raw.script_id));
    Some(Location {
        script_name,
        script_id: raw.script_id,
        line: raw.line.saturating_add(1),
        column: raw.column.saturating_add(1),
    })
}
