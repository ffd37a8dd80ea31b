//! The overview of a loaded dataset: what the app shows first and what `loupe inspect` prints.
//!
//! It is small (counts and top values, never rows), so it can cross from the worker to the
//! page as JSON.

use crate::engine::ingest::{ColumnRoles, FileReport, ImportReport, Reject, RejectReason};
use crate::engine::store::{EventStore, PropertyKind, PropertyValues};
use crate::engine::time::{format_rfc3339, DAY};
use serde::{Deserialize, Serialize};

/// True when no user has two different non-null values (`key(i)` of event `i`, `null`
/// for no value; NaN payloads of number columns are all the same `f64::NAN` bits).
fn constant_per_user(store: &EventStore, key: impl Fn(usize) -> u64, null: u64) -> bool {
    store.user_ranges().all(|r| {
        let mut seen = None;
        r.map(&key)
            .filter(|&k| k != null)
            .all(|k| *seen.get_or_insert(k) == k)
    })
}

/// Top values listed per property.
pub const TOP_VALUES: usize = 8;

/// Summary of a dataset.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Overview {
    /// Data rows in the file.
    pub rows_in: u64,
    /// Rows imported as events.
    pub imported: u64,
    /// Rows dropped as duplicates of an earlier row's insert id
    /// (`rows_in = imported + duplicates + rejected + set_aside`).
    pub duplicates: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Valid rows of a vendor export that are not events (Sensors Data profile and item
    /// records), counted and not imported.
    #[serde(default)]
    pub set_aside: u64,
    /// Cells of the expanded JSON columns that were not valid JSON (kept as text).
    #[serde(default)]
    pub json_cells_invalid: u64,
    /// Set-aside rows counted by reason (`reason`: `profile_row`, `item_row`,
    /// `not_an_event`).
    #[serde(default)]
    pub set_aside_by_reason: Vec<ReasonCount>,
    /// Distinct users.
    pub users: u64,
    /// Events in the store (equals `imported`).
    pub events: u64,
    /// First event (RFC 3339), if any.
    pub first_event: Option<String>,
    /// Last event (RFC 3339), if any.
    pub last_event: Option<String>,
    /// Column roles as detected or chosen.
    pub columns: ColumnRoles,
    /// Event names with counts, most frequent first.
    pub event_names: Vec<EventCount>,
    /// Property columns with types and top values.
    pub properties: Vec<PropertySummary>,
    /// Rejections counted by reason.
    pub rejected_by_reason: Vec<ReasonCount>,
    /// The first rejected rows.
    pub reject_samples: Vec<RejectSample>,
    /// Bytes read.
    pub bytes: u64,
    /// Input format (`csv`, `ndjson`, `json_array`, `sample`).
    pub format: String,
    /// Vendor shape recognised in a JSON file (`mixpanel`, `posthog`, `segment`), if any.
    pub shape: Option<String>,
    /// Container (`gzip`, `zip`, `zip+gzip`), empty when none.
    pub container: String,
    /// Text encoding the file was read in (`UTF-8`, `GBK`, `UTF-16LE`, ...; empty for the
    /// generated sample).
    pub encoding: String,
    /// How the encoding was chosen: `option`, `bom` or `detected`.
    pub encoding_source: String,
    /// Files read from a zip archive (0 when the input is not one).
    pub entries: u64,
    /// The files of the dataset with each one's format, encoding and counts, when several
    /// were loaded together; empty for one file.
    #[serde(default)]
    pub files: Vec<FileReport>,
    /// Approximate memory held by the store, in bytes.
    pub store_bytes: u64,
    /// Events per UTC day, from the day of the first event to the day of the last (empty
    /// when the data spans more than [`MAX_DAYS`]).
    pub per_day: Vec<u64>,
}

/// The longest span [`Overview::per_day`] covers (a bogus 1970 timestamp beside 2025 data
/// would otherwise make a 20,000-bar chart).
pub const MAX_DAYS: i64 = 3_660;

/// Events per UTC day from the first event's day (see [`Overview::per_day`]).
fn events_per_day(store: &EventStore) -> Vec<u64> {
    let Some((first, last)) = store.time_span() else {
        return Vec::new();
    };
    let day0 = first.div_euclid(DAY);
    let days = last.div_euclid(DAY) - day0 + 1;
    if days > MAX_DAYS {
        return Vec::new();
    }
    let mut counts = vec![0u64; days as usize];
    for &t in store.times() {
        counts[(t.div_euclid(DAY) - day0) as usize] += 1;
    }
    counts
}

/// An event name and its volume.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventCount {
    /// Event name.
    pub name: String,
    /// Number of events.
    pub events: u64,
    /// Distinct users who did it.
    pub users: u64,
}

/// One property column.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PropertySummary {
    /// Column name.
    pub name: String,
    /// `string` or `number`.
    pub kind: String,
    /// Events with a value.
    pub non_null: u64,
    /// Distinct values.
    pub distinct: u64,
    /// Most frequent values with counts.
    pub top: Vec<(String, u64)>,
    /// Smallest value (numbers only).
    pub min: Option<f64>,
    /// Largest value (numbers only).
    pub max: Option<f64>,
    /// Whether every user has at most one value (a user property: filters and breakdowns
    /// on it read the same whether by event or by user).
    pub per_user: bool,
}

/// Rejected rows of one reason.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReasonCount {
    /// Machine-readable reason.
    pub reason: String,
    /// English description.
    pub description: String,
    /// Rows.
    pub rows: u64,
}

/// A rejected row.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RejectSample {
    /// The file it was read from, when several files were loaded together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line number in the file.
    pub line: u64,
    /// Machine-readable reason.
    pub reason: String,
    /// What was wrong.
    pub detail: String,
}

/// The kept rejected rows as a table (a header row, then one row per sample): the file
/// (empty for one file), the line, the reason's code, the reason in words
/// (`describe(code)`, e.g. a translation) and the detail. What `loupe inspect --rejects`
/// writes and the overview's download holds; the first [`crate::engine::ingest::MAX_REJECT_SAMPLES`]
/// rejected rows only, as the overview keeps.
pub fn rejects_table(o: &Overview, describe: impl Fn(&str) -> String) -> Vec<Vec<String>> {
    let head = ["file", "line", "reason", "description", "detail"];
    let mut rows = vec![head.iter().map(|h| h.to_string()).collect()];
    rows.extend(o.reject_samples.iter().map(|s| {
        vec![
            s.file.clone().unwrap_or_default(),
            s.line.to_string(),
            s.reason.clone(),
            describe(&s.reason),
            s.detail.clone(),
        ]
    }));
    rows
}

fn reason_name(r: RejectReason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn top_counts(counts: &[u64], label: impl Fn(usize) -> String) -> Vec<(String, u64)> {
    let mut idx: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
    idx.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    idx.into_iter()
        .take(TOP_VALUES)
        .map(|i| (label(i), counts[i]))
        .collect()
}

/// Summarises a store and its import report.
pub fn overview(store: &EventStore, report: &ImportReport) -> Overview {
    let names = store.event_names();
    let mut ev_count = vec![0u64; names.len()];
    let mut ev_users = vec![0u64; names.len()];
    let mut seen = vec![u32::MAX; names.len()];
    let codes = store.event_codes();
    for (u, r) in store.user_ranges().enumerate() {
        for &e in &codes[r] {
            ev_count[e as usize] += 1;
            if seen[e as usize] != u as u32 {
                seen[e as usize] = u as u32;
                ev_users[e as usize] += 1;
            }
        }
    }
    let mut event_names: Vec<EventCount> = (0..names.len())
        .map(|i| EventCount {
            name: names.get(i as u32).to_owned(),
            events: ev_count[i],
            users: ev_users[i],
        })
        .collect();
    event_names.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));

    let properties = store
        .properties()
        .iter()
        .map(|p| match &p.values {
            PropertyValues::String { dict, codes } => {
                let mut counts = vec![0u64; dict.len()];
                let mut non_null = 0;
                for &c in codes.iter().filter(|&&c| c != 0) {
                    counts[c as usize - 1] += 1;
                    non_null += 1;
                }
                PropertySummary {
                    name: p.name.clone(),
                    kind: "string".into(),
                    non_null,
                    distinct: dict.len() as u64,
                    top: top_counts(&counts, |i| dict.get(i as u32).to_owned()),
                    min: None,
                    max: None,
                    per_user: constant_per_user(store, |i| codes[i] as u64, 0),
                }
            }
            PropertyValues::Number { values } => {
                let mut vals: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
                vals.sort_unstable_by(|a, b| a.total_cmp(b));
                let mut distinct: Vec<(f64, u64)> = Vec::new();
                for v in &vals {
                    match distinct.last_mut() {
                        Some((x, n)) if x == v => *n += 1,
                        _ => distinct.push((*v, 1)),
                    }
                }
                let counts: Vec<u64> = distinct.iter().map(|d| d.1).collect();
                debug_assert_eq!(p.kind(), PropertyKind::Number);
                PropertySummary {
                    name: p.name.clone(),
                    kind: "number".into(),
                    non_null: vals.len() as u64,
                    distinct: distinct.len() as u64,
                    top: top_counts(&counts, |i| {
                        crate::engine::store::format_number(distinct[i].0)
                    }),
                    min: vals.first().copied(),
                    max: vals.last().copied(),
                    per_user: constant_per_user(store, |i| values[i].to_bits(), f64::NAN.to_bits()),
                }
            }
        })
        .collect();
    let span = store.time_span();
    Overview {
        rows_in: report.rows_in,
        imported: report.imported,
        duplicates: report.duplicates,
        rejected: report.rejected,
        set_aside: report.set_aside,
        json_cells_invalid: report.json_cells_invalid,
        set_aside_by_reason: report
            .set_aside_by_reason
            .iter()
            .map(|(r, &n)| ReasonCount {
                reason: serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                description: r.describe().to_owned(),
                rows: n,
            })
            .collect(),
        users: store.user_count() as u64,
        events: store.len() as u64,
        first_event: span.map(|s| format_rfc3339(s.0)),
        last_event: span.map(|s| format_rfc3339(s.1)),
        columns: report.columns.clone(),
        event_names,
        properties,
        rejected_by_reason: report
            .rejected_by_reason
            .iter()
            .map(|(r, &n)| ReasonCount {
                reason: reason_name(*r),
                description: r.describe().to_owned(),
                rows: n,
            })
            .collect(),
        reject_samples: report
            .reject_samples
            .iter()
            .map(|s: &Reject| RejectSample {
                file: s.file.clone(),
                line: s.line,
                reason: reason_name(s.reason),
                detail: s.detail.clone(),
            })
            .collect(),
        bytes: report.bytes,
        format: report.format.clone(),
        shape: report.shape.clone(),
        container: report.container.clone(),
        encoding: report.encoding.clone(),
        encoding_source: report.encoding_source.clone(),
        entries: report.entries,
        files: report.files.clone(),
        store_bytes: store.heap_bytes() as u64,
        per_day: events_per_day(store),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::{csv::load, LoadOptions};

    #[test]
    fn a_property_with_one_value_per_user_is_a_user_property() {
        // plan: a always "pro" (or empty), b always "free"; page: a has two values
        // score: numbers, constant per user once empty cells are ignored
        let text = "user_id,event,timestamp,plan,page,score\n\
                    a,x,2025-01-01,pro,home,1\n\
                    a,x,2025-01-02,,cart,\n\
                    a,x,2025-01-03,pro,home,1\n\
                    b,x,2025-01-01,free,home,2\n";
        let d = load(text.as_bytes(), None, &LoadOptions::default(), &mut |_| {
            true
        })
        .unwrap();
        let o = overview(&d.store, &d.report);
        let per_user: Vec<(&str, bool)> = o
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.per_user))
            .collect();
        assert_eq!(per_user, [("plan", true), ("page", false), ("score", true)]);
        // 2025-01-01: 2 events, 01-02: 1, 01-03: 1 (dates without a time are UTC midnight)
        assert_eq!(o.per_day, [2, 1, 1]);
    }
}
