//! `leakhound run [hunt options] -- <program>`: starts the program with its inspector on a free
//! loopback port (`--inspect=127.0.0.1:0` through NODE_OPTIONS, so `node server.js` and
//! `npm start` alike), waits until it is ready, and stops it after the hunt. Its output goes to
//! stderr, so stdout carries the report alone.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::net::{SocketAddr, ToSocketAddrs};

use leakhound_inspector::http::get;
use leakhound_inspector::target::{SIGKILL, SIGTERM, find_open, signal_group};

use crate::args::Ready;
use crate::interrupt;
use crate::live::Process;

/// How long a program has to open its inspector and say it is ready.
const READY_WAIT: Duration = Duration::from_secs(60);
/// How long it has to end after SIGTERM before it is killed.
const STOP_WAIT: Duration = Duration::from_secs(5);

pub struct Started {
    child: Child,
    /// The process (the program's own, or a descendant such as npm's node) whose inspector the
    /// hunt uses.
    pid: u32,
}

impl Started {
    pub fn start(
        program: &[String],
        ready: &Ready,
        say: &impl Fn(&str),
    ) -> Result<Started, String> {
        let (name, args) = program.split_first().ok_or("no program to run")?;
        let url = ready.url.as_deref().map(ReadyUrl::parse).transpose()?;
        let options = std::env::var("NODE_OPTIONS").unwrap_or_default();
        let mut command = Command::new(name);
        command
            .args(args)
            .env(
                "NODE_OPTIONS",
                format!("{options} --inspect=127.0.0.1:0").trim(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        #[cfg(unix)]
        {
            // Its own process group, so stopping it stops what it started (npm's node).
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        say(&format!(
            "started {} (pid {})",
            program.join(" "),
            child.id()
        ));
        let lines = forward_output(&mut child);
        let mut started = Started { child, pid: 0 };
        match started.wait_until_ready(ready, url.as_ref(), &lines) {
            Ok(pid) => {
                started.pid = pid;
                Ok(started)
            }
            Err(e) => {
                started.stop(say);
                Err(e)
            }
        }
    }

    fn wait_until_ready(
        &mut self,
        ready: &Ready,
        url: Option<&ReadyUrl>,
        lines: &mpsc::Receiver<String>,
    ) -> Result<u32, String> {
        let start = Instant::now();
        let mut line_seen = ready.line.is_none();
        loop {
            while let Ok(line) = lines.try_recv() {
                line_seen |= ready
                    .line
                    .as_deref()
                    .is_some_and(|want| line.contains(want));
            }
            if interrupt::requested() {
                return Err(interrupt::MESSAGE.into());
            }
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("the program ended before it was ready ({status})"));
            }
            let answered = || url.is_none_or(ReadyUrl::answers);
            if line_seen
                && let Some(pid) = inspected(self.child.id())
                && answered()
            {
                return Ok(pid);
            }
            if start.elapsed() > READY_WAIT {
                let seconds = READY_WAIT.as_secs();
                return Err(match (&ready.line, &ready.url) {
                    (Some(want), _) if !line_seen => {
                        format!("the program did not print {want:?} within {seconds} s")
                    }
                    _ if inspected(self.child.id()).is_none() => format!(
                        "no process of the program opened an inspector within {seconds} s (is it Node.js?)"
                    ),
                    (_, Some(url)) => format!("{url} did not answer within {seconds} s"),
                    _ => format!("the program was not ready within {seconds} s"),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn process(&self) -> Process {
        Process::Pid(self.pid)
    }

    /// SIGTERM to the program's process group, SIGKILL if it has not ended in `STOP_WAIT`.
    pub fn stop(mut self, say: &impl Fn(&str)) {
        let group = self.child.id();
        signal_group(group, SIGTERM);
        let start = Instant::now();
        while start.elapsed() < STOP_WAIT {
            if let Ok(Some(_)) = self.child.try_wait() {
                say("stopped the program");
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_group(group, SIGKILL);
        let _ = self.child.wait();
        say("killed the program (it did not end on SIGTERM)");
    }
}

/// `--ready-url http://host:port/path`: ready once a GET there has an answer below 500.
struct ReadyUrl {
    address: SocketAddr,
    path: String,
}

impl ReadyUrl {
    fn parse(url: &str) -> Result<ReadyUrl, String> {
        let wrong = |why: &str| format!("--ready-url {url}: {why}");
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| wrong("only http:// URLs are asked (the program is on this machine)"))?;
        let (host, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        let host = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        let address = host
            .to_socket_addrs()
            .map_err(|e| wrong(&e.to_string()))?
            .next()
            .ok_or_else(|| wrong("its host has no address"))?;
        Ok(ReadyUrl {
            address,
            path: path.to_string(),
        })
    }

    fn answers(&self) -> bool {
        get(self.address, &self.path, Duration::from_secs(2)).is_ok_and(|(status, _)| status < 500)
    }
}

/// Copies the program's stdout to stderr line by line, and to the returned channel.
fn forward_output(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = writeln!(std::io::stderr(), "{line}");
                let _ = tx.send(line);
            }
        });
    }
    rx
}

/// The deepest process of the tree under `root` (itself included) with an open inspector: with
/// `npm start`, npm's own node opens one too, and the program is the one it starts.
fn inspected(root: u32) -> Option<u32> {
    tree(root)
        .into_iter()
        .rev()
        .find(|&pid| find_open(pid).is_some())
}

/// `root` and its descendants, parents before children (Linux; elsewhere `root` alone).
fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // The fields after the command name, which is in parentheses and may hold spaces.
            let ppid = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            parents
                .iter()
                .filter(|&&(_, p)| p == parent)
                .map(|&(c, _)| c),
        );
        i += 1;
    }
    out
}
