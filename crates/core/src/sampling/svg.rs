//! A standalone SVG memory timeline: heapUsed, rss and external over time, a marker at each
//! post-GC sample, and the trend line over the window it was fitted on. No scripts, no external
//! references: the file can be opened from disk or embedded in a report.

use std::fmt::Write;

use super::Series;

#[derive(Debug, Clone)]
pub struct SvgOptions {
    pub width: u32,
    pub height: u32,
    pub title: String,
}

impl Default for SvgOptions {
    fn default() -> Self {
        Self {
            width: 800,
            height: 320,
            title: "Memory timeline".into(),
        }
    }
}

const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 36.0;
/// Drawn lines: field, CSS class, colour.
const LINES: [(&str, &str, &str); 3] = [
    ("rss", "rss", "#8e6bbf"),
    ("heapUsed", "heap-used", "#1f77b4"),
    ("external", "external", "#2ca02c"),
];
/// GC markers beyond this many are thinned evenly.
const MAX_MARKERS: usize = 2000;

/// A pixel column's lowest and highest sample: (column, (t, v) low, (t, v) high).
type Bucket = (usize, (f64, f64), (f64, f64));

struct Frame {
    t0: f64,
    t1: f64,
    ymax: f64,
    w: f64,
    h: f64,
}

impl Frame {
    fn x(&self, t: f64) -> f64 {
        let span = (self.t1 - self.t0).max(1.0);
        LEFT + (t - self.t0) / span * (self.w - LEFT - RIGHT)
    }
    fn y(&self, v: f64) -> f64 {
        let plot = self.h - TOP - BOTTOM;
        TOP + plot - (v / self.ymax).clamp(-0.05, 1.05) * plot
    }
}

pub fn render_svg(series: &Series, opts: &SvgOptions) -> String {
    let ring = series.ring();
    let (w, h) = (
        f64::from(opts.width.max(200)),
        f64::from(opts.height.max(120)),
    );
    let drawn: Vec<(usize, &str, &str)> = LINES
        .iter()
        .filter_map(|&(f, class, colour)| ring.field_index(f).map(|i| (i, class, colour)))
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11" data-samples="{}">"#,
        ring.len()
    );
    let _ = write!(out, r#"<title>{}</title>"#, xml(&opts.title));
    let _ = write!(out, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    let _ = write!(
        out,
        r#"<text class="title" x="{LEFT}" y="16" font-size="13" font-weight="bold">{}</text>"#,
        xml(&opts.title)
    );
    let (Some(first), Some(last)) = (ring.get(0), ring.last()) else {
        let _ = write!(
            out,
            r#"<text class="empty" x="{}" y="{}" text-anchor="middle">no samples yet</text></svg>"#,
            w / 2.0,
            h / 2.0
        );
        return out;
    };
    let ymax = ring
        .iter()
        .flat_map(|s| drawn.iter().map(move |&(i, ..)| s.values[i]))
        .fold(1.0_f64, f64::max);
    let frame = Frame {
        t0: first.timestamp,
        t1: last.timestamp,
        ymax: nice_ceiling(ymax),
        w,
        h,
    };
    axes(&mut out, &frame);
    // Legend.
    let mut lx = LEFT;
    for &(_, class, colour) in &drawn {
        let _ = write!(
            out,
            r#"<g class="legend"><rect x="{lx}" y="24" width="10" height="3" fill="{colour}"/><text x="{}" y="29">{class}</text></g>"#,
            lx + 14.0
        );
        lx += 90.0;
    }
    // Series, reduced to the min and max of each pixel column so the shape survives any length.
    let columns = (w - LEFT - RIGHT).max(1.0) as usize;
    for &(field, class, colour) in &drawn {
        let _ = write!(
            out,
            r#"<polyline class="series {class}" fill="none" stroke="{colour}" stroke-width="1.5" points=""#
        );
        let mut bucket: Option<Bucket> = None;
        let emit = |out: &mut String, (_, lo, hi): Bucket| {
            let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
            let _ = write!(out, "{:.1},{:.1} ", frame.x(a.0), frame.y(a.1));
            if b != a {
                let _ = write!(out, "{:.1},{:.1} ", frame.x(b.0), frame.y(b.1));
            }
        };
        for s in ring.iter() {
            let col = ((frame.x(s.timestamp) - LEFT) as usize).min(columns);
            let p = (s.timestamp, s.values[field]);
            bucket = match bucket {
                Some((c, lo, hi)) if c == col => Some((
                    c,
                    if p.1 < lo.1 { p } else { lo },
                    if p.1 > hi.1 { p } else { hi },
                )),
                Some(done) => {
                    emit(&mut out, done);
                    Some((col, p, p))
                }
                None => Some((col, p, p)),
            };
        }
        if let Some(done) = bucket {
            emit(&mut out, done);
        }
        out.push_str(r#""/>"#);
    }
    // Post-GC markers on the heapUsed line.
    let heap = series.heap_used_field();
    let gcs: Vec<_> = ring.iter().filter(|s| s.after_gc).collect();
    let step = gcs.len().div_ceil(MAX_MARKERS).max(1);
    let _ = write!(out, r#"<g class="gc-markers" data-count="{}">"#, gcs.len());
    for s in gcs.iter().step_by(step) {
        let _ = write!(
            out,
            r##"<circle class="gc" cx="{:.1}" cy="{:.1}" r="2.5" fill="#d62728"/>"##,
            frame.x(s.timestamp),
            frame.y(s.values[heap])
        );
    }
    out.push_str("</g>");
    trend_line(&mut out, series, &frame);
    out.push_str("</svg>");
    out
}

fn axes(out: &mut String, f: &Frame) {
    let (x0, x1) = (LEFT, f.w - RIGHT);
    let (y0, y1) = (f.h - BOTTOM, TOP);
    let _ = write!(
        out,
        r##"<g class="axes" stroke="#999"><line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}"/></g>"##
    );
    for i in 0..=4 {
        let v = f.ymax * f64::from(i) / 4.0;
        let y = f.y(v);
        let _ = write!(
            out,
            r##"<line class="grid" x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#eee"/><text class="y-tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            x0 - 6.0,
            y + 4.0,
            bytes(v)
        );
    }
    let span = f.t1 - f.t0;
    for i in 0..=4 {
        let t = f.t0 + span * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r#"<text class="x-tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            f.x(t),
            y0 + 16.0,
            duration(t - f.t0, span / 4.0, span)
        );
    }
}

fn trend_line(out: &mut String, series: &Series, f: &Frame) {
    let trend = series.trend();
    if trend.points < 2 {
        return;
    }
    let from = trend.at_ms - trend.window_ms;
    let at = |t: f64| trend.level_bytes + trend.slope_bytes_per_sec * (t - trend.at_ms) / 1000.0;
    let _ = write!(
        out,
        r##"<line class="trend" data-verdict="{v}" data-slope="{s}" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="6 4"/>"##,
        f.x(from),
        f.y(at(from)),
        f.x(trend.at_ms),
        f.y(at(trend.at_ms)),
        v = trend.verdict.as_str(),
        s = trend.slope_bytes_per_sec,
    );
    let _ = write!(
        out,
        r##"<text class="verdict" x="{}" y="29" text-anchor="end" fill="#ff7f0e">trend {}/s · {} ({:.0}%)</text>"##,
        f.w - RIGHT,
        signed_bytes(trend.slope_bytes_per_sec),
        trend.verdict.as_str(),
        trend.confidence * 100.0
    );
}

/// The next 1, 2 or 5 × 2^k MiB (or power of ten bytes below 1 MiB) at or above `v`.
fn nice_ceiling(v: f64) -> f64 {
    let mut step = 1024.0;
    while step * 5.0 < v {
        step *= 2.0;
    }
    for m in [1.0, 2.0, 4.0, 5.0] {
        if step * m >= v {
            return step * m;
        }
    }
    step * 8.0
}

pub(crate) fn bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = v;
    let mut u = 0;
    while v.abs() >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 || u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn signed_bytes(v: f64) -> String {
    if v >= 0.0 {
        format!("+{}", bytes(v))
    } else {
        format!("-{}", bytes(-v))
    }
}

/// An axis label: the unit follows the whole span, the decimals the step between labels, so
/// neighbouring labels never read the same.
fn duration(ms: f64, step_ms: f64, span_ms: f64) -> String {
    let (unit, per) = if span_ms < 120_000.0 {
        ("s", 1000.0)
    } else if span_ms < 7_200_000.0 {
        ("min", 60_000.0)
    } else {
        ("h", 3_600_000.0)
    };
    let step = step_ms / per;
    let decimals = (0..3)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(2) as usize;
    format!("{:.*} {unit}", decimals, ms / per)
}

pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{SeriesOptions, TrendOptions};

    #[test]
    fn draws_lines_markers_and_a_rising_trend() {
        let fields = ["rss", "heapUsed", "external"].map(String::from).to_vec();
        let mut s = Series::new(SeriesOptions {
            capacity: 10_000,
            fields,
            trend: TrendOptions {
                warmup_ms: 0.0,
                ..Default::default()
            },
            confirm: None,
        })
        .unwrap();
        for i in 0..5000u32 {
            let base = 1e7 + 2e4 * f64::from(i);
            let saw = f64::from(i % 50) * 1e5;
            s.record(
                f64::from(i) * 100.0,
                i % 50 == 0,
                &[base * 2.0 + saw, base + saw, 1e6],
            )
            .unwrap();
        }
        let svg = render_svg(
            &s,
            &SvgOptions {
                title: "a <b> & c".into(),
                ..Default::default()
            },
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>a &lt;b&gt; &amp; c</title>"));
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert_eq!(svg.matches(r#"class="gc""#).count(), 100);
        // Thousands of samples are reduced to at most two points per pixel column.
        let heap_line = svg.split(r#"class="series heap-used""#).nth(1).unwrap();
        let points = heap_line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(points.split_whitespace().count() <= 2 * 712 + 2);
        let trend = svg.split(r#"class="trend""#).nth(1).unwrap();
        assert!(trend.contains(r#"data-verdict="leaking""#));
        let num = |k: &str| -> f64 {
            trend
                .split(&format!(" {k}=\""))
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(num("y2") < num("y1"), "a rising trend goes up the screen");
    }

    #[test]
    fn empty_series_renders_a_placeholder() {
        let s = Series::new(SeriesOptions {
            capacity: 4,
            fields: vec!["heapUsed".into()],
            trend: TrendOptions::default(),
            confirm: None,
        })
        .unwrap();
        let svg = render_svg(&s, &SvgOptions::default());
        assert!(svg.contains("no samples yet") && svg.ends_with("</svg>"));
    }

    #[test]
    fn units_read_well() {
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3 MiB");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(nice_ceiling(3.1e6), 4.0 * 1024.0 * 1024.0);
        assert_eq!(duration(90_000.0, 30_000.0, 120_000.0), "1.5 min");
    }

    #[test]
    fn axis_labels_tell_neighbouring_ticks_apart() {
        let labels = |span: f64| -> Vec<String> {
            (0..=4)
                .map(|i| duration(span * f64::from(i) / 4.0, span / 4.0, span))
                .collect()
        };
        assert_eq!(
            labels(2_500.0),
            ["0.00 s", "0.62 s", "1.25 s", "1.88 s", "2.50 s"]
        );
        assert_eq!(
            labels(600_000.0),
            ["0.0 min", "2.5 min", "5.0 min", "7.5 min", "10.0 min"]
        );
        assert_eq!(labels(40_000.0), ["0 s", "10 s", "20 s", "30 s", "40 s"]);
        assert_eq!(
            labels(4.0 * 3_600_000.0),
            ["0 h", "1 h", "2 h", "3 h", "4 h"]
        );
    }
}
