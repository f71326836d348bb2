//! Per-field statistics over the samples a ring holds.

use super::SampleRing;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldStats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub last: f64,
}

/// Statistics of one field; `None` for an empty ring. Percentiles are nearest-rank, so each is a
/// value that was actually sampled. `scratch` is reused across calls to avoid reallocating.
pub fn field_stats(ring: &SampleRing, field: usize, scratch: &mut Vec<f64>) -> Option<FieldStats> {
    let last = ring.last()?.values[field];
    scratch.clear();
    scratch.extend(ring.column(field));
    let n = scratch.len();
    let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    for &v in scratch.iter() {
        min = min.min(v);
        max = max.max(v);
        sum += v;
    }
    let p95 = nearest_rank(scratch, 0.95);
    let p50 = nearest_rank(scratch, 0.50);
    Some(FieldStats {
        min,
        max,
        mean: sum / n as f64,
        p50,
        p95,
        last,
    })
}

/// The smallest value with at least `q` of the values at or below it.
fn nearest_rank(values: &mut [f64], q: f64) -> f64 {
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    *values.select_nth_unstable_by(rank - 1, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_figures() {
        let mut ring = SampleRing::new(vec!["x".into()], 100).unwrap();
        // 1..=20 in a scrambled order; the last one recorded is 7.
        for (t, v) in [
            3, 20, 1, 15, 9, 11, 2, 18, 4, 13, 6, 17, 5, 19, 8, 12, 10, 16, 14, 7,
        ]
        .into_iter()
        .enumerate()
        {
            ring.push(t as f64, false, &[v as f64]).unwrap();
        }
        let s = field_stats(&ring, 0, &mut Vec::new()).unwrap();
        assert_eq!((s.min, s.max, s.mean, s.last), (1.0, 20.0, 10.5, 7.0));
        assert_eq!((s.p50, s.p95), (10.0, 19.0));
    }

    #[test]
    fn empty_ring_has_no_stats() {
        let ring = SampleRing::new(vec!["x".into()], 4).unwrap();
        assert!(field_stats(&ring, 0, &mut Vec::new()).is_none());
    }
}
