//! Stickiness: how many users were active in 1, 2, 3, ... intervals of the date range
//! (PostHog's definition, research features.md §2.3).
//!
//! **Matching events.** An event counts when it passes the shared filters, matches `event`
//! (any event when none is named) and `event_filters`, and lies in the date range.
//!
//! **Intervals.** The date range is cut into calendar intervals (`interval`: hour, day,
//! week or month, in the scope's time zone and week start). The intervals are those the
//! range *touches*: a range that starts on a Wednesday touches that whole week, so the
//! week counts as one interval (PostHog counts intervals the same way), but only the
//! events inside the range count in it. An open end of the range (all data, or a range
//! without `from` / `to`) is closed by the first / last event of the data. With
//! `interval_count` N, consecutive groups of N intervals counted from the first touched
//! interval form one interval each (the last group may be shorter); PostHog instead counts
//! its groups back from the end of the range.
//!
//! **Active interval.** An interval is active for a user when the user has at least one
//! matching event in it and the number of matching events in it satisfies `criteria`
//! (`gte` K: at least K; `lte` K: at most K; `eq` K: exactly K). "At most K" still needs
//! one event, as in PostHog.
//!
//! **Counts.** For each user, the number of active intervals c (0 to the number of
//! intervals n). x runs over 1..=n; `users[x-1]` is the number of users with c = x
//! (`non_cumulative`, the default) or c ≥ x (`cumulative`). A user with no active
//! interval is in no count. `total_users` is the number of users with c ≥ 1, `percent`
//! each count over `total_users`, and `average_intervals` the mean c of those users.
//!
//! **Breakdown.** PostHog has no breakdown of stickiness, so Loupe uses the rule of its
//! retention breakdown: each pair (user, value) is a user of its own whose events are the
//! user's matching events carrying that value (with a user property, every event of the
//! user has the user's value). A user with events of several values is thus counted in
//! several series, each time with the intervals of that value's events only. Values are
//! ranked by their users (c ≥ 1), ties by label; the top `limit` are series, the other
//! values together form `(other)` (one pair per user: the intervals of all their events
//! with any of those values) and events without a value `(none)`. `total` is the same
//! analysis without the breakdown.

use super::table::Table;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{too_many_intervals, Breakdown, EventMatcher, FilterGroup, Ranked, Scoped};
use crate::engine::time::{BucketCursor, Calendar, Granularity};
use serde::{Deserialize, Serialize};

/// Most intervals (x values) a stickiness chart may have.
pub const MAX_INTERVALS: usize = super::trends::MAX_BUCKETS;

/// Most (series × x) counts a result may hold.
pub const MAX_CELLS: usize = 4_000_000;

/// Label of the series of all events when no event is named.
pub use super::trends::ALL;

/// A stickiness analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StickinessSpec {
    /// The event that makes a user active; any event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Conditions on the event's properties (default: none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub event_filters: FilterGroup,
    /// Interval length (default day).
    #[serde(default)]
    pub interval: Granularity,
    /// Intervals grouped into one (default 1): 2 with weeks = two-week intervals.
    #[serde(default = "one")]
    pub interval_count: u32,
    /// Users with exactly x active intervals (default) or at least x.
    #[serde(default)]
    pub computed: Computed,
    /// Events an interval needs to be active (default: at least 1).
    #[serde(default)]
    pub criteria: Criteria,
    /// One series per property value (top `limit`, then other and none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn one() -> u32 {
    1
}

impl Default for StickinessSpec {
    fn default() -> Self {
        StickinessSpec {
            event: None,
            event_filters: FilterGroup::default(),
            interval: Granularity::Day,
            interval_count: 1,
            computed: Computed::default(),
            criteria: Criteria::default(),
            breakdown: None,
        }
    }
}

/// Exactly or at least x intervals.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Computed {
    /// Users active in exactly x intervals.
    #[default]
    NonCumulative,
    /// Users active in x or more intervals.
    Cumulative,
}

/// How many matching events an interval needs to be active.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// The comparison of the interval's event count with `value`.
    pub op: CountOp,
    /// The number compared with (at least 1).
    pub value: u32,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            op: CountOp::Gte,
            value: 1,
        }
    }
}

impl Criteria {
    /// True when an interval with `count` matching events is active.
    #[inline]
    pub fn holds(&self, count: u32) -> bool {
        count >= 1
            && match self.op {
                CountOp::Gte => count >= self.value,
                CountOp::Lte => count <= self.value,
                CountOp::Eq => count == self.value,
            }
    }
}

/// A comparison of an event count.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CountOp {
    /// At least.
    Gte,
    /// At most (and at least one).
    Lte,
    /// Exactly.
    Eq,
}

/// Users by number of active intervals.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StickinessResult {
    /// Interval length.
    pub interval: Granularity,
    /// Intervals per counted interval.
    pub interval_count: u32,
    /// Exactly or at least x.
    pub computed: Computed,
    /// The rule an interval had to meet.
    pub criteria: Criteria,
    /// The x values: 1..=number of intervals in the date range.
    pub x: Vec<u32>,
    /// Label of the first interval the date range touches (e.g. `2025-09-01`).
    pub first_interval: String,
    /// Label of the last interval the date range touches.
    pub last_interval: String,
    /// One series per breakdown value (top values, then `(other)`, `(none)`), or the one
    /// series of the event without a breakdown.
    pub series: Vec<StickinessSeries>,
    /// All matching events, without the breakdown.
    pub total: StickinessSeries,
    /// The breakdown's name, if any.
    pub breakdown: Option<String>,
}

/// Users per x of one series.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StickinessSeries {
    /// Event name, `(all events)`, a breakdown value, `(other)` or `(none)`.
    pub label: String,
    /// Users per x (index x − 1), exactly or at least x as `computed` says.
    pub users: Vec<u64>,
    /// `users` over `total_users` (0 when the series has no users).
    pub percent: Vec<f64>,
    /// Users with at least one active interval.
    pub total_users: u64,
    /// Mean number of active intervals of those users (0 when none).
    pub average_intervals: f64,
}

impl StickinessSeries {
    /// A series from exact counts: `exact[c]` users with c active intervals (c = 0..=n).
    fn new(label: String, exact: &[u64], computed: Computed) -> StickinessSeries {
        let n = exact.len() - 1;
        let total: u64 = exact[1..].iter().sum();
        let weighted: u64 = exact.iter().enumerate().map(|(c, &u)| c as u64 * u).sum();
        let users: Vec<u64> = match computed {
            Computed::NonCumulative => exact[1..].to_vec(),
            Computed::Cumulative => {
                let mut v = vec![0; n];
                let mut acc = 0;
                for x in (1..=n).rev() {
                    acc += exact[x];
                    v[x - 1] = acc;
                }
                v
            }
        };
        let share = |u: u64| {
            if total == 0 {
                0.0
            } else {
                u as f64 / total as f64
            }
        };
        StickinessSeries {
            label,
            percent: users.iter().map(|&u| share(u)).collect(),
            users,
            total_users: total,
            average_intervals: if total == 0 {
                0.0
            } else {
                weighted as f64 / total as f64
            },
        }
    }
}

/// The interval index of instants (groups of `group` calendar intervals from `first`).
struct Intervals<'c> {
    cursor: BucketCursor<'c>,
    cal: &'c Calendar,
    first: i64,
    group: i64,
    /// The last bucket key and its interval index.
    last: (i64, u32),
}

impl<'c> Intervals<'c> {
    fn new(cal: &'c Calendar, first: i64, group: i64) -> Self {
        Intervals {
            cursor: cal.cursor(),
            cal,
            first,
            group,
            last: (i64::MIN, 0),
        }
    }

    #[inline]
    fn of(&mut self, t: i64) -> u32 {
        let key = self.cursor.key(t);
        if key != self.last.0 {
            self.last = (key, (self.cal.index(self.first, key) / self.group) as u32);
        }
        self.last.1
    }
}

/// Where a pass reads an event's interval: a table by local day of the day index, or the
/// instants (hour intervals, or data without a day index).
enum Cols<'c> {
    /// `of_day[days[i]]` (days before the first interval never count: 0).
    Days { days: &'c [u16], of_day: Vec<u32> },
    /// The bucket of the event's instant.
    Times {
        times: &'c [i64],
        intervals: Intervals<'c>,
    },
}

impl Cols<'_> {
    #[inline]
    fn of(&mut self, i: usize) -> u32 {
        match self {
            Cols::Days { days, of_day } => of_day[days[i] as usize],
            Cols::Times { times, intervals } => intervals.of(times[i]),
        }
    }
}

/// The series slots of a counting pass: how many, and the slot in which every counted
/// event also counts (the total), if any.
#[derive(Clone, Copy)]
struct Slots {
    count: usize,
    total: Option<u32>,
}

/// A user's counted events as (interval, slot, events), in event order.
type Units = Vec<(u32, u32, u32)>;

/// Counts active intervals per (user, slot) and reports each pair that had a matching
/// event: `done(slot, active intervals)`. `fill(user, events, units)` puts the user's
/// counted events in `units`; with `total`, every unit also counts in that slot. Flat
/// per-slot state, reset per user through a list of the slots the user touched; no
/// allocation per event.
fn count_pairs(
    scope: &Scoped,
    criteria: Criteria,
    Slots {
        count: slots,
        total,
    }: Slots,
    mut fill: impl FnMut(u32, std::ops::Range<usize>, &mut Units),
    mut done: impl FnMut(usize, u32),
) {
    let mut last = vec![u32::MAX; slots];
    let mut events = vec![0u32; slots];
    let mut active = vec![0u32; slots];
    let mut touched: Vec<usize> = Vec::new();
    let mut buf: Units = Vec::new();
    for (u, r) in scope.users() {
        buf.clear();
        fill(u, r, &mut buf);
        // local time can step back over an interval boundary (daylight saving)
        let sorted = buf.windows(2).all(|w| w[0].0 <= w[1].0);
        if let Some(t) = total {
            for k in 0..buf.len() {
                let (x, _, n) = buf[k];
                buf.push((x, t, n));
            }
        }
        if !sorted {
            buf.sort_unstable();
        }
        for &(x, s, n) in &buf {
            let s = s as usize;
            if last[s] == u32::MAX {
                touched.push(s);
                events[s] = n;
            } else if last[s] == x {
                events[s] += n;
            } else {
                active[s] += u32::from(criteria.holds(events[s]));
                events[s] = n;
            }
            last[s] = x;
        }
        for &s in &touched {
            active[s] += u32::from(criteria.holds(events[s]));
            done(s, active[s]);
            last[s] = u32::MAX;
            events[s] = 0;
            active[s] = 0;
        }
        touched.clear();
    }
}

/// The `fill` of [`count_pairs`] that reads events one by one: a user's counted events,
/// each in its interval and in the slot `slot` gives.
fn per_event<'a>(
    counted: &'a impl Fn(usize, u32) -> bool,
    mut cols: Cols<'a>,
    slot: &'a dyn Fn(usize) -> u32,
) -> impl FnMut(u32, std::ops::Range<usize>, &mut Units) + 'a {
    move |u, r, buf| {
        for i in r {
            if counted(i, u) {
                buf.push((cols.of(i), slot(i), 1));
            }
        }
    }
}

/// Computes users by number of active intervals.
pub fn run(scope: &mut Scoped, spec: &StickinessSpec) -> Result<StickinessResult> {
    if spec.interval_count == 0 {
        return Err(Error::spec("interval_count", "must be at least 1").keyed("at_least_one", &[]));
    }
    if spec.criteria.value == 0 {
        return Err(Error::spec("criteria.value", "must be at least 1").keyed("at_least_one", &[]));
    }
    let matcher: EventMatcher =
        scope.matcher("event", spec.event.as_deref(), &spec.event_filters, false)?;
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };
    let scope = &*scope;
    let (lo, hi) = scope.range_touched()?;
    let cal: Calendar = scope.calendar(spec.interval);
    let (first, last) = cal.key_span(lo, hi);
    let base = cal.index(first, last) as usize + 1;
    let group = spec.interval_count as usize;
    let n = base.div_ceil(group);
    if n > MAX_INTERVALS {
        return Err(too_many_intervals("interval", n, MAX_INTERVALS));
    }
    let times = scope.store.times();
    let all_in = scope.all_in_range();
    let counted = |i: usize, u: u32| {
        (all_in || scope.in_range(times[i])) && scope.keep(i) && scope.matches(&matcher, i, u)
    };
    let index = scope.days();
    // the interval of every local day of the index, when intervals are days or longer
    let of_day: Option<Vec<u32>> = index.as_ref().and_then(|ix| {
        let keys = ix.keys(&cal)?;
        Some(keys.iter().map(|&k| (cal.index(first, k).max(0) / group as i64) as u32).collect())
    });
    let cols = || match (&index, &of_day) {
        (Some(ix), Some(of_day)) => Cols::Days {
            days: ix.days(),
            of_day: of_day.clone(),
        },
        _ => Cols::Times {
            times,
            intervals: Intervals::new(&cal, first, group as i64),
        },
    };
    // users per (series, active intervals); the slot after the series' is the total
    let histogram = |slots: usize, slot: &dyn Fn(usize) -> u32, total: bool| -> Vec<u64> {
        let all = slots + usize::from(total);
        let mut h = vec![0u64; all * (n + 1)];
        let slots = Slots {
            count: all,
            total: total.then_some(slots as u32),
        };
        count_pairs(scope, spec.criteria, slots, per_event(&counted, cols(), slot), |s, c| {
            h[s * (n + 1) + c as usize] += 1
        });
        h
    };
    let row = |h: &[u64], s: usize, label: String| {
        StickinessSeries::new(label, &h[s * (n + 1)..(s + 1) * (n + 1)], spec.computed)
    };
    let (series, total) = match &values {
        None => {
            let label = spec.event.clone().unwrap_or_else(|| ALL.to_string());
            // one series: the same count with the slot known, not asked per event
            let mut h = vec![0u64; n + 1];
            let slots = Slots {
                count: 1,
                total: None,
            };
            let add = |_, c: u32| h[c as usize] += 1;
            match (&index, &of_day) {
                // every event counts: a user's runs of same-day events at once
                (Some(ix), Some(of_day))
                    if scope.counts_every_event()
                        && matcher.event.is_none()
                        && !matcher.has_filter() =>
                {
                    count_pairs(
                        scope,
                        spec.criteria,
                        slots,
                        |u, _, buf: &mut Units| {
                            let (days, events) = ix.runs(u as usize);
                            for (&d, &e) in days.iter().zip(events) {
                                buf.push((of_day[d as usize], 0, e));
                            }
                        },
                        add,
                    )
                }
                _ => count_pairs(
                    scope,
                    spec.criteria,
                    slots,
                    per_event(&counted, cols(), &|_| 0),
                    add,
                ),
            }
            (vec![row(&h, 0, label)], row(&h, 0, "(total)".into()))
        }
        Some(values) => {
            // pass 1: users (c ≥ 1) per value, to rank the values
            let mut users = vec![0u64; values.len()];
            let mut present = vec![false; values.len()];
            count_pairs(
                scope,
                spec.criteria,
                Slots {
                    count: values.len(),
                    total: None,
                },
                per_event(&counted, cols(), &|i| values.key(i)),
                |s, c| {
                    present[s] = true;
                    users[s] += u64::from(c > 0);
                },
            );
            let limit = spec.breakdown.as_ref().map_or(0, |b| b.limit);
            let ranked = Ranked::new(values, &users, &present, limit);
            let slots = ranked.labels.len();
            if slots * n > MAX_CELLS {
                return Err(Error::spec(
                    "breakdown",
                    format!("{slots} series of {n} intervals is too many (at most {MAX_CELLS} counts); keep fewer values or choose a longer interval"),
                )
                .keyed("too_many_cells", &[("series", &slots), ("count", &n), ("max", &MAX_CELLS)]));
            }
            // pass 2: the series and the total
            let h = histogram(slots, &|i| ranked.slot[values.key(i) as usize] as u32, true);
            let series = (ranked.labels.iter().enumerate())
                .map(|(s, label)| row(&h, s, label.clone()))
                .collect();
            (series, row(&h, slots, "(total)".into()))
        }
    };
    Ok(StickinessResult {
        interval: spec.interval,
        interval_count: spec.interval_count,
        computed: spec.computed,
        criteria: spec.criteria,
        x: (1..=n as u32).collect(),
        first_interval: cal.label(first),
        last_interval: cal.label(last),
        series,
        total,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
    })
}

/// The result as a table: one row per (series, x).
pub fn table(r: &StickinessResult) -> Table {
    let mut t = vec![["series", "intervals", "users", "percent"]
        .map(String::from)
        .to_vec()];
    for s in &r.series {
        for (k, &x) in r.x.iter().enumerate() {
            t.push(vec![
                s.label.clone(),
                x.to_string(),
                s.users[k].to_string(),
                s.percent[k].to_string(),
            ]);
        }
    }
    t
}
