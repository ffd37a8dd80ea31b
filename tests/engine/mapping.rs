//! The mapping step: sniffing (format, header, roles, types, preview) and files without a
//! header line, on hand-made files.

use loupe::engine::ingest::sniff::{Kind, Role};
use loupe::engine::ingest::{self, HeaderMode, LoadOptions};
use loupe::engine::Error;
use std::io::Cursor;

/// FNV-1a of "user_id,event,ts,plan,amount,$insert_id,signup_at" (computed with Python).
const FNV_HEADER: &str = "3f68bd08290396ad";

fn sniff(text: &[u8], opts: &LoadOptions) -> ingest::Sniff {
    ingest::sniff_file(Cursor::new(text.to_vec()), opts).unwrap()
}

fn load(text: &str, opts: &LoadOptions) -> loupe::engine::Result<ingest::Dataset> {
    ingest::load(text.as_bytes(), None, opts, &mut |_| true)
}

fn roles(s: &ingest::Sniff) -> Vec<(&str, Role, Kind)> {
    s.columns
        .iter()
        .map(|c| (c.name.as_str(), c.role, c.kind))
        .collect()
}

#[test]
fn sniffs_roles_types_and_preview_of_a_csv() {
    let text = "\u{feff}user_id,event,ts,plan,amount,$insert_id,signup_at\n\
                u1,signup,2024-03-01T09:00:00Z,free,,i1,2024-03-01\n\
                u2,purchase,1709283600,\"pro, yearly\",39.9,i2,2024-02-28\n";
    let s = sniff(text.as_bytes(), &LoadOptions::default());
    assert_eq!((s.format.as_str(), s.container.as_str()), ("csv", ""));
    assert_eq!(
        (s.encoding.as_str(), s.encoding_source.as_str()),
        ("UTF-8", "bom")
    );
    assert_eq!((s.delimiter, s.header), (',', true));
    assert_eq!(
        roles(&s),
        [
            ("user_id", Role::User, Kind::Text),
            ("event", Role::Event, Kind::Text),
            // an ISO time and an epoch: all timestamps, and the time column
            ("ts", Role::Time, Kind::Time),
            ("plan", Role::Property, Kind::Text),
            // one empty cell, one number
            ("amount", Role::Property, Kind::Number),
            ("$insert_id", Role::InsertId, Kind::Text),
            // dates, not numbers: a time without being the time column
            ("signup_at", Role::Property, Kind::Time),
        ]
    );
    assert_eq!(
        s.rows,
        [
            [
                "u1",
                "signup",
                "2024-03-01T09:00:00Z",
                "free",
                "",
                "i1",
                "2024-03-01"
            ],
            [
                "u2",
                "purchase",
                "1709283600",
                "pro, yearly",
                "39.9",
                "i2",
                "2024-02-28"
            ],
        ]
    );
    assert_eq!(s.mapping_error, None);
    // FNV-1a of the header line "user_id,event,ts,plan,amount,$insert_id,signup_at" (the
    // BOM and the line break left out), as Python computes it:
    // h = 0xcbf29ce484222325; for b in line: h = ((h ^ b) * 0x100000001b3) % 2**64
    assert_eq!(s.header_key, FNV_HEADER);
    // the same line with other rows, or CRLF, has the same key; another line another key
    let other = sniff(
        b"user_id,event,ts,plan,amount,$insert_id,signup_at\r\nx,y,2024-01-01,,,,\r\n",
        &LoadOptions {
            delimiter: Some(';'),
            ..Default::default()
        },
    );
    assert_eq!(other.header_key, FNV_HEADER);
    assert_ne!(
        sniff(b"uid,event,time\nu,e,1\n", &LoadOptions::default()).header_key,
        FNV_HEADER
    );
}

#[test]
fn sniff_shows_only_the_first_rows_and_reads_only_the_head() {
    // 5000 rows of ~30 bytes: 150 kB, more than the 64 KiB sniffed
    let mut text = String::from("uid;action;time\n");
    for i in 0..5000 {
        text.push_str(&format!("user{i};view;2024-01-01 10:00:{:02}\n", i % 60));
    }
    let s = sniff(text.as_bytes(), &LoadOptions::default());
    assert_eq!(s.delimiter, ';');
    assert_eq!(s.rows.len(), 10);
    assert_eq!(s.rows[9], ["user9", "view", "2024-01-01 10:00:09"]);
    assert_eq!(
        roles(&s),
        [
            ("uid", Role::User, Kind::Text),
            ("action", Role::Event, Kind::Text),
            ("time", Role::Time, Kind::Time),
        ]
    );
}

#[test]
fn sniff_honours_the_options_and_names_a_missing_role() {
    let text = "who,what,when,note\nu1,a,2024-01-01,x\n";
    let s = sniff(text.as_bytes(), &LoadOptions::default());
    // `who` and `what` are not names the detection knows; `when` is not either
    assert!(s.columns.iter().all(|c| c.role == Role::Property));
    let err = s.mapping_error.unwrap();
    assert!(err.message.contains("no user column"), "{err}");
    assert_eq!(err.key.as_deref(), Some("no_user_column"));
    assert_eq!(
        err.params["columns"],
        "\"who\", \"what\", \"when\", \"note\""
    );
    let opts = LoadOptions {
        user_column: Some("who".into()),
        event_column: Some("what".into()),
        time_column: Some("when".into()),
        ..Default::default()
    };
    let s = sniff(text.as_bytes(), &opts);
    assert_eq!(
        s.columns.iter().map(|c| c.role).collect::<Vec<_>>(),
        [Role::User, Role::Event, Role::Time, Role::Property]
    );
    assert_eq!(s.mapping_error, None);
    // a delimiter given: one column only
    let s = sniff(
        text.as_bytes(),
        &LoadOptions {
            delimiter: Some(';'),
            ..Default::default()
        },
    );
    assert_eq!(s.columns.len(), 1);
    assert_eq!(s.columns[0].name, "who,what,when,note");
    // partial detection: user and time found, the event missing
    let s = sniff(
        b"user_id,what,timestamp\nu,a,2024-01-01\n",
        &LoadOptions::default(),
    );
    assert_eq!(
        s.columns.iter().map(|c| c.role).collect::<Vec<_>>(),
        [Role::User, Role::Property, Role::Time]
    );
    assert!(s.mapping_error.unwrap().message.contains("no event column"));
}

#[test]
fn sniffs_json_lines_and_gzip() {
    let text = "{\"event\":\"signup\",\"distinct_id\":\"u1\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"properties\":{\"plan\":\"free\"}}\n\
                {\"event\":\"buy\",\"distinct_id\":\"u2\",\"timestamp\":\"2024-01-02T00:00:00Z\",\"properties\":{\"amount\":5}}\n";
    let s = sniff(text.as_bytes(), &LoadOptions::default());
    assert_eq!(
        (s.format.as_str(), s.shape.as_deref()),
        ("ndjson", Some("posthog"))
    );
    assert_eq!(
        roles(&s),
        [
            ("event", Role::Event, Kind::Text),
            ("distinct_id", Role::User, Kind::Text),
            ("timestamp", Role::Time, Kind::Time),
            ("properties.plan", Role::Property, Kind::Text),
            ("properties.amount", Role::Property, Kind::Number),
        ]
    );
    assert_eq!(s.rows[1], ["buy", "u2", "2024-01-02T00:00:00Z", "", "5"]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"uid,event,time\nu,e,2024-01-01\n").unwrap();
    let s = sniff(&gz.finish().unwrap(), &LoadOptions::default());
    assert_eq!((s.container.as_str(), s.rows.len()), ("gzip", 1));
}

#[test]
fn sniffs_a_gbk_file_decoded() {
    // 用户ID,事件,时间 / u1,登录,2024-01-01 in GBK
    let (bytes, _, _) =
        encoding_rs::GBK.encode("用户ID,事件,时间\nu1,登录,2024-01-01\nu2,登录,2024-01-02\n");
    let s = sniff(
        &bytes,
        &LoadOptions {
            encoding: Some("gbk".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        (s.encoding.as_str(), s.encoding_source.as_str()),
        ("GBK", "option")
    );
    assert_eq!(s.columns[1].name, "事件");
    assert_eq!(s.rows[0], ["u1", "登录", "2024-01-01"]);
}

#[test]
fn a_first_row_of_data_is_not_a_header() {
    // the rule: no known column name, and some cell a number or a timestamp
    let text = "u1,signup,2024-03-01T09:00:00Z,3\nu2,view,2024-03-01T10:00:00Z,4\n";
    let s = sniff(text.as_bytes(), &LoadOptions::default());
    assert!(!s.header);
    assert_eq!(
        s.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["column_1", "column_2", "column_3", "column_4"]
    );
    // no guess: every column is a property until the user names the roles
    assert!(s.columns.iter().all(|c| c.role == Role::Property));
    assert_eq!(s.rows.len(), 2);
    assert_eq!(s.columns[2].kind, Kind::Time);
    assert_eq!(s.columns[3].kind, Kind::Number);
    let err = load(text, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Mapping(_)), "{err}");
    assert!(err.to_string().contains("no header line"), "{err}");
    // named: both rows are data (line 1 included)
    let opts = LoadOptions {
        user_column: Some("column_1".into()),
        event_column: Some("column_2".into()),
        time_column: Some("column_3".into()),
        ..Default::default()
    };
    let d = load(text, &opts).unwrap();
    assert_eq!((d.report.rows_in, d.report.imported), (2, 2));
    assert_eq!(d.report.columns.properties, ["column_4"]);
    // a bad row on line 1 is reported on line 1
    let d = load("u1,signup,soon,3\nu2,view,2024-03-01T10:00:00Z,4\n", &opts).unwrap();
    assert_eq!((d.report.imported, d.report.reject_samples[0].line), (1, 1));
}

#[test]
fn header_words_stay_a_header_and_the_mode_overrides() {
    // words only: a header, even with unknown names
    let s = sniff(b"a,b,c\nx,y,z\n", &LoadOptions::default());
    assert!(s.header);
    // a known role name with numbers beside it: still a header
    let s = sniff(b"user_id,event,2024\nu,e,1\n", &LoadOptions::default());
    assert!(s.header);
    // forced either way
    let no = LoadOptions {
        header: HeaderMode::No,
        ..Default::default()
    };
    let s = sniff(b"user_id,event,timestamp\nu,e,2024-01-01\n", &no);
    assert!(!s.header);
    assert_eq!(s.rows[0], ["user_id", "event", "timestamp"]);
    let yes = LoadOptions {
        header: HeaderMode::Yes,
        user_column: Some("u1".into()),
        event_column: Some("signup".into()),
        time_column: Some("2024-03-01".into()),
        ..Default::default()
    };
    let d = load("u1,signup,2024-03-01\nu2,view,2024-03-02\n", &yes).unwrap();
    assert_eq!(
        (d.report.rows_in, d.report.columns.user.as_str()),
        (1, "u1")
    );
    // the option's JSON shape
    let o: LoadOptions = serde_json::from_str(r#"{"header":"no","delimiter":";"}"#).unwrap();
    assert_eq!((o.header, o.delimiter), (HeaderMode::No, Some(';')));
}

#[test]
fn repeated_and_empty_header_names_are_kept_apart() {
    let text = "user_id,event,,timestamp,param_x,param_x,param_x\n\
                u,e,a,2024-01-01,1,2,3\n";
    let s = sniff(text.as_bytes(), &LoadOptions::default());
    assert_eq!(
        s.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "user_id",
            "event",
            "column_3",
            "timestamp",
            "param_x",
            "param_x_2",
            "param_x_3"
        ]
    );
    let d = load(text, &LoadOptions::default()).unwrap();
    assert_eq!(
        d.report.columns.properties,
        ["column_3", "param_x", "param_x_2", "param_x_3"]
    );
    let v = |n: &str| d.store.property(n).unwrap().display(0);
    assert_eq!(
        (v("param_x"), v("param_x_2"), v("param_x_3")),
        (Some("1".into()), Some("2".into()), Some("3".into()))
    );
}
