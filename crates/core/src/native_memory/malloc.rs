//! What the C allocator holds: in use, and freed but kept (fragmentation shows here). Asked of
//! glibc through `mallinfo2` and relieved through `malloc_trim`, both looked up when first
//! needed, so the library loads on any libc (musl and glibc before 2.33 have no `mallinfo2`:
//! the figures are then absent, never guessed).

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

/// glibc's `struct mallinfo2`: every field a `size_t`.
#[repr(C)]
#[derive(Default)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

/// The allocator's figures, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MallocStats {
    /// Handed out and not freed: in the arenas, plus chunks mapped on their own.
    pub in_use: u64,
    /// Freed but kept by the allocator for reuse: memory the process holds without using it.
    pub free_held: u64,
    /// Of `in_use`, chunks mapped on their own (large allocations).
    pub mapped: u64,
}

type MallInfo2Fn = unsafe extern "C" fn() -> MallInfo2;
type MallocTrimFn = unsafe extern "C" fn(usize) -> c_int;

#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

/// A function of the libraries already loaded, by name (`RTLD_DEFAULT`), or none.
#[cfg(target_os = "linux")]
fn lookup(name: &std::ffi::CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym with RTLD_DEFAULT (a null handle on Linux) and a NUL-terminated name only
    // searches the loaded objects' symbol tables.
    let f = unsafe { dlsym(std::ptr::null_mut(), name.as_ptr()) };
    (!f.is_null()).then_some(f)
}

#[cfg(not(target_os = "linux"))]
fn lookup(_: &std::ffi::CStr) -> Option<*mut c_void> {
    None
}

fn mallinfo2() -> Option<MallInfo2Fn> {
    static F: OnceLock<Option<usize>> = OnceLock::new();
    let f = (*F.get_or_init(|| lookup(c"mallinfo2").map(|p| p as usize)))?;
    // SAFETY: the symbol glibc exports as `mallinfo2` has this signature (glibc 2.33+).
    Some(unsafe { std::mem::transmute::<usize, MallInfo2Fn>(f) })
}

fn malloc_trim() -> Option<MallocTrimFn> {
    static F: OnceLock<Option<usize>> = OnceLock::new();
    let f = (*F.get_or_init(|| lookup(c"malloc_trim").map(|p| p as usize)))?;
    // SAFETY: glibc's `int malloc_trim(size_t pad)`.
    Some(unsafe { std::mem::transmute::<usize, MallocTrimFn>(f) })
}

/// The allocator's figures now, where it can tell them (glibc 2.33 and later).
pub fn stats() -> Option<MallocStats> {
    let f = mallinfo2()?;
    // SAFETY: mallinfo2 takes no arguments and only reads the arenas under their locks.
    let m = unsafe { f() };
    Some(MallocStats {
        in_use: (m.uordblks + m.hblkhd) as u64,
        free_held: m.fordblks as u64,
        mapped: m.hblkhd as u64,
    })
}

/// Asks the allocator to give freed memory back to the system (`malloc_trim(0)`); `None` where
/// the allocator has no such call. Returns whether it released anything.
pub fn trim() -> Option<bool> {
    let f = malloc_trim()?;
    // SAFETY: malloc_trim(0) walks the arenas under their locks; any pad value is valid.
    Some(unsafe { f(0) } == 1)
}
