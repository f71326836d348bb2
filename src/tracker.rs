//! `TrackerTable` for JavaScript. To keep `track()` within a few nanoseconds of a bare
//! `FinalizationRegistry.register`, JavaScript queues registrations as numbers in a typed array
//! (`[id, labelRef, groupRef]` triples) and hands the queue over once per synchronous job.
//! Label refs point at labels interned in the table; rare unique strings travel in a side array.

use std::time::Instant;

use napi::bindgen_prelude::{Result, Uint32Array};
use napi_derive::napi;

use crate::guard::guarded;
use leakhound_core::tracker_table::{Registration, TableError, Text, TrackerTable};

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
}

fn table_error(e: TableError) -> napi::Error {
    let status = match e {
        TableError::Full { .. } => napi::Status::GenericFailure,
        TableError::DuplicateId(_) | TableError::UnknownRef(_) => napi::Status::InvalidArg,
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
        }
    }

    /// Interns a string; its ref is the returned number. JavaScript bounds how many it interns.
    #[napi]
    pub fn intern(&mut self, s: String) -> u32 {
        self.table.intern(&s)
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
            // Checked up front so the registrations can stream into the table unbuffered.
            let wanted = numbers
                .chunks_exact(FIELDS)
                .flat_map(|t| [t[1], t[2]])
                .filter(|&r| r == SIDE_STRING)
                .count();
            if wanted != side.len() {
                return Err(invalid(format!(
                    "{wanted} side strings referenced, {} given",
                    side.len()
                )));
            }
            let mut side = side.into_iter();
            let mut stacks = stacks.map(|s| s.into_iter());
            let mut text = move |r: u32| match r {
                NO_STRING => Text::None,
                SIDE_STRING => side
                    .next()
                    .map_or(Text::None, |s| Text::Own(s.into_boxed_str())),
                r => Text::Interned(r),
            };
            let regs = numbers.chunks_exact(FIELDS).map(|t| Registration {
                id: t[0],
                label: text(t[1]),
                group: text(t[2]),
                stack: stacks
                    .as_mut()
                    .and_then(|s| s.next())
                    .map(String::into_boxed_str),
            });
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

    /// The ids this table did not issue, or forgot (untracked, cleared).
    #[napi]
    pub fn not_issued(&self, ids: Vec<u32>) -> Vec<u32> {
        ids.into_iter()
            .filter(|&id| !self.table.issued(id))
            .collect()
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
    }
}
