//! 64 bytes of input classified at once into bitmasks (bit k = byte k): digits, commas and
//! newlines, all a number array in V8's layout holds. SSE2 (part of every x86-64 CPU) where
//! available, eight bytes in a `u64` elsewhere; both are checked against a byte loop in the tests.

use super::swar::word_at;

pub const BLOCK: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockClasses {
    pub digits: u64,
    pub commas: u64,
    pub newlines: u64,
}

impl BlockClasses {
    /// The block at `i`; `None` when fewer than 64 bytes are left.
    #[inline(always)]
    pub fn at(buf: &[u8], i: usize) -> Option<BlockClasses> {
        let block: &[u8; BLOCK] = buf.get(i..i.checked_add(BLOCK)?)?.try_into().ok()?;
        Some(classify(block))
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify(block: &[u8; BLOCK]) -> BlockClasses {
    // SAFETY: SSE2 is part of the x86-64 baseline, so every CPU this code runs on has it.
    unsafe { sse2::classify(block) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify(block: &[u8; BLOCK]) -> BlockClasses {
    swar_classify(block)
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{BLOCK, BlockClasses};
    use std::arch::x86_64::*;

    #[target_feature(enable = "sse2")]
    fn lane(bytes: &[u8]) -> __m128i {
        let word = |k: usize| {
            let part: [u8; 8] = bytes
                .get(k..k + 8)
                .and_then(|s| s.try_into().ok())
                .unwrap_or([0; 8]);
            i64::from_le_bytes(part)
        };
        _mm_set_epi64x(word(8), word(0))
    }

    /// Each mask of 16 bytes as 16 bits.
    #[target_feature(enable = "sse2")]
    fn masks(v: __m128i) -> (u64, u64, u64) {
        let bits = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16);
        // A digit minus '0' is at most 9; saturating off 9 leaves zero exactly for digits.
        let from_zero = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let digits = _mm_cmpeq_epi8(
            _mm_subs_epu8(from_zero, _mm_set1_epi8(9)),
            _mm_setzero_si128(),
        );
        let commas = _mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8));
        let newlines = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
        (bits(digits), bits(commas), bits(newlines))
    }

    #[target_feature(enable = "sse2")]
    pub fn classify(block: &[u8; BLOCK]) -> BlockClasses {
        let mut out = BlockClasses {
            digits: 0,
            commas: 0,
            newlines: 0,
        };
        for (k, bytes) in block.chunks_exact(16).enumerate() {
            let (d, c, n) = masks(lane(bytes));
            out.digits |= d << (16 * k);
            out.commas |= c << (16 * k);
            out.newlines |= n << (16 * k);
        }
        out
    }
}

/// The portable version: eight bytes at a time in a `u64`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn swar_classify(block: &[u8; BLOCK]) -> BlockClasses {
    use super::swar::{byte_bits, digit_bytes, equal_bytes};
    let mut out = BlockClasses {
        digits: 0,
        commas: 0,
        newlines: 0,
    };
    for k in 0..BLOCK / 8 {
        let w = word_at(block, 8 * k).unwrap_or(0);
        out.digits |= byte_bits(digit_bytes(w)) << (8 * k);
        out.commas |= byte_bits(equal_bytes(w, b',')) << (8 * k);
        out.newlines |= byte_bits(equal_bytes(w, b'\n')) << (8 * k);
    }
    out
}

/// Set bits of `mask`, without relying on a popcount instruction.
#[inline(always)]
pub fn count_bits(mut mask: u64) -> u64 {
    mask -= (mask >> 1) & 0x5555_5555_5555_5555;
    mask = (mask & 0x3333_3333_3333_3333) + ((mask >> 2) & 0x3333_3333_3333_3333);
    mask = (mask + (mask >> 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    mask.wrapping_mul(0x0101_0101_0101_0101) >> 56
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_bytes(block: &[u8; BLOCK]) -> BlockClasses {
        let mask = |f: fn(u8) -> bool| {
            (0..BLOCK)
                .filter(|&k| f(block[k]))
                .fold(0u64, |m, k| m | 1 << k)
        };
        BlockClasses {
            digits: mask(|b| b.is_ascii_digit()),
            commas: mask(|b| b == b','),
            newlines: mask(|b| b == b'\n'),
        }
    }

    #[test]
    fn every_byte_in_every_position_is_classified_like_the_byte_loop() {
        for b in 0..=255u8 {
            for fill in [b'0', b'9', b',', b'\n', b'/', b':', 0x00, 0x80, 0xFF] {
                for pos in 0..BLOCK {
                    let mut block = [fill; BLOCK];
                    block[pos] = b;
                    let expect = by_bytes(&block);
                    assert_eq!(classify(&block), expect, "{b} at {pos} in {fill}");
                    assert_eq!(swar_classify(&block), expect, "{b} at {pos} in {fill}");
                }
            }
        }
    }

    #[test]
    fn bits_are_counted() {
        for mask in [0, 1, u64::MAX, 0x8000_0000_0000_0001, 0xF0F0_1234_5678_9ABC] {
            assert_eq!(count_bits(mask), u64::from(mask.count_ones()));
        }
    }

    #[test]
    fn short_tails_are_not_blocks() {
        let buf = [b'1'; 70];
        assert!(BlockClasses::at(&buf, 6).is_some());
        assert!(BlockClasses::at(&buf, 7).is_none());
    }
}
