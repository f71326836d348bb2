mod common;

use std::process::Command;

use common::TempDir;
use leakhound_core::snapshot::{HeapGraph, NodeIdx, allocation_stack, parse_file};

fn snapshot_of(dir: &TempDir, flags: &[&str], script: &str) -> HeapGraph {
    let file = dir.file("s.heapsnapshot");
    let script_file = dir.file("widgets.js");
    std::fs::write(&script_file, script).unwrap();
    let out = Command::new("node")
        .args(flags)
        .arg(&script_file)
        .arg(&file)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    HeapGraph::from_raw(parse_file(&file).unwrap()).unwrap()
}

const SCRIPT: &str = "class Widget {\n  constructor(i) {\n    this.i = i;\n  }\n}\nfunction makeWidgets() {\n  globalThis.widgets = [];\n  for (let i = 0; i < 10; i++) globalThis.widgets.push(new Widget(i));\n}\nmakeWidgets();\nrequire('v8').writeHeapSnapshot(process.argv[2]);\n";

fn a_widget(graph: &HeapGraph) -> NodeIdx {
    (0..graph.node_count() as u32)
        .map(NodeIdx)
        .find(|&n| graph.node_name(n) == "Widget" && graph.node_type_name(n) == "object")
        .expect("a Widget in the snapshot")
}

#[test]
fn allocation_stack_names_the_allocating_functions_and_where_they_are_defined() {
    let dir = TempDir::new("alloc");
    // Optimised code allocates without an allocation trace; keep the run in the interpreter.
    let graph = snapshot_of(&dir, &["--track-heap-objects", "--jitless"], SCRIPT);
    let stack = allocation_stack(&graph, a_widget(&graph)).expect("tracked snapshot has stacks");
    let inner = &stack[0];
    assert_eq!(inner.function_name, "makeWidgets", "{stack:?}");
    assert!(inner.script.ends_with("widgets.js"), "{stack:?}");
    assert_eq!(
        inner.line, 6,
        "the line `function makeWidgets` is on: {stack:?}"
    );
    assert!(inner.column > 0);
    assert!(
        stack.iter().any(|f| f.script.starts_with("node:internal")),
        "outer frames: {stack:?}"
    );
}

#[test]
fn without_allocation_tracking_there_is_no_stack() {
    let dir = TempDir::new("alloc-off");
    let graph = snapshot_of(&dir, &[], SCRIPT);
    assert!(
        graph.nodes().trace_node.is_empty(),
        "the all-zero column is not kept"
    );
    assert_eq!(allocation_stack(&graph, a_widget(&graph)), None);
}
