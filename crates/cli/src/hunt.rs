//! `leakhound attach <pid>`: the three-snapshot method on a running process that nobody
//! changed. A major GC and a baseline snapshot, a phase of load, a GC and a target snapshot, the
//! same phase again, a GC and the final snapshot, then the leak report. Baseline and target are
//! read for their object ids only and the final one is analysed as it streams in: no file is
//! written, and no snapshot is ever held as JSON text.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use leakhound_core::snapshot::{
    AnalysedSnapshot, LeakOptions, LeakReport, NewObjects, ObjectIds, ParseOptions, Progress,
    SnapshotParser, find_leaks_with,
};
use leakhound_inspector::target::{SIGTERM, process_alive, signal_group};

use crate::interrupt;
use crate::live::{Connection, Live};
use crate::private_file::PrivateFile;

/// What runs between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// A command that drives the process (a curl loop, an HTTP benchmark), run to its end.
    Load(String),
    /// Live traffic for this long.
    Wait(Duration),
    /// Until Enter is pressed on the terminal.
    Interactive,
}

impl Phase {
    /// Runs the phase; a Ctrl-C or the end of the process `pid` ends it early, as an error.
    fn run(&self, round: u32, pid: Option<u32>, say: &impl Fn(&str)) -> Result<(), String> {
        let stop = stop_check(pid, format!("phase {round}"));
        match self {
            Phase::Load(command) => {
                say(&format!("phase {round}: running {command}"));
                let mut load = Command::new("sh");
                load.arg("-c").arg(command);
                #[cfg(unix)]
                {
                    // Its own group, so an interruption stops what the command started too.
                    use std::os::unix::process::CommandExt;
                    load.process_group(0);
                }
                let mut child = load
                    .spawn()
                    .map_err(|e| format!("--load: cannot run sh: {e}"))?;
                let status = loop {
                    if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                        break status;
                    }
                    if interrupt::requested() {
                        signal_group(child.id(), SIGTERM);
                        let _ = child.wait();
                        return Err(interrupt::MESSAGE.into());
                    }
                    std::thread::sleep(POLL);
                };
                stop()?;
                if !status.success() {
                    return Err(format!("--load: `{command}` failed ({status})"));
                }
            }
            Phase::Wait(d) => {
                say(&format!("phase {round}: waiting {} s", d.as_secs_f64()));
                wait(*d, &stop)?;
            }
            Phase::Interactive => {
                say(&format!(
                    "phase {round}: exercise the process, then press Enter"
                ));
                let (tx, rx) = mpsc::channel();
                // A thread reads the line, so a Ctrl-C need not wait for Enter; it ends with
                // leakhound.
                std::thread::spawn(move || {
                    let mut line = String::new();
                    let _ = tx.send(std::io::stdin().lock().read_line(&mut line));
                });
                loop {
                    match rx.recv_timeout(POLL) {
                        Ok(Ok(0)) => return Err("the terminal closed".into()),
                        Ok(Ok(_)) => break,
                        Ok(Err(e)) => return Err(format!("reading the terminal: {e}")),
                        Err(_) => stop()?,
                    }
                }
            }
        }
        stop()
    }
}

/// How often a phase looks for an interruption or the process's end.
const POLL: Duration = Duration::from_millis(100);

/// The check a wait makes: a Ctrl-C, or the end of process `pid` during `what`.
pub fn stop_check(pid: Option<u32>, what: String) -> impl Fn() -> Result<(), String> {
    move || {
        if interrupt::requested() {
            return Err(interrupt::MESSAGE.into());
        }
        match pid.filter(|&pid| !process_alive(pid)) {
            Some(pid) => Err(format!("process {pid} ended during {what}")),
            None => Ok(()),
        }
    }
}

/// Waits `d`, ending early with the error `stop` gives (looked at every `POLL`).
pub fn wait(d: Duration, stop: &impl Fn() -> Result<(), String>) -> Result<(), String> {
    let end = Instant::now() + d;
    while Instant::now() < end {
        stop()?;
        std::thread::sleep(POLL.min(end.saturating_duration_since(Instant::now())));
    }
    stop()
}

/// `60s`, `2m`, `500ms` or plain seconds.
pub fn duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// Runs the hunt and returns the leak report; `say` tells a person what is happening. With
/// `save`, the three snapshots are kept in that directory as well (each a [`PrivateFile`],
/// all three kept only when the hunt completes).
pub fn hunt(
    live: &Live,
    phase: &Phase,
    save: Option<&Path>,
    say: &impl Fn(&str),
) -> Result<LeakReport, String> {
    let mut files = match save {
        Some(dir) => {
            let stem = live.file_stem();
            let file = |name: &str| {
                PrivateFile::create(dir.join(format!("{stem}-{name}.heapsnapshot"))).map(Some)
            };
            [file("baseline")?, file("target")?, file("final")?]
        }
        None => [None, None, None],
    };
    let [baseline_file, target_file, final_file] = &mut files;
    // Dropped on every way out, which leaves the inspector as it was found.
    let mut connection = live.session()?;
    let started = Instant::now();
    let baseline = light_snapshot(&mut connection, "baseline", baseline_file, say)?;
    phase.run(1, live.pid(), say)?;
    let target = light_snapshot(&mut connection, "target", target_file, say)
        .map_err(|e| ended_in_phase(live, 1, e))?;
    // What is new is known now: the two id tables go before the final snapshot is parsed.
    let new = NewObjects::between(&baseline, &target).map_err(|e| e.to_string())?;
    drop((baseline, target));
    phase.run(2, live.pid(), say)?;
    let last =
        final_snapshot(&mut connection, final_file, say).map_err(|e| ended_in_phase(live, 2, e))?;
    drop(connection);
    say(&format!(
        "three snapshots in {:.1} s; isolating what leaked",
        started.elapsed().as_secs_f64()
    ));
    for file in files.into_iter().flatten() {
        say(&format!("saved {}", file.finish()?.display()));
    }
    find_leaks_with(&new, &last, &LeakOptions::default()).map_err(|e| e.to_string())
}

/// A snapshot after phase `n` that failed because the target is gone: the target ended as the
/// phase ended (a load command that stops it returns before the process has gone).
fn ended_in_phase(live: &Live, n: u32, error: String) -> String {
    match live.pid().filter(|&pid| !process_alive(pid)) {
        Some(pid) => format!("process {pid} ended during phase {n}"),
        None => error,
    }
}

/// A major GC, then a snapshot streamed into `parser` (and `file`).
fn snapshot_into(
    connection: &mut Connection,
    parser: &mut SnapshotParser,
    file: &mut Option<PrivateFile>,
    name: &str,
    say: &impl Fn(&str),
) -> Result<(), String> {
    say(&format!("{name} snapshot: collecting garbage"));
    connection.collect_garbage()?;
    let mut failed = None;
    let streamed = connection.snapshot(
        |chunk| {
            if let Some(file) = file.as_mut() {
                file.write(chunk)?;
            }
            parser.push(chunk).map_err(|e| {
                failed = Some(e.to_string());
                e.to_string()
            })
        },
        &|line| say(&format!("{name} snapshot: {line}")),
    );
    if let Some(message) = failed {
        return Err(format!("the {name} snapshot: {message}"));
    }
    let bytes = streamed?;
    say(&format!("{name} snapshot: {:.1} MB", bytes as f64 / 1e6));
    Ok(())
}

fn light_snapshot(
    connection: &mut Connection,
    name: &str,
    file: &mut Option<PrivateFile>,
    say: &impl Fn(&str),
) -> Result<ObjectIds, String> {
    let mut parser = SnapshotParser::with_options(ParseOptions::light());
    snapshot_into(connection, &mut parser, file, name, say)?;
    parser
        .finish()
        .and_then(ObjectIds::from_raw)
        .map_err(|e| format!("the {name} snapshot: {e}"))
}

fn final_snapshot(
    connection: &mut Connection,
    file: &mut Option<PrivateFile>,
    say: &impl Fn(&str),
) -> Result<AnalysedSnapshot, String> {
    let mut parser = SnapshotParser::new();
    snapshot_into(connection, &mut parser, file, "final", say)?;
    AnalysedSnapshot::from_parser_for_paths(parser, &Progress::default())
        .map_err(|e| format!("the final snapshot: {e}"))
}

/// Progress lines on stderr when it is a terminal, or when asked.
pub fn narrator(always: bool) -> impl Fn(&str) {
    let show = always || std::io::stderr().is_terminal();
    move |line: &str| {
        if show {
            let _ = writeln!(std::io::stderr(), "leakhound: {line}");
        }
    }
}

/// The phase the options ask for; interactive only on a terminal.
pub fn phase(load: Option<String>, wait: Option<String>) -> Result<Phase, String> {
    match (load, wait) {
        (Some(_), Some(_)) => Err("give --load or --duration, not both".into()),
        (Some(command), None) => Ok(Phase::Load(command)),
        (None, Some(text)) => duration(&text).map(Phase::Wait).ok_or_else(|| {
            format!("--duration needs a time such as 60s, 2m or 500ms, got {text:?}")
        }),
        (None, None) if std::io::stdin().is_terminal() => Ok(Phase::Interactive),
        (None, None) => Err(
            "give --load \"<command>\" or --duration <time> (Enter ends a phase only on a terminal)"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn durations_people_write() {
        assert_eq!(duration("60s"), Some(Duration::from_secs(60)));
        assert_eq!(duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(duration("1.5"), Some(Duration::from_millis(1500)));
        for bad in ["", "s", "-1s", "0s", "10 parsecs", "1e999"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }
}
