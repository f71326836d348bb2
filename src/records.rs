//! The plain objects JavaScript receives: napi mirrors of `leakhound_core::report::records`
//! (the data contract, which `--json` prints too) and the conversions both ways. Numbers become
//! JavaScript numbers (exact up to 2^53); coming back (`renderLeakReport(report)`), they are read
//! as whole numbers, anything else as 0.

use leakhound_core::allocation;
use leakhound_core::report::records as core;
use napi_derive::napi;

/// A size or count as a JavaScript number.
fn num(n: u64) -> f64 {
    n as f64
}

/// A number from JavaScript as a size or count: negative, fractional or not finite reads as
/// the nearest whole number in range.
fn whole(n: f64) -> u64 {
    if n.is_finite() && n > 0.0 {
        n.round() as u64
    } else {
        0
    }
}

#[napi(object)]
pub struct ClassSummaryRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
    /// Of `retained_size`, ArrayBuffer backing stores: memory outside the JS heap.
    pub buffer_size: f64,
    /// Closure rows: the function's name and where it is defined.
    pub function_name: Option<String>,
    pub location: Option<LocationRecord>,
}

impl From<core::ClassSummaryRecord> for ClassSummaryRecord {
    fn from(c: core::ClassSummaryRecord) -> Self {
        Self {
            name: c.name,
            node_type: c.node_type,
            count: num(c.count),
            self_size: num(c.self_size),
            retained_size: num(c.retained_size),
            buffer_size: num(c.buffer_size),
            function_name: c.function_name,
            location: c.location.map(Into::into),
        }
    }
}

#[napi(object)]
pub struct NodeRecord {
    pub id: u32,
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub class_name: String,
    pub self_size: f64,
    pub retained_size: f64,
    pub dominator_id: Option<u32>,
}

#[napi(object)]
pub struct MarkedRecord {
    pub marker: String,
    pub id: u32,
}

#[napi(object)]
pub struct LocationRecord {
    pub script: String,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

impl From<core::LocationRecord> for LocationRecord {
    fn from(l: core::LocationRecord) -> Self {
        Self {
            script: l.script,
            script_id: l.script_id,
            line: l.line,
            column: l.column,
        }
    }
}

impl From<LocationRecord> for core::LocationRecord {
    fn from(l: LocationRecord) -> Self {
        Self {
            script: l.script,
            script_id: l.script_id,
            line: l.line,
            column: l.column,
        }
    }
}

#[napi(object)]
pub struct PathStepRecord {
    /// Property name, `[index]` or variable name of the edge leading to this node.
    pub edge: String,
    pub edge_type: String,
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub class_name: String,
    pub id: u32,
    pub self_size: f64,
    pub retained_size: Option<f64>,
    pub location: Option<LocationRecord>,
    /// How many times this hop repeats in a row, when more than once.
    pub repeat: Option<u32>,
}

impl From<core::PathStepRecord> for PathStepRecord {
    fn from(s: core::PathStepRecord) -> Self {
        Self {
            edge: s.edge,
            edge_type: s.edge_type,
            name: s.name,
            node_type: s.node_type,
            class_name: s.class_name,
            id: s.id,
            self_size: num(s.self_size),
            retained_size: s.retained_size.map(num),
            location: s.location.map(Into::into),
            repeat: s.repeat,
        }
    }
}

impl From<PathStepRecord> for core::PathStepRecord {
    fn from(s: PathStepRecord) -> Self {
        Self {
            edge: s.edge,
            edge_type: s.edge_type,
            name: s.name,
            node_type: s.node_type,
            class_name: s.class_name,
            id: s.id,
            self_size: whole(s.self_size),
            retained_size: s.retained_size.map(whole),
            location: s.location.map(Into::into),
            repeat: s.repeat,
        }
    }
}

/// Core records to their napi mirrors, element by element.
pub(crate) fn mirror<C, N: From<C>>(records: Vec<C>) -> Vec<N> {
    records.into_iter().map(Into::into).collect()
}

#[napi(object)]
pub struct ClassDeltaRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count_before: f64,
    pub count_after: f64,
    pub count_delta: f64,
    pub size_before: f64,
    pub size_after: f64,
    pub size_delta: f64,
    pub added_count: f64,
    pub removed_count: f64,
    pub added_size: f64,
    pub removed_size: f64,
}

impl From<core::ClassDeltaRecord> for ClassDeltaRecord {
    fn from(d: core::ClassDeltaRecord) -> Self {
        Self {
            name: d.name,
            node_type: d.node_type,
            count_before: num(d.count_before),
            count_after: num(d.count_after),
            count_delta: d.count_delta as f64,
            size_before: num(d.size_before),
            size_after: num(d.size_after),
            size_delta: d.size_delta as f64,
            added_count: num(d.added_count),
            removed_count: num(d.removed_count),
            added_size: num(d.added_size),
            removed_size: num(d.removed_size),
        }
    }
}

#[napi(object)]
pub struct FoldedGroupRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count: f64,
    pub function_name: Option<String>,
    pub location: Option<LocationRecord>,
}

impl From<core::FoldedGroupRecord> for FoldedGroupRecord {
    fn from(f: core::FoldedGroupRecord) -> Self {
        Self {
            name: f.name,
            node_type: f.node_type,
            count: num(f.count),
            function_name: f.function_name,
            location: f.location.map(Into::into),
        }
    }
}

impl From<FoldedGroupRecord> for core::FoldedGroupRecord {
    fn from(f: FoldedGroupRecord) -> Self {
        Self {
            name: f.name,
            node_type: f.node_type,
            count: whole(f.count),
            function_name: f.function_name,
            location: f.location.map(Into::into),
        }
    }
}

#[napi(object)]
pub struct FrameRecord {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
}

impl From<core::FrameRecord> for FrameRecord {
    fn from(f: core::FrameRecord) -> Self {
        Self {
            function_name: f.function_name,
            script: f.script,
            line: f.line,
            column: f.column,
        }
    }
}

impl From<FrameRecord> for core::FrameRecord {
    fn from(f: FrameRecord) -> Self {
        Self {
            function_name: f.function_name,
            script: f.script,
            line: f.line,
            column: f.column,
        }
    }
}

#[napi(object)]
pub struct LeakGroupRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
    /// Of `retainedSize`, bytes of ArrayBuffer backing stores (behind Buffers and typed arrays).
    /// Always set going out; reports made before it existed may leave it out coming back.
    pub buffer_size: Option<f64>,
    pub representative_id: u32,
    pub trace: Vec<PathStepRecord>,
    pub also_retains: Vec<FoldedGroupRecord>,
    pub location: Option<LocationRecord>,
    /// Innermost frame first; present when the snapshot was taken while allocations were tracked.
    pub allocation: Option<Vec<FrameRecord>>,
    /// Why `allocation` is missing although allocations were tracked.
    pub allocation_missing: Option<String>,
    /// Closure groups: the function's name ("bound handleClose" for bound functions).
    pub function_name: Option<String>,
    /// Bound functions: the class of the object they are bound to.
    pub bound_this: Option<String>,
    /// A user class the group's objects keep alive, and the edge names from the representative
    /// to it.
    pub holds: Option<String>,
    pub holds_via: Option<Vec<String>>,
}

impl From<core::LeakGroupRecord> for LeakGroupRecord {
    fn from(g: core::LeakGroupRecord) -> Self {
        Self {
            name: g.name,
            node_type: g.node_type,
            count: num(g.count),
            self_size: num(g.self_size),
            retained_size: num(g.retained_size),
            buffer_size: Some(num(g.buffer_size)),
            representative_id: g.representative_id,
            trace: mirror(g.trace),
            also_retains: mirror(g.also_retains),
            location: g.location.map(Into::into),
            allocation: g.allocation.map(mirror),
            allocation_missing: g.allocation_missing,
            function_name: g.function_name,
            bound_this: g.bound_this,
            holds: g.holds,
            holds_via: g.holds_via,
        }
    }
}

impl From<LeakGroupRecord> for core::LeakGroupRecord {
    fn from(g: LeakGroupRecord) -> Self {
        Self {
            name: g.name,
            node_type: g.node_type,
            count: whole(g.count),
            self_size: whole(g.self_size),
            retained_size: whole(g.retained_size),
            buffer_size: g.buffer_size.map_or(0, whole),
            representative_id: g.representative_id,
            trace: mirror(g.trace),
            also_retains: mirror(g.also_retains),
            location: g.location.map(Into::into),
            allocation: g.allocation.map(mirror),
            allocation_missing: g.allocation_missing,
            function_name: g.function_name,
            bound_this: g.bound_this,
            holds: g.holds,
            holds_via: g.holds_via,
        }
    }
}

#[napi(object)]
pub struct CollectionRecord {
    pub name: String,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub id: u32,
    pub added: f64,
    pub retained_size: f64,
    pub trace: Vec<PathStepRecord>,
}

impl From<core::CollectionRecord> for CollectionRecord {
    fn from(c: core::CollectionRecord) -> Self {
        Self {
            name: c.name,
            node_type: c.node_type,
            id: c.id,
            added: num(c.added),
            retained_size: num(c.retained_size),
            trace: mirror(c.trace),
        }
    }
}

impl From<CollectionRecord> for core::CollectionRecord {
    fn from(c: CollectionRecord) -> Self {
        Self {
            name: c.name,
            node_type: c.node_type,
            id: c.id,
            added: whole(c.added),
            retained_size: whole(c.retained_size),
            trace: mirror(c.trace),
        }
    }
}

#[napi(object)]
pub struct BelowCountRecord {
    pub name: String,
    pub count: f64,
}

impl From<core::BelowCountRecord> for BelowCountRecord {
    fn from(b: core::BelowCountRecord) -> Self {
        Self {
            name: b.name,
            count: num(b.count),
        }
    }
}

impl From<BelowCountRecord> for core::BelowCountRecord {
    fn from(b: BelowCountRecord) -> Self {
        Self {
            name: b.name,
            count: whole(b.count),
        }
    }
}

#[napi(object)]
pub struct LeakReportRecord {
    pub leaks: Vec<LeakGroupRecord>,
    pub collections: Vec<CollectionRecord>,
    pub leaked_objects: f64,
    /// Objects allocated between baseline and target alive in final, engine internals included.
    pub surviving_objects: f64,
    /// Groups left out for having fewer objects than the iterations (assertNoLeak).
    pub below_count: Vec<BelowCountRecord>,
    pub heap_size: f64,
    /// Per-class changes from baseline to final, when asked for.
    pub class_diff: Option<Vec<ClassDeltaRecord>>,
}

impl From<core::LeakReportRecord> for LeakReportRecord {
    fn from(r: core::LeakReportRecord) -> Self {
        Self {
            leaks: mirror(r.leaks),
            collections: mirror(r.collections),
            leaked_objects: num(r.leaked_objects),
            surviving_objects: num(r.surviving_objects),
            below_count: mirror(r.below_count),
            heap_size: num(r.heap_size),
            class_diff: r.class_diff.map(mirror),
        }
    }
}

impl From<ClassDeltaRecord> for core::ClassDeltaRecord {
    fn from(d: ClassDeltaRecord) -> Self {
        let signed = |n: f64| if n.is_finite() { n.round() as i64 } else { 0 };
        Self {
            name: d.name,
            node_type: d.node_type,
            count_before: whole(d.count_before),
            count_after: whole(d.count_after),
            count_delta: signed(d.count_delta),
            size_before: whole(d.size_before),
            size_after: whole(d.size_after),
            size_delta: signed(d.size_delta),
            added_count: whole(d.added_count),
            removed_count: whole(d.removed_count),
            added_size: whole(d.added_size),
            removed_size: whole(d.removed_size),
        }
    }
}

/// Back to the contract, for rendering.
impl From<LeakReportRecord> for core::LeakReportRecord {
    fn from(r: LeakReportRecord) -> Self {
        Self {
            leaks: mirror(r.leaks),
            collections: mirror(r.collections),
            leaked_objects: whole(r.leaked_objects),
            surviving_objects: whole(r.surviving_objects),
            below_count: mirror(r.below_count),
            heap_size: whole(r.heap_size),
            class_diff: r.class_diff.map(mirror),
        }
    }
}

/// A growing site as `growingSites()` returns it.
#[napi(object)]
pub struct GrowingSiteRecord {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
    pub stack: Vec<String>,
    pub live_bytes: f64,
    pub slope_bytes_per_sec: f64,
    pub confidence: f64,
}

impl From<allocation::SiteRecord> for GrowingSiteRecord {
    fn from(r: allocation::SiteRecord) -> Self {
        GrowingSiteRecord {
            function_name: r.function_name,
            script: r.script,
            line: r.line,
            column: r.column,
            stack: r.stack,
            live_bytes: r.live_bytes,
            slope_bytes_per_sec: r.slope_bytes_per_sec,
            confidence: r.confidence,
        }
    }
}

impl From<GrowingSiteRecord> for allocation::SiteRecord {
    fn from(r: GrowingSiteRecord) -> Self {
        allocation::SiteRecord {
            function_name: r.function_name,
            script: r.script,
            line: r.line,
            column: r.column,
            stack: r.stack,
            live_bytes: r.live_bytes,
            slope_bytes_per_sec: r.slope_bytes_per_sec,
            confidence: r.confidence,
        }
    }
}
