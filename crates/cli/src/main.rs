//! `leakhound`, the command-line tool: `summary`, `diff`, `path` and `find-leaks` without
//! starting Node, so a run costs the analysis alone (a Node process is ~40 MiB and ~70 ms
//! before any work). Installed as `bin/leakhound-native` beside the JavaScript tool, which it
//! hands what it does not run itself.

mod args;
mod cli;
mod commands;
mod progress;

use std::path::PathBuf;
use std::process::Command;

use cli::{Outcome, run};

fn main() {
    let argv: Option<Vec<String>> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect();
    // bin/leakhound-native: the package is one directory up.
    let bin_dir: Option<PathBuf> = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Into::into));
    let root = bin_dir.as_deref().and_then(|d| d.parent());
    // A batch process: big tables freed are given back at once.
    leakhound_core::allocator::use_mmap_for_large_allocations();
    let outcome = match &argv {
        Some(argv) => run(argv, root),
        None => Outcome::Delegate,
    };
    match outcome {
        Outcome::Exit(code) => std::process::exit(code),
        Outcome::Delegate => {
            let script = bin_dir.unwrap_or_default().join("leakhound.js");
            let mut node = Command::new("node");
            node.arg(script).args(std::env::args_os().skip(1));
            std::process::exit(hand_over(node));
        }
    }
}

/// Replaces this process with `command` (or, where that cannot be done, runs it and returns its
/// exit code).
fn hand_over(mut command: Command) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = command.exec();
        eprintln!("leakhound: cannot run node: {err}");
        1
    }
    #[cfg(not(unix))]
    {
        match command.status() {
            Ok(status) => status.code().unwrap_or(1),
            Err(err) => {
                eprintln!("leakhound: cannot run node: {err}");
                1
            }
        }
    }
}
