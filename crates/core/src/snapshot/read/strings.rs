//! The snapshot's string table: one UTF-8 arena plus u64 offsets, because the
//! table of a big heap can exceed 4 GiB in total.

use super::budget::reserve;
use crate::snapshot::error::Result;

/// Immutable string table; `get` never panics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringTable {
    text: String,
    /// `offsets[i]..offsets[i + 1]` is string `i`; always starts with 0.
    offsets: Vec<u64>,
}

impl StringTable {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, index: u32) -> Option<&str> {
        let i = index as usize;
        let start = usize::try_from(*self.offsets.get(i)?).ok()?;
        let end = usize::try_from(*self.offsets.get(i.checked_add(1)?)?).ok()?;
        self.text.get(start..end)
    }

    /// Like `get`, but an out-of-range index (already rejected when the graph
    /// is built) reads as an empty string.
    pub fn get_or_empty(&self, index: u32) -> &str {
        self.get(index).unwrap_or("")
    }

    pub fn total_bytes(&self) -> usize {
        self.text.len()
    }

    /// Heap memory the table holds.
    pub fn heap_bytes(&self) -> u64 {
        (self.text.len() + self.offsets.len() * 8) as u64
    }
}

/// Accumulates decoded strings while parsing.
#[derive(Debug)]
pub struct StringTableBuilder {
    bytes: Vec<u8>,
    offsets: Vec<u64>,
    current_start: usize,
}

impl Default for StringTableBuilder {
    fn default() -> Self {
        StringTableBuilder {
            bytes: Vec::new(),
            offsets: vec![0],
            current_start: 0,
        }
    }
}

impl StringTableBuilder {
    /// Where the decoder appends the bytes of the string being read.
    pub fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Starts a string; its end offset is reserved now, so closing it cannot fail.
    pub fn begin_string(&mut self) -> Result<()> {
        reserve(&mut self.offsets, 1, "the string offsets")?;
        self.current_start = self.bytes.len();
        Ok(())
    }

    /// Bytes of the string being read so far.
    pub fn current_len(&self) -> usize {
        self.bytes.len().saturating_sub(self.current_start)
    }

    /// Closes the current string. Invalid UTF-8 (never produced by V8, but
    /// possible in a damaged file) is replaced with U+FFFD rather than failing.
    pub fn end_string(&mut self) {
        let start = self.current_start.min(self.bytes.len());
        if std::str::from_utf8(&self.bytes[start..]).is_err() {
            let fixed = String::from_utf8_lossy(&self.bytes[start..]).into_owned();
            self.bytes.truncate(start);
            self.bytes.extend_from_slice(fixed.as_bytes());
        }
        self.offsets.push(self.bytes.len() as u64);
    }

    /// Closes the current string as an empty one: a light parse keeps only the strings it uses.
    pub fn discard_string(&mut self) {
        self.bytes.truncate(self.current_start);
        self.offsets.push(self.bytes.len() as u64);
    }

    pub fn count(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn finish(self) -> StringTable {
        // Every string was validated when it was closed, so this cannot fail;
        // fall back to a lossy copy rather than panic all the same.
        let text = match String::from_utf8(self.bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        StringTable {
            text,
            offsets: self.offsets,
        }
    }
}
