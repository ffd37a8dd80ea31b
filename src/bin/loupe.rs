//! `loupe`: the native command line, running the same engine as the app.
//!
//! ```text
//! loupe run --spec SPEC.json FILE      print the result of an analysis as JSON (--csv: a table)
//! loupe inspect FILE [--json]          what was imported, rejected and detected
//! loupe sample --out FILE.csv          write the built-in demo data as CSV
//! loupe bench FILE                     time the load and the reference analyses
//! ```
//! FILE is CSV/TSV, JSON lines or a JSON array, optionally gzipped, or `@sample` for the
//! built-in demo data. Import options: `--user-col NAME`,
//! `--event-col NAME`, `--time-col NAME`, `--delimiter C`, `--naive-tz +08:00`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main(std::env::args().skip(1).collect()));
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use loupe::engine::analysis::{self, Query};
    use loupe::engine::ingest::{self, Dataset, LoadOptions};
    use loupe::engine::overview::overview;
    use loupe::engine::sample::{self, SampleOptions};
    use loupe::engine::time::TimeZone;
    use loupe::protocol::{Reply, Request, Session};
    use std::io::{IsTerminal, Write};

    const USAGE: &str = "usage:
  loupe run --spec SPEC.json|'{json}' FILE [--csv] [import options]
  loupe inspect FILE [--json] [import options]
  loupe sample --out FILE.csv [--users N] [--days N] [--seed N]
  loupe bench FILE [--runs N]    load time and median analysis times (reference queries)
FILE: CSV/TSV, JSON lines or a JSON array (Mixpanel, PostHog, Segment exports), optionally
gzipped; @sample for the built-in demo data.
import options: --user-col NAME --event-col NAME --time-col NAME --delimiter C --naive-tz ZONE
(ZONE: UTC, +08:00 or Asia/Shanghai; how timestamps without a zone are read)";

    struct Args {
        positional: Vec<String>,
        flags: Vec<(String, Option<String>)>,
    }

    impl Args {
        fn parse(raw: Vec<String>) -> Result<Args, String> {
            let valued = [
                "--spec",
                "--out",
                "--users",
                "--days",
                "--seed",
                "--user-col",
                "--event-col",
                "--time-col",
                "--delimiter",
                "--naive-tz",
                "--runs",
            ];
            let mut a = Args {
                positional: Vec::new(),
                flags: Vec::new(),
            };
            let mut it = raw.into_iter();
            while let Some(s) = it.next() {
                if let Some((k, v)) = s.split_once('=').filter(|_| s.starts_with("--")) {
                    a.flags.push((k.to_string(), Some(v.to_string())));
                } else if valued.contains(&s.as_str()) {
                    let v = it.next().ok_or(format!("{s} needs a value"))?;
                    a.flags.push((s, Some(v)));
                } else if s.starts_with("--") {
                    a.flags.push((s, None));
                } else {
                    a.positional.push(s);
                }
            }
            Ok(a)
        }
        fn get(&self, k: &str) -> Option<&str> {
            self.flags
                .iter()
                .find(|f| f.0 == k)
                .and_then(|f| f.1.as_deref())
        }
        fn has(&self, k: &str) -> bool {
            self.flags.iter().any(|f| f.0 == k)
        }
        fn check(&self, allowed: &[&str]) -> Result<(), String> {
            match self.flags.iter().find(|f| !allowed.contains(&f.0.as_str())) {
                Some(f) => Err(format!("unknown option {}", f.0)),
                None => Ok(()),
            }
        }
        fn number(&self, k: &str, default: u64) -> Result<u64, String> {
            self.get(k)
                .map(|v| {
                    v.parse()
                        .map_err(|_| format!("{k} expects a number, got \"{v}\""))
                })
                .unwrap_or(Ok(default))
        }
    }

    const IMPORT: [&str; 5] = [
        "--user-col",
        "--event-col",
        "--time-col",
        "--delimiter",
        "--naive-tz",
    ];

    fn load(args: &Args, path: &str) -> Result<Dataset, String> {
        if path == "@sample" {
            return Ok(sample::dataset(&SampleOptions::default()));
        }
        let delimiter = match args.get("--delimiter") {
            None => None,
            Some("\\t") | Some("tab") => Some('\t'),
            Some(d) if d.chars().count() == 1 => d.chars().next(),
            Some(d) => return Err(format!("--delimiter expects one character, got \"{d}\"")),
        };
        let naive_timezone = match args.get("--naive-tz") {
            None => None,
            Some(z) => {
                Some(TimeZone::parse(z).ok_or(format!("--naive-tz: \"{z}\" is not UTC, an offset like +08:00 or a zone like Asia/Shanghai"))?)
            }
        };
        let opts = LoadOptions {
            delimiter,
            user_column: args.get("--user-col").map(str::to_owned),
            event_column: args.get("--event-col").map(str::to_owned),
            time_column: args.get("--time-col").map(str::to_owned),
            naive_timezone,
        };
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let size = file.metadata().ok().map(|m| m.len());
        let show = std::io::stderr().is_terminal();
        let result = ingest::load(
            std::io::BufReader::with_capacity(1 << 20, file),
            size,
            &opts,
            &mut |p| {
                if show {
                    eprint!("\rreading {path}: {} rows, {} MB", p.rows, p.bytes >> 20);
                }
                true
            },
        );
        if show {
            eprint!("\r\x1b[K");
        }
        result.map_err(|e| format!("{path}: {e}"))
    }

    fn run(args: Vec<String>) -> Result<(), String> {
        let mut it = args.into_iter();
        let cmd = it.next().ok_or(USAGE)?;
        let args = Args::parse(it.collect())?;
        let file = || -> Result<&str, String> {
            match args.positional.as_slice() {
                [f] => Ok(f),
                [] => Err(format!("missing FILE\n{USAGE}")),
                _ => Err(format!(
                    "expected one FILE, got {}",
                    args.positional.join(" ")
                )),
            }
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        match cmd.as_str() {
            "run" => {
                args.check(&[&["--spec", "--csv"], &IMPORT[..]].concat())?;
                let spec_arg = args
                    .get("--spec")
                    .ok_or(format!("run needs --spec\n{USAGE}"))?;
                let json = if spec_arg.trim_start().starts_with('{') {
                    spec_arg.to_string()
                } else {
                    std::fs::read_to_string(spec_arg).map_err(|e| format!("{spec_arg}: {e}"))?
                };
                let query = Query::from_json(&json).map_err(|e| e.to_string())?;
                let data = load(&args, file()?)?;
                // the same session the worker runs, so the CLI answers exactly as the app
                let mut session = Session::new();
                session.loaded(data, String::new(), 0.0, 0);
                let t0 = std::time::Instant::now();
                let clock = move || t0.elapsed().as_secs_f64() * 1e3;
                let output = match session.handle(
                    Request::Run {
                        query: Box::new(query),
                    },
                    &clock,
                ) {
                    Reply::Result(r) => r.output,
                    Reply::Error(e) => return Err(e.to_string()),
                    other => return Err(format!("unexpected reply {other:?}")),
                };
                for w in &output.warnings {
                    eprintln!("warning: {}: {}", w.field, w.message);
                }
                if args.has("--csv") {
                    let _ = out.write_all(analysis::table::csv(&output.result).as_bytes());
                    return Ok(());
                }
                // the result's own fields, then what was resolved and any warnings
                let mut v = serde_json::to_value(&output.result).map_err(|e| e.to_string())?;
                if let Some(m) = v.as_object_mut() {
                    m.insert(
                        "warnings".into(),
                        serde_json::to_value(&output.warnings).unwrap_or_default(),
                    );
                    m.insert(
                        "date_range_resolved".into(),
                        serde_json::to_value(&output.range).unwrap_or_default(),
                    );
                }
                serde_json::to_writer_pretty(&mut out, &v).map_err(|e| e.to_string())?;
            }
            "inspect" => {
                args.check(&[&["--json"], &IMPORT[..]].concat())?;
                let data = load(&args, file()?)?;
                let o = overview(&data.store, &data.report);
                if args.has("--json") {
                    serde_json::to_writer_pretty(&mut out, &o).map_err(|e| e.to_string())?;
                } else {
                    let _ = writeln!(
                        out,
                        "rows {}  imported {}  duplicates {}  rejected {}",
                        o.rows_in, o.imported, o.duplicates, o.rejected
                    );
                    let _ = writeln!(out, "users {}  events {}", o.users, o.events);
                    let _ = writeln!(
                        out,
                        "from {} to {}",
                        o.first_event.as_deref().unwrap_or("-"),
                        o.last_event.as_deref().unwrap_or("-")
                    );
                    let c = &o.columns;
                    let _ = writeln!(
                        out,
                        "columns: user={} event={} time={}",
                        c.user, c.event, c.time
                    );
                    let _ = writeln!(out, "events:");
                    for e in &o.event_names {
                        let _ =
                            writeln!(out, "  {:>10}  {:>8} users  {}", e.events, e.users, e.name);
                    }
                    let _ = writeln!(out, "properties:");
                    for p in &o.properties {
                        let top: Vec<String> = p
                            .top
                            .iter()
                            .take(5)
                            .map(|(v, n)| format!("{v} ({n})"))
                            .collect();
                        let _ = writeln!(
                            out,
                            "  {} [{}, {} distinct]: {}",
                            p.name,
                            p.kind,
                            p.distinct,
                            top.join(", ")
                        );
                    }
                    for r in &o.rejected_by_reason {
                        let _ = writeln!(out, "rejected {:>8}  {}", r.rows, r.description);
                    }
                    for s in o.reject_samples.iter().take(20) {
                        let _ = writeln!(out, "  line {}: {} ({})", s.line, s.reason, s.detail);
                    }
                }
            }
            "sample" => {
                args.check(&["--out", "--users", "--days", "--seed"])?;
                let d = SampleOptions::default();
                let opts = SampleOptions {
                    users: args.number("--users", d.users as u64)? as u32,
                    days: args.number("--days", d.days as u64)? as u32,
                    seed: args.number("--seed", d.seed)?,
                    ..d
                };
                let path = args
                    .get("--out")
                    .ok_or(format!("sample needs --out FILE\n{USAGE}"))?;
                let f = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
                sample::write_csv(&opts, f).map_err(|e| format!("{path}: {e}"))?;
                return Ok(());
            }
            "bench" => {
                args.check(&[&["--runs"], &IMPORT[..]].concat())?;
                let runs = args.number("--runs", 5)?.max(1) as usize;
                let path = file()?;
                let t0 = std::time::Instant::now();
                let data = load(&args, path)?;
                let load_ms = t0.elapsed().as_secs_f64() * 1e3;
                let specs = [
                    (
                        "funnel",
                        r#"{"analysis":"funnel","steps":[{"event":"signup"},{"event":"view_item"},{"event":"add_to_cart"},{"event":"purchase"}],"window":{"value":7,"unit":"day"},"entry":"first","ties":"strictly_later"}"#,
                    ),
                    (
                        "retention",
                        r#"{"analysis":"retention","period":"day","periods":30}"#,
                    ),
                    (
                        "segmentation",
                        r#"{"analysis":"trends","series":[{"event":"view_item"},{"event":"view_item","measure":"users"}],"breakdown":{"properties":["country"],"limit":0}}"#,
                    ),
                    ("lifecycle", r#"{"analysis":"lifecycle","interval":"week"}"#),
                    // PostHog's stickiness: users by number of active days
                    ("posthog_stickiness", r#"{"analysis":"stickiness"}"#),
                    // the `stickiness` block of queries.sql: DAU and MAU per day
                    ("stickiness", r#"{"analysis":"active_users"}"#),
                    ("rfm", r#"{"analysis":"rfm"}"#),
                ];
                let mut timings = serde_json::Map::new();
                for (name, json) in specs {
                    let spec = Query::from_json(json).map_err(|e| e.to_string())?;
                    let mut ms: Vec<f64> = (0..runs)
                        .map(|_| {
                            let t = std::time::Instant::now();
                            let r = analysis::run(&data.store, &spec);
                            let e = t.elapsed().as_secs_f64() * 1e3;
                            r.map(|_| e)
                        })
                        .collect::<Result<_, _>>()
                        .map_err(|e| format!("{name}: {e}"))?;
                    ms.sort_by(f64::total_cmp);
                    timings.insert(format!("{name}_ms"), ms[ms.len() / 2].into());
                }
                let events = data.store.len().max(1);
                let report = serde_json::json!({
                    "engine": "loupe-native",
                    "file": path,
                    "events": data.store.len(),
                    "users": data.store.user_count(),
                    "bytes": data.report.bytes,
                    "load_ms": load_ms,
                    "median_of_runs": runs,
                    "timings": timings,
                    "store_bytes": data.store.heap_bytes(),
                    "store_bytes_per_event": data.store.heap_bytes() as f64 / events as f64,
                });
                serde_json::to_writer(&mut out, &report).map_err(|e| e.to_string())?;
            }
            "help" | "--help" | "-h" => {
                let _ = writeln!(out, "{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown command \"{other}\"\n{USAGE}")),
        }
        let _ = writeln!(out);
        Ok(())
    }

    /// Runs the CLI and returns the process exit code.
    pub fn main(args: Vec<String>) -> i32 {
        match run(args) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("loupe: {e}");
                2
            }
        }
    }
}
