//! Reading snapshot files into the push parser: whole files on a reader thread, light parses
//! that jump to the strings (`light_file.rs`), pipes and devices in one pass, and progress
//! counters another thread can watch.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use super::budget::zeroed_buffer;
use super::fill::read_full;
use super::light_file::parse_skipping;
use super::parser::{ParseOptions, SnapshotParser};
use super::raw::RawSnapshot;
use crate::snapshot::error::{Result, SnapshotError};

/// Size of the chunks `parse_file` reads, at most: each is parsed in two halves on two cores.
pub const READ_CHUNK: usize = 4 << 20;
/// The smallest chunk (halves below `SPLIT_AT_LEAST` in number_array.rs are not split).
const MIN_READ_CHUNK: usize = 1 << 20;

/// Parses a whole file with default (full) options.
pub fn parse_file(path: &Path) -> Result<RawSnapshot> {
    parse_file_with(path, ParseOptions::default())
}

/// Parses a file in `READ_CHUNK` pieces; errors carry the file name.
pub fn parse_file_with(path: &Path, options: ParseOptions) -> Result<RawSnapshot> {
    parse_file_fed(path, options, &ProgressFeed::new(None))
}

/// Like [`parse_file_with`], adding the bytes parsed to `progress` after every chunk, so another
/// thread can report progress on long parses (one counter can follow several parses at once).
pub fn parse_file_with_progress(
    path: &Path,
    options: ParseOptions,
    progress: &AtomicU64,
) -> Result<RawSnapshot> {
    parse_file_fed(path, options, &ProgressFeed::new(Some(progress)))
}

/// The same, reporting to a feed a caller may have used already (bytes read again are not
/// counted twice).
pub(crate) fn parse_file_fed(
    path: &Path,
    options: ParseOptions,
    progress: &ProgressFeed,
) -> Result<RawSnapshot> {
    parse_file_inner(path, options, progress).map_err(|e| e.with_path(path))
}

fn parse_file_inner(
    path: &Path,
    mut options: ParseOptions,
    progress: &ProgressFeed,
) -> Result<RawSnapshot> {
    let (mut file, length) = open_input(path)?;
    if options.size_hint.is_none() {
        options.size_hint = length;
    }
    let report = |parser: &SnapshotParser| progress.update(parser);
    // A pipe or device is read once, front to back: no jumping ahead, no second read.
    if options.light && options.skip_to_strings && length.is_some() {
        if let Some(raw) = parse_skipping(&mut file, options, &report) {
            return Ok(raw);
        }
        // Read the whole file again: its error is the one to report.
        file.seek(SeekFrom::Start(0))?;
    }
    options.skip_to_strings = false;
    let mut parser = SnapshotParser::with_options(options);
    let chunk = read_chunk(options.size_hint);
    // Without a reader thread (not wanted, or none could be started), read here.
    if !(options.reader_thread && read_on_helper_thread(&mut file, &mut parser, chunk, report)?) {
        let mut buf = zeroed_buffer(chunk)?;
        loop {
            let n = read_full(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            parser.push(&buf[..n])?;
            report(&parser);
        }
    }
    parser.finish()
}

/// Opens an input, with its length when it is a regular file. Anything else (a named pipe,
/// `<(…)`, a device) can be read only once and cannot seek, so callers read it in one pass.
pub(crate) fn open_input(path: &Path) -> Result<(File, Option<u64>)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    Ok((file, meta.is_file().then_some(meta.len())))
}

/// Checks that each input can be read: it exists, and no pipe or device is given twice (it
/// could be read only once). Nothing is opened, so a named pipe is not consumed.
pub fn check_inputs(paths: &[&Path]) -> Result<()> {
    let mut once = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| SnapshotError::from(e).with_path(path))?;
        if !meta.is_file() {
            let identity = file_identity(&meta);
            if identity.is_some() && once.contains(&identity) {
                return Err(SnapshotError::ReadOnce.with_path(path));
            }
            once.push(identity);
        }
    }
    Ok(())
}

#[cfg(unix)]
fn file_identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Adds the bytes parsers move past to a shared counter, chunk by chunk.
pub(crate) struct ProgressFeed<'a> {
    counter: Option<&'a AtomicU64>,
    reported: AtomicU64,
}

impl<'a> ProgressFeed<'a> {
    pub(crate) fn new(counter: Option<&'a AtomicU64>) -> Self {
        ProgressFeed {
            counter,
            reported: AtomicU64::new(0),
        }
    }

    pub(crate) fn update(&self, parser: &SnapshotParser) {
        if let Some(counter) = self.counter {
            let seen = parser.bytes_seen();
            counter.fetch_add(
                // Saturating: a parse that starts over reports nothing until it passes the first.
                seen.saturating_sub(self.reported.swap(seen, Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
    }
}

/// Chunks of about 1/64 of the file, between 1 and 4 MiB: the buffers in flight stay under 5 %
/// of the file, which on a 60 MB snapshot is 9 MiB less at the peak of find-leaks, and large
/// files still get chunks big enough to split.
fn read_chunk(file_len: Option<u64>) -> usize {
    let share = file_len.map_or(READ_CHUNK as u64, |len| len / 64) as usize;
    share.clamp(MIN_READ_CHUNK, READ_CHUNK)
}

/// The second core reads the next chunks while this thread parses. Buffers
/// go back to the reader so nothing is allocated per chunk. `false` when no reader thread could
/// be started (nothing was read then).
fn read_on_helper_thread(
    file: &mut File,
    parser: &mut SnapshotParser,
    chunk: usize,
    report: impl Fn(&SnapshotParser),
) -> Result<bool> {
    const IN_FLIGHT: usize = 3;
    let (full_tx, full_rx) = mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..IN_FLIGHT {
        // Sending to a receiver that is alive cannot fail.
        let _ = empty_tx.send(zeroed_buffer(chunk)?);
    }
    std::thread::scope(|scope| {
        // A thread that starts but then cannot allocate would abort the process.
        if !super::budget::room_for_a_thread() {
            return Ok(false);
        }
        let reader = std::thread::Builder::new().spawn_scoped(scope, move || {
            while let Ok(mut buf) = empty_rx.recv() {
                let result = read_full(file, &mut buf);
                let done = !matches!(result, Ok(n) if n > 0);
                if full_tx.send(result.map(|n| (buf, n))).is_err() || done {
                    break;
                }
            }
        });
        if reader.is_err() {
            return Ok(false);
        }
        let outcome = (|| {
            while let Ok(message) = full_rx.recv() {
                let (buf, n) = message?;
                if n == 0 {
                    break;
                }
                parser.push(&buf[..n])?;
                report(parser);
                let _ = empty_tx.send(buf);
            }
            Ok(())
        })();
        // Dropping the channels ends the reader if we stopped early.
        drop(empty_tx);
        drop(full_rx);
        outcome.map(|()| true)
    })
}
