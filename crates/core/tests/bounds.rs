//! Input that contradicts its own header, or never ends, is refused while it streams in: the
//! parser holds at most a chunk more than the header allows, and never aborts.
mod common;

use common::{TempDir, tiny_snapshot, tiny_valid};
use leakhound_core::snapshot::{MAX_NESTING, MAX_STRING_BYTES};
use leakhound_core::snapshot::{
    ParseOptions, SnapshotError, SnapshotParser, find_leaks_in_files, parse_file,
};

const CHUNK: usize = 1 << 20;

/// The text of a one-node snapshot up to the point where `section` starts.
fn head_before(section: &str) -> String {
    let whole = tiny_snapshot(&[(9, 0, 1, 0, 0)], &[], &[""]);
    let at = whole
        .find(&format!("\"{section}\""))
        .expect("section in the tiny snapshot");
    whole[..at].to_string()
}

/// Pushes `head`, then `piece` over and over; returns the error and the bytes pushed by then.
fn stream_forever(options: ParseOptions, head: &str, piece: &[u8]) -> (SnapshotError, usize) {
    let mut parser = SnapshotParser::with_options(options);
    let mut pushed = head.len();
    if let Err(e) = parser.push(head.as_bytes()) {
        return (e, pushed);
    }
    // Far past every bound below: a parser that buffers would run to gigabytes.
    for _ in 0..4096 {
        pushed += piece.len();
        if let Err(e) = parser.push(piece) {
            return (e, pushed);
        }
    }
    panic!("{pushed} bytes of endless input were accepted");
}

fn repeated(unit: &str, bytes: usize) -> Vec<u8> {
    unit.repeat(bytes / unit.len()).into_bytes()
}

#[test]
fn nodes_past_the_declared_count_are_refused_within_a_chunk() {
    let head = format!("{}\"nodes\":[9,0,1,0,0,0,0", head_before("nodes"));
    for options in [ParseOptions::full(), ParseOptions::light()] {
        let (err, pushed) = stream_forever(options, &head, &repeated(",3,1,2,40,0,0,0", CHUNK));
        match err {
            SnapshotError::TooManyValues {
                section,
                declared,
                offset,
            } => {
                assert_eq!((section, declared), ("nodes", 7));
                assert!(offset as usize <= pushed, "offset {offset} past the input");
            }
            other => panic!("expected TooManyValues, got {other}"),
        }
        assert!(
            pushed <= head.len() + 2 * CHUNK,
            "refused only after {pushed} bytes"
        );
    }
}

#[test]
fn edges_past_the_declared_count_are_refused_in_full_and_light_parses() {
    let head = format!(
        "{}\"nodes\":[9,0,1,0,0,0,0],\"edges\":[2,0,0",
        head_before("nodes")
    );
    for options in [ParseOptions::full(), ParseOptions::light()] {
        let (err, pushed) = stream_forever(options, &head, &repeated(",2,0,0", CHUNK));
        assert!(
            matches!(
                err,
                SnapshotError::TooManyValues {
                    section: "edges",
                    declared: 0,
                    ..
                }
            ),
            "{err}"
        );
        assert!(pushed <= head.len() + 2 * CHUNK);
    }
}

#[test]
fn function_infos_past_the_declared_count_are_refused() {
    // The tiny snapshot declares no traced functions and one node: V8 may write more function
    // infos than it declares, but not more than one per node beyond.
    let head = format!(
        "{}\"trace_function_infos\":[0",
        head_before("trace_function_infos")
    );
    let (err, pushed) = stream_forever(
        ParseOptions::full(),
        &head,
        &repeated(",1,2,3,4,5,6", CHUNK),
    );
    assert!(
        matches!(
            err,
            SnapshotError::TooManyValues {
                section: "trace_function_infos",
                // (0 declared + 1 node) × 6 fields.
                declared: 6,
                ..
            }
        ),
        "{err}"
    );
    assert!(pushed <= head.len() + 2 * CHUNK);
}

#[test]
fn arrays_before_the_header_are_refused_on_an_input_of_unknown_size() {
    // `nodes` first, then endless numbers: a pipe with the header last. A file's size bounds
    // such arrays (see the parser's tests); a stream's does not.
    for section in [
        "nodes",
        "edges",
        "locations",
        "trace_function_infos",
        "trace_tree",
    ] {
        let head = format!("{{\"{section}\":[");
        let (err, pushed) = stream_forever(ParseOptions::full(), &head, &repeated("1,", CHUNK));
        assert!(
            matches!(&err, SnapshotError::BeforeHeader(k) if k == section),
            "{section}: {err}"
        );
        assert_eq!(pushed, head.len(), "refused before any of its numbers");
    }
}

#[test]
fn an_endless_string_is_refused_at_the_string_bound() {
    let head = format!("{}\"strings\":[\"", head_before("strings"));
    let (err, pushed) = stream_forever(ParseOptions::full(), &head, &vec![b'x'; CHUNK]);
    assert!(
        matches!(err, SnapshotError::Unbounded { what: "string", .. }),
        "{err}"
    );
    assert!(err.byte_offset().is_some());
    assert!(pushed <= head.len() + MAX_STRING_BYTES + CHUNK);
}

#[test]
fn endless_nesting_is_refused_in_the_trace_tree_and_in_unknown_keys() {
    for section in ["trace_tree", "samples"] {
        let head = format!("{}\"{section}\":", head_before(section));
        let (err, pushed) = stream_forever(ParseOptions::full(), &head, &vec![b'['; CHUNK]);
        assert!(
            matches!(
                err,
                SnapshotError::Unbounded {
                    what: "nesting",
                    ..
                }
            ),
            "{section}: {err}"
        );
        assert!(pushed <= head.len() + CHUNK, "{section}: {pushed}");
    }
    // Nesting up to the bound is still read.
    let deep =
        format!("{}]", "[".repeat(MAX_NESTING - 1)).replace("]", &"]".repeat(MAX_NESTING - 1));
    let text = tiny_valid().replace("\"samples\":[]", &format!("\"samples\":[{deep}]"));
    let mut parser = SnapshotParser::new();
    parser
        .push(text.as_bytes())
        .and_then(|_| parser.finish())
        .unwrap();
}

#[cfg(unix)]
mod pipes {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command};

    fn fifo(dir: &TempDir, name: &str) -> PathBuf {
        let path = dir.file(name);
        let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
        assert!(status.success());
        path
    }

    /// Writes `from` into the named pipe `to` from another process, as `<(cat file)` does.
    fn feed(from: &Path, to: &Path) -> Child {
        Command::new("sh")
            .arg("-c")
            .arg("cat \"$0\" > \"$1\"")
            .arg(from)
            .arg(to)
            .spawn()
            .expect("sh")
    }

    #[test]
    fn find_leaks_reads_each_named_pipe_once() {
        let dir = TempDir::new("pipes");
        let files: Vec<PathBuf> = ["a", "b", "c"]
            .iter()
            .map(|name| {
                let path = dir.file(&format!("{name}.heapsnapshot"));
                std::fs::write(&path, tiny_valid()).unwrap();
                path
            })
            .collect();
        let pipes: Vec<PathBuf> = ["pa", "pb", "pc"].iter().map(|n| fifo(&dir, n)).collect();
        let mut writers: Vec<Child> = files.iter().zip(&pipes).map(|(f, p)| feed(f, p)).collect();
        let progress = Default::default();
        let report = find_leaks_in_files(&pipes[0], &pipes[1], &pipes[2], &progress);
        for w in &mut writers {
            assert!(w.wait().unwrap().success(), "a writer was cut off");
        }
        assert_eq!(report.unwrap().leaks.len(), 0);
        // The same pipe twice cannot be read: refused before anything is opened.
        let err = find_leaks_in_files(&pipes[0], &pipes[0], &files[2], &progress).unwrap_err();
        assert!(matches!(err.root_cause(), SnapshotError::ReadOnce), "{err}");
        // A full parse of a pipe reads it front to back.
        let mut writer = feed(&files[0], &pipes[1]);
        assert_eq!(parse_file(&pipes[1]).unwrap().meta.node_count, 4);
        assert!(writer.wait().unwrap().success());
    }
}
