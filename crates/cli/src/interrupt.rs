//! Ctrl-C during work on a running process: the first SIGINT (or SIGTERM) asks the work to
//! stop at its next step, so the session is ended, the inspector closed and no partial file
//! left; a second one ends leakhound at once, as usual.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

use leakhound_inspector::target::SIGTERM;

const SIGINT: i32 = 2;
const SIG_DFL: usize = 0;

#[cfg(unix)]
unsafe extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
}

#[cfg(unix)]
extern "C" fn on_signal(signum: i32) {
    REQUESTED.store(true, Ordering::SeqCst);
    // SAFETY: signal(2) is async-signal-safe; the next one of this kind has its default effect.
    unsafe { signal(signum, SIG_DFL) };
}

/// From now on, SIGINT and SIGTERM ask the work to stop instead of ending the process.
pub fn install() {
    #[cfg(unix)]
    for signum in [SIGINT, SIGTERM] {
        // SAFETY: the handler only stores to an atomic and resets the disposition.
        unsafe { signal(signum, on_signal as extern "C" fn(i32) as usize) };
    }
}

/// Whether the work has been asked to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The error of work that stopped because it was asked to.
pub const MESSAGE: &str = "interrupted";
