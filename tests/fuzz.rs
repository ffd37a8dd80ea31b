//! Ingest fuzzing on stable Rust: a seeded mutation fuzzer over every loader (delimited
//! text, JSON lines in the vendor shapes, JSON arrays, gzip, zip, UTF-16 and GBK text), plus generated files whose
//! row count is known by construction.
//!
//! Every input goes through `fuzz/harness.rs` (the same check the cargo-fuzz targets run):
//! no panic, no hang (each input has [`HANG`] to finish), and every row accounted for. The
//! generated files add an independent count: a CSV of `n` records (quoted delimiters, quotes
//! and newlines inside cells, wrong field counts, empty and malformed cells) must read as
//! exactly `n` rows with exactly the valid ones imported, and the same for JSON lines with
//! broken lines and non-objects.
//!
//! `make test` runs it for a few seconds (`LOUPE_FUZZ_SECS`, default 10); `make fuzz` runs it
//! for longer in release mode beside the coverage-guided targets. A failing input is written
//! to `target/fuzz-failures/` and named in the failure.

#[path = "../fuzz/harness.rs"]
mod harness;

use flate2::write::GzEncoder;
use flate2::Compression;
use loupe::engine::ingest::{LoadOptions, RejectReason};
use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one input may take before it counts as a hang (generous: debug builds).
const HANG: Duration = Duration::from_secs(20);

/// A small seeded generator (xorshift64*), so a failure replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Bytes that steer the loaders into their edge cases.
const INTERESTING: &[u8] = b"\",;|\t\n\r{}[]:\\ 0-.eE\x00\xff\xef\xbb\xbf\xfe";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

const CSV: &str = "user_id,event,timestamp,country,revenue\n\
u1,signup,2024-01-05T10:00:00Z,CN,\n\
u1,\"view, item\",2024-01-05 10:05:00,\"C\"\"N\",\n\
u2,purchase,1704448800,US,12.5\n\
u2,purchase,1704448800123,US,\"line\nbreak\"\n\
,signup,2024-01-06T00:00:00+08:00,US,\n\
u3,,2024-01-06,JP,\n\
u4,signup,yesterday,JP,\n\
u5,signup,2024-01-07T00:00:00Z\n";

const NDJSON_MIXPANEL: &str = "{\"event\":\"signup\",\"properties\":{\"time\":1704448800,\"distinct_id\":\"u1\",\"$insert_id\":\"a\",\"plan\":\"pro\"}}\n\
{\"event\":\"buy\",\"properties\":{\"time\":1704448800123,\"distinct_id\":\"u1\",\"$insert_id\":\"b\",\"n\":[1,2]}}\n\
{\"event\":\"buy\",\"properties\":{\"time\":1704448800123,\"distinct_id\":\"u1\",\"$insert_id\":\"b\"}}\n\
{not json}\n\
[1,2]\n";

const NDJSON_AMPLITUDE: &str = "{\"event_type\":\"open\",\"event_time\":\"2024-01-05 10:00:00.123456\",\"user_id\":null,\"device_id\":\"d1\",\"insert_id\":\"x\",\"event_properties\":{\"a\":{\"b\":1}}}\n\
{\"event_type\":\"open\",\"event_time\":\"2024-01-05 11:00:00.000000\",\"user_id\":\"u9\",\"device_id\":\"d1\",\"insert_id\":\"y\"}\n";

const NDJSON_GA4: &str = "{\"event_name\":\"page_view\",\"event_timestamp\":\"1704448800123456\",\"user_pseudo_id\":\"p1\",\"event_params\":[{\"key\":\"page\",\"value\":{\"string_value\":\"/a\"}},{\"key\":\"n\",\"value\":{\"int_value\":3}}],\"geo\":{\"country\":\"CN\"}}\n";

const NDJSON_SENSORS: &str = "{\"distinct_id\":\"s1\",\"event\":\"$pageview\",\"time\":1704448800123,\"type\":\"track\",\"_track_id\":7,\"properties\":{\"$os\":\"iOS\"}}\n\
{\"distinct_id\":\"s1\",\"type\":\"profile_set\",\"time\":1704448800123,\"properties\":{\"vip\":true}}\n\
{\"distinct_id\":\"s1\",\"type\":\"item_set\",\"time\":1704448800123}\n";

const JSON_ARRAY: &str = "[{\"event\":\"a\",\"distinct_id\":\"u1\",\"timestamp\":\"2024-01-05T10:00:00Z\",\"properties\":{\"x\":\"]\"}},\
{\"event\":\"b\",\"distinct_id\":\"u2\",\"timestamp\":\"2024-01-05T11:00:00Z\"}, 7]";

/// The seed inputs: one per loader, container and encoding.
fn seeds() -> Vec<Vec<u8>> {
    let semicolon =
        "user;event;time;amount\nu1;buy;2024-01-05 10:00;1,5\nu2;buy;2024-01-05 11:00;\"2;0\"\n";
    let tsv = "uid\tevent_name\tevent_time\nu1\topen\t2024-01-05T10:00:00Z\n";
    let gbk = encoding_rs::GBK
        .encode("用户id,事件,时间,城市\nu1,注册,2024-01-05 10:00:00,北京\nu2,购买,2024-01-05 11:00:00,上海\n")
        .0
        .into_owned();
    let mut two_members = gzip(CSV.as_bytes());
    two_members.extend(gzip(b"u9,late,2024-01-08T00:00:00Z,CN,\n"));
    vec![
        CSV.as_bytes().to_vec(),
        semicolon.as_bytes().to_vec(),
        tsv.as_bytes().to_vec(),
        NDJSON_MIXPANEL.as_bytes().to_vec(),
        NDJSON_AMPLITUDE.as_bytes().to_vec(),
        NDJSON_GA4.as_bytes().to_vec(),
        NDJSON_SENSORS.as_bytes().to_vec(),
        JSON_ARRAY.as_bytes().to_vec(),
        gbk,
        utf16le(CSV),
        gzip(NDJSON_MIXPANEL.as_bytes()),
        two_members,
        zip_of(&[("a.csv", CSV.as_bytes()), ("b.csv", CSV.as_bytes())]),
        zip_of(&[
            ("export/1.json.gz", &gzip(NDJSON_AMPLITUDE.as_bytes())),
            ("export/2.json.gz", &gzip(NDJSON_AMPLITUDE.as_bytes())),
        ]),
    ]
}

/// One random change to `data`, sometimes using bytes of `other`.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let len = data.len();
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(INTERESTING);
        }
        2 => {
            let i = rng.below(len + 1);
            let n = 1 + rng.below(8);
            for k in 0..n {
                let b = if rng.chance(2) {
                    *rng.pick(INTERESTING)
                } else {
                    rng.next() as u8
                };
                data.insert(i + k, b);
            }
        }
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            data.drain(i..i + n);
        }
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(256));
            let copy = data[i..i + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, copy);
        }
        5 if !other.is_empty() => {
            let i = rng.below(other.len());
            let n = 1 + rng.below((other.len() - i).min(512));
            let at = rng.below(len + 1);
            data.splice(at..at, other[i..i + n].iter().copied());
        }
        6 if len > 0 => data.truncate(rng.below(len)),
        _ => {
            // widen a number: big, negative and fractional magnitudes for timestamps
            let at = rng.below(len + 1);
            let n = rng.pick(&["9999999999999999999", "-1", "1e308", "0.5", "NaN"]);
            data.splice(at..at, n.bytes());
        }
    }
}

/// Runs the harness on `data` in a thread with [`HANG`] to finish; a panic, a hang or a
/// broken invariant writes the input to `target/fuzz-failures/` and fails the test.
fn run_one(
    data: Vec<u8>,
    opts: &LoadOptions,
    label: &str,
) -> Option<loupe::engine::ingest::ImportReport> {
    let (tx, rx) = mpsc::channel();
    let input = data.clone();
    let o = opts.clone();
    std::thread::spawn(move || {
        let _ = tx.send(harness::check(&input, &o));
    });
    let problem = match rx.recv_timeout(HANG) {
        Ok(Ok(report)) => return report,
        Ok(Err(broken)) => broken,
        Err(mpsc::RecvTimeoutError::Timeout) => format!("no answer within {HANG:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => "the loader panicked".to_string(),
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{label}.bin"));
    std::fs::write(&path, &data).unwrap();
    panic!("{label}: {problem}; input written to {}", path.display());
}

fn budget() -> Duration {
    let secs = std::env::var("LOUPE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs)
}

fn seed() -> u64 {
    std::env::var("LOUPE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234)
}

#[test]
fn mutated_files_load_or_fail_cleanly_and_account_for_every_row() {
    let seeds = seeds();
    let opts = LoadOptions::default();
    for (i, s) in seeds.iter().enumerate() {
        let r = run_one(s.clone(), &opts, &format!("seed-{i}"));
        assert!(r.is_some_and(|r| r.imported > 0), "seed {i} must load");
    }
    let mut rng = Rng(seed());
    let (start, budget) = (Instant::now(), budget());
    let mut runs = 0u64;
    while start.elapsed() < budget {
        let which = rng.below(seeds.len());
        let mut data = seeds[which].clone();
        let other = rng.pick(&seeds).clone();
        for _ in 0..1 + rng.below(6) {
            mutate(&mut rng, &mut data, &other);
        }
        // a mutated text inside a gzip stream too, so the loaders behind it see the change
        if rng.chance(6) {
            data = gzip(&data);
        }
        run_one(data, &opts, &format!("mutant-{:x}-{runs}", seed()));
        runs += 1;
    }
    eprintln!(
        "fuzz: {runs} mutated inputs in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(runs > 0);
}

/// A cell of the generated CSV: its text as written, and whether it is a valid value for
/// the role it fills.
fn csv_cell(rng: &mut Rng, pool: &[&str]) -> String {
    let text = *rng.pick(pool);
    if text.contains([',', '"', '\n', '\r']) || rng.chance(5) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

const GOOD_TIMES: &[&str] = &[
    "2024-01-05T10:00:00Z",
    "2024-01-05 10:00:00",
    "2024-02-29T23:59:59.999+08:00",
    "1704448800",
    "1704448800123",
];
const BAD_TIMES: &[&str] = &["yesterday", "2024-13-45", "12:00", "--"];
const NAMES: &[&str] = &[
    "u1",
    "用户2",
    "a,b",
    "say \"hi\"",
    "two\nlines",
    "x\r\ny",
    "tab\there",
];

#[test]
fn generated_csv_reads_exactly_its_records() {
    let mut rng = Rng(seed() ^ 0xC5F);
    let (start, budget) = (Instant::now(), budget() / 2);
    let mut files = 0;
    while start.elapsed() < budget || files < 5 {
        let n = 1 + rng.below(300);
        let mut text = String::from("user_id,event,timestamp,note\n");
        let (mut valid, mut field_count, mut missing) = (0u64, 0u64, [0u64; 3]);
        let mut bad_time = 0u64;
        for row in 0..n {
            // the first record is whole: a time column none of whose sampled values is a
            // timestamp refuses the file (time_column_unreadable) instead of every row
            let user_empty = row > 0 && rng.chance(15);
            let event_empty = row > 0 && rng.chance(15);
            let time = if row == 0 { 2 } else { rng.below(20) };
            let user = if user_empty {
                String::new()
            } else {
                csv_cell(&mut rng, NAMES)
            };
            let event = if event_empty {
                String::new()
            } else {
                csv_cell(&mut rng, NAMES)
            };
            let time_cell = match time {
                0 => String::new(),
                1 => csv_cell(&mut rng, BAD_TIMES),
                _ => csv_cell(&mut rng, GOOD_TIMES),
            };
            let mut cells = vec![user, event, time_cell, csv_cell(&mut rng, NAMES)];
            let wrong = row > 0 && rng.chance(12);
            if wrong {
                if rng.chance(2) {
                    cells.pop();
                } else {
                    cells.push("extra".into());
                }
            }
            text.push_str(&cells.join(","));
            text.push_str(if rng.chance(4) { "\r\n" } else { "\n" });
            if wrong {
                field_count += 1;
            } else if user_empty {
                missing[0] += 1;
            } else if event_empty {
                missing[1] += 1;
            } else if time == 0 {
                missing[2] += 1;
            } else if time == 1 {
                bad_time += 1;
            } else {
                valid += 1;
            }
        }
        let label = format!("csv-{:x}-{files}", seed());
        let r = run_one(text.into_bytes(), &LoadOptions::default(), &label)
            .unwrap_or_else(|| panic!("{label}: a well-formed CSV was refused"));
        let reason = |k| r.rejected_by_reason.get(&k).copied().unwrap_or(0);
        assert_eq!(r.rows_in, n as u64, "{label}: records read");
        assert_eq!(r.imported, valid, "{label}: imported");
        assert_eq!(
            reason(RejectReason::FieldCount),
            field_count,
            "{label}: field count"
        );
        assert_eq!(
            reason(RejectReason::MissingUser),
            missing[0],
            "{label}: no user"
        );
        assert_eq!(
            reason(RejectReason::MissingEvent),
            missing[1],
            "{label}: no event"
        );
        assert_eq!(
            reason(RejectReason::MissingTime),
            missing[2],
            "{label}: no time"
        );
        assert_eq!(reason(RejectReason::BadTime), bad_time, "{label}: bad time");
        files += 1;
    }
}

#[test]
fn generated_json_lines_read_exactly_their_lines() {
    let mut rng = Rng(seed() ^ 0x15_0A);
    let (start, budget) = (Instant::now(), budget() / 2);
    let mut files = 0;
    while start.elapsed() < budget || files < 5 {
        let n = 1 + rng.below(300);
        let (mut valid, mut bad_json, mut not_object, mut no_user) = (0u64, 0u64, 0u64, 0u64);
        let mut text = String::new();
        for i in 0..n {
            let user = serde_json::to_string(rng.pick(NAMES)).unwrap();
            let event = serde_json::to_string(rng.pick(NAMES)).unwrap();
            let time = serde_json::to_string(rng.pick(GOOD_TIMES)).unwrap();
            // the first line is whole, so the roles are found
            let kind = if i == 0 { 0 } else { rng.below(8) };
            let line = match kind {
                1 => {
                    bad_json += 1;
                    format!("{{\"distinct_id\":{user},\"event\":{event}")
                }
                2 => {
                    not_object += 1;
                    rng.pick(&["[1,2]", "42", "\"text\"", "null", "true"])
                        .to_string()
                }
                3 => {
                    no_user += 1;
                    format!("{{\"event\":{event},\"timestamp\":{time},\"p\":{{\"q\":[{{}}]}}}}")
                }
                _ => {
                    valid += 1;
                    format!(
                        "{{\"distinct_id\":{user},\"event\":{event},\"timestamp\":{time},\"props\":{{\"a\":{{\"b\":{}}}}}}}",
                        rng.next() % 1000
                    )
                }
            };
            text.push_str(&line);
            text.push('\n');
        }
        let label = format!("ndjson-{:x}-{files}", seed());
        let r = run_one(text.into_bytes(), &LoadOptions::default(), &label)
            .unwrap_or_else(|| panic!("{label}: well-formed JSON lines were refused"));
        let reason = |k| r.rejected_by_reason.get(&k).copied().unwrap_or(0);
        assert_eq!(r.rows_in, n as u64, "{label}: lines read");
        assert_eq!(r.imported, valid, "{label}: imported");
        assert_eq!(reason(RejectReason::BadJson), bad_json, "{label}: bad JSON");
        assert_eq!(
            reason(RejectReason::NotAnObject),
            not_object,
            "{label}: not an object"
        );
        assert_eq!(
            reason(RejectReason::MissingUser),
            no_user,
            "{label}: no user"
        );
        files += 1;
    }
}

/// Writes the seed inputs into `$LOUPE_FUZZ_CORPUS/<target>/` for each cargo-fuzz target
/// named in `$LOUPE_FUZZ_TARGETS` (space separated); `make fuzz` runs it first.
#[test]
#[ignore = "run by make fuzz"]
fn write_corpus() {
    let root = std::env::var("LOUPE_FUZZ_CORPUS").expect("LOUPE_FUZZ_CORPUS");
    let targets = std::env::var("LOUPE_FUZZ_TARGETS").expect("LOUPE_FUZZ_TARGETS");
    for target in targets.split_whitespace() {
        let dir = std::path::Path::new(&root).join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, s) in seeds().iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), s).unwrap();
        }
    }
}
