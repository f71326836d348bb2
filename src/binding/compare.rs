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
    AnalysedSnapshot, BaselineIds, ClassDiff, LeakReport, LightSnapshot, NewObjects, ObjectIds,
    ParseOptions, Progress, RawSnapshot, SnapshotError, diff_snapshots, find_leaks,
    parse_file_with_progress,
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
            let (before, after) = side_by_side(
                || light_snapshot(&self.before, &self.progress),
                || light_snapshot(&self.after, &self.progress),
            )?;
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

/// Runs `first` on a second thread and `second` on this one. When both fail, `first`'s error
/// is the one reported.
fn side_by_side<A: Send, B>(
    first: impl FnOnce() -> crate::snapshot::Result<A> + Send,
    second: impl FnOnce() -> crate::snapshot::Result<B>,
) -> Result<(A, B)> {
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(first);
        // `second` must run before the join, or the two run one after the other.
        let second = second();
        (first.join(), second)
    });
    let first = first
        .map_err(|_| napi::Error::from_reason("parser thread failed"))?
        .map_err(snapshot_error)?;
    Ok((first, second.map_err(snapshot_error)?))
}

/// Baseline, target and both sides of a diff need node columns and class names only.
fn light_parse(path: &Path, progress: &Progress) -> crate::snapshot::Result<RawSnapshot> {
    parse_file_with_progress(
        path,
        ParseOptions::light_skipping(),
        progress.bytes_counter(),
    )
}

fn light_snapshot(path: &Path, progress: &Progress) -> crate::snapshot::Result<LightSnapshot> {
    light_parse(path, progress)
        .and_then(LightSnapshot::from_raw)
        .map_err(|e| e.with_path(path))
}

fn object_ids(path: &Path, progress: &Progress) -> crate::snapshot::Result<ObjectIds> {
    light_parse(path, progress)
        .and_then(ObjectIds::from_raw)
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
            if self.class_diff {
                return self.with_class_diff();
            }
            // Baseline and target are streamed for their ids on a second thread while the
            // final snapshot loads with its full graph: they keep a few bytes per node, and
            // most of the final snapshot's analysis leaves a core free. `progress` counts all
            // three files.
            // A missing baseline or target is reported before the final snapshot is loaded.
            for path in [&self.baseline, &self.target] {
                std::fs::File::open(path)
                    .map_err(|e| snapshot_error(SnapshotError::from(e).with_path(path)))?;
            }
            let (new, last) = side_by_side(
                || {
                    let counter = Some(self.progress.bytes_counter());
                    let baseline = BaselineIds::read(&self.baseline, counter)?;
                    NewObjects::read_target(&self.target, &baseline, counter)
                },
                || AnalysedSnapshot::load_for_paths(&self.last, &self.progress),
            )?;
            let report = find_leaks(&new, &last).map_err(snapshot_error)?;
            Ok((report, None))
        })
    }

    fn resolve(&mut self, _env: Env, (report, diff): Self::Output) -> Result<Self::JsValue> {
        Ok(leak_report_record(report, diff))
    }
}

impl FindLeaksTask {
    /// Reports also show the per-class diff from baseline to final, which needs the baseline's
    /// light snapshot: baseline and target are read first, side by side, then the final one.
    fn with_class_diff(&self) -> Result<(LeakReport, Option<Vec<ClassDiff>>)> {
        let (baseline, target) = side_by_side(
            || light_snapshot(&self.baseline, &self.progress),
            || object_ids(&self.target, &self.progress),
        )?;
        let new = NewObjects::between(&ObjectIds::from_view(&baseline.view()), &target)
            .map_err(snapshot_error)?;
        drop(target);
        let last = AnalysedSnapshot::load(&self.last, &self.progress).map_err(snapshot_error)?;
        let report = find_leaks(&new, &last).map_err(snapshot_error)?;
        let diff = diff_snapshots(&baseline.view(), &last.graph.view());
        Ok((report, Some(diff)))
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
        NewObjects::between(&baseline.inner, &target.inner)
            .and_then(|new| find_leaks(&new, &last.inner))
            .map(|r| leak_report_record(r, None))
            .map_err(snapshot_error)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::side_by_side;
    use crate::snapshot::SnapshotError;

    #[test]
    fn the_two_reads_run_at_the_same_time() {
        // The first waits for word from the second: run one after the other, it gives up.
        let (tx, rx) = mpsc::channel();
        let (heard, sent) = side_by_side(
            move || {
                rx.recv_timeout(Duration::from_secs(60))
                    .map_err(|_| SnapshotError::BadMeta("never heard from the second".into()))
            },
            move || Ok(tx.send(7).is_ok()),
        )
        .unwrap();
        assert_eq!((heard, sent), (7, true));
    }
}
