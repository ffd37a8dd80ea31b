//! The engine's message protocol: typed requests and replies, and the [`Session`] that
//! answers them.
//!
//! Every front door is a thin adapter over [`Session`]: the Web Worker (`web::worker`)
//! decodes a message, reads a dropped `File` in slices, and posts the reply back; the CLI
//! calls the same methods on a native file; the JavaScript module will do the same. Because
//! the handling is plain Rust, it is tested natively. Replies carry errors as a
//! [`UserError`]: a stable code the app translates, the spec field concerned, and the
//! English text (which the CLI prints).
//!
//! The page depends only on these types and on the analysis specs and results; it never
//! reaches into ingest or the store.

use crate::engine::analysis::{self, Output, Query};
pub use crate::engine::error::UserError;
use crate::engine::ingest::Dataset;
use crate::engine::overview::{overview, Overview};
use crate::engine::sample::{self, SampleOptions};
use crate::engine::sql::{self, Dialect};
use serde::{Deserialize, Serialize};

pub use crate::engine::ingest::{LoadOptions, Progress, Sniff};

/// A request to the engine (a file load travels beside it, as a handle or a path).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Generate and load the built-in sample dataset.
    LoadSample,
    /// Run an analysis on the loaded dataset.
    Run {
        /// The spec.
        query: Box<Query>,
    },
    /// Render a spec as one SQL query (`loupe sql`); needs no data.
    Sql {
        /// The spec.
        query: Box<Query>,
        /// `duckdb` or `clickhouse`.
        dialect: String,
        /// The table expression the query reads (default `events`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The column of each row's position in the file, when the table has one
        /// (`loupe sql --order-col`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order: Option<String>,
    },
}

/// A reply of the engine.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The engine started and takes requests.
    Ready,
    /// Import progress.
    Progress(Progress),
    /// A dataset finished loading.
    Loaded(Box<LoadedReply>),
    /// An analysis finished.
    Result(Box<RunReply>),
    /// What a file is and how its columns would be read (the mapping step).
    Sniffed(Box<Sniff>),
    /// A spec rendered as SQL.
    Sql {
        /// The query.
        text: String,
    },
    /// A request failed.
    Error(UserError),
}

/// A [`Reply`] as it travels from the worker to the app's page: the same content with every
/// enum tagged externally, so that the page reads it without serde's buffering of
/// internally tagged enums (code generated per type, a large part of the page's download).
/// The JavaScript module and the CLI keep the documented [`Reply`] JSON.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Wire {
    /// [`Reply::Ready`].
    Ready,
    /// [`Reply::Progress`].
    Progress(Progress),
    /// [`Reply::Loaded`].
    Loaded(Box<LoadedReply>),
    /// [`Reply::Result`]: the output's fields, its result tagged externally.
    Result(Box<WireRun>),
    /// [`Reply::Sniffed`].
    Sniffed(Box<Sniff>),
    /// [`Reply::Sql`].
    Sql(String),
    /// [`Reply::Error`].
    Error(UserError),
}

/// [`RunReply`] with its result tagged externally (see [`Wire`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WireRun {
    /// [`Output::result`].
    pub result: analysis::WireResult,
    /// [`Output::warnings`].
    pub warnings: Vec<crate::engine::spec::Warning>,
    /// [`Output::range`].
    pub range: (Option<String>, Option<String>),
    /// [`RunReply::ms`].
    pub ms: f64,
}

impl From<Reply> for Wire {
    fn from(r: Reply) -> Self {
        match r {
            Reply::Ready => Wire::Ready,
            Reply::Progress(p) => Wire::Progress(p),
            Reply::Loaded(l) => Wire::Loaded(l),
            Reply::Result(r) => {
                let RunReply { output, ms } = *r;
                Wire::Result(Box::new(WireRun {
                    result: output.result.into(),
                    warnings: output.warnings,
                    range: output.range,
                    ms,
                }))
            }
            Reply::Sniffed(s) => Wire::Sniffed(s),
            Reply::Sql { text } => Wire::Sql(text),
            Reply::Error(e) => Wire::Error(e),
        }
    }
}

impl From<Wire> for Reply {
    fn from(w: Wire) -> Self {
        match w {
            Wire::Ready => Reply::Ready,
            Wire::Progress(p) => Reply::Progress(p),
            Wire::Loaded(l) => Reply::Loaded(l),
            Wire::Result(r) => {
                let WireRun {
                    result,
                    warnings,
                    range,
                    ms,
                } = *r;
                let output = Output {
                    result: result.into(),
                    warnings,
                    range,
                };
                Reply::Result(Box::new(RunReply { output, ms }))
            }
            Wire::Sniffed(s) => Reply::Sniffed(s),
            Wire::Sql(text) => Reply::Sql { text },
            Wire::Error(e) => Reply::Error(e),
        }
    }
}

/// A result with the time the engine took.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunReply {
    /// The analysis result with its warnings and resolved date range.
    pub output: Output,
    /// Milliseconds spent in `analysis::run`.
    pub ms: f64,
}

/// A loaded overview with the time the load took.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LoadedReply {
    /// What was loaded.
    pub overview: Overview,
    /// Milliseconds from the request to the finished store.
    pub ms: f64,
    /// File name, or `sample`.
    pub name: String,
    /// Size of the engine's memory after the load, in bytes (0 where unknown).
    pub memory_bytes: u64,
    /// The header key of a mapping the app remembered and the load used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_reused: Option<String>,
}

/// The most memory a wasm32 engine can address: 4 GiB, the ceiling of a browser tab.
pub const WASM_MEMORY_LIMIT: u64 = 4 << 30;

/// Watches a load in the browser against the memory ceiling, so that a file that cannot
/// fit is refused with a message while it is being read, before the tab runs out of memory
/// (the app keeps the previous dataset: it loads each file in a fresh worker).
///
/// The estimate assumes that memory grows in proportion to the input read, as it does
/// while rows are parsed: the memory the load took so far divided by the share of the
/// input read. It only refuses what the reading alone would not fit; a file that fits
/// the reading but not the store's final steps still stops the engine, which the app
/// reports as such.
#[derive(Clone, Copy, Debug)]
pub struct MemoryWatch {
    /// The engine's memory when the load started.
    base: u64,
    /// The ceiling.
    limit: u64,
}

impl MemoryWatch {
    /// Share of the input below which no estimate is made (early growth is noise).
    const MIN_SHARE: f64 = 0.02;
    /// Input bytes below which no estimate is made.
    const MIN_BYTES: u64 = 16 << 20;

    /// A watch from the memory at the start of a load, against `limit` bytes.
    pub fn new(base: u64, limit: u64) -> Self {
        MemoryWatch { base, limit }
    }

    /// The memory the whole load would need, when it is more than the limit; `None` while
    /// it fits, when the input's size is unknown, or while too little is read to tell.
    pub fn over(&self, p: &Progress, memory_now: u64) -> Option<u64> {
        let total = p.total_bytes.filter(|&t| t > 0)?;
        let share = p.bytes as f64 / total as f64;
        if share < Self::MIN_SHARE || p.bytes < Self::MIN_BYTES {
            return None;
        }
        let grown = memory_now.saturating_sub(self.base) as f64;
        let need = self.base + (grown / share.min(1.0)) as u64;
        (need > self.limit).then_some(need)
    }

    /// The error for a file of `name` that would need `need` bytes.
    pub fn error(&self, name: &str, need: u64) -> UserError {
        let gb = |b: u64| format!("{:.1} GB", b as f64 / (1u64 << 30) as f64);
        let mut e = UserError::new(
            "too_large",
            format!(
                "{name}: loading it would take about {} of memory, more than the {} a browser tab gives the engine; load a smaller export (a shorter date range, fewer columns), or use the command-line tool (loupe), which has no such limit",
                gb(need),
                gb(self.limit)
            ),
        );
        e.key = Some("memory_estimate".into());
        e.params = [
            ("file", name.to_string()),
            ("need", gb(need)),
            ("limit", gb(self.limit)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        e
    }
}

/// The engine's state behind a front door: at most one loaded dataset.
#[derive(Default)]
pub struct Session {
    data: Option<Dataset>,
}

impl Session {
    /// A session without data.
    pub fn new() -> Self {
        Session::default()
    }

    /// The loaded dataset, if any.
    pub fn dataset(&self) -> Option<&Dataset> {
        self.data.as_ref()
    }

    /// Takes a loaded dataset and describes it.
    pub fn loaded(&mut self, data: Dataset, name: String, ms: f64, memory_bytes: u64) -> Reply {
        let o = overview(&data.store, &data.report);
        self.data = Some(data);
        Reply::Loaded(Box::new(LoadedReply {
            overview: o,
            ms,
            name,
            memory_bytes,
            mapping_reused: None,
        }))
    }

    /// Answers a request; `now` is a millisecond clock (the worker's `performance.now`,
    /// `Instant` natively).
    pub fn handle(&mut self, req: Request, now: &dyn Fn() -> f64) -> Reply {
        let t0 = now();
        match req {
            Request::LoadSample => {
                let data = sample::dataset(&SampleOptions::default());
                self.loaded(data, "sample".into(), now() - t0, 0)
            }
            Request::Run { query } => {
                let query = *query;
                let Some(data) = &self.data else {
                    return Reply::Error(UserError::new("no_data", "no data loaded yet"));
                };
                match analysis::run(&data.store, &query) {
                    Ok(output) => Reply::Result(Box::new(RunReply {
                        output,
                        ms: now() - t0,
                    })),
                    Err(e) => Reply::Error((&e).into()),
                }
            }
            Request::Sql {
                query,
                dialect,
                from,
                order,
            } => {
                let dialect = match dialect.as_str() {
                    "duckdb" => Dialect::DuckDb,
                    "clickhouse" => Dialect::ClickHouse,
                    other => {
                        return Reply::Error(UserError::new(
                            "bad_request",
                            format!("unknown SQL dialect \"{other}\" (duckdb or clickhouse)"),
                        ))
                    }
                };
                let table = sql::Table {
                    from: from.as_deref().unwrap_or("events"),
                    order: order.as_deref(),
                };
                match sql::render(&query, dialect, table) {
                    Ok(text) => Reply::Sql { text },
                    Err(e) => Reply::Error((&e).into()),
                }
            }
        }
    }

    /// Decodes a request from JSON and answers it; a malformed request is a `spec_json`
    /// (bad spec) or `bad_request` error reply, never a panic.
    pub fn handle_json(&mut self, json: &str, now: &dyn Fn() -> f64) -> Reply {
        match serde_json::from_str::<Request>(json) {
            Ok(req) => self.handle(req, now),
            Err(e) if json.contains("\"query\"") => {
                Reply::Error(UserError::new("spec_json", format!("invalid spec: {e}")))
            }
            Err(e) => Reply::Error(UserError::new("bad_request", format!("bad request: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::csv::load;
    use crate::engine::Error;

    fn clock() -> f64 {
        0.0
    }

    fn session() -> Session {
        let mut s = Session::new();
        let data = load(
            "user_id,event,timestamp\na,signup,2025-01-01T00:00:00Z\na,buy,2025-01-02T00:00:00Z\nb,signup,2025-01-02T00:00:00Z\n".as_bytes(),
            None,
            &LoadOptions::default(),
            &mut |_| true,
        )
        .unwrap();
        match s.loaded(data, "t.csv".into(), 1.0, 0) {
            Reply::Loaded(l) => assert_eq!((l.overview.users, l.name.as_str()), (2, "t.csv")),
            other => panic!("{other:?}"),
        }
        s
    }

    #[test]
    fn runs_a_query_and_round_trips_the_reply_as_json() {
        let mut s = session();
        let req = r#"{"type":"run","query":{"analysis":"funnel","steps":[{"event":"signup"},{"event":"buy"}]}}"#;
        let reply = s.handle_json(req, &clock);
        let Reply::Result(r) = &reply else {
            panic!("{reply:?}")
        };
        let analysis::AnalysisResult::Funnel(f) = &r.output.result else {
            panic!()
        };
        assert_eq!((f.steps[0].users, f.steps[1].users), (2, 1));
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), reply);
    }

    #[test]
    fn errors_are_typed_with_code_and_field() {
        let mut s = Session::new();
        let req = r#"{"type":"run","query":{"analysis":"trends"}}"#;
        assert!(matches!(s.handle_json(req, &clock), Reply::Error(e) if e.code == "no_data"));
        let mut s = session();
        let bad = r#"{"type":"run","query":{"analysis":"retention","periods":0}}"#;
        let Reply::Error(e) = s.handle_json(bad, &clock) else {
            panic!()
        };
        assert_eq!(
            (e.code.as_str(), e.field.as_deref()),
            ("spec", Some("periods"))
        );
        assert_eq!(e.key.as_deref(), Some("periods_range"));
        assert_eq!(e.params.get("got").map(String::as_str), Some("0"));
        assert!(e.to_string().starts_with("invalid spec: periods:"), "{e}");
        let Reply::Error(e) =
            s.handle_json(r#"{"type":"run","query":{"analysis":"funel"}}"#, &clock)
        else {
            panic!()
        };
        assert_eq!(e.code, "spec_json");
        assert!(e.message.contains("funel"), "{}", e.message);
        let Reply::Error(e) = s.handle_json(r#"{"type":"dance"}"#, &clock) else {
            panic!()
        };
        assert_eq!(e.code, "bad_request");
    }

    #[test]
    fn renders_sql_without_data_and_refuses_what_sql_cannot_express() {
        let mut s = Session::new();
        let req = r#"{"type":"sql","query":{"analysis":"trends"},"dialect":"clickhouse"}"#;
        let Reply::Sql { text } = s.handle_json(req, &clock) else {
            panic!()
        };
        assert!(text.starts_with("-- Loupe trends (clickhouse)"), "{text}");
        assert!(text.contains("FROM events"), "{text}");
        let req =
            r#"{"type":"sql","query":{"analysis":"trends","compare":true},"dialect":"duckdb"}"#;
        let Reply::Error(e) = s.handle_json(req, &clock) else {
            panic!()
        };
        assert_eq!(
            (e.key.as_deref(), e.field.as_deref()),
            (Some("sql_unsupported"), Some("compare"))
        );
        let req = r#"{"type":"sql","query":{"analysis":"trends"},"dialect":"oracle"}"#;
        assert!(matches!(s.handle_json(req, &clock), Reply::Error(e) if e.code == "bad_request"));
    }

    #[test]
    fn the_sample_loads_through_the_protocol() {
        let mut s = Session::new();
        let Reply::Loaded(l) = s.handle(Request::LoadSample, &clock) else {
            panic!()
        };
        assert_eq!(l.name, "sample");
        assert!(l.overview.events > 100_000, "{}", l.overview.events);
    }

    /// Every analysis's reply, in the app's [`Wire`] form, reads back to the same reply, and
    /// the documented JSON form is unchanged by it.
    #[test]
    fn every_analysis_reply_round_trips_in_the_wire_form() {
        let mut s = Session::new();
        assert!(matches!(
            s.handle(Request::LoadSample, &clock),
            Reply::Loaded(_)
        ));
        let own = |k: &str| match k {
            "funnel" => r#","steps":[{"event":"signup"},{"event":"purchase"}]"#,
            "portrait" => r#","properties":[{"property":"country"}]"#,
            "ab_test" => r#","conversion":{"event":"purchase"}"#,
            _ => "",
        };
        for kind in analysis::KINDS {
            let json = format!(
                r#"{{"type":"run","query":{{"analysis":"{kind}"{}}}}}"#,
                own(kind)
            );
            let reply = s.handle_json(&json, &clock);
            assert!(matches!(reply, Reply::Result(_)), "{kind}: {reply:?}");
            let wire = serde_json::to_string(&Wire::from(reply.clone())).unwrap();
            let back = Reply::from(serde_json::from_str::<Wire>(&wire).unwrap());
            assert_eq!(back, reply, "{kind}");
            let documented = serde_json::to_string(&reply).unwrap();
            assert!(
                documented.contains(&format!(r#""analysis":"{kind}""#)),
                "{kind}"
            );
            assert_eq!(
                serde_json::from_str::<Reply>(&documented).unwrap(),
                reply,
                "{kind}"
            );
        }
        for reply in [
            Reply::Ready,
            Reply::Sql {
                text: "SELECT 1".into(),
            },
            Reply::Error(UserError::new("io", "x")),
        ] {
            let wire = serde_json::to_string(&Wire::from(reply.clone())).unwrap();
            assert_eq!(
                Reply::from(serde_json::from_str::<Wire>(&wire).unwrap()),
                reply
            );
        }
    }

    /// A spec reads its analysis from the `analysis` field, with serde's messages for a
    /// missing or unknown one, and writes it back with the tag.
    #[test]
    fn a_query_reads_and_writes_its_analysis_tag() {
        let q = Query::from_json(r#"{"analysis":"trends","date_range":"all"}"#).unwrap();
        assert_eq!(q.spec.kind(), "trends");
        assert_eq!(Query::from_json(&q.to_json()).unwrap(), q);
        assert!(
            q.to_json().contains(r#""analysis":"trends""#),
            "{}",
            q.to_json()
        );
        let err = |j: &str| match Query::from_json(j) {
            Err(Error::SpecJson(m)) => m,
            other => panic!("{j}: {other:?}"),
        };
        assert!(err(r#"{"steps":[]}"#).contains("missing field `analysis`"));
        assert!(err(r#"{"analysis":"nope"}"#).contains("unknown variant `nope`"));
        assert!(err(r#"{"analysis":3}"#).contains("string"));
        assert!(err(r#"{"analysis":"trends","bogus":1}"#).contains("bogus"));
    }

    #[test]
    fn a_load_that_would_not_fit_is_told_from_its_growth() {
        const MB: u64 = 1 << 20;
        let w = MemoryWatch::new(100 * MB, 1000 * MB);
        let p = |bytes: u64, total: Option<u64>| Progress {
            bytes,
            total_bytes: total,
            rows: 0,
        };
        // 10% of a 2000 MB file read, memory grew 100 -> 200 MB: 100 + 100 / 0.1 = 1100 MB
        assert_eq!(
            w.over(&p(200 * MB, Some(2000 * MB)), 200 * MB),
            Some(1100 * MB)
        );
        // the same growth at 20%: 100 + 100 / 0.2 = 600 MB fits
        assert_eq!(w.over(&p(400 * MB, Some(2000 * MB)), 200 * MB), None);
        // too early to tell: 1% of the file, or under 16 MB read, or no known size
        assert_eq!(w.over(&p(20 * MB, Some(2000 * MB)), 900 * MB), None);
        assert_eq!(w.over(&p(15 * MB, Some(20 * MB)), 900 * MB), None);
        assert_eq!(w.over(&p(200 * MB, None), 900 * MB), None);
        let e = w.error("big.csv", 1100 * MB);
        assert_eq!(
            (e.code.as_str(), e.key.as_deref()),
            ("too_large", Some("memory_estimate"))
        );
        assert_eq!(e.params["need"], "1.1 GB");
        assert_eq!(e.params["limit"], "1.0 GB");
        assert!(
            e.message
                .starts_with("big.csv: loading it would take about 1.1 GB"),
            "{}",
            e.message
        );
    }
}
