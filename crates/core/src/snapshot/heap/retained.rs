//! Retained sizes in four bytes per node. Sizes fit in 32 bits everywhere except near the root
//! of heaps over 4 GiB; those few nodes keep their size in a side table.

use std::collections::HashMap;

/// Marks a size kept in `large`.
const IN_LARGE: u32 = u32::MAX;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetainedSizes {
    small: Vec<u32>,
    large: HashMap<u32, u64>,
}

impl RetainedSizes {
    /// Heap memory held: a u32 per node, plus the sizes too large for one.
    pub fn heap_bytes(&self) -> u64 {
        (self.small.len() * 4 + self.large.capacity() * 16) as u64
    }

    /// Every node starts out retaining only itself.
    pub fn from_self_sizes(self_sizes: &[u32]) -> RetainedSizes {
        let mut sizes = RetainedSizes {
            small: self_sizes.to_vec(),
            large: HashMap::new(),
        };
        for (i, &s) in self_sizes.iter().enumerate() {
            if s == IN_LARGE {
                sizes.large.insert(i as u32, u64::from(s));
            }
        }
        sizes
    }

    pub fn len(&self) -> usize {
        self.small.len()
    }

    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }

    /// The size of node `i`; 0 out of range.
    pub fn get(&self, i: usize) -> u64 {
        match self.small.get(i) {
            Some(&IN_LARGE) => self.large.get(&(i as u32)).copied().unwrap_or(0),
            Some(&s) => u64::from(s),
            None => 0,
        }
    }

    /// Adds `amount` to node `i` (ignored out of range).
    pub fn add(&mut self, i: usize, amount: u64) {
        let total = self.get(i).saturating_add(amount);
        let Some(slot) = self.small.get_mut(i) else {
            return;
        };
        match u32::try_from(total) {
            Ok(t) if t != IN_LARGE => *slot = t,
            _ => {
                *slot = IN_LARGE;
                self.large.insert(i as u32, total);
            }
        }
    }

    pub fn to_vec(&self) -> Vec<u64> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_past_four_gib_are_kept_whole() {
        let mut sizes = RetainedSizes::from_self_sizes(&[0, u32::MAX, 7]);
        assert_eq!(sizes.get(1), u64::from(u32::MAX));
        sizes.add(0, 3 << 30);
        sizes.add(0, 3 << 30);
        sizes.add(0, sizes.get(1));
        sizes.add(2, 1);
        assert_eq!(sizes.get(0), (6 << 30) + u64::from(u32::MAX));
        assert_eq!(sizes.get(2), 8);
        assert_eq!(sizes.get(3), 0);
        assert_eq!(sizes.large.len(), 2);
        assert_eq!(
            sizes.to_vec(),
            [(6 << 30) + u64::from(u32::MAX), 4294967295, 8]
        );
    }
}
