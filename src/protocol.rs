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
use crate::engine::ingest::Dataset;
use crate::engine::overview::{overview, Overview};
use crate::engine::sample::{self, SampleOptions};
use crate::engine::sql::{self, Dialect};
use crate::engine::Error;
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

/// What went wrong, for a person: a stable code, the spec field when there is one, and
/// the English text.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserError {
    /// Stable code: `io`, `format`, `mapping`, `spec`, `spec_json`, `no_events`,
    /// `cancelled`, `no_data`, `bad_request`, `engine_stopped`.
    pub code: String,
    /// The spec field (a JSON path such as `steps[2].event`), when the error is about one.
    pub field: Option<String>,
    /// The error in English, with what and where.
    pub message: String,
    /// A stable code of the message, when it has one (`unknown_event`, `periods_range`...),
    /// so the app can say it in its language with `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The values the message names, by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
}

impl UserError {
    /// An error of `code` with a message and no field.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        UserError {
            code: code.into(),
            field: None,
            message: message.into(),
            key: None,
            params: Default::default(),
        }
    }
}

impl From<&Error> for UserError {
    fn from(e: &Error) -> Self {
        let code = match e {
            Error::Io(_) => "io",
            Error::Format(_) => "format",
            Error::Mapping(_) => "mapping",
            Error::Spec { .. } => "spec",
            Error::SpecJson(_) => "spec_json",
            Error::NoEvents => "no_events",
            Error::Cancelled => "cancelled",
        };
        let (field, message, key, params) = match e {
            Error::Spec {
                field,
                message,
                key,
                params,
            } => (
                Some(field.clone()),
                message.clone(),
                (!key.is_empty()).then(|| key.to_string()),
                params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            Error::Format(m) | Error::Mapping(m) => (
                None,
                m.text.clone(),
                (!m.key.is_empty()).then(|| m.key.to_string()),
                m.params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            other => (None, other.to_string(), None, Default::default()),
        };
        UserError {
            code: code.into(),
            field,
            message,
            key,
            params,
        }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "invalid spec: {field}: {}", self.message),
            None => f.write_str(&self.message),
        }
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
                match sql::render(&query, dialect, from.as_deref().unwrap_or("events")) {
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
}
