//! Brute-force oracles of the cohort LTV (`src/engine/analysis/ltv.rs`) and the customer
//! summary (`src/engine/analysis/customers.rs`), written literally from the definitions
//! and compared number by number with the engine.
//!
//! LTV: for every user, their first event, whether they are a member (first event in the
//! range, an event passing the shared filter), whether they pay, and, for every age k, the
//! sum of the amounts of their purchase events whose age is at most k; cohorts are then
//! summed user by user. Customers: every user's purchase events grouped by local day in a
//! map, then frequency, recency, T and the mean of the daily totals read off the map.
//! A breakdown by `p` read per user (the value of the user's first event in time, then
//! source order, that has one): each member's cumulative revenue summed per value over
//! the cohorts whose all-users cell is complete, values ranked by members.
//! Calendars are the slow fixed-offset calendars of `oracle.rs`. Data: seeded random
//! datasets with few users, coarse timestamps (ties), amounts that are missing, 0,
//! positive or negative, under several zones, week starts, cohort and age units, ranges,
//! filters and observation dates.

use super::common::{load, try_output};
use super::oracle::{close_opt, rfc3339, Cal, Gran, Rng, BASE, DAY, HOUR};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use std::collections::BTreeMap;

fn cal(gran: Gran, offset: i64, sunday: bool) -> Cal {
    Cal {
        gran,
        offset,
        sunday,
    }
}

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    event: &'static str,
    time: i64,
    /// Property `p` (empty = none).
    p: &'static str,
    /// The amount cell (empty = none).
    revenue: &'static str,
}

fn random(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(8);
    let n = 5 + rng.below(80);
    let (step, points) = rng.pick(&[
        (HOUR, 100),
        (6 * HOUR, 60),
        (DAY, 40),
        (DAY, 120),
        (5 * HOUR, 300),
    ]);
    let names = ["open", "open", "purchase", "purchase", "view"];
    let amounts = ["", "0", "5", "12.5", "-3", "20", "7.25"];
    let mut events = Vec::new();
    for _ in 0..n {
        let event = rng.pick(&names);
        events.push(Ev {
            user: format!("u{}", rng.below(users)),
            event,
            time: BASE + rng.below(points) as i64 * step,
            p: rng.pick(&["", "x", "y"]),
            // other events may carry numbers too: they must not count
            revenue: if event == "purchase" || rng.below(4) == 0 {
                rng.pick(&amounts)
            } else {
                ""
            },
        });
    }
    // one purchase with a number, so the column is numeric
    events.push(Ev {
        user: "u0".into(),
        event: "purchase",
        time: BASE + rng.below(points) as i64 * step,
        p: "x",
        revenue: "1",
    });
    let mut text = String::from("user_id,event,timestamp,p,revenue\n");
    for e in &events {
        text.push_str(&format!(
            "{},{},{},{},{}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.p,
            e.revenue
        ));
    }
    let d = load(&text);
    (events, d.store)
}

/// Each user's events sorted by time (stable: equal times keep source order).
fn by_user(events: &[Ev]) -> BTreeMap<String, Vec<Ev>> {
    let mut m: BTreeMap<String, Vec<Ev>> = BTreeMap::new();
    for e in events {
        m.entry(e.user.clone()).or_default().push(e.clone());
    }
    for v in m.values_mut() {
        v.sort_by_key(|e| e.time);
    }
    m
}

#[derive(Clone, Debug)]
struct Params {
    cohort: Gran,
    period: Gran,
    periods: u32,
    paying: bool,
    offset: i64,
    sunday: bool,
    /// Shared filter p ≠ y.
    shared: bool,
    /// Purchase filter p = x.
    own: bool,
    /// Local days, both included.
    range: Option<(i64, i64)>,
    /// A breakdown by `p`, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl Params {
    fn scope_json(&self) -> String {
        let c = cal(Gran::Day, self.offset, self.sunday);
        let mut j = format!(
            r#","timezone":"{}","week_start":"{}""#,
            c.tz_json(),
            if self.sunday { "sunday" } else { "monday" }
        );
        if self.shared {
            j.push_str(r#","filters":[{"property":"p","op":"neq","value":"y"}]"#);
        }
        if self.own {
            j.push_str(r#","purchase_filters":[{"property":"p","op":"eq","value":"x"}]"#);
        }
        if let Some((a, b)) = self.range {
            let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(a),
                date(b)
            ));
        }
        j
    }

    fn day(&self) -> Cal {
        cal(Gran::Day, self.offset, self.sunday)
    }

    fn in_range(&self, t: i64) -> bool {
        let d = self.day().key(t);
        self.range.is_none_or(|(a, b)| a <= d && d <= b)
    }

    fn passes(&self, e: &Ev) -> bool {
        !self.shared || e.p != "y"
    }

    /// A purchase event (shared filter included) and its amount.
    fn purchase(&self, e: &Ev) -> Option<f64> {
        (e.event == "purchase" && self.passes(e) && (!self.own || e.p == "x"))
            .then(|| e.revenue.parse::<f64>().unwrap_or(0.0))
    }
}

/// One expected cohort row: label, members, paying, size, revenue per age, complete.
type Row = (String, u64, u64, u64, Vec<f64>, Vec<bool>);

/// One expected breakdown value: label, members, paying, and per age Σ revenue, Σ size,
/// cohorts used.
type Value = (String, u64, u64, Vec<(f64, u64, u32)>);

/// A cohort being summed: members, paying, size, revenue per age, earliest and latest
/// first event of the counted members.
type Sums = (u64, u64, u64, Vec<f64>, i64, i64);

fn ltv_oracle(events: &[Ev], p: &Params) -> (Vec<Row>, Vec<Option<f64>>, Vec<Value>) {
    let cc = cal(p.cohort, p.offset, p.sunday);
    let pc = cal(p.period, p.offset, p.sunday);
    let end = events.iter().map(|e| e.time).max().unwrap();
    let np = p.periods as usize;
    let mut cohorts: BTreeMap<i64, Sums> = BTreeMap::new();
    // per member: cohort, value, pays, counted, cumulative revenue per age
    let mut members: Vec<(i64, &str, bool, bool, Vec<f64>)> = Vec::new();
    for evs in by_user(events).values() {
        let first = evs[0].time;
        if !p.in_range(first) || !evs.iter().any(|e| p.passes(e)) {
            continue;
        }
        let pays = evs.iter().any(|e| p.purchase(e).is_some_and(|v| v >= 0.0));
        let value = evs
            .iter()
            .map(|e| e.p)
            .find(|v| !v.is_empty())
            .unwrap_or("");
        let cum: Vec<f64> = (0..np)
            .map(|k| {
                evs.iter()
                    .filter(|e| pc.index(pc.key(first), pc.key(e.time)) <= k as i64)
                    .filter_map(|e| p.purchase(e))
                    .sum()
            })
            .collect();
        members.push((cc.key(first), value, pays, !p.paying || pays, cum));
        let row =
            cohorts
                .entry(cc.key(first))
                .or_insert((0, 0, 0, vec![0.0; np], i64::MAX, i64::MIN));
        row.0 += 1;
        row.1 += u64::from(pays);
        if p.paying && !pays {
            continue;
        }
        row.2 += 1;
        row.4 = row.4.min(first);
        row.5 = row.5.max(first);
        for (k, cell) in row.3.iter_mut().enumerate() {
            for e in evs {
                if let Some(v) = p.purchase(e) {
                    if pc.index(pc.key(first), pc.key(e.time)) <= k as i64 {
                        *cell += v;
                    }
                }
            }
        }
    }
    let mut rows = Vec::new();
    let mut sums = vec![(0.0, 0u64); np];
    // the complete cells per cohort
    let mut done: BTreeMap<i64, Vec<bool>> = BTreeMap::new();
    for (key, (members, paying, size, revenue, lo, hi)) in cohorts {
        if size == 0 {
            continue;
        }
        let begun = (0..np)
            .filter(|&k| pc.index(pc.key(lo), pc.key(end)) >= k as i64)
            .count();
        let complete: Vec<bool> = (0..begun)
            .map(|k| pc.start(pc.add(pc.key(hi), k as i64 + 1)) <= end)
            .collect();
        for k in 0..begun {
            if complete[k] {
                sums[k].0 += revenue[k];
                sums[k].1 += size;
            }
        }
        done.insert(key, complete.clone());
        rows.push((
            cc.label(key),
            members,
            paying,
            size,
            revenue[..begun].to_vec(),
            complete,
        ));
    }
    let avg = sums
        .iter()
        .map(|&(r, s)| (s > 0).then(|| r / s as f64))
        .collect();
    let mut values: Vec<Value> = Vec::new();
    if let Some(limit) = p.breakdown {
        // one value's sums over the members `has`
        let sum = |label: &str, has: &dyn Fn(&str) -> bool| -> Value {
            let mut ages = vec![(0.0, 0u64, 0u32); np];
            let mut used: Vec<std::collections::BTreeSet<i64>> = vec![Default::default(); np];
            let (mut n, mut paying) = (0, 0);
            for (key, v, pays, counted, cum) in &members {
                if !has(v) {
                    continue;
                }
                n += 1;
                paying += u64::from(*pays);
                if !counted {
                    continue;
                }
                let complete = &done[key];
                for k in 0..np {
                    if complete.get(k) == Some(&true) {
                        ages[k].0 += cum[k];
                        ages[k].1 += 1;
                        used[k].insert(*key);
                    }
                }
            }
            for k in 0..np {
                ages[k].2 = used[k].len() as u32;
            }
            (label.to_string(), n, paying, ages)
        };
        let count = |v: &str| members.iter().filter(|m| m.1 == v).count();
        let mut named: Vec<&str> = members
            .iter()
            .map(|m| m.1)
            .filter(|v| !v.is_empty())
            .collect();
        named.sort();
        named.dedup();
        named.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
        let keep = if limit == 0 {
            named.len()
        } else {
            limit.min(named.len())
        };
        for v in &named[..keep] {
            values.push(sum(v, &|x| x == *v));
        }
        if keep < named.len() {
            let rest = &named[keep..];
            values.push(sum("(other)", &|x| rest.contains(&x)));
        }
        if count("") > 0 {
            values.push(sum("(none)", &|x| x.is_empty()));
        }
    }
    (rows, avg, values)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn ltv_matches_the_oracle_on_random_data() {
    let grans = [Gran::Day, Gran::Week, Gran::Month];
    let mut checked = 0;
    for seed in 0..300u64 {
        let (events, store) = random(seed);
        let mut rng = Rng(seed ^ 0x5eed);
        let start = BASE / DAY;
        let p = Params {
            cohort: rng.pick(&grans),
            period: rng.pick(&grans),
            periods: 1 + rng.below(10) as u32,
            paying: rng.below(2) == 0,
            offset: rng.pick(&[0, 8 * 3600, -5 * 3600, 19800, -9 * 3600 - 1800]),
            sunday: rng.below(2) == 0,
            shared: rng.below(3) == 0,
            own: rng.below(4) == 0,
            range: (rng.below(3) == 0).then(|| {
                let a = start + rng.below(20) as i64;
                (a, a + rng.below(60) as i64)
            }),
            breakdown: rng.pick(&[None, None, Some(0), Some(1)]),
        };
        let json = format!(
            r#"{{"analysis":"ltv","cohort":"{}","period":"{}","periods":{},"users":"{}"{}}}"#,
            p.cohort.json(),
            p.period.json(),
            p.periods,
            if p.paying { "paying" } else { "all" },
            p.scope_json()
        );
        let json = match p.breakdown {
            Some(limit) => format!(
                r#"{},"breakdown":{{"properties":["p"],"limit":{limit}}}}}"#,
                &json[..json.len() - 1]
            ),
            None => json,
        };
        let r = match try_output(&store, &json) {
            Ok(o) => match o.result {
                AnalysisResult::Ltv(r) => r,
                other => panic!("{other:?}"),
            },
            // a range without events is an error the oracle need not model
            Err(e) if e.to_string().contains("date range") => continue,
            Err(e) => panic!("seed {seed} {json}: {e}"),
        };
        let (rows, avg, values) = ltv_oracle(&events, &p);
        assert_eq!(
            r.cohorts.len(),
            rows.len(),
            "seed {seed} {json}\n{r:?}\n{rows:?}"
        );
        for (c, (label, members, paying, size, revenue, complete)) in r.cohorts.iter().zip(&rows) {
            assert_eq!(
                (&c.label, c.members, c.paying, c.size),
                (label, *members, *paying, *size),
                "seed {seed} {json}"
            );
            assert_eq!(&c.complete, complete, "seed {seed} {json} {label}");
            assert_eq!(c.revenue.len(), revenue.len(), "seed {seed} {json} {label}");
            for (k, (a, b)) in c.revenue.iter().zip(revenue).enumerate() {
                assert!(
                    close(*a, *b),
                    "seed {seed} {json} {label} age {k}: {a} vs {b}"
                );
                assert!(close(c.ltv[k], b / *size as f64), "seed {seed} {json}");
            }
        }
        for (k, (a, b)) in r.average.iter().zip(&avg).enumerate() {
            assert!(
                close_opt(a.ltv, *b),
                "seed {seed} {json} average {k}: {a:?} vs {b:?}"
            );
        }
        assert_eq!(r.breakdowns.len(), values.len(), "seed {seed} {json}");
        for (b, (label, members, paying, ages)) in r.breakdowns.iter().zip(&values) {
            assert_eq!(
                (&b.value, b.members, b.paying),
                (label, *members, *paying),
                "seed {seed} {json}"
            );
            for (k, (a, &(rev, size, used))) in b.average.iter().zip(ages).enumerate() {
                assert_eq!(
                    (a.size, a.cohorts),
                    (size, used),
                    "seed {seed} {json} {label} {k}"
                );
                assert!(close(b.revenue[k], rev), "seed {seed} {json} {label} {k}");
                assert!(
                    close_opt(a.ltv, (size > 0).then(|| rev / size as f64)),
                    "seed {seed} {json} {label} age {k}"
                );
            }
        }
        if p.breakdown.is_some() {
            // the values add up to all members
            let sum = |f: &dyn Fn(&loupe::engine::analysis::ltv::LtvBreakdown) -> u64| {
                r.breakdowns.iter().map(f).sum::<u64>()
            };
            assert_eq!(sum(&|b| b.members), r.members, "seed {seed} {json}");
            assert_eq!(sum(&|b| b.paying), r.paying, "seed {seed} {json}");
            for k in 0..p.periods as usize {
                assert_eq!(
                    sum(&|b| b.average[k].size),
                    r.average[k].size,
                    "seed {seed} {json}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 200, "{checked}");
}

/// (user, frequency, recency, T, monetary, purchases, revenue)
type Cust = (String, u32, i64, i64, f64, u64, f64);

/// The customers' breakdown labels by `p` read per user (the value of the user's first
/// event in time, then source order, that has one), values ranked by customers, the top
/// `limit` kept (0 = all), the rest `(other)`, no value `(none)`.
fn customer_values(events: &[Ev], customers: &[Cust], limit: usize) -> Vec<String> {
    let users = by_user(events);
    let raw: Vec<&str> = (customers.iter())
        .map(|c| {
            users[&c.0]
                .iter()
                .map(|e| e.p)
                .find(|v| !v.is_empty())
                .unwrap_or("")
        })
        .collect();
    let count = |v: &str| raw.iter().filter(|r| **r == v).count();
    let mut named: Vec<&str> = raw.iter().copied().filter(|v| !v.is_empty()).collect();
    named.sort();
    named.dedup();
    named.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
    (raw.iter())
        .map(|v| match named.iter().position(|x| x == v) {
            None => "(none)".to_string(),
            Some(at) if limit == 0 || at < limit => v.to_string(),
            Some(_) => "(other)".to_string(),
        })
        .collect()
}

fn customers_oracle(events: &[Ev], p: &Params, obs: Option<i64>) -> (i64, Vec<Cust>) {
    let day = p.day();
    // the earlier of the range's last day and the day of the data's last event
    let obs = obs.unwrap_or_else(|| {
        let last = events.iter().map(|e| day.key(e.time)).max().unwrap();
        p.range.map_or(last, |(_, b)| b.min(last))
    });
    // users in order of first appearance in the file
    let mut order: Vec<&str> = Vec::new();
    for e in events {
        if !order.contains(&e.user.as_str()) {
            order.push(&e.user);
        }
    }
    let mut out = Vec::new();
    for u in order {
        let mut days: BTreeMap<i64, f64> = BTreeMap::new();
        let (mut purchases, mut revenue) = (0u64, 0.0);
        for e in events.iter().filter(|e| e.user == u) {
            if !p.in_range(e.time) || day.key(e.time) > obs {
                continue;
            }
            let Some(v) = p.purchase(e) else { continue };
            revenue += v;
            if v >= 0.0 {
                purchases += 1;
                *days.entry(day.key(e.time)).or_insert(0.0) += v;
            }
        }
        if days.is_empty() {
            continue;
        }
        let d1 = *days.keys().next().unwrap();
        let dn = *days.keys().last().unwrap();
        let repeat: Vec<f64> = days
            .iter()
            .filter(|(d, _)| **d != d1)
            .map(|(_, v)| *v)
            .collect();
        let monetary = if repeat.is_empty() {
            0.0
        } else {
            repeat.iter().sum::<f64>() / repeat.len() as f64
        };
        out.push((
            u.to_string(),
            repeat.len() as u32,
            dn - d1,
            obs - d1,
            monetary,
            purchases,
            revenue,
        ));
    }
    (obs, out)
}

#[test]
fn customers_match_the_oracle_on_random_data() {
    let mut checked = 0;
    for seed in 0..300u64 {
        let (events, store) = random(seed);
        let mut rng = Rng(seed ^ 0xc057);
        let start = BASE / DAY;
        let p = Params {
            cohort: Gran::Day,
            period: Gran::Day,
            periods: 1,
            paying: false,
            offset: rng.pick(&[0, 8 * 3600, -5 * 3600, 19800]),
            sunday: false,
            shared: rng.below(3) == 0,
            own: rng.below(4) == 0,
            range: (rng.below(3) == 0).then(|| {
                let a = start + rng.below(20) as i64;
                (a, a + rng.below(60) as i64)
            }),
            breakdown: rng.pick(&[None, None, Some(0), Some(1)]),
        };
        let obs = (rng.below(3) == 0).then(|| start + rng.below(40) as i64);
        let mut json = format!(r#"{{"analysis":"customers"{}"#, p.scope_json());
        if let Some(limit) = p.breakdown {
            json.push_str(&format!(
                r#","breakdown":{{"properties":["p"],"limit":{limit}}}"#
            ));
        }
        if let Some(d) = obs {
            json.push_str(&format!(
                r#","observation_date":"{}""#,
                &rfc3339(d * DAY)[..10]
            ));
        }
        json.push('}');
        let r = match try_output(&store, &json) {
            Ok(o) => match o.result {
                AnalysisResult::Customers(r) => r,
                other => panic!("{other:?}"),
            },
            Err(e) if e.to_string().contains("date range") => continue,
            Err(e) => panic!("seed {seed} {json}: {e}"),
        };
        let (obs_day, want) = customers_oracle(&events, &p, obs);
        assert_eq!(
            r.observation_date,
            &rfc3339(obs_day * DAY)[..10],
            "seed {seed}"
        );
        assert_eq!(
            r.customers.len(),
            want.len(),
            "seed {seed} {json}\n{r:?}\n{want:?}"
        );
        for (c, w) in r.customers.iter().zip(&want) {
            assert_eq!(
                (&c.user, c.frequency, c.recency, c.t, c.purchases),
                (&w.0, w.1, w.2, w.3, w.5),
                "seed {seed} {json}"
            );
            assert!(
                close(c.monetary_value, w.4),
                "seed {seed} {json} {c:?} {w:?}"
            );
            assert!(close(c.revenue, w.6), "seed {seed} {json} {c:?} {w:?}");
        }
        if let Some(limit) = p.breakdown {
            let got: Vec<&str> = (r.customers.iter())
                .map(|c| c.value.as_deref().unwrap())
                .collect();
            assert_eq!(
                got,
                customer_values(&events, &want, limit),
                "seed {seed} {json}"
            );
        } else {
            assert!(r.customers.iter().all(|c| c.value.is_none()));
        }
        checked += 1;
    }
    assert!(checked > 200, "{checked}");
}
