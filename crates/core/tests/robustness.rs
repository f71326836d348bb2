//! Damaged input must give errors, never panics, all the way through the
//! analyses.
mod common;

use common::{Rng, tiny_snapshot, tiny_valid};
use leakhound_core::snapshot::{
    Distances, Dominators, HeapGraph, LightSnapshot, NodeIdx, ParseOptions, PathRules,
    SnapshotParser, class_summary, diff_snapshots, retainer_path,
};

/// Runs everything on the input; any panic fails the test.
fn exercise(bytes: &[u8]) {
    for light in [false, true] {
        let mut p = SnapshotParser::with_options(ParseOptions {
            light,
            ..ParseOptions::default()
        });
        let raw = match p.push(bytes).and_then(|_| p.finish()) {
            Ok(raw) => raw,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                continue;
            }
        };
        if let Ok(l) = LightSnapshot::from_raw(raw.clone()) {
            let _ = diff_snapshots(&l.view(), &l.view());
        }
        let Ok(graph) = HeapGraph::from_raw(raw) else {
            continue;
        };
        let dom = Dominators::compute(&graph).expect("a valid graph always has dominators");
        let _ = class_summary(&graph, &dom, Some(10));
        let rules = PathRules::new(&graph);
        let dist = Distances::compute(&graph, &rules);
        for i in 0..graph.node_count() as u32 {
            let _ = retainer_path(&graph, &rules, &dist, Some(&dom), NodeIdx(i));
            let _ = graph.class_name(NodeIdx(i));
        }
    }
}

#[test]
fn random_byte_damage_never_panics() {
    let base = tiny_snapshot(
        &[
            (9, 0, 1, 0, 3),
            (3, 1, 3, 10, 2),
            (5, 2, 5, 20, 1),
            (3, 3, 7, 30, 1),
        ],
        &[
            (2, 4, 7),
            (5, 4, 14),
            (6, 5, 21),
            (1, 0, 21),
            (3, 5, 0),
            (2, 4, 7),
        ],
        &["", "A", "B", "C", "a", "b\u{e9}"],
    );
    let mut rng = Rng(7);
    let replacements = b"0123456789,[]{}\":-.e \\u";
    for round in 0..3000 {
        let mut bytes = if round % 2 == 0 {
            base.clone().into_bytes()
        } else {
            tiny_valid().into_bytes()
        };
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len() as u64) as usize;
            match rng.below(3) {
                0 => bytes[at] = replacements[rng.below(replacements.len() as u64) as usize],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(
                    at,
                    replacements[rng.below(replacements.len() as u64) as usize],
                ),
            }
        }
        exercise(&bytes);
    }
}

#[test]
fn arbitrary_garbage_never_panics() {
    let mut rng = Rng(99);
    for _ in 0..500 {
        let len = rng.below(200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        exercise(&bytes);
    }
    for text in [
        "{}",
        "{\"snapshot\":{}}",
        "{\"snapshot\":1}",
        "{\"nodes\":[]}",
        "\u{feff}{}",
        "{\"a\"}",
        "{,}",
    ] {
        exercise(text.as_bytes());
    }
}

#[test]
fn graphs_with_odd_shapes_work() {
    // Self edges, cycles unreachable from the root, a node retained only
    // weakly, and shortcut edges from a non-root node.
    let text = tiny_snapshot(
        &[
            (9, 0, 1, 0, 1),
            (3, 1, 3, 10, 2),
            (3, 2, 5, 20, 1),
            (3, 3, 7, 30, 1),
            (3, 3, 9, 40, 1),
        ],
        &[
            (2, 4, 7),
            (2, 4, 7),
            (5, 4, 14),
            (2, 4, 14),
            (2, 4, 28),
            (2, 4, 21),
        ],
        &["", "A", "B", "C", "a"],
    );
    exercise(text.as_bytes());
    let mut p = SnapshotParser::new();
    p.push(text.as_bytes()).unwrap();
    let graph = HeapGraph::from_raw(p.finish().unwrap()).unwrap();
    let dom = Dominators::compute(&graph).unwrap();
    // Node 2 is held only by a non-root shortcut (ignored) and itself; nodes
    // 3 and 4 only hold each other. memlab 2.0.5 puts all of them directly
    // under the root (checked by running it on this very snapshot).
    let all = |f: &dyn Fn(NodeIdx) -> u64| (0..5).map(|i| f(NodeIdx(i))).collect::<Vec<_>>();
    assert_eq!(all(&|n| u64::from(dom.idom(n).0)), [0, 0, 0, 0, 0]);
    assert_eq!(all(&|n| dom.retained_size(n)), [100, 10, 20, 30, 40]);
    assert_eq!(dom.stats.reached_from_root, 2);
    assert_eq!(dom.stats.unreached, 3);
}

#[test]
fn retained_sizes_past_four_gib_are_exact() {
    // Three 4 GB objects under one holder: 32-bit sums would wrap.
    let big = 4_000_000_000;
    let text = tiny_snapshot(
        &[
            (9, 0, 1, 0, 1),
            (3, 1, 3, 16, 3),
            (3, 2, 5, big, 0),
            (3, 2, 7, big, 0),
            (3, 2, 9, big, 0),
        ],
        &[(2, 3, 7), (1, 0, 14), (1, 1, 21), (1, 2, 28)],
        &["", "Holder", "Blob", "h"],
    );
    let mut p = SnapshotParser::new();
    p.push(text.as_bytes()).unwrap();
    let graph = HeapGraph::from_raw(p.finish().unwrap()).unwrap();
    let dom = Dominators::compute(&graph).unwrap();
    let total = 16 + 3 * u64::from(big);
    let retained: Vec<u64> = (0..5).map(|i| dom.retained_size(NodeIdx(i))).collect();
    assert_eq!(retained, [total, total, 4e9 as u64, 4e9 as u64, 4e9 as u64]);
    let summary = class_summary(&graph, &dom, None);
    let blob = summary.iter().find(|c| c.class_name == "Blob").unwrap();
    assert_eq!((blob.count, blob.retained_size), (3, 3 * u64::from(big)));
}

#[test]
fn edge_types_beyond_what_an_edge_target_carries_are_refused() {
    // The edge type rides in three bits of the edge target: eight types fit, a ninth does not.
    let with_types = |extra: &str| {
        let text = tiny_valid().replace(
            r#""weak"],"string_or_number""#,
            &format!(r#""weak"{extra}],"string_or_number""#),
        );
        let mut p = SnapshotParser::new();
        p.push(text.as_bytes()).unwrap();
        HeapGraph::from_raw(p.finish().unwrap())
    };
    assert!(with_types(r#","eighth""#).is_ok());
    let err = with_types(r#","eighth","ninth""#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the number of edge types is 9, which exceeds the supported limit of 8"
    );
}
