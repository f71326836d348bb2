//! A watch over a process's allocations: each profile goes into the site table, the first and
//! newest profiles are kept for pprof and the flame graph (live bytes, or growth between them),
//! and the verdict is recomputed. The addon's AllocationSampler and the command-line tool's
//! `alloc` are both this, fed from their own inspector sessions.

use std::borrow::Cow;

use super::flame::{FlameOptions, render_flame_graph};
use super::metrics::{SamplerCounts, site_families};
use super::pprof::{PprofKind, PprofOptions, encode_pprof};
use super::profile::StackProfile;
use super::site::sites;
use super::site_table::{GrowingSite, SiteOptions, SiteTable};
use crate::sampling::{Family, SamplingError};

/// A profile kept, with when it was taken.
struct Kept {
    /// Monotonic milliseconds.
    t_ms: f64,
    /// Unix time, milliseconds.
    unix_ms: f64,
    profile: StackProfile,
}

/// What one profile held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    /// Nodes of V8's tree: the profiler's own size.
    pub nodes: usize,
    pub sites: usize,
    pub live_bytes: f64,
}

pub struct AllocationWatch {
    table: SiteTable,
    depth: usize,
    interval_bytes: f64,
    first: Option<Kept>,
    latest: Option<Kept>,
    growing: Vec<GrowingSite>,
    profiles: u64,
    restarts: u64,
}

impl AllocationWatch {
    /// `depth`: user frames that make a site; `interval_bytes`: the sampling interval.
    pub fn new(
        opts: SiteOptions,
        depth: usize,
        interval_bytes: f64,
    ) -> Result<AllocationWatch, SamplingError> {
        Ok(AllocationWatch {
            table: SiteTable::new(opts)?,
            depth: depth.max(1),
            interval_bytes,
            first: None,
            latest: None,
            growing: Vec::new(),
            profiles: 0,
            restarts: 0,
        })
    }

    pub fn interval_bytes(&self) -> f64 {
        self.interval_bytes
    }

    /// One profile, taken at `t_ms` (monotonic) and `unix_ms`.
    pub fn observe(&mut self, t_ms: f64, unix_ms: f64, profile: StackProfile) -> Observed {
        let found = sites(&profile, self.depth);
        self.table.observe(t_ms, &found);
        self.growing = self.table.growing();
        self.profiles += 1;
        let observed = Observed {
            nodes: profile.nodes,
            sites: found.len(),
            live_bytes: profile.total_bytes(),
        };
        let kept = Kept {
            t_ms,
            unix_ms,
            profile,
        };
        if self.first.is_none() {
            self.first = Some(kept);
        } else {
            self.latest = Some(kept);
        }
        observed
    }

    /// The profiler restarted: live bytes start again from zero, so sites and profiles kept
    /// are forgotten.
    pub fn restarted(&mut self) {
        self.table.clear();
        self.growing.clear();
        self.first = None;
        self.latest = None;
        self.restarts += 1;
    }

    /// The growing sites, fastest first.
    pub fn growing(&self) -> &[GrowingSite] {
        &self.growing
    }

    pub fn sites(&self) -> usize {
        self.table.len()
    }

    pub fn dropped_sites(&self) -> u64 {
        self.table.dropped()
    }

    pub fn profiles(&self) -> u64 {
        self.profiles
    }

    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// The newest profile as `profile.proto` (uncompressed), or with `growth` what each stack
    /// gained from the first profile to the newest; None before any profile.
    pub fn pprof(&self, growth: bool) -> Option<Vec<u8>> {
        let (profile, from, to) = self.chosen(growth)?;
        let opts = PprofOptions {
            kind: if growth {
                PprofKind::Growth
            } else {
                PprofKind::Live
            },
            interval_bytes: self.interval_bytes as u64,
            time_nanos: (to.unix_ms * 1e6) as i64,
            duration_nanos: ((to.t_ms - from.t_ms) * 1e6) as i64,
        };
        Some(encode_pprof(&profile, &opts))
    }

    /// The same profile as a flame graph; None before any profile.
    pub fn flame_graph(
        &self,
        growth: bool,
        title: Option<String>,
        width: Option<u32>,
    ) -> Option<String> {
        let (profile, ..) = self.chosen(growth)?;
        let d = FlameOptions::default();
        let title = title.unwrap_or_else(|| {
            if growth {
                "Growth of live memory by allocating stack".into()
            } else {
                d.title.clone()
            }
        });
        Some(render_flame_graph(
            &profile,
            &FlameOptions {
                title,
                width: width.unwrap_or(d.width),
            },
        ))
    }

    /// Metric families: the `top` fastest growing sites and the counts.
    pub fn families(&self, top: usize) -> Vec<Family> {
        let counts = SamplerCounts {
            sites: self.table.len(),
            profiles: self.profiles,
            restarts: self.restarts,
        };
        site_families(&self.growing, top, counts)
    }

    /// The profile to show and the windows it spans (the newest alone for live bytes).
    fn chosen(&self, growth: bool) -> Option<(Cow<'_, StackProfile>, &Kept, &Kept)> {
        let first = self.first.as_ref()?;
        let newest = self.latest.as_ref().unwrap_or(first);
        if growth {
            let profile = newest.profile.growth_since(&first.profile);
            return Some((Cow::Owned(profile), first, newest));
        }
        Some((Cow::Borrowed(&newest.profile), newest, newest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::profile::parse_profile;
    use crate::allocation::profile::tests::two_callers;

    #[test]
    fn first_and_newest_profiles_make_the_growth_and_a_restart_forgets_them() {
        let mut watch = AllocationWatch::new(SiteOptions::default(), 4, 1000.0).unwrap();
        assert!(watch.pprof(false).is_none() && watch.flame_graph(true, None, None).is_none());
        let first = parse_profile(&two_callers(), 1000.0).unwrap();
        let seen = watch.observe(0.0, 1.0e12, first);
        assert_eq!((seen.sites, seen.live_bytes), (3, 4500.0));
        let grown = two_callers().replace(r#""selfSize":1000"#, r#""selfSize":9000"#);
        watch.observe(
            10_000.0,
            1.0e12 + 10_000.0,
            parse_profile(&grown, 1000.0).unwrap(),
        );
        let svg = watch.flame_graph(true, None, None).unwrap();
        assert!(svg.contains("Growth of live memory"));
        assert!(
            svg.contains("handle (file:///srv/app.js:12:5) — 7.8 KiB (100.0%)"),
            "{svg}"
        );
        assert!(watch.pprof(true).unwrap().len() > 50);
        watch.restarted();
        assert!(watch.pprof(false).is_none());
        assert_eq!(
            (watch.sites(), watch.restarts(), watch.profiles()),
            (0, 1, 2)
        );
    }
}
