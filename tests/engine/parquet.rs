//! Parquet import: the seeded sample events written as Parquet (with the `parquet` crate's
//! writer: several row groups, nulls, each codec Loupe reads, the time as a typed TIMESTAMP
//! of each unit, UTC or wall clock, and as a string) must load to exactly the dataset the
//! sample CSV loads to: the same events, the same overview counts, the same funnel and the
//! same segmentation. Typed values (booleans, integers, dates, nested groups, lists), rejects
//! with row numbers, and damaged files (truncated, wrong magic, an unsupported codec) are
//! checked on small hand-made files.

use loupe::engine::analysis::{self, AnalysisResult, Query};
use loupe::engine::ingest::{self, Dataset, LoadOptions, RejectReason};
use loupe::engine::overview::{overview, Overview};
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::store::format_number;
use loupe::engine::time::{format_rfc3339, TimeZone};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::io::Cursor;
use std::sync::Arc;

fn options() -> SampleOptions {
    SampleOptions {
        users: 300,
        days: 14,
        seed: 16,
        ..SampleOptions::default()
    }
}

/// One sample event as plain values.
struct Ev {
    user: String,
    event: String,
    time: i64,
    strings: [String; 3],
    revenue: Option<f64>,
    page: Option<String>,
    variant: String,
}

fn events() -> Vec<Ev> {
    let mut v = Vec::new();
    sample::generate(&options(), |e| {
        v.push(Ev {
            user: e.user.to_string(),
            event: e.event.to_string(),
            time: e.time,
            strings: [e.platform.into(), e.country.into(), e.channel.into()],
            // the value the CSV holds, so both files carry the same number
            revenue: e.revenue.map(|r| format_number(r).parse().unwrap()),
            page: (!e.page.is_empty()).then(|| e.page.to_string()),
            variant: e.variant.to_string(),
        })
    });
    assert!(v.len() > 2000 && v.iter().any(|e| e.revenue.is_some()));
    v
}

/// How the time column is written.
#[derive(Clone, Copy, Debug)]
enum TimeAs {
    /// INT64 TIMESTAMP of a unit (`MILLIS`, `MICROS`, `NANOS`), UTC-adjusted or a wall
    /// clock shifted by `offset_hours`.
    Typed(&'static str, bool, i64),
    /// RFC 3339 text.
    Text,
}

fn bytes(s: &str) -> ByteArray {
    ByteArray::from(s.as_bytes().to_vec())
}

/// The sample events as a Parquet file: `groups` row groups, `codec` compression.
fn parquet_file(evs: &[Ev], time: TimeAs, codec: Compression, groups: usize) -> Vec<u8> {
    let time_type = match time {
        TimeAs::Typed(unit, utc, _) => {
            format!("REQUIRED INT64 timestamp (TIMESTAMP({unit},{utc}))")
        }
        TimeAs::Text => "REQUIRED BYTE_ARRAY timestamp (STRING)".into(),
    };
    let schema = format!(
        "message events {{
            REQUIRED BYTE_ARRAY user_id (STRING);
            REQUIRED BYTE_ARRAY event (STRING);
            {time_type};
            REQUIRED BYTE_ARRAY platform (STRING);
            REQUIRED BYTE_ARRAY country (STRING);
            REQUIRED BYTE_ARRAY channel (STRING);
            OPTIONAL DOUBLE revenue;
            OPTIONAL BYTE_ARRAY page (STRING);
            REQUIRED BYTE_ARRAY variant (STRING);
        }}"
    );
    let schema = Arc::new(parse_message_type(&schema).unwrap());
    let props = Arc::new(WriterProperties::builder().set_compression(codec).build());
    let mut w = SerializedFileWriter::new(Vec::new(), schema, props).unwrap();
    let per = evs.len().div_ceil(groups);
    for chunk in evs.chunks(per) {
        let mut rg = w.next_row_group().unwrap();
        let mut col = 0;
        while let Some(mut c) = rg.next_column().unwrap() {
            let strings = |f: &dyn Fn(&Ev) -> &str| -> Vec<ByteArray> {
                chunk.iter().map(|e| bytes(f(e))).collect()
            };
            match col {
                0 => {
                    let v = strings(&|e| &e.user);
                    c.typed::<ByteArrayType>().write_batch(&v, None, None)
                }
                1 => {
                    let v = strings(&|e| &e.event);
                    c.typed::<ByteArrayType>().write_batch(&v, None, None)
                }
                2 => match time {
                    TimeAs::Typed(unit, _, offset_hours) => {
                        let v: Vec<i64> = chunk
                            .iter()
                            .map(|e| {
                                let t = e.time + offset_hours * 3_600_000_000;
                                match unit {
                                    "MILLIS" => t / 1000,
                                    "MICROS" => t,
                                    _ => t * 1000,
                                }
                            })
                            .collect();
                        c.typed::<Int64Type>().write_batch(&v, None, None)
                    }
                    TimeAs::Text => {
                        let v: Vec<ByteArray> = chunk
                            .iter()
                            .map(|e| bytes(&format_rfc3339(e.time)))
                            .collect();
                        c.typed::<ByteArrayType>().write_batch(&v, None, None)
                    }
                },
                3..=5 => {
                    let v = strings(&|e| &e.strings[col - 3]);
                    c.typed::<ByteArrayType>().write_batch(&v, None, None)
                }
                6 => {
                    let v: Vec<f64> = chunk.iter().filter_map(|e| e.revenue).collect();
                    let def: Vec<i16> = chunk
                        .iter()
                        .map(|e| i16::from(e.revenue.is_some()))
                        .collect();
                    c.typed::<DoubleType>().write_batch(&v, Some(&def), None)
                }
                7 => {
                    let v: Vec<ByteArray> = chunk
                        .iter()
                        .filter_map(|e| e.page.as_deref().map(bytes))
                        .collect();
                    let def: Vec<i16> = chunk.iter().map(|e| i16::from(e.page.is_some())).collect();
                    c.typed::<ByteArrayType>().write_batch(&v, Some(&def), None)
                }
                _ => {
                    let v = strings(&|e| &e.variant);
                    c.typed::<ByteArrayType>().write_batch(&v, None, None)
                }
            }
            .unwrap();
            c.close().unwrap();
            col += 1;
        }
        rg.close().unwrap();
    }
    w.into_inner().unwrap()
}

fn load_with(bytes: &[u8], opts: &LoadOptions) -> loupe::engine::error::Result<Dataset> {
    ingest::load_file(
        Cursor::new(bytes),
        Some(bytes.len() as u64),
        opts,
        &mut |_| true,
    )
}

fn load(bytes: &[u8]) -> loupe::engine::error::Result<Dataset> {
    load_with(bytes, &LoadOptions::default())
}

/// Every event with every property, sorted: the dataset compared value by value.
fn rows(d: &Dataset) -> Vec<(String, String, i64, Vec<Option<String>>)> {
    let s = &d.store;
    let mut out = Vec::new();
    for u in 0..s.user_count() {
        for i in s.user_range(u) {
            out.push((
                s.user_id(u).to_string(),
                s.event_names().get(s.event_codes()[i]).to_string(),
                s.times()[i],
                s.properties().iter().map(|p| p.display(i)).collect(),
            ));
        }
    }
    out.sort();
    out
}

/// The overview without what depends on the file format (bytes, format, encoding).
fn counts(d: &Dataset) -> Overview {
    let mut o = overview(&d.store, &d.report);
    o.bytes = 0;
    o.format.clear();
    o.encoding.clear();
    o.encoding_source.clear();
    o
}

fn run(d: &Dataset, spec: &str) -> AnalysisResult {
    analysis::run(&d.store, &Query::from_json(spec).unwrap())
        .unwrap()
        .result
}

const FUNNEL: &str = r#"{"analysis":"funnel","steps":[{"event":"signup"},{"event":"view_item"},{"event":"purchase"}],"breakdown":{"property":"channel"}}"#;
const SEGMENTATION: &str = r#"{"analysis":"trends","series":[{"event":"purchase","measure":"events"},{"event":"view_item","measure":"users"}],"breakdown":{"property":"platform"}}"#;

/// Checks that `d` is the CSV's dataset in every respect compared here.
fn same_as_csv(what: &str, d: &Dataset, csv: &Dataset) {
    assert_eq!(d.report.format, "parquet", "{what}");
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (csv.report.rows_in, csv.report.imported, 0, 0),
        "{what}"
    );
    assert_eq!(d.report.columns, csv.report.columns, "{what}");
    assert!(rows(d) == rows(csv), "{what}: the events differ");
    assert_eq!(counts(d), counts(csv), "{what}");
    assert_eq!(run(d, FUNNEL), run(csv, FUNNEL), "{what}");
    assert_eq!(run(d, SEGMENTATION), run(csv, SEGMENTATION), "{what}");
}

fn csv_dataset() -> Dataset {
    let mut text = Vec::new();
    sample::write_csv(&options(), &mut text).unwrap();
    load(&text).unwrap()
}

#[test]
fn every_codec_and_time_type_loads_the_same_dataset_as_the_csv() {
    let evs = events();
    let csv = csv_dataset();
    assert_eq!(csv.report.imported as usize, evs.len());
    let cases = [
        (
            "snappy, micros utc",
            Compression::SNAPPY,
            TimeAs::Typed("MICROS", true, 0),
            3,
        ),
        (
            "gzip, millis utc",
            Compression::GZIP(Default::default()),
            TimeAs::Typed("MILLIS", true, 0),
            4,
        ),
        (
            "uncompressed, text",
            Compression::UNCOMPRESSED,
            TimeAs::Text,
            2,
        ),
        (
            "lz4, nanos utc",
            Compression::LZ4,
            TimeAs::Typed("NANOS", true, 0),
            5,
        ),
        (
            "lz4 raw, micros wall clock",
            Compression::LZ4_RAW,
            TimeAs::Typed("MICROS", false, 0),
            1,
        ),
    ];
    for (what, codec, time, groups) in cases {
        let file = parquet_file(&evs, time, codec, groups);
        let d = load(&file).unwrap_or_else(|e| panic!("{what}: {e}"));
        same_as_csv(what, &d, &csv);
    }
    // a wall-clock time 8 hours ahead of UTC, read in the +08:00 naive zone
    let file = parquet_file(
        &evs,
        TimeAs::Typed("MILLIS", false, 8),
        Compression::SNAPPY,
        2,
    );
    let opts = LoadOptions {
        naive_timezone: Some(TimeZone::Fixed(8 * 3600)),
        ..Default::default()
    };
    same_as_csv("wall clock +08:00", &load_with(&file, &opts).unwrap(), &csv);
    // the same file read as UTC is 8 hours later
    let d = load(&file).unwrap();
    assert_eq!(d.store.times()[0], csv.store.times()[0] + 8 * 3_600_000_000);
}

/// A small file of typed columns written row group by row group.
fn typed_file(codec: Compression) -> Vec<u8> {
    let schema = "message m {
        OPTIONAL BYTE_ARRAY uid (STRING);
        REQUIRED BYTE_ARRAY event (STRING);
        OPTIONAL BYTE_ARRAY ts (STRING);
        OPTIONAL BOOLEAN paid;
        OPTIONAL INT32 qty;
        OPTIONAL INT32 day (DATE);
        OPTIONAL group device {
            OPTIONAL BYTE_ARRAY os (STRING);
        }
        OPTIONAL group tags (LIST) {
            REPEATED group list {
                OPTIONAL BYTE_ARRAY element (STRING);
            }
        }
    }";
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let props = Arc::new(WriterProperties::builder().set_compression(codec).build());
    let mut w = SerializedFileWriter::new(Vec::new(), schema, props).unwrap();
    // rows 1-2 in the first row group, 3-5 in the second:
    // 1 u1 a 2024-03-01T09:00:00Z paid=true qty=2 day=2024-03-01 os=ios tags=[x, y]
    // 2 (null user) -> rejected, row 2
    // 3 u2 b 2024-03-02 (date only, midnight UTC), all else null (device null)
    // 4 u2 c "soon" -> bad time, row 4
    // 5 u3 d (null time) -> missing time, row 5
    let groups: [[usize; 2]; 2] = [[0, 2], [2, 5]];
    let uid = [Some("u1"), None, Some("u2"), Some("u2"), Some("u3")];
    let event = ["a", "x", "b", "c", "d"];
    let ts = [
        Some("2024-03-01T09:00:00Z"),
        Some("2024-03-01T09:00:00Z"),
        Some("2024-03-02"),
        Some("soon"),
        None,
    ];
    for [lo, hi] in groups {
        let mut rg = w.next_row_group().unwrap();
        let opt_strings = |v: &[Option<&str>]| -> (Vec<ByteArray>, Vec<i16>) {
            let s = v[lo..hi].iter().flatten().map(|s| bytes(s)).collect();
            let d = v[lo..hi].iter().map(|s| i16::from(s.is_some())).collect();
            (s, d)
        };
        let first = lo == 0;
        let mut col = 0;
        while let Some(mut c) = rg.next_column().unwrap() {
            match col {
                0 => {
                    let (v, d) = opt_strings(&uid);
                    c.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)
                }
                1 => {
                    let v: Vec<ByteArray> = event[lo..hi].iter().map(|s| bytes(s)).collect();
                    c.typed::<ByteArrayType>().write_batch(&v, None, None)
                }
                2 => {
                    let (v, d) = opt_strings(&ts);
                    c.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)
                }
                3 => {
                    let d: Vec<i16> = (lo..hi).map(|i| i16::from(i == 0)).collect();
                    let v = if first { vec![true] } else { vec![] };
                    c.typed::<BoolType>().write_batch(&v, Some(&d), None)
                }
                4 | 5 => {
                    let d: Vec<i16> = (lo..hi).map(|i| i16::from(i == 0)).collect();
                    // 2024-03-01 is day 19783 since 1970-01-01
                    let value = if col == 4 { 2 } else { 19_783 };
                    let v = if first { vec![value] } else { vec![] };
                    c.typed::<Int32Type>().write_batch(&v, Some(&d), None)
                }
                6 => {
                    // device.os: defined (level 2) in row 1, device null (level 0) elsewhere
                    let d: Vec<i16> = (lo..hi).map(|i| if i == 0 { 2 } else { 0 }).collect();
                    let v = if first { vec![bytes("ios")] } else { vec![] };
                    c.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)
                }
                _ => {
                    // tags: [x, y] in row 1 (two elements), null elsewhere
                    let mut d = Vec::new();
                    let mut r = Vec::new();
                    for i in lo..hi {
                        if i == 0 {
                            d.extend([3, 3]);
                            r.extend([0, 1]);
                        } else {
                            d.push(0);
                            r.push(0);
                        }
                    }
                    let v = if first {
                        vec![bytes("x"), bytes("y")]
                    } else {
                        vec![]
                    };
                    c.typed::<ByteArrayType>()
                        .write_batch(&v, Some(&d), Some(&r))
                }
            }
            .unwrap();
            c.close().unwrap();
            col += 1;
        }
        rg.close().unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn typed_values_nested_groups_lists_and_rejects_with_row_numbers() {
    let d = load(&typed_file(Compression::SNAPPY)).unwrap();
    let r = &d.report;
    // 5 rows: 2 imported (rows 1 and 3), 3 rejected (rows 2, 4, 5)
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (5, 2, 0, 3)
    );
    let rejects: Vec<(u64, RejectReason)> = r
        .reject_samples
        .iter()
        .map(|x| (x.line, x.reason))
        .collect();
    assert_eq!(
        rejects,
        [
            (2, RejectReason::MissingUser),
            (4, RejectReason::BadTime),
            (5, RejectReason::MissingTime)
        ]
    );
    assert!(r.reject_samples[1].detail.contains("soon"));
    assert_eq!(
        (
            r.columns.user.as_str(),
            r.columns.event.as_str(),
            r.columns.time.as_str()
        ),
        ("uid", "event", "ts")
    );
    assert_eq!(
        r.columns.properties,
        ["paid", "qty", "day", "device.os", "tags"]
    );
    // 2024-03-01T09:00:00Z = (19783 days * 86400 + 9 h) seconds; 2024-03-02 = 19784 days
    let t1 = (19_783 * 86_400 + 9 * 3600) * 1_000_000;
    let t3 = 19_784 * 86_400 * 1_000_000;
    assert_eq!(d.store.times(), &[t1, t3]);
    let cell = |name: &str, i: usize| d.store.property(name).unwrap().display(i);
    assert_eq!(cell("paid", 0).as_deref(), Some("true"));
    assert_eq!(cell("qty", 0).as_deref(), Some("2"));
    assert_eq!(cell("day", 0).as_deref(), Some("2024-03-01"));
    assert_eq!(cell("device.os", 0).as_deref(), Some("ios"));
    assert!(cell("tags", 0).unwrap().contains('x'));
    for name in ["paid", "qty", "day", "device.os", "tags"] {
        assert_eq!(cell(name, 1), None, "{name} is null in row 3");
    }
    use loupe::engine::store::PropertyKind;
    assert_eq!(
        d.store.property("qty").unwrap().kind(),
        PropertyKind::Number
    );
    assert_eq!(
        d.store.property("paid").unwrap().kind(),
        PropertyKind::String
    );
}

#[test]
fn a_date_time_column_is_midnight_in_the_naive_zone() {
    let schema = "message m { REQUIRED BYTE_ARRAY user_id (STRING);
        REQUIRED BYTE_ARRAY event (STRING); REQUIRED INT32 date (DATE); }";
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let mut w = SerializedFileWriter::new(Vec::new(), schema, Default::default()).unwrap();
    let mut rg = w.next_row_group().unwrap();
    let mut col = 0;
    while let Some(mut c) = rg.next_column().unwrap() {
        match col {
            0 => c
                .typed::<ByteArrayType>()
                .write_batch(&[bytes("u")], None, None),
            1 => c
                .typed::<ByteArrayType>()
                .write_batch(&[bytes("e")], None, None),
            _ => c.typed::<Int32Type>().write_batch(&[19_783], None, None),
        }
        .unwrap();
        c.close().unwrap();
        col += 1;
    }
    rg.close().unwrap();
    let file = w.into_inner().unwrap();
    let opts = LoadOptions {
        naive_timezone: Some(TimeZone::Fixed(8 * 3600)),
        ..Default::default()
    };
    let d = load_with(&file, &opts).unwrap();
    // 2024-03-01 00:00 at +08:00 = 2024-02-29T16:00:00Z = 19783 days - 8 hours
    assert_eq!(d.store.times(), &[(19_783 * 86_400 - 8 * 3600) * 1_000_000]);
}

#[test]
fn damaged_files_and_unread_codecs_are_clear_errors() {
    let file = typed_file(Compression::SNAPPY);
    let msg = |bytes: &[u8]| load(bytes).unwrap_err().to_string();
    // cut anywhere after the magic: the footer is gone
    for cut in [5, file.len() / 2, file.len() - 1] {
        let m = msg(&file[..cut]);
        assert!(
            m.contains("Parquet") && m.contains("truncated"),
            "{cut}: {m}"
        );
    }
    // the magic at the end damaged
    let mut bad = file.clone();
    let n = bad.len();
    bad[n - 1] = b'X';
    let m = msg(&bad);
    assert!(m.contains("magic bytes PAR1"), "{m}");
    // a footer length pointing before the start
    let mut bad = file.clone();
    bad[n - 8..n - 4].copy_from_slice(&(n as u32).to_le_bytes());
    assert!(msg(&bad).contains("more than the file holds"));
    // a row group's pages damaged: the error names the row group
    let mut bad = file.clone();
    for b in &mut bad[4..40] {
        *b = 0xFF;
    }
    let m = msg(&bad);
    assert!(m.contains("row group 1 of 2"), "{m}");
    // zstd is not read: the error names the codec, the column and the row group
    let zstd = typed_file(Compression::ZSTD(Default::default()));
    let m = msg(&zstd);
    assert!(
        m.contains("zstd") && m.contains("column \"uid\"") && m.contains("row group 1 of 2"),
        "{m}"
    );
    // through the stream entry point (no seeking) a Parquet file is a clear error
    let e = ingest::load(&file[..], None, &LoadOptions::default(), &mut |_| true).unwrap_err();
    assert!(e.to_string().contains("Parquet"), "{e}");
}

#[test]
fn nulls_stay_on_their_rows_across_batches_and_pages() {
    // one row group of 10,000 rows in data pages of 700 rows, so the loader's batches
    // (4,096 rows) and the pages end at different rows. Row r (0-based):
    // uid "u{r % 50}", null when r % 1000 == 999 (rows 999, 1999, ..., 9999: 10 rejected,
    // at 1-based rows 1000, 2000, ..., 10000); time r seconds after 2024-01-01T00:00:00Z;
    // `n` = r * 3, null when r % 3 == 0; `s` = "s{r}", null when r % 7 == 0.
    let schema = "message m {
        OPTIONAL BYTE_ARRAY uid (STRING);
        REQUIRED BYTE_ARRAY event (STRING);
        REQUIRED INT64 ts (TIMESTAMP(MICROS, true));
        OPTIONAL INT64 n;
        OPTIONAL BYTE_ARRAY s (STRING);
    }";
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_data_page_row_count_limit(700)
        .set_write_batch_size(100)
        .set_dictionary_enabled(false)
        .build();
    let mut w = SerializedFileWriter::new(Vec::new(), schema, Arc::new(props)).unwrap();
    let rows = 0..10_000i64;
    let t0 = 1_704_067_200_000_000i64;
    let mut rg = w.next_row_group().unwrap();
    let mut col = 0;
    while let Some(mut c) = rg.next_column().unwrap() {
        let defs = |null: &dyn Fn(i64) -> bool| -> Vec<i16> {
            rows.clone().map(|r| i16::from(!null(r))).collect()
        };
        match col {
            0 => {
                let null = |r: i64| r % 1000 == 999;
                let v: Vec<ByteArray> = rows
                    .clone()
                    .filter(|&r| !null(r))
                    .map(|r| bytes(&format!("u{}", r % 50)))
                    .collect();
                c.typed::<ByteArrayType>()
                    .write_batch(&v, Some(&defs(&null)), None)
            }
            1 => {
                let v: Vec<ByteArray> = rows.clone().map(|_| bytes("e")).collect();
                c.typed::<ByteArrayType>().write_batch(&v, None, None)
            }
            2 => {
                let v: Vec<i64> = rows.clone().map(|r| t0 + r * 1_000_000).collect();
                c.typed::<Int64Type>().write_batch(&v, None, None)
            }
            3 => {
                let null = |r: i64| r % 3 == 0;
                let v: Vec<i64> = rows.clone().filter(|&r| !null(r)).map(|r| r * 3).collect();
                c.typed::<Int64Type>()
                    .write_batch(&v, Some(&defs(&null)), None)
            }
            _ => {
                let null = |r: i64| r % 7 == 0;
                let v: Vec<ByteArray> = rows
                    .clone()
                    .filter(|&r| !null(r))
                    .map(|r| bytes(&format!("s{r}")))
                    .collect();
                c.typed::<ByteArrayType>()
                    .write_batch(&v, Some(&defs(&null)), None)
            }
        }
        .unwrap();
        c.close().unwrap();
        col += 1;
    }
    rg.close().unwrap();
    let file = w.into_inner().unwrap();
    let d = load(&file).unwrap();
    let r = &d.report;
    assert_eq!((r.rows_in, r.imported, r.rejected), (10_000, 9_990, 10));
    let lines: Vec<u64> = r.reject_samples.iter().map(|x| x.line).collect();
    assert_eq!(lines, (1..=10).map(|k| k * 1000).collect::<Vec<u64>>());
    // every imported event, back to its row by its time, has its own row's values
    let s = &d.store;
    let (n, sp) = (s.property("n").unwrap(), s.property("s").unwrap());
    let mut seen = 0;
    for u in 0..s.user_count() {
        for i in s.user_range(u) {
            let row = (s.times()[i] - t0) / 1_000_000;
            assert_eq!(s.user_id(u), format!("u{}", row % 50), "row {row}");
            let want_n = (row % 3 != 0).then(|| (row * 3).to_string());
            assert_eq!(n.display(i), want_n, "n of row {row}");
            let want_s = (row % 7 != 0).then(|| format!("s{row}"));
            assert_eq!(sp.display(i), want_s, "s of row {row}");
            assert_ne!(row % 1000, 999);
            seen += 1;
        }
    }
    assert_eq!(seen, 9_990);
}
