//! The napi boundary: type conversion and error mapping only. No analysis logic lives here.

// Test builds compile out napi's registration code, so exports look unused there.
#![cfg_attr(test, allow(dead_code))]

mod allocator;
mod compare;
mod guard;
mod process_lock;
pub(crate) mod records;
mod sampler;
mod snapshot;
mod text;
mod tracker;
