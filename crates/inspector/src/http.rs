//! The inspector's HTTP side, which lists its WebSocket URLs: one GET, read to the end. The
//! answer is small (a JSON array of targets), so it is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{InspectorError, Result};

/// Answers longer than this are not an inspector's target list.
const MAX_ANSWER: u64 = 1 << 20;

/// The WebSocket URL of the first target listed at `address` (`GET /json/list`).
pub fn debugger_url(address: SocketAddr, timeout: Duration) -> Result<String> {
    let io = |source| InspectorError::Io {
        address: address.to_string(),
        source,
    };
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let request =
        format!("GET /json/list HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(io)?;
    let bad = |what: &str| InspectorError::BadAnswer {
        address: address.to_string(),
        what: what.to_string(),
    };
    // Read until the body Content-Length announces is in (the inspector may keep the
    // connection open), or to the end.
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let body = loop {
        let n = stream.read(&mut buf).map_err(io)?;
        answer.extend_from_slice(&buf[..n]);
        if answer.len() as u64 > MAX_ANSWER {
            return Err(bad("more than a target list"));
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
                return Err(bad(head.lines().next().unwrap_or("nothing")));
            }
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())
                    .flatten()
            });
            if n == 0 || length.is_some_and(|len| body.len() >= len) {
                break body.to_string();
            }
        } else if n == 0 {
            return Err(bad("no HTTP response"));
        }
    };
    let targets: Vec<serde_json::Value> =
        serde_json::from_str(body.trim()).map_err(|_| bad("no JSON list of targets"))?;
    targets
        .iter()
        .find_map(|t| t.get("webSocketDebuggerUrl")?.as_str().map(String::from))
        .ok_or_else(|| bad("a list without a WebSocket URL"))
}
