//! Leak isolation on real snapshots written by one Node process (and one from another).
mod common;

use common::{TempDir, default_snapshot, run_node_script};
use leakhound_core::snapshot::{
    AnalysedSnapshot, BaselineIds, ErrorKind, Incompatibility, NewObjects, ObjectIds, ParseOptions,
    Progress, SnapshotError, find_leaks, parse_file_with,
};
use std::path::Path;

const SCRIPT: &str = r#"
const v8 = require('v8');
const path = require('path');
const dir = process.argv[2];
class Leak { constructor(i) { this.i = i; } }
globalThis.kept = [];
v8.writeHeapSnapshot(path.join(dir, 'baseline.heapsnapshot'));
for (let i = 0; i < 1000; i++) { kept.push(new Leak(i)); new Leak(-i); }
v8.writeHeapSnapshot(path.join(dir, 'target.heapsnapshot'));
for (let i = 0; i < 10; i++) new Leak(i);
v8.writeHeapSnapshot(path.join(dir, 'final.heapsnapshot'));
"#;

fn ids(dir: &TempDir, name: &str) -> ObjectIds {
    let raw = parse_file_with(&dir.file(name), ParseOptions::light()).unwrap();
    ObjectIds::from_raw(raw).unwrap()
}

#[test]
fn new_objects_come_from_one_process_in_order() {
    let dir = TempDir::new("leaks");
    run_node_script(&dir, "leak.js", SCRIPT);
    let (baseline, target) = (
        ids(&dir, "baseline.heapsnapshot"),
        ids(&dir, "target.heapsnapshot"),
    );
    let new = NewObjects::between(&baseline, &target).unwrap();
    assert!(new.len() >= 1000, "{} new objects", new.len());

    let last =
        AnalysedSnapshot::load(&dir.file("final.heapsnapshot"), &Progress::default()).unwrap();
    let report = find_leaks(&new, &last).unwrap();
    let leak = report
        .leaks
        .iter()
        .find(|g| g.class_name == "Leak")
        .unwrap();
    assert_eq!(leak.count, 1000);
    assert!(
        leak.trace.iter().any(|s| s
            .edge
            .as_ref()
            .is_some_and(|e| e.name.to_string() == "kept")),
        "{:?}",
        leak.trace
    );

    let backwards = NewObjects::between(&target, &baseline).unwrap_err();
    assert!(
        backwards.incompatibility() == Some(Incompatibility::WrongOrder)
            && backwards.kind() == ErrorKind::Incompatible,
        "{backwards}"
    );
    default_snapshot(&dir);
    let other = ids(&dir, "default.heapsnapshot");
    let foreign = NewObjects::between(&baseline, &other).unwrap_err();
    assert!(
        foreign.incompatibility() == Some(Incompatibility::DifferentProcesses),
        "{foreign}"
    );
}

fn streamed(dir: &TempDir, baseline: &str, target: &str) -> Result<NewObjects, SnapshotError> {
    let baseline = BaselineIds::read(&dir.file(baseline), None)?;
    NewObjects::read_target(&dir.file(target), &baseline, None)
}

/// The same snapshot with its `snapshot` header moved after everything else (valid JSON, and
/// the parser accepts it, but the node records can no longer be streamed).
fn header_last(from: &Path, to: &Path) {
    let text = std::fs::read_to_string(from).unwrap();
    let nodes = text.find("\"nodes\"").unwrap();
    let header = text[1..nodes].trim_end().trim_end_matches(',');
    let rest = text[nodes..].trim_end().strip_suffix('}').unwrap();
    std::fs::write(to, format!("{{{rest},\n{header}}}")).unwrap();
}

#[test]
fn streamed_ids_find_what_whole_reads_find() {
    let dir = TempDir::new("leaks-streamed");
    run_node_script(&dir, "leak.js", SCRIPT);
    let whole = NewObjects::between(
        &ids(&dir, "baseline.heapsnapshot"),
        &ids(&dir, "target.heapsnapshot"),
    )
    .unwrap();
    let new = streamed(&dir, "baseline.heapsnapshot", "target.heapsnapshot").unwrap();
    assert!(new.len() >= 1000, "{} new objects", new.len());
    assert_eq!(new.ids(), whole.ids());
    let last =
        AnalysedSnapshot::load(&dir.file("final.heapsnapshot"), &Progress::default()).unwrap();
    assert_eq!(
        find_leaks(&new, &last).unwrap(),
        find_leaks(&whole, &last).unwrap()
    );

    // Files that cannot be streamed are read whole, with the same outcome.
    header_last(
        &dir.file("baseline.heapsnapshot"),
        &dir.file("baseline-header-last.heapsnapshot"),
    );
    assert_eq!(
        BaselineIds::read(&dir.file("baseline-header-last.heapsnapshot"), None).unwrap(),
        BaselineIds::read(&dir.file("baseline.heapsnapshot"), None).unwrap()
    );
    let reordered = streamed(
        &dir,
        "baseline-header-last.heapsnapshot",
        "target.heapsnapshot",
    )
    .unwrap();
    assert_eq!(reordered.ids(), whole.ids());

    // Pairs that cannot be compared are refused as by whole reads.
    let backwards = streamed(&dir, "target.heapsnapshot", "baseline.heapsnapshot").unwrap_err();
    assert!(
        backwards.incompatibility() == Some(Incompatibility::WrongOrder),
        "{backwards}"
    );
    default_snapshot(&dir);
    let foreign = streamed(&dir, "baseline.heapsnapshot", "default.heapsnapshot").unwrap_err();
    assert!(
        foreign.incompatibility() == Some(Incompatibility::DifferentProcesses),
        "{foreign}"
    );
}
