//! One command line, run: parse, analyse, print.

use leakhound_core::report::text::printable;
use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use leakhound_core::internal_error;
use leakhound_core::report::text::Paint;

use crate::args::{self, Args, Command, Invocation, UsageError};
use crate::commands::{self, Output, ReportOptions};

/// Runs `argv` (without the program name) and gives the exit code: 0 done, 1 the command
/// failed, 2 a usage mistake. `root` is the package directory, where leakhound's own scripts
/// are (allocation stacks leave them out).
pub fn run(argv: &[String], root: Option<&Path>) -> i32 {
    let args = match args::parse(argv) {
        Ok(Invocation::Run(args)) => args,
        Ok(Invocation::Help(text)) => {
            print_all(&format!("{text}\n"));
            return 0;
        }
        Err(UsageError(message)) => {
            // Escaped: file names and keys from the input must not drive the terminal.
            let message = printable(&message);
            eprintln!("leakhound: {message}\nRun 'leakhound --help' for usage.");
            return 2;
        }
    };
    let paint = Paint {
        enabled: args.color.unwrap_or_else(|| {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }),
    };
    let what = match args.command {
        Command::Summary { .. } => "summary",
        Command::Diff { .. } => "diff",
        Command::Path { .. } => "path",
        Command::FindLeaks { .. } => "find-leaks",
        Command::Report { .. } => "report",
        Command::Snapshot { .. } => "snapshot",
        Command::Attach { .. } => "attach",
        Command::Alloc { .. } => "alloc",
        Command::Run { .. } => "run",
    };
    let result = catch_unwind(AssertUnwindSafe(|| output(&args, paint, root)))
        .unwrap_or_else(|payload| Err(internal_error(what, &*payload)));
    match result {
        Ok(out) => {
            print_all(&format!("{out}\n"));
            0
        }
        Err(message) => {
            eprintln!("leakhound: {}", printable(&message));
            1
        }
    }
}

/// Writes to stdout, quietly stopping when the reader has gone (`| head`).
fn print_all(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn output(args: &Args, paint: Paint, root: Option<&Path>) -> Output {
    match &args.command {
        Command::Summary { file } => commands::summary(args, paint, file),
        Command::Snapshot { process, output } => {
            commands::snapshot(args, process, output.as_deref())
        }
        Command::Attach {
            process,
            hunt,
            list_workers,
        } => commands::attach(args, paint, process, hunt, *list_workers, root),
        Command::Run {
            program,
            hunt,
            ready,
        } => commands::run(args, paint, program, hunt, ready, root),
        Command::Alloc {
            process,
            duration,
            window,
            interval,
            depth,
            outputs,
        } => commands::alloc(
            args,
            process,
            outputs,
            [
                Some(duration),
                window.as_ref(),
                interval.as_ref(),
                depth.as_ref(),
            ],
        ),
        Command::Diff { before, after } => commands::diff(args, paint, before, after),
        Command::Path { file, id } => commands::path(args, paint, file, *id),
        Command::FindLeaks {
            baseline,
            target,
            last,
        } => commands::find_leaks(args, paint, [baseline, target, last], root),
        Command::Report {
            baseline,
            target,
            last,
            html,
            timeline,
            title,
        } => commands::report(
            args,
            paint,
            [baseline, target, last],
            &ReportOptions {
                html,
                timeline: timeline.as_deref(),
                title: title.as_deref(),
            },
        ),
    }
}
