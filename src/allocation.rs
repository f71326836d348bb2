//! `AllocationSites` for JavaScript: JavaScript takes V8's sampling heap profiles (only it can
//! open an in-process inspector session) and hands each over as its JSON text; the site table,
//! the growth verdict, pprof, the flame graph and the metrics are the Rust core's.

use napi::bindgen_prelude::{Buffer, Result};
use napi_derive::napi;

use crate::guard::guarded;
use crate::records::{GrowingSiteRecord, mirror};
use crate::sampler::{FamilyRecord, family_record, invalid};
use leakhound_core::allocation::{AllocationWatch, SiteOptions, SiteRecord, parse_profile};

#[napi(object)]
pub struct AllocationSitesConfig {
    pub interval_bytes: f64,
    /// User frames that make a site.
    pub max_stack_depth: u32,
    pub max_sites: Option<u32>,
    pub max_points: Option<u32>,
    pub min_points: Option<u32>,
    pub min_growth_bytes: Option<f64>,
    pub min_growth_ratio: Option<f64>,
    pub false_discovery_rate: Option<f64>,
}

/// What one profile held.
#[napi(object)]
pub struct ObservedProfile {
    /// Nodes of V8's tree: the profiler's own size.
    pub nodes: u32,
    pub sites: u32,
    pub live_bytes: f64,
}

#[napi(js_name = "AllocationSites")]
pub struct JsAllocationSites {
    watch: AllocationWatch,
}

#[napi]
impl JsAllocationSites {
    #[napi(constructor)]
    pub fn new(config: AllocationSitesConfig) -> Result<Self> {
        let d = SiteOptions::for_interval(config.interval_bytes);
        let opts = SiteOptions {
            max_sites: config.max_sites.map_or(d.max_sites, |v| v as usize),
            max_points: config.max_points.map_or(d.max_points, |v| v as usize),
            min_points: config.min_points.map_or(d.min_points, |v| v as usize),
            min_growth_bytes: config.min_growth_bytes.unwrap_or(d.min_growth_bytes),
            min_growth_ratio: config.min_growth_ratio.unwrap_or(d.min_growth_ratio),
            false_discovery_rate: config
                .false_discovery_rate
                .unwrap_or(d.false_discovery_rate),
        };
        let watch =
            AllocationWatch::new(opts, config.max_stack_depth as usize, config.interval_bytes)
                .map_err(invalid)?;
        Ok(Self { watch })
    }

    /// One profile (`HeapProfiler.getSamplingProfile`'s `profile`, as JSON text) taken at `tMs`
    /// (monotonic) and `unixMs`; the sites are updated and the verdict recomputed.
    #[napi]
    pub fn observe(&mut self, t_ms: f64, unix_ms: f64, profile: String) -> Result<ObservedProfile> {
        guarded("AllocationSites.observe", || {
            let parsed = parse_profile(&profile, self.watch.interval_bytes())
                .map_err(|e| napi::Error::new(napi::Status::InvalidArg, e))?;
            let seen = self.watch.observe(t_ms, unix_ms, parsed);
            Ok(ObservedProfile {
                nodes: seen.nodes.min(u32::MAX as usize) as u32,
                sites: seen.sites.min(u32::MAX as usize) as u32,
                live_bytes: seen.live_bytes,
            })
        })
    }

    /// The profiler restarted: sites and profiles kept are forgotten.
    #[napi]
    pub fn restarted(&mut self) {
        self.watch.restarted();
    }

    /// The growing sites, fastest first.
    #[napi]
    pub fn growing_sites(&self) -> Vec<GrowingSiteRecord> {
        mirror(self.watch.growing().iter().map(SiteRecord::of).collect())
    }

    /// The newest profile (or the growth since the first) as uncompressed `profile.proto`.
    #[napi]
    pub fn pprof(&self, growth: bool) -> Option<Buffer> {
        self.watch.pprof(growth).map(Buffer::from)
    }

    /// The same profile as a flame graph (SVG markup).
    #[napi]
    pub fn flame_graph(
        &self,
        growth: bool,
        title: Option<String>,
        width: Option<u32>,
    ) -> Option<String> {
        self.watch.flame_graph(growth, title, width)
    }

    /// Metric families: the top `top` growing sites, the counts.
    #[napi]
    pub fn families(&self, top: u32) -> Vec<FamilyRecord> {
        self.watch
            .families(top as usize)
            .into_iter()
            .map(family_record)
            .collect()
    }

    #[napi(getter)]
    pub fn sites(&self) -> u32 {
        self.watch.sites() as u32
    }

    #[napi(getter)]
    pub fn dropped_sites(&self) -> f64 {
        self.watch.dropped_sites() as f64
    }

    #[napi(getter)]
    pub fn profiles(&self) -> f64 {
        self.watch.profiles() as f64
    }

    #[napi(getter)]
    pub fn restarts(&self) -> f64 {
        self.watch.restarts() as f64
    }
}
