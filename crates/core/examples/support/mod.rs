//! Per-phase timing and memory lines for the benchmark examples.
use std::time::Instant;

/// (current, peak) resident set in MiB, from /proc on Linux; zeros elsewhere.
pub fn rss_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Prints how long a phase took and the memory after it, on stderr.
pub fn phase(name: &str, started: Instant) {
    let (rss, peak) = rss_mib();
    eprintln!(
        "{name:<14} {:>8.2} s  rss {rss:>6} MiB  peak {peak:>6} MiB",
        started.elapsed().as_secs_f64()
    );
}
