//! Memory outside the JS heap: where the resident set goes (`proc_status`, and by kind of
//! mapping in `mappings`), and what the C allocator holds in use and freed-but-kept (`malloc`).
//! Each figure is read where the platform has it and absent where it has not.

pub mod malloc;
pub mod mappings;
pub mod proc_status;

pub use malloc::{Allocator, MallocStats};
pub use mappings::Mappings;
pub use proc_status::ProcStatus;
