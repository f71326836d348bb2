//! Memory outside the JS heap, for the sampler: the figures the platform measures written
//! straight into the sampler's reused row (nothing allocated per sample), and malloc_trim.

use leakhound_core::native_memory::{malloc, proc_status};
use napi::bindgen_prelude::Float64ArraySlice;
use napi_derive::napi;

/// The sampler fields, in the order `fillNativeMemory` writes them, that this platform
/// measures: the C allocator's (glibc 2.33+) and the resident set's kinds (Linux).
#[napi]
pub fn native_memory_fields() -> Vec<String> {
    let mut fields = Vec::new();
    if malloc::stats().is_some() {
        fields.extend(["mallocInUse", "mallocFree"].map(String::from));
    }
    if proc_status::read().is_some() {
        fields.extend(["rssAnon", "rssFile"].map(String::from));
    }
    fields
}

/// Writes the figures of `nativeMemoryFields()` into `row` from index `at`.
#[napi]
pub fn fill_native_memory(mut row: Float64ArraySlice, at: u32) {
    let mut values = [0.0f64; 4];
    let mut n = 0;
    if let Some(m) = malloc::stats() {
        values[0] = m.in_use as f64;
        values[1] = m.free_held as f64;
        n = 2;
    }
    if let Some(s) = proc_status::read() {
        values[n] = s.rss_anon as f64;
        values[n + 1] = s.rss_file as f64;
        n += 2;
    }
    // SAFETY: called on the JavaScript thread, which is the only one that touches this array.
    let row = unsafe { row.as_mut() };
    let at = at as usize;
    if let Some(slots) = row.get_mut(at..at + n) {
        slots.copy_from_slice(&values[..n]);
    }
}

/// Asks the C allocator to give freed memory back (`malloc_trim(0)`, glibc): the bytes the
/// resident set dropped by, or `null` where the allocator cannot trim.
#[napi]
pub fn trim_native_heap() -> Option<f64> {
    let before = proc_status::read()?.vm_rss;
    malloc::trim()?;
    let after = proc_status::read()?.vm_rss;
    Some(before.saturating_sub(after) as f64)
}
