//! `leakhound alloc <pid>`: where a running process allocates the memory it keeps. V8's
//! sampling heap profiler runs in the process for the whole watch; every window, after a major
//! GC, its profile (live sampled objects only) is folded into allocation sites, and each site's
//! live bytes become a series. The sites whose live bytes keep growing are reported, with the
//! false-discovery control that hundreds of sites tested at once need.

use std::time::{Duration, Instant};

use leakhound_core::sampling::alloc_profile::{Frame, sites_of_value};
use leakhound_core::sampling::{GrowingSite, SiteOptions, SiteTable};
use serde::Serialize;

use crate::hunt::{stop_check, wait};
use crate::live::Live;

/// How `alloc` watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocOptions {
    pub duration: Duration,
    /// Time between two profiles.
    pub window: Duration,
    /// Bytes allocated between two samples, on average.
    pub interval: u64,
    /// User frames that make a site.
    pub depth: usize,
}

pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);
pub const DEFAULT_INTERVAL: u64 = 32 * 1024;
pub const DEFAULT_DEPTH: usize = 4;

/// A site as the report shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteRecord {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
    /// The site's frames, allocating frame first: `name (script:line:column)`.
    pub stack: Vec<String>,
    pub live_bytes: f64,
    pub slope_bytes_per_sec: f64,
    pub confidence: f64,
}

impl SiteRecord {
    fn of(site: &GrowingSite) -> SiteRecord {
        let top = site.frames.first().cloned().unwrap_or(Frame {
            function_name: String::new(),
            url: String::new(),
            line: 0,
            column: 0,
        });
        SiteRecord {
            function_name: top.function_name,
            script: top.url,
            line: top.line,
            column: top.column,
            stack: site.frames.iter().map(Frame::describe).collect(),
            live_bytes: site.live_bytes,
            slope_bytes_per_sec: site.slope_bytes_per_sec,
            confidence: site.confidence,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocReport {
    pub seconds: f64,
    pub profiles: usize,
    pub sampling_interval: u64,
    /// Sites seen (kept in the table).
    pub sites: usize,
    pub growing_sites: Vec<SiteRecord>,
}

/// Watches `live` for `opts.duration`; the growing sites.
pub fn watch(live: &Live, opts: &AllocOptions, say: &impl Fn(&str)) -> Result<AllocReport, String> {
    let mut table = SiteTable::new(SiteOptions {
        // A sample stands for `interval` bytes: growth of a few samples is noise.
        min_growth_bytes: (16 * opts.interval) as f64,
        ..SiteOptions::default()
    })
    .map_err(|e| e.to_string())?;
    let mut connection = live.session()?;
    let at = |e: leakhound_inspector::InspectorError| format!("{}: {e}", live.describe());
    connection
        .session()
        .start_sampling(opts.interval)
        .map_err(at)?;
    let started = Instant::now();
    let stop = stop_check(live.pid(), "the watch".into());
    let mut profiles = 0;
    while started.elapsed() < opts.duration {
        wait(
            opts.window
                .min(opts.duration.saturating_sub(started.elapsed())),
            &stop,
        )?;
        // Objects that died since the last profile leave it at a major GC.
        connection.collect_garbage()?;
        let profile = connection.session().sampling_profile().map_err(at)?;
        let sites = sites_of_value(&profile, opts.depth)?;
        table.observe(started.elapsed().as_secs_f64() * 1000.0, &sites);
        profiles += 1;
        let growing = table.growing().len();
        say(&format!(
            "profile {profiles} at {:.0} s: {} sites, {growing} growing",
            started.elapsed().as_secs_f64(),
            table.len()
        ));
    }
    let _ = connection.session().stop_sampling();
    drop(connection);
    Ok(AllocReport {
        seconds: started.elapsed().as_secs_f64(),
        profiles,
        sampling_interval: opts.interval,
        sites: table.len(),
        growing_sites: table.growing().iter().map(SiteRecord::of).collect(),
    })
}
