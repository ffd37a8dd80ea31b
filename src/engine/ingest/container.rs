//! Containers around a format: gzip (single or multi-member) or none.
//!
//! A gzip file is recognised by its magic bytes (`1f 8b`) and inflated as it is read, through
//! flate2's pure-Rust backend (so it builds for wasm32): memory holds one input buffer and
//! the decoder's window, never the whole inflated file. Concatenated gzip members (what
//! `cat a.gz b.gz` and many exporters write) are read one after the other.
//!
//! A decompression bomb stops the import: once more than [`BOMB_FLOOR`] bytes were inflated,
//! the inflated size may not exceed [`MAX_RATIO`] times the compressed bytes consumed so
//! far, nor the memory budget [`MAX_INFLATED`] at any ratio. A truncated or corrupt stream
//! is a whole-file error that says so. Each of these errors has a message code
//! (`gzip_truncated`, `gzip_corrupt`, `gzip_bomb`, `gzip_budget`).

use crate::engine::error::{Error, Result};
use flate2::bufread::MultiGzDecoder;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Chain, Cursor, Read, Seek};
use std::rc::Rc;

/// Largest accepted ratio of inflated to compressed bytes.
pub const MAX_RATIO: u64 = 1000;
/// Inflated bytes below which the ratio is not checked (tiny files compress well).
pub const BOMB_FLOOR: u64 = 1 << 20;
/// Largest text one gzip stream or one zip entry may inflate to, at any ratio: the memory
/// budget. The browser's memory is at most 4 GiB, and the events of a 16 GiB text would not
/// fit in it (nor in a laptop's memory natively); past it the import stops rather than run
/// out of memory at the end.
pub const MAX_INFLATED: u64 = 16 << 30;
/// Compressed bytes read at a time.
const INPUT_BUFFER: usize = 64 * 1024;

/// A reader that counts the bytes read through it.
pub struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Counted<R> {
    /// Wraps `inner`, counting from 0.
    pub fn new(inner: R) -> Self {
        Counted {
            inner,
            count: Rc::default(),
        }
    }

    /// A handle on the count, readable while the reader is in use elsewhere.
    pub fn counter(&self) -> Rc<Cell<u64>> {
        self.count.clone()
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A buffered reader that counts the bytes its consumer used (the decoder's compressed
/// position, not the read-ahead).
struct Consumed<B> {
    inner: B,
    count: Rc<Cell<u64>>,
}

impl<B: BufRead> Read for Consumed<B> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<B: BufRead> BufRead for Consumed<B> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.count.set(self.count.get() + amt as u64);
        self.inner.consume(amt)
    }
}

/// Why a compressed stream (gzip, a zip entry) could not be read: a whole-file error
/// carried through `std::io::Read`, taken out again by [`explain`].
#[derive(Debug)]
struct StreamError(Error);

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StreamError {}

/// An I/O error carrying a whole-file error (see [`explain`]).
pub(crate) fn stream_error(e: Error) -> std::io::Error {
    std::io::Error::other(StreamError(e))
}

/// The error of an inflated stream that passed the memory budget: a zip entry (named) or
/// the gzip file.
pub(crate) fn over_budget(entry: Option<&str>, budget: u64) -> std::io::Error {
    let tail = "more than the memory can hold: the import stopped (split the export into \
                smaller files)";
    stream_error(match entry {
        Some(entry) => Error::format(format!(
            "zip entry \"{entry}\" inflates to more than {budget} bytes, {tail}"
        ))
        .keyed(
            "zip_entry_budget",
            &[("entry", &entry), ("budget", &budget)],
        ),
        None => Error::format(format!(
            "the gzip file inflates to more than {budget} bytes, {tail}"
        ))
        .keyed("gzip_budget", &[("budget", &budget)]),
    })
}

type Raw<R> = Chain<Cursor<Vec<u8>>, Counted<R>>;

/// Inflates a gzip stream and stops it when it looks like a bomb.
pub struct Gunzip<R: Read> {
    decoder: MultiGzDecoder<Consumed<BufReader<Raw<R>>>>,
    compressed: Rc<Cell<u64>>,
    inflated: u64,
    budget: u64,
}

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.decoder.read(buf).map_err(|e| {
            let at = self.compressed.get();
            stream_error(if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::format(format!(
                    "the gzip stream ends before its end (truncated) after {at} compressed \
                     bytes; download or compress the file again"
                ))
                .keyed("gzip_truncated", &[("at", &at)])
            } else {
                Error::format(format!(
                    "the gzip stream is corrupt ({e}) after {at} compressed bytes; download \
                     or compress the file again"
                ))
                .keyed("gzip_corrupt", &[("at", &at), ("detail", &e)])
            })
        })?;
        self.inflated += n as u64;
        let compressed = self.compressed.get().max(1);
        if self.inflated > BOMB_FLOOR && self.inflated > MAX_RATIO * compressed {
            let inflated = self.inflated;
            return Err(stream_error(
                Error::format(format!(
                    "the gzip file inflates {compressed} compressed bytes to more than \
                     {inflated} bytes (over {MAX_RATIO}×): this looks like a decompression \
                     bomb, so the import stopped"
                ))
                .keyed(
                    "gzip_bomb",
                    &[
                        ("compressed", &compressed),
                        ("inflated", &inflated),
                        ("ratio", &MAX_RATIO),
                    ],
                ),
            ));
        }
        if self.inflated > self.budget {
            return Err(over_budget(None, self.budget));
        }
        Ok(n)
    }
}

/// The input with its container removed.
pub enum Opened<R: Read> {
    /// Not compressed.
    Plain(Raw<R>),
    /// gzip, being inflated.
    Gzip(Box<Gunzip<R>>),
}

impl<R: Read> Opened<R> {
    /// `gzip`, or empty when there is no container.
    pub fn name(&self) -> &'static str {
        match self {
            Opened::Plain(_) => "",
            Opened::Gzip(_) => "gzip",
        }
    }
}

impl<R: Read> Read for Opened<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Opened::Plain(r) => r.read(buf),
            Opened::Gzip(r) => r.read(buf),
        }
    }
}

/// Sniffs the container from the first two bytes and opens it.
pub fn open<R: Read>(input: Counted<R>) -> Result<Opened<R>> {
    open_within(input, MAX_INFLATED)
}

/// [`open`], with a gzip stream allowed to inflate to at most `budget` bytes.
pub(crate) fn open_within<R: Read>(mut input: Counted<R>, budget: u64) -> Result<Opened<R>> {
    let mut magic = Vec::with_capacity(2);
    (&mut input).take(2).read_to_end(&mut magic)?;
    let gzip = magic == [0x1f, 0x8b];
    let raw = Cursor::new(magic).chain(input);
    if !gzip {
        return Ok(Opened::Plain(raw));
    }
    let compressed = Rc::new(Cell::new(0));
    let decoder = MultiGzDecoder::new(Consumed {
        inner: BufReader::with_capacity(INPUT_BUFFER, raw),
        count: compressed.clone(),
    });
    Ok(Opened::Gzip(Box::new(Gunzip {
        decoder,
        compressed,
        inflated: 0,
        budget,
    })))
}

/// Turns an I/O error raised by the gzip or zip reader into the whole-file error it
/// carries; other errors pass unchanged.
pub fn explain(e: Error) -> Error {
    match e {
        Error::Io(io) if io.get_ref().is_some_and(|r| r.is::<StreamError>()) => {
            match io.into_inner().map(|r| r.downcast::<StreamError>()) {
                Some(Ok(s)) => s.0,
                _ => unreachable!("checked to be a StreamError"),
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn inflate(bytes: &[u8]) -> Result<(Vec<u8>, &'static str)> {
        let mut opened = open(Counted::new(bytes))?;
        let mut out = Vec::new();
        opened
            .read_to_end(&mut out)
            .map_err(|e| explain(e.into()))?;
        Ok((out, opened.name()))
    }

    #[test]
    fn plain_input_passes_through() {
        assert_eq!(inflate(b"a,b\n").unwrap(), (b"a,b\n".to_vec(), ""));
        assert_eq!(inflate(b"a").unwrap(), (b"a".to_vec(), ""));
        assert_eq!(inflate(b"").unwrap(), (Vec::new(), ""));
    }

    #[test]
    fn gzip_members_are_read_one_after_the_other() {
        let mut two = gzip(b"first\n");
        two.extend(gzip(b"second\n"));
        assert_eq!(
            inflate(&two).unwrap(),
            (b"first\nsecond\n".to_vec(), "gzip")
        );
    }

    #[test]
    fn a_truncated_stream_is_a_clear_error() {
        let whole = gzip(&b"user_id,event,timestamp\n".repeat(1000));
        let msg = inflate(&whole[..whole.len() / 2]).unwrap_err().to_string();
        assert!(
            msg.contains("gzip stream") && msg.contains("truncated"),
            "{msg}"
        );
    }

    #[test]
    fn output_over_the_budget_stops_at_any_ratio() {
        // 3 MiB of varied lines compress about 5×, far below the ratio limit
        let lines: Vec<u8> = (0..100_000)
            .flat_map(|i| format!("u{i},e{},{}\n", i % 7, i * 31).into_bytes())
            .collect();
        let gz = gzip(&lines);
        let within = |budget| {
            let mut opened = open_within(Counted::new(&gz[..]), budget)?;
            let mut out = Vec::new();
            opened
                .read_to_end(&mut out)
                .map_err(|e| explain(e.into()))?;
            Ok::<_, Error>(out.len())
        };
        assert_eq!(within(lines.len() as u64).unwrap(), lines.len());
        let e = within(lines.len() as u64 - 1).unwrap_err();
        assert_eq!(e.key(), Some("gzip_budget"), "{e}");
        assert!(
            e.to_string().contains("more than the memory can hold"),
            "{e}"
        );
    }

    #[test]
    fn a_bomb_stops_and_a_compressible_file_does_not() {
        let zeros = gzip(&vec![0u8; 64 << 20]);
        let ratio = (64u64 << 20) / zeros.len() as u64;
        assert!(ratio > MAX_RATIO, "test data ratio {ratio}");
        let msg = inflate(&zeros).unwrap_err().to_string();
        assert!(msg.contains("decompression bomb"), "{msg}");
        // 2 MiB of repeated lines compress well below the limit
        let lines = b"u1,signup,2024-01-01T00:00:00Z,web\n".repeat(60_000);
        assert_eq!(inflate(&gzip(&lines)).unwrap().0.len(), lines.len());
    }
}
