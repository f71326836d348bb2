//! A verdict per cause of growth, beside the JS-heap one: ArrayBuffer and Buffer bytes
//! (`external`), memory the C allocator hands out beyond them (`native`: the V8 heap itself is
//! mapped, not allocated, so a JS heap leak does not show here), and a resident set that grows
//! while what is in use does not (`fragmentation`). Each follows its own series with the same
//! robust trend as the heap (Theil–Sen slope, Mann–Kendall significance, still rising, growth
//! that matters), from the samples taken right after a major GC, when dead buffers have been
//! freed.

use super::{SamplingError, Trend, TrendDetector, TrendOptions, Verdict};

/// What grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CauseKind {
    /// Objects on the JS heap (the heap verdict).
    JsHeap,
    /// ArrayBuffer and Buffer backing stores.
    External,
    /// Allocations in the C heap beyond the buffers' backing stores: an addon or native code
    /// that does not free (what native code reports to V8 as external memory counts here).
    Native,
    /// Resident memory rising while the allocator's memory in use is flat and its freed-but-kept
    /// memory grows: fragmentation, not a leak.
    Fragmentation,
}

impl CauseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::JsHeap => "js-heap",
            CauseKind::External => "external",
            CauseKind::Native => "native",
            CauseKind::Fragmentation => "fragmentation",
        }
    }
}

/// One cause's verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cause {
    pub kind: CauseKind,
    pub trend: Trend,
    /// Why there is no verdict: the figures it needs are not measured on this platform.
    pub unavailable: bool,
}

/// The series fields the causes follow, by position in a sample row.
#[derive(Debug, Clone, Copy, Default)]
pub struct CauseFields {
    pub rss: Option<usize>,
    /// ArrayBuffer and Buffer backing stores (`arrayBuffers`).
    pub buffers: Option<usize>,
    pub malloc_in_use: Option<usize>,
    pub malloc_free: Option<usize>,
}

impl CauseFields {
    pub fn of(fields: &[String]) -> CauseFields {
        let at = |name: &str| fields.iter().position(|f| f == name);
        CauseFields {
            rss: at("rss"),
            buffers: at("arrayBuffers"),
            malloc_in_use: at("mallocInUse"),
            malloc_free: at("mallocFree"),
        }
    }
}

/// Smallest growth across the window that can be a leak of memory outside the JS heap. Node's
/// own C heap and resident set drift by a megabyte or two in a quiet process (compiled code,
/// caches of the runtime settling), so the heap's 1 MiB floor would raise false alarms here.
const CAUSE_MIN_GROWTH_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Smallest RSS growth across the window that can be fragmentation: a quiet Node 26 process's
/// resident set creeps by about 4 MiB in ten minutes, partly in freed-but-kept memory, and the
/// fragmentation people fight is hundreds of megabytes.
const FRAGMENTATION_MIN_GROWTH_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// The detectors behind the cause verdicts.
pub struct CauseDetectors {
    fields: CauseFields,
    /// Growth that matters is a share of the resident set, not of a cause's own level (a
    /// process with few Buffers would otherwise see any Buffer growth as large).
    min_growth_ratio: f64,
    external: TrendDetector,
    native: TrendDetector,
    rss: TrendDetector,
    in_use: TrendDetector,
    free_held: TrendDetector,
    /// Causes in a leak episode, so each is reported once when it starts.
    reported: [bool; 4],
}

impl CauseDetectors {
    pub fn new(fields: CauseFields, opts: &TrendOptions) -> Result<Self, SamplingError> {
        let floor = opts.min_growth_bytes.max(CAUSE_MIN_GROWTH_BYTES);
        let own_level = TrendOptions {
            min_growth_bytes: floor,
            min_growth_ratio: 0.0,
            ..opts.clone()
        };
        let detector = || TrendDetector::new(own_level.clone());
        Ok(CauseDetectors {
            fields,
            min_growth_ratio: opts.min_growth_ratio,
            external: detector()?,
            native: detector()?,
            rss: TrendDetector::new(TrendOptions {
                min_growth_bytes: opts.min_growth_bytes.max(FRAGMENTATION_MIN_GROWTH_BYTES),
                ..opts.clone()
            })?,
            in_use: detector()?,
            free_held: detector()?,
            reported: [false; 4],
        })
    }

    pub fn note_time(&mut self, t: f64) {
        for d in self.detectors_mut() {
            d.note_time(t);
        }
    }

    fn detectors_mut(&mut self) -> [&mut TrendDetector; 5] {
        [
            &mut self.external,
            &mut self.native,
            &mut self.rss,
            &mut self.in_use,
            &mut self.free_held,
        ]
    }

    /// Feeds one post-GC sample (`row`: the values in field order); returns the causes whose
    /// verdict became `leaking` with it (the JS heap's is the series' own).
    pub fn observe(&mut self, t: f64, row: &[f64], heap: &Trend) -> Vec<Cause> {
        let value = |i: Option<usize>| i.and_then(|i| row.get(i).copied());
        if let Some(v) = value(self.fields.buffers) {
            self.external.observe(t, v);
        }
        if let (Some(in_use), Some(external)) =
            (value(self.fields.malloc_in_use), value(self.fields.buffers))
        {
            // Buffers' backing stores come from the C heap: what is left is native code's.
            self.native.observe(t, (in_use - external).max(0.0));
            self.in_use.observe(t, in_use);
        }
        if let Some(v) = value(self.fields.rss) {
            self.rss.observe(t, v);
        }
        if let Some(v) = value(self.fields.malloc_free) {
            self.free_held.observe(t, v);
        }
        let mut started = Vec::new();
        for cause in self.causes(heap) {
            let slot = cause.kind as usize;
            let leaking = cause.trend.verdict == Verdict::Leaking;
            if leaking && !self.reported[slot] && cause.kind != CauseKind::JsHeap {
                started.push(cause);
            }
            self.reported[slot] = leaking;
        }
        started
    }

    /// Every cause's verdict now, the JS heap's (`heap`) first.
    pub fn causes(&self, heap: &Trend) -> [Cause; 4] {
        let has = |i: Option<usize>| i.is_some();
        let malloc = has(self.fields.malloc_in_use) && has(self.fields.buffers);
        let external = self.external.trend();
        let native = self.native.trend();
        let rss = self.rss.trend();
        let in_use = self.in_use.trend();
        let free_held = self.free_held.trend();
        let quiet = |t: &Trend| t.verdict == Verdict::Stable;
        // Growth that is a small share of the resident set does not matter, whatever its kind.
        let matters = |t: Trend| {
            if t.growth_bytes >= self.min_growth_ratio * rss.level_bytes {
                t
            } else {
                demoted(t)
            }
        };
        let (external, native) = (matters(external), matters(native));
        // Fragmentation: resident memory rises, memory in use does not, and freed memory piles
        // up by at least half of the rise (RSS also moves with the V8 heap and code space).
        let explained = free_held.growth_bytes >= 0.5 * rss.growth_bytes;
        let fragmentation = if quiet(&in_use) && free_held.verdict != Verdict::Stable && explained {
            rss
        } else {
            demoted(rss)
        };
        [
            Cause {
                kind: CauseKind::JsHeap,
                trend: *heap,
                unavailable: false,
            },
            Cause {
                kind: CauseKind::External,
                trend: external,
                unavailable: !has(self.fields.buffers),
            },
            Cause {
                kind: CauseKind::Native,
                trend: native,
                unavailable: !malloc,
            },
            Cause {
                kind: CauseKind::Fragmentation,
                trend: fragmentation,
                unavailable: !(malloc && has(self.fields.rss) && has(self.fields.malloc_free)),
            },
        ]
    }

    pub fn reset(&mut self) {
        for d in self.detectors_mut() {
            d.reset();
        }
        self.reported = [false; 4];
    }
}

/// A trend whose cause is ruled out by another series: its figures, verdict stable.
fn demoted(t: Trend) -> Trend {
    Trend {
        verdict: Verdict::Stable,
        confidence: 0.0,
        ..t
    }
}

#[cfg(test)]
mod tests {
    use super::{CauseDetectors, CauseFields, CauseKind};
    use crate::sampling::{TrendOptions, Verdict};

    const FIELDS: [&str; 6] = [
        "rss",
        "heapUsed",
        "external",
        "arrayBuffers",
        "mallocInUse",
        "mallocFree",
    ];
    const MB: f64 = 1024.0 * 1024.0;

    /// One sample a second for `n` seconds, each field from `f(second)`; the verdicts at the end.
    fn run(n: usize, f: impl Fn(f64) -> [f64; 6]) -> Vec<(CauseKind, Verdict)> {
        let fields: Vec<String> = FIELDS.iter().map(|s| s.to_string()).collect();
        let opts = TrendOptions {
            warmup_ms: 0.0,
            ..TrendOptions::default()
        };
        let mut d = CauseDetectors::new(CauseFields::of(&fields), &opts).unwrap();
        let mut heap = crate::sampling::TrendDetector::new(opts).unwrap();
        for s in 0..n {
            let t = s as f64 * 1000.0;
            let row = f(s as f64);
            heap.observe(t, row[1]);
            d.observe(t, &row, &heap.trend());
        }
        d.causes(&heap.trend())
            .iter()
            .map(|c| (c.kind, c.trend.verdict))
            .collect()
    }

    fn leaking(verdicts: &[(CauseKind, Verdict)]) -> Vec<CauseKind> {
        verdicts
            .iter()
            .filter(|(_, v)| *v == Verdict::Leaking)
            .map(|(k, _)| *k)
            .collect()
    }

    // Small jitter, so flat series are not perfectly flat.
    fn wobble(s: f64) -> f64 {
        ((s * 7.0) % 5.0) * 1000.0
    }

    #[test]
    fn buffers_that_pile_up_are_an_external_leak() {
        let v = run(120, |s| {
            let buffers = 10.0 * MB + s * MB;
            [
                200.0 * MB + s * MB,
                40.0 * MB + wobble(s),
                buffers + 2.0 * MB,
                buffers,
                buffers + 30.0 * MB,
                5.0 * MB,
            ]
        });
        assert_eq!(leaking(&v), [CauseKind::External]);
    }

    #[test]
    fn c_heap_growth_nothing_in_js_explains_is_native() {
        let v = run(120, |s| {
            [
                200.0 * MB + s * MB,
                40.0 * MB + wobble(s),
                3.0 * MB,
                2.0 * MB,
                30.0 * MB + s * MB,
                5.0 * MB,
            ]
        });
        assert_eq!(leaking(&v), [CauseKind::Native]);
    }

    #[test]
    fn memory_native_code_reports_to_v8_is_still_native_not_buffers() {
        // zlib and crypto objects tell V8 about their C memory: `external` rises, the buffers'
        // bytes do not.
        let v = run(120, |s| {
            [
                200.0 * MB + s * MB,
                40.0 * MB + wobble(s),
                3.0 * MB + s * MB,
                2.0 * MB,
                30.0 * MB + s * MB,
                5.0 * MB,
            ]
        });
        assert_eq!(leaking(&v), [CauseKind::Native]);
    }

    #[test]
    fn resident_growth_with_flat_use_and_growing_free_memory_is_fragmentation() {
        let v = run(120, |s| {
            [
                200.0 * MB + s * MB,
                40.0 * MB + wobble(s),
                3.0 * MB,
                2.0 * MB,
                30.0 * MB + wobble(s),
                5.0 * MB + s * MB,
            ]
        });
        assert_eq!(leaking(&v), [CauseKind::Fragmentation]);
    }

    #[test]
    fn a_js_heap_leak_is_not_also_native() {
        // The V8 heap is mapped, not allocated: RSS grows, the C heap does not.
        let v = run(120, |s| {
            [
                200.0 * MB + 2.0 * s * MB,
                40.0 * MB + s * MB,
                3.0 * MB,
                2.0 * MB,
                30.0 * MB + wobble(s),
                5.0 * MB,
            ]
        });
        assert_eq!(leaking(&v), [CauseKind::JsHeap]);
    }

    #[test]
    fn native_growth_beside_some_reported_memory_is_native() {
        // A stream that reports 16 KiB to V8 and allocates 260 KiB more: the native growth is
        // what matters (the reported 2 MiB is below what counts outside the JS heap).
        let v = run(120, |s| {
            [
                200.0 * MB + s * 0.3 * MB,
                40.0 * MB + wobble(s),
                3.0 * MB + s * 16.0 * 1024.0,
                2.0 * MB,
                30.0 * MB + s * 276.0 * 1024.0,
                5.0 * MB,
            ]
        });
        assert_eq!(leaking(&v), [CauseKind::Native]);
    }

    #[test]
    fn a_megabyte_or_two_of_drift_outside_the_heap_is_not_a_leak() {
        // What a quiet Node process's C heap and resident set do over minutes.
        let v = run(300, |s| {
            let drift = (s / 100.0).min(1.5) * MB;
            [
                60.0 * MB + drift + wobble(s),
                5.0 * MB + wobble(s),
                7.0 * MB,
                6.0 * MB,
                7.0 * MB + drift,
                2.0 * MB + wobble(s),
            ]
        });
        assert_eq!(leaking(&v), []);
    }

    #[test]
    fn resident_growth_that_freed_memory_does_not_explain_is_not_fragmentation() {
        // RSS up 6 MiB over ten minutes, the C heap's freed memory up 1 MiB of it: neither
        // explained nor large enough.
        let v = run(600, |s| {
            [
                58.0 * MB + s * 0.01 * MB + wobble(s),
                5.0 * MB + wobble(s),
                7.0 * MB,
                6.0 * MB,
                7.0 * MB + wobble(s),
                2.0 * MB + (s / 600.0) * MB,
            ]
        });
        assert_eq!(leaking(&v), []);
    }

    #[test]
    fn a_few_megabytes_of_resident_creep_are_not_fragmentation() {
        // A quiet Node 26 process: RSS up 4.2 MiB over ten minutes, freed memory most of it.
        let v = run(600, |s| {
            let creep = s / 600.0 * 4.2 * MB;
            [
                62.0 * MB + creep + wobble(s),
                5.0 * MB + wobble(s),
                7.0 * MB,
                6.0 * MB,
                7.0 * MB + wobble(s),
                2.0 * MB + 0.8 * creep,
            ]
        });
        assert_eq!(leaking(&v), []);
    }

    #[test]
    fn a_steady_process_has_no_verdict() {
        let v = run(300, |s| {
            [
                200.0 * MB + wobble(s),
                40.0 * MB + wobble(s + 1.0),
                3.0 * MB + wobble(s + 2.0),
                2.0 * MB,
                30.0 * MB + wobble(s + 3.0),
                5.0 * MB + wobble(s + 4.0),
            ]
        });
        assert_eq!(leaking(&v), []);
    }

    #[test]
    fn without_the_allocators_figures_the_verdicts_that_need_them_say_so() {
        let fields: Vec<String> = ["rss", "heapUsed", "external", "arrayBuffers"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let d = CauseDetectors::new(CauseFields::of(&fields), &TrendOptions::default()).unwrap();
        let heap = crate::sampling::TrendDetector::new(TrendOptions::default())
            .unwrap()
            .trend();
        let unavailable: Vec<CauseKind> = d
            .causes(&heap)
            .iter()
            .filter(|c| c.unavailable)
            .map(|c| c.kind)
            .collect();
        assert_eq!(unavailable, [CauseKind::Native, CauseKind::Fragmentation]);
    }
}
