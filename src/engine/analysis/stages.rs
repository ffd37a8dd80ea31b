//! User stages: the operations lifecycle 新增 / 活跃 / 沉默 / 流失 / 回流 (new, active,
//! silent, churned, returned) per interval, and the movement of users between two
//! intervals.
//!
//! Definitions (DESIGN.md §3, research features.md §2.4). Days are calendar days in the
//! scope's time zone; intervals are calendar days, weeks (the scope's week start) or
//! months.
//!
//! - **Activity.** An *active event* passes the shared filters and matches `event` (any
//!   event when none is named) and `event_filters`. A user's *active days* are the days
//!   holding an active event before the date range's end, including days before the
//!   range (history decides how long a user has been inactive).
//! - **Appearance.** A user *appears* on their creation day, decided over the whole data
//!   and never from the date range, as in the lifecycle: the user's `created_at` value
//!   when set and readable, else the day of their first event in the whole data (any
//!   event, whatever its name or the filters). Active days before the appearance day
//!   count for nothing. Only users with at least one event passing the shared filters are
//!   counted at all.
//! - **Periods.** Interval `k` is evaluated over its *period*: its days clipped to the
//!   shown span (from the day of the later of the data's first event and the range's
//!   start, to the day of the earlier of the data's last event and the range's end). Its
//!   *evaluation day* `e` is the period's last day: the interval's last day, or the span's
//!   last day for the last interval.
//! - **Stages.** Every user who has appeared by `e` is in exactly one stage at interval
//!   `k` (so the five counts add up to `seen`, the users appeared so far), taking the
//!   first that applies:
//!   1. **new** (新增): appeared in the period;
//!   2. **returned** (回流): has an active day `a` in the period on which they came back
//!      after being churned: `a − 1 − p ≥ churned_days`, where `p` is the previous active
//!      day (or the appearance day when there is none), i.e. on day `a − 1` they had been
//!      inactive for `churned_days` days or more;
//!   3. by the days `g = e − l` since the last active day `l ≤ e` (the appearance day when
//!      the user has no active day yet, or a later appearance day): **active** (活跃) when
//!      `g < silent_days`, **silent** (沉默) when `silent_days ≤ g < churned_days`,
//!      **churned** (流失) when `g ≥ churned_days`.
//!
//!   So with S = 7 a user last active on day 1 is active on days 1 to 7 and silent from
//!   day 8 (7 whole days without activity); with C = 30, churned from day 31. New and
//!   returned say what happened during the interval, the other three where the user
//!   stands at its end.
//! - **Transitions.** The users by stage at interval `from` (rows, `unseen` for users not
//!   yet appeared) and stage at interval `to` (columns), with the stages as in the series:
//!   row sums are the stage counts at `from`, column sums those at `to`. `from` and `to`
//!   are dates naming the interval holding them; by default the first and last interval
//!   shown. `members` lists the user ids of one cell.
//! - **Incomplete** intervals: the shared rule (`Scoped::incomplete`).
//! - **Breakdown.** Stages are about users, so a breakdown splits users, each by their own
//!   value, by the lifecycle's rule ([`Breakdown::per_user`]): every property is read as a
//!   user property (the scope's `user_properties` rule over all the user's events),
//!   whatever its `source`. Values are ranked by their users counted (appeared by the last
//!   evaluation day); the top `limit` get the five series each, then `(other)`, then
//!   `(none)` (users without a value). The values' series add up to the top-level ones,
//!   which stay those of all users, as does the transition table.
//!
//! Defaults: `silent_days` = 7 and `churned_days` = 30, the usual weekly and monthly
//! windows (retentioneering's daily states use the same 7 / 30 days); the seeds name the
//! stages but give no numbers.

use super::lifecycle::created_at;
use super::table::Table;
use super::transitions::{self, locate, Cell, Tally, Transitions, UNSEEN};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, BreakdownValues, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, parse_timestamp, Calendar, Granularity};
use serde::{Deserialize, Serialize};

/// Most intervals a stage series may have.
pub const MAX_INTERVALS: usize = 20_000;

/// Most (breakdown value, stage, interval) counts a stage analysis may compute.
pub const MAX_CELLS: usize = 4_000_000;

/// The stages' JSON names, in stage order.
pub const STAGES: [&str; 5] = ["new", "active", "silent", "churned", "returned"];

const NEW: u8 = 0;
const ACTIVE: u8 = 1;
const SILENT: u8 = 2;
const CHURNED: u8 = 3;
const RETURNED: u8 = 4;

/// A stage analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StagesSpec {
    /// The event that makes a user active; any event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Conditions on that event's own properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub event_filters: FilterGroup,
    /// Interval length: day (default), week or month.
    #[serde(default)]
    pub interval: Granularity,
    /// Days without activity from which a user is silent (default 7).
    #[serde(default = "seven")]
    pub silent_days: u32,
    /// Days without activity from which a user is churned (default 30; more than
    /// `silent_days`).
    #[serde(default = "thirty")]
    pub churned_days: u32,
    /// A property holding when each user was created; the user's first event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// A date in the interval whose stages are the transition table's rows (default: the
    /// first interval shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A date in the interval whose stages are its columns (default: the last shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A cell of the transition table whose user ids to list (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Cell>,
    /// The stages per value of one or several properties, each user by their own value
    /// (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn seven() -> u32 {
    7
}

fn thirty() -> u32 {
    30
}

impl Default for StagesSpec {
    fn default() -> Self {
        StagesSpec {
            event: None,
            event_filters: FilterGroup::default(),
            interval: Granularity::Day,
            silent_days: 7,
            churned_days: 30,
            created_at: None,
            from: None,
            to: None,
            members: None,
            breakdown: None,
        }
    }
}

/// Stage counts per interval and the transitions between two intervals.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StagesResult {
    /// Interval length.
    pub interval: Granularity,
    /// Interval labels, e.g. `2025-09-01`.
    pub buckets: Vec<String>,
    /// Interval start instants (RFC 3339).
    pub bucket_starts: Vec<String>,
    /// The day each interval is evaluated at (its period's last day).
    pub evaluated_on: Vec<String>,
    /// Intervals only partly covered by the date range or the data.
    pub incomplete: Vec<bool>,
    /// Users who appeared in the period.
    pub new: Vec<u64>,
    /// Users inactive for fewer than `silent_days` days at the evaluation day.
    pub active: Vec<u64>,
    /// Users inactive for `silent_days` to `churned_days − 1` days.
    pub silent: Vec<u64>,
    /// Users inactive for `churned_days` days or more.
    pub churned: Vec<u64>,
    /// Users who came back in the period after being churned.
    pub returned: Vec<u64>,
    /// Users appeared by the evaluation day (the sum of the five stages).
    pub seen: Vec<u64>,
    /// Days without activity from which a user is silent.
    pub silent_days: u32,
    /// Days without activity from which a user is churned.
    pub churned_days: u32,
    /// The property creation was read from; `None`: the first event.
    pub created_at: Option<String>,
    /// Users by stage at one interval and at a later one.
    pub transitions: Transitions,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The stages of the users of each breakdown value (empty without a breakdown): the
    /// top values by users, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<StagesBreakdown>,
}

/// The stages of the users with one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StagesBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// Users who appeared in the period.
    pub new: Vec<u64>,
    /// Users inactive for fewer than `silent_days` days at the evaluation day.
    pub active: Vec<u64>,
    /// Users inactive for `silent_days` to `churned_days − 1` days.
    pub silent: Vec<u64>,
    /// Users inactive for `churned_days` days or more.
    pub churned: Vec<u64>,
    /// Users who came back in the period after being churned.
    pub returned: Vec<u64>,
    /// Users appeared by the evaluation day (the sum of the five stages).
    pub seen: Vec<u64>,
}

impl StagesBreakdown {
    /// The five stage series, in [`STAGES`] order.
    pub fn series(&self) -> [&Vec<u64>; 5] {
        [
            &self.new,
            &self.active,
            &self.silent,
            &self.churned,
            &self.returned,
        ]
    }
}

impl StagesResult {
    /// The five stage series, in [`STAGES`] order.
    pub fn series(&self) -> [&Vec<u64>; 5] {
        [
            &self.new,
            &self.active,
            &self.silent,
            &self.churned,
            &self.returned,
        ]
    }
}

/// Validates the day thresholds: `1 ≤ silent_days < churned_days`.
pub(crate) fn check_days(spec: &StagesSpec) -> Result<()> {
    if spec.silent_days >= 1 && spec.silent_days < spec.churned_days {
        return Ok(());
    }
    let field = if spec.silent_days < 1 {
        "silent_days"
    } else {
        "churned_days"
    };
    Err(Error::spec(
        field,
        format!(
            "silent_days ({}) must be at least 1 and less than churned_days ({})",
            spec.silent_days, spec.churned_days
        ),
    )
    .keyed(
        "stage_days",
        &[
            ("silent", &spec.silent_days),
            ("churned", &spec.churned_days),
        ],
    ))
}

/// The shown interval holding date `value` of field `field`, as an index.
pub(crate) fn interval_of(
    scope: &Scoped,
    cal: &Calendar,
    first: i64,
    nb: usize,
    field: &str,
    value: &str,
) -> Result<usize> {
    let bad = || {
        Error::spec(
            field,
            format!("\"{value}\" is no date of an interval shown"),
        )
        .keyed("transition_date", &[("date", &value)])
    };
    let t = parse_timestamp(value, &scope.zone).ok_or_else(bad)?;
    let k = cal.index(first, cal.bucket(t));
    if k < 0 || k >= nb as i64 {
        return Err(bad());
    }
    Ok(k as usize)
}

/// The transition table's intervals: `from` and `to` as indexes, `from ≤ to`.
pub(crate) fn transition_intervals(
    scope: &Scoped,
    cal: &Calendar,
    first: i64,
    nb: usize,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(usize, usize)> {
    let kf = match from {
        Some(v) => interval_of(scope, cal, first, nb, "from", v)?,
        None => 0,
    };
    let kt = match to {
        Some(v) => interval_of(scope, cal, first, nb, "to", v)?,
        None => nb - 1,
    };
    if kf > kt {
        return Err(Error::spec(
            "to",
            "the interval to compare must not be before the first one",
        )
        .keyed(
            "transition_order",
            &[("from", &from.unwrap_or("")), ("to", &to.unwrap_or(""))],
        ));
    }
    Ok((kf, kt))
}

/// The values of a per-user breakdown ranked by the users `counted` (a user by the key of
/// their first event, as [`Breakdown::per_user`] keys them), the top `limit` kept; shared by
/// the stages and the health tiers. An error when the kept values times `cells_per_value`
/// (states × intervals) exceed [`MAX_CELLS`].
pub(crate) fn rank_users(
    scope: &Scoped,
    values: &BreakdownValues,
    limit: usize,
    cells_per_value: usize,
    counted: impl Fn(u32, &std::ops::Range<usize>) -> bool,
) -> Result<Ranked> {
    let mut rank = vec![0u64; values.len()];
    for (u, r) in scope.users() {
        if counted(u, &r) {
            rank[values.key(r.start) as usize] += 1;
        }
    }
    let present: Vec<bool> = rank.iter().map(|&n| n > 0).collect();
    let ranked = Ranked::new(values, &rank, &present, limit);
    let cells = ranked.labels.len() * cells_per_value;
    if cells > MAX_CELLS {
        return Err(Error::spec(
            "breakdown",
            format!("{cells} values to compute is too many (at most {MAX_CELLS}); lower the breakdown limit or choose a longer interval"),
        )
        .keyed("too_many_values", &[("count", &cells), ("max", &MAX_CELLS)]));
    }
    Ok(ranked)
}

/// The transition cell to list, validated against `states`.
pub(crate) fn member_cell(states: &[&str], cell: Option<&Cell>) -> Result<Option<(usize, usize)>> {
    match cell {
        None => Ok(None),
        Some(c) => locate(states, c).map(Some).ok_or_else(|| {
            Error::spec(
                "members",
                format!(
                    "unknown cell {} → {}: states are unseen (rows only), {}",
                    c.from,
                    c.to,
                    states.join(", ")
                ),
            )
            .keyed("unknown_state", &[("from", &c.from), ("to", &c.to)])
        }),
    }
}

/// Computes the stages.
pub fn run(scope: &mut Scoped, spec: &StagesSpec) -> Result<StagesResult> {
    if spec.interval == Granularity::Hour {
        return Err(Error::spec(
            "interval",
            "stages count whole days: choose day, week or month",
        )
        .keyed("whole_days_interval", &[]));
    }
    check_days(spec)?;
    let cell = member_cell(&STAGES, spec.members.as_ref())?;
    let matcher = scope.matcher(
        "event",
        spec.event.as_deref(),
        &FilterGroup::default(),
        false,
    )?;
    let own = if spec.event_filters.is_empty() {
        None
    } else {
        Some(scope.compile("event_filters", &spec.event_filters)?)
    };
    let created = match &spec.created_at {
        Some(name) => Some(created_at(scope, name)?),
        None => None,
    };
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", &b.per_user())?),
        None => None,
    };
    let scope = &*scope;
    let store = scope.store;
    let dcal = scope.calendar(Granularity::Day);
    let cal = scope.calendar(spec.interval);
    let (lo, hi) = scope.data_in_range()?;
    let (first, _, nb) = scope.intervals(&cal, (lo, hi), MAX_INTERVALS, "interval")?;
    let (kf, kt) = transition_intervals(
        scope,
        &cal,
        first,
        nb,
        spec.from.as_deref(),
        spec.to.as_deref(),
    )?;
    let (d_lo, d_hi) = (dcal.bucket(lo), dcal.bucket(hi));
    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    // each interval's period as (first day, evaluation day)
    let periods: Vec<(i64, i64)> = keys
        .iter()
        .map(|&k| {
            let s = dcal.bucket(cal.start_micros(k)).max(d_lo);
            let e = dcal.bucket(cal.start_micros(cal.add(k, 1)) - 1).min(d_hi);
            (s, e.max(s))
        })
        .collect();
    let silent = spec.silent_days as i64;
    let churned = spec.churned_days as i64;
    let t = store.times();
    // the creation day of user `u` (events `r`), or none when the user is not counted
    // (no event passing the filters, or created after the last day shown)
    let born_day = |u: u32, r: &std::ops::Range<usize>| -> Option<i64> {
        if scope.has_filters() && !r.clone().any(|i| scope.keep(i)) {
            return None;
        }
        let born = match &created {
            Some(c) if c.times[u as usize] != i64::MIN => c.times[u as usize],
            _ => t[r.start],
        };
        Some(dcal.bucket(born)).filter(|&b| b <= d_hi)
    };
    // breakdown: a slot per user, values ranked by their users counted
    let ranked = match (&values, &spec.breakdown) {
        (Some(v), Some(b)) => Some(rank_users(scope, v, b.limit, STAGES.len() * nb, |u, r| {
            born_day(u, r).is_some()
        })?),
        _ => None,
    };
    let mut by_value =
        vec![0u64; ranked.as_ref().map_or(0, |r| r.labels.len()) * STAGES.len() * nb];
    let range_end = scope.range.1;
    let mut counts = vec![0u64; STAGES.len() * nb];
    let mut tally = Tally::new(STAGES.len(), cell);
    let mut days: Vec<i64> = Vec::new();
    let mut returns: Vec<i64> = Vec::new();
    for (u, r) in scope.users() {
        let Some(b) = born_day(u, &r) else {
            continue;
        };
        // the user's value's first count: `[slot][stage][interval]`
        let at = match (&values, &ranked) {
            (Some(v), Some(rk)) => rk.slot[v.key(r.start) as usize] * STAGES.len() * nb,
            _ => usize::MAX,
        };
        days.clear();
        returns.clear();
        // the rest of a day already active changes nothing: its events are skipped
        let mut skip_until = i64::MIN;
        let mut i = r.start;
        while i < r.end {
            let ti = t[i];
            if ti >= range_end {
                break;
            }
            if ti < skip_until {
                i += t[i..r.end].partition_point(|&x| x < skip_until);
                continue;
            }
            i += 1;
            if !(scope.keep(i - 1)
                && scope.matches(&matcher, i - 1, u)
                && own.as_ref().is_none_or(|f| scope.test(f, i - 1, u)))
            {
                continue;
            }
            let (d, until) = dcal.bucket_until(ti);
            skip_until = until;
            // before the appearance, or a day already seen (where a zone's clock turns
            // back across midnight)
            if d < b || days.last().is_some_and(|&l| d <= l) {
                continue;
            }
            if d - 1 - days.last().copied().unwrap_or(b) >= churned {
                returns.push(d);
            }
            days.push(d);
        }
        let (mut ja, mut jr) = (0, 0);
        let (mut at_from, mut at_to) = (UNSEEN, UNSEEN);
        for (k, &(p, e)) in periods.iter().enumerate() {
            if b > e {
                continue;
            }
            while ja < days.len() && days[ja] <= e {
                ja += 1;
            }
            while jr < returns.len() && returns[jr] < p {
                jr += 1;
            }
            let stage = if b >= p {
                NEW
            } else if jr < returns.len() && returns[jr] <= e {
                RETURNED
            } else {
                let last = if ja > 0 { days[ja - 1].max(b) } else { b };
                let g = e - last;
                if g < silent {
                    ACTIVE
                } else if g < churned {
                    SILENT
                } else {
                    CHURNED
                }
            };
            counts[stage as usize * nb + k] += 1;
            if at != usize::MAX {
                by_value[at + stage as usize * nb + k] += 1;
            }
            if k == kf {
                at_from = stage;
            }
            if k == kt {
                at_to = stage;
            }
        }
        tally.add(at_from, at_to, || store.user_id(u as usize).to_string());
    }

    let row = |s: u8| counts[s as usize * nb..(s as usize + 1) * nb].to_vec();
    let seen = (0..nb)
        .map(|k| (0..STAGES.len()).map(|s| counts[s * nb + k]).sum())
        .collect();
    let breakdowns = match &ranked {
        Some(rk) => rk
            .labels
            .iter()
            .zip(by_value.chunks(STAGES.len() * nb))
            .map(|(value, c)| {
                let row = |s: u8| c[s as usize * nb..(s as usize + 1) * nb].to_vec();
                StagesBreakdown {
                    value: value.clone(),
                    new: row(NEW),
                    active: row(ACTIVE),
                    silent: row(SILENT),
                    churned: row(CHURNED),
                    returned: row(RETURNED),
                    seen: (0..nb)
                        .map(|k| (0..STAGES.len()).map(|s| c[s * nb + k]).sum())
                        .collect(),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let buckets: Vec<String> = keys.iter().map(|&k| cal.label(k)).collect();
    let transitions = tally.finish(&STAGES, buckets[kf].clone(), buckets[kt].clone());
    Ok(StagesResult {
        interval: spec.interval,
        bucket_starts: keys
            .iter()
            .map(|&k| format_rfc3339(cal.start_micros(k)))
            .collect(),
        evaluated_on: periods.iter().map(|&(_, e)| dcal.label(e)).collect(),
        incomplete: keys.iter().map(|&k| scope.incomplete(&cal, k)).collect(),
        buckets,
        new: row(NEW),
        active: row(ACTIVE),
        silent: row(SILENT),
        churned: row(CHURNED),
        returned: row(RETURNED),
        seen,
        silent_days: spec.silent_days,
        churned_days: spec.churned_days,
        created_at: spec.created_at.clone(),
        transitions,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        breakdowns,
    })
}

/// The result as a table in the layout `section, interval, to_interval, from_state,
/// state, users`: first the stage counts (section `stages`, one row per interval and
/// stage, then `seen`), then the transition table (section `transitions`, one row per
/// cell). With a breakdown, a leading `breakdown` column (empty on these rows) and after
/// them the stage counts of every value in turn.
pub fn table(r: &StagesResult) -> Table {
    let by = !r.breakdowns.is_empty();
    let mut head: Vec<String> = Vec::new();
    if by {
        head.push("breakdown".into());
    }
    head.extend(transitions::HEADER.map(String::from));
    let mut t = vec![head];
    // `value`: the breakdown cell, when there is a breakdown
    let lead = |value: &str, row: Vec<String>| -> Vec<String> {
        if by {
            std::iter::once(value.to_string()).chain(row).collect()
        } else {
            row
        }
    };
    let stage_rows = |t: &mut Table, value: &str, series: Vec<&Vec<u64>>| {
        let names = STAGES.iter().copied().chain(["seen"]);
        for (k, label) in r.buckets.iter().enumerate() {
            for (name, s) in names.clone().zip(&series) {
                t.push(lead(
                    value,
                    vec![
                        "stages".into(),
                        label.clone(),
                        String::new(),
                        String::new(),
                        name.into(),
                        s[k].to_string(),
                    ],
                ));
            }
        }
    };
    stage_rows(
        &mut t,
        "",
        r.series().into_iter().chain([&r.seen]).collect(),
    );
    for row in transitions::rows(&r.transitions) {
        t.push(lead("", row));
    }
    for b in &r.breakdowns {
        stage_rows(
            &mut t,
            &b.value,
            b.series().into_iter().chain([&b.seen]).collect(),
        );
    }
    t
}
