//! Test helpers: real snapshots written by `node`, and tiny handmade ones.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A temp directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "leakhound-test-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Writes `script` to `<dir>/<script_name>` and runs it with node, passing
/// the directory as argv[2]. Panics with node's stderr on failure.
pub fn run_node_script(dir: &TempDir, script_name: &str, script: &str) -> PathBuf {
    let script_path = dir.file(script_name);
    std::fs::write(&script_path, script).expect("write script");
    let out = Command::new("node")
        .arg(&script_path)
        .arg(&dir.path)
        .output()
        .expect("run node (Node.js must be on PATH)");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    script_path
}

/// A default snapshot of an idle `node -e` process.
pub fn default_snapshot(dir: &TempDir) -> PathBuf {
    let file = dir.file("default.heapsnapshot");
    let status = Command::new("node")
        .arg("-e")
        .arg("require('v8').writeHeapSnapshot(process.argv[1])")
        .arg(&file)
        .status()
        .expect("run node");
    assert!(status.success());
    file
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read snapshot")
}

/// A minimal well-formed snapshot with 7 node fields.
/// `nodes`: (type, name, id, self_size, edge_count); `edges`: (type, name_or_index, to_node offset).
pub fn tiny_snapshot(
    nodes: &[(u32, u32, u32, u32, u32)],
    edges: &[(u32, u32, u32)],
    strings: &[&str],
) -> String {
    let node_nums: Vec<String> = nodes
        .iter()
        .map(|(t, n, id, s, e)| format!("{t},{n},{id},{s},{e},0,0"))
        .collect();
    let edge_nums: Vec<String> = edges
        .iter()
        .map(|(t, n, to)| format!("{t},{n},{to}"))
        .collect();
    let strings: Vec<String> = strings
        .iter()
        .map(|s| serde_json::to_string(s).unwrap())
        .collect();
    format!(
        concat!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"#,
            r#""node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],"#,
            r#""edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"#,
            r#""trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"#,
            r#""sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]}},"#,
            r#""node_count":{},"edge_count":{},"trace_function_count":0}},"#,
            "\n\"nodes\":[{}],\n\"edges\":[{}],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[{}]}}"
        ),
        nodes.len(),
        edges.len(),
        node_nums.join(",\n"),
        edge_nums.join(",\n"),
        strings.join(",\n")
    )
}

/// Root (0) → A (1) → B (2), with a weak edge root → C (3).
pub fn tiny_valid() -> String {
    tiny_snapshot(
        &[
            (9, 0, 1, 0, 2),
            (3, 1, 3, 10, 1),
            (3, 2, 5, 20, 0),
            (3, 3, 7, 30, 0),
        ],
        &[(2, 4, 7), (6, 4, 21), (2, 5, 14)],
        &["", "A", "B", "C", "a", "b"],
    )
}

/// Deterministic xorshift for chunk sizes and cut positions.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
