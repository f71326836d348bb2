//! The dominator tree on random graphs, against memlab 2.0.5's Lengauer–Tarjan with buckets
//! (`TraceFinder.computeDominatorsAndRetainedSizes`) written again here in its plainest form, and
//! against the definition (`v` dominates `w` when every path from the root to `w` passes through
//! `v`) wherever memlab's result is one.
mod common;
use common::Rng;

use leakhound_core::snapshot::{Dominators, HeapGraph, NodeIdx, SnapshotParser};

const SHORTCUT: u32 = 5;
const WEAK: u32 = 6;
/// Element and hidden edges carry an index, the others a string.
const INDEX_EDGES: [u32; 2] = [1, 4];

struct Graph {
    self_size: Vec<u64>,
    /// (from, type, to), grouped by `from`.
    edges: Vec<(usize, u32, usize)>,
}

fn random_graph(rng: &mut Rng) -> Graph {
    let n = 2 + rng.below(30) as usize;
    let m = rng.below(3 * n as u64 + 1) as usize;
    let mut edges: Vec<(usize, u32, usize)> = (0..m)
        .map(|_| {
            // Strong edges most of the time, so that long paths exist.
            let t = match rng.below(10) {
                0 => WEAK,
                1 => SHORTCUT,
                _ => rng.below(5) as u32,
            };
            (
                rng.below(n as u64) as usize,
                t,
                rng.below(n as u64) as usize,
            )
        })
        .collect();
    edges.sort_by_key(|e| e.0);
    let self_size = (0..n).map(|_| rng.below(100)).collect();
    Graph { self_size, edges }
}

fn snapshot_text(g: &Graph) -> String {
    let n = g.self_size.len();
    let nodes: Vec<(u32, u32, u32, u32, u32)> = (0..n)
        .map(|i| {
            let edge_count = g.edges.iter().filter(|e| e.0 == i).count() as u32;
            let node_type = if i == 0 { 9 } else { 3 };
            (
                node_type,
                1,
                2 * i as u32 + 1,
                g.self_size[i] as u32,
                edge_count,
            )
        })
        .collect();
    let edges: Vec<(u32, u32, u32)> = g
        .edges
        .iter()
        .map(|&(_, t, to)| {
            let name = if INDEX_EDGES.contains(&t) { 3 } else { 2 };
            (t, name, 7 * to as u32)
        })
        .collect();
    common::tiny_snapshot(&nodes, &edges, &["", "Node", "x"])
}

/// Nodes reachable from `from` along `edge`s, skipping `removed`.
fn reach(n: usize, from: &[usize], edges: &[(usize, usize)], removed: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = from
        .iter()
        .copied()
        .filter(|&v| Some(v) != removed)
        .collect();
    for &v in &stack {
        seen[v] = true;
    }
    while let Some(v) = stack.pop() {
        for &(a, b) in edges {
            if a == v && !seen[b] && Some(b) != removed {
                seen[b] = true;
                stack.push(b);
            }
        }
    }
    seen
}

/// The edges memlab counts, as (from, to) in edge order.
fn counted_edges(g: &Graph) -> Vec<(usize, usize)> {
    let n = g.self_size.len();
    // The page: the root's non-shortcut targets, then along every non-weak edge.
    let starts: Vec<usize> = g
        .edges
        .iter()
        .filter(|e| e.0 == 0 && e.1 != SHORTCUT)
        .map(|e| e.2)
        .collect();
    let non_weak: Vec<(usize, usize)> = g
        .edges
        .iter()
        .filter(|e| e.1 != WEAK)
        .map(|e| (e.0, e.2))
        .collect();
    let page = reach(n, &starts, &non_weak, None);
    g.edges
        .iter()
        .filter(|&&(from, t, to)| {
            from != to
                && t != WEAK
                && (t != SHORTCUT || from == 0)
                && !(from != 0 && page[to] && !page[from])
        })
        .map(|e| (e.0, e.2))
        .collect()
}

fn only_weak_retainers(g: &Graph, v: usize) -> bool {
    g.edges
        .iter()
        .filter(|e| e.2 == v)
        .all(|e| e.1 == WEAK || e.1 == SHORTCUT)
}

struct Expected {
    idom: Vec<usize>,
    retained: Vec<u64>,
    /// Nodes numbered after every DFS run (hung under the root).
    hung: usize,
}

/// memlab's algorithm step by step, on vertices 1..=n (vertex v is node v - 1).
fn memlab_dominators(g: &Graph) -> Expected {
    let n = g.self_size.len();
    let counted = counted_edges(g);
    let successors = |v: usize| {
        counted
            .iter()
            .filter(move |e| e.0 == v - 1)
            .map(|e| e.1 + 1)
    };
    let len = n + 1;
    let (mut parent, mut ancestor, mut vertex, mut label, mut semi, mut dom) = (
        vec![0; len],
        vec![0; len],
        vec![0; len],
        vec![0; len],
        vec![0; len],
        vec![0; len],
    );
    let mut bucket: Vec<Vec<usize>> = vec![Vec::new(); len];
    let mut numbered = 0;
    let mut dfs = |root: usize, parent: &mut Vec<usize>, semi: &mut Vec<usize>| {
        let mut v = root;
        while v != 0 {
            if semi[v] == 0 {
                numbered += 1;
                semi[v] = numbered;
                vertex[numbered] = v;
                label[v] = v;
            }
            let next = successors(v).find(|&w| semi[w] == 0);
            match next {
                Some(w) => {
                    parent[w] = v;
                    v = w;
                }
                None => v = parent[v],
            }
        }
        numbered
    };
    let r = 1;
    dfs(r, &mut parent, &mut semi);
    for v in 1..=n {
        if semi[v] == 0 && only_weak_retainers(g, v - 1) {
            parent[v] = r;
            dfs(v, &mut parent, &mut semi);
        }
    }
    let mut numbered = semi.iter().filter(|&&s| s != 0).count();
    let mut hung = 0;
    for v in 1..=n {
        if semi[v] == 0 {
            parent[v] = r;
            numbered += 1;
            hung += 1;
            semi[v] = numbered;
            vertex[numbered] = v;
            label[v] = v;
        }
    }
    let evaluate = |v: usize, ancestor: &mut Vec<usize>, label: &mut Vec<usize>, semi: &[usize]| {
        if ancestor[v] == 0 {
            return v;
        }
        let mut path = Vec::new();
        let mut x = v;
        while ancestor[ancestor[x]] != 0 {
            path.push(x);
            x = ancestor[x];
        }
        while let Some(w) = path.pop() {
            if semi[label[ancestor[w]]] < semi[label[w]] {
                label[w] = label[ancestor[w]];
            }
            ancestor[w] = ancestor[ancestor[w]];
        }
        label[v]
    };
    for i in (2..=numbered).rev() {
        let w = vertex[i];
        let mut orphan = true;
        for &(from, _) in counted.iter().filter(|e| e.1 == w - 1) {
            orphan = false;
            let u = evaluate(from + 1, &mut ancestor, &mut label, &semi);
            if semi[u] < semi[w] {
                semi[w] = semi[u];
            }
        }
        if orphan {
            semi[w] = semi[r];
        }
        let s = vertex[semi[w]];
        if !bucket[s].contains(&w) {
            bucket[s].push(w);
        }
        ancestor[w] = parent[w];
        for v in std::mem::take(&mut bucket[parent[w]]) {
            let u = evaluate(v, &mut ancestor, &mut label, &semi);
            dom[v] = if semi[u] < semi[v] { u } else { parent[w] };
        }
    }
    dom[0] = r;
    dom[r] = r;
    for i in 2..=numbered {
        let w = vertex[i];
        if dom[w] != vertex[semi[w]] {
            dom[w] = dom[dom[w]];
        }
    }
    let idom: Vec<usize> = (1..=n).map(|v| dom[v] - 1).collect();
    let mut retained = g.self_size.clone();
    for i in (2..=numbered).rev() {
        let node = vertex[i] - 1;
        retained[idom[node]] += retained[node];
    }
    Expected {
        idom,
        retained,
        hung,
    }
}

/// Nodes reachable from `from` along `edges`, skipping `removed`.
fn reach_all(n: usize, from: usize, edges: &[(usize, usize)], removed: usize) -> Vec<bool> {
    reach(n, &[from], edges, Some(removed))
}

/// Immediate dominators by the definition, on the counted edges plus an edge from the root to
/// every node memlab numbers after the root's DFS.
fn defined_idom(g: &Graph) -> Vec<usize> {
    let n = g.self_size.len();
    let mut counted = counted_edges(g);
    let mut reached = reach(n, &[0], &counted, None);
    let mut extra = Vec::new();
    for v in 0..n {
        if !reached[v] && only_weak_retainers(g, v) {
            extra.push(v);
            for (w, r) in reach(n, &[v], &counted, None).into_iter().enumerate() {
                reached[w] |= r;
            }
        }
    }
    extra.extend((0..n).filter(|&v| !reached[v]));
    counted.extend(extra.into_iter().map(|v| (0, v)));
    // dominates[v][w]: every path from the root to w goes through v.
    let dominates: Vec<Vec<bool>> = (0..n)
        .map(|v| {
            if v == 0 {
                return vec![true; n];
            }
            let without = reach_all(n, 0, &counted, v);
            (0..n).map(|w| w == v || !without[w]).collect()
        })
        .collect();
    (0..n)
        .map(|w| {
            if w == 0 {
                return 0;
            }
            // The strict dominator that all the others dominate.
            (0..n)
                .filter(|&v| v != w && dominates[v][w])
                .max_by_key(|&v| (0..n).filter(|&u| dominates[u][v]).count())
                .expect("the root dominates every node")
        })
        .collect()
}

#[test]
fn dominators_and_retained_sizes_match_memlab_and_the_definition() {
    let mut rng = Rng(0xd01e_550f_7ee5);
    let rounds = 2000;
    let mut with_hung = 0;
    for round in 0..rounds {
        let g = random_graph(&mut rng);
        let text = snapshot_text(&g);
        let mut parser = SnapshotParser::new();
        parser.push(text.as_bytes()).unwrap();
        let graph = HeapGraph::from_raw(parser.finish().unwrap()).unwrap();
        let dom = Dominators::compute(&graph).unwrap();

        let n = g.self_size.len();
        let expected = memlab_dominators(&g);
        let idom: Vec<usize> = (0..n)
            .map(|v| dom.idom(NodeIdx(v as u32)).index())
            .collect();
        let retained: Vec<u64> = (0..n)
            .map(|v| dom.retained_size(NodeIdx(v as u32)))
            .collect();
        assert_eq!(idom, expected.idom, "round {round}: dominators of {text}");
        assert_eq!(
            retained, expected.retained,
            "round {round}: retained sizes of {text}"
        );
        assert_eq!(dom.stats.unreached as usize, expected.hung, "round {round}");
        // Nodes hung under the root retain nothing through the root's edge to them, so there
        // memlab's result is not the dominator tree of any graph.
        if expected.hung == 0 {
            assert_eq!(idom, defined_idom(&g), "round {round}: {text}");
        } else {
            with_hung += 1;
        }
    }
    // Both kinds of graph were drawn.
    assert!(
        (rounds / 12..rounds * 11 / 12).contains(&with_hung),
        "{with_hung} of {rounds} graphs with hung nodes"
    );
}
