//! Whether a running process has the memory V8 needs to take a heap snapshot. V8 builds the
//! whole snapshot graph in the process before it writes a byte, whether to a file or to the
//! inspector: measured on Node 20, about 8× the snapshot's size, and a snapshot of small objects
//! is about twice the heap in use. A process that cannot have that much is ended by the kernel
//! or its cgroup, so the hunt refuses first, with the figures.

use std::fmt::Write;

/// The target's peak while V8 builds a snapshot, per byte of the snapshot.
const BUILD_PER_SNAPSHOT_BYTE: u64 = 8;
/// Snapshot bytes per byte of heap in use, for the first snapshot, before any size is known
/// (small objects: the worst case measured).
const SNAPSHOT_PER_HEAP_BYTE: u64 = 2;

/// What the process's system and cgroups leave it, and where each limit comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// The least of the limits below.
    pub bytes: u64,
    /// Each limit said for a person: "MemAvailable 3.1 GB", "cgroup /app: 1.2 GB free of 2.0 GB".
    pub limits: Vec<String>,
}

/// The memory a snapshot needs in the process: from the last snapshot's size when one was
/// taken, from the heap in use otherwise.
pub fn needed(heap_used: u64, last_snapshot: Option<u64>) -> u64 {
    let snapshot = last_snapshot.unwrap_or(heap_used.saturating_mul(SNAPSHOT_PER_HEAP_BYTE));
    snapshot.saturating_mul(BUILD_PER_SNAPSHOT_BYTE)
}

/// The room process `pid` has (Linux: MemAvailable, its cgroup v2 limits, its address-space
/// limit); `None` for a process on another machine or where none of these can be read.
pub fn room(pid: Option<u32>) -> Option<Room> {
    let mut limits: Vec<(u64, String)> = Vec::new();
    if let Some(available) = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| mem_available(&t))
    {
        limits.push((available, format!("MemAvailable {}", gb(available))));
    }
    if let Some(pid) = pid {
        if let Some(group) = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .and_then(|t| cgroup_path(&t))
        {
            limits.extend(cgroup_room(&group));
        }
        if let Some(room) = address_space_room(pid) {
            limits.push(room);
        }
    }
    let bytes = limits.iter().map(|(b, _)| *b).min()?;
    Some(Room {
        bytes,
        limits: limits.into_iter().map(|(_, said)| said).collect(),
    })
}

/// Refuses when the room is short of what the snapshot needs, naming both.
pub fn check(needed: u64, room: &Room, heap_used: u64) -> Result<(), String> {
    if needed <= room.bytes {
        return Ok(());
    }
    Err(format!(
        "a snapshot of this process (heap in use: {}) needs about {} more while V8 builds it, and only {} is free ({}); --force takes it anyway, at the risk of the process being ended for lack of memory",
        gb(heap_used),
        gb(needed),
        gb(room.bytes),
        room.limits.join("; ")
    ))
}

fn gb(bytes: u64) -> String {
    let mut s = String::new();
    if bytes >= 1 << 30 {
        let _ = write!(s, "{:.1} GB", bytes as f64 / 1e9);
    } else {
        let _ = write!(s, "{:.0} MB", bytes as f64 / 1e6);
    }
    s
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The cgroup v2 path of a `/proc/<pid>/cgroup` (its `0::` line).
fn cgroup_path(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::to_string)
}

/// The room under each limited cgroup from the process's own up to the root.
fn cgroup_room(group: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut path = group.trim_end_matches('/').to_string();
    loop {
        let dir = format!("/sys/fs/cgroup{path}");
        let read = |file: &str| std::fs::read_to_string(format!("{dir}/{file}")).ok();
        if let (Some(max), Some(current)) = (read("memory.max"), read("memory.current"))
            && let Some((free, limit)) = cgroup_free(&max, &current)
        {
            let name = if path.is_empty() { "/" } else { path.as_str() };
            out.push((
                free,
                format!("cgroup {name}: {} free of {}", gb(free), gb(limit)),
            ));
        }
        match path.rfind('/') {
            Some(at) => path.truncate(at),
            None => break,
        }
        if path.is_empty() {
            break;
        }
    }
    out
}

/// (free, limit) of a cgroup from its `memory.max` and `memory.current`; none when unlimited.
fn cgroup_free(max: &str, current: &str) -> Option<(u64, u64)> {
    let limit: u64 = max.trim().parse().ok()?;
    let current: u64 = current.trim().parse().ok()?;
    Some((limit.saturating_sub(current), limit))
}

/// The room under the process's address-space limit (`ulimit -v`), when it has one.
fn address_space_room(pid: u32) -> Option<(u64, String)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let (free, limit) = address_space_free(&limits, &status)?;
    Some((
        free,
        format!("address-space limit: {} free of {}", gb(free), gb(limit)),
    ))
}

fn address_space_free(limits: &str, status: &str) -> Option<(u64, u64)> {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let limit: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    let size_kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((limit.saturating_sub(size_kb * 1024), limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_need_follows_the_last_snapshot_once_there_is_one() {
        assert_eq!(needed(100, None), 1600);
        assert_eq!(needed(100, Some(300)), 2400);
        assert_eq!(needed(u64::MAX, None), u64::MAX);
    }

    #[test]
    fn limits_are_read_from_the_kernel_s_own_text() {
        assert_eq!(
            mem_available("MemTotal: 10 kB\nMemAvailable:     2048 kB\n"),
            Some(2 << 20)
        );
        assert_eq!(mem_available("MemTotal: 10 kB\n"), None);
        assert_eq!(
            cgroup_path("12:cpu:/x\n0::/system.slice/app.service\n"),
            Some("/system.slice/app.service".into())
        );
        assert_eq!(cgroup_free("max\n", "123\n"), None);
        assert_eq!(cgroup_free("1000\n", "1200\n"), Some((0, 1000)));
        assert_eq!(cgroup_free("1000\n", "400\n"), Some((600, 1000)));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
Max address space         1073741824           unlimited            bytes\n";
        assert_eq!(
            address_space_free(limits, "VmSize:\t  524288 kB\n"),
            Some((512 << 20, 1 << 30))
        );
        let unlimited =
            "Max address space         unlimited            unlimited            bytes\n";
        assert_eq!(address_space_free(unlimited, "VmSize: 1 kB\n"), None);
    }

    #[test]
    fn a_refusal_gives_the_figures_and_the_way_past_it() {
        let room = Room {
            bytes: 500_000_000,
            limits: vec!["MemAvailable 500 MB".into()],
        };
        assert!(check(400_000_000, &room, 25_000_000).is_ok());
        let refused = check(2_400_000_000, &room, 150_000_000).unwrap_err();
        assert!(refused.contains("heap in use: 150 MB"), "{refused}");
        assert!(refused.contains("needs about 2.4 GB"), "{refused}");
        assert!(
            refused.contains("only 500 MB is free (MemAvailable 500 MB)"),
            "{refused}"
        );
        assert!(refused.contains("--force"), "{refused}");
    }
}
