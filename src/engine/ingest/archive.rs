//! Zip archives: every file inside read entry by entry into one dataset.
//!
//! The `zip` crate reads the archive's central directory (at the end of the file, hence a
//! source that can seek: a native file, or the browser `File` read in `Blob` slices). Each
//! entry is then read from its offset, inflated as it is read (stored or deflate, through
//! flate2's pure-Rust backend; its CRC-32 checked at its end), and opened like a top-level
//! file: gzip inside the zip (an Amplitude export is a zip of gzipped JSON lines), the text
//! encoding, the format. The entries are read one after the other as one text, so all of
//! them land in one dataset; a line number in the import report counts the lines of all
//! entries in archive order.
//!
//! Entries must agree: all JSON lines, or all delimited text with the same header line (the
//! header of every entry after the first is skipped); a JSON array must be the only entry.
//! An entry that differs is an error naming it. Directories and the `__MACOSX/` and
//! `.DS_Store` files that macOS adds are skipped.
//!
//! A decompression bomb stops the import: past [`BOMB_FLOOR`] bytes of text, neither one
//! entry nor the whole archive may yield more than [`MAX_RATIO`] times the compressed bytes
//! read for it, and no entry more than the memory budget [`MAX_INFLATED`]. Every error has
//! a message code (`zip_damaged`, `zip_entry_header`, `zip_bomb`, `zip_entry_budget`, ...).

use super::container::{over_budget, stream_error, Counted, BOMB_FLOOR, MAX_INFLATED, MAX_RATIO};
use super::{open_text, run, Dataset, Dedup, Format, LoadOptions, OpenText, Progress};
use crate::engine::error::{Error, Result};
use flate2::read::DeflateDecoder;
use flate2::Crc;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;
use zip::CompressionMethod;

/// Compressed bytes read from the archive at a time.
const INPUT_BUFFER: usize = 64 * 1024;

/// True when `head` starts like a zip archive (a local file header, or the end record of an
/// empty archive).
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Where an entry's bytes are and how they are stored.
struct Entry {
    name: String,
    start: u64,
    compressed: u64,
    deflated: bool,
    crc32: u32,
}

/// The archive's entries, or an error naming the one that cannot be read.
fn entries<R: Read + Seek>(input: &mut R) -> Result<Vec<Entry>> {
    let bad = |e: zip::result::ZipError| {
        Error::format(format!("the zip archive is damaged: {e}"))
            .keyed("zip_damaged", &[("detail", &e)])
    };
    let mut archive = zip::ZipArchive::new(input).map_err(bad)?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).map_err(bad)?;
        let name = f.name().to_string();
        let base = name.rsplit('/').next().unwrap_or("");
        if f.is_dir() || name.starts_with("__MACOSX/") || base == ".DS_Store" {
            continue;
        }
        // DEFLATE names the method whether or not the zip crate's own inflater is built in
        let deflated = match f.compression() {
            CompressionMethod::Stored => false,
            m if m == CompressionMethod::DEFLATE => true,
            m => {
                return Err(Error::format(format!(
                    "zip entry \"{name}\" is compressed with {m}; only stored and deflate \
                     entries are read (re-create the zip with standard compression)"
                ))
                .keyed("zip_method", &[("entry", &name), ("method", &m)]))
            }
        };
        if f.encrypted() {
            return Err(Error::format(format!(
                "zip entry \"{name}\" is encrypted; extract it and import the file instead"
            ))
            .keyed("zip_encrypted", &[("entry", &name)]));
        }
        out.push(Entry {
            name,
            start: f.data_start(),
            compressed: f.compressed_size(),
            deflated,
            crc32: f.crc32(),
        });
    }
    Ok(out)
}

/// The archive file, shared by the entry readers (one is read at a time).
type Shared<R> = Rc<RefCell<Counted<R>>>;

/// Reads `len` bytes of the shared source from `pos`, seeking before each read.
struct Window<R> {
    src: Shared<R>,
    pos: u64,
    end: u64,
    /// Compressed bytes read for this entry.
    read: Rc<Cell<u64>>,
}

impl<R: Read + Seek> Read for Window<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let mut src = self.src.borrow_mut();
        src.seek(SeekFrom::Start(self.pos))?;
        let n = src.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += n as u64;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// An entry's bytes inflated, with the CRC-32 checked at the end.
struct Inflated<'a> {
    inner: Box<dyn Read + 'a>,
    crc: Crc,
    expected: u32,
    name: String,
}

impl Read for Inflated<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            stream_error(
                Error::format(format!(
                    "zip entry \"{}\" is damaged or truncated ({e})",
                    self.name
                ))
                .keyed(
                    "zip_entry_damaged",
                    &[("entry", &self.name), ("detail", &e)],
                ),
            )
        })?;
        self.crc.update(&buf[..n]);
        if n == 0 && !buf.is_empty() && self.crc.sum() != self.expected {
            return Err(stream_error(
                Error::format(format!(
                    "zip entry \"{}\" is damaged (its checksum does not match)",
                    self.name
                ))
                .keyed("zip_entry_checksum", &[("entry", &self.name)]),
            ));
        }
        Ok(n)
    }
}

/// Stops an entry, or the archive, that inflates too much: the bomb guard.
struct Guard<'a> {
    inner: Box<dyn Read + 'a>,
    name: String,
    /// Compressed bytes read for this entry, and text bytes it gave.
    compressed: Rc<Cell<u64>>,
    text: u64,
    /// The same for the whole archive.
    total_compressed: Rc<Cell<u64>>,
    total_text: Rc<Cell<u64>>,
    /// The most text one entry may give ([`super::container::MAX_INFLATED`]).
    budget: u64,
}

impl Read for Guard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.text += n as u64;
        self.total_text.set(self.total_text.get() + n as u64);
        let over =
            |text: u64, compressed: u64| text > BOMB_FLOOR && text > MAX_RATIO * compressed.max(1);
        if over(self.text, self.compressed.get())
            || over(self.total_text.get(), self.total_compressed.get())
        {
            return Err(stream_error(
                Error::format(format!(
                    "zip entry \"{}\" inflates to more than {MAX_RATIO}× its compressed size: \
                     this looks like a decompression bomb, so the import stopped",
                    self.name
                ))
                .keyed("zip_bomb", &[("entry", &self.name), ("ratio", &MAX_RATIO)]),
            ));
        }
        if self.text > self.budget {
            return Err(over_budget(Some(&self.name), self.budget));
        }
        Ok(n)
    }
}

/// Opens the entries one at a time and reads them as one text.
struct Entries<'a, R> {
    src: Shared<R>,
    pending: VecDeque<Entry>,
    current: Box<dyn Read + 'a>,
    opts: LoadOptions,
    budget: u64,
    first_name: String,
    format: Format,
    /// The first entry's header line (delimited text), without its line break.
    header: Vec<u8>,
    last: u8,
    pending_newline: bool,
    total_text: Rc<Cell<u64>>,
    /// Entries opened so far.
    opened: Rc<Cell<u64>>,
}

/// Opens one entry down to its text.
fn open_entry<'a, R: Read + Seek + 'a>(
    src: &Shared<R>,
    e: &Entry,
    opts: &LoadOptions,
    total_text: &Rc<Cell<u64>>,
    budget: u64,
) -> Result<OpenText<'a>> {
    let compressed = Rc::new(Cell::new(0));
    let window = Window {
        src: src.clone(),
        pos: e.start,
        end: e.start + e.compressed,
        read: compressed.clone(),
    };
    let raw = BufReader::with_capacity(INPUT_BUFFER, window);
    let bytes: Box<dyn Read + 'a> = if e.deflated {
        Box::new(DeflateDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let inflated = Inflated {
        inner: bytes,
        crc: Crc::new(),
        expected: e.crc32,
        name: e.name.clone(),
    };
    let mut text = open_text(inflated, opts).map_err(|err| err.in_file(&e.name))?;
    // the guard counts the text (after a gzip inside the entry), from its sniffed head on
    let head = text.head.len() as u64;
    total_text.set(total_text.get() + head);
    text.rest = Box::new(Guard {
        inner: text.rest,
        name: e.name.clone(),
        compressed,
        text: head,
        total_compressed: src.borrow().counter(),
        total_text: total_text.clone(),
        budget,
    });
    Ok(text)
}

/// The first line of `head`, without its line break and a UTF-8 byte-order mark.
fn header_line(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    head[..end].trim_ascii_end()
}

impl<'a, R: Read + Seek + 'a> Entries<'a, R> {
    /// Opens the next entry after checking it agrees with the first.
    fn next_entry(&mut self) -> Result<bool> {
        let Some(e) = self.pending.pop_front() else {
            return Ok(false);
        };
        let text = open_entry(&self.src, &e, &self.opts, &self.total_text, self.budget)?;
        let name = |f: Format| match f {
            Format::Delimited => "delimited text",
            Format::JsonLines => "JSON lines",
            Format::JsonArray => "a JSON array",
        };
        if self.format == Format::JsonArray || text.format != self.format {
            return Err(Error::format(format!(
                "zip entry \"{}\" is {} but \"{}\" is {}; the entries of one archive must \
                 share one format (and a JSON array must be the only entry)",
                e.name,
                name(text.format),
                self.first_name,
                name(self.format)
            ))
            .keyed(
                "zip_entry_format",
                &[
                    ("entry", &e.name),
                    ("format", &name(text.format)),
                    ("first", &self.first_name),
                    ("first_format", &name(self.format)),
                ],
            ));
        }
        let mut reader: Box<dyn Read + 'a> =
            Box::new(std::io::Cursor::new(text.head).chain(text.rest));
        if self.format == Format::Delimited {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while reader.read(&mut byte)? == 1 && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            if header_line(&line) != self.header.as_slice() {
                let (header, first_header) = (
                    String::from_utf8_lossy(header_line(&line)),
                    String::from_utf8_lossy(&self.header),
                );
                return Err(Error::format(format!(
                    "zip entry \"{}\" has the header line \"{header}\" but \"{}\" has \
                     \"{first_header}\"; the entries of one archive are one dataset only with \
                     the same columns",
                    e.name, self.first_name,
                ))
                .keyed(
                    "zip_entry_header",
                    &[
                        ("entry", &e.name),
                        ("header", &header),
                        ("first", &self.first_name),
                        ("first_header", &first_header),
                    ],
                ));
            }
        }
        self.current = reader;
        self.opened.set(self.opened.get() + 1);
        Ok(true)
    }
}

impl<'a, R: Read + Seek + 'a> Read for Entries<'a, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if buf.is_empty() {
                return Ok(0);
            }
            if self.pending_newline {
                self.pending_newline = false;
                buf[0] = b'\n';
                self.last = b'\n';
                return Ok(1);
            }
            let n = self.current.read(buf)?;
            if n > 0 {
                self.last = buf[n - 1];
                return Ok(n);
            }
            let needs_newline = self.last != b'\n';
            match self.next_entry() {
                Ok(true) => self.pending_newline = needs_newline,
                Ok(false) => return Ok(0),
                Err(e) => return Err(stream_error(e)),
            }
        }
    }
}

/// The first file of a zip archive opened down to text (its sniffed head is what the
/// mapping step shows), with the number of files the archive holds.
pub(crate) fn open_first<'a, R: Read + Seek + 'a>(
    mut input: R,
    opts: &LoadOptions,
) -> Result<(OpenText<'a>, u64)> {
    let all = entries(&mut input)?;
    let Some(first) = all.first() else {
        return Err(Error::format("the zip archive holds no file").keyed("zip_empty", &[]));
    };
    let src = Rc::new(RefCell::new(Counted::new(input)));
    let text = open_entry(&src, first, opts, &Rc::new(Cell::new(0)), MAX_INFLATED)?;
    Ok((text, all.len() as u64))
}

/// Loads every entry of a zip archive into one dataset (see the module doc).
pub fn load<R: Read + Seek>(
    input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let mut dedup = Dedup::default();
    load_within(input, total_bytes, opts, &mut dedup, progress, MAX_INFLATED)
}

/// [`load`], with each entry allowed to inflate to at most `budget` bytes of text, and the
/// insert ids of earlier files in `dedup` ([`super::load_file_after`]).
pub(crate) fn load_within<R: Read + Seek>(
    mut input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
    progress: &mut dyn FnMut(Progress) -> bool,
    budget: u64,
) -> Result<Dataset> {
    let mut pending: VecDeque<Entry> = entries(&mut input)?.into();
    let Some(first) = pending.pop_front() else {
        return Err(Error::format("the zip archive holds no file").keyed("zip_empty", &[]));
    };
    let counted = Counted::new(input);
    let consumed = counted.counter();
    let src = Rc::new(RefCell::new(counted));
    let total_text = Rc::new(Cell::new(0));
    let text = open_entry(&src, &first, opts, &total_text, budget)?;
    let header = header_line(&text.head).to_vec();
    let entries = Rc::new(Cell::new(1));
    let format = text.format;
    let all = Entries {
        src,
        pending,
        current: Box::new(std::io::Cursor::new(text.head).chain(text.rest)),
        opts: opts.clone(),
        budget,
        first_name: first.name,
        format,
        header,
        last: b'\n',
        pending_newline: false,
        total_text,
        opened: entries.clone(),
    };
    let container = if text.container == "gzip" {
        "zip+gzip"
    } else {
        "zip"
    };
    let whole = OpenText {
        head: Vec::new(),
        rest: Box::new(all),
        container,
        encoding: text.encoding,
        chosen: text.chosen,
        format,
    };
    let mut data = run(whole, &consumed, total_bytes, opts, dedup, progress)?;
    data.report.entries = entries.get();
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    #[test]
    fn an_entry_over_the_budget_stops_at_any_ratio() {
        let mut text = b"user_id,event,timestamp\n".to_vec();
        for i in 0..20_000 {
            text.extend(format!("u{i},e{},2024-01-01T00:00:{:02}Z\n", i % 7, i % 60).bytes());
        }
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("a.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&text).unwrap();
        let zip = w.finish().unwrap().into_inner();
        let load = |budget| {
            load_within(
                Cursor::new(&zip),
                None,
                &LoadOptions::default(),
                &mut Dedup::default(),
                &mut |_| true,
                budget,
            )
            .map_err(super::super::container::explain)
        };
        assert_eq!(load(text.len() as u64).unwrap().report.imported, 20_000);
        let e = load(text.len() as u64 - 1).unwrap_err();
        assert_eq!(e.key(), Some("zip_entry_budget"), "{e}");
        assert!(e.to_string().contains("\"a.csv\""), "{e}");
    }
}
