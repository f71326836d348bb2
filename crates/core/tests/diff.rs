mod common;

use common::{TempDir, run_node_script};
use leakhound_core::snapshot::{LightSnapshot, ParseOptions, diff_snapshots, parse_file_with};

const SCRIPT: &str = r#"const v8 = require('v8');
const path = require('path');
class Foo { constructor(i) { this.i = i; } }
globalThis.foos = [];
for (let i = 0; i < 10; i++) globalThis.foos.push(new Foo(i));
v8.writeHeapSnapshot(path.join(process.argv[2], 'before.heapsnapshot'));
for (let i = 0; i < 500; i++) globalThis.foos.push(new Foo(i));
v8.writeHeapSnapshot(path.join(process.argv[2], 'after.heapsnapshot'));
"#;

#[test]
fn diff_finds_the_added_instances() {
    let dir = TempDir::new("diff");
    run_node_script(&dir, "diff_script.js", SCRIPT);
    let load = |name: &str| {
        LightSnapshot::from_raw(
            parse_file_with(&dir.file(name), ParseOptions::light()).expect("parse"),
        )
        .expect("nodes")
    };
    let before = load("before.heapsnapshot");
    let after = load("after.heapsnapshot");
    let diff = diff_snapshots(&before.view(), &after.view());
    let foo = diff
        .iter()
        .find(|d| d.class_name == "Foo")
        .expect("Foo in diff");
    assert_eq!(foo.added_count, 500);
    assert_eq!(foo.removed_count, 0);
    assert_eq!(foo.count_before, 10);
    assert_eq!(foo.count_after, 510);
    assert_eq!(foo.count_delta, 500);
    assert_eq!(
        foo.size_delta,
        foo.added_size as i64 - foo.removed_size as i64
    );
    assert!(foo.added_size > 0);
    assert!(diff.windows(2).all(|w| w[0].size_delta >= w[1].size_delta));
    // Diffing a snapshot with itself finds nothing.
    assert!(diff_snapshots(&after.view(), &after.view()).is_empty());
}
