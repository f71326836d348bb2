//! The tracker's bookkeeping: which tracked objects are still alive, with their label, group,
//! creation time and optional captured stack.
//!
//! JavaScript owns the `FinalizationRegistry` and hands ids over in batches: new registrations and
//! finalizations. This table owns everything else, frees an entry as soon as its object is
//! finalized or untracked, and refuses to grow past its capacity, so the tracker itself can
//! never become a leak.
//!
//! An entry is 16 bytes plus its id: labels are interned (they repeat across thousands of
//! objects) and referenced by number; the rare unique strings and captured stacks live in a side
//! map that is only consulted when it is not empty.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::issued_ids::IssuedIds;

/// A label or group as handed to the table.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Text {
    #[default]
    None,
    /// A ref returned by [`TrackerTable::intern`].
    Interned(u32),
    /// A string used once: stored with the entry and freed with it.
    Own(Box<str>),
}

/// A registration handed over by JavaScript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registration {
    pub id: u32,
    pub label: Text,
    pub group: Text,
    pub stack: Option<Box<str>>,
}

/// What a caller gets back about a survivor, with its age resolved at query time.
#[derive(Debug, Clone, PartialEq)]
pub struct Survivor {
    pub id: u32,
    pub label: Option<Arc<str>>,
    pub group: Option<Arc<str>>,
    pub stack: Option<Box<str>>,
    pub age_ms: f64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    #[error("tracker is full: {capacity} objects are already tracked (raise `maxTracked`)")]
    Full { capacity: usize },
    #[error("id {0} is already tracked")]
    DuplicateId(u32),
    #[error("unknown interned string ref {0}")]
    UnknownRef(u32),
}

// String refs inside an entry: 0 is "none", 1..=n an interned string, OWN a side-map string.
const NO_TEXT: u32 = 0;
const OWN: u32 = u32::MAX;
// A freed slot, waiting for compaction.
const DEAD: u64 = u64::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    label: u32,
    group: u32,
    created_ns: u64,
}

#[derive(Debug, Default)]
struct Extra {
    label: Option<Box<str>>,
    group: Option<Box<str>>,
    stack: Option<Box<str>>,
}

/// Dead slots tolerated before compaction, so small tables never pay for it.
const COMPACT_MIN_DEAD: usize = 1024;

#[derive(Debug)]
pub struct TrackerTable {
    // Ids arrive in increasing order (they are creation order), so a sorted Vec takes them with a
    // push and finds them by binary search. Freed slots are marked in place and compacted once
    // they outnumber the live ones: memory stays proportional to what is alive.
    ids: Vec<u32>,
    slots: Vec<Slot>,
    extras: HashMap<u32, Extra>,
    interned: Vec<Arc<str>>,
    origin: Instant,
    live: usize,
    capacity: usize,
    collected: u64,
    /// Every id this table took and has not forgotten (untracked or cleared).
    issued: IssuedIds,
}

impl TrackerTable {
    pub fn new(capacity: usize) -> Self {
        Self {
            ids: Vec::new(),
            slots: Vec::new(),
            extras: HashMap::new(),
            interned: Vec::new(),
            origin: Instant::now(),
            live: 0,
            capacity,
            collected: 0,
            issued: IssuedIds::default(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Objects tracked and not yet finalized or untracked.
    pub fn alive(&self) -> usize {
        self.live
    }

    /// Objects whose finalization was reported while they were tracked.
    pub fn collected(&self) -> u64 {
        self.collected
    }

    /// Interns a label for use as [`Text::Interned`]; the caller bounds how many it interns.
    pub fn intern(&mut self, s: &str) -> u32 {
        self.interned.push(s.into());
        self.interned.len() as u32
    }

    fn slot(&self, id: u32) -> Option<usize> {
        self.ids
            .binary_search(&id)
            .ok()
            .filter(|&i| self.slots[i].created_ns != DEAD)
    }

    pub fn contains(&self, id: u32) -> bool {
        self.slot(id).is_some()
    }

    /// Whether this table took `id` and has not forgotten it since: alive, or collected.
    pub fn issued(&self, id: u32) -> bool {
        self.issued.contains(id)
    }

    fn text_ref(&self, t: &Text) -> Result<u32, TableError> {
        match t {
            Text::None => Ok(NO_TEXT),
            Text::Interned(r) if (1..=self.interned.len() as u32).contains(r) => Ok(*r),
            Text::Interned(r) => Err(TableError::UnknownRef(*r)),
            Text::Own(_) => Ok(OWN),
        }
    }

    /// Adds a batch of registrations, all stamped with the same creation time (they were made in
    /// one synchronous job). The batch is applied up to the first error; the error says why the
    /// rest was refused.
    pub fn insert_batch(
        &mut self,
        batch: impl IntoIterator<Item = Registration>,
        now: Instant,
    ) -> Result<usize, TableError> {
        let created_ns = now.saturating_duration_since(self.origin).as_nanos() as u64;
        let mut added = 0;
        for reg in batch {
            if self.live >= self.capacity {
                return Err(TableError::Full {
                    capacity: self.capacity,
                });
            }
            let slot = Slot {
                label: self.text_ref(&reg.label)?,
                group: self.text_ref(&reg.group)?,
                created_ns,
            };
            match self.ids.last() {
                Some(&last) if last >= reg.id => match self.ids.binary_search(&reg.id) {
                    Ok(i) if self.slots[i].created_ns != DEAD => {
                        return Err(TableError::DuplicateId(reg.id));
                    }
                    Ok(i) => self.slots[i] = slot,
                    // Out of order only when an untracked id is tracked again: rare.
                    Err(i) => {
                        self.ids.insert(i, reg.id);
                        self.slots.insert(i, slot);
                    }
                },
                _ => {
                    self.ids.push(reg.id);
                    self.slots.push(slot);
                }
            }
            let own = |t: Text| match t {
                Text::Own(s) => Some(s),
                _ => None,
            };
            let extra = Extra {
                label: own(reg.label),
                group: own(reg.group),
                stack: reg.stack,
            };
            if extra.label.is_some() || extra.group.is_some() || extra.stack.is_some() {
                self.extras.insert(reg.id, extra);
            }
            self.issued.insert(reg.id);
            self.live += 1;
            added += 1;
        }
        Ok(added)
    }

    fn remove(&mut self, id: u32) -> bool {
        let Some(i) = self.slot(id) else {
            return false;
        };
        self.slots[i].created_ns = DEAD;
        if !self.extras.is_empty() {
            self.extras.remove(&id);
        }
        self.live -= 1;
        let dead = self.ids.len() - self.live;
        if dead >= COMPACT_MIN_DEAD && dead > self.live {
            self.compact();
        }
        true
    }

    fn compact(&mut self) {
        let mut keep = self.slots.iter().map(|s| s.created_ns != DEAD);
        self.ids.retain(|_| keep.next().unwrap_or(false));
        self.slots.retain(|s| s.created_ns != DEAD);
        self.ids.shrink_to(self.ids.len() * 2);
        self.slots.shrink_to(self.slots.len() * 2);
        if self.extras.capacity() > 2 * self.extras.len() + 64 {
            self.extras.shrink_to_fit();
        }
    }

    /// Records that these objects were garbage collected; unknown ids (untracked earlier, or
    /// dropped by `clear`) are ignored. Returns how many tracked entries this freed.
    pub fn finalize_batch(&mut self, ids: impl IntoIterator<Item = u32>) -> usize {
        let mut freed = 0;
        for id in ids {
            if self.remove(id) {
                freed += 1;
            }
        }
        self.collected += freed as u64;
        freed
    }

    /// Stops tracking one object without counting it as collected.
    pub fn untrack(&mut self, id: u32) -> bool {
        let was = self.remove(id);
        if was {
            self.issued.remove(id);
        }
        was
    }

    fn text(&self, r: u32, own: Option<&str>) -> Option<Arc<str>> {
        match r {
            NO_TEXT => None,
            OWN => own.map(Arc::from),
            r => self.interned.get(r as usize - 1).cloned(),
        }
    }

    fn survivor(&self, i: usize, now_ns: u64) -> Survivor {
        let (id, slot) = (self.ids[i], self.slots[i]);
        let extra = self.extras.get(&id);
        Survivor {
            id,
            label: self.text(slot.label, extra.and_then(|e| e.label.as_deref())),
            group: self.text(slot.group, extra.and_then(|e| e.group.as_deref())),
            stack: extra.and_then(|e| e.stack.clone()),
            age_ms: now_ns.saturating_sub(slot.created_ns) as f64 / 1e6,
        }
    }

    /// Survivors oldest first, optionally restricted to one group and/or a set of ids.
    pub fn survivors(
        &self,
        group: Option<&str>,
        ids: Option<&[u32]>,
        now: Instant,
    ) -> Vec<Survivor> {
        let now_ns = now.saturating_duration_since(self.origin).as_nanos() as u64;
        let indices: Vec<usize> = match ids {
            Some(ids) => {
                let mut wanted = ids.to_vec();
                wanted.sort_unstable();
                wanted.dedup();
                wanted.into_iter().filter_map(|id| self.slot(id)).collect()
            }
            None => (0..self.ids.len())
                .filter(|&i| self.slots[i].created_ns != DEAD)
                .collect(),
        };
        indices
            .into_iter()
            .map(|i| self.survivor(i, now_ns))
            .filter(|s| group.is_none() || s.group.as_deref() == group)
            .collect()
    }

    /// Forgets every entry and interned string; later finalizations of those ids are ignored.
    pub fn clear(&mut self) {
        self.ids = Vec::new();
        self.slots = Vec::new();
        self.extras = HashMap::new();
        self.interned = Vec::new();
        self.issued.clear();
        self.live = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn reg(id: u32, label: &str) -> Registration {
        Registration {
            id,
            label: Text::Own(label.into()),
            ..Default::default()
        }
    }

    #[test]
    fn finalization_frees_entries_and_counts_them() {
        let mut t = TrackerTable::new(10);
        let now = Instant::now();
        assert_eq!(
            t.insert_batch([reg(1, "a"), reg(2, "b"), reg(3, "c")], now),
            Ok(3)
        );
        assert_eq!(t.finalize_batch([2, 3, 99]), 2);
        assert_eq!(t.alive(), 1);
        assert_eq!(t.collected(), 2);
        let s = t.survivors(None, None, now);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].id, 1);
        assert_eq!(s[0].label.as_deref(), Some("a"));
    }

    #[test]
    fn capacity_is_enforced_and_reported() {
        let mut t = TrackerTable::new(2);
        let now = Instant::now();
        let err = t.insert_batch([reg(1, "a"), reg(2, "b"), reg(3, "c")], now);
        assert_eq!(err, Err(TableError::Full { capacity: 2 }));
        assert_eq!(t.alive(), 2, "entries before the refused one are kept");
        t.finalize_batch([1]);
        assert_eq!(
            t.insert_batch([reg(3, "c")], now),
            Ok(1),
            "room again after a finalization"
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut t = TrackerTable::new(5);
        let now = Instant::now();
        t.insert_batch([reg(7, "a")], now).unwrap();
        assert_eq!(
            t.insert_batch([reg(7, "b")], now),
            Err(TableError::DuplicateId(7))
        );
    }

    #[test]
    fn untrack_does_not_count_as_collected() {
        let mut t = TrackerTable::new(5);
        let now = Instant::now();
        t.insert_batch([reg(1, "a")], now).unwrap();
        assert!(t.untrack(1));
        assert!(!t.untrack(1));
        assert_eq!(
            t.finalize_batch([1]),
            0,
            "finalization after untrack is ignored"
        );
        assert_eq!(t.collected(), 0);
    }

    #[test]
    fn survivors_filter_by_group_and_ids_and_report_age() {
        let mut t = TrackerTable::new(10);
        let then = Instant::now();
        let grouped = |id, g: &str| Registration {
            id,
            group: Text::Own(g.into()),
            ..Default::default()
        };
        t.insert_batch([grouped(1, "x"), grouped(2, "y"), grouped(3, "x")], then)
            .unwrap();
        let later = then + Duration::from_millis(250);
        let xs: Vec<u32> = t
            .survivors(Some("x"), None, later)
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(xs, [1, 3]);
        let picked: Vec<u32> = t
            .survivors(None, Some(&[3, 2, 3, 42]), later)
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(picked, [2, 3]);
        let age = t.survivors(None, None, later)[0].age_ms;
        assert!(
            (age - 250.0).abs() < 1e-6,
            "age is measured from the batch's time: {age}"
        );
    }

    #[test]
    fn clear_releases_everything() {
        let mut t = TrackerTable::new(1000);
        let now = Instant::now();
        t.insert_batch((1..=1000).map(|i| reg(i, "x")), now)
            .unwrap();
        t.clear();
        assert_eq!(t.alive(), 0);
        assert_eq!(t.finalize_batch(1..=1000), 0);
    }

    #[test]
    fn compaction_keeps_memory_proportional_to_live_entries() {
        let mut t = TrackerTable::new(usize::MAX);
        let now = Instant::now();
        // One long-lived entry, then a million short-lived ones.
        t.insert_batch([reg(1, "long-lived")], now).unwrap();
        for round in 0..100u32 {
            let ids = (0..10_000u32).map(|i| 2 + round * 10_000 + i);
            t.insert_batch(ids.clone().map(|id| reg(id, "tmp")), now)
                .unwrap();
            t.finalize_batch(ids);
        }
        assert_eq!(t.alive(), 1);
        assert!(
            t.ids.len() < 2 * COMPACT_MIN_DEAD,
            "slots kept: {}",
            t.ids.len()
        );
        assert!(t.contains(1));
        assert_eq!(t.collected(), 1_000_000);
    }

    #[test]
    fn an_untracked_id_can_be_tracked_again_out_of_order() {
        let mut t = TrackerTable::new(10);
        let now = Instant::now();
        t.insert_batch([reg(1, "a"), reg(2, "b"), reg(3, "c")], now)
            .unwrap();
        t.untrack(2);
        t.insert_batch([reg(2, "b again")], now).unwrap();
        let labels: Vec<_> = t
            .survivors(None, None, now)
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(
            labels,
            [Some("a".into()), Some("b again".into()), Some("c".into())]
        );
    }

    #[test]
    fn interned_labels_are_shared_and_unknown_refs_refused() {
        let mut t = TrackerTable::new(10);
        let now = Instant::now();
        let r = t.intern("session");
        let regs = (1..=3).map(|id| Registration {
            id,
            label: Text::Interned(r),
            ..Default::default()
        });
        t.insert_batch(regs, now).unwrap();
        let s = t.survivors(None, None, now);
        assert!(s.iter().all(|s| s.label.as_deref() == Some("session")));
        let bad = Registration {
            id: 9,
            label: Text::Interned(42),
            ..Default::default()
        };
        assert_eq!(t.insert_batch([bad], now), Err(TableError::UnknownRef(42)));
    }

    #[test]
    fn side_strings_and_stacks_are_freed_with_their_entry() {
        let mut t = TrackerTable::new(10);
        let now = Instant::now();
        let with_stack = Registration {
            id: 1,
            label: Text::Own("unique".into()),
            stack: Some("at f (a.js:1:1)".into()),
            ..Default::default()
        };
        t.insert_batch([with_stack], now).unwrap();
        let s = &t.survivors(None, None, now)[0];
        assert_eq!(s.stack.as_deref(), Some("at f (a.js:1:1)"));
        assert_eq!(s.label.as_deref(), Some("unique"));
        t.finalize_batch([1]);
        assert!(t.extras.is_empty());
    }
}
