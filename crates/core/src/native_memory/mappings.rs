//! Where the resident set lies by kind of mapping (Linux `/proc/self/smaps`): machine code (the
//! executable file mappings of the program and its libraries) and thread stacks (the mapping
//! each thread's stack pointer is in, read from `/proc/self/task/*/syscall`). The kernel walks
//! every page table to write smaps, a millisecond or more, so the sampler reads it seldom and
//! off the JavaScript thread (`Cached`).

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Resident bytes by kind of mapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mappings {
    /// Executable mappings of files: the program's and its libraries' machine code. (V8's
    /// compiled code is in its heap, counted there.)
    pub code: u64,
    /// The main thread's stack and every mapping another thread's stack pointer is in.
    pub thread_stacks: u64,
    /// Threads whose stack was found (a thread running at the moment of the read has no
    /// stack pointer to read; its last known one is used).
    pub stacks_found: u32,
}

/// The stack pointer in a `/proc/<pid>/task/<tid>/syscall` line: the second-to-last number of a
/// thread blocked in the kernel; none for a thread that is running.
pub fn stack_pointer(syscall: &str) -> Option<u64> {
    let words: Vec<&str> = syscall.split_whitespace().collect();
    if words.len() < 3 {
        return None;
    }
    let sp = words[words.len() - 2].strip_prefix("0x")?;
    u64::from_str_radix(sp, 16).ok().filter(|&sp| sp != 0)
}

/// Sums the resident bytes of an smaps text by kind; `stacks` are the threads' stack pointers.
pub fn classify(smaps: &str, stacks: &[u64]) -> Mappings {
    let mut out = Mappings::default();
    // The mapping being read: its kind, and whether it holds a stack pointer.
    let mut kind = Kind::Other;
    for line in smaps.lines() {
        if let Some((range, rest)) = mapping_header(line) {
            let mut words = rest.split_whitespace();
            let perms = words.next().unwrap_or("");
            let inode = words.nth(2).unwrap_or("0");
            let path = words.next().unwrap_or("");
            let holds_stack = stacks
                .iter()
                .filter(|&&sp| range.0 <= sp && sp < range.1)
                .count();
            kind = if path == "[stack]" || holds_stack > 0 {
                out.stacks_found += holds_stack.max(1) as u32;
                Kind::Stack
            } else if perms.contains('x') && inode != "0" {
                Kind::Code
            } else {
                Kind::Other
            };
        } else if let Some(kb) = line.strip_prefix("Rss:") {
            let bytes = kb
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
                .saturating_mul(1024);
            match kind {
                Kind::Code => out.code += bytes,
                Kind::Stack => out.thread_stacks += bytes,
                Kind::Other => {}
            }
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Kind {
    Code,
    Stack,
    Other,
}

/// `start-end rest` of a mapping's first line, or none for a field line (`Rss:  12 kB`).
fn mapping_header(line: &str) -> Option<((u64, u64), &str)> {
    let (range, rest) = line.split_once(' ')?;
    let (start, end) = range.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    Some(((start, end), rest))
}

/// This process's figures now (Linux); none where smaps cannot be read.
pub fn read(last_known: &mut BTreeMap<u32, u64>) -> Option<Mappings> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let mut stacks = Vec::new();
    let mut alive = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u32>().ok())
        else {
            continue;
        };
        let sp = std::fs::read_to_string(entry.path().join("syscall"))
            .ok()
            .and_then(|s| stack_pointer(&s))
            .or_else(|| last_known.get(&tid).copied());
        if let Some(sp) = sp {
            stacks.push(sp);
            alive.insert(tid, sp);
        }
    }
    // Threads that ended are forgotten, so the table is as long as the thread list.
    *last_known = alive;
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    Some(classify(&smaps, &stacks))
}

/// The figures of the last read, refreshed on a thread of its own once they are older than
/// `max_age`, so a sample never waits for the kernel's page-table walk.
pub struct Cached {
    max_age: Duration,
    state: Mutex<CacheState>,
    reading: AtomicBool,
}

struct CacheState {
    value: Option<Mappings>,
    at: Option<Instant>,
    last_known: BTreeMap<u32, u64>,
}

impl Cached {
    pub const fn new(max_age: Duration) -> Cached {
        Cached {
            max_age,
            state: Mutex::new(CacheState {
                value: None,
                at: None,
                last_known: BTreeMap::new(),
            }),
            reading: AtomicBool::new(false),
        }
    }

    /// Reads now, on the caller's thread, and keeps the result.
    pub fn read_now(&self) -> Option<Mappings> {
        let mut last_known = std::mem::take(&mut self.state.lock().last_known);
        let value = read(&mut last_known);
        let mut state = self.state.lock();
        state.last_known = last_known;
        state.value = value;
        state.at = Some(Instant::now());
        value
    }

    /// The last figures; a read on a background thread starts when they are stale (the first
    /// call reads on the caller's thread).
    pub fn get(&'static self) -> Option<Mappings> {
        let (value, at) = {
            let state = self.state.lock();
            (state.value, state.at)
        };
        let Some(at) = at else {
            return self.read_now();
        };
        if at.elapsed() >= self.max_age && !self.reading.swap(true, Ordering::AcqRel) {
            let spawned = std::thread::Builder::new()
                .name("leakhound-smaps".into())
                .spawn(move || {
                    self.read_now();
                    self.reading.store(false, Ordering::Release);
                });
            if spawned.is_err() {
                self.reading.store(false, Ordering::Release);
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::{Mappings, classify, stack_pointer};

    const SMAPS: &str = "\
00400000-00600000 r-xp 00000000 08:01 1234    /usr/bin/node
Size:               2048 kB
Rss:                1500 kB
00600000-00700000 r--p 00200000 08:01 1234    /usr/bin/node
Rss:                 300 kB
7f0000000000-7f0000800000 rw-p 00000000 00:00 0
Rss:                  64 kB
7f0000800000-7f0000900000 rwxp 00000000 00:00 0
Rss:                 128 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0   [stack]
Rss:                  40 kB
VmFlags: rd wr mr mw me gd ac
";

    #[test]
    fn machine_code_and_stacks_by_mapping() {
        // One worker thread's stack pointer in the anonymous mapping at 7f0000000000.
        assert_eq!(
            classify(SMAPS, &[0x7f00_0000_1000]),
            Mappings {
                code: 1500 * 1024,
                thread_stacks: (64 + 40) * 1024,
                stacks_found: 2,
            }
        );
        // Anonymous executable memory (JIT code) is not counted as the program's code.
        assert_eq!(classify(SMAPS, &[]).code, 1500 * 1024);
        assert_eq!(classify("", &[]), Mappings::default());
        assert_eq!(
            classify("garbage\nRss: lots kB\n-\n", &[1]),
            Mappings::default()
        );
    }

    #[test]
    fn stack_pointers_of_blocked_threads_only() {
        let blocked = "202 0x18cc8854 0x189 0x0 0x0 0x0 0xffffffff 0x7fc48fc1bc70 0x7fc4904a3f16\n";
        assert_eq!(stack_pointer(blocked), Some(0x7fc4_8fc1_bc70));
        assert_eq!(stack_pointer("-1 0x7ffd1234 0x401000"), Some(0x7ffd_1234));
        assert_eq!(stack_pointer("running\n"), None);
        assert_eq!(stack_pointer(""), None);
        assert_eq!(stack_pointer("0 0x1 0xzz 0x2"), None);
    }

    #[test]
    fn this_process_has_code_and_a_stack_where_it_can_be_read() {
        let mut known = Default::default();
        if let Some(m) = super::read(&mut known) {
            assert!(m.code > 64 * 1024, "{m:?}");
            assert!(m.thread_stacks > 0 && m.stacks_found >= 1, "{m:?}");
        }
    }
}
