//! Delimited text (CSV, TSV, `;`/`|` separated) into a [`Dataset`].
//!
//! Streaming: the input is read through the `csv` crate's buffered reader, so memory holds
//! the store being built plus a few buffers, never the whole file. On a machine with more
//! than one core (the native CLI; the browser's worker has one thread) the rows are read in
//! parallel ([`load_split`]): this thread cuts the text into stretches of 8 MiB that end at a
//! record boundary outside quotes, every core parses stretches into its own builder and
//! report, and they are joined in file order, so the store, the counts and the line numbers
//! of rejected rows are those of a read on one thread. Files with an insert id column or
//! JSON columns to expand are read on one thread (a duplicate or a new property depends on
//! the rows before it). The first 64 KiB are sniffed
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
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Cursor, Read};
use std::rc::Rc;

const SNIFF_BYTES: usize = 64 * 1024;

/// Where the reader is: bytes handed to the CSV parser, and the offsets of the line-break
/// bytes (`\r`, `\n`) not yet passed by a record, so a record's line number follows from
/// its byte offset. (The csv crate's own line numbers are wrong after CRLF and after blank
/// lines, and its record offsets point at the line break before the record.)
#[derive(Default)]
struct Track {
    bytes: u64,
    /// (offset, is `\n`) of every `\r` and `\n` at or after the last record's start.
    breaks: VecDeque<(u64, bool)>,
    lines_before: u64,
}

impl Track {
    /// 1-based line number of the record the parser says starts at byte `start`.
    fn line_at(&mut self, start: u64) -> u64 {
        let mut cursor = start;
        while let Some(&(p, newline)) = self.breaks.front() {
            // breaks before the record, then the run of breaks (blank lines) it starts with
            if p > cursor {
                break;
            }
            if p == cursor {
                cursor += 1;
            }
            self.breaks.pop_front();
            self.lines_before += u64::from(newline);
        }
        self.lines_before + 1
    }
}

/// A reader that keeps [`Track`] up to date.
struct Tracked<R> {
    inner: R,
    track: Rc<RefCell<Track>>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut t = self.track.borrow_mut();
        let base = t.bytes;
        t.breaks.extend(
            memchr::memchr2_iter(b'\n', b'\r', &buf[..n])
                .map(|i| (base + i as u64, buf[i] == b'\n')),
        );
        t.bytes += n as u64;
        Ok(n)
    }
}

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
    load_split(input, total_bytes, opts, &mut dedup, progress, Split::auto())
}

/// [`load`] with the rows read as `split` says. On more than one thread the rows are read
/// in parallel unless they depend on earlier rows (an insert id column: duplicates are
/// dropped in file order; JSON columns: their keys add properties as they appear) or the
/// header line does not end in the first 64 KiB; the result is the same either way. A row
/// whose insert id is in `dedup` (from earlier files) is a duplicate.
/// Stretches end only at a `\n` outside quotes (see [`last_boundary`]); a file whose
/// records end in a lone `\r` is one stretch.
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
    let sample = head.clone();
    let whole = (head.len() as u64 + bom) < SNIFF_BYTES as u64;
    let (first, first_end) = first_record(&head, delimiter)?;
    let header = has_header(&first, opts.header);
    let open = |text: Text<R>| {
        let track = Rc::new(RefCell::new(Track::default()));
        let reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(header)
            .from_reader(Tracked {
                inner: text,
                track: track.clone(),
            });
        (reader, track)
    };
    let mut text = Some(Cursor::new(head).chain(input));
    let mut opened = None;
    // the header names, from the sniffed bytes when the first record ends in them (else the
    // stream's reader reads it, and the rows are read on one thread)
    let headers = if !header {
        numbered_names(first.len())
    } else if whole || first_end < sample.len() {
        unique_names(first.into_iter())
    } else {
        let (mut reader, track) = open(text.take().expect("not taken yet"));
        let names = unique_names(
            reader
                .byte_headers()
                .map_err(|e| {
                    Error::format(format!("could not read the header line: {e}"))
                        .keyed("bad_header_line", &[("detail", &e)])
                })?
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_string()),
        );
        opened = Some((reader, track));
        names
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
    // columns adding properties mid-stream) and the header was read from the sniffed bytes
    let parallel = split.threads > 1
        && opened.is_none()
        && plan.idx.insert_id.is_none()
        && plan.expand.is_empty();
    let (builder, report, bytes) = if parallel {
        let text = text.take().expect("not taken yet");
        read_split(&plan, text, header, split, &mut |rows, bytes| {
            progress(Progress {
                bytes: bytes + bom,
                total_bytes,
                rows,
            })
        })?
    } else {
        let (mut reader, track) = match opened {
            Some(o) => o,
            None => open(text.take().expect("not taken yet")),
        };
        let mut part = Rows::new(&plan);
        std::mem::swap(&mut part.dedup, dedup);
        read_rows(&plan, &mut reader, &track, &mut part, &mut |rows| {
            progress(Progress {
                bytes: track.borrow().bytes + bom,
                total_bytes,
                rows,
            })
        })?;
        let bytes = track.borrow().bytes;
        std::mem::swap(&mut part.dedup, dedup);
        (part.builder, part.report, bytes)
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

/// The text of a delimited file: its sniffed first bytes, then the rest.
type Text<R> = std::io::Chain<Cursor<Vec<u8>>, R>;

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

/// Reads every row of `reader` into `out`. `tick` gets the rows read so far every
/// [`PROGRESS_EVERY`] rows and returns `false` to cancel.
fn read_rows<R: Read>(
    plan: &Plan,
    reader: &mut ::csv::Reader<Tracked<R>>,
    track: &Rc<RefCell<Track>>,
    out: &mut Rows,
    tick: &mut dyn FnMut(u64) -> bool,
) -> Result<()> {
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
    let mut record = ::csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let detail = e.to_string();
                return Err(match e.into_kind() {
                    ::csv::ErrorKind::Io(io) => Error::Io(io),
                    _ => Error::format(format!("line {line}: {detail}"))
                        .keyed("bad_row", &[("line", &line), ("detail", &detail)]),
                });
            }
        }
        let line = track
            .borrow_mut()
            .line_at(record.position().map_or(0, |p| p.byte()));
        // a blank line is not a row
        if record.len() == 1 && record[0].iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        report.rows_in += 1;
        if report.rows_in.is_multiple_of(PROGRESS_EVERY) && !tick(report.rows_in) {
            return Err(Error::Cancelled);
        }
        if record.len() != headers.len() {
            report.reject(
                line,
                RejectReason::FieldCount,
                format!("expected {} fields, found {}", headers.len(), record.len()),
            );
            continue;
        }
        let text = match std::str::from_utf8(record.as_slice()) {
            Ok(t) => t,
            Err(_) => {
                report.reject(
                    line,
                    RejectReason::Encoding,
                    "bytes not valid in the file's encoding".into(),
                );
                continue;
            }
        };
        let field = |i: usize| -> &str {
            let r = record
                .range(i)
                .expect("field index checked against header length");
            trim(&text[r])
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
    Ok(())
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

/// The end of the last record that ends in `b` (the index after its `\n`), for text that
/// starts at a record boundary; `None` when no record ends in it. Quotes are followed as the
/// csv reader reads them: a `"` opens a quoted field only at the start of a field, in a
/// quoted field `""` is a quote and a lone `"` closes it, so a `\n` inside quotes is never
/// taken for a boundary. (A `\r` alone also ends a record; such files are not split.)
fn last_boundary(b: &[u8], delimiter: u8) -> Option<usize> {
    if memchr::memchr(b'"', b).is_none() {
        return memchr::memrchr(b'\n', b).map(|i| i + 1);
    }
    let (mut quoted, mut skip, mut last) = (false, 0, None);
    for i in memchr::memchr2_iter(b'"', b'\n', b) {
        if i < skip {
            continue;
        }
        if b[i] == b'\n' {
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
    let track = Rc::new(RefCell::new(Track::default()));
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(plan.delimiter)
        .flexible(true)
        .has_headers(skip_header)
        .from_reader(Tracked {
            inner: bytes,
            track: track.clone(),
        });
    let mut rows = Rows::new(plan);
    read_rows(plan, &mut reader, &track, &mut rows, &mut |_| true)?;
    rows.builder.shrink_to_fit();
    Ok((rows, memchr::memchr_iter(b'\n', bytes).count() as u64))
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
    let (jobs, queue) = mpsc::sync_channel::<(usize, Vec<u8>)>(split.threads);
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
                let Ok((k, bytes)) = job else { break };
                let part = read_part(plan, &bytes, header && k == 0);
                // the reader may be gone (it stopped); the buffer is then just freed
                let _ = give_back.send(bytes);
                if finished.send((k, part)).is_err() {
                    break;
                }
            });
        }
        drop((finished, give_back));
        let stretches = Stretches {
            jobs,
            spare: &spare,
            delimiter: plan.delimiter,
            block: split.block,
        };
        let fed = feed(text, stretches, &mut |bytes| {
            parts.extend(done.try_iter());
            let rows = parts
                .iter()
                .filter_map(|(_, p)| p.as_ref().ok())
                .map(|(r, _)| r.report.rows_in)
                .sum();
            tick(rows, bytes)
        });
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

/// Where [`feed`] sends stretches: the threads' queue, the buffers they gave back, and how
/// stretches are cut.
struct Stretches<'a> {
    jobs: std::sync::mpsc::SyncSender<(usize, Vec<u8>)>,
    spare: &'a std::sync::mpsc::Receiver<Vec<u8>>,
    delimiter: u8,
    block: usize,
}

/// Reads `text` in stretches ending at record boundaries and sends them, numbered, to the
/// threads' queue; `tick` gets the bytes read after each and returns `false` to cancel.
/// Returns the bytes read. (Dropping the queue's sender on return lets the threads finish.)
fn feed<R: Read>(mut text: R, to: Stretches<'_>, tick: &mut dyn FnMut(u64) -> bool) -> Result<u64> {
    let Stretches {
        jobs,
        spare,
        delimiter,
        block,
    } = to;
    let (mut carry, mut read, mut k) = (Vec::<u8>::new(), 0u64, 0);
    loop {
        // the bytes after the last cut, then exactly `block` bytes more (`read_to_end`
        // would double the buffer's room)
        let mut buf = spare.try_recv().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&carry);
        let start = buf.len();
        buf.resize(start + block, 0);
        let mut n = 0;
        while n < block {
            match text.read(&mut buf[start + n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        buf.truncate(start + n);
        read += n as u64;
        let end = n < block;
        let cut = if end {
            buf.len()
        } else {
            match last_boundary(&buf, delimiter) {
                Some(cut) => cut,
                None => {
                    carry = buf;
                    continue;
                }
            }
        };
        carry.clear();
        carry.extend_from_slice(&buf[cut..]);
        buf.truncate(cut);
        if !buf.is_empty() {
            if jobs.send((k, buf)).is_err() {
                break;
            }
            k += 1;
        }
        if !tick(read) {
            return Err(Error::Cancelled);
        }
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
    /// holding delimiters, quotes and line breaks, stray quotes inside unquoted cells, CRLF
    /// and LF lines, blank lines, rejected rows of every kind, bytes that are not UTF-8,
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
            out.extend_from_slice(if r % 3 == 0 { b"\r\n" } else { b"\n" });
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
            for threads in [2, 3, 4] {
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
