//! Cohort retention.
//!
//! Definition (DESIGN.md §3): a user's cohort is the calendar period of their first start
//! event ("first-time" retention; any event when no start event is named) among events
//! that pass the shared filters and the start event's own filters; the user is in the table
//! when that event lies in the date range. The user is
//! retained in period N (N ≥ 1) when they did a return event (any event when none is named)
//! in the N-th calendar period after the cohort's; in period 0 when they did one at or after
//! the start event (in source-row order) within the cohort period. `mode: "on_or_after"`
//! counts users who returned in period N or any later one.
//!
//! A cell exists only when its period has begun before the data ends; it is `complete` when
//! the period ended before the last event in the data. Incomplete cells are shown but left
//! out of the averages.

use super::table::Table;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{FilterGroup, Scoped};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest table: periods after the cohort's.
pub const MAX_PERIODS: u32 = 400;

/// A retention table to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    /// Event that puts a user in a cohort; any event when absent.
    #[serde(default)]
    pub start_event: Option<String>,
    /// Event that counts as a return; any event when absent.
    #[serde(default)]
    pub return_event: Option<String>,
    /// Period length (default day).
    #[serde(default)]
    pub period: Granularity,
    /// Periods after the cohort's to show (default: 30 days, 12 weeks, 12 months, 24 hours).
    #[serde(default)]
    pub periods: Option<u32>,
    /// Returned exactly in period N, or in N or later (default `on`).
    #[serde(default)]
    pub mode: RetentionMode,
    /// Who is in a cohort: first time (default), first ever, or recurring.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cohort: CohortKind,
    /// Return events needed in a period to count as retained (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min_occurrences: u32,
    /// Calendar periods (default) or rolling windows from the start event's instant.
    #[serde(default, skip_serializing_if = "is_default")]
    pub windows: Windows,
    /// Custom column brackets of periods, e.g. `[[1,3],[4,7],[8,14]]` (period 0 is always
    /// shown first); replaces `periods` when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brackets: Vec<[u32; 2]>,
    /// Which cells the average row uses: complete ones (default) or all.
    #[serde(default, skip_serializing_if = "is_default")]
    pub average_cells: AverageCells,
    /// A table per breakdown value; the start and return events must carry the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<crate::engine::spec::Breakdown>,
    /// Conditions on the start event's properties.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub start_filters: FilterGroup,
    /// Conditions on the return event's properties.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub return_filters: FilterGroup,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

/// Which start events put a user in a cohort.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CohortKind {
    /// The period of the user's first start event that matches the start filters (and
    /// the shared filters); it must lie in the date range.
    #[default]
    FirstTime,
    /// The period of the user's first-ever start event (by name alone); the user is in
    /// the table only when that event also matches the filters and lies in the range.
    FirstEver,
    /// Every period (in the range) in which the user did a start event: a user can be in
    /// several cohorts (PostHog's default).
    Recurring,
}

/// How periods after the start are cut.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Windows {
    /// Calendar periods in the scope's time zone.
    #[default]
    Calendar,
    /// Rolling windows from the start event's instant: period N is
    /// `[start + N·len, start + (N+1)·len)` with len 1 h, 24 h, 7 days or 30 days.
    Rolling,
}

/// Which cells the average row includes.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AverageCells {
    /// Only complete cells (periods that ended before the data did).
    #[default]
    Complete,
    /// Every observable cell, the incomplete last ones included.
    All,
}

/// N-day ("on") or unbounded ("on or after") retention.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RetentionMode {
    /// Returned in period N.
    #[default]
    On,
    /// Returned in period N or any later period.
    OnOrAfter,
}

/// A retention table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RetentionResult {
    /// Period length.
    pub period: Granularity,
    /// Periods after the cohort's (columns are 0..=periods).
    pub periods: u32,
    /// One row per cohort, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Mean retention per period over complete cells.
    pub average: Vec<AverageCell>,
    /// Users in all cohorts.
    pub users: u64,
    /// Timestamp of the last event in the data (RFC 3339).
    pub data_end: String,
}

/// One cohort row.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cohort {
    /// Period label, e.g. `2025-09-01`.
    pub label: String,
    /// Users in the cohort.
    pub size: u64,
    /// Retained users per period; only periods that began before the data ended.
    pub retained: Vec<u64>,
    /// `retained / size` per period.
    pub rates: Vec<f64>,
    /// Whether each period had ended before the data ended.
    pub complete: Vec<bool>,
}

/// The average of one period over cohorts whose cell is complete.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AverageCell {
    /// Period index.
    pub period: u32,
    /// Σ retained / Σ size over complete cells.
    pub weighted: Option<f64>,
    /// Mean of the complete cells' rates.
    pub simple: Option<f64>,
    /// How many cohorts are complete for this period.
    pub cohorts: u32,
}

impl RetentionSpec {
    /// The number of periods after the cohort's, with the granularity's default.
    pub fn period_count(&self) -> u32 {
        self.periods.unwrap_or(match self.period {
            Granularity::Hour => 24,
            Granularity::Day => 30,
            Granularity::Week | Granularity::Month => 12,
        })
    }
}

/// Computes a retention table.
pub fn run(scope: &mut Scoped, spec: &RetentionSpec) -> Result<RetentionResult> {
    let periods = spec.period_count();
    if periods == 0 || periods > MAX_PERIODS {
        return Err(Error::spec(
            "periods",
            format!("must be between 1 and {MAX_PERIODS}, got {periods}"),
        ));
    }
    let start = scope.matcher(
        "start_event",
        spec.start_event.as_deref(),
        &spec.start_filters,
        false,
    )?;
    let ret = scope.matcher(
        "return_event",
        spec.return_event.as_deref(),
        &spec.return_filters,
        false,
    )?;
    let scope = &*scope;
    let cal = scope.calendar(spec.period);
    let np = periods as usize + 1;
    let data_end = scope.data_span.1;
    let last_bucket = cal.bucket(data_end);

    // cohort bucket -> (size, retained per period)
    let mut table: BTreeMap<i64, (u64, Vec<u64>)> = BTreeMap::new();
    let mut hit = vec![false; np];
    let t = scope.store.times();
    let is_start = |i: usize, u: u32| scope.keep(i) && scope.matches(&start, i, u);
    let is_return = |i: usize, u: u32| scope.keep(i) && scope.matches(&ret, i, u);
    for (u, r) in scope.users() {
        let Some(first) = r.clone().find(|&i| is_start(i, u)) else {
            continue;
        };
        if !scope.in_range(t[first]) {
            continue;
        }
        let cohort = cal.bucket(t[first]);
        hit.iter_mut().for_each(|h| *h = false);
        match spec.mode {
            RetentionMode::On => {
                for i in first..r.end {
                    if !is_return(i, u) {
                        continue;
                    }
                    let n = cal.index(cohort, cal.bucket(t[i])) as usize;
                    if n >= np {
                        break; // events are in time order: nothing later is in the table
                    }
                    hit[n] = true;
                }
            }
            RetentionMode::OnOrAfter => {
                // returned in period N or later ⇔ the last return is in period ≥ N, even
                // when that period is beyond the columns shown
                if let Some(i) = (first..r.end)
                    .rev()
                    .find(|&i| is_return(i, u))
                {
                    let last = cal.index(cohort, cal.bucket(t[i])).max(0) as usize;
                    hit.iter_mut().take(last + 1).for_each(|h| *h = true);
                }
            }
        }
        let row = table.entry(cohort).or_insert_with(|| (0, vec![0; np]));
        row.0 += 1;
        for (c, h) in row.1.iter_mut().zip(&hit) {
            *c += u64::from(*h);
        }
    }

    let mut cohorts = Vec::with_capacity(table.len());
    let mut sums = vec![(0u64, 0u64, 0.0f64, 0u32); np]; // retained, size, rate sum, cohorts
    let mut users = 0;
    for (&key, (size, retained)) in &table {
        users += size;
        let observable = (cal.index(key, last_bucket) + 1).clamp(0, np as i64) as usize;
        let retained: Vec<u64> = retained[..observable].to_vec();
        let complete: Vec<bool> = (0..observable)
            .map(|n| cal.start_micros(cal.add(key, n as i64 + 1)) <= data_end)
            .collect();
        let rates: Vec<f64> = retained.iter().map(|&r| r as f64 / *size as f64).collect();
        for n in 0..observable {
            if complete[n] {
                let s = &mut sums[n];
                s.0 += retained[n];
                s.1 += size;
                s.2 += rates[n];
                s.3 += 1;
            }
        }
        cohorts.push(Cohort {
            label: cal.label(key),
            size: *size,
            retained,
            rates,
            complete,
        });
    }
    let average = sums
        .iter()
        .enumerate()
        .map(|(n, &(r, s, rate_sum, c))| AverageCell {
            period: n as u32,
            weighted: (s > 0).then(|| r as f64 / s as f64),
            simple: (c > 0).then(|| rate_sum / c as f64),
            cohorts: c,
        })
        .collect();
    Ok(RetentionResult {
        period: spec.period,
        periods,
        cohorts,
        average,
        users,
        data_end: format_rfc3339(data_end),
    })
}

/// The result as a table (one row per cohort).
pub fn table(r: &RetentionResult) -> Table {
    let n = r.periods as usize + 1;
    let mut head = vec!["cohort".to_string(), "size".to_string()];
    head.extend((0..n).map(|i| format!("users_{i}")));
    head.extend((0..n).map(|i| format!("rate_{i}")));
    head.extend((0..n).map(|i| format!("complete_{i}")));
    let mut t = vec![head];
    for c in &r.cohorts {
        let mut row = vec![c.label.clone(), c.size.to_string()];
        let cell = |i: usize, f: &dyn Fn(usize) -> String| {
            if i < c.retained.len() {
                f(i)
            } else {
                String::new()
            }
        };
        row.extend((0..n).map(|i| cell(i, &|i| c.retained[i].to_string())));
        row.extend((0..n).map(|i| cell(i, &|i| c.rates[i].to_string())));
        row.extend((0..n).map(|i| cell(i, &|i| c.complete[i].to_string())));
        t.push(row);
    }
    t
}
