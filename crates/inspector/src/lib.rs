//! leakhound-inspector: the DevTools protocol to a running Node.js process, without Node.
//!
//! - [`target`]: find a process's inspector, opening it the way Node documents (SIGUSR1) when
//!   it is closed;
//! - [`session`]: one WebSocket session that calls methods and streams heap snapshots chunk by
//!   chunk, reading the socket only as fast as the caller consumes (the target holds the rest);
//! - [`error`]: what went wrong, said for a person.

pub mod error;
pub mod http;
pub mod session;
pub mod target;

pub use error::{InspectorError, Result};
pub use session::Session;
pub use target::{Endpoint, open_inspector};
