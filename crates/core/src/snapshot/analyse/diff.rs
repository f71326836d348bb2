//! Per-class diff of two snapshots of the same process, matching objects by
//! id (V8 keeps ids stable across snapshots). Works on light-mode parses.

use std::collections::HashMap;

use crate::snapshot::heap::nodes::{NodeView, class_key};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassDiff {
    pub node_type: String,
    pub class_name: String,
    pub count_before: u64,
    pub count_after: u64,
    pub size_before: u64,
    pub size_after: u64,
    pub added_count: u64,
    pub removed_count: u64,
    pub added_size: u64,
    pub removed_size: u64,
    pub count_delta: i64,
    pub size_delta: i64,
}

/// Class index of every node of one snapshot, into a table shared by both.
fn classify(
    view: &NodeView,
    table: &mut HashMap<(String, String), usize>,
    diffs: &mut Vec<ClassDiff>,
) -> Vec<u32> {
    let nodes = view.nodes;
    let mut local: HashMap<(u8, u32), u32> = HashMap::new();
    (0..nodes.len())
        .map(|i| {
            let (t, name) = (nodes.node_type[i], nodes.name[i]);
            *local
                .entry(class_key(view.meta, t, name))
                .or_insert_with(|| {
                    let key = (
                        view.meta.node_type_name(t).to_string(),
                        view.class_name(crate::snapshot::heap::nodes::NodeIdx(i as u32))
                            .into_owned(),
                    );
                    let next = diffs.len();
                    let index = *table.entry(key.clone()).or_insert(next);
                    if index == next {
                        diffs.push(ClassDiff {
                            node_type: key.0,
                            class_name: key.1,
                            ..ClassDiff::default()
                        });
                    }
                    index as u32
                })
        })
        .collect()
}

/// Classes whose count or size changed, sorted by size delta (largest
/// growth first), then count delta. The synthetic root (id shared by both)
/// never shows up as added or removed.
pub fn diff_snapshots(before: &NodeView, after: &NodeView) -> Vec<ClassDiff> {
    let mut table = HashMap::new();
    let mut diffs = Vec::new();
    let class_before = classify(before, &mut table, &mut diffs);
    let class_after = classify(after, &mut table, &mut diffs);

    for (i, &c) in class_before.iter().enumerate() {
        let d = &mut diffs[c as usize];
        d.count_before += 1;
        d.size_before += before.nodes.self_size[i] as u64;
    }
    for (i, &c) in class_after.iter().enumerate() {
        let d = &mut diffs[c as usize];
        d.count_after += 1;
        d.size_after += after.nodes.self_size[i] as u64;
    }

    // Merge the two id-ordered index lists.
    let (xs, ys) = (before.nodes.indices_by_id(), after.nodes.indices_by_id());
    let (id_b, id_a) = (&before.nodes.id, &after.nodes.id);
    let (mut i, mut j) = (0, 0);
    let removed = |b: u32, diffs: &mut Vec<ClassDiff>| {
        let d = &mut diffs[class_before[b as usize] as usize];
        d.removed_count += 1;
        d.removed_size += before.nodes.self_size[b as usize] as u64;
    };
    let added = |a: u32, diffs: &mut Vec<ClassDiff>| {
        let d = &mut diffs[class_after[a as usize] as usize];
        d.added_count += 1;
        d.added_size += after.nodes.self_size[a as usize] as u64;
    };
    while i < xs.len() || j < ys.len() {
        match (xs.get(i), ys.get(j)) {
            (Some(&b), Some(&a)) => {
                let (ib, ia) = (id_b[b as usize], id_a[a as usize]);
                if ib < ia {
                    removed(b, &mut diffs);
                    i += 1;
                } else if ia < ib {
                    added(a, &mut diffs);
                    j += 1;
                } else {
                    i += 1;
                    j += 1;
                }
            }
            (Some(&b), None) => {
                removed(b, &mut diffs);
                i += 1;
            }
            (None, Some(&a)) => {
                added(a, &mut diffs);
                j += 1;
            }
            (None, None) => break,
        }
    }

    for d in &mut diffs {
        d.count_delta = d.count_after as i64 - d.count_before as i64;
        d.size_delta = d.size_after as i64 - d.size_before as i64;
    }
    diffs.retain(|d| {
        d.added_count > 0 || d.removed_count > 0 || d.count_delta != 0 || d.size_delta != 0
    });
    diffs.sort_by(|a, b| {
        b.size_delta
            .cmp(&a.size_delta)
            .then(b.count_delta.cmp(&a.count_delta))
            .then_with(|| a.class_name.cmp(&b.class_name))
    });
    diffs
}
