//! Paths to a vm realm's global object, held from outside only through one of its functions,
//! on a real snapshot written by node: what a test runner's leak check asks of a file's realm.
mod common;

use common::{TempDir, run_node_script};
use leakhound_core::snapshot::{AnalysedSnapshot, Progress, marked_objects};

const SCRIPT: &str = r#"
const vm = require('vm');
const v8 = require('v8');
const path = require('path');
const marks = new WeakMap();
// A file name built by concatenation, as module runners build them (a cons string in V8).
const dir = process.argv[2];
(function makeRealm() {
  const context = vm.createContext({});
  const global = vm.runInContext('this', context);
  marks.set(global, ['realm-test', 'global'].join(':'));
  const file = path.join(dir, 'realm-module') + '-' + String(Date.now() % 7) + '.js';
  const held = vm.runInContext('(function heldByProcess() { return globalThis; })', context, { filename: file });
  process.on('realm-test', held);
  // A WeakMap of the realm, keyed by a process-wide object: its entry must not count as a holder.
  vm.runInContext('this.byModule = new WeakMap()', context).set(path, vm.runInContext('({ cached: true })', context));
})();
v8.writeHeapSnapshot(path.join(dir, 'realm.heapsnapshot'));
"#;

#[test]
fn a_realm_held_by_one_function_is_reached_through_it_and_not_through_weak_map_entries() {
    let dir = TempDir::new("realm-paths");
    run_node_script(&dir, "realm.js", SCRIPT);
    let snap =
        AnalysedSnapshot::load(&dir.file("realm.heapsnapshot"), &Progress::default()).unwrap();
    let marked = marked_objects(&snap.graph, "realm-test:");
    assert_eq!(marked.len(), 1, "{marked:?}");
    let global = snap.graph.node_id(marked[0].1);

    // Realm rules: through the held function and the realm's native context.
    let path = snap
        .retainer_path_by_id_without(global, &[], true)
        .expect("the id exists")
        .expect("the realm is reachable");
    let names: Vec<&str> = path.iter().map(|s| s.node.name.as_str()).collect();
    let held = path
        .iter()
        .find(|s| s.node.name == "heldByProcess")
        .unwrap_or_else(|| panic!("no step through the held function: {names:?}"));
    assert!(
        path.iter().all(|s| s
            .edge
            .as_ref()
            .is_none_or(|e| e.edge_type != "entry" || !e.name.to_string().contains("WeakMap"))),
        "a path through a WeakMap entry: {names:?}"
    );
    // The script name was a concatenated string: its text, not "(concatenated string)".
    let location = held.location.as_ref().expect("a closure has a location");
    assert!(
        location.script_name.contains("realm-module-") && location.script_name.ends_with(".js"),
        "{}",
        location.script_name
    );

    // With the held function set aside, nothing else keeps the realm.
    let without = snap
        .retainer_path_by_id_without(global, &[held.node.id], true)
        .expect("the id exists");
    assert!(
        without.is_none(),
        "another path: {:?}",
        without.map(|p| p.iter().map(|s| s.node.name.clone()).collect::<Vec<_>>())
    );
}
