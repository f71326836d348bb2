//! Lookups of ids in a list sorted by id, for ids that arrive mostly ascending: each lookup
//! gallops on from the last one. Used where one snapshot's nodes are checked against another's
//! ids (leak isolation, the streamed baseline and target).

/// Looks ids up in a list sorted by id, for ids that arrive mostly ascending (V8 numbers objects
/// in the order it first meets them, which is mostly node order): each lookup gallops on from
/// the last one, and a step back starts from the front again.
#[derive(Debug, Default)]
pub(crate) struct IdCursor {
    at: usize,
}

impl IdCursor {
    /// The position of `id` in `sorted` (ascending by `id_of`), if it is there.
    #[inline]
    pub(crate) fn find<T>(
        &mut self,
        sorted: &[T],
        id_of: impl Fn(&T) -> u32,
        id: u32,
    ) -> Option<usize> {
        if self.at > 0 && sorted.get(self.at - 1).is_some_and(|e| id_of(e) >= id) {
            self.at = 0;
        }
        self.at = gallop(self.at, sorted.len(), |k| id_of(&sorted[k]) < id);
        sorted
            .get(self.at)
            .filter(|e| id_of(e) == id)
            .map(|_| self.at)
    }
}

/// The first position in `from..len` where `before` turns false (it must be true, then false,
/// over that range), in steps that double, then a binary search: O(log distance).
fn gallop(from: usize, len: usize, before: impl Fn(usize) -> bool) -> usize {
    let mut step = 1;
    while from + step < len && before(from + step) {
        step *= 2;
    }
    let (mut lo, mut hi) = (from, (from + step + 1).min(len));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A small deterministic shuffle (xorshift), so ids arrive out of order in tests.
#[cfg(test)]
pub(crate) fn shuffled(mut ids: Vec<u32>, mut seed: u64) -> Vec<u32> {
    for i in (1..ids.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ids.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_cursor_finds_what_a_binary_search_finds_in_any_order() {
        let sorted: Vec<(u32, u32)> = (0..2000).map(|i| (i * 3 + 1, i)).collect();
        // Mostly ascending runs with steps back, repeats and misses, as node order gives ids.
        let probes: Vec<u32> = (0..6000u32)
            .map(|i| match i % 7 {
                0 => i / 2,
                3 => 6000 - i,
                _ => i,
            })
            .collect();
        for order in [probes.clone(), shuffled(probes, 7)] {
            let mut cursor = IdCursor::default();
            for id in order {
                let expected = sorted.binary_search_by_key(&id, |e| e.0).ok();
                assert_eq!(cursor.find(&sorted, |e| e.0, id), expected, "id {id}");
            }
        }
    }

    #[test]
    fn gallop_finds_the_first_position_not_before() {
        let sorted: Vec<u32> = (0..1000).map(|i| i * 3).collect();
        for from in [0, 1, 10, 500, 999, 1000] {
            for probe in [0, 1, 2, 3, 299, 300, 1500, 2997, 2998, 5000] {
                let at = gallop(from, sorted.len(), |k| sorted[k] < probe);
                let expected = sorted.partition_point(|&v| v < probe).max(from);
                assert_eq!(at, expected, "from {from}, probe {probe}");
            }
        }
    }
}
