mod common;

use common::{Rng, TempDir, default_snapshot, read, tiny_snapshot, tiny_valid};
use leakhound_core::snapshot::{
    ErrorKind, HeapGraph, LightSnapshot, NodeIdx, NodeTable, ParseOptions, RawSnapshot,
    SnapshotError, SnapshotParser, parse_file, parse_file_with, parse_file_with_progress,
};

fn parse_bytes(bytes: &[u8]) -> Result<RawSnapshot, SnapshotError> {
    let mut p = SnapshotParser::new();
    p.push(bytes)?;
    p.finish()
}

fn parse_chunked(
    bytes: &[u8],
    rng: &mut Rng,
    max_chunk: u64,
) -> Result<RawSnapshot, SnapshotError> {
    let mut p = SnapshotParser::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = (1 + rng.below(max_chunk) as usize).min(bytes.len() - at);
        p.push(&bytes[at..at + len])?;
        at += len;
    }
    p.finish()
}

#[test]
fn real_snapshot_counts_match_meta() {
    let dir = TempDir::new("counts");
    let file = default_snapshot(&dir);
    let raw = parse_file(&file).expect("parse");
    assert_eq!(raw.node_count() as u64, raw.meta.node_count);
    assert_eq!(raw.edge_count() as u64, raw.meta.edge_count);
    assert!(raw.meta.node_count > 1000);
    assert_eq!(raw.bytes_read, std::fs::metadata(&file).unwrap().len());
    assert!(!raw.locations.is_empty());
    let graph = HeapGraph::from_raw(raw.clone()).expect("graph");
    assert_eq!(graph.node_count() as u64, raw.meta.node_count);
    assert_eq!(graph.edge_count() as u64, raw.meta.edge_count);
    // Node 0 is the synthetic root; every id is found again by lookup.
    assert_eq!(
        graph.node_type_name(leakhound_core::snapshot::NodeIdx::ROOT),
        "synthetic"
    );
    // The first lookups scan the id column, the later ones use the index they then build.
    assert_eq!(graph.find_by_id(u32::MAX), None);
    for i in (0..graph.node_count() as u32).step_by(97) {
        let idx = leakhound_core::snapshot::NodeIdx(i);
        assert_eq!(graph.find_by_id(graph.node_id(idx)), Some(idx));
    }
    assert_eq!(graph.find_by_id(u32::MAX), None);
    // Every retainer entry really is an edge of its retaining node.
    for i in (0..graph.node_count() as u32).step_by(13) {
        let idx = leakhound_core::snapshot::NodeIdx(i);
        for (e, from) in graph.retainers_of(idx) {
            assert_eq!(graph.edge_to(e), idx);
            assert_eq!(graph.edge_from(e), from);
        }
    }
}

#[test]
fn chunked_parsing_is_identical_to_whole_file_parsing() {
    let dir = TempDir::new("chunks");
    let bytes = read(&default_snapshot(&dir));
    let whole = parse_bytes(&bytes).expect("whole");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let chunked = parse_chunked(&bytes, &mut rng, 64).expect("chunked");
    assert_eq!(whole, chunked);
    // The threaded file reader gives the same result too.
    let file = dir.file("default.heapsnapshot");
    let threaded = parse_file_with(&file, ParseOptions::full()).expect("threaded");
    let single = parse_file_with(
        &file,
        ParseOptions {
            reader_thread: false,
            ..ParseOptions::full()
        },
    )
    .expect("single");
    assert_eq!(threaded.nodes, whole.nodes);
    assert_eq!(threaded.edges, whole.edges);
    assert_eq!(threaded.strings, whole.strings);
    assert_eq!(single.edges, whole.edges);
}

#[test]
fn parses_sharing_a_progress_counter_add_up_to_both_files() {
    let dir = TempDir::new("progress");
    let file = default_snapshot(&dir);
    let size = std::fs::metadata(&file).expect("stat").len();
    let counter = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        let other = s.spawn(|| parse_file_with_progress(&file, ParseOptions::light(), &counter));
        parse_file_with_progress(&file, ParseOptions::full(), &counter).expect("full");
        other.join().expect("thread").expect("light");
    });
    assert_eq!(counter.into_inner(), 2 * size);
}

#[test]
fn every_split_point_of_a_tiny_snapshot_parses_the_same() {
    let text = tiny_snapshot(
        &[(9, 0, 1, 0, 1), (3, 1, 3, 10, 0)],
        &[(2, 2, 7)],
        &["", "Esc\"aped\\\u{1F600}\u{e9}", "key\n\t/"],
    )
    .replace("\\ud83d\\ude00", "\\uD83D\\uDE00");
    let bytes = text.as_bytes();
    let whole = parse_bytes(bytes).expect("whole");
    for split in 0..=bytes.len() {
        let mut p = SnapshotParser::new();
        p.push(&bytes[..split]).unwrap();
        p.push(&bytes[split..]).unwrap();
        assert_eq!(p.finish().unwrap(), whole, "split at {split}");
    }
}

#[test]
fn lone_surrogates_keep_their_escapes_so_names_stay_distinct() {
    let text = tiny_snapshot(&[(9, 0, 1, 0, 0)], &[], &["x"]).replace(
        r#""strings":["x"]"#,
        r#""strings":["\uD800","a\uDC00b","\uD83D\uDE00","\uD800\uD800z","end\uDBFF","\u00e9\/","\\uD800","\\\uD800","C:\\dir"]"#,
    );
    let bytes = text.as_bytes();
    for step in [1, 2, 3, 5, bytes.len()] {
        let mut p = SnapshotParser::new();
        for chunk in bytes.chunks(step) {
            p.push(chunk).unwrap();
        }
        let raw = p.finish().unwrap();
        let s: Vec<&str> = (0..raw.strings.len() as u32)
            .map(|i| raw.strings.get(i).unwrap())
            .collect();
        assert_eq!(
            s,
            [
                "\\ud800",
                "a\\udc00b",
                "\u{1F600}",
                "\\ud800\\ud800z",
                "end\\udbff",
                "\u{e9}/",
                // The text `\uD800` is not the lone surrogate: its backslash is doubled.
                r"\\uD800",
                // A backslash, then a lone surrogate.
                r"\\\ud800",
                // Backslashes elsewhere are left as they are.
                r"C:\dir",
            ]
        );
        let distinct: std::collections::HashSet<&&str> = s.iter().collect();
        assert_eq!(distinct.len(), s.len(), "{s:?}");
    }
}

#[test]
fn truncation_anywhere_is_an_error_naming_a_byte_offset() {
    let tiny = tiny_valid();
    let bytes = tiny.as_bytes();
    for cut in 0..bytes.len() {
        let err = parse_bytes(&bytes[..cut]).expect_err("truncated input must fail");
        let offset = err
            .byte_offset()
            .unwrap_or_else(|| panic!("no offset for cut {cut}: {err}"));
        assert!(offset <= cut as u64, "cut {cut}: {err}");
        assert!(err.to_string().contains("byte"), "{err}");
    }
    // And at many places in a real snapshot.
    let dir = TempDir::new("truncate");
    let real = read(&default_snapshot(&dir));
    let mut rng = Rng(42);
    for _ in 0..60 {
        let cut = rng.below(real.len() as u64) as usize;
        let err = parse_bytes(&real[..cut]).expect_err("truncated input must fail");
        assert_eq!(err.byte_offset(), Some(cut as u64), "{err}");
    }
}

fn err_of(text: &str) -> SnapshotError {
    let raw = parse_bytes(text.as_bytes());
    match raw {
        Err(e) => e,
        Ok(raw) => HeapGraph::from_raw(raw).expect_err("expected an error"),
    }
}

#[test]
fn clear_errors_for_bad_input() {
    let cases: Vec<(String, ErrorKind, &str)> = vec![
        (
            String::new(),
            ErrorKind::Syntax,
            "unexpected end of input at byte 0",
        ),
        (
            "   ".into(),
            ErrorKind::Syntax,
            "unexpected end of input at byte 3",
        ),
        ("hello".into(), ErrorKind::Syntax, "syntax error at byte 0"),
        ("[1,2,3]".into(), ErrorKind::Syntax, "expected `{`"),
        (
            r#"{"a": [1, {"b": "c"}], "z": null}"#.into(),
            ErrorKind::Data,
            "missing top-level section `snapshot`",
        ),
        (
            r#"{"snapshot": {"meta": {}}, "nodes": [], "edges": [], "strings": []}"#.into(),
            ErrorKind::Data,
            "missing meta field `node_fields`",
        ),
        (
            tiny_valid().replace(r#""node_fields""#, r#""node_fieldz""#),
            ErrorKind::Data,
            "missing meta field `node_fields`",
        ),
        (
            tiny_valid().replace(r#""node_types":[["hidden""#, r#""node_types":[[1"#),
            ErrorKind::Data,
            "contains a non-string",
        ),
        (
            tiny_valid().replace("\"edge_count\":3", "\"edge_count\":4"),
            ErrorKind::Data,
            "`edges` has 9 numbers but the header declares 12",
        ),
        (
            tiny_valid().replace("\"nodes\":[9,", "\"nodes\":[-9,"),
            ErrorKind::Data,
            "is negative",
        ),
        (
            tiny_valid().replace("\"nodes\":[9,", "\"nodes\":[9.5,"),
            ErrorKind::Data,
            "is not an integer",
        ),
        (
            tiny_valid().replace("\"nodes\":[9,", "\"nodes\":[4294967296,"),
            ErrorKind::Data,
            "exceeds u32",
        ),
        (
            tiny_valid().replace("\"nodes\":[9,", "\"nodes\":[\"x\","),
            ErrorKind::Syntax,
            "expected an unsigned integer",
        ),
        (tiny_valid() + "x", ErrorKind::Syntax, "trailing data"),
        (
            tiny_valid().replacen("\"strings\"", "\"nodes\"", 1),
            ErrorKind::Data,
            "appears twice",
        ),
        (
            tiny_valid().replace("\"B\"", "\"B\\q\""),
            ErrorKind::Syntax,
            "invalid escape",
        ),
        (
            tiny_valid().replace("\"strings\":[", "\"strings\":[1,"),
            ErrorKind::Syntax,
            "element 0 is not a string",
        ),
        // Graph-level validation.
        (
            tiny_valid().replace("2,5,14", "2,5,15"),
            ErrorKind::Data,
            "edge 2 points to node offset 15 which is not a multiple of 7",
        ),
        (
            tiny_valid().replace("2,5,14", "2,5,70"),
            ErrorKind::Data,
            "edge 2 points to node offset 70, beyond the last node (4 nodes)",
        ),
        (
            tiny_valid().replace("3,2,5,20,0", "3,5000,5,20,0"),
            ErrorKind::Data,
            "string index 5000 out of range (6 strings) in node 2 field `name`",
        ),
        (
            tiny_valid().replace("2,5,14", "2,99,14"),
            ErrorKind::Data,
            "string index 99 out of range (6 strings) in edge 2 field `name_or_index`",
        ),
        (
            tiny_valid().replace("3,2,5,20,0", "77,2,5,20,0"),
            ErrorKind::Data,
            "type index 77 out of range",
        ),
        (
            tiny_valid().replace("3,3,7,30,0", "3,3,7,30,1"),
            ErrorKind::Data,
            "edge_count fields add up to 4",
        ),
    ];
    for (text, kind, expected) in cases {
        let err = err_of(&text);
        let msg = err.to_string();
        assert!(
            msg.contains(expected),
            "input {text:?}\n  gave {msg:?}\n  expected {expected:?}"
        );
        assert_eq!(err.kind(), kind, "{msg}");
    }
}

#[test]
fn file_errors_name_the_file() {
    let dir = TempDir::new("badfile");
    let path = dir.file("broken.heapsnapshot");
    std::fs::write(&path, &tiny_valid()[..100]).unwrap();
    let err = parse_file(&path).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("broken.heapsnapshot") && msg.contains("byte 100"),
        "{msg}"
    );
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert_eq!(err.file(), Some(path.as_path()));
    assert_eq!(err.byte_offset(), Some(100));
    let missing = parse_file(&dir.file("missing.heapsnapshot")).unwrap_err();
    assert!(missing.to_string().contains("missing.heapsnapshot"));
    assert_eq!(missing.kind(), ErrorKind::Io);
}

#[test]
fn unknown_keys_and_any_key_order_are_accepted() {
    let text = tiny_valid();
    let (head, rest) = text.split_at(text.find("\n\"nodes\"").unwrap());
    // Move `snapshot` to the end and add unknown keys of every JSON kind.
    let header_end = head.len();
    let body = &rest[1..rest.len() - 1];
    let reordered = format!(
        "{{\"x\":{{\"a\":[1,\"]\",{{}}],\"b\":true}},{},\"y\":-1.5e3,\"z\":\"s\\\"}}\",{}, \"w\":null}}",
        body,
        &head[1..header_end].trim_end_matches(',')
    );
    let sized = |options: ParseOptions| ParseOptions {
        size_hint: Some(reordered.len() as u64),
        ..options
    };
    let parse = |options: ParseOptions| {
        let mut p = SnapshotParser::with_options(options);
        p.push(reordered.as_bytes())?;
        p.finish()
    };
    let a = parse_bytes(text.as_bytes()).unwrap();
    // With the header last, the input's size bounds the arrays before it.
    let b = parse(sized(ParseOptions::default())).unwrap();
    assert_eq!(a.nodes, b.nodes);
    assert_eq!(a.edges, b.edges);
    assert_eq!(a.strings, b.strings);
    // Light mode works even when the header comes last.
    let light = LightSnapshot::from_raw(parse(sized(ParseOptions::light())).unwrap()).unwrap();
    assert_eq!(light.nodes, NodeTable::from_raw(&a).unwrap());
    // On a stream of unknown size (a pipe) nothing would bound them: refused, naming the array.
    let err = parse(ParseOptions::default()).unwrap_err();
    assert!(
        matches!(&err, SnapshotError::BeforeHeader(k) if k == "nodes"),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Data);
}

#[test]
fn light_mode_keeps_the_same_node_columns() {
    let dir = TempDir::new("light");
    let file = default_snapshot(&dir);
    let full = parse_file(&file).unwrap();
    let light = parse_file_with(&file, ParseOptions::light()).unwrap();
    assert!(light.edges.is_empty() && light.locations.is_empty());
    assert_eq!(light.node_layout.stride, 4);
    assert_eq!(
        NodeTable::from_raw(&full).unwrap(),
        NodeTable::from_raw(&light).unwrap()
    );
    assert!(HeapGraph::from_raw(light).is_err());
}

#[test]
fn light_mode_keeps_only_the_strings_class_names_use() {
    let dir = TempDir::new("light-strings");
    let file = default_snapshot(&dir);
    let full = LightSnapshot::from_raw(parse_file(&file).unwrap()).unwrap();
    let light =
        LightSnapshot::from_raw(parse_file_with(&file, ParseOptions::light()).unwrap()).unwrap();
    assert_eq!(light.strings.len(), full.strings.len());
    for i in 0..full.nodes.len() as u32 {
        assert_eq!(
            light.view().class_name(NodeIdx(i)),
            full.view().class_name(NodeIdx(i))
        );
    }
    // String contents (the names of string nodes) are dropped.
    assert!(
        light.strings.total_bytes() * 2 < full.strings.total_bytes(),
        "{} of {} bytes kept",
        light.strings.total_bytes(),
        full.strings.total_bytes()
    );
}

#[test]
fn trace_tree_is_flattened_with_parents() {
    let text = tiny_valid().replace(
        "\"trace_tree\":[]",
        "\"trace_tree\":[1,0,1,10,[2,1,1,20,[]],3,0,2,30,[4,2,5,6,[5,0,0,0,[]]]]",
    );
    let raw = parse_bytes(text.as_bytes()).unwrap();
    let t: Vec<(u32, u32, u32)> = raw
        .trace_tree
        .iter()
        .map(|n| (n.id, n.size, n.parent))
        .collect();
    assert_eq!(
        t,
        [
            (1, 10, u32::MAX),
            (2, 20, 0),
            (3, 30, u32::MAX),
            (4, 6, 2),
            (5, 0, 3)
        ]
    );
}

/// An `edges` section in V8's layout with, at random, what the fast paths hand to the byte loop:
/// other whitespace, empty elements, long and out-of-range numbers, stray bytes.
fn edges_text(rng: &mut Rng) -> (String, Vec<u64>) {
    const ODD: &[&str] = &[
        " ,", ", ", ",,", "\n", "\n\n,", "\t,", "\r\n,", ",\n", "x", "-", ".5", "]",
    ];
    const NUMBERS: &[&str] = &["4294967295", "4294967296", "1000000000", "99999999999"];
    let (mut text, mut numbers) = (String::new(), Vec::new());
    let total = 3 * (10 + rng.below(100));
    // Half the sections are plain; the others have an odd spot every 150 numbers or so.
    let odds = if rng.below(2) == 0 { 0 } else { 300 };
    for i in 0..total {
        let number = if rng.below(odds + 60) < odds / 300 {
            NUMBERS[rng.below(NUMBERS.len() as u64) as usize].to_string()
        } else {
            let digits = 1 + rng.below(9) as u32;
            rng.below(10u64.pow(digits)).to_string()
        };
        text.push_str(&number);
        numbers.push(number.parse().unwrap());
        if i + 1 < total {
            match rng.below(80 + odds) {
                0 if odds > 0 => text.push_str(ODD[rng.below(ODD.len() as u64) as usize]),
                1..=20 => text.push_str("\n,"),
                _ => text.push(','),
            }
        }
    }
    (text, numbers)
}

#[test]
fn fast_paths_read_and_reject_exactly_what_the_byte_loop_does() {
    let mut rng = Rng(0x5eed_cafe);
    let base = tiny_valid();
    let (start, end) = (
        base.find("\"edges\":[").unwrap() + 9,
        base.find("],\n\"trace").unwrap(),
    );
    let parse = |text: &[u8], options: ParseOptions, rng: &mut Rng| {
        let mut p = SnapshotParser::with_options(options);
        let mut at = 0;
        while at < text.len() {
            let len = (1 + rng.below(700) as usize).min(text.len() - at);
            p.push(&text[at..at + len])?;
            at += len;
        }
        p.finish()
    };
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..3000 {
        let (edges, numbers) = edges_text(&mut rng);
        let doc = format!("{}{}{}", &base[..start], edges, &base[end..]).replace(
            "\"edge_count\":3",
            &format!("\"edge_count\":{}", numbers.len().div_ceil(3)),
        );
        let seed = rng.next();
        let full = parse(doc.as_bytes(), ParseOptions::full(), &mut Rng(seed));
        let valid = serde_json::from_str::<Vec<u32>>(&format!("[{edges}]")).is_ok();
        assert_eq!(full.is_ok(), valid, "{edges}");
        let light = parse(doc.as_bytes(), ParseOptions::light(), &mut Rng(seed));
        match (&full, &light) {
            (Ok(full), Ok(_)) => {
                let read: Vec<u64> = full.edges.iter().map(|&v| u64::from(v)).collect();
                assert_eq!(read, numbers, "{edges}");
                accepted += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{edges}");
                rejected += 1;
            }
            _ => panic!("full {full:?} but light {light:?} for {edges}"),
        }
    }
    assert!(
        accepted > 300 && rejected > 300,
        "{accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn long_slices_read_in_two_halves_give_what_one_pass_gives() {
    // Slices of 1 MiB or more are parsed in two halves on two threads; small pieces never are.
    const ODD: &[&str] = &[" ,", ",,", "\t,", "x", "-", ".5", "]", "99999999999,"];
    let mut rng = Rng(0x5917_7eed);
    let base = tiny_valid();
    let (start, end) = (
        base.find("\"edges\":[").unwrap() + 9,
        base.find("],\n\"trace").unwrap(),
    );
    let parse = |doc: &[u8], piece: usize| {
        let mut p = SnapshotParser::new();
        for chunk in doc.chunks(piece) {
            p.push(chunk)?;
        }
        p.finish()
    };
    let (mut accepted, mut rejected) = (0, 0);
    for round in 0..12 {
        let total = 3 * 250_000;
        // Most rounds have one odd spot somewhere, in either half of some slice.
        let odd_at = (round % 4 != 0).then(|| rng.below(total));
        let mut edges = String::new();
        for i in 0..total {
            let digits = 1 + rng.below(9) as u32;
            edges.push_str(&rng.below(10u64.pow(digits)).to_string());
            if i + 1 < total {
                if Some(i) == odd_at {
                    edges.push_str(ODD[rng.below(ODD.len() as u64) as usize]);
                }
                edges.push_str(if rng.below(20) == 0 { "\n," } else { "," });
            }
        }
        let doc = format!("{}{}{}", &base[..start], edges, &base[end..])
            .replace("\"edge_count\":3", &format!("\"edge_count\":{}", total / 3));
        let halves = parse(doc.as_bytes(), (1 << 20) + rng.below(1 << 20) as usize);
        let one_pass = parse(doc.as_bytes(), 60_000);
        match (&halves, &one_pass) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.edges, b.edges);
                accepted += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                rejected += 1;
            }
            _ => panic!(
                "round {round}: halves {:?}, one pass {:?}",
                halves.map(|_| ()),
                one_pass.map(|_| ())
            ),
        }
    }
    assert!(
        accepted >= 3 && rejected >= 3,
        "{accepted} accepted, {rejected} rejected"
    );
}

/// Node 26 writes negative lines and columns in `locations` for code compiled with negative
/// offsets (a module runner's wrapper starts before line 0): they read as 0, the start of the
/// script, in one piece or split at every byte; elsewhere a minus is still refused.
#[test]
fn negative_location_lines_and_columns_read_as_zero() {
    let json = tiny_valid().replace(
        "\"locations\":[]",
        "\"locations\":[7,1,-2,-40,14,1,3,5,21,2,-1,7]",
    );
    let whole = parse_bytes(json.as_bytes()).expect("parses");
    assert_eq!(whole.locations, [7, 1, 0, 0, 14, 1, 3, 5, 21, 2, 0, 7]);
    let mut parser = SnapshotParser::new();
    for b in json.as_bytes() {
        parser.push(std::slice::from_ref(b)).unwrap();
    }
    assert_eq!(parser.finish().unwrap().locations, whole.locations);
    for bad in ["[7,1,--2,0]", "[7,1,-,0]", "[-]"] {
        let json = tiny_valid().replace("\"locations\":[]", &format!("\"locations\":{bad}"));
        let err = parse_bytes(json.as_bytes()).expect_err(bad);
        assert!(err.to_string().contains("locations"), "{bad}: {err}");
    }
}
