//! Memory outside the JS heap, for the sampler: the figures the platform measures written
//! straight into the sampler's reused row (nothing allocated per sample), and malloc_trim.

use leakhound_core::native_memory::{malloc, mappings, proc_status};
use napi::bindgen_prelude::Float64ArraySlice;
use napi_derive::napi;
use std::time::Duration;

/// Code and thread stacks by mapping: smaps costs a millisecond or more of kernel time, so the
/// samples carry figures at most this old, read on a thread of their own.
static MAPPINGS: mappings::Cached = mappings::Cached::new(Duration::from_secs(30));

/// The sampler fields, in the order `fillNativeMemory` writes them, that this platform
/// measures: the C allocator's (glibc 2.33+ or jemalloc), the resident set's kinds and its code
/// and thread stacks (Linux).
#[napi]
pub fn native_memory_fields() -> Vec<String> {
    let mut fields = Vec::new();
    if malloc::stats().is_some() {
        fields.extend(["mallocInUse", "mallocFree"].map(String::from));
    }
    if proc_status::read().is_some() {
        fields.extend(["rssAnon", "rssFile"].map(String::from));
    }
    if MAPPINGS.get().is_some() {
        fields.extend(["rssCode", "rssStacks"].map(String::from));
    }
    fields
}

/// Which C allocator the figures come from (`glibc`, `jemalloc`), or null where none is asked.
#[napi]
pub fn native_allocator() -> Option<&'static str> {
    malloc::stats().map(|m| m.allocator.as_str())
}

/// Writes the figures of `nativeMemoryFields()` into `row` from index `at`.
#[napi]
pub fn fill_native_memory(mut row: Float64ArraySlice, at: u32) {
    let mut values = [0.0f64; 6];
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
    if let Some(m) = MAPPINGS.get() {
        values[n] = m.code as f64;
        values[n + 1] = m.thread_stacks as f64;
        n += 2;
    }
    // SAFETY: called on the JavaScript thread, which is the only one that touches this array.
    let row = unsafe { row.as_mut() };
    let at = at as usize;
    if let Some(slots) = row.get_mut(at..at + n) {
        slots.copy_from_slice(&values[..n]);
    }
}

/// The resident bytes of machine code and of thread stacks, read now (a millisecond or more:
/// the kernel walks every mapping), with the number of threads whose stack was found.
#[napi(object)]
pub struct MemoryMappings {
    pub code: f64,
    pub thread_stacks: f64,
    pub stacks_found: u32,
}

#[napi]
pub fn memory_mappings() -> Option<MemoryMappings> {
    MAPPINGS.read_now().map(|m| MemoryMappings {
        code: m.code as f64,
        thread_stacks: m.thread_stacks as f64,
        stacks_found: m.stacks_found,
    })
}

/// Asks the C allocator to give freed memory back (glibc `malloc_trim(0)`, jemalloc purge): the
/// bytes the resident set dropped by, or `null` where the allocator cannot trim.
#[napi]
pub fn trim_native_heap() -> Option<f64> {
    let before = proc_status::read()?.vm_rss;
    malloc::trim()?;
    let after = proc_status::read()?.vm_rss;
    Some(before.saturating_sub(after) as f64)
}
