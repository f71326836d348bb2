//! The help texts.

pub const MAIN: &str = r#"Usage: leakhound <command> [options]

Commands:
  summary <file|pid> [--top N]      class summary: count, self size, retained size (of a
                                    running Node.js process too, with no file written)
  diff <before> <after> [--top N]   per-class growth between two snapshots of one process
  path <file> <nodeId>              retainer path of one object, from a GC root
  find-leaks <baseline> <target> <final>
                                    objects allocated between baseline and target that
                                    survive in final, grouped, with a retainer path each
  report <baseline> <target> <final> --html <out.html>
                                    the same as a self-contained HTML report to open
                                    in a browser
  snapshot <pid> [-o file]          one heap snapshot of a running Node.js process
  attach <pid> --load "<cmd>" | --duration 60s [--html out.html]
                                    find-leaks on a running process: snapshots before,
                                    between and after two phases of load
  run [attach's options] [--ready-line <text>] [--ready-url <url>] -- <program...>
                                    start the program, hunt as attach does, stop it
  alloc <pid> --duration 120s       where a running process allocates the memory it
                                    keeps: allocation sites whose live bytes grow

A running process is named by its pid (its inspector is opened with SIGUSR1 and closed again
afterwards), by the host:port of an inspector already open (--inspect host:port) or by its
WebSocket URL (--url ws://…). On a running process: --worker <id> works on a worker thread's
heap, --force takes a snapshot even where the process seems to lack the memory V8 needs to build
it, --progress shows progress lines even when stderr is not a terminal. Ctrl-C stops cleanly.

Options:
  --json        print one JSON document on stdout
  --top N       rows to show (default 25; with --json, all unless given)
  --no-color    plain output (colour is used only on a terminal)
  -h, --help    help for a command: leakhound <command> --help"#;

pub const SUMMARY: &str = r#"Usage: leakhound summary <file|pid|host:port|ws://…> [--worker <id>] [--force]
                        [--top N] [--json]

Groups every object of the snapshot by class and prints count, self size and retained size
(memory freed if every object of the class were gone, without double counting objects that
other objects of the same class retain), largest retained size first. Given a process id (or
the host:port of an open inspector) instead of a file, it takes a snapshot of that running
Node.js process and analyses it as it streams in, writing no file."#;

pub const SNAPSHOT: &str = r#"Usage: leakhound snapshot <pid|host:port|ws://…> [-o <file>] [--worker <id>] [--force]
                         [--json]

Writes one heap snapshot of a running Node.js process, which need not have been started with
any flag: its inspector is opened the way Node documents (SIGUSR1, Linux and macOS), on
loopback, and closed again afterwards. The snapshot streams to a temporary file of mode 0600
that becomes <file> (default: <pid>-<seconds>.heapsnapshot) only once complete; an existing
file is never replaced. host:port (or --inspect host:port, or --url ws://…) names an inspector
that is already open, which stays open.

V8 builds the whole snapshot inside the process before it sends a byte, which takes about 8×
the snapshot's size (a snapshot is up to twice the heap in use). Before each snapshot the
process's heap is weighed against the memory it can have (MemAvailable, its cgroup's limits, its
address-space limit); short of it, the snapshot is refused with the figures unless --force.
--worker <id> takes the heap of a worker thread (ids: leakhound attach <pid> --list-workers)."#;

pub const DIFF: &str = r#"Usage: leakhound diff <before> <after> [--top N] [--json]

Compares two snapshots of the same process by object id: per class, objects allocated and freed
between them, and the change in count and size, largest growth first."#;

pub const FIND_LEAKS: &str = r#"Usage: leakhound find-leaks <baseline> <target> <final> [--top N] [--json]

Three-snapshot leak isolation. Take <baseline> after warming up, <target> after running the
suspect action, <final> after running it again (or undoing it). Objects allocated between
baseline and target that still exist in final are grouped by class (closures by source
location); each group shows its count, the memory it retains (nothing counted twice) and the
path that keeps its largest member alive. Groups held by another group's objects are folded
into it. --json prints a LeakReport."#;

pub const REPORT: &str = r#"Usage: leakhound report <baseline> <target> <final> --html <out.html>
                       [--timeline <samples.json>] [--title <text>] [--top N] [--json]

Runs find-leaks and writes one self-contained HTML file (no network needed) with the leak
groups (count, retained size, share of the heap, the retainer chain from a GC root with closure
locations and allocation sites), growing collections, and a sortable per-class table of what
changed from baseline to final. --timeline adds a memory chart from samples saved as JSON
(e.g. JSON.stringify(sampler.samples())), a regular file of at most 256 MiB. --top N keeps the
N largest groups, collections and class rows (default: all). --json prints a summary of what was
written. The report never replaces one of its inputs."#;

pub const PATH: &str = r#"Usage: leakhound path <file> <nodeId> [--json]

Prints the shortest chain of references from a GC root to the object with this id (the @id
DevTools shows), skipping weak references and preferring user-visible edges."#;

pub const ATTACH: &str = r#"Usage: leakhound attach <pid|host:port|ws://…> (--load "<command>" | --duration <time>)
                       [--html <out.html>] [--save <dir>] [--worker <id>] [--force]
                       [--top N] [--json]
       leakhound attach <pid|host:port|ws://…> --list-workers [--json]

The three-snapshot method on a running Node.js process that was started without any flag (its
inspector is opened as `leakhound snapshot` does): a major GC and a baseline snapshot, a phase,
a GC and a target snapshot, the same phase again, a GC and a final snapshot, then the report
find-leaks prints (--json: a LeakReport; --html: the HTML page as well). A phase runs a load
command to its end (--load "npx autocannon -d 20 http://127.0.0.1:3000/"), waits while live
traffic flows (--duration 60s, 2m, 500ms), or, on a terminal with neither, lasts until Enter.
The snapshots stream in as they are parsed; none is written to disk unless --save <dir> keeps
them there (mode 0600, kept only when the hunt completes). The memory check, --worker and
--force are as for `leakhound snapshot`; --list-workers lists the worker threads. Ctrl-C at any
point stops the hunt and its load command, and the inspector is closed."#;

pub const RUN: &str = r#"Usage: leakhound run (--load "<command>" | --duration <time>) [--ready-line <text>]
                    [--ready-url <http://…>] [--html <out.html>] [--save <dir>]
                    [--worker <id>] [--force] [--top N] [--json] -- <program and its arguments>

Starts the program with its inspector on a free loopback port (--inspect=127.0.0.1:0 added to
NODE_OPTIONS, so `node server.js` and `npm start` alike), waits until it is ready (an inspector
is open; with --ready-line, a line of its output holds that text; with --ready-url, a GET
there is answered with a status below 500), hunts as `leakhound
attach` does, then stops it (SIGTERM to its process group; SIGKILL after 5 s). The program's
output goes to stderr, so stdout holds the report alone."#;

pub const ALLOC: &str = r#"Usage: leakhound alloc <pid|host:port|ws://…> --duration <time> [--window <time>]
                      [--interval <bytes>] [--depth N] [--worker <id>] [--top N] [--json]
                      [--pprof out.pb.gz] [--svg out.svg] [--html out.html] [--growth]

Runs V8's sampling heap profiler in the process for --duration (one sample every --interval
bytes allocated, on average; default 32768) and, every --window (default 10s), after a major
GC, reads which stacks allocated the objects still alive. Each stack is folded to its innermost
--depth user frames (default 4; Node's own frames left out): an allocation site. Each site's
live bytes form a series, and the sites whose live bytes keep growing are reported, fastest
first: a robust slope (Theil-Sen), a Mann-Kendall test held to a 1% false discovery rate across
all sites (Benjamini-Hochberg), growth of at least 16 samples' worth that is still under way
(a cache that fills and levels off is not reported). V8 counts what an inlined function
allocates under the function it was inlined into, so a site's function may be the caller of the
line that allocates. The inspector is opened and closed as for `leakhound snapshot`.

--pprof writes the last profile's live bytes as gzipped pprof (go tool pprof, Pyroscope), --svg
as a flame graph; with --growth both show what each stack gained from the first profile to the
last instead. --html writes a page with the growing sites and a flame graph of the growth."#;

/// The help of a command (the main help for anything else).
pub fn of(command: &str) -> &'static str {
    match command {
        "summary" => SUMMARY,
        "diff" => DIFF,
        "find-leaks" => FIND_LEAKS,
        "report" => REPORT,
        "path" => PATH,
        "snapshot" => SNAPSHOT,
        "attach" => ATTACH,
        "run" => RUN,
        "alloc" => ALLOC,
        _ => MAIN,
    }
}
