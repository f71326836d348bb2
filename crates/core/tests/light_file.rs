//! Light parses of files that jump from the nodes to the strings (`skip_to_strings`): they keep
//! what a light parse reading every byte keeps, and report the same errors for damaged files,
//! except damage in the edges and locations they do not read.
mod common;

use common::{TempDir, default_snapshot, read, tiny_snapshot, tiny_valid};
use leakhound_core::snapshot::{
    BaselineIds, LightSnapshot, ObjectIds, ParseOptions, RawSnapshot, SnapshotError, parse_file,
    parse_file_with,
};
use std::path::Path;

fn both(
    file: &Path,
) -> (
    Result<RawSnapshot, SnapshotError>,
    Result<RawSnapshot, SnapshotError>,
) {
    (
        parse_file_with(file, ParseOptions::light()),
        parse_file_with(file, ParseOptions::light_skipping()),
    )
}

fn assert_same_light_parse(read_all: &RawSnapshot, skipping: &RawSnapshot) {
    assert_eq!(read_all.meta, skipping.meta);
    assert_eq!(read_all.node_layout, skipping.node_layout);
    assert_eq!(read_all.nodes, skipping.nodes);
    assert_eq!(read_all.strings, skipping.strings);
    assert_eq!(read_all.bytes_read, skipping.bytes_read);
    assert!(read_all.edges_read && !skipping.edges_read);
}

#[test]
fn skipping_keeps_what_reading_every_byte_keeps() {
    let dir = TempDir::new("skip-same");
    let file = default_snapshot(&dir);
    let (read_all, skipping) = both(&file);
    let (read_all, skipping) = (read_all.unwrap(), skipping.unwrap());
    assert_same_light_parse(&read_all, &skipping);
    assert!(skipping.meta.edge_count > 0 && skipping.nodes.len() > 1000);
    // Object ids made in place from the records equal those made from a full parse's columns.
    let full = LightSnapshot::from_raw(parse_file(&file).unwrap()).unwrap();
    assert_eq!(
        ObjectIds::from_raw(skipping).unwrap(),
        ObjectIds::from_view(&full.view()).unwrap()
    );
}

#[test]
fn skipping_works_when_the_strings_follow_in_the_same_read() {
    let dir = TempDir::new("skip-small");
    // Strings that look like the key (a value "strings", a value holding `"strings":[`) must not
    // be taken for it; the file is far smaller than one read, so the jump goes backwards.
    let text = tiny_snapshot(
        &[(9, 0, 1, 0, 1), (3, 1, 3, 10, 0), (3, 2, 5, 20, 0)],
        &[(2, 3, 7)],
        &["", "strings", "\"strings\":[", "x"],
    );
    for (name, text) in [
        ("tiny.heapsnapshot", tiny_valid()),
        ("keylike.heapsnapshot", text),
    ] {
        let file = dir.file(name);
        std::fs::write(&file, &text).unwrap();
        let (read_all, skipping) = both(&file);
        assert_same_light_parse(&read_all.unwrap(), &skipping.unwrap());
    }
}

#[test]
fn damaged_files_give_the_errors_reading_every_byte_gives() {
    let dir = TempDir::new("skip-damage");
    let real = read(&default_snapshot(&dir));
    let text = std::str::from_utf8(&real).unwrap();
    let edges = text.find("\"edges\"").unwrap();
    let strings = text.rfind("\"strings\"").unwrap();
    let file = dir.file("damaged.heapsnapshot");
    // Parsed and made into object ids, as leak isolation does (the ids check node names).
    let check = |bytes: &[u8], what: &str| {
        std::fs::write(&file, bytes).unwrap();
        let (read_all, skipping) = both(&file);
        let error = |r: Result<RawSnapshot, SnapshotError>| match r.and_then(ObjectIds::from_raw) {
            Ok(_) => panic!("{what}: damage not reported"),
            Err(e) => e.with_path(&file).to_string(),
        };
        let whole = error(read_all);
        assert_eq!(whole, error(skipping), "{what}");
        // Streaming the ids, as leak isolation reads baseline and target files.
        let streamed = BaselineIds::read(&file, None).expect_err(what).to_string();
        assert_eq!(whole, streamed, "{what}");
    };
    // Truncated in the nodes, the edges, the strings key, the strings, and by one byte.
    for cut in [edges / 2, edges + 10, (edges + strings) / 2, strings + 3] {
        check(&real[..cut], &format!("cut at {cut}"));
    }
    for cut in [strings + 40, real.len() - 1] {
        check(&real[..cut], &format!("cut at {cut}"));
    }
    // A bad string, a node with a name past the strings table.
    let mut bad_string = real.clone();
    bad_string[strings + 20] = b'\n';
    check(&bad_string, "control character in a string");
    let bad_name = text.replacen("\"nodes\":[9,1,", "\"nodes\":[9,99999999,", 1);
    assert_ne!(bad_name, text, "the root record starts the nodes");
    check(bad_name.as_bytes(), "name out of range");
    // Trailing data after the snapshot.
    let mut trailing = real.clone();
    trailing.extend_from_slice(b"{}");
    check(&trailing, "trailing data");
}

#[test]
fn damage_in_the_edges_is_not_seen_when_skipping() {
    // The documented cost of skipping: edges are neither read nor checked.
    let dir = TempDir::new("skip-edges");
    let intact = default_snapshot(&dir);
    let real = read(&intact);
    let text = std::str::from_utf8(&real).unwrap();
    let edges = text.find("\"edges\"").unwrap();
    let mut bytes = real.clone();
    let digit = edges + text[edges..].find(|c: char| c.is_ascii_digit()).unwrap();
    bytes[digit] = b'x';
    let file = dir.file("bad-edge.heapsnapshot");
    std::fs::write(&file, &bytes).unwrap();
    let (read_all, skipping) = both(&file);
    assert!(read_all.unwrap_err().to_string().contains("edges"));
    let undamaged = parse_file_with(&intact, ParseOptions::light()).unwrap();
    assert_same_light_parse(&undamaged, &skipping.unwrap());
}
