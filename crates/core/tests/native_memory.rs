//! The C allocator's figures, in a test process of its own: other tests allocating on other
//! threads at the same time would move the process-wide counts this reads.

use leakhound_core::native_memory::malloc::{stats, trim};

#[test]
fn the_allocator_counts_what_it_hands_out_where_it_can_tell() {
    let Some(before) = stats() else {
        // Not glibc 2.33+: nothing to check but that nothing is made up.
        assert!(trim().is_none() || cfg!(target_env = "gnu"));
        return;
    };
    // 64 blocks of 64 KiB: in the arenas (below the mmap threshold), so counted in use.
    let blocks: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
    let during = stats().unwrap();
    assert!(
        during.in_use >= before.in_use + 60 * 64 * 1024,
        "{before:?} {during:?}"
    );
    drop(std::hint::black_box(blocks));
    let after = stats().unwrap();
    assert!(
        after.in_use + 60 * 64 * 1024 <= during.in_use,
        "{during:?} {after:?}"
    );
    assert!(trim().is_some());
}
