//! Plain-text building blocks of the reports: sizes, counts, colour and aligned tables.

use std::borrow::Cow;

/// ANSI colour, or none.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    fn wrap(&self, code: u8, s: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.wrap(1, s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.wrap(2, s)
    }
    pub fn red(&self, s: &str) -> String {
        self.wrap(31, s)
    }
    pub fn green(&self, s: &str) -> String {
        self.wrap(32, s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.wrap(33, s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.wrap(36, s)
    }
}

/// A byte count in decimal units: `512 B`, `1.50 kB`, `12.3 MB`.
pub fn bytes(n: i128) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let mut v = n.unsigned_abs() as f64;
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    let shown = if u == 0 {
        format!("{v}")
    } else {
        to_fixed(v, if v < 10.0 { 2 } else { 1 })
    };
    format!("{sign}{shown} {}", UNITS[u])
}

/// A non-negative finite number rounded to `digits` decimals from its exact value, halves
/// rounded up as people (and JavaScript's `toFixed`) do; Rust's own formatting rounds them to
/// even.
fn to_fixed(v: f64, digits: usize) -> String {
    // Every digit of the exact binary value: a double below 2^53 has at most 52 fraction bits,
    // so at most 52 decimals.
    let exact = format!("{v:.60}");
    let (int, frac) = exact.split_once('.').unwrap_or((&exact, ""));
    let mut kept: Vec<u8> = int.bytes().chain(frac.bytes().take(digits)).collect();
    if frac.as_bytes().get(digits).is_some_and(|&d| d >= b'5') {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - digits;
    let text = String::from_utf8(kept).unwrap_or_default();
    if digits == 0 {
        text
    } else {
        format!("{}.{}", &text[..split], &text[split..])
    }
}

/// A whole number with thousands separators: `1,234,567`.
pub fn count(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `+n` for growth, as is otherwise.
pub fn signed(n: i128, format: fn(i128) -> String) -> String {
    if n > 0 {
        format!("+{}", format(n))
    } else {
        format(n)
    }
}

/// One column of a table: its title, its cell text, and whether it is aligned left.
pub struct Column<R> {
    title: &'static str,
    text: fn(&R) -> String,
    left: bool,
}

impl<R> Column<R> {
    /// Text aligned left (names).
    pub fn left(title: &'static str, text: fn(&R) -> String) -> Column<R> {
        Column {
            title,
            text,
            left: true,
        }
    }

    /// Text aligned right (numbers).
    pub fn right(title: &'static str, text: fn(&R) -> String) -> Column<R> {
        Column {
            title,
            text,
            left: false,
        }
    }
}

/// Text from the heap (class, property and function names, script URLs) with control
/// characters shown as `\xNN`: a name holding ESC or BEL must not retitle or clear the user's
/// terminal.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Rows under a title line, columns two spaces apart, sized to their widest cell.
pub fn table<R>(rows: &[R], columns: &[Column<R>]) -> String {
    let cells: Vec<Vec<String>> =
        std::iter::once(columns.iter().map(|c| c.title.to_string()).collect())
            .chain(rows.iter().map(|r| {
                columns
                    .iter()
                    .map(|c| printable(&(c.text)(r)).into_owned())
                    .collect()
            }))
            .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            cells
                .iter()
                .map(|line| line[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    cells
        .iter()
        .map(|line| {
            let padded: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let pad = " ".repeat(widths[i] - cell.chars().count());
                    if columns[i].left {
                        format!("{cell}{pad}")
                    } else {
                        format!("{pad}{cell}")
                    }
                })
                .collect();
            padded.join("  ").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::{bytes, count, signed, to_fixed};

    #[test]
    fn sizes_in_decimal_units_halves_rounded_up() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1000), "1.00 kB");
        assert_eq!(bytes(-1500), "-1.50 kB");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(bytes(9_999_999), "10.00 MB");
        // Exact halves round up, as toFixed does: 1.125 and 0.125 are exact in binary.
        assert_eq!(bytes(1125), "1.13 kB");
        assert_eq!(to_fixed(0.125, 2), "0.13");
        assert_eq!(to_fixed(99.95, 1), "100.0");
        assert_eq!(to_fixed(9.995, 2), "9.99"); // 9.995 is a little under in binary
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(-1_234_567), "-1,234,567");
        assert_eq!(signed(3, count), "+3");
        assert_eq!(signed(-3, count), "-3");
    }
}
