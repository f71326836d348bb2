//! Three-snapshot leak isolation, the work `leakhound find-leaks` does, one phase at a time on
//! one thread, with per-phase timings and memory on stderr: where find-leaks' time and peak
//! RSS go.
//!
//!   cargo run --release --example leaks_bench -- BASELINE TARGET FINAL
use std::path::Path;
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;
use support::phase;

use leakhound_core::snapshot::{
    AnalysedSnapshot, Analysis, BaselineIds, HeapGraph, NewObjects, NodeIdx, ParseOptions,
    find_leaks, parse_file_with,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [baseline, target, last] = args.as_slice() else {
        panic!("usage: leaks_bench BASELINE TARGET FINAL");
    };
    let t = Instant::now();
    let baseline = BaselineIds::read(Path::new(baseline), None).expect("baseline");
    phase("baseline", t);
    let t = Instant::now();
    let new = NewObjects::read_target(Path::new(target), &baseline, None).expect("target");
    drop(baseline);
    phase("target", t);

    let t = Instant::now();
    let raw = parse_file_with(Path::new(last), ParseOptions::full()).expect("parse");
    phase("final parse", t);
    let t = Instant::now();
    let graph = HeapGraph::from_raw(raw).expect("graph");
    phase("final graph", t);
    let t = Instant::now();
    let analysis = Analysis::compute(&graph).expect("dominators");
    phase("dominators", t);
    let t = Instant::now();
    let _ = analysis.distance(&graph, NodeIdx::ROOT);
    phase("distances", t);
    let last = AnalysedSnapshot::from_parts(graph, analysis);
    let t = Instant::now();
    let report = find_leaks(&new, &last).expect("find leaks");
    phase("find leaks", t);
    for g in &report.leaks {
        println!(
            "{:>8} {:>12}  {} ({})",
            g.count, g.retained_size, g.class_name, g.node_type
        );
    }
}
