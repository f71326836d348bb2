//! Flat arrays of unsigned integers (nodes, edges, locations, ...), fed in slices split
//! anywhere. V8's plain layout goes through a 64-byte-block fast path; everything else, and every
//! error, through a byte-at-a-time state machine that the fast path hands over to exactly.

use super::budget::reserve;
use super::byte_blocks::{BLOCK, BlockClasses, count_bits};
use super::json_scan::{AfterElement, Progress, after_element, describe, is_ws, syntax};
use super::swar::{digits_value, word_at};
use crate::snapshot::error::{Result, SnapshotError};

/// Where the numbers of a flat array go.
#[derive(Debug)]
pub enum NumberSink {
    /// Keep every number.
    All(Vec<u32>),
    /// Keep only the record fields whose `keep` flag is set (light mode).
    Fields {
        out: Vec<u32>,
        keep: Vec<bool>,
        position: usize,
    },
    /// Validate and count only.
    CountOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberPhase {
    BeforeOpen,
    FirstOrClose,
    Value,
    InNumber,
    AfterValue,
}

#[derive(Debug)]
struct NumberState {
    section: &'static str,
    phase: NumberPhase,
    partial: u64,
    count: u64,
    /// Whether a leading minus is read (see `allowing_negative`), and whether the number being
    /// read had one.
    allow_negative: bool,
    negative: bool,
}

#[derive(Debug)]
pub struct NumberArray {
    state: NumberState,
    pub sink: NumberSink,
    /// Where the second half of a split slice is parsed, kept for the next slice.
    spare: Vec<u32>,
    /// The count the header declares: more is refused as soon as it is seen.
    limit: Option<u64>,
}

/// Slices at least this long, kept whole, are parsed in two halves, the second on another
/// thread: a file parse reads on one core and parses on the other, and the reader is idle most
/// of the time.
const SPLIT_AT_LEAST: usize = 1 << 20;

impl NumberArray {
    pub fn new(section: &'static str, sink: NumberSink) -> NumberArray {
        NumberArray {
            state: NumberState {
                section,
                phase: NumberPhase::BeforeOpen,
                partial: 0,
                count: 0,
                allow_negative: false,
                negative: false,
            },
            sink,
            spare: Vec::new(),
            limit: None,
        }
    }

    /// Reads a negative number as 0 instead of refusing it. For `locations`, whose line and
    /// column are negative for code a module runner compiles with a negative line offset (its
    /// wrapper starts before line 0); 0 is the start of the script.
    pub fn allowing_negative(mut self) -> NumberArray {
        self.state.allow_negative = true;
        self
    }

    /// Refuses more than `limit` numbers (the count the header declares).
    pub fn with_limit(mut self, limit: Option<u64>) -> NumberArray {
        self.limit = limit;
        self
    }

    /// Numbers seen so far (kept or not).
    pub fn count(&self) -> u64 {
        self.state.count
    }

    pub fn feed(&mut self, buf: &[u8], base: u64) -> Result<Progress> {
        self.reserve_for(buf.len())?;
        let progress = if buf.len() >= SPLIT_AT_LEAST
            && matches!(self.sink, NumberSink::All(_))
            && let Some(split) = split_point(buf)
        {
            self.feed_halves(buf, base, split)?
        } else {
            self.feed_whole(buf, base)?
        };
        if let Some(declared) = self.limit
            && self.state.count > declared
        {
            let used = match progress {
                Progress::Done(used) => used,
                Progress::NeedMore => buf.len(),
            };
            return Err(SnapshotError::TooManyValues {
                section: self.state.section,
                declared,
                offset: base + used as u64,
            });
        }
        Ok(progress)
    }

    /// Room for every number `len` bytes can hold ("0," per number), so the scan's pushes never
    /// reallocate: an allocation the input asks for fails here, as an error.
    fn reserve_for(&mut self, len: usize) -> Result<()> {
        let mut most = len / 2 + 1;
        if let Some(declared) = self.limit {
            let left = declared.saturating_sub(self.state.count).saturating_add(1);
            most = most.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        let section = self.state.section;
        match &mut self.sink {
            NumberSink::All(out) | NumberSink::Fields { out, .. } => reserve(out, most, section)?,
            NumberSink::CountOnly => {}
        }
        if len >= SPLIT_AT_LEAST {
            reserve(&mut self.spare, most, section)?;
        }
        Ok(())
    }

    /// The second half (after the comma at `split - 1`) is read on another thread from the
    /// state just after a comma, then appended. When the halves do not join cleanly (the array
    /// ends in the first, or the second has an error), the second half is read again here, so
    /// values and errors are exactly those of one pass.
    fn feed_halves(&mut self, buf: &[u8], base: u64, split: usize) -> Result<Progress> {
        let (head, tail) = buf.split_at(split);
        let tail_base = base + split as u64;
        let mut spare = std::mem::take(&mut self.spare);
        spare.clear();
        let section = self.state.section;
        let allow_negative = self.state.allow_negative;
        let (first, second) = crate::parallel::join(
            || self.feed_whole(head, base),
            || {
                let mut st = NumberState {
                    section,
                    phase: NumberPhase::Value,
                    partial: 0,
                    count: 0,
                    allow_negative,
                    negative: false,
                };
                let result =
                    scan_numbers::<false, _, _>(&mut st, tail, tail_base, all, |v| spare.push(v));
                matches!(result, Ok(Progress::NeedMore)).then_some(st)
            },
        );
        let joined = match (first?, second) {
            (Progress::Done(used), _) => {
                self.spare = spare;
                return Ok(Progress::Done(used));
            }
            (Progress::NeedMore, Some(st)) if self.state.phase == NumberPhase::Value => {
                if let NumberSink::All(out) = &mut self.sink {
                    out.extend_from_slice(&spare);
                }
                self.state.count += st.count;
                self.state.phase = st.phase;
                self.state.partial = st.partial;
                self.state.negative = st.negative;
                true
            }
            _ => false,
        };
        self.spare = spare;
        if joined {
            return Ok(Progress::NeedMore);
        }
        Ok(match self.feed_whole(tail, tail_base)? {
            Progress::Done(used) => Progress::Done(split + used),
            Progress::NeedMore => Progress::NeedMore,
        })
    }

    fn feed_whole(&mut self, buf: &[u8], base: u64) -> Result<Progress> {
        match &mut self.sink {
            NumberSink::All(out) => {
                scan_numbers::<false, _, _>(&mut self.state, buf, base, all, |v| out.push(v))
            }
            NumberSink::Fields {
                out,
                keep,
                position,
            } => {
                let width = keep.len().max(1);
                // Fields not kept are not even decoded (light parses keep 4 of 7).
                let kept = |p: usize| keep.get(p).copied().unwrap_or(false);
                let bits = (width <= 64)
                    .then(|| (0..width).fold(0u64, |b, p| b | u64::from(kept(p)) << p));
                let mut at = *position;
                let want = || {
                    let wanted = bits.map_or_else(|| kept(at), |b| b >> at & 1 != 0);
                    at += 1;
                    if at == width {
                        at = 0;
                    }
                    wanted
                };
                let result =
                    scan_numbers::<false, _, _>(&mut self.state, buf, base, want, |v| out.push(v));
                *position = at;
                result
            }
            NumberSink::CountOnly => {
                scan_numbers::<true, _, _>(&mut self.state, buf, base, || false, |_| {})
            }
        }
    }
}

/// Just after a comma near the middle of `buf`, when no `]` follows (the array goes on past
/// `buf`, so the second half is numbers only).
fn split_point(buf: &[u8]) -> Option<usize> {
    let mid = buf.len() / 2;
    let split = mid + buf.get(mid..)?.iter().position(|&b| b == b',')? + 1;
    (split < buf.len() && !buf.get(split..)?.contains(&b']')).then_some(split)
}

fn bad_number(st: &NumberState, offset: u64, problem: &'static str) -> SnapshotError {
    SnapshotError::BadNumber {
        offset,
        section: st.section,
        index: st.count,
        problem,
    }
}

fn check_integer_end(st: &NumberState, b: u8, offset: u64) -> Result<()> {
    if matches!(b, b'.' | b'e' | b'E') {
        Err(bad_number(st, offset, "is not an integer"))
    } else {
        Ok(())
    }
}

/// The fast path for what V8 writes, `12,345\n,6`: 64 bytes classified at once, then every
/// number that ends in the block read from its own position (no byte-to-byte dependency, so the
/// CPU reads several at a time). Each block starts just after a comma, so nothing carries over
/// from the one before. Stops before anything else, including runs of ten digits or more (they
/// may not fit a u32), and returns the position just after the last comma it read: the byte
/// loop goes on from there exactly as if it had read everything itself, errors included.
#[inline(always)]
fn read_plain_blocks<W: FnMut() -> bool, F: FnMut(u32)>(
    st: &mut NumberState,
    buf: &[u8],
    mut i: usize,
    want: &mut W,
    push: &mut F,
) -> usize {
    // A number starting at the block's last byte is read eight bytes on: the window holds them.
    while let Some(window) = buf.get(i..i + BLOCK + 8) {
        let Some(classes) = BlockClasses::at(window, 0) else {
            break;
        };
        let (stop, commas) = plain_prefix(classes);
        if commas == 0 {
            break;
        }
        let last_comma = 63 - commas.leading_zeros();
        let before_last = (1u64 << last_comma) - 1;
        let digits = classes.digits;
        let mut starts = digits & !(digits << 1) & before_last;
        let mut ends = digits & !(digits >> 1) & before_last;
        while starts != 0 {
            let (first, last) = (starts.trailing_zeros(), ends.trailing_zeros());
            starts &= starts - 1;
            ends &= ends - 1;
            if !want() {
                continue;
            }
            let at = first as usize;
            let len = last - first + 1;
            // `at` < 64, so the window always has the eight bytes (and a ninth digit's byte).
            let mut value = digits_value(word_at(window, at).unwrap_or(0), len.min(8));
            if len > 8 {
                value = value * 10 + u64::from(window.get(at + 8).map_or(0, |d| d - b'0'));
            }
            push(value as u32);
        }
        st.count += count_bits(commas);
        st.phase = NumberPhase::Value;
        i += last_comma as usize + 1;
        if stop < 64 {
            break;
        }
    }
    i
}

/// For a block that starts just after a comma (or `[`): where V8's plain layout stops (64 if it
/// does not), and the commas before that point. Plain means digit runs of at most nine, each
/// followed by `,` or `\n,`.
#[inline(always)]
fn plain_prefix(classes: BlockClasses) -> (u32, u64) {
    let BlockClasses {
        digits,
        commas,
        newlines,
    } = classes;
    let odd = !(digits | commas | newlines)
        | (commas << 1 | 1) & (commas | newlines)
        | (newlines << 1) & (digits | newlines);
    // Bit k of `tenth` is set when bytes k-9..=k are all digits.
    let two = digits & digits << 1;
    let four = two & two << 2;
    let eight = four & four << 4;
    let tenth = eight & two << 8;
    let stop = (odd | tenth).trailing_zeros();
    let before = if stop >= 64 {
        commas
    } else {
        commas & ((1u64 << stop) - 1)
    };
    (stop, before)
}

/// The count-only fast path (light parses skip edges and locations): V8's layout eight bytes at
/// a time, digits then `,` or `\n,`, every comma ending one number. Stops before anything else,
/// including runs of ten digits or more (they may not fit a u32), and returns the position just
/// after the last comma it counted: the byte loop goes on from there exactly as if it had read
/// everything itself, errors included.
#[inline(always)]
fn count_plain_run(st: &mut NumberState, buf: &[u8], mut i: usize) -> usize {
    while let Some(classes) = BlockClasses::at(buf, i) {
        let (stop, commas) = plain_prefix(classes);
        if commas == 0 {
            break;
        }
        st.count += count_bits(commas);
        st.phase = NumberPhase::Value;
        i += (64 - commas.leading_zeros()) as usize;
        if stop < 64 {
            break;
        }
    }
    i
}

/// Every number is kept.
fn all() -> bool {
    true
}

// The hot loop of the parser: plain runs go through `scan_plain_run` (or `count_plain_run` when
// the numbers are only counted), everything else (and every error) through the byte-at-a-time
// state machine. `want` is asked once per number, in order, before it is decoded; `push` gets
// the numbers it wanted.
#[inline(always)]
fn scan_numbers<const COUNT_ONLY: bool, W: FnMut() -> bool, F: FnMut(u32)>(
    st: &mut NumberState,
    buf: &[u8],
    base: u64,
    mut want: W,
    mut push: F,
) -> Result<Progress> {
    let n = buf.len();
    let mut i = 0;
    while i < n {
        // After a minus the number is read below, where its sign is kept.
        if !st.negative && matches!(st.phase, NumberPhase::Value | NumberPhase::FirstOrClose) {
            i = if COUNT_ONLY {
                count_plain_run(st, buf, i)
            } else {
                read_plain_blocks(st, buf, i, &mut want, &mut push)
            };
            if i >= n {
                break;
            }
        }
        let b = buf[i];
        match st.phase {
            NumberPhase::InNumber | NumberPhase::FirstOrClose | NumberPhase::Value
                if b.is_ascii_digit() =>
            {
                let mut acc = if st.phase == NumberPhase::InNumber {
                    st.partial
                } else {
                    0
                };
                let mut j = i;
                while j < n {
                    let d = buf[j].wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    acc = acc * 10 + d as u64;
                    if acc > u32::MAX as u64 {
                        return Err(bad_number(st, base + j as u64, "exceeds u32"));
                    }
                    j += 1;
                }
                if j == n {
                    st.partial = acc;
                    st.phase = NumberPhase::InNumber;
                    return Ok(Progress::NeedMore);
                }
                check_integer_end(st, buf[j], base + j as u64)?;
                if want() {
                    push(if st.negative { 0 } else { acc as u32 });
                }
                st.negative = false;
                st.count += 1;
                st.phase = NumberPhase::AfterValue;
                i = j;
            }
            NumberPhase::InNumber => {
                // The number ended exactly at the previous chunk boundary.
                check_integer_end(st, b, base + i as u64)?;
                if want() {
                    push(if st.negative { 0 } else { st.partial as u32 });
                }
                st.negative = false;
                st.count += 1;
                st.phase = NumberPhase::AfterValue;
            }
            NumberPhase::AfterValue => {
                i += 1;
                match after_element(b, base + i as u64 - 1, st.section)? {
                    AfterElement::Next => st.phase = NumberPhase::Value,
                    AfterElement::End => return Ok(Progress::Done(i)),
                    AfterElement::Skip => {}
                }
            }
            NumberPhase::FirstOrClose | NumberPhase::Value => {
                if b == b']' && st.phase == NumberPhase::FirstOrClose {
                    return Ok(Progress::Done(i + 1));
                }
                if b == b'-' {
                    if !st.allow_negative || st.negative {
                        return Err(bad_number(st, base + i as u64, "is negative"));
                    }
                    st.negative = true;
                    st.phase = NumberPhase::Value;
                    i += 1;
                    continue;
                }
                if !is_ws(b) {
                    return Err(syntax(
                        base + i as u64,
                        &format!("`{}`", st.section),
                        format!("expected an unsigned integer, found {}", describe(b)),
                    ));
                }
                i += 1;
            }
            NumberPhase::BeforeOpen => {
                if b == b'[' {
                    st.phase = NumberPhase::FirstOrClose;
                } else if !is_ws(b) {
                    return Err(syntax(
                        base + i as u64,
                        &format!("`{}`", st.section),
                        format!("expected `[`, found {}", describe(b)),
                    ));
                }
                i += 1;
            }
        }
    }
    Ok(Progress::NeedMore)
}
