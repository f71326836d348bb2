//! Counts past 2^24 (the limit of f32-indexed or 24-bit designs). Slow in a
//! debug build, so ignored by default:
//! `cargo test --release --test large -- --ignored`
use leakhound_core::snapshot::{Dominators, HeapGraph, NodeIdx, SnapshotParser, class_summary};

const HEADER: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"#,
    r#""node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number","number"],"#,
    r#""edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"#
);

#[test]
#[ignore]
fn chain_of_more_than_2_pow_24_nodes() {
    let n: u64 = (1 << 24) + 1000;
    // root -> 1 -> 2 -> ... -> n-1, every node also has a weak edge back to the root.
    let mut p = SnapshotParser::new();
    p.push(HEADER.as_bytes()).unwrap();
    p.push(
        format!(
            r#""node_count":{n},"edge_count":{}}},"nodes":["#,
            2 * (n - 1)
        )
        .as_bytes(),
    )
    .unwrap();
    let mut buf = String::new();
    for i in 0..n {
        let edges = if i == 0 {
            1
        } else if i + 1 < n {
            2
        } else {
            1
        };
        let (t, size) = if i == 0 { (9, 0) } else { (3, 16) };
        buf.push_str(&format!(
            "{}{t},1,{},{size},{edges},0,0",
            if i == 0 { "" } else { "," },
            2 * i + 1
        ));
        if buf.len() > 1 << 20 {
            p.push(buf.as_bytes()).unwrap();
            buf.clear();
        }
    }
    buf.push_str("],\"edges\":[");
    for i in 0..n {
        if i + 1 < n {
            buf.push_str(&format!(
                "{}2,0,{}",
                if i == 0 { "" } else { "," },
                (i + 1) * 7
            ));
        }
        if i > 0 {
            buf.push_str(",6,0,0");
        }
        if buf.len() > 1 << 20 {
            p.push(buf.as_bytes()).unwrap();
            buf.clear();
        }
    }
    buf.push_str("],\"strings\":[\"next\",\"Link\"]}");
    p.push(buf.as_bytes()).unwrap();
    let graph = HeapGraph::from_raw(p.finish().unwrap()).unwrap();
    assert_eq!(graph.node_count() as u64, n);
    assert_eq!(graph.edge_count() as u64, 2 * (n - 1));
    let last = NodeIdx(n as u32 - 1);
    assert_eq!(graph.find_by_id(2 * (n as u32 - 1) + 1), Some(last));
    let dom = Dominators::compute(&graph).unwrap();
    assert_eq!(dom.idom(last), NodeIdx(n as u32 - 2));
    assert_eq!(dom.retained_size(NodeIdx::ROOT), 16 * (n - 1));
    assert_eq!(dom.retained_size(NodeIdx(1)), 16 * (n - 1));
    let summary = class_summary(&graph, &dom, Some(1));
    assert_eq!(summary[0].class_name, "Link");
    assert_eq!(summary[0].count, n - 1);
    // Nested members of one class count once: the outermost holds them all.
    assert_eq!(summary[0].retained_size, 16 * (n - 1));
}
