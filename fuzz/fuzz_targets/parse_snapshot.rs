//! Arbitrary bytes through the streaming parser (whole and split at an
//! input-derived byte, in full and light mode), then, when the parse succeeds,
//! through every analysis (and a light-mode diff). Errors are fine; panics,
//! aborts and hangs are not.
#![no_main]

use leakhound_core::snapshot::{
    Distances, Dominators, HeapGraph, LightSnapshot, NodeIdx, ParseOptions, PathRules, RawSnapshot,
    SnapshotParser, class_summary, diff_snapshots, retainer_path,
};
use libfuzzer_sys::fuzz_target;

fn parse(chunks: &[&[u8]], light: bool) -> Option<RawSnapshot> {
    let mut p = SnapshotParser::with_options(ParseOptions {
        light,
        // Exercise the reservation bound that `parse_file` uses.
        size_hint: Some(chunks.iter().map(|c| c.len() as u64).sum()),
        ..ParseOptions::default()
    });
    for chunk in chunks {
        p.push(chunk).ok()?;
    }
    p.finish().ok()
}

fn analyse(raw: RawSnapshot, pick: usize) {
    let Ok(graph) = HeapGraph::from_raw(raw) else {
        return;
    };
    let dom = Dominators::compute(&graph).expect("a valid graph always has dominators");
    let _ = class_summary(&graph, &dom, Some(20));
    if graph.node_count() > 0 {
        let rules = PathRules::new(&graph);
        let dist = Distances::compute(&graph, &rules);
        let target = NodeIdx((pick % graph.node_count()) as u32);
        let _ = retainer_path(&graph, &rules, &dist, Some(&dom), target);
    }
}

fuzz_target!(|data: &[u8]| {
    // A split point that moves with the input, so chunk boundaries land inside
    // keys, numbers, strings and escapes.
    let seed = data
        .iter()
        .fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
    let cut = if data.is_empty() {
        0
    } else {
        seed % (data.len() + 1)
    };
    let (a, b) = data.split_at(cut);

    let whole = parse(&[data], false);
    let split = parse(&[a, b], false);
    // One byte at a time: the worst case for resumable state machines, kept
    // to small inputs so each run stays fast.
    if data.len() <= 4096 {
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert!(parse(&bytes, false) == whole, "byte-wise parse disagrees");
    }
    // Where chunk boundaries fall must not change the outcome.
    assert!(split == whole, "split parse disagrees");
    // Light mode feeds `leakhound diff`: diff the snapshot against itself.
    if let Some(light) = parse(&[a, b], true).and_then(|raw| LightSnapshot::from_raw(raw).ok()) {
        let _ = diff_snapshots(&light.view(), &light.view());
    }

    if let Some(raw) = whole {
        analyse(raw, seed);
    }
});
