//! Two pieces of work on two cores where a second thread can be had, one after the other where
//! it cannot: under an address-space cap the kernel refuses a new thread's stack, and that must
//! be a slower run, not a panic.

use parking_lot::Mutex;
use std::panic::resume_unwind;
use std::thread;

use crate::snapshot::read::budget::room_for_a_thread;

/// Runs `side` on a scoped thread of its own while `main` runs on this one; both here, `side`
/// first, if no thread can be started. A panic in `side` resumes here.
pub fn join<RA, RB: Send>(main: impl FnOnce() -> RA, side: impl FnOnce() -> RB + Send) -> (RA, RB) {
    let slot = Mutex::new(Some(side));
    // Borrows `slot` only, so it can be called from the thread or, if none starts, from here.
    let run_side = || slot.lock().take().map(|f| f());
    thread::scope(|s| {
        // A thread that starts but then cannot allocate would abort the process.
        let handle = room_for_a_thread()
            .then(|| thread::Builder::new().spawn_scoped(s, run_side).ok())
            .flatten();
        let side = match handle {
            Some(handle) => {
                let a = main();
                return match handle.join() {
                    Ok(Some(b)) => (a, b),
                    Ok(None) => unreachable!("the side work runs once, on the thread"),
                    Err(panic) => resume_unwind(panic),
                };
            }
            None => run_side(),
        };
        match side {
            Some(b) => (main(), b),
            None => unreachable!("the side work had not run: no thread started"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn both_results_come_back_in_order() {
        let data = [1, 2, 3];
        let (a, b) = join(|| data.iter().sum::<i32>(), || data.len());
        assert_eq!((a, b), (6, 3));
    }

    #[test]
    fn a_panic_on_the_side_resumes_here() {
        let r = std::panic::catch_unwind(|| join(|| 1, || -> i32 { panic!("side") }));
        assert!(r.is_err());
    }
}
