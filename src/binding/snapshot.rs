//! Heap snapshots for JavaScript: loading (files, streams, light snapshots) runs on libuv's
//! thread pool (AsyncTask); queries convert the core's results into plain objects.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Result};
use napi::{Env, Task};
use napi_derive::napi;

use super::guard::guarded;
use super::records::{
    ClassSummaryRecord, MarkedRecord, NodeRecord, PathStepRecord, path_records, snapshot_error,
};
use crate::snapshot::{
    AnalysedSnapshot, ObjectIds, ParseOptions, Phase, Progress, SnapshotParser, marked_objects,
};

/// An analysed snapshot held by JavaScript.
#[napi]
pub struct NativeSnapshot {
    pub(super) inner: AnalysedSnapshot,
}

#[napi]
impl NativeSnapshot {
    #[napi(getter)]
    pub fn node_count(&self) -> u32 {
        self.inner.graph.node_count() as u32
    }

    #[napi(getter)]
    pub fn edge_count(&self) -> u32 {
        self.inner.graph.edge_count() as u32
    }

    #[napi(getter)]
    pub fn total_size(&self) -> f64 {
        self.inner.total_size() as f64
    }

    #[napi]
    pub fn summary(&self, top: Option<u32>) -> Result<Vec<ClassSummaryRecord>> {
        guarded("HeapSnapshot.summary", || {
            let top = top.map(|t| t as usize);
            Ok(self
                .inner
                .summary(top)
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    #[napi]
    pub fn node(&self, id: u32) -> Option<NodeRecord> {
        self.inner.node(id).map(|n| NodeRecord {
            id: n.id,
            name: n.name,
            node_type: n.node_type,
            class_name: n.class_name,
            self_size: n.self_size as f64,
            retained_size: n.retained_size as f64,
            dominator_id: n.dominator_id,
        })
    }

    /// Objects marked as WeakMap keys with string values starting with `prefix`.
    #[napi]
    pub fn marked_objects(&self, prefix: String) -> Vec<MarkedRecord> {
        let graph = &self.inner.graph;
        marked_objects(graph, &prefix)
            .into_iter()
            .map(|(marker, node)| MarkedRecord {
                marker,
                id: graph.node_id(node),
            })
            .collect()
    }

    #[napi]
    pub fn has_node(&self, id: u32) -> bool {
        self.inner.graph.find_by_id(id).is_some()
    }

    /// `null` when the node is unreachable or no node has the id (see `hasNode`).
    #[napi]
    pub fn retainer_path(&self, id: u32) -> Result<Option<Vec<PathStepRecord>>> {
        guarded("HeapSnapshot.retainerPath", || {
            Ok(self
                .inner
                .retainer_path_by_id(id)
                .flatten()
                .map(path_records))
        })
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Parsing => "parsing",
        Phase::Graph => "graph",
        Phase::Analysis => "analysis",
        Phase::Done => "done",
    }
}

/// Where a load stands, readable from JavaScript while the load runs on the thread pool.
#[napi]
pub struct LoadProgress {
    pub(super) progress: Arc<Progress>,
}

#[napi]
impl LoadProgress {
    #[napi(getter)]
    pub fn bytes(&self) -> f64 {
        self.progress.bytes() as f64
    }

    #[napi(getter)]
    pub fn phase(&self) -> &'static str {
        phase_name(self.progress.phase())
    }
}

enum Source {
    File(PathBuf),
    Parser(Option<Box<SnapshotParser>>),
}

pub struct LoadTask {
    source: Source,
    progress: Arc<Progress>,
}

impl Task for LoadTask {
    type Output = AnalysedSnapshot;
    type JsValue = NativeSnapshot;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("loadSnapshot", || {
            let loaded = match &mut self.source {
                Source::File(path) => AnalysedSnapshot::load(path, &self.progress),
                Source::Parser(parser) => match parser.take() {
                    Some(p) => AnalysedSnapshot::from_parser(*p, &self.progress),
                    None => {
                        return Err(napi::Error::from_reason("snapshot stream already finished"));
                    }
                },
            };
            loaded.map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeSnapshot { inner: output })
    }
}

/// Starts loading a file off the JS thread; `progress` is updated as it goes.
#[napi]
pub fn load_snapshot_file(path: String, progress: &LoadProgress) -> AsyncTask<LoadTask> {
    AsyncTask::new(LoadTask {
        source: Source::File(PathBuf::from(path)),
        progress: progress.progress.clone(),
    })
}

#[napi]
pub fn new_load_progress() -> LoadProgress {
    LoadProgress {
        progress: Arc::new(Progress::default()),
    }
}

/// A snapshot fed chunk by chunk, e.g. from `v8.getHeapSnapshot()`, never touching disk.
#[napi]
pub struct SnapshotStream {
    parser: Option<SnapshotParser>,
}

#[napi]
impl SnapshotStream {
    /// `light`: keep node ids, types, names and sizes only (for baseline and target snapshots).
    #[napi(constructor)]
    pub fn new(light: Option<bool>) -> Self {
        let options = if light == Some(true) {
            ParseOptions::light()
        } else {
            ParseOptions::full()
        };
        Self {
            parser: Some(SnapshotParser::with_options(options)),
        }
    }

    /// Ends a light stream: its objects' ids and class fingerprints, no graph.
    #[napi]
    pub fn finish_light(&mut self) -> AsyncTask<LightTask> {
        AsyncTask::new(LightTask {
            parser: self.parser.take().map(Box::new),
        })
    }

    #[napi]
    pub fn push(&mut self, chunk: Buffer) -> Result<()> {
        guarded("SnapshotStream.push", || {
            let parser = self
                .parser
                .as_mut()
                .ok_or_else(|| napi::Error::from_reason("snapshot stream already finished"))?;
            parser.push(&chunk).map_err(snapshot_error)
        })
    }

    /// Ends the stream and analyses the snapshot off the JS thread.
    #[napi]
    pub fn finish(&mut self, progress: &LoadProgress) -> AsyncTask<LoadTask> {
        AsyncTask::new(LoadTask {
            source: Source::Parser(self.parser.take().map(Box::new)),
            progress: progress.progress.clone(),
        })
    }
}

/// A snapshot's object ids and class fingerprints without a graph: enough to tell which objects
/// existed when it was taken (8 bytes per node).
#[napi]
pub struct NativeLightSnapshot {
    pub(super) inner: ObjectIds,
}

pub struct LightTask {
    parser: Option<Box<SnapshotParser>>,
}

impl Task for LightTask {
    type Output = ObjectIds;
    type JsValue = NativeLightSnapshot;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("snapshot stream", || {
            let parser = self
                .parser
                .take()
                .ok_or_else(|| napi::Error::from_reason("snapshot stream already finished"))?;
            parser
                .finish()
                .and_then(ObjectIds::from_raw)
                .map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeLightSnapshot { inner: output })
    }
}
