//! Errors as JavaScript errors: the message, and the error's kind, file and byte offset as JSON
//! in its `cause`, which lib/errors.js turns into fields of a SnapshotError.

use leakhound_core::report::text::printable;
use leakhound_core::snapshot::SnapshotError;
use napi::{Error, Status};
use serde_json::{Value, json};

/// Marks the cause that carries the details, so the JavaScript side never mistakes another.
const DETAILS: &str = "LEAKHOUND_DETAILS";

pub(crate) fn snapshot_error(e: SnapshotError) -> Error {
    let details = json!({
        "kind": e.kind().as_str(),
        "reason": e.incompatibility().map(|r| r.as_str()),
        "file": e.file().map(|p| p.to_string_lossy()),
        "offset": e.byte_offset(),
    });
    // Escaped: keys and names from the input must not drive the terminal the error is printed to.
    detailed(printable(&e.to_string()).into_owned(), details)
}

/// A failure of leakhound's own (a caught panic, a broken internal protocol): kind `internal`,
/// the message as it is.
pub(crate) fn internal(message: impl Into<String>) -> Error {
    detailed(message.into(), json!({ "kind": "internal" }))
}

fn detailed(message: String, details: Value) -> Error {
    let mut err = Error::new(Status::InvalidArg, message);
    err.set_cause(Error::new(
        Status::GenericFailure,
        format!("{DETAILS}{details}"),
    ));
    err
}
