//! The command line, as far as the native commands take it. Anything else (help, the options
//! of other commands, usage mistakes) is left to the JavaScript tool, which explains it.

/// A command the native tool runs, with its operands.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Summary {
        file: String,
    },
    Diff {
        before: String,
        after: String,
    },
    Path {
        file: String,
        id: u32,
    },
    FindLeaks {
        baseline: String,
        target: String,
        last: String,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub command: Command,
    pub json: bool,
    /// `--color` / `--no-color`; by default, colour on a terminal only.
    pub color: Option<bool>,
    pub top: Option<usize>,
}

/// `None` when the JavaScript tool should have these arguments.
pub fn parse(argv: &[String]) -> Option<Args> {
    let (name, rest) = argv.split_first()?;
    let mut positional = Vec::new();
    let (mut json, mut color, mut top) = (false, None, None);
    let mut rest = rest.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--json" => json = true,
            "--color" => color = Some(true),
            "--no-color" => color = Some(false),
            "--top" => top = Some(top_value(rest.next()?)?),
            _ if a.starts_with("--top=") => top = Some(top_value(&a["--top=".len()..])?),
            _ if a.starts_with('-') => return None,
            _ => positional.push(a.clone()),
        }
    }
    let command = match (name.as_str(), positional.as_slice()) {
        ("summary", [file]) => Command::Summary { file: file.clone() },
        ("diff", [before, after]) => Command::Diff {
            before: before.clone(),
            after: after.clone(),
        },
        ("path", [file, id]) => Command::Path {
            file: file.clone(),
            id: node_id(id)?,
        },
        ("find-leaks", [baseline, target, last]) => Command::FindLeaks {
            baseline: baseline.clone(),
            target: target.clone(),
            last: last.clone(),
        },
        _ => return None,
    };
    Some(Args {
        command,
        json,
        color,
        top,
    })
}

/// A positive whole number (what the JavaScript tool accepts, `/^[1-9]\d*$/`).
fn top_value(v: &str) -> Option<usize> {
    let digits = v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0');
    if digits { v.parse().ok() } else { None }
}

/// `123` or `@123`, as DevTools shows ids; other spellings JavaScript's `Number()` takes are
/// left to it.
fn node_id(v: &str) -> Option<u32> {
    let digits = v.strip_prefix('@').unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{Args, Command, parse};

    fn args(line: &str) -> Option<Args> {
        parse(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn the_native_commands_and_their_options_parse() {
        assert_eq!(
            args("find-leaks a b c --json --top=3"),
            Some(Args {
                command: Command::FindLeaks {
                    baseline: "a".into(),
                    target: "b".into(),
                    last: "c".into()
                },
                json: true,
                color: None,
                top: Some(3),
            })
        );
        let path = args("path f @42 --no-color").unwrap();
        assert_eq!(
            path.command,
            Command::Path {
                file: "f".into(),
                id: 42
            }
        );
        assert_eq!(path.color, Some(false));
        assert_eq!(args("summary f --top 7").unwrap().top, Some(7));
    }

    #[test]
    fn everything_else_is_left_to_the_javascript_tool() {
        for line in [
            "summary f --help",
            "summary f -h",
            "summary",
            "summary f g",
            "diff a",
            "find-leaks a b",
            "report a b c --html out.html",
            "path f 0x10",
            "path f 4294967296",
            "summary f --top 0",
            "summary f --top=07",
            "summary f --top",
            "summary f --verbose",
            "help",
            "nonsense",
        ] {
            assert_eq!(args(line), None, "{line}");
        }
    }
}
