//! Where memory is allocated, from V8's sampling heap profiler: profiles read into stacks,
//! stacks folded into sites, each site's live bytes followed over time with a growth verdict,
//! and the profile written as pprof or drawn as a flame graph.

mod flame;
mod metrics;
mod pprof;
mod profile;
mod record;
mod site;
mod site_table;
mod watch;

pub use flame::{FlameOptions, render_flame_graph};
pub use metrics::{SITE_LABEL, SamplerCounts, site_families};
pub use pprof::{PprofKind, PprofOptions, encode_pprof};
pub use profile::{
    Frame, MAX_NESTING, Stack, StackProfile, json_depth, parse_profile, profile_of_value,
};
pub use record::SiteRecord;
pub use site::{SiteLive, sites};
pub use site_table::{GrowingSite, SiteOptions, SiteTable};
pub use watch::{AllocationWatch, Observed};
