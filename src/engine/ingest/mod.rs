//! Ingest: turning an export file into an [`EventStore`] plus an [`ImportReport`].
//!
//! [`load`] is the one entry point (the worker and the CLI call only it). It sniffs the first
//! bytes for a container, then the format, and hands off to one loader per format:
//!
//! - container: gzip, including multi-member gzip ([`container`]), inflated as it is read,
//!   never whole; an inflated stream more than [`container::MAX_RATIO`] times the compressed
//!   bytes consumed (past its first MiB) stops as a decompression bomb;
//! - formats: delimited text (CSV, TSV, `;` and `|` separated, [`csv`]); JSON lines / NDJSON
//!   and a JSON array of objects ([`json`], both streamed), with nested objects flattened to
//!   dotted names and the Mixpanel, PostHog, Segment, Amplitude, GA4, Sensors Data and
//!   Snowplow export shapes recognised; JSON held in delimited cells expanded when asked or
//!   when the shape says so ([`LoadOptions::expand_json`]).
//!
//! The loaders read from any `std::io::Read`, so the same code reads a native file in the CLI
//! and a browser `File` in the worker (through slices). Nothing is lost silently: every data
//! row is imported, dropped as a duplicate (a repeated insert id) or counted as rejected with
//! a reason, or set aside when a vendor export holds records that are not events (Sensors
//! Data profiles and items), `rows_in = imported + duplicates + rejected + set_aside`, and
//! the first [`MAX_REJECT_SAMPLES`] rejected rows are kept with their line number and text.
//!
//! Text in any encoding `encoding_rs` knows is read ([`encoding`]: named in the options, or
//! from a byte-order mark, or detected), decoded to UTF-8 as it is read.
//!
//! Files that are read through an index at their end need a source that can seek
//! ([`load_file`]): zip archives ([`archive`]) and Parquet files ([`parquet`], sniffed from
//! the magic `PAR1`).

pub mod archive;
pub mod container;
pub mod csv;
pub mod encoding;
pub mod files;
pub mod json;
pub mod mapping;
pub mod parquet;
pub mod sniff;

use crate::engine::error::{Error, Result};
use crate::engine::store::{Dictionary, EventStore};
use crate::engine::time::TimeZone;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

pub use files::{load_files, Source};
pub use mapping::ColumnRoles;
pub use sniff::{sniff, sniff_file, Sniff};

/// How many rejected rows are kept verbatim (all are counted).
pub const MAX_REJECT_SAMPLES: usize = 1000;

/// Rows between two progress reports of every loader. The page's progress bar must move
/// at least every 200 ms: the slowest rate measured, the browser's worker on a loaded
/// 2-core machine, read 50,000 rows in 435 ms, so this many take about 140 ms.
pub(crate) const PROGRESS_EVERY: u64 = 16_384;

/// Options of an import. Every field is optional; the defaults detect everything.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LoadOptions {
    /// Field delimiter; detected from the header line when absent.
    pub delimiter: Option<char>,
    /// Name of the user column; detected from common names when absent.
    pub user_column: Option<String>,
    /// Name of the event column; detected when absent.
    pub event_column: Option<String>,
    /// Name of the timestamp column; detected when absent.
    pub time_column: Option<String>,
    /// Offset at which timestamps without a zone are read (default UTC).
    pub naive_timezone: Option<TimeZone>,
    /// Text encoding, as a label `encoding_rs` accepts (`utf-8`, `gbk`, `gb18030`,
    /// `shift_jis`, `utf-16le`, `utf-16be`, `windows-1252`, ...); detected when absent.
    pub encoding: Option<String>,
    // --- vendor shapes, identity and dates (issue 16) ---
    /// Columns of delimited text whose cells hold JSON objects, expanded into dotted
    /// properties (`event_properties` -> `event_properties.plan`); arrays and other values
    /// stay text, a cell that is not valid JSON stays text and is counted
    /// ([`ImportReport::json_cells_invalid`]). Added to the columns the vendor shape expands
    /// by itself (Amplitude's `event_properties`, `user_properties`, `group_properties`;
    /// Snowplow's `contexts*`, `unstruct_event`). Default: none.
    pub expand_json: Vec<String>,
    /// Which id is the user where both a user id and a device / anonymous id exist
    /// (Segment, Amplitude, GA4, Snowplow). Default `user_or_device`.
    pub identity: Identity,
    /// How a date written `NN/NN/YYYY` is read: day first or month first. Default: decided
    /// from the data (a first part over 12 means day first, a second part over 12 month
    /// first); an error asks for it when every date is ambiguous.
    pub date_order: Option<DateOrder>,
    /// Columns not imported at all (the mapping step's "ignore" role): no role is looked
    /// for among them and they are no property. A name that is not a column of the file is
    /// an error (`ignore_unknown`), and so is a column both ignored and named for a role.
    /// For JSON, a flattened name (`properties.plan`, as the mapping step shows it).
    /// Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_columns: Vec<String>,
    // The mapping step's options (header detection).
    /// Whether the first row of delimited text is a header line: `auto` (the default; the
    /// rule is in [`csv`]), `yes`, or `no` (the columns are named `column_1` … `column_n`).
    #[serde(skip_serializing_if = "HeaderMode::is_auto")]
    pub header: HeaderMode,
}

/// Which id is the user, [`LoadOptions::identity`].
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// The user id only: rows without one are rejected (`missing_user`).
    User,
    /// The device / anonymous id only (`anonymousId`, `device_id`, `user_pseudo_id`,
    /// `domain_userid`).
    Device,
    /// The user id, else the device / anonymous id.
    #[default]
    UserOrDevice,
}

/// The order of a `NN/NN/YYYY` date, [`LoadOptions::date_order`].
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Day, month, year (`31/01/2024`).
    Dmy,
    /// Month, day, year (`01/31/2024`).
    Mdy,
}

/// Whether delimited text starts with a header line.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HeaderMode {
    /// Decided from the first row (see [`csv`]).
    #[default]
    Auto,
    /// The first row names the columns.
    Yes,
    /// The first row is data; the columns are `column_1` … `column_n`.
    No,
}

impl HeaderMode {
    /// True for [`HeaderMode::Auto`].
    pub fn is_auto(&self) -> bool {
        *self == HeaderMode::Auto
    }
}

/// Why a row was not imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The user cell is empty.
    MissingUser,
    /// The event cell is empty.
    MissingEvent,
    /// The timestamp cell is empty.
    MissingTime,
    /// The timestamp cell is not a recognised timestamp.
    BadTime,
    /// The row has a different number of fields than the header.
    FieldCount,
    /// The row holds bytes that are not valid text in the file's encoding.
    Encoding,
    /// The line (JSON lines) or array element is not valid JSON.
    BadJson,
    /// The line or array element is valid JSON but not an object.
    NotAnObject,
}

impl RejectReason {
    /// Every reason, in order.
    pub const ALL: [RejectReason; 8] = [
        RejectReason::MissingUser,
        RejectReason::MissingEvent,
        RejectReason::MissingTime,
        RejectReason::BadTime,
        RejectReason::FieldCount,
        RejectReason::Encoding,
        RejectReason::BadJson,
        RejectReason::NotAnObject,
    ];

    /// A short English description.
    pub fn describe(self) -> &'static str {
        match self {
            RejectReason::MissingUser => "user id is empty",
            RejectReason::MissingEvent => "event name is empty",
            RejectReason::MissingTime => "timestamp is empty",
            RejectReason::BadTime => "timestamp not recognised",
            RejectReason::FieldCount => "wrong number of fields",
            RejectReason::Encoding => "bytes not valid in the file's encoding",
            RejectReason::BadJson => "not valid JSON",
            RejectReason::NotAnObject => "JSON value is not an object",
        }
    }
}

/// Why a valid row was set aside rather than imported as an event (it is not an error: the
/// row is another kind of record of the vendor's export).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAsideReason {
    /// A user profile record (Sensors Data `profile_set`, `profile_set_once`, ...): the
    /// store has no per-user property table, so its values are not kept.
    ProfileRow,
    /// An item record (Sensors Data `item_set`, `item_delete`).
    ItemRow,
    /// Another record that is not an event (Sensors Data `track_signup`, `track_id_bind`, ...).
    NotAnEvent,
}

impl SetAsideReason {
    /// Every reason, in order.
    pub const ALL: [SetAsideReason; 3] = [
        SetAsideReason::ProfileRow,
        SetAsideReason::ItemRow,
        SetAsideReason::NotAnEvent,
    ];

    /// A short English description.
    pub fn describe(self) -> &'static str {
        match self {
            SetAsideReason::ProfileRow => "user profile record (not an event)",
            SetAsideReason::ItemRow => "item record (not an event)",
            SetAsideReason::NotAnEvent => "record of another type (not an event)",
        }
    }
}

/// One rejected row, kept as evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Reject {
    /// The file it is in, when several files were loaded together ([`load_files`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line number in the file where the row starts.
    pub line: u64,
    /// Why it was rejected.
    pub reason: RejectReason,
    /// Details, e.g. the offending cell.
    pub detail: String,
}

/// What happened during an import.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    /// Data rows read (header excluded, blank lines excluded).
    pub rows_in: u64,
    /// Rows that became events.
    pub imported: u64,
    /// Rows dropped because they repeat an earlier row's insert id (the first is kept).
    pub duplicates: u64,
    /// Rows rejected (`rows_in = imported + duplicates + rejected + set_aside`).
    pub rejected: u64,
    /// Valid rows of a vendor export that are not events (Sensors Data profile and item
    /// records), counted and not imported.
    pub set_aside: u64,
    /// Set-aside rows counted by reason.
    pub set_aside_by_reason: BTreeMap<SetAsideReason, u64>,
    /// Rejected rows counted by reason.
    pub rejected_by_reason: BTreeMap<RejectReason, u64>,
    /// The first rejected rows, with line numbers.
    pub reject_samples: Vec<Reject>,
    /// Bytes read from the input.
    pub bytes: u64,
    /// The column chosen for each role.
    pub columns: ColumnRoles,
    /// Delimiter used (delimited text only; `,` otherwise).
    pub delimiter: char,
    /// Format name: `csv`, `ndjson`, `json_array` or `parquet`.
    pub format: String,
    /// Vendor shape recognised in a JSON or Parquet file (`mixpanel`, `posthog`, `segment`,
    /// `amplitude`), if any.
    pub shape: Option<String>,
    /// Container the format was read from: `gzip`, or empty for none.
    pub container: String,
    /// Text encoding the file was read in (`UTF-8`, `GBK`, `UTF-16LE`, `Shift_JIS`, ...).
    pub encoding: String,
    /// How the encoding was chosen: `option`, `bom` (a byte-order mark) or `detected`.
    pub encoding_source: String,
    /// Files read from a zip archive (0 when the input is not one).
    pub entries: u64,
    /// The files appended into the dataset, in order, each with its own accounting, when
    /// several were loaded together ([`load_files`]); empty for one file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileReport>,
    /// Columns whose JSON cells were expanded into properties ([`LoadOptions::expand_json`]).
    pub expanded_json: Vec<String>,
    /// Cells of those columns that were not valid JSON (kept as text).
    pub json_cells_invalid: u64,
}

/// One file of several loaded together: how it was read and its own accounting
/// (`rows_in = imported + duplicates + rejected + set_aside`; a row repeating an insert id
/// of an earlier file is a duplicate of this file).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FileReport {
    /// The file's name.
    pub name: String,
    /// Its format (`csv`, `ndjson`, `json_array`, `parquet`).
    pub format: String,
    /// Its container (`gzip`, `zip`, `zip+gzip`), empty when none.
    pub container: String,
    /// The text encoding it was read in (empty for Parquet).
    pub encoding: String,
    /// Bytes read from it.
    pub bytes: u64,
    /// Its data rows.
    pub rows_in: u64,
    /// Its rows imported as events.
    pub imported: u64,
    /// Its rows dropped as repeating an insert id seen before, in it or in an earlier file.
    pub duplicates: u64,
    /// Its rows rejected.
    pub rejected: u64,
    /// Its rows set aside (records of a vendor export that are not events).
    pub set_aside: u64,
}

impl FileReport {
    /// The accounting of file `name` from its own report.
    pub fn of(name: &str, r: &ImportReport) -> FileReport {
        FileReport {
            name: name.to_string(),
            format: r.format.clone(),
            container: r.container.clone(),
            encoding: r.encoding.clone(),
            bytes: r.bytes,
            rows_in: r.rows_in,
            imported: r.imported,
            duplicates: r.duplicates,
            rejected: r.rejected,
            set_aside: r.set_aside,
        }
    }
}

impl ImportReport {
    pub(crate) fn set_aside(&mut self, reason: SetAsideReason) {
        self.set_aside += 1;
        *self.set_aside_by_reason.entry(reason).or_default() += 1;
    }

    pub(crate) fn reject(&mut self, line: u64, reason: RejectReason, detail: String) {
        self.rejected += 1;
        *self.rejected_by_reason.entry(reason).or_default() += 1;
        if self.reject_samples.len() < MAX_REJECT_SAMPLES {
            self.reject_samples.push(Reject {
                file: None,
                line,
                reason,
                detail,
            });
        }
    }
}

/// Time values sampled from the first rows to decide how `NN/NN/YYYY` dates are read.
pub(crate) const DATE_SAMPLE: usize = 1000;

/// Whether `NN/NN/YYYY` dates of the time column `column` are read day first, from the
/// option or else from the `samples` (the column's first values): a first part over 12
/// means day first, a second part over 12 month first. `None` when the samples hold no such
/// date. Errors, keyed: every such date is ambiguous (`date_order_ambiguous`), both orders
/// occur (`date_order_conflict`), or no sampled value is a timestamp at all
/// (`time_column_unreadable`: the column is reported, not guessed).
pub(crate) fn decide_date_order<'a>(
    opts: &LoadOptions,
    column: &str,
    samples: impl Iterator<Item = &'a str>,
    naive_tz: &crate::engine::time::Zone,
) -> Result<Option<bool>> {
    use crate::engine::time::{leading_date_parts, parse_timestamp_in};
    let (mut day_first, mut month_first, mut ambiguous) = (None, None, None);
    let (mut values, mut readable, mut example) = (0, 0, None);
    for v in samples.map(str::trim).filter(|v| !v.is_empty()) {
        values += 1;
        example.get_or_insert(v);
        match leading_date_parts(v) {
            Some((a, _)) if a > 12 => {
                day_first.get_or_insert(v);
            }
            Some((_, b)) if b > 12 => {
                month_first.get_or_insert(v);
            }
            Some(_) => {
                ambiguous.get_or_insert(v);
            }
            None => readable += usize::from(parse_timestamp_in(v, naive_tz, None).is_some()),
        }
    }
    if let Some(order) = opts.date_order {
        return Ok(Some(order == DateOrder::Dmy));
    }
    match (day_first, month_first, ambiguous) {
        (Some(d), Some(m), _) => Err(Error::spec(
            "date_order",
            format!(
                "the time column \"{column}\" has dates written day first (\"{d}\") and \
                 month first (\"{m}\"); choose one (CLI: --date-order dmy or mdy), the \
                 others are rejected"
            ),
        )
        .keyed(
            "date_order_conflict",
            &[("column", &column), ("day_first", &d), ("month_first", &m)],
        )),
        (Some(_), None, _) => Ok(Some(true)),
        (None, Some(_), _) => Ok(Some(false)),
        (None, None, Some(a)) => Err(Error::spec(
            "date_order",
            format!(
                "the time column \"{column}\" has dates like \"{a}\" that read either day \
                 first or month first; say which (CLI: --date-order dmy or mdy)"
            ),
        )
        .keyed(
            "date_order_ambiguous",
            &[("column", &column), ("example", &a)],
        )),
        (None, None, None) => match example {
            Some(e) if readable == 0 => Err(Error::spec(
                "time_column",
                format!(
                    "no value of the time column \"{column}\" among the first {values} is a \
                     timestamp (e.g. \"{}\"); name the time column (CLI: --time-col NAME)",
                    truncate(e, 60)
                ),
            )
            .keyed(
                "time_column_unreadable",
                &[("column", &column), ("example", &truncate(e, 60))],
            )),
            _ => Ok(None),
        },
    }
}

/// The time zone naive timestamps are read in ([`LoadOptions::naive_timezone`], UTC by
/// default); an unknown zone is a keyed error (`unknown_timezone`).
pub(crate) fn naive_zone(opts: &LoadOptions) -> Result<crate::engine::time::Zone> {
    let tz = opts.naive_timezone.clone().unwrap_or_default();
    tz.resolve().map_err(|e| {
        Error::format(format!("naive_timezone: {e}")).keyed("unknown_timezone", &[("zone", &tz)])
    })
}

/// The error of a file with nothing in it (`file_empty`).
pub(crate) fn empty_file() -> Error {
    Error::format("the file is empty").keyed("file_empty", &[])
}

/// The error of a delimiter option that is not one ASCII character (`bad_delimiter`).
pub(crate) fn bad_delimiter(c: char) -> Error {
    Error::format(format!("delimiter '{c}' must be one ASCII character"))
        .keyed("bad_delimiter", &[("delimiter", &c)])
}

/// A cell without surrounding white space; the common cell (no white space at either end)
/// is returned as is without the general, character-wise trim.
pub(crate) fn trim_cell(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) if a > b' ' && a < 0x80 && z > b' ' && z < 0x80 => s,
        _ => s.trim(),
    }
}

/// `s` cut to `max` characters with an ellipsis: a cell quoted in a reject's detail.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The insert ids seen so far: drops rows that repeat one, keeping the first. One file's
/// loader starts from the ids of the files loaded before it ([`load_files`]), so an event in
/// two files is kept once, where it was seen first.
#[derive(Default)]
pub struct Dedup {
    seen: Dictionary,
}

impl Dedup {
    /// True when the (non-empty) id was seen before; remembers it otherwise.
    pub fn repeated(&mut self, id: &str) -> bool {
        if id.is_empty() {
            return false;
        }
        let n = self.seen.len();
        self.seen.intern(id) as usize != n
    }
}

/// The input formats [`load`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Delimited,
    /// One JSON object per line.
    JsonLines,
    /// One JSON array of objects.
    JsonArray,
}

/// Bytes sniffed from the start of the (inflated) input to decide the format.
const SNIFF_BYTES: u64 = 64 * 1024;

/// The format of a file starting with `head`: JSON lines when the first character (after a
/// byte-order mark and white space) is `{`, a JSON array when it is `[` followed by `{` or
/// `]`, delimited text otherwise.
pub fn sniff_format(head: &[u8]) -> Format {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    let mut it = head.iter().filter(|b| !b.is_ascii_whitespace());
    match it.next() {
        Some(b'{') => Format::JsonLines,
        Some(b'[') if matches!(it.next(), Some(b'{') | Some(b']') | None) => Format::JsonArray,
        _ => Format::Delimited,
    }
}

/// Loads any supported file: sniffs the container (gzip or none) and the format from the
/// first bytes and runs that format's loader. `total_bytes` is the size of the input as given
/// (compressed, for a gzip file); progress reports the input bytes consumed, so it reaches
/// `total_bytes` at the end. `progress` returns `false` to cancel.
pub fn load<R: Read>(
    input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    load_any(input, total_bytes, opts, &mut Dedup::default(), progress).map_err(container::explain)
}

fn load_any<R: Read>(
    input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let counted = container::Counted::new(input);
    let consumed = counted.counter();
    let mut head = [0u8; 4];
    let mut counted = std::io::BufReader::new(counted);
    let n = std::io::BufRead::fill_buf(&mut counted)?.len().min(4);
    head[..n].copy_from_slice(&std::io::BufRead::fill_buf(&mut counted)?[..n]);
    if archive::is_zip(&head[..n]) {
        return Err(Error::format(
            "a zip archive can only be read from a file (it is read entry by entry through \
             its directory at the end)",
        )
        .keyed("zip_needs_file", &[]));
    }
    if parquet::is_parquet(&head[..n]) {
        return Err(Error::format(
            "a Parquet file can only be read from a file (its schema is in a footer at the end)",
        )
        .keyed("parquet_needs_file", &[]));
    }
    let text = open_text(counted, opts)?;
    run(text, &consumed, total_bytes, opts, dedup, progress)
}

/// Loads a file that can be read at any offset: a zip archive ([`archive`]) entry by entry,
/// a Parquet file ([`parquet`]) row group by row group, anything else as [`load`] does.
/// This is the entry point of the CLI and the worker.
pub fn load_file<R: Read + Seek>(
    input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    load_file_after(input, total_bytes, opts, &mut Dedup::default(), progress)
}

/// [`load_file`] after other files: a row whose insert id is in `dedup` (seen in an earlier
/// file, or earlier in this one) is a duplicate; the ids of this file's rows are added.
pub fn load_file_after<R: Read + Seek>(
    mut input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let mut head = Vec::with_capacity(4);
    (&mut input).take(4).read_to_end(&mut head)?;
    input.seek(SeekFrom::Start(0))?;
    if archive::is_zip(&head) {
        return archive::load_within(
            input,
            total_bytes,
            opts,
            dedup,
            progress,
            container::MAX_INFLATED,
        )
        .map_err(container::explain);
    }
    if parquet::is_parquet(&head) {
        return parquet::load(input, total_bytes, opts, dedup, progress);
    }
    let input = std::io::BufReader::with_capacity(1 << 20, input);
    load_any(input, total_bytes, opts, dedup, progress).map_err(container::explain)
}

/// An input opened down to UTF-8 text: its first bytes (`head`, sniffed) and the rest.
pub(crate) struct OpenText<'a> {
    /// The first [`SNIFF_BYTES`] of the text (or all of it).
    pub head: Vec<u8>,
    /// The text after `head`.
    pub rest: Box<dyn Read + 'a>,
    /// `gzip`, or empty.
    pub container: &'static str,
    /// The encoding the text was decoded from.
    pub encoding: &'static encoding_rs::Encoding,
    /// How the encoding was chosen.
    pub chosen: encoding::Chosen,
    /// The format sniffed from `head`.
    pub format: Format,
}

/// Removes the container (gzip) of `input`, decodes its text to UTF-8 and sniffs the format.
pub(crate) fn open_text<'a, R: Read + 'a>(input: R, opts: &LoadOptions) -> Result<OpenText<'a>> {
    let mut input = container::open(container::Counted::new(input))?;
    let container = input.name();
    let mut head = Vec::with_capacity(SNIFF_BYTES as usize);
    (&mut input).take(SNIFF_BYTES).read_to_end(&mut head)?;
    let whole = (head.len() as u64) < SNIFF_BYTES;
    let (text_encoding, chosen) = encoding::detect(&head, whole, opts.encoding.as_deref())?;
    let raw = Cursor::new(head).chain(input);
    let mut text: Box<dyn Read + 'a> = if text_encoding == encoding_rs::UTF_8 {
        // the loaders read UTF-8 and reject a row with invalid bytes themselves
        Box::new(raw)
    } else {
        Box::new(encoding::Decode::new(raw, text_encoding))
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES as usize);
    (&mut text).take(SNIFF_BYTES).read_to_end(&mut head)?;
    Ok(OpenText {
        format: sniff_format(&head),
        head,
        rest: text,
        container,
        encoding: text_encoding,
        chosen,
    })
}

/// Runs the loader of `text`'s format and completes the report; `consumed` counts the input
/// bytes read (for progress).
pub(crate) fn run(
    text: OpenText<'_>,
    consumed: &Rc<Cell<u64>>,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let mut relay = |mut p: Progress| {
        p.bytes = consumed.get();
        progress(p)
    };
    let format = text.format;
    let reader = Cursor::new(text.head).chain(text.rest);
    let mut data = match format {
        Format::Delimited => {
            let split = csv::Split::auto();
            csv::load_split(reader, total_bytes, opts, dedup, &mut relay, split)?
        }
        Format::JsonLines | Format::JsonArray => {
            json::load(reader, format, total_bytes, opts, dedup, &mut relay)?
        }
    };
    data.report.bytes = consumed.get();
    data.report.container = text.container.into();
    data.report.encoding = text.encoding.name().into();
    data.report.encoding_source = match text.chosen {
        encoding::Chosen::Option => "option",
        encoding::Chosen::Bom => "bom",
        encoding::Chosen::Detected => "detected",
    }
    .into();
    Ok(data)
}

/// Progress of a running import, reported every few thousand rows.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    /// Bytes consumed so far.
    pub bytes: u64,
    /// Total bytes when known.
    pub total_bytes: Option<u64>,
    /// Data rows read so far.
    pub rows: u64,
}

/// A loaded dataset: the store and how it was made.
#[derive(Debug)]
pub struct Dataset {
    /// The events.
    pub store: EventStore,
    /// The import's accounting.
    pub report: ImportReport,
}
