//! What the C allocator holds: in use, and freed but kept (fragmentation shows here). Asked of
//! glibc through `mallinfo2` and relieved through `malloc_trim`, or of jemalloc through
//! `mallctl` when it is the allocator; each looked up when first needed, so the library loads on
//! any libc (musl and glibc before 2.33 have no `mallinfo2`: the figures are then absent, never
//! guessed).

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

/// Which C allocator serves `malloc` in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocator {
    /// glibc's ptmalloc, asked through `mallinfo2` (2.33 and later).
    Glibc,
    /// jemalloc (linked in or preloaded), asked through `mallctl`.
    Jemalloc,
}

impl Allocator {
    pub fn as_str(self) -> &'static str {
        match self {
            Allocator::Glibc => "glibc",
            Allocator::Jemalloc => "jemalloc",
        }
    }
}

/// The allocator's figures, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MallocStats {
    pub allocator: Allocator,
    /// Handed out and not freed.
    pub in_use: u64,
    /// Freed but kept by the allocator for reuse, resident or not: memory the process holds
    /// without using it (glibc: free chunks; jemalloc: resident pages beyond what is allocated
    /// and the allocator's own metadata).
    pub free_held: u64,
}

type MallInfo2Fn = unsafe extern "C" fn() -> MallInfo2;
type MallocTrimFn = unsafe extern "C" fn(usize) -> c_int;
type MallctlFn =
    unsafe extern "C" fn(*const c_char, *mut c_void, *mut usize, *mut c_void, usize) -> c_int;

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

/// The allocator's entry points, looked up once.
struct Entry {
    allocator: Allocator,
    stats: usize,
    trim: Option<usize>,
}

fn entry() -> Option<&'static Entry> {
    static E: OnceLock<Option<Entry>> = OnceLock::new();
    E.get_or_init(|| {
        // jemalloc counts only when it serves this process's `malloc`, not when some library
        // merely links it beside glibc's: its count of this thread's allocations must move
        // when this code allocates.
        if let Some(mallctl) = lookup(c"mallctl")
            && serves_malloc(
                // SAFETY: the symbol jemalloc exports as `mallctl` has this signature.
                unsafe { std::mem::transmute::<*mut c_void, MallctlFn>(mallctl) },
            )
        {
            return Some(Entry {
                allocator: Allocator::Jemalloc,
                stats: mallctl as usize,
                trim: Some(mallctl as usize),
            });
        }
        Some(Entry {
            allocator: Allocator::Glibc,
            stats: lookup(c"mallinfo2")? as usize,
            trim: lookup(c"malloc_trim").map(|f| f as usize),
        })
    })
    .as_ref()
}

/// Whether jemalloc's `mallctl` belongs to the allocator behind `malloc`.
fn serves_malloc(mallctl: MallctlFn) -> bool {
    let allocated = || mallctl_read::<u64>(mallctl, c"thread.allocated");
    let Some(before) = allocated() else {
        return false;
    };
    let block = std::hint::black_box(Vec::<u8>::with_capacity(4096));
    let after = allocated();
    drop(block);
    after.is_some_and(|after| after > before)
}

/// Reads one statistic of jemalloc: `T` is its C type (`uint64_t` or `size_t`).
fn mallctl_read<T: Copy + Default>(mallctl: MallctlFn, name: &std::ffi::CStr) -> Option<T> {
    let mut value = T::default();
    let mut len = std::mem::size_of::<T>();
    // SAFETY: `name` is NUL-terminated and `value` is a `T` of `len` bytes, the type mallctl
    // writes for that name.
    let rc = unsafe {
        mallctl(
            name.as_ptr(),
            (&mut value as *mut T).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    (rc == 0).then_some(value)
}

fn jemalloc_stats(mallctl: MallctlFn) -> Option<MallocStats> {
    // jemalloc caches its statistics until the epoch is advanced.
    let mut epoch: u64 = 1;
    let mut len = std::mem::size_of::<u64>();
    // SAFETY: "epoch" reads and writes a uint64_t; both pointers are to one.
    unsafe {
        mallctl(
            c"epoch".as_ptr(),
            (&mut epoch as *mut u64).cast(),
            &mut len,
            (&mut epoch as *mut u64).cast(),
            len,
        )
    };
    let allocated = mallctl_read::<usize>(mallctl, c"stats.allocated").map(|v| v as u64)?;
    let resident = mallctl_read::<usize>(mallctl, c"stats.resident").map(|v| v as u64)?;
    let metadata = mallctl_read::<usize>(mallctl, c"stats.metadata")
        .map(|v| v as u64)
        .unwrap_or(0);
    Some(MallocStats {
        allocator: Allocator::Jemalloc,
        in_use: allocated,
        free_held: resident.saturating_sub(allocated + metadata),
    })
}

/// The allocator's figures now, where it can tell them (glibc 2.33 and later, jemalloc built
/// with statistics).
pub fn stats() -> Option<MallocStats> {
    let e = entry()?;
    match e.allocator {
        Allocator::Jemalloc => {
            // SAFETY: the symbol jemalloc exports as `mallctl` has this signature.
            jemalloc_stats(unsafe { std::mem::transmute::<usize, MallctlFn>(e.stats) })
        }
        Allocator::Glibc => {
            // SAFETY: the symbol glibc exports as `mallinfo2` has this signature (glibc 2.33+);
            // it takes no arguments and only reads the arenas under their locks.
            let m = unsafe { std::mem::transmute::<usize, MallInfo2Fn>(e.stats)() };
            Some(MallocStats {
                allocator: Allocator::Glibc,
                in_use: (m.uordblks + m.hblkhd) as u64,
                free_held: m.fordblks as u64,
            })
        }
    }
}

/// Asks the allocator to give freed memory back to the system (glibc: `malloc_trim(0)`;
/// jemalloc: purge every arena); `None` where the allocator has no such call. Returns whether
/// the call succeeded.
pub fn trim() -> Option<bool> {
    let e = entry()?;
    let f = e.trim?;
    match e.allocator {
        Allocator::Jemalloc => {
            // SAFETY: mallctl's signature; "arena.4096.purge" (MALLCTL_ARENAS_ALL) takes no
            // old or new value.
            let mallctl = unsafe { std::mem::transmute::<usize, MallctlFn>(f) };
            let rc = unsafe {
                mallctl(
                    c"arena.4096.purge".as_ptr(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    0,
                )
            };
            Some(rc == 0)
        }
        Allocator::Glibc => {
            // SAFETY: glibc's `int malloc_trim(size_t pad)`; it walks the arenas under their
            // locks and any pad value is valid.
            let malloc_trim = unsafe { std::mem::transmute::<usize, MallocTrimFn>(f) };
            Some(unsafe { malloc_trim(0) } == 1)
        }
    }
}
