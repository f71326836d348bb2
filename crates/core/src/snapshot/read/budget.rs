//! Bounds on what input can make the core allocate. Memory an input asks for is reserved with
//! `try_reserve`, so a file that lies about its size, or a machine under a memory cap, gets an
//! error naming what could not be had instead of an abort of the host process.

use crate::snapshot::error::{Result, SnapshotError};

/// Nesting deeper than this is refused. V8's deepest structure, the allocation trace tree,
/// nests once per stack frame and keeps at most 64 frames.
pub const MAX_NESTING: usize = 1 << 12;

/// A single string longer than this (UTF-8 bytes) is refused. V8 truncates the strings it
/// writes into snapshots to 1,024 characters.
pub const MAX_STRING_BYTES: usize = 16 << 20;

/// Makes room for `additional` more items in `v`, or says what could not be allocated.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize, what: &'static str) -> Result<()> {
    v.try_reserve(additional)
        .map_err(|_| out_of_memory(what, additional.saturating_mul(size_of::<T>())))
}

/// Checks that `bytes` more can be had right now (under an address-space cap, for example)
/// before a build that needs them all; the probe is mapped and given back untouched.
pub fn ensure_room(bytes: u64, what: &'static str) -> Result<()> {
    let len = usize::try_from(bytes).map_err(|_| out_of_memory(what, bytes as usize))?;
    let mut probe: Vec<u8> = Vec::new();
    probe
        .try_reserve_exact(len)
        .map_err(|_| out_of_memory(what, len))?;
    // Unused, the allocation would be optimised away, and the probe with it.
    std::hint::black_box(probe.as_mut_ptr());
    Ok(())
}

/// The bytes a vector holds on the heap.
pub fn vec_bytes<T>(v: &[T]) -> u64 {
    std::mem::size_of_val(v) as u64
}

fn out_of_memory(what: &'static str, bytes: usize) -> SnapshotError {
    SnapshotError::OutOfMemory {
        what,
        bytes: bytes as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_reservation_is_an_error_not_an_abort() {
        let mut v: Vec<u64> = Vec::new();
        let err = reserve(&mut v, usize::MAX / 16, "test numbers").unwrap_err();
        std::hint::black_box(&mut v);
        assert!(matches!(
            err,
            SnapshotError::OutOfMemory {
                what: "test numbers",
                ..
            }
        ));
        assert!(ensure_room(u64::MAX / 2, "a probe").is_err());
    }
}
