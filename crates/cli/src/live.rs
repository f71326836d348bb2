//! A running Node.js process as the source of a snapshot: `leakhound snapshot <pid>` writes one
//! (the `jmap -dump` of Node) and `leakhound summary <pid>` analyses one without a file. The
//! snapshot streams from the process's inspector into the file or the parser as it arrives.

use std::path::{Path, PathBuf};
use std::time::Duration;

use leakhound_core::snapshot::{AnalysedSnapshot, Progress, SnapshotParser};
use leakhound_inspector::session::WorkerInfo;
use leakhound_inspector::target::{Opened, at_url, connect_to, process_alive};
use leakhound_inspector::{InspectorError, Session, open_inspector};

use crate::private_file::PrivateFile;
use crate::{headroom, interrupt};

/// How long a process has to open its inspector after SIGUSR1.
const OPEN_WAIT: Duration = Duration::from_secs(15);

/// A running process, as an operand names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Process {
    /// A process id: its inspector is found, or opened with SIGUSR1.
    Pid(u32),
    /// An inspector already open: `host:port`.
    Address(String),
    /// An inspector already open, by its WebSocket URL (`ws://host:port/<id>`).
    Url(String),
}

/// How a command works on a running process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveOptions {
    /// The worker thread whose heap to take, by thread id.
    pub worker: Option<String>,
    /// Take snapshots even where the process lacks the memory V8 needs to build them.
    pub force: bool,
}

/// The running process an operand names, if it names one rather than a file: a process id, an
/// inspector's `host:port` or its `ws://` URL, when no file has that name.
pub fn live_target(operand: &str) -> Option<Process> {
    if Path::new(operand).exists() {
        return None;
    }
    if operand.starts_with("ws://") {
        return Some(Process::Url(operand.to_string()));
    }
    if !operand.is_empty() && operand.bytes().all(|b| b.is_ascii_digit()) {
        return operand.parse().ok().map(Process::Pid);
    }
    let (host, port) = operand.rsplit_once(':')?;
    (!host.is_empty() && port.parse::<u16>().is_ok()).then(|| Process::Address(operand.to_string()))
}

/// A running process and how to work on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub process: Process,
    pub options: LiveOptions,
}

impl Live {
    /// The process an operand names, or why it names none.
    pub fn named(operand: &str, options: &LiveOptions) -> Result<Live, String> {
        let process = live_target(operand).ok_or_else(|| {
            format!(
                "{operand} is not a process id, the host:port of an open inspector or its ws:// URL"
            )
        })?;
        Ok(Live {
            process,
            options: options.clone(),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        match self.process {
            Process::Pid(pid) => Some(pid),
            _ => None,
        }
    }

    /// The process's inspector, and whether this command opened it.
    fn endpoint(&self) -> Result<Opened, String> {
        let open = |endpoint| Opened {
            endpoint,
            by_signal: false,
        };
        match &self.process {
            Process::Pid(pid) => open_inspector(*pid, OPEN_WAIT),
            Process::Address(address) => connect_to(address).map(open),
            Process::Url(url) => at_url(url).map(open),
        }
        .map_err(|e| e.to_string())
    }

    pub fn describe(&self) -> String {
        let process = match &self.process {
            Process::Pid(pid) => format!("process {pid}"),
            Process::Address(address) => format!("the inspector at {address}"),
            Process::Url(url) => format!("the inspector at {url}"),
        };
        match &self.options.worker {
            Some(worker) => format!("{process}, worker {worker}"),
            None => process,
        }
    }

    /// A DevTools-protocol session with the process (or the worker asked for), which leaves
    /// the inspector as it found it however it ends.
    pub fn session(&self) -> Result<Connection, String> {
        let at = |e: InspectorError| format!("{}: {e}", self.describe());
        let opened = self.endpoint()?;
        let loopback = opened.endpoint.address.ip().is_loopback();
        let mut session = Session::connect(&opened.endpoint).map_err(at)?;
        session.stop_when(interrupt::requested);
        let mut connection = Connection {
            session: Some(session),
            close_inspector: opened.by_signal,
            pid: self.pid(),
            loopback,
            force: self.options.force,
            last_snapshot: None,
            describe: self.describe(),
        };
        if let Some(worker) = &self.options.worker {
            connection.session().enter_worker(worker).map_err(at)?;
        }
        Ok(connection)
    }

    /// The worker threads of the process.
    pub fn workers(&self) -> Result<Vec<WorkerInfo>, String> {
        self.session()?
            .session()
            .workers()
            .map_err(|e| format!("{}: {e}", self.describe()))
    }

    /// A snapshot of the process, parsed as it arrives and analysed; no file is written.
    pub fn analysed(&self, say: &dyn Fn(&str)) -> Result<AnalysedSnapshot, String> {
        let mut parser = SnapshotParser::new();
        let mut failed = None;
        let streamed = self.session()?.snapshot(
            |chunk| {
                parser.push(chunk).map_err(|e| {
                    let message = e.to_string();
                    failed = Some(message.clone());
                    message
                })
            },
            say,
        );
        if let Some(message) = failed {
            return Err(format!("{}: the snapshot: {message}", self.describe()));
        }
        streamed?;
        AnalysedSnapshot::from_parser(parser, &Progress::default())
            .map_err(|e| format!("{}: the snapshot: {e}", self.describe()))
    }

    /// Writes a snapshot of the process to `out` (default: `<pid>-<seconds>.heapsnapshot` here),
    /// as a [`PrivateFile`]. Returns the path and the bytes.
    pub fn write(&self, out: Option<&str>, say: &dyn Fn(&str)) -> Result<(PathBuf, u64), String> {
        let out = PathBuf::from(out.map_or_else(|| self.default_name(), String::from));
        let mut file = PrivateFile::create(out)?;
        let bytes = self.session()?.snapshot(|chunk| file.write(chunk), say)?;
        Ok((file.finish()?, bytes))
    }

    fn default_name(&self) -> String {
        format!("{}.heapsnapshot", self.file_stem())
    }

    /// `<pid>-<seconds>` (with `-worker<id>` for a worker), the start of file names.
    pub fn file_stem(&self) -> String {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let worker = self
            .options
            .worker
            .as_ref()
            .map_or(String::new(), |w| format!("-worker{w}"));
        match self.process {
            Process::Pid(pid) => format!("{pid}{worker}-{seconds}"),
            _ => format!("inspector{worker}-{seconds}"),
        }
    }
}

/// A session with a running process, ended however the command ends: an inspector this command
/// opened is closed again (its port refused), one that was open before stays open.
pub struct Connection {
    session: Option<Session>,
    close_inspector: bool,
    pid: Option<u32>,
    /// Whether the process is on this machine, so its memory can be looked at.
    loopback: bool,
    force: bool,
    /// The size of the last snapshot taken, which best predicts the next one's.
    last_snapshot: Option<u64>,
    describe: String,
}

impl Connection {
    pub fn session(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("a connection's session lives until it is dropped")
    }

    /// A major GC in the process.
    pub fn collect_garbage(&mut self) -> Result<(), String> {
        let result = self.session().collect_garbage();
        result.map_err(|e| self.failure(e))
    }

    /// One snapshot streamed to `sink`, after checking that the process has the memory V8
    /// needs to build it (unless forced); the bytes streamed. `say` hears when bytes start
    /// to arrive.
    pub fn snapshot(
        &mut self,
        mut sink: impl FnMut(&[u8]) -> Result<(), String>,
        say: &dyn Fn(&str),
    ) -> Result<u64, String> {
        self.check_room()?;
        let mut first = true;
        let result = self.session().take_heap_snapshot(|chunk| {
            if std::mem::take(&mut first) {
                say("receiving the snapshot");
            }
            sink(chunk)
        });
        let bytes = result.map_err(|e| self.failure(e))?;
        self.last_snapshot = Some(bytes);
        Ok(bytes)
    }

    fn check_room(&mut self) -> Result<(), String> {
        if self.force || !self.loopback {
            return Ok(());
        }
        let Some(room) = headroom::room(self.pid) else {
            return Ok(());
        };
        let heap = self.session().heap_usage();
        let heap = heap.map_err(|e| self.failure(e))?;
        let needed = headroom::needed(heap.used, self.last_snapshot);
        headroom::check(needed, &room, heap.used).map_err(|e| format!("{}: {e}", self.describe))
    }

    /// An error of the session, said for a person: an interruption as such, and a connection
    /// that closed because the process ended as the process's end.
    fn failure(&self, e: InspectorError) -> String {
        match e {
            InspectorError::Interrupted(_) => interrupt::MESSAGE.to_string(),
            e if self.pid.is_some_and(ended) => format!("{} has ended ({e})", self.describe),
            e => format!("{}: {e}", self.describe),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        if self.close_inspector {
            session.close_inspector(interrupt::requested());
        } else {
            session.close();
        }
    }
}

/// Whether process `pid` has ended, or ends within a moment: a connection breaks while its
/// process is still being torn down.
fn ended(pid: u32) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if !process_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{Process, live_target};

    #[test]
    fn operands_that_name_a_running_process() {
        assert_eq!(live_target("1234"), Some(Process::Pid(1234)));
        assert_eq!(
            live_target("127.0.0.1:9229"),
            Some(Process::Address("127.0.0.1:9229".into()))
        );
        assert_eq!(
            live_target("ws://127.0.0.1:9229/abc"),
            Some(Process::Url("ws://127.0.0.1:9229/abc".into()))
        );
        assert_eq!(live_target("a.heapsnapshot"), None);
        assert_eq!(live_target("host:notaport"), None);
        assert_eq!(live_target(""), None);
        // A file of that name is the file.
        assert_eq!(live_target("Cargo.toml"), None);
    }
}
