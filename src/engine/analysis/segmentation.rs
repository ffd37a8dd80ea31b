//! Segmentation: events or unique users per calendar interval.
//!
//! Without a breakdown there is one series per chosen event (or one "all events" series
//! when none is chosen). With a breakdown by a property there is one series per property
//! value over all chosen events: the top `limit` values by the chosen measure, then
//! "other" for the rest and "(none)" for events without a value. Unique users are exact:
//! a user is counted once per series and interval. `total` is the chosen events combined.
//! Intervals run from the first to the last event in the data, including empty ones.

use super::event_code;
use crate::engine::error::{Error, Result};
use crate::engine::store::{Dictionary, EventStore, PropertyValues};
use crate::engine::time::{format_rfc3339, Calendar, Granularity, TimeZone, WeekStart};
use serde::{Deserialize, Serialize};

/// Most intervals a chart may have.
pub const MAX_BUCKETS: usize = 20_000;

/// Label of the series that gathers values beyond the top `limit`.
pub const OTHER: &str = "(other)";
/// Label of the series of events without a breakdown value.
pub const NONE: &str = "(none)";
/// Label of the series of all events when none is chosen.
pub const ALL: &str = "(all events)";

/// A segmentation to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
    /// Property to break down by.
    #[serde(default)]
    pub breakdown: Option<String>,
    /// Top values kept in a breakdown (default 10; 0 keeps all).
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Offset at which intervals are cut (default UTC).
    #[serde(default)]
    pub timezone: TimeZone,
    /// First day of a week (default Monday).
    #[serde(default)]
    pub week_start: WeekStart,
}

fn default_limit() -> usize {
    10
}

impl Default for SegmentationSpec {
    fn default() -> Self {
        SegmentationSpec {
            events: Vec::new(),
            measure: Measure::default(),
            interval: Granularity::Day,
            breakdown: None,
            limit: default_limit(),
            timezone: TimeZone::UTC,
            week_start: WeekStart::Monday,
        }
    }
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

/// Per-event breakdown keys: 0 = no value, otherwise 1 + index into `labels`.
fn breakdown_keys(store: &EventStore, name: &str) -> Result<(Vec<u32>, Vec<String>)> {
    let prop = store.property(name).ok_or_else(|| {
        let names: Vec<&str> = store.properties().iter().map(|p| p.name.as_str()).collect();
        Error::spec(
            "breakdown",
            format!(
                "no property named \"{name}\"; properties are: {}",
                names.join(", ")
            ),
        )
    })?;
    Ok(match &prop.values {
        PropertyValues::String { dict, codes } => {
            (codes.clone(), dict.iter().map(str::to_owned).collect())
        }
        PropertyValues::Number { values } => {
            let mut dict = Dictionary::default();
            let keys = (0..values.len())
                .map(|i| prop.display(i).map_or(0, |s| dict.intern(&s) + 1))
                .collect();
            (keys, dict.iter().map(str::to_owned).collect())
        }
    })
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

/// Computes a segmentation.
pub fn run(store: &EventStore, spec: &SegmentationSpec) -> Result<SegmentationResult> {
    let codes: Vec<u32> = spec
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| event_code(store, &format!("events[{i}]"), e))
        .collect::<Result<_>>()?;
    let cal = Calendar {
        granularity: spec.interval,
        zone: spec
            .timezone
            .resolve()
            .map_err(|e| Error::spec("timezone", e))?,
        week_start: spec.week_start,
    };
    let (lo, hi) = store.time_span().ok_or(Error::NoEvents)?;
    let (first, last) = (cal.bucket(lo), cal.bucket(hi));
    let nb = cal.index(first, last) as usize + 1;
    if nb > MAX_BUCKETS {
        return Err(Error::spec(
            "interval",
            format!("{nb} intervals is too many to chart (at most {MAX_BUCKETS}); choose a longer interval"),
        ));
    }
    // event code -> position in the chosen list (u32::MAX = not chosen)
    let mut chosen = vec![u32::MAX; store.event_names().len()];
    if codes.is_empty() {
        chosen.iter_mut().for_each(|c| *c = 0);
    }
    for (i, &c) in codes.iter().enumerate() {
        if chosen[c as usize] == u32::MAX {
            chosen[c as usize] = i as u32;
        }
    }
    let (ev, t) = (store.event_codes(), store.times());
    let bucket_of = |i: usize| cal.index(first, cal.bucket(t[i])) as usize;

    let mut series = Vec::new();
    let mut total = Counter::new(1, nb);
    match &spec.breakdown {
        None => {
            let labels: Vec<String> = if codes.is_empty() {
                vec![ALL.to_string()]
            } else {
                spec.events.clone()
            };
            let mut c = Counter::new(labels.len(), nb);
            for (u, r) in store.user_ranges().enumerate() {
                for i in r.filter(|&i| chosen[ev[i] as usize] != u32::MAX) {
                    let b = bucket_of(i);
                    c.add(chosen[ev[i] as usize] as usize, b, u as u32);
                    total.add(0, b, u as u32);
                }
            }
            for (s, label) in labels.into_iter().enumerate() {
                // a repeated event name has no events of its own
                series.push(c.series(s, label));
            }
        }
        Some(prop) => {
            let (keys, labels) = breakdown_keys(store, prop)?;
            // pass 1: totals per value to choose the top values
            let mut per_value = Counter::new(labels.len() + 1, 1);
            for (u, r) in store.user_ranges().enumerate() {
                for i in r.filter(|&i| chosen[ev[i] as usize] != u32::MAX) {
                    per_value.add(keys[i] as usize, 0, u as u32);
                }
            }
            let mut ranked: Vec<usize> = (1..=labels.len())
                .filter(|&k| per_value.total_events[k] > 0)
                .collect();
            let rank_key = |k: usize| match spec.measure {
                Measure::Events => per_value.total_events[k],
                _ => per_value.total_users[k],
            };
            ranked.sort_by(|&a, &b| {
                rank_key(b)
                    .cmp(&rank_key(a))
                    .then(labels[a - 1].cmp(&labels[b - 1]))
            });
            let keep = if spec.limit == 0 {
                ranked.len()
            } else {
                spec.limit.min(ranked.len())
            };
            let has_other = keep < ranked.len();
            let has_none = per_value.total_events[0] > 0;
            // key -> series index
            let other = keep;
            let none = keep + usize::from(has_other);
            let mut slot = vec![other; labels.len() + 1];
            for (s, &k) in ranked[..keep].iter().enumerate() {
                slot[k] = s;
            }
            slot[0] = none;
            let nseries = none + usize::from(has_none);
            let mut c = Counter::new(nseries, nb);
            for (u, r) in store.user_ranges().enumerate() {
                for i in r.filter(|&i| chosen[ev[i] as usize] != u32::MAX) {
                    let b = bucket_of(i);
                    c.add(slot[keys[i] as usize], b, u as u32);
                    total.add(0, b, u as u32);
                }
            }
            for (s, &k) in ranked[..keep].iter().enumerate() {
                series.push(c.series(s, labels[k - 1].clone()));
            }
            if has_other {
                series.push(c.series(other, OTHER.to_string()));
            }
            if has_none {
                series.push(c.series(none, NONE.to_string()));
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
        breakdown: spec.breakdown.clone(),
    })
}
