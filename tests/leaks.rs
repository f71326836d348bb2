//! Leak isolation on real snapshots written by one Node process (and one from another).
mod common;

use common::{TempDir, default_snapshot, run_node_script};
use leakhound::snapshot::{
    AnalysedSnapshot, NewObjects, ObjectIds, ParseOptions, Progress, SnapshotError, find_leaks,
    parse_file_with,
};

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
        matches!(&backwards, SnapshotError::Incompatible(m) if m.contains("wrong order")),
        "{backwards}"
    );
    default_snapshot(&dir);
    let other = ids(&dir, "default.heapsnapshot");
    let foreign = NewObjects::between(&baseline, &other).unwrap_err();
    assert!(
        matches!(&foreign, SnapshotError::Incompatible(m) if m.contains("same process")),
        "{foreign}"
    );
}
