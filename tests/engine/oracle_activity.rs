//! Brute-force oracles of stickiness and active users, written literally from the
//! definitions in `src/engine/analysis/stickiness.rs` and `active_users.rs` and compared
//! number by number with the engine.
//!
//! The oracles never share code with the engine: they read the raw event list, test
//! filters on the raw text, cut calendar buckets with the slow calendar of `oracle.rs`
//! (fixed offsets, Monday or Sunday weeks), and count every number by looking at every
//! user's events again (per-user sets of intervals and days, windows checked day by day).
//! Data: seeded random datasets (few users, few event names, timestamps on a coarse grid)
//! and the built-in sample.

use super::common::try_run;
use super::oracle::{
    random_data, rfc3339, sample_data, Cal, Data, Ev, Gran, Rng, CN, DAY, IN, NY, UTC,
};
use loupe::engine::analysis::active_users::ActiveUsersResult;
use loupe::engine::analysis::stickiness::StickinessResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use std::collections::{BTreeMap, BTreeSet};

/// A condition on property `p` of the random data (or `platform` of the sample): equal
/// or not equal to a value; events without a value pass "not equal".
#[derive(Clone, Copy, Debug)]
struct Cond {
    prop: &'static str,
    eq: bool,
    value: &'static str,
}

impl Cond {
    fn json(&self) -> String {
        format!(
            r#"[{{"property":"{}","op":"{}","value":"{}"}}]"#,
            self.prop,
            if self.eq { "eq" } else { "neq" },
            self.value
        )
    }

    fn holds(&self, d: &Data, e: &Ev) -> bool {
        let k = d.props.iter().position(|p| p == self.prop).unwrap();
        (e.props[k] == self.value) == self.eq
    }
}

/// `YYYY-MM-DD` of a day number.
fn date(day: i64) -> String {
    rfc3339(day * DAY)[..10].to_string()
}

/// The oracle's calendar of `gran` in the parameters' zone and week start.
fn calendar(gran: Gran, offset: i64, sunday: bool) -> Cal {
    Cal {
        gran,
        offset,
        sunday,
    }
}

/// The covered instants: a range of whole local days (both included), or the data.
fn covered(d: &Data, offset: i64, range: Option<(i64, i64)>) -> (i64, i64) {
    let day = calendar(Gran::Day, offset, false);
    match range {
        Some((from, to)) => (day.start(from), day.start(to + 1) - 1),
        None => (
            d.events.iter().map(|e| e.time).min().unwrap(),
            d.events.iter().map(|e| e.time).max().unwrap(),
        ),
    }
}

fn in_range(d: &Data, offset: i64, range: Option<(i64, i64)>, t: i64) -> bool {
    let _ = d;
    match range {
        None => true,
        Some((from, to)) => {
            let day = calendar(Gran::Day, offset, false);
            day.start(from) <= t && t < day.start(to + 1)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Stickiness

#[derive(Clone, Debug)]
struct SParams {
    event: Option<&'static str>,
    event_cond: Option<Cond>,
    shared: Option<Cond>,
    gran: Gran,
    group: i64,
    cumulative: bool,
    /// ("gte" | "lte" | "eq", K)
    criteria: (&'static str, u32),
    /// (property, user property?, limit)
    breakdown: Option<(&'static str, bool, usize)>,
    offset: i64,
    sunday: bool,
    range: Option<(i64, i64)>,
}

impl SParams {
    fn json(&self) -> String {
        let tz = calendar(self.gran, self.offset, self.sunday).tz_json();
        let mut j = format!(
            r#"{{"analysis":"stickiness","interval":"{}","interval_count":{},"computed":"{}","criteria":{{"op":"{}","value":{}}},"timezone":"{tz}","week_start":"{}""#,
            self.gran.json(),
            self.group,
            if self.cumulative {
                "cumulative"
            } else {
                "non_cumulative"
            },
            self.criteria.0,
            self.criteria.1,
            if self.sunday { "sunday" } else { "monday" },
        );
        if let Some(e) = self.event {
            j.push_str(&format!(r#","event":"{e}""#));
        }
        if let Some(c) = self.event_cond {
            j.push_str(&format!(r#","event_filters":{}"#, c.json()));
        }
        if let Some(c) = self.shared {
            j.push_str(&format!(r#","filters":{}"#, c.json()));
        }
        if let Some((name, user, limit)) = self.breakdown {
            let prop = if user {
                format!(r#"{{"property":"{name}","source":"user"}}"#)
            } else {
                format!(r#""{name}""#)
            };
            j.push_str(&format!(
                r#","breakdown":{{"properties":[{prop}],"limit":{limit}}}"#
            ));
        }
        if let Some((from, to)) = self.range {
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(from),
                date(to)
            ));
        }
        j.push('}');
        j
    }

    fn qualifies(&self, count: u32) -> bool {
        let k = self.criteria.1;
        count >= 1
            && match self.criteria.0 {
                "gte" => count >= k,
                "lte" => count <= k,
                _ => count == k,
            }
    }
}

/// (label, users per x, total users, average) of the oracle.
type SSeries = (String, Vec<u64>, u64, f64);

/// The number of active intervals of one user from their counted events' instants.
fn active_intervals(p: &SParams, cal: &Cal, first: i64, times: &[i64]) -> u32 {
    let mut per: BTreeMap<i64, u32> = BTreeMap::new();
    for &t in times {
        *per.entry(cal.index(first, cal.key(t)) / p.group)
            .or_default() += 1;
    }
    per.values().filter(|&&c| p.qualifies(c)).count() as u32
}

fn series_of(p: &SParams, label: &str, n: usize, counts: &[u32]) -> SSeries {
    let mut exact = vec![0u64; n + 1];
    for &c in counts {
        exact[c as usize] += 1;
    }
    let total: u64 = exact[1..].iter().sum();
    let users: Vec<u64> = (1..=n)
        .map(|x| {
            if p.cumulative {
                exact[x..].iter().sum()
            } else {
                exact[x]
            }
        })
        .collect();
    let sum: u64 = counts.iter().map(|&c| c as u64).sum();
    let avg = if total == 0 {
        0.0
    } else {
        sum as f64 / total as f64
    };
    (label.to_string(), users, total, avg)
}

/// The series (and the total) the oracle expects.
fn stickiness_oracle(d: &Data, p: &SParams) -> (usize, Vec<SSeries>, SSeries) {
    let cal = calendar(p.gran, p.offset, p.sunday);
    let (lo, hi) = covered(d, p.offset, p.range);
    let (first, last) = (cal.key(lo), cal.key(hi));
    let base = cal.index(first, last) + 1;
    let n = ((base + p.group - 1) / p.group) as usize;
    let counted = |e: &Ev| {
        in_range(d, p.offset, p.range, e.time)
            && p.shared.is_none_or(|c| c.holds(d, e))
            && p.event.is_none_or(|x| e.event == x)
            && p.event_cond.is_none_or(|c| c.holds(d, e))
    };
    // per user: counted events with their value
    // the breakdown property's column (any column without a breakdown: unused)
    let pk = p
        .breakdown
        .map_or(0, |b| d.props.iter().position(|x| x == b.0).unwrap());
    let users: Vec<Vec<(i64, Option<String>)>> = d
        .per_user()
        .iter()
        .map(|idx| {
            let user_value = idx
                .iter()
                .map(|&i| &d.events[i].props[pk])
                .find(|v| !v.is_empty())
                .cloned();
            idx.iter()
                .map(|&i| &d.events[i])
                .filter(|e| counted(e))
                .map(|e| {
                    let v = match p.breakdown {
                        Some((_, true, _)) => user_value.clone(),
                        _ => (!e.props[pk].is_empty()).then(|| e.props[pk].clone()),
                    };
                    (e.time, v)
                })
                .collect()
        })
        .collect();
    let count_for = |keep: &dyn Fn(&Option<String>) -> bool| -> Vec<u32> {
        users
            .iter()
            .filter_map(|evs| {
                let times: Vec<i64> = evs.iter().filter(|e| keep(&e.1)).map(|e| e.0).collect();
                (!times.is_empty()).then(|| active_intervals(p, &cal, first, &times))
            })
            .collect()
    };
    let total = series_of(p, "(total)", n, &count_for(&|_| true));
    let Some((_, _, limit)) = p.breakdown else {
        let label = p.event.unwrap_or("(all events)");
        let s = series_of(p, label, n, &count_for(&|_| true));
        return (n, vec![s], total);
    };
    let mut rank: BTreeMap<String, u64> = BTreeMap::new();
    for evs in &users {
        for v in evs
            .iter()
            .filter_map(|e| e.1.clone())
            .collect::<BTreeSet<_>>()
        {
            let c = count_for_one(p, &cal, first, evs, &|x| x.as_deref() == Some(&v));
            *rank.entry(v).or_default() += u64::from(c > 0);
        }
    }
    let mut order: Vec<(String, u64)> = rank.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let keep = if limit == 0 {
        order.len()
    } else {
        limit.min(order.len())
    };
    let mut out = Vec::new();
    for (v, _) in &order[..keep] {
        out.push(series_of(
            p,
            v,
            n,
            &count_for(&|x| x.as_deref() == Some(v.as_str())),
        ));
    }
    if keep < order.len() {
        let other: BTreeSet<&str> = order[keep..].iter().map(|(v, _)| v.as_str()).collect();
        out.push(series_of(
            p,
            "(other)",
            n,
            &count_for(&|x| x.as_deref().is_some_and(|v| other.contains(v))),
        ));
    }
    if users.iter().any(|evs| evs.iter().any(|e| e.1.is_none())) {
        out.push(series_of(p, "(none)", n, &count_for(&|x| x.is_none())));
    }
    (n, out, total)
}

fn count_for_one(
    p: &SParams,
    cal: &Cal,
    first: i64,
    evs: &[(i64, Option<String>)],
    keep: &dyn Fn(&Option<String>) -> bool,
) -> u32 {
    let times: Vec<i64> = evs.iter().filter(|e| keep(&e.1)).map(|e| e.0).collect();
    active_intervals(p, cal, first, &times)
}

#[derive(Default, Debug)]
struct SSeen {
    specs: u64,
    errors: u64,
    series: u64,
    other: u64,
    multi_interval_users: u64,
}

fn check_stickiness(what: &str, d: &Data, store: &EventStore, p: &SParams, seen: &mut SSeen) {
    let json = p.json();
    seen.specs += 1;
    let r: StickinessResult = match try_run(store, &json) {
        Ok(AnalysisResult::Stickiness(r)) => r,
        Ok(other) => panic!("{what}: {json}: {other:?}"),
        Err(e) => {
            // the only legitimate refusal: a range without data
            let (lo, hi) = covered(d, p.offset, p.range);
            let any = d.events.iter().any(|e| lo <= e.time && e.time <= hi);
            assert!(!any, "{what}: {json}: {e}");
            seen.errors += 1;
            return;
        }
    };
    let (n, series, total) = stickiness_oracle(d, p);
    let ctx = || format!("{what}: {json}");
    assert_eq!(r.x, (1..=n as u32).collect::<Vec<_>>(), "{}", ctx());
    let got: Vec<&str> = r.series.iter().map(|s| s.label.as_str()).collect();
    let want: Vec<&str> = series.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(got, want, "{}", ctx());
    for (s, (label, users, tot, avg)) in r.series.iter().zip(&series).chain([(&r.total, &total)]) {
        assert_eq!(&s.users, users, "{}: series {label}", ctx());
        assert_eq!(s.total_users, *tot, "{}: series {label}", ctx());
        assert!(
            (s.average_intervals - avg).abs() < 1e-9,
            "{}: {label}",
            ctx()
        );
        for (k, &u) in users.iter().enumerate() {
            let share = if *tot == 0 {
                0.0
            } else {
                u as f64 / *tot as f64
            };
            assert!((s.percent[k] - share).abs() < 1e-12, "{}: {label}", ctx());
        }
        seen.series += 1;
        seen.other += u64::from(label == "(other)");
        seen.multi_interval_users += users.iter().skip(1).sum::<u64>();
    }
}

fn random_stickiness(rng: &mut Rng, d: &Data) -> SParams {
    let names: Vec<&'static str> = ["a", "b", "c"]
        .into_iter()
        .filter(|n| d.has_event(n))
        .collect();
    let conds = [
        Cond {
            prop: "p",
            eq: true,
            value: "x",
        },
        Cond {
            prop: "p",
            eq: false,
            value: "y",
        },
    ];
    let min = d.events.iter().map(|e| e.time).min().unwrap();
    let max = d.events.iter().map(|e| e.time).max().unwrap();
    let offset = rng.pick(&[UTC, CN, NY, IN]);
    let day = calendar(Gran::Day, offset, false);
    SParams {
        event: (rng.below(2) == 0 && !names.is_empty()).then(|| rng.pick(&names)),
        event_cond: (rng.below(4) == 0).then(|| rng.pick(&conds)),
        shared: (rng.below(4) == 0).then(|| rng.pick(&conds)),
        gran: rng.pick(&[Gran::Hour, Gran::Day, Gran::Day, Gran::Week, Gran::Month]),
        group: rng.pick(&[1, 1, 1, 2, 3]),
        cumulative: rng.below(2) == 0,
        criteria: rng.pick(&[
            ("gte", 1),
            ("gte", 1),
            ("gte", 2),
            ("lte", 1),
            ("lte", 2),
            ("eq", 1),
            ("eq", 2),
        ]),
        breakdown: (rng.below(2) == 0).then(|| ("p", rng.below(3) == 0, rng.pick(&[10, 2, 1, 0]))),
        offset,
        sunday: rng.below(3) == 0,
        range: (rng.below(3) == 0).then(|| {
            let (a, b) = (day.key(min), day.key(max));
            let from = a + rng.below((b - a + 1) as u64) as i64;
            (from, from + rng.below(10) as i64)
        }),
    }
}

#[test]
fn stickiness_matches_oracle_on_random_tie_heavy_data() {
    let mut seen = SSeen::default();
    let mut rng = Rng(11);
    for seed in 5000..5200u64 {
        let (d, store) = random_data(seed);
        for _ in 0..10 {
            let p = random_stickiness(&mut rng, &d);
            check_stickiness(&format!("seed {seed}"), &d, &store, &p, &mut seen);
        }
    }
    assert!(seen.specs - seen.errors > 1500, "{seen:?}");
    assert!(seen.series > 3000, "{seen:?}");
    assert!(seen.other > 100, "{seen:?}");
    assert!(seen.multi_interval_users > 1000, "{seen:?}");
}

#[test]
fn stickiness_matches_oracle_on_sample() {
    let (d, store) = sample_data();
    let mut seen = SSeen::default();
    for (offset, gran, group, breakdown) in [
        (UTC, Gran::Day, 1, None),
        (CN, Gran::Week, 1, Some(("platform", false, 3))),
        (NY, Gran::Day, 7, Some(("country", true, 2))),
        (IN, Gran::Month, 1, None),
    ] {
        let p = SParams {
            event: Some("view_item"),
            event_cond: None,
            shared: None,
            gran,
            group,
            cumulative: false,
            criteria: ("gte", 1),
            breakdown,
            offset,
            sunday: false,
            range: None,
        };
        check_stickiness("sample", d, store, &p, &mut seen);
    }
    assert_eq!(seen.errors, 0);
}

// ---------------------------------------------------------------------------------------
// Active users

#[derive(Clone, Debug)]
struct AParams {
    /// (event, its own condition); empty = any event
    events: Vec<(&'static str, Option<Cond>)>,
    shared: Option<Cond>,
    mau_days: i64,
    month: bool,
    offset: i64,
    sunday: bool,
    range: Option<(i64, i64)>,
}

impl AParams {
    fn json(&self) -> String {
        let tz = calendar(Gran::Day, self.offset, false).tz_json();
        let mut j = format!(
            r#"{{"analysis":"active_users","mau_days":{},"frequency":"{}","timezone":"{tz}","week_start":"{}""#,
            self.mau_days,
            if self.month { "month" } else { "week" },
            if self.sunday { "sunday" } else { "monday" },
        );
        if !self.events.is_empty() {
            let list: Vec<String> = self
                .events
                .iter()
                .map(|(e, c)| match c {
                    Some(c) => format!(r#"{{"event":"{e}","filters":{}}}"#, c.json()),
                    None => format!(r#"{{"event":"{e}"}}"#),
                })
                .collect();
            j.push_str(&format!(r#","events":[{}]"#, list.join(",")));
        }
        if let Some(c) = self.shared {
            j.push_str(&format!(r#","filters":{}"#, c.json()));
        }
        if let Some((from, to)) = self.range {
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(from),
                date(to)
            ));
        }
        j.push('}');
        j
    }
}

/// What the oracle expects, per shown day and per period.
struct AExpected {
    days: Vec<String>,
    dau: Vec<u64>,
    wau: Vec<u64>,
    mau: Vec<u64>,
    wau_partial: Vec<bool>,
    mau_partial: Vec<bool>,
    periods: Vec<(String, u32, Vec<u64>)>,
}

fn active_oracle(d: &Data, p: &AParams) -> AExpected {
    let day = calendar(Gran::Day, p.offset, false);
    let (lo, hi) = covered(d, p.offset, p.range);
    let (first, last) = (day.key(lo), day.key(hi));
    let active = |e: &Ev| {
        p.shared.is_none_or(|c| c.holds(d, e))
            && (p.events.is_empty()
                || p.events
                    .iter()
                    .any(|(x, c)| e.event == *x && c.is_none_or(|c| c.holds(d, e))))
    };
    // every user's set of active days, whatever the range
    let sets: Vec<BTreeSet<i64>> = d
        .per_user()
        .iter()
        .map(|idx| {
            idx.iter()
                .map(|&i| &d.events[i])
                .filter(|e| active(e))
                .map(|e| day.key(e.time))
                .collect()
        })
        .collect();
    let within = |a: i64, b: i64| {
        sets.iter()
            .filter(|s| s.iter().any(|&x| a <= x && x <= b))
            .count() as u64
    };
    let data_first = day.key(d.events.iter().map(|e| e.time).min().unwrap());
    let shown: Vec<i64> = (first..=last).collect();
    let period = calendar(
        if p.month { Gran::Month } else { Gran::Week },
        p.offset,
        p.sunday,
    );
    let width = if p.month { 31 } else { 7 };
    let mut periods: Vec<(String, u32, Vec<u64>)> = Vec::new();
    let mut keys: Vec<i64> = shown.iter().map(|&k| period.key(day.start(k))).collect();
    keys.dedup();
    for key in keys {
        let days: Vec<i64> = shown
            .iter()
            .copied()
            .filter(|&k| period.key(day.start(k)) == key)
            .collect();
        let mut users = vec![0u64; width];
        for s in &sets {
            let c = days.iter().filter(|k| s.contains(k)).count();
            if c > 0 {
                users[c - 1] += 1;
            }
        }
        periods.push((period.label(key), days.len() as u32, users));
    }
    AExpected {
        days: shown.iter().map(|&k| day.label(k)).collect(),
        dau: shown.iter().map(|&k| within(k, k)).collect(),
        wau: shown.iter().map(|&k| within(k - 6, k)).collect(),
        mau: shown
            .iter()
            .map(|&k| within(k - (p.mau_days - 1), k))
            .collect(),
        wau_partial: shown.iter().map(|&k| k - 6 < data_first).collect(),
        mau_partial: shown
            .iter()
            .map(|&k| k - (p.mau_days - 1) < data_first)
            .collect(),
        periods,
    }
}

#[derive(Default, Debug)]
struct ASeen {
    specs: u64,
    errors: u64,
    days: u64,
    wau_above_dau: u64,
    partial_periods: u64,
}

fn check_active(what: &str, d: &Data, store: &EventStore, p: &AParams, seen: &mut ASeen) {
    let json = p.json();
    seen.specs += 1;
    let r: ActiveUsersResult = match try_run(store, &json) {
        Ok(AnalysisResult::ActiveUsers(r)) => r,
        Ok(other) => panic!("{what}: {json}: {other:?}"),
        Err(e) => {
            let (lo, hi) = covered(d, p.offset, p.range);
            assert!(
                !d.events.iter().any(|e| lo <= e.time && e.time <= hi),
                "{what}: {json}: {e}"
            );
            seen.errors += 1;
            return;
        }
    };
    let x = active_oracle(d, p);
    let ctx = format!("{what}: {json}");
    assert_eq!(r.days, x.days, "{ctx}");
    assert_eq!(r.dau, x.dau, "{ctx}");
    assert_eq!(r.wau, x.wau, "{ctx}");
    assert_eq!(r.mau, x.mau, "{ctx}");
    assert_eq!(r.wau_partial, x.wau_partial, "{ctx}");
    assert_eq!(r.mau_partial, x.mau_partial, "{ctx}");
    for (k, ((&a, &w), &m)) in x.dau.iter().zip(&x.wau).zip(&x.mau).enumerate() {
        let ratio = |b: u64| (b > 0).then(|| a as f64 / b as f64);
        assert_eq!(r.dau_mau[k], ratio(m), "{ctx}");
        assert_eq!(r.dau_wau[k], ratio(w), "{ctx}");
        seen.wau_above_dau += u64::from(w > a);
    }
    let got: Vec<(String, u32, Vec<u64>)> = r
        .periods
        .iter()
        .map(|q| (q.label.clone(), q.days, q.users.clone()))
        .collect();
    assert_eq!(got, x.periods, "{ctx}");
    let mut total = vec![0u64; x.periods.first().map_or(0, |q| q.2.len())];
    for q in &x.periods {
        for (t, u) in total.iter_mut().zip(&q.2) {
            *t += u;
        }
    }
    assert_eq!(r.frequency_total, total, "{ctx}");
    seen.days += x.days.len() as u64;
    seen.partial_periods += r.periods.iter().filter(|q| q.partial).count() as u64;
}

fn random_active(rng: &mut Rng, d: &Data) -> AParams {
    let names: Vec<&'static str> = ["a", "b", "c", "d"]
        .into_iter()
        .filter(|n| d.has_event(n))
        .collect();
    let conds = [
        Cond {
            prop: "p",
            eq: true,
            value: "x",
        },
        Cond {
            prop: "p",
            eq: false,
            value: "y",
        },
    ];
    let mut events = Vec::new();
    if rng.below(2) == 0 {
        for _ in 0..1 + rng.below(2) {
            events.push((
                rng.pick(&names),
                (rng.below(3) == 0).then(|| rng.pick(&conds)),
            ));
        }
    }
    let min = d.events.iter().map(|e| e.time).min().unwrap();
    let max = d.events.iter().map(|e| e.time).max().unwrap();
    let offset = rng.pick(&[UTC, CN, NY, IN]);
    let day = calendar(Gran::Day, offset, false);
    AParams {
        events,
        shared: (rng.below(4) == 0).then(|| rng.pick(&conds)),
        mau_days: rng.pick(&[30, 28]),
        month: rng.below(3) == 0,
        offset,
        sunday: rng.below(3) == 0,
        range: (rng.below(3) == 0).then(|| {
            let (a, b) = (day.key(min), day.key(max));
            let from = a + rng.below((b - a + 1) as u64) as i64;
            (from, from + rng.below(40) as i64)
        }),
    }
}

#[test]
fn active_users_match_oracle_on_random_tie_heavy_data() {
    let mut seen = ASeen::default();
    let mut rng = Rng(13);
    for seed in 6000..6200u64 {
        let (d, store) = random_data(seed);
        for _ in 0..8 {
            let p = random_active(&mut rng, &d);
            check_active(&format!("seed {seed}"), &d, &store, &p, &mut seen);
        }
    }
    assert!(seen.specs - seen.errors > 1200, "{seen:?}");
    assert!(seen.days > 10_000, "{seen:?}");
    assert!(seen.wau_above_dau > 1000, "{seen:?}");
    assert!(seen.partial_periods > 500, "{seen:?}");
}

#[test]
fn active_users_match_oracle_on_sample() {
    let (d, store) = sample_data();
    let mut seen = ASeen::default();
    for (offset, month, sunday, events) in [
        (UTC, false, false, vec![]),
        (CN, true, false, vec![("view_item", None)]),
        (
            NY,
            false,
            true,
            vec![
                ("purchase", None),
                (
                    "app_open",
                    Some(Cond {
                        prop: "platform",
                        eq: true,
                        value: "ios",
                    }),
                ),
            ],
        ),
        (IN, true, true, vec![]),
    ] {
        let p = AParams {
            events,
            shared: None,
            mau_days: 30,
            month,
            offset,
            sunday,
            range: None,
        };
        let json = p.json();
        let r = match try_run(store, &json) {
            Ok(AnalysisResult::ActiveUsers(r)) => r,
            other => panic!("{json}: {other:?}"),
        };
        let x = active_oracle(d, &p);
        assert_eq!(r.dau, x.dau, "{json}");
        assert_eq!(r.wau, x.wau, "{json}");
        assert_eq!(r.mau, x.mau, "{json}");
        let got: Vec<(String, u32, Vec<u64>)> = r
            .periods
            .iter()
            .map(|q| (q.label.clone(), q.days, q.users.clone()))
            .collect();
        assert_eq!(got, x.periods, "{json}");
        seen.specs += 1;
    }
    assert_eq!(seen.specs, 4);
}
