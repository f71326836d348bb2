//! Comparing snapshots for JavaScript: the per-class diff and three-snapshot leak isolation,
//! from files on the thread pool or from snapshots already in memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Result};
use napi::{Env, Task};
use napi_derive::napi;

use super::guard::guarded;
use super::records::{ClassDeltaRecord, LeakReportRecord, leak_report_record, snapshot_error};
use super::snapshot::{LoadProgress, NativeLightSnapshot, NativeSnapshot};
use crate::snapshot::{
    AnalysedSnapshot, ClassDiff, LeakReport, LightSnapshot, ParseOptions, Progress, SnapshotError,
    diff_snapshots, find_leaks, parse_file_with,
};

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

fn light_snapshot(path: &Path) -> crate::snapshot::Result<LightSnapshot> {
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
