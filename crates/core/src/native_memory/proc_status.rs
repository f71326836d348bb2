//! `/proc/self/status` (Linux): how much of the resident set is anonymous memory, mapped
//! files (code and read-only data among them) and shared memory, and how many threads there
//! are. One small read, no walk of the mappings (unlike `smaps_rollup`).

/// The resident-set figures of `/proc/<pid>/status`, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcStatus {
    pub vm_rss: u64,
    /// Anonymous memory: the V8 heap, malloc's arenas, thread stacks, other private mappings.
    pub rss_anon: u64,
    /// Mapped files: the executable and libraries' code and data, other mapped files.
    pub rss_file: u64,
    pub rss_shmem: u64,
    pub threads: u64,
}

/// Reads the figures from the text of a status file; lines it does not know are skipped, and
/// a figure that is missing reads as 0.
pub fn parse(text: &str) -> ProcStatus {
    let mut s = ProcStatus::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let mut words = value.split_whitespace();
        let number: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let bytes = match words.next() {
            Some("kB") => number.saturating_mul(1024),
            _ => number,
        };
        match key {
            "VmRSS" => s.vm_rss = bytes,
            "RssAnon" => s.rss_anon = bytes,
            "RssFile" => s.rss_file = bytes,
            "RssShmem" => s.rss_shmem = bytes,
            "Threads" => s.threads = number,
            _ => {}
        }
    }
    s
}

/// This process's figures, where the platform has them (Linux 4.5 and later).
pub fn read() -> Option<ProcStatus> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let status = parse(&text);
    (status.vm_rss > 0).then_some(status)
}

#[cfg(test)]
mod tests {
    use super::{ProcStatus, parse, read};

    #[test]
    fn the_resident_set_by_kind_of_memory() {
        let text = "Name:\tnode\nVmRSS:\t  51200 kB\nRssAnon:\t   40960 kB\nRssFile:\t   10000 kB\n\
                    RssShmem:\t     240 kB\nThreads:\t11\nVmStk:\t132 kB\n";
        assert_eq!(
            parse(text),
            ProcStatus {
                vm_rss: 51200 * 1024,
                rss_anon: 40960 * 1024,
                rss_file: 10000 * 1024,
                rss_shmem: 240 * 1024,
                threads: 11,
            }
        );
        assert_eq!(parse("garbage\n:::\nVmRSS: lots kB"), ProcStatus::default());
    }

    #[test]
    fn this_process_adds_up_where_it_can_be_read() {
        if let Some(s) = read() {
            assert!(s.threads >= 1);
            // The three kinds make up the resident set (each rounded to pages by the kernel).
            let sum = s.rss_anon + s.rss_file + s.rss_shmem;
            assert!(sum.abs_diff(s.vm_rss) <= 64 * 1024, "{s:?}");
        }
    }
}
