//! A process-wide lock for JavaScript sections that must not interleave across worker threads.
//! V8 flags are per process: one worker switching `--expose-gc` back off while another is creating
//! its private gc context would leave the second without `gc`. The addon's statics are shared by
//! every thread that loads it, so a static mutex serialises those sections.

use napi::bindgen_prelude::{Function, Result, Unknown};
use napi_derive::napi;
use parking_lot::Mutex;

static FLAG_LOCK: Mutex<()> = Mutex::new(());

/// Calls `section` while holding the process-wide lock and returns what it returns.
#[napi]
pub fn with_process_lock<'env>(
    section: Function<'env, (), Unknown<'env>>,
) -> Result<Unknown<'env>> {
    let _guard = FLAG_LOCK.lock();
    section.call(())
}
