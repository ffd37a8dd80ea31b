//! CSV ingest: nothing is lost silently, columns and timestamps are detected.

use super::common::load;
use loupe::engine::ingest::{csv, LoadOptions, RejectReason};
use loupe::engine::store::PropertyKind;
use loupe::engine::time::TimeZone;
use loupe::engine::Error;

/// 2024-03-01T09:00:00Z in microseconds: 19783 days × 86400 s + 9 h.
const T0: i64 = (19_783 * 86_400 + 9 * 3600) * 1_000_000;

#[test]
fn rejected_rows_are_counted_by_reason_with_line_numbers() {
    let text = "user_id,event,timestamp,note\n\
                u1,a,2024-03-01T09:00:00Z,\"a note\n\
                spanning two lines\"\n\
                ,a,2024-03-01T09:00:00Z,x\n\
                \x20\x20,a,2024-03-01T09:00:00Z,x\n\
                u2,,2024-03-01T09:00:00Z,x\n\
                \x20\x20\n\
                u2,a,,x\n\
                u2,a,not a time,x\n\
                u2,a,2024-03-01T09:00:00Z\n\
                u2,a,2024-03-01T09:00:00Z,\"x\n\
                y\",extra\n\
                \n\
                u3,b,2024-03-02,ok\n";
    // line 1 header; 2–3 one row (quoted newline); 4 empty user; 5 blank user; 6 empty
    // event; 7 only spaces (not a row); 8 empty time; 9 bad time; 10 three fields;
    // 11–12 five fields; 13 empty line (not a row); 14 good.
    let d = load(text);
    let r = &d.report;
    assert_eq!(r.rows_in, 9);
    assert_eq!(r.imported, 2);
    assert_eq!(r.rejected, 7);
    assert_eq!(r.rows_in, r.imported + r.rejected);
    let got: Vec<(u64, RejectReason)> = r
        .reject_samples
        .iter()
        .map(|x| (x.line, x.reason))
        .collect();
    assert_eq!(
        got,
        [
            (4, RejectReason::MissingUser),
            (5, RejectReason::MissingUser),
            (6, RejectReason::MissingEvent),
            (8, RejectReason::MissingTime),
            (9, RejectReason::BadTime),
            (10, RejectReason::FieldCount),
            (11, RejectReason::FieldCount),
        ]
    );
    let by = &r.rejected_by_reason;
    assert_eq!(by.get(&RejectReason::MissingUser), Some(&2));
    assert_eq!(by.get(&RejectReason::MissingEvent), Some(&1));
    assert_eq!(by.get(&RejectReason::MissingTime), Some(&1));
    assert_eq!(by.get(&RejectReason::BadTime), Some(&1));
    assert_eq!(by.get(&RejectReason::FieldCount), Some(&2));
    assert_eq!(by.values().sum::<u64>(), r.rejected);
    assert!(r.reject_samples[4].detail.contains("not a time"));
    assert_eq!(d.store.len(), 2);
    let note = d.store.property("note").unwrap();
    assert!((0..2).any(|i| note.display(i).as_deref() == Some("a note\nspanning two lines")));
}

/// The csv crate's record positions are off by one after a CRLF terminator
/// (BurntSushi/rust-csv#395); the engine reports them as the row's line.
#[test]
fn line_numbers_with_crlf_line_endings() {
    let r = load(CRLF).report;
    let got: Vec<(u64, RejectReason)> = r
        .reject_samples
        .iter()
        .map(|x| (x.line, x.reason))
        .collect();
    // line 1 header, 2 good, 3 no user, 4–5 bad time (a quoted CRLF inside), 6 good
    assert_eq!(
        got,
        [(3, RejectReason::MissingUser), (4, RejectReason::BadTime)]
    );
}

const CRLF: &str = "user_id,event,timestamp\r\nu1,a,2024-03-01\r\n,a,2024-03-01\r\n\"u2\",\"multi\r\nline\",x\r\nu3,a,2024-03-01\r\n";

#[test]
fn crlf_files_import_every_row() {
    let d = load(CRLF);
    assert_eq!(
        (d.report.rows_in, d.report.imported, d.report.rejected),
        (4, 2, 2)
    );
    assert!(d.store.event_names().code("a").is_some());
    assert_eq!(d.report.columns.time, "timestamp");
    let got: Vec<RejectReason> = d.report.reject_samples.iter().map(|x| x.reason).collect();
    assert_eq!(got, [RejectReason::MissingUser, RejectReason::BadTime]);
}

/// The first row after an empty line gets the empty line's number from the csv crate
/// (BurntSushi/rust-csv#208); the engine reports it as the row's line.
#[test]
fn line_numbers_after_empty_lines() {
    // (a time column of which no value is a timestamp is a whole-file error, so the times
    // are valid and the user is what is missing)
    let text = "user_id,event,timestamp\n,a,2024-01-01\n\n,a,2024-01-01\n,a,2024-01-01\n\n\n,a,2024-01-01\n";
    let r = load(text).report;
    assert_eq!(r.rows_in, 4);
    let got: Vec<u64> = r.reject_samples.iter().map(|x| x.line).collect();
    // rows on lines 2, 4, 5 and 8 (lines 3, 6, 7 are empty)
    assert_eq!(got, [2, 4, 5, 8]);
}

/// A tiny deterministic generator for the accounting property test.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn every_row_is_imported_or_rejected() {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut text = String::from("user_id,event,timestamp,p\n");
        let (mut rows, mut good, mut line) = (0u64, 0u64, 1u64);
        let mut expected_lines = Vec::new();
        for _ in 0..rng.below(60) + 1 {
            line += 1;
            let kind = rng.below(8);
            let row = match kind {
                0 => ",e,2024-03-01,x".to_string(),
                1 => "u,,2024-03-01,x".to_string(),
                2 => "u,e,,x".to_string(),
                3 => "u,e,32/13/2024,x".to_string(),
                4 => "u,e,2024-03-01".to_string(),
                5 => "   ".to_string(), // only spaces: not a row
                6 => {
                    // a quoted property spanning a line
                    line += 1;
                    format!(
                        "u{},e,{},\"p\nq\"",
                        rng.below(5),
                        1_709_283_600 + rng.below(1000)
                    )
                }
                _ => format!(
                    "u{},e{},2024-03-0{}T10:00:00Z,v",
                    rng.below(5),
                    rng.below(3),
                    1 + rng.below(9)
                ),
            };
            if kind != 5 {
                rows += 1;
                if kind >= 6 {
                    good += 1;
                } else {
                    expected_lines.push(line);
                }
            }
            text.push_str(&row);
            text.push('\n');
        }
        if rows == 0 {
            continue;
        }
        let d = load(&text);
        let r = &d.report;
        assert_eq!(r.rows_in, rows, "seed {seed}");
        assert_eq!(r.imported, good, "seed {seed}");
        assert_eq!(r.rows_in, r.imported + r.rejected, "seed {seed}");
        assert_eq!(
            r.rejected_by_reason.values().sum::<u64>(),
            r.rejected,
            "seed {seed}"
        );
        assert_eq!(d.store.len() as u64, good, "seed {seed}");
        let lines: Vec<u64> = r.reject_samples.iter().map(|x| x.line).collect();
        assert_eq!(lines, expected_lines, "seed {seed}:\n{text}");
    }
}

#[test]
fn delimiter_is_sniffed_from_the_header() {
    for (text, delim) in [
        ("uid\tevent\ttime\nu\te\t2024-01-01\n", '\t'),
        ("uid;event;time;note\nu;e;2024-01-01;\"a;b\"\n", ';'),
        ("uid|event|time\nu|e|2024-01-01\n", '|'),
        ("uid,event,time\nu,e,2024-01-01\n", ','),
        // quoted header cells hide the delimiters inside them
        (
            "\"uid\";\"event\";\"time\";\"a,b,c,d\"\nu;e;2024-01-01;x\n",
            ';',
        ),
    ] {
        let d = load(text);
        assert_eq!(d.report.delimiter, delim, "{text:?}");
        assert_eq!((d.report.rows_in, d.report.imported), (1, 1), "{text:?}");
    }
    // equal counts prefer the comma; an explicit delimiter wins over sniffing
    let text = "uid\tevent\ttime\tnote,with,many,commas\nu\te\t2024-01-01\ta,b,c\n";
    let sniffed = csv::load(text.as_bytes(), None, &LoadOptions::default(), &mut |_| {
        true
    });
    assert!(matches!(sniffed, Err(Error::Mapping(_))), "{sniffed:?}");
    let opts = LoadOptions {
        delimiter: Some('\t'),
        ..Default::default()
    };
    let d = csv::load(text.as_bytes(), None, &opts, &mut |_| true).unwrap();
    assert_eq!(d.report.delimiter, '\t');
    assert_eq!(d.report.columns.properties, ["note,with,many,commas"]);
    assert_eq!(d.report.imported, 1);
}

#[test]
fn byte_order_mark_is_skipped() {
    let d = load("\u{feff}user_id,event,timestamp\nu1,a,2024-03-01T09:00:00Z\n");
    assert_eq!(d.report.columns.user, "user_id");
    assert_eq!(d.report.imported, 1);
    assert_eq!(d.store.times(), [T0]);
}

#[test]
fn chinese_headers_are_detected() {
    let d = load(
        "用户ID,事件,时间,渠道\n\
         张三,登录,2024-03-01 09:00:00,微信\n\
         李四,购买,2024-03-01T17:00:00+08:00,抖音\n",
    );
    let c = &d.report.columns;
    assert_eq!(
        (c.user.as_str(), c.event.as_str(), c.time.as_str()),
        ("用户ID", "事件", "时间")
    );
    assert_eq!(c.properties, ["渠道"]);
    assert_eq!(d.report.imported, 2);
    assert!(d.store.event_names().code("登录").is_some());
    // both rows are 09:00 UTC (naive times are read as UTC by default)
    assert_eq!(d.store.times(), [T0, T0]);
    let ch = d.store.property("渠道").unwrap();
    let mut v: Vec<String> = (0..2).filter_map(|i| ch.display(i)).collect();
    v.sort();
    assert_eq!(v, ["微信", "抖音"]);
    // other column orders and names: 事件名称 / 用户 / 发生时间
    let d = load("事件名称,发生时间,用户\n登录,2024-03-01 09:00:00,张三\n");
    assert_eq!(d.report.columns.user, "用户");
    assert_eq!(d.report.columns.time, "发生时间");
}

#[test]
fn epoch_timestamps_seconds_and_milliseconds() {
    let d = load(
        "user_id,event,timestamp\n\
         u1,s,1709283600\n\
         u2,ms,1709283600123\n\
         u3,us,1709283600123456\n\
         u4,frac,1709283600.5\n",
    );
    assert_eq!(d.report.imported, 4);
    // one user each, in first-appearance order
    assert_eq!(
        d.store.times(),
        [T0, T0 + 123_000, T0 + 123_456, T0 + 500_000]
    );
}

#[test]
fn naive_times_read_at_the_chosen_offset() {
    let opts = LoadOptions {
        naive_timezone: Some(TimeZone::parse("+08:00").unwrap()),
        ..Default::default()
    };
    let text = "user_id,event,timestamp\nu1,a,2024-03-01 17:00:00\nu2,a,2024-03-01T09:00:00Z\n";
    let d = csv::load(text.as_bytes(), None, &opts, &mut |_| true).unwrap();
    // the naive time is 17:00 at +08:00 = 09:00 UTC; the zoned one is unchanged
    assert_eq!(d.store.times(), [T0, T0]);
}

#[test]
fn numeric_properties_are_typed() {
    let d = load(
        "user_id,event,timestamp,revenue,code,plan\n\
         u1,a,2024-03-01T09:00:00Z,39.9,1,pro\n\
         u1,b,2024-03-01T10:00:00Z,,n/a,\n\
         u1,c,2024-03-01T11:00:00Z,1e3,2,free\n",
    );
    let s = &d.store;
    let rev = s.property("revenue").unwrap();
    assert_eq!(rev.kind(), PropertyKind::Number);
    // events are sorted by time: a, b, c
    assert_eq!(rev.display(0).as_deref(), Some("39.9"));
    assert_eq!(rev.display(1), None);
    assert_eq!(rev.display(2).as_deref(), Some("1000"));
    // one non-numeric value makes the whole column text
    assert_eq!(s.property("code").unwrap().kind(), PropertyKind::String);
    assert_eq!(s.property("plan").unwrap().kind(), PropertyKind::String);
    assert_eq!(s.property("plan").unwrap().display(1), None);
}

#[test]
fn invalid_utf8_after_the_sniffed_head_is_a_rejected_row() {
    let mut bytes = b"user_id,event,timestamp\n".to_vec();
    let good = b"u1,a,2024-03-01T09:00:00Z\n";
    let n = 70 * 1024 / good.len() + 1; // more than the 64 KiB sniff window
    for _ in 0..n {
        bytes.extend_from_slice(good);
    }
    bytes.extend_from_slice(b"u2,\xff\xfe,2024-03-01T09:00:00Z\n");
    bytes.extend_from_slice(good);
    let d = csv::load(&bytes[..], None, &LoadOptions::default(), &mut |_| true).unwrap();
    let r = &d.report;
    assert_eq!(r.rows_in, n as u64 + 2);
    assert_eq!(r.imported, n as u64 + 1);
    assert_eq!(r.rejected_by_reason.get(&RejectReason::Encoding), Some(&1));
    assert_eq!(r.reject_samples[0].line, n as u64 + 2);
    assert_eq!(r.bytes, bytes.len() as u64);
}

#[test]
fn unusable_files_are_whole_file_errors() {
    let e = |t: &[u8]| csv::load(t, None, &LoadOptions::default(), &mut |_| true).unwrap_err();
    assert!(matches!(e(b""), Error::Format(_)));
    assert!(matches!(e(b"user_id,event,timestamp\n"), Error::Format(_)));
    assert!(matches!(e(b"\xff\xfeu\0"), Error::Format(_)));
    assert!(matches!(e(b"a,b,c\n1,2,3\n"), Error::Mapping(_)));
    // a file with only blank data lines has no rows
    assert!(matches!(
        e(b"user_id,event,timestamp\n\n\n"),
        Error::Format(_)
    ));
}
