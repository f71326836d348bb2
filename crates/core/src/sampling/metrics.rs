//! Metric families in the Prometheus text exposition format (version 0.0.4). The same families
//! feed the prom-client and OpenTelemetry adapters, so every engine sees the same figures.

use std::fmt::Write;

use super::Series;
use super::error::SamplingError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    /// Label names declared up front, for a family that may have no sample yet; when empty,
    /// those of the first sample.
    pub labels: Vec<String>,
    pub samples: Vec<(Vec<(String, String)>, f64)>,
}

impl Family {
    /// The label names the family uses (each sample of a family has the same ones).
    pub fn label_names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        if !self.labels.is_empty() {
            return Box::new(self.labels.iter().map(String::as_str));
        }
        Box::new(
            self.samples
                .first()
                .into_iter()
                .flat_map(|(labels, _)| labels.iter().map(|(k, _)| k.as_str())),
        )
    }

    /// Checks what the exposition format cannot escape: metric and label names must match
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` and `[a-zA-Z_][a-zA-Z0-9_]*` (a name with a newline or a brace
    /// would inject lines or series), labels are not reserved (`__…`) and not repeated.
    pub fn validate(&self) -> Result<(), SamplingError> {
        let fail = |problem: String| SamplingError::Metric {
            family: self.name.clone(),
            problem,
        };
        if !valid_metric_name(&self.name) {
            return Err(fail("the name must match [a-zA-Z_:][a-zA-Z0-9_:]*".into()));
        }
        for (labels, _) in &self.samples {
            for (i, (k, _)) in labels.iter().enumerate() {
                if !valid_label_name(k) {
                    return Err(fail(format!(
                        "label name {k:?} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"
                    )));
                }
                if labels[..i].iter().any(|(other, _)| other == k) {
                    return Err(fail(format!("label {k:?} appears twice in one sample")));
                }
            }
        }
        Ok(())
    }

    fn single(name: &str, help: &str, kind: Kind, value: f64) -> Self {
        Family {
            labels: Vec::new(),
            name: name.into(),
            help: help.into(),
            kind,
            samples: vec![(Vec::new(), value)],
        }
    }
}

pub const PREFIX: &str = "leakhound_";

/// Whether `name` is a valid Prometheus metric name.
pub fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Whether `name` is a label name a user may set.
fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A sampled field's metric name (without prefix), its label, and its help text.
fn field_metric(field: &str) -> (String, Option<(String, String)>, String) {
    if let Some(space) = field.strip_prefix("space:") {
        return (
            "heap_space_used_bytes".into(),
            Some(("space".into(), space.into())),
            "Bytes used in one V8 heap space at the last sample.".into(),
        );
    }
    let help = match field {
        "rss" => "Resident set size of the process at the last sample.",
        "heapTotal" => "Bytes V8 has reserved for the JavaScript heap at the last sample.",
        "heapUsed" => "Bytes of the JavaScript heap in use at the last sample.",
        "external" => "Bytes of C++ objects bound to JavaScript objects at the last sample.",
        "arrayBuffers" => "Bytes of ArrayBuffers and SharedArrayBuffers at the last sample.",
        "detachedContexts" => "V8 contexts detached but not yet collected, at the last sample.",
        "mallocInUse" => "Bytes the C allocator has handed out and not freed, at the last sample.",
        "mallocFree" => {
            "Bytes the C allocator keeps freed for reuse (fragmentation), at the last sample."
        }
        "rssAnon" => "Resident anonymous memory (V8 heap, C heap, stacks) at the last sample.",
        "rssFile" => "Resident memory of mapped files (code, libraries) at the last sample.",
        "rssCode" => "Resident machine code of the program and its libraries (at most 30 s old).",
        "rssStacks" => "Resident thread stacks (at most 30 s old).",
        _ => "A sampled memory figure at the last sample.",
    };
    let mut snake = String::new();
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            snake.push(c);
        } else {
            snake.push('_');
        }
    }
    if field != "detachedContexts" {
        snake.push_str("_bytes");
    }
    (snake, None, help.into())
}

impl Series {
    /// The sampler's metric families, named with the `leakhound_` prefix; empty before the first
    /// sample.
    pub fn families(&self) -> Vec<Family> {
        let Some(last) = self.ring().last() else {
            return Vec::new();
        };
        let mut out: Vec<Family> = Vec::new();
        for (field, &value) in self.ring().fields().iter().zip(last.values) {
            let (name, label, help) = field_metric(field);
            let name = format!("{PREFIX}{name}");
            let labels: Vec<_> = label.into_iter().collect();
            match out.iter_mut().find(|f| f.name == name) {
                Some(f) => f.samples.push((labels, value)),
                None => out.push(Family {
                    labels: Vec::new(),
                    name,
                    help,
                    kind: Kind::Gauge,
                    samples: vec![(labels, value)],
                }),
            }
        }
        if let Some((_, heap)) = self.last_after_gc() {
            out.push(Family::single(
                "leakhound_heap_used_after_gc_bytes",
                "Heap in use measured right after the last major GC.",
                Kind::Gauge,
                heap,
            ));
        }
        let trend = self.trend();
        out.push(Family::single(
            "leakhound_heap_growth_bytes_per_second",
            "Robust (Theil-Sen) slope of post-GC heap use over the trend window.",
            Kind::Gauge,
            trend.slope_bytes_per_sec,
        ));
        out.push(Family {
            labels: Vec::new(),
            name: "leakhound_leak_verdict".into(),
            help: "1 for the current verdict on post-GC heap growth, 0 for the others.".into(),
            kind: Kind::Gauge,
            samples: ["stable", "growing", "leaking"]
                .into_iter()
                .map(|v| {
                    let on = f64::from(u8::from(v == trend.verdict.as_str()));
                    (vec![("verdict".to_string(), v.to_string())], on)
                })
                .collect(),
        });
        let causes = self.causes();
        out.push(Family {
labels: Vec::new(),
            name: "leakhound_leak_cause_verdict".into(),
            help: "1 for the current verdict on each cause of growth (js-heap, external, native, \
                   fragmentation), 0 for the others; causes this platform cannot measure are left out."
                .into(),
            kind: Kind::Gauge,
            samples: causes
                .iter()
                .filter(|c| !c.unavailable)
                .flat_map(|c| {
                    ["stable", "growing", "leaking"].into_iter().map(move |v| {
                        let on = f64::from(u8::from(v == c.trend.verdict.as_str()));
                        let labels = vec![
                            ("cause".to_string(), c.kind.as_str().to_string()),
                            ("verdict".to_string(), v.to_string()),
                        ];
                        (labels, on)
                    })
                })
                .collect(),
        });
        out.push(Family::single(
            "leakhound_leak_confidence",
            "Confidence of the current verdict, from 0 to 1.",
            Kind::Gauge,
            trend.confidence,
        ));
        out.push(Family::single(
            "leakhound_samples_total",
            "Samples taken.",
            Kind::Counter,
            self.samples_total as f64,
        ));
        out.push(Family::single(
            "leakhound_gc_samples_total",
            "Samples taken right after a major GC.",
            Kind::Counter,
            self.gc_samples_total as f64,
        ));
        out.push(Family::single(
            "leakhound_leak_episodes_total",
            "Times the verdict turned to leaking.",
            Kind::Counter,
            self.leak_episodes as f64,
        ));
        out
    }
}

/// Renders families as Prometheus text: a HELP and a TYPE line per family, then its samples.
pub fn render_prometheus(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families {
        let _ = writeln!(out, "# HELP {} {}", f.name, escape(&f.help, false));
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
        for (labels, value) in &f.samples {
            out.push_str(&f.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape(v, true));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
    out
}

/// HELP text escapes `\` and newlines; label values also escape `"`.
fn escape(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{SeriesOptions, TrendOptions};

    fn series() -> Series {
        let fields = [
            "rss",
            "heapTotal",
            "heapUsed",
            "external",
            "arrayBuffers",
            "space:new_space",
            "space:old_space",
            "detachedContexts",
        ];
        let mut s = Series::new(SeriesOptions {
            capacity: 8,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            trend: TrendOptions::default(),
            confirm: None,
        })
        .unwrap();
        s.record(1.0, true, &[9e7, 5e7, 4e7, 1e6, 2e5, 1e6, 3e7, 0.0])
            .unwrap();
        s.record(2.0, false, &[9.5e7, 5e7, 4.25e7, 1e6, 2e5, 2e6, 3e7, 1.0])
            .unwrap();
        s
    }

    #[test]
    fn exposition_has_help_type_and_values() {
        let text = render_prometheus(&series().families());
        assert!(text.contains("# HELP leakhound_heap_used_bytes Bytes of the JavaScript heap in use at the last sample.\n# TYPE leakhound_heap_used_bytes gauge\nleakhound_heap_used_bytes 42500000\n"));
        assert!(text.contains("leakhound_array_buffers_bytes 200000\n"));
        assert!(text.contains("leakhound_heap_space_used_bytes{space=\"new_space\"} 2000000\nleakhound_heap_space_used_bytes{space=\"old_space\"} 30000000\n"));
        assert!(text.contains("leakhound_detached_contexts 1\n"));
        assert!(text.contains("leakhound_heap_used_after_gc_bytes 40000000\n"));
        assert!(
            text.contains("# TYPE leakhound_samples_total counter\nleakhound_samples_total 2\n")
        );
        assert!(text.contains("leakhound_leak_verdict{verdict=\"stable\"} 1\n"));
        // Every sample line belongs to the family announced just before it, and every name is valid.
        let mut current = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                current = rest.split(' ').next().unwrap().to_string();
                assert!(valid_metric_name(&current) && current.starts_with(PREFIX));
            } else if !line.starts_with('#') {
                assert!(line.starts_with(&current), "{line} outside {current}");
            }
        }
    }

    #[test]
    fn escapes_help_and_label_values() {
        let f = Family {
            labels: Vec::new(),
            name: "leakhound_x".into(),
            help: "a \\ b\nc".into(),
            kind: Kind::Gauge,
            samples: vec![(vec![("l".into(), "q\"\\\n".into())], f64::INFINITY)],
        };
        assert_eq!(
            render_prometheus(&[f]),
            "# HELP leakhound_x a \\\\ b\\nc\n# TYPE leakhound_x gauge\nleakhound_x{l=\"q\\\"\\\\\\n\"} +Inf\n"
        );
    }
}
