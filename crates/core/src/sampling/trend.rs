//! The post-GC trend and the leak verdict.
//!
//! Only heap sizes measured right after a major GC say how much is live: between GCs the heap
//! also holds garbage, and RSS moves with allocator fragmentation. Over a sliding window of those
//! points the slope is a Theil–Sen estimate (the median of pairwise slopes: a few outliers, such
//! as a burst or one compaction, cannot drag it), and the Mann–Kendall test says how sure we can
//! be that the series rises at all. A leak is called only when the rise is significant, large
//! enough to matter against the heap's level, and still under way in the newer half of the
//! window, so a cache that filled up and then levelled off is not a leak.

use std::collections::VecDeque;

use super::SamplingError;

#[derive(Debug, Clone, PartialEq)]
pub struct TrendOptions {
    /// How far back post-GC points count.
    pub window_ms: f64,
    /// Post-GC points in the first `warmup_ms` after sampling starts are ignored (start-up
    /// allocation is growth, not a leak).
    pub warmup_ms: f64,
    /// Fewest points for any verdict but `stable`.
    pub min_points: usize,
    /// Points kept at most; older ones are thinned out beyond this.
    pub max_points: usize,
    /// Smallest growth across the window that can be a leak, in bytes…
    pub min_growth_bytes: f64,
    /// …and as a share of the heap's level, whichever is larger.
    pub min_growth_ratio: f64,
    /// Mann–Kendall confidence that the heap rises, for `leaking` and for `growing`.
    pub leak_confidence: f64,
    pub growing_confidence: f64,
}

impl Default for TrendOptions {
    fn default() -> Self {
        Self {
            window_ms: 10.0 * 60.0 * 1000.0,
            warmup_ms: 10_000.0,
            min_points: 5,
            max_points: 240,
            min_growth_bytes: 1024.0 * 1024.0,
            min_growth_ratio: 0.02,
            leak_confidence: 0.98,
            growing_confidence: 0.9,
        }
    }
}

impl TrendOptions {
    pub fn validate(&self) -> Result<(), SamplingError> {
        fn bad(name: &'static str, problem: &str) -> Result<(), SamplingError> {
            Err(SamplingError::Option {
                name,
                problem: problem.into(),
            })
        }
        if !(self.window_ms.is_finite() && self.window_ms > 0.0) {
            return bad("windowMs", "must be a positive number of milliseconds");
        }
        if !(self.warmup_ms.is_finite() && self.warmup_ms >= 0.0) {
            return bad("warmupMs", "must be a number of milliseconds ≥ 0");
        }
        if self.min_points < 3 || self.min_points > self.max_points {
            return bad("minPoints", "must be at least 3 and at most maxPoints");
        }
        if self.max_points > 4096 {
            return bad("maxPoints", "must be at most 4096");
        }
        if !(self.min_growth_bytes.is_finite() && self.min_growth_bytes >= 0.0) {
            return bad("minGrowthBytes", "must be a number of bytes ≥ 0");
        }
        if !(self.min_growth_ratio.is_finite() && self.min_growth_ratio >= 0.0) {
            return bad("minGrowthRatio", "must be a number ≥ 0");
        }
        let p = |c: f64| c.is_finite() && c > 0.5 && c < 1.0;
        if !p(self.growing_confidence) || !p(self.leak_confidence) {
            return bad(
                "leakConfidence",
                "and growingConfidence must lie between 0.5 and 1",
            );
        }
        if self.growing_confidence > self.leak_confidence {
            return bad("growingConfidence", "must not exceed leakConfidence");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Stable,
    Growing,
    Leaking,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Stable => "stable",
            Verdict::Growing => "growing",
            Verdict::Leaking => "leaking",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub slope_bytes_per_sec: f64,
    /// Time spanned by the points used.
    pub window_ms: f64,
    pub verdict: Verdict,
    /// For `leaking`/`growing`, the confidence that the heap rises; for `stable`, how clearly it
    /// does not (0 while there are too few points to tell).
    pub confidence: f64,
    pub points: usize,
    /// Growth across the window at the fitted slope.
    pub growth_bytes: f64,
    /// The fitted post-GC heap at `at_ms`, the newest point.
    pub level_bytes: f64,
    pub at_ms: f64,
}

impl Trend {
    fn none() -> Self {
        Trend {
            slope_bytes_per_sec: 0.0,
            window_ms: 0.0,
            verdict: Verdict::Stable,
            confidence: 0.0,
            points: 0,
            growth_bytes: 0.0,
            level_bytes: 0.0,
            at_ms: 0.0,
        }
    }
}

pub struct TrendDetector {
    opts: TrendOptions,
    origin: Option<f64>,
    points: VecDeque<(f64, f64)>,
    scratch: Vec<f64>,
    current: Trend,
    in_episode: bool,
}

impl TrendDetector {
    pub fn new(opts: TrendOptions) -> Result<Self, SamplingError> {
        opts.validate()?;
        Ok(Self {
            points: VecDeque::with_capacity(opts.max_points + 1),
            scratch: Vec::new(),
            opts,
            origin: None,
            current: Trend::none(),
            in_episode: false,
        })
    }

    pub fn options(&self) -> &TrendOptions {
        &self.opts
    }

    /// Marks when sampling started; the warm-up counts from the first call.
    pub fn note_time(&mut self, t: f64) {
        self.origin.get_or_insert(t);
    }

    /// Feeds the heap measured right after a major GC at time `t` (ms). Returns the trend when
    /// this point starts a leak episode; an episode ends when the verdict falls back to stable.
    pub fn observe(&mut self, t: f64, heap_after_gc: f64) -> Option<Trend> {
        let origin = *self.origin.get_or_insert(t);
        if t < origin + self.opts.warmup_ms {
            return None;
        }
        self.points.push_back((t, heap_after_gc));
        while self
            .points
            .front()
            .is_some_and(|&(t0, _)| t0 < t - self.opts.window_ms)
        {
            self.points.pop_front();
        }
        if self.points.len() > self.opts.max_points {
            self.thin_older_half();
        }
        self.current = self.evaluate();
        match self.current.verdict {
            Verdict::Leaking if !self.in_episode => {
                self.in_episode = true;
                Some(self.current)
            }
            Verdict::Stable => {
                self.in_episode = false;
                None
            }
            _ => None,
        }
    }

    pub fn trend(&self) -> Trend {
        self.current
    }

    pub fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points.iter().copied()
    }

    pub fn reset(&mut self) {
        self.origin = None;
        self.points.clear();
        self.current = Trend::none();
        self.in_episode = false;
    }

    /// Drops every second point of the older half, so a long window keeps its shape in bounded
    /// memory while the newest points stay dense.
    fn thin_older_half(&mut self) {
        let half = self.points.len() / 2;
        let mut i = 0;
        self.points.retain(|_| {
            let keep = i >= half || i % 2 == 0;
            i += 1;
            keep
        });
    }

    fn evaluate(&mut self) -> Trend {
        let n = self.points.len();
        let (t_first, t_last) = match (self.points.front(), self.points.back()) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => return Trend::none(),
        };
        let pts = self.points.make_contiguous();
        let slope = theil_sen(pts, &mut self.scratch).unwrap_or(0.0);
        self.scratch.clear();
        self.scratch
            .extend(pts.iter().map(|&(t, y)| y - slope * (t - t_last)));
        let level = median(&mut self.scratch).unwrap_or(0.0);
        let span = t_last - t_first;
        let growth = slope * span;
        let mut trend = Trend {
            slope_bytes_per_sec: slope * 1000.0,
            window_ms: span,
            verdict: Verdict::Stable,
            confidence: 0.0,
            points: n,
            growth_bytes: growth,
            level_bytes: level,
            at_ms: t_last,
        };
        if n < self.opts.min_points {
            return trend;
        }
        let rising = mann_kendall_confidence(pts);
        let threshold = self
            .opts
            .min_growth_bytes
            .max(self.opts.min_growth_ratio * level);
        // The newer half of the points (post-GC points are spaced unevenly, so by count).
        let recent = &pts[n - n.div_ceil(2).max(3)..];
        let still_rising = recent.len() >= 3
            && theil_sen(recent, &mut self.scratch).is_some_and(|s| s > 0.25 * slope);
        (trend.verdict, trend.confidence) =
            if rising >= self.opts.leak_confidence && growth >= threshold && still_rising {
                (Verdict::Leaking, rising)
            } else if rising >= self.opts.growing_confidence && growth >= threshold / 2.0 {
                (Verdict::Growing, rising)
            } else {
                let small = 1.0 - (growth / threshold).clamp(0.0, 1.0);
                (Verdict::Stable, (1.0 - rising).max(small))
            };
        trend
    }
}

/// Theil–Sen slope (y per unit of t) of points sorted by t: the median of the slopes of all
/// pairs with distinct t. `None` with fewer than two distinct times.
pub fn theil_sen(points: &[(f64, f64)], scratch: &mut Vec<f64>) -> Option<f64> {
    scratch.clear();
    for (i, &(ti, yi)) in points.iter().enumerate() {
        for &(tj, yj) in &points[i + 1..] {
            if tj > ti {
                scratch.push((yj - yi) / (tj - ti));
            }
        }
    }
    median(scratch)
}

fn median(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let upper = *values.select_nth_unstable_by(n / 2, f64::total_cmp).1;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = values[..n / 2]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

/// One-sided Mann–Kendall test: the confidence (1 − p) that the series rises over time.
pub(crate) fn mann_kendall_confidence(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mut s = 0.0;
    for (i, &(_, yi)) in points.iter().enumerate() {
        for &(_, yj) in &points[i + 1..] {
            s += (yj - yi).signum() * f64::from(u8::from(yj != yi));
        }
    }
    let var = n * (n - 1.0) * (2.0 * n + 5.0) / 18.0;
    if var <= 0.0 {
        return 0.5;
    }
    // Continuity correction, as in the textbook test.
    let z = if s > 0.0 {
        (s - 1.0) / var.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var.sqrt()
    } else {
        0.0
    };
    normal_cdf(z)
}

/// Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, error < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: f64 = 1024.0 * 1024.0;

    /// A deterministic pseudo-random sequence in [-1, 1), so tests need no crate.
    fn noise(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    fn detector() -> TrendDetector {
        TrendDetector::new(TrendOptions {
            warmup_ms: 0.0,
            ..TrendOptions::default()
        })
        .unwrap()
    }

    #[test]
    fn theil_sen_ignores_outliers() {
        let mut pts: Vec<(f64, f64)> = (0..21).map(|i| (i as f64, 3.0 * i as f64 + 7.0)).collect();
        pts[4].1 = 1e9;
        pts[15].1 = -1e9;
        assert_eq!(theil_sen(&pts, &mut Vec::new()), Some(3.0));
        assert_eq!(theil_sen(&[(1.0, 1.0), (1.0, 5.0)], &mut Vec::new()), None);
    }

    #[test]
    fn normal_cdf_matches_tables() {
        for (z, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_7),
            (1.96, 0.975_002_1),
            (-2.326, 0.010_009),
        ] {
            assert!((normal_cdf(z) - p).abs() < 1e-5, "Φ({z})");
        }
    }

    #[test]
    fn steady_growth_is_a_leak_once_per_episode() {
        let mut d = detector();
        let mut seed = 1;
        let mut episodes = 0;
        for i in 0..40 {
            let t = i as f64 * 5000.0;
            // 2 MB per point on a 50 MB heap, with ±1 MB of noise.
            let y = 50.0 * MB + 2.0 * MB * i as f64 + MB * noise(&mut seed);
            episodes += usize::from(d.observe(t, y).is_some());
        }
        let trend = d.trend();
        assert_eq!(trend.verdict, Verdict::Leaking);
        assert!(trend.confidence > 0.999);
        let per_sec = 2.0 * MB / 5.0;
        assert!(
            (trend.slope_bytes_per_sec - per_sec).abs() < 0.1 * per_sec,
            "{trend:?}"
        );
        assert_eq!(episodes, 1);
    }

    #[test]
    fn a_flat_noisy_heap_is_stable() {
        let mut d = detector();
        let mut seed = 7;
        for i in 0..200 {
            let y = 80.0 * MB + 3.0 * MB * noise(&mut seed);
            assert!(d.observe(i as f64 * 3000.0, y).is_none());
            assert_ne!(d.trend().verdict, Verdict::Leaking, "point {i}");
        }
        let t = d.trend();
        assert_eq!(t.verdict, Verdict::Stable);
        assert!(t.confidence > 0.5, "{t:?}");
    }

    #[test]
    fn a_cache_that_fills_then_levels_off_is_not_a_leak_once_full() {
        let mut d = detector();
        let mut seed = 3;
        let mut verdicts = Vec::new();
        for i in 0..300 {
            // Fills 40 MB over the first 20 points, then stays full (a point per 5 s, so the
            // 10-minute window has left the filling phase after 140 points).
            let fill = (i.min(20) as f64) * 2.0 * MB;
            let y = 30.0 * MB + fill + 0.5 * MB * noise(&mut seed);
            d.observe(i as f64 * 5000.0, y);
            verdicts.push(d.trend().verdict);
        }
        // While it fills, a cache is indistinguishable from a leak. Once the newer half of the
        // window is flat (here within 10 points of the plateau) it is no longer called one, and
        // once the window has moved past the filling phase the verdict is stable.
        assert!(verdicts[..20].contains(&Verdict::Leaking));
        assert!(verdicts[30..].iter().all(|v| *v != Verdict::Leaking));
        assert!(verdicts[150..].iter().all(|v| *v == Verdict::Stable));
    }

    #[test]
    fn growth_below_the_threshold_is_not_a_leak() {
        let mut d = detector();
        for i in 0..50 {
            // 10 KB per point on a 100 MB heap: rising, but 0.5 MB in all.
            d.observe(i as f64 * 1000.0, 100.0 * MB + 10_000.0 * i as f64);
        }
        assert_eq!(d.trend().verdict, Verdict::Stable);
    }

    #[test]
    fn warmup_points_are_ignored_and_window_is_bounded() {
        let mut d = TrendDetector::new(TrendOptions {
            warmup_ms: 10_000.0,
            window_ms: 60_000.0,
            max_points: 16,
            ..TrendOptions::default()
        })
        .unwrap();
        d.note_time(0.0);
        d.observe(5_000.0, 1e9);
        assert_eq!(d.trend().points, 0);
        for i in 0..1000 {
            d.observe(10_000.0 + i as f64 * 100.0, 1e6);
            assert!(d.points().count() <= 16);
        }
        let first = d.points().next().unwrap().0;
        assert!(first >= 10_000.0 + 999.0 * 100.0 - 60_000.0);
    }

    #[test]
    fn options_are_checked() {
        let bad = [
            TrendOptions {
                window_ms: 0.0,
                ..Default::default()
            },
            TrendOptions {
                min_points: 2,
                ..Default::default()
            },
            TrendOptions {
                leak_confidence: 1.0,
                ..Default::default()
            },
            TrendOptions {
                growing_confidence: 0.99,
                leak_confidence: 0.95,
                ..Default::default()
            },
            TrendOptions {
                warmup_ms: f64::NAN,
                ..Default::default()
            },
        ];
        for o in bad {
            assert!(TrendDetector::new(o.clone()).is_err(), "{o:?}");
        }
    }
}
