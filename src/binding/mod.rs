//! The napi boundary: type conversion and error mapping only. No analysis logic lives here.

mod guard;
mod process_lock;
mod tracker;
