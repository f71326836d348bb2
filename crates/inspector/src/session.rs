//! One DevTools-protocol session over the inspector's WebSocket. Calls wait for their answer;
//! a heap snapshot arrives as a stream of chunk events that go to the caller one at a time, and
//! the socket is read only when the caller has taken the last chunk, so the target holds what
//! the caller has not yet consumed (TCP's flow control), never this process.

use std::net::TcpStream;

use serde::Deserialize;
use serde_json::{Value, json};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use leakhound_core::allocation::{MAX_NESTING, json_depth};

use crate::error::{InspectorError, Result};
use crate::target::Endpoint;

/// The largest message the inspector sends is one snapshot chunk (V8 writes them in tens of
/// kilobytes); a larger one is refused rather than buffered.
const MAX_MESSAGE: usize = 16 << 20;

/// Closes the target's inspector a moment after this session ends, from a timer that does not
/// keep the target alive. `require` is the console's (includeCommandLineAPI) where Node predates
/// `process.getBuiltinModule`.
const CLOSE_LATER: &str = "(() => { \
    const inspector = typeof process.getBuiltinModule === 'function' \
        ? process.getBuiltinModule('inspector') : require('inspector'); \
    setTimeout(() => inspector.close(), 100).unref(); })()";

pub struct Session {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// The worker whose heap the calls go to (the `NodeWorker` session id), if any.
    worker: Option<String>,
    /// Asked between reads: true ends the call in progress (Ctrl-C).
    stop: Option<fn() -> bool>,
}

/// How long the target has to close its inspector when asked.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The same after an interruption, when a snapshot in progress may delay it: the target closes
/// it all the same once the snapshot is done, so leakhound need not wait for that.
const INTERRUPTED_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How often a waiting call looks at `stop`.
const STOP_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// A worker thread of the target, as its inspector lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerInfo {
    /// The worker's thread id, as `worker.threadId` gives it.
    pub worker_id: String,
    pub title: String,
    pub url: String,
    /// The inspector session that reaches it (not shown to people).
    #[serde(skip)]
    pub session_id: String,
}

/// The target's heap: what V8 has in use and has taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapUsage {
    pub used: u64,
    pub total: u64,
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

fn parse_message(text: &str) -> Result<Incoming> {
    let bad = |what: String| {
        InspectorError::WebSocket(format!("a message that is not the protocol's: {what}"))
    };
    // Allocation profiles nest two levels per stack frame, past serde_json's default limit; the
    // nesting is bounded first, so the parse cannot exhaust the stack.
    let nesting = json_depth(text);
    if nesting > MAX_NESTING {
        return Err(bad(format!("nested {nesting} levels deep")));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    Incoming::deserialize(&mut de).map_err(|e| bad(e.to_string()))
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
        Ok(Session {
            ws,
            next_id: 1,
            worker: None,
            stop: None,
        })
    }

    /// Calls end with [`InspectorError::Interrupted`] once `stop` says so, within a fraction
    /// of a second, even while the target is silent.
    pub fn stop_when(&mut self, stop: fn() -> bool) {
        let _ = self.ws.get_ref().set_read_timeout(Some(STOP_POLL));
        self.stop = Some(stop);
    }

    /// The next message for this session: from the socket, or, when the calls go to a worker,
    /// unwrapped from the main thread's `NodeWorker` event that carries it. `during` names the
    /// call, for errors.
    fn next_message(&mut self, during: &str) -> Result<Incoming> {
        loop {
            // Before each read, not only when the target is silent: a snapshot streams without
            // a pause.
            if self.stop.is_some_and(|stop| stop()) {
                return Err(InspectorError::Interrupted(during.to_string()));
            }
            let text = match self.ws.read() {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => {
                    return Err(InspectorError::Closed(during.to_string()));
                }
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(ws_error(e)),
            };
            let message = parse_message(text.as_str())?;
            let Some(worker) = &self.worker else {
                return Ok(message);
            };
            let params = message.params.as_ref();
            let for_this = params
                .and_then(|p| p.get("sessionId"))
                .and_then(Value::as_str)
                == Some(worker.as_str());
            match message.method.as_deref() {
                Some("NodeWorker.receivedMessageFromWorker") if for_this => {
                    let inner = params
                        .and_then(|p| p.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    return parse_message(inner);
                }
                Some("NodeWorker.detachedFromWorker") if for_this => {
                    return Err(InspectorError::WorkerGone(during.to_string()));
                }
                // The answer to a relayed message: only an error matters.
                None => {
                    if let Some(error) = message.error {
                        return Err(InspectorError::Refused {
                            method: during.to_string(),
                            message: error.message,
                        });
                    }
                }
                // The main thread's own events.
                Some(_) => {}
            }
        }
    }

    fn send(&mut self, id: u64, method: &str, params: Value) -> Result<()> {
        let mut request = json!({ "id": id, "method": method, "params": params });
        if let Some(worker) = &self.worker {
            let relay = self.next_id;
            self.next_id += 1;
            request = json!({
                "id": relay,
                "method": "NodeWorker.sendMessageToWorker",
                "params": { "sessionId": worker, "message": request.to_string() },
            });
        }
        self.ws
            .send(Message::text(request.to_string()))
            .map_err(ws_error)
    }

    /// The target's worker threads (`NodeWorker` domain; Node 12 and later).
    pub fn workers(&mut self) -> Result<Vec<WorkerInfo>> {
        let mut found = Vec::new();
        // The target lists the workers it has as events before its answer.
        self.call_with(
            "NodeWorker.enable",
            json!({ "waitForDebuggerOnStart": false }),
            |event, params| {
                if event == "NodeWorker.attachedToWorker" {
                    let session_id = params.get("sessionId").and_then(Value::as_str);
                    let info = params.get("workerInfo").cloned();
                    if let (Some(session_id), Some(info)) = (session_id, info)
                        && let Ok(mut worker) = serde_json::from_value::<WorkerInfo>(info)
                    {
                        worker.session_id = session_id.to_string();
                        found.push(worker);
                    }
                }
                Ok(())
            },
        )?;
        Ok(found)
    }

    /// From now on, calls go to the worker with this id (`workerId`, its thread id); the
    /// workers the target has are listed in the error when none has it.
    pub fn enter_worker(&mut self, worker_id: &str) -> Result<WorkerInfo> {
        let workers = self.workers()?;
        let Some(worker) = workers.iter().find(|w| w.worker_id == worker_id) else {
            return Err(InspectorError::NoWorker {
                wanted: worker_id.to_string(),
                present: workers
                    .iter()
                    .map(|w| format!("{} ({})", w.worker_id, w.title))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        self.worker = Some(worker.session_id.clone());
        Ok(worker.clone())
    }

    /// Starts V8's sampling heap profiler: one sample every `interval` bytes allocated, on
    /// average; only objects still alive stay in its profile.
    pub fn start_sampling(&mut self, interval: u64) -> Result<()> {
        self.call("HeapProfiler.enable", json!({}))?;
        self.call(
            "HeapProfiler.startSampling",
            json!({ "samplingInterval": interval }),
        )
        .map(drop)
    }

    /// The sampling heap profiler's profile now (`{"head": …}`).
    pub fn sampling_profile(&mut self) -> Result<Value> {
        let mut result = self.call("HeapProfiler.getSamplingProfile", json!({}))?;
        Ok(result
            .get_mut("profile")
            .map(Value::take)
            .unwrap_or(Value::Null))
    }

    /// Stops the sampling heap profiler, dropping its profile.
    pub fn stop_sampling(&mut self) -> Result<()> {
        self.call("HeapProfiler.stopSampling", json!({})).map(drop)
    }

    /// How much heap V8 has in use and has taken (`Runtime.getHeapUsage`).
    pub fn heap_usage(&mut self) -> Result<HeapUsage> {
        let result = self.call("Runtime.getHeapUsage", json!({}))?;
        let field = |name: &str| result.get(name).and_then(Value::as_f64).unwrap_or(0.0) as u64;
        Ok(HeapUsage {
            used: field("usedSize"),
            total: field("totalSize"),
        })
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
        self.send(id, method, params)?;
        loop {
            let message = self.next_message(method)?;
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

    /// Asks the target to close its inspector, then ends the session: the port is refused
    /// afterwards, as before the inspector was opened. The target closes it from a timer, outside
    /// this session's own message (closing from within it left Node 22 and 24 unable to open
    /// the inspector again on the next SIGUSR1).
    /// When the session was interrupted, the request is sent without waiting for its answer
    /// (which comes only after a snapshot in progress): the target acts on it all the same.
    pub fn close_inspector(mut self, interrupted: bool) {
        // The main thread closes it, whatever thread the calls went to.
        self.worker = None;
        let params = json!({ "expression": CLOSE_LATER, "includeCommandLineAPI": true });
        let address = self.ws.get_ref().peer_addr().ok();
        let (asked, wait) = if interrupted {
            let id = self.next_id;
            (
                self.send(id, "Runtime.evaluate", params).is_ok(),
                INTERRUPTED_CLOSE_WAIT,
            )
        } else {
            (self.call("Runtime.evaluate", params).is_ok(), CLOSE_WAIT)
        };
        self.close();
        // Until the port is refused, so that the next command finds no inspector about to close.
        if let (true, Some(address)) = (asked, address) {
            let start = std::time::Instant::now();
            while start.elapsed() < wait {
                if TcpStream::connect_timeout(&address, STOP_POLL).is_err() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }

    /// Ends the session politely.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}
