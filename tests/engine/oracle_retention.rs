//! Brute-force oracle of the retention options (cohort kinds, minimum occurrences, rolling
//! windows, brackets, average cells, breakdowns, filters, date ranges), written literally
//! from the definitions in `src/engine/analysis/retention.rs` and compared number by
//! number with the engine.
//!
//! The oracle never shares code with the engine: it takes each user's events in
//! (time, source row) order from the raw event list, evaluates filters on the raw text,
//! cuts calendar periods with the slow calendar of `oracle.rs`, and counts every cell by
//! looking at every event again. Data: seeded random datasets (few users, few event names,
//! timestamps on a coarse grid, so ties are everywhere) and the built-in sample.

use super::common::try_run;
use super::oracle::{
    cal, close_opt, random_data, rfc3339, sample_data, Cal, Data, Ev, Gran, Rng, CN, DAY, HOUR, IN,
    NY, UTC,
};
use loupe::engine::analysis::retention::{Cohort, RetentionResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------------------
// Parameters

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    FirstTime,
    FirstEver,
    Recurring,
}

/// A filter the oracle can evaluate on raw text: (JSON, test of one event).
#[derive(Clone, Copy)]
struct Cond {
    json: &'static str,
    test: fn(&Ev) -> bool,
}

impl std::fmt::Debug for Cond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.json)
    }
}

/// A number cell as the oracle reads it: empty is no value.
fn num(s: &str) -> Option<f64> {
    (!s.is_empty()).then(|| s.parse().unwrap())
}

/// Random data has properties `p` (x, y, z, w or empty) and `n` (1, 2, 3, 10 or empty).
const P_IS_X: Cond = Cond {
    json: r#"[{"property":"p","op":"eq","value":"x"}]"#,
    test: |e| e.props[0] == "x",
};
/// `neq` lets events without a value pass.
const P_NOT_Y: Cond = Cond {
    json: r#"[{"property":"p","op":"neq","value":"y"}]"#,
    test: |e| e.props[0] != "y",
};
const P_NOT_W: Cond = Cond {
    json: r#"[{"property":"p","op":"neq","value":"w"}]"#,
    test: |e| e.props[0] != "w",
};
const N_AT_LEAST_2: Cond = Cond {
    json: r#"[{"property":"n","op":"gte","value":2}]"#,
    test: |e| num(&e.props[1]).is_some_and(|v| v >= 2.0),
};
const N_AT_MOST_3: Cond = Cond {
    json: r#"[{"property":"n","op":"lte","value":3}]"#,
    test: |e| num(&e.props[1]).is_some_and(|v| v <= 3.0),
};
const X_OR_TEN: Cond = Cond {
    json: r#"{"any":[{"property":"p","op":"eq","value":"x"},{"property":"n","op":"eq","value":10}]}"#,
    test: |e| e.props[0] == "x" || num(&e.props[1]) == Some(10.0),
};
/// Sample data has properties platform, country, channel.
const NOT_IOS: Cond = Cond {
    json: r#"[{"property":"platform","op":"neq","value":"ios"}]"#,
    test: |e| e.props[0] != "ios",
};
const IN_CN_US: Cond = Cond {
    json: r#"[{"property":"country","op":"in","value":["CN","US"]}]"#,
    test: |e| e.props[1] == "CN" || e.props[1] == "US",
};

#[derive(Clone, Copy, Debug)]
struct Breakdown {
    /// Index of the property in the data's property list, and its name.
    prop: usize,
    name: &'static str,
    user: bool,
    limit: usize,
}

#[derive(Clone, Debug)]
struct Params {
    start: Option<&'static str>,
    ret: Option<&'static str>,
    cal: Cal,
    kind: Kind,
    k: u32,
    rolling: bool,
    /// `periods`, or brackets when `Some`.
    periods: u32,
    brackets: Option<Vec<(u32, u32)>>,
    on_or_after: bool,
    average_all: bool,
    breakdown: Option<Breakdown>,
    start_filter: Option<Cond>,
    return_filter: Option<Cond>,
    shared_filter: Option<Cond>,
    /// Whole local days since the epoch, both included.
    range: Option<(i64, i64)>,
}

/// `YYYY-MM-DD` of a day number, through the oracle's own calendar.
fn date(day: i64) -> String {
    rfc3339(day * DAY)[..10].to_string()
}

impl Params {
    fn json(&self) -> String {
        let mut j = format!(
            r#"{{"analysis":"retention","period":"{}","timezone":"{}","week_start":"{}","mode":"{}","cohort":"{}","min_occurrences":{},"windows":"{}","average_cells":"{}""#,
            self.cal.gran.json(),
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
            if self.on_or_after {
                "on_or_after"
            } else {
                "on"
            },
            match self.kind {
                Kind::FirstTime => "first_time",
                Kind::FirstEver => "first_ever",
                Kind::Recurring => "recurring",
            },
            self.k,
            if self.rolling { "rolling" } else { "calendar" },
            if self.average_all { "all" } else { "complete" },
        );
        match &self.brackets {
            Some(b) => {
                let list: Vec<String> = b.iter().map(|(a, b)| format!("[{a},{b}]")).collect();
                j.push_str(&format!(r#","brackets":[{}]"#, list.join(",")));
            }
            None => j.push_str(&format!(r#","periods":{}"#, self.periods)),
        }
        if let Some(s) = self.start {
            j.push_str(&format!(r#","start_event":"{s}""#));
        }
        if let Some(s) = self.ret {
            j.push_str(&format!(r#","return_event":"{s}""#));
        }
        if let Some(b) = &self.breakdown {
            let prop = if b.user {
                format!(r#"{{"property":"{}","source":"user"}}"#, b.name)
            } else {
                format!(r#""{}""#, b.name)
            };
            j.push_str(&format!(
                r#","breakdown":{{"properties":[{prop}],"limit":{}}}"#,
                b.limit
            ));
        }
        for (key, c) in [
            ("start_filters", self.start_filter),
            ("return_filters", self.return_filter),
            ("filters", self.shared_filter),
        ] {
            if let Some(c) = c {
                j.push_str(&format!(r#","{key}":{}"#, c.json));
            }
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

    /// The columns as inclusive period ranges, period 0 first.
    fn columns(&self) -> Vec<(u32, u32)> {
        let mut c = vec![(0, 0)];
        match &self.brackets {
            Some(b) => c.extend(b.iter().copied()),
            None => c.extend((1..=self.periods).map(|n| (n, n))),
        }
        c
    }

    fn window(&self) -> i64 {
        match self.cal.gran {
            Gran::Hour => HOUR,
            Gran::Day => DAY,
            Gran::Week => 7 * DAY,
            Gran::Month => 30 * DAY,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The oracle

/// One row of an expected table.
#[derive(Debug)]
struct Row {
    label: String,
    size: u64,
    retained: Vec<u64>,
    complete: Vec<bool>,
}

/// An expected table: its rows and its distinct users.
#[derive(Debug)]
struct Table {
    rows: Vec<Row>,
    users: u64,
}

/// A user in a cohort (before tables are gathered).
struct Membership {
    user: usize,
    value: Option<String>,
    cohort: i64,
    start: i64,
    hits: Vec<bool>,
}

/// Every membership of every user (with the breakdown's values when `by` is set).
fn memberships(d: &Data, p: &Params, by: Option<&Breakdown>) -> Vec<Membership> {
    let c = p.cal;
    let cols = p.columns();
    let keep = |e: &Ev| p.shared_filter.is_none_or(|f| (f.test)(e));
    let named = |e: &Ev, name: Option<&str>| name.is_none_or(|n| e.event == n);
    let is_start =
        |e: &Ev| keep(e) && named(e, p.start) && p.start_filter.is_none_or(|f| (f.test)(e));
    let is_return =
        |e: &Ev| keep(e) && named(e, p.ret) && p.return_filter.is_none_or(|f| (f.test)(e));
    let in_range = |t: i64| {
        p.range.is_none_or(|(from, to)| {
            let day = (t + c.offset * 1_000_000).div_euclid(DAY);
            from <= day && day <= to
        })
    };
    let mut out = Vec::new();
    for (user, idx) in d.per_user().iter().enumerate() {
        let evs: Vec<&Ev> = idx.iter().map(|&i| &d.events[i]).collect();
        // the value of each event: its own, or the user's first non-empty one
        let user_value = by.and_then(|b| {
            evs.iter()
                .map(|e| e.props[b.prop].clone())
                .find(|v| !v.is_empty())
        });
        let value = |e: &Ev| -> Option<String> {
            match by {
                None => None,
                Some(b) if b.user => user_value.clone(),
                Some(b) => Some(e.props[b.prop].clone()).filter(|v| !v.is_empty()),
            }
        };
        // each (user, value) is a user of its own whose events carry that value
        let values: BTreeSet<Option<String>> = evs.iter().map(|e| value(e)).collect();
        for v in values {
            let own: Vec<&Ev> = evs.iter().copied().filter(|e| value(e) == v).collect();
            let starts: Vec<usize> = match p.kind {
                Kind::FirstTime => own
                    .iter()
                    .position(|e| is_start(e))
                    .filter(|&s| in_range(own[s].time))
                    .into_iter()
                    .collect(),
                Kind::FirstEver => own
                    .iter()
                    .position(|e| named(e, p.start))
                    .filter(|&s| is_start(own[s]) && in_range(own[s].time))
                    .into_iter()
                    .collect(),
                Kind::Recurring => {
                    let mut seen = BTreeSet::new();
                    (0..own.len())
                        .filter(|&s| is_start(own[s]) && in_range(own[s].time))
                        .filter(|&s| seen.insert(c.key(own[s].time)))
                        .collect()
                }
            };
            for s in starts {
                let t0 = own[s].time;
                let cohort = c.key(t0);
                let period = |t: i64| {
                    if p.rolling {
                        (t - t0) / p.window()
                    } else {
                        c.index(cohort, c.key(t))
                    }
                };
                // return events per period, from the start event on
                let mut count: BTreeMap<i64, u32> = BTreeMap::new();
                for e in &own[s..] {
                    if is_return(e) {
                        *count.entry(period(e.time)).or_default() += 1;
                    }
                }
                let qualifying: Vec<i64> = count
                    .iter()
                    .filter(|&(_, &n)| n >= p.k)
                    .map(|(&n, _)| n)
                    .collect();
                let hits = cols
                    .iter()
                    .map(|&(a, b)| {
                        qualifying.iter().any(|&n| {
                            if p.on_or_after {
                                n >= a as i64
                            } else {
                                a as i64 <= n && n <= b as i64
                            }
                        })
                    })
                    .collect();
                out.push(Membership {
                    user,
                    value: v.clone(),
                    cohort,
                    start: t0,
                    hits,
                });
            }
        }
    }
    out
}

/// Gathers memberships into a table: one row per cohort; a user counts once per cohort
/// and is retained in a column when any of their memberships there is.
fn gather(d: &Data, p: &Params, ms: &[&Membership]) -> Table {
    let c = p.cal;
    let cols = p.columns();
    let end = d.data_end();
    let cohorts: BTreeSet<i64> = ms.iter().map(|m| m.cohort).collect();
    let mut rows = Vec::new();
    for k in cohorts {
        let here: Vec<&&Membership> = ms.iter().filter(|m| m.cohort == k).collect();
        let users: BTreeSet<usize> = here.iter().map(|m| m.user).collect();
        let earliest = here.iter().map(|m| m.start).min().unwrap();
        let latest = here.iter().map(|m| m.start).max().unwrap();
        let begun = |a: u32| {
            if p.rolling {
                earliest + a as i64 * p.window() <= end
            } else {
                c.start(c.add(k, a as i64)) <= end
            }
        };
        let ended = |b: u32| {
            if p.rolling {
                latest + (b as i64 + 1) * p.window() <= end
            } else {
                c.start(c.add(k, b as i64 + 1)) <= end
            }
        };
        let cells = cols.iter().take_while(|&&(a, _)| begun(a)).count();
        rows.push(Row {
            label: c.label(k),
            size: users.len() as u64,
            retained: (0..cells)
                .map(|col| {
                    users
                        .iter()
                        .filter(|&&u| here.iter().any(|m| m.user == u && m.hits[col]))
                        .count() as u64
                })
                .collect(),
            complete: cols[..cells].iter().map(|&(_, b)| ended(b)).collect(),
        });
    }
    let users = ms.iter().map(|m| m.user).collect::<BTreeSet<_>>().len() as u64;
    Table { rows, users }
}

/// The top-level table and, with a breakdown, (label, table) per value in order.
fn oracle(d: &Data, p: &Params) -> (Table, Vec<(String, Table)>) {
    let all = memberships(d, p, None);
    let whole = gather(d, p, &all.iter().collect::<Vec<_>>());
    let Some(b) = &p.breakdown else {
        return (whole, Vec::new());
    };
    let ms = memberships(d, p, Some(b));
    // rank values by cohort users (memberships), then label
    let mut rank: BTreeMap<&str, u64> = BTreeMap::new();
    for m in &ms {
        if let Some(v) = &m.value {
            *rank.entry(v).or_default() += 1;
        }
    }
    let mut order: Vec<(&str, u64)> = rank.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let keep = if b.limit == 0 {
        order.len()
    } else {
        b.limit.min(order.len())
    };
    let mut tables = Vec::new();
    for &(v, _) in &order[..keep] {
        let these: Vec<&Membership> = ms
            .iter()
            .filter(|m| m.value.as_deref() == Some(v))
            .collect();
        tables.push((v.to_string(), gather(d, p, &these)));
    }
    if keep < order.len() {
        let other: BTreeSet<&str> = order[keep..].iter().map(|&(v, _)| v).collect();
        let these: Vec<&Membership> = ms
            .iter()
            .filter(|m| m.value.as_deref().is_some_and(|v| other.contains(v)))
            .collect();
        tables.push(("(other)".to_string(), gather(d, p, &these)));
    }
    let none: Vec<&Membership> = ms.iter().filter(|m| m.value.is_none()).collect();
    if !none.is_empty() {
        tables.push(("(none)".to_string(), gather(d, p, &none)));
    }
    (whole, tables)
}

// ---------------------------------------------------------------------------------------
// Comparison

/// What the checks saw, so a test can prove it was not vacuous.
#[derive(Default, Debug)]
struct Seen {
    specs: u64,
    errors: u64,
    cohorts: u64,
    /// cells with N ≥ 1 and retained > 0
    later_returns: u64,
    incomplete: u64,
    other_tables: u64,
    /// recurring users counted in more cohort rows than distinct users
    repeat_users: u64,
    /// breakdown value tables compared
    breakdown_tables: u64,
}

fn check_table(
    what: &str,
    p: &Params,
    cohorts: &[Cohort],
    average: &[loupe::engine::analysis::retention::AverageCell],
    users: u64,
    e: &Table,
    seen: &mut Seen,
) {
    assert_eq!(users, e.users, "{what}: users");
    let labels: Vec<&str> = cohorts.iter().map(|c| c.label.as_str()).collect();
    let exp: Vec<&str> = e.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, exp, "{what}: cohorts");
    for (c, r) in cohorts.iter().zip(&e.rows) {
        assert_eq!(c.size, r.size, "{what}: size of {}", r.label);
        assert_eq!(c.retained, r.retained, "{what}: retained of {}", r.label);
        assert_eq!(c.complete, r.complete, "{what}: complete of {}", r.label);
        let rates: Vec<f64> = r
            .retained
            .iter()
            .map(|&x| x as f64 / r.size as f64)
            .collect();
        assert_eq!(c.rates, rates, "{what}: rates of {}", r.label);
        seen.cohorts += 1;
        seen.later_returns += r.retained.iter().skip(1).filter(|&&x| x > 0).count() as u64;
        seen.incomplete += r.complete.iter().filter(|&&x| !x).count() as u64;
    }
    let ncols = p.columns().len();
    assert_eq!(average.len(), ncols, "{what}: average columns");
    for (n, a) in average.iter().enumerate() {
        let cells: Vec<(u64, u64)> = e
            .rows
            .iter()
            .filter(|r| r.complete.get(n).is_some_and(|&done| done || p.average_all))
            .map(|r| (r.retained[n], r.size))
            .collect();
        let (sr, ss) = cells.iter().fold((0, 0), |(a, b), &(r, s)| (a + r, b + s));
        let weighted = (ss > 0).then(|| sr as f64 / ss as f64);
        let simple = (!cells.is_empty()).then(|| {
            cells.iter().map(|&(r, s)| r as f64 / s as f64).sum::<f64>() / cells.len() as f64
        });
        assert_eq!(a.period as usize, n, "{what}");
        assert_eq!(
            a.cohorts as usize,
            cells.len(),
            "{what}: cohorts of column {n}"
        );
        assert!(
            close_opt(a.weighted, weighted),
            "{what}: weighted of column {n}"
        );
        assert!(close_opt(a.simple, simple), "{what}: simple of column {n}");
    }
}

fn check(what: &str, d: &Data, store: &EventStore, p: &Params, seen: &mut Seen) {
    let json = p.json();
    let what = format!("{what} {json}");
    seen.specs += 1;
    if [p.start, p.ret]
        .into_iter()
        .flatten()
        .any(|e| !d.has_event(e))
    {
        assert!(
            matches!(try_run(store, &json), Err(Error::Spec { .. })),
            "{what}: a missing event must be a spec error"
        );
        seen.errors += 1;
        return;
    }
    let r: RetentionResult = match try_run(store, &json) {
        Ok(AnalysisResult::Retention(r)) => r,
        other => panic!("{what}: {other:?}"),
    };
    let (whole, tables) = oracle(d, p);
    let cols = p.columns();
    let names: Vec<String> = cols
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    assert_eq!(r.columns, names, "{what}: columns");
    assert_eq!(r.periods as usize, cols.len() - 1, "{what}: periods");
    assert_eq!(r.data_end, rfc3339(d.data_end()), "{what}");
    assert_eq!(
        serde_json::to_value(r.average_cells).unwrap(),
        if p.average_all { "all" } else { "complete" },
        "{what}"
    );
    check_table(&what, p, &r.cohorts, &r.average, r.users, &whole, seen);
    let size_sum: u64 = whole.rows.iter().map(|r| r.size).sum();
    if size_sum > whole.users {
        seen.repeat_users += 1;
    }
    let labels: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    let exp: Vec<&str> = tables.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(labels, exp, "{what}: breakdown values");
    for (b, (v, t)) in r.breakdowns.iter().zip(&tables) {
        check_table(
            &format!("{what} [{v}]"),
            p,
            &b.cohorts,
            &b.average,
            b.users,
            t,
            seen,
        );
        seen.breakdown_tables += 1;
        seen.other_tables += u64::from(v == "(other)");
    }
}

// ---------------------------------------------------------------------------------------
// Grids

/// Random parameters for the random datasets (properties `p` and `n`).
fn random_params(rng: &mut Rng) -> Params {
    let cals = [
        cal(Gran::Day, UTC),
        cal(Gran::Day, IN),
        cal(Gran::Hour, UTC),
        cal(Gran::Week, CN),
        Cal {
            sunday: true,
            ..cal(Gran::Week, NY)
        },
        cal(Gran::Month, NY),
    ];
    let c = rng.pick(&cals);
    let brackets: [&[(u32, u32)]; 5] = [
        &[(1, 1)],
        &[(1, 3), (4, 7)],
        &[(2, 2), (5, 9), (10, 30)],
        &[(1, 1), (2, 2), (3, 400)],
        &[(7, 14)],
    ];
    let (periods, brackets) = match rng.below(5) {
        0 => (1, None),
        1 => (3, None),
        2 => (rng.pick(&[10u32, 30, 130, 400]), None),
        _ => (0, Some(rng.pick(&brackets).to_vec())),
    };
    let breakdowns = [
        None,
        None,
        Some(Breakdown {
            prop: 0,
            name: "p",
            user: false,
            limit: 0,
        }),
        Some(Breakdown {
            prop: 0,
            name: "p",
            user: false,
            limit: 2,
        }),
        Some(Breakdown {
            prop: 1,
            name: "n",
            user: false,
            limit: 1,
        }),
        Some(Breakdown {
            prop: 0,
            name: "p",
            user: true,
            limit: 1,
        }),
    ];
    let range = match rng.below(4) {
        0 => {
            let from = 19_783 + rng.below(10) as i64;
            Some((from, from + rng.below(20) as i64))
        }
        _ => None,
    };
    Params {
        start: rng.pick(&[None, Some("a"), Some("a"), Some("b"), Some("c")]),
        ret: rng.pick(&[None, Some("a"), Some("b"), Some("b")]),
        cal: c,
        kind: rng.pick(&[
            Kind::FirstTime,
            Kind::FirstEver,
            Kind::Recurring,
            Kind::Recurring,
        ]),
        k: rng.pick(&[1, 1, 2, 3]),
        rolling: rng.below(2) == 0,
        periods,
        brackets,
        on_or_after: rng.below(3) == 0,
        average_all: rng.below(2) == 0,
        breakdown: rng.pick(&breakdowns),
        start_filter: rng.pick(&[None, None, Some(P_IS_X), Some(P_NOT_Y), Some(X_OR_TEN)]),
        return_filter: rng.pick(&[None, None, Some(N_AT_LEAST_2), Some(P_NOT_Y)]),
        shared_filter: rng.pick(&[None, None, None, Some(P_NOT_W), Some(N_AT_MOST_3)]),
        range,
    }
}

#[test]
fn retention_options_match_oracle_on_random_tie_heavy_data() {
    let mut seen = Seen::default();
    let mut rng = Rng(7);
    for seed in 3000..3200u64 {
        let (d, store) = random_data(seed);
        for _ in 0..12 {
            let p = random_params(&mut rng);
            check(&format!("seed {seed}"), &d, &store, &p, &mut seen);
        }
    }
    // the grid must have exercised every rule on real numbers
    assert!(seen.specs - seen.errors > 1500, "{seen:?}");
    assert!(seen.cohorts > 3000, "{seen:?}");
    assert!(seen.later_returns > 1000, "{seen:?}");
    assert!(seen.incomplete > 1000, "{seen:?}");
    assert!(seen.other_tables > 100, "{seen:?}");
    assert!(seen.breakdown_tables > 500, "{seen:?}");
    assert!(seen.repeat_users > 100, "{seen:?}");
}

/// Every option alone on the random data, so no rule is only seen mixed with others.
#[test]
fn each_retention_option_alone_matches_oracle() {
    let base = Params {
        start: Some("a"),
        ret: Some("b"),
        cal: cal(Gran::Day, UTC),
        kind: Kind::FirstTime,
        k: 1,
        rolling: false,
        periods: 30,
        brackets: None,
        on_or_after: false,
        average_all: false,
        breakdown: None,
        start_filter: None,
        return_filter: None,
        shared_filter: None,
        range: None,
    };
    let variants: Vec<Params> = vec![
        Params {
            kind: Kind::Recurring,
            ..base.clone()
        },
        Params {
            kind: Kind::FirstEver,
            start_filter: Some(P_NOT_Y),
            ..base.clone()
        },
        Params {
            kind: Kind::FirstTime,
            start_filter: Some(P_NOT_Y),
            ..base.clone()
        },
        Params {
            k: 2,
            ..base.clone()
        },
        Params {
            rolling: true,
            ..base.clone()
        },
        Params {
            rolling: true,
            cal: cal(Gran::Week, UTC),
            periods: 4,
            ..base.clone()
        },
        Params {
            brackets: Some(vec![(1, 3), (4, 7), (8, 14)]),
            ..base.clone()
        },
        Params {
            average_all: true,
            ..base.clone()
        },
        Params {
            breakdown: Some(Breakdown {
                prop: 0,
                name: "p",
                user: false,
                limit: 2,
            }),
            ..base.clone()
        },
    ];
    let mut seen = Seen::default();
    for seed in 4000..4060u64 {
        let (d, store) = random_data(seed);
        for p in &variants {
            check(&format!("seed {seed}"), &d, &store, p, &mut seen);
        }
    }
    assert!(seen.specs - seen.errors > 300, "{seen:?}");
    assert!(seen.later_returns > 100, "{seen:?}");
    assert!(seen.other_tables > 10, "{seen:?}");
}

/// The sample's first day, 2025-09-01, as days since 1970-01-01.
const SAMPLE_START: i64 = 20_332;

#[test]
fn retention_options_match_oracle_on_sample() {
    let (d, store) = sample_data();
    let by = |prop: usize, name: &'static str, user: bool, limit: usize| {
        Some(Breakdown {
            prop,
            name,
            user,
            limit,
        })
    };
    let base = Params {
        start: Some("app_open"),
        ret: Some("purchase"),
        cal: cal(Gran::Day, UTC),
        kind: Kind::Recurring,
        k: 1,
        rolling: false,
        periods: 14,
        brackets: None,
        on_or_after: false,
        average_all: false,
        breakdown: None,
        start_filter: None,
        return_filter: None,
        shared_filter: None,
        range: None,
    };
    let grid = vec![
        base.clone(),
        Params {
            cal: Cal {
                sunday: true,
                ..cal(Gran::Week, CN)
            },
            periods: 8,
            rolling: true,
            on_or_after: true,
            ..base.clone()
        },
        Params {
            kind: Kind::FirstEver,
            start: Some("signup"),
            start_filter: Some(NOT_IOS),
            ret: None,
            k: 2,
            ..base.clone()
        },
        Params {
            kind: Kind::FirstTime,
            start: None,
            ret: None,
            brackets: Some(vec![(1, 1), (2, 7), (8, 30)]),
            breakdown: by(2, "channel", true, 3),
            average_all: true,
            ..base.clone()
        },
        Params {
            breakdown: by(1, "country", false, 3),
            shared_filter: Some(IN_CN_US),
            cal: cal(Gran::Week, UTC),
            periods: 6,
            range: Some((SAMPLE_START + 20, SAMPLE_START + 50)),
            ..base.clone()
        },
    ];
    assert_eq!(date(SAMPLE_START), "2025-09-01");
    let mut seen = Seen::default();
    for p in &grid {
        check("sample", d, store, p, &mut seen);
    }
    assert_eq!(seen.errors, 0);
    assert!(seen.later_returns > 100, "{seen:?}");
    assert!(seen.repeat_users > 0, "{seen:?}");
}
