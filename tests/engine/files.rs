//! Several files loaded together as one dataset (`ingest::load_files`): each read on its own
//! (any format, any column order, its own property columns), appended when the roles agree.

use flate2::write::GzEncoder;
use flate2::Compression;
use loupe::engine::ingest::{self, LoadOptions, RejectReason, Source};
use loupe::engine::store::PropertyValues;
use loupe::engine::time::TimeZone;
use loupe::engine::Error;
use std::io::{Cursor, Write};

fn source(name: &str, bytes: &[u8]) -> Source<Cursor<Vec<u8>>> {
    Source {
        name: name.into(),
        input: Cursor::new(bytes.to_vec()),
        size: Some(bytes.len() as u64),
        options: LoadOptions::default(),
    }
}

fn load(files: &[(&str, &[u8])]) -> loupe::engine::error::Result<ingest::Dataset> {
    let sources = files.iter().map(|(n, b)| source(n, b)).collect();
    ingest::load_files(sources, &mut |_| true)
}

/// Every event as `user event time-in-seconds prop=value ...` (null properties left out),
/// in the store's order.
fn events(d: &ingest::Dataset) -> Vec<String> {
    let s = &d.store;
    let mut out = Vec::new();
    for u in 0..s.user_count() {
        for i in s.user_range(u) {
            let mut line = format!(
                "{} {} {}",
                s.user_id(u),
                s.event_names().get(s.event_codes()[i]),
                s.times()[i] / 1_000_000 % 86_400
            );
            for p in s.properties() {
                if let Some(v) = p.display(i) {
                    line.push_str(&format!(" {}={v}", p.name));
                }
            }
            out.push(line);
        }
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn files_with_other_column_orders_formats_and_properties_are_appended() {
    // a.csv: user, event, time, plan; b.csv: the columns in another order and a `price`
    // property a lacks, with `;` as delimiter; c.jsonl.gz: JSON lines, gzipped, with `plan`
    let a = b"user_id,event,timestamp,plan\n\
              u1,open,2024-01-01T00:00:10Z,free\n\
              u2,open,2024-01-01T00:00:20Z,pro\n\
              ,open,2024-01-01T00:00:30Z,pro\n";
    let b = b"price;timestamp;event;user_id\n\
              1.50;2024-01-01T00:00:15Z;buy;u1\n\
              2;2024-01-01T00:00:40Z;buy;u3\n";
    let c = gzip(
        b"{\"user_id\":\"u2\",\"event\":\"buy\",\"timestamp\":\"2024-01-01T00:00:25Z\",\"plan\":\"pro\"}\n\
          {\"user_id\":\"u3\",\"event\":\"open\",\"timestamp\":\"2024-01-01T00:00:05Z\"}\n\
          not json\n",
    );
    let d = load(&[("a.csv", a), ("b.csv", b), ("c.jsonl.gz", &c)]).unwrap();
    // users in order of first appearance (u1, u2 from a, u3 from b), each in time order;
    // the properties are the union in order of first appearance: plan (a), price (b);
    // 1.50 is a number in b and reads 1.5
    assert_eq!(
        events(&d),
        [
            "u1 open 10 plan=free",
            "u1 buy 15 price=1.5",
            "u2 open 20 plan=pro",
            "u2 buy 25 plan=pro",
            "u3 open 5",
            "u3 buy 40 price=2",
        ]
    );
    let names: Vec<&str> = d
        .store
        .properties()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["plan", "price"]);
    assert!(matches!(
        d.store.property("price").unwrap().values,
        PropertyValues::Number { .. }
    ));
    // a: 3 rows, 1 rejected (empty user, line 4); b: 2 rows; c: 3 rows, 1 rejected
    // (line 3 is not JSON): rows_in 8 = imported 6 + rejected 2
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.rejected, r.duplicates),
        (8, 6, 2, 0)
    );
    assert_eq!(r.rejected_by_reason[&RejectReason::MissingUser], 1);
    assert_eq!(r.rejected_by_reason[&RejectReason::BadJson], 1);
    let samples: Vec<(Option<&str>, u64)> = r
        .reject_samples
        .iter()
        .map(|x| (x.file.as_deref(), x.line))
        .collect();
    assert_eq!(samples, [(Some("a.csv"), 4), (Some("c.jsonl.gz"), 3)]);
    // each file's own counts and how it was read
    let files: Vec<(&str, &str, &str, &str, u64, u64, u64)> = r
        .files
        .iter()
        .map(|f| {
            let how = (f.format.as_str(), f.container.as_str(), f.encoding.as_str());
            (
                f.name.as_str(),
                how.0,
                how.1,
                how.2,
                f.rows_in,
                f.imported,
                f.rejected,
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("a.csv", "csv", "", "UTF-8", 3, 2, 1),
            ("b.csv", "csv", "", "UTF-8", 2, 2, 0),
            ("c.jsonl.gz", "ndjson", "gzip", "UTF-8", 3, 2, 1),
        ]
    );
    assert_eq!(r.files[2].bytes, c.len() as u64);
    assert_eq!(r.format, "csv+ndjson");
    assert_eq!(r.container, "gzip");
    assert_eq!(r.encoding, "UTF-8");
    assert_eq!(r.columns.properties, ["plan", "price"]);
    assert_eq!(r.bytes, (a.len() + b.len() + c.len()) as u64);
}

#[test]
fn a_property_that_is_a_number_in_one_file_and_text_in_another_is_text() {
    let a = b"user_id,event,timestamp,v\nu1,e,2024-01-01T00:00:01Z,3\n";
    let b = b"user_id,event,timestamp,v\nu1,e,2024-01-01T00:00:02Z,x\n";
    let d = load(&[("a.csv", a), ("b.csv", b)]).unwrap();
    assert_eq!(events(&d), ["u1 e 1 v=3", "u1 e 2 v=x"]);
    assert!(matches!(
        d.store.property("v").unwrap().values,
        PropertyValues::String { .. }
    ));
}

#[test]
fn files_whose_roles_differ_are_an_error_naming_the_file() {
    let a = b"user_id,event,timestamp\nu1,e,2024-01-01T00:00:01Z\n";
    // `distinct_id` is found as the user column: another role mapping than a's `user_id`
    let b = b"distinct_id,event,timestamp\nu2,e,2024-01-01T00:00:02Z\n";
    let e = load(&[("a.csv", a), ("b.csv", b)]).unwrap_err();
    assert!(matches!(e, Error::Format(_)), "{e}");
    assert_eq!(e.key(), Some("files_roles_differ"));
    let u = loupe::protocol::UserError::from(&e);
    assert_eq!(u.params["file"], "b.csv");
    assert_eq!(u.params["first"], "a.csv");
    assert_eq!(
        u.params["roles"],
        "user=distinct_id, event=event, time=timestamp, identity=user_or_device"
    );
    assert!(e.to_string().contains("\"b.csv\""), "{e}");
    // an error inside the second file names it
    let e = load(&[("a.csv", a), ("b.csv", b"")]).unwrap_err();
    assert_eq!(e.key(), Some("file_empty"));
    assert!(e.to_string().starts_with("\"b.csv\": "), "{e}");
    // one file: the error is the file's own
    let e = load(&[("b.csv", b"")]).unwrap_err();
    assert_eq!(e.to_string(), "the file is empty");
}

#[test]
fn each_file_has_its_own_options() {
    // both files hold naive times; b's own options read them at +08:00, so its
    // 08:00:02 is 00:00:02 UTC, 2 s after midnight; a's are UTC
    let a = b"user_id,event,timestamp\nu1,e,2024-01-01 00:00:01\n";
    let b = b"user_id,event,timestamp\nu2,e,2024-01-01 08:00:02\n";
    let mut sources = vec![source("a.csv", a), source("b.csv", b)];
    sources[1].options.naive_timezone = TimeZone::parse("+08:00");
    let d = ingest::load_files(sources, &mut |_| true).unwrap();
    assert_eq!(events(&d), ["u1 e 1", "u2 e 2"]);
    // b without a header line: its columns are column_1 ..., other roles than a's
    let mut sources = vec![
        source("a.csv", a),
        source("b.csv", b"u2,e,2024-01-01 00:00:02\n"),
    ];
    sources[1].options = LoadOptions {
        header: ingest::HeaderMode::No,
        user_column: Some("column_1".into()),
        event_column: Some("column_2".into()),
        time_column: Some("column_3".into()),
        ..Default::default()
    };
    let e = ingest::load_files(sources, &mut |_| true).unwrap_err();
    assert_eq!(e.key(), Some("files_roles_differ"), "{e}");
}

#[test]
fn progress_counts_the_bytes_of_all_files() {
    let a = b"user_id,event,timestamp\nu1,e,2024-01-01T00:00:01Z\n";
    let b = b"user_id,event,timestamp\nu2,e,2024-01-01T00:00:02Z\n";
    let mut last = None;
    let sources = vec![source("a.csv", a), source("b.csv", b)];
    ingest::load_files(sources, &mut |p| {
        last = Some(p);
        true
    })
    .unwrap();
    let p = last.unwrap();
    assert_eq!(p.total_bytes, Some((a.len() + b.len()) as u64));
    assert_eq!(p.bytes, (a.len() + b.len()) as u64);
}

#[test]
fn ignored_columns_are_not_imported() {
    let opts = LoadOptions {
        ignore_columns: vec!["secret".into(), "user_id".into()],
        ..Default::default()
    };
    let load_with = |bytes: &[u8], opts: &LoadOptions| {
        ingest::load_file(Cursor::new(bytes.to_vec()), None, opts, &mut |_| true)
    };
    // user_id is ignored, so the user is found in the next user name, distinct_id
    let csv = b"user_id,distinct_id,event,timestamp,secret,plan\n\
                x1,u1,e,2024-01-01T00:00:01Z,s3cr3t,pro\n";
    let d = load_with(csv, &opts).unwrap();
    assert_eq!(events(&d), ["u1 e 1 plan=pro"]);
    assert_eq!(d.report.columns.user, "distinct_id");
    assert_eq!(d.report.columns.ignored, ["user_id", "secret"]);
    assert_eq!(d.report.columns.properties, ["plan"]);
    // JSON lines: `secret` is first seen after the 1,000 records the columns are
    // decided from, and still ignored (a key to ignore the first records lack is no error)
    let mut json = Vec::new();
    for i in 0..1001 {
        json.extend(
            format!("{{\"distinct_id\":\"u{i}\",\"event\":\"e\",\"timestamp\":\"2024-01-01T00:00:01Z\"}}\n")
                .bytes(),
        );
    }
    json.extend(b"{\"distinct_id\":\"u9\",\"event\":\"e\",\"timestamp\":\"2024-01-01T00:00:09Z\",\"secret\":\"s\",\"plan\":\"pro\"}\n");
    let opts = LoadOptions {
        ignore_columns: vec!["secret".into()],
        ..Default::default()
    };
    let d = load_with(&json, &opts).unwrap();
    let names: Vec<&str> = d
        .store
        .properties()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["plan"]);
    assert_eq!(d.report.imported, 1002);
    // without the option, `secret` is a property
    let d = load_with(&json, &LoadOptions::default()).unwrap();
    assert!(d.store.property("secret").is_some());
    // a name not in the header, and an ignored column named for a role, are errors
    let opts = LoadOptions {
        ignore_columns: vec!["nope".into()],
        ..Default::default()
    };
    assert_eq!(
        load_with(csv, &opts).unwrap_err().key(),
        Some("ignore_unknown")
    );
    let opts = LoadOptions {
        ignore_columns: vec!["event".into()],
        event_column: Some("event".into()),
        ..Default::default()
    };
    assert_eq!(
        load_with(csv, &opts).unwrap_err().key(),
        Some("ignored_role")
    );
    // the sniff shows the ignored role
    let opts = LoadOptions {
        ignore_columns: vec!["secret".into()],
        ..Default::default()
    };
    let s = ingest::sniff(&csv[..], &opts).unwrap();
    let secret = s.columns.iter().find(|c| c.name == "secret").unwrap();
    assert_eq!(secret.role, ingest::sniff::Role::Ignored);
}

#[test]
fn an_insert_id_seen_in_an_earlier_file_is_a_duplicate_of_the_later_file() {
    // a.jsonl (Mixpanel): x1, x2, then x1 again (a duplicate within a)
    let a = b"{\"event\":\"open\",\"properties\":{\"time\":1704067201,\"distinct_id\":\"u1\",\"$insert_id\":\"x1\"}}\n\
              {\"event\":\"buy\",\"properties\":{\"time\":1704067202,\"distinct_id\":\"u1\",\"$insert_id\":\"x2\"}}\n\
              {\"event\":\"open\",\"properties\":{\"time\":1704067203,\"distinct_id\":\"u2\",\"$insert_id\":\"x1\"}}\n";
    // b.csv: x2 was seen in a (a duplicate of b), x3 is new, two rows without an id are
    // both kept (only ids dedupe)
    let b = b"distinct_id,event,time,$insert_id\n\
              u1,buy,1704067202,x2\n\
              u3,open,1704067205,x3\n\
              u3,open,1704067206,\n\
              u3,open,1704067206,\n";
    // c.csv: x3 was seen in b, at another time: still a duplicate (of c); x4 is new
    let c = b"distinct_id,event,time,$insert_id\n\
              u3,open,1704067209,x3\n\
              u4,open,1704067209,x4\n";
    let d = load(&[("a.jsonl", a), ("b.csv", b), ("c.csv", c)]).unwrap();
    assert_eq!(
        events(&d),
        [
            "u1 open 1",
            "u1 buy 2",
            "u3 open 5",
            "u3 open 6",
            "u3 open 6",
            "u4 open 9"
        ]
    );
    // a: 3 rows = 2 imported + 1 duplicate; b: 4 = 3 + 1; c: 2 = 1 + 1
    let per_file: Vec<(&str, u64, u64, u64)> = d
        .report
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.rows_in, f.imported, f.duplicates))
        .collect();
    assert_eq!(
        per_file,
        [("a.jsonl", 3, 2, 1), ("b.csv", 4, 3, 1), ("c.csv", 2, 1, 1)]
    );
    let r = &d.report;
    assert_eq!((r.rows_in, r.imported, r.duplicates), (9, 6, 3));
    // in the other order the event of x2 is kept from b (its first file), a's is dropped
    let d = load(&[("b.csv", b), ("a.jsonl", a)]).unwrap();
    let per_file: Vec<(&str, u64, u64)> = d
        .report
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.imported, f.duplicates))
        .collect();
    assert_eq!(per_file, [("b.csv", 4, 0), ("a.jsonl", 1, 2)]);
}
