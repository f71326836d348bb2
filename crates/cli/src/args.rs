//! The command line: a command and its operands, or help, or a usage mistake explained.

use crate::help;
use crate::live::LiveOptions;

/// A command with its operands.
/// Where `alloc` writes its profile besides the report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllocOutputs {
    /// gzipped pprof `profile.proto`.
    pub pprof: Option<String>,
    /// Flame graph SVG.
    pub svg: Option<String>,
    /// HTML page with the growing sites and a flame graph of their growth.
    pub html: Option<String>,
    /// pprof and SVG of the growth from the first profile to the last, not the live bytes.
    pub growth: bool,
}

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
    Report {
        baseline: String,
        target: String,
        last: String,
        html: String,
        timeline: Option<String>,
        title: Option<String>,
    },
    /// One snapshot of a running process, written to a file.
    Snapshot {
        process: String,
        output: Option<String>,
    },
    /// The three-snapshot hunt on a running process; or the list of its worker threads.
    Attach {
        process: String,
        hunt: HuntOptions,
        list_workers: bool,
    },
    /// Where a running process allocates what it keeps.
    Alloc {
        process: String,
        duration: String,
        window: Option<String>,
        interval: Option<String>,
        depth: Option<String>,
        outputs: AllocOutputs,
    },
    /// The hunt on a program leakhound starts, then stops.
    Run {
        program: Vec<String>,
        hunt: HuntOptions,
        ready: Ready,
    },
}

/// How a hunt goes: its phase (`--load` or `--duration`, else Enter) and what it writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HuntOptions {
    pub load: Option<String>,
    pub duration: Option<String>,
    pub html: Option<String>,
    /// A directory to keep the three snapshots in.
    pub save: Option<String>,
}

/// When a program `run` started is ready: a line of its output, an URL that answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    pub line: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub command: Command,
    pub json: bool,
    /// `--color` / `--no-color`; by default, colour on a terminal only.
    pub color: Option<bool>,
    pub top: Option<usize>,
    /// For the commands on a running process.
    pub live: LiveOptions,
    /// Progress lines on stderr even when it is not a terminal.
    pub progress: bool,
}

/// What a command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(Box<Args>),
    /// Print this help text.
    Help(&'static str),
}

/// A mistake in the command line, said in one line (exit code 2).
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// The commands that take snapshots of a running process.
const LIVE: &[&str] = &["summary", "snapshot", "attach", "run"];
/// The commands that work on a running process.
const WATCHING: &[&str] = &["summary", "snapshot", "attach", "run", "alloc"];
/// The commands that take a running process as their operand.
const ON_A_PROCESS: &[&str] = &["summary", "snapshot", "attach", "alloc"];

/// Options that take a value, and the commands that accept them.
const VALUE_OPTIONS: [(&str, &[&str]); 17] = [
    ("html", &["report", "attach", "run", "alloc"]),
    ("pprof", &["alloc"]),
    ("svg", &["alloc"]),
    ("timeline", &["report"]),
    ("title", &["report"]),
    ("output", &["snapshot"]),
    ("load", &["attach", "run"]),
    ("duration", &["attach", "run", "alloc"]),
    ("window", &["alloc"]),
    ("interval", &["alloc"]),
    ("depth", &["alloc"]),
    ("save", &["attach", "run"]),
    ("ready-line", &["run"]),
    ("ready-url", &["run"]),
    ("worker", WATCHING),
    ("inspect", ON_A_PROCESS),
    ("url", ON_A_PROCESS),
];

/// Options that take no value, and the commands that accept them (`--json` and the like are
/// everyone's).
const FLAG_OPTIONS: [(&str, &[&str]); 4] = [
    ("force", LIVE),
    ("growth", &["alloc"]),
    ("progress", WATCHING),
    ("list-workers", &["attach"]),
];

const COMMANDS: [&str; 9] = [
    "run",
    "summary",
    "diff",
    "path",
    "find-leaks",
    "report",
    "snapshot",
    "attach",
    "alloc",
];

pub fn parse(argv: &[String]) -> Result<Invocation, UsageError> {
    let Some((name, rest)) = argv.split_first() else {
        return Ok(Invocation::Help(help::MAIN));
    };
    if matches!(name.as_str(), "-h" | "--help" | "help") {
        return Ok(Invocation::Help(help::MAIN));
    }
    let mut positional = Vec::new();
    let (mut json, mut color, mut top, mut wants_help) = (false, None, None, false);
    let mut values: Vec<(&'static str, String)> = Vec::new();
    let mut flags: Vec<&'static str> = Vec::new();
    // `run … -- <program and its arguments>`: everything after `--` is the program's.
    let (rest, program) = match rest.iter().position(|a| a == "--") {
        Some(at) => (&rest[..at], rest[at + 1..].to_vec()),
        None => (rest, Vec::new()),
    };
    let mut rest = rest.iter();
    while let Some(a) = rest.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((flag, value)) if a.starts_with("--") => (flag, Some(value.to_string())),
            // `-o file`, as `--output file`.
            _ if a == "-o" => ("--output", None),
            _ => (a.as_str(), None),
        };
        if let Some((option, _)) = VALUE_OPTIONS.iter().find(|(o, _)| flag == format!("--{o}")) {
            let value = inline.or_else(|| rest.next().cloned()).unwrap_or_default();
            if value.is_empty() {
                return Err(usage(format!("--{option} needs a value")));
            }
            values.push((option, value));
            continue;
        }
        if let Some((option, _)) = FLAG_OPTIONS.iter().find(|(o, _)| flag == format!("--{o}")) {
            if inline.is_some() {
                return Err(usage(format!("--{option} takes no value")));
            }
            flags.push(option);
            continue;
        }
        match (flag, inline) {
            ("--json", None) => json = true,
            ("--color", None) => color = Some(true),
            ("--no-color", None) => color = Some(false),
            ("-h" | "--help", None) => wants_help = true,
            ("--top", inline) => {
                let v = inline.or_else(|| rest.next().cloned());
                top = Some(top_value(v.as_deref())?);
            }
            _ if a.starts_with('-') => return Err(usage(format!("unknown option {a}"))),
            _ => positional.push(a.clone()),
        }
    }
    if !COMMANDS.contains(&name.as_str()) {
        return Err(usage(format!("unknown command {}", quoted(name))));
    }
    if wants_help {
        return Ok(Invocation::Help(help::of(name)));
    }
    let accepted = |option: &str| {
        VALUE_OPTIONS
            .iter()
            .chain(FLAG_OPTIONS.iter())
            .any(|(o, commands)| *o == option && commands.contains(&name.as_str()))
    };
    for option in values.iter().map(|(o, _)| *o).chain(flags.iter().copied()) {
        if !accepted(option) {
            return Err(usage(format!("--{option} is not an option of {name}")));
        }
    }
    let flag = |option: &str| flags.contains(&option);
    let value = |option: &str| {
        values
            .iter()
            .rev()
            .find(|(o, _)| *o == option)
            .map(|(_, v)| v.clone())
    };
    let hunt = HuntOptions {
        load: value("load"),
        duration: value("duration"),
        html: value("html"),
        save: value("save"),
    };
    // `--inspect host:port` and `--url ws://…` name the process in place of the operand.
    for option in ["inspect", "url"] {
        if let Some(v) = value(option) {
            let fits = match option {
                "url" => v.starts_with("ws://"),
                _ => v
                    .rsplit_once(':')
                    .is_some_and(|(_, port)| port.parse::<u16>().is_ok()),
            };
            if !fits {
                return Err(usage(match option {
                    "url" => format!("--url needs the inspector's ws:// URL, got {}", quoted(&v)),
                    _ => format!(
                        "--inspect needs the inspector's host:port, got {}",
                        quoted(&v)
                    ),
                }));
            }
            if !positional.is_empty() {
                return Err(usage(format!(
                    "give the process as an operand or with --{option}, not both"
                )));
            }
            positional.push(v);
        }
    }
    let command = match name.as_str() {
        "run" if !positional.is_empty() => {
            return Err(usage(format!(
                "run takes its program after --: leakhound run [options] -- {}",
                positional.join(" ")
            )));
        }
        "run" if program.is_empty() => {
            return Err(usage(
                "run needs the program to start after --: leakhound run --load \"<command>\" -- node server.js",
            ));
        }
        "run" => Command::Run {
            program,
            hunt,
            ready: Ready {
                line: value("ready-line"),
                url: value("ready-url"),
            },
        },
        _ if !program.is_empty() => {
            return Err(usage(format!("{name} takes no program after --")));
        }
        "attach" => match <[String; 1]>::try_from(positional) {
            Ok([process]) => Command::Attach {
                process,
                hunt,
                list_workers: flag("list-workers"),
            },
            Err(_) => {
                return Err(usage(
                    "attach takes one process id, or the host:port of an open inspector",
                ));
            }
        },
        _ => command(name, positional, value, flag)?,
    };
    Ok(Invocation::Run(Box::new(Args {
        command,
        json,
        color,
        top,
        live: LiveOptions {
            worker: value("worker"),
            force: flag("force"),
        },
        progress: flag("progress"),
    })))
}

fn command(
    name: &str,
    positional: Vec<String>,
    value: impl Fn(&str) -> Option<String>,
    flag: impl Fn(&str) -> bool,
) -> Result<Command, UsageError> {
    let three = |what: &str| -> Result<[String; 3], UsageError> {
        <[String; 3]>::try_from(positional.clone()).map_err(|_| {
            usage(format!(
                "{what} takes three snapshot files: <baseline> <target> <final>"
            ))
        })
    };
    Ok(match name {
        "summary" => match <[String; 1]>::try_from(positional) {
            Ok([file]) => Command::Summary { file },
            Err(_) => return Err(usage("summary takes one snapshot file or process id")),
        },
        "alloc" => match <[String; 1]>::try_from(positional) {
            Ok([process]) => Command::Alloc {
                process,
                duration: value("duration")
                    .ok_or_else(|| usage("alloc needs --duration <time>, such as 120s"))?,
                window: value("window"),
                interval: value("interval"),
                depth: value("depth"),
                outputs: AllocOutputs {
                    pprof: value("pprof"),
                    svg: value("svg"),
                    html: value("html"),
                    growth: flag("growth"),
                },
            },
            Err(_) => {
                return Err(usage(
                    "alloc takes one process id, or the host:port of an open inspector",
                ));
            }
        },
        "snapshot" => match <[String; 1]>::try_from(positional) {
            Ok([process]) => Command::Snapshot {
                process,
                output: value("output"),
            },
            Err(_) => {
                return Err(usage(
                    "snapshot takes one process id, or the host:port of an open inspector",
                ));
            }
        },
        "diff" => match <[String; 2]>::try_from(positional) {
            Ok([before, after]) => Command::Diff { before, after },
            Err(_) => return Err(usage("diff takes two snapshot files: <before> <after>")),
        },
        "path" => match <[String; 2]>::try_from(positional) {
            Ok([file, id]) => Command::Path {
                file,
                id: node_id(&id)?,
            },
            Err(_) => return Err(usage("path takes a snapshot file and a node id")),
        },
        "find-leaks" => {
            let [baseline, target, last] = three("find-leaks")?;
            Command::FindLeaks {
                baseline,
                target,
                last,
            }
        }
        _ => {
            let [baseline, target, last] = three("report")?;
            let html = value("html")
                .ok_or_else(|| usage("report needs --html <file> to write the report to"))?;
            Command::Report {
                baseline,
                target,
                last,
                html,
                timeline: value("timeline"),
                title: value("title"),
            }
        }
    })
}

/// A positive whole number.
fn top_value(v: Option<&str>) -> Result<usize, UsageError> {
    let wrong = || {
        usage(format!(
            "--top needs a positive whole number, got {}",
            v.map_or("nothing".into(), quoted)
        ))
    };
    let v = v.ok_or_else(wrong)?;
    let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0');
    if digits {
        v.parse().map_err(|_| wrong())
    } else {
        Err(wrong())
    }
}

/// `123` or `@123`, as DevTools shows ids.
fn node_id(v: &str) -> Result<u32, UsageError> {
    let digits = v.strip_prefix('@').unwrap_or(v);
    let parsed = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten();
    parsed.ok_or_else(|| {
        usage(format!(
            "node id must be a whole number below 2^32, got {}",
            quoted(v)
        ))
    })
}

/// A string as a JSON literal, so spaces and control characters show.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| s.into())
}

#[cfg(test)]
mod tests {
    use super::{Args, Command, HuntOptions, Invocation, UsageError, parse};
    use crate::help;

    fn args(line: &str) -> Result<Invocation, UsageError> {
        parse(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    fn mistake(line: &str) -> String {
        match args(line) {
            Err(UsageError(message)) => message,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn commands_and_their_options_parse() {
        assert_eq!(
            args("find-leaks a b c --json --top=3"),
            Ok(Invocation::Run(Box::new(Args {
                command: Command::FindLeaks {
                    baseline: "a".into(),
                    target: "b".into(),
                    last: "c".into()
                },
                json: true,
                color: None,
                top: Some(3),
                live: Default::default(),
                progress: false,
            })))
        );
        let Ok(Invocation::Run(path)) = args("path f @42 --no-color") else {
            panic!()
        };
        assert_eq!(
            path.command,
            Command::Path {
                file: "f".into(),
                id: 42
            }
        );
        assert_eq!(path.color, Some(false));
        let Ok(Invocation::Run(report)) =
            args("report a b c --html out.html --title=T --timeline s.json")
        else {
            panic!()
        };
        assert_eq!(
            report.command,
            Command::Report {
                baseline: "a".into(),
                target: "b".into(),
                last: "c".into(),
                html: "out.html".into(),
                timeline: Some("s.json".into()),
                title: Some("T".into()),
            }
        );
    }

    #[test]
    fn options_of_the_commands_on_a_running_process() {
        let Ok(Invocation::Run(attach)) =
            args("attach 12 --worker 3 --force --save dir --load x --html h --progress")
        else {
            panic!()
        };
        assert_eq!(
            attach.command,
            Command::Attach {
                process: "12".into(),
                hunt: HuntOptions {
                    load: Some("x".into()),
                    duration: None,
                    html: Some("h".into()),
                    save: Some("dir".into()),
                },
                list_workers: false,
            }
        );
        assert_eq!(attach.live.worker.as_deref(), Some("3"));
        assert!(attach.live.force && attach.progress);
        let Ok(Invocation::Run(by_url)) = args("snapshot --url ws://127.0.0.1:9229/x -o f") else {
            panic!()
        };
        assert_eq!(
            by_url.command,
            Command::Snapshot {
                process: "ws://127.0.0.1:9229/x".into(),
                output: Some("f".into()),
            }
        );
        let Ok(Invocation::Run(run)) =
            args("run --duration 1s --ready-url http://127.0.0.1:3000/ -- node s.js")
        else {
            panic!()
        };
        let Command::Run { ready, program, .. } = run.command else {
            panic!()
        };
        assert_eq!(ready.url.as_deref(), Some("http://127.0.0.1:3000/"));
        assert_eq!(program, ["node", "s.js"]);
    }

    #[test]
    fn help_is_asked_for_in_the_usual_ways() {
        for line in ["help", "--help", "-h"] {
            assert_eq!(args(line), Ok(Invocation::Help(help::MAIN)), "{line}");
        }
        assert_eq!(parse(&[]), Ok(Invocation::Help(help::MAIN)));
        assert_eq!(
            args("summary --help"),
            Ok(Invocation::Help(help::of("summary")))
        );
        assert_eq!(args("report -h"), Ok(Invocation::Help(help::of("report"))));
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("summary", "summary takes one snapshot file or process id"),
            (
                "summary f g",
                "summary takes one snapshot file or process id",
            ),
            ("diff a", "diff takes two snapshot files: <before> <after>"),
            (
                "find-leaks a b",
                "find-leaks takes three snapshot files: <baseline> <target> <final>",
            ),
            (
                "report a b c",
                "report needs --html <file> to write the report to",
            ),
            ("report a b c --html", "--html needs a value"),
            (
                "path f 0x10",
                "node id must be a whole number below 2^32, got \"0x10\"",
            ),
            (
                "path f 4294967296",
                "node id must be a whole number below 2^32, got \"4294967296\"",
            ),
            (
                "summary f --top 0",
                "--top needs a positive whole number, got \"0\"",
            ),
            (
                "summary f --top=07",
                "--top needs a positive whole number, got \"07\"",
            ),
            (
                "summary f --top",
                "--top needs a positive whole number, got nothing",
            ),
            ("summary f --verbose", "unknown option --verbose"),
            ("summary f --html x", "--html is not an option of summary"),
            ("nonsense", "unknown command \"nonsense\""),
            (
                "snapshot",
                "snapshot takes one process id, or the host:port of an open inspector",
            ),
            ("snapshot 1 -o", "--output needs a value"),
            (
                "run --duration 1s",
                "run needs the program to start after --: leakhound run --load \"<command>\" -- node server.js",
            ),
            (
                "run x -- node a.js",
                "run takes its program after --: leakhound run [options] -- x",
            ),
            ("summary f -- node", "summary takes no program after --"),
            (
                "attach 1 --ready-line x",
                "--ready-line is not an option of attach",
            ),
            ("summary f -o x", "--output is not an option of summary"),
            ("diff a b --worker 1", "--worker is not an option of diff"),
            (
                "snapshot 1 --list-workers",
                "--list-workers is not an option of snapshot",
            ),
            ("attach 1 --force=yes", "--force takes no value"),
            (
                "snapshot 1 --inspect 127.0.0.1:9229",
                "give the process as an operand or with --inspect, not both",
            ),
            (
                "summary --url http://x/",
                "--url needs the inspector's ws:// URL, got \"http://x/\"",
            ),
            (
                "summary --inspect localhost",
                "--inspect needs the inspector's host:port, got \"localhost\"",
            ),
            ("run --ready-url -- node", "--ready-url needs a value"),
            ("alloc 1", "alloc needs --duration <time>, such as 120s"),
            (
                "alloc 1 --duration 1s --force",
                "--force is not an option of alloc",
            ),
            (
                "attach 1 --window 1s",
                "--window is not an option of attach",
            ),
        ];
        for (line, message) in cases {
            assert_eq!(mistake(line), message, "{line}");
        }
    }
}
