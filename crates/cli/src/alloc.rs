//! `leakhound alloc <pid>`: where a running process allocates the memory it keeps. V8's
//! sampling heap profiler runs in the process for the whole watch; every window, after a major
//! GC, its profile (live sampled objects only) is folded into allocation sites, and each site's
//! live bytes become a series. The sites whose live bytes keep growing are reported, with the
//! false-discovery control that hundreds of sites tested at once need.

use std::time::{Duration, Instant};

use leakhound_core::allocation::{AllocationWatch, SiteOptions, SiteRecord, profile_of_value};
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use leakhound_core::report::html::{AllocationSection, Page, render_allocation_html};
use serde::Serialize;

use crate::args::AllocOutputs;
use crate::private_file::write_private;

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

/// Watches `live` for `opts.duration`: the report, and the watch for pprof and flame graphs.
pub fn watch(
    live: &Live,
    opts: &AllocOptions,
    say: &impl Fn(&str),
) -> Result<(AllocReport, AllocationWatch), String> {
    let interval = opts.interval as f64;
    let mut sites = AllocationWatch::new(SiteOptions::for_interval(interval), opts.depth, interval)
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
        let profile = profile_of_value(&profile, opts.interval as f64)?;
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        sites.observe(started.elapsed().as_secs_f64() * 1000.0, unix_ms, profile);
        profiles += 1;
        say(&format!(
            "profile {profiles} at {:.0} s: {} sites, {} growing",
            started.elapsed().as_secs_f64(),
            sites.sites(),
            sites.growing().len()
        ));
    }
    let _ = connection.session().stop_sampling();
    drop(connection);
    let report = AllocReport {
        seconds: started.elapsed().as_secs_f64(),
        profiles,
        sampling_interval: opts.interval,
        sites: sites.sites(),
        growing_sites: sites.growing().iter().map(SiteRecord::of).collect(),
    };
    Ok((report, sites))
}

/// Writes the pprof, flame graph and HTML page `outputs` asks for (each mode 0600).
pub fn write_outputs(
    report: &AllocReport,
    watch: &AllocationWatch,
    outputs: &AllocOutputs,
    target: &str,
) -> Result<(), String> {
    let write = |path: &str, bytes: &[u8]| {
        write_private(path, bytes).map_err(|e| format!("cannot write {path}: {e}"))
    };
    let growth = outputs.growth;
    if let Some(path) = &outputs.pprof {
        let raw = watch.pprof(growth).ok_or("no profile was taken")?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&raw)
            .and_then(|()| gz.finish())
            .map_err(|e| format!("cannot compress the profile: {e}"))
            .and_then(|bytes| write(path, &bytes))?;
    }
    if let Some(path) = &outputs.svg {
        let svg = watch
            .flame_graph(growth, None, None)
            .ok_or("no profile was taken")?;
        write(path, svg.as_bytes())?;
    }
    if let Some(path) = &outputs.html {
        let page = Page {
            title: format!("leakhound alloc: {target}"),
            allocations: Some(AllocationSection {
                sites: report.growing_sites.clone(),
                flame_svg: watch.flame_graph(true, None, None),
            }),
            ..Page::default()
        };
        write(path, render_allocation_html(&page).as_bytes())?;
    }
    Ok(())
}
