//! User health (用户健康度) and the user pyramid (用户金字塔): every user who has appeared is
//! put in one of five tiers, core / active / casual / at risk / dormant, by recency,
//! frequency and (optionally) value, per interval; plus the movement between tiers from
//! one interval to another (the transition table shared with the user stages).
//!
//! Definitions (DESIGN.md §3 "user health score and user pyramid"; the seeds describe
//! the health analysis as a composite of behaviour data but give no tiers or numbers, so
//! the tiers and thresholds below are Loupe's, all editable):
//!
//! - **Days, activity, intervals, periods, evaluation day `e`**: as in the user stages
//!   (`stages.rs`): calendar days in the scope's zone; an *active event* passes the
//!   shared filters and matches `event` / `event_filters`; activity before the date range
//!   counts; intervals are days, weeks or months, each evaluated on its period's last day.
//! - **Appearance**: the day of the user's first event in the whole data (any event).
//!   Only users with an event passing the shared filters are counted.
//! - **Recency** at `e`: days since the last active day on or before `e` (0 = active on
//!   `e`); none for a user with no active day yet.
//! - **Frequency** at `e`: in the `window_days` days ending on `e` (`e − window_days + 1`
//!   to `e`), the user's active days (`frequency: active_days`, the default) or active
//!   events (`events`).
//! - **Value** at `e` (only with `value`): the net amount of the user's purchase events
//!   (`analysis/purchases.rs`: refunds lower it) passing the shared filters in the same
//!   window; 0 without `value`.
//! - **Tiers**: the first of core, active, casual, at risk whose rule holds — recency ≤
//!   `max_recency_days`, frequency ≥ `min_frequency` and value ≥ `min_value` — else
//!   **dormant**. A `min_value` of 0 is no condition (a window whose refunds exceed its
//!   purchases has a negative value and still meets it). A user with no activity yet is
//!   dormant. Defaults (30-day window, active
//!   days): core ≤ 3 days and ≥ 8 active days; active ≤ 7 days and ≥ 3; casual ≤ 14 days
//!   and ≥ 1; at risk ≤ 29 days and ≥ 1 (seen in the window but not in the last two
//!   weeks); dormant: no activity for 30 days or more. `min_value` defaults to 0.
//! - **Transitions**: users by tier at interval `from` (rows, `unseen` first) and at
//!   interval `to` (columns), as in the stages.
//! - **Breakdown**: as in the stages, each user by their own value
//!   ([`Breakdown::per_user`], the lifecycle's rule); values ranked by their users
//!   counted, the top `limit` get the tier sizes each, then `(other)`, then `(none)`. The
//!   values' sizes add up to the top-level ones (all users, as is the transition table).

use super::purchases::{self, Purchases};
use super::stages::{member_cell, rank_users, transition_intervals, MAX_INTERVALS};
use super::table::Table;
use super::transitions::{self, Cell, Tally, Transitions, UNSEEN};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, FilterGroup, Scoped};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};

/// The tiers' JSON names, from the top of the pyramid down.
pub const TIERS: [&str; 5] = ["core", "active", "casual", "at_risk", "dormant"];

/// What frequency counts in the window.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Days with an active event (the default).
    #[default]
    ActiveDays,
    /// Active events.
    Events,
}

/// Where value comes from: purchases (`analysis/purchases.rs`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Value {
    /// The purchase event (default `purchase`).
    #[serde(default = "purchase")]
    pub purchase_event: String,
    /// The numeric property holding a purchase's amount (default `revenue`).
    #[serde(default = "revenue")]
    pub amount: String,
}

fn purchase() -> String {
    purchases::DEFAULT_PURCHASE_EVENT.into()
}

fn revenue() -> String {
    purchases::DEFAULT_AMOUNT.into()
}

/// The rule of one tier: every condition must hold.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Most days since the last activity.
    pub max_recency_days: u32,
    /// Least frequency in the window.
    pub min_frequency: u32,
    /// Least value in the window (default 0: no condition; needs `value` when above 0).
    #[serde(default)]
    pub min_value: f64,
}

/// The rules of the four upper tiers (dormant takes everyone else).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    /// 核心用户.
    pub core: Rule,
    /// 活跃用户.
    pub active: Rule,
    /// 一般用户.
    pub casual: Rule,
    /// 流失风险用户.
    pub at_risk: Rule,
}

impl Default for Tiers {
    fn default() -> Self {
        let rule = |max_recency_days, min_frequency| Rule {
            max_recency_days,
            min_frequency,
            min_value: 0.0,
        };
        Tiers {
            core: rule(3, 8),
            active: rule(7, 3),
            casual: rule(14, 1),
            at_risk: rule(29, 1),
        }
    }
}

impl Tiers {
    pub(crate) fn rules(&self) -> [(&'static str, &Rule); 4] {
        [
            ("core", &self.core),
            ("active", &self.active),
            ("casual", &self.casual),
            ("at_risk", &self.at_risk),
        ]
    }
}

/// A user health analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// The event that makes a user active; any event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Conditions on that event's own properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub event_filters: FilterGroup,
    /// Interval length: day (default), week or month.
    #[serde(default)]
    pub interval: Granularity,
    /// Days of the look-back window of frequency and value (default 30).
    #[serde(default = "thirty")]
    pub window_days: u32,
    /// What frequency counts (default active days).
    #[serde(default)]
    pub frequency: Frequency,
    /// Value from purchases (default none: every value is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The tiers' rules (defaults in the module docs).
    #[serde(default)]
    pub tiers: Tiers,
    /// A date in the interval whose tiers are the transition table's rows (default: the
    /// first interval shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A date in the interval whose tiers are its columns (default: the last shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A cell of the transition table whose user ids to list (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Cell>,
    /// The tier sizes per value of one or several properties, each user by their own
    /// value (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn thirty() -> u32 {
    30
}

impl Default for HealthSpec {
    fn default() -> Self {
        HealthSpec {
            event: None,
            event_filters: FilterGroup::default(),
            interval: Granularity::Day,
            window_days: 30,
            frequency: Frequency::ActiveDays,
            value: None,
            tiers: Tiers::default(),
            from: None,
            to: None,
            members: None,
            breakdown: None,
        }
    }
}

/// Tier sizes per interval and the movement between two intervals.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HealthResult {
    /// Interval length.
    pub interval: Granularity,
    /// Interval labels.
    pub buckets: Vec<String>,
    /// Interval start instants (RFC 3339).
    pub bucket_starts: Vec<String>,
    /// The day each interval is evaluated at.
    pub evaluated_on: Vec<String>,
    /// Intervals only partly covered by the date range or the data.
    pub incomplete: Vec<bool>,
    /// The tiers' JSON names, top down (core … dormant).
    pub tiers: Vec<String>,
    /// `sizes[tier][interval]`: users in the tier.
    pub sizes: Vec<Vec<u64>>,
    /// Users appeared by the evaluation day (the sum of the tiers).
    pub seen: Vec<u64>,
    /// Days of the look-back window.
    pub window_days: u32,
    /// What frequency counts.
    pub frequency: Frequency,
    /// Whether value came from purchases.
    pub value: bool,
    /// Users by tier at one interval and at a later one.
    pub transitions: Transitions,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The tier sizes of the users of each breakdown value (empty without a breakdown):
    /// the top values by users, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<HealthBreakdown>,
}

/// The tier sizes of the users with one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HealthBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// `sizes[tier][interval]`, tiers in [`TIERS`] order.
    pub sizes: Vec<Vec<u64>>,
    /// Users appeared by each evaluation day (the sum of the tiers).
    pub seen: Vec<u64>,
}

fn bad_rule(field: String, message: &str) -> Error {
    Error::spec(field.clone(), message.to_string()).keyed("health_rule", &[("field", &field)])
}

/// Checks the spec's own numbers: a whole-day interval, a window of at least a day, and
/// minimum values of at least 0 that have a `value` to compare with.
pub(crate) fn check(spec: &HealthSpec) -> Result<()> {
    if spec.interval == Granularity::Hour {
        return Err(Error::spec(
            "interval",
            "health tiers count whole days: choose day, week or month",
        )
        .keyed("whole_days_interval", &[]));
    }
    if spec.window_days < 1 {
        return Err(Error::spec("window_days", "must be at least 1").keyed("at_least_one", &[]));
    }
    for (name, r) in spec.tiers.rules() {
        if !(r.min_value.is_finite() && r.min_value >= 0.0) {
            return Err(bad_rule(
                format!("tiers.{name}.min_value"),
                "must be a number of at least 0",
            ));
        }
        if r.min_value > 0.0 && spec.value.is_none() {
            return Err(bad_rule(
                format!("tiers.{name}.min_value"),
                "a minimum value needs `value` (the purchase event and amount)",
            ));
        }
    }
    Ok(())
}

/// Computes the tiers.
pub fn run(scope: &mut Scoped, spec: &HealthSpec) -> Result<HealthResult> {
    check(spec)?;
    let cell = member_cell(&TIERS, spec.members.as_ref())?;
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
    let buys: Option<Purchases> = match &spec.value {
        Some(v) => Some(purchases::resolve(
            scope,
            "value.purchase_event",
            &v.purchase_event,
            &FilterGroup::default(),
            "value.amount",
            &v.amount,
        )?),
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
    let d_hi = dcal.bucket(hi);
    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    let evals: Vec<i64> = keys
        .iter()
        .map(|&k| {
            let s = dcal.bucket(cal.start_micros(k));
            dcal.bucket(cal.start_micros(cal.add(k, 1)) - 1)
                .min(d_hi)
                .max(s)
        })
        .collect();
    let window = spec.window_days as i64;
    let rules = spec.tiers.rules();
    let t = store.times();
    let range_end = scope.range.1;
    let mut sizes = vec![0u64; TIERS.len() * nb];
    // users with an event passing the filters and appeared by the last day shown
    let counted = |r: &std::ops::Range<usize>| {
        (!scope.has_filters() || r.clone().any(|i| scope.keep(i)))
            && dcal.bucket(t[r.start]) <= d_hi
    };
    // breakdown: a slot per user, values ranked by their users counted
    let ranked = match (&values, &spec.breakdown) {
        (Some(v), Some(b)) => Some(rank_users(scope, v, b.limit, TIERS.len() * nb, |_, r| {
            counted(r)
        })?),
        _ => None,
    };
    let mut by_value = vec![0u64; ranked.as_ref().map_or(0, |r| r.labels.len()) * TIERS.len() * nb];
    let mut tally = Tally::new(TIERS.len(), cell);
    // per user: active days with their frequency count, purchase days with their amounts
    let mut days: Vec<(i64, u64)> = Vec::new();
    let mut money: Vec<(i64, f64)> = Vec::new();
    let mut cursor = dcal.cursor();
    for (u, r) in scope.users() {
        if !counted(&r) {
            continue;
        }
        let b = dcal.bucket(t[r.start]);
        // the user's value's first count: `[slot][tier][interval]`
        let at = match (&values, &ranked) {
            (Some(v), Some(rk)) => rk.slot[v.key(r.start) as usize] * TIERS.len() * nb,
            _ => usize::MAX,
        };
        days.clear();
        money.clear();
        let mut last_day = i64::MIN;
        for i in r {
            if t[i] >= range_end {
                break;
            }
            if !scope.keep(i) {
                continue;
            }
            // never a day back (a zone whose clock turns back across midnight)
            let d = cursor.key(t[i]).max(last_day);
            last_day = d;
            if let Some(p) = &buys {
                if p.is_purchase_event(scope, i, u) {
                    match money.last_mut() {
                        Some(x) if x.0 == d => x.1 += p.amount(i),
                        _ => money.push((d, p.amount(i))),
                    }
                }
            }
            if !(scope.matches(&matcher, i, u) && own.as_ref().is_none_or(|f| scope.test(f, i, u)))
            {
                continue;
            }
            let add = match spec.frequency {
                Frequency::ActiveDays => 0,
                Frequency::Events => 1,
            };
            match days.last_mut() {
                Some(x) if x.0 == d => x.1 += add,
                _ => days.push((d, 1)),
            }
        }
        // the window [e − W + 1, e] over each list: two pointers (e only grows)
        let (mut a_lo, mut a_hi, mut m_lo, mut m_hi) = (0, 0, 0, 0);
        let mut freq = 0u64;
        let (mut at_from, mut at_to) = (UNSEEN, UNSEEN);
        for (k, &e) in evals.iter().enumerate() {
            if b > e {
                continue;
            }
            while a_hi < days.len() && days[a_hi].0 <= e {
                freq += days[a_hi].1;
                a_hi += 1;
            }
            while a_lo < a_hi && days[a_lo].0 <= e - window {
                freq -= days[a_lo].1;
                a_lo += 1;
            }
            while m_hi < money.len() && money[m_hi].0 <= e {
                m_hi += 1;
            }
            while m_lo < m_hi && money[m_lo].0 <= e - window {
                m_lo += 1;
            }
            // summed afresh in day order, so no rounding drifts in from earlier windows
            let value: f64 = money[m_lo..m_hi].iter().map(|x| x.1).sum();
            let recency = (a_hi > 0).then(|| e - days[a_hi - 1].0);
            let tier = rules
                .iter()
                .position(|(_, rule)| {
                    recency.is_some_and(|g| g <= rule.max_recency_days as i64)
                        && freq >= rule.min_frequency as u64
                        && (rule.min_value <= 0.0 || value >= rule.min_value)
                })
                .unwrap_or(TIERS.len() - 1) as u8;
            sizes[tier as usize * nb + k] += 1;
            if at != usize::MAX {
                by_value[at + tier as usize * nb + k] += 1;
            }
            if k == kf {
                at_from = tier;
            }
            if k == kt {
                at_to = tier;
            }
        }
        tally.add(at_from, at_to, || store.user_id(u as usize).to_string());
    }

    let buckets: Vec<String> = keys.iter().map(|&k| cal.label(k)).collect();
    let transitions = tally.finish(&TIERS, buckets[kf].clone(), buckets[kt].clone());
    let breakdowns = match &ranked {
        Some(rk) => rk
            .labels
            .iter()
            .zip(by_value.chunks(TIERS.len() * nb))
            .map(|(value, c)| HealthBreakdown {
                value: value.clone(),
                sizes: c.chunks(nb).map(<[u64]>::to_vec).collect(),
                seen: (0..nb)
                    .map(|k| (0..TIERS.len()).map(|s| c[s * nb + k]).sum())
                    .collect(),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(HealthResult {
        interval: spec.interval,
        bucket_starts: keys
            .iter()
            .map(|&k| format_rfc3339(cal.start_micros(k)))
            .collect(),
        evaluated_on: evals.iter().map(|&e| dcal.label(e)).collect(),
        incomplete: keys.iter().map(|&k| scope.incomplete(&cal, k)).collect(),
        buckets,
        tiers: TIERS.iter().map(|s| s.to_string()).collect(),
        seen: (0..nb)
            .map(|k| (0..TIERS.len()).map(|s| sizes[s * nb + k]).sum())
            .collect(),
        sizes: sizes.chunks(nb).map(<[u64]>::to_vec).collect(),
        window_days: spec.window_days,
        frequency: spec.frequency,
        value: spec.value.is_some(),
        transitions,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        breakdowns,
    })
}

/// The result as a table in the layout `section, interval, to_interval, from_state,
/// state, users`: the tier sizes (section `tiers`, one row per interval and tier, then
/// `seen`), then the transition table (sections `transitions` and `member`, as in the
/// stages). With a breakdown, a leading `breakdown` column (empty on these rows) and after
/// them the tier sizes of every value in turn.
pub fn table(r: &HealthResult) -> Table {
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
    let tier_rows = |t: &mut Table, value: &str, sizes: &[Vec<u64>], seen: &[u64]| {
        for (k, label) in r.buckets.iter().enumerate() {
            let rows = r.tiers.iter().zip(sizes).map(|(n, s)| (n.as_str(), s[k]));
            for (name, v) in rows.chain([("seen", seen[k])]) {
                t.push(lead(
                    value,
                    vec![
                        "tiers".into(),
                        label.clone(),
                        String::new(),
                        String::new(),
                        name.into(),
                        v.to_string(),
                    ],
                ));
            }
        }
    };
    tier_rows(&mut t, "", &r.sizes, &r.seen);
    for row in transitions::rows(&r.transitions) {
        t.push(lead("", row));
    }
    for b in &r.breakdowns {
        tier_rows(&mut t, &b.value, &b.sizes, &b.seen);
    }
    t
}
