//! `loupe`: the native command line, running the same engine as the app.
//!
//! ```text
//! loupe inspect FILE... [--json]             what was imported, rejected and detected
//! loupe run --spec SPEC FILE... [--csv]      the result of an analysis as JSON (or a table)
//! loupe sql --spec SPEC --dialect D [--from T]   the same analysis as one SQL query
//! loupe sample [--out FILE.csv]              the built-in demo data as CSV
//! loupe bench FILE... [--runs N]             load time and reference analysis times
//! ```
//! FILE is CSV/TSV, JSON lines or a JSON array, optionally gzipped or zipped, Parquet, or
//! `@sample` for the built-in demo data; several files are one dataset. `loupe COMMAND --help` documents each
//! command; exit codes: 0 success, 1 internal error, 2 bad usage, 3 bad input or spec.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{Args, Parser, Subcommand, ValueEnum};
    use loupe::engine::analysis::{self, Query};
    use loupe::engine::ingest::{self, Dataset, DateOrder, HeaderMode, Identity, LoadOptions};
    use loupe::engine::overview::overview;
    use loupe::engine::sample::{self, SampleOptions};
    use loupe::engine::sql::{self, Dialect};
    use loupe::engine::time::TimeZone;
    use loupe::protocol::{Reply, Request, Session};
    use std::io::{IsTerminal, Write};

    const EXIT_CODES: &str = "Exit codes: 0 success, 1 internal error, 2 bad usage (unknown \
command or option, missing argument), 3 bad input or spec (unreadable file, invalid spec, \
an analysis or option SQL cannot express).";

    const FILES: &str = "FILE: CSV/TSV, JSON lines or a JSON array (Mixpanel, PostHog, \
Segment, Amplitude, GA4 BigQuery, Sensors Data and Snowplow exports recognised), optionally \
gzipped or in a zip; Parquet (snappy, gzip, lz4 or uncompressed); @sample for the built-in demo data. Several files \
are one dataset when their columns map to the same roles (user, event, time): each is read \
on its own, in any format and column order, with its own property columns.";

    /// Product analytics on an event export: the same engine and specs as the Loupe app.
    #[derive(Parser)]
    #[command(name = "loupe", version, after_help = EXIT_CODES)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// What was imported, rejected and detected (columns, events, properties).
        #[command(after_help = format!("{FILES}\n\n{EXIT_CODES}"))]
        Inspect {
            /// The files of one dataset.
            #[arg(required = true, value_name = "FILE")]
            files: Vec<String>,
            /// Print the overview as JSON.
            #[arg(long)]
            json: bool,
            /// Print, as JSON, what the first 64 KiB of the (one) file show instead of
            /// loading it: container, format, encoding, delimiter, header line, each
            /// column's role and type, the first 10 rows (the app's mapping step).
            #[arg(long)]
            sniff: bool,
            /// Also write the rejected rows kept (the first 1000: file, line, reason, detail)
            /// to this CSV file.
            #[arg(long, value_name = "CSV")]
            rejects: Option<String>,
            #[command(flatten)]
            import: Import,
        },
        /// Run an analysis spec and print its result as JSON (or `--csv`: the table of the
        /// app's CSV download).
        #[command(after_help = format!("SPEC: a JSON spec (docs/specs.md) or the path of a file holding one.\n{FILES}\n\n{EXIT_CODES}"))]
        Run {
            /// The spec: JSON text starting with `{`, or a file.
            #[arg(long, value_name = "SPEC")]
            spec: String,
            /// The files of one dataset.
            #[arg(required = true, value_name = "FILE")]
            files: Vec<String>,
            /// Print the result table as CSV instead of JSON.
            #[arg(long)]
            csv: bool,
            #[command(flatten)]
            import: Import,
        },
        /// Print one SQL query that computes the spec's `loupe run --csv` table in DuckDB or
        /// ClickHouse, reading a table with the columns user_id, event, timestamp (a
        /// timestamp type) and one column per property, named as the import names them.
        #[command(after_help = format!("SPEC: a JSON spec (docs/specs.md) or the path of a file holding one. An analysis or option the dialect cannot express is an error (exit 3), never a different query.\n\n{EXIT_CODES}"))]
        Sql {
            /// The spec: JSON text starting with `{`, or a file.
            #[arg(long, value_name = "SPEC")]
            spec: String,
            /// The SQL dialect.
            #[arg(long, value_enum)]
            dialect: DialectArg,
            /// The table (or any table expression, e.g. `read_csv('events.csv')`).
            #[arg(long, value_name = "TABLE", default_value = "events")]
            from: String,
            /// The column holding each row's position in the file (several files: file by
            /// file). Events at one instant are ordered by it as the engine orders them by
            /// the file; analyses and options that depend on that order need it.
            #[arg(long, value_name = "COLUMN")]
            order_col: Option<String>,
        },
        /// Write the built-in demo data as CSV (to standard output without `--out`).
        #[command(after_help = EXIT_CODES)]
        Sample {
            /// The CSV file to write.
            #[arg(long, value_name = "FILE.csv")]
            out: Option<String>,
            /// Users to simulate.
            #[arg(long)]
            users: Option<u32>,
            /// Days of data.
            #[arg(long)]
            days: Option<u32>,
            /// Random seed.
            #[arg(long)]
            seed: Option<u64>,
        },
        /// Time the load and the reference analyses; print one JSON line.
        #[command(after_help = format!("{FILES}\n\n{EXIT_CODES}"))]
        Bench {
            /// The files of one dataset.
            #[arg(required = true, value_name = "FILE")]
            files: Vec<String>,
            /// Runs per analysis (the median is reported).
            #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
            runs: u32,
            /// Time only these analyses (bench names, comma-separated; default all).
            #[arg(long, value_name = "NAMES", value_delimiter = ',')]
            only: Vec<String>,
            #[command(flatten)]
            import: Import,
        },
    }

    /// How a file's columns and timestamps are read (detected when not given).
    #[derive(Args)]
    struct Import {
        /// The user id column.
        #[arg(long, value_name = "NAME")]
        user_col: Option<String>,
        /// The event name column.
        #[arg(long, value_name = "NAME")]
        event_col: Option<String>,
        /// The timestamp column.
        #[arg(long, value_name = "NAME")]
        time_col: Option<String>,
        /// The field delimiter of delimited text (one character, or `tab`).
        #[arg(long, value_name = "C")]
        delimiter: Option<String>,
        /// The zone of timestamps without one: UTC, +08:00 or Asia/Shanghai (default UTC).
        #[arg(long, value_name = "ZONE")]
        naive_tz: Option<String>,
        /// The text encoding: utf-8, gbk, gb18030, shift_jis, utf-16le, utf-16be,
        /// windows-1252, ... (detected when not given).
        #[arg(long, value_name = "NAME")]
        encoding: Option<String>,
        /// Columns whose cells hold JSON objects, expanded into dotted properties
        /// (`event_properties` -> `event_properties.plan`); comma-separated or repeated.
        /// Amplitude's and Snowplow's JSON columns are expanded without it.
        #[arg(long, value_name = "COLUMN", value_delimiter = ',')]
        expand_json: Vec<String>,
        /// Columns not imported at all (no role, no property); comma-separated or
        /// repeated. A name that is not a column is an error.
        #[arg(long, value_name = "COLUMN", value_delimiter = ',')]
        ignore_col: Vec<String>,
        /// Which id is the user where a user id and a device / anonymous id both exist
        /// (default user-or-device).
        #[arg(long, value_enum)]
        identity: Option<IdentityArg>,
        /// How NN/NN/YYYY dates are read: dmy (31/01/2024) or mdy (01/31/2024); decided
        /// from the data when not given.
        #[arg(long, value_enum)]
        date_order: Option<DateOrderArg>,
        /// Whether delimited text starts with a header line: auto (the first row is data
        /// when it holds no known column name and some number or timestamp), yes, or no
        /// (the columns are column_1 … column_n).
        #[arg(long, value_enum, value_name = "WHEN")]
        header: Option<HeaderArg>,
        /// Import options as JSON (the app's "remember" shape, e.g. {"event_column":
        /// "action", "delimiter": ";", "header": "no", "naive_timezone": "+08:00"}); the
        /// flags above override it.
        #[arg(long, value_name = "FILE.json")]
        mapping: Option<String>,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum IdentityArg {
        /// The user id only (rows without one are rejected)
        User,
        /// The device / anonymous id only
        Device,
        /// The user id, else the device / anonymous id
        UserOrDevice,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum DateOrderArg {
        /// Day, month, year
        Dmy,
        /// Month, day, year
        Mdy,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum HeaderArg {
        /// Decided from the first row
        Auto,
        /// The first row names the columns
        Yes,
        /// The first row is data
        No,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum DialectArg {
        /// DuckDB
        Duckdb,
        /// ClickHouse (also chDB)
        Clickhouse,
    }

    /// Why a command failed: bad input (exit 3) or an internal error (exit 1).
    enum Fail {
        Input(String),
        Internal(String),
    }

    impl From<loupe::engine::error::Error> for Fail {
        fn from(e: loupe::engine::error::Error) -> Self {
            Fail::Input(e.to_string())
        }
    }

    fn input(e: impl std::fmt::Display) -> Fail {
        Fail::Input(e.to_string())
    }

    fn internal(e: impl std::fmt::Display) -> Fail {
        Fail::Internal(e.to_string())
    }

    impl Import {
        fn options(&self) -> Result<LoadOptions, Fail> {
            let delimiter = match self.delimiter.as_deref() {
                None => None,
                Some("\\t") | Some("tab") => Some('\t'),
                Some(d) if d.chars().count() == 1 => d.chars().next(),
                Some(d) => {
                    return Err(input(format!(
                        "--delimiter expects one character, got \"{d}\""
                    )))
                }
            };
            let naive_timezone = match self.naive_tz.as_deref() {
                None => None,
                Some(z) => Some(TimeZone::parse(z).ok_or_else(|| {
                    input(format!("--naive-tz: \"{z}\" is not UTC, an offset like +08:00 or a zone like Asia/Shanghai"))
                })?),
            };
            let mut o = match &self.mapping {
                None => LoadOptions::default(),
                Some(path) => {
                    let json = std::fs::read_to_string(path)
                        .map_err(|e| input(format!("--mapping {path}: {e}")))?;
                    serde_json::from_str(&json)
                        .map_err(|e| input(format!("--mapping {path}: {e}")))?
                }
            };
            let or = |flag: &Option<String>, file: &mut Option<String>| {
                if flag.is_some() {
                    file.clone_from(flag);
                }
            };
            or(&self.user_col, &mut o.user_column);
            or(&self.event_col, &mut o.event_column);
            or(&self.time_col, &mut o.time_column);
            or(&self.encoding, &mut o.encoding);
            o.delimiter = delimiter.or(o.delimiter);
            o.naive_timezone = naive_timezone.or(o.naive_timezone);
            if let Some(h) = self.header {
                o.header = match h {
                    HeaderArg::Auto => HeaderMode::Auto,
                    HeaderArg::Yes => HeaderMode::Yes,
                    HeaderArg::No => HeaderMode::No,
                };
            }
            if !self.expand_json.is_empty() {
                o.expand_json.clone_from(&self.expand_json);
            }
            if !self.ignore_col.is_empty() {
                o.ignore_columns.clone_from(&self.ignore_col);
            }
            if let Some(i) = self.identity {
                o.identity = match i {
                    IdentityArg::User => Identity::User,
                    IdentityArg::Device => Identity::Device,
                    IdentityArg::UserOrDevice => Identity::UserOrDevice,
                };
            }
            if let Some(d) = self.date_order {
                o.date_order = Some(match d {
                    DateOrderArg::Dmy => DateOrder::Dmy,
                    DateOrderArg::Mdy => DateOrder::Mdy,
                });
            }
            Ok(o)
        }
    }

    /// Loads the files of one dataset (`@sample`: the demo data), with progress on
    /// standard error when it is a terminal and the input is large.
    fn load(paths: &[String], import: &Import) -> Result<Dataset, Fail> {
        if let [p] = paths {
            if p == "@sample" {
                return Ok(sample::dataset(&SampleOptions::default()));
            }
        }
        let opts = import.options()?;
        let mut sources = Vec::with_capacity(paths.len());
        for path in paths {
            if path == "@sample" {
                return Err(input("@sample cannot be combined with other files"));
            }
            let f = std::fs::File::open(path).map_err(|e| input(format!("{path}: {e}")))?;
            let size = f.metadata().map(|m| m.len()).ok();
            sources.push(ingest::Source {
                name: path.clone(),
                input: f,
                size,
                options: opts.clone(),
            });
        }
        let size: u64 = sources.iter().filter_map(|s| s.size).sum();
        let name = paths.join(" + ");
        let show = std::io::stderr().is_terminal() && size >= 16 << 20;
        let mut report = |p: ingest::Progress| {
            if show {
                eprint!(
                    "\rreading {name}: {} rows, {} of {} MB",
                    p.rows,
                    p.bytes >> 20,
                    p.total_bytes.unwrap_or(0) >> 20
                );
            }
            true
        };
        // each file sniffed and read on its own (a zip archive or a Parquet file through
        // its directory), then appended into one dataset
        let result = ingest::load_files(sources, &mut report);
        if show {
            eprint!("\r\x1b[K");
        }
        result.map_err(|e| match e {
            // an import option (a column, the date order) is named without "invalid spec"
            loupe::engine::error::Error::Spec { field, message, .. } => {
                input(format!("{name}: {field}: {message}"))
            }
            e => input(format!("{name}: {e}")),
        })
    }

    /// The spec given as JSON text or a file.
    fn read_spec(arg: &str) -> Result<Query, Fail> {
        let json = if arg.trim_start().starts_with('{') {
            arg.to_string()
        } else {
            std::fs::read_to_string(arg).map_err(|e| input(format!("{arg}: {e}")))?
        };
        Ok(Query::from_json(&json)?)
    }

    fn run(command: Command, out: &mut dyn Write) -> Result<(), Fail> {
        match command {
            Command::Run {
                spec,
                files,
                csv,
                import,
            } => {
                let query = read_spec(&spec)?;
                let data = load(&files, &import)?;
                // the same session the worker runs, so the CLI answers exactly as the app
                let mut session = Session::new();
                session.loaded(data, String::new(), 0.0, 0);
                let t0 = std::time::Instant::now();
                let clock = move || t0.elapsed().as_secs_f64() * 1e3;
                let request = Request::Run {
                    query: Box::new(query),
                };
                let output = match session.handle(request, &clock) {
                    Reply::Result(r) => r.output,
                    Reply::Error(e) => return Err(input(e)),
                    other => return Err(internal(format!("unexpected reply {other:?}"))),
                };
                for w in &output.warnings {
                    eprintln!("warning: {}: {}", w.field, w.message);
                }
                if csv {
                    out.write_all(analysis::table::csv(&output.result).as_bytes())
                        .map_err(internal)?;
                    return Ok(());
                }
                // the result's own fields, then what was resolved and any warnings
                let mut v = serde_json::to_value(&output.result).map_err(internal)?;
                if let Some(m) = v.as_object_mut() {
                    m.insert(
                        "warnings".into(),
                        serde_json::to_value(&output.warnings).map_err(internal)?,
                    );
                    m.insert(
                        "date_range_resolved".into(),
                        serde_json::to_value(&output.range).map_err(internal)?,
                    );
                }
                serde_json::to_writer_pretty(&mut *out, &v).map_err(internal)?;
                writeln!(out).map_err(internal)
            }
            Command::Sql {
                spec,
                dialect,
                from,
                order_col,
            } => {
                let query = read_spec(&spec)?;
                let dialect = match dialect {
                    DialectArg::Duckdb => Dialect::DuckDb,
                    DialectArg::Clickhouse => Dialect::ClickHouse,
                };
                let table = sql::Table {
                    from: &from,
                    order: order_col.as_deref(),
                };
                let text = sql::render(&query, dialect, table)?;
                writeln!(out, "{text}").map_err(internal)
            }
            Command::Inspect {
                files,
                json,
                sniff,
                rejects,
                import,
            } => {
                if sniff {
                    let [path] = files.as_slice() else {
                        return Err(input("--sniff reads one file"));
                    };
                    let f = std::fs::File::open(path).map_err(|e| input(format!("{path}: {e}")))?;
                    let s = ingest::sniff_file(std::io::BufReader::new(f), &import.options()?)
                        .map_err(|e| input(format!("{path}: {e}")))?;
                    serde_json::to_writer_pretty(&mut *out, &s).map_err(internal)?;
                    return writeln!(out).map_err(internal);
                }
                let data = load(&files, &import)?;
                let o = overview(&data.store, &data.report);
                if let Some(path) = rejects {
                    let described = |code: &str| {
                        o.rejected_by_reason
                            .iter()
                            .find(|r| r.reason == code)
                            .map_or_else(String::new, |r| r.description.clone())
                    };
                    let mut w =
                        csv::Writer::from_path(&path).map_err(|e| input(format!("{path}: {e}")))?;
                    for row in loupe::engine::overview::rejects_table(&o, described) {
                        w.write_record(&row)
                            .map_err(|e| input(format!("{path}: {e}")))?;
                    }
                    w.flush().map_err(|e| input(format!("{path}: {e}")))?;
                }
                if json {
                    serde_json::to_writer_pretty(&mut *out, &o).map_err(internal)?;
                    return writeln!(out).map_err(internal);
                }
                let mut text = format!(
                    "rows {}  imported {}  duplicates {}  rejected {}{}\nusers {}  events {}\nfrom {} to {}\ncolumns: user={}{} event={} time={}\nevents:\n",
                    o.rows_in,
                    o.imported,
                    o.duplicates,
                    o.rejected,
                    if o.set_aside > 0 {
                        format!("  set aside {}", o.set_aside)
                    } else {
                        String::new()
                    },
                    o.users,
                    o.events,
                    o.first_event.as_deref().unwrap_or("-"),
                    o.last_event.as_deref().unwrap_or("-"),
                    o.columns.user,
                    o.columns
                        .user_fallback
                        .as_ref()
                        .map_or(String::new(), |f| format!(" (else {f})")),
                    o.columns.event,
                    o.columns.time
                );
                text.push_str(&format!(
                    "read as: {}{}{}{}\n",
                    o.format,
                    if o.container.is_empty() {
                        String::new()
                    } else {
                        format!(" in {}", o.container)
                    },
                    o.shape
                        .as_ref()
                        .map_or(String::new(), |s| format!(" ({s} shape)")),
                    // Parquet has no text encoding to report
                    if o.encoding.is_empty() {
                        String::new()
                    } else {
                        format!(" encoding {} ({})", o.encoding, o.encoding_source)
                    }
                ));
                for f in &o.files {
                    let how = [f.format.as_str(), &f.container, &f.encoding];
                    let how: Vec<&str> = how.into_iter().filter(|s| !s.is_empty()).collect();
                    text += &format!(
                        "file {} ({}): rows {}  imported {}  duplicates {}  rejected {}\n",
                        f.name,
                        how.join(", "),
                        f.rows_in,
                        f.imported,
                        f.duplicates,
                        f.rejected
                    );
                }
                for e in &o.event_names {
                    text += &format!("  {:>10}  {:>8} users  {}\n", e.events, e.users, e.name);
                }
                text += "properties:\n";
                for p in &o.properties {
                    let top: Vec<String> = p
                        .top
                        .iter()
                        .take(5)
                        .map(|(v, n)| format!("{v} ({n})"))
                        .collect();
                    text += &format!(
                        "  {} [{}, {} distinct]: {}\n",
                        p.name,
                        p.kind,
                        p.distinct,
                        top.join(", ")
                    );
                }
                for r in &o.rejected_by_reason {
                    text += &format!("rejected {:>8}  {}\n", r.rows, r.description);
                }
                for r in &o.set_aside_by_reason {
                    text += &format!("set aside {:>7}  {}\n", r.rows, r.description);
                }
                if o.json_cells_invalid > 0 {
                    text += &format!(
                        "JSON cells kept as text (not valid JSON): {}\n",
                        o.json_cells_invalid
                    );
                }
                for s in o.reject_samples.iter().take(20) {
                    let file = s
                        .file
                        .as_deref()
                        .map_or_else(String::new, |f| format!("{f} "));
                    text += &format!("  {file}line {}: {} ({})\n", s.line, s.reason, s.detail);
                }
                out.write_all(text.as_bytes()).map_err(internal)
            }
            Command::Sample {
                out: path,
                users,
                days,
                seed,
            } => {
                let d = SampleOptions::default();
                let opts = SampleOptions {
                    users: users.unwrap_or(d.users),
                    days: days.unwrap_or(d.days),
                    seed: seed.unwrap_or(d.seed),
                    ..d
                };
                match path {
                    Some(path) => {
                        let f = std::fs::File::create(&path)
                            .map_err(|e| input(format!("{path}: {e}")))?;
                        sample::write_csv(&opts, f).map_err(|e| input(format!("{path}: {e}")))
                    }
                    None => sample::write_csv(&opts, out).map_err(internal),
                }
            }
            Command::Bench {
                files,
                runs,
                only,
                import,
            } => {
                let runs = runs as usize;
                let t0 = std::time::Instant::now();
                let data = load(&files, &import)?;
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
                    // issue 15: events and users of every event per day
                    (
                        "trends",
                        r#"{"analysis":"trends","series":[{},{"measure":"users"}]}"#,
                    ),
                    ("lifecycle", r#"{"analysis":"lifecycle","interval":"week"}"#),
                    // PostHog's stickiness: users by number of active days
                    ("posthog_stickiness", r#"{"analysis":"stickiness"}"#),
                    // the `stickiness` block of queries.sql: DAU and MAU per day
                    ("stickiness", r#"{"analysis":"active_users"}"#),
                    // issue 15's active users: the same analysis with 28-day MAU and
                    // the monthly frequency distribution
                    (
                        "active_users",
                        r#"{"analysis":"active_users","mau_days":28,"frequency":"month"}"#,
                    ),
                    (
                        "ltv",
                        r#"{"analysis":"ltv","cohort":"week","period":"day","periods":30}"#,
                    ),
                    ("customers", r#"{"analysis":"customers"}"#),
                    (
                        "revenue",
                        r#"{"analysis":"revenue","interval":"week","channel":"channel"}"#,
                    ),
                    ("rfm", r#"{"analysis":"rfm"}"#),
                    // five steps after app_open, one path per 30-minute session
                    (
                        "paths",
                        r#"{"analysis":"paths","start_event":"app_open","steps":5}"#,
                    ),
                    (
                        "channels",
                        r#"{"analysis":"channels","activation":["view_item","add_to_cart"]}"#,
                    ),
                    (
                        "portrait",
                        r#"{"analysis":"portrait","properties":[{"property":"country"},{"property":"platform"},{"property":"revenue"}],"breakdown":{"property":"channel"}}"#,
                    ),
                    ("stages", r#"{"analysis":"stages"}"#),
                    ("health", r#"{"analysis":"health"}"#),
                    (
                        "aarrr",
                        r#"{"analysis":"aarrr","activation":["signup"],"referral_event":"share_item"}"#,
                    ),
                ];
                if let Some(bad) = only.iter().find(|n| !specs.iter().any(|s| s.0 == *n)) {
                    let names: Vec<&str> = specs.iter().map(|s| s.0).collect();
                    return Err(input(format!(
                        "--only: no analysis {bad} (one of {})",
                        names.join(", ")
                    )));
                }
                // the local days of the events in UTC (the reference specs' zone): derived
                // on the first query in a zone and kept, timed apart
                let t = std::time::Instant::now();
                let days = data.store.day_index(&loupe::engine::time::Zone::utc());
                let day_index_ms = t.elapsed().as_secs_f64() * 1e3;
                let mut timings = serde_json::Map::new();
                let chosen = specs
                    .into_iter()
                    .filter(|s| only.is_empty() || only.iter().any(|n| n == s.0));
                for (name, json) in chosen {
                    let spec = Query::from_json(json).map_err(internal)?;
                    let mut ms: Vec<f64> = (0..runs)
                        .map(|_| {
                            let t = std::time::Instant::now();
                            let r = analysis::run(&data.store, &spec);
                            let e = t.elapsed().as_secs_f64() * 1e3;
                            r.map(|_| e)
                        })
                        .collect::<Result<_, _>>()
                        .map_err(|e| input(format!("{name}: {e}")))?;
                    ms.sort_by(f64::total_cmp);
                    timings.insert(format!("{name}_ms"), ms[ms.len() / 2].into());
                }
                let events = data.store.len().max(1);
                let report = serde_json::json!({
                    "engine": "loupe-native",
                    "file": files.join(" "),
                    "events": data.store.len(),
                    "users": data.store.user_count(),
                    "bytes": data.report.bytes,
                    "format": data.report.format,
                    "load_ms": load_ms,
                    "load_mb_per_s": data.report.bytes as f64 / 1e6 / (load_ms / 1e3),
                    "load_rows_per_s": data.report.rows_in as f64 / (load_ms / 1e3),
                    "median_of_runs": runs,
                    "timings": timings,
                    "store_bytes": data.store.heap_bytes(),
                    "store_bytes_per_event": data.store.heap_bytes() as f64 / events as f64,
                    "day_index_ms": day_index_ms,
                    "day_index_bytes": days.map_or(0, |d| d.heap_bytes()),
                });
                serde_json::to_writer(&mut *out, &report).map_err(internal)?;
                writeln!(out).map_err(internal)
            }
        }
    }

    /// Runs the CLI and returns the process exit code (see [`EXIT_CODES`]).
    pub fn main() -> i32 {
        // clap prints usage errors (exit 2) and --help / --version (exit 0) itself
        let cli = Cli::parse();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        match run(cli.command, &mut out) {
            Ok(()) => 0,
            Err(Fail::Input(e)) => {
                eprintln!("loupe: {e}");
                3
            }
            Err(Fail::Internal(e)) => {
                eprintln!("loupe: internal error: {e}");
                1
            }
        }
    }
}
