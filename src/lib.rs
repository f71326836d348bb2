//! leakhound: find, prove and prevent memory leaks in Node.js.
//!
//! The modules at the top level are the pure-Rust core (no Node, driven by `cargo test`);
//! `binding` is the only place that speaks napi, and only converts types.

pub mod sampling;
pub mod snapshot;
pub mod tracker_table;

mod binding;
