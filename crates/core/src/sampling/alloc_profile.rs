//! V8's sampling heap profile (`HeapProfiler.getSamplingProfile`, `v8.getHeapSnapshot`'s cousin):
//! a tree of call frames, each with the bytes its sampled allocations still hold. A *site* is an
//! allocating stack folded to its top user frames (Node's own frames and native code left out),
//! so one leaking line is one site whatever path led to it.

use std::collections::HashMap;

use serde::Deserialize;

/// One frame of an allocating stack, with 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    pub function_name: String,
    pub url: String,
    pub line: u32,
    pub column: u32,
}

impl Frame {
    /// `name (url:line:column)`, as stack traces print it.
    pub fn describe(&self) -> String {
        let name = if self.function_name.is_empty() {
            "(anonymous)"
        } else {
            &self.function_name
        };
        if self.url.is_empty() {
            return name.to_string();
        }
        format!("{name} ({}:{}:{})", self.url, self.line, self.column)
    }

    /// Code the program's author wrote: a script of its own, not Node's (`node:`) or V8's.
    fn is_user(&self) -> bool {
        !self.url.is_empty() && !self.url.starts_with("node:")
    }
}

/// The live bytes one site holds in a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteLive {
    /// The site's frames, allocating frame first.
    pub frames: Vec<Frame>,
    pub live_bytes: f64,
}

impl SiteLive {
    /// What tells the site apart: its frames.
    pub fn key(&self) -> String {
        self.frames
            .iter()
            .map(Frame::describe)
            .collect::<Vec<_>>()
            .join(" < ")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    call_frame: CallFrame,
    #[serde(default)]
    self_size: f64,
    #[serde(default)]
    children: Vec<Node>,
}

#[derive(Deserialize)]
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
struct Profile {
    head: Node,
}

/// Deeper nesting than this is not a profile V8 writes (it keeps at most 128 frames, two
/// levels each): refused before parsing, so the parse cannot exhaust the stack.
pub const MAX_NESTING: usize = 1024;

/// The sites of a profile (`{"head": …}`, the protocol's `profile`), each folded to at most
/// `depth` user frames, with their live bytes; largest first.
pub fn sites_of(profile: &str, depth: usize) -> Result<Vec<SiteLive>, String> {
    let nesting = json_depth(profile);
    if nesting > MAX_NESTING {
        return Err(format!(
            "an allocation profile nested {nesting} levels deep (at most {MAX_NESTING})"
        ));
    }
    let mut de = serde_json::Deserializer::from_str(profile);
    de.disable_recursion_limit();
    let parsed = Profile::deserialize(&mut de).map_err(not_v8)?;
    Ok(sites(&parsed, depth))
}

/// The same, from a profile already parsed (within `MAX_NESTING`).
pub fn sites_of_value(profile: &serde_json::Value, depth: usize) -> Result<Vec<SiteLive>, String> {
    Profile::deserialize(profile)
        .map(|p| sites(&p, depth))
        .map_err(not_v8)
}

fn not_v8(e: serde_json::Error) -> String {
    format!("an allocation profile that is not V8's: {e}")
}

fn sites(parsed: &Profile, depth: usize) -> Vec<SiteLive> {
    let mut by_key: HashMap<Vec<Frame>, f64> = HashMap::new();
    // Depth-first, with the path from the root; iterative, since stacks can be deep.
    let mut path: Vec<Frame> = Vec::new();
    let mut stack: Vec<(&Node, usize)> = vec![(&parsed.head, 0)];
    while let Some((node, level)) = stack.pop() {
        path.truncate(level);
        path.push(frame(&node.call_frame));
        if node.self_size > 0.0 {
            *by_key.entry(fold(&path, depth.max(1))).or_default() += node.self_size;
        }
        stack.extend(node.children.iter().map(|c| (c, level + 1)));
    }
    let mut sites: Vec<SiteLive> = by_key
        .into_iter()
        .map(|(frames, live_bytes)| SiteLive { frames, live_bytes })
        .collect();
    sites.sort_by(|a, b| {
        b.live_bytes
            .total_cmp(&a.live_bytes)
            .then_with(|| a.key().cmp(&b.key()))
    });
    sites
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

/// The site of the stack `path` (root first): its innermost `depth` user frames, innermost
/// first; a stack with no user frame is its innermost frame alone (Node's or V8's own).
fn fold(path: &[Frame], depth: usize) -> Vec<Frame> {
    let user: Vec<Frame> = path
        .iter()
        .rev()
        .filter(|f| f.is_user())
        .take(depth)
        .cloned()
        .collect();
    if user.is_empty() {
        return path.last().cloned().into_iter().collect();
    }
    user
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
mod tests {
    use super::*;

    fn node(name: &str, url: &str, line: i64, size: f64, children: &str) -> String {
        format!(
            r#"{{"callFrame":{{"functionName":"{name}","scriptId":"1","url":"{url}","lineNumber":{line},"columnNumber":4}},"selfSize":{size},"id":1,"children":[{children}]}}"#
        )
    }

    #[test]
    fn stacks_fold_to_their_user_frames_and_sum_per_site() {
        // root → main (app.js) → handle (app.js) → push (node:internal) → [leak: 3000 B]
        //                       → handle (app.js) again via another caller → [leak: 1000 B]
        let push = node("push", "node:internal/x", 9, 3000.0, "");
        let handle = node("handle", "file:///srv/app.js", 11, 0.0, &push);
        let main = node("main", "file:///srv/app.js", 2, 0.0, &handle);
        let other = node(
            "other",
            "file:///srv/app.js",
            30,
            0.0,
            &node("handle", "file:///srv/app.js", 11, 1000.0, ""),
        );
        let gc = node("(GC)", "", -1, 500.0, "");
        let root = node("(root)", "", -1, 0.0, &[main, other, gc].join(","));
        let profile = format!(r#"{{"head":{root},"samples":[]}}"#);
        let sites = sites_of(&profile, 1).unwrap();
        // With one frame, both callers of handle() are one site; Node's frame is left out.
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0].live_bytes, 4000.0);
        assert_eq!(sites[0].key(), "handle (file:///srv/app.js:12:5)");
        assert_eq!(sites[1].key(), "(GC)");
        // With two, the callers tell them apart.
        let sites = sites_of(&profile, 2).unwrap();
        assert_eq!(sites.len(), 3);
        assert_eq!(
            sites[0].key(),
            "handle (file:///srv/app.js:12:5) < main (file:///srv/app.js:3:5)"
        );
        assert_eq!(sites[0].live_bytes, 3000.0);
    }

    #[test]
    fn profiles_too_deep_or_not_v8_s_are_refused() {
        let mut deep = node("leaf", "a.js", 0, 1.0, "");
        for _ in 0..600 {
            deep = node("f", "a.js", 0, 0.0, &deep);
        }
        let profile = format!(r#"{{"head":{deep}}}"#);
        assert!(sites_of(&profile, 4).unwrap_err().contains("nested"));
        // 300 frames deep is still a profile (past serde_json's default limit).
        let mut ok = node("leaf", "a.js", 0, 1.0, "");
        for _ in 0..300 {
            ok = node("f", "a.js", 0, 0.0, &ok);
        }
        assert_eq!(
            sites_of(&format!(r#"{{"head":{ok}}}"#), 4).unwrap().len(),
            1
        );
        assert!(
            sites_of("{\"head\":3}", 4)
                .unwrap_err()
                .contains("not V8's")
        );
        assert_eq!(json_depth(r#"{"a":"[[[{{","b":[1,[2]]}"#), 3);
    }
}
