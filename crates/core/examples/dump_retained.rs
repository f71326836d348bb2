//! Prints `id retained_size idom_id` for every node, sorted by id, for the
//! comparison with memlab (`scripts/memlab-check/dump.js`).
use std::io::Write;

use leakhound_core::snapshot::{Dominators, HeapGraph, NodeIdx, parse_file};

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_retained FILE");
    let graph = HeapGraph::from_raw(parse_file(std::path::Path::new(&path)).expect("parse"))
        .expect("graph");
    let dom = Dominators::compute(&graph).expect("dominators");
    eprintln!("{:?}", dom.stats);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    for &i in graph.nodes().indices_by_id() {
        let node = NodeIdx(i);
        writeln!(
            out,
            "{} {} {}",
            graph.node_id(node),
            dom.retained_size(node),
            graph.node_id(dom.idom(node))
        )
        .unwrap();
    }
}
