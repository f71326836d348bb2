//! One command line, run: parse, analyse, print.

use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};

use crate::args::{self, Args, Command};
use crate::commands::{self, Output};
use leakhound_core::internal_error;
use leakhound_core::report::text::Paint;

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
    let result = catch_unwind(AssertUnwindSafe(|| output(&args, paint, root)))
        .unwrap_or_else(|payload| Err(internal_error(what, &*payload)));
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

fn output(args: &Args, paint: Paint, root: Option<&Path>) -> Output {
    match &args.command {
        Command::Summary { file } => commands::summary(args, paint, file),
        Command::Diff { before, after } => commands::diff(args, paint, before, after),
        Command::Path { file, id } => commands::path(args, paint, file, *id),
        Command::FindLeaks {
            baseline,
            target,
            last,
        } => commands::find_leaks(args, paint, [baseline, target, last], root),
    }
}

/// An absolute path with `.` and `..` resolved, as Node's `path.resolve` gives (file errors
/// name the file this way in both tools).
pub fn resolve(p: &str) -> PathBuf {
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
