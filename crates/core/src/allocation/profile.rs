//! V8's sampling heap profile (`HeapProfiler.getSamplingProfile`): a tree of call frames, each
//! with the bytes its sampled allocations still hold. Read here into a [`StackProfile`]: the
//! distinct frames once, and each allocating stack with its live bytes and objects, which is
//! what sites, pprof and flame graphs are all made from.

use std::collections::HashMap;

use serde::Deserialize;

/// One frame of an allocating stack, with 1-based line and column (those of the function).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    pub function_name: String,
    pub url: String,
    pub line: u32,
    pub column: u32,
}

impl Frame {
    /// The function's name, or `(anonymous)`.
    pub fn name(&self) -> &str {
        if self.function_name.is_empty() {
            "(anonymous)"
        } else {
            &self.function_name
        }
    }

    /// `name (url:line:column)`, as stack traces print it.
    pub fn describe(&self) -> String {
        if self.url.is_empty() {
            return self.name().to_string();
        }
        format!(
            "{} ({}:{}:{})",
            self.name(),
            self.url,
            self.line,
            self.column
        )
    }

    /// Code the program's author wrote: a script of its own, not Node's (`node:`) or V8's.
    pub fn is_user(&self) -> bool {
        !self.url.is_empty() && !self.url.starts_with("node:")
    }
}

/// One allocating stack and what its sampled allocations still hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    /// Indices into [`StackProfile::frames`], allocating frame first, V8's root left out.
    pub frames: Vec<u32>,
    /// Live bytes (V8 scales each sample to the bytes it stands for).
    pub bytes: f64,
    /// Live objects, estimated from the samples the same way; 0 when the profile has none.
    pub objects: f64,
}

/// A profile as distinct frames and stacks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackProfile {
    pub frames: Vec<Frame>,
    pub stacks: Vec<Stack>,
    /// Nodes of V8's tree read (the profiler's own size: it keeps a node per stack ever seen).
    pub nodes: usize,
}

impl StackProfile {
    /// Live bytes of every stack.
    pub fn total_bytes(&self) -> f64 {
        self.stacks.iter().map(|s| s.bytes).sum()
    }

    /// Live objects of every stack.
    pub fn total_objects(&self) -> f64 {
        self.stacks.iter().map(|s| s.objects).sum()
    }

    /// What each stack gained from `earlier` to `self` (negative where it lost); stacks are
    /// matched by their frames, so the two profiles may come from different sessions.
    pub fn growth_since(&self, earlier: &StackProfile) -> StackProfile {
        let mut out = StackProfile::default();
        let mut frame_ids: HashMap<&Frame, u32> = HashMap::new();
        let mut by_stack: HashMap<Vec<u32>, usize> = HashMap::new();
        for (profile, sign) in [(self, 1.0), (earlier, -1.0)] {
            for stack in &profile.stacks {
                let key: Vec<u32> = stack
                    .frames
                    .iter()
                    .map(|&f| {
                        let frame = &profile.frames[f as usize];
                        *frame_ids.entry(frame).or_insert_with(|| {
                            out.frames.push(frame.clone());
                            out.frames.len() as u32 - 1
                        })
                    })
                    .collect();
                let at = *by_stack.entry(key.clone()).or_insert_with(|| {
                    out.stacks.push(Stack {
                        frames: key,
                        bytes: 0.0,
                        objects: 0.0,
                    });
                    out.stacks.len() - 1
                });
                out.stacks[at].bytes += sign * stack.bytes;
                out.stacks[at].objects += sign * stack.objects;
            }
        }
        out.stacks.retain(|s| s.bytes != 0.0 || s.objects != 0.0);
        out
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    call_frame: CallFrame,
    #[serde(default)]
    self_size: f64,
    #[serde(default)]
    id: u64,
    #[serde(default)]
    children: Vec<Node>,
}

#[derive(Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
struct CallFrame {
    #[serde(default)]
    function_name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    line_number: i64,
    #[serde(default)]
    column_number: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sample {
    size: f64,
    node_id: u64,
}

#[derive(Deserialize)]
struct Profile {
    head: Node,
    #[serde(default)]
    samples: Vec<Sample>,
}

/// Deeper nesting than this is not a profile V8 writes (it keeps at most 128 frames, two
/// levels each): refused before parsing, so the parse cannot exhaust the stack.
pub const MAX_NESTING: usize = 1024;

/// A profile's text (`{"head": …, "samples": […]}`, the protocol's `profile`) read, with the
/// sampling interval that made it (to estimate objects from samples).
pub fn parse_profile(text: &str, interval_bytes: f64) -> Result<StackProfile, String> {
    let nesting = json_depth(text);
    if nesting > MAX_NESTING {
        return Err(format!(
            "an allocation profile nested {nesting} levels deep (at most {MAX_NESTING})"
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let parsed = Profile::deserialize(&mut de).map_err(not_v8)?;
    Ok(stacks(&parsed, interval_bytes))
}

/// The same, from a profile already parsed (within `MAX_NESTING`).
pub fn profile_of_value(
    value: &serde_json::Value,
    interval_bytes: f64,
) -> Result<StackProfile, String> {
    Profile::deserialize(value)
        .map(|p| stacks(&p, interval_bytes))
        .map_err(not_v8)
}

fn not_v8(e: serde_json::Error) -> String {
    format!("an allocation profile that is not V8's: {e}")
}

fn stacks(parsed: &Profile, interval_bytes: f64) -> StackProfile {
    // Each sample stands for 1 / P(sampled) objects, P = 1 - e^(-size/interval), as V8 scales
    // the bytes.
    let mut objects: HashMap<u64, f64> = HashMap::new();
    for s in &parsed.samples {
        let p = if interval_bytes > 0.0 {
            1.0 - (-s.size / interval_bytes).exp()
        } else {
            1.0
        };
        *objects.entry(s.node_id).or_default() += if p > 0.0 { 1.0 / p } else { 1.0 };
    }
    let mut out = StackProfile::default();
    let mut frame_ids: HashMap<&CallFrame, u32> = HashMap::new();
    // Depth-first with the path from the root; iterative, since stacks can be deep. The root
    // (V8's "(root)") is not a frame of any stack.
    let mut path: Vec<u32> = Vec::new();
    let mut pending: Vec<(&Node, usize)> = parsed.head.children.iter().map(|c| (c, 0)).collect();
    while let Some((node, level)) = pending.pop() {
        path.truncate(level);
        let id = *frame_ids.entry(&node.call_frame).or_insert_with(|| {
            out.frames.push(frame(&node.call_frame));
            out.frames.len() as u32 - 1
        });
        path.push(id);
        out.nodes += 1;
        let objects = objects.get(&node.id).copied().unwrap_or(0.0);
        if node.self_size > 0.0 || objects > 0.0 {
            out.stacks.push(Stack {
                frames: path.iter().rev().copied().collect(),
                bytes: node.self_size,
                objects,
            });
        }
        pending.extend(node.children.iter().map(|c| (c, level + 1)));
    }
    out
}

fn frame(c: &CallFrame) -> Frame {
    let one_based = |n: i64| u32::try_from(n.saturating_add(1)).unwrap_or(0);
    Frame {
        function_name: c.function_name.clone(),
        url: c.url.clone(),
        line: one_based(c.line_number),
        column: one_based(c.column_number),
    }
}

/// The deepest nesting of arrays and objects in a JSON text (brackets inside strings skipped).
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn node(id: u64, name: &str, url: &str, line: i64, size: f64, children: &str) -> String {
        format!(
            r#"{{"callFrame":{{"functionName":"{name}","scriptId":"1","url":"{url}","lineNumber":{line},"columnNumber":4}},"selfSize":{size},"id":{id},"children":[{children}]}}"#
        )
    }

    /// root → main (app.js) → handle (app.js) → push (node:internal) → [3000 B]
    ///      → other (app.js) → handle (app.js) → [1000 B]
    ///      → (GC) → [500 B]
    pub fn two_callers() -> String {
        let push = node(4, "push", "node:internal/x", 9, 3000.0, "");
        let handle = node(3, "handle", "file:///srv/app.js", 11, 0.0, &push);
        let main = node(2, "main", "file:///srv/app.js", 2, 0.0, &handle);
        let other = node(
            5,
            "other",
            "file:///srv/app.js",
            30,
            0.0,
            &node(6, "handle", "file:///srv/app.js", 11, 1000.0, ""),
        );
        let gc = node(7, "(GC)", "", -1, 500.0, "");
        let root = node(1, "(root)", "", -1, 0.0, &[main, other, gc].join(","));
        format!(
            r#"{{"head":{root},"samples":[{{"size":1000,"nodeId":4,"ordinal":1}},{{"size":1000,"nodeId":6,"ordinal":2}},{{"size":1000,"nodeId":4,"ordinal":3}}]}}"#
        )
    }

    #[test]
    fn stacks_are_read_with_their_frames_bytes_and_objects() {
        let p = parse_profile(&two_callers(), 1000.0).unwrap();
        assert_eq!(p.stacks.len(), 3);
        assert_eq!(p.total_bytes(), 4500.0);
        // handle() appears twice in the tree but is one frame.
        assert_eq!(p.frames.len(), 5);
        let names = |s: &Stack| -> Vec<&str> {
            s.frames
                .iter()
                .map(|&f| p.frames[f as usize].name())
                .collect()
        };
        let push = p.stacks.iter().find(|s| s.bytes == 3000.0).unwrap();
        assert_eq!(names(push), ["push", "handle", "main"]);
        // Two samples of 1000 B at a 1000 B interval: each stands for 1/(1 - 1/e) objects.
        let per = 1.0 / (1.0 - (-1.0f64).exp());
        assert!((push.objects - 2.0 * per).abs() < 1e-9);
        assert!((p.total_objects() - 3.0 * per).abs() < 1e-9);
        assert_eq!(p.frames[push.frames[1] as usize].line, 12);
    }

    #[test]
    fn growth_matches_stacks_by_frames() {
        let before = parse_profile(&two_callers(), 1000.0).unwrap();
        let grown = two_callers().replace(r#""selfSize":1000"#, r#""selfSize":5000"#);
        let after = parse_profile(&grown, 1000.0).unwrap();
        let growth = after.growth_since(&before);
        assert_eq!(growth.stacks.len(), 1);
        assert_eq!(growth.stacks[0].bytes, 4000.0);
        assert_eq!(before.growth_since(&after).total_bytes(), -4000.0);
        assert!(after.growth_since(&after).stacks.is_empty());
    }

    #[test]
    fn profiles_too_deep_or_not_v8_s_are_refused() {
        let mut deep = node(1, "leaf", "a.js", 0, 1.0, "");
        for _ in 0..600 {
            deep = node(1, "f", "a.js", 0, 0.0, &deep);
        }
        let profile = format!(r#"{{"head":{deep}}}"#);
        assert!(parse_profile(&profile, 1.0).unwrap_err().contains("nested"));
        // 300 frames deep is still a profile (past serde_json's default limit).
        let mut ok = node(1, "leaf", "a.js", 0, 1.0, "");
        for _ in 0..300 {
            ok = node(2, "f", "a.js", 0, 0.0, &ok);
        }
        let p = parse_profile(&format!(r#"{{"head":{ok}}}"#), 1.0).unwrap();
        assert_eq!(p.stacks.len(), 1);
        assert_eq!(p.stacks[0].frames.len(), 300);
        assert!(
            parse_profile("{\"head\":3}", 1.0)
                .unwrap_err()
                .contains("not V8's")
        );
        assert_eq!(json_depth(r#"{"a":"[[[{{","b":[1,[2]]}"#), 3);
    }
}
