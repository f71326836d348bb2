//! A progress bar on stderr while snapshots load, drawn only on a terminal (as the JavaScript
//! tool draws it).

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::Duration;

use leakhound_core::report::text::{Paint, bytes};
use leakhound_core::snapshot::{Phase, Progress};

const WIDTH: usize = 28;
const EVERY: Duration = Duration::from_millis(100);

/// Runs `work` with a bar showing the bytes `progress` has counted of `files`, and clears it.
pub fn with_progress<T>(
    files: &[&str],
    paint: Paint,
    progress: &Progress,
    work: impl FnOnce() -> T,
) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let size: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let label = match files {
        [one] => one.to_string(),
        _ => format!("{} snapshots", files.len()),
    };
    // Drawn at once, before any byte is read, so even a load done before the first tick shows
    // what it was doing.
    draw(&label, size, progress, paint);
    let (stop, stopped) = mpsc::channel::<()>();
    let result = std::thread::scope(|s| {
        let label = &label;
        // Where no thread can be started (a memory cap), the work runs without the bar.
        if leakhound_core::snapshot::room_for_a_thread() {
            let _drawer = std::thread::Builder::new().spawn_scoped(s, move || {
                while stopped.recv_timeout(EVERY) == Err(mpsc::RecvTimeoutError::Timeout) {
                    draw(label, size, progress, paint);
                }
            });
        }
        let result = work();
        let _ = stop.send(());
        result
    });
    eprint!("\r\x1b[K");
    result
}

fn draw(label: &str, size: u64, progress: &Progress, paint: Paint) {
    let done = progress.bytes();
    let line = if size > 0 && done < size {
        let share = done as f64 / size as f64;
        let filled = (share * WIDTH as f64).round() as usize;
        let bar = format!("{}{}", "█".repeat(filled), "░".repeat(WIDTH - filled));
        format!(
            "{label} {} {:>3}%  {} / {}",
            paint.cyan(&bar),
            (share * 100.0).floor() as u64,
            bytes(done.into()),
            bytes(size.into())
        )
    } else {
        let phase = match progress.phase() {
            Phase::Graph => "building the graph",
            Phase::Analysis => "computing retained sizes",
            Phase::Done => "finishing",
            _ => "parsing",
        };
        format!("{label}: {phase}…")
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[K{line}");
    let _ = err.flush();
}
