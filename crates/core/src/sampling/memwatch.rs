//! node-memwatch's leak rule, kept for comparison with the trend verdict: a leak is reported when
//! the heap measured after a full GC grew at five consecutive full GCs.

#[derive(Debug, Default, Clone)]
pub struct MemwatchRule {
    previous: Option<f64>,
    consecutive: u32,
}

/// Consecutive post-GC growths that make node-memwatch report a leak.
pub const MEMWATCH_GROWTHS: u32 = 5;

impl MemwatchRule {
    /// Feeds the heap size after one full GC; true when the rule reports a leak (then it starts
    /// counting again, as memwatch does).
    pub fn observe(&mut self, heap_after_gc: f64) -> bool {
        let grew = self.previous.is_some_and(|p| heap_after_gc > p);
        self.previous = Some(heap_after_gc);
        self.consecutive = if grew { self.consecutive + 1 } else { 0 };
        if self.consecutive >= MEMWATCH_GROWTHS {
            self.consecutive = 0;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_after_five_growths_in_a_row() {
        let mut rule = MemwatchRule::default();
        let fired: Vec<bool> = [10.0, 11.0, 12.0, 11.5, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]
            .into_iter()
            .map(|v| rule.observe(v))
            .collect();
        // The dip at 11.5 resets the count; 12..16 are growths 1..5 after it.
        assert_eq!(fired.iter().position(|&f| f), Some(8));
        assert_eq!(fired.iter().filter(|&&f| f).count(), 1);
    }
}
