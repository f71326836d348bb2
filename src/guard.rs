//! Keeps Rust panics from crossing into Node: a panic becomes a JS error instead of an abort.

use std::panic::{AssertUnwindSafe, catch_unwind};

use leakhound_core::internal_error;

use crate::errors::internal;

pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(internal(internal_error(what, &*payload))))
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panic_becomes_an_error_naming_the_call() {
        let err = guarded::<()>("TrackerTable.add", || panic!("index out of bounds")).unwrap_err();
        assert_eq!(
            err.reason,
            "leakhound internal error in TrackerTable.add: index out of bounds"
        );
        let ok = guarded("x", || Ok(7)).unwrap();
        assert_eq!(ok, 7);
    }
}
