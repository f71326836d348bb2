//! Streaming push parser for V8 `.heapsnapshot` files. Input can be pushed in
//! chunks split anywhere; only the small `snapshot` header is buffered whole. Reading files
//! into it is `read.rs`'s.

use super::budget::{SLACK_BYTES, reserve, room_for};
use super::json_scan::{
    NestedNumbers, Progress, StrDecoder, StringArray, ValueSkipper, is_ws, syntax,
};
use super::meta::SnapshotMeta;
use super::number_array::{NumberArray, NumberSink};
use super::raw::{NodeLayout, RawSnapshot, flatten_trace_tree};
use super::strings::StringTable;
use crate::snapshot::error::{Result, SnapshotError};

/// Upper bound for the buffered `snapshot` header.
const HEADER_LIMIT: usize = 64 << 20;
/// Upper bound for a top-level key (the real ones are a few bytes long).
const KEY_LIMIT: usize = 4096;
/// Without a size hint, never reserve more than this many numbers up front.
const UNHINTED_RESERVE_CAP: u64 = 1 << 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Keep only node ids, types, names and self sizes; edges and locations
    /// are validated and counted but not stored.
    pub light: bool,
    /// Total input length if known; bounds up-front reservations.
    pub size_hint: Option<u64>,
    /// `parse_file_with` reads on a second thread while this one parses.
    pub reader_thread: bool,
    /// Light file parses only: once the header and nodes are in, jump to the `strings` section
    /// (found from the end of the file). Edges and locations are then neither read nor checked;
    /// any error sends the parse back to reading the whole file, so errors are the same.
    pub skip_to_strings: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            light: false,
            size_hint: None,
            reader_thread: true,
            skip_to_strings: false,
        }
    }
}

impl ParseOptions {
    pub fn full() -> Self {
        Self::default()
    }

    pub fn light() -> Self {
        ParseOptions {
            light: true,
            ..Self::default()
        }
    }

    /// Light, and from a file: skipping edges and locations (see `skip_to_strings`).
    pub fn light_skipping() -> Self {
        ParseOptions {
            skip_to_strings: true,
            ..Self::light()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKey {
    Snapshot,
    Nodes,
    Edges,
    Locations,
    TraceFunctionInfos,
    TraceTree,
    Strings,
    Other,
}

impl SectionKey {
    fn from_key(key: &[u8]) -> SectionKey {
        match key {
            b"snapshot" => SectionKey::Snapshot,
            b"nodes" => SectionKey::Nodes,
            b"edges" => SectionKey::Edges,
            b"locations" => SectionKey::Locations,
            b"trace_function_infos" => SectionKey::TraceFunctionInfos,
            b"trace_tree" => SectionKey::TraceTree,
            b"strings" => SectionKey::Strings,
            _ => SectionKey::Other,
        }
    }
}

#[derive(Debug)]
enum Section {
    Captured(ValueSkipper),
    Numbers(NumberArray),
    Strings(StringArray),
    Nested(NestedNumbers),
    Skipped(ValueSkipper),
}

#[derive(Debug)]
enum TopState {
    BeforeOpen,
    KeyOrClose,
    Key,
    InKey,
    Colon,
    Value,
    AfterValue,
    /// Skipping everything between the nodes and the strings (`skip_to_strings`).
    Parked,
    Done,
}

/// A number section as it arrived: the kept numbers and how many there were.
#[derive(Debug)]
struct NumberSection {
    kept: Vec<u32>,
    total: u64,
    /// True when light mode could filter fields while parsing.
    filtered: bool,
}

#[derive(Debug)]
pub struct SnapshotParser {
    options: ParseOptions,
    offset: u64,
    state: TopState,
    poisoned: bool,
    key: Vec<u8>,
    key_decoder: StrDecoder,
    section: Option<(SectionKey, Section)>,
    meta: Option<SnapshotMeta>,
    nodes: Option<NumberSection>,
    edges: Option<NumberSection>,
    locations: Option<NumberSection>,
    trace_function_infos: Option<NumberSection>,
    trace_tokens: Option<Vec<u64>>,
    strings: Option<StringTable>,
    /// Sections were jumped over, so their counts cannot be checked.
    skipped: bool,
    /// Where the parser parked: it can resume at a key no earlier than this.
    parked_at: u64,
    /// Light mode: the strings to keep, when the caller chose them (see `keep_strings`).
    strings_wanted: Option<Vec<u32>>,
}

impl Default for SnapshotParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SnapshotParser {
    pub fn new() -> Self {
        Self::with_options(ParseOptions::default())
    }

    pub fn with_options(options: ParseOptions) -> Self {
        SnapshotParser {
            options,
            offset: 0,
            state: TopState::BeforeOpen,
            poisoned: false,
            key: Vec::new(),
            key_decoder: StrDecoder::default(),
            section: None,
            meta: None,
            nodes: None,
            edges: None,
            locations: None,
            trace_function_infos: None,
            trace_tokens: None,
            strings: None,
            skipped: false,
            parked_at: 0,
            strings_wanted: None,
        }
    }

    /// Whether the parser waits to be moved to the strings (see `ParseOptions::skip_to_strings`).
    pub fn is_parked(&self) -> bool {
        matches!(self.state, TopState::Parked)
    }

    /// Continues a parked parse at `offset`, the opening quote of the `strings` key.
    pub fn resume_at_key(&mut self, offset: u64) -> Result<()> {
        if !self.is_parked() || offset < self.parked_at {
            return unreachable_state();
        }
        self.offset = offset;
        self.state = TopState::Key;
        Ok(())
    }

    /// Light mode: hands the node records parsed so far (light layout, whole records only) to
    /// `visit` and forgets them, so a caller can stream the nodes in bounded memory. False when
    /// the records cannot be streamed: the header came after the nodes, or not in light mode.
    pub fn drain_light_nodes(&mut self, mut visit: impl FnMut(&SnapshotMeta, &[u32])) -> bool {
        let Some(meta) = self.meta.as_ref() else {
            return self.nodes.is_none() && self.section_key() != Some(SectionKey::Nodes);
        };
        let stride = NodeLayout::light_from_file(meta).stride;
        let out = match (&mut self.section, &mut self.nodes) {
            (Some((SectionKey::Nodes, Section::Numbers(array))), _) => match &mut array.sink {
                NumberSink::Fields { out, .. } => out,
                _ => return false,
            },
            (_, Some(nodes)) if nodes.filtered => &mut nodes.kept,
            (_, Some(_)) => return false,
            (_, None) => return self.options.light,
        };
        let whole = out.len() - out.len() % stride;
        if whole > 0 {
            visit(meta, &out[..whole]);
            out.drain(..whole);
        }
        true
    }

    /// The header, once it has been read.
    pub fn meta(&self) -> Option<&SnapshotMeta> {
        self.meta.as_ref()
    }

    fn section_key(&self) -> Option<SectionKey> {
        self.section.as_ref().map(|(key, _)| *key)
    }

    /// Light mode: keep these strings (sorted indices) rather than the class names of the
    /// nodes kept, which a caller that drains the nodes no longer has.
    pub fn keep_strings(&mut self, sorted: Vec<u32>) {
        self.strings_wanted = Some(sorted);
    }

    /// Bytes accepted so far.
    pub fn bytes_seen(&self) -> u64 {
        self.offset
    }

    /// Feeds the next piece of input, split at any byte.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        if self.poisoned {
            return Err(SnapshotError::ParserPoisoned);
        }
        let result = self.push_inner(chunk);
        match result {
            Ok(()) => {
                self.offset += chunk.len() as u64;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    fn push_inner(&mut self, chunk: &[u8]) -> Result<()> {
        let mut i = 0;
        while i < chunk.len() {
            if let TopState::Parked = self.state {
                return Ok(());
            }
            let at = self.offset + i as u64;
            if let TopState::Value = self.state {
                match self.feed_section(&chunk[i..], at)? {
                    Progress::NeedMore => return Ok(()),
                    Progress::Done(used) => {
                        i += used;
                        self.close_section()?;
                        self.state = TopState::AfterValue;
                        continue;
                    }
                }
            }
            if let TopState::InKey = self.state {
                match self
                    .key_decoder
                    .feed(&chunk[i..], &mut self.key, at, "a top-level key")?
                {
                    Progress::NeedMore => {
                        self.check_key_length(at)?;
                        return Ok(());
                    }
                    Progress::Done(used) => {
                        i += used;
                        self.check_key_length(at)?;
                        self.state = TopState::Colon;
                        continue;
                    }
                }
            }
            let b = chunk[i];
            i += 1;
            if is_ws(b) {
                continue;
            }
            match self.state {
                TopState::BeforeOpen if b == b'{' => self.state = TopState::KeyOrClose,
                TopState::BeforeOpen => {
                    return Err(syntax(
                        at,
                        "the top level",
                        "expected `{` (is this a .heapsnapshot file?)",
                    ));
                }
                TopState::KeyOrClose | TopState::Key if b == b'"' => {
                    self.key.clear();
                    self.key_decoder = StrDecoder::default();
                    self.state = TopState::InKey;
                }
                TopState::KeyOrClose if b == b'}' => self.state = TopState::Done,
                TopState::KeyOrClose | TopState::Key => {
                    return Err(syntax(at, "the top-level object", "expected a key"));
                }
                TopState::Colon if b == b':' => {
                    self.open_section()?;
                    if self.is_parked() {
                        self.parked_at = at + 1;
                    }
                }
                TopState::Colon => {
                    return Err(syntax(at, "the top-level object", "expected `:`"));
                }
                TopState::AfterValue if b == b',' => self.state = TopState::Key,
                TopState::AfterValue if b == b'}' => self.state = TopState::Done,
                TopState::AfterValue => {
                    return Err(syntax(at, "the top-level object", "expected `,` or `}`"));
                }
                TopState::Done => {
                    return Err(syntax(
                        at,
                        "the end of input",
                        "trailing data after the snapshot",
                    ));
                }
                TopState::Value | TopState::InKey | TopState::Parked => unreachable_state()?,
            }
        }
        Ok(())
    }

    fn check_key_length(&self, at: u64) -> Result<()> {
        if self.key.len() > KEY_LIMIT {
            return Err(syntax(at, "a top-level key", "key is too long"));
        }
        Ok(())
    }

    fn key_name(&self) -> String {
        String::from_utf8_lossy(&self.key).into_owned()
    }

    fn reserve_for(&self, declared: u64) -> usize {
        let cap = match self.options.size_hint {
            // Every number takes at least two bytes ("0,").
            Some(len) => len / 2,
            // A stream (a pipe, an inspector) has no size. Reserving is only address space
            // until the numbers arrive, so the declared room is taken where it can be had
            // (then a column never grows by copying, which would hold it twice); a header that
            // lies costs no memory, and one the process cannot map is held to the cap.
            None if room_for(
                usize::try_from(declared.saturating_mul(4))
                    .unwrap_or(usize::MAX)
                    .saturating_add(SLACK_BYTES),
            ) =>
            {
                declared
            }
            None => UNHINTED_RESERVE_CAP,
        };
        usize::try_from(declared.min(cap)).unwrap_or(0)
    }

    /// An empty vector with room for the numbers the header declares (bounded by the input's
    /// size), or an error when that room cannot be had.
    fn reserved(&self, declared: u64, what: &'static str) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        reserve(&mut out, self.reserve_for(declared), what)?;
        Ok(out)
    }

    fn open_section(&mut self) -> Result<()> {
        let key = SectionKey::from_key(&self.key);
        let already = match key {
            SectionKey::Snapshot => self.meta.is_some(),
            SectionKey::Nodes => self.nodes.is_some(),
            SectionKey::Edges => self.edges.is_some(),
            SectionKey::Locations => self.locations.is_some(),
            SectionKey::TraceFunctionInfos => self.trace_function_infos.is_some(),
            SectionKey::TraceTree => self.trace_tokens.is_some(),
            SectionKey::Strings => self.strings.is_some(),
            SectionKey::Other => false,
        };
        if already {
            return Err(SnapshotError::DuplicateSection(self.key_name()));
        }
        // Sized by the header. Before it, a file's size bounds them (two bytes a number at
        // least); on a pipe nothing would.
        let sized = !matches!(
            key,
            SectionKey::Snapshot | SectionKey::Strings | SectionKey::Other
        );
        if sized && self.meta.is_none() && self.options.size_hint.is_none() {
            return Err(SnapshotError::BeforeHeader(self.key_name()));
        }
        let light = self.options.light;
        if light
            && self.options.skip_to_strings
            && self.meta.is_some()
            && self.nodes.is_some()
            && !matches!(key, SectionKey::Strings)
        {
            self.skipped = true;
            self.state = TopState::Parked;
            return Ok(());
        }
        let meta = self.meta.as_ref();
        let section = match key {
            SectionKey::Snapshot => {
                Section::Captured(ValueSkipper::capturing("`snapshot`".into(), HEADER_LIMIT))
            }
            SectionKey::Nodes => {
                let declared = meta.map(|m| m.node_count.saturating_mul(m.node.count as u64));
                let sink = match meta {
                    Some(m) if light => NumberSink::Fields {
                        out: self.reserved(m.node_count.saturating_mul(4), "nodes")?,
                        keep: NodeLayout::light_keep_mask(m),
                        position: 0,
                    },
                    Some(_) => NumberSink::All(self.reserved(declared.unwrap_or(0), "nodes")?),
                    None => NumberSink::All(Vec::new()),
                };
                Section::Numbers(NumberArray::new("nodes", sink).with_limit(declared))
            }
            SectionKey::Edges | SectionKey::Locations if light => {
                let declared = (key == SectionKey::Edges)
                    .then(|| meta.map(|m| m.edge_count.saturating_mul(m.edge.count as u64)))
                    .flatten();
                Section::Numbers(
                    NumberArray::new(number_section_name(key), NumberSink::CountOnly)
                        .with_limit(declared),
                )
            }
            SectionKey::Edges => {
                let declared = meta.map(|m| m.edge_count.saturating_mul(m.edge.count as u64));
                let out = self.reserved(declared.unwrap_or(0), "edges")?;
                Section::Numbers(
                    NumberArray::new("edges", NumberSink::All(out)).with_limit(declared),
                )
            }
            SectionKey::Locations | SectionKey::TraceFunctionInfos => {
                // At most one location per node. V8 counts the function infos for the header
                // before it writes them, while tracking goes on, so more can follow than it
                // declares: bounded by the declared count plus one per node.
                let declared = meta.and_then(|m| {
                    if key == SectionKey::Locations {
                        Some(
                            m.node_count
                                .saturating_mul(m.location.as_ref()?.count as u64),
                        )
                    } else {
                        Some(
                            m.trace_function_count
                                .saturating_add(m.node_count)
                                .saturating_mul(m.trace_function_info_fields.len() as u64),
                        )
                    }
                });
                let numbers =
                    NumberArray::new(number_section_name(key), NumberSink::All(Vec::new()))
                        .with_limit(declared);
                Section::Numbers(if key == SectionKey::Locations {
                    numbers.allowing_negative()
                } else {
                    numbers
                })
            }
            SectionKey::TraceTree => Section::Nested(NestedNumbers::default()),
            SectionKey::Strings => {
                let wanted = self.strings_wanted.take().filter(|_| light);
                match wanted.or_else(|| self.light_names_used()) {
                    Some(keep) => Section::Strings(StringArray::keeping(keep)),
                    None => Section::Strings(StringArray::default()),
                }
            }
            SectionKey::Other => {
                Section::Skipped(ValueSkipper::skipping(format!("`{}`", self.key_name())))
            }
        };
        self.section = Some((key, section));
        self.state = TopState::Value;
        Ok(())
    }

    /// In light mode, once the nodes are in, the strings a light snapshot can use: the names of
    /// objects and natives (class names). The others, string contents mostly, are skipped.
    fn light_names_used(&self) -> Option<Vec<u32>> {
        let (meta, nodes) = (self.meta.as_ref()?, self.nodes.as_ref()?);
        if !self.options.light || !nodes.filtered {
            return None;
        }
        let layout = NodeLayout::light_from_file(meta);
        let ids = meta.node_type_ids;
        // Sorted indices rather than a flag per string: a bad index cannot make it huge.
        let mut names: Vec<u32> = nodes
            .kept
            .chunks_exact(layout.stride.max(1))
            .filter_map(|record| {
                let t = u8::try_from(*record.get(layout.node_type)?).ok();
                (t.is_some() && (t == ids.object || t == ids.native))
                    .then(|| record.get(layout.name).copied())
                    .flatten()
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        Some(names)
    }

    fn feed_section(&mut self, buf: &[u8], at: u64) -> Result<Progress> {
        match &mut self.section {
            Some((_, Section::Captured(s))) | Some((_, Section::Skipped(s))) => s.feed(buf, at),
            Some((_, Section::Numbers(s))) => s.feed(buf, at),
            Some((_, Section::Strings(s))) => s.feed(buf, at),
            Some((_, Section::Nested(s))) => s.feed(buf, at, "trace_tree"),
            None => unreachable_state().map(|_| Progress::NeedMore),
        }
    }

    fn close_section(&mut self) -> Result<()> {
        let Some((key, section)) = self.section.take() else {
            return Ok(());
        };
        match (key, section) {
            (SectionKey::Snapshot, Section::Captured(mut s)) => {
                self.meta = Some(SnapshotMeta::from_header_json(&s.take_capture())?);
            }
            (_, Section::Numbers(array)) => {
                let total = array.count();
                let (kept, filtered) = match array.sink {
                    NumberSink::All(v) => (v, false),
                    NumberSink::Fields { out, .. } => (out, true),
                    NumberSink::CountOnly => (Vec::new(), false),
                };
                let section = Some(NumberSection {
                    kept,
                    total,
                    filtered,
                });
                match key {
                    SectionKey::Nodes => self.nodes = section,
                    SectionKey::Edges => self.edges = section,
                    SectionKey::Locations => self.locations = section,
                    SectionKey::TraceFunctionInfos => self.trace_function_infos = section,
                    _ => {}
                }
            }
            (_, Section::Strings(s)) => self.strings = Some(s.table.finish()),
            (_, Section::Nested(s)) => self.trace_tokens = Some(s.tokens),
            _ => {}
        }
        Ok(())
    }

    fn eof_context(&self) -> String {
        match (&self.state, &self.section) {
            (TopState::Value, Some((_, _))) => format!("`{}`", self.key_name()),
            (TopState::InKey, _) => "a top-level key".into(),
            (TopState::Colon, _) => format!("the `:` after key `{}`", self.key_name()),
            (TopState::BeforeOpen, _) => "the start of the snapshot (input is empty)".into(),
            _ => "the top-level object".into(),
        }
    }

    /// Checks that the input was complete and consistent and hands over the
    /// parsed data.
    pub fn finish(self) -> Result<RawSnapshot> {
        if self.poisoned {
            return Err(SnapshotError::ParserPoisoned);
        }
        if !matches!(self.state, TopState::Done) {
            return Err(SnapshotError::UnexpectedEof {
                offset: self.offset,
                context: self.eof_context(),
            });
        }
        let meta = self.meta.ok_or(SnapshotError::MissingSection("snapshot"))?;
        let nodes = self.nodes.ok_or(SnapshotError::MissingSection("nodes"))?;
        let strings = self
            .strings
            .ok_or(SnapshotError::MissingSection("strings"))?;
        let edges = match self.edges {
            Some(e) => e,
            None if meta.edge_count == 0 || self.skipped => NumberSection {
                kept: Vec::new(),
                total: 0,
                filtered: false,
            },
            None => return Err(SnapshotError::MissingSection("edges")),
        };

        check_count("nodes", meta.node_count, meta.node.count, nodes.total)?;
        if !self.skipped {
            check_count("edges", meta.edge_count, meta.edge.count, edges.total)?;
        }
        if meta.node_count > u32::MAX as u64 {
            return Err(SnapshotError::TooLarge {
                what: "node_count",
                value: meta.node_count,
                limit: u32::MAX as u64,
            });
        }
        if meta.edge_count > u32::MAX as u64 {
            return Err(SnapshotError::TooLarge {
                what: "edge_count",
                value: meta.edge_count,
                limit: u32::MAX as u64,
            });
        }
        let locations = self.locations.map(|l| l.kept).unwrap_or_default();
        if let Some(loc) = &meta.location
            && !locations.len().is_multiple_of(loc.count.max(1))
        {
            return Err(SnapshotError::CountMismatch {
                section: "locations",
                declared: (locations.len() / loc.count.max(1) * loc.count) as u64,
                actual: locations.len() as u64,
            });
        }
        let trace_tree = match &self.trace_tokens {
            Some(tokens) if !self.options.light => flatten_trace_tree(&meta, tokens)?,
            _ => Vec::new(),
        };
        let (node_records, node_layout) = if !self.options.light {
            (nodes.kept, NodeLayout::full(&meta))
        } else if nodes.filtered {
            (nodes.kept, NodeLayout::light_from_file(&meta))
        } else {
            // The header came after `nodes`, so filter now.
            let keep = NodeLayout::light_keep_mask(&meta);
            let width = keep.len().max(1);
            let filtered = nodes
                .kept
                .iter()
                .enumerate()
                .filter(|(i, _)| keep.get(i % width).copied().unwrap_or(false))
                .map(|(_, &v)| v)
                .collect();
            (filtered, NodeLayout::light_from_file(&meta))
        };
        Ok(RawSnapshot {
            nodes: node_records,
            node_layout,
            edges: edges.kept,
            locations,
            trace_function_infos: self
                .trace_function_infos
                .map(|t| t.kept)
                .unwrap_or_default(),
            trace_tree,
            strings,
            light: self.options.light,
            edges_read: !self.skipped,
            bytes_read: self.offset,
            meta,
        })
    }
}

fn number_section_name(key: SectionKey) -> &'static str {
    match key {
        SectionKey::Nodes => "nodes",
        SectionKey::Edges => "edges",
        SectionKey::Locations => "locations",
        SectionKey::TraceFunctionInfos => "trace_function_infos",
        _ => "numbers",
    }
}

fn check_count(section: &'static str, count: u64, fields: usize, actual: u64) -> Result<()> {
    let declared = count.saturating_mul(fields as u64);
    if declared != actual {
        return Err(SnapshotError::CountMismatch {
            section,
            declared,
            actual,
        });
    }
    Ok(())
}

/// States the byte loop never reaches; reported instead of panicking.
fn unreachable_state() -> Result<()> {
    Err(SnapshotError::Internal(
        "the parser reached a state it has no rule for".into(),
    ))
}
