//! The ids a tracker has issued, so that a question about an id it never issued (another
//! tracker's, a made-up one, one untracked or cleared) is an error rather than "collected".
//!
//! Ids are handed out in increasing order across all trackers of a thread, so one tracker's ids
//! form runs. The runs are kept sorted; once there are more than `MAX_RUNS` of them (many
//! trackers interleaving, or many untracks), the closest neighbours are merged: memory stays
//! bounded and only ids in the smallest gaps between a tracker's own runs can then be vouched
//! for wrongly.

/// Runs kept at most; each takes 8 bytes.
const MAX_RUNS: usize = 4096;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IssuedIds {
    /// Sorted, disjoint, non-adjacent inclusive ranges.
    runs: Vec<(u32, u32)>,
}

impl IssuedIds {
    pub fn contains(&self, id: u32) -> bool {
        let i = self.runs.partition_point(|&(_, last)| last < id);
        self.runs.get(i).is_some_and(|&(first, _)| first <= id)
    }

    pub fn insert(&mut self, id: u32) {
        // Almost always the next id after the last run, or a new run after it.
        if let Some(last) = self.runs.last_mut() {
            if last.1.checked_add(1) == Some(id) {
                last.1 = id;
                return;
            }
            if last.1 < id {
                self.runs.push((id, id));
                self.bound();
                return;
            }
        } else {
            self.runs.push((id, id));
            return;
        }
        // An untracked id tracked again.
        if self.contains(id) {
            return;
        }
        let i = self.runs.partition_point(|&(_, last)| last < id);
        self.runs.insert(i, (id, id));
        self.join_at(i);
        self.bound();
    }

    /// Forgets one id (untracked): its run is split around it.
    pub fn remove(&mut self, id: u32) {
        let i = self.runs.partition_point(|&(_, last)| last < id);
        let Some(&(first, last)) = self.runs.get(i) else {
            return;
        };
        if id < first {
            return;
        }
        match (first == id, last == id) {
            (true, true) => {
                self.runs.remove(i);
            }
            (true, false) => self.runs[i].0 = id + 1,
            (false, true) => self.runs[i].1 = id - 1,
            (false, false) => {
                self.runs[i].1 = id - 1;
                self.runs.insert(i + 1, (id + 1, last));
                self.bound();
            }
        }
    }

    pub fn clear(&mut self) {
        self.runs = Vec::new();
    }

    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Merges run `i` with its neighbours where they touch.
    fn join_at(&mut self, i: usize) {
        if i + 1 < self.runs.len() && self.runs[i].1 + 1 == self.runs[i + 1].0 {
            self.runs[i].1 = self.runs.remove(i + 1).1;
        }
        if i > 0 && self.runs[i - 1].1 + 1 == self.runs[i].0 {
            self.runs[i - 1].1 = self.runs.remove(i).1;
        }
    }

    /// Past `MAX_RUNS`, merges across the smallest gaps until half remain, so the work is paid
    /// once per `MAX_RUNS / 2` new runs.
    fn bound(&mut self) {
        if self.runs.len() <= MAX_RUNS {
            return;
        }
        let mut gaps: Vec<u32> = self.runs.windows(2).map(|w| w[1].0 - w[0].1).collect();
        let merges = self.runs.len() - MAX_RUNS / 2;
        let (_, &mut cut, _) = gaps.select_nth_unstable(merges - 1);
        // Gaps up to `cut` are merged; ties at `cut` only while merges are left.
        let mut below = self
            .runs
            .windows(2)
            .filter(|w| w[1].0 - w[0].1 < cut)
            .count();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(MAX_RUNS / 2 + 1);
        for &run in &self.runs {
            if let Some(prev) = merged.last_mut() {
                let gap = run.0 - prev.1;
                if gap < cut || (gap == cut && below < merges) {
                    if gap == cut {
                        below += 1;
                    }
                    prev.1 = run.1;
                    continue;
                }
            }
            merged.push(run);
        }
        self.runs = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_trackers_each_vouch_for_their_own_ids_only() {
        let (mut a, mut b) = (IssuedIds::default(), IssuedIds::default());
        for id in 1..=1000u32 {
            if id % 3 == 0 {
                b.insert(id)
            } else {
                a.insert(id)
            }
        }
        for id in 1..=1000u32 {
            assert_eq!(a.contains(id), id % 3 != 0, "{id}");
            assert_eq!(b.contains(id), id % 3 == 0, "{id}");
        }
        assert!(!a.contains(0) && !a.contains(1001));
    }

    #[test]
    fn untracking_splits_runs_and_tracking_again_joins_them() {
        let mut ids = IssuedIds::default();
        (10..=20).for_each(|id| ids.insert(id));
        ids.remove(15);
        ids.remove(10);
        ids.remove(20);
        assert_eq!(ids.runs, vec![(11, 14), (16, 19)]);
        ids.insert(15);
        assert_eq!(ids.runs, vec![(11, 19)]);
        ids.remove(99);
        assert_eq!(ids.runs(), 1);
    }

    #[test]
    fn many_interleavings_stay_bounded_and_never_forget_an_own_id() {
        let mut ids = IssuedIds::default();
        let own: Vec<u32> = (0..100_000u32).map(|i| i * 3 + (i % 7)).collect();
        for &id in &own {
            ids.insert(id);
        }
        assert!(ids.runs() <= MAX_RUNS);
        assert!(own.iter().all(|&id| ids.contains(id)));
        assert!(!ids.contains(own[own.len() - 1] + 1));
    }
}
