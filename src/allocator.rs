//! The allocator tuning of `leakhound_core::allocator`, for the JavaScript command-line tool.

use napi_derive::napi;

/// Returns whether the allocator was tuned (only with glibc).
#[napi]
pub fn use_mmap_for_large_allocations() -> bool {
    leakhound_core::allocator::use_mmap_for_large_allocations()
}
