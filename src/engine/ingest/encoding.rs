//! Text encodings: which one a file is in, and decoding it to UTF-8 as it is read.
//!
//! The loaders read UTF-8. A file in another encoding goes through [`Decode`], which turns
//! it into UTF-8 one buffer at a time through `encoding_rs` (never the whole file). Which
//! encoding ([`detect`]): the one named in [`super::LoadOptions::encoding`] (any label
//! `encoding_rs` accepts: `gbk`, `gb18030`, `shift_jis`, `utf-16le`, `windows-1252`, ...);
//! else a byte-order mark (UTF-8, UTF-16 LE / BE); else UTF-16 without a mark, seen from the
//! zero bytes that ASCII characters leave in every other byte; else UTF-8 when the first
//! [`super::SNIFF_BYTES`] are valid UTF-8; else `chardetng`'s guess (GBK, Shift-JIS,
//! windows-1252, ...) from those bytes.
//!
//! Bytes that are not valid in the chosen encoding are never replaced: [`Decode`] writes
//! [`INVALID`] (a byte that never occurs in UTF-8) in their place, so the row that holds
//! them is rejected by its loader with the `encoding` reason and its line number.

use crate::engine::error::{Error, Result};
use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};
use std::io::Read;

/// Written in place of a malformed byte sequence: 0xFF is never part of UTF-8 text.
pub const INVALID: u8 = 0xFF;
/// Bytes read from the source at a time.
const INPUT_BUFFER: usize = 64 * 1024;
/// UTF-8 bytes produced at a time (a malformed sequence's marker may add one more).
const OUTPUT_BUFFER: usize = 64 * 1024;

/// How the encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chosen {
    /// Named in the options.
    Option,
    /// From a byte-order mark.
    Bom,
    /// Detected from the bytes.
    Detected,
}

/// The encoding of a file that starts with `head` (`whole`: `head` is the entire file),
/// or the one named by `label`. An unknown label is an error naming it.
pub fn detect(
    head: &[u8],
    whole: bool,
    label: Option<&str>,
) -> Result<(&'static Encoding, Chosen)> {
    if let Some(label) = label {
        let e = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            Error::format(format!(
                "unknown encoding \"{label}\"; use a name such as utf-8, gbk, gb18030, \
                 shift_jis, utf-16le, utf-16be or windows-1252"
            ))
            .keyed("unknown_encoding", &[("encoding", &label)])
        })?;
        return Ok((e, Chosen::Option));
    }
    if let Some((e, _)) = Encoding::for_bom(head) {
        return Ok((e, Chosen::Bom));
    }
    if let Some(e) = utf16_without_bom(head) {
        return Ok((e, Chosen::Detected));
    }
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        // a character cut by the end of the sniff window is fine
        Err(e) => e.error_len().is_none() && !whole,
    };
    if valid {
        return Ok((UTF_8, Chosen::Detected));
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(head, whole);
    Ok((detector.guess(None, true), Chosen::Detected))
}

/// UTF-16 LE or BE when zero bytes fill one byte position of many two-byte units and hardly
/// ever the other (ASCII characters in UTF-16; UTF-8 text has no zero bytes).
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let units = head.len().min(4096) / 2;
    if units < 4 {
        return None;
    }
    let (mut even, mut odd) = (0, 0);
    for pair in head[..units * 2].chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let many = |n: usize| n * 5 >= units;
    let few = |n: usize| n * 50 <= units;
    if many(odd) && few(even) {
        Some(UTF_16LE)
    } else if many(even) && few(odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Decodes a stream in a non-UTF-8 encoding (or UTF-16, or UTF-8 with a check) to UTF-8 as
/// it is read, writing [`INVALID`] for each malformed sequence. A byte-order mark is removed.
pub struct Decode<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
    output: Vec<u8>,
    pos: usize,
}

impl<R: Read> Decode<R> {
    /// Decodes `inner` from `encoding`.
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        Decode {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; INPUT_BUFFER],
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            output: Vec::with_capacity(OUTPUT_BUFFER + 1),
            pos: 0,
        }
    }

    /// Decodes the next piece into `output`; leaves it empty at the end of the input.
    fn fill(&mut self) -> std::io::Result<()> {
        self.output.clear();
        self.output.resize(OUTPUT_BUFFER + 1, 0);
        self.pos = 0;
        let mut written = 0;
        while !self.finished && written < OUTPUT_BUFFER {
            if self.start == self.end && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            let (result, read, n) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                &mut self.output[written..OUTPUT_BUFFER],
                self.eof,
            );
            self.start += read;
            written += n;
            match result {
                DecoderResult::Malformed(..) => {
                    self.output[written] = INVALID;
                    written += 1;
                }
                DecoderResult::OutputFull => break,
                DecoderResult::InputEmpty => {
                    if self.eof {
                        self.finished = true;
                    } else if written > 0 {
                        break;
                    }
                }
            }
        }
        self.output.truncate(written);
        Ok(())
    }
}

impl<R: Read> Read for Decode<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.output.len() {
            self.fill()?;
        }
        let n = buf.len().min(self.output.len() - self.pos);
        buf[..n].copy_from_slice(&self.output[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], e: &'static Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        // a one-byte source splits every character across reads
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        Decode::new(Trickle(bytes), e)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn decodes_gbk_and_utf16_across_reads() {
        // 注册 in GBK: d7 a2 b2 e1
        let gbk = [b'a', 0xD7, 0xA2, 0xB2, 0xE1, b'\n'];
        assert_eq!(decode(&gbk, encoding_rs::GBK), "a注册\n".as_bytes());
        // a注\n in UTF-16LE after a byte-order mark (注 is U+6CE8)
        let le = [0xFF, 0xFE, b'a', 0, 0xE8, 0x6C, b'\n', 0];
        assert_eq!(decode(&le, UTF_16LE), "a注\n".as_bytes());
    }

    #[test]
    fn malformed_bytes_become_the_marker_and_lines_survive() {
        // 0x81 followed by a newline is not a GBK character; the newline is kept
        let gbk = [b'a', 0x81, b'\n', b'b', b'\n'];
        assert_eq!(
            decode(&gbk, encoding_rs::GBK),
            [b'a', INVALID, b'\n', b'b', b'\n']
        );
        // a lone surrogate in UTF-16LE
        let le = [b'a', 0, 0x00, 0xD8, b'\n', 0];
        assert_eq!(decode(&le, UTF_16LE), [b'a', INVALID, b'\n']);
    }

    #[test]
    fn detects_bom_nul_pattern_utf8_and_gbk() {
        let d = |b: &[u8]| detect(b, true, None).unwrap().0.name();
        assert_eq!(d(&[0xFF, 0xFE, b'a', 0]), "UTF-16LE");
        assert_eq!(d(&[0xFE, 0xFF, 0, b'a']), "UTF-16BE");
        let le: Vec<u8> = "user_id,event\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(d(&le), "UTF-16LE");
        let be: Vec<u8> = "user_id,event\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(d(&be), "UTF-16BE");
        assert_eq!(d("用户,事件\n".as_bytes()), "UTF-8");
        let (gbk, _, _) =
            encoding_rs::GBK.encode("用户,事件,时间\n张三,注册,2024-01-01\n李四,登录,2024-01-02\n");
        assert_eq!(d(&gbk), "GBK");
        assert_eq!(
            detect(b"a", true, Some("shift_jis")).unwrap(),
            (encoding_rs::SHIFT_JIS, Chosen::Option)
        );
        let msg = detect(b"a", true, Some("klingon")).unwrap_err().to_string();
        assert!(msg.contains("klingon"), "{msg}");
    }
}
