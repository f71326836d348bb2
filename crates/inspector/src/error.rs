//! What can go wrong talking to a process's inspector.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum InspectorError {
    #[error("no process {0}")]
    NoProcess(u32),

    #[error("cannot signal process {pid} to open its inspector: {reason}")]
    CannotSignal { pid: u32, reason: String },

    #[error(
        "process {pid} opened no inspector within {seconds} s (is it a Node.js process? run with --inspect-port=0 to let it pick a free port)"
    )]
    NoInspector { pid: u32, seconds: u64 },

    #[error("{address} is not a Node.js inspector: it answered {what}")]
    BadAnswer { address: String, what: String },

    #[error("{url} is not an inspector's URL: {why}")]
    BadUrl { url: String, why: String },

    #[error("the inspector at {address}: {source}")]
    Io {
        address: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the inspector's WebSocket: {0}")]
    WebSocket(String),

    #[error("the inspector refused {method}: {message}")]
    Refused { method: String, message: String },

    #[error("the inspector closed the connection during {0}")]
    Closed(String),

    #[error("interrupted during {0}")]
    Interrupted(String),

    #[error("the worker ended during {0}")]
    WorkerGone(String),

    #[error("the process has no worker {wanted}; its workers: {}", if present.is_empty() { "none" } else { present })]
    NoWorker { wanted: String, present: String },

    #[error("{0}")]
    Sink(String),
}

pub type Result<T> = std::result::Result<T, InspectorError>;
