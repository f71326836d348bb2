//! `leakhound`, the command-line tool: `summary`, `diff`, `path`, `find-leaks` and `report`
//! without starting Node, so a run costs the analysis alone (a Node process is ~40 MiB and
//! ~70 ms before any work). npm installs it as `bin/leakhound-native`, which the `leakhound`
//! command (`bin/leakhound.js`) runs.

mod alloc;
mod args;
mod cli;
mod commands;
mod headroom;
mod help;
mod hunt;
mod interrupt;
mod live;
mod private_file;
mod progress;
mod run;
mod timeline;

use std::path::PathBuf;

fn main() {
    // Under an address-space cap too small for any analysis, say so before an allocation that
    // cannot fail gracefully does (the message is written without allocating).
    if !leakhound_core::snapshot::room_to_work() {
        use std::io::Write;
        let _ =
            std::io::stderr().write_all(b"leakhound: out of memory: not even 2 MiB can be had\n");
        std::process::exit(1);
    }
    // Arguments that are not Unicode are kept as far as they go: file names are the only
    // operands, and the file error names what was given.
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // bin/leakhound-native: the package is one directory up.
    let root: Option<PathBuf> = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(Into::into));
    // A batch process: big tables freed are given back at once.
    leakhound_core::allocator::use_mmap_for_large_allocations();
    std::process::exit(cli::run(&argv, root.as_deref()));
}
