//! Heap snapshots for JavaScript: loading and analysis run on libuv's thread pool (AsyncTask);
//! queries convert the core's results into plain objects.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Result};
use napi::{Env, Task};
use napi_derive::napi;

use super::guard::guarded;
use crate::snapshot::{
    AnalysedSnapshot, ClassDiff, ClassSummary, LeakReport, LightSnapshot, ParseOptions, PathStep,
    Phase, Progress, SnapshotError, SnapshotParser, diff_snapshots, find_leaks, marked_objects,
    parse_file_with,
};

fn snapshot_error(e: SnapshotError) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, e.to_string())
}

#[napi(object)]
pub struct ClassSummaryRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
}

impl From<ClassSummary> for ClassSummaryRecord {
    fn from(c: ClassSummary) -> Self {
        Self {
            name: c.class_name,
            node_type: c.node_type,
            count: c.count as f64,
            self_size: c.self_size as f64,
            retained_size: c.retained_size as f64,
        }
    }
}

#[napi(object)]
pub struct NodeRecord {
    pub id: u32,
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub class_name: String,
    pub self_size: f64,
    pub retained_size: f64,
    pub dominator_id: Option<u32>,
}

#[napi(object)]
pub struct MarkedRecord {
    pub marker: String,
    pub id: u32,
}

#[napi(object)]
pub struct LocationRecord {
    pub script: String,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

#[napi(object)]
pub struct PathStepRecord {
    /// Property name, `[index]` or variable name of the edge leading to this node.
    pub edge: String,
    pub edge_type: String,
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub class_name: String,
    pub id: u32,
    pub self_size: f64,
    pub retained_size: Option<f64>,
    pub location: Option<LocationRecord>,
}

fn location_record(l: crate::snapshot::Location) -> LocationRecord {
    LocationRecord {
        script: l.script_name,
        script_id: l.script_id,
        line: l.line,
        column: l.column,
    }
}

fn path_records(steps: Vec<PathStep>) -> Vec<PathStepRecord> {
    steps
        .into_iter()
        // The synthetic root has no edge leading to it; paths start at its child.
        .filter_map(|s| {
            let edge = s.edge?;
            Some(PathStepRecord {
                edge: edge.name.to_string(),
                edge_type: edge.edge_type,
                name: s.node.name,
                node_type: s.node.node_type,
                class_name: s.node.class_name,
                id: s.node.id,
                self_size: f64::from(s.node.self_size),
                retained_size: s.node.retained_size.map(|r| r as f64),
                location: s.location.map(location_record),
            })
        })
        .collect()
}

#[napi(object)]
pub struct ClassDeltaRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count_before: f64,
    pub count_after: f64,
    pub count_delta: f64,
    pub size_before: f64,
    pub size_after: f64,
    pub size_delta: f64,
    pub added_count: f64,
    pub removed_count: f64,
    pub added_size: f64,
    pub removed_size: f64,
}

impl From<ClassDiff> for ClassDeltaRecord {
    fn from(d: ClassDiff) -> Self {
        Self {
            name: d.class_name,
            node_type: d.node_type,
            count_before: d.count_before as f64,
            count_after: d.count_after as f64,
            count_delta: d.count_delta as f64,
            size_before: d.size_before as f64,
            size_after: d.size_after as f64,
            size_delta: d.size_delta as f64,
            added_count: d.added_count as f64,
            removed_count: d.removed_count as f64,
            added_size: d.added_size as f64,
            removed_size: d.removed_size as f64,
        }
    }
}

/// An analysed snapshot held by JavaScript.
#[napi]
pub struct NativeSnapshot {
    inner: AnalysedSnapshot,
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
    progress: Arc<Progress>,
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

    /// Ends a light stream: the node table only, no graph.
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

pub struct DiffTask {
    before: PathBuf,
    after: PathBuf,
}

impl Task for DiffTask {
    type Output = Vec<ClassDiff>;
    type JsValue = Vec<ClassDeltaRecord>;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("diffSnapshots", || {
            // Only node columns are needed: light parses, the two files side by side.
            let (before, after) = std::thread::scope(|s| {
                let b = s.spawn(|| light_snapshot(&self.before));
                let a = light_snapshot(&self.after);
                (b.join(), a)
            });
            let before = before
                .map_err(|_| napi::Error::from_reason("parser thread failed"))?
                .map_err(snapshot_error)?;
            let after = after.map_err(snapshot_error)?;
            Ok(diff_snapshots(&before.view(), &after.view()))
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.into_iter().map(Into::into).collect())
    }
}

#[napi]
pub fn diff_snapshot_files(before: String, after: String) -> AsyncTask<DiffTask> {
    AsyncTask::new(DiffTask {
        before: before.into(),
        after: after.into(),
    })
}

#[napi(object)]
pub struct FoldedGroupRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count: f64,
    pub function_name: Option<String>,
    pub location: Option<LocationRecord>,
}

#[napi(object)]
pub struct FrameRecord {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
}

#[napi(object)]
pub struct LeakGroupRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
    pub representative_id: u32,
    pub trace: Vec<PathStepRecord>,
    pub location: Option<LocationRecord>,
    pub also_retains: Vec<FoldedGroupRecord>,
    /// Innermost frame first; present when the snapshot was taken while allocations were tracked.
    pub allocation: Option<Vec<FrameRecord>>,
}

#[napi(object)]
pub struct CollectionRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub id: u32,
    pub added: f64,
    pub retained_size: f64,
    pub trace: Vec<PathStepRecord>,
}

#[napi(object)]
pub struct LeakReportRecord {
    pub leaks: Vec<LeakGroupRecord>,
    pub collections: Vec<CollectionRecord>,
    pub leaked_objects: f64,
}

fn leak_report_record(report: LeakReport) -> LeakReportRecord {
    LeakReportRecord {
        leaked_objects: report.leaked_objects as f64,
        collections: report
            .collections
            .into_iter()
            .map(|c| CollectionRecord {
                name: c.class_name,
                node_type: c.node_type,
                id: c.id,
                added: c.added as f64,
                retained_size: c.retained_size as f64,
                trace: path_records(c.trace),
            })
            .collect(),
        leaks: report
            .leaks
            .into_iter()
            .map(|g| LeakGroupRecord {
                name: g.class_name,
                node_type: g.node_type,
                count: g.count as f64,
                self_size: g.self_size as f64,
                retained_size: g.retained_size as f64,
                representative_id: g.representative_id,
                trace: path_records(g.trace),
                location: g.location.map(location_record),
                also_retains: g
                    .also_retains
                    .into_iter()
                    .map(|f| FoldedGroupRecord {
                        name: f.class_name,
                        node_type: f.node_type,
                        count: f.count as f64,
                        function_name: f.function_name,
                        location: f.location.map(location_record),
                    })
                    .collect(),
                allocation: g.allocation.map(|frames| {
                    frames
                        .into_iter()
                        .map(|f| FrameRecord {
                            function_name: f.function_name,
                            script: f.script,
                            line: f.line,
                            column: f.column,
                        })
                        .collect()
                }),
            })
            .collect(),
    }
}

fn light_snapshot(path: &std::path::Path) -> crate::snapshot::Result<LightSnapshot> {
    parse_file_with(path, ParseOptions::light())
        .and_then(LightSnapshot::from_raw)
        .map_err(|e| e.with_path(path))
}

pub struct FindLeaksTask {
    baseline: PathBuf,
    target: PathBuf,
    last: PathBuf,
    progress: Arc<Progress>,
}

impl Task for FindLeaksTask {
    type Output = LeakReport;
    type JsValue = LeakReportRecord;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("findLeaks", || {
            // Baseline and target need ids only (light parses, on a second thread) while the
            // final snapshot is loaded with its full graph.
            let (earlier, last) = std::thread::scope(|s| {
                let earlier = s.spawn(|| {
                    Ok::<_, SnapshotError>((
                        light_snapshot(&self.baseline)?,
                        light_snapshot(&self.target)?,
                    ))
                });
                let last = AnalysedSnapshot::load(&self.last, &self.progress);
                (earlier.join(), last)
            });
            let (baseline, target) = earlier
                .map_err(|_| napi::Error::from_reason("parser thread failed"))?
                .map_err(snapshot_error)?;
            let last = last.map_err(snapshot_error)?;
            find_leaks(&baseline.view(), &target.view(), &last).map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(leak_report_record(output))
    }
}

#[napi]
pub fn find_leaks_in_files(
    baseline: String,
    target: String,
    last: String,
    progress: &LoadProgress,
) -> AsyncTask<FindLeaksTask> {
    AsyncTask::new(FindLeaksTask {
        baseline: baseline.into(),
        target: target.into(),
        last: last.into(),
        progress: progress.progress.clone(),
    })
}

/// A snapshot's nodes without a graph: enough to tell which objects existed when it was taken.
#[napi]
pub struct NativeLightSnapshot {
    inner: LightSnapshot,
}

pub struct LightTask {
    parser: Option<Box<SnapshotParser>>,
}

impl Task for LightTask {
    type Output = LightSnapshot;
    type JsValue = NativeLightSnapshot;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("snapshot stream", || {
            let parser = self
                .parser
                .take()
                .ok_or_else(|| napi::Error::from_reason("snapshot stream already finished"))?;
            parser
                .finish()
                .and_then(LightSnapshot::from_raw)
                .map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeLightSnapshot { inner: output })
    }
}

/// Leak isolation over snapshots already in memory (the in-process hunt).
#[napi]
pub fn find_leaks_in_snapshots(
    baseline: &NativeLightSnapshot,
    target: &NativeLightSnapshot,
    last: &NativeSnapshot,
) -> Result<LeakReportRecord> {
    guarded("assertNoLeak", || {
        find_leaks(&baseline.inner.view(), &target.inner.view(), &last.inner)
            .map(leak_report_record)
            .map_err(snapshot_error)
    })
}
