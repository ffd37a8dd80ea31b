//! Segmentation: events or unique users per calendar interval.
//!
//! Without a breakdown there is one series per chosen event (or one "all events" series
//! when none is chosen). With a breakdown by a property there is one series per property
//! value over all chosen events: the top `limit` values by the chosen measure, then
//! "other" for the rest and "(none)" for events without a value. Unique users are exact:
//! a user is counted once per series and interval. `total` is the chosen events combined.
//! Only events that pass the shared filters and lie in the date range count. Intervals run
//! from the first to the last event of the data in the date range, empty ones included.

use super::table::Table;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, EventMatcher, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};

/// Most intervals a chart may have.
pub const MAX_BUCKETS: usize = 20_000;

pub use crate::engine::spec::{NONE, OTHER};
/// Label of the series of all events when none is chosen.
pub const ALL: &str = "(all events)";

/// A segmentation to compute.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SegmentationSpec {
    /// Events to count; all events when empty.
    #[serde(default)]
    pub events: Vec<String>,
    /// What the chart shows (both counts are always in the result).
    #[serde(default)]
    pub measure: Measure,
    /// Interval length (default day).
    #[serde(default)]
    pub interval: Granularity,
    /// Properties to break down by (one series per value), with the number of values kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// The number plotted per interval.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Event count.
    #[default]
    Events,
    /// Distinct users.
    Users,
    /// Events divided by distinct users.
    EventsPerUser,
}

/// Counts over time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SegmentationResult {
    /// The measure the spec asked to plot.
    pub measure: Measure,
    /// Interval length.
    pub interval: Granularity,
    /// Interval labels, e.g. `2025-09-01`.
    pub buckets: Vec<String>,
    /// Interval start instants (RFC 3339).
    pub bucket_starts: Vec<String>,
    /// The series, largest first (then other and none).
    pub series: Vec<Series>,
    /// All chosen events together.
    pub total: Series,
    /// The breakdown property, if any.
    pub breakdown: Option<String>,
}

/// One line of the chart.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Series {
    /// Event name, property value, `(other)`, `(none)` or `(all events)`.
    pub label: String,
    /// Events per interval.
    pub events: Vec<u64>,
    /// Distinct users per interval.
    pub users: Vec<u64>,
    /// Events over the whole range.
    pub total_events: u64,
    /// Distinct users over the whole range.
    pub total_users: u64,
}

impl Series {
    /// The values of `measure` per interval.
    pub fn values(&self, measure: Measure) -> Vec<f64> {
        match measure {
            Measure::Events => self.events.iter().map(|&v| v as f64).collect(),
            Measure::Users => self.users.iter().map(|&v| v as f64).collect(),
            Measure::EventsPerUser => self
                .events
                .iter()
                .zip(&self.users)
                .map(|(&e, &u)| if u == 0 { 0.0 } else { e as f64 / u as f64 })
                .collect(),
        }
    }
}

/// Counts events and distinct users per (series, interval).
struct Counter {
    nb: usize,
    events: Vec<u64>,
    users: Vec<u64>,
    seen: Vec<u32>,
    total_events: Vec<u64>,
    total_users: Vec<u64>,
    seen_total: Vec<u32>,
}

impl Counter {
    fn new(series: usize, nb: usize) -> Self {
        Counter {
            nb,
            events: vec![0; series * nb],
            users: vec![0; series * nb],
            seen: vec![u32::MAX; series * nb],
            total_events: vec![0; series],
            total_users: vec![0; series],
            seen_total: vec![u32::MAX; series],
        }
    }

    fn add(&mut self, s: usize, b: usize, user: u32) {
        let i = s * self.nb + b;
        self.events[i] += 1;
        if self.seen[i] != user {
            self.seen[i] = user;
            self.users[i] += 1;
        }
        self.total_events[s] += 1;
        if self.seen_total[s] != user {
            self.seen_total[s] = user;
            self.total_users[s] += 1;
        }
    }

    fn series(&self, s: usize, label: String) -> Series {
        let r = s * self.nb..(s + 1) * self.nb;
        Series {
            label,
            events: self.events[r.clone()].to_vec(),
            users: self.users[r].to_vec(),
            total_events: self.total_events[s],
            total_users: self.total_users[s],
        }
    }
}

/// Computes a segmentation: events that pass the shared filters and lie in the date range.
pub fn run(scope: &mut Scoped, spec: &SegmentationSpec) -> Result<SegmentationResult> {
    let matchers: Vec<EventMatcher> = spec
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            scope.matcher(
                &format!("events[{i}]"),
                Some(e),
                &FilterGroup::default(),
                false,
            )
        })
        .collect::<Result<_>>()?;
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };
    let scope = &*scope;
    let store = scope.store;
    let cal = scope.calendar(spec.interval);
    let Some((lo, hi)) = scope.span_in_range() else {
        return Err(Error::spec(
            "date_range",
            "no event of the data falls in the date range",
        )
        .keyed("range_empty", &[]));
    };
    let (first, last) = (cal.bucket(lo), cal.bucket(hi));
    let nb = cal.index(first, last) as usize + 1;
    if nb > MAX_BUCKETS {
        return Err(Error::spec(
            "interval",
            format!("{nb} intervals is too many to chart (at most {MAX_BUCKETS}); choose a longer interval"),
        )
        .keyed("too_many_intervals", &[("count", &nb), ("max", &MAX_BUCKETS)]));
    }
    // event code -> position in the chosen list (u32::MAX = not chosen)
    let mut chosen = vec![u32::MAX; store.event_names().len()];
    if matchers.is_empty() {
        chosen.iter_mut().for_each(|c| *c = 0);
    }
    for (i, m) in matchers.iter().enumerate() {
        let c = m.event.expect("named events") as usize;
        if chosen[c] == u32::MAX {
            chosen[c] = i as u32;
        }
    }
    let (ev, t) = (store.event_codes(), store.times());
    let bucket_of = |i: usize| cal.index(first, cal.bucket(t[i])) as usize;
    let counted =
        |i: usize| chosen[ev[i] as usize] != u32::MAX && scope.keep(i) && scope.in_range(t[i]);

    let mut series = Vec::new();
    let mut total = Counter::new(1, nb);
    match &values {
        None => {
            let labels: Vec<String> = if matchers.is_empty() {
                vec![ALL.to_string()]
            } else {
                spec.events.clone()
            };
            let mut c = Counter::new(labels.len(), nb);
            for (u, r) in scope.users() {
                for i in r.filter(|&i| counted(i)) {
                    let b = bucket_of(i);
                    c.add(chosen[ev[i] as usize] as usize, b, u);
                    total.add(0, b, u);
                }
            }
            for (s, label) in labels.into_iter().enumerate() {
                // a repeated event name has no events of its own
                series.push(c.series(s, label));
            }
        }
        Some(values) => {
            // pass 1: totals per value to choose the top values
            let mut per_value = Counter::new(values.len(), 1);
            for (u, r) in scope.users() {
                for i in r.filter(|&i| counted(i)) {
                    per_value.add(values.key(i) as usize, 0, u);
                }
            }
            let rank = match spec.measure {
                Measure::Events => &per_value.total_events,
                _ => &per_value.total_users,
            };
            let present: Vec<bool> = per_value.total_events.iter().map(|&e| e > 0).collect();
            let limit = spec.breakdown.as_ref().map_or(0, |b| b.limit);
            let ranked = Ranked::new(values, rank, &present, limit);
            let mut c = Counter::new(ranked.labels.len(), nb);
            for (u, r) in scope.users() {
                for i in r.filter(|&i| counted(i)) {
                    let b = bucket_of(i);
                    c.add(ranked.slot[values.key(i) as usize], b, u);
                    total.add(0, b, u);
                }
            }
            for (s, label) in ranked.labels.iter().enumerate() {
                series.push(c.series(s, label.clone()));
            }
        }
    }
    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    Ok(SegmentationResult {
        measure: spec.measure,
        interval: spec.interval,
        buckets: keys.iter().map(|&k| cal.label(k)).collect(),
        bucket_starts: keys
            .iter()
            .map(|&k| format_rfc3339(cal.start_micros(k)))
            .collect(),
        series,
        total: total.series(0, "(total)".to_string()),
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
    })
}

/// The result as a table (one row per interval and series).
pub fn table(r: &SegmentationResult) -> Table {
    let mut t = vec![["interval", "series", "events", "users"]
        .map(String::from)
        .to_vec()];
    for (b, label) in r.buckets.iter().enumerate() {
        for s in &r.series {
            t.push(vec![
                label.clone(),
                s.label.clone(),
                s.events[b].to_string(),
                s.users[b].to_string(),
            ]);
        }
    }
    t
}
