mod common;

use std::sync::OnceLock;

use common::{TempDir, run_node_script};
use leakhound_core::snapshot::{
    Distances, Dominators, EdgeLabel, HeapGraph, NodeIdx, PathRules, class_summary, parse_file,
    retainer_path,
};

const PLANTED_SCRIPT: &str = r#"const v8 = require('v8');
const path = require('path');
class LeakyThing { constructor(i) { this.index = i; } }
globalThis.leakyThings = [];
for (let i = 0; i < 1234; i++) globalThis.leakyThings.push(new LeakyThing(i));
class OnlyChild { constructor() { this.data = new Array(100).fill(7); } }
class ParentHolder { constructor() { this.onlyChild = new OnlyChild(); } }
globalThis.parentHolder = new ParentHolder();
function makeCounter() {
  let count = 0;
  return function plantedCounter() { return ++count; };
}
globalThis.plantedCounter = makeCounter();
class BufferHolder { constructor(i) { this.payload = Buffer.alloc(65536, i); } }
globalThis.bufferHolders = Array.from({ length: 8 }, (_, i) => new BufferHolder(i));
class Link { constructor(next) { this.next = next; this.bytes = Buffer.alloc(1000); } }
globalThis.chain = [1, 2, 3, 4, 5].reduce((next) => new Link(next), null);
v8.writeHeapSnapshot(path.join(process.argv[2], 'planted.heapsnapshot'));
"#;

struct Planted {
    graph: HeapGraph,
    dominators: Dominators,
    rules: PathRules,
    distances: Distances,
}

/// One node run shared by the tests of this file; the files are deleted
/// as soon as the snapshot is parsed.
fn planted() -> &'static Planted {
    static PLANTED: OnceLock<Planted> = OnceLock::new();
    PLANTED.get_or_init(|| {
        let dir = TempDir::new("planted");
        run_node_script(&dir, "planted_script.js", PLANTED_SCRIPT);
        let raw = parse_file(&dir.file("planted.heapsnapshot")).expect("parse");
        let graph = HeapGraph::from_raw(raw).expect("graph");
        let dominators = Dominators::compute(&graph).expect("dominators");
        let rules = PathRules::new(&graph);
        let distances = Distances::compute(&graph, &rules);
        Planted {
            graph,
            dominators,
            rules,
            distances,
        }
    })
}

fn nodes_of_class<'a>(graph: &'a HeapGraph, class: &'a str) -> impl Iterator<Item = NodeIdx> + 'a {
    (0..graph.node_count() as u32)
        .map(NodeIdx)
        .filter(move |&n| graph.class_name(n) == class)
}

#[test]
fn summary_says_how_many_buffer_bytes_each_class_keeps() {
    let p = planted();
    let summary = class_summary(&p.graph, &p.dominators, None);
    let class = |name: &str| {
        summary
            .iter()
            .find(|c| c.class_name == name)
            .unwrap_or_else(|| panic!("class {name}"))
    };
    let holders = class("BufferHolder");
    assert_eq!(holders.buffer_size, 8 * 65536);
    assert!(holders.retained_size >= holders.buffer_size);
    // A chain of one class counts each buffer once, through its outermost link.
    assert_eq!(class("Link").buffer_size, 5 * 1000);
    assert_eq!(class("LeakyThing").buffer_size, 0);
    assert_eq!(class("ParentHolder").buffer_size, 0);
    // The backing stores' own row keeps its own bytes.
    let stores = class("system / JSArrayBufferData");
    assert!(stores.buffer_size >= 8 * 65536 + 5000, "{stores:?}");
    assert_eq!(stores.buffer_size, stores.self_size);
}

#[test]
fn summary_counts_planted_instances() {
    let p = planted();
    let summary = class_summary(&p.graph, &p.dominators, None);
    let leaky = summary
        .iter()
        .find(|c| c.class_name == "LeakyThing")
        .expect("LeakyThing class");
    assert_eq!(leaky.count, 1234);
    assert_eq!(leaky.node_type, "object");
    assert!(leaky.self_size >= 1234 * 12);
    // Instances dominate nothing of their own class, so retained = sum.
    let sum: u64 = nodes_of_class(&p.graph, "LeakyThing")
        .map(|n| p.dominators.retained_size(n))
        .sum();
    assert_eq!(leaky.retained_size, sum);
    // Sorted by retained size, and the synthetic roots are not listed.
    assert!(
        summary
            .windows(2)
            .all(|w| w[0].retained_size >= w[1].retained_size)
    );
    // Zero-size synthetic nodes (the root, "(GC roots)" and its groups) are
    // left out like DevTools does; sized ones such as "Node / Environment" stay.
    let sized_synthetic = (0..p.graph.node_count() as u32)
        .map(NodeIdx)
        .filter(|&n| p.graph.node_type_name(n) == "synthetic" && p.graph.self_size(n) > 0)
        .count() as u64;
    let listed_synthetic = summary
        .iter()
        .find(|c| c.node_type == "synthetic")
        .map_or(0, |c| c.count);
    assert_eq!(listed_synthetic, sized_synthetic);
    assert_eq!(class_summary(&p.graph, &p.dominators, Some(5)).len(), 5);
    // A class's retained size never exceeds the total heap.
    let total = p.dominators.retained_size(NodeIdx::ROOT);
    assert!(summary.iter().all(|c| c.retained_size <= total));
}

#[test]
fn retainer_path_goes_through_the_global_array() {
    let p = planted();
    let target = nodes_of_class(&p.graph, "LeakyThing").nth(17).unwrap();
    let path = retainer_path(
        &p.graph,
        &p.rules,
        &p.distances,
        Some(&p.dominators),
        target,
    )
    .expect("reachable");
    let text: Vec<String> = path
        .iter()
        .map(|s| match &s.edge {
            Some(e) => format!("-[{} {}]-> {}", e.edge_type, e.name, s.node.class_name),
            None => s.node.class_name.clone(),
        })
        .collect();
    let shown = text.join(" ");
    assert_eq!(path.first().unwrap().node.index, NodeIdx::ROOT, "{shown}");
    assert_eq!(path.last().unwrap().node.index, target, "{shown}");
    let last_edge = path.last().unwrap().edge.as_ref().unwrap();
    assert_eq!(last_edge.edge_type, "element", "{shown}");
    assert!(matches!(last_edge.name, EdgeLabel::Index(_)), "{shown}");
    let global_step = path
        .iter()
        .position(|s| matches!(&s.edge, Some(e) if e.name == EdgeLabel::Name("leakyThings".into())))
        .unwrap_or_else(|| panic!("no leakyThings step: {shown}"));
    assert_eq!(path[global_step].node.class_name, "Array", "{shown}");
    assert_eq!(
        path[global_step].edge.as_ref().unwrap().edge_type,
        "property"
    );
    assert!(path.iter().all(|s| s.node.retained_size.is_some()));
    // Objects carry their constructor's location, resolved to the script.
    let loc = path
        .last()
        .unwrap()
        .location
        .as_ref()
        .expect("object location");
    assert!(loc.script_name.ends_with("planted_script.js"), "{loc:?}");
    let class_line = PLANTED_SCRIPT
        .lines()
        .position(|l| l.starts_with("class LeakyThing"))
        .unwrap() as u32
        + 1;
    assert_eq!(loc.line, class_line, "{loc:?}");
    // Shortest: the distances agree with the path length.
    assert_eq!(p.distances.get(target), Some(path.len() as u32 - 1));
}

#[test]
fn closure_step_has_its_source_location() {
    let p = planted();
    let closure = (0..p.graph.node_count() as u32)
        .map(NodeIdx)
        .find(|&n| {
            p.graph.node_type_name(n) == "closure" && p.graph.node_name(n) == "plantedCounter"
        })
        .expect("plantedCounter closure");
    let path = retainer_path(&p.graph, &p.rules, &p.distances, None, closure).expect("reachable");
    let last = path.last().unwrap();
    let loc = last.location.as_ref().expect("closure location");
    assert!(loc.script_name.ends_with("planted_script.js"), "{loc:?}");
    let expected_line = PLANTED_SCRIPT
        .lines()
        .position(|l| l.contains("function plantedCounter"))
        .unwrap() as u32
        + 1;
    assert_eq!(loc.line, expected_line, "{loc:?}");
    assert!(loc.column >= 1);
    assert_eq!(
        path[path.len() - 1].edge.as_ref().unwrap().name,
        EdgeLabel::Name("plantedCounter".into())
    );
}

#[test]
fn single_parent_dominates_its_child() {
    let p = planted();
    let parent = nodes_of_class(&p.graph, "ParentHolder").next().unwrap();
    let child = nodes_of_class(&p.graph, "OnlyChild").next().unwrap();
    assert_eq!(p.dominators.idom(child), parent);
    assert!(p.dominators.dominates(parent, child));
    assert!(p.dominators.children(parent).contains(&child.0));
    let parent_retained = p.dominators.retained_size(parent);
    let child_retained = p.dominators.retained_size(child);
    assert!(parent_retained >= p.graph.self_size(parent) as u64 + child_retained);
    // The child's array of 100 numbers is inside the child's retained size.
    assert!(child_retained >= 100 * 4);
    // Retained sizes add up: every node's retained size equals its self size
    // plus its dominator-tree children's retained sizes.
    for i in 0..p.graph.node_count() as u32 {
        let n = NodeIdx(i);
        let kids: u64 = p
            .dominators
            .children(n)
            .iter()
            .map(|&c| p.dominators.retained_size(NodeIdx(c)))
            .sum();
        assert_eq!(
            p.dominators.retained_size(n),
            p.graph.self_size(n) as u64 + kids
        );
    }
}

/// Node types: 9 synthetic, 3 object. Edge types: 3 internal, 2 property, 5 shortcut.
/// The target is two hops from the root through "(GC roots)" and three through the user root
/// `global` → `holder`; like DevTools, the path takes the program's own globals first.
#[test]
fn retainer_paths_prefer_user_roots_over_gc_roots_at_equal_length() {
    use leakhound_core::snapshot::{Analysis, HeapGraph, SnapshotParser};
    let f = 7; // node fields in common::tiny_snapshot
    let json = common::tiny_snapshot(
        &[
            (9, 0, 1, 0, 2),   // 0 root → (GC roots), global
            (9, 1, 3, 0, 1),   // 1 (GC roots) → handle scope
            (9, 2, 5, 0, 1),   // 2 (Handle scope) → target
            (3, 3, 7, 10, 1),  // 3 global → holder
            (3, 4, 9, 10, 1),  // 4 holder → target
            (3, 5, 11, 10, 0), // 5 target
        ],
        &[
            (3, 6, f),      // root -internal-> (GC roots)
            (5, 7, 3 * f),  // root -shortcut-> global
            (3, 8, 2 * f),  // (GC roots) -> (Handle scope)
            (3, 8, 5 * f),  // (Handle scope) -> target
            (2, 9, 4 * f),  // global.holder
            (2, 10, 5 * f), // holder.target
        ],
        &[
            "",
            "(GC roots)",
            "(Handle scope)",
            "global",
            "Holder",
            "Target",
            "gc",
            "g",
            "h",
            "holder",
            "target",
        ],
    );
    let mut parser = SnapshotParser::new();
    parser.push(json.as_bytes()).unwrap();
    let graph = HeapGraph::from_raw(parser.finish().unwrap()).unwrap();
    let analysis = Analysis::compute(&graph).unwrap();
    let target = graph.find_by_id(11).unwrap();
    let path = analysis.retainer_path(&graph, target).unwrap();
    let names: Vec<&str> = path.iter().map(|s| s.node.name.as_str()).collect();
    assert_eq!(names, ["", "global", "Holder", "Target"]);
    // Objects only the engine holds are still reached, through "(GC roots)".
    let scope = graph.find_by_id(5).unwrap();
    let path = analysis.retainer_path(&graph, scope).unwrap();
    let names: Vec<&str> = path.iter().map(|s| s.node.name.as_str()).collect();
    assert_eq!(names, ["", "(GC roots)", "(Handle scope)"]);
}
