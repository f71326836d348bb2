//! leakhound: find, prove and prevent memory leaks in Node.js.
//!
//! The modules at the top level are the pure-Rust core (no Node, driven by `cargo test`);
//! `binding` is the only place that speaks napi, and only converts types. `cli` is the native
//! command-line tool (`src/bin/leakhound.rs`): it prints the binding's records, so the two front
//! ends share one output contract.

pub mod allocator;
pub mod cli;
mod internal_error;
pub mod issued_ids;
pub mod sampling;
pub mod snapshot;
pub mod tracker_table;

pub(crate) mod binding;
