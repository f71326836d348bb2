//! Resumable JSON scanners for the parts of a heap snapshot. Each one is fed
//! arbitrary slices of input and can stop anywhere (inside a number, a string
//! escape, a key) and resume with the next slice.

use super::budget::{MAX_NESTING, MAX_STRING_BYTES, reserve};
use super::strings::StringTableBuilder;
use crate::snapshot::error::{Result, SnapshotError};

/// Outcome of feeding a slice to a scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The whole slice was consumed and the value is not finished yet.
    NeedMore,
    /// The value ended; this many bytes of the slice belonged to it.
    Done(usize),
}

pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

pub fn syntax(offset: u64, context: &str, message: impl Into<String>) -> SnapshotError {
    SnapshotError::Syntax {
        offset,
        context: context.to_string(),
        message: message.into(),
    }
}

/// What the byte after an element of a flat array means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterElement {
    /// `,`: another element follows.
    Next,
    /// `]`: the array ends.
    End,
    /// Whitespace.
    Skip,
}

/// Reads the byte after an element of the top-level array `section`; anything but `,`, `]` or
/// whitespace is an error at `offset`.
pub fn after_element(b: u8, offset: u64, section: &str) -> Result<AfterElement> {
    match b {
        b',' => Ok(AfterElement::Next),
        b']' => Ok(AfterElement::End),
        _ if is_ws(b) => Ok(AfterElement::Skip),
        _ => Err(syntax(
            offset,
            &format!("`{section}`"),
            format!("expected `,` or `]`, found {}", describe(b)),
        )),
    }
}

pub fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

// ---------------------------------------------------------------------------
// String contents

#[derive(Debug, Clone, Copy, Default)]
enum EscapeState {
    #[default]
    None,
    Backslash,
    Unicode {
        digits: u8,
        value: u16,
    },
}

/// Decodes the contents of a JSON string (after its opening quote). A lone surrogate, which
/// UTF-8 cannot hold, is kept as its escape (`\ud800`), as `JSON.stringify` writes it, so
/// names that differ only there stay different. One to one: a string that has a lone surrogate,
/// or a backslash followed by such escape text, also has its own backslashes doubled, so the
/// text `\ud800` and the lone surrogate stay apart. The output is never longer than the input.
#[derive(Debug, Default)]
pub struct StrDecoder {
    escape: EscapeState,
    pending_high_surrogate: Option<u16>,
    /// Where the string being decoded starts in the output.
    start: Option<usize>,
    /// Where, from `start`, a lone surrogate's escape was written.
    surrogates: Vec<usize>,
    /// A backslash of the text itself was written.
    saw_backslash: bool,
}

impl StrDecoder {
    /// `Done(n)` counts the closing quote.
    pub fn feed(
        &mut self,
        buf: &[u8],
        out: &mut Vec<u8>,
        base: u64,
        context: &str,
    ) -> Result<Progress> {
        let mut i = 0;
        self.start.get_or_insert(out.len());
        while i < buf.len() {
            match self.escape {
                EscapeState::None => {
                    let rest = &buf[i..];
                    let run = rest
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\')
                        .unwrap_or(rest.len());
                    if run > 0 {
                        self.flush_pending(out);
                        out.extend_from_slice(&rest[..run]);
                        i += run;
                        continue;
                    }
                    let quote_or_backslash = rest[0];
                    i += 1;
                    if quote_or_backslash == b'"' {
                        self.flush_pending(out);
                        self.end_string(out);
                        return Ok(Progress::Done(i));
                    }
                    self.escape = EscapeState::Backslash;
                }
                EscapeState::Backslash => {
                    let b = buf[i];
                    i += 1;
                    let decoded = match b {
                        b'"' => b'"',
                        b'\\' => {
                            self.saw_backslash = true;
                            b'\\'
                        }
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.escape = EscapeState::Unicode {
                                digits: 0,
                                value: 0,
                            };
                            continue;
                        }
                        other => {
                            return Err(syntax(
                                base + i as u64 - 1,
                                context,
                                format!("invalid escape {}", describe(other)),
                            ));
                        }
                    };
                    self.flush_pending(out);
                    out.push(decoded);
                    self.escape = EscapeState::None;
                }
                EscapeState::Unicode { digits, value } => {
                    let b = buf[i];
                    i += 1;
                    let digit = (b as char).to_digit(16).ok_or_else(|| {
                        syntax(
                            base + i as u64 - 1,
                            context,
                            format!("invalid hex digit {} in \\u escape", describe(b)),
                        )
                    })?;
                    let value = (value << 4) | digit as u16;
                    if digits < 3 {
                        self.escape = EscapeState::Unicode {
                            digits: digits + 1,
                            value,
                        };
                    } else {
                        self.escape = EscapeState::None;
                        self.push_code_unit(value, out);
                    }
                }
            }
        }
        Ok(Progress::NeedMore)
    }

    fn push_code_unit(&mut self, unit: u16, out: &mut Vec<u8>) {
        match unit {
            0xD800..=0xDBFF => {
                self.flush_pending(out);
                self.pending_high_surrogate = Some(unit);
            }
            0xDC00..=0xDFFF => match self.pending_high_surrogate.take() {
                Some(high) => {
                    let cp = 0x10000 + (((high as u32) - 0xD800) << 10) + ((unit as u32) - 0xDC00);
                    push_char(cp, out);
                }
                None => self.push_escaped(unit, out),
            },
            _ => {
                self.flush_pending(out);
                push_char(unit as u32, out);
            }
        }
    }

    fn flush_pending(&mut self, out: &mut Vec<u8>) {
        if let Some(high) = self.pending_high_surrogate.take() {
            self.push_escaped(high, out);
        }
    }

    fn push_escaped(&mut self, unit: u16, out: &mut Vec<u8>) {
        let start = self.start.unwrap_or(0);
        self.surrogates.push(out.len() - start);
        out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
    }

    /// Makes the string just decoded one to one (see the type), and gets ready for the next.
    fn end_string(&mut self, out: &mut Vec<u8>) {
        let start = self.start.take().unwrap_or(out.len()).min(out.len());
        let surrogates = std::mem::take(&mut self.surrogates);
        let saw_backslash = std::mem::take(&mut self.saw_backslash);
        let text = &out[start..];
        let escape_text = saw_backslash && (0..text.len()).any(|p| is_escape_text(&text[p..]));
        if surrogates.is_empty() && !escape_text {
            return;
        }
        // Each backslash of the text doubled (two bytes of JSON each, so still no longer than
        // the input); each surrogate's escape as it is.
        let mut rewritten = Vec::with_capacity(text.len() * 2);
        let mut next = surrogates.iter().copied().peekable();
        let mut p = 0;
        while p < text.len() {
            if next.next_if_eq(&p).is_some() {
                rewritten.extend_from_slice(&text[p..p + 6]);
                p += 6;
                continue;
            }
            if text[p] == b'\\' {
                rewritten.push(b'\\');
            }
            rewritten.push(text[p]);
            p += 1;
        }
        out.truncate(start);
        out.extend_from_slice(&rewritten);
    }
}

/// `\u` and four hex digits at the start of `s`.
fn is_escape_text(s: &[u8]) -> bool {
    s.len() >= 6 && s[0] == b'\\' && s[1] == b'u' && s[2..6].iter().all(u8::is_ascii_hexdigit)
}

fn push_char(cp: u32, out: &mut Vec<u8>) {
    let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
    let mut utf8 = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
}

// ---------------------------------------------------------------------------
// The `strings` array

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringsPhase {
    BeforeOpen,
    FirstOrClose,
    Value,
    InString,
    AfterValue,
}

#[derive(Debug)]
pub struct StringArray {
    phase: StringsPhase,
    decoder: StrDecoder,
    pub table: StringTableBuilder,
    /// When set, only the strings with these (sorted) indices are kept; the others read as empty.
    keep: Option<Vec<u32>>,
}

impl Default for StringArray {
    fn default() -> Self {
        StringArray {
            phase: StringsPhase::BeforeOpen,
            decoder: StrDecoder::default(),
            table: StringTableBuilder::default(),
            keep: None,
        }
    }
}

impl StringArray {
    /// Keeps only the strings whose index is in `keep`, sorted.
    pub fn keeping(keep: Vec<u32>) -> StringArray {
        StringArray {
            keep: Some(keep),
            ..StringArray::default()
        }
    }

    pub fn feed(&mut self, buf: &[u8], base: u64) -> Result<Progress> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.phase {
                StringsPhase::InString => {
                    let context = "`strings`";
                    // Decoded text is never longer than its JSON.
                    reserve(self.table.bytes_mut(), buf.len() - i, "the strings")?;
                    let progress = self.decoder.feed(
                        &buf[i..],
                        self.table.bytes_mut(),
                        base + i as u64,
                        context,
                    )?;
                    if self.table.current_len() > MAX_STRING_BYTES {
                        return Err(SnapshotError::Unbounded {
                            what: "string",
                            offset: base + i as u64,
                            problem: format!(
                                "element {} of `strings` is longer than {MAX_STRING_BYTES} bytes",
                                self.table.count()
                            ),
                        });
                    }
                    match progress {
                        Progress::NeedMore => return Ok(Progress::NeedMore),
                        Progress::Done(used) => {
                            i += used;
                            let index = self.table.count();
                            match &self.keep {
                                Some(keep) if keep.binary_search(&(index as u32)).is_err() => {
                                    self.table.discard_string()
                                }
                                _ => self.table.end_string(),
                            }
                            self.phase = StringsPhase::AfterValue;
                        }
                    }
                }
                StringsPhase::BeforeOpen => {
                    if b == b'[' {
                        self.phase = StringsPhase::FirstOrClose;
                    } else if !is_ws(b) {
                        return Err(syntax(
                            base + i as u64,
                            "`strings`",
                            format!("expected `[`, found {}", describe(b)),
                        ));
                    }
                    i += 1;
                }
                StringsPhase::FirstOrClose | StringsPhase::Value => {
                    i += 1;
                    if b == b'"' {
                        self.table.begin_string()?;
                        self.phase = StringsPhase::InString;
                    } else if b == b']' && self.phase == StringsPhase::FirstOrClose {
                        return Ok(Progress::Done(i));
                    } else if !is_ws(b) {
                        return Err(syntax(
                            base + i as u64 - 1,
                            "`strings`",
                            format!(
                                "element {} is not a string (found {})",
                                self.table.count(),
                                describe(b)
                            ),
                        ));
                    }
                }
                StringsPhase::AfterValue => {
                    i += 1;
                    match after_element(b, base + i as u64 - 1, "strings")? {
                        AfterElement::Next => self.phase = StringsPhase::Value,
                        AfterElement::End => return Ok(Progress::Done(i)),
                        AfterElement::Skip => {}
                    }
                }
            }
        }
        Ok(Progress::NeedMore)
    }
}

// ---------------------------------------------------------------------------
// Nested arrays of unsigned integers (`trace_tree`), kept as a token stream
// because its layout is only known once the header has been read.

pub const TOKEN_OPEN: u64 = 1 << 32;
pub const TOKEN_CLOSE: u64 = 2 << 32;

#[derive(Debug, Default)]
pub struct NestedNumbers {
    depth: u64,
    in_number: bool,
    partial: u64,
    /// True right after `[` or `,`: a value (or `]` after `[`) must follow.
    expect_value: bool,
    just_opened: bool,
    pub tokens: Vec<u64>,
}

impl NestedNumbers {
    pub fn feed(&mut self, buf: &[u8], base: u64, section: &'static str) -> Result<Progress> {
        let context = format!("`{section}`");
        // At most one token per byte.
        reserve(&mut self.tokens, buf.len(), "the allocation trace tree")?;
        for (i, &b) in buf.iter().enumerate() {
            let offset = base + i as u64;
            if b.is_ascii_digit() {
                if !self.in_number {
                    if !self.expect_value {
                        return Err(syntax(offset, &context, "expected `,` or `]`"));
                    }
                    self.in_number = true;
                    self.partial = 0;
                }
                self.partial = self.partial * 10 + (b - b'0') as u64;
                if self.partial > u32::MAX as u64 {
                    return Err(SnapshotError::BadNumber {
                        offset,
                        section,
                        index: self.tokens.len() as u64,
                        problem: "exceeds u32",
                    });
                }
                continue;
            }
            if self.in_number {
                if matches!(b, b'.' | b'e' | b'E') {
                    return Err(SnapshotError::BadNumber {
                        offset,
                        section,
                        index: self.tokens.len() as u64,
                        problem: "is not an integer",
                    });
                }
                self.tokens.push(self.partial);
                self.in_number = false;
                self.expect_value = false;
                self.just_opened = false;
            }
            match b {
                b'[' => {
                    if self.depth > 0 && !self.expect_value {
                        return Err(syntax(offset, &context, "expected `,` or `]`"));
                    }
                    if self.depth as usize >= MAX_NESTING {
                        return Err(SnapshotError::Unbounded {
                            what: "nesting",
                            offset,
                            problem: format!("{context} nests deeper than {MAX_NESTING} levels"),
                        });
                    }
                    self.depth += 1;
                    self.tokens.push(TOKEN_OPEN);
                    self.expect_value = true;
                    self.just_opened = true;
                }
                b']' => {
                    if self.depth == 0 || (self.expect_value && !self.just_opened) {
                        return Err(syntax(offset, &context, "unexpected `]`"));
                    }
                    self.depth -= 1;
                    self.tokens.push(TOKEN_CLOSE);
                    self.expect_value = false;
                    self.just_opened = false;
                    if self.depth == 0 {
                        return Ok(Progress::Done(i + 1));
                    }
                }
                b',' if self.depth > 0 && !self.expect_value => {
                    self.expect_value = true;
                    self.just_opened = false;
                }
                b'-' => {
                    return Err(SnapshotError::BadNumber {
                        offset,
                        section,
                        index: self.tokens.len() as u64,
                        problem: "is negative",
                    });
                }
                _ if is_ws(b) => {}
                _ => {
                    return Err(syntax(
                        offset,
                        &context,
                        format!("unexpected {}", describe(b)),
                    ));
                }
            }
        }
        Ok(Progress::NeedMore)
    }
}

// ---------------------------------------------------------------------------
// Any JSON value, skipped (unknown keys, sections not needed in light mode)
// or captured (the small `snapshot` header).

#[derive(Debug)]
pub struct ValueSkipper {
    stack: Vec<u8>,
    in_string: bool,
    escape: bool,
    in_scalar: bool,
    capture: Option<Vec<u8>>,
    capture_limit: usize,
    context: String,
}

impl ValueSkipper {
    pub fn skipping(context: String) -> ValueSkipper {
        ValueSkipper {
            stack: Vec::new(),
            in_string: false,
            escape: false,
            in_scalar: false,
            capture: None,
            capture_limit: 0,
            context,
        }
    }

    pub fn capturing(context: String, limit: usize) -> ValueSkipper {
        ValueSkipper {
            capture: Some(Vec::new()),
            capture_limit: limit,
            ..ValueSkipper::skipping(context)
        }
    }

    pub fn take_capture(&mut self) -> Vec<u8> {
        self.capture.take().unwrap_or_default()
    }

    pub fn feed(&mut self, buf: &[u8], base: u64) -> Result<Progress> {
        let progress = self.scan(buf, base)?;
        if let Some(capture) = &mut self.capture {
            let used = match progress {
                Progress::NeedMore => buf.len(),
                Progress::Done(n) => n,
            };
            if capture.len() + used > self.capture_limit {
                return Err(SnapshotError::TooLarge {
                    what: "the `snapshot` header in bytes",
                    value: (capture.len() + used) as u64,
                    limit: self.capture_limit as u64,
                });
            }
            capture.extend_from_slice(&buf[..used]);
        }
        Ok(progress)
    }

    fn scan(&mut self, buf: &[u8], base: u64) -> Result<Progress> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            let offset = base + i as u64;
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.stack.is_empty() {
                        return Ok(Progress::Done(i + 1));
                    }
                } else {
                    // Skip the rest of a plain run quickly.
                    let run = buf[i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\')
                        .unwrap_or(buf.len() - i);
                    i += run.max(1);
                    continue;
                }
                i += 1;
                continue;
            }
            let top_level_scalar_ends = self.in_scalar && self.stack.is_empty();
            match b {
                b'{' | b'[' => {
                    if top_level_scalar_ends {
                        return Err(syntax(offset, &self.context, "unexpected bracket"));
                    }
                    if self.stack.len() >= MAX_NESTING {
                        return Err(SnapshotError::Unbounded {
                            what: "nesting",
                            offset,
                            problem: format!(
                                "{} nests deeper than {MAX_NESTING} levels",
                                self.context
                            ),
                        });
                    }
                    self.stack.push(b);
                }
                b'}' | b']' => {
                    if top_level_scalar_ends {
                        return Ok(Progress::Done(i));
                    }
                    let open = if b == b'}' { b'{' } else { b'[' };
                    if self.stack.pop() != Some(open) {
                        return Err(syntax(
                            offset,
                            &self.context,
                            format!("unbalanced {}", describe(b)),
                        ));
                    }
                    self.in_scalar = false;
                    if self.stack.is_empty() {
                        return Ok(Progress::Done(i + 1));
                    }
                }
                b',' | b':' => {
                    if top_level_scalar_ends && b == b',' {
                        return Ok(Progress::Done(i));
                    }
                    if self.stack.is_empty() {
                        return Err(syntax(
                            offset,
                            &self.context,
                            format!("unexpected {}", describe(b)),
                        ));
                    }
                    self.in_scalar = false;
                }
                b'"' => {
                    if top_level_scalar_ends {
                        return Err(syntax(offset, &self.context, "unexpected `\"`"));
                    }
                    self.in_string = true;
                }
                _ if is_ws(b) => {
                    if top_level_scalar_ends {
                        return Ok(Progress::Done(i));
                    }
                    self.in_scalar = false;
                }
                _ if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') => {
                    self.in_scalar = true;
                }
                _ => {
                    return Err(syntax(
                        offset,
                        &self.context,
                        format!("unexpected {}", describe(b)),
                    ));
                }
            }
            i += 1;
        }
        Ok(Progress::NeedMore)
    }
}
