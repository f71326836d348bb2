//! The native command-line tool: `summary`, `diff`, `path` and `find-leaks` without starting
//! Node, so a run costs the analysis alone (a Node process is ~40 MiB and ~70 ms before any
//! work). Output matches the JavaScript tool byte for byte; every other command, help and
//! usage error is handed to it.

mod args;
mod json;
mod progress;
mod report_text;
mod text;

use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};

use args::{Args, Command};
use report_text::{OwnCode, leak_report_text, path_text};
use text::{Column, Paint, bytes, count, signed, table};

use crate::binding::records::{
    ClassDeltaRecord, ClassSummaryRecord, leak_report_record, path_records,
};
use crate::snapshot::{AnalysedSnapshot, Progress, SnapshotError, diff_files, files};

/// What became of a command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Printed what was asked for (or an error, then the exit code is 1).
    Exit(i32),
    /// The JavaScript tool should run these arguments.
    Delegate,
}

/// Runs `argv` (without the program name). `root` is the package directory, where
/// leakhound's own scripts are (allocation stacks leave them out).
pub fn run(argv: &[String], root: Option<&Path>) -> Outcome {
    let Some(args) = args::parse(argv) else {
        return Outcome::Delegate;
    };
    let paint = Paint {
        enabled: args.color.unwrap_or_else(|| {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }),
    };
    let what = match args.command {
        Command::Summary { .. } => "loadSnapshot",
        Command::Diff { .. } => "diffSnapshots",
        Command::Path { .. } => "HeapSnapshot.retainerPath",
        Command::FindLeaks { .. } => "findLeaks",
    };
    let result =
        catch_unwind(AssertUnwindSafe(|| output(&args, paint, root))).unwrap_or_else(|panic| {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("leakhound internal error in {what}: {detail}"))
        });
    match result {
        Ok(out) => {
            print_all(&format!("{out}\n"));
            Outcome::Exit(0)
        }
        Err(message) => {
            eprintln!("leakhound: {message}");
            Outcome::Exit(1)
        }
    }
}

/// Writes to stdout, quietly stopping when the reader has gone (`| head`).
fn print_all(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

type Output = Result<String, String>;

fn output(args: &Args, paint: Paint, root: Option<&Path>) -> Output {
    let progress = Progress::default();
    let fail = |e: SnapshotError| e.to_string();
    let json = |v: &dyn erased::Json| v.to_json().map_err(|e| e.to_string());
    match &args.command {
        Command::Summary { file } => {
            let snap = progress::with_progress(&[file], paint, &progress, || {
                AnalysedSnapshot::load(&resolve(file), &progress)
            })
            .map_err(fail)?;
            let top = args.top.or(if args.json { None } else { Some(25) });
            let rows: Vec<ClassSummaryRecord> =
                snap.summary(top).into_iter().map(Into::into).collect();
            if args.json {
                return json(&rows);
            }
            let header = format!(
                "{file}: {} objects, {} references, {}",
                count(snap.graph.node_count() as f64),
                count(snap.graph.edge_count() as f64),
                bytes(snap.total_size() as f64)
            );
            Ok(format!(
                "{}\n{}",
                paint.bold(&header),
                table(
                    &rows,
                    &[
                        Column {
                            title: "Retained",
                            text: &|r: &ClassSummaryRecord| bytes(r.retained_size),
                            left: false
                        },
                        Column {
                            title: "Self",
                            text: &|r: &ClassSummaryRecord| bytes(r.self_size),
                            left: false
                        },
                        Column {
                            title: "Count",
                            text: &|r: &ClassSummaryRecord| count(r.count),
                            left: false
                        },
                        Column {
                            title: "Type",
                            text: &|r: &ClassSummaryRecord| r.node_type.clone(),
                            left: true
                        },
                        Column {
                            title: "Class",
                            text: &|r: &ClassSummaryRecord| r.name.clone(),
                            left: true
                        },
                    ]
                )
            ))
        }
        Command::Diff { before, after } => {
            let all = progress::with_progress(&[before, after], paint, &progress, || {
                diff_files(&resolve(before), &resolve(after), &progress)
            })
            .map_err(fail)?;
            let shown = args.top.unwrap_or(if args.json { all.len() } else { 25 });
            let rows: Vec<ClassDeltaRecord> = all.into_iter().take(shown).map(Into::into).collect();
            if args.json {
                return json(&rows);
            }
            Ok(table(
                &rows,
                &[
                    Column {
                        title: "Size Δ",
                        text: &|r: &ClassDeltaRecord| signed(r.size_delta, bytes),
                        left: false,
                    },
                    Column {
                        title: "Count Δ",
                        text: &|r: &ClassDeltaRecord| signed(r.count_delta, count),
                        left: false,
                    },
                    Column {
                        title: "New",
                        text: &|r: &ClassDeltaRecord| count(r.added_count),
                        left: false,
                    },
                    Column {
                        title: "Freed",
                        text: &|r: &ClassDeltaRecord| count(r.removed_count),
                        left: false,
                    },
                    Column {
                        title: "After",
                        text: &|r: &ClassDeltaRecord| bytes(r.size_after),
                        left: false,
                    },
                    Column {
                        title: "Type",
                        text: &|r: &ClassDeltaRecord| r.node_type.clone(),
                        left: true,
                    },
                    Column {
                        title: "Class",
                        text: &|r: &ClassDeltaRecord| r.name.clone(),
                        left: true,
                    },
                ],
            ))
        }
        Command::Path { file, id } => {
            let snap = progress::with_progress(&[file], paint, &progress, || {
                AnalysedSnapshot::load(&resolve(file), &progress)
            })
            .map_err(fail)?;
            let steps = snap
                .retainer_path_by_id(*id)
                .ok_or_else(|| format!("retainerPath(): no object with id {id} in this snapshot"))?
                .map(path_records);
            if args.json {
                return json(&steps);
            }
            Ok(match steps {
                None => format!("@{id} is not reachable from any GC root (it would be collected)"),
                Some(steps) => path_text(&steps, paint, ""),
            })
        }
        Command::FindLeaks {
            baseline,
            target,
            last,
        } => {
            let report =
                progress::with_progress(&[baseline, target, last], paint, &progress, || {
                    files::find_leaks_in_files(
                        &resolve(baseline),
                        &resolve(target),
                        &resolve(last),
                        &progress,
                    )
                })
                .map_err(fail)?;
            let mut report = leak_report_record(report, None);
            if args.json {
                if let Some(top) = args.top {
                    report.leaks.truncate(top);
                    report.collections.truncate(top);
                }
                return json(&report);
            }
            if report.leaks.is_empty() {
                return Ok(paint.green(
                    "No leaks: nothing allocated between baseline and target survives in final.",
                ));
            }
            let n = report.leaks.len();
            let head = format!(
                "{} leaked objects in {} group{}",
                count(report.leaked_objects),
                count(n as f64),
                if n == 1 { "" } else { "s" }
            );
            let own_code = OwnCode::at(root);
            Ok(format!(
                "{}\n\n{}",
                paint.bold(&head),
                leak_report_text(&report, paint, args.top.unwrap_or(10), &own_code)
            ))
        }
    }
}

/// Serializing any record list or report, behind one signature.
mod erased {
    pub trait Json {
        fn to_json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Result<String> {
            super::json::to_js_json(self)
        }
    }
}

/// An absolute path with `.` and `..` resolved, as Node's `path.resolve` gives (file errors
/// name the file this way in both tools).
fn resolve(p: &str) -> PathBuf {
    let joined = std::env::current_dir().unwrap_or_default().join(p);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
