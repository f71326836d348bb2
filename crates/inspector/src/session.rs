//! One DevTools-protocol session over the inspector's WebSocket. Calls wait for their answer;
//! a heap snapshot arrives as a stream of chunk events that go to the caller one at a time, and
//! the socket is read only when the caller has taken the last chunk, so the target holds what
//! the caller has not yet consumed (TCP's flow control), never this process.

use std::net::TcpStream;

use serde::Deserialize;
use serde_json::{Value, json};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use crate::error::{InspectorError, Result};
use crate::target::Endpoint;

/// The largest message the inspector sends is one snapshot chunk (V8 writes them in tens of
/// kilobytes); a larger one is refused rather than buffered.
const MAX_MESSAGE: usize = 16 << 20;

pub struct Session {
    ws: WebSocket<TcpStream>,
    next_id: u64,
}

/// An incoming message: a response (`id`) or an event (`method`).
#[derive(Deserialize)]
struct Incoming {
    id: Option<u64>,
    method: Option<String>,
    params: Option<Value>,
    result: Option<Value>,
    error: Option<ProtocolError>,
}

#[derive(Deserialize)]
struct ProtocolError {
    message: String,
}

fn ws_error(e: tungstenite::Error) -> InspectorError {
    InspectorError::WebSocket(e.to_string())
}

impl Session {
    pub fn connect(endpoint: &Endpoint) -> Result<Session> {
        let stream = TcpStream::connect(endpoint.address).map_err(|source| InspectorError::Io {
            address: endpoint.address.to_string(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let (ws, _) =
            tungstenite::client::client_with_config(endpoint.url.as_str(), stream, Some(config))
                .map_err(|e| InspectorError::WebSocket(e.to_string()))?;
        Ok(Session { ws, next_id: 1 })
    }

    /// Calls `method` and returns its result; events that arrive meanwhile go to `on_event`.
    fn call_with(
        &mut self,
        method: &str,
        params: Value,
        mut on_event: impl FnMut(&str, Value) -> Result<()>,
    ) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(Message::text(request.to_string()))
            .map_err(ws_error)?;
        loop {
            let text = match self.ws.read() {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => {
                    return Err(InspectorError::Closed(method.to_string()));
                }
                Ok(_) => continue,
                Err(e) => return Err(ws_error(e)),
            };
            let message: Incoming = serde_json::from_str(text.as_str()).map_err(|e| {
                InspectorError::WebSocket(format!("a message that is not the protocol's: {e}"))
            })?;
            if message.id == Some(id) {
                if let Some(error) = message.error {
                    return Err(InspectorError::Refused {
                        method: method.to_string(),
                        message: error.message,
                    });
                }
                return Ok(message.result.unwrap_or(Value::Null));
            }
            if let Some(event) = message.method {
                on_event(&event, message.params.unwrap_or(Value::Null))?;
            }
        }
    }

    /// Calls `method` with `params`; events are dropped.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.call_with(method, params, |_, _| Ok(()))
    }

    /// A major GC in the target (`HeapProfiler.collectGarbage`).
    pub fn collect_garbage(&mut self) -> Result<()> {
        self.call("HeapProfiler.collectGarbage", json!({}))
            .map(drop)
    }

    /// Takes a heap snapshot of the target and hands it to `sink` chunk by chunk, as V8 writes
    /// them; returns the bytes handed over. An error from `sink` ends the snapshot.
    pub fn take_heap_snapshot(
        &mut self,
        mut sink: impl FnMut(&[u8]) -> std::result::Result<(), String>,
    ) -> Result<u64> {
        self.call("HeapProfiler.enable", json!({}))?;
        let mut bytes = 0u64;
        self.call_with(
            "HeapProfiler.takeHeapSnapshot",
            json!({ "reportProgress": false, "captureNumericValue": false }),
            |event, params| {
                if event != "HeapProfiler.addHeapSnapshotChunk" {
                    return Ok(());
                }
                let chunk = params.get("chunk").and_then(Value::as_str).unwrap_or("");
                bytes += chunk.len() as u64;
                sink(chunk.as_bytes()).map_err(InspectorError::Sink)
            },
        )?;
        Ok(bytes)
    }

    /// Ends the session politely.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}
