//! Arbitrary bytes as a file read for leak isolation's ids (`BaselineIds::read`, which streams
//! node records and falls back to a whole light read), checked against the whole read
//! (`ObjectIds` from a light parse): both fail with the same message or both succeed with the
//! same heap objects, and a file compared with itself has no new objects.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use leakhound_core::snapshot::{BaselineIds, NewObjects, ObjectIds, ParseOptions, parse_file_with};
use libfuzzer_sys::fuzz_target;

/// One file per fuzzing process, rewritten for every input.
fn scratch_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        std::env::temp_dir().join(format!("leakhound-fuzz-ids-{}.heapsnapshot", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let file = scratch_file();
    std::fs::write(file, data).expect("the scratch file can be written");
    let streamed = BaselineIds::read(file, None);
    let whole = parse_file_with(file, ParseOptions::light_skipping())
        .and_then(ObjectIds::from_raw)
        .map_err(|e| e.with_path(file));
    match (&streamed, &whole) {
        (Ok(baseline), Ok(ids)) => {
            let heap_objects = ids.iter().filter(|(id, _)| id % 2 == 1).count();
            assert_eq!(baseline.len(), heap_objects, "streamed and whole reads disagree");
            if let Ok(new) = NewObjects::read_target(file, baseline, None) {
                assert!(new.is_empty(), "a file has no objects new to itself");
            }
        }
        (Err(s), Err(w)) => assert_eq!(s.to_string(), w.to_string(), "different errors"),
        _ => panic!(
            "streamed {:?} but whole {:?}",
            streamed.as_ref().map(|b| b.len()),
            whole.as_ref().map(|w| w.len())
        ),
    }
});
