//! `report --timeline samples.json`: samples a Sampler saved (`JSON.stringify(sampler.samples())`)
//! drawn as the report's memory chart. The file is read with a limit, from a regular file only:
//! a pipe with no writer would block the read for ever, and a device such as /dev/zero would be
//! read until memory ran out.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

use leakhound_core::report::text::bytes;
use leakhound_core::sampling::{Series, SeriesOptions, SvgOptions, TrendOptions, render_svg};
use serde_json::Value;

/// A full ring of a million samples is well under this.
const LIMIT: u64 = 256 * 1024 * 1024;

/// The fields a saved sample carries; missing ones read as 0 (heapUsed is required).
const FIELDS: [&str; 5] = ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"];

/// The chart of the samples in `file`, or `None` when it holds none.
pub fn timeline_svg(file: &str) -> Result<Option<String>, String> {
    let text = read_limited(file)?;
    let value: Value = serde_json::from_slice(&text)
        .map_err(|e| format!("the timeline {file} is not JSON: {e}"))?;
    // Either samples() itself or an object holding it.
    let samples = match value {
        Value::Array(samples) => samples,
        Value::Object(mut o) if o.get("samples").is_some_and(Value::is_array) => {
            match o.remove("samples") {
                Some(Value::Array(samples)) => samples,
                _ => Vec::new(),
            }
        }
        other => {
            return Err(format!(
                "the timeline {file}: samples must be an array of samples, got {}",
                describe(&other)
            ));
        }
    };
    if samples.is_empty() {
        return Ok(None);
    }
    let mut series = Series::new(SeriesOptions {
        capacity: samples.len().min(1 << 20),
        fields: FIELDS.iter().map(|f| f.to_string()).collect(),
        trend: TrendOptions::default(),
        confirm: None,
    })
    .map_err(|e| format!("the timeline {file}: {e}"))?;
    let mut row = [0.0; FIELDS.len()];
    for (i, sample) in samples.iter().enumerate() {
        let wrong = |why: String| format!("the timeline {file}: samples[{i}]: {why}");
        let Value::Object(o) = sample else {
            return Err(wrong(format!(
                "sample must be an object, got {}",
                describe(sample)
            )));
        };
        for (slot, field) in row.iter_mut().zip(FIELDS) {
            *slot = match o.get(field) {
                None if field != "heapUsed" => 0.0,
                value => number(value),
            };
        }
        let timestamp = number(o.get("timestamp"));
        let after_gc = o.get("afterGc").is_some_and(truthy);
        series
            .record(timestamp, after_gc, &row)
            .map_err(|e| wrong(e.to_string()))?;
    }
    let svg = render_svg(
        &series,
        &SvgOptions {
            width: 960,
            height: 300,
            title: "Memory over time".into(),
        },
    );
    Ok(Some(svg))
}

/// A JSON value as a sample's number: anything but a number is not one (NaN, refused).
fn number(v: Option<&Value>) -> f64 {
    v.and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("{n}"),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn read_limited(file: &str) -> Result<Vec<u8>, String> {
    let refuse = |why: String| format!("the timeline {file} {why}");
    let path = Path::new(file);
    let meta = std::fs::metadata(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    let too_large = |size: u64| {
        refuse(format!(
            "is {}; the limit is {} (256 MiB)",
            bytes(size.into()),
            bytes(LIMIT.into())
        ))
    };
    if meta.len() > LIMIT {
        return Err(too_large(meta.len()));
    }
    let file_handle = open_nonblocking(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    // It may still grow while it is read.
    let mut text = Vec::new();
    file_handle
        .take(LIMIT + 1)
        .read_to_end(&mut text)
        .map_err(|e| refuse(format!("cannot be read: {e}")))?;
    if text.len() as u64 > LIMIT {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// Opened without waiting, in case the file was swapped for a pipe since it was checked:
/// opening a pipe would wait for a writer.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const O_NONBLOCK: i32 = 0o4000;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        const O_NONBLOCK: i32 = 0x0004;
        options.custom_flags(O_NONBLOCK);
    }
    options.open(path)
}
