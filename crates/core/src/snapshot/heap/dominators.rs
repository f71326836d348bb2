//! Dominator tree and retained sizes, computed with the same rules and the
//! same algorithm as memlab 2.0.5 (`TraceFinder.computeDominatorsAndRetainedSizes`,
//! a Lengauer–Tarjan port of Chrome DevTools), so every node's retained size
//! equals memlab's, including for nodes unreachable from the root.
//!
//! Rules replicated:
//! - an edge counts only if it is not a self edge, not `weak`, not `shortcut`
//!   unless it leaves the root, and does not go from a node outside the
//!   "page" (nodes reachable from the root's non-shortcut edges, ignoring weak
//!   edges) into a node inside it (except from the root);
//! - nodes the root-DFS misses are numbered next: first those whose every
//!   retainer is `weak` or `shortcut` (each followed by a DFS of its own),
//!   then the rest one by one, all as children of the root;
//! - a node with no counted retainer is dominated by the root.
//!
//! Everything is flat `Vec<u32>`s with explicit stacks (no recursion). The immediate dominators
//! come from Semi-NCA rather than memlab's buckets: the same (unique) tree, in less memory.

use std::sync::OnceLock;

use super::graph::{HeapGraph, RETAINED_BY_SHORTCUT, RETAINED_WEAKLY, RETAINER_NODE_MASK};
use super::nodes::NodeIdx;
use super::retained::RetainedSizes;
use crate::snapshot::error::{Result, SnapshotError};
use crate::snapshot::read::budget::vec_bytes;

#[derive(Debug)]
pub struct Dominators {
    /// Immediate dominator of every node; the root dominates itself.
    idom: Vec<u32>,
    retained_size: RetainedSizes,
    /// Dominator-tree children, built on first use (a leak search never needs them):
    /// `children[first_child[n]..first_child[n + 1]]`.
    children: OnceLock<(Vec<u32>, Vec<u32>)>,
    pub stats: DominatorStats,
}

/// How the nodes were reached, for diagnostics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DominatorStats {
    /// Numbered by the DFS from the root.
    pub reached_from_root: u32,
    /// Roots of the extra DFS runs: nodes with only weak/shortcut retainers.
    pub weak_orphans: u32,
    /// Nodes numbered after those DFS runs (kept alive only by cycles, or by
    /// edges the rules ignore).
    pub unreached: u32,
}

impl Dominators {
    /// Heap memory the dominator tree and retained sizes hold.
    pub fn heap_bytes(&self) -> u64 {
        let children = self
            .children
            .get()
            .map_or(0, |(first, all)| vec_bytes(first) + vec_bytes(all));
        vec_bytes(&self.idom) + self.retained_size.heap_bytes() + children
    }

    pub fn compute(graph: &HeapGraph) -> Result<Dominators> {
        let n = graph.node_count();
        if n == 0 {
            return Err(SnapshotError::NoNodes);
        }
        if n >= u32::MAX as usize {
            return Err(SnapshotError::TooLarge {
                what: "node count for the dominator computation",
                value: n as u64,
                limit: u32::MAX as u64 - 1,
            });
        }
        // The retainers are built on the other core while the forward passes run; the
        // backward passes wait for them.
        let ((idom, retained_size, stats), _) = crate::parallel::join(
            || {
                let page = page_owned_nodes(graph);
                let rules = EdgeRules::new(graph, &page);
                semi_nca(graph, &rules)
            },
            || graph.retainer_columns(),
        );
        Ok(Dominators {
            idom,
            retained_size,
            children: OnceLock::new(),
            stats,
        })
    }

    pub fn idom(&self, node: NodeIdx) -> NodeIdx {
        NodeIdx(self.idom.get(node.index()).copied().unwrap_or(0))
    }

    pub fn retained_size(&self, node: NodeIdx) -> u64 {
        self.retained_size.get(node.index())
    }

    /// Nodes immediately dominated by `node`.
    pub fn children(&self, node: NodeIdx) -> &[u32] {
        let (first_child, children) = self.children.get_or_init(|| children_csr(&self.idom));
        let i = node.index();
        let start = first_child.get(i).copied().unwrap_or(0) as usize;
        let end = first_child.get(i + 1).copied().unwrap_or(0) as usize;
        children.get(start..end).unwrap_or(&[])
    }

    /// True if `a` dominates `b` (every node dominates itself).
    pub fn dominates(&self, a: NodeIdx, b: NodeIdx) -> bool {
        let mut cur = b.0;
        for _ in 0..self.idom.len() {
            if cur == a.0 {
                return true;
            }
            let next = self.idom.get(cur as usize).copied().unwrap_or(0);
            if next == cur {
                return false;
            }
            cur = next;
        }
        false
    }
}

/// memlab's `flagReachableNodesFromWindow`: nodes reachable from the root's
/// edges (minus shortcuts and the "(Document DOM trees)" element), then
/// along every non-weak edge.
fn page_owned_nodes(graph: &HeapGraph) -> NodeBits {
    let n = graph.node_count();
    let ids = graph.meta.edge_type_ids;
    let edges = graph.edge_columns();
    let first_edge = graph.first_edge();
    let dom_trees_root = dom_trees_root_marker(graph);
    let mut flags = NodeBits::new(n);
    let mut stack: Vec<u32> = Vec::new();
    for e in graph.edges_of(NodeIdx::ROOT) {
        let t = Some(edges.edge_type(e as usize));
        let to = edges.to(e as usize);
        if (t == ids.element && dom_trees_root == Some(to)) || t == ids.shortcut {
            continue;
        }
        stack.push(to);
        flags.set(to);
    }
    while let Some(v) = stack.pop() {
        let v = v as usize;
        for e in first_edge[v]..first_edge[v + 1] {
            let to = edges.to(e as usize);
            if flags.get(to) || Some(edges.edge_type(e as usize)) == ids.weak {
                continue;
            }
            stack.push(to);
            flags.set(to);
        }
    }
    flags
}

/// The synthetic "(Document DOM trees)" node among the root's children, if any
/// (browser snapshots only).
fn dom_trees_root_marker(graph: &HeapGraph) -> Option<u32> {
    let synthetic = graph.meta.node_type_ids.synthetic?;
    graph
        .edges_of(NodeIdx::ROOT)
        .map(|e| graph.edge_to(super::graph::EdgeIdx(e)))
        .find(|&to| {
            graph.node_type(to) == synthetic && graph.node_name(to) == "(Document DOM trees)"
        })
        .map(|to| to.0)
}

/// One bit per node (an eighth of a `Vec<bool>`: this one is alive at the dominators' peak).
struct NodeBits(Vec<u64>);

impl NodeBits {
    fn new(n: usize) -> NodeBits {
        NodeBits(vec![0; n.div_ceil(64)])
    }

    #[inline]
    fn get(&self, node: u32) -> bool {
        self.0[node as usize / 64] >> (node % 64) & 1 != 0
    }

    #[inline]
    fn set(&mut self, node: u32) {
        self.0[node as usize / 64] |= 1 << (node % 64);
    }
}

/// memlab's `isEssential` edge predicate, shared by the forward DFS and the
/// backward retainer scan.
struct EdgeRules<'a> {
    page: &'a NodeBits,
    weak: Option<u8>,
    shortcut: Option<u8>,
}

impl<'a> EdgeRules<'a> {
    fn new(graph: &HeapGraph, page: &'a NodeBits) -> Self {
        EdgeRules {
            page,
            weak: graph.meta.edge_type_ids.weak,
            shortcut: graph.meta.edge_type_ids.shortcut,
        }
    }

    #[inline]
    fn is_essential(&self, from: u32, edge_type: u8, to: u32) -> bool {
        if from == to || Some(edge_type) == self.weak {
            return false;
        }
        if from != 0 && Some(edge_type) == self.shortcut {
            return false;
        }
        !(from != 0 && self.page.get(to) && !self.page.get(from))
    }

    /// The same predicate for a retainer entry (retaining node plus edge-kind flags).
    #[inline]
    fn is_essential_retainer(&self, entry: u32, to: u32) -> bool {
        let from = entry & RETAINER_NODE_MASK;
        if from == to || entry & RETAINED_WEAKLY != 0 {
            return false;
        }
        if from != 0 && entry & RETAINED_BY_SHORTCUT != 0 {
            return false;
        }
        !(from != 0 && self.page.get(to) && !self.page.get(from))
    }
}

/// Marks a semidominator that is also the DFS parent (preorder numbers stay below 2^29).
const SEMI_IS_PARENT: u32 = 1 << 31;

/// Semi-NCA over vertices numbered 1..=n (0 means "none"), vertex v being node v-1. Returns
/// (idom by node, retained size by node).
///
/// Memory is the limit on large snapshots, so four arrays of n + 1 words are all it holds at
/// once (plus a bit per node, the DFS path and the result's sizes at the end), each reused as the
/// phases go:
/// - `pre`: preorder number by vertex, for good;
/// - `tree`: the DFS parent by vertex, then the link forest's ancestors (path compression
///   rewrites them), then the immediate dominator by preorder number;
/// - `order`: the vertex by preorder number, then the semidominator by preorder number (flagged
///   when it is the DFS parent), then the immediate dominator by vertex (the result);
/// - `scratch` (from the semidominator pass on): the least semidominator on the compressed path
///   by vertex, then the vertex by preorder number again.
///
/// The DFS keeps its path with an edge cursor per entry: as deep as the DFS tree, n entries at
/// worst (a heap that is one long list), a few thousand on real heaps.
///
/// Linking is implicit: vertices are processed in reverse preorder and a vertex is linked once
/// processed, so "linked" is `pre > i`, and `tree` holds the DFS parent until then. Path
/// compression loses the parents, which the NCA phase finds again when the semidominator is not
/// the parent: a vertex's DFS parent is its counted retainer with the greatest preorder number
/// below its own (every such retainer is a DFS ancestor, and the parent is the deepest); vertices
/// numbered after the DFS runs hang under the root.
fn semi_nca(graph: &HeapGraph, rules: &EdgeRules) -> (Vec<u32>, RetainedSizes, DominatorStats) {
    let n = graph.node_count();
    let len = n + 1;
    let edges = graph.edge_columns();
    let first_edge = graph.first_edge();

    let mut tree = vec![0u32; len];
    let mut order = vec![0u32; len];
    let mut pre = vec![0u32; len];
    let mut numbered: u32 = 0;

    // Whether a node is numbered yet, as bits: the DFS asks it of every edge's target, and an
    // eighth of a megabyte per million nodes stays in cache where `pre` does not.
    let mut seen = NodeBits::new(n);
    // The DFS path with each vertex's next edge: the cursors of the path stay in cache, where
    // a cursor per node would be read and written all over an array of n words.
    let mut path: Vec<(u32, u32)> = Vec::new();
    let mut dfs = |start: u32,
                   parent: &mut [u32],
                   pre: &mut [u32],
                   order: &mut [u32],
                   seen: &mut NodeBits,
                   numbered: &mut u32| {
        let mut number = |v: u32, seen: &mut NodeBits| {
            seen.set(v - 1);
            *numbered += 1;
            pre[v as usize] = *numbered;
            order[*numbered as usize] = v;
        };
        number(start, seen);
        path.push((start, first_edge[start as usize - 1]));
        while let Some(top) = path.last_mut() {
            let (v, mut e) = *top;
            let vo = v - 1;
            let end = first_edge[vo as usize + 1];
            let mut next = 0;
            while e < end {
                let wo = edges.to(e as usize);
                let essential = rules.is_essential(vo, edges.edge_type(e as usize), wo);
                e += 1;
                if essential && !seen.get(wo) {
                    next = wo + 1;
                    break;
                }
            }
            top.1 = e;
            if next == 0 {
                path.pop();
            } else {
                number(next, seen);
                parent[next as usize] = v;
                path.push((next, first_edge[next as usize - 1]));
            }
        }
    };

    let root: u32 = 1;
    dfs(
        root,
        &mut tree,
        &mut pre,
        &mut order,
        &mut seen,
        &mut numbered,
    );
    let mut stats = DominatorStats {
        reached_from_root: numbered,
        ..DominatorStats::default()
    };
    let (first_retainer, retainer) = graph.retainer_columns();

    // Orphans kept alive only by weak/shortcut references, each with its DFS.
    if (numbered as usize) < n {
        for v in 1..=n as u32 {
            if pre[v as usize] != 0 {
                continue;
            }
            let vo = v as usize - 1;
            let range = first_retainer[vo] as usize..first_retainer[vo + 1] as usize;
            let only_weak = retainer[range]
                .iter()
                .all(|&entry| entry & (RETAINED_WEAKLY | RETAINED_BY_SHORTCUT) != 0);
            if only_weak {
                stats.weak_orphans += 1;
                tree[v as usize] = root;
                dfs(v, &mut tree, &mut pre, &mut order, &mut seen, &mut numbered);
            }
        }
    }
    // Whatever is left only retains itself in cycles: hang it under the root.
    let first_hung = numbered + 1;
    if (numbered as usize) < n {
        for v in 1..=n as u32 {
            if pre[v as usize] == 0 {
                stats.unreached += 1;
                tree[v as usize] = root;
                numbered += 1;
                pre[v as usize] = numbered;
                order[numbered as usize] = v;
            }
        }
    }

    // Semidominators as Lengauer–Tarjan computes them, with path compression over the implicit
    // link forest; `least[v]` is the least semidominator on v's compressed path.
    // Written before it is read: a vertex's least value is set when it is processed.
    let mut scratch = vec![0u32; len];
    let (ancestor, least, semi) = (&mut tree, &mut scratch, &mut order);
    let mut compress_stack: Vec<u32> = Vec::new();
    for i in (2..=numbered).rev() {
        let w = semi[i as usize];
        let wo = w as usize - 1;
        let mut sdom = i;
        let mut orphan = true;
        let range = first_retainer[wo] as usize..first_retainer[wo + 1] as usize;
        for &entry in &retainer[range] {
            if !rules.is_essential_retainer(entry, wo as u32) {
                continue;
            }
            orphan = false;
            let v = (entry & RETAINER_NODE_MASK) + 1;
            let candidate = if pre[v as usize] <= i {
                // Not linked yet: its semidominator is still its own number.
                pre[v as usize]
            } else {
                let mut x = v;
                compress_stack.clear();
                while pre[ancestor[x as usize] as usize] > i {
                    compress_stack.push(x);
                    x = ancestor[x as usize];
                }
                while let Some(y) = compress_stack.pop() {
                    let a = ancestor[y as usize] as usize;
                    if least[a] < least[y as usize] {
                        least[y as usize] = least[a];
                    }
                    ancestor[y as usize] = ancestor[a];
                }
                least[v as usize]
            };
            sdom = sdom.min(candidate);
        }
        if orphan {
            sdom = 1;
        }
        least[w as usize] = sdom;
        // w is not linked yet, so its ancestor is still its DFS parent. When that parent is the
        // semidominator it is also the immediate dominator, and the NCA pass need not look for
        // the parent again (most nodes have a single retainer).
        let parent = pre[ancestor[w as usize] as usize];
        semi[i as usize] = sdom | if sdom == parent { SEMI_IS_PARENT } else { 0 };
    }

    // Each immediate dominator is the nearest common ancestor of the DFS parent and the
    // semidominator, walked in preorder (every ancestor's dominator is final by then), all in
    // preorder numbers. Dominators are unique, so this equals memlab's Lengauer–Tarjan result.
    let (dom, vertex) = (&mut tree, &mut scratch);
    for v in 1..=n as u32 {
        vertex[pre[v as usize] as usize] = v;
    }
    dom[0] = 0;
    dom[1] = 1;
    for i in 2..=numbered {
        let semi_i = semi[i as usize];
        if semi_i & SEMI_IS_PARENT != 0 {
            dom[i as usize] = semi_i & !SEMI_IS_PARENT;
            continue;
        }
        let mut d = if i >= first_hung {
            1
        } else {
            dfs_parent(rules, retainer, first_retainer, &pre, vertex[i as usize], i)
        };
        while d > semi_i {
            d = dom[d as usize];
        }
        dom[i as usize] = d;
    }
    // The immediate dominator by node index, in the semidominators' place.
    let idom = &mut order;
    for v in 1..=n {
        idom[v - 1] = vertex[dom[pre[v] as usize] as usize].saturating_sub(1);
    }
    idom.truncate(n);
    drop((tree, pre));
    let mut idom = order;
    idom.shrink_to_fit();
    let vertex = scratch;
    let mut retained = RetainedSizes::from_self_sizes(&graph.nodes.self_size);
    // Reverse preorder: a node is added to its dominator before the
    // dominator itself is added further up.
    for i in (2..=numbered).rev() {
        let o = vertex[i as usize] as usize - 1;
        let d = idom[o] as usize;
        retained.add(d, retained.get(o));
    }
    (idom, retained, stats)
}

/// The DFS parent of vertex `w` (preorder number `i`, numbered by a DFS run) as a preorder
/// number: its counted retainer numbered last before it, or the root when none is.
fn dfs_parent(
    rules: &EdgeRules,
    retainer: &[u32],
    first_retainer: &[u32],
    pre: &[u32],
    w: u32,
    i: u32,
) -> u32 {
    let wo = w as usize - 1;
    let range = first_retainer[wo] as usize..first_retainer[wo + 1] as usize;
    retainer[range]
        .iter()
        .filter(|&&entry| rules.is_essential_retainer(entry, wo as u32))
        .map(|&entry| pre[(entry & RETAINER_NODE_MASK) as usize + 1])
        .filter(|&p| p < i)
        .max()
        .unwrap_or(1)
}

fn children_csr(idom: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = idom.len();
    // Counts land one slot up, so that after the prefix sum `first_child[d + 1]` is d's start
    // and serves as its fill cursor; once filled it is d's end (no cursor array).
    let mut first_child = vec![0u32; n + 1];
    for (node, &d) in idom.iter().enumerate() {
        if node != d as usize
            && let Some(c) = first_child.get_mut(d as usize + 2)
        {
            *c += 1;
        }
    }
    for i in 1..n {
        first_child[i + 1] += first_child[i];
    }
    let children_count = idom
        .iter()
        .enumerate()
        .filter(|&(node, &d)| node != d as usize)
        .count();
    let mut children = vec![0u32; children_count];
    for (node, &d) in idom.iter().enumerate() {
        if node != d as usize {
            let cursor = &mut first_child[d as usize + 1];
            children[*cursor as usize] = node as u32;
            *cursor += 1;
        }
    }
    (first_child, children)
}
