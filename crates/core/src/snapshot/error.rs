//! The single error type of the snapshot core. Messages name the byte offset,
//! section and/or field so a user can find the problem in a multi-GB file; [`ErrorKind`] says
//! what sort of problem it is, for code that reacts to errors rather than showing them.

use std::path::{Path, PathBuf};

pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;

/// What sort of problem an error is (serde_json's `Category`, for heap snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Reading failed: a missing file, a permission, a device.
    Io,
    /// Not well-formed JSON, or it ends early.
    Syntax,
    /// Well-formed, but not a heap snapshot V8 could have written: a header that contradicts
    /// the data, indexes out of range, missing sections.
    Data,
    /// Beyond what leakhound takes: a size over its limits, or memory that could not be had.
    Limit,
    /// Each snapshot is fine, but they cannot be compared (see [`Incompatibility`]).
    Incompatible,
    /// The caller used the API wrongly (an input read twice, a parser used after it failed).
    Usage,
    /// A state leakhound should never reach: a bug to report.
    Internal,
}

impl ErrorKind {
    /// The kind's name as the JavaScript errors and the JSON carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Syntax => "syntax",
            ErrorKind::Data => "data",
            ErrorKind::Limit => "limit",
            ErrorKind::Incompatible => "incompatible",
            ErrorKind::Usage => "usage",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Why snapshots cannot be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Incompatibility {
    /// Written by different V8 versions: their records are laid out differently.
    DifferentVersions,
    /// From different processes: object ids mean different objects.
    DifferentProcesses,
    /// An earlier snapshot holds newer objects than a later one.
    WrongOrder,
}

impl Incompatibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Incompatibility::DifferentVersions => "different-versions",
            Incompatibility::DifferentProcesses => "different-processes",
            Incompatibility::WrongOrder => "wrong-order",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// Snapshots that cannot be compared; the message names them and says why.
    #[error("{message}")]
    Incompatible {
        reason: Incompatibility,
        message: String,
    },

    #[error("unexpected end of input at byte {offset} while reading {context}")]
    UnexpectedEof { offset: u64, context: String },

    #[error("syntax error at byte {offset} while reading {context}: {message}")]
    Syntax {
        offset: u64,
        context: String,
        message: String,
    },

    #[error("value at byte {offset} in `{section}` element {index} {problem}")]
    BadNumber {
        offset: u64,
        section: &'static str,
        index: u64,
        problem: &'static str,
    },

    #[error("top-level key `{0}` appears twice")]
    DuplicateSection(String),

    #[error("missing top-level section `{0}`")]
    MissingSection(&'static str),

    #[error(
        "`{0}` comes before the `snapshot` header that declares its size, and nothing else bounds it on an input without a size (a pipe); V8 writes the header first"
    )]
    BeforeHeader(String),

    #[error("missing meta field `{0}`")]
    MissingMeta(&'static str),

    #[error("invalid snapshot header: {0}")]
    BadMeta(String),

    #[error("`{section}` has {actual} numbers but the header declares {declared}")]
    CountMismatch {
        section: &'static str,
        declared: u64,
        actual: u64,
    },

    #[error("{what} is {value}, which exceeds the supported limit of {limit}")]
    TooLarge {
        what: &'static str,
        value: u64,
        limit: u64,
    },

    #[error("edge {edge} points to node offset {offset} which is not a multiple of {fields}")]
    EdgeTargetMisaligned { edge: u64, offset: u64, fields: u64 },

    #[error("edge {edge} points to node offset {offset}, beyond the last node ({nodes} nodes)")]
    EdgeTargetOutOfRange { edge: u64, offset: u64, nodes: u64 },

    #[error("string index {index} out of range ({count} strings) in {location}")]
    StringIndexOutOfRange {
        index: u64,
        count: u64,
        location: String,
    },

    #[error("type index {index} out of range ({count} types) in {location}")]
    TypeIndexOutOfRange {
        index: u64,
        count: u64,
        location: String,
    },

    #[error("the node edge_count fields add up to {sum}, but the header declares {declared} edges")]
    EdgeCountSum { sum: u64, declared: u64 },

    #[error("`{section}` runs past the {declared} numbers its header declares (at byte {offset})")]
    TooManyValues {
        section: &'static str,
        declared: u64,
        offset: u64,
    },

    #[error("{what} at byte {offset} is too large: {problem}")]
    Unbounded {
        what: &'static str,
        offset: u64,
        problem: String,
    },

    #[error("out of memory: could not allocate {bytes} bytes for {what}")]
    OutOfMemory { what: &'static str, bytes: u64 },

    #[error("this pipe or device can be read only once, but it is given more than once")]
    ReadOnce,

    #[error("the snapshot has no nodes (a synthetic root is required)")]
    NoNodes,

    #[error("the parser already failed on earlier input")]
    ParserPoisoned,

    /// A state the code should never reach, reported instead of panicking.
    #[error("internal error: {0} (please report this)")]
    Internal(String),

    #[error("{}: {source}", path.display())]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<SnapshotError>,
    },
}

impl SnapshotError {
    /// Attaches the file name; callers that know it wrap errors with this.
    pub fn with_path(self, path: &Path) -> SnapshotError {
        match self {
            already @ SnapshotError::InFile { .. } => already,
            other => SnapshotError::InFile {
                path: path.to_path_buf(),
                source: Box::new(other),
            },
        }
    }

    /// The error without any file wrapper, for matching in callers and tests.
    pub fn root_cause(&self) -> &SnapshotError {
        match self {
            SnapshotError::InFile { source, .. } => source.root_cause(),
            other => other,
        }
    }

    /// What sort of problem this is.
    pub fn kind(&self) -> ErrorKind {
        use SnapshotError as E;
        match self.root_cause() {
            E::Io(_) => ErrorKind::Io,
            E::UnexpectedEof { .. } | E::Syntax { .. } => ErrorKind::Syntax,
            E::BadNumber { .. }
            | E::DuplicateSection(_)
            | E::MissingSection(_)
            | E::BeforeHeader(_)
            | E::MissingMeta(_)
            | E::BadMeta(_)
            | E::CountMismatch { .. }
            | E::EdgeTargetMisaligned { .. }
            | E::EdgeTargetOutOfRange { .. }
            | E::StringIndexOutOfRange { .. }
            | E::TypeIndexOutOfRange { .. }
            | E::EdgeCountSum { .. }
            | E::TooManyValues { .. }
            | E::NoNodes => ErrorKind::Data,
            E::TooLarge { .. } | E::Unbounded { .. } | E::OutOfMemory { .. } => ErrorKind::Limit,
            E::Incompatible { .. } => ErrorKind::Incompatible,
            E::ReadOnce | E::ParserPoisoned => ErrorKind::Usage,
            E::Internal(_) => ErrorKind::Internal,
            E::InFile { .. } => unreachable_in_file(),
        }
    }

    /// Why the snapshots cannot be compared, for [`ErrorKind::Incompatible`].
    pub fn incompatibility(&self) -> Option<Incompatibility> {
        match self.root_cause() {
            SnapshotError::Incompatible { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The file the error is about, when it was read from one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            SnapshotError::InFile { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The byte offset the error points at, if it is about a position in the input.
    pub fn byte_offset(&self) -> Option<u64> {
        match self.root_cause() {
            SnapshotError::UnexpectedEof { offset, .. }
            | SnapshotError::Syntax { offset, .. }
            | SnapshotError::BadNumber { offset, .. }
            | SnapshotError::TooManyValues { offset, .. }
            | SnapshotError::Unbounded { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

/// `root_cause` never returns a file wrapper.
#[cold]
fn unreachable_in_file() -> ErrorKind {
    ErrorKind::Internal
}
