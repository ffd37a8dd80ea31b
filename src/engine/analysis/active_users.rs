//! Active users: DAU, rolling WAU and MAU, their ratios, and how many days users were
//! active per week or month (DESIGN.md §3, research features.md §2.5).
//!
//! **Active.** A user is active on a calendar day (in the scope's time zone) when they have
//! an *active event* that day: an event that passes the shared filters and matches one of
//! `events` (each an event name with its own filters), or any event when `events` is
//! empty.
//!
//! **Days.** The result has one point per calendar day the date range touches; an open end
//! of the range (all data, or a range without `from` / `to`) is closed by the first / last
//! event of the data. Days count whole: the range chooses the days, and every active event
//! of a chosen day counts, also before a range start given as a time of day.
//!
//! **Measures** of day d: DAU = users active on d; WAU = users active on at least one day
//! of [d − 6, d]; MAU = users active on at least one day of [d − (M − 1), d], M =
//! `mau_days` (30, or 28). The windows use active events before the first day shown when
//! the data has them: a rolling window ending on d is well defined whatever the range.
//! `dau_mau` = DAU / MAU and `dau_wau` = DAU / WAU (absent when the denominator is 0).
//!
//! **Partial points.** A window that begins before the first day of the data (the day of
//! its first event, whatever the filters) cannot be complete: `wau_partial[d]` /
//! `mau_partial[d]` flag such points; the chart draws them dashed and the table marks them.
//!
//! **Frequency.** For each calendar week (week start of the scope) or month the shown days
//! touch: `users[k − 1]` = users active on exactly k of the period's shown days (k = 1..=7
//! for weeks, 1..=31 for months), and `frequency_total` the sum over periods (a user counts
//! once per period). A period cut by the first or last shown day is `partial`, with `days`
//! its number of shown days.
//!
//! **Computation.** One pass over each user's events in time order gives the user's
//! distinct active days; each active day d covers WAU on [d, d + 7) and MAU on [d, d + M),
//! clipped at the user's next active day so covers never overlap, and the covers are
//! added to difference arrays whose running sums are WAU and MAU (the trick of the
//! `stickiness` block of `shared/bench/queries.sql`). No per-day user sets.

use super::table::{opt, Table};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{EventMatcher, FilterGroup, Scoped};
use crate::engine::time::{Calendar, Granularity};
use serde::{Deserialize, Serialize};

/// Most days a chart may have.
pub const MAX_DAYS: usize = super::trends::MAX_BUCKETS;

/// Days of the WAU window.
pub const WEEK_DAYS: i64 = 7;

/// An active-users analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActiveUsersSpec {
    /// Events that make a user active (any of them); any event when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ActiveEvent>,
    /// Days of the MAU window: 30 (default) or 28.
    #[serde(default = "thirty")]
    pub mau_days: u32,
    /// Periods of the frequency distribution: week (default) or month.
    #[serde(default)]
    pub frequency: Frequency,
}

fn thirty() -> u32 {
    30
}

impl Default for ActiveUsersSpec {
    fn default() -> Self {
        ActiveUsersSpec {
            events: Vec::new(),
            mau_days: 30,
            frequency: Frequency::default(),
        }
    }
}

/// An event that makes a user active, with its own filters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActiveEvent {
    /// The event name.
    pub event: String,
    /// Conditions on the event's properties (default: none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub filters: FilterGroup,
}

/// Periods of the frequency distribution.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Calendar weeks: users by active days 1..=7.
    #[default]
    Week,
    /// Calendar months: users by active days 1..=31.
    Month,
}

impl Frequency {
    /// The most days a period has.
    pub fn max_days(self) -> usize {
        match self {
            Frequency::Week => 7,
            Frequency::Month => 31,
        }
    }

    fn granularity(self) -> Granularity {
        match self {
            Frequency::Week => Granularity::Week,
            Frequency::Month => Granularity::Month,
        }
    }
}

/// Daily active users, rolling windows and the frequency distribution.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ActiveUsersResult {
    /// Day labels (`2025-09-01`).
    pub days: Vec<String>,
    /// Users active on the day.
    pub dau: Vec<u64>,
    /// Users active in the 7 days ending on the day.
    pub wau: Vec<u64>,
    /// Users active in the `mau_days` days ending on the day.
    pub mau: Vec<u64>,
    /// DAU / MAU (absent when MAU is 0).
    pub dau_mau: Vec<Option<f64>>,
    /// DAU / WAU (absent when WAU is 0).
    pub dau_wau: Vec<Option<f64>>,
    /// The WAU window begins before the first day of the data.
    pub wau_partial: Vec<bool>,
    /// The MAU window begins before the first day of the data.
    pub mau_partial: Vec<bool>,
    /// Days of the MAU window.
    pub mau_days: u32,
    /// The first day of the data (the day of its first event).
    pub data_start: String,
    /// Periods of the frequency distribution.
    pub frequency: Frequency,
    /// One row per week or month the shown days touch.
    pub periods: Vec<FrequencyPeriod>,
    /// Users (once per period) active on exactly k days, index k − 1, summed over periods.
    pub frequency_total: Vec<u64>,
}

/// Users by number of active days in one week or month.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FrequencyPeriod {
    /// Period label (`2025-09-01` for a week, `2025-09` for a month).
    pub label: String,
    /// Shown days in the period.
    pub days: u32,
    /// The date range cuts the period (`days` is less than its length).
    pub partial: bool,
    /// Users active on exactly k of its days, index k − 1 (7 or 31 entries).
    pub users: Vec<u64>,
    /// Users active in the period.
    pub active_users: u64,
}

/// Computes DAU, WAU, MAU, the ratios and the frequency distribution.
pub fn run(scope: &mut Scoped, spec: &ActiveUsersSpec) -> Result<ActiveUsersResult> {
    if spec.mau_days != 28 && spec.mau_days != 30 {
        return Err(Error::spec(
            "mau_days",
            format!("the MAU window is 30 or 28 days, got {}", spec.mau_days),
        )
        .keyed("mau_days", &[("got", &spec.mau_days)]));
    }
    let matchers: Vec<EventMatcher> = spec
        .events
        .iter()
        .enumerate()
        .map(|(k, e)| {
            scope.matcher(
                &format!("events[{k}].event"),
                Some(&e.event),
                &e.filters,
                false,
            )
        })
        .collect::<Result<_>>()?;
    let scope = &*scope;
    let cal = scope.calendar(Granularity::Day);
    let (first, last, nd) = scope.intervals(&cal, scope.range_touched()?, MAX_DAYS, "date_range")?;
    let m = spec.mau_days as i64;
    let data_first = cal.key_span(scope.data_span.0, scope.data_span.1).0;
    // event code -> matched by name alone (no own filters)
    let mut plain = vec![matchers.is_empty(); scope.store.event_names().len()];
    for mt in matchers.iter().filter(|mt| !mt.has_filter()) {
        if let Some(c) = mt.event {
            plain[c as usize] = true;
        }
    }
    let filtered: Vec<&EventMatcher> = matchers.iter().filter(|mt| mt.has_filter()).collect();
    let (codes, times) = (scope.store.event_codes(), scope.store.times());
    let filters = scope.has_filters();

    // frequency periods of the shown days
    let pcal = Calendar {
        granularity: spec.frequency.granularity(),
        ..cal.clone()
    };
    let mut period_of = vec![0u32; nd];
    let mut period_keys: Vec<i64> = Vec::new();
    let mut period_days: Vec<u32> = Vec::new();
    for (d, p) in period_of.iter_mut().enumerate() {
        let key = pcal.bucket(cal.start_micros(first + d as i64));
        if period_keys.last() != Some(&key) {
            period_keys.push(key);
            period_days.push(0);
        }
        *p = (period_keys.len() - 1) as u32;
        *period_days.last_mut().expect("pushed") += 1;
    }
    let width = spec.frequency.max_days();
    let mut freq = vec![0u64; period_keys.len() * width];

    let mut dau = vec![0i64; nd];
    let mut wau_diff = vec![0i64; nd + 1];
    let mut mau_diff = vec![0i64; nd + 1];
    let lookback = first - (m - 1);
    let mut days: Vec<i64> = Vec::new();
    let cover = |diff: &mut [i64], from: i64, to: i64| {
        let (a, b) = (from.max(0), to.min(nd as i64));
        if a < b {
            diff[a as usize] += 1;
            diff[b as usize] -= 1;
        }
    };
    // the local day of every event and the day key of every day of the index
    let index = scope.days();
    let keys = index.as_ref().and_then(|ix| ix.keys(&cal));
    // every event counts: a user's active days are the days of their runs
    let runs = matchers.is_empty() && !filters;
    for (u, r) in scope.users() {
        days.clear();
        let mut sorted = true;
        let mut push = |day: i64| {
            if day < lookback || day > last {
                return;
            }
            match days.last() {
                Some(&p) if p == day => {}
                Some(&p) => {
                    // local time can step back over midnight (daylight saving)
                    sorted &= p < day;
                    days.push(day);
                }
                None => days.push(day),
            }
        };
        match (&index, &keys) {
            (Some(ix), Some(keys)) if runs => {
                for &d in ix.runs(u as usize).0 {
                    push(keys[d as usize]);
                }
            }
            (Some(ix), Some(keys)) => {
                let day_of = ix.days();
                for i in r {
                    let named = plain[codes[i] as usize]
                        || !filtered.is_empty()
                            && filtered.iter().any(|mt| scope.matches(mt, i, u));
                    if named && (!filters || scope.keep(i)) {
                        push(keys[day_of[i] as usize]);
                    }
                }
            }
            _ => {
                let start = r.start;
                // the user's last active event and the end of its day: the events before
                // that end are on that day and change nothing
                let (mut from, mut until) = (i64::MAX, i64::MIN);
                for (j, (&c, &ti)) in codes[r.clone()].iter().zip(&times[r]).enumerate() {
                    let i = start + j;
                    let named = plain[c as usize]
                        || !filtered.is_empty()
                            && filtered.iter().any(|mt| scope.matches(mt, i, u));
                    if !named || filters && !scope.keep(i) {
                        continue;
                    }
                    if from <= ti && ti < until {
                        continue;
                    }
                    let day;
                    (day, until) = cal.bucket_until(ti);
                    from = ti;
                    push(day);
                }
            }
        }
        if !sorted {
            days.sort_unstable();
            days.dedup();
        }
        let (mut period, mut in_period) = (u32::MAX, 0usize);
        for (k, &day) in days.iter().enumerate() {
            let d = day - first;
            let next = days.get(k + 1).map_or(i64::MAX, |&x| x - first);
            cover(&mut wau_diff, d, (d + WEEK_DAYS).min(next));
            cover(&mut mau_diff, d, (d + m).min(next));
            if d < 0 {
                continue;
            }
            dau[d as usize] += 1;
            let p = period_of[d as usize];
            if p != period {
                if in_period > 0 {
                    freq[period as usize * width + in_period - 1] += 1;
                }
                period = p;
                in_period = 0;
            }
            in_period += 1;
        }
        if in_period > 0 {
            freq[period as usize * width + in_period - 1] += 1;
        }
    }

    let running = |diff: &[i64]| -> Vec<u64> {
        let mut acc = 0i64;
        diff[..nd]
            .iter()
            .map(|&x| {
                acc += x;
                acc as u64
            })
            .collect()
    };
    let (wau, mau) = (running(&wau_diff), running(&mau_diff));
    let dau: Vec<u64> = dau.into_iter().map(|x| x as u64).collect();
    let ratio = |a: &[u64], b: &[u64]| -> Vec<Option<f64>> {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (y > 0).then(|| x as f64 / y as f64))
            .collect()
    };
    let day_keys = first..=last;
    let periods: Vec<FrequencyPeriod> = period_keys
        .iter()
        .enumerate()
        .map(|(p, &key)| {
            let users = freq[p * width..(p + 1) * width].to_vec();
            let length = cal.bucket(pcal.start_micros(pcal.add(key, 1)))
                - cal.bucket(pcal.start_micros(key));
            FrequencyPeriod {
                label: pcal.label(key),
                days: period_days[p],
                partial: (period_days[p] as i64) < length,
                active_users: users.iter().sum(),
                users,
            }
        })
        .collect();
    let mut frequency_total = vec![0u64; width];
    for p in &periods {
        for (t, &u) in frequency_total.iter_mut().zip(&p.users) {
            *t += u;
        }
    }
    Ok(ActiveUsersResult {
        days: day_keys.clone().map(|k| cal.label(k)).collect(),
        dau_mau: ratio(&dau, &mau),
        dau_wau: ratio(&dau, &wau),
        wau_partial: day_keys
            .clone()
            .map(|k| k - (WEEK_DAYS - 1) < data_first)
            .collect(),
        mau_partial: day_keys.map(|k| k - (m - 1) < data_first).collect(),
        dau,
        wau,
        mau,
        mau_days: spec.mau_days,
        data_start: cal.label(data_first),
        frequency: spec.frequency,
        periods,
        frequency_total,
    })
}

/// The result as a table: one row per day.
pub fn table(r: &ActiveUsersResult) -> Table {
    let mut t = vec![[
        "day",
        "dau",
        "wau",
        "mau",
        "dau_mau",
        "dau_wau",
        "wau_partial",
        "mau_partial",
    ]
    .map(String::from)
    .to_vec()];
    for (d, day) in r.days.iter().enumerate() {
        t.push(vec![
            day.clone(),
            r.dau[d].to_string(),
            r.wau[d].to_string(),
            r.mau[d].to_string(),
            opt(r.dau_mau[d]),
            opt(r.dau_wau[d]),
            r.wau_partial[d].to_string(),
            r.mau_partial[d].to_string(),
        ]);
    }
    t
}
