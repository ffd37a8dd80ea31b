//! Cohort retention.
//!
//! Definitions (DESIGN.md §3; the options follow PostHog where the research lists choices).
//! A user's events are taken in (time, source row) order. A **start event** is an event
//! that passes the shared filters and matches `start_event` (any event when none is named)
//! and `start_filters`; a **return event** likewise matches `return_event` and
//! `return_filters`.
//!
//! **Cohorts** (`cohort`). A user enters the table through *memberships*, each with one
//! start event; its calendar period (in the scope's zone and week start) is the cohort.
//! - `first_time` (default): the user's first start event; the user is in the table when
//!   it lies in the date range.
//! - `first_ever`: the user's first event named like the start event (their first event
//!   at all when none is named), whatever its properties and the shared filters; the user
//!   is in the table only when that very event is a start event and lies in the range.
//! - `recurring`: one membership per calendar period that holds a start event lying in the
//!   range; its start event is the first such event of that period. A user can be in
//!   several cohorts.
//!
//! **Periods** (`windows`). A return event counts for a membership only at or after its
//! start event (equal timestamps: later in the file). With calendar windows (default) it
//! is in period N when its calendar period is N periods after the cohort's, so period 0
//! is the rest of the cohort's period. With rolling windows period N is
//! `[s + N·len, s + (N+1)·len)` from the start event's instant `s`, with len 1 hour,
//! 24 hours, 7 days or 30 days; the cohort label stays the start event's calendar period.
//!
//! **Retained** (`mode`, `min_occurrences` K). A period *qualifies* when it holds at least
//! K return events of the membership (the start event itself is one when it is also a
//! return event). `on`: retained in period N when period N qualifies. `on_or_after`:
//! when some period ≥ N qualifies, also one beyond the columns shown.
//!
//! **Columns** (`periods`, `brackets`). Column 0 is period 0, then one column per period
//! 1..=`periods`, or, with brackets, one column per bracket `[a, b]` (`periods` is then
//! ignored). A member is retained in a bracket when any period a..=b qualifies (`on`) or
//! any period ≥ a does (`on_or_after`). `periods` in the result is the number of columns
//! after column 0.
//!
//! **Cells.** A cohort's cell for a column `[a, b]` exists when period a has begun by the
//! last event of the data (rolling windows: for the cohort's earliest start). It is
//! `complete` when period b has ended by then: calendar `start(cohort + b + 1) ≤ data end`;
//! rolling `s + (b+1)·len ≤ data end` for the cohort's latest start, so for every member.
//!
//! **Averages** (`average_cells`) per column, over the cohorts whose cell is complete
//! (default) or exists (`all`): weighted Σ retained ÷ Σ size, and the simple mean of the
//! cells' rates. `users` is the number of distinct users in the table's cohorts (with
//! recurring cohorts a user may count in several cohort sizes but once in `users`).
//!
//! **Breakdown** (PostHog's rule). Each pair (user, value) is taken as a user of its own
//! whose events are the user's events carrying that value: a start event with value v
//! puts the user in value v's cohorts (by the rules above, applied to the user's events
//! with value v; `first_time` is thus the user's first start event with value v), and only
//! return events with value v count. With a user property every event of a user has the
//! user's value, so the user simply is in their value's table. Values are ranked by their
//! cohort users (Σ cohort sizes, ties by label); the top `limit` get a table each, then
//! `(other)`, then `(none)` (start events without a value). `(other)` counts a user once per
//! cohort: they are in it when they are in that cohort under any of its values, and
//! retained in a column when retained there under any of them (PostHog instead adds the
//! values' counts up, which can count a user twice). The top-level table is the same
//! analysis without the breakdown.

use super::table::Table;
use crate::engine::days::DayIndex;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, BreakdownValues, EventMatcher, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, Calendar, Granularity, DAY, HOUR};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Longest table: periods after the cohort's.
pub const MAX_PERIODS: u32 = 400;

/// A retention table to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
    pub breakdown: Option<Breakdown>,
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

impl Default for RetentionSpec {
    fn default() -> Self {
        RetentionSpec {
            start_event: None,
            return_event: None,
            period: Granularity::default(),
            periods: None,
            mode: RetentionMode::default(),
            cohort: CohortKind::default(),
            min_occurrences: 1,
            windows: Windows::default(),
            brackets: Vec::new(),
            average_cells: AverageCells::default(),
            breakdown: None,
            start_filters: FilterGroup::default(),
            return_filters: FilterGroup::default(),
        }
    }
}

/// A retention table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RetentionResult {
    /// Period length.
    pub period: Granularity,
    /// Columns after column 0: the periods shown, or the number of brackets.
    pub periods: u32,
    /// Column labels: `"0"`, `"1"`, ... or, with brackets, `"0"`, `"1–3"`, `"4–7"`
    /// (a one-period bracket is labelled by its period).
    #[serde(default)]
    pub columns: Vec<String>,
    /// One row per cohort, oldest first (without the breakdown, if any).
    pub cohorts: Vec<Cohort>,
    /// Mean retention per column over the cells `average_cells` names.
    pub average: Vec<AverageCell>,
    /// Distinct users in the cohorts.
    pub users: u64,
    /// Timestamp of the last event in the data (RFC 3339).
    pub data_end: String,
    /// Which cells the averages use.
    #[serde(default)]
    pub average_cells: AverageCells,
    /// One table per breakdown value (empty without a breakdown): the top values by
    /// cohort users, then `(other)`, then `(none)`.
    #[serde(default)]
    pub breakdowns: Vec<RetentionBreakdown>,
}

/// The retention table of one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RetentionBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// One row per cohort, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Mean retention per column.
    pub average: Vec<AverageCell>,
    /// Distinct users in this value's cohorts.
    pub users: u64,
}

/// One cohort row.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cohort {
    /// Period label, e.g. `2025-09-01`.
    pub label: String,
    /// Users in the cohort.
    pub size: u64,
    /// Retained users per column; only columns whose first period began before the data
    /// ended.
    pub retained: Vec<u64>,
    /// `retained / size` per column.
    pub rates: Vec<f64>,
    /// Whether each column's last period had ended before the data ended.
    pub complete: Vec<bool>,
}

/// The average of one column over the cohorts whose cell counts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AverageCell {
    /// Column index (the period index when there are no brackets).
    pub period: u32,
    /// Σ retained / Σ size over the cells used.
    pub weighted: Option<f64>,
    /// Mean of the used cells' rates.
    pub simple: Option<f64>,
    /// How many cohorts' cells are used.
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

    /// The columns as inclusive period ranges: `(0, 0)` then each period or bracket.
    pub fn columns(&self) -> Result<Vec<(u32, u32)>> {
        let mut cols = vec![(0, 0)];
        if self.brackets.is_empty() {
            let periods = self.period_count();
            if periods == 0 || periods > MAX_PERIODS {
                return Err(Error::spec(
                    "periods",
                    format!("must be between 1 and {MAX_PERIODS}, got {periods}"),
                )
                .keyed("periods_range", &[("max", &MAX_PERIODS), ("got", &periods)]));
            }
            cols.extend((1..=periods).map(|n| (n, n)));
            return Ok(cols);
        }
        for (k, &[a, b]) in self.brackets.iter().enumerate() {
            let field = format!("brackets[{k}]");
            if a == 0 {
                return Err(Error::spec(
                    field,
                    "a bracket starts at period 1 or later (period 0 is always the first column)",
                )
                .keyed("bracket_start", &[]));
            }
            if a > b {
                return Err(Error::spec(
                    field,
                    format!("[{a}, {b}] ends before it starts"),
                )
                .keyed("bracket_reversed", &[("from", &a), ("to", &b)]));
            }
            if b > MAX_PERIODS {
                return Err(Error::spec(
                    field,
                    format!("periods go up to {MAX_PERIODS}, got {b}"),
                )
                .keyed("periods_range", &[("max", &MAX_PERIODS), ("got", &b)]));
            }
            let prev = cols[cols.len() - 1].1;
            if k > 0 && a <= prev {
                return Err(Error::spec(
                    field,
                    format!("brackets must be in ascending order without overlap: [{a}, {b}] starts at or before period {prev}"),
                )
                .keyed("brackets_order", &[("from", &a), ("to", &b), ("prev", &prev)]));
            }
            cols.push((a, b));
        }
        Ok(cols)
    }
}

fn column_label(&(a, b): &(u32, u32)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}–{b}")
    }
}

/// Computes a retention table.
pub fn run(scope: &mut Scoped, spec: &RetentionSpec) -> Result<RetentionResult> {
    let cols = spec.columns()?;
    if spec.min_occurrences == 0 {
        return Err(Error::spec("min_occurrences", "must be at least 1").keyed("at_least_one", &[]));
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
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };
    let scope = &*scope;
    let ctx = Ctx {
        scope,
        spec,
        cal: scope.calendar(spec.period),
        len: match spec.windows {
            Windows::Calendar => None,
            Windows::Rolling => Some(match spec.period {
                Granularity::Hour => HOUR,
                Granularity::Day => DAY,
                Granularity::Week => 7 * DAY,
                Granularity::Month => 30 * DAY,
            }),
        },
        last: cols[cols.len() - 1].1 as i64,
        cols,
        start,
        ret,
        days: None,
    };
    // the period of every local day of the index, counted from its first day
    let ctx = Ctx {
        days: match ctx.len {
            None => scope.days().and_then(|ix| {
                let keys = ix.keys(&ctx.cal)?;
                let of_day = keys.iter().map(|&k| ctx.cal.index(keys[0], k)).collect();
                Some((ix, of_day))
            }),
            Some(_) => None,
        },
        ..ctx
    };

    let whole = ctx.tables(None, 1);
    let (cohorts, average, users) = ctx.finish(&whole, 0);
    let mut breakdowns = Vec::new();
    if let (Some(values), Some(b)) = (&values, &spec.breakdown) {
        // pass 1: cohort users per value, to rank the values
        let mut rank = vec![0u64; values.len()];
        let mut starts = Vec::new();
        for (u, r) in scope.users() {
            ctx.memberships(u, r, Some(values), &mut starts);
            for &(v, _) in &starts {
                rank[v as usize] += 1;
            }
        }
        let present: Vec<bool> = rank.iter().map(|&n| n > 0).collect();
        let ranked = Ranked::new(values, &rank, &present, b.limit);
        // pass 2: the tables per value
        let tables = ctx.tables(Some((values, &ranked.slot)), ranked.labels.len());
        for (slot, label) in ranked.labels.iter().enumerate() {
            let (cohorts, average, users) = ctx.finish(&tables, slot);
            breakdowns.push(RetentionBreakdown {
                value: label.clone(),
                cohorts,
                average,
                users,
            });
        }
    }
    Ok(RetentionResult {
        period: spec.period,
        periods: ctx.cols.len() as u32 - 1,
        columns: ctx.cols.iter().map(column_label).collect(),
        cohorts,
        average,
        users,
        data_end: format_rfc3339(scope.data_span.1),
        average_cells: spec.average_cells,
        breakdowns,
    })
}

/// What every part of the computation reads.
struct Ctx<'s, 'a> {
    scope: &'s Scoped<'a>,
    spec: &'s RetentionSpec,
    cal: Calendar,
    /// Rolling window length; `None` for calendar periods.
    len: Option<i64>,
    /// Columns as inclusive period ranges.
    cols: Vec<(u32, u32)>,
    /// The last period any column covers.
    last: i64,
    start: EventMatcher,
    ret: EventMatcher,
    /// With calendar periods of a day or longer: the local day of every event, and per
    /// day of the index its period counted from the index's first day (the period
    /// distance of two events is the difference of their days' periods).
    days: Option<(Arc<DayIndex>, Vec<i64>)>,
}

/// The cohorts of one table being counted.
#[derive(Default)]
struct Tables {
    /// (slot, cohort key) -> row.
    rows: BTreeMap<(usize, i64), Row>,
    /// Distinct users per slot.
    users: Vec<u64>,
}

struct Row {
    size: u64,
    retained: Vec<u64>,
    /// Earliest and latest start instant of the members.
    first: i64,
    latest: i64,
}

/// One membership after the breakdown's slots are applied: a user in a cohort.
struct Member {
    slot: usize,
    cohort: i64,
    first: i64,
    latest: i64,
    /// Where its flags (one per column) start in the user's flag buffer.
    hits: usize,
}

impl Ctx<'_, '_> {
    fn is_start(&self, i: usize, u: u32) -> bool {
        self.scope.keep(i) && self.scope.matches(&self.start, i, u)
    }

    /// The memberships of user `u` as (breakdown key, start event) pairs; the key is 0
    /// without a breakdown.
    fn memberships(
        &self,
        u: u32,
        r: std::ops::Range<usize>,
        values: Option<&BreakdownValues>,
        out: &mut Vec<(u32, usize)>,
    ) {
        out.clear();
        let scope = self.scope;
        let t = scope.store.times();
        let key = |i: usize| values.map_or(0, |v| v.key(i));
        match self.spec.cohort {
            CohortKind::FirstTime => {
                let mut seen: Vec<u32> = Vec::new();
                let mut insert = |k: u32| {
                    !seen.contains(&k) && {
                        seen.push(k);
                        true
                    }
                };
                for i in r {
                    // without a breakdown every key is 0: the first start event is new
                    if self.is_start(i, u)
                        && (values.is_none() || insert(key(i)))
                        && scope.in_range(t[i])
                    {
                        out.push((key(i), i));
                    }
                    if values.is_none() && self.is_start(i, u) {
                        break; // without a breakdown only the first start event matters
                    }
                }
            }
            CohortKind::FirstEver => {
                let codes = scope.store.event_codes();
                let mut seen: Vec<u32> = Vec::new();
                let mut insert = |k: u32| {
                    !seen.contains(&k) && {
                        seen.push(k);
                        true
                    }
                };
                for i in r {
                    let named = self.start.event.is_none_or(|c| codes[i] == c);
                    if named
                        && (values.is_none() || insert(key(i)))
                        && self.is_start(i, u)
                        && scope.in_range(t[i])
                    {
                        out.push((key(i), i));
                    }
                    if values.is_none() && named {
                        break; // without a breakdown only the first such event matters
                    }
                }
            }
            CohortKind::Recurring => {
                let mut seen: Vec<(u32, i64)> = Vec::new();
                for i in r {
                    if self.is_start(i, u) && scope.in_range(t[i]) {
                        let k = (key(i), self.cal.bucket(t[i]));
                        if seen.contains(&k) {
                            continue;
                        }
                        seen.push(k);
                        out.push((key(i), i));
                    }
                }
            }
        }
    }

    /// Which columns a membership is retained in. `events` are user `u`'s events from
    /// the membership's start event on (its first), `v` the membership's breakdown key.
    /// Appends one flag per column to `out`; `qualifies` is scratch space.
    fn hits(
        &self,
        u: u32,
        events: std::ops::Range<usize>,
        v: u32,
        values: Option<&BreakdownValues>,
        qualifies: &mut Vec<bool>,
        out: &mut Vec<bool>,
    ) {
        let scope = self.scope;
        let t = scope.store.times();
        let s = events.start;
        let cohort = self.cal.bucket(t[s]);
        // return events come in time order: a cursor buckets them
        let mut cursor = self.cal.cursor();
        let day_period = self.days.as_ref().map(|(ix, of_day)| {
            let days = ix.days();
            (days, of_day, of_day[days[s] as usize])
        });
        let mut period = |i: usize| match (self.len, day_period) {
            (None, Some((days, of_day, p))) => of_day[days[i] as usize] - p,
            (None, None) => self.cal.index(cohort, cursor.key(t[i])),
            (Some(len), _) => (t[i] - t[s]) / len,
        };
        let k = self.spec.min_occurrences;
        let on = self.spec.mode == RetentionMode::On;
        qualifies.clear();
        qualifies.resize(self.last as usize + 1, false);
        let mut far = false; // a period after the last column qualifies
        let mut close = |n: i64, count: u32, far: &mut bool| {
            if count >= k {
                if n <= self.last {
                    qualifies[n as usize] = true;
                } else {
                    *far = true;
                }
            }
        };
        let mut run: Option<(i64, u32)> = None;
        for i in events {
            if !(scope.keep(i) && scope.matches(&self.ret, i, u))
                || values.is_some_and(|vals| vals.key(i) != v)
            {
                continue;
            }
            let n = period(i);
            if on && n > self.last {
                break; // events are in time order: nothing later is in a column
            }
            run = match run {
                Some((m, c)) if m == n => Some((n, c + 1)),
                Some((m, c)) => {
                    close(m, c, &mut far);
                    Some((n, 1))
                }
                None => Some((n, 1)),
            };
            if run.is_some_and(|(n, c)| n > self.last && c >= k) {
                break; // on or after: every column is a hit
            }
        }
        if let Some((n, c)) = run {
            close(n, c, &mut far);
        }
        out.extend(self.cols.iter().map(|&(a, b)| {
            if on {
                qualifies[a as usize..=b as usize].iter().any(|&q| q)
            } else {
                far || qualifies[a as usize..].iter().any(|&q| q)
            }
        }));
    }

    /// Counts every table: `breakdown` gives the values and the slot of each key.
    fn tables(&self, breakdown: Option<(&BreakdownValues, &[usize])>, slots: usize) -> Tables {
        let scope = self.scope;
        let t = scope.store.times();
        let values = breakdown.map(|b| b.0);
        let mut out = Tables {
            rows: BTreeMap::new(),
            users: vec![0; slots],
        };
        let mut starts = Vec::new();
        let mut members: Vec<Member> = Vec::new();
        let (mut flags, mut scratch) = (Vec::new(), Vec::new());
        let nc = self.cols.len();
        for (u, r) in scope.users() {
            self.memberships(u, r.clone(), values, &mut starts);
            if starts.is_empty() {
                continue;
            }
            members.clear();
            flags.clear();
            for &(v, s) in &starts {
                let slot = breakdown.map_or(0, |(_, slots)| slots[v as usize]);
                let cohort = self.cal.bucket(t[s]);
                let at = flags.len();
                self.hits(u, s..r.end, v, values, &mut scratch, &mut flags);
                // values gathered in (other) can give a user two memberships of one cohort
                match (members.iter()).position(|m| m.slot == slot && m.cohort == cohort) {
                    Some(m) => {
                        let m = &mut members[m];
                        for c in 0..nc {
                            flags[m.hits + c] |= flags[at + c];
                        }
                        flags.truncate(at);
                        m.first = m.first.min(t[s]);
                        m.latest = m.latest.max(t[s]);
                    }
                    None => {
                        members.push(Member {
                            slot,
                            cohort,
                            first: t[s],
                            latest: t[s],
                            hits: at,
                        });
                    }
                }
            }
            for (k, m) in members.iter().enumerate() {
                if !members[..k].iter().any(|p| p.slot == m.slot) {
                    out.users[m.slot] += 1;
                }
                let row = out.rows.entry((m.slot, m.cohort)).or_insert_with(|| Row {
                    size: 0,
                    retained: vec![0; self.cols.len()],
                    first: m.first,
                    latest: m.latest,
                });
                row.size += 1;
                row.first = row.first.min(m.first);
                row.latest = row.latest.max(m.latest);
                for (c, &h) in row.retained.iter_mut().zip(&flags[m.hits..m.hits + nc]) {
                    *c += u64::from(h);
                }
            }
        }
        out
    }

    /// The cohort rows, averages and users of one slot.
    fn finish(&self, tables: &Tables, slot: usize) -> (Vec<Cohort>, Vec<AverageCell>, u64) {
        let data_end = self.scope.data_span.1;
        let last_bucket = self.cal.bucket(data_end);
        let nc = self.cols.len();
        let all = self.spec.average_cells == AverageCells::All;
        let mut sums = vec![(0u64, 0u64, 0.0f64, 0u32); nc]; // retained, size, rate sum, cohorts
        let mut cohorts = Vec::new();
        for (&(_, key), row) in tables.rows.range((slot, i64::MIN)..=(slot, i64::MAX)) {
            let begun = |a: u32| match self.len {
                None => self.cal.index(key, last_bucket) >= a as i64,
                Some(len) => row.first + a as i64 * len <= data_end,
            };
            let ended = |b: u32| match self.len {
                None => self.cal.start_micros(self.cal.add(key, b as i64 + 1)) <= data_end,
                Some(len) => row.latest + (b as i64 + 1) * len <= data_end,
            };
            let observable = self.cols.iter().take_while(|c| begun(c.0)).count();
            let retained = row.retained[..observable].to_vec();
            let complete: Vec<bool> = self.cols[..observable].iter().map(|c| ended(c.1)).collect();
            let rates: Vec<f64> = retained
                .iter()
                .map(|&r| r as f64 / row.size as f64)
                .collect();
            for n in 0..observable {
                if all || complete[n] {
                    let s = &mut sums[n];
                    s.0 += retained[n];
                    s.1 += row.size;
                    s.2 += rates[n];
                    s.3 += 1;
                }
            }
            cohorts.push(Cohort {
                label: self.cal.label(key),
                size: row.size,
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
        (cohorts, average, tables.users[slot])
    }
}

/// The result as a table: one row per cohort, with a leading `breakdown` column (and the
/// rows of every value's table) when there is a breakdown.
pub fn table(r: &RetentionResult) -> Table {
    let n = r.periods as usize + 1;
    let names: Vec<String> = if r.columns.len() == n {
        r.columns.clone()
    } else {
        (0..n).map(|i| i.to_string()).collect()
    };
    let by = !r.breakdowns.is_empty();
    let mut head = Vec::new();
    if by {
        head.push("breakdown".to_string());
    }
    head.extend(["cohort".to_string(), "size".to_string()]);
    head.extend(names.iter().map(|c| format!("users_{c}")));
    head.extend(names.iter().map(|c| format!("rate_{c}")));
    head.extend(names.iter().map(|c| format!("complete_{c}")));
    let mut t = vec![head];
    let mut rows = |value: Option<&str>, cohorts: &[Cohort]| {
        for c in cohorts {
            let mut row = Vec::with_capacity(3 + 3 * n);
            row.extend(value.map(str::to_string));
            row.extend([c.label.clone(), c.size.to_string()]);
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
    };
    if by {
        for b in &r.breakdowns {
            rows(Some(&b.value), &b.cohorts);
        }
    } else {
        rows(None, &r.cohorts);
    }
    t
}
