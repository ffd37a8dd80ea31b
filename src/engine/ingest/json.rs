//! JSON lines (NDJSON) and JSON arrays of objects into a [`Dataset`].
//!
//! Both are streamed: JSON lines one line at a time, a JSON array one element at a time (a
//! small scanner finds where each element ends, outside strings), so memory holds the store
//! being built plus one record, never the whole file.
//!
//! Each object is flattened as it is parsed (no `serde_json::Value` is built for objects):
//! nested objects become dotted names (`properties.plan`), arrays
//! are kept as JSON text, numbers as numbers, `true` / `false` as text and `null` as empty.
//! Keys appear as the file goes on, so property columns are added mid-stream (earlier events
//! are null in them) and typed at the end like any column.
//!
//! Roles come from the keys of the first [`SNIFF_RECORDS`] objects through the same mapping
//! as delimited text. Seven vendor shapes are recognised from the first object:
//! - Mixpanel raw export (`event` and a `properties` object holding `time` and
//!   `distinct_id`): the `properties.` prefix is dropped from names, so `properties.time`
//!   is `time` (epoch seconds or milliseconds) and `properties.$insert_id` the insert id;
//! - PostHog (`event`, `distinct_id`, `timestamp`, `properties.*`);
//! - Segment (`event`, `userId` or `anonymousId`, `timestamp`, `properties.*`, `context.*`,
//!   `messageId`): the user is `userId`, else `anonymousId`;
//! - Amplitude export (`event_type`, `event_time` as UTC `YYYY-MM-DD HH:MM:SS.ffffff`,
//!   `user_id` or `device_id`, `event_properties.*`, `user_properties.*`, `$insert_id` or
//!   `insert_id`): the user is `user_id`, else `device_id`; the insert id dedupes;
//! - GA4 BigQuery export (`event_name`, `event_timestamp` in microseconds as a number or a
//!   string, `user_pseudo_id`, `event_params`): the user is `user_id`, else
//!   `user_pseudo_id`; the `event_params` array of `{key, value: {string_value | int_value |
//!   double_value | float_value}}` becomes one property per key, `user_properties` likewise
//!   as `user.<key>`; `device.*`, `geo.*`, `traffic_source.*` are flattened as any object.
//! - Sensors Data (`distinct_id`, `time` in ms, `type`, `event`, `properties.*` without the
//!   prefix, `_track_id` the insert id): only `track` records are events, the others are set
//!   aside by reason ([`SetAsideReason`]) and their keys are not columns;
//! - Snowplow enriched events (`event_id`, `domain_userid`, `collector_tstamp` or
//!   `derived_tstamp`): event `event_name`, time `derived_tstamp` first, user `user_id` else
//!   `domain_userid`, insert id `event_id` (see [`super::mapping`]).
//!
//! A line (or element) that is not valid JSON, not an object, or not UTF-8 is a rejected row
//! with its line number; the file fails as a whole only when no record at all is an object.

use super::mapping::{ignoring_seen, map_columns};
use super::truncate;
use super::PROGRESS_EVERY;
use super::{
    container::Counted, decide_date_order, Dataset, Dedup, Format, ImportReport, LoadOptions,
    Progress, DATE_SAMPLE,
};
use super::{RejectReason, SetAsideReason};
use crate::engine::error::{Error, Result};
use crate::engine::store::StoreBuilder;
use crate::engine::time::parse_timestamp_in;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt::Write;
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;

/// Objects read before the column roles are decided.
pub const SNIFF_RECORDS: usize = 1000;

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
    /// The record type of a Sensors Data row (`track`, `profile_set`, `item_set`, ...).
    Kind,
    Property(usize),
    /// A key of [`LoadOptions::ignore_columns`]: not imported.
    Ignored,
}

/// One object flattened: (key, value) ranges into `keys` and `text`, in file order; null
/// values are left out.
#[derive(Default)]
pub(crate) struct Flat {
    keys: String,
    text: String,
    cells: Vec<(Range<usize>, Range<usize>)>,
}

impl Flat {
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.text.clear();
        self.cells.clear();
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        self.cells.iter().map(|(k, _)| &self.keys[k.clone()])
    }

    fn has(&self, key: &str) -> bool {
        self.keys().any(|k| k == key)
    }

    /// The value of `key`, if the object has it.
    fn get(&self, key: &str) -> Option<&str> {
        self.cells
            .iter()
            .find(|(k, _)| &self.keys[k.clone()] == key)
            .map(|(_, v)| &self.text[v.clone()])
    }

    fn push(&mut self, key: &[&str], value: &str) {
        let (k0, v0) = (self.keys.len(), self.text.len());
        for part in key {
            self.keys.push_str(part);
        }
        self.text.push_str(value);
        self.cells.push((k0..self.keys.len(), v0..self.text.len()));
    }
}

/// GA4's typed values, in the order the first non-null one is taken.
const GA4_VALUES: [&str; 4] = ["string_value", "int_value", "double_value", "float_value"];

/// Turns GA4's repeated `{key, value: {string_value | int_value | double_value |
/// float_value}}` records into one cell per key: `event_params` by their key,
/// `user_properties` as `user.<key>`. A record without a key or a non-null value is left
/// out; a cell that is not such an array is kept as it is (its JSON text).
fn expand_ga4(flat: &mut Flat) {
    let cells = std::mem::take(&mut flat.cells);
    for (k, v) in cells {
        let prefix = match &flat.keys[k.clone()] {
            "event_params" => "",
            "user_properties" => "user.",
            _ => {
                flat.cells.push((k, v));
                continue;
            }
        };
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&flat.text[v.clone()]) else {
            flat.cells.push((k, v));
            continue;
        };
        for item in &items {
            let Some(key) = item.get("key").and_then(Value::as_str) else {
                continue;
            };
            let value = item.get("value").and_then(|value| {
                GA4_VALUES
                    .iter()
                    .find_map(|f| value.get(f).filter(|x| !x.is_null()))
            });
            match value {
                Some(Value::String(s)) => flat.push(&[prefix, key], s),
                Some(other) => flat.push(&[prefix, key], &other.to_string()),
                None => {}
            }
        }
    }
}

/// A deserializer seed that flattens the value it reads into a [`Flat`] under `path`
/// (nested object keys joined by `.`), without building a `serde_json::Value` for objects.
struct Node<'a> {
    flat: &'a mut Flat,
    path: &'a mut String,
}

impl Node<'_> {
    fn leaf(self, write: impl FnOnce(&mut String)) {
        let (k0, v0) = (self.flat.keys.len(), self.flat.text.len());
        self.flat.keys.push_str(self.path);
        write(&mut self.flat.text);
        let cell = (k0..self.flat.keys.len(), v0..self.flat.text.len());
        self.flat.cells.push(cell);
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<(), E> {
        self.leaf(|t| t.push_str(if v { "true" } else { "false" }));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<(), E> {
        self.leaf(|t| {
            let _ = write!(t, "{v}");
        });
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<(), E> {
        self.leaf(|t| {
            let _ = write!(t, "{v}");
        });
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<(), E> {
        self.leaf(|t| {
            let _ = write!(t, "{v}");
        });
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<(), E> {
        self.leaf(|t| t.push_str(v));
        Ok(())
    }

    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let Node { flat, path } = self;
        let len = path.len();
        while map.next_key_seed(Key(&mut *path, len))?.is_some() {
            map.next_value_seed(Node {
                flat: &mut *flat,
                path: &mut *path,
            })?;
            path.truncate(len);
        }
        Ok(())
    }

    /// An array is kept as its JSON text.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        let array = Value::Array(items);
        self.leaf(|t| {
            let _ = write!(t, "{array}");
        });
        Ok(())
    }
}

/// Appends an object key to the path, after a `.` below the top level (`len` is the path's
/// length at the object).
struct Key<'a>(&'a mut String, usize);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, k: &str) -> std::result::Result<(), E> {
        if self.1 > 0 {
            self.0.push('.');
        }
        self.0.push_str(k);
        Ok(())
    }
}

/// What [`expand_cell`] did with a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    /// A JSON object: its values were added as cells.
    Expanded,
    /// Valid JSON but not an object (an array, a number, ...): to keep as text.
    NotAnObject,
    /// Not valid JSON: to keep as text.
    Invalid,
}

/// Adds the values of the JSON object in `text` to `flat`, named `prefix.key` (nested keys
/// joined by `.`, arrays as JSON text, nulls left out); `path` is a reused buffer.
pub(crate) fn expand_cell(text: &str, prefix: &str, flat: &mut Flat, path: &mut String) -> Cell {
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Cell::NotAnObject,
            Err(_) => Cell::Invalid,
        };
    }
    let (k0, v0, n0) = (flat.keys.len(), flat.text.len(), flat.cells.len());
    path.clear();
    path.push_str(prefix);
    let mut de = serde_json::Deserializer::from_str(text);
    let ok = Node {
        flat: &mut *flat,
        path,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .is_ok();
    if ok {
        Cell::Expanded
    } else {
        flat.keys.truncate(k0);
        flat.text.truncate(v0);
        flat.cells.truncate(n0);
        Cell::Invalid
    }
}

/// The cells of `flat`: (key, value).
pub(crate) fn cells(flat: &Flat) -> impl Iterator<Item = (&str, &str)> {
    flat.cells
        .iter()
        .map(|(k, v)| (&flat.keys[k.clone()], &flat.text[v.clone()]))
}

/// Why a record is not an event row.
type Bad = (RejectReason, String);

/// Flattens the record `bytes` into `flat` (`path` is a reused buffer), or says why it is
/// rejected.
fn parse(bytes: &[u8], flat: &mut Flat, path: &mut String) -> std::result::Result<(), Bad> {
    flat.clear();
    path.clear();
    // text, so the parser shares its code with the worker's other JSON (from `str`)
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err((
            RejectReason::Encoding,
            "bytes not valid in the file's encoding".into(),
        ));
    };
    let bad = |e: serde_json::Error| {
        (
            RejectReason::BadJson,
            format!("{e}: {}", truncate(text, 60)),
        )
    };
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        return Err(match serde_json::from_str::<Value>(text) {
            Ok(v) => (RejectReason::NotAnObject, truncate(&v.to_string(), 60)),
            Err(e) => bad(e),
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    Node { flat, path }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(bad)
}

/// The vendor shape of a record whose flattened keys are those `has` knows (the first object
/// of a JSON file, the columns of a Parquet file), if recognised; `record_type` is the
/// record's `type` value where there is one (Sensors Data's `track`, `profile_set`, ...).
pub(crate) fn shape_of(
    has: &dyn Fn(&str) -> bool,
    record_type: Option<&str>,
) -> Option<&'static str> {
    if has("event_name") && has("event_timestamp") && (has("user_pseudo_id") || has("event_params"))
    {
        return Some("ga4");
    }
    if has("event_type") && has("event_time") && (has("user_id") || has("device_id")) {
        return Some("amplitude");
    }
    let sensors_type = record_type.is_some_and(|t| {
        t == "track"
            || t.starts_with("profile_")
            || t.starts_with("item_")
            || t.starts_with("track_")
    });
    if sensors_type && has("distinct_id") && has("time") && !has("timestamp") {
        return Some("sensors");
    }
    if has("event_id") && has("domain_userid") && (has("collector_tstamp") || has("derived_tstamp"))
    {
        return Some("snowplow");
    }
    if has("event") {
        if has("properties.time") && has("properties.distinct_id") && !has("timestamp") {
            return Some("mixpanel");
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

/// The column name of a flattened key in a shape: Mixpanel's and Sensors Data's
/// `properties.` prefix dropped (except where the rest is a top-level key, `event`).
pub(crate) fn column_name(shape: Option<&str>, key: &str) -> String {
    match (shape, key.strip_prefix("properties.")) {
        (Some("mixpanel" | "sensors"), Some(rest))
            if rest != "event" && (shape == Some("mixpanel") || !SENSORS_TOP.contains(&rest)) =>
        {
            rest.to_string()
        }
        _ => key.to_string(),
    }
}

/// Why a record of a shape is not an event: a Sensors Data record whose `type` is not
/// `track` (profiles, items, identity links) is set aside.
fn set_aside(shape: Option<&str>, flat: &Flat) -> Option<SetAsideReason> {
    if shape != Some("sensors") {
        return None;
    }
    match flat.get("type").map(str::trim) {
        None | Some("track") => None,
        Some(k) if k.starts_with("profile_") => Some(SetAsideReason::ProfileRow),
        Some(k) if k.starts_with("item_") => Some(SetAsideReason::ItemRow),
        Some(_) => Some(SetAsideReason::NotAnEvent),
    }
}

/// The top-level keys of a Sensors Data record, which a property of the same name does not
/// take over (it keeps its `properties.` prefix).
const SENSORS_TOP: [&str; 5] = ["distinct_id", "time", "type", "event", "_track_id"];

/// Column names, rows of cells, and the vendor shape: what [`preview`] reads.
pub(crate) type Preview = (Vec<String>, Vec<Vec<String>>, Option<&'static str>);

/// The columns (keys in first-appearance order, named as the loader names them), the
/// first `rows` objects as cells in that order, and the vendor shape, read from `head`
/// (the start of the text; a record cut off at its end is left out). For the mapping step.
pub(crate) fn preview(head: &[u8], format: Format, rows: usize) -> Result<Preview> {
    let mut records = Records {
        input: BufReader::new(head),
        format,
        line: 0,
        opened: false,
        done: false,
    };
    let (mut buf, mut path) = (Vec::new(), String::new());
    let mut flats: Vec<Flat> = Vec::new();
    while flats.len() < rows {
        let Ok(Some(_)) = records.next(&mut buf) else {
            break;
        };
        let mut flat = Flat::default();
        if parse(&buf, &mut flat, &mut path).is_ok() {
            flats.push(flat);
        }
    }
    let Some(first) = flats.first() else {
        return Err(
            Error::format("no JSON object found at the start of the file")
                .keyed("no_json_object", &[]),
        );
    };
    let shape = shape_of(&|k: &str| first.has(k), first.get("type"));
    if shape == Some("ga4") {
        for flat in &mut flats {
            expand_ga4(flat);
        }
    }
    let mut keys: Vec<String> = Vec::new();
    for flat in &flats {
        for k in flat.keys() {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
    }
    let cells = flats
        .iter()
        .map(|f| {
            keys.iter()
                .map(|k| {
                    f.cells
                        .iter()
                        .find(|(kr, _)| &f.keys[kr.clone()] == k)
                        .map_or_else(String::new, |(_, v)| f.text[v.clone()].to_string())
                })
                .collect()
        })
        .collect();
    let names = keys.iter().map(|k| column_name(shape, k)).collect();
    Ok((names, cells, shape))
}

/// Loads JSON lines or a JSON array (`format` says which; [`super::load`] sniffs it). A row
/// whose insert id is in `dedup` (from earlier files) is a duplicate.
pub fn load<R: Read>(
    input: R,
    format: Format,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
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
    let naive_tz = super::naive_zone(opts)?;

    // read ahead until enough objects show the keys
    let mut ahead: Vec<(u64, std::result::Result<Flat, Bad>)> = Vec::new();
    let mut objects = 0;
    let mut buf = Vec::new();
    let mut path = String::new();
    while objects < SNIFF_RECORDS {
        let Some(line) = records.next(&mut buf)? else {
            break;
        };
        let mut flat = Flat::default();
        let p = parse(&buf, &mut flat, &mut path).map(|()| flat);
        objects += usize::from(p.is_ok());
        ahead.push((line, p));
    }
    let Some(first) = ahead.iter().find_map(|(_, p)| p.as_ref().ok()) else {
        let bad = ahead
            .iter()
            .find_map(|(line, p)| p.as_ref().err().map(|(_, d)| (line, d)));
        return Err(match bad {
            None => super::empty_file(),
            Some((line, detail)) => Error::format(format!(
                "no record of the file is a JSON object (line {line}: {detail})"
            ))
            .keyed("no_json_records", &[("line", line), ("detail", detail)]),
        });
    };
    let shape = shape_of(&|k: &str| first.has(k), first.get("type"));
    if shape == Some("ga4") {
        for flat in ahead.iter_mut().filter_map(|(_, p)| p.as_mut().ok()) {
            expand_ga4(flat);
        }
    }
    // keys in first-appearance order, as the mapping's header
    let mut keys: Vec<String> = Vec::new();
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    for flat in ahead.iter().filter_map(|(_, p)| p.as_ref().ok()) {
        if set_aside(shape, flat).is_some() {
            continue;
        }
        for k in flat.keys() {
            if seen.insert(k) {
                keys.push(k.to_string());
            }
        }
    }
    drop(seen);
    let names: Vec<String> = keys.iter().map(|k| column_name(shape, k)).collect();
    let (roles, idx) = map_columns(&names, &ignoring_seen(opts, &names), shape)?;
    let time_key = &keys[idx.time];
    let day_first = decide_date_order(
        opts,
        &roles.time,
        ahead
            .iter()
            .filter_map(|(_, p)| p.as_ref().ok())
            .filter(|f| set_aside(shape, f).is_none())
            .filter_map(|f| f.get(time_key))
            .take(DATE_SAMPLE),
        &naive_tz,
    )?;
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
    // Sensors Data: the record type says which rows are events; it is not a property
    let mut roles = roles;
    let mut idx = idx;
    if shape == Some("sensors") {
        if let Some(at) = idx.properties.iter().position(|&i| keys[i] == "type") {
            role(idx.properties.remove(at), Slot::Kind);
            roles.properties.retain(|p| p != "type");
        }
    }
    for &i in &idx.properties {
        let col = builder.add_property(names[i].clone());
        slots.insert(keys[i].clone(), Slot::Property(col));
    }
    for (k, n) in keys.iter().zip(&names) {
        if roles.ignored.contains(n) {
            slots.insert(k.clone(), Slot::Ignored);
        }
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

    let mut cells: Vec<(Slot, Range<usize>)> = Vec::new();
    let mut props: Vec<(usize, Range<usize>)> = Vec::new();
    let mut row =
        |line: u64, flat: &Flat, report: &mut ImportReport, builder: &mut StoreBuilder| {
            if let Some(aside) = set_aside(shape, flat) {
                return report.set_aside(aside);
            }
            cells.clear();
            for (k, v) in &flat.cells {
                let key = &flat.keys[k.clone()];
                let slot = match slots.get(key) {
                    Some(&s) => s,
                    None => {
                        let name = column_name(shape, key);
                        let slot = if opts.ignore_columns.contains(&name) {
                            Slot::Ignored
                        } else {
                            Slot::Property(builder.add_property(name))
                        };
                        slots.insert(key.to_string(), slot);
                        slot
                    }
                };
                cells.push((slot, v.clone()));
            }
            let text = &flat.text;
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
            let Some(ts) = parse_timestamp_in(time, &naive_tz, day_first) else {
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
        match parsed {
            Ok(flat) => row(line, &flat, &mut report, &mut builder),
            Err((reason, detail)) => report.reject(line, reason, detail),
        }
    }
    let mut flat = Flat::default();
    while let Some(line) = records.next(&mut buf)? {
        count(&mut report)?;
        match parse(&buf, &mut flat, &mut path) {
            Ok(()) => {
                if shape == Some("ga4") {
                    expand_ga4(&mut flat);
                }
                row(line, &flat, &mut report, &mut builder)
            }
            Err((reason, detail)) => report.reject(line, reason, detail),
        }
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
            &mut Dedup::default(),
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
        // keys in the order they first appear in the file
        assert_eq!(
            d.report.columns.properties,
            ["p.plan", "p.n", "tags", "ok", "late"]
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
    fn a_line_that_is_not_utf8_is_an_encoding_reject() {
        let mut bytes = b"{\"uid\":\"u1\",\"event\":\"a\",\"time\":1709283600}\n".to_vec();
        bytes.extend(b"{\"uid\":\"u2\",\"event\":\"\xb5\xc7\",\"time\":1709283600}\n");
        let d = load(
            &bytes[..],
            Format::JsonLines,
            None,
            &LoadOptions::default(),
            &mut Dedup::default(),
            &mut |_| true,
        )
        .unwrap();
        let r = &d.report;
        assert_eq!((r.rows_in, r.imported, r.rejected), (2, 1, 1));
        assert_eq!(
            (r.reject_samples[0].line, r.reject_samples[0].reason),
            (2, RejectReason::Encoding)
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
