//! Delimited text (CSV, TSV, `;`/`|` separated) into a [`Dataset`].
//!
//! Streaming: the input is read through the `csv` crate's buffered reader, so memory holds
//! the store being built plus one buffer, never the whole file. The first 64 KiB are sniffed
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
use super::mapping::{expand_columns, map_columns, shape_of_headers};
use super::{
    decide_date_order, truncate, Dataset, Dedup, HeaderMode, ImportReport, LoadOptions, Progress,
    RejectReason, DATE_SAMPLE,
};
use crate::engine::error::{Error, Result};
use crate::engine::store::StoreBuilder;
use crate::engine::time::{parse_timestamp, parse_timestamp_in, Zone};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Cursor, Read};
use std::rc::Rc;

const SNIFF_BYTES: usize = 64 * 1024;
/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 50_000;

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
    let track = Rc::new(RefCell::new(Track::default()));
    let bytes_read = || track.borrow().bytes + bom;

    let first = first_row(&head, delimiter)?;
    let header = has_header(&first, opts.header);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(header)
        .from_reader(Tracked {
            inner: Cursor::new(head).chain(input),
            track: track.clone(),
        });
    let headers = if header {
        unique_names(
            reader
                .byte_headers()
                .map_err(|e| {
                    Error::format(format!("could not read the header line: {e}"))
                        .keyed("bad_header_line", &[("detail", &e)])
                })?
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_string()),
        )
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
    let mut report = ImportReport {
        expanded_json: expand.iter().map(|&i| headers[i].clone()).collect(),
        columns: roles.clone(),
        delimiter: delimiter as char,
        format: "csv".into(),
        shape: shape.map(str::to_string),
        ..Default::default()
    };
    let mut builder = StoreBuilder::new(roles.properties.clone());
    let mut record = ::csv::ByteRecord::new();
    let mut dedup = Dedup::default();
    // JSON cells: the column of each expanded key (or of a column's kept text), by name
    let mut flat = Flat::default();
    let mut path = String::new();
    let mut kept: Vec<usize> = Vec::with_capacity(expand.len());
    let mut expanded: rustc_hash::FxHashMap<String, usize> = Default::default();
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
        if report.rows_in.is_multiple_of(PROGRESS_EVERY) {
            let p = Progress {
                bytes: bytes_read(),
                total_bytes,
                rows: report.rows_in,
            };
            if !progress(p) {
                return Err(Error::Cancelled);
            }
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
            text[r].trim()
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
        let Some(ts) = parse_timestamp_in(time, &naive_tz, day_first) else {
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
            for &i in &expand {
                let cell = field(i);
                if cell.is_empty() {
                    continue;
                }
                match expand_cell(cell, &headers[i], &mut flat, &mut path) {
                    Cell::Expanded => {}
                    Cell::NotAnObject => kept.push(i),
                    Cell::Invalid => {
                        report.json_cells_invalid += 1;
                        kept.push(i);
                    }
                }
            }
            let names = cells(&flat)
                .map(|(k, _)| k)
                .chain(kept.iter().map(|&i| headers[i].as_str()));
            for name in names {
                if !expanded.contains_key(name) {
                    expanded.insert(name.to_string(), builder.add_property(name.to_string()));
                }
            }
            let fixed = props.iter().enumerate().map(|(c, &i)| (c, field(i)));
            let json = cells(&flat).map(|(k, v)| (expanded[k], v));
            let text = kept
                .iter()
                .map(|&i| (expanded[headers[i].as_str()], field(i)));
            builder.push_sparse(user, event, ts, fixed.chain(json).chain(text));
        }
        report.imported += 1;
    }
    report.bytes = bytes_read();
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

/// The cells of the first row of `head` (empty when it has none).
pub(crate) fn first_row(head: &[u8], delimiter: u8) -> Result<Vec<String>> {
    let mut r = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(head);
    let mut record = ::csv::ByteRecord::new();
    match r.read_byte_record(&mut record) {
        Ok(true) => Ok(record
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_string())
            .collect()),
        Ok(false) => Ok(Vec::new()),
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
