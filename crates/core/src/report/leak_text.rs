//! Leak reports and retainer paths as text: what the command-line tool prints, and, through
//! the addon (`renderLeakReport`, `renderPath`), LeakError messages.

use std::path::{Path, PathBuf};

use super::records::{
    CollectionRecord, FoldedGroupRecord, FrameRecord, LeakGroupRecord, LeakReportRecord,
    PathStepRecord,
};
use super::text::{Paint, bytes, count, printable};

/// One step of a retainer path: `--edge (type)--> Class @id location (retains …)`.
fn step_text(step: &PathStepRecord, paint: Paint) -> String {
    let location = step.location.as_ref().map_or(String::new(), |l| {
        paint.cyan(&format!(
            " {}:{}:{}",
            printable(&l.script),
            l.line,
            l.column
        ))
    });
    let size = step.retained_size.map_or(String::new(), |r| {
        paint.dim(&format!(" (retains {})", bytes(r.into())))
    });
    let name = if step.node_type == "closure" {
        format!("{}()", or_anonymous(&step.name))
    } else {
        step.class_name.clone()
    };
    let name = printable(&name);
    let repeat = step
        .repeat
        .map_or(String::new(), |n| paint.bold(&format!(" × {n}")));
    format!(
        "--{} ({})--> {} @{}{repeat}{location}{size}",
        paint.yellow(&printable(&step.edge)),
        step.edge_type,
        paint.bold(&name),
        step.id
    )
}

/// A path as indented lines, one step deeper each line.
pub fn path_text(steps: &[PathStepRecord], paint: Paint, indent: &str) -> String {
    steps
        .iter()
        .enumerate()
        .map(|(depth, s)| {
            format!(
                "{indent}{}{}",
                "  ".repeat(depth.min(12)),
                step_text(s, paint)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn or_anonymous(name: &str) -> &str {
    if name.is_empty() { "(anonymous)" } else { name }
}

/// Where leakhound's own files are, so allocation stacks shown start at the program's code.
pub struct OwnCode {
    prefixes: Vec<String>,
}

impl OwnCode {
    /// The package directory (the one holding `lib/`), when known.
    pub fn at(root: Option<&Path>) -> OwnCode {
        let prefixes = root.map_or(Vec::new(), |root| {
            let join = |tail: &str| -> String {
                let mut p = PathBuf::from(root);
                p.push(tail);
                p.to_string_lossy().into_owned()
            };
            let sep = std::path::MAIN_SEPARATOR;
            vec![
                format!("{}{sep}", join("lib")),
                format!("{}{sep}", join("adapters")),
                join("index."),
            ]
        });
        OwnCode { prefixes }
    }

    fn contains(&self, script: &str) -> bool {
        self.prefixes.iter().any(|p| script.contains(p.as_str()))
    }
}

/// An allocation stack on one line, the program's own frames (up to four).
fn allocation_text(frames: &[FrameRecord], own_code: &OwnCode) -> String {
    let known: Vec<&FrameRecord> = frames
        .iter()
        .filter(|f| !f.script.is_empty() && !own_code.contains(&f.script))
        .collect();
    let own: Vec<&FrameRecord> = known
        .iter()
        .copied()
        .filter(|f| !f.script.starts_with("node:"))
        .collect();
    let shown = if own.is_empty() { known } else { own };
    shown
        .iter()
        .take(4)
        .map(|f| {
            let (name, script) = (printable(&f.function_name), printable(&f.script));
            format!("{name} ({script}:{}:{})", f.line, f.column)
        })
        .collect::<Vec<_>>()
        .join(" ← ")
}

fn folded_text(a: &FoldedGroupRecord) -> String {
    if a.node_type == "closure" {
        let location = a.location.as_ref().map_or(String::new(), |l| {
            format!(" ({}:{})", printable(&l.script), l.line)
        });
        let name = printable(or_anonymous(a.function_name.as_deref().unwrap_or("")));
        format!("{} × {name}() closures{location}", count(a.count.into()))
    } else {
        format!("{} × {}", count(a.count.into()), printable(&a.name))
    }
}

fn group_text(i: usize, g: &LeakGroupRecord, paint: Paint, own_code: &OwnCode) -> String {
    let location = g.location.as_ref().map_or(String::new(), |l| {
        paint.cyan(&format!(
            " at {}:{}:{}",
            printable(&l.script),
            l.line,
            l.column
        ))
    });
    let also = if g.also_retains.is_empty() {
        String::new()
    } else {
        let folded: Vec<String> = g.also_retains.iter().map(folded_text).collect();
        format!("\n   also retains: {}", folded.join(", "))
    };
    let allocated = match (&g.allocation, &g.allocation_missing) {
        (Some(frames), _) if !frames.is_empty() => {
            format!("\n   allocated in: {}", allocation_text(frames, own_code))
        }
        (_, Some(why)) => format!("\n   allocated in: (no stack: {why})"),
        _ => String::new(),
    };
    let name = if g.node_type == "closure" {
        let function = g.function_name.as_deref().unwrap_or("");
        let of = g
            .bound_this
            .as_ref()
            .map_or(String::new(), |this| format!(" of {this}"));
        format!("{}() closures{of}", or_anonymous(function))
    } else {
        g.name.clone()
    };
    let name = match (&g.holds, &g.holds_via) {
        (Some(class), Some(via)) if via.len() > 1 => {
            format!("{name} holding {class} (via {})", via.join("."))
        }
        (Some(class), _) => format!("{name} holding {class}"),
        _ => name,
    };
    let name = printable(&name);
    let head = paint.bold(&format!("#{} {} × {name}", i + 1, count(g.count.into())));
    let suspended = suspended_function_text(g);
    // The memory behind Buffers, outside the JS heap: what RSS shows and the heap does not.
    let buffers = match g.buffer_size {
        0 => String::new(),
        n => format!(", of which {} in buffers", bytes(n.into())),
    };
    format!(
        "{head}{location}, retaining {}{buffers}{also}{allocated}{suspended}\n{}",
        paint.red(&bytes(g.retained_size.into())),
        path_text(&g.trace, paint, "   ")
    )
}

/// When the path runs through a suspended async function's frame (its generator object's
/// `parameters_and_registers`), says so: the frame keeps every local of the function alive
/// until the awaited promise settles, which for one that never settles is forever.
fn suspended_function_text(g: &LeakGroupRecord) -> String {
    let suspended = |class: &str| matches!(class, "Generator" | "AsyncGenerator");
    // The frame on the path to the representative, or the representative itself when what
    // leaks is the suspended function (its locals then show as what it holds).
    let on_path = g
        .trace
        .windows(2)
        .find(|w| suspended(&w[0].class_name) && w[1].edge == "parameters_and_registers")
        .map(|w| w[0].location.as_ref());
    let itself = (suspended(&g.name)).then_some(g.location.as_ref());
    let Some(location) = on_path.or(itself) else {
        return String::new();
    };
    let at = location.map_or(String::new(), |l| {
        format!(" at {}:{}:{}", printable(&l.script), l.line, l.column)
    });
    format!(
        "\n   held by a suspended async function{at}: its frame keeps its locals alive while it awaits \
         a promise that has not settled (settle or time out that promise, or drop the reference \
         before the await)"
    )
}

fn collection_text(c: &CollectionRecord, paint: Paint) -> String {
    let head = paint.bold(&format!(
        "{} @{} grew by {} entries",
        printable(&c.name),
        c.id,
        count(c.added.into())
    ));
    format!(
        "{head}, retaining {}\n{}",
        paint.red(&bytes(c.retained_size.into())),
        path_text(&c.trace, paint, "   ")
    )
}

/// A leak report's largest `top` groups with their paths, then up to five growing collections.
pub fn leak_report_text(
    report: &LeakReportRecord,
    paint: Paint,
    top: usize,
    own_code: &OwnCode,
) -> String {
    let shown = report.leaks.len().min(top);
    let blocks: Vec<String> = report.leaks[..shown]
        .iter()
        .enumerate()
        .map(|(i, g)| group_text(i, g, paint, own_code))
        .collect();
    let more = if report.leaks.len() > shown {
        format!(
            "\n… and {} more groups",
            count((report.leaks.len() - shown) as i128)
        )
    } else {
        String::new()
    };
    let groups = format!("{}{more}", blocks.join("\n\n"));
    if report.collections.is_empty() {
        return groups;
    }
    let collections: Vec<String> = report
        .collections
        .iter()
        .take(5)
        .map(|c| collection_text(c, paint))
        .collect();
    format!(
        "{groups}\n\nGrowing collections:\n\n{}",
        collections.join("\n\n")
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::records::FrameRecord;
    use super::{OwnCode, allocation_text};

    fn frame(function_name: &str, script: &str) -> FrameRecord {
        FrameRecord {
            function_name: function_name.into(),
            script: script.into(),
            line: 3,
            column: 7,
        }
    }

    #[test]
    fn allocation_stacks_start_at_the_programs_own_frames() {
        let own = OwnCode::at(Some(Path::new("/pkg")));
        let frames = [
            frame("track", "/pkg/lib/tracker.js"),
            frame("", ""),
            frame("emit", "node:events"),
            frame("register", "/app/jobs.js"),
            frame("main", "/app/index.js"),
        ];
        assert_eq!(
            allocation_text(&frames, &own),
            "register (/app/jobs.js:3:7) ← main (/app/index.js:3:7)"
        );
        // Only Node's frames known: those are shown rather than nothing.
        let node_only = [
            frame("track", "/pkg/index.js"),
            frame("emit", "node:events"),
        ];
        assert_eq!(allocation_text(&node_only, &own), "emit (node:events:3:7)");
        // At most four frames.
        let deep: Vec<FrameRecord> = (0..6)
            .map(|i| frame(&format!("f{i}"), "/app/a.js"))
            .collect();
        assert_eq!(allocation_text(&deep, &own).matches(" ← ").count(), 3);
    }
}
