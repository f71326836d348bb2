//! Comparing snapshots for JavaScript: the per-class diff and three-snapshot leak isolation,
//! from files on the thread pool or from snapshots already in memory.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Result};
use napi::{Env, Task};
use napi_derive::napi;
use parking_lot::Mutex;

use leakhound_core::report::records::{self as core_records, leak_report_record};
use leakhound_core::snapshot::{
    AnalysedSnapshot, ClassDiff, LeakOptions, LeakReport, NewObjects, ObjectIds, Progress,
    diff_files, find_leaks_with, find_leaks_with_class_diff,
};

use crate::errors::{internal, snapshot_error};
use crate::guard::guarded;
use crate::records::{ClassDeltaRecord, LeakReportRecord};
use crate::snapshot::{LoadProgress, NativeSnapshot, SnapshotStream};

pub struct DiffTask {
    before: PathBuf,
    after: PathBuf,
    progress: Arc<Progress>,
}

impl Task for DiffTask {
    type Output = Vec<ClassDiff>;
    type JsValue = Vec<ClassDeltaRecord>;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("diffSnapshots", || {
            diff_files(&self.before, &self.after, &self.progress).map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output
            .into_iter()
            .map(|d| ClassDeltaRecord::from(core_records::ClassDeltaRecord::from(d)))
            .collect())
    }
}

/// `progress` counts the bytes of both files.
#[napi]
pub fn diff_snapshot_files(
    before: String,
    after: String,
    progress: &LoadProgress,
) -> AsyncTask<DiffTask> {
    AsyncTask::new(DiffTask {
        before: before.into(),
        after: after.into(),
        progress: progress.progress.clone(),
    })
}

pub struct FindLeaksTask {
    baseline: PathBuf,
    target: PathBuf,
    last: PathBuf,
    progress: Arc<Progress>,
    class_diff: bool,
}

impl Task for FindLeaksTask {
    type Output = (LeakReport, Option<Vec<ClassDiff>>);
    type JsValue = LeakReportRecord;

    fn compute(&mut self) -> Result<Self::Output> {
        let (baseline, target, last) = (&self.baseline, &self.target, &self.last);
        guarded("findLeaks", || {
            if self.class_diff {
                find_leaks_with_class_diff(baseline, target, last, &self.progress)
                    .map(|(report, diff)| (report, Some(diff)))
            } else {
                leakhound_core::snapshot::find_leaks_in_files(
                    baseline,
                    target,
                    last,
                    &self.progress,
                )
                .map(|report| (report, None))
            }
            .map_err(snapshot_error)
        })
    }

    fn resolve(&mut self, _env: Env, (report, diff): Self::Output) -> Result<Self::JsValue> {
        Ok(leak_report_record(report, diff).into())
    }
}

#[napi]
pub fn find_leaks_in_files(
    baseline: String,
    target: String,
    last: String,
    progress: &LoadProgress,
    class_diff: Option<bool>,
) -> AsyncTask<FindLeaksTask> {
    AsyncTask::new(FindLeaksTask {
        baseline: baseline.into(),
        target: target.into(),
        last: last.into(),
        progress: progress.progress.clone(),
        class_diff: class_diff.unwrap_or(false),
    })
}

/// Leak isolation over snapshots already in memory (the in-process hunt): two finished light
/// snapshots and the final one; groups of fewer than `min_count` objects are left out.
fn leaks_in_memory(
    baseline: &Mutex<Option<ObjectIds>>,
    target: &Mutex<Option<ObjectIds>>,
    last: &AnalysedSnapshot,
    min_count: u32,
) -> Result<core_records::LeakReportRecord> {
    let (baseline, target) = (baseline.lock(), target.lock());
    let (Some(baseline), Some(target)) = (baseline.as_ref(), target.as_ref()) else {
        return Err(internal("a light snapshot stream is not finished"));
    };
    let options = LeakOptions {
        min_count: u64::from(min_count.max(1)),
    };
    NewObjects::between(baseline, target)
        .and_then(|new| find_leaks_with(&new, last, &options))
        .map(|r| leak_report_record(r, None))
        .map_err(snapshot_error)
}

/// `findLeaksInSnapshots` on the JavaScript thread.
#[napi]
pub fn find_leaks_in_snapshots_sync(
    baseline: &SnapshotStream,
    target: &SnapshotStream,
    last: &NativeSnapshot,
    min_count: u32,
) -> Result<LeakReportRecord> {
    guarded("assertNoLeak", || {
        leaks_in_memory(&baseline.light, &target.light, last.snapshot()?, min_count).map(Into::into)
    })
}

/// Leak isolation over snapshots in memory, off the JavaScript thread (assertNoLeak's
/// analysis: the final snapshot's graph is as large as the heap).
#[napi(ts_return_type = "Promise<LeakReportRecord>")]
pub fn find_leaks_in_snapshots(
    baseline: &SnapshotStream,
    target: &SnapshotStream,
    last: &NativeSnapshot,
    min_count: u32,
) -> Result<AsyncTask<LeaksInMemoryTask>> {
    Ok(AsyncTask::new(LeaksInMemoryTask {
        baseline: Arc::clone(&baseline.light),
        target: Arc::clone(&target.light),
        last: Arc::clone(last.shared()?),
        min_count,
    }))
}

pub struct LeaksInMemoryTask {
    baseline: Arc<Mutex<Option<ObjectIds>>>,
    target: Arc<Mutex<Option<ObjectIds>>>,
    last: Arc<AnalysedSnapshot>,
    min_count: u32,
}

impl Task for LeaksInMemoryTask {
    type Output = core_records::LeakReportRecord;
    type JsValue = LeakReportRecord;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("assertNoLeak", || {
            leaks_in_memory(&self.baseline, &self.target, &self.last, self.min_count)
        })
    }

    fn resolve(&mut self, _: Env, report: Self::Output) -> Result<Self::JsValue> {
        Ok(report.into())
    }
}
