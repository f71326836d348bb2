//! A [`StackProfile`] as pprof's `profile.proto` (uncompressed: callers gzip it, as `go tool
//! pprof` and Pyroscope expect), the form heap profiles travel in. Two value types per sample,
//! objects and bytes, named as Go names in-use heap profiles (`inuse_objects`, `inuse_space`),
//! or `growth_*` for a profile of growth between two windows, whose values may be negative.

use super::profile::StackProfile;

/// What a pprof profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PprofKind {
    /// Live memory at one time.
    Live,
    /// What each stack gained between two times.
    Growth,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PprofOptions {
    pub kind: PprofKind,
    /// The sampling interval, pprof's `period` (bytes).
    pub interval_bytes: u64,
    /// When the profile was taken (Unix time, ns); 0 when unknown.
    pub time_nanos: i64,
    /// What it covers (ns): the watch, or the time between the two windows of a growth profile.
    pub duration_nanos: i64,
}

/// The profile's bytes: a `perftools.profiles.Profile` message.
pub fn encode_pprof(profile: &StackProfile, opts: &PprofOptions) -> Vec<u8> {
    let mut strings = Strings::default();
    let prefix = match opts.kind {
        PprofKind::Live => "inuse",
        PprofKind::Growth => "growth",
    };
    let mut out = Writer::default();
    for (kind, unit) in [
        (format!("{prefix}_objects"), "count"),
        (format!("{prefix}_space"), "bytes"),
    ] {
        let mut vt = Writer::default();
        vt.int(1, strings.id(&kind));
        vt.int(2, strings.id(unit));
        out.bytes(1, &vt.0);
    }
    for stack in &profile.stacks {
        let mut sample = Writer::default();
        // Location ids are frame indices + 1, allocating frame first as pprof wants.
        sample.packed(1, stack.frames.iter().map(|&f| u64::from(f) + 1));
        sample.packed(
            2,
            [stack.objects, stack.bytes]
                .into_iter()
                .map(|v| v.round() as i64 as u64),
        );
        out.bytes(2, &sample.0);
    }
    for (i, frame) in profile.frames.iter().enumerate() {
        let id = i as u64 + 1;
        let mut line = Writer::default();
        line.int(1, id as i64);
        line.int(2, i64::from(frame.line));
        line.int(3, i64::from(frame.column));
        let mut location = Writer::default();
        location.int(1, id as i64);
        location.bytes(4, &line.0);
        out.bytes(4, &location.0);
    }
    for (i, frame) in profile.frames.iter().enumerate() {
        let mut function = Writer::default();
        function.int(1, i as i64 + 1);
        let name = strings.id(frame.name());
        function.int(2, name);
        function.int(3, name);
        function.int(4, strings.id(&frame.url));
        function.int(5, i64::from(frame.line));
        out.bytes(5, &function.0);
    }
    let space = strings.id("space");
    let bytes = strings.id("bytes");
    let comment = strings.id("leakhound: V8 sampling heap profile");
    for s in &strings.list {
        out.bytes(6, s.as_bytes());
    }
    out.int(9, opts.time_nanos);
    out.int(10, opts.duration_nanos);
    let mut period_type = Writer::default();
    period_type.int(1, space);
    period_type.int(2, bytes);
    out.bytes(11, &period_type.0);
    out.int(12, opts.interval_bytes as i64);
    out.packed(13, [comment as u64]);
    // Bytes are what people look at first.
    out.int(14, strings.id(&format!("{prefix}_space")));
    out.0
}

/// The string table: index 0 is the empty string, as the format requires.
struct Strings {
    list: Vec<String>,
    ids: std::collections::HashMap<String, i64>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings {
            list: vec![String::new()],
            ids: [(String::new(), 0)].into_iter().collect(),
        }
    }
}

impl Strings {
    fn id(&mut self, s: &str) -> i64 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        self.list.push(s.to_string());
        self.ids.insert(s.to_string(), self.list.len() as i64 - 1);
        self.list.len() as i64 - 1
    }
}

/// Protocol buffers' wire format, the three shapes this message needs.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    /// A varint field; zero is the default and is left out.
    fn int(&mut self, field: u32, v: i64) {
        if v != 0 {
            self.varint(u64::from(field) << 3);
            self.varint(v as u64);
        }
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.varint((u64::from(field) << 3) | 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn packed(&mut self, field: u32, values: impl IntoIterator<Item = u64>) {
        let mut inner = Writer::default();
        for v in values {
            inner.varint(v);
        }
        self.bytes(field, &inner.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::profile::parse_profile;
    use crate::allocation::profile::tests::two_callers;

    /// Reads one message's fields: (field, varint value or bytes).
    fn fields(mut b: &[u8]) -> Vec<(u64, Result<u64, Vec<u8>>)> {
        fn varint(b: &mut &[u8]) -> u64 {
            let (mut v, mut shift) = (0u64, 0);
            loop {
                let byte = b[0];
                *b = &b[1..];
                v |= u64::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    return v;
                }
                shift += 7;
            }
        }
        let mut out = Vec::new();
        while !b.is_empty() {
            let key = varint(&mut b);
            match key & 7 {
                0 => out.push((key >> 3, Ok(varint(&mut b)))),
                2 => {
                    let len = varint(&mut b) as usize;
                    out.push((key >> 3, Err(b[..len].to_vec())));
                    b = &b[len..];
                }
                w => panic!("wire type {w}"),
            }
        }
        out
    }

    fn packed(b: &[u8]) -> Vec<i64> {
        let mut out = Vec::new();
        let mut v = 0u64;
        let mut shift = 0;
        for &byte in b {
            v |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                out.push(v as i64);
                (v, shift) = (0, 0);
            }
        }
        out
    }

    #[test]
    fn samples_strings_and_types_read_back() {
        let profile = parse_profile(&two_callers(), 1000.0).unwrap();
        let opts = PprofOptions {
            kind: PprofKind::Live,
            interval_bytes: 1000,
            time_nanos: 1_700_000_000_000_000_000,
            duration_nanos: 5_000_000_000,
        };
        let top = fields(&encode_pprof(&profile, &opts));
        let strings: Vec<String> = top
            .iter()
            .filter(|f| f.0 == 6)
            .map(|f| String::from_utf8(f.1.clone().unwrap_err()).unwrap())
            .collect();
        assert_eq!(strings[0], "");
        let sample_types: Vec<Vec<i64>> = top
            .iter()
            .filter(|f| f.0 == 1)
            .map(|f| {
                fields(f.1.as_ref().unwrap_err())
                    .iter()
                    .map(|x| x.1.clone().unwrap() as i64)
                    .collect()
            })
            .collect();
        let named = |v: &[i64]| format!("{}/{}", strings[v[0] as usize], strings[v[1] as usize]);
        assert_eq!(named(&sample_types[0]), "inuse_objects/count");
        assert_eq!(named(&sample_types[1]), "inuse_space/bytes");
        let mut total = 0;
        let mut deepest = 0;
        for sample in top.iter().filter(|f| f.0 == 2) {
            let inner = fields(sample.1.as_ref().unwrap_err());
            let locations = packed(inner[0].1.as_ref().unwrap_err());
            let values = packed(inner[1].1.as_ref().unwrap_err());
            total += values[1];
            deepest = deepest.max(locations.len());
        }
        assert_eq!(total, 4500);
        assert_eq!(deepest, 3);
        assert!(strings.iter().any(|s| s == "file:///srv/app.js"));
        let period = top.iter().find(|f| f.0 == 12).unwrap();
        assert_eq!(period.1, Ok(1000));
    }

    #[test]
    fn growth_values_may_be_negative() {
        let before = parse_profile(&two_callers(), 1000.0).unwrap();
        let after = parse_profile(&two_callers().replace("3000", "1000"), 1000.0).unwrap();
        let opts = PprofOptions {
            kind: PprofKind::Growth,
            interval_bytes: 1000,
            time_nanos: 0,
            duration_nanos: 0,
        };
        let top = fields(&encode_pprof(&after.growth_since(&before), &opts));
        let sample = top.iter().find(|f| f.0 == 2).unwrap();
        let inner = fields(sample.1.as_ref().unwrap_err());
        assert_eq!(packed(inner[1].1.as_ref().unwrap_err())[1], -2000);
    }
}
