//! A running Node.js process as the source of a snapshot: `leakhound snapshot <pid>` writes one
//! (the `jmap -dump` of Node) and `leakhound summary <pid>` analyses one without a file. The
//! snapshot streams from the process's inspector into the file or the parser as it arrives.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use leakhound_core::snapshot::{AnalysedSnapshot, Progress, SnapshotParser};
use leakhound_inspector::target::connect_to;
use leakhound_inspector::{Endpoint, Session, open_inspector};

/// How long a process has to open its inspector after SIGUSR1.
const OPEN_WAIT: Duration = Duration::from_secs(15);

/// A running process, as an operand names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// A process id: its inspector is found, or opened with SIGUSR1.
    Pid(u32),
    /// An inspector already open: `host:port`.
    Address(String),
}

/// The running process an operand names, if it names one rather than a file: a process id or an
/// inspector's `host:port`, when no file has that name.
pub fn live_target(operand: &str) -> Option<Live> {
    if Path::new(operand).exists() {
        return None;
    }
    if !operand.is_empty() && operand.bytes().all(|b| b.is_ascii_digit()) {
        return operand.parse().ok().map(Live::Pid);
    }
    let (host, port) = operand.rsplit_once(':')?;
    (!host.is_empty() && port.parse::<u16>().is_ok()).then(|| Live::Address(operand.to_string()))
}

impl Live {
    fn endpoint(&self) -> Result<Endpoint, String> {
        match self {
            Live::Pid(pid) => open_inspector(*pid, OPEN_WAIT),
            Live::Address(address) => connect_to(address),
        }
        .map_err(|e| e.to_string())
    }

    pub fn describe(&self) -> String {
        match self {
            Live::Pid(pid) => format!("process {pid}"),
            Live::Address(address) => format!("the inspector at {address}"),
        }
    }

    /// A DevTools-protocol session with the process (dropped, its socket closes).
    pub fn session(&self) -> Result<Session, String> {
        let endpoint = self.endpoint()?;
        Session::connect(&endpoint).map_err(|e| format!("{}: {e}", self.describe()))
    }

    /// Streams one snapshot of the process to `sink`; the bytes streamed.
    fn stream(&self, sink: impl FnMut(&[u8]) -> Result<(), String>) -> Result<u64, String> {
        let mut session = self.session()?;
        let bytes = session
            .take_heap_snapshot(sink)
            .map_err(|e| format!("{}: {e}", self.describe()))?;
        session.close();
        Ok(bytes)
    }

    /// A snapshot of the process, parsed as it arrives and analysed; no file is written.
    pub fn analysed(&self) -> Result<AnalysedSnapshot, String> {
        let mut parser = SnapshotParser::new();
        let mut failed = None;
        let streamed = self.stream(|chunk| {
            parser.push(chunk).map_err(|e| {
                let message = e.to_string();
                failed = Some(message.clone());
                message
            })
        });
        if let Some(message) = failed {
            return Err(format!("{}: the snapshot: {message}", self.describe()));
        }
        streamed?;
        AnalysedSnapshot::from_parser(parser, &Progress::default())
            .map_err(|e| format!("{}: the snapshot: {e}", self.describe()))
    }

    /// Writes a snapshot of the process to `out` (default: `<pid>-<seconds>.heapsnapshot` here):
    /// streamed into a temporary file of mode 0600 beside it, which becomes `out` only once
    /// complete, and never in place of an existing file. Returns the path and the bytes.
    pub fn write(&self, out: Option<&str>) -> Result<(PathBuf, u64), String> {
        let out = PathBuf::from(out.map_or_else(|| self.default_name(), String::from));
        if out.exists() {
            return Err(format!(
                "{} exists; leakhound never replaces a file",
                out.display()
            ));
        }
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let temp = dir.join(format!(".leakhound-{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = create_private(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
            let bytes = self.stream(|chunk| file.write_all(chunk).map_err(|e| e.to_string()))?;
            file.sync_all().map_err(|e| e.to_string())?;
            // A hard link fails where `out` has appeared meanwhile: never a replace.
            std::fs::hard_link(&temp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(bytes)
        })();
        let _ = std::fs::remove_file(&temp);
        written.map(|bytes| (out, bytes))
    }

    fn default_name(&self) -> String {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match self {
            Live::Pid(pid) => format!("{pid}-{seconds}.heapsnapshot"),
            Live::Address(_) => format!("inspector-{seconds}.heapsnapshot"),
        }
    }
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::{Live, live_target};

    #[test]
    fn operands_that_name_a_running_process() {
        assert_eq!(live_target("1234"), Some(Live::Pid(1234)));
        assert_eq!(
            live_target("127.0.0.1:9229"),
            Some(Live::Address("127.0.0.1:9229".into()))
        );
        assert_eq!(live_target("a.heapsnapshot"), None);
        assert_eq!(live_target("host:notaport"), None);
        assert_eq!(live_target(""), None);
        // A file of that name is the file.
        assert_eq!(live_target("Cargo.toml"), None);
    }
}
