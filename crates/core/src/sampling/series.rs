//! A sampler's state: the ring of samples, the post-GC trend, node-memwatch's rule for
//! comparison, and counters. Its memory is fixed when it is created.

use super::causes::{Cause, CauseDetectors, CauseFields};
use super::{MemwatchRule, SampleRing, SamplingError, Trend, TrendDetector, TrendOptions};

/// The field the trend follows.
pub const HEAP_USED: &str = "heapUsed";

#[derive(Debug, Clone)]
pub struct SeriesOptions {
    pub capacity: usize,
    pub fields: Vec<String>,
    pub trend: TrendOptions,
    /// When set, the series asks for a confirming major GC while the heap has grown well past
    /// the last live level it knows and no major GC has come for a while (see [`Confirm`]).
    pub confirm: Option<Confirm>,
}

/// When to ask for a major GC to learn the live heap. A fast leak makes V8 grow the heap
/// geometrically, so natural major GCs come seconds to minutes apart and give too few post-GC
/// points to judge; a GC brought forward costs one pause that V8 would have taken later anyway.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confirm {
    /// No confirming GC within this long of the last major GC.
    pub min_interval_ms: f64,
    /// Heap in use must exceed the last live level by this share of it…
    pub growth_ratio: f64,
    /// …and by at least this many bytes.
    pub min_growth_bytes: f64,
}

impl Default for Confirm {
    fn default() -> Self {
        Self {
            min_interval_ms: 8_000.0,
            growth_ratio: 0.25,
            min_growth_bytes: 8.0 * 1024.0 * 1024.0,
        }
    }
}

pub struct Series {
    ring: SampleRing,
    heap_used: usize,
    trend: TrendDetector,
    /// The verdicts per cause besides the JS heap's.
    causes: CauseDetectors,
    memwatch: MemwatchRule,
    pub samples_total: u64,
    pub gc_samples_total: u64,
    pub leak_episodes: u64,
    pub memwatch_leaks: u64,
    last_after_gc: Option<(f64, f64)>,
    confirm: Option<Confirm>,
    confirm_not_before: f64,
    pub confirmations: u64,
}

/// What recording one sample set off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Recorded {
    /// Set when this sample started a leak episode.
    pub leak: Option<Trend>,
    /// Set when node-memwatch's rule would have reported a leak at this sample.
    pub memwatch_leak: bool,
    /// Set when a confirming major GC is due (only with [`SeriesOptions::confirm`]).
    pub confirm_gc: bool,
    /// Set when this sample started a leak episode of another cause than the JS heap.
    pub cause_leak: Option<Cause>,
}

impl Series {
    pub fn new(opts: SeriesOptions) -> Result<Self, SamplingError> {
        let heap_used = opts
            .fields
            .iter()
            .position(|f| f == HEAP_USED)
            .ok_or_else(|| SamplingError::Option {
                name: "fields",
                problem: format!("must include `{HEAP_USED}`"),
            })?;
        if let Some(c) = opts.confirm
            && !(c.min_interval_ms.is_finite()
                && c.min_interval_ms >= 0.0
                && c.growth_ratio.is_finite()
                && c.growth_ratio >= 0.0
                && c.min_growth_bytes.is_finite()
                && c.min_growth_bytes >= 0.0)
        {
            return Err(SamplingError::Option {
                name: "confirmGc",
                problem: format!("needs finite, non-negative figures, got {c:?}"),
            });
        }
        Ok(Self {
            confirm: opts.confirm,
            confirm_not_before: f64::NEG_INFINITY,
            confirmations: 0,
            causes: CauseDetectors::new(CauseFields::of(&opts.fields), &opts.trend)?,
            trend: TrendDetector::new(opts.trend)?,
            ring: SampleRing::new(opts.fields, opts.capacity)?,
            heap_used,
            memwatch: MemwatchRule::default(),
            samples_total: 0,
            gc_samples_total: 0,
            leak_episodes: 0,
            memwatch_leaks: 0,
            last_after_gc: None,
        })
    }

    pub fn record(
        &mut self,
        t: f64,
        after_gc: bool,
        row: &[f64],
    ) -> Result<Recorded, SamplingError> {
        self.ring.push(t, after_gc, row)?;
        self.samples_total += 1;
        self.trend.note_time(t);
        self.causes.note_time(t);
        let mut out = Recorded::default();
        if after_gc {
            let heap = row[self.heap_used];
            self.gc_samples_total += 1;
            self.last_after_gc = Some((t, heap));
            out.leak = self.trend.observe(t, heap);
            out.cause_leak = self
                .causes
                .observe(t, row, &self.trend.trend())
                .into_iter()
                .next();
            out.memwatch_leak = self.memwatch.observe(heap);
            self.leak_episodes += u64::from(out.leak.is_some());
            self.memwatch_leaks += u64::from(out.memwatch_leak);
        } else if let (Some(c), Some((t_gc, live))) = (self.confirm, self.last_after_gc) {
            let heap = row[self.heap_used];
            out.confirm_gc = t - t_gc >= c.min_interval_ms
                && t >= self.confirm_not_before
                && heap >= live * (1.0 + c.growth_ratio)
                && heap >= live + c.min_growth_bytes;
            self.confirmations += u64::from(out.confirm_gc);
        }
        Ok(out)
    }

    /// No confirming GC before time `t` (ms): the caller spaces them by what they cost.
    pub fn defer_confirmation(&mut self, t: f64) {
        self.confirm_not_before = t;
    }

    pub fn ring(&self) -> &SampleRing {
        &self.ring
    }

    pub fn trend(&self) -> Trend {
        self.trend.trend()
    }

    /// The verdict of every cause of growth, the JS heap's first.
    pub fn causes(&self) -> [Cause; 4] {
        self.causes.causes(&self.trend.trend())
    }

    pub fn trend_detector(&self) -> &TrendDetector {
        &self.trend
    }

    pub fn heap_used_field(&self) -> usize {
        self.heap_used
    }

    /// Time and heap size of the newest post-GC sample.
    pub fn last_after_gc(&self) -> Option<(f64, f64)> {
        self.last_after_gc
    }

    /// Forgets samples, trend and counters, keeping the options and the allocation.
    pub fn clear(&mut self) {
        self.ring.clear();
        self.trend.reset();
        self.causes.reset();
        self.memwatch = MemwatchRule::default();
        self.samples_total = 0;
        self.gc_samples_total = 0;
        self.leak_episodes = 0;
        self.memwatch_leaks = 0;
        self.last_after_gc = None;
        self.confirmations = 0;
        self.confirm_not_before = f64::NEG_INFINITY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::Verdict;

    #[test]
    fn a_leaking_series_is_reported_once_and_counted() {
        let mut s = Series::new(SeriesOptions {
            capacity: 16,
            fields: vec!["rss".into(), HEAP_USED.into()],
            trend: TrendOptions {
                warmup_ms: 1000.0,
                ..TrendOptions::default()
            },
            confirm: None,
        })
        .unwrap();
        let mut leaks = 0;
        for i in 0..100u32 {
            let t = f64::from(i) * 500.0;
            let heap = 20e6 + 1e6 * f64::from(i / 4);
            let r = s.record(t, i % 4 == 3, &[heap * 2.0, heap]).unwrap();
            leaks += usize::from(r.leak.is_some());
        }
        assert_eq!(leaks, 1);
        assert_eq!(s.leak_episodes, 1);
        assert_eq!((s.samples_total, s.gc_samples_total), (100, 25));
        assert_eq!(s.ring().len(), 16);
        assert_eq!(s.trend().verdict, Verdict::Leaking);
        assert!(s.memwatch_leaks >= 1);
        s.clear();
        assert_eq!(
            (s.samples_total, s.ring().len(), s.trend().points),
            (0, 0, 0)
        );
    }

    #[test]
    fn asks_for_a_confirming_gc_only_when_grown_and_overdue() {
        let mut s = Series::new(SeriesOptions {
            capacity: 64,
            fields: vec![HEAP_USED.into()],
            trend: TrendOptions::default(),
            confirm: Some(Confirm::default()),
        })
        .unwrap();
        const MB: f64 = 1024.0 * 1024.0;
        // No live level known yet: nothing to compare with.
        assert!(!s.record(0.0, false, &[100.0 * MB]).unwrap().confirm_gc);
        s.record(1000.0, true, &[20.0 * MB]).unwrap();
        // Grown enough, but too soon after the last major GC.
        assert!(!s.record(5000.0, false, &[40.0 * MB]).unwrap().confirm_gc);
        // Overdue, but not grown enough (needs 25 MB and 28 MB).
        assert!(!s.record(9500.0, false, &[27.0 * MB]).unwrap().confirm_gc);
        assert!(s.record(9600.0, false, &[28.5 * MB]).unwrap().confirm_gc);
        assert_eq!(s.confirmations, 1);
        s.defer_confirmation(20_000.0);
        assert!(!s.record(19_000.0, false, &[40.0 * MB]).unwrap().confirm_gc);
        assert!(s.record(20_000.0, false, &[40.0 * MB]).unwrap().confirm_gc);
    }

    #[test]
    fn needs_a_heap_used_field() {
        let e = Series::new(SeriesOptions {
            capacity: 4,
            fields: vec!["rss".into()],
            trend: TrendOptions::default(),
            confirm: None,
        });
        assert!(matches!(
            e,
            Err(SamplingError::Option { name: "fields", .. })
        ));
    }
}
