//! Cohort lifetime value (LTV, 生命周期价值): cumulative net revenue per user by age since
//! first activity, per cohort (同期群) and averaged (DESIGN.md §3 "Revenue", research
//! features.md §2.6).
//!
//! **Purchases** follow the shared rule of [`super::purchases`]: an event of
//! `purchase_event` (matching `purchase_filters`) that passes the shared filters; its
//! amount is the numeric property `amount` (missing = 0, with a warning); a negative
//! amount is a refund, which lowers revenue but is not a purchase; an amount of 0 is a
//! purchase.
//!
//! **First activity** of a user is the instant of their first event in the whole data
//! (any event, whatever its name, properties, the shared filters or the date range).
//!
//! **Members.** A user is in the table when their first activity lies in the date range
//! and, when the scope has shared filters, at least one of their events (anywhere in the
//! data) passes them. Their **cohort** is the calendar `cohort` interval (day, week or
//! month, in the scope's time zone and week start) holding their first activity. With
//! `users: "paying"` only *paying* members count: those with at least one purchase (not a
//! refund) at any time in the data, so a cohort's paying users are known by the end of
//! the observed data (Amplitude's ARPPU rule: a user who first pays after day N still
//! counts at day N). A cohort's **size** is its number of counted members; cohorts of
//! size 0 are left out.
//!
//! **Ages** are calendar `period`s (day, week or month) counted like retention's calendar
//! periods, from each member's own first activity: the age of a purchase at instant `t`
//! is `index(bucket(first activity), bucket(t))` in the period calendar, so age 0 is the
//! rest of the period holding the first activity, age 1 the next calendar period, and so
//! on. Ages 0 to `periods` − 1 are shown; purchases at later ages count nowhere. Every
//! purchase of a member counts, also those after the date range ends.
//!
//! **Cells.** Cell (cohort c, age k) = Σ net amounts of the purchase events of c's
//! counted members at ages 0..=k, ÷ c's size. Let `lo` / `hi` be the period buckets of the
//! cohort's earliest / latest first activity and `end` the instant of the last event of
//! the data. The cell exists when age k has begun for the earliest member
//! (`index(lo, bucket(end)) ≥ k`); it is **complete** when age k has ended for every
//! member (`start(hi + k + 1) ≤ end`, the rule of retention's calendar cells); an existing
//! cell that is not complete is partly observed. Cells that do not exist are empty.
//!
//! **Average** per age k over the cohorts whose cell k is complete: Σ cumulative revenue
//! ÷ Σ size (the mean of the cohorts' values weighted by cohort size); none when no
//! cohort's cell is complete.
//!
//! **Breakdown.** LTV is about users, so a breakdown splits the members, each by their own
//! value, by the stages' rule ([`Breakdown::per_user`]: every property read as a user
//! property). Values are ranked by their members; the top `limit` get a row each, then
//! `(other)`, then `(none)` (members without a value). A value's **average** per age k is
//! Σ cumulative revenue ÷ Σ size of the value's counted members, over the same cells as
//! the all-users average (the cohorts whose cell k is complete for the whole cohort), so
//! the values' members, paying members, sizes and revenue add up to the all-users ones.
//! The cohort table stays that of all members.

use super::purchases::{self, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::table::{amount, Table};
use crate::engine::error::{Error, Result};
use super::stages::rank_users;
use crate::engine::spec::{Breakdown, FilterGroup, Scoped};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};

/// Most ages a table may have.
pub const MAX_PERIODS: u32 = 400;

/// Most cohorts a table may have.
pub const MAX_COHORTS: usize = 1000;

/// A cohort LTV table to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LtvSpec {
    /// The purchase event (default `"purchase"`).
    #[serde(default = "default_event")]
    pub purchase_event: String,
    /// Conditions on the purchase event's properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub purchase_filters: FilterGroup,
    /// The numeric property holding a purchase's amount (default `"revenue"`).
    #[serde(default = "default_amount")]
    pub amount: String,
    /// Cohort interval: day, week (default) or month of the first activity.
    #[serde(default = "week")]
    pub cohort: Granularity,
    /// Age unit: day, week (default) or month.
    #[serde(default = "week")]
    pub period: Granularity,
    /// Number of ages shown, 0 to `periods` − 1 (default 12, at most 400).
    #[serde(default = "twelve")]
    pub periods: u32,
    /// All members (default) or paying members only.
    #[serde(default)]
    pub users: LtvUsers,
    /// The average per value of one or several properties, each member by their own value
    /// (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_event() -> String {
    DEFAULT_PURCHASE_EVENT.into()
}

fn default_amount() -> String {
    DEFAULT_AMOUNT.into()
}

fn week() -> Granularity {
    Granularity::Week
}

fn twelve() -> u32 {
    12
}

impl Default for LtvSpec {
    fn default() -> Self {
        LtvSpec {
            purchase_event: default_event(),
            purchase_filters: FilterGroup::default(),
            amount: default_amount(),
            cohort: week(),
            period: week(),
            periods: twelve(),
            users: LtvUsers::default(),
            breakdown: None,
        }
    }
}

/// Whose revenue is averaged.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LtvUsers {
    /// Every member of the cohort.
    #[default]
    All,
    /// Members with at least one purchase (not a refund) anywhere in the data.
    Paying,
}

/// A cohort LTV table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LtvResult {
    /// Cohort interval.
    pub cohort: Granularity,
    /// Age unit.
    pub period: Granularity,
    /// Number of ages (columns).
    pub periods: u32,
    /// Whose revenue is averaged.
    pub users: LtvUsers,
    /// One row per cohort, oldest first.
    pub cohorts: Vec<LtvCohort>,
    /// The size-weighted average per age over complete cells.
    pub average: Vec<LtvAverage>,
    /// Members of all cohorts (all users, paying or not).
    pub members: u64,
    /// Paying members of all cohorts.
    pub paying: u64,
    /// Timestamp of the last event in the data (RFC 3339).
    pub data_end: String,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The average of the members of each breakdown value (empty without a breakdown):
    /// the top values by members, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<LtvBreakdown>,
}

/// The members of one breakdown value and their average LTV per age.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LtvBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// Members with this value.
    pub members: u64,
    /// Paying members with this value.
    pub paying: u64,
    /// Per age, over the cells of the all-users average: the value's average (`ltv`), the
    /// cohorts holding counted members of the value (`cohorts`) and their size (`size`).
    pub average: Vec<LtvAverage>,
    /// Per age, Σ cumulative revenue of the value's counted members over those cells.
    pub revenue: Vec<f64>,
}

/// One cohort row.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LtvCohort {
    /// Cohort interval label, e.g. `2025-09-01`.
    pub label: String,
    /// Members (all users whose first activity is in the cohort).
    pub members: u64,
    /// Members with at least one purchase in the data.
    pub paying: u64,
    /// Users the revenue is divided by: `members` or `paying`.
    pub size: u64,
    /// Cumulative net revenue of the counted members up to the end of each age; only
    /// ages that have begun.
    pub revenue: Vec<f64>,
    /// `revenue / size` per age.
    pub ltv: Vec<f64>,
    /// Whether each age has ended for every member by the end of the data.
    pub complete: Vec<bool>,
}

/// The average of one age.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LtvAverage {
    /// The age.
    pub age: u32,
    /// Σ revenue ÷ Σ size over the cohorts whose cell is complete.
    pub ltv: Option<f64>,
    /// How many cohorts are used.
    pub cohorts: u32,
    /// Σ size of those cohorts.
    pub size: u64,
}

/// Rejects hours: cohorts and ages are days, weeks or months.
pub(crate) fn no_hours(field: &str, g: Granularity) -> Result<()> {
    if g == Granularity::Hour {
        return Err(
            Error::spec(field, "must be day, week or month, got hour").keyed("ltv_hour", &[])
        );
    }
    Ok(())
}

/// Rejects a number of ages outside 1..=[`MAX_PERIODS`].
pub(crate) fn check_periods(periods: u32) -> Result<()> {
    if periods == 0 || periods > MAX_PERIODS {
        return Err(Error::spec(
            "periods",
            format!("must be between 1 and {MAX_PERIODS}, got {periods}"),
        )
        .keyed("periods_range", &[("max", &MAX_PERIODS), ("got", &periods)]));
    }
    Ok(())
}

/// One cohort being counted.
#[derive(Clone)]
struct Row {
    members: u64,
    paying: u64,
    /// Earliest and latest first-activity period bucket of the counted members.
    lo: i64,
    hi: i64,
}

/// Computes a cohort LTV table.
pub fn run(scope: &mut Scoped, spec: &LtvSpec) -> Result<LtvResult> {
    no_hours("cohort", spec.cohort)?;
    no_hours("period", spec.period)?;
    check_periods(spec.periods)?;
    let buy = purchases::resolve(
        scope,
        "purchase_event",
        &spec.purchase_event,
        &spec.purchase_filters,
        "amount",
        &spec.amount,
    )?;
    let values = match &spec.breakdown {
        Some(b) => Some((scope.breakdown("breakdown", &b.per_user())?, b.limit)),
        None => None,
    };
    let scope = &*scope;
    let t = scope.store.times();
    let ccal = scope.calendar(spec.cohort);
    let pcal = scope.calendar(spec.period);
    let np = spec.periods as usize;

    // the span of the members' first activities, to size the flat counters
    let member = |r: &std::ops::Range<usize>| {
        scope.in_range(t[r.start]) && (!scope.has_filters() || r.clone().any(|i| scope.keep(i)))
    };
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for (_, r) in scope.users() {
        if scope.in_range(t[r.start]) {
            lo = lo.min(t[r.start]);
            hi = hi.max(t[r.start]);
        }
    }
    if lo > hi {
        scope.data_in_range()?;
    }
    let (first, _, nc) = if lo <= hi {
        scope.intervals(&ccal, (lo, hi), MAX_COHORTS, "cohort")?
    } else {
        (0, 0, 0)
    };

    let paying_only = spec.users == LtvUsers::Paying;
    // the breakdown's series per member (a member's key is that of their first event)
    let ranked = match &values {
        Some((v, limit)) => Some(rank_users(scope, v, *limit, nc * np, |_, r| member(r))?),
        None => None,
    };
    let nv = ranked.as_ref().map_or(0, |k| k.labels.len());
    // per value: members, paying; per (value, cohort): size; per (value, cohort, age):
    // net revenue, not yet cumulative
    let mut vcount = vec![(0u64, 0u64); nv];
    let mut vsize = vec![0u64; nv * nc];
    let mut vcells = vec![0.0f64; nv * nc * np];
    let mut rows = vec![
        Row {
            members: 0,
            paying: 0,
            lo: i64::MAX,
            hi: i64::MIN,
        };
        nc
    ];
    // net revenue per (cohort, age) of the counted members, not yet cumulative
    let mut cells = vec![0.0f64; nc * np];
    // one user's (age, amount) pairs, added once we know whether they pay
    let mut mine: Vec<(usize, f64)> = Vec::new();
    for (u, r) in scope.users() {
        if !member(&r) {
            continue;
        }
        let r_start = r.start;
        let start = t[r.start];
        let c = ccal.index(first, ccal.bucket(start)) as usize;
        let born = pcal.bucket(start);
        let mut cursor = pcal.cursor();
        let mut pays = false;
        mine.clear();
        for i in r {
            if !(scope.keep(i) && buy.is_purchase_event(scope, i, u)) {
                continue;
            }
            pays |= !buy.is_refund(i);
            // a zone whose clock turns back across a boundary can give an instant after
            // the first activity an earlier bucket: it is still age 0
            let age = pcal.index(born, cursor.key(t[i])).max(0) as usize;
            if age < np {
                mine.push((age, buy.amount(i)));
            }
        }
        let row = &mut rows[c];
        row.members += 1;
        row.paying += u64::from(pays);
        let slot = match (&values, &ranked) {
            (Some((v, _)), Some(k)) => {
                let s = k.slot[v.key(r_start) as usize];
                vcount[s].0 += 1;
                vcount[s].1 += u64::from(pays);
                Some(s)
            }
            _ => None,
        };
        if paying_only && !pays {
            continue;
        }
        row.lo = row.lo.min(born);
        row.hi = row.hi.max(born);
        for &(age, v) in &mine {
            cells[c * np + age] += v;
        }
        if let Some(s) = slot {
            vsize[s * nc + c] += 1;
            for &(age, v) in &mine {
                vcells[(s * nc + c) * np + age] += v;
            }
        }
    }

    let end = scope.data_span.1;
    let last = pcal.bucket(end);
    let mut sums = vec![(0.0f64, 0u64, 0u32); np];
    let mut cohorts = Vec::new();
    let (mut members, mut paying) = (0, 0);
    // per (value, age): Σ cumulative revenue, Σ size, cohorts used
    let mut vsums = vec![(0.0f64, 0u64, 0u32); nv * np];
    for (c, row) in rows.iter().enumerate() {
        members += row.members;
        paying += row.paying;
        let size = if paying_only { row.paying } else { row.members };
        if size == 0 {
            continue;
        }
        let begun = (pcal.index(row.lo, last) + 1).clamp(0, np as i64) as usize;
        let mut revenue = Vec::with_capacity(begun);
        let mut acc = 0.0;
        for k in 0..begun {
            acc += cells[c * np + k];
            revenue.push(acc);
        }
        let complete: Vec<bool> = (0..begun)
            .map(|k| pcal.start_micros(pcal.add(row.hi, k as i64 + 1)) <= end)
            .collect();
        for k in 0..begun {
            if complete[k] {
                let s = &mut sums[k];
                s.0 += revenue[k];
                s.1 += size;
                s.2 += 1;
            }
        }
        for v in 0..nv {
            let vs = vsize[v * nc + c];
            if vs == 0 {
                continue;
            }
            let mut acc = 0.0;
            for k in 0..begun {
                acc += vcells[(v * nc + c) * np + k];
                if complete[k] {
                    let s = &mut vsums[v * np + k];
                    s.0 += acc;
                    s.1 += vs;
                    s.2 += 1;
                }
            }
        }
        cohorts.push(LtvCohort {
            label: ccal.label(ccal.add(first, c as i64)),
            members: row.members,
            paying: row.paying,
            size,
            ltv: revenue.iter().map(|&v| v / size as f64).collect(),
            revenue,
            complete,
        });
    }
    let averages = |sums: &[(f64, u64, u32)]| -> Vec<LtvAverage> {
        sums.iter()
            .enumerate()
            .map(|(k, &(rev, size, n))| LtvAverage {
                age: k as u32,
                ltv: (size > 0).then(|| rev / size as f64),
                cohorts: n,
                size,
            })
            .collect()
    };
    let average = averages(&sums);
    let breakdowns = match &ranked {
        Some(k) => k
            .labels
            .iter()
            .enumerate()
            .map(|(v, label)| {
                let sums = &vsums[v * np..(v + 1) * np];
                LtvBreakdown {
                    value: label.clone(),
                    members: vcount[v].0,
                    paying: vcount[v].1,
                    average: averages(sums),
                    revenue: sums.iter().map(|s| s.0).collect(),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(LtvResult {
        cohort: spec.cohort,
        period: spec.period,
        periods: spec.periods,
        users: spec.users,
        cohorts,
        average,
        members,
        paying,
        data_end: format_rfc3339(end),
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        breakdowns,
    })
}

/// The result as a table: one row per cohort (label, members, paying, size, then the LTV,
/// the cumulative revenue and the completeness of each age; empty where the age has not
/// begun), then a row `average` with the weighted averages (its `size` empty). Amounts
/// are rounded to 9 decimals ([`amount`]). With a breakdown, a leading `breakdown` column
/// and one `average` row per value instead: its members, paying members, average LTV and
/// Σ cumulative revenue per age (`size` and `complete_k` empty).
pub fn table(r: &LtvResult) -> Table {
    let n = r.periods as usize;
    let mut head: Vec<String> = ["cohort", "members", "paying", "size"]
        .map(String::from)
        .to_vec();
    head.extend((0..n).map(|k| format!("ltv_{k}")));
    head.extend((0..n).map(|k| format!("revenue_{k}")));
    head.extend((0..n).map(|k| format!("complete_{k}")));
    if !r.breakdowns.is_empty() {
        head.insert(0, "breakdown".to_string());
        let mut t = vec![head];
        for b in &r.breakdowns {
            let mut row = vec![
                b.value.clone(),
                "average".to_string(),
                b.members.to_string(),
                b.paying.to_string(),
                String::new(),
            ];
            row.extend(
                b.average
                    .iter()
                    .map(|a| a.ltv.map(amount).unwrap_or_default()),
            );
            row.extend(
                b.average
                    .iter()
                    .zip(&b.revenue)
                    .map(|(a, &v)| if a.size > 0 { amount(v) } else { String::new() }),
            );
            row.extend((0..n).map(|_| String::new()));
            t.push(row);
        }
        return t;
    }
    let mut t = vec![head];
    for c in &r.cohorts {
        let mut row = vec![
            c.label.clone(),
            c.members.to_string(),
            c.paying.to_string(),
            c.size.to_string(),
        ];
        let cell = |k: usize, f: &dyn Fn(usize) -> String| {
            if k < c.ltv.len() {
                f(k)
            } else {
                String::new()
            }
        };
        // rounded: a result that crossed JSON may be a bit off
        row.extend((0..n).map(|k| cell(k, &|k| amount(c.ltv[k]))));
        row.extend((0..n).map(|k| cell(k, &|k| amount(c.revenue[k]))));
        row.extend((0..n).map(|k| cell(k, &|k| c.complete[k].to_string())));
        t.push(row);
    }
    let mut avg = vec![
        "average".to_string(),
        String::new(),
        String::new(),
        String::new(),
    ];
    avg.extend(
        r.average
            .iter()
            .map(|a| a.ltv.map(amount).unwrap_or_default()),
    );
    avg.extend((0..2 * n).map(|_| String::new()));
    t.push(avg);
    t
}
