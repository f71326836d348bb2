//! Light parses of files that jump from the nodes to the strings. Baseline and target snapshots
//! and diffs need node columns and class names only, while edges and locations are two thirds
//! of a file: reading them only to count them is most of a light parse's time.
//!
//! The `strings` key is found from the end of the file. In valid JSON an unescaped `"strings"`
//! followed by `:` can only be a key (a string value is followed by `,` or `]`, and quotes
//! inside strings are escaped), and V8 writes the strings last. Anything unexpected (no such
//! key, a key before the nodes end, any parse error) gives up, and the caller reads the whole
//! file instead, so errors are reported exactly as by a full read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::fill::read_full;
use super::json_scan::is_ws;
use super::parser::{ParseOptions, SnapshotParser};
use super::raw::RawSnapshot;

const STRINGS_KEY: &[u8] = b"\"strings\"";
/// Bytes read at a time. Small enough that what the kernel copies in is still in the core's
/// L2 cache when the parser reads it: light parses of 365 MB snapshots took 270 ms with 4 MiB
/// reads, 205 ms with these.
const READ_BLOCK: usize = 256 << 10;
/// Bytes read per step of the search from the end.
const SEARCH_BLOCK: usize = 1 << 20;
/// Blocks overlap by this much, so a key (and the whitespace and `:` after it) split by a block
/// boundary is still seen whole.
const SEARCH_OVERLAP: usize = 64;

/// A light parse with `skip_to_strings`; `None` when the jump cannot be made or anything fails.
pub(crate) fn parse_skipping(
    file: &mut File,
    options: ParseOptions,
    report: &impl Fn(&SnapshotParser),
) -> Option<RawSnapshot> {
    let mut after_push = |parser: &mut SnapshotParser| {
        report(parser);
        true
    };
    parse_skipping_with(file, options, &mut after_push)
}

/// The same, with `after_push` run after every chunk (false gives up). Once it sees the parser
/// parked, the strings come next.
pub(crate) fn parse_skipping_with(
    file: &mut File,
    options: ParseOptions,
    after_push: &mut impl FnMut(&mut SnapshotParser) -> bool,
) -> Option<RawSnapshot> {
    let mut parser = SnapshotParser::with_options(options);
    let mut buf = vec![0u8; READ_BLOCK];
    let mut push_until_parked = |file: &mut File, parser: &mut SnapshotParser| loop {
        let n = read_full(file, &mut buf).ok()?;
        if n == 0 {
            return Some(());
        }
        parser.push(&buf[..n]).ok()?;
        if !after_push(parser) {
            return None;
        }
        if parser.is_parked() {
            return Some(());
        }
    };
    push_until_parked(file, &mut parser)?;
    if parser.is_parked() {
        let at = find_strings_key(file).ok()??;
        parser.resume_at_key(at).ok()?;
        file.seek(SeekFrom::Start(at)).ok()?;
        push_until_parked(file, &mut parser)?;
    }
    parser.finish().ok()
}

/// The offset of the last `"strings"` key, searching from the end of the file.
fn find_strings_key(file: &mut File) -> std::io::Result<Option<u64>> {
    let len = file.seek(SeekFrom::End(0))?;
    let Ok(mut buf) = super::budget::zeroed_buffer(SEARCH_BLOCK + SEARCH_OVERLAP) else {
        // No room even for the search: the whole read that follows reports it.
        return Ok(None);
    };
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(SEARCH_BLOCK as u64);
        let read_len = (len.min(end + SEARCH_OVERLAP as u64) - start) as usize;
        let block = buf.get_mut(..read_len).unwrap_or_default();
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(block)?;
        let new_bytes = (end - start) as usize;
        if let Some(p) = (0..new_bytes).rev().find(|&p| is_key_at(block, p)) {
            return Ok(Some(start + p as u64));
        }
        end = start;
    }
    Ok(None)
}

fn is_key_at(block: &[u8], p: usize) -> bool {
    let Some(rest) = block.get(p..).and_then(|b| b.strip_prefix(STRINGS_KEY)) else {
        return false;
    };
    rest.iter().find(|&&b| !is_ws(b)) == Some(&b':')
}
