//! Allocation sites over time: each site's live bytes, one point per profile, and which sites
//! grow. A site's verdict is the heap trend's (Theil–Sen slope, Mann–Kendall test, growth that
//! matters and is still under way in the newer half, so a cache that fills and levels off is not
//! a leak), but hundreds of sites are tested at once, so the Mann–Kendall p-values go through
//! Benjamini–Hochberg: the share of false sites among those reported is held to
//! `false_discovery_rate`. The table holds at most `max_sites`; a new site takes the place of
//! the one holding least, or is dropped (and counted) when it holds less.

use std::collections::HashMap;

use super::profile::Frame;
use super::site::SiteLive;
use crate::sampling::{SamplingError, mann_kendall_confidence, theil_sen};

#[derive(Debug, Clone, PartialEq)]
pub struct SiteOptions {
    /// Sites kept at most.
    pub max_sites: usize,
    /// Points kept per site (older ones thinned beyond this).
    pub max_points: usize,
    /// Fewest points for a verdict.
    pub min_points: usize,
    /// Smallest growth across the window that can be a leak, in bytes…
    pub min_growth_bytes: f64,
    /// …and as a share of the site's level, whichever is larger.
    pub min_growth_ratio: f64,
    /// Expected share of false sites among those reported (Benjamini–Hochberg's q).
    pub false_discovery_rate: f64,
}

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions {
            max_sites: 1000,
            max_points: 120,
            min_points: 6,
            min_growth_bytes: 64.0 * 1024.0,
            min_growth_ratio: 0.1,
            false_discovery_rate: 0.01,
        }
    }
}

impl SiteOptions {
    /// The defaults for a profiler sampling every `interval_bytes`: a sample stands for about
    /// that many bytes, so growth of fewer than 16 samples' worth is noise.
    pub fn for_interval(interval_bytes: f64) -> SiteOptions {
        SiteOptions {
            min_growth_bytes: 16.0 * interval_bytes,
            ..SiteOptions::default()
        }
    }

    pub fn validate(&self) -> Result<(), SamplingError> {
        let bad = |name: &'static str, problem: &str| {
            Err(SamplingError::Option {
                name,
                problem: problem.into(),
            })
        };
        if !(1..=100_000).contains(&self.max_sites) {
            return bad("maxSites", "must be between 1 and 100000");
        }
        if self.min_points < 4 || self.min_points > self.max_points || self.max_points > 4096 {
            return bad(
                "minPoints",
                "must be at least 4 and at most maxPoints (≤ 4096)",
            );
        }
        if !(self.min_growth_bytes.is_finite() && self.min_growth_bytes >= 0.0) {
            return bad("minGrowthBytes", "must be a number of bytes ≥ 0");
        }
        if !(self.min_growth_ratio.is_finite() && self.min_growth_ratio >= 0.0) {
            return bad("minGrowthRatio", "must be a number ≥ 0");
        }
        if !(self.false_discovery_rate > 0.0 && self.false_discovery_rate < 0.5) {
            return bad("falseDiscoveryRate", "must lie between 0 and 0.5");
        }
        Ok(())
    }
}

/// A site whose live bytes grow.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowingSite {
    /// Allocating frame first.
    pub frames: Vec<Frame>,
    pub live_bytes: f64,
    pub slope_bytes_per_sec: f64,
    /// Growth across the window at that slope.
    pub growth_bytes: f64,
    /// Mann–Kendall confidence that it rises.
    pub confidence: f64,
    pub points: usize,
}

struct Site {
    frames: Vec<Frame>,
    /// (ms, live bytes), oldest first.
    points: Vec<(f64, f64)>,
}

impl Site {
    fn last(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.1)
    }
}

pub struct SiteTable {
    opts: SiteOptions,
    sites: Vec<Site>,
    index: HashMap<Vec<Frame>, usize>,
    dropped: u64,
    scratch: Vec<f64>,
}

impl SiteTable {
    pub fn new(opts: SiteOptions) -> Result<SiteTable, SamplingError> {
        opts.validate()?;
        Ok(SiteTable {
            opts,
            sites: Vec::new(),
            index: HashMap::new(),
            dropped: 0,
            scratch: Vec::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.sites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// Sites that found the table full and held less than every site in it.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets every site: after the profiler restarts, live bytes start again from zero and
    /// would read as a fall.
    pub fn clear(&mut self) {
        self.sites.clear();
        self.index.clear();
    }

    /// One profile at `t_ms`: every known site gets a point (0 where the profile lacks it: its
    /// objects died), and new sites join.
    pub fn observe(&mut self, t_ms: f64, profile: &[SiteLive]) {
        let mut seen = vec![false; self.sites.len()];
        for site in profile {
            let at = match self.index.get(&site.frames) {
                Some(&at) => at,
                None => match self.admit(site) {
                    Some(at) => at,
                    None => continue,
                },
            };
            if at >= seen.len() {
                seen.resize(at + 1, false);
            }
            seen[at] = true;
            self.push(at, t_ms, site.live_bytes);
        }
        for at in 0..self.sites.len() {
            if !seen.get(at).copied().unwrap_or(false) {
                self.push(at, t_ms, 0.0);
            }
        }
    }

    fn push(&mut self, at: usize, t_ms: f64, live: f64) {
        let points = &mut self.sites[at].points;
        if points.last().is_some_and(|p| p.0 == t_ms) {
            return;
        }
        points.push((t_ms, live));
        if points.len() > self.opts.max_points {
            // Every second point of the older half goes: the newest stay dense.
            let half = points.len() / 2;
            let mut i = 0;
            points.retain(|_| {
                let keep = i >= half || i % 2 == 0;
                i += 1;
                keep
            });
        }
    }

    /// A place for a new site: a free one, or that of the site holding least when it holds
    /// less than the newcomer.
    fn admit(&mut self, site: &SiteLive) -> Option<usize> {
        if self.sites.len() < self.opts.max_sites {
            self.sites.push(Site {
                frames: site.frames.clone(),
                points: Vec::new(),
            });
            self.index.insert(site.frames.clone(), self.sites.len() - 1);
            return Some(self.sites.len() - 1);
        }
        let (at, least) = self
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.last()))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        if least >= site.live_bytes {
            self.dropped += 1;
            return None;
        }
        self.dropped += 1;
        self.index.remove(&self.sites[at].frames);
        self.sites[at] = Site {
            frames: site.frames.clone(),
            points: Vec::new(),
        };
        self.index.insert(site.frames.clone(), at);
        Some(at)
    }

    /// The sites that grow, fastest first.
    pub fn growing(&mut self) -> Vec<GrowingSite> {
        let opts = self.opts.clone();
        // Candidates: enough points, growth that matters, still rising in the newer half.
        let mut candidates: Vec<(f64, GrowingSite)> = Vec::new();
        let mut tested = 0usize;
        for site in &self.sites {
            let pts = &site.points;
            let n = pts.len();
            if n < opts.min_points {
                continue;
            }
            tested += 1;
            let Some(slope) = theil_sen(pts, &mut self.scratch) else {
                continue;
            };
            let span = pts[n - 1].0 - pts[0].0;
            let growth = slope * span;
            let level = site.last();
            let threshold = opts.min_growth_bytes.max(opts.min_growth_ratio * level);
            // Most sites stop here: the further tests are only needed for a site that grew.
            if !(growth >= threshold && slope > 0.0) {
                continue;
            }
            let recent = &pts[n - n.div_ceil(2).max(3)..];
            let still_rising =
                theil_sen(recent, &mut self.scratch).is_some_and(|s| s > 0.25 * slope);
            if still_rising {
                let confidence = mann_kendall_confidence(pts);
                candidates.push((
                    1.0 - confidence,
                    GrowingSite {
                        frames: site.frames.clone(),
                        live_bytes: level,
                        slope_bytes_per_sec: slope * 1000.0,
                        growth_bytes: growth,
                        confidence,
                        points: n,
                    },
                ));
            }
        }
        // Benjamini–Hochberg over every site tested, not only the candidates.
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
        let m = tested.max(1) as f64;
        let cutoff = candidates
            .iter()
            .enumerate()
            .filter(|(k, (p, _))| *p <= (*k as f64 + 1.0) / m * opts.false_discovery_rate)
            .map(|(k, _)| k + 1)
            .max()
            .unwrap_or(0);
        let mut out: Vec<GrowingSite> = candidates
            .into_iter()
            .take(cutoff)
            .map(|(_, s)| s)
            .collect();
        out.sort_by(|a, b| b.slope_bytes_per_sec.total_cmp(&a.slope_bytes_per_sec));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, live: f64) -> SiteLive {
        SiteLive {
            frames: vec![Frame {
                function_name: name.into(),
                url: "file:///srv/app.js".into(),
                line: 1,
                column: 1,
            }],
            live_bytes: live,
        }
    }

    /// A deterministic wobble in [-1, 1].
    fn noise(i: usize, seed: usize) -> f64 {
        (((i * 7919 + seed * 104_729) % 1000) as f64 / 500.0) - 1.0
    }

    #[test]
    fn a_leaking_site_is_found_within_3_minutes_and_nothing_else_in_10() {
        // 10 s windows and a verdict from 12 of them, as the in-process sampler's defaults.
        let mut table = SiteTable::new(SiteOptions {
            min_points: 12,
            ..SiteOptions::default()
        })
        .unwrap();
        let mut found_at = None;
        for i in 0..60 {
            let t = i as f64 * 10_000.0;
            let mut profile = vec![
                // 1 KB a request at 20 requests a second, sampled: rises for good.
                site("leak", 20_000.0 * i as f64 + 30_000.0 * noise(i, 1)),
                // 100 KB a request, freed at once: large and flat.
                site("churn", 2_000_000.0 + 800_000.0 * noise(i, 2)),
                // A cache that fills in the first minute, then holds.
                site(
                    "cache",
                    1_500_000.0 * (i.min(6) as f64 / 6.0) + 20_000.0 * noise(i, 3),
                ),
            ];
            // Many small quiet sites: the comparisons the false discovery rate is about.
            profile.extend(
                (0..300)
                    .map(|k| site(&format!("quiet{k}"), 50_000.0 + 40_000.0 * noise(i, k + 10))),
            );
            table.observe(t, &profile);
            // Asked after every window, as the sampler does: only the leak, ever.
            let growing = table.growing();
            let names: Vec<&str> = growing
                .iter()
                .map(|g| g.frames[0].function_name.as_str())
                .collect();
            assert!(
                names.is_empty() || names == ["leak"],
                "window {i}: {names:?}"
            );
            if !names.is_empty() {
                found_at.get_or_insert(t);
                // 2 KB/s; the first estimates, from 12 noisy points, are rougher.
                let off = (growing[0].slope_bytes_per_sec - 2000.0).abs();
                assert!(off < if i < 30 { 800.0 } else { 300.0 }, "{growing:?}");
            }
        }
        let found_at = found_at.expect("the leak is found");
        assert!(found_at <= 180_000.0, "found after {found_at} ms");
    }

    #[test]
    fn a_site_that_disappears_counts_as_zero_and_the_table_stays_bounded() {
        let opts = SiteOptions {
            max_sites: 3,
            ..SiteOptions::default()
        };
        let mut table = SiteTable::new(opts).unwrap();
        table.observe(0.0, &[site("a", 10.0), site("b", 20.0), site("c", 30.0)]);
        // A bigger newcomer takes the smallest site's place; a smaller one is dropped.
        table.observe(1.0, &[site("d", 100.0), site("e", 0.5)]);
        assert_eq!(table.len(), 3);
        assert_eq!(table.dropped(), 2);
        assert!(table.index.contains_key(&site("d", 0.0).frames));
        assert!(!table.index.contains_key(&site("e", 0.0).frames));
        // Sites absent from a profile got a zero point.
        let b = table.index[&site("b", 0.0).frames];
        assert_eq!(table.sites[b].points, [(0.0, 20.0), (1.0, 0.0)]);
        assert!(
            SiteTable::new(SiteOptions {
                max_sites: 0,
                ..SiteOptions::default()
            })
            .is_err()
        );
    }
}
