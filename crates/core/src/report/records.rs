//! The records the analyses report, in the shape JavaScript receives them (the addon converts
//! them field by field) and `--json` prints them: one data contract. Field names are
//! JavaScript's (camelCase); optional fields are left out when absent.

use serde::{Deserialize, Serialize};

use crate::snapshot::{ClassDiff, ClassSummary, LeakReport, Location, PathStep};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassSummaryRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
    /// Of `retained_size`, ArrayBuffer backing stores: memory outside the JS heap.
    pub buffer_size: u64,
    /// Closure rows: the function's name and where it is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRecord>,
}

impl From<ClassSummary> for ClassSummaryRecord {
    fn from(c: ClassSummary) -> Self {
        Self {
            name: c.class_name,
            node_type: c.node_type,
            count: c.count,
            self_size: c.self_size,
            retained_size: c.retained_size,
            buffer_size: c.buffer_size,
            function_name: c.function_name,
            location: c.location.map(location_record),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationRecord {
    pub script: String,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathStepRecord {
    /// Property name, `[index]` or variable name of the edge leading to this node.
    pub edge: String,
    pub edge_type: String,
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub class_name: String,
    pub id: u32,
    pub self_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRecord>,
    /// How many times this hop repeats in a row, when more than once (see `collapse_runs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
}

fn location_record(l: Location) -> LocationRecord {
    LocationRecord {
        script: l.script_name,
        script_id: l.script_id,
        line: l.line,
        column: l.column,
    }
}

pub fn path_records(steps: Vec<PathStep>) -> Vec<PathStepRecord> {
    steps
        .into_iter()
        // The synthetic root has no edge leading to it; paths start at its child.
        .filter_map(|s| {
            let edge = s.edge?;
            Some(PathStepRecord {
                edge: edge.name.to_string(),
                edge_type: edge.edge_type,
                name: s.node.name,
                node_type: s.node.node_type,
                class_name: s.node.class_name,
                id: s.node.id,
                self_size: u64::from(s.node.self_size),
                retained_size: s.node.retained_size,
                location: s.location.map(location_record),
                repeat: (s.repeat > 1).then_some(s.repeat),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassDeltaRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub count_before: u64,
    pub count_after: u64,
    pub count_delta: i64,
    pub size_before: u64,
    pub size_after: u64,
    pub size_delta: i64,
    pub added_count: u64,
    pub removed_count: u64,
    pub added_size: u64,
    pub removed_size: u64,
}

impl From<ClassDiff> for ClassDeltaRecord {
    fn from(d: ClassDiff) -> Self {
        Self {
            name: d.class_name,
            node_type: d.node_type,
            count_before: d.count_before,
            count_after: d.count_after,
            count_delta: d.count_delta,
            size_before: d.size_before,
            size_after: d.size_after,
            size_delta: d.size_delta,
            added_count: d.added_count,
            removed_count: d.removed_count,
            added_size: d.added_size,
            removed_size: d.removed_size,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoldedGroupRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameRecord {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeakGroupRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
    /// Of `retainedSize`, bytes of ArrayBuffer backing stores (behind Buffers and typed arrays).
    pub buffer_size: u64,
    pub representative_id: u32,
    pub trace: Vec<PathStepRecord>,
    pub also_retains: Vec<FoldedGroupRecord>,
    // napi sets optional fields after the others; kept last here too, JSON prints them in the
    // same order from both tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRecord>,
    /// Innermost frame first; present when the snapshot was taken while allocations were tracked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation: Option<Vec<FrameRecord>>,
    /// Why `allocation` is missing although allocations were tracked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation_missing: Option<String>,
    /// Closure groups: the function's name ("bound handleClose" for bound functions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    /// Bound functions: the class of the object they are bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_this: Option<String>,
    /// A user class the group's objects keep alive, and the edge names from the representative
    /// to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds_via: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub id: u32,
    pub added: u64,
    pub retained_size: u64,
    pub trace: Vec<PathStepRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BelowCountRecord {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeakReportRecord {
    pub leaks: Vec<LeakGroupRecord>,
    pub collections: Vec<CollectionRecord>,
    pub leaked_objects: u64,
    /// Objects allocated between baseline and target alive in final, engine internals included.
    pub surviving_objects: u64,
    /// Groups left out for having fewer objects than the iterations (assertNoLeak).
    pub below_count: Vec<BelowCountRecord>,
    pub heap_size: u64,
    /// Per-class changes from baseline to final, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_diff: Option<Vec<ClassDeltaRecord>>,
}

pub fn leak_report_record(
    report: LeakReport,
    class_diff: Option<Vec<ClassDiff>>,
) -> LeakReportRecord {
    LeakReportRecord {
        leaked_objects: report.leaked_objects,
        surviving_objects: report.surviving_objects,
        below_count: report
            .below_count
            .into_iter()
            .map(|(name, count)| BelowCountRecord { name, count })
            .collect(),
        heap_size: report.heap_size,
        class_diff: class_diff.map(|d| d.into_iter().map(Into::into).collect()),
        collections: report
            .collections
            .into_iter()
            .map(|c| CollectionRecord {
                name: c.class_name,
                node_type: c.node_type,
                id: c.id,
                added: c.added,
                retained_size: c.retained_size,
                trace: path_records(c.trace),
            })
            .collect(),
        leaks: report
            .leaks
            .into_iter()
            .map(|g| LeakGroupRecord {
                name: g.class_name,
                node_type: g.node_type,
                count: g.count,
                self_size: g.self_size,
                retained_size: g.retained_size,
                buffer_size: g.buffer_size,
                representative_id: g.representative_id,
                trace: path_records(g.trace),
                location: g.location.map(location_record),
                also_retains: g
                    .also_retains
                    .into_iter()
                    .map(|f| FoldedGroupRecord {
                        name: f.class_name,
                        node_type: f.node_type,
                        count: f.count,
                        function_name: f.function_name,
                        location: f.location.map(location_record),
                    })
                    .collect(),
                allocation: g.allocation.map(|frames| {
                    frames
                        .into_iter()
                        .map(|f| FrameRecord {
                            function_name: f.function_name,
                            script: f.script,
                            line: f.line,
                            column: f.column,
                        })
                        .collect()
                }),
                allocation_missing: g.allocation_missing,
                function_name: g.function_name,
                bound_this: g.bound_this,
                holds: g.holds.as_ref().map(|(class, _)| class.clone()),
                holds_via: g.holds.map(|(_, via)| via),
            })
            .collect(),
    }
}
