//! Eight bytes at a time in a `u64` (SIMD within a register): the number scanners' fast paths.
//! Portable, no `unsafe`; every helper is checked against a byte-by-byte version in the tests.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The eight bytes at `i`, first byte lowest; `None` past the end.
#[inline(always)]
pub fn word_at(buf: &[u8], i: usize) -> Option<u64> {
    let bytes: [u8; 8] = buf.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The value of the first `len` (1..=8) digits of `w`: moved to the top bytes (the rest fall
/// out, zeros come in as leading digits), then pairs, quads and halves are combined.
#[inline(always)]
pub fn digits_value(w: u64, len: u32) -> u64 {
    const PAIRS: u64 = 0x0000_00FF_0000_00FF;
    let mut v = (w ^ (ONES * u64::from(b'0'))) << (8 * (8 - len));
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    ((v & PAIRS)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & PAIRS).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

/// The high bit of every byte of `w` equal to `byte` (exact: no carries between bytes).
#[inline(always)]
pub fn equal_bytes(w: u64, byte: u8) -> u64 {
    let x = w ^ (ONES * u64::from(byte));
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGH
}

/// The high bit of every byte of `w` that is an ASCII digit (exact).
#[inline(always)]
pub fn digit_bytes(w: u64) -> u64 {
    let x = w ^ (ONES * u64::from(b'0'));
    // Bytes 0..=9 stay below 0x80 after adding 0x76; the others (and those with the high bit
    // set, kept by `| x`) reach it. Masking to 7 bits first keeps carries inside each byte.
    !(((x & LOW7).wrapping_add(ONES * 0x76)) | x) & HIGH
}

/// One bit per byte from the high bits of `m`: byte k of the word becomes bit k.
#[inline(always)]
pub fn byte_bits(m: u64) -> u64 {
    (m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Vec<[u8; 8]> {
        // Every byte value in every position, next to digits, commas and high bytes.
        let mut out = Vec::new();
        for b in 0..=255u8 {
            for pos in 0..8 {
                for fill in [b'0', b'9', b',', b'\n', 0xFF, 0x00, b'/', b':'] {
                    let mut w = [fill; 8];
                    w[pos] = b;
                    out.push(w);
                }
            }
        }
        out.push(*b"12,345\n,");
        out.push(*b"99999999");
        out
    }

    #[test]
    fn byte_masks_match_byte_by_byte() {
        for w in words() {
            let expect = |f: fn(u8) -> bool| {
                w.iter()
                    .enumerate()
                    .filter(|(_, b)| f(**b))
                    .fold(0u64, |m, (k, _)| m | 1 << k)
            };
            let word = u64::from_le_bytes(w);
            assert_eq!(
                byte_bits(digit_bytes(word)),
                expect(|b| b.is_ascii_digit()),
                "{w:?}"
            );
            assert_eq!(
                byte_bits(equal_bytes(word, b',')),
                expect(|b| b == b','),
                "{w:?}"
            );
            assert_eq!(
                byte_bits(equal_bytes(word, 0xFF)),
                expect(|b| b == 0xFF),
                "{w:?}"
            );
        }
    }

    #[test]
    fn values_match_byte_by_byte() {
        for w in words() {
            let run = w.iter().take_while(|b| b.is_ascii_digit()).count() as u32;
            let word = u64::from_le_bytes(w);
            if run > 0 {
                let value = w[..run as usize]
                    .iter()
                    .fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
                assert_eq!(digits_value(word, run), value, "{w:?}");
            }
        }
    }

    #[test]
    fn words_past_the_end_are_none() {
        let buf = [b'1'; 9];
        assert!(word_at(&buf, 1).is_some());
        assert!(word_at(&buf, 2).is_none());
        assert!(word_at(&buf, usize::MAX).is_none());
    }
}
