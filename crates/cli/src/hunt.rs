//! `leakhound attach <pid>`: the three-snapshot method on a running process that nobody
//! changed. A major GC and a baseline snapshot, a phase of load, a GC and a target snapshot, the
//! same phase again, a GC and the final snapshot, then the leak report. Baseline and target are
//! read for their object ids only and the final one is analysed as it streams in: no file is
//! written, and no snapshot is ever held as JSON text.

use std::io::{BufRead, IsTerminal, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use leakhound_core::snapshot::{
    AnalysedSnapshot, LeakOptions, LeakReport, NewObjects, ObjectIds, ParseOptions, Progress,
    SnapshotParser, find_leaks_with,
};
use leakhound_inspector::Session;

use crate::live::Live;

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
    fn run(&self, round: u32, say: &impl Fn(&str)) -> Result<(), String> {
        match self {
            Phase::Load(command) => {
                say(&format!("phase {round}: running {command}"));
                let status = Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .status()
                    .map_err(|e| format!("--load: cannot run sh: {e}"))?;
                if !status.success() {
                    return Err(format!("--load: `{command}` failed ({status})"));
                }
            }
            Phase::Wait(d) => {
                say(&format!("phase {round}: waiting {} s", d.as_secs_f64()));
                std::thread::sleep(*d);
            }
            Phase::Interactive => {
                say(&format!(
                    "phase {round}: exercise the process, then press Enter"
                ));
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("reading the terminal: {e}"))?;
            }
        }
        Ok(())
    }
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

/// Runs the hunt and returns the leak report; `say` tells a person what is happening.
pub fn hunt(live: &Live, phase: &Phase, say: &impl Fn(&str)) -> Result<LeakReport, String> {
    let at = |e: String| format!("{}: {e}", live.describe());
    let mut session = live.session()?;
    let started = Instant::now();
    let baseline = light_snapshot(&mut session, "baseline", say).map_err(at)?;
    phase.run(1, say)?;
    let target = light_snapshot(&mut session, "target", say).map_err(at)?;
    phase.run(2, say)?;
    let last = final_snapshot(&mut session, say).map_err(at)?;
    session.close();
    say(&format!(
        "three snapshots in {:.1} s; isolating what leaked",
        started.elapsed().as_secs_f64()
    ));
    let new = NewObjects::between(&baseline, &target).map_err(|e| e.to_string())?;
    find_leaks_with(&new, &last, &LeakOptions::default()).map_err(|e| e.to_string())
}

/// A major GC, then a snapshot streamed into `parser`; its size.
fn snapshot_into(
    session: &mut Session,
    parser: &mut SnapshotParser,
    name: &str,
    say: &impl Fn(&str),
) -> Result<(), String> {
    session.collect_garbage().map_err(|e| e.to_string())?;
    let mut failed = None;
    let streamed = session.take_heap_snapshot(|chunk| {
        parser.push(chunk).map_err(|e| {
            failed = Some(e.to_string());
            e.to_string()
        })
    });
    if let Some(message) = failed {
        return Err(format!("the {name} snapshot: {message}"));
    }
    let bytes = streamed.map_err(|e| e.to_string())?;
    say(&format!("{name} snapshot: {:.1} MB", bytes as f64 / 1e6));
    Ok(())
}

fn light_snapshot(
    session: &mut Session,
    name: &str,
    say: &impl Fn(&str),
) -> Result<ObjectIds, String> {
    let mut parser = SnapshotParser::with_options(ParseOptions::light());
    snapshot_into(session, &mut parser, name, say)?;
    parser
        .finish()
        .and_then(ObjectIds::from_raw)
        .map_err(|e| format!("the {name} snapshot: {e}"))
}

fn final_snapshot(session: &mut Session, say: &impl Fn(&str)) -> Result<AnalysedSnapshot, String> {
    let mut parser = SnapshotParser::new();
    snapshot_into(session, &mut parser, "final", say)?;
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
