//! Apache Parquet files into a [`Dataset`].
//!
//! A Parquet file starts and ends with the magic `PAR1`; its footer (the schema and where
//! every row group's column chunks are) sits at the end, so the file is read from a source
//! that can seek: a native file, or the browser `File` read in `Blob` slices. The footer is
//! read first, then the row groups one at a time: the bytes of one row group's column chunks
//! are read into memory, decoded and dropped before the next, so memory holds the store
//! being built plus one row group. Columns are decoded in batches of [`BATCH`] rows through
//! the `parquet` crate's typed column readers (values and definition levels, no arrow); a
//! top-level field holding a list or a map anywhere inside is read through the crate's
//! record reader, projected to those fields only, row by row beside the batches.
//!
//! Pages compressed with snappy, gzip, lz4 (Hadoop framed and raw) or not at all are read
//! (pure-Rust codecs, so the same code runs in the browser); any other codec (zstd, brotli,
//! lzo) is an error naming the codec, the column and the row group, checked before the row
//! group is decoded. Encrypted files (magic `PARE`) are an error too.
//!
//! Columns: a nested group (a struct) is flattened to dotted names (`device.os`), like JSON
//! objects; a list or a map is kept as text (`[a, b]`, `{k -> v}`). Values: strings as they
//! are, numbers stay numbers, booleans the text `true` / `false`, null missing. The user,
//! event and time columns are found by name like CSV headers ([`super::mapping`]), and the
//! JSON vendor shapes (Mixpanel's `properties.*`, ...) are recognised from the flattened
//! names. The time column may be:
//! - `TIMESTAMP(MILLIS | MICROS | NANOS)`: UTC when the file says it is adjusted to UTC,
//!   otherwise a wall-clock time read in the options' naive time zone (nanoseconds are
//!   truncated to microseconds);
//! - `INT96` (Spark, Impala): UTC, at millisecond precision;
//! - `DATE`: midnight in the naive time zone;
//! - a string, parsed like a CSV cell, or a plain number, read as epoch seconds,
//!   milliseconds or microseconds by magnitude.
//!
//! Rows are counted like lines: a rejected row's "line" in the report is its 1-based row
//! number in the file (across row groups), `rows_in = imported + duplicates + rejected`.

use super::json::{column_name, shape_of};
use super::mapping::map_columns;
use super::PROGRESS_EVERY;
use super::{trim_cell, truncate};
use super::{Dataset, Dedup, ImportReport, LoadOptions, Progress, RejectReason};
use crate::engine::error::{Error, Result};
use crate::engine::store::StoreBuilder;
use crate::engine::time::{format_rfc3339, parse_timestamp, Zone, DAY};
use ::parquet::basic::{Compression, ConvertedType, LogicalType, TimeUnit, Type as Physical};
use ::parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use ::parquet::data_type::{ByteArray, DataType, FixedLenByteArray, Int96};
use ::parquet::file::metadata::page_index::RowGroupPageIndex;
use ::parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use ::parquet::file::properties::ReaderProperties;
use ::parquet::file::reader::{ChunkReader, Length, RowGroupReader};
use ::parquet::file::serialized_reader::SerializedRowGroupReader;
use ::parquet::record::{Field, Row};
use ::parquet::schema::types::{ColumnDescPtr, Type};
use bytes::{Buf, Bytes};
use std::fmt::Write;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

/// The magic at both ends of a Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";
/// The magic of a Parquet file with an encrypted footer.
const MAGIC_ENCRYPTED: &[u8; 4] = b"PARE";

/// True when `head` starts like a Parquet file (plain or with an encrypted footer).
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(MAGIC) || head.starts_with(MAGIC_ENCRYPTED)
}

/// How the time column's values are read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TimeKind {
    /// A `TIMESTAMP` with its unit (microseconds per unit as a divisor or multiplier) and
    /// whether it is UTC.
    Timestamp { unit: TimeUnitKind, utc: bool },
    /// `INT96`, which the record reader gives as UTC milliseconds.
    Int96,
    /// `DATE`: days since 1970-01-01, a wall-clock date.
    Date,
    /// Anything else: read as text like a CSV cell.
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum TimeUnitKind {
    Millis,
    Micros,
    Nanos,
}

/// Rows decoded at a time from each column chunk.
const BATCH: usize = 4096;

/// One column of the flattened schema: a leaf, or a group whose fields are flattened.
enum Node {
    /// A column (its index in the flattened names).
    Leaf(usize),
    /// A struct: its fields in order.
    Group(Vec<Node>),
}

/// The flattened schema: names of the columns and the tree that maps a row onto them.
struct Flattened {
    names: Vec<String>,
    kinds: Vec<TimeKind>,
    nodes: Vec<Node>,
}

/// True when `t` is, or holds anywhere inside, a list, a map or a repeated field (a field
/// the record reader reads, see the module doc).
fn has_list_or_map(t: &Type) -> bool {
    (t.is_group() && (is_list_or_map(t) || t.get_fields().iter().any(|f| has_list_or_map(f))))
        || (t.get_basic_info().has_repetition()
            && t.get_basic_info().repetition() == ::parquet::basic::Repetition::REPEATED)
}

/// The primitive (physical) columns of `t`, in schema order.
fn physical_columns(t: &Type) -> usize {
    if t.is_group() {
        t.get_fields().iter().map(|f| physical_columns(f)).sum()
    } else {
        1
    }
}

/// The flattened leaves under `node`, in order.
fn leaves(node: &Node, out: &mut Vec<usize>) {
    match node {
        Node::Leaf(i) => out.push(*i),
        Node::Group(children) => children.iter().for_each(|c| leaves(c, out)),
    }
}

/// How each top-level field is read: the physical columns read in batches with the
/// flattened column each fills, and the top-level fields left to the record reader.
struct Plan {
    /// (physical column, flattened column) of every batch-read column.
    batched: Vec<(usize, usize)>,
    /// Top-level fields read by the record reader (index among the root's fields).
    by_row: Vec<usize>,
}

fn plan(schema: &Type, flat: &Flattened) -> Plan {
    let mut plan = Plan {
        batched: Vec::new(),
        by_row: Vec::new(),
    };
    let mut physical = 0;
    for (f, (field, node)) in schema.get_fields().iter().zip(&flat.nodes).enumerate() {
        if has_list_or_map(field) {
            plan.by_row.push(f);
        } else {
            // a field without lists or maps: its leaves are its physical columns, in order
            let mut flat_leaves = Vec::new();
            leaves(node, &mut flat_leaves);
            plan.batched.extend(
                flat_leaves
                    .into_iter()
                    .enumerate()
                    .map(|(k, l)| (physical + k, l)),
            );
        }
        physical += physical_columns(field);
    }
    plan
}

/// True for a group that the record reader gives as a list or a map (kept as text).
fn is_list_or_map(t: &Type) -> bool {
    let info = t.get_basic_info();
    matches!(
        info.converted_type(),
        ConvertedType::LIST | ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE
    ) || matches!(
        info.logical_type_ref(),
        Some(LogicalType::List) | Some(LogicalType::Map)
    ) || (info.has_repetition() && info.repetition() == ::parquet::basic::Repetition::REPEATED)
}

/// How a primitive column would be read as a time.
fn time_kind(t: &Type) -> TimeKind {
    if !t.is_primitive() {
        return TimeKind::Text;
    }
    let info = t.get_basic_info();
    if let Some(LogicalType::Timestamp(ts)) = info.logical_type_ref() {
        let unit = match ts.unit {
            TimeUnit::MILLIS => TimeUnitKind::Millis,
            TimeUnit::MICROS => TimeUnitKind::Micros,
            TimeUnit::NANOS => TimeUnitKind::Nanos,
        };
        return TimeKind::Timestamp {
            unit,
            utc: ts.is_adjusted_to_u_t_c,
        };
    }
    match (t.get_physical_type(), info.converted_type()) {
        (Physical::INT96, _) => TimeKind::Int96,
        (_, ConvertedType::TIMESTAMP_MILLIS) => TimeKind::Timestamp {
            unit: TimeUnitKind::Millis,
            utc: true,
        },
        (_, ConvertedType::TIMESTAMP_MICROS) => TimeKind::Timestamp {
            unit: TimeUnitKind::Micros,
            utc: true,
        },
        (_, ConvertedType::DATE) => TimeKind::Date,
        _ => TimeKind::Text,
    }
}

fn flatten_fields(fields: &[Arc<Type>], prefix: &str, out: &mut Flattened) -> Vec<Node> {
    fields
        .iter()
        .map(|f| {
            let name = if prefix.is_empty() {
                f.name().to_string()
            } else {
                format!("{prefix}.{}", f.name())
            };
            if f.is_group() && !is_list_or_map(f) {
                Node::Group(flatten_fields(f.get_fields(), &name, out))
            } else {
                out.names.push(name);
                out.kinds.push(time_kind(f));
                Node::Leaf(out.names.len() - 1)
            }
        })
        .collect()
}

fn flatten(schema: &Type) -> Flattened {
    let mut out = Flattened {
        names: Vec::new(),
        kinds: Vec::new(),
        nodes: Vec::new(),
    };
    out.nodes = flatten_fields(schema.get_fields(), "", &mut out);
    out
}

/// One row group's column chunks in memory, served to the parquet crate at file offsets.
struct RowGroupBytes {
    /// File offset of `data[0]`.
    base: u64,
    data: Bytes,
    file_len: u64,
}

impl RowGroupBytes {
    fn slice(&self, start: u64, len: usize) -> ::parquet::errors::Result<Bytes> {
        let from = start.checked_sub(self.base).map(|s| s as usize);
        match from {
            Some(from) if from <= self.data.len() && len <= self.data.len() - from => {
                Ok(self.data.slice(from..from + len))
            }
            _ => Err(::parquet::errors::ParquetError::EOF(format!(
                "bytes {start}..{} are outside the row group's column chunks",
                start + len as u64
            ))),
        }
    }
}

impl Length for RowGroupBytes {
    fn len(&self) -> u64 {
        self.file_len
    }
}

impl ChunkReader for RowGroupBytes {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> ::parquet::errors::Result<Self::T> {
        let end = self.base + self.data.len() as u64;
        let len = end.saturating_sub(start) as usize;
        Ok(self.slice(start, len)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> ::parquet::errors::Result<Bytes> {
        self.slice(start, length)
    }
}

/// The error for a file whose footer cannot be read (`parquet_damaged`).
fn damaged(what: impl std::fmt::Display) -> Error {
    Error::format(format!(
        "the Parquet file is damaged or truncated: {what} (its footer, with the schema and the \
         row groups, is at the end of the file; was the file copied completely?)"
    ))
    .keyed("parquet_damaged", &[("detail", &what)])
}

/// Reads the footer: the file's metadata.
fn read_footer<R: Read + Seek>(input: &mut R, file_len: u64) -> Result<ParquetMetaData> {
    if file_len < 12 {
        return Err(damaged(format!("it is only {file_len} bytes long")));
    }
    let mut tail = [0u8; 8];
    input.seek(SeekFrom::Start(file_len - 8))?;
    input.read_exact(&mut tail)?;
    if &tail[4..] == MAGIC_ENCRYPTED {
        return Err(Error::format(
            "the Parquet file is encrypted; write it without encryption to import it",
        )
        .keyed("parquet_encrypted", &[]));
    }
    if &tail[4..] != MAGIC {
        return Err(damaged("it does not end with the magic bytes PAR1"));
    }
    let meta_len = u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")) as u64;
    if meta_len + 12 > file_len {
        return Err(damaged(format!(
            "the footer says it is {meta_len} bytes, more than the file holds"
        )));
    }
    let mut meta = vec![0u8; meta_len as usize];
    input.seek(SeekFrom::Start(file_len - 8 - meta_len))?;
    input.read_exact(&mut meta)?;
    ParquetMetaDataReader::decode_metadata(&meta).map_err(|e| damaged(format!("the footer: {e}")))
}

/// The codecs this build reads.
fn readable(c: Compression) -> bool {
    matches!(
        c,
        Compression::UNCOMPRESSED
            | Compression::SNAPPY
            | Compression::GZIP(_)
            | Compression::LZ4
            | Compression::LZ4_RAW
    )
}

/// The name of a codec as a user would write it.
fn codec_name(c: Compression) -> &'static str {
    match c {
        Compression::UNCOMPRESSED => "uncompressed",
        Compression::SNAPPY => "snappy",
        Compression::GZIP(_) => "gzip",
        Compression::LZO => "lzo",
        Compression::BROTLI(_) => "brotli",
        Compression::LZ4 => "lz4",
        Compression::ZSTD(_) => "zstd",
        Compression::LZ4_RAW => "lz4_raw",
    }
}

/// The cells of the row being read, one per flattened column, reused from row to row.
struct Cells {
    text: Vec<String>,
    set: Vec<bool>,
    /// The time column's value, when it is set and readable.
    time: Option<i64>,
}

/// Writes a value as the text a CSV cell would hold.
fn write_text(out: &mut String, f: &Field) {
    let _ = match f {
        Field::Null => Ok(()),
        Field::Bool(v) => write!(out, "{v}"),
        Field::Byte(v) => write!(out, "{v}"),
        Field::Short(v) => write!(out, "{v}"),
        Field::Int(v) => write!(out, "{v}"),
        Field::Long(v) => write!(out, "{v}"),
        Field::UByte(v) => write!(out, "{v}"),
        Field::UShort(v) => write!(out, "{v}"),
        Field::UInt(v) => write!(out, "{v}"),
        Field::ULong(v) => write!(out, "{v}"),
        Field::Float16(v) => write!(out, "{v}"),
        Field::Float(v) => write!(out, "{v}"),
        Field::Double(v) => write!(out, "{v}"),
        Field::Str(s) => {
            out.push_str(s);
            Ok(())
        }
        Field::Date(d) => {
            let (y, m, d) = crate::engine::time::civil_from_days(*d as i64);
            write!(out, "{y:04}-{m:02}-{d:02}")
        }
        Field::TimestampMillis(v) => {
            out.push_str(&format_rfc3339(v.saturating_mul(1000)));
            Ok(())
        }
        Field::TimestampMicros(v) => {
            out.push_str(&format_rfc3339(*v));
            Ok(())
        }
        // decimals, times of day, bytes, lists and maps: the crate's text
        other => write!(out, "{other}"),
    };
}

/// The instant of a time cell in UTC microseconds, or `None` when it is not a time.
fn time_of(f: &Field, kind: TimeKind, text: &str, naive: &Zone) -> Option<i64> {
    let scale = |v: i64, unit: TimeUnitKind| match unit {
        TimeUnitKind::Millis => v.checked_mul(1000),
        TimeUnitKind::Micros => Some(v),
        TimeUnitKind::Nanos => Some(v.div_euclid(1000)),
    };
    let local = |t: i64, utc: bool| if utc { t } else { naive.local_to_utc(t) };
    match (f, kind) {
        (Field::Long(v), TimeKind::Timestamp { unit, utc }) => Some(local(scale(*v, unit)?, utc)),
        (Field::TimestampMillis(v), TimeKind::Timestamp { utc, .. }) => {
            Some(local(v.checked_mul(1000)?, utc))
        }
        (Field::TimestampMicros(v), TimeKind::Timestamp { utc, .. }) => Some(local(*v, utc)),
        (Field::TimestampMillis(v), _) => v.checked_mul(1000),
        (Field::TimestampMicros(v), _) => Some(*v),
        (Field::Date(d), _) => Some(naive.local_to_utc((*d as i64).checked_mul(DAY)?)),
        _ => parse_timestamp(text, naive),
    }
}

impl Cells {
    /// Spreads a row's fields over the flattened columns of `nodes` (one per field).
    fn fill<'a>(
        &mut self,
        nodes: impl Iterator<Item = &'a Node>,
        row: &Row,
        time_col: usize,
        kind: TimeKind,
        tz: &Zone,
    ) {
        for (node, (_, field)) in nodes.zip(row.get_column_iter()) {
            match (node, field) {
                (Node::Group(children), Field::Group(inner)) => {
                    self.fill(children.iter(), inner, time_col, kind, tz)
                }
                (Node::Group(_), _) => {} // a null struct: its columns stay null
                (&Node::Leaf(i), Field::Null) => self.set[i] = false,
                (&Node::Leaf(i), f) => {
                    self.text[i].clear();
                    write_text(&mut self.text[i], f);
                    self.set[i] = true;
                    if i == time_col {
                        self.time = time_of(f, kind, self.text[i].trim(), tz);
                    }
                }
            }
        }
    }
}

/// One column chunk read in batches: its reader and the last batch's values.
enum Values {
    Bool(ColumnReaderImpl<::parquet::data_type::BoolType>, Vec<bool>),
    Int32(ColumnReaderImpl<::parquet::data_type::Int32Type>, Vec<i32>),
    Int64(ColumnReaderImpl<::parquet::data_type::Int64Type>, Vec<i64>),
    Int96(
        ColumnReaderImpl<::parquet::data_type::Int96Type>,
        Vec<Int96>,
    ),
    Float(ColumnReaderImpl<::parquet::data_type::FloatType>, Vec<f32>),
    Double(ColumnReaderImpl<::parquet::data_type::DoubleType>, Vec<f64>),
    Bytes(
        ColumnReaderImpl<::parquet::data_type::ByteArrayType>,
        Vec<ByteArray>,
    ),
    Fixed(
        ColumnReaderImpl<::parquet::data_type::FixedLenByteArrayType>,
        Vec<FixedLenByteArray>,
    ),
}

/// Reads `n` rows (records) of a column without lists into `defs` and `values` (the
/// non-null values, in order); returns how many rows there were.
fn read_rows<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    defs: &mut Vec<i16>,
    values: &mut Vec<T::T>,
) -> ::parquet::errors::Result<usize> {
    values.clear();
    let mut rows = 0;
    while rows < n {
        let (got, _, _) = r.read_records(n - rows, Some(&mut *defs), None, values)?;
        if got == 0 {
            break;
        }
        rows += got;
    }
    Ok(rows)
}

/// A physical column read in batches into one flattened column.
struct Batched {
    /// The flattened column it fills.
    leaf: usize,
    descr: ColumnDescPtr,
    /// Text strings (`STRING`, `ENUM`, `JSON`) are copied as they are.
    utf8: bool,
    max_def: i16,
    /// The batch's definition levels (a row is null below `max_def`).
    defs: Vec<i16>,
    /// The next non-null value of the batch.
    next: usize,
    values: Values,
}

impl Batched {
    fn new(leaf: usize, reader: ColumnReader, descr: ColumnDescPtr) -> Batched {
        let values = match reader {
            ColumnReader::BoolColumnReader(r) => Values::Bool(r, Vec::new()),
            ColumnReader::Int32ColumnReader(r) => Values::Int32(r, Vec::new()),
            ColumnReader::Int64ColumnReader(r) => Values::Int64(r, Vec::new()),
            ColumnReader::Int96ColumnReader(r) => Values::Int96(r, Vec::new()),
            ColumnReader::FloatColumnReader(r) => Values::Float(r, Vec::new()),
            ColumnReader::DoubleColumnReader(r) => Values::Double(r, Vec::new()),
            ColumnReader::ByteArrayColumnReader(r) => Values::Bytes(r, Vec::new()),
            ColumnReader::FixedLenByteArrayColumnReader(r) => Values::Fixed(r, Vec::new()),
        };
        Batched {
            leaf,
            utf8: descr.physical_type() == Physical::BYTE_ARRAY
                && matches!(
                    descr.converted_type(),
                    ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON
                ),
            max_def: descr.max_def_level(),
            descr,
            defs: Vec::with_capacity(BATCH),
            next: 0,
            values,
        }
    }

    /// Decodes the next `n` rows; an error when the chunk holds fewer.
    fn read(&mut self, n: usize) -> ::parquet::errors::Result<()> {
        self.defs.clear();
        self.next = 0;
        let defs = &mut self.defs;
        let got = match &mut self.values {
            Values::Bool(r, v) => read_rows(r, n, defs, v),
            Values::Int32(r, v) => read_rows(r, n, defs, v),
            Values::Int64(r, v) => read_rows(r, n, defs, v),
            Values::Int96(r, v) => read_rows(r, n, defs, v),
            Values::Float(r, v) => read_rows(r, n, defs, v),
            Values::Double(r, v) => read_rows(r, n, defs, v),
            Values::Bytes(r, v) => read_rows(r, n, defs, v),
            Values::Fixed(r, v) => read_rows(r, n, defs, v),
        }?;
        if got < n {
            return Err(::parquet::errors::ParquetError::General(format!(
                "column \"{}\" holds fewer rows than its row group",
                self.descr.path()
            )));
        }
        Ok(())
    }

    /// The next value of the batch as the record reader gives it (types it does not
    /// convert are kept as plain numbers or bytes); call only for a non-null row.
    fn field(&mut self) -> ::parquet::errors::Result<Field> {
        let (k, d) = (self.next, &self.descr);
        self.next += 1;
        let bytes = |v: ByteArray| match (d.physical_type(), d.converted_type()) {
            (Physical::BYTE_ARRAY, ConvertedType::DECIMAL | ConvertedType::NONE)
            | (Physical::BYTE_ARRAY, ConvertedType::BSON)
            | (Physical::FIXED_LEN_BYTE_ARRAY, ConvertedType::DECIMAL | ConvertedType::NONE) => {
                Field::convert_byte_array(d, v)
            }
            _ => Ok(Field::Bytes(v)),
        };
        let missing = || ::parquet::errors::ParquetError::General("too few values".into());
        Ok(match &self.values {
            Values::Bool(_, v) => Field::Bool(*v.get(k).ok_or_else(missing)?),
            Values::Int32(_, v) => {
                let v = *v.get(k).ok_or_else(missing)?;
                match d.converted_type() {
                    ConvertedType::INT_8
                    | ConvertedType::INT_16
                    | ConvertedType::INT_32
                    | ConvertedType::NONE
                    | ConvertedType::UINT_8
                    | ConvertedType::UINT_16
                    | ConvertedType::UINT_32
                    | ConvertedType::DATE
                    | ConvertedType::TIME_MILLIS
                    | ConvertedType::DECIMAL => Field::convert_int32(d, v),
                    _ => Field::Int(v),
                }
            }
            Values::Int64(_, v) => {
                let v = *v.get(k).ok_or_else(missing)?;
                match d.converted_type() {
                    ConvertedType::INT_64
                    | ConvertedType::NONE
                    | ConvertedType::UINT_64
                    | ConvertedType::TIME_MICROS
                    | ConvertedType::TIMESTAMP_MILLIS
                    | ConvertedType::TIMESTAMP_MICROS
                    | ConvertedType::DECIMAL => Field::convert_int64(d, v),
                    _ => Field::Long(v),
                }
            }
            Values::Int96(_, v) => {
                Field::TimestampMillis(v.get(k).ok_or_else(missing)?.to_millis())
            }
            Values::Float(_, v) => Field::Float(*v.get(k).ok_or_else(missing)?),
            Values::Double(_, v) => Field::Double(*v.get(k).ok_or_else(missing)?),
            Values::Bytes(_, v) => bytes(v.get(k).ok_or_else(missing)?.clone())?,
            Values::Fixed(_, v) => bytes(v.get(k).ok_or_else(missing)?.clone().into())?,
        })
    }
}

impl Cells {
    /// Row `k` of a batch-read column into its flattened column.
    fn put(
        &mut self,
        col: &mut Batched,
        k: usize,
        time_col: usize,
        kind: TimeKind,
        tz: &Zone,
    ) -> ::parquet::errors::Result<()> {
        let i = col.leaf;
        if col.max_def > 0 && col.defs.get(k).is_none_or(|&d| d < col.max_def) {
            self.set[i] = false;
            return Ok(());
        }
        self.text[i].clear();
        self.set[i] = true;
        if let (true, Values::Bytes(_, v)) = (col.utf8, &col.values) {
            // the common case, a string: copied without a Field
            let value = v
                .get(col.next)
                .ok_or_else(|| ::parquet::errors::ParquetError::General("too few values".into()))?;
            col.next += 1;
            let text = std::str::from_utf8(value.data()).map_err(|e| {
                ::parquet::errors::ParquetError::General(format!(
                    "column \"{}\" holds bytes that are not UTF-8: {e}",
                    col.descr.path()
                ))
            })?;
            self.text[i].push_str(text);
            if i == time_col {
                self.time = parse_timestamp(self.text[i].trim(), tz);
            }
            return Ok(());
        }
        let f = col.field()?;
        if i == time_col {
            // an instant read from a typed value needs no text (the text is shown only for a
            // time that is not read)
            self.time = time_of(&f, kind, "", tz);
            if self.time.is_some() {
                return Ok(());
            }
        }
        write_text(&mut self.text[i], &f);
        if i == time_col {
            self.time = time_of(&f, kind, self.text[i].trim(), tz);
        }
        Ok(())
    }
}

/// Loads a Parquet file from a source that can seek (see the module docs). A row whose
/// insert id is in `dedup` (from earlier files) is a duplicate.
pub fn load<R: Read + Seek>(
    mut input: R,
    total_bytes: Option<u64>,
    opts: &LoadOptions,
    dedup: &mut Dedup,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let file_len = match total_bytes {
        Some(n) => n,
        None => input.seek(SeekFrom::End(0))?,
    };
    let meta = read_footer(&mut input, file_len)?;
    let naive_tz = super::naive_zone(opts)?;
    let schema = meta.file_metadata().schema_descr().root_schema();
    let flat = flatten(schema);
    let plan = plan(schema, &flat);
    let shape = shape_of(&|k: &str| flat.names.iter().any(|n| n == k), None);
    let names: Vec<String> = flat.names.iter().map(|k| column_name(shape, k)).collect();
    let (roles, idx) = map_columns(&names, opts, shape)?;
    let kind = flat.kinds[idx.time];
    let mut report = ImportReport {
        columns: roles.clone(),
        delimiter: ',',
        format: "parquet".into(),
        shape: shape.map(str::to_string),
        ..Default::default()
    };
    let mut builder = StoreBuilder::new(roles.properties.clone());
    let mut cells = Cells {
        text: vec![String::new(); names.len()],
        set: vec![false; names.len()],
        time: None,
    };
    let props = Arc::new(ReaderProperties::builder().build());
    let descr = meta.file_metadata().schema_descr();
    let mut consumed = 0u64;
    for (g, group) in meta.row_groups().iter().enumerate() {
        let place = format!(
            "row group {} of {} (rows {}-{})",
            g + 1,
            meta.num_row_groups(),
            report.rows_in + 1,
            report.rows_in + group.num_rows().max(0) as u64
        );
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for (c, col) in group.columns().iter().enumerate() {
            if !readable(col.compression()) {
                let (column, codec) = (
                    descr.column(c).path().string(),
                    codec_name(col.compression()),
                );
                return Err(Error::format(format!(
                    "column \"{column}\" in {place} is compressed with {codec}, which Loupe does \
                     not read; write the file with snappy, gzip, lz4 or no compression (DuckDB: \
                     COPY ... TO 'x.parquet' (COMPRESSION snappy))"
                ))
                .keyed(
                    "parquet_codec",
                    &[("column", &column), ("group", &(g + 1)), ("codec", &codec)],
                ));
            }
            let (start, len) = col.byte_range();
            lo = lo.min(start);
            hi = hi.max(start.saturating_add(len));
        }
        if group.columns().is_empty() || group.num_rows() == 0 {
            continue;
        }
        if hi > file_len {
            return Err(damaged(format!("{place} reaches past the end of the file")));
        }
        let mut data = vec![0u8; (hi - lo) as usize];
        input.seek(SeekFrom::Start(lo))?;
        input.read_exact(&mut data)?;
        consumed += hi - lo;
        let chunks = Arc::new(RowGroupBytes {
            base: lo,
            data: Bytes::from(data),
            file_len,
        });
        let bad = |e: ::parquet::errors::ParquetError| {
            Error::format(format!("the Parquet file cannot be read in {place}: {e}"))
                .keyed("parquet_unreadable", &[("group", &(g + 1)), ("detail", &e)])
        };
        let reader = SerializedRowGroupReader::new(
            chunks,
            group,
            RowGroupPageIndex::new(g, None),
            props.clone(),
        )
        .map_err(bad)?;
        let mut cols = Vec::with_capacity(plan.batched.len());
        for &(c, leaf) in &plan.batched {
            let r = reader.get_column_reader(c).map_err(bad)?;
            cols.push(Batched::new(leaf, r, descr.column(c)));
        }
        let mut by_row = match plan.by_row.is_empty() {
            true => None,
            false => {
                let fields = plan.by_row.iter().map(|&f| schema.get_fields()[f].clone());
                let projection = Type::group_type_builder(schema.name())
                    .with_fields(fields.collect())
                    .build()
                    .map_err(bad)?;
                Some(reader.get_row_iter(Some(projection)).map_err(bad)?)
            }
        };
        let rows = group.num_rows() as u64;
        let mut start = 0;
        while start < rows {
            let n = (rows - start).min(BATCH as u64) as usize;
            start += n as u64;
            for c in &mut cols {
                c.read(n).map_err(bad)?;
            }
            for k in 0..n {
                report.rows_in += 1;
                let line = report.rows_in;
                if line.is_multiple_of(PROGRESS_EVERY) {
                    let p = Progress {
                        bytes: consumed,
                        total_bytes,
                        rows: line,
                    };
                    if !progress(p) {
                        return Err(Error::Cancelled);
                    }
                }
                cells.set.iter_mut().for_each(|s| *s = false);
                cells.time = None;
                for c in &mut cols {
                    cells.put(c, k, idx.time, kind, &naive_tz).map_err(bad)?;
                }
                if let Some(it) = &mut by_row {
                    let row = it
                        .next()
                        .ok_or_else(|| {
                            bad(::parquet::errors::ParquetError::EOF(
                                "the list and map columns hold fewer rows than the row group"
                                    .into(),
                            ))
                        })?
                        .map_err(bad)?;
                    let nodes = plan.by_row.iter().map(|&f| &flat.nodes[f]);
                    cells.fill(nodes, &row, idx.time, kind, &naive_tz);
                }
                let get = |i: usize| {
                    if cells.set[i] {
                        trim_cell(&cells.text[i])
                    } else {
                        ""
                    }
                };
                let mut user = get(idx.user);
                if let (true, Some(f)) = (user.is_empty(), idx.user_fallback) {
                    user = get(f);
                }
                let (event, time) = (get(idx.event), get(idx.time));
                let empty = |name: &str| format!("column \"{name}\" is empty");
                if user.is_empty() {
                    report.reject(line, RejectReason::MissingUser, empty(&roles.user));
                    continue;
                }
                if event.is_empty() {
                    report.reject(line, RejectReason::MissingEvent, empty(&roles.event));
                    continue;
                }
                if time.is_empty() && cells.time.is_none() {
                    report.reject(line, RejectReason::MissingTime, empty(&roles.time));
                    continue;
                }
                let Some(ts) = cells.time else {
                    let detail = format!("\"{}\" in column \"{}\"", truncate(time, 60), roles.time);
                    report.reject(line, RejectReason::BadTime, detail);
                    continue;
                };
                if idx.insert_id.is_some_and(|i| dedup.repeated(get(i))) {
                    report.duplicates += 1;
                    continue;
                }
                builder.push(user, event, ts, idx.properties.iter().map(|&i| get(i)));
                report.imported += 1;
            }
        }
    }
    report.bytes = file_len;
    progress(Progress {
        bytes: file_len,
        total_bytes,
        rows: report.rows_in,
    });
    if report.rows_in == 0 {
        return Err(Error::format("the Parquet file has no rows").keyed("parquet_no_rows", &[]));
    }
    Ok(Dataset {
        store: builder.finish(),
        report,
    })
}
