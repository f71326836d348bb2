//! The four commands the native tool runs, each printing what its JavaScript twin in
//! `bin/leakhound.js` prints.

use std::path::Path;

use leakhound_core::report::records::{
    ClassDeltaRecord, ClassSummaryRecord, leak_report_record, path_records,
};
use leakhound_core::report::text::{Column, Paint, bytes, count, signed, table};
use leakhound_core::report::{OwnCode, leak_report_text, path_text};
use leakhound_core::snapshot::{AnalysedSnapshot, Progress, SnapshotError, diff_files, files};

use crate::args::Args;
use crate::cli::resolve;
use crate::progress::with_progress;

/// What to print, or the error message.
pub type Output = Result<String, String>;

fn fail(e: SnapshotError) -> String {
    e.to_string()
}

fn as_json(value: &impl serde::Serialize) -> Output {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
}

fn load(file: &str, paint: Paint) -> Result<AnalysedSnapshot, String> {
    let progress = Progress::default();
    with_progress(&[file], paint, &progress, || {
        AnalysedSnapshot::load(&resolve(file), &progress)
    })
    .map_err(fail)
}

pub fn summary(args: &Args, paint: Paint, file: &str) -> Output {
    let snap = load(file, paint)?;
    let top = args.top.or(if args.json { None } else { Some(25) });
    let rows: Vec<ClassSummaryRecord> = snap.summary(top).into_iter().map(Into::into).collect();
    if args.json {
        return as_json(&rows);
    }
    let header = format!(
        "{file}: {} objects, {} references, {}",
        count(snap.graph.node_count() as i128),
        count(snap.graph.edge_count() as i128),
        bytes(snap.total_size().into())
    );
    let columns = [
        Column::right("Retained", |r: &ClassSummaryRecord| {
            bytes(r.retained_size.into())
        }),
        Column::right("Self", |r| bytes(r.self_size.into())),
        Column::right("Count", |r| count(r.count.into())),
        Column::left("Type", |r| r.node_type.clone()),
        Column::left("Class", summary_class),
    ];
    Ok(format!(
        "{}\n{}",
        paint.bold(&header),
        table(&rows, &columns)
    ))
}

pub fn diff(args: &Args, paint: Paint, before: &str, after: &str) -> Output {
    let progress = Progress::default();
    let all = with_progress(&[before, after], paint, &progress, || {
        diff_files(&resolve(before), &resolve(after), &progress)
    })
    .map_err(fail)?;
    let shown = args.top.unwrap_or(if args.json { all.len() } else { 25 });
    let rows: Vec<ClassDeltaRecord> = all.into_iter().take(shown).map(Into::into).collect();
    if args.json {
        return as_json(&rows);
    }
    let columns = [
        Column::right("Size Δ", |r: &ClassDeltaRecord| {
            signed(r.size_delta.into(), bytes)
        }),
        Column::right("Count Δ", |r| signed(r.count_delta.into(), count)),
        Column::right("New", |r| count(r.added_count.into())),
        Column::right("Freed", |r| count(r.removed_count.into())),
        Column::right("After", |r| bytes(r.size_after.into())),
        Column::left("Type", |r| r.node_type.clone()),
        Column::left("Class", |r| r.name.clone()),
    ];
    Ok(table(&rows, &columns))
}

pub fn path(args: &Args, paint: Paint, file: &str, id: u32) -> Output {
    let snap = load(file, paint)?;
    let steps = snap
        .retainer_path_by_id(id)
        .ok_or_else(|| format!("retainerPath(): no object with id {id} in this snapshot"))?
        .map(path_records);
    if args.json {
        return as_json(&steps);
    }
    Ok(match steps {
        None => format!("@{id} is not reachable from any GC root (it would be collected)"),
        Some(steps) => path_text(&steps, paint, ""),
    })
}

/// `root` is the package directory: allocation stacks leave out leakhound's own scripts.
pub fn find_leaks(
    args: &Args,
    paint: Paint,
    [baseline, target, last]: [&str; 3],
    root: Option<&Path>,
) -> Output {
    let progress = Progress::default();
    let report = with_progress(&[baseline, target, last], paint, &progress, || {
        let [b, t, l] = [baseline, target, last].map(resolve);
        files::find_leaks_in_files(&b, &t, &l, &progress)
    })
    .map_err(fail)?;
    let mut report = leak_report_record(report, None);
    if args.json {
        if let Some(top) = args.top {
            report.leaks.truncate(top);
            report.collections.truncate(top);
        }
        return as_json(&report);
    }
    if report.leaks.is_empty() {
        return Ok(paint.green(&no_leaks_text(report.surviving_objects)));
    }
    let n = report.leaks.len();
    let head = format!(
        "{} leaked objects in {} group{}",
        count(report.leaked_objects.into()),
        count(n as i128),
        if n == 1 { "" } else { "s" }
    );
    let top = args.top.unwrap_or(10);
    let text = leak_report_text(&report, paint, top, &OwnCode::at(root));
    Ok(format!("{}\n\n{text}", paint.bold(&head)))
}

/// A summary row's class: closures by function, `onConfig() app.js:44:39`.
fn summary_class(r: &ClassSummaryRecord) -> String {
    match &r.function_name {
        Some(name) => {
            let name = if name.is_empty() { "(anonymous)" } else { name };
            let at = r.location.as_ref().map_or(String::new(), |l| {
                format!(" {}:{}:{}", l.script, l.line, l.column)
            });
            format!("{name}(){at}")
        }
        None => r.name.clone(),
    }
}

/// The verdict when no group is reported, saying what was left out rather than claiming that
/// nothing survived.
fn no_leaks_text(surviving: u64) -> String {
    if surviving == 0 {
        "No leaks: nothing allocated between baseline and target survives in final.".into()
    } else {
        format!(
            "No leaks: {} objects allocated between baseline and target survive in final, none of \
             them the program's own (engine internals: compiled code, hidden classes, system objects).",
            count(surviving.into())
        )
    }
}
