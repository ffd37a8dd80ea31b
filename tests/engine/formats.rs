//! One seeded event list written in every format, vendor shape and container
//! `ingest::load` reads; each must load to the same events as the plain CSV, compared event
//! by event (user, event, time and every property, names mapped per shape). Malformed
//! variants check positions and counts: a broken JSON line, a repeated insert id, a truncated
//! gzip stream and a gzip bomb.

use flate2::write::GzEncoder;
use flate2::Compression;
use loupe::engine::ingest::{self, Dataset, LoadOptions, RejectReason};
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::time::format_rfc3339;
use serde_json::{json, Value};
use std::io::Write;

/// The properties of the sample CSV, in its column order.
const PROPS: [&str; 4] = ["platform", "country", "channel", "revenue"];

struct Ev {
    user: String,
    event: String,
    time: i64,
    props: [Option<String>; 4],
    revenue: Option<f64>,
}

fn options() -> SampleOptions {
    SampleOptions {
        users: 400,
        days: 21,
        seed: 16,
        ..SampleOptions::default()
    }
}

fn events() -> Vec<Ev> {
    let mut v = Vec::new();
    sample::generate(&options(), |e| {
        v.push(Ev {
            user: e.user.to_string(),
            event: e.event.to_string(),
            time: e.time,
            props: [
                Some(e.platform.to_string()),
                Some(e.country.to_string()),
                Some(e.channel.to_string()),
                e.revenue.map(|r| r.to_string()),
            ],
            revenue: e.revenue,
        })
    });
    assert!(v.len() > 2000 && v.iter().any(|e| e.revenue.is_some()));
    v
}

fn load(bytes: &[u8]) -> Dataset {
    ingest::load(
        bytes,
        Some(bytes.len() as u64),
        &LoadOptions::default(),
        &mut |_| true,
    )
    .unwrap()
}

/// (user, event, time, the four sample properties read through `names`), sorted.
type Row = (String, String, i64, Vec<Option<String>>);

fn rows(d: &Dataset, names: [&str; 4]) -> Vec<Row> {
    let s = &d.store;
    let props: Vec<_> = names
        .iter()
        .map(|n| s.property(n).unwrap_or_else(|| panic!("no property {n}")))
        .collect();
    let mut out = Vec::new();
    for u in 0..s.user_count() {
        for i in s.user_range(u) {
            out.push((
                s.user_id(u).to_string(),
                s.event_names().get(s.event_codes()[i]).to_string(),
                s.times()[i],
                props.iter().map(|p| p.display(i)).collect(),
            ));
        }
    }
    out.sort();
    out
}

/// The expected rows, straight from the generated list (not through any loader).
fn expected(evs: &[Ev]) -> Vec<Row> {
    let mut v: Vec<Row> = evs
        .iter()
        .map(|e| (e.user.clone(), e.event.clone(), e.time, e.props.to_vec()))
        .collect();
    v.sort();
    v
}

fn csv_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    sample::write_csv(&options(), &mut out).unwrap();
    out
}

fn lines(values: impl Iterator<Item = Value>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend(v.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// A flat object per event; `revenue` only where there is one.
fn generic(e: &Ev) -> Value {
    let mut v = json!({
        "user_id": e.user, "event": e.event, "timestamp": format_rfc3339(e.time),
        "platform": e.props[0], "country": e.props[1], "channel": e.props[2],
    });
    if let Some(r) = e.revenue {
        v["revenue"] = json!(r);
    }
    v
}

fn mixpanel(i: usize, e: &Ev) -> Value {
    json!({"event": e.event, "properties": {
        "time": e.time / 1000, "distinct_id": e.user, "$insert_id": format!("ins{i}"),
        "platform": e.props[0], "country": e.props[1], "channel": e.props[2],
        "revenue": e.revenue,
    }})
}

fn posthog(i: usize, e: &Ev) -> Value {
    json!({"uuid": format!("0190-{i}"), "event": e.event, "distinct_id": e.user,
        "timestamp": format_rfc3339(e.time),
        "properties": {"platform": e.props[0], "country": e.props[1],
            "channel": e.props[2], "revenue": e.revenue}})
}

/// Every third event has no `userId` and is that user's `anonymousId` instead.
fn segment(i: usize, e: &Ev) -> Value {
    let (user_id, anonymous) = if i.is_multiple_of(3) {
        (Value::Null, e.user.clone())
    } else {
        (json!(e.user), format!("anon-{}", e.user))
    };
    json!({"type": "track", "event": e.event, "userId": user_id, "anonymousId": anonymous,
        "messageId": format!("ajs-{i}"), "timestamp": format_rfc3339(e.time),
        "properties": {"platform": e.props[0], "channel": e.props[2], "revenue": e.revenue},
        "context": {"location": {"country": e.props[1]}, "library": {"name": "analytics.js"}}})
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Two gzip members, split at a line break in the middle.
fn gzip_two_members(data: &[u8]) -> Vec<u8> {
    let mid = data[data.len() / 2..]
        .iter()
        .position(|&b| b == b'\n')
        .unwrap()
        + data.len() / 2;
    let mut out = gzip(&data[..=mid]);
    out.extend(gzip(&data[mid + 1..]));
    out
}

fn check(
    what: &str,
    bytes: &[u8],
    names: [&str; 4],
    format: &str,
    container: &str,
    want: &[Row],
) -> Dataset {
    let d = load(bytes);
    let r = &d.report;
    assert_eq!(
        (r.format.as_str(), r.container.as_str()),
        (format, container),
        "{what}"
    );
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (want.len() as u64, want.len() as u64, 0, 0),
        "{what}"
    );
    assert_eq!(r.bytes, bytes.len() as u64, "{what}: compressed bytes read");
    let got = rows(&d, names);
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w, "{what}");
    }
    d
}

#[test]
fn every_format_and_container_loads_the_same_events_as_the_csv() {
    let evs = events();
    let want = expected(&evs);
    let csv = csv_bytes();
    check("csv", &csv, PROPS, "csv", "", &want);
    check("csv.gz", &gzip(&csv), PROPS, "csv", "gzip", &want);
    check(
        "csv.gz, 2 members",
        &gzip_two_members(&csv),
        PROPS,
        "csv",
        "gzip",
        &want,
    );

    let nd = lines(evs.iter().map(generic));
    let d = check("ndjson", &nd, PROPS, "ndjson", "", &want);
    assert_eq!(d.report.shape, None);
    check("ndjson.gz", &gzip(&nd), PROPS, "ndjson", "gzip", &want);
    check(
        "ndjson.gz, 2 members",
        &gzip_two_members(&nd),
        PROPS,
        "ndjson",
        "gzip",
        &want,
    );

    let mut array = b"[\n".to_vec();
    for (i, e) in evs.iter().enumerate() {
        if i > 0 {
            array.extend(b",\n");
        }
        array.extend(serde_json::to_vec_pretty(&generic(e)).unwrap());
    }
    array.extend(b"\n]\n");
    check("json array", &array, PROPS, "json_array", "", &want);

    let mp = lines(evs.iter().enumerate().map(|(i, e)| mixpanel(i, e)));
    let d = check("mixpanel", &mp, PROPS, "ndjson", "", &want);
    assert_eq!(d.report.shape.as_deref(), Some("mixpanel"));
    assert_eq!(d.report.columns.insert_id.as_deref(), Some("$insert_id"));

    let ph = lines(evs.iter().enumerate().map(|(i, e)| posthog(i, e)));
    let ph_names = PROPS.map(|p| format!("properties.{p}"));
    let d = check(
        "posthog",
        &ph,
        ph_names.each_ref().map(|s| s.as_str()),
        "ndjson",
        "",
        &want,
    );
    assert_eq!(d.report.shape.as_deref(), Some("posthog"));
    assert_eq!(d.report.columns.user, "distinct_id");

    let sg = lines(evs.iter().enumerate().map(|(i, e)| segment(i, e)));
    let sg_names = [
        "properties.platform",
        "context.location.country",
        "properties.channel",
        "properties.revenue",
    ];
    let d = check("segment", &sg, sg_names, "ndjson", "", &want);
    let c = &d.report.columns;
    assert_eq!(d.report.shape.as_deref(), Some("segment"));
    assert_eq!(
        (
            c.user.as_str(),
            c.user_fallback.as_deref(),
            c.insert_id.as_deref()
        ),
        ("userId", Some("anonymousId"), Some("messageId"))
    );
    assert!(d.store.property("context.library.name").is_some());
}

#[test]
fn progress_reports_compressed_bytes() {
    let nd = lines(events().iter().map(generic));
    let gz = gzip(&nd);
    let mut last = 0;
    ingest::load(
        &gz[..],
        Some(gz.len() as u64),
        &LoadOptions::default(),
        &mut |p| {
            assert!(p.bytes <= gz.len() as u64 && p.total_bytes == Some(gz.len() as u64));
            last = p.bytes;
            true
        },
    )
    .unwrap();
    assert_eq!(last, gz.len() as u64);
}

#[test]
fn a_broken_json_line_is_rejected_at_its_line() {
    let evs = events();
    let mut text = String::from_utf8(lines(evs.iter().take(10).map(generic))).unwrap();
    // line 11: cut in the middle of an object; line 12: valid JSON, not an object
    text.push_str("{\"user_id\":\"u9\",\"event\":\"view\",\"times\n42\n");
    text.push_str(&String::from_utf8(lines(evs.iter().skip(10).take(5).map(generic))).unwrap());
    let d = load(text.as_bytes());
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (17, 15, 0, 2)
    );
    assert_eq!(r.rows_in, r.imported + r.duplicates + r.rejected);
    let got: Vec<(u64, RejectReason)> = r
        .reject_samples
        .iter()
        .map(|x| (x.line, x.reason))
        .collect();
    assert_eq!(
        got,
        [(11, RejectReason::BadJson), (12, RejectReason::NotAnObject)]
    );
    assert!(
        r.reject_samples[0].detail.contains("EOF"),
        "{}",
        r.reject_samples[0].detail
    );
}

#[test]
fn a_repeated_insert_id_is_a_duplicate_and_the_first_is_kept() {
    let evs = events();
    // up to the first purchase, so every property has a value somewhere
    let n = evs.iter().position(|e| e.revenue.is_some()).unwrap() + 1;
    assert!(n > 8);
    let mut values: Vec<Value> = evs
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, e)| mixpanel(i, e))
        .collect();
    // event 5 sent again an hour later with the same insert id, and event 7 twice verbatim
    let mut again = values[5].clone();
    again["properties"]["time"] = json!(evs[5].time / 1000 + 3_600_000);
    values.push(again);
    values.push(values[7].clone());
    values.push(values[7].clone());
    let d = load(&lines(values.into_iter()));
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (n as u64 + 3, n as u64, 3, 0)
    );
    assert_eq!(rows(&d, PROPS), expected(&evs[..n]));
}

#[test]
fn a_truncated_gzip_stream_is_a_clear_error() {
    let nd = lines(events().iter().map(generic));
    for (what, data) in [("csv", csv_bytes()), ("ndjson", nd)] {
        let gz = gzip(&data);
        let cut = &gz[..gz.len() - 100];
        let e = ingest::load(cut, None, &LoadOptions::default(), &mut |_| true).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("gzip stream") && msg.contains("truncated"),
            "{what}: {msg}"
        );
    }
}

#[test]
fn a_gzip_bomb_stops_the_import() {
    // 200 MB of one repeated line: a valid CSV, but inflating over 1000 times its size
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(b"user_id,event,timestamp\n").unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&block).unwrap();
    }
    let gz = enc.finish().unwrap();
    let e = ingest::load(&gz[..], None, &LoadOptions::default(), &mut |_| true).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("decompression bomb"), "{msg}");
}

#[test]
fn a_csv_insert_id_column_dedupes_too() {
    // rows 2 and 4 repeat insert id a1 (row 4 an hour later): one duplicate each; row 5
    // has no insert id and is kept; row 6 has no user and is rejected before the check
    let text = "user_id,event,timestamp,insert_id,plan\n\
                u1,a,2024-03-01T09:00:00Z,a1,pro\n\
                u1,a,2024-03-01T09:00:00Z,a1,pro\n\
                u2,b,2024-03-01T09:00:00Z,b1,\n\
                u1,a,2024-03-01T10:00:00Z,a1,pro\n\
                u2,b,2024-03-01T09:00:00Z,,\n\
                ,b,2024-03-01T09:00:00Z,c1,\n";
    let d = load(text.as_bytes());
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (6, 3, 2, 1)
    );
    assert_eq!(r.columns.properties, ["plan"]);
    assert_eq!(d.store.len(), 3);
}

/// The sample's events with their event names and countries in another script (`prefix`
/// before each), as a CSV text.
fn localized_csv(evs: &[Ev], prefix: &str) -> (String, Vec<Row>) {
    let mut text = String::from("user_id,event,timestamp,platform,country,channel,revenue\n");
    let mut want = Vec::new();
    for e in evs {
        let event = format!("{prefix}{}", e.event);
        let country = format!("{prefix}{}", e.props[1].as_deref().unwrap());
        let revenue = e.props[3].clone().unwrap_or_default();
        text.push_str(&format!(
            "{},{event},{},{},{country},{},{revenue}\n",
            e.user,
            format_rfc3339(e.time),
            e.props[0].as_deref().unwrap(),
            e.props[2].as_deref().unwrap(),
        ));
        let mut props = e.props.to_vec();
        props[1] = Some(country);
        want.push((e.user.clone(), event, e.time, props));
    }
    want.sort();
    (text, want)
}

fn utf16(text: &str, bom: bool, big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = if bom { Some(0xFEFF) } else { None };
    for u in units.into_iter().chain(text.encode_utf16()) {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

fn encode(text: &str, label: &str) -> Vec<u8> {
    let e = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let (bytes, _, unmappable) = e.encode(text);
    assert!(!unmappable, "{label}");
    bytes.into_owned()
}

#[test]
fn every_encoding_loads_the_same_events() {
    let evs = events();
    // (prefix, file bytes, encoding reported, how it was chosen, gzip it too)
    let (zh, zh_want) = localized_csv(&evs, "中文");
    let (ja, ja_want) = localized_csv(&evs, "イベント");
    let (fr, fr_want) = localized_csv(&evs, "événement-");
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend(zh.as_bytes());
    let cases: Vec<(&str, Vec<u8>, &str, &str, &[Row])> = vec![
        (
            "utf-8",
            zh.as_bytes().to_vec(),
            "UTF-8",
            "detected",
            &zh_want,
        ),
        ("utf-8 bom", bom8, "UTF-8", "bom", &zh_want),
        (
            "utf-16le bom",
            utf16(&zh, true, false),
            "UTF-16LE",
            "bom",
            &zh_want,
        ),
        (
            "utf-16be bom",
            utf16(&zh, true, true),
            "UTF-16BE",
            "bom",
            &zh_want,
        ),
        (
            "utf-16le",
            utf16(&zh, false, false),
            "UTF-16LE",
            "detected",
            &zh_want,
        ),
        (
            "utf-16be",
            utf16(&zh, false, true),
            "UTF-16BE",
            "detected",
            &zh_want,
        ),
        ("gbk", encode(&zh, "gbk"), "GBK", "detected", &zh_want),
        (
            "shift_jis",
            encode(&ja, "shift_jis"),
            "Shift_JIS",
            "detected",
            &ja_want,
        ),
        (
            "windows-1252",
            encode(&fr, "windows-1252"),
            "windows-1252",
            "detected",
            &fr_want,
        ),
    ];
    for (what, bytes, name, source, want) in cases {
        for (container, bytes) in [("", bytes.clone()), ("gzip", gzip(&bytes))] {
            let what = format!("{what} {container}");
            let d = check(&what, &bytes, PROPS, "csv", container, want);
            assert_eq!(
                (
                    d.report.encoding.as_str(),
                    d.report.encoding_source.as_str()
                ),
                (name, source),
                "{what}"
            );
        }
    }
    // GB18030 is read by the GBK decoder (a superset); named, it is reported as such
    let opts = LoadOptions {
        encoding: Some("gb18030".into()),
        ..LoadOptions::default()
    };
    let bytes = encode(&zh, "gb18030");
    let d = ingest::load(&bytes[..], None, &opts, &mut |_| true).unwrap();
    assert_eq!(
        (
            d.report.encoding.as_str(),
            d.report.encoding_source.as_str()
        ),
        ("gb18030", "option")
    );
    assert_eq!(rows(&d, PROPS), zh_want);
}

#[test]
fn a_gbk_file_with_chinese_names_and_properties() {
    // a Chinese Excel export: Chinese headers, event names and property values, in GBK
    let text = "用户ID,事件名称,时间,城市,金额\n\
                张三,注册,2024-03-01 09:00:00,北京,\n\
                张三,购买,2024-03-02 10:15:00,北京,39.9\n\
                李四,注册,2024-03-01 11:00:00,上海,\n";
    let d = load(&encode(text, "gbk"));
    let r = &d.report;
    assert_eq!((r.encoding.as_str(), r.imported, r.rejected), ("GBK", 3, 0));
    assert_eq!(
        (
            r.columns.user.as_str(),
            r.columns.event.as_str(),
            r.columns.time.as_str()
        ),
        ("用户ID", "事件名称", "时间")
    );
    let s = &d.store;
    let u = s.user_index("张三").unwrap();
    let names: Vec<&str> = s
        .user_range(u)
        .map(|i| s.event_names().get(s.event_codes()[i]))
        .collect();
    assert_eq!(names, ["注册", "购买"]);
    let city = s.property("城市").unwrap();
    let i = s.user_range(s.user_index("李四").unwrap()).start;
    assert_eq!(city.display(i).as_deref(), Some("上海"));
    assert_eq!(
        s.property("金额")
            .unwrap()
            .display(s.user_range(u).end - 1)
            .as_deref(),
        Some("39.9")
    );
}

#[test]
fn bytes_invalid_in_the_encoding_reject_their_rows_with_line_numbers() {
    let text = "user_id,event,timestamp\n\
                u1,注册,2024-03-01T09:00:00Z\n\
                u1,BAD1,2024-03-01T09:00:00Z\n\
                u2,注册,2024-03-01T09:00:00Z\n\
                u3,BAD2,2024-03-01T09:00:00Z\n";
    let mut gbk = encode(text, "gbk");
    // line 3: 0xFF is never a GBK byte; line 5: a lead byte followed by DEL (not a trail)
    let at = |bytes: &[u8], pat: &[u8]| bytes.windows(pat.len()).position(|w| w == pat).unwrap();
    let p = at(&gbk, b"BAD1");
    gbk[p..p + 4].copy_from_slice(b"x\xFFyz");
    let p = at(&gbk, b"BAD2");
    gbk[p..p + 4].copy_from_slice(b"xy\x81\x7F");
    let opts = LoadOptions {
        encoding: Some("gbk".into()),
        ..LoadOptions::default()
    };
    let d = ingest::load(&gbk[..], None, &opts, &mut |_| true).unwrap();
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (4, 2, 0, 2)
    );
    assert_eq!(
        r.rejected_by_reason.get(&RejectReason::Encoding),
        Some(&2),
        "{:?}",
        r.reject_samples
    );
    let got: Vec<(u64, RejectReason)> = r
        .reject_samples
        .iter()
        .map(|x| (x.line, x.reason))
        .collect();
    assert_eq!(
        got,
        [(3, RejectReason::Encoding), (5, RejectReason::Encoding)]
    );

    // UTF-16 without a byte-order mark: a lone surrogate on line 2 of 3 rows
    let mut units: Vec<u16> = "user_id,event,timestamp\nu1,a,2024-03-01T09:00:00Z\nu2,"
        .encode_utf16()
        .collect();
    units.push(0xD800);
    units.extend("b,2024-03-01T09:00:00Z\nu3,c,2024-03-01T09:00:00Z\n".encode_utf16());
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let d = load(&bytes);
    let r = &d.report;
    assert_eq!(
        (r.encoding.as_str(), r.imported, r.rejected),
        ("UTF-16LE", 2, 1)
    );
    assert_eq!(
        (r.reject_samples[0].line, r.reject_samples[0].reason),
        (3, RejectReason::Encoding)
    );

    // an unknown encoding name is a whole-file error naming it
    let opts = LoadOptions {
        encoding: Some("ebcdic-martian".into()),
        ..LoadOptions::default()
    };
    let e = ingest::load(&gbk[..], None, &opts, &mut |_| true).unwrap_err();
    assert!(e.to_string().contains("ebcdic-martian"), "{e}");
}
