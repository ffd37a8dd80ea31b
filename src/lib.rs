//! # Loupe
//!
//! Product analytics that never leaves the browser. One crate, three parts:
//!
//! - [`engine`]: plain Rust, no web dependency. Ingest turns an export into a columnar
//!   [`engine::store::EventStore`] (events sorted by user, time and source row; per-user
//!   offsets; dictionary-encoded strings; `i64` microsecond UTC timestamps; typed property
//!   columns). Analyses take a serde [`engine::analysis::Spec`] and return a serde
//!   [`engine::analysis::AnalysisResult`]. Builds and tests natively with `cargo test`.
//! - [`chart`]: plotters drawings of results, generic over the backend (canvas in the
//!   browser, SVG natively).
//! - `web` and `ui` (wasm32 only): the Web Worker that owns the data and the yew app that
//!   talks to it. The page hands the worker a `File` handle; the worker reads it in slices;
//!   only specs, progress, overviews and results cross between them.
//!
//! The binaries: `app` (the yew page), `worker` (the engine in a Web Worker) and `loupe`
//! (the native CLI running the same engine on files).

pub mod board;
pub mod chart;
pub mod engine;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub mod ui;
