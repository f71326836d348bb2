//! The message a caught panic becomes, in the addon (a JavaScript error) and in the native tool
//! (a line on stderr): a panic never crosses into Node or aborts the tool.

use std::any::Any;

/// `leakhound internal error in <what>: <the panic's message>`.
pub fn internal_error(what: &str, payload: &(dyn Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("leakhound internal error in {what}: {detail}")
}
