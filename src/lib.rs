//! The Node addon of leakhound: napi records and conversions over `leakhound-core`. No
//! analysis lives here; each export converts its arguments, runs the core (off the JavaScript
//! thread where the work is large) and converts the result.

// Test builds compile out napi's registration code, so exports look unused there.
#![cfg_attr(test, allow(dead_code))]

mod allocation;
mod compare;
mod errors;
mod guard;
mod native_memory;
mod process_lock;
mod records;
mod sampler;
mod snapshot;
mod text;
mod tracker;
