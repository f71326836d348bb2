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
    diff_snapshots, find_leaks, parse_file_with_progress,
};

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
            // Only node columns are needed: light parses, the two files side by side.
            let (before, after) = std::thread::scope(|s| {
                let b = s.spawn(|| light_snapshot(&self.before, &self.progress));
                let a = light_snapshot(&self.after, &self.progress);
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

fn light_snapshot(path: &Path, progress: &Progress) -> crate::snapshot::Result<LightSnapshot> {
    parse_file_with_progress(path, ParseOptions::light(), progress.bytes_counter())
        .and_then(LightSnapshot::from_raw)
        .map_err(|e| e.with_path(path))
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
        guarded("findLeaks", || {
            // Baseline and target need ids only (light parses, on a second thread) while the
            // final snapshot is loaded with its full graph. `progress` counts all three files.
            let (earlier, last) = std::thread::scope(|s| {
                let earlier = s.spawn(|| {
                    Ok::<_, SnapshotError>((
                        light_snapshot(&self.baseline, &self.progress)?,
                        light_snapshot(&self.target, &self.progress)?,
                    ))
                });
                let last = AnalysedSnapshot::load(&self.last, &self.progress);
                (earlier.join(), last)
            });
            let (baseline, target) = earlier
                .map_err(|_| napi::Error::from_reason("parser thread failed"))?
                .map_err(snapshot_error)?;
            let last = last.map_err(snapshot_error)?;
            let report =
                find_leaks(&baseline.view(), &target.view(), &last).map_err(snapshot_error)?;
            // The per-class diff for reports: baseline's light parse is already here.
            let diff = self
                .class_diff
                .then(|| diff_snapshots(&baseline.view(), &last.graph.view()));
            Ok((report, diff))
        })
    }

    fn resolve(&mut self, _env: Env, (report, diff): Self::Output) -> Result<Self::JsValue> {
        Ok(leak_report_record(report, diff))
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

/// Leak isolation over snapshots already in memory (the in-process hunt).
#[napi]
pub fn find_leaks_in_snapshots(
    baseline: &NativeLightSnapshot,
    target: &NativeLightSnapshot,
    last: &NativeSnapshot,
) -> Result<LeakReportRecord> {
    guarded("assertNoLeak", || {
        find_leaks(&baseline.inner.view(), &target.inner.view(), &last.inner)
            .map(|r| leak_report_record(r, None))
            .map_err(snapshot_error)
    })
}
