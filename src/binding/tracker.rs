//! `TrackerTable` for JavaScript. To keep `track()` within a few nanoseconds of a bare
//! `FinalizationRegistry.register`, JavaScript queues registrations as numbers in a typed array
//! (`[id, labelRef, groupRef]` triples) and hands the queue over once per synchronous job.
//! Label refs point into a small table of labels interned here; rare unique strings travel in a
//! side array.

use std::sync::Arc;
use std::time::Instant;

use napi::bindgen_prelude::{Result, Uint32Array};
use napi_derive::napi;

use super::guard::guarded;
use crate::tracker_table::{Registration, TableError, TrackerTable};

/// Numbers per queued registration: id, label ref, group ref.
const FIELDS: usize = 3;
/// A ref meaning "no label".
const NO_STRING: u32 = 0;
/// A ref meaning "the next string of the side array".
const SIDE_STRING: u32 = u32::MAX;

#[napi(object)]
pub struct SurvivorRecord {
    pub id: u32,
    pub label: Option<String>,
    pub group: Option<String>,
    pub stack: Option<String>,
    pub age_ms: f64,
}

#[napi(js_name = "TrackerTable")]
pub struct JsTrackerTable {
    table: TrackerTable,
    // Interned strings; ref r > 0 is interned[r - 1]. JavaScript bounds how many it interns.
    interned: Vec<Arc<str>>,
}

fn table_error(e: TableError) -> napi::Error {
    let status = match e {
        TableError::Full { .. } => napi::Status::GenericFailure,
        TableError::DuplicateId(_) => napi::Status::InvalidArg,
    };
    napi::Error::new(status, e.to_string())
}

fn invalid(msg: String) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, msg)
}

#[napi]
impl JsTrackerTable {
    #[napi(constructor)]
    pub fn new(capacity: u32) -> Self {
        Self {
            table: TrackerTable::new(capacity as usize),
            interned: Vec::new(),
        }
    }

    /// Interns a string; its ref is the returned number.
    #[napi]
    pub fn intern(&mut self, s: String) -> u32 {
        self.interned.push(s.into());
        self.interned.len() as u32
    }

    /// Adds `count` queued registrations from `queue`; `side` holds the strings whose ref is
    /// SIDE_STRING in queue order, `stacks` one stack per registration when stacks are captured.
    #[napi]
    pub fn add(
        &mut self,
        queue: Uint32Array,
        count: u32,
        side: Vec<String>,
        stacks: Option<Vec<String>>,
    ) -> Result<u32> {
        guarded("TrackerTable.add", || {
            let count = count as usize;
            let numbers = queue
                .get(..count.saturating_mul(FIELDS))
                .ok_or_else(|| invalid(format!("queue holds fewer than {count} registrations")))?;
            if stacks.as_ref().is_some_and(|s| s.len() != count) {
                return Err(invalid("one stack per registration expected".into()));
            }
            let mut side = side.into_iter();
            let mut stacks = stacks.map(|s| s.into_iter());
            let mut resolve = |r: u32| -> Result<Option<Arc<str>>> {
                match r {
                    NO_STRING => Ok(None),
                    SIDE_STRING => side
                        .next()
                        .map(|s| Some(Arc::from(s)))
                        .ok_or_else(|| invalid("side string array is too short".into())),
                    r => self
                        .interned
                        .get(r as usize - 1)
                        .map(|s| Some(s.clone()))
                        .ok_or_else(|| invalid(format!("unknown string ref {r}"))),
                }
            };
            let mut regs = Vec::with_capacity(count);
            for triple in numbers.chunks_exact(FIELDS) {
                regs.push(Registration {
                    id: triple[0],
                    label: resolve(triple[1])?,
                    group: resolve(triple[2])?,
                    stack: stacks
                        .as_mut()
                        .and_then(|s| s.next())
                        .map(String::into_boxed_str),
                });
            }
            let added = self
                .table
                .insert_batch(regs, Instant::now())
                .map_err(table_error)?;
            Ok(added as u32)
        })
    }

    /// Records finalized ids; returns how many tracked entries were freed.
    #[napi]
    pub fn finalize(&mut self, ids: Vec<u32>) -> u32 {
        self.table.finalize_batch(ids) as u32
    }

    #[napi]
    pub fn untrack(&mut self, id: u32) -> bool {
        self.table.untrack(id)
    }

    #[napi]
    pub fn contains(&self, id: u32) -> bool {
        self.table.contains(id)
    }

    #[napi(getter)]
    pub fn alive(&self) -> u32 {
        self.table.alive() as u32
    }

    #[napi(getter)]
    pub fn collected(&self) -> f64 {
        self.table.collected() as f64
    }

    #[napi]
    pub fn survivors(&self, group: Option<String>, ids: Option<Vec<u32>>) -> Vec<SurvivorRecord> {
        self.table
            .survivors(group.as_deref(), ids.as_deref(), Instant::now())
            .into_iter()
            .map(|s| SurvivorRecord {
                id: s.id,
                label: s.label.map(|l| l.to_string()),
                group: s.group.map(|g| g.to_string()),
                stack: s.stack.map(String::from),
                age_ms: s.age_ms,
            })
            .collect()
    }

    /// Forgets every entry and every interned string.
    #[napi]
    pub fn clear(&mut self) {
        self.table.clear();
        self.interned.clear();
    }
}
