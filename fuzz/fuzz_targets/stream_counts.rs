//! Snapshot streams whose sections disagree with the counts their header declares, and
//! sections fed over and over as an endless stream would: the parser must refuse them while
//! they stream in, holding no more than the header allows plus one chunk, and never accept a
//! snapshot whose arrays do not match its header. Run with a small `-rss_limit_mb` so that a
//! parser that buffers shows up as an out-of-memory finding.
#![no_main]

use leakhound_core::snapshot::{ParseOptions, SnapshotError, SnapshotParser};
use libfuzzer_sys::fuzz_target;

const NODE_FIELDS: u64 = 5;
const EDGE_FIELDS: u64 = 3;

fn header(nodes: u64, edges: u64) -> String {
    format!(
        concat!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count"],"#,
            r#""node_types":[["hidden","object","synthetic"],"string","number","number","number"],"#,
            r#""edge_fields":["type","name_or_index","to_node"],"#,
            r#""edge_types":[["property","element"],"string_or_number","node"],"#,
            r#""location_fields":["object_index","script_id","line","column"]}},"#,
            r#""node_count":{},"edge_count":{}}},"#
        ),
        nodes, edges
    )
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    // Counts up to 2^32 << 15: from none through the small counts a body can match to counts
    // no input could fill, which the parser must not reserve for.
    let count = |at: usize, shift: u8| {
        let n = u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as u64;
        if data[10] & 0x80 == 0 { n & 0xff } else { n << (shift & 15) }
    };
    let (declared_nodes, declared_edges) = (count(0, data[8]), count(4, data[8] >> 4));
    let repeats = 1 + (data[9] as usize) * 16;
    let light = data[10] & 1 == 1;
    let data = &data[11..];
    let (opening, body) = data.split_at(data.len().min(64));
    let mut parser = SnapshotParser::with_options(if light {
        ParseOptions::light()
    } else {
        ParseOptions::full()
    });
    let head = header(declared_nodes, declared_edges);
    let mut pushed = 0u64;
    let mut feed = |chunk: &[u8]| {
        pushed += chunk.len() as u64;
        parser.push(chunk)
    };
    let mut result = feed(head.as_bytes()).and_then(|_| feed(opening));
    for _ in 0..repeats {
        if result.is_err() {
            break;
        }
        result = feed(body);
    }
    match result.and_then(|_| parser.finish()) {
        Ok(raw) => {
            // Accepted: the arrays match the header exactly.
            assert_eq!(raw.meta.node_count, declared_nodes);
            if !light {
                assert_eq!(raw.edges.len() as u64, declared_edges * EDGE_FIELDS);
                assert_eq!(raw.nodes.len() as u64, declared_nodes * NODE_FIELDS);
            }
        }
        Err(SnapshotError::TooManyValues { declared, offset, .. }) => {
            // Refused within a chunk of where the declared count ran out.
            assert!(offset <= pushed, "offset {offset} past the {pushed} bytes pushed");
            assert!(declared <= declared_nodes.max(declared_edges).saturating_mul(NODE_FIELDS));
        }
        Err(_) => {}
    }
});
