//! Whole-file comparisons: the per-class diff of two snapshot files and three-snapshot leak
//! isolation, with independent reads run side by side on the two cores.

use std::path::Path;

use super::analysed::{AnalysedSnapshot, Progress};
use super::diff::{ClassDiff, diff_snapshots};
use super::id_scan::BaselineIds;
use super::leaks::{LeakReport, NewObjects, find_leaks};
use crate::snapshot::error::Result;
use crate::snapshot::heap::nodes::LightSnapshot;
use crate::snapshot::heap::object_ids::ObjectIds;
use crate::snapshot::read::parser::ParseOptions;
use crate::snapshot::read::raw::RawSnapshot;
use crate::snapshot::read::source::{check_inputs, parse_file_with_progress};

/// Per-class growth from `before` to `after`. Only node columns are needed: light parses, the
/// two files side by side. `progress` counts the bytes of both files.
pub fn diff_files(before: &Path, after: &Path, progress: &Progress) -> Result<Vec<ClassDiff>> {
    check_inputs(&[before, after])?;
    let (before, after) = side_by_side(
        || light_snapshot(before, progress),
        || light_snapshot(after, progress),
    )?;
    Ok(diff_snapshots(&before.view(), &after.view()))
}

/// Three-snapshot leak isolation from files. Baseline and target are streamed for their ids on
/// a second thread while the final snapshot loads with its full graph: they keep a few bytes
/// per node, and most of the final snapshot's analysis leaves a core free. `progress` counts
/// all three files.
pub fn find_leaks_in_files(
    baseline: &Path,
    target: &Path,
    last: &Path,
    progress: &Progress,
) -> Result<LeakReport> {
    // A missing baseline or target is reported before the final snapshot is loaded.
    check_inputs(&[baseline, target, last])?;
    let (new, last) = side_by_side(
        || {
            let counter = Some(progress.bytes_counter());
            let baseline = BaselineIds::read(baseline, counter)?;
            NewObjects::read_target(target, &baseline, counter)
        },
        || AnalysedSnapshot::load_for_paths(last, progress),
    )?;
    find_leaks(&new, &last)
}

/// Leak isolation that also returns the per-class diff from baseline to final, which needs the
/// baseline's light snapshot: baseline and target are read first, side by side, then the final
/// one.
pub fn find_leaks_with_class_diff(
    baseline: &Path,
    target: &Path,
    last: &Path,
    progress: &Progress,
) -> Result<(LeakReport, Vec<ClassDiff>)> {
    check_inputs(&[baseline, target, last])?;
    let (baseline, target) = side_by_side(
        || light_snapshot(baseline, progress),
        || object_ids(target, progress),
    )?;
    let new = NewObjects::between(&ObjectIds::from_view(&baseline.view())?, &target)?;
    drop(target);
    let last = AnalysedSnapshot::load(last, progress)?;
    let report = find_leaks(&new, &last)?;
    let diff = diff_snapshots(&baseline.view(), &last.graph.view());
    Ok((report, diff))
}

/// Runs `first` on a second thread and `second` on this one. When both fail, `first`'s error
/// is the one reported; a panic on the second thread carries on on this one.
fn side_by_side<A: Send, B>(
    first: impl FnOnce() -> Result<A> + Send,
    second: impl FnOnce() -> Result<B>,
) -> Result<(A, B)> {
    let (second, first) = crate::parallel::join(second, first);
    Ok((first?, second?))
}

/// Baseline, target and both sides of a diff need node columns and class names only.
fn light_parse(path: &Path, progress: &Progress) -> Result<RawSnapshot> {
    parse_file_with_progress(
        path,
        ParseOptions::light_skipping(),
        progress.bytes_counter(),
    )
}

fn light_snapshot(path: &Path, progress: &Progress) -> Result<LightSnapshot> {
    light_parse(path, progress)
        .and_then(LightSnapshot::from_raw)
        .map_err(|e| e.with_path(path))
}

fn object_ids(path: &Path, progress: &Progress) -> Result<ObjectIds> {
    light_parse(path, progress)
        .and_then(ObjectIds::from_raw)
        .map_err(|e| e.with_path(path))
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
                    .map_err(|_| SnapshotError::Internal("never heard from the second".into()))
            },
            move || Ok(tx.send(7).is_ok()),
        )
        .unwrap();
        assert_eq!((heard, sent), (7, true));
    }
}
