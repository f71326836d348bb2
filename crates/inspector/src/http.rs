//! The inspector's HTTP side, which lists its WebSocket URLs: one GET, read to the end. The
//! answer is small (a JSON array of targets), so it is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{InspectorError, Result};

/// Answers longer than this are not an inspector's target list.
const MAX_ANSWER: u64 = 1 << 20;

/// The WebSocket URL of the first target listed at `address` (`GET /json/list`).
pub fn debugger_url(address: SocketAddr, timeout: Duration) -> Result<String> {
    let bad = |what: &str| InspectorError::BadAnswer {
        address: address.to_string(),
        what: what.to_string(),
    };
    let (status, body) = get(address, "/json/list", timeout)?;
    if status != 200 {
        return Err(bad(&format!("HTTP status {status} to GET /json/list")));
    }
    let targets: Vec<serde_json::Value> =
        serde_json::from_str(body.trim()).map_err(|_| bad("no JSON list of targets"))?;
    targets
        .iter()
        .find_map(|t| t.get("webSocketDebuggerUrl")?.as_str().map(String::from))
        .ok_or_else(|| bad("a list without a WebSocket URL"))
}

/// The status and body of `GET path` at `address`, read to the end of the body (bounded).
pub fn get(address: SocketAddr, path: &str, timeout: Duration) -> Result<(u16, String)> {
    let io = |source| InspectorError::Io {
        address: address.to_string(),
        source,
    };
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(io)?;
    let bad = |what: &str| InspectorError::BadAnswer {
        address: address.to_string(),
        what: what.to_string(),
    };
    // Read until the body Content-Length announces is in (the server may keep the connection
    // open), or to the end.
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(bad(&format!(
                    "nothing to GET {path} within {} s",
                    timeout.as_secs_f64()
                )));
            }
            Err(e) => return Err(io(e)),
        };
        answer.extend_from_slice(&buf[..n]);
        if answer.len() as u64 > MAX_ANSWER {
            return Err(bad("more than a target list"));
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let status = head
                .strip_prefix("HTTP/1.")
                .and_then(|rest| rest.get(2..5))
                .and_then(|code| code.parse::<u16>().ok())
                .ok_or_else(|| {
                    bad(&format!(
                        "{:?}, not HTTP",
                        head.lines().next().unwrap_or("")
                    ))
                })?;
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())
                    .flatten()
            });
            if n == 0 || length.is_some_and(|len| body.len() >= len) {
                return Ok((status, body.to_string()));
            }
        } else if n == 0 {
            return Err(bad("no HTTP response"));
        }
    }
}
