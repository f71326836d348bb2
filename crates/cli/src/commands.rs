//! The commands: each analyses, then prints text, or JSON with `--json`.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use leakhound_core::report::html::{Page, ReportFiles, render_html};
use leakhound_core::report::records::{
    ClassDeltaRecord, ClassSummaryRecord, LeakReportRecord, leak_report_record, path_records,
};
use leakhound_core::report::text::{Column, Paint, bytes, count, signed, table};
use leakhound_core::report::{OwnCode, leak_report_text, path_text};
use leakhound_core::snapshot::{
    AnalysedSnapshot, Progress, SnapshotError, diff_files, find_leaks_in_files,
    find_leaks_with_class_diff,
};

use leakhound_inspector::session::WorkerInfo;

use crate::args::{AllocOutputs, Args, HuntOptions, Ready};
use crate::live::{Live, LiveOptions, live_target};
use crate::private_file::write_private;
use crate::progress::with_progress;
use crate::run;
use crate::timeline::timeline_svg;
use crate::{alloc, hunt, interrupt};

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
    let snap = match live_target(file) {
        Some(process) => {
            interrupt::install();
            let live = Live {
                process,
                options: args.live.clone(),
            };
            live.analysed(&hunt::narrator(args.progress))?
        }
        None => {
            if args.live != LiveOptions::default() {
                return Err(format!(
                    "{file} is a file: --worker and --force are for a running process"
                ));
            }
            load(file, paint)?
        }
    };
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
        Column::right("Buffers", |r| match r.buffer_size {
            0 => String::new(),
            b => bytes(b.into()),
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

/// One snapshot of a running process, written to a file.
pub fn snapshot(args: &Args, process: &str, output: Option<&str>) -> Output {
    let live = Live::named(process, &args.live)?;
    interrupt::install();
    let (path, bytes_written) = live.write(output, &hunt::narrator(args.progress))?;
    if args.json {
        return as_json(&serde_json::json!({ "path": path, "bytes": bytes_written }));
    }
    Ok(format!(
        "wrote {} ({})",
        path.display(),
        bytes(bytes_written.into())
    ))
}

/// The three-snapshot hunt on a running process: the report as find-leaks prints it, and with
/// `--html`, the HTML page too. With `--list-workers`, the process's worker threads instead.
pub fn attach(
    args: &Args,
    paint: Paint,
    process: &str,
    options: &HuntOptions,
    list_workers: bool,
    root: Option<&Path>,
) -> Output {
    let live = Live::named(process, &args.live)?;
    interrupt::install();
    if list_workers {
        return workers(args, &live);
    }
    let phase = hunt::phase(options.load.clone(), options.duration.clone())?;
    let say = hunt::narrator(args.progress);
    let report = hunt::hunt(&live, &phase, options.save.as_deref().map(Path::new), &say)?;
    hunt_output(args, paint, &live, report, options.html.as_deref(), root)
}

fn workers(args: &Args, live: &Live) -> Output {
    let workers = live.workers()?;
    if args.json {
        return as_json(&workers);
    }
    if workers.is_empty() {
        return Ok(format!("{} has no worker threads", live.describe()));
    }
    let columns = [
        Column::right("Worker", |w: &WorkerInfo| w.worker_id.clone()),
        Column::left("Title", |w| w.title.clone()),
        Column::left("URL", |w| w.url.clone()),
    ];
    Ok(table(&workers, &columns))
}

/// The program started with its inspector on a free loopback port, hunted once it is ready,
/// then stopped.
pub fn run(
    args: &Args,
    paint: Paint,
    program: &[String],
    options: &HuntOptions,
    ready: &Ready,
    root: Option<&Path>,
) -> Output {
    let phase = hunt::phase(options.load.clone(), options.duration.clone())?;
    let say = hunt::narrator(args.progress);
    interrupt::install();
    let started = run::Started::start(program, ready, &say)?;
    let live = Live {
        process: started.process(),
        options: args.live.clone(),
    };
    let hunted = hunt::hunt(&live, &phase, options.save.as_deref().map(Path::new), &say);
    started.stop(&say);
    hunt_output(args, paint, &live, hunted?, options.html.as_deref(), root)
}

/// Where a running process allocates what it keeps: the allocation sites whose live bytes grow.
pub fn alloc(
    args: &Args,
    process: &str,
    outputs: &AllocOutputs,
    [duration, window, interval, depth]: [Option<&String>; 4],
) -> Output {
    let live = Live::named(process, &args.live)?;
    let time = |option: &str, text: Option<&String>, default: Duration| match text {
        None => Ok(default),
        Some(text) => hunt::duration(text).ok_or_else(|| {
            format!("--{option} needs a time such as 120s, 2m or 500ms, got {text:?}")
        }),
    };
    let whole = |option: &str,
                 text: Option<&String>,
                 default: u64,
                 range: std::ops::RangeInclusive<u64>| match text {
        None => Ok(default),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "--{option} needs a whole number from {} to {}, got {text:?}",
                    range.start(),
                    range.end()
                )
            }),
    };
    let opts = alloc::AllocOptions {
        duration: time("duration", duration, Duration::ZERO)?,
        window: time("window", window, alloc::DEFAULT_WINDOW)?,
        interval: whole(
            "interval",
            interval,
            alloc::DEFAULT_INTERVAL,
            1024..=(64 << 20),
        )?,
        depth: whole("depth", depth, alloc::DEFAULT_DEPTH as u64, 1..=64)? as usize,
    };
    interrupt::install();
    let (report, watch) = alloc::watch(&live, &opts, &hunt::narrator(args.progress))?;
    alloc::write_outputs(&report, &watch, outputs, &live.describe())?;
    if args.json {
        return as_json(&report);
    }
    let mut out = format!(
        "{} growing allocation site{} in {:.0} s ({} profiles, a sample every {} on average, {} sites)",
        report.growing_sites.len(),
        if report.growing_sites.len() == 1 {
            ""
        } else {
            "s"
        },
        report.seconds,
        report.profiles,
        bytes(report.sampling_interval.into()),
        report.sites
    );
    for site in report.growing_sites.iter().take(args.top.unwrap_or(25)) {
        out.push_str(&format!(
            "\n\n+{}/s, {} live now (confidence {:.3})\n  {}",
            bytes((site.slope_bytes_per_sec.max(0.0) as u64).into()),
            bytes((site.live_bytes.max(0.0) as u64).into()),
            site.confidence,
            site.stack.join("\n  ")
        ));
    }
    Ok(out)
}

fn hunt_output(
    args: &Args,
    paint: Paint,
    live: &Live,
    report: leakhound_core::snapshot::LeakReport,
    html: Option<&str>,
    root: Option<&Path>,
) -> Output {
    let report = leak_report_record(report, None);
    if let Some(out) = html {
        let page = Page {
            title: format!("leakhound: {}", live.describe()),
            files: None,
            base_dir: std::env::current_dir()
                .ok()
                .map(|d| d.to_string_lossy().into_owned()),
            timeline_svg: None,
            iterations: None,
            allocations: None,
        };
        write_private(out, render_html(&report, &page).as_bytes())
            .map_err(|e| format!("cannot write {out}: {e}"))?;
    }
    leak_output(args, paint, report, root)
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
        .ok_or_else(|| format!("no object with id {id} in this snapshot"))?
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
        find_leaks_in_files(&b, &t, &l, &progress)
    })
    .map_err(fail)?;
    leak_output(args, paint, leak_report_record(report, None), root)
}

/// A leak report as find-leaks prints it: JSON, or the groups as text.
pub fn leak_output(
    args: &Args,
    paint: Paint,
    mut report: LeakReportRecord,
    root: Option<&Path>,
) -> Output {
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

/// The report's options besides the three snapshots.
pub struct ReportOptions<'a> {
    pub html: &'a str,
    pub timeline: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// find-leaks with the per-class diff, written as one self-contained HTML file.
pub fn report(
    args: &Args,
    paint: Paint,
    [baseline, target, last]: [&str; 3],
    options: &ReportOptions,
) -> Output {
    let out = options.html;
    refuse_to_overwrite(
        out,
        &[
            ("baseline snapshot", Some(baseline)),
            ("target snapshot", Some(target)),
            ("final snapshot", Some(last)),
            ("timeline", options.timeline),
        ],
    )?;
    // The timeline is checked before the long analysis.
    let svg = options.timeline.map(timeline_svg).transpose()?.flatten();
    let progress = Progress::default();
    let (report, diff) = with_progress(&[baseline, target, last], paint, &progress, || {
        let [b, t, l] = [baseline, target, last].map(resolve);
        find_leaks_with_class_diff(&b, &t, &l, &progress)
    })
    .map_err(fail)?;
    let mut report = leak_report_record(report, Some(diff));
    if let Some(top) = args.top {
        report.leaks.truncate(top);
        report.collections.truncate(top);
        if let Some(diff) = report.class_diff.as_mut() {
            diff.truncate(top);
        }
    }
    let page = Page {
        title: options.title.unwrap_or("leakhound leak report").to_string(),
        files: Some(ReportFiles {
            baseline: Some(baseline.into()),
            target: Some(target.into()),
            last: Some(last.into()),
        }),
        base_dir: std::env::current_dir()
            .ok()
            .map(|d| d.to_string_lossy().into_owned()),
        timeline_svg: svg,
        iterations: None,
        allocations: None,
    };
    let html = render_html(&report, &page);
    write_private(out, html.as_bytes()).map_err(|e| format!("cannot write {out}: {e}"))?;
    let n = report.leaks.len();
    if args.json {
        return as_json(&serde_json::json!({
            "html": resolve(out),
            "bytes": html.len(),
            "leakGroups": n,
            "leakedObjects": report.leaked_objects,
        }));
    }
    let verdict = if n == 0 {
        paint.green("no leaks")
    } else {
        format!(
            "{} leaked objects in {} group{}",
            count(report.leaked_objects.into()),
            count(n as i128),
            if n == 1 { "" } else { "s" }
        )
    };
    Ok(format!(
        "Wrote {out} ({}): {verdict}",
        bytes(html.len() as i128)
    ))
}

/// The report must not replace one of its own inputs, under whatever name (a hard link, a
/// symbolic link, another relative path).
fn refuse_to_overwrite(out: &str, inputs: &[(&str, Option<&str>)]) -> Result<(), String> {
    let Ok(target) = std::fs::metadata(out) else {
        return Ok(());
    };
    for (what, file) in inputs {
        let Some(file) = file else { continue };
        if let Ok(input) = std::fs::metadata(file)
            && same_file(&target, &input, out, file)
        {
            return Err(format!(
                "--html {out} is the {what}; refusing to overwrite an input"
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata, _: &str, _: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata, a: &str, b: &str) -> bool {
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(a), Ok(b)) if a == b
    )
}

/// An absolute path with `.` and `..` resolved, as Node's `path.resolve` gives (file errors
/// name the file this way, as the addon's do).
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
