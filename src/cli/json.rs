//! JSON output as `JSON.stringify(value, null, 2)` writes it: two-space indents, and numbers
//! without a fraction printed as integers (the records carry sizes and counts as f64, which
//! serde_json would print as `200.0`).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

pub fn to_js_json(value: &impl Serialize) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, JsFormatter(PrettyFormatter::new()));
    value.serialize(&mut serializer)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

struct JsFormatter(PrettyFormatter<'static>);

/// Integers up to 2^53 are exact in a double and printed by JavaScript without a fraction.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

impl Formatter for JsFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        if value.fract() == 0.0 && value.abs() <= MAX_SAFE {
            write!(w, "{}", value as i64)
        } else {
            self.0.write_f64(w, value)
        }
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::to_js_json;

    #[test]
    fn whole_numbers_print_as_integers_and_layout_is_javascripts() {
        let value =
            serde_json::json!({ "count": 200.0, "half": 0.5, "empty": [], "list": [1.0, -2.0] });
        assert_eq!(
            to_js_json(&value).unwrap(),
            "{\n  \"count\": 200,\n  \"empty\": [],\n  \"half\": 0.5,\n  \"list\": [\n    1,\n    -2\n  ]\n}"
        );
    }
}
