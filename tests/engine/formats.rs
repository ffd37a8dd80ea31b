//! One seeded event list written in every format, vendor shape and container
//! `ingest::load` reads; each must load to the same events as the plain CSV, compared event
//! by event (user, event, time and every property, names mapped per shape). Malformed
//! variants check positions and counts: a broken JSON line, a repeated insert id, a truncated
//! gzip stream and a gzip bomb, bad JSON cells, ambiguous and mixed date orders, Sensors Data
//! records set aside; the identity option reads the same events by user or device id.

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
    let (zh, zh_want) = localized_csv(&evs, "中文");
    let (ja, ja_want) = localized_csv(&evs, "イベント");
    let (fr, fr_want) = localized_csv(&evs, "événement-");
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend(zh.as_bytes());
    // (what, file bytes, encoding reported, how it was chosen, expected rows)
    type Case<'a> = (&'a str, Vec<u8>, &'a str, &'a str, &'a [Row]);
    let cases: Vec<Case> = vec![
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

/// A zip archive of `(name, bytes, deflate)` entries.
fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflate) in entries {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() > u32::MAX as usize / 2);
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn load_zip(bytes: &[u8]) -> loupe::engine::error::Result<Dataset> {
    ingest::load_file(
        std::io::Cursor::new(bytes),
        Some(bytes.len() as u64),
        &LoadOptions::default(),
        &mut |_| true,
    )
}

/// Splits `text` (a header line and rows) into two texts at a line break near the middle,
/// each with the header when `header` is set.
fn halves(text: &[u8], header: bool) -> (Vec<u8>, Vec<u8>) {
    let head_end = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mid = text[text.len() / 2..]
        .iter()
        .position(|&b| b == b'\n')
        .unwrap()
        + text.len() / 2
        + 1;
    let first = text[..mid].to_vec();
    let mut second = if header {
        text[..head_end].to_vec()
    } else {
        Vec::new()
    };
    second.extend(&text[mid..]);
    (first, second)
}

/// Amplitude's export: user id or (every fourth event) only the device id, the event time
/// as a naive UTC text with microseconds, platform and country at the top level, the channel
/// a user property and the revenue an event property.
fn amplitude(i: usize, e: &Ev) -> Value {
    let secs = e.time.div_euclid(1_000_000);
    let micros = e.time.rem_euclid(1_000_000);
    let (day, hms) = {
        let t = format_rfc3339(secs * 1_000_000);
        (t[..10].to_string(), t[11..19].to_string())
    };
    let (user_id, device_id) = if i.is_multiple_of(4) {
        (Value::Null, json!(e.user))
    } else {
        (json!(e.user), json!(format!("device-{}", e.user)))
    };
    let mut props = json!({});
    if let Some(r) = e.revenue {
        props["revenue"] = json!(r);
    }
    json!({"event_type": e.event, "user_id": user_id, "device_id": device_id,
        "amplitude_id": 1000 + i, "event_time": format!("{day} {hms}.{micros:06}"),
        "client_event_time": format!("{day} {hms}.{micros:06}"),
        "$insert_id": format!("amp-{i}"), "uuid": format!("uuid-{i}"),
        "event_properties": props,
        "user_properties": {"channel": e.props[2]},
        "platform": e.props[0], "country": e.props[1], "session_id": -1})
}

const AMP_NAMES: [&str; 4] = [
    "platform",
    "country",
    "user_properties.channel",
    "event_properties.revenue",
];

#[test]
fn a_zip_of_two_entries_loads_as_one_dataset() {
    let evs = events();
    let want = expected(&evs);
    let csv = csv_bytes();
    let (a, b) = halves(&csv, true);
    for (what, zip) in [
        (
            "csv, deflate",
            zip_of(&[("part-1.csv", &a, true), ("part-2.csv", &b, true)]),
        ),
        (
            "csv, stored",
            zip_of(&[("part-1.csv", &a, false), ("dir/part-2.csv", &b, false)]),
        ),
        (
            "csv.gz inside",
            zip_of(&[
                ("a.csv.gz", &gzip(&a), false),
                ("b.csv.gz", &gzip(&b), true),
            ]),
        ),
    ] {
        let d = load_zip(&zip).unwrap();
        let r = &d.report;
        assert_eq!((r.format.as_str(), r.entries), ("csv", 2), "{what}");
        assert_eq!(
            (r.rows_in, r.imported, r.rejected),
            (want.len() as u64, want.len() as u64, 0),
            "{what}"
        );
        // the central directory is read before the count starts
        assert!(r.bytes > 0 && r.bytes < zip.len() as u64, "{what}");
        assert_eq!(rows(&d, PROPS), want, "{what}");
    }
    // JSON lines without a line break at the end of the first entry
    let nd = lines(evs.iter().map(generic));
    let (a, b) = halves(&nd, false);
    let zip = zip_of(&[("a.json", &a[..a.len() - 1], true), ("b.json", &b, true)]);
    let d = load_zip(&zip).unwrap();
    assert_eq!(
        (d.report.format.as_str(), d.report.container.as_str()),
        ("ndjson", "zip")
    );
    assert_eq!(rows(&d, PROPS), want);
    // a zip through the stream entry point is a clear error
    let e = ingest::load(&zip[..], None, &LoadOptions::default(), &mut |_| true).unwrap_err();
    assert!(e.to_string().contains("zip archive"), "{e}");
}

#[test]
fn an_amplitude_export_zip_loads_the_same_events() {
    let evs = events();
    let want = expected(&evs);
    // one gzipped JSON lines file per "hour": three entries, as the Export API sends them
    let values: Vec<Value> = evs
        .iter()
        .enumerate()
        .map(|(i, e)| amplitude(i, e))
        .collect();
    let third = values.len() / 3;
    let parts: Vec<Vec<u8>> = [
        &values[..third],
        &values[third..2 * third],
        &values[2 * third..],
    ]
    .iter()
    .map(|p| gzip(&lines(p.iter().cloned())))
    .collect();
    let zip = zip_of(&[
        ("123/123_2024-01-01_0#0.json.gz", &parts[0], false),
        ("123/123_2024-01-01_1#0.json.gz", &parts[1], false),
        ("123/123_2024-01-01_2#0.json.gz", &parts[2], false),
    ]);
    let d = load_zip(&zip).unwrap();
    let r = &d.report;
    assert_eq!(
        (
            r.format.as_str(),
            r.container.as_str(),
            r.shape.as_deref(),
            r.entries
        ),
        ("ndjson", "zip+gzip", Some("amplitude"), 3)
    );
    let c = &r.columns;
    assert_eq!(
        (
            c.user.as_str(),
            c.user_fallback.as_deref(),
            c.event.as_str(),
            c.time.as_str(),
            c.insert_id.as_deref()
        ),
        (
            "user_id",
            Some("device_id"),
            "event_type",
            "event_time",
            Some("$insert_id")
        )
    );
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected),
        (want.len() as u64, want.len() as u64, 0, 0)
    );
    assert_eq!(rows(&d, AMP_NAMES), want);

    // a resent event (same insert id, another time) is a duplicate, also across entries
    let mut again = values[5].clone();
    again["event_time"] = json!("2030-01-01 00:00:00.000000");
    let mut last = lines(values[2 * third..].iter().cloned());
    last.extend(lines(std::iter::once(again)));
    let zip = zip_of(&[
        ("a.json.gz", &parts[0], true),
        ("b.json.gz", &parts[1], true),
        ("c.json.gz", &gzip(&last), true),
    ]);
    let d = load_zip(&zip).unwrap();
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates),
        (want.len() as u64 + 1, want.len() as u64, 1)
    );
    assert_eq!(rows(&d, AMP_NAMES), want);

    // and the same lines outside a zip, not gzipped
    let d = load(&lines(values.iter().cloned()));
    assert_eq!(d.report.shape.as_deref(), Some("amplitude"));
    assert_eq!(rows(&d, AMP_NAMES), want);
}

#[test]
fn zip_entries_with_other_columns_or_formats_are_errors_naming_the_entry() {
    let csv = csv_bytes();
    let (a, b) = halves(&csv, true);
    let mut other = b"uid,event,timestamp,platform,country,channel,revenue\n".to_vec();
    other.extend(&b[b.iter().position(|&x| x == b'\n').unwrap() + 1..]);
    let zip = zip_of(&[("one.csv", &a, true), ("two.csv", &other, true)]);
    let msg = load_zip(&zip).unwrap_err().to_string();
    assert!(
        msg.contains("\"two.csv\"") && msg.contains("header line"),
        "{msg}"
    );
    let nd = lines(events().iter().take(10).map(generic));
    let zip = zip_of(&[("one.csv", &a, true), ("two.json", &nd, true)]);
    let msg = load_zip(&zip).unwrap_err().to_string();
    assert!(
        msg.contains("\"two.json\"") && msg.contains("JSON lines"),
        "{msg}"
    );
    let msg = load_zip(&zip_of(&[])).unwrap_err().to_string();
    assert!(msg.contains("no file"), "{msg}");
}

#[test]
fn a_zip_bomb_stops_the_import() {
    // one entry of 200 MB of blanks after a header: over 1000 times its deflated size
    let mut big = b"user_id,event,timestamp\n".to_vec();
    big.resize(200 << 20, b' ');
    let zip = zip_of(&[("bomb.csv", &big, true)]);
    let msg = load_zip(&zip).unwrap_err().to_string();
    assert!(
        msg.contains("decompression bomb") && msg.contains("bomb.csv"),
        "{msg}"
    );
    // many small gzipped entries, each under the per-entry floor, together over the ratio
    let small = {
        let mut v = b"user_id,event,timestamp\n".to_vec();
        v.resize(900 << 10, b' ');
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(&v).unwrap();
        e.finish().unwrap()
    };
    let names: Vec<String> = (0..40).map(|i| format!("p{i}.csv.gz")).collect();
    let entries: Vec<(&str, &[u8], bool)> = names
        .iter()
        .map(|n| (n.as_str(), &small[..], true))
        .collect();
    let msg = load_zip(&zip_of(&entries)).unwrap_err().to_string();
    assert!(msg.contains("decompression bomb"), "{msg}");
}

/// GA4's BigQuery export row: `event_timestamp` in microseconds as a string (BigQuery writes
/// INT64 as strings) or, every other row, as a number; `user_id` null on every third row
/// (the user is then `user_pseudo_id`); the platform at the top level, the country in
/// `geo`, the channel a user property and the revenue an event parameter's double value.
fn ga4(i: usize, e: &Ev) -> Value {
    let ts = if i.is_multiple_of(2) {
        json!(e.time.to_string())
    } else {
        json!(e.time)
    };
    let (user_id, pseudo) = if i.is_multiple_of(3) {
        (Value::Null, e.user.clone())
    } else {
        (json!(e.user), format!("{}.{}", 1000 + i, 17))
    };
    let mut params = vec![
        json!({"key": "ga_session_id", "value": {"string_value": null, "int_value": "1612069510",
            "float_value": null, "double_value": null}}),
        json!({"key": "page_location", "value": {"string_value": "https://shop.example.com/"}}),
    ];
    if let Some(r) = e.revenue {
        params.push(json!({"key": "revenue", "value": {"double_value": r}}));
    }
    json!({"event_date": "20240101", "event_timestamp": ts, "event_name": e.event,
        "event_params": params, "user_pseudo_id": pseudo, "user_id": user_id,
        "user_properties": [{"key": "channel", "value": {"string_value": e.props[2],
            "set_timestamp_micros": "1612069510000000"}}],
        "device": {"category": "desktop", "web_info": {"browser": "Chrome"}},
        "geo": {"country": e.props[1], "city": "San Jose"},
        "traffic_source": {"name": "(direct)", "medium": "(none)"},
        "platform": e.props[0], "items": []})
}

const GA4_NAMES: [&str; 4] = ["platform", "geo.country", "user.channel", "revenue"];

#[test]
fn a_ga4_bigquery_export_loads_the_same_events() {
    let evs = events();
    let want = expected(&evs);
    let nd = lines(evs.iter().enumerate().map(|(i, e)| ga4(i, e)));
    let d = check("ga4", &nd, GA4_NAMES, "ndjson", "", &want);
    let r = &d.report;
    assert_eq!(r.shape.as_deref(), Some("ga4"));
    let c = &r.columns;
    assert_eq!(
        (
            c.user.as_str(),
            c.user_fallback.as_deref(),
            c.event.as_str(),
            c.time.as_str(),
            c.insert_id.as_deref()
        ),
        (
            "user_id",
            Some("user_pseudo_id"),
            "event_name",
            "event_timestamp",
            None
        )
    );
    // the parameter arrays became properties; the arrays themselves are not properties
    assert!(d.store.property("event_params").is_none());
    assert!(d.store.property("user_properties").is_none());
    let s = &d.store;
    let p = s.property("page_location").unwrap();
    assert_eq!(p.display(0).as_deref(), Some("https://shop.example.com/"));
    assert_eq!(
        s.property("ga_session_id").unwrap().display(0).as_deref(),
        Some("1612069510")
    );
    assert_eq!(
        s.property("device.web_info.browser")
            .unwrap()
            .display(0)
            .as_deref(),
        Some("Chrome")
    );
    assert_eq!(
        s.property("traffic_source.medium")
            .unwrap()
            .display(0)
            .as_deref(),
        Some("(none)")
    );
    // and gzipped
    check("ga4.gz", &gzip(&nd), GA4_NAMES, "ndjson", "gzip", &want);
}

/// GA4 flattened into a warehouse table (CSV): the nested fields as dotted columns, an empty
/// `user_id` where the user only has a pseudonymous id.
#[test]
fn a_flattened_ga4_table_and_warehouse_tables_with_a_name_column_load() {
    let evs = events();
    let want = expected(&evs);
    let mut csv =
        String::from("event_date,event_timestamp,event_name,user_pseudo_id,user_id,platform,geo.country,user.channel,revenue\n");
    for (i, e) in evs.iter().enumerate() {
        let (uid, pseudo) = if i.is_multiple_of(3) {
            (String::new(), e.user.clone())
        } else {
            (e.user.clone(), format!("p{i}"))
        };
        csv.push_str(&format!(
            "20240101,{},{},{pseudo},{uid},{},{},{},{}\n",
            e.time,
            e.event,
            e.props[0].as_deref().unwrap(),
            e.props[1].as_deref().unwrap(),
            e.props[2].as_deref().unwrap(),
            e.props[3].as_deref().unwrap_or("")
        ));
    }
    let d = check("ga4 csv", csv.as_bytes(), GA4_NAMES, "csv", "", &want);
    let c = &d.report.columns;
    assert_eq!(
        (c.user.as_str(), c.user_fallback.as_deref(), c.time.as_str()),
        ("user_id", Some("user_pseudo_id"), "event_timestamp")
    );

    // Mixpanel's warehouse table calls the event column `name`
    let mut csv =
        String::from("distinct_id,name,time,insert_id,platform,country,channel,revenue\n");
    for (i, e) in evs.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},{},mp-{i},{},{},{},{}\n",
            e.user,
            e.event,
            format_rfc3339(e.time),
            e.props[0].as_deref().unwrap(),
            e.props[1].as_deref().unwrap(),
            e.props[2].as_deref().unwrap(),
            e.props[3].as_deref().unwrap_or("")
        ));
    }
    let d = check("mixpanel table", csv.as_bytes(), PROPS, "csv", "", &want);
    let c = &d.report.columns;
    assert_eq!(
        (c.event.as_str(), c.insert_id.as_deref()),
        ("name", Some("insert_id"))
    );
}

/// A Sensors Data (神策) export: `track` rows are the events (`time` in milliseconds, the
/// properties under `properties`, `_track_id` the insert id); before every 50th event a
/// `profile_set` row, before every 200th an `item_set` row and before every 300th a
/// `track_id_bind` row, none of them events.
fn sensors(evs: &[Ev]) -> (Vec<u8>, [u64; 3]) {
    let mut values = Vec::new();
    let mut aside = [0u64; 3];
    for (i, e) in evs.iter().enumerate() {
        if i.is_multiple_of(50) {
            aside[0] += 1;
            values.push(json!({"distinct_id": e.user, "time": e.time / 1000,
                "type": "profile_set", "properties": {"gender": "f", "$city": "长沙"}}));
        }
        if i.is_multiple_of(200) {
            aside[1] += 1;
            values.push(json!({"item_type": "book", "item_id": format!("b{i}"),
                "time": e.time / 1000, "type": "item_set", "distinct_id": e.user,
                "properties": {"price": 3}}));
        }
        if i.is_multiple_of(300) {
            aside[2] += 1;
            values.push(json!({"distinct_id": e.user, "time": e.time / 1000,
                "type": "track_id_bind", "identities": {"$identity_login_id": e.user}}));
        }
        values.push(
            json!({"distinct_id": e.user, "time": e.time / 1000, "type": "track",
            "event": e.event, "_track_id": 1_000_000 + i,
            "lib": {"$lib": "js", "$lib_version": "1.0"},
            "properties": {"$is_login_id": true, "platform": e.props[0],
                "country": e.props[1], "channel": e.props[2], "revenue": e.revenue}}),
        );
    }
    (lines(values.into_iter()), aside)
}

#[test]
fn a_sensors_data_export_loads_track_rows_and_sets_the_others_aside() {
    let evs = events();
    let want = expected(&evs);
    let (bytes, [profiles, items, other]) = sensors(&evs);
    let d = load(&bytes);
    let r = &d.report;
    assert_eq!(r.shape.as_deref(), Some("sensors"));
    let c = &r.columns;
    assert_eq!(
        (
            c.user.as_str(),
            c.event.as_str(),
            c.time.as_str(),
            c.insert_id.as_deref()
        ),
        ("distinct_id", "event", "time", Some("_track_id"))
    );
    let n = want.len() as u64;
    // 2 of every 100 events, 1 of every 200, 1 of every 300 (rounded up: the first is 0)
    assert_eq!(
        (profiles, items, other),
        (n.div_ceil(50), n.div_ceil(200), n.div_ceil(300))
    );
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates, r.rejected, r.set_aside),
        (
            n + profiles + items + other,
            n,
            0,
            0,
            profiles + items + other
        )
    );
    use ingest::SetAsideReason::*;
    assert_eq!(
        r.set_aside_by_reason
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect::<Vec<_>>(),
        [
            (ProfileRow, profiles),
            (ItemRow, items),
            (NotAnEvent, other)
        ]
    );
    assert_eq!(rows(&d, PROPS), want);
    // the record type and the profile-only keys are not properties
    let s = &d.store;
    assert!(s.property("type").is_none() && s.property("gender").is_none());
    assert!(s.property("item_id").is_none() && s.property("lib.$lib").is_some());
    assert!(s.property("$is_login_id").is_some());

    // a resent track row (same _track_id, another time) is a duplicate
    let mut again = bytes.clone();
    again.extend(
        json!({"distinct_id": "someone", "time": 1_709_283_600_000_i64, "type": "track", "event": "x",
            "_track_id": 1_000_007})
        .to_string()
        .as_bytes(),
    );
    let r = load(&again).report;
    assert_eq!(
        (r.rows_in, r.imported, r.duplicates),
        (n + profiles + items + other + 1, n, 1)
    );
}

/// Snowplow enriched events: `event` is the kind, `event_name` the name; `derived_tstamp`
/// is the event's time (the collector's and the device's clocks disagree with it);
/// `user_id` is null on every third row, where `domain_userid` is the user; `event_id` is
/// the insert id; a context is a JSON array.
fn snowplow(i: usize, e: &Ev) -> Value {
    let naive = |t: i64| {
        let s = format_rfc3339(t);
        format!("{} {}.000", &s[..10], &s[11..19])
    };
    let (user_id, domain) = if i.is_multiple_of(3) {
        (Value::Null, e.user.clone())
    } else {
        (json!(e.user), format!("d-{}", e.user))
    };
    let mut v = json!({"app_id": "shop", "platform": e.props[0], "event": "struct",
        "event_id": format!("c6ef3124-b53a-4b13-a233-{i:012}"), "event_name": e.event,
        "collector_tstamp": naive(e.time + 2_000_000),
        "dvce_created_tstamp": naive(e.time - 5_000_000),
        "derived_tstamp": naive(e.time), "user_id": user_id, "domain_userid": domain,
        "domain_sessionid": format!("s-{}", e.user), "geo_country": e.props[1],
        "mkt_source": e.props[2],
        "contexts_com_acme_user_1": [{"tier": "gold"}]});
    if let Some(r) = e.revenue {
        v["se_value"] = json!(r);
    }
    v
}

const SNOWPLOW_NAMES: [&str; 4] = ["platform", "geo_country", "mkt_source", "se_value"];
const SNOWPLOW_COLUMNS: [&str; 14] = [
    "app_id",
    "platform",
    "event",
    "event_id",
    "event_name",
    "collector_tstamp",
    "dvce_created_tstamp",
    "derived_tstamp",
    "user_id",
    "domain_userid",
    "domain_sessionid",
    "geo_country",
    "mkt_source",
    "contexts_com_acme_user_1",
];

#[test]
fn snowplow_enriched_events_load_as_json_and_as_tsv() {
    let evs = events();
    let want = expected(&evs);
    let values: Vec<Value> = evs
        .iter()
        .enumerate()
        .map(|(i, e)| snowplow(i, e))
        .collect();
    let nd = lines(values.iter().cloned());
    let d = check("snowplow", &nd, SNOWPLOW_NAMES, "ndjson", "", &want);
    let roles = |d: &Dataset| {
        let c = &d.report.columns;
        (
            d.report.shape.clone(),
            c.user.clone(),
            c.user_fallback.clone(),
            c.event.clone(),
            c.time.clone(),
            c.insert_id.clone(),
        )
    };
    let expect = (
        Some("snowplow".to_string()),
        "user_id".to_string(),
        Some("domain_userid".to_string()),
        "event_name".to_string(),
        "derived_tstamp".to_string(),
        Some("event_id".to_string()),
    );
    assert_eq!(roles(&d), expect);
    assert_eq!(
        d.store
            .property("contexts_com_acme_user_1")
            .unwrap()
            .display(0)
            .as_deref(),
        Some(r#"[{"tier":"gold"}]"#)
    );

    // the same rows as TSV with a header line (a warehouse export), se_value last
    let mut tsv = SNOWPLOW_COLUMNS.join("\t");
    tsv.push_str("\tse_value\n");
    for v in &values {
        let cell = |k: &str| match &v[k] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let row: Vec<String> = SNOWPLOW_COLUMNS.iter().map(|k| cell(k)).collect();
        tsv.push_str(&format!("{}\t{}\n", row.join("\t"), cell("se_value")));
    }
    let d = check(
        "snowplow tsv",
        tsv.as_bytes(),
        SNOWPLOW_NAMES,
        "csv",
        "",
        &want,
    );
    assert_eq!(d.report.delimiter, '\t');
    assert_eq!(roles(&d), expect);
}

fn load_with(bytes: &[u8], opts: &LoadOptions) -> loupe::engine::error::Result<Dataset> {
    ingest::load(bytes, Some(bytes.len() as u64), opts, &mut |_| true)
}

/// A CSV cell quoted for a comma-separated file.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[test]
fn an_amplitude_warehouse_csv_expands_its_json_columns() {
    let evs = events();
    let want = expected(&evs);
    let mut csv = String::from(
        "event_type,event_time,user_id,device_id,$insert_id,platform,country,event_properties,user_properties\n",
    );
    for (i, e) in evs.iter().enumerate() {
        let v = amplitude(i, e);
        let cell = |k: &str| match &v[k] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            cell("event_type"),
            cell("event_time"),
            cell("user_id"),
            cell("device_id"),
            cell("$insert_id"),
            cell("platform"),
            cell("country"),
            quoted(&cell("event_properties")),
            quoted(&cell("user_properties"))
        ));
    }
    let d = check("amplitude csv", csv.as_bytes(), AMP_NAMES, "csv", "", &want);
    let r = &d.report;
    assert_eq!(r.shape.as_deref(), Some("amplitude"));
    assert_eq!(r.expanded_json, ["event_properties", "user_properties"]);
    assert_eq!(r.json_cells_invalid, 0);
    assert_eq!(r.columns.properties, ["platform", "country"]);
    assert!(d.store.property("event_properties").is_none());
}

#[test]
fn json_cells_are_expanded_when_asked_and_bad_ones_kept_as_text() {
    // line 2: an object; 3: an array (text); 4: not JSON (text, counted); 5: empty;
    // 6: an object with a nested object and a null; 7: a number (text)
    let csv = "user_id,event,timestamp,meta\n\
               u1,a,2024-03-01T09:00:00Z,\"{\"\"plan\"\":\"\"pro\"\",\"\"n\"\":2}\"\n\
               u1,b,2024-03-01T09:00:01Z,\"[1,2]\"\n\
               u2,a,2024-03-01T09:00:02Z,{oops\n\
               u2,b,2024-03-01T09:00:03Z,\n\
               u3,a,2024-03-01T09:00:04Z,\"{\"\"plan\"\":\"\"free\"\",\"\"geo\"\":{\"\"city\"\":\"\"Lyon\"\"},\"\"x\"\":null}\"\n\
               u3,b,2024-03-01T09:00:05Z,7\n";
    // without the option the column is one text property
    let d = load(csv.as_bytes());
    assert_eq!(d.report.columns.properties, ["meta"]);
    assert!(d.report.expanded_json.is_empty());
    let opts = LoadOptions {
        expand_json: vec!["meta".into()],
        ..Default::default()
    };
    let d = load_with(csv.as_bytes(), &opts).unwrap();
    let r = &d.report;
    assert_eq!(
        (r.rows_in, r.imported, r.rejected, r.json_cells_invalid),
        (6, 6, 0, 1)
    );
    assert_eq!(r.expanded_json, ["meta"]);
    assert!(r.columns.properties.is_empty());
    let s = &d.store;
    // store order: u1 (a, b), u2 (a, b), u3 (a, b)
    let col = |name: &str| -> Vec<Option<String>> {
        let p = s
            .property(name)
            .unwrap_or_else(|| panic!("no property {name}"));
        (0..s.len()).map(|i| p.display(i)).collect()
    };
    let some = |v: &str| Some(v.to_string());
    assert_eq!(
        col("meta.plan"),
        [some("pro"), None, None, None, some("free"), None]
    );
    assert_eq!(col("meta.n"), [some("2"), None, None, None, None, None]);
    assert_eq!(
        col("meta.geo.city"),
        [None, None, None, None, some("Lyon"), None]
    );
    assert_eq!(
        col("meta"),
        [None, some("[1,2]"), some("{oops"), None, None, some("7")]
    );
    assert!(s.property("meta.x").is_none());

    // a column that is not there, or that plays a role, is an error naming it
    for (name, says) in [("nope", "not in the header"), ("event", "not a property")] {
        let opts = LoadOptions {
            expand_json: vec![name.into()],
            ..Default::default()
        };
        let msg = load_with(csv.as_bytes(), &opts).unwrap_err().to_string();
        assert!(msg.contains(name) && msg.contains(says), "{msg}");
    }
}

#[test]
fn the_identity_option_picks_the_user_or_the_device_id() {
    use ingest::Identity;
    let evs = events();
    // segment(): every third event has no userId and its anonymousId is the user; the
    // others have userId = the user and anonymousId = "anon-" + the user
    let sg = lines(evs.iter().enumerate().map(|(i, e)| segment(i, e)));
    let names = [
        "properties.platform",
        "context.location.country",
        "properties.channel",
        "properties.revenue",
    ];
    let with = |identity: Identity| {
        let opts = LoadOptions {
            identity,
            ..Default::default()
        };
        load_with(&sg, &opts).unwrap()
    };
    // user id, else device id: today's behaviour, every event
    let d = with(Identity::UserOrDevice);
    assert_eq!(rows(&d, names), expected(&evs));
    assert_eq!(d.report.columns.identity, Identity::UserOrDevice);

    // user id only: the events without one are rejected as missing a user
    let d = with(Identity::User);
    let r = &d.report;
    let without = evs.len().div_ceil(3) as u64;
    assert_eq!(
        (r.rows_in, r.imported, r.rejected),
        (evs.len() as u64, evs.len() as u64 - without, without)
    );
    assert_eq!(
        r.rejected_by_reason.get(&RejectReason::MissingUser),
        Some(&without)
    );
    assert_eq!(
        (r.columns.user.as_str(), r.columns.user_fallback.as_deref()),
        ("userId", None)
    );
    assert_eq!(r.columns.identity, Identity::User);
    let kept: Vec<Ev> = evs
        .iter()
        .enumerate()
        .filter(|(i, _)| !i.is_multiple_of(3))
        .map(|(_, e)| Ev {
            user: e.user.clone(),
            event: e.event.clone(),
            time: e.time,
            props: e.props.clone(),
            revenue: e.revenue,
        })
        .collect();
    assert_eq!(rows(&d, names), expected(&kept));

    // device id only: every event, under its anonymous id; userId is a property
    let d = with(Identity::Device);
    let r = &d.report;
    assert_eq!((r.imported, r.rejected), (evs.len() as u64, 0));
    assert_eq!(r.columns.user, "anonymousId");
    assert!(r.columns.properties.contains(&"userId".to_string()));
    let anon: Vec<Ev> = evs
        .iter()
        .enumerate()
        .map(|(i, e)| Ev {
            user: if i.is_multiple_of(3) {
                e.user.clone()
            } else {
                format!("anon-{}", e.user)
            },
            event: e.event.clone(),
            time: e.time,
            props: e.props.clone(),
            revenue: e.revenue,
        })
        .collect();
    assert_eq!(rows(&d, names), expected(&anon));

    // a file without a device id cannot be read by device
    let opts = LoadOptions {
        identity: Identity::Device,
        ..Default::default()
    };
    let msg = load_with(&csv_bytes(), &opts).unwrap_err().to_string();
    assert!(msg.contains("identity \"device\""), "{msg}");
}

/// The sample CSV with its times rewritten by `write` (from RFC 3339 parts).
fn csv_with_times(evs: &[Ev], write: impl Fn(&str, &str, &str, &str) -> String) -> String {
    let mut csv = String::from("user_id,event,timestamp,platform,country,channel,revenue\n");
    for e in evs {
        let t = format_rfc3339(e.time);
        let micros = e.time.rem_euclid(1_000_000);
        let hms = format!("{}.{micros:06}", &t[11..19]);
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            e.user,
            e.event,
            write(&t[..4], &t[5..7], &t[8..10], &hms),
            e.props[0].as_deref().unwrap(),
            e.props[1].as_deref().unwrap(),
            e.props[2].as_deref().unwrap(),
            e.props[3].as_deref().unwrap_or("")
        ));
    }
    csv
}

#[test]
fn day_month_order_is_decided_from_the_data_or_asked() {
    use ingest::DateOrder;
    let evs = events();
    let want = expected(&evs);
    // the sample's 21 days include days over 12, which decide the order
    let dmy = csv_with_times(&evs, |y, m, d, hms| format!("{d}/{m}/{y} {hms}"));
    check("dmy", dmy.as_bytes(), PROPS, "csv", "", &want);
    let mdy = csv_with_times(&evs, |y, m, d, hms| format!("{m}/{d}/{y} {hms}"));
    check("mdy", mdy.as_bytes(), PROPS, "csv", "", &want);
    let dots = csv_with_times(&evs, |y, m, d, hms| format!("{d}.{m}.{y} {hms}"));
    check("d.m.y", dots.as_bytes(), PROPS, "csv", "", &want);
    let cn = csv_with_times(&evs, |y, m, d, hms| {
        format!(
            "{y}年{}月{}日 {hms}",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        )
    });
    check("年月日", cn.as_bytes(), PROPS, "csv", "", &want);
    let slash = csv_with_times(&evs, |y, m, d, hms| {
        format!(
            "{y}/{}/{} {hms}",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        )
    });
    check("y/m/d", slash.as_bytes(), PROPS, "csv", "", &want);

    // only the days 1 to 12: ambiguous, a keyed error; the option reads it
    let early: Vec<Ev> = evs
        .iter()
        .filter(|e| format_rfc3339(e.time)[8..10].parse::<u32>().unwrap() <= 12)
        .map(|e| Ev {
            user: e.user.clone(),
            event: e.event.clone(),
            time: e.time,
            props: e.props.clone(),
            revenue: e.revenue,
        })
        .collect();
    assert!(!early.is_empty() && early.len() < evs.len());
    let text = csv_with_times(&early, |y, m, d, hms| format!("{d}/{m}/{y} {hms}"));
    let err = load_with(text.as_bytes(), &LoadOptions::default()).unwrap_err();
    match &err {
        loupe::engine::Error::Spec {
            field, key, params, ..
        } => {
            assert_eq!(
                (field.as_str(), *key),
                ("date_order", "date_order_ambiguous")
            );
            assert_eq!(params[0], ("column", "timestamp".to_string()));
        }
        other => panic!("{other}"),
    }
    let opts = |o| LoadOptions {
        date_order: Some(o),
        ..Default::default()
    };
    let d = load_with(text.as_bytes(), &opts(DateOrder::Dmy)).unwrap();
    assert_eq!(rows(&d, PROPS), expected(&early));
    // read the other way round, every date is another day (or none): not the same events
    let d = load_with(text.as_bytes(), &opts(DateOrder::Mdy)).unwrap();
    assert_ne!(rows(&d, PROPS), expected(&early));

    // both orders in one column: an error naming one of each
    let mixed = "user_id,event,timestamp\nu1,a,13/01/2024\nu2,a,01/13/2024\nu3,a,01/01/2024\n";
    let err = load_with(mixed.as_bytes(), &LoadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("13/01/2024") && msg.contains("01/13/2024"),
        "{msg}"
    );
    // chosen: the row that does not fit is rejected as a bad time, at its line
    let d = load_with(mixed.as_bytes(), &opts(DateOrder::Dmy)).unwrap();
    let r = &d.report;
    assert_eq!((r.imported, r.rejected), (2, 1));
    assert_eq!(
        (r.reject_samples[0].line, r.reject_samples[0].reason),
        (3, RejectReason::BadTime)
    );

    // a time column of which no value is a timestamp is reported, not guessed
    let text = "user_id,event,timestamp\nu1,a,soon\nu2,b,later\n";
    let err = load_with(text.as_bytes(), &LoadOptions::default()).unwrap_err();
    match &err {
        loupe::engine::Error::Spec { key, params, .. } => {
            assert_eq!(*key, "time_column_unreadable");
            assert_eq!(
                params[..],
                [
                    ("column", "timestamp".to_string()),
                    ("example", "soon".to_string())
                ]
            );
        }
        other => panic!("{other}"),
    }
    // one unreadable value among readable ones is a rejected row, as before
    let text = "user_id,event,timestamp\nu1,a,soon\nu2,b,2024-01-05\n";
    let r = load_with(text.as_bytes(), &LoadOptions::default())
        .unwrap()
        .report;
    assert_eq!((r.imported, r.rejected), (1, 1));
}
