//! JSON lines (NDJSON) and JSON arrays of objects into a [`Dataset`].
//!
//! Both are streamed: JSON lines one line at a time, a JSON array one element at a time (a
//! small scanner finds where each element ends, outside strings), so memory holds the store
//! being built plus one record, never the whole file.
//!
//! Each object is flattened: nested objects become dotted names (`properties.plan`), arrays
//! are kept as JSON text, numbers as numbers, `true` / `false` as text and `null` as empty.
//! Keys appear as the file goes on, so property columns are added mid-stream (earlier events
//! are null in them) and typed at the end like any column.
//!
//! Roles come from the keys of the first [`SNIFF_RECORDS`] objects through the same mapping
//! as delimited text. Three vendor shapes are recognised from the first object:
//! - Mixpanel raw export (`event` and a `properties` object holding `time` and
//!   `distinct_id`): the `properties.` prefix is dropped from names, so `properties.time`
//!   is `time` (epoch seconds or milliseconds) and `properties.$insert_id` the insert id;
//! - PostHog (`event`, `distinct_id`, `timestamp`, `properties.*`);
//! - Segment (`event`, `userId` or `anonymousId`, `timestamp`, `properties.*`, `context.*`,
//!   `messageId`): the user is `userId`, else `anonymousId`.
//!
//! A line (or element) that is not valid JSON, or not an object, is a rejected row with its
//! line number; the file fails as a whole only when no record at all is an object.

use super::csv::truncate;
use super::mapping::map_columns;
use super::RejectReason;
use super::{container::Counted, Dataset, Dedup, Format, ImportReport, LoadOptions, Progress};
use crate::engine::error::{Error, Result};
use crate::engine::store::StoreBuilder;
use crate::engine::time::parse_timestamp;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;

/// Objects read before the column roles are decided.
pub const SNIFF_RECORDS: usize = 1000;
/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 50_000;

/// Splits the input into records: lines, or the elements of a top-level array.
struct Records<R> {
    input: BufReader<R>,
    format: Format,
    /// Lines passed so far.
    line: u64,
    /// JSON array: the opening `[` was passed.
    opened: bool,
    /// JSON array: the closing `]` was passed, or the input ended.
    done: bool,
}

impl<R: Read> Records<R> {
    /// The next non-blank record into `out`, with the 1-based line it starts on.
    fn next(&mut self, out: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
        out.clear();
        match self.format {
            Format::JsonArray => self.next_element(out),
            _ => loop {
                out.clear();
                if self.input.read_until(b'\n', out)? == 0 {
                    return Ok(None);
                }
                self.line += 1;
                if self.line == 1 && out.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    out.drain(..3);
                }
                while out.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
                    out.pop();
                }
                if !out.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Some(self.line));
                }
            },
        }
    }

    /// The next element of the array: bytes up to the end of a balanced object or array, or
    /// up to the next top-level `,` or `]` for a scalar; the input's end ends it too (it is
    /// then truncated and will not parse).
    fn next_element(&mut self, out: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
        let (mut depth, mut in_string, mut escaped) = (0u32, false, false);
        let mut start = 0;
        loop {
            if self.done {
                return Ok((!out.is_empty()).then_some(start));
            }
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                continue;
            }
            let mut used = 0;
            let mut finished = false;
            for &b in buf {
                used += 1;
                if b == b'\n' {
                    self.line += 1;
                }
                if out.is_empty() {
                    // between elements
                    match b {
                        b'[' if !self.opened => self.opened = true,
                        b']' => {
                            self.done = true;
                            finished = true;
                            break;
                        }
                        b',' | 0xEF | 0xBB | 0xBF => {}
                        _ if b.is_ascii_whitespace() => {}
                        _ => {
                            start = self.line + 1;
                            out.push(b);
                            match b {
                                b'{' | b'[' => depth = 1,
                                b'"' => in_string = true,
                                _ => {}
                            }
                        }
                    }
                    continue;
                }
                if in_string {
                    out.push(b);
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b']' | b',' if depth == 0 => {
                        // the end of a scalar element
                        self.done = b == b']';
                        finished = true;
                        break;
                    }
                    _ => {}
                }
                out.push(b);
                if depth == 0 && matches!(b, b'}' | b']') {
                    finished = true;
                    break;
                }
            }
            self.input.consume(used);
            if finished && !out.is_empty() {
                return Ok(Some(start));
            }
        }
    }
}

/// Where a flattened key goes.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    User,
    Fallback,
    Event,
    Time,
    InsertId,
    Property(usize),
}

/// The vendor shape of the first object, if recognised.
fn shape_of(first: &Map<String, Value>) -> Option<&'static str> {
    let has = |k: &str| first.contains_key(k);
    if has("event") {
        if let Some(Value::Object(p)) = first.get("properties") {
            if p.contains_key("time") && p.contains_key("distinct_id") && !has("timestamp") {
                return Some("mixpanel");
            }
        }
        if (has("userId") || has("anonymousId")) && has("timestamp") {
            return Some("segment");
        }
        if has("distinct_id") && has("timestamp") {
            return Some("posthog");
        }
    }
    None
}

/// The column name of a flattened key in a shape: Mixpanel's `properties.` prefix dropped
/// (except where the rest is a top-level key, `event`).
fn column_name(shape: Option<&str>, key: &str) -> String {
    match (shape, key.strip_prefix("properties.")) {
        (Some("mixpanel"), Some(rest)) if rest != "event" => rest.to_string(),
        _ => key.to_string(),
    }
}

/// Calls `leaf(path, value)` for every non-null leaf of `obj`, with nested objects' keys
/// joined by `.`; `path` is a reused buffer.
fn flatten(obj: &Map<String, Value>, path: &mut String, leaf: &mut dyn FnMut(&str, &Value)) {
    for (k, v) in obj {
        let len = path.len();
        if len > 0 {
            path.push('.');
        }
        path.push_str(k);
        match v {
            Value::Object(inner) => flatten(inner, path, leaf),
            Value::Null => {}
            _ => leaf(path, v),
        }
        path.truncate(len);
    }
}

/// Appends the text of a leaf value to `text`.
fn write_value(v: &Value, text: &mut String) {
    use std::fmt::Write;
    match v {
        Value::String(s) => text.push_str(s),
        Value::Bool(b) => text.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(text, "{n}");
        }
        Value::Array(_) => {
            let _ = write!(text, "{v}");
        }
        Value::Null | Value::Object(_) => {}
    }
}

/// A record read ahead while sniffing.
enum Parsed {
    Object(Map<String, Value>),
    Reject(RejectReason, String),
}

fn parse(bytes: &[u8]) -> Parsed {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Parsed::Object(m),
        Ok(other) => Parsed::Reject(RejectReason::NotAnObject, truncate(&other.to_string(), 60)),
        Err(e) => Parsed::Reject(
            RejectReason::BadJson,
            format!("{e}: {}", truncate(&String::from_utf8_lossy(bytes), 60)),
        ),
    }
}

/// Loads JSON lines or a JSON array (`format` says which; [`super::load`] sniffs it).
pub fn load<R: Read>(
    input: R,
    format: Format,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let input = Counted::new(input);
    let bytes_read = input.counter();
    let mut records = Records {
        input: BufReader::with_capacity(1 << 16, input),
        format,
        line: 0,
        opened: false,
        done: false,
    };
    let naive_tz = opts
        .naive_timezone
        .clone()
        .unwrap_or_default()
        .resolve()
        .map_err(Error::Format)?;

    // read ahead until enough objects show the keys
    let mut ahead: Vec<(u64, Parsed)> = Vec::new();
    let mut objects = 0;
    let mut buf = Vec::new();
    while objects < SNIFF_RECORDS {
        let Some(line) = records.next(&mut buf)? else {
            break;
        };
        let p = parse(&buf);
        objects += usize::from(matches!(p, Parsed::Object(_)));
        ahead.push((line, p));
    }
    let Some(first) = ahead.iter().find_map(|(_, p)| match p {
        Parsed::Object(m) => Some(m),
        _ => None,
    }) else {
        let bad = ahead.iter().find_map(|(line, p)| match p {
            Parsed::Reject(_, detail) => Some(format!("line {line}: {detail}")),
            Parsed::Object(_) => None,
        });
        return Err(Error::Format(bad.map_or_else(
            || "the file is empty".into(),
            |b| format!("no record of the file is a JSON object ({b})"),
        )));
    };
    let shape = shape_of(first);
    // keys in first-appearance order, as the mapping's header
    let mut keys: Vec<String> = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut path = String::new();
    for (_, p) in &ahead {
        if let Parsed::Object(m) = p {
            flatten(m, &mut path, &mut |k, _| {
                if !seen.contains(k) {
                    seen.insert(k.to_string());
                    keys.push(k.to_string());
                }
            });
        }
    }
    let names: Vec<String> = keys.iter().map(|k| column_name(shape, k)).collect();
    let (roles, idx) = map_columns(&names, opts)?;
    let mut slots: FxHashMap<String, Slot> = FxHashMap::default();
    let mut builder = StoreBuilder::new(Vec::new());
    let mut role = |i: usize, s: Slot| {
        slots.insert(keys[i].clone(), s);
    };
    role(idx.user, Slot::User);
    role(idx.event, Slot::Event);
    role(idx.time, Slot::Time);
    if let Some(i) = idx.user_fallback {
        role(i, Slot::Fallback);
    }
    if let Some(i) = idx.insert_id {
        role(i, Slot::InsertId);
    }
    for &i in &idx.properties {
        let col = builder.add_property(names[i].clone());
        slots.insert(keys[i].clone(), Slot::Property(col));
    }
    let mut report = ImportReport {
        columns: roles.clone(),
        delimiter: ',',
        format: match format {
            Format::JsonArray => "json_array",
            _ => "ndjson",
        }
        .into(),
        shape: shape.map(str::to_string),
        ..Default::default()
    };

    let mut dedup = Dedup::default();
    let mut text = String::new();
    let mut cells: Vec<(Slot, Range<usize>)> = Vec::new();
    let mut props: Vec<(usize, Range<usize>)> = Vec::new();
    let mut row = |line: u64,
                   parsed: Parsed,
                   report: &mut ImportReport,
                   builder: &mut StoreBuilder,
                   path: &mut String| {
        let obj = match parsed {
            Parsed::Object(m) => m,
            Parsed::Reject(reason, detail) => {
                report.reject(line, reason, detail);
                return;
            }
        };
        text.clear();
        cells.clear();
        flatten(&obj, path, &mut |k, v| {
            let slot = match slots.get(k) {
                Some(&s) => s,
                None => {
                    let col = builder.add_property(column_name(shape, k));
                    slots.insert(k.to_string(), Slot::Property(col));
                    Slot::Property(col)
                }
            };
            let start = text.len();
            write_value(v, &mut text);
            cells.push((slot, start..text.len()));
        });
        let get = |s: Slot| {
            cells
                .iter()
                .find(|(c, _)| *c == s)
                .map_or("", |(_, r)| text[r.clone()].trim())
        };
        let mut user = get(Slot::User);
        if user.is_empty() {
            user = get(Slot::Fallback);
        }
        let (event, time) = (get(Slot::Event), get(Slot::Time));
        let missing = |name: &str| format!("key \"{name}\" is missing or empty");
        if user.is_empty() {
            return report.reject(line, RejectReason::MissingUser, missing(&roles.user));
        }
        if event.is_empty() {
            return report.reject(line, RejectReason::MissingEvent, missing(&roles.event));
        }
        if time.is_empty() {
            return report.reject(line, RejectReason::MissingTime, missing(&roles.time));
        }
        let Some(ts) = parse_timestamp(time, &naive_tz) else {
            return report.reject(
                line,
                RejectReason::BadTime,
                format!("\"{}\" in key \"{}\"", truncate(time, 60), roles.time),
            );
        };
        if dedup.repeated(get(Slot::InsertId)) {
            report.duplicates += 1;
            return;
        }
        props.clear();
        props.extend(cells.iter().filter_map(|(s, r)| match s {
            Slot::Property(c) => Some((*c, r.clone())),
            _ => None,
        }));
        builder.push_sparse(
            user,
            event,
            ts,
            props.iter().map(|(c, r)| (*c, &text[r.clone()])),
        );
        report.imported += 1;
    };

    let mut count = |report: &mut ImportReport| -> Result<()> {
        report.rows_in += 1;
        if report.rows_in.is_multiple_of(PROGRESS_EVERY) {
            let p = Progress {
                bytes: bytes_read.get(),
                total_bytes,
                rows: report.rows_in,
            };
            if !progress(p) {
                return Err(Error::Cancelled);
            }
        }
        Ok(())
    };
    for (line, parsed) in ahead {
        count(&mut report)?;
        row(line, parsed, &mut report, &mut builder, &mut path);
    }
    while let Some(line) = records.next(&mut buf)? {
        count(&mut report)?;
        row(line, parse(&buf), &mut report, &mut builder, &mut path);
    }
    report.bytes = bytes_read.get();
    progress(Progress {
        bytes: report.bytes,
        total_bytes,
        rows: report.rows_in,
    });
    Ok(Dataset {
        store: builder.finish(),
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::sniff_format;

    fn load_str(s: &str) -> Result<Dataset> {
        load(
            s.as_bytes(),
            sniff_format(s.as_bytes()),
            None,
            &LoadOptions::default(),
            &mut |_| true,
        )
    }

    fn cell(d: &Dataset, name: &str, i: usize) -> Option<String> {
        d.store.property(name).unwrap().display(i)
    }

    #[test]
    fn objects_are_flattened_and_keys_may_appear_late() {
        let text = r#"{"user_id":"u1","event":"a","timestamp":"2024-03-01T09:00:00Z","p":{"plan":"pro","n":1.5},"tags":["x","y"],"ok":true,"gone":null}
{"user_id":"u1","event":"b","timestamp":"2024-03-01T09:00:01Z","late":7,"p":{"n":2}}"#;
        let d = load_str(text).unwrap();
        assert_eq!(d.report.format, "ndjson");
        assert_eq!((d.report.rows_in, d.report.imported), (2, 2));
        // keys in the order of the first objects (sorted within an object)
        assert_eq!(
            d.report.columns.properties,
            ["ok", "p.n", "p.plan", "tags", "late"]
        );
        assert_eq!(cell(&d, "p.plan", 0).as_deref(), Some("pro"));
        assert_eq!(cell(&d, "p.plan", 1), None);
        assert_eq!(cell(&d, "p.n", 0).as_deref(), Some("1.5"));
        assert_eq!(cell(&d, "tags", 0).as_deref(), Some(r#"["x","y"]"#));
        assert_eq!(cell(&d, "ok", 0).as_deref(), Some("true"));
        assert_eq!(cell(&d, "late", 0), None);
        assert_eq!(cell(&d, "late", 1).as_deref(), Some("7"));
        assert!(d.store.property("gone").is_none());
        let kinds: Vec<_> = ["p.n", "late", "ok"]
            .map(|n| d.store.property(n).unwrap().kind())
            .to_vec();
        use crate::engine::store::PropertyKind::*;
        assert_eq!(kinds, [Number, Number, String]);
    }

    #[test]
    fn a_key_first_seen_after_the_sniffed_records_becomes_a_column() {
        let mut text = String::new();
        for i in 0..SNIFF_RECORDS + 1 {
            text.push_str(&format!(
                r#"{{"uid":"u{i}","event":"e","time":"2024-03-01""#
            ));
            if i == SNIFF_RECORDS {
                text.push_str(r#","new":"x""#);
            }
            text.push_str("}\n");
        }
        let d = load_str(&text).unwrap();
        assert!(d.report.columns.properties.is_empty());
        let p = d.store.property("new").unwrap();
        let set: Vec<usize> = (0..d.store.len())
            .filter(|&i| p.display(i).is_some())
            .collect();
        assert_eq!(
            set,
            [d.store
                .user_range(d.store.user_index("u1000").unwrap())
                .start]
        );
    }

    #[test]
    fn bad_lines_are_rejected_with_their_line_numbers() {
        // 1 good; 2 blank (not a row); 3 broken; 4 an array; 5 no event; 6 good
        let text = "{\"uid\":\"u1\",\"event\":\"a\",\"time\":1709283600}\n\
                    \n\
                    {\"uid\":\"u2\",\"event\":\n\
                    [1,2]\n\
                    {\"uid\":\"u2\",\"time\":1709283600}\n\
                    {\"uid\":\"u2\",\"event\":\"b\",\"time\":1709283600}\n";
        let r = load_str(text).unwrap().report;
        assert_eq!(
            (r.rows_in, r.imported, r.rejected, r.duplicates),
            (5, 2, 3, 0)
        );
        let got: Vec<(u64, RejectReason)> = r
            .reject_samples
            .iter()
            .map(|x| (x.line, x.reason))
            .collect();
        assert_eq!(
            got,
            [
                (3, RejectReason::BadJson),
                (4, RejectReason::NotAnObject),
                (5, RejectReason::MissingEvent)
            ]
        );
    }

    #[test]
    fn mixpanel_shape_drops_the_prefix_and_dedupes_on_insert_id() {
        // time in seconds (1709283600 = 2024-03-01T09:00:00Z) and in milliseconds
        let text = r#"{"event":"Signed up","properties":{"time":1709283600,"distinct_id":"u1","$insert_id":"a1","$city":"Paris"}}
{"event":"Signed up","properties":{"time":1709283700,"distinct_id":"u1","$insert_id":"a1","$city":"Paris"}}
{"event":"Paid","properties":{"time":1709283600500,"distinct_id":"u1","$insert_id":"a2"}}"#;
        let d = load_str(text).unwrap();
        let r = &d.report;
        assert_eq!(r.shape.as_deref(), Some("mixpanel"));
        assert_eq!(
            (r.columns.user.as_str(), r.columns.time.as_str()),
            ("distinct_id", "time")
        );
        assert_eq!(r.columns.insert_id.as_deref(), Some("$insert_id"));
        assert_eq!(r.columns.properties, ["$city"]);
        assert_eq!(
            (r.rows_in, r.imported, r.duplicates, r.rejected),
            (3, 2, 1, 0)
        );
        let t0 = (19_783 * 86_400 + 9 * 3600) * 1_000_000;
        assert_eq!(d.store.times(), &[t0, t0 + 500_000]);
    }

    #[test]
    fn a_json_array_is_split_outside_strings() {
        let text = "[\n {\"uid\":\"u1\",\"event\":\"a ] }, {\",\"time\":\"2024-03-01\",\n  \"q\":\"\\\"}\"},\n\
                    \"text\",\n {\"uid\":\"u2\",\"event\":\"b\",\"time\":\"2024-03-01\",\"l\":[{\"x\":1}]}\n]\n";
        let d = load_str(text).unwrap();
        let r = &d.report;
        assert_eq!(r.format, "json_array");
        assert_eq!((r.rows_in, r.imported, r.rejected), (3, 2, 1));
        assert_eq!(
            (r.reject_samples[0].line, r.reject_samples[0].reason),
            (4, RejectReason::NotAnObject)
        );
        assert_eq!(d.store.event_names().get(0), "a ] }, {");
        assert_eq!(cell(&d, "q", 0).as_deref(), Some("\"}"));
        assert_eq!(cell(&d, "l", 1).as_deref(), Some(r#"[{"x":1}]"#));
    }

    #[test]
    fn a_file_without_any_object_fails_as_a_whole() {
        let msg = load_str("{oops\n{\"a\":\n").unwrap_err().to_string();
        assert!(msg.contains("no record") && msg.contains("line 1"), "{msg}");
        assert!(load_str("[]").unwrap_err().to_string().contains("empty"));
    }
}
