//! Memory outside the JS heap: where the resident set goes (`proc_status`), and what the C
//! allocator holds in use and freed-but-kept (`malloc`). Each figure is read where the platform
//! has it and absent where it has not.

pub mod malloc;
pub mod proc_status;

pub use malloc::MallocStats;
pub use proc_status::ProcStatus;
