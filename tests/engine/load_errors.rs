//! Every load error a user can meet has a message code and the values it names, so the app
//! can say it in Chinese (the wasm test checks every code has a Chinese text); the English
//! text still names the place.

use flate2::write::GzEncoder;
use flate2::Compression;
use loupe::engine::ingest::{self, Identity, LoadOptions};
use loupe::engine::time::TimeZone;
use loupe::protocol::UserError;
use std::io::{Cursor, Write};

/// The error of loading `bytes` as a file with `opts`, as the app receives it.
fn error(bytes: &[u8], opts: &LoadOptions) -> UserError {
    let e = ingest::load_file(Cursor::new(bytes), None, opts, &mut |_| true)
        .expect_err("the load should fail");
    UserError::from(&e)
}

/// Asserts the error's code, kind and parameters.
fn assert_keyed(e: &UserError, code: &str, key: &str, params: &[(&str, &str)]) {
    assert_eq!(e.code, code, "{e:?}");
    assert_eq!(e.key.as_deref(), Some(key), "{e:?}");
    for (k, v) in params {
        assert_eq!(
            e.params.get(*k).map(String::as_str),
            Some(*v),
            "{k} in {e:?}"
        );
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const GOOD: &[u8] = b"user_id,event,timestamp\nu1,a,2024-01-01T00:00:00Z\n";

#[test]
fn delimited_text_errors_are_keyed() {
    let none = LoadOptions::default();
    assert_keyed(&error(b"", &none), "format", "file_empty", &[]);
    assert_keyed(&error(b" \n\n", &none), "format", "file_empty", &[]);
    let opts = LoadOptions {
        delimiter: Some('é'),
        ..Default::default()
    };
    assert_keyed(
        &error(GOOD, &opts),
        "format",
        "bad_delimiter",
        &[("delimiter", "é")],
    );
    let opts = LoadOptions {
        encoding: Some("klingon".into()),
        ..Default::default()
    };
    assert_keyed(
        &error(GOOD, &opts),
        "format",
        "unknown_encoding",
        &[("encoding", "klingon")],
    );
    assert_keyed(
        &error(b"user_id,event\nu1,a\n", &none),
        "format",
        "too_few_columns",
        &[("count", "2"), ("columns", "user_id, event")],
    );
    assert_keyed(
        &error(b"user_id,event,timestamp\n", &none),
        "format",
        "no_rows",
        &[],
    );
    // no header line: the columns are column_1 .. column_3
    assert_keyed(
        &error(b"u1,a,2024-01-01\nu2,b,2024-01-02\n", &none),
        "mapping",
        "no_header_line",
        &[("count", "3")],
    );
}

#[test]
fn role_and_option_errors_are_keyed() {
    let none = LoadOptions::default();
    assert_keyed(
        &error(b"who,event,timestamp\nu1,a,2024-01-01\n", &none),
        "mapping",
        "no_user_column",
        &[("columns", "\"who\", \"event\", \"timestamp\"")],
    );
    assert_keyed(
        &error(b"user_id,what,timestamp\nu1,a,2024-01-01\n", &none),
        "mapping",
        "no_event_column",
        &[],
    );
    assert_keyed(
        &error(b"user_id,event,when\nu1,a,2024-01-01\n", &none),
        "mapping",
        "no_time_column",
        &[],
    );
    let opts = LoadOptions {
        user_column: Some("nope".into()),
        ..Default::default()
    };
    assert_keyed(
        &error(GOOD, &opts),
        "mapping",
        "column_not_in_header",
        &[("role", "user"), ("name", "nope")],
    );
    let opts = LoadOptions {
        user_column: Some("event".into()),
        event_column: Some("event".into()),
        ..Default::default()
    };
    assert_keyed(
        &error(GOOD, &opts),
        "mapping",
        "column_two_roles",
        &[("user", "event"), ("event", "event")],
    );
    let opts = LoadOptions {
        identity: Identity::Device,
        ..Default::default()
    };
    assert_keyed(&error(GOOD, &opts), "mapping", "no_device_column", &[]);
    let opts = LoadOptions {
        expand_json: vec!["props".into()],
        ..Default::default()
    };
    assert_keyed(
        &error(GOOD, &opts),
        "mapping",
        "expand_json_unknown",
        &[("name", "props")],
    );
    let opts = LoadOptions {
        expand_json: vec!["event".into()],
        ..Default::default()
    };
    assert_keyed(
        &error(GOOD, &opts),
        "mapping",
        "expand_json_role",
        &[("name", "event")],
    );
    let opts = LoadOptions {
        naive_timezone: TimeZone::parse("Mars/Olympus_Mons"),
        ..Default::default()
    };
    assert!(opts.naive_timezone.is_some());
    assert_keyed(
        &error(GOOD, &opts),
        "format",
        "unknown_timezone",
        &[("zone", "Mars/Olympus_Mons")],
    );
}

#[test]
fn json_errors_are_keyed() {
    let none = LoadOptions::default();
    assert_keyed(
        &error(b"{\"user_id\": \n{oops\n", &none),
        "format",
        "no_json_records",
        &[("line", "1")],
    );
}

#[test]
fn container_errors_are_keyed() {
    let none = LoadOptions::default();
    let whole = gzip(&GOOD.repeat(2000));
    let e = error(&whole[..whole.len() / 2], &none);
    assert_keyed(&e, "format", "gzip_truncated", &[]);
    assert!(e.params["at"].parse::<u64>().unwrap() > 0, "{e:?}");
    // through `load` (no seeking), a zip archive or a Parquet file cannot be read
    let zip = zip_of(&[("a.csv", GOOD)]);
    let e = ingest::load(&zip[..], None, &none, &mut |_| true).unwrap_err();
    assert_eq!(e.key(), Some("zip_needs_file"));
    let e = ingest::load(&b"PAR1xxxxPAR1"[..], None, &none, &mut |_| true).unwrap_err();
    assert_eq!(e.key(), Some("parquet_needs_file"));
    assert_keyed(&error(&zip_of(&[]), &none), "format", "zip_empty", &[]);
    let other = b"uid,event,timestamp\nu1,a,2024-01-01T00:00:00Z\n";
    assert_keyed(
        &error(&zip_of(&[("a.csv", GOOD), ("b.csv", other)]), &none),
        "format",
        "zip_entry_header",
        &[
            ("entry", "b.csv"),
            ("first", "a.csv"),
            ("header", "uid,event,timestamp"),
            ("first_header", "user_id,event,timestamp"),
        ],
    );
    let json = b"{\"user_id\":\"u1\",\"event\":\"a\",\"timestamp\":\"2024-01-01\"}\n";
    assert_keyed(
        &error(&zip_of(&[("a.csv", GOOD), ("b.json", json)]), &none),
        "format",
        "zip_entry_format",
        &[("entry", "b.json"), ("first", "a.csv")],
    );
    // an error inside an entry names the entry
    assert_keyed(
        &error(&zip_of(&[("a.csv", b"user_id,event\nu1,a\n")]), &none),
        "format",
        "too_few_columns",
        &[],
    );
    let mut damaged = zip_of(&[("a.csv", &GOOD.repeat(50))]);
    let n = damaged.len();
    damaged.truncate(n - 30);
    assert_keyed(&error(&damaged, &none), "format", "zip_damaged", &[]);
}

#[test]
fn parquet_errors_are_keyed() {
    let none = LoadOptions::default();
    assert_keyed(&error(b"PAR1xxxx", &none), "format", "parquet_damaged", &[]);
    assert_keyed(
        &error(b"PAR1 some bytes that are not a footer PAR1", &none),
        "format",
        "parquet_damaged",
        &[],
    );
    assert_keyed(
        &error(b"PAR1 some bytes\0\0\0\0PARE", &none),
        "format",
        "parquet_encrypted",
        &[],
    );
}
