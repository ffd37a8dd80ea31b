//! The engine: plain Rust with no web dependency.
//!
//! `ingest` turns a file into an [`store::EventStore`]; `analysis` answers a [`analysis::Spec`]
//! with an [`analysis::AnalysisResult`]; `overview` summarises a loaded dataset; `sample`
//! generates the built-in demo data. The same calls serve the app (inside a Web Worker), the
//! native CLI and tests.

pub mod analysis;
pub mod days;
pub mod error;
pub mod ingest;
pub mod overview;
pub mod sample;
pub mod spec;
pub mod sql;
pub mod stats;
pub mod store;
pub mod time;

pub use error::{Error, Result};
