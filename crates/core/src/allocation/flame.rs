//! A flame graph of a [`StackProfile`] as one self-contained SVG (no script, no fonts, no
//! links): callers below, allocating frames on top, each box as wide as the bytes its stacks
//! hold, with the figures in a tooltip. For a growth profile only growth is drawn: a flame
//! graph cannot show a loss.

use std::collections::HashMap;

use super::profile::{Frame, StackProfile};
use crate::sampling::{svg_bytes, xml};

#[derive(Debug, Clone, PartialEq)]
pub struct FlameOptions {
    pub title: String,
    pub width: u32,
}

impl Default for FlameOptions {
    fn default() -> Self {
        FlameOptions {
            title: "Live memory by allocating stack".into(),
            width: 1200,
        }
    }
}

const ROW: f64 = 17.0;
const TOP: f64 = 34.0;
/// Boxes narrower than this are left out (their bytes still count in their callers).
const MIN_WIDTH: f64 = 0.5;
/// About one character of the 11 px font.
const CHAR: f64 = 6.4;

struct Node {
    frame: u32,
    bytes: f64,
    children: HashMap<u32, usize>,
}

/// The flame graph's SVG markup.
pub fn render_flame_graph(profile: &StackProfile, opts: &FlameOptions) -> String {
    // The call tree, root first, from the stacks (allocating frame first).
    let mut nodes = vec![Node {
        frame: u32::MAX,
        bytes: 0.0,
        children: HashMap::new(),
    }];
    for stack in &profile.stacks {
        if stack.bytes <= 0.0 {
            continue;
        }
        let mut at = 0;
        nodes[0].bytes += stack.bytes;
        for &f in stack.frames.iter().rev() {
            at = match nodes[at].children.get(&f) {
                Some(&child) => child,
                None => {
                    nodes.push(Node {
                        frame: f,
                        bytes: 0.0,
                        children: HashMap::new(),
                    });
                    let child = nodes.len() - 1;
                    nodes[at].children.insert(f, child);
                    child
                }
            };
            nodes[at].bytes += stack.bytes;
        }
    }
    let width = f64::from(opts.width.clamp(200, 10_000));
    let total = nodes[0].bytes;
    // Boxes to draw: (node, depth, x), laid out depth-first with children by size.
    let mut boxes: Vec<(usize, usize, f64)> = Vec::new();
    let mut pending = vec![(0usize, 0usize, 0.0f64)];
    let mut depth_max = 0;
    while let Some((at, depth, x)) = pending.pop() {
        if total <= 0.0 || nodes[at].bytes / total * width < MIN_WIDTH {
            continue;
        }
        boxes.push((at, depth, x));
        depth_max = depth_max.max(depth);
        let mut children: Vec<usize> = nodes[at].children.values().copied().collect();
        children.sort_by(|&a, &b| {
            let (fa, fb) = (
                &profile.frames[nodes[a].frame as usize],
                &profile.frames[nodes[b].frame as usize],
            );
            fa.name()
                .cmp(fb.name())
                .then(fa.url.cmp(&fb.url))
                .then(a.cmp(&b))
        });
        let mut cx = x;
        for c in children {
            pending.push((c, depth + 1, cx));
            cx += nodes[c].bytes / total * width;
        }
    }
    let height = TOP + (depth_max as f64 + 1.0) * ROW + 10.0;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Verdana, sans-serif" font-size="11" role="img"><title>{title}</title><rect width="100%" height="100%" fill="#fdfdf8"/><text x="{cx}" y="20" text-anchor="middle" font-size="15">{title}</text>"##,
        title = xml(&opts.title),
        cx = width / 2.0,
    );
    if boxes.is_empty() {
        out.push_str(&format!(
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#666">No live sampled allocations</text></svg>"##,
            width / 2.0,
            TOP + ROW
        ));
        return out;
    }
    for (at, depth, x) in boxes {
        let node = &nodes[at];
        let w = node.bytes / total * width;
        let y = height - 10.0 - (depth as f64 + 1.0) * ROW;
        let (label, fill) = if at == 0 {
            ("all".to_string(), "#d0d0c8".to_string())
        } else {
            let frame = &profile.frames[node.frame as usize];
            (frame.describe(), colour(frame))
        };
        let share = node.bytes / total * 100.0;
        out.push_str(&format!(
            r#"<g><title>{} — {} ({share:.1}%)</title><rect x="{x:.2}" y="{y:.1}" width="{w:.2}" height="{h}" rx="2" fill="{fill}"/>"#,
            xml(&label),
            svg_bytes(node.bytes),
            h = ROW - 1.0,
        ));
        let fits = ((w - 6.0) / CHAR).floor() as usize;
        if fits >= 3 {
            let shown = if at == 0 {
                label
            } else {
                profile.frames[node.frame as usize].name().to_string()
            };
            let text: String = if shown.chars().count() > fits {
                shown.chars().take(fits - 2).chain("..".chars()).collect()
            } else {
                shown
            };
            out.push_str(&format!(
                r#"<text x="{:.2}" y="{:.1}">{}</text>"#,
                x + 3.0,
                y + ROW - 5.0,
                xml(&text)
            ));
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Warm colours for the program's frames (one per script), grey-blue for Node's and V8's.
fn colour(frame: &Frame) -> String {
    let hash = frame
        .url
        .bytes()
        .chain(frame.function_name.bytes())
        .fold(2166136261u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(16777619)
        });
    if frame.is_user() {
        let r = 205 + hash % 50;
        let g = 80 + (hash >> 8) % 130;
        let b = 40 + (hash >> 16) % 40;
        format!("rgb({r},{g},{b})")
    } else {
        let v = 170 + hash % 40;
        format!("rgb({},{},{})", v - 20, v, v + 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::profile::parse_profile;
    use crate::allocation::profile::tests::{node, two_callers};

    #[test]
    fn boxes_nest_callers_below_allocators_with_escaped_names() {
        let profile = parse_profile(&two_callers(), 1000.0).unwrap();
        let svg = render_flame_graph(&profile, &FlameOptions::default());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // The root and six frames of the tree (handle twice, under two callers).
        assert_eq!(svg.matches("<rect x=").count(), 7);
        assert!(svg.contains("main (file:///srv/app.js:3:5) — 2.9 KiB (66.7%)"));
        // A name that is markup stays text.
        let evil = format!(
            r#"{{"head":{}}}"#,
            node(
                1,
                "(root)",
                "",
                -1,
                0.0,
                &node(2, "<script>&", "a.js", 0, 10.0, "")
            )
        );
        let svg = render_flame_graph(
            &parse_profile(&evil, 1.0).unwrap(),
            &FlameOptions::default(),
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
    }

    #[test]
    fn an_empty_profile_says_so() {
        let svg = render_flame_graph(&StackProfile::default(), &FlameOptions::default());
        assert!(svg.contains("No live sampled allocations"));
    }
}
