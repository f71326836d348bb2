//! `SampleSeries` for JavaScript: the sampler's ring, trend and exports live in the Rust core;
//! JavaScript reads the figures and hands each sample over in one reused Float64Array, so
//! recording a sample creates no JavaScript garbage.

use std::collections::BTreeMap;

use napi::bindgen_prelude::{Float64Array, Float64ArraySlice, Result};
use napi_derive::napi;

use crate::guard::guarded;
use leakhound_core::sampling::{
    Cause, CauseKind, Confirm, Family, Kind, SamplingError, Series, SeriesOptions, SvgOptions,
    Trend, TrendOptions, Verdict, field_stats, render_prometheus, render_svg,
};

/// `record()`'s return bits.
const LEAK_STARTED: u32 = 1;
const MEMWATCH_LEAK: u32 = 2;
const CONFIRM_GC: u32 = 4;
const CAUSE_LEAK: u32 = 8;

#[napi(object)]
pub struct SeriesConfig {
    pub capacity: u32,
    pub fields: Vec<String>,
    pub window_ms: Option<f64>,
    pub warmup_ms: Option<f64>,
    pub min_points: Option<u32>,
    pub max_points: Option<u32>,
    pub min_growth_bytes: Option<f64>,
    pub min_growth_ratio: Option<f64>,
    pub leak_confidence: Option<f64>,
    pub growing_confidence: Option<f64>,
    /// Confirming GCs: minimum interval in ms (absent: never).
    pub confirm_interval_ms: Option<f64>,
    pub confirm_growth_ratio: Option<f64>,
    pub confirm_min_growth_bytes: Option<f64>,
}

/// The trend's verdict: `"stable"`, `"growing"` or `"leaking"` in JavaScript.
#[napi(string_enum = "lowercase")]
pub enum TrendVerdict {
    Stable,
    Growing,
    Leaking,
}

impl From<Verdict> for TrendVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Stable => TrendVerdict::Stable,
            Verdict::Growing => TrendVerdict::Growing,
            Verdict::Leaking => TrendVerdict::Leaking,
        }
    }
}

/// A metric family's type: `"gauge"` or `"counter"` in JavaScript.
#[napi(string_enum = "lowercase")]
pub enum MetricKind {
    Gauge,
    Counter,
}

#[napi(object)]
pub struct TrendRecord {
    pub slope_bytes_per_sec: f64,
    pub window_ms: f64,
    pub verdict: TrendVerdict,
    pub confidence: f64,
    pub points: u32,
    pub growth_bytes: f64,
    pub level_bytes: f64,
}

#[napi(object)]
pub struct FieldStatsRecord {
    pub field: String,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub last: f64,
}

#[napi(object)]
pub struct MetricSampleRecord {
    /// Sorted by name, so every sample of a family lists its labels in one order.
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[napi(object)]
pub struct FamilyRecord {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
    /// Declared even when there are no samples yet, so engines can register the family up front.
    pub label_names: Vec<String>,
    pub samples: Vec<MetricSampleRecord>,
}

#[napi(object)]
pub struct SeriesCounts {
    pub samples_total: f64,
    pub gc_samples_total: f64,
    pub leak_episodes: f64,
    pub memwatch_leaks: f64,
    pub confirming_gcs: f64,
}

/// A cause of growth: `"js-heap"`, `"external"`, `"native"` or `"fragmentation"` in JavaScript.
#[napi(string_enum)]
pub enum LeakCause {
    #[napi(value = "js-heap")]
    JsHeap,
    #[napi(value = "external")]
    External,
    #[napi(value = "native")]
    Native,
    #[napi(value = "fragmentation")]
    Fragmentation,
}

#[napi(object)]
pub struct CauseRecord {
    pub kind: LeakCause,
    pub verdict: TrendVerdict,
    pub slope_bytes_per_sec: f64,
    pub confidence: f64,
    /// Growth across the window at the fitted slope, and the fitted level now.
    pub growth_bytes: f64,
    pub level_bytes: f64,
    /// False where the platform does not measure what this cause needs (the verdict is then
    /// always stable).
    pub available: bool,
}

fn cause_record(c: Cause) -> CauseRecord {
    CauseRecord {
        kind: match c.kind {
            CauseKind::JsHeap => LeakCause::JsHeap,
            CauseKind::External => LeakCause::External,
            CauseKind::Native => LeakCause::Native,
            CauseKind::Fragmentation => LeakCause::Fragmentation,
        },
        verdict: c.trend.verdict.into(),
        slope_bytes_per_sec: c.trend.slope_bytes_per_sec,
        confidence: c.trend.confidence,
        growth_bytes: c.trend.growth_bytes,
        level_bytes: c.trend.level_bytes,
        available: !c.unavailable,
    }
}

#[napi(js_name = "SampleSeries")]
pub struct JsSampleSeries {
    series: Series,
    scratch: Vec<f64>,
    /// The cause whose leak episode the newest sample started.
    last_cause: Option<Cause>,
}

pub(crate) fn invalid(e: SamplingError) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, e.to_string())
}

fn trend_record(t: Trend) -> TrendRecord {
    TrendRecord {
        slope_bytes_per_sec: t.slope_bytes_per_sec,
        window_ms: t.window_ms,
        verdict: t.verdict.into(),
        confidence: t.confidence,
        points: t.points as u32,
        growth_bytes: t.growth_bytes,
        level_bytes: t.level_bytes,
    }
}

/// Metric families (from any source) in Prometheus text exposition format.
#[napi]
pub fn render_metric_families(families: Vec<FamilyRecord>) -> Result<String> {
    let families = families
        .into_iter()
        .map(family_from_record)
        .collect::<Result<Vec<_>>>()?;
    Ok(render_prometheus(&families))
}

pub(crate) fn family_record(f: Family) -> FamilyRecord {
    let label_names = f.label_names().map(str::to_string).collect();
    FamilyRecord {
        name: f.name,
        help: f.help,
        kind: match f.kind {
            Kind::Gauge => MetricKind::Gauge,
            Kind::Counter => MetricKind::Counter,
        },
        label_names,
        samples: f
            .samples
            .into_iter()
            .map(|(labels, value)| MetricSampleRecord {
                labels: labels.into_iter().collect(),
                value,
            })
            .collect(),
    }
}

fn family_from_record(r: FamilyRecord) -> Result<Family> {
    let kind = match r.kind {
        MetricKind::Gauge => Kind::Gauge,
        MetricKind::Counter => Kind::Counter,
    };
    let samples = r
        .samples
        .into_iter()
        .map(|s| {
            let mut labels: Vec<_> = s.labels.into_iter().collect();
            labels.sort();
            (labels, s.value)
        })
        .collect();
    let family = Family {
        labels: Vec::new(),
        name: r.name,
        help: r.help,
        kind,
        samples,
    };
    family
        .validate()
        .map_err(|e| napi::Error::new(napi::Status::InvalidArg, e.to_string()))?;
    Ok(family)
}

#[napi]
impl JsSampleSeries {
    #[napi(constructor)]
    pub fn new(config: SeriesConfig) -> Result<Self> {
        let d = TrendOptions::default();
        let trend = TrendOptions {
            window_ms: config.window_ms.unwrap_or(d.window_ms),
            warmup_ms: config.warmup_ms.unwrap_or(d.warmup_ms),
            min_points: config.min_points.map_or(d.min_points, |v| v as usize),
            max_points: config.max_points.map_or(d.max_points, |v| v as usize),
            min_growth_bytes: config.min_growth_bytes.unwrap_or(d.min_growth_bytes),
            min_growth_ratio: config.min_growth_ratio.unwrap_or(d.min_growth_ratio),
            leak_confidence: config.leak_confidence.unwrap_or(d.leak_confidence),
            growing_confidence: config.growing_confidence.unwrap_or(d.growing_confidence),
        };
        let series = Series::new(SeriesOptions {
            capacity: config.capacity as usize,
            fields: config.fields,
            trend,
            confirm: config.confirm_interval_ms.map(|ms| {
                let c = Confirm::default();
                Confirm {
                    min_interval_ms: ms,
                    growth_ratio: config.confirm_growth_ratio.unwrap_or(c.growth_ratio),
                    min_growth_bytes: config
                        .confirm_min_growth_bytes
                        .unwrap_or(c.min_growth_bytes),
                }
            }),
        })
        .map_err(invalid)?;
        Ok(Self {
            series,
            scratch: Vec::new(),
            last_cause: None,
        })
    }

    /// Records `[timestamp, afterGc (0 or 1), ...values]`. Returns bit 1 when this sample started
    /// a leak episode, bit 2 when node-memwatch's rule fired, bit 4 when a confirming GC is due,
    /// bit 8 when it started a leak episode of another cause (see `lastCause`).
    #[napi]
    pub fn record(&mut self, row: Float64ArraySlice) -> Result<u32> {
        guarded("SampleSeries.record", || {
            let (head, values) = row.split_at_checked(2).ok_or_else(|| {
                invalid(SamplingError::RowWidth {
                    expected: self.series.ring().width() + 2,
                    got: row.len(),
                })
            })?;
            let r = self
                .series
                .record(head[0], head[1] != 0.0, values)
                .map_err(invalid)?;
            let leak = if r.leak.is_some() { LEAK_STARTED } else { 0 };
            let memwatch = if r.memwatch_leak { MEMWATCH_LEAK } else { 0 };
            let confirm = if r.confirm_gc { CONFIRM_GC } else { 0 };
            let cause = if r.cause_leak.is_some() {
                CAUSE_LEAK
            } else {
                0
            };
            if r.cause_leak.is_some() {
                self.last_cause = r.cause_leak;
            }
            Ok(leak | memwatch | confirm | cause)
        })
    }

    /// The verdict of every cause of growth, the JS heap's first.
    #[napi]
    pub fn causes(&self) -> Vec<CauseRecord> {
        self.series.causes().into_iter().map(cause_record).collect()
    }

    /// The cause whose leak episode a sample last started (bit 8 of `record`).
    #[napi]
    pub fn last_cause(&self) -> Option<CauseRecord> {
        self.last_cause.map(cause_record)
    }

    /// The newest sample as `[timestamp, afterGc, ...values]`, or null before the first.
    #[napi]
    pub fn last_row(&self) -> Option<Float64Array> {
        let s = self.series.ring().last()?;
        let mut out = Vec::with_capacity(s.values.len() + 2);
        out.push(s.timestamp);
        out.push(f64::from(u8::from(s.after_gc)));
        out.extend_from_slice(s.values);
        Some(Float64Array::new(out))
    }

    /// All samples, oldest first, as rows of `[timestamp, afterGc, ...values]`.
    #[napi]
    pub fn rows(&self) -> Float64Array {
        let ring = self.series.ring();
        let mut out = Vec::with_capacity(ring.len() * (ring.width() + 2));
        for s in ring.iter() {
            out.push(s.timestamp);
            out.push(f64::from(u8::from(s.after_gc)));
            out.extend_from_slice(s.values);
        }
        Float64Array::new(out)
    }

    #[napi(getter)]
    pub fn length(&self) -> u32 {
        self.series.ring().len() as u32
    }

    #[napi]
    pub fn stats(&mut self) -> Vec<FieldStatsRecord> {
        let ring = self.series.ring();
        ring.fields()
            .iter()
            .enumerate()
            .filter_map(|(i, field)| {
                field_stats(ring, i, &mut self.scratch).map(|s| FieldStatsRecord {
                    field: field.clone(),
                    min: s.min,
                    max: s.max,
                    mean: s.mean,
                    p50: s.p50,
                    p95: s.p95,
                    last: s.last,
                })
            })
            .collect()
    }

    #[napi]
    pub fn trend(&self) -> TrendRecord {
        trend_record(self.series.trend())
    }

    /// The post-GC points the trend is fitted on, as `[t, heap, t, heap, …]`.
    #[napi]
    pub fn trend_points(&self) -> Float64Array {
        let pts: Vec<f64> = self
            .series
            .trend_detector()
            .points()
            .flat_map(|(t, v)| [t, v])
            .collect();
        Float64Array::new(pts)
    }

    #[napi]
    pub fn counts(&self) -> SeriesCounts {
        SeriesCounts {
            samples_total: self.series.samples_total as f64,
            gc_samples_total: self.series.gc_samples_total as f64,
            leak_episodes: self.series.leak_episodes as f64,
            memwatch_leaks: self.series.memwatch_leaks as f64,
            confirming_gcs: self.series.confirmations as f64,
        }
    }

    #[napi]
    pub fn families(&self) -> Vec<FamilyRecord> {
        self.series
            .families()
            .into_iter()
            .map(family_record)
            .collect()
    }

    /// Prometheus text for this series' families followed by `extra` ones.
    #[napi]
    pub fn prometheus(&self, extra: Option<Vec<FamilyRecord>>) -> Result<String> {
        let mut families = self.series.families();
        for r in extra.unwrap_or_default() {
            families.push(family_from_record(r)?);
        }
        Ok(render_prometheus(&families))
    }

    #[napi]
    pub fn svg(&self, width: Option<u32>, height: Option<u32>, title: Option<String>) -> String {
        let d = SvgOptions::default();
        render_svg(
            &self.series,
            &SvgOptions {
                width: width.unwrap_or(d.width),
                height: height.unwrap_or(d.height),
                title: title.unwrap_or(d.title),
            },
        )
    }

    /// No confirming GC before `t` (ms, the samples' clock).
    #[napi]
    pub fn defer_confirmation(&mut self, t: f64) {
        self.series.defer_confirmation(t);
    }

    #[napi]
    pub fn clear(&mut self) {
        self.series.clear();
        self.last_cause = None;
    }
}
