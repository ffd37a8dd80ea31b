//! Delimited text (CSV, TSV, `;`/`|` separated) into a [`Dataset`].
//!
//! Streaming: the input is read in stretches of 8 MiB that end at a record boundary outside
//! quotes, so memory holds the store being built plus a few buffers, never the whole file.
//! A stretch's records are split in place ([`Records`]: a record without quotes at its
//! delimiters, any other by the `csv` crate's own state machine, so both read alike). On a
//! machine with more than one core (the native CLI; the browser's worker has one thread)
//! the stretches are read in parallel ([`load_split`]): every core parses stretches into
//! its own builder and report, and they are joined in file order, so the store, the counts
//! and the line numbers of rejected rows are those of a read on one thread. Files with an
//! insert id column or JSON columns to expand are read on one thread (a duplicate or a new
//! property depends on the rows before it). The first 64 KiB (more when the header line is
//! longer) are sniffed
//! for a UTF-8 byte-order mark and the delimiter. Rows whose field count differs from the
//! header, or whose user, event or time cell is empty or unreadable, are rejected with their
//! line number; a row repeating an earlier row's insert id is counted as a duplicate.
//!
//! **Header line.** With [`HeaderMode::Auto`] the first row is a header line unless it looks
//! like data: none of its cells is a column name the role detection knows (`user_id`,
//! `event`, `timestamp`, ...; see [`super::mapping`]) and at least one of its cells is a
//! number or a timestamp (header names are words; a data row holds ids, counts and times).
//! A file without a header line has columns `column_1` … `column_n`; its roles are never
//! guessed: they must be named (the app's mapping step, the CLI's `--user-col` ...), else
//! the load stops with a mapping error. In a header line an empty name becomes
//! `column_N` (its position) and a repeated name `name_2`, `name_3`, …, never merged.

use super::json::{cells, expand_cell, Cell, Flat};
use super::mapping::{expand_columns, map_columns, shape_of_headers, ColumnRoles, RoleIndex};
use super::PROGRESS_EVERY;
use super::{
    decide_date_order, truncate, Dataset, Dedup, HeaderMode, ImportReport, LoadOptions, Progress,
    RejectReason, DATE_SAMPLE, MAX_REJECT_SAMPLES,
};
use crate::engine::error::{Error, Result};
use crate::engine::store::StoreBuilder;
use crate::engine::time::{parse_timestamp, parse_timestamp_in, Zone};
use std::io::{Cursor, Read};

const SNIFF_BYTES: usize = 64 * 1024;

/// Picks the delimiter that splits the header line into the most fields, outside quotes.
pub(crate) fn sniff_delimiter(head: &[u8]) -> u8 {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = &head[..line_end];
    let count = |d: u8| {
        let mut quoted = false;
        line.iter()
            .filter(|&&b| {
                if b == b'"' {
                    quoted = !quoted;
                }
                !quoted && b == d
            })
            .count()
    };
    [b',', b'\t', b';', b'|']
        .into_iter()
        .max_by_key(|&d| (count(d), d == b','))
        .unwrap_or(b',')
}

/// Loads delimited text. `total_bytes` (when known) makes progress a fraction; `progress`
/// is called every few thousand rows and returns `false` to cancel.
pub fn load<R: Read>(
    input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let mut dedup = Dedup::default();
    load_split(
        input,
        total_bytes,
        opts,
        &mut dedup,
        progress,
        Split::auto(),
    )
}

/// [`load`] with the rows read as `split` says. On more than one thread the rows are read
/// in parallel unless they depend on earlier rows (an insert id column: duplicates are
/// dropped in file order; JSON columns: their keys add properties as they appear); the
/// result is the same either way. A row whose insert id is in `dedup` (from earlier files)
/// is a duplicate.
/// Stretches end only at a line break outside quotes (see [`last_boundary`]).
pub fn load_split<R: Read>(
    input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
    progress: &mut dyn FnMut(Progress) -> bool,
    split: Split,
) -> Result<Dataset> {
    let mut input = input;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        head.drain(..3);
        3
    } else {
        0
    };
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(super::empty_file());
    }
    let delimiter = match opts.delimiter {
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => return Err(super::bad_delimiter(c)),
        None => sniff_delimiter(&head),
    };
    let naive_tz = super::naive_zone(opts)?;
    let mut whole = (head.len() as u64 + bom) < SNIFF_BYTES as u64;
    let (mut first, mut first_end) = first_record(&head, delimiter)?;
    // a header line longer than the sniffed bytes: read on until it ends
    while !whole && first_end >= head.len() {
        let n = (&mut input)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)?;
        whole = n < SNIFF_BYTES;
        (first, first_end) = first_record(&head, delimiter)?;
    }
    let sample = head.clone();
    let header = has_header(&first, opts.header);
    let text = Cursor::new(head).chain(input);
    let headers = if header {
        unique_names(first.into_iter())
    } else {
        numbered_names(first.len())
    };
    if headers.len() < 3 {
        return Err(Error::format(format!(
            "the header line has {} column(s) ({}); an event export needs at least user, \
             event and timestamp columns",
            headers.len(),
            headers.join(", ")
        ))
        .keyed(
            "too_few_columns",
            &[("count", &headers.len()), ("columns", &headers.join(", "))],
        ));
    }
    let shape = shape_of_headers(&headers);
    let (mut roles, idx) = map_columns(&headers, opts, shape).map_err(|e| match e {
        Error::Mapping(m) if !header => Error::mapping(format!(
            "the file has no header line (its first row holds data), so its columns are \
             column_1 … column_{}: name the user, event and time columns (CLI: --user-col \
             column_1 --event-col column_2 --time-col column_3); {m}",
            headers.len()
        ))
        .keyed("no_header_line", &[("count", &headers.len())]),
        e => e,
    })?;
    // the time column's first values, from the sniffed bytes (the last row may be cut)
    let mut times = Vec::new();
    let mut rows = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(header)
        .from_reader(&sample[..]);
    let mut rec = ::csv::StringRecord::new();
    while times.len() < DATE_SAMPLE && rows.read_record(&mut rec).unwrap_or(false) {
        if let Some(t) = rec.get(idx.time).filter(|_| rec.len() == headers.len()) {
            times.push(t.to_string());
        }
    }
    let day_first = decide_date_order(
        opts,
        &roles.time,
        times.iter().map(|t| t.as_str()),
        &naive_tz,
    )?;
    let expand = expand_columns(&headers, &idx, shape, &opts.expand_json)?;
    let props: Vec<usize> = idx
        .properties
        .iter()
        .copied()
        .filter(|i| !expand.contains(i))
        .collect();
    roles.properties = props.iter().map(|&i| headers[i].clone()).collect();
    let base = ImportReport {
        expanded_json: expand.iter().map(|&i| headers[i].clone()).collect(),
        columns: roles.clone(),
        delimiter: delimiter as char,
        format: "csv".into(),
        shape: shape.map(str::to_string),
        ..Default::default()
    };
    let plan = Plan {
        headers,
        idx,
        roles,
        naive_tz,
        day_first,
        expand,
        props,
        delimiter,
    };
    // parallel when rows do not depend on earlier rows (no insert ids to drop, no JSON
    // columns adding properties mid-stream)
    let parallel = split.threads > 1 && plan.idx.insert_id.is_none() && plan.expand.is_empty();
    let tick = &mut |rows, bytes| {
        progress(Progress {
            bytes: bytes + bom,
            total_bytes,
            rows,
        })
    };
    let (builder, report, bytes) = if parallel {
        read_split(&plan, text, header, split, tick)?
    } else {
        read_stretches(&plan, text, header, split.block, dedup, tick)?
    };
    let report = ImportReport {
        bytes: bytes + bom,
        ..merge_reports(base, std::iter::once((report, 0)))
    };
    progress(Progress {
        bytes: report.bytes,
        total_bytes,
        rows: report.rows_in,
    });
    if report.rows_in == 0 {
        return Err(Error::format("the file has a header but no data rows").keyed("no_rows", &[]));
    }
    Ok(Dataset {
        store: builder.finish(),
        report,
    })
}

/// How the rows of a file are split between threads ([`load_split`]).
#[derive(Clone, Copy, Debug)]
pub struct Split {
    /// Threads parsing rows (1: the calling thread reads every row).
    pub threads: usize,
    /// Bytes read per stretch handed to a thread (a stretch ends at a record boundary).
    pub block: usize,
}

impl Split {
    /// Every core the machine offers (one in the browser's worker, where `std` threads do
    /// not exist), in stretches of 8 MiB.
    pub fn auto() -> Split {
        Split {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            block: 8 << 20,
        }
    }
}

/// How every data row of one file is read, decided once from its header and first rows.
struct Plan {
    headers: Vec<String>,
    idx: RoleIndex,
    roles: ColumnRoles,
    naive_tz: Zone,
    day_first: Option<bool>,
    /// Columns whose JSON cells are expanded into properties.
    expand: Vec<usize>,
    /// The other property columns, in the builder's order.
    props: Vec<usize>,
    delimiter: u8,
}

/// What reading rows builds: the events, their accounting, and scratch space.
struct Rows {
    builder: StoreBuilder,
    report: ImportReport,
    dedup: Dedup,
    /// JSON cells: the column of each expanded key (or of a column's kept text), by name.
    flat: Flat,
    path: String,
    kept: Vec<usize>,
    expanded: rustc_hash::FxHashMap<String, usize>,
}

impl Rows {
    fn new(plan: &Plan) -> Rows {
        Rows {
            builder: StoreBuilder::new(plan.roles.properties.clone()),
            report: ImportReport::default(),
            dedup: Dedup::default(),
            flat: Flat::default(),
            path: String::new(),
            kept: Vec::with_capacity(plan.expand.len()),
            expanded: Default::default(),
        }
    }
}

/// `s` without surrounding white space; the common cell (no white space at either end) is
/// returned as is without the general, character-wise trim.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) if a > b' ' && a < 0x80 && z > b' ' && z < 0x80 => s,
        _ => s.trim(),
    }
}

/// The records of a stretch of delimited text that starts at a record boundary, split as
/// the csv reader splits them. A record holding no quote and no line break other than its
/// closing `\n` or `\r\n` (nearly every record of an export) is split in place at its
/// delimiters; any other record is read by the csv reader's state machine
/// (`csv_core`, the same the `csv` crate runs), so quoted cells, escaped quotes, line breaks
/// in quotes and lone `\r` terminators read exactly as before.
struct Records<'t> {
    text: &'t [u8],
    /// `text` as UTF-8 when all of it is (records are then cut out of it unchecked; else
    /// each record is checked).
    utf8: Option<&'t str>,
    /// `text` holds no quote and no `\r`: the in-place split looks for two bytes only.
    simple: bool,
    /// Where the next record (or the line breaks before it) starts.
    pos: usize,
    /// `\n` bytes before `pos`.
    newlines: u64,
    delimiter: u8,
    core: csv_core::Reader,
    /// The fields of a record read by `core`, back to back, and their end offsets.
    out: Vec<u8>,
    ends: Vec<usize>,
    /// The fields of the current record: (start, end) in its bytes.
    bounds: Vec<(usize, usize)>,
}

/// One record of [`Records`]: its line and fields.
struct Record<'a> {
    /// 1-based line of the record's first byte, counted from the start of the stretch.
    line: u64,
    /// The record's field bytes (the fields are not separated).
    bytes: &'a [u8],
    /// `bytes` as text when every field is valid UTF-8 (else `None`: an encoding reject).
    text: Option<&'a str>,
    /// The fields: (start, end) in `text`.
    bounds: &'a [(usize, usize)],
}

impl<'t> Records<'t> {
    fn new(text: &'t [u8], delimiter: u8) -> Records<'t> {
        let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        // the reader strips a byte-order mark from the first bytes it is given, which here
        // are a record in the middle of the file: one line break first (skipped as a blank
        // line) and it strips nothing
        let _ = core.read_record(b"\n", &mut [], &mut []);
        Records {
            text,
            utf8: std::str::from_utf8(text).ok(),
            simple: memchr::memchr2(b'"', b'\r', text).is_none(),
            pos: 0,
            newlines: 0,
            delimiter,
            core,
            out: vec![0; 1024],
            ends: vec![0; 64],
            bounds: Vec::with_capacity(64),
        }
    }

    /// The next record; `None` at the end of the stretch.
    fn next(&mut self) -> Option<Record<'_>> {
        let text = self.text;
        // line breaks between records: blank lines, which the csv reader skips
        while let Some(&b) = text.get(self.pos) {
            match b {
                b'\n' => self.newlines += 1,
                b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
        if self.pos == text.len() {
            return None;
        }
        let start = self.pos;
        let line = self.newlines + 1;
        self.bounds.clear();
        match self.split_plain(start) {
            Some((end, next)) => {
                self.pos = next;
                self.newlines += u64::from(text[next - 1] == b'\n');
                let body = &text[start..end];
                Some(Record {
                    line,
                    bytes: body,
                    // the record starts and ends at ASCII bytes: a slice of valid text is
                    text: match self.utf8 {
                        Some(all) => Some(&all[start..end]),
                        None => std::str::from_utf8(body).ok(),
                    },
                    bounds: &self.bounds,
                })
            }
            None => self.read_quoted(line),
        }
    }

    /// Splits the record at `start` at its delimiters into `bounds` when it holds no quote
    /// and no `\r` other than one closing `\r\n`: returns the end of its fields and where the
    /// next record starts. `None`: the state machine must read it. Eight bytes are looked
    /// at a time (a byte of interest sets its high bit in a mask).
    fn split_plain(&mut self, start: usize) -> Option<(usize, usize)> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        // the high bit of every byte of `w` equal to `b` (exact: no carry between bytes)
        let equal = |w: u64, b: u8| {
            let y = w ^ (ONES * u64::from(b));
            !(((y & LOW) + LOW) | y | LOW)
        };
        let (text, d, simple) = (self.text, self.delimiter, self.simple);
        if matches!(d, b'"' | b'\r' | b'\n') || d >= 0x80 {
            return None;
        }
        let mut from = start;
        let bounds = &mut self.bounds;
        // one byte of interest at `p`: `Some` ends the record (`None` inside: quoted)
        let mut at = |p: usize| -> Option<Option<(usize, usize)>> {
            match text[p] {
                b'\n' => Some(Some((p, p + 1))),
                b'\r' if text.get(p + 1) == Some(&b'\n') => Some(Some((p, p + 2))),
                b'"' | b'\r' => Some(None),
                _ => {
                    bounds.push((from - start, p - start));
                    from = p + 1;
                    None
                }
            }
        };
        let mut i = start;
        let (end, next) = 'scan: {
            while let Some(word) = text.get(i..i + 8) {
                let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                let mut m = equal(w, d) | equal(w, b'\n');
                if !simple {
                    m |= equal(w, b'"') | equal(w, b'\r');
                }
                while m != 0 {
                    if let Some(end) = at(i + (m.trailing_zeros() / 8) as usize) {
                        break 'scan end?;
                    }
                    m &= m - 1;
                }
                i += 8;
            }
            while i < text.len() {
                if matches!(text[i], b'\n' | b'\r' | b'"') || text[i] == d {
                    if let Some(end) = at(i) {
                        break 'scan end?;
                    }
                }
                i += 1;
            }
            (text.len(), text.len())
        };
        self.bounds.push((from - start, end - start));
        Some((end, next))
    }

    /// The record at `pos`, read by the csv state machine.
    fn read_quoted(&mut self, line: u64) -> Option<Record<'_>> {
        use csv_core::ReadRecordResult as R;
        let (mut nout, mut nend) = (0, 0);
        loop {
            // all of the stretch's rest is given at once; once it is consumed, the empty
            // input is the end of the text
            let input = &self.text[self.pos..];
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            self.newlines += memchr::memchr_iter(b'\n', &input[..nin]).count() as u64;
            self.pos += nin;
            nout += o;
            nend += e;
            match res {
                R::InputEmpty => {}
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => break,
                R::End => return None,
            }
        }
        // (the in-place split may have begun the record)
        self.bounds.clear();
        let mut from = 0;
        for &end in &self.ends[..nend] {
            self.bounds.push((from, end));
            from = end;
        }
        // every field valid on its own (the bytes of two fields could join into a character)
        let text = std::str::from_utf8(&self.out[..nout])
            .ok()
            .filter(|t| self.bounds.iter().all(|&(_, end)| t.is_char_boundary(end)));
        Some(Record {
            line,
            bytes: &self.out[..nout],
            text,
            bounds: &self.bounds,
        })
    }
}

/// Reads every row of `text`, a stretch of the file starting at a record boundary, into
/// `out` (`skip_header`: its first record is the header line). Reject lines are counted
/// from `lines_before`, the line breaks before the stretch. `tick` gets the rows read so far
/// and the offset reached in `text` every [`PROGRESS_EVERY`] rows and returns `false` to
/// cancel. Returns the `\n` bytes in `text`.
fn read_rows(
    plan: &Plan,
    text: &[u8],
    skip_header: bool,
    out: &mut Rows,
    lines_before: u64,
    tick: &mut dyn FnMut(u64, usize) -> bool,
) -> Result<u64> {
    let Plan {
        headers,
        idx,
        roles,
        naive_tz,
        day_first,
        expand,
        props,
        ..
    } = plan;
    let Rows {
        builder,
        report,
        dedup,
        flat,
        path,
        kept,
        expanded,
    } = out;
    let mut records = Records::new(text, plan.delimiter);
    if skip_header {
        records.next();
    }
    loop {
        let pos = records.pos;
        let Some(record) = records.next() else { break };
        let line = lines_before + record.line;
        let fields = record.bounds;
        // a blank line is not a row
        if fields.len() == 1
            && record.bytes[fields[0].0..fields[0].1]
                .iter()
                .all(|b| b.is_ascii_whitespace())
        {
            continue;
        }
        report.rows_in += 1;
        if report.rows_in.is_multiple_of(PROGRESS_EVERY) && !tick(report.rows_in, pos) {
            return Err(Error::Cancelled);
        }
        if fields.len() != headers.len() {
            report.reject(
                line,
                RejectReason::FieldCount,
                format!("expected {} fields, found {}", headers.len(), fields.len()),
            );
            continue;
        }
        let Some(text) = record.text else {
            report.reject(
                line,
                RejectReason::Encoding,
                "bytes not valid in the file's encoding".into(),
            );
            continue;
        };
        let field = |i: usize| -> &str {
            let (start, end) = fields[i];
            trim(&text[start..end])
        };
        let (mut user, event, time) = (field(idx.user), field(idx.event), field(idx.time));
        if let (true, Some(f)) = (user.is_empty(), idx.user_fallback) {
            user = field(f);
        }
        let reason = if user.is_empty() {
            Some((
                RejectReason::MissingUser,
                format!("column \"{}\" is empty", roles.user),
            ))
        } else if event.is_empty() {
            Some((
                RejectReason::MissingEvent,
                format!("column \"{}\" is empty", roles.event),
            ))
        } else if time.is_empty() {
            Some((
                RejectReason::MissingTime,
                format!("column \"{}\" is empty", roles.time),
            ))
        } else {
            None
        };
        if let Some((reason, detail)) = reason {
            report.reject(line, reason, detail);
            continue;
        }
        let Some(ts) = parse_timestamp_in(time, naive_tz, *day_first) else {
            report.reject(
                line,
                RejectReason::BadTime,
                format!("\"{}\" in column \"{}\"", truncate(time, 60), roles.time),
            );
            continue;
        };
        if idx.insert_id.is_some_and(|i| dedup.repeated(field(i))) {
            report.duplicates += 1;
            continue;
        }
        if expand.is_empty() {
            builder.push(user, event, ts, props.iter().map(|&i| field(i)));
        } else {
            flat.clear();
            kept.clear();
            for &i in expand {
                let cell = field(i);
                if cell.is_empty() {
                    continue;
                }
                match expand_cell(cell, &headers[i], flat, path) {
                    Cell::Expanded => {}
                    Cell::NotAnObject => kept.push(i),
                    Cell::Invalid => {
                        report.json_cells_invalid += 1;
                        kept.push(i);
                    }
                }
            }
            let names = cells(flat)
                .map(|(k, _)| k)
                .chain(kept.iter().map(|&i| headers[i].as_str()));
            for name in names {
                if !expanded.contains_key(name) {
                    expanded.insert(name.to_string(), builder.add_property(name.to_string()));
                }
            }
            let fixed = props.iter().enumerate().map(|(c, &i)| (c, field(i)));
            let json = cells(flat).map(|(k, v)| (expanded[k], v));
            let text = kept
                .iter()
                .map(|&i| (expanded[headers[i].as_str()], field(i)));
            builder.push_sparse(user, event, ts, fixed.chain(json).chain(text));
        }
        report.imported += 1;
    }
    Ok(records.newlines)
}

/// The report `base` (the file's columns and shape) with the counts and rejects of
/// consecutive parts added, each part's reject lines moved down by its line offset.
fn merge_reports(
    base: ImportReport,
    parts: impl Iterator<Item = (ImportReport, u64)>,
) -> ImportReport {
    let mut out = base;
    for (part, lines) in parts {
        out.rows_in += part.rows_in;
        out.imported += part.imported;
        out.duplicates += part.duplicates;
        out.rejected += part.rejected;
        out.json_cells_invalid += part.json_cells_invalid;
        for (reason, n) in part.rejected_by_reason {
            *out.rejected_by_reason.entry(reason).or_default() += n;
        }
        let room = MAX_REJECT_SAMPLES - out.reject_samples.len();
        out.reject_samples
            .extend(part.reject_samples.into_iter().take(room).map(|mut r| {
                r.line += lines;
                r
            }));
    }
    out
}

/// The end of the last record that ends in `b` (the index after its `\n`, or after a `\r`:
/// a `\r` ends a record too, and a `\n` right after it is then a blank line of the next
/// stretch), for text that starts at a record boundary; `None` when no record ends in it.
/// Quotes are followed as the csv reader reads them: a `"` opens a quoted field only at the
/// start of a field, in a quoted field `""` is a quote and a lone `"` closes it, so a line
/// break inside quotes is never taken for a boundary.
fn last_boundary(b: &[u8], delimiter: u8) -> Option<usize> {
    if memchr::memchr(b'"', b).is_none() {
        return memchr::memrchr2(b'\n', b'\r', b).map(|i| i + 1);
    }
    let (mut quoted, mut skip, mut last) = (false, 0, None);
    for i in memchr::memchr3_iter(b'"', b'\n', b'\r', b) {
        if i < skip {
            continue;
        }
        if b[i] != b'"' {
            if !quoted {
                last = Some(i + 1);
            }
        } else if quoted {
            if b.get(i + 1) == Some(&b'"') {
                skip = i + 2;
            } else {
                quoted = false;
            }
        } else if i == 0 || matches!(b[i - 1], b'\n' | b'\r') || b[i - 1] == delimiter {
            quoted = true;
        }
    }
    last
}

/// One stretch of the file read on a thread: its rows, and the `\n` bytes it holds (to
/// number the lines of the stretches after it).
fn read_part(plan: &Plan, bytes: &[u8], skip_header: bool) -> Result<(Rows, u64)> {
    let mut rows = Rows::new(plan);
    let newlines = read_rows(plan, bytes, skip_header, &mut rows, 0, &mut |_, _| true)?;
    rows.builder.shrink_to_fit();
    Ok((rows, newlines))
}

/// Reads the rows of `text` on this thread, in stretches of about `block` bytes ending at a
/// record boundary ([`last_boundary`]), into one builder and report (rows may depend on the
/// rows before them: insert ids, JSON keys). `tick` gets the rows read and the bytes
/// consumed every [`PROGRESS_EVERY`] rows and returns `false` to cancel.
fn read_stretches<R: Read>(
    plan: &Plan,
    text: R,
    header: bool,
    block: usize,
    dedup: &mut Dedup,
    tick: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<(StoreBuilder, ImportReport, u64)> {
    let mut rows = Rows::new(plan);
    // the insert ids of earlier files, and this file's added for the next
    std::mem::swap(&mut rows.dedup, dedup);
    let (mut lines, mut before) = (0, 0u64);
    // the one buffer, filled again for every stretch
    let free = std::cell::Cell::new(Vec::new());
    let read = feed(
        text,
        plan.delimiter,
        block,
        &mut || free.take(),
        &mut |k, buf, len, _| {
            let skip = header && k == 0;
            lines += read_rows(plan, &buf[..len], skip, &mut rows, lines, &mut |n, pos| {
                tick(n, before + pos as u64)
            })?;
            before += len as u64;
            free.set(buf);
            Ok(true)
        },
    )?;
    std::mem::swap(&mut rows.dedup, dedup);
    Ok((rows.builder, rows.report, read))
}

/// Reads the rows of `text` on `split.threads` threads: this thread reads stretches of
/// about `split.block` bytes ending at a record boundary ([`last_boundary`]) and hands them
/// out; each is read into its own builder and report, and they are joined in file order, so
/// the store, the counts and the reject lines equal a read on one thread. `tick` gets the
/// rows read and the bytes consumed after each stretch and returns `false` to cancel.
fn read_split<R: Read>(
    plan: &Plan,
    text: R,
    header: bool,
    split: Split,
    tick: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<(StoreBuilder, ImportReport, u64)> {
    use std::sync::mpsc;
    type Done = (usize, Result<(Rows, u64)>);
    let (jobs, queue) = mpsc::sync_channel::<(usize, Vec<u8>, usize)>(split.threads);
    let queue = std::sync::Mutex::new(queue);
    let (finished, done) = mpsc::channel::<Done>();
    // read buffers go back to the reading thread to be filled again: no fresh pages per
    // stretch, and no freed blocks raising the allocator's mmap threshold (which would put
    // the parts' columns in per-thread heaps that are not reused after the join)
    let (give_back, spare) = mpsc::channel::<Vec<u8>>();
    let mut parts: Vec<Done> = Vec::new();
    let fed = std::thread::scope(|s| {
        for _ in 0..split.threads {
            let (queue, finished, give_back) = (&queue, finished.clone(), give_back.clone());
            s.spawn(move || loop {
                let job = queue.lock().expect("no panics while locked").recv();
                let Ok((k, buf, len)) = job else { break };
                let part = read_part(plan, &buf[..len], header && k == 0);
                // the reader may be gone (it stopped); the buffer is then just freed
                let _ = give_back.send(buf);
                if finished.send((k, part)).is_err() {
                    break;
                }
            });
        }
        drop((finished, give_back));
        let fed = feed(
            text,
            plan.delimiter,
            split.block,
            &mut || spare.try_recv().unwrap_or_default(),
            &mut |k, buf, len, read| {
                if jobs.send((k, buf, len)).is_err() {
                    return Ok(false);
                }
                parts.extend(done.try_iter());
                let rows = parts
                    .iter()
                    .filter_map(|(_, p)| p.as_ref().ok())
                    .map(|(r, _)| r.report.rows_in)
                    .sum();
                Ok(tick(rows, read))
            },
        );
        // dropping the queue's sender lets the threads finish
        drop(jobs);
        parts.extend(done.iter());
        fed
    });
    let bytes = fed?;
    parts.sort_by_key(|(k, _)| *k);
    let mut builders = Vec::with_capacity(parts.len());
    let mut reports = Vec::with_capacity(parts.len());
    let mut lines = 0;
    for (_, part) in parts {
        let (rows, newlines) = part?;
        builders.push(rows.builder);
        reports.push((rows.report, lines));
        lines += newlines;
    }
    let report = merge_reports(ImportReport::default(), reports.into_iter());
    Ok((StoreBuilder::concat(builders, split.threads), report, bytes))
}

/// Reads `text` in stretches of about `block` bytes ending at record boundaries and hands
/// them, numbered, to `sink` (a buffer and the length of the stretch at its start) with the
/// bytes read so far; `sink` returns `false` to stop (cancelled). Buffers come from `spare` (an empty `Vec` when none is free). Returns the
/// bytes read.
fn feed<R: Read>(
    mut text: R,
    delimiter: u8,
    block: usize,
    spare: &mut dyn FnMut() -> Vec<u8>,
    sink: &mut dyn FnMut(usize, Vec<u8>, usize, u64) -> Result<bool>,
) -> Result<u64> {
    let (mut carry, mut read, mut k) = (Vec::<u8>::new(), 0u64, 0);
    loop {
        // the bytes after the last cut, then exactly `block` bytes more (`read_to_end`
        // would double the buffer's room); a buffer given back keeps its length, so only
        // room it never had is zeroed
        let mut buf = spare();
        let start = carry.len();
        if buf.len() < start + block {
            buf.resize(start + block, 0);
        }
        buf[..start].copy_from_slice(&carry);
        let mut n = 0;
        while n < block {
            match text.read(&mut buf[start + n..start + block]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        let filled = start + n;
        read += n as u64;
        let end = n < block;
        let cut = if end {
            filled
        } else {
            match last_boundary(&buf[..filled], delimiter) {
                Some(cut) => cut,
                None => {
                    buf.truncate(filled);
                    carry = buf;
                    continue;
                }
            }
        };
        carry.clear();
        carry.extend_from_slice(&buf[cut..filled]);
        if cut == 0 {
            if end {
                break;
            }
            continue;
        }
        if !sink(k, buf, cut, read)? {
            return Err(Error::Cancelled);
        }
        k += 1;
        if end {
            break;
        }
    }
    Ok(read)
}

/// The cells of the first row of `head` (empty when it has none).
pub(crate) fn first_row(head: &[u8], delimiter: u8) -> Result<Vec<String>> {
    first_record(head, delimiter).map(|(cells, _)| cells)
}

/// The cells of the first row of `head` and the offset where the reader stopped after it
/// (`head.len()` when the row may go on past `head`).
fn first_record(head: &[u8], delimiter: u8) -> Result<(Vec<String>, usize)> {
    let mut r = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(head);
    let mut record = ::csv::ByteRecord::new();
    match r.read_byte_record(&mut record) {
        Ok(true) => Ok((
            record
                .iter()
                .map(|c| String::from_utf8_lossy(c).trim().to_string())
                .collect(),
            r.position().byte() as usize,
        )),
        Ok(false) => Ok((Vec::new(), head.len())),
        Err(e) => Err(Error::format(format!("could not read the first line: {e}"))
            .keyed("bad_first_line", &[("detail", &e)])),
    }
}

/// Whether the first row (`cells`) is a header line (the rule is in the module doc).
pub(crate) fn has_header(cells: &[String], mode: HeaderMode) -> bool {
    match mode {
        HeaderMode::Yes => true,
        HeaderMode::No => false,
        HeaderMode::Auto => {
            let utc = Zone::utc();
            let data_like = |c: &String| {
                c.bytes().any(|b| b.is_ascii_digit())
                    && (c.parse::<f64>().is_ok() || parse_timestamp(c, &utc).is_some())
            };
            cells.iter().any(|c| super::mapping::is_role_name(c)) || !cells.iter().any(data_like)
        }
    }
}

/// The names of the columns of a file without a header line: `column_1` … `column_n`.
pub(crate) fn numbered_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("column_{i}")).collect()
}

/// Header names made usable: an empty name becomes `column_N` (its position), a repeated
/// one gets `_2`, `_3`, … so every property can be named.
pub(crate) fn unique_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, name) in names.enumerate() {
        let base = if name.is_empty() {
            format!("column_{}", i + 1)
        } else {
            name
        };
        let mut candidate = base.clone();
        let mut n = 1;
        while out.contains(&candidate) {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        out.push(candidate);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(s: &str) -> Result<Dataset> {
        load(s.as_bytes(), None, &LoadOptions::default(), &mut |_| true)
    }

    #[test]
    fn loads_and_rejects_with_reasons() {
        let csv = "\u{feff}user_id,event,timestamp,channel,revenue\n\
                   u1,signup,2024-03-01T09:00:00Z,wechat,\n\
                   u1,purchase,2024-03-02 10:15:00,wechat,39.9\n\
                   \n\
                   u2,signup,1709283600,douyin,\n\
                   ,signup,1709283600,douyin,\n\
                   u3,,1709283600,douyin,\n\
                   u3,view,yesterday,douyin,\n\
                   u3,view,1709283600\n\
                   \"u4\",\"a, b\",1709283600,\"x\"\"y\",1\n";
        let d = load_str(csv).unwrap();
        let r = &d.report;
        assert_eq!((r.rows_in, r.imported, r.rejected), (8, 4, 4));
        assert_eq!(r.delimiter, ',');
        let lines: Vec<(u64, RejectReason)> = r
            .reject_samples
            .iter()
            .map(|x| (x.line, x.reason))
            .collect();
        assert_eq!(
            lines,
            [
                (6, RejectReason::MissingUser),
                (7, RejectReason::MissingEvent),
                (8, RejectReason::BadTime),
                (9, RejectReason::FieldCount)
            ]
        );
        assert!(r.reject_samples[2].detail.contains("yesterday"));
        assert_eq!(d.store.user_count(), 3);
        assert_eq!(d.store.event_names().code("a, b"), Some(2));
        let ch = d.store.property("channel").unwrap();
        assert!((0..4).any(|i| ch.display(i).as_deref() == Some("x\"y")));
    }

    #[test]
    fn empty_and_repeated_headers_get_names() {
        let d = load_str("user_id,event,timestamp,,tag,tag\nu,e,2024-01-01,x,a,b\n").unwrap();
        assert_eq!(d.report.columns.properties, ["column_4", "tag", "tag_2"]);
        assert_eq!(
            d.store.property("tag_2").unwrap().display(0).as_deref(),
            Some("b")
        );
    }

    #[test]
    fn sniffs_tab_and_semicolon() {
        let d = load_str("uid\tevent\ttime\nu\te\t2024-01-01\n").unwrap();
        assert_eq!((d.report.delimiter, d.report.imported), ('\t', 1));
        let d = load_str("uid;event;time;note\nu;e;2024-01-01;\"a;b\"\n").unwrap();
        assert_eq!((d.report.delimiter, d.report.imported), (';', 1));
    }

    #[test]
    fn clear_errors_for_unusable_files() {
        assert!(load_str("").unwrap_err().to_string().contains("empty"));
        assert!(load_str("a,b\n1,2\n")
            .unwrap_err()
            .to_string()
            .contains("at least user"));
        assert!(load_str("user_id,event,timestamp\n")
            .unwrap_err()
            .to_string()
            .contains("no data rows"));
        // GBK bytes read as UTF-8 (ingest::load decodes them first): the row is rejected
        let gbk = b"user_id,event,timestamp\nu,\xb5\xc7\xc2\xbc,2024-01-01\nv,e,2024-01-01\n";
        let d = load(&gbk[..], None, &LoadOptions::default(), &mut |_| true).unwrap();
        assert_eq!((d.report.imported, d.report.rejected), (1, 1));
        assert_eq!(d.report.reject_samples[0].reason, RejectReason::Encoding);
    }

    /// Generated delimited text with everything a split could get wrong: quoted cells
    /// holding delimiters, quotes and line breaks, stray quotes inside unquoted cells, CRLF,
    /// CR and LF lines, blank lines, rejected rows of every kind, bytes that are not UTF-8,
    /// repeated values and equal timestamps.
    fn messy(rows: usize, seed: u64, insert_id: bool) -> Vec<u8> {
        let mut x = seed;
        let mut next = move |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let mut out: Vec<u8> = Vec::new();
        out.extend_from_slice(if insert_id {
            b"user_id,event,timestamp,note,$insert_id\n"
        } else {
            b"user_id,event,timestamp,note,plan\n"
        });
        for r in 0..rows {
            let user = match next(40) {
                0 => String::new(),
                u => format!("u{u}"),
            };
            let event = ["view", "buy", "\"a,b\"", "", "sign up"][next(5) as usize];
            let time = match next(12) {
                0 => "yesterday".to_string(),
                1 => String::new(),
                2 => format!("{}", 1_709_283_600 + next(100)),
                3 => format!("2024-03-0{} 10:00:00", 1 + next(9)),
                _ => format!("2024-03-01T10:00:{:02}.{:03}Z", next(60), next(1000)),
            };
            let note = match next(9) {
                0 => "\"line one\nline two\"".to_string(),
                1 => "\"say \"\"hi\"\", ok\"".to_string(),
                2 => "5\" screen".to_string(),
                3 => "\"\"".to_string(),
                4 => "\"a\r\n\"\"b\"\"\"".to_string(),
                _ => format!("n{}", next(7)),
            };
            let last = if insert_id {
                format!("id{}", next(rows as u64))
            } else {
                ["free", "pro", ""][next(3) as usize].to_string()
            };
            let mut line = format!("{user},{event},{time},{note},{last}").into_bytes();
            match next(25) {
                0 => line.extend_from_slice(b",extra"),
                1 => line.extend_from_slice(b"\xff"),
                _ => {}
            }
            out.extend_from_slice(&line);
            out.extend_from_slice(match r % 5 {
                0 => b"\r\n",
                1 => b"\r",
                _ => b"\n",
            });
            if next(30) == 0 {
                out.extend_from_slice(b"\n");
            }
        }
        out
    }

    fn load_with(text: &[u8], threads: usize, block: usize) -> Dataset {
        let split = Split { threads, block };
        let (opts, mut dedup) = (LoadOptions::default(), Dedup::default());
        load_split(text, None, &opts, &mut dedup, &mut |_| true, split).unwrap()
    }

    #[test]
    fn a_parallel_load_equals_a_load_on_one_thread() {
        for (seed, rows, insert_id) in [(1, 400, false), (2, 3000, false), (3, 500, true)] {
            let text = messy(rows, seed, insert_id);
            let one = load_with(&text, 1, 1 << 20);
            let r = &one.report;
            // the data has every kind of row (the assertions below would compare little else)
            assert!(r.rejected_by_reason.len() >= 5 && r.imported > rows as u64 / 3);
            assert_eq!(r.rows_in, r.imported + r.duplicates + r.rejected);
            assert_eq!(insert_id, r.duplicates > 0);
            let expected = (
                format!("{:?}", one.store),
                serde_json::to_string(&one.report).unwrap(),
            );
            // one thread in small stretches (the browser's worker, and files with insert ids)
            for threads in [1, 2, 3, 4] {
                for block in [1, 2, 5, 17, 64, 100, 333, 1024, 4096, 1 << 20] {
                    let got = load_with(&text, threads, block);
                    let got = (
                        format!("{:?}", got.store),
                        serde_json::to_string(&got.report).unwrap(),
                    );
                    assert!(
                        got == expected,
                        "seed {seed}, {threads} threads, blocks of {block} bytes"
                    );
                }
            }
        }
    }

    #[test]
    fn a_header_line_longer_than_the_sniffed_bytes_is_read_whole() {
        let long = "x".repeat(70_000);
        let text = format!("user_id,event,timestamp,{long}\nu,e,2024-01-01,v\n");
        for threads in [1, 2] {
            let d = load_with(text.as_bytes(), threads, 1 << 20);
            assert_eq!(d.report.columns.properties, std::slice::from_ref(&long));
            assert_eq!((d.report.imported, d.report.rejected), (1, 0));
        }
    }

    /// Asserts that [`Records`] reads `text` as the csv crate's reader does: the same
    /// records, fields and lines.
    fn splits_as_the_csv_reader(text: &[u8], delimiter: u8) {
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(text);
        let mut expected = Vec::new();
        for r in reader.byte_records() {
            let r = r.unwrap();
            // the record's line: the `\n` bytes before its first byte (the reader's offset
            // may point at the line breaks before it)
            let mut at = r.position().unwrap().byte() as usize;
            while matches!(text.get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
            let line = 1 + text[..at].iter().filter(|&&b| b == b'\n').count() as u64;
            let fields: Vec<Vec<u8>> = r.iter().map(<[u8]>::to_vec).collect();
            expected.push((line, fields));
        }
        let mut records = Records::new(text, delimiter);
        let mut got = Vec::new();
        while let Some(r) = records.next() {
            let fields: Vec<Vec<u8>> = r
                .bounds
                .iter()
                .map(|&(a, z)| r.bytes[a..z].to_vec())
                .collect();
            let valid = r
                .bounds
                .iter()
                .all(|&(a, z)| std::str::from_utf8(&r.bytes[a..z]).is_ok());
            assert_eq!(r.text.is_some(), valid);
            got.push((r.line, fields));
        }
        assert!(expected.len() > 3000);
        assert_eq!(got, expected);
        assert_eq!(
            records.newlines,
            text.iter().filter(|&&b| b == b'\n').count() as u64
        );
    }

    #[test]
    fn records_split_as_the_csv_reader_splits_them() {
        let mut text = messy(3000, 7, false);
        // lone CR terminators, CR CR LF, white space lines, text that is not ASCII, a quote
        // opening the last record and one left open at the end
        text.extend_from_slice(
            "a,b\rc,d\r\r\n  \n\t\r\n用户,é\n\"x\"\"y\",z\n\"q,\"\"\n\nopen \"".as_bytes(),
        );
        splits_as_the_csv_reader(&text, b',');
        // the same as tab separated, and without quotes and CRs (found two bytes at a
        // time), with and without bytes that are not UTF-8
        let tabs: Vec<u8> = text
            .iter()
            .map(|&b| if b == b',' { b'\t' } else { b })
            .collect();
        splits_as_the_csv_reader(&tabs, b'\t');
        let plain: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'"' | b'\r'))
            .collect();
        splits_as_the_csv_reader(&plain, b',');
        assert!(std::str::from_utf8(&plain).is_err());
        let utf8: Vec<u8> = plain.iter().copied().filter(|&b| b != 0xff).collect();
        assert!(std::str::from_utf8(&utf8).is_ok());
        splits_as_the_csv_reader(&utf8, b',');
    }

    #[test]
    fn stretches_end_only_at_line_breaks_outside_quotes() {
        assert_eq!(last_boundary(b"a,b\nc,d", b','), Some(4));
        assert_eq!(last_boundary(b"a,b", b','), None);
        // a quoted line break, then an escaped quote and a closing one
        assert_eq!(last_boundary(b"a,\"x\ny\"\nb,\"q\"\"\n", b','), Some(8));
        // a quote inside an unquoted cell is a character: the line break after it counts
        assert_eq!(last_boundary(b"a,5\" tv\nb,c", b','), Some(8));
        // an empty quoted cell, and a quote after a CR opening a cell
        assert_eq!(last_boundary(b"\"\",a\r\n\"x\ny", b','), Some(6));
        assert_eq!(last_boundary(b"a;\"x\n", b';'), None);
        // a lone CR ends a record; CR LF may be cut between the two
        assert_eq!(last_boundary(b"a,b\rc,d", b','), Some(4));
        assert_eq!(last_boundary(b"a,\"x\r\"\r\nb", b','), Some(8));
        assert_eq!(last_boundary(b"a,\"x\r", b','), None);
    }

    #[test]
    fn cancel_stops_the_import() {
        let mut s = String::from("user_id,event,timestamp\n");
        for i in 0..(PROGRESS_EVERY + 1) {
            s.push_str(&format!("u{i},e,2024-01-01\n"));
        }
        let e = load(s.as_bytes(), None, &LoadOptions::default(), &mut |_| false).unwrap_err();
        assert!(matches!(e, Error::Cancelled));
    }
}
