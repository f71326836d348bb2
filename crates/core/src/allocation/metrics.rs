//! Growing allocation sites as metric families: the top few by pace, one series each, so the
//! label set stays bounded however many sites grow.

use super::site_table::GrowingSite;
use crate::sampling::{Family, Kind};

/// The label that names a site (its allocating frame).
pub const SITE_LABEL: &str = "site";

/// What the sampler itself reports next to the sites.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SamplerCounts {
    pub sites: usize,
    pub profiles: u64,
    pub restarts: u64,
}

/// The families: per-site live bytes and pace for the `top` fastest growing sites (`growing`
/// is fastest first), the number growing, the sites tracked, profiles and restarts.
pub fn site_families(growing: &[GrowingSite], top: usize, counts: SamplerCounts) -> Vec<Family> {
    let shown = &growing[..growing.len().min(top)];
    let per_site = |name: &str, help: &str, value: fn(&GrowingSite) -> f64| Family {
        // Declared, since no site may grow yet: engines register the family up front.
        labels: vec![SITE_LABEL.to_string()],
        name: name.into(),
        help: help.into(),
        kind: Kind::Gauge,
        samples: shown
            .iter()
            .map(|s| {
                let site = s.frames.first().map(|f| f.describe()).unwrap_or_default();
                (vec![(SITE_LABEL.to_string(), site)], value(s))
            })
            .collect(),
    };
    let single = |name: &str, help: &str, kind: Kind, value: f64| Family {
        labels: Vec::new(),
        name: name.into(),
        help: help.into(),
        kind,
        samples: vec![(Vec::new(), value)],
    };
    vec![
        per_site(
            "leakhound_allocation_site_live_bytes",
            "Live bytes allocated at a growing site (sampled estimate), for the fastest growing sites.",
            |s| s.live_bytes,
        ),
        per_site(
            "leakhound_allocation_site_growth_bytes_per_second",
            "Pace at which a growing site's live bytes rise, for the fastest growing sites.",
            |s| s.slope_bytes_per_sec,
        ),
        single(
            "leakhound_allocation_growing_sites",
            "Allocation sites whose live bytes grow.",
            Kind::Gauge,
            growing.len() as f64,
        ),
        single(
            "leakhound_allocation_sites",
            "Allocation sites followed.",
            Kind::Gauge,
            counts.sites as f64,
        ),
        single(
            "leakhound_allocation_profiles_total",
            "Sampling heap profiles read.",
            Kind::Counter,
            counts.profiles as f64,
        ),
        single(
            "leakhound_allocation_profiler_restarts_total",
            "Restarts of V8's sampling heap profiler to bound its memory.",
            Kind::Counter,
            counts.restarts as f64,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::Frame;
    use crate::sampling::render_prometheus;

    #[test]
    fn only_the_top_sites_get_a_series() {
        let site = |n: u32| GrowingSite {
            frames: vec![Frame {
                function_name: format!("f{n}"),
                url: "file:///a \"b\".js".into(),
                line: n,
                column: 1,
            }],
            live_bytes: 1000.0 * f64::from(n),
            slope_bytes_per_sec: 10.0,
            growth_bytes: 1.0,
            confidence: 0.99,
            points: 10,
        };
        let growing: Vec<GrowingSite> = (1..=30).map(site).collect();
        let families = site_families(&growing, 10, SamplerCounts::default());
        assert_eq!(families[0].samples.len(), 10);
        assert_eq!(families[2].samples[0].1, 30.0);
        let text = render_prometheus(&families);
        assert!(
            text.contains(
                r#"leakhound_allocation_site_live_bytes{site="f1 (file:///a \"b\".js:1:1)"} 1000"#
            ),
            "{text}"
        );
        for f in &families {
            f.validate().unwrap();
        }
        let none = site_families(&[], 10, SamplerCounts::default());
        assert!(none[0].samples.is_empty());
        assert_eq!(none[0].label_names().collect::<Vec<_>>(), [SITE_LABEL]);
    }
}
