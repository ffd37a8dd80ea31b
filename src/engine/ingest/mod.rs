//! Ingest: turning an export file into an [`EventStore`] plus an [`ImportReport`].
//!
//! The loaders read from any `std::io::Read`, so the same code reads a native file in the CLI
//! and a browser `File` in the worker (through slices). Nothing is lost silently: every data
//! row is either imported or counted as rejected with a reason, and the first
//! [`MAX_REJECT_SAMPLES`] rejected rows are kept with their line number and text.
//!
//! Today: delimited text (CSV, TSV, `;` and `|` separated) in UTF-8. Other formats (NDJSON,
//! Parquet, vendor exports, gzip/zip, GB18030) plug in here as further loaders producing the
//! same `Dataset`.

pub mod csv;
pub mod mapping;

use crate::engine::store::EventStore;
use crate::engine::time::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use mapping::ColumnRoles;

/// How many rejected rows are kept verbatim (all are counted).
pub const MAX_REJECT_SAMPLES: usize = 1000;

/// Options of an import. Every field is optional; the defaults detect everything.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LoadOptions {
    /// Field delimiter; detected from the header line when absent.
    pub delimiter: Option<char>,
    /// Name of the user column; detected from common names when absent.
    pub user_column: Option<String>,
    /// Name of the event column; detected when absent.
    pub event_column: Option<String>,
    /// Name of the timestamp column; detected when absent.
    pub time_column: Option<String>,
    /// Offset at which timestamps without a zone are read (default UTC).
    pub naive_timezone: Option<TimeZone>,
}

/// Why a row was not imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The user cell is empty.
    MissingUser,
    /// The event cell is empty.
    MissingEvent,
    /// The timestamp cell is empty.
    MissingTime,
    /// The timestamp cell is not a recognised timestamp.
    BadTime,
    /// The row has a different number of fields than the header.
    FieldCount,
    /// The row is not valid UTF-8 text.
    Encoding,
}

impl RejectReason {
    /// A short English description.
    pub fn describe(self) -> &'static str {
        match self {
            RejectReason::MissingUser => "user id is empty",
            RejectReason::MissingEvent => "event name is empty",
            RejectReason::MissingTime => "timestamp is empty",
            RejectReason::BadTime => "timestamp not recognised",
            RejectReason::FieldCount => "wrong number of fields",
            RejectReason::Encoding => "not valid UTF-8 text",
        }
    }
}

/// One rejected row, kept as evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Reject {
    /// 1-based line number in the file where the row starts.
    pub line: u64,
    /// Why it was rejected.
    pub reason: RejectReason,
    /// Details, e.g. the offending cell.
    pub detail: String,
}

/// What happened during an import.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    /// Data rows read (header excluded, blank lines excluded).
    pub rows_in: u64,
    /// Rows that became events.
    pub imported: u64,
    /// Rows rejected (`rows_in = imported + rejected`).
    pub rejected: u64,
    /// Rejected rows counted by reason.
    pub rejected_by_reason: BTreeMap<RejectReason, u64>,
    /// The first rejected rows, with line numbers.
    pub reject_samples: Vec<Reject>,
    /// Bytes read from the input.
    pub bytes: u64,
    /// The column chosen for each role.
    pub columns: ColumnRoles,
    /// Delimiter used.
    pub delimiter: char,
    /// Format name, e.g. `csv`.
    pub format: String,
}

impl ImportReport {
    pub(crate) fn reject(&mut self, line: u64, reason: RejectReason, detail: String) {
        self.rejected += 1;
        *self.rejected_by_reason.entry(reason).or_default() += 1;
        if self.reject_samples.len() < MAX_REJECT_SAMPLES {
            self.reject_samples.push(Reject {
                line,
                reason,
                detail,
            });
        }
    }
}

/// Progress of a running import, reported every few thousand rows.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    /// Bytes consumed so far.
    pub bytes: u64,
    /// Total bytes when known.
    pub total_bytes: Option<u64>,
    /// Data rows read so far.
    pub rows: u64,
}

/// A loaded dataset: the store and how it was made.
#[derive(Debug)]
pub struct Dataset {
    /// The events.
    pub store: EventStore,
    /// The import's accounting.
    pub report: ImportReport,
}
