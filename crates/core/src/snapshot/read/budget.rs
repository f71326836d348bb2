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

/// Memory that must stay free after a reservation the input asks for: the small allocations
/// every step makes (messages, paths, a thread's start) cannot fail gracefully, so a process
/// under a cap must refuse the large one while the small ones still fit.
pub const SLACK_BYTES: usize = 2 << 20;

/// Makes room for `additional` more items in `v`, or says what could not be allocated. When the
/// vector grows, `SLACK_BYTES` must still be free after it.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize, what: &'static str) -> Result<()> {
    let grows = v.capacity() - v.len() < additional;
    let refused = || out_of_memory(what, additional.saturating_mul(size_of::<T>()));
    v.try_reserve(additional).map_err(|_| refused())?;
    if grows && !slack_left() {
        return Err(refused());
    }
    Ok(())
}

/// A read buffer, or the out-of-memory error (a memory cap can refuse even this).
pub fn zeroed_buffer(len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    reserve(&mut buf, len, "a read buffer")?;
    buf.resize(len, 0);
    Ok(buf)
}

/// Whether `SLACK_BYTES` can still be had.
pub fn slack_left() -> bool {
    room_for(SLACK_BYTES)
}

/// Whether `bytes` can be had right now (the probe is given back untouched).
pub fn room_for(bytes: usize) -> bool {
    let mut probe: Vec<u8> = Vec::new();
    let ok = probe.try_reserve_exact(bytes).is_ok();
    std::hint::black_box(probe.as_mut_ptr());
    ok
}

/// Whether a helper thread can be started with room to work: its stack, the allocator's arena
/// for it, and the slack of both threads. Two threads that allocate near a cap could each pass
/// their slack check and then take the other's, so under a tight cap the work runs on one
/// thread, where the checks are exact.
pub fn room_for_a_thread() -> bool {
    room_for(32 * SLACK_BYTES)
}

/// Pushes `item` where room can be had, for code that pushes from a callback that cannot return
/// an error; otherwise records in `short_of` the bytes that could not be had (the first time),
/// drops the item, and drops every later one: the caller turns `short_of` into an error.
pub fn push_or_note<T>(v: &mut Vec<T>, item: T, short_of: &mut Option<u64>) {
    if short_of.is_some() {
        return;
    }
    if v.len() == v.capacity() {
        let more = v.len().max(1024);
        if v.try_reserve(more).is_err() || !slack_left() {
            *short_of = Some(more.saturating_mul(size_of::<T>()) as u64);
            return;
        }
    }
    v.push(item);
}

/// Checks that `bytes` more can be had right now (under an address-space cap, for example)
/// before a build that needs them all; the probe is mapped and given back untouched.
pub fn ensure_room(bytes: u64, what: &'static str) -> Result<()> {
    let len = usize::try_from(bytes)
        .ok()
        .and_then(|b| b.checked_add(SLACK_BYTES))
        .ok_or_else(|| out_of_memory(what, bytes as usize))?;
    let mut probe: Vec<u8> = Vec::new();
    probe
        .try_reserve_exact(len)
        .map_err(|_| out_of_memory(what, bytes as usize))?;
    // Unused, the allocation would be optimised away, and the probe with it.
    std::hint::black_box(probe.as_mut_ptr());
    Ok(())
}

/// The bytes a vector holds on the heap.
pub fn vec_bytes<T>(v: &[T]) -> u64 {
    std::mem::size_of_val(v) as u64
}

pub(crate) fn out_of_memory(what: &'static str, bytes: usize) -> SnapshotError {
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
