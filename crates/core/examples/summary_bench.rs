//! Class summary with retained sizes, the work `leakhound summary` does,
//! without Node in the way: `bench/snapshot.js` times this when the CLI is not
//! built, and its per-phase timings and memory figures on stderr show where
//! the time and the peak RSS go.
//!
//!   cargo run --release --example summary_bench -- FILE [TOP]
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;
use support::phase;

use leakhound_core::snapshot::{Dominators, HeapGraph, class_summary, parse_file};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: summary_bench FILE [TOP]");
    let top: usize = args
        .next()
        .map_or(20, |t| t.parse().expect("TOP is a number"));

    let t = Instant::now();
    let raw = parse_file(std::path::Path::new(&path)).expect("parse");
    eprintln!(
        "{} nodes, {} edges, {} strings ({} MiB of text)",
        raw.node_count(),
        raw.edge_count(),
        raw.strings.len(),
        raw.strings.total_bytes() >> 20
    );
    phase("parse", t);

    let t = Instant::now();
    let graph = HeapGraph::from_raw(raw).expect("graph");
    phase("graph", t);

    let t = Instant::now();
    let dom = Dominators::compute(&graph).expect("dominators");
    phase("dominators", t);

    let t = Instant::now();
    let classes = class_summary(&graph, &dom, Some(top));
    phase("summary", t);

    println!("{:>14} {:>14} {:>10}  class", "retained", "self", "count");
    for c in &classes {
        println!(
            "{:>14} {:>14} {:>10}  {} ({})",
            c.retained_size, c.self_size, c.count, c.class_name, c.node_type
        );
    }
}
