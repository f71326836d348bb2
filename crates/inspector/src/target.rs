//! Finding a process's inspector. A Node.js process opens it on SIGUSR1 (Linux and macOS), on
//! the port it was given (`--inspect-port`, 9229 by default, 0 for any free one). On Linux the
//! port is found from the process's own listening sockets, so any port works; elsewhere 9229
//! is tried.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::error::{InspectorError, Result};
use crate::http::debugger_url;

/// An open inspector: where it listens and its WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: SocketAddr,
    pub url: String,
}

/// How long one HTTP question to a candidate port may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// The inspector listening at `host:port` (`--inspect`).
pub fn connect_to(address: &str) -> Result<Endpoint> {
    let io = |source| InspectorError::Io {
        address: address.to_string(),
        source,
    };
    let mut last = None;
    for a in address.to_socket_addrs().map_err(io)? {
        match debugger_url(a, ASK_TIMEOUT) {
            Ok(url) => {
                return Ok(Endpoint { address: a, url });
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| InspectorError::BadAnswer {
        address: address.to_string(),
        what: "no address".into(),
    }))
}

/// An inspector found or opened for a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub endpoint: Endpoint,
    /// Whether it was opened now (SIGUSR1), so the one who opened it should close it.
    pub by_signal: bool,
}

/// The endpoint of an inspector's WebSocket URL: `ws://host:port/<id>`.
pub fn at_url(url: &str) -> Result<Endpoint> {
    let bad = |why: &str| InspectorError::BadUrl {
        url: url.to_string(),
        why: why.to_string(),
    };
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| bad("it does not start with ws://"))?;
    let host_port = rest.split('/').next().unwrap_or("");
    let address = host_port
        .to_socket_addrs()
        .map_err(|source| InspectorError::Io {
            address: host_port.to_string(),
            source,
        })?
        .next()
        .ok_or_else(|| bad("its host has no address"))?;
    Ok(Endpoint {
        address,
        url: url.to_string(),
    })
}

/// The inspector of process `pid`: the one it has open, or one it opens on SIGUSR1 within
/// `wait`.
pub fn open_inspector(pid: u32, wait: Duration) -> Result<Opened> {
    if !process_exists(pid) {
        return Err(InspectorError::NoProcess(pid));
    }
    if let Some(endpoint) = find_open(pid) {
        return Ok(Opened {
            endpoint,
            by_signal: false,
        });
    }
    may_signal(pid)?;
    signal_to_open(pid)?;
    let start = Instant::now();
    let mut signalled = Instant::now();
    loop {
        if let Some(endpoint) = find_open(pid) {
            return Ok(Opened {
                endpoint,
                by_signal: true,
            });
        }
        if !process_exists(pid) {
            return Err(InspectorError::NoProcess(pid));
        }
        if start.elapsed() >= wait {
            return Err(InspectorError::NoInspector {
                pid,
                seconds: wait.as_secs(),
            });
        }
        // Again now and then: Node ignores the signal while its inspector is open or closing,
        // and acts on it once that is over.
        if signalled.elapsed() >= Duration::from_secs(2) {
            signal_to_open(pid)?;
            signalled = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Why process `pid` must not or cannot be sent SIGUSR1 (Linux; elsewhere Node.js is assumed).
fn may_signal(pid: u32) -> Result<()> {
    let refuse = |reason: String| Err(InspectorError::CannotSignal { pid, reason });
    // SIGUSR1 ends a process that does not handle it: only a Node.js process gets one.
    if let Some(program) = not_node(pid) {
        return refuse(format!(
            "it runs {program}, not Node.js, and SIGUSR1 would end it; start it with --inspect and give its host:port"
        ));
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    if let Some(owner) = field(&status, "Uid:").and_then(|uids| uids.split_whitespace().nth(1))
        && let Ok(owner) = owner.parse::<u32>()
    {
        let me = effective_uid();
        if me != 0 && me != owner {
            return refuse(format!(
                "it belongs to user {owner} and leakhound runs as user {me}; run leakhound as that user (or root)"
            ));
        }
    }
    // Node catches SIGUSR1 unless started with --disable-sigusr1 (Node 22.14 and later), which
    // leaves it blocked: it would wait, unanswered.
    let caught = field(&status, "SigCgt:").and_then(|mask| u64::from_str_radix(mask, 16).ok());
    if caught.is_some_and(|mask| mask & (1 << (SIGUSR1 - 1)) == 0) {
        let disabled = ["cmdline", "environ"].iter().any(|file| {
            std::fs::read(format!("/proc/{pid}/{file}"))
                .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains("--disable-sigusr1"))
        });
        return refuse(if disabled {
            "it was started with --disable-sigusr1, so its inspector cannot be opened from outside; start it with --inspect and give its host:port".into()
        } else {
            "it does not handle SIGUSR1 (the program took the signal over); start it with --inspect and give its host:port".into()
        });
    }
    Ok(())
}

/// The value of a `/proc/<pid>/status` line.
fn field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
}

#[cfg(unix)]
fn effective_uid() -> u32 {
    unsafe extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid(2) only returns a number.
    unsafe { geteuid() }
}

#[cfg(not(unix))]
fn effective_uid() -> u32 {
    0
}

/// The program `pid` runs, when it is known not to be Node.js (Linux: neither its executable
/// nor a library it maps is named node); none when it is, or when that cannot be told.
fn not_node(pid: u32) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let name = exe.file_name()?.to_string_lossy().into_owned();
    if name.contains("node") {
        return None;
    }
    // An embedder (Electron, a renamed binary) maps libnode or carries Node's symbols.
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    if maps.contains("libnode") {
        return None;
    }
    Some(exe.display().to_string())
}

/// The inspector process `pid` has open, if any; the process is not signalled.
pub fn find_open(pid: u32) -> Option<Endpoint> {
    candidates(pid).into_iter().find_map(|address| {
        let url = debugger_url(address, ASK_TIMEOUT).ok()?;
        Some(Endpoint { address, url })
    })
}

/// Whether process `pid` runs (Linux: exists and is not a zombie awaiting its parent).
pub fn process_alive(pid: u32) -> bool {
    if !cfg!(target_os = "linux") {
        return process_exists(pid);
    }
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(") ")?.1.starts_with('Z')))
        == Some(false)
}

fn process_exists(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Signal 0 checks that the process exists (and may be signalled).
        send(pid, 0) == 0
    }
}

#[cfg(unix)]
unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

#[cfg(unix)]
fn send(pid: u32, sig: i32) -> i32 {
    let Ok(pid) = i32::try_from(pid) else {
        return -1;
    };
    // SAFETY: kill(2) with a positive pid only sends a signal; it touches no memory of ours.
    unsafe { kill(pid, sig) }
}

#[cfg(not(unix))]
fn send(_: u32, _: i32) -> i32 {
    -1
}

pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

/// Sends `sig` to process group `group` (what a program leakhound started, and what it started
/// in turn); nothing elsewhere than Unix.
pub fn signal_group(group: u32, sig: i32) {
    #[cfg(unix)]
    if let Ok(group) = i32::try_from(group) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe { kill(-group, sig) };
    }
    #[cfg(not(unix))]
    let _ = (group, sig);
}

/// SIGUSR1: 10 on Linux, 30 on macOS and the BSDs.
const SIGUSR1: i32 = if cfg!(target_os = "linux") { 10 } else { 30 };

fn signal_to_open(pid: u32) -> Result<()> {
    if cfg!(not(unix)) {
        return Err(InspectorError::CannotSignal {
            pid,
            reason: "this platform has no SIGUSR1; start the process with --inspect".into(),
        });
    }
    if send(pid, SIGUSR1) != 0 {
        return Err(InspectorError::CannotSignal {
            pid,
            reason: std::io::Error::last_os_error().to_string(),
        });
    }
    Ok(())
}

/// Loopback addresses the process listens on (Linux: its sockets in LISTEN state); elsewhere
/// the default inspector port.
fn candidates(pid: u32) -> Vec<SocketAddr> {
    if !cfg!(target_os = "linux") {
        return vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 9229))];
    }
    let inodes = socket_inodes(pid);
    let mut out = Vec::new();
    for (table, v6) in [("tcp", false), ("tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for (port, inode) in listening(&text) {
            if inodes.contains(&inode) {
                out.push(if v6 {
                    SocketAddr::from((Ipv6Addr::LOCALHOST, port))
                } else {
                    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
                });
            }
        }
    }
    // The default port first: a process with several listeners is most often a server whose
    // inspector is on 9229.
    out.sort_by_key(|a| a.port() != 9229);
    out
}

/// The socket inodes among a process's open files.
fn socket_inodes(pid: u32) -> Vec<u64> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let link = std::fs::read_link(e.path()).ok()?;
            let link = link.to_str()?;
            link.strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// (port, inode) of each socket in LISTEN state in a `/proc/<pid>/net/tcp{,6}` table.
pub fn listening(table: &str) -> Vec<(u16, u64)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (cols.get(1)?, cols.get(3)?, cols.get(9)?);
            if *state != "0A" {
                return None;
            }
            let port = u16::from_str_radix(local.rsplit_once(':')?.1, 16).ok()?;
            Some((port, inode.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{at_url, listening};

    #[test]
    fn listening_sockets_from_a_proc_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:2405 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0\n\
   1: 0100007F:9C40 0100007F:2405 01 00000000:00000000 00:00000000 00000000  1000        0 7890 1 0000000000000000 20 4 30 10 -1\n\
   2: garbage\n";
        assert_eq!(listening(table), [(9221, 123456)]);
        assert_eq!(listening(""), []);
    }

    #[test]
    fn an_inspector_url_gives_its_address() {
        let endpoint = at_url("ws://127.0.0.1:9229/0f2c").unwrap();
        assert_eq!(endpoint.address.to_string(), "127.0.0.1:9229");
        assert_eq!(endpoint.url, "ws://127.0.0.1:9229/0f2c");
        assert!(at_url("ws://nowhere").is_err());
    }
}
