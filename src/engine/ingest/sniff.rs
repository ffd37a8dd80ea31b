//! Sniffing: what a file is and how its columns would be read, from its first bytes only.
//!
//! [`sniff_file`] (and [`sniff`] for an input that cannot seek) opens the input as
//! [`super::load`] does (container, encoding, format) but reads only the first 64 KiB of
//! its text, and says: the container, format, vendor shape, encoding and delimiter; whether
//! the first row is a header line (the rule is in [`super::csv`]); each column's name, its
//! role as the load would decide it, and its type; and the first [`PREVIEW_ROWS`] rows,
//! decoded. The app's mapping step and `loupe inspect --sniff` show it.
//!
//! Roles: user, event and time are found one by one (a missing one is left out, and
//! `mapping_error` says why the load would stop); the insert id and the anonymous id behind
//! a user id only when the three are found; every other column is a property.
//! Types, from the sniffed rows: `time` when every non-empty cell is a timestamp and either
//! the column is the time column or some cell is not a plain number; `number` when every
//! non-empty cell is a number; `text` otherwise (also for an empty column).

use super::csv::{first_row, has_header, numbered_names, sniff_delimiter, unique_names};
use super::mapping::{map_columns, partial_roles, shape_of_headers};
use super::{archive, encoding, json, open_text, Format, LoadOptions, OpenText};
use crate::engine::error::Result;
use crate::engine::time::{parse_timestamp, Zone};
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom};

/// Data rows shown in the preview.
pub const PREVIEW_ROWS: usize = 10;
/// Data rows read to decide the column types.
const TYPE_ROWS: usize = 200;
/// Characters kept of a preview cell.
const MAX_CELL: usize = 80;

/// The role a column plays in the import.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The user id.
    User,
    /// The event name.
    Event,
    /// The timestamp.
    Time,
    /// The id a vendor gives each event (rows repeating it are duplicates).
    InsertId,
    /// The id read where the user id is empty (an anonymous or device id).
    UserFallback,
    /// An event property.
    Property,
    /// Not imported ([`LoadOptions::ignore_columns`]).
    Ignored,
}

/// The type of a column's values.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Numbers.
    Number,
    /// Text.
    Text,
    /// Timestamps.
    Time,
}

/// One column as sniffed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SniffColumn {
    /// The name (header name, `column_N` without a header line, or a flattened JSON key).
    pub name: String,
    /// Its role in the import with the options given.
    pub role: Role,
    /// Its type.
    pub kind: Kind,
}

/// What a file is and how its columns would be read.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Sniff {
    /// `gzip`, `zip`, `zip+gzip` or empty.
    pub container: String,
    /// `csv`, `ndjson` or `json_array`.
    pub format: String,
    /// Vendor shape recognised (`mixpanel`, `posthog`, `segment`, `amplitude`, `ga4`,
    /// `sensors`, `snowplow`), if any.
    pub shape: Option<String>,
    /// Text encoding (`UTF-8`, `GBK`, ...).
    pub encoding: String,
    /// How it was chosen: `option`, `bom` or `detected`.
    pub encoding_source: String,
    /// Delimiter (delimited text; `,` otherwise).
    pub delimiter: char,
    /// Whether the first row is a header line (always true for JSON).
    pub header: bool,
    /// The columns in file order.
    pub columns: Vec<SniffColumn>,
    /// The first data rows, one cell per column (cut to 80 characters).
    pub rows: Vec<Vec<String>>,
    /// Why the load would stop for want of a role, if it would: the error the load would
    /// give, with its message code for the app's translation.
    pub mapping_error: Option<crate::engine::error::UserError>,
    /// Files in a zip archive (the first one is sniffed); 0 otherwise.
    pub entries: u64,
    /// A hash of the first line of the text (FNV-1a, 16 hex digits): the app remembers a
    /// mapping by it, so it does not depend on the options.
    pub header_key: String,
}

/// FNV-1a (64 bits) of the first line of `text`, without its line break, as hex.
pub fn header_key(text: &[u8]) -> String {
    let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let line = text[..end].trim_ascii_end();
    let hash = line.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Sniffs an input read from its start (a zip archive needs [`sniff_file`]).
pub fn sniff<R: Read>(input: R, opts: &LoadOptions) -> Result<Sniff> {
    let text = open_text(input, opts).map_err(super::container::explain)?;
    describe(text, opts, 0)
}

/// Sniffs a file that can be read at any offset (a zip archive: its first file).
pub fn sniff_file<R: Read + Seek>(mut input: R, opts: &LoadOptions) -> Result<Sniff> {
    let mut head = Vec::with_capacity(4);
    (&mut input).take(4).read_to_end(&mut head)?;
    input.seek(SeekFrom::Start(0))?;
    if archive::is_zip(&head) {
        let (text, entries) =
            archive::open_first(input, opts).map_err(super::container::explain)?;
        let mut s = describe(text, opts, entries)?;
        s.container = if s.container == "gzip" {
            "zip+gzip".into()
        } else {
            "zip".into()
        };
        return Ok(s);
    }
    sniff(input, opts)
}

fn describe(text: OpenText<'_>, opts: &LoadOptions, entries: u64) -> Result<Sniff> {
    let whole = text.head.len() < super::SNIFF_BYTES as usize;
    let head = text
        .head
        .strip_prefix(&[0xEF, 0xBB, 0xBF][..])
        .unwrap_or(&text.head);
    let (names, mut rows, header, delimiter, format, shape) = match text.format {
        Format::Delimited => {
            let (names, rows, header, delimiter) = delimited(head, whole, opts)?;
            let shape = shape_of_headers(&names);
            (names, rows, header, delimiter, "csv", shape)
        }
        f => {
            let (names, rows, shape) = json::preview(head, f, TYPE_ROWS)?;
            let format = if f == Format::JsonArray {
                "json_array"
            } else {
                "ndjson"
            };
            (names, rows, true, ',', format, shape)
        }
    };
    let opts = match format {
        "csv" => opts.clone(),
        _ => super::mapping::ignoring_seen(opts, &names),
    };
    let (roles, mapping_error) = roles_of(&names, &opts, shape);
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let role = roles[i];
            let kind = kind_of(rows.iter().filter_map(|r| r.get(i)), role == Role::Time);
            SniffColumn { name, role, kind }
        })
        .collect();
    rows.truncate(PREVIEW_ROWS);
    for row in &mut rows {
        for cell in row.iter_mut() {
            if cell.chars().nth(MAX_CELL).is_some() {
                *cell = super::truncate(cell, MAX_CELL);
            }
        }
    }
    Ok(Sniff {
        container: text.container.into(),
        format: format.into(),
        shape: shape.map(str::to_string),
        encoding: text.encoding.name().into(),
        encoding_source: match text.chosen {
            encoding::Chosen::Option => "option",
            encoding::Chosen::Bom => "bom",
            encoding::Chosen::Detected => "detected",
        }
        .into(),
        delimiter,
        header,
        columns,
        rows,
        mapping_error,
        entries,
        header_key: header_key(head),
    })
}

type Table = (Vec<String>, Vec<Vec<String>>, bool, char);

/// Column names, the first data rows, whether there is a header line, and the delimiter.
fn delimited(head: &[u8], whole: bool, opts: &LoadOptions) -> Result<Table> {
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(super::empty_file());
    }
    let delimiter = match opts.delimiter {
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => return Err(super::bad_delimiter(c)),
        None => sniff_delimiter(head),
    };
    let first = first_row(head, delimiter)?;
    let header = has_header(&first, opts.header);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(head);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut record = ::csv::StringRecord::new();
    // the last record of a cut head may be cut too: one more is read, then dropped
    let mut complete = true;
    while rows.len() < TYPE_ROWS + usize::from(header) {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                complete = false;
                break;
            }
        }
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        rows.push(record.iter().map(|c| c.trim().to_string()).collect());
    }
    if !whole && complete && rows.len() < TYPE_ROWS + usize::from(header) {
        rows.pop();
    }
    let names = if header {
        unique_names(rows.remove(0).into_iter())
    } else {
        numbered_names(first.len())
    };
    for row in &mut rows {
        row.resize(names.len(), String::new());
    }
    Ok((names, rows, header, delimiter as char))
}

/// Each column's role, and the mapping error of the load with these options, if any.
fn roles_of(
    names: &[String],
    opts: &LoadOptions,
    shape: Option<&str>,
) -> (Vec<Role>, Option<crate::engine::error::UserError>) {
    let mut roles: Vec<Role> = names
        .iter()
        .map(|n| match opts.ignore_columns.contains(n) {
            true => Role::Ignored,
            false => Role::Property,
        })
        .collect();
    match map_columns(names, opts, shape) {
        Ok((_, idx)) => {
            roles[idx.user] = Role::User;
            roles[idx.event] = Role::Event;
            roles[idx.time] = Role::Time;
            if let Some(i) = idx.user_fallback {
                roles[i] = Role::UserFallback;
            }
            if let Some(i) = idx.insert_id {
                roles[i] = Role::InsertId;
            }
            (roles, None)
        }
        Err(e) => {
            let [user, event, time] = partial_roles(names, opts, shape);
            for (i, role) in [(user, Role::User), (event, Role::Event), (time, Role::Time)] {
                if let Some(i) = i {
                    roles[i] = role;
                }
            }
            (roles, Some(crate::engine::error::UserError::from(&e)))
        }
    }
}

/// The type of a column from its cells (the rule is in the module doc).
fn kind_of<'a>(cells: impl Iterator<Item = &'a String>, is_time: bool) -> Kind {
    let utc = Zone::utc();
    let (mut any, mut numbers, mut times) = (false, true, true);
    for c in cells.filter(|c| !c.is_empty()) {
        any = true;
        numbers &= c.parse::<f64>().is_ok_and(f64::is_finite);
        times &= parse_timestamp(c, &utc).is_some();
        if !numbers && !times {
            break;
        }
    }
    match (any, numbers, times) {
        (false, _, _) => Kind::Text,
        (true, _, true) if is_time || !numbers => Kind::Time,
        (true, true, _) => Kind::Number,
        _ => Kind::Text,
    }
}
