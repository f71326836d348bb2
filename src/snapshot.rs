//! Heap snapshots for JavaScript: loading (files, streams, light snapshots) runs on libuv's
//! thread pool (AsyncTask); queries convert the core's results into plain objects.

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

use napi::bindgen_prelude::{AsyncTask, Buffer, ObjectFinalize, Result};
use napi::{Env, Task};
use napi_derive::napi;

use leakhound_core::report::records::{self as core_records, path_records};
use leakhound_core::snapshot::{
    AnalysedSnapshot, ObjectIds, ParseOptions, Phase, Progress, SnapshotParser, marked_objects,
};

use crate::errors::{internal, snapshot_error};
use crate::guard::guarded;
use crate::records::{ClassSummaryRecord, MarkedRecord, NodeRecord, PathStepRecord, mirror};

/// An analysed snapshot held by JavaScript. Its memory is reported to V8 as external memory,
/// so V8 collects unreferenced snapshots as their size, not their small handle, asks; and
/// `dispose()` frees it at once.
#[napi(custom_finalize)]
pub struct NativeSnapshot {
    /// Shared with the tasks that query it off the JavaScript thread; `dispose()` lets go of
    /// this handle's share.
    inner: Option<Arc<AnalysedSnapshot>>,
    /// Bytes reported to V8 so far.
    reported: i64,
}

impl NativeSnapshot {
    pub(super) fn new(env: &Env, snapshot: AnalysedSnapshot) -> NativeSnapshot {
        let mut this = NativeSnapshot {
            inner: Some(Arc::new(snapshot)),
            reported: 0,
        };
        this.report(env);
        this
    }

    pub(super) fn snapshot(&self) -> Result<&AnalysedSnapshot> {
        self.shared().map(|s| &**s)
    }

    /// The analysed snapshot, for a task that outlives this call.
    pub(super) fn shared(&self) -> Result<&Arc<AnalysedSnapshot>> {
        self.inner.as_ref().ok_or_else(|| {
            napi::Error::new(
                napi::Status::GenericFailure,
                "ERR_LEAKHOUND_DISPOSED: this snapshot was disposed".to_string(),
            )
        })
    }

    /// Tells V8 how much memory the snapshot holds now (lazily built indices grow it).
    fn report(&mut self, env: &Env) {
        let now = self.inner.as_ref().map_or(0, |s| s.heap_bytes()) as i64;
        if now != self.reported && env.adjust_external_memory(now - self.reported).is_ok() {
            self.reported = now;
        }
    }
}

impl ObjectFinalize for NativeSnapshot {
    fn finalize(mut self, env: Env) -> Result<()> {
        self.inner = None;
        self.report(&env);
        Ok(())
    }
}

#[napi]
impl NativeSnapshot {
    #[napi(getter)]
    pub fn node_count(&self) -> Result<u32> {
        Ok(self.snapshot()?.graph.node_count() as u32)
    }

    #[napi(getter)]
    pub fn edge_count(&self) -> Result<u32> {
        Ok(self.snapshot()?.graph.edge_count() as u32)
    }

    #[napi(getter)]
    pub fn total_size(&self) -> Result<f64> {
        Ok(self.snapshot()?.total_size() as f64)
    }

    /// Bytes of native memory the snapshot holds (0 once disposed).
    #[napi(getter)]
    pub fn native_bytes(&self) -> f64 {
        self.inner.as_ref().map_or(0, |s| s.heap_bytes()) as f64
    }

    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.inner.is_none()
    }

    /// Frees the snapshot's native memory now; later queries throw. Calling it twice is harmless.
    #[napi]
    pub fn dispose(&mut self, env: Env) {
        self.inner = None;
        self.report(&env);
    }

    #[napi]
    pub fn summary(&mut self, env: Env, top: Option<u32>) -> Result<Vec<ClassSummaryRecord>> {
        let out = guarded("HeapSnapshot.summary", || {
            let top = top.map(|t| t as usize);
            Ok(self
                .snapshot()?
                .summary(top)
                .into_iter()
                .map(|c| ClassSummaryRecord::from(core_records::ClassSummaryRecord::from(c)))
                .collect())
        });
        self.report(&env);
        out
    }

    #[napi]
    pub fn node(&self, id: u32) -> Result<Option<NodeRecord>> {
        Ok(self.snapshot()?.node(id).map(|n| NodeRecord {
            id: n.id,
            name: n.name,
            node_type: n.node_type,
            class_name: n.class_name,
            self_size: n.self_size as f64,
            retained_size: n.retained_size as f64,
            dominator_id: n.dominator_id,
        }))
    }

    /// Objects marked as WeakMap keys with string values starting with `prefix`.
    #[napi]
    pub fn marked_objects(&self, prefix: String) -> Result<Vec<MarkedRecord>> {
        let graph = &self.snapshot()?.graph;
        Ok(marked_objects(graph, &prefix)
            .into_iter()
            .map(|(marker, node)| MarkedRecord {
                marker,
                id: graph.node_id(node),
            })
            .collect())
    }

    #[napi]
    pub fn has_node(&self, id: u32) -> Result<bool> {
        Ok(self.snapshot()?.graph.find_by_id(id).is_some())
    }

    /// The twin of `retainerPath`, off the JavaScript thread: the first path of a snapshot
    /// walks the whole graph. Call `reportMemory()` when it resolves.
    /// With `without`, the path runs through none of those objects (null if every path does);
    /// with `realm`, it follows the rules for a path to a realm's global object.
    #[napi(ts_return_type = "Promise<Array<PathStepRecord> | null>")]
    pub fn retainer_path_async(
        &self,
        id: u32,
        without: Option<Vec<u32>>,
        realm: Option<bool>,
    ) -> Result<AsyncTask<RetainerPathTask>> {
        Ok(AsyncTask::new(RetainerPathTask {
            snapshot: Arc::clone(self.shared()?),
            id,
            without: without.unwrap_or_default(),
            realm_paths: realm.unwrap_or(false),
        }))
    }

    /// Tells V8 how much native memory the snapshot holds now (after an async query grew it).
    #[napi]
    pub fn report_memory(&mut self, env: Env) {
        self.report(&env);
    }

    /// `null` when the node is unreachable or no node has the id (see `hasNode`).
    #[napi]
    pub fn retainer_path(&mut self, env: Env, id: u32) -> Result<Option<Vec<PathStepRecord>>> {
        let out = guarded("HeapSnapshot.retainerPath", || {
            Ok(self
                .snapshot()?
                .retainer_path_by_id(id)
                .flatten()
                .map(|steps| mirror(path_records(steps))))
        });
        self.report(&env);
        out
    }
}

/// What a load is doing: `"parsing"`, `"graph"`, `"analysis"` or `"done"` in JavaScript.
#[napi(string_enum = "lowercase")]
pub enum LoadPhase {
    Parsing,
    Graph,
    Analysis,
    Done,
}

impl From<Phase> for LoadPhase {
    fn from(phase: Phase) -> Self {
        match phase {
            Phase::Parsing => LoadPhase::Parsing,
            Phase::Graph => LoadPhase::Graph,
            Phase::Analysis => LoadPhase::Analysis,
            Phase::Done => LoadPhase::Done,
        }
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
    pub fn phase(&self) -> LoadPhase {
        self.progress.phase().into()
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
                        return Err(internal("snapshot stream already finished"));
                    }
                },
            };
            loaded.map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeSnapshot::new(&env, output))
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
/// A light stream keeps what it read (ids and class fingerprints) itself: made before the heap
/// it reads is snapshotted, it allocates no object of its own that the snapshot does not hold.
#[napi]
pub struct SnapshotStream {
    parser: Option<SnapshotParser>,
    pub(super) light: Arc<Mutex<Option<ObjectIds>>>,
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
            light: Arc::default(),
        }
    }

    /// Ends a light stream, keeping its objects' ids and class fingerprints (no graph) in the
    /// stream; resolves to undefined.
    #[napi]
    pub fn finish_light(&mut self) -> AsyncTask<LightTask> {
        AsyncTask::new(LightTask {
            parser: self.parser.take().map(Box::new),
            into: self.light.clone(),
        })
    }

    #[napi]
    pub fn push(&mut self, chunk: Buffer) -> Result<()> {
        guarded("SnapshotStream.push", || {
            let parser = self
                .parser
                .as_mut()
                .ok_or_else(|| internal("snapshot stream already finished"))?;
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

/// Reads a light stream's object ids and class fingerprints (8 bytes per node), into the stream.
pub struct LightTask {
    parser: Option<Box<SnapshotParser>>,
    into: Arc<Mutex<Option<ObjectIds>>>,
}

impl Task for LightTask {
    type Output = ObjectIds;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("snapshot stream", || {
            let parser = self
                .parser
                .take()
                .ok_or_else(|| internal("snapshot stream already finished"))?;
            parser
                .finish()
                .and_then(ObjectIds::from_raw)
                .map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        *self.into.lock() = Some(output);
        Ok(())
    }
}

pub struct RetainerPathTask {
    snapshot: Arc<AnalysedSnapshot>,
    id: u32,
    without: Vec<u32>,
    realm_paths: bool,
}

impl Task for RetainerPathTask {
    type Output = Option<Vec<leakhound_core::snapshot::PathStep>>;
    type JsValue = Option<Vec<PathStepRecord>>;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("HeapSnapshot.retainerPathAsync", || {
            Ok(self
                .snapshot
                .retainer_path_by_id_without(self.id, &self.without, self.realm_paths)
                .flatten())
        })
    }

    fn resolve(&mut self, _: Env, steps: Self::Output) -> Result<Self::JsValue> {
        Ok(steps.map(|steps| mirror(path_records(steps))))
    }
}
