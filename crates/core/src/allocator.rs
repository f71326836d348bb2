//! Allocator tuning for the command-line tool, a batch process that builds a few big tables one
//! after another. glibc raises its mmap threshold (up to 32 MiB) each time a large block is
//! freed, after which tables of a few MiB come from the heap, where the copies a growing table
//! leaves behind stay resident: 5–40 MiB more at find-leaks' peak. A fixed threshold keeps
//! large blocks in their own mappings, returned to the system when freed. Library users'
//! processes are never tuned: only the command-line tool calls this.

/// Allocations from this size up are mapped on their own (glibc's initial default).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 256 * 1024;

/// Returns whether the allocator was tuned (only with glibc).
pub fn use_mmap_for_large_allocations() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_MMAP_THRESHOLD: i32 = -3;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes allocator parameters; M_MMAP_THRESHOLD with a value in
        // range is documented and thread-safe (glibc takes the arena lock).
        unsafe { mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
