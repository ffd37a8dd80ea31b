//! Brute-force oracle of RFM, written literally from the definition in
//! `src/engine/analysis/rfm.rs` and compared number by number with the engine.
//!
//! The oracle reads a plain event list (its own, not the store), sorts each user's events
//! itself, takes local days at fixed offsets, ranks customers by counting who comes
//! before them, scores with pandas' qcut edges 1 + (n − 1)·k / 5 computed in floating
//! point, and looks segments up in a table of strings. Data: seeded random datasets (few
//! users, amounts with refunds, zeros and blanks, many equal values) and the built-in
//! sample. A breakdown by `p` read per user (the value of the user's first event in time,
//! then source order, that has one, over all their events): values ranked by customers,
//! each member labelled, and every value's segment rows and grid recounted from the
//! oracle's own members (scores over all customers), which must add up to the whole.

use super::common::{load, try_output};
use super::oracle::{rfc3339, Rng, BASE, CN, DAY, HOUR, IN, NY, SECOND, UTC};
use loupe::engine::analysis::rfm::{RfmResult, SegmentRow};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::store::EventStore;
use std::collections::BTreeMap;

/// One event: user, name, instant, amount (none when blank), a text property.
struct Ev {
    user: String,
    event: String,
    time: i64,
    amount: Option<f64>,
    p: String,
}

/// What the oracle is asked.
#[derive(Clone, Debug)]
struct Params {
    offset: i64,
    /// Local days, both included.
    range: Option<(i64, i64)>,
    /// `p` equal (true) or not equal to a value.
    filter: Option<(bool, &'static str)>,
    as_of: Option<i64>,
    eight: bool,
    shared: bool,
    /// mean, median or values
    split: &'static str,
    values: (f64, f64, f64),
    /// A breakdown by `p` (written under this name), keeping this many values (0 = all).
    breakdown: Option<(&'static str, usize)>,
}

impl Params {
    fn json(&self, event: &str, amount: &str) -> String {
        let tz = if self.offset == 0 {
            "UTC".to_string()
        } else {
            let a = self.offset.abs();
            format!(
                "{}{:02}:{:02}",
                if self.offset < 0 { '-' } else { '+' },
                a / 3600,
                a % 3600 / 60
            )
        };
        let mut s = format!(
            r#"{{"analysis":"rfm","purchase_event":"{event}","amount":"{amount}","timezone":"{tz}""#
        );
        if let Some((a, b)) = self.range {
            s += &format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(a),
                date(b)
            );
        }
        if let Some((eq, v)) = self.filter {
            s += &format!(
                r#","filters":[{{"property":"p","op":"{}","value":"{v}"}}]"#,
                if eq { "eq" } else { "neq" }
            );
        }
        if let Some(d) = self.as_of {
            s += &format!(r#","as_of":"{}""#, date(d));
        }
        if self.eight {
            s += r#","model":"eight_class""#;
            s += &match self.split {
                "values" => format!(
                    r#","split":{{"r":{},"f":{},"m":{}}}"#,
                    self.values.0, self.values.1, self.values.2
                ),
                other => format!(r#","split":"{other}""#),
            };
        } else if self.shared {
            s += r#","ties":"shared""#;
        }
        if let Some((name, limit)) = self.breakdown {
            s += &format!(r#","breakdown":{{"properties":["{name}"],"limit":{limit}}}"#);
        }
        s + "}"
    }
}

fn date(day: i64) -> String {
    rfc3339(day * DAY)[..10].to_string()
}

/// One customer as the oracle sees them.
#[derive(Debug, PartialEq)]
struct Row {
    user: String,
    r: i64,
    f: i64,
    m: f64,
    scores: (u8, u8, u8),
    segment: String,
    /// The breakdown value's label (with a breakdown).
    value: Option<String>,
}

/// The quintile segment names, rows R = 5 down to 1, columns F = 1 to 5.
const MAP: [[&str; 5]; 5] = [
    [
        "new_customers",
        "potential_loyalists",
        "potential_loyalists",
        "champions",
        "champions",
    ],
    [
        "promising",
        "potential_loyalists",
        "potential_loyalists",
        "loyal_customers",
        "loyal_customers",
    ],
    [
        "about_to_sleep",
        "about_to_sleep",
        "need_attention",
        "loyal_customers",
        "loyal_customers",
    ],
    [
        "hibernating",
        "hibernating",
        "at_risk",
        "at_risk",
        "cant_lose_them",
    ],
    ["lost", "lost", "at_risk", "at_risk", "cant_lose_them"],
];

/// pandas' qcut bin of rank `r` among `n`: edges 1 + (n − 1)·q for q in
/// linspace(0, 1, 6), bins right-closed, the first one including its left edge.
fn qcut(r: usize, n: usize) -> u8 {
    let qs = [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0];
    for (k, q) in qs.iter().enumerate().skip(1) {
        let edge = 1.0 + (n as f64 - 1.0) * q;
        if r as f64 <= edge {
            return k as u8;
        }
    }
    5
}

/// Scores in one dimension: `worse(a, b)` says customer a's value is worse than b's.
fn score_all(
    rows: &[(String, i64, i64, f64)],
    shared: bool,
    worse: impl Fn(&(String, i64, i64, f64), &(String, i64, i64, f64)) -> bool,
    equal: impl Fn(&(String, i64, i64, f64), &(String, i64, i64, f64)) -> bool,
) -> Vec<u8> {
    let n = rows.len();
    rows.iter()
        .map(|c| {
            let before = rows
                .iter()
                .filter(|o| worse(o, c) || (!shared && equal(o, c) && o.0 < c.0))
                .count();
            qcut(before + 1, n)
        })
        .collect()
}

/// The oracle's answer: the as-of day, the members, the eight-class thresholds.
type Answer = (i64, Vec<Row>, Option<(f64, f64, f64)>);

fn oracle(evs: &[Ev], event: &str, p: &Params) -> Option<Answer> {
    let day = |t: i64| (t + p.offset * SECOND).div_euclid(DAY);
    let in_range = |t: i64| p.range.is_none_or(|(a, b)| day(t) >= a && day(t) <= b);
    // the range's last day, or the data's last day when earlier; none without events in it
    evs.iter().find(|e| in_range(e.time))?;
    let data_last = day(evs.iter().map(|e| e.time).max()?);
    let last = p.range.map_or(data_last, |(_, b)| b.min(data_last));
    let as_of = p.as_of.unwrap_or(last + 1);
    let mut users: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in evs {
        users.entry(&e.user).or_default().push(e);
    }
    let mut cust = Vec::new();
    // per customer, their value of `p` ("" for none)
    let mut raw: Vec<String> = Vec::new();
    for (u, mut list) in users {
        list.sort_by_key(|e| e.time); // stable: source order among equal times
        let value = list.iter().map(|e| e.p.as_str()).find(|v| !v.is_empty());
        let value = value.unwrap_or("").to_string();
        let (mut f, mut m, mut last_day) = (0i64, 0.0f64, None);
        for e in list {
            let pass = p.filter.is_none_or(|(eq, v)| (e.p == v) == eq);
            if e.event != event || !pass || !in_range(e.time) || day(e.time) >= as_of {
                continue;
            }
            let a = e.amount.unwrap_or(0.0);
            m += a;
            if a >= 0.0 {
                f += 1;
                last_day = Some(day(e.time));
            }
        }
        if f > 0 {
            cust.push((u.to_string(), as_of - last_day.unwrap(), f, m));
            raw.push(value);
        }
    }
    if cust.is_empty() {
        return None;
    }
    let n = cust.len() as f64;
    let (rs, fs, ms, th);
    if p.eight {
        let t = match p.split {
            "mean" => (
                cust.iter().map(|c| c.1 as f64).sum::<f64>() / n,
                cust.iter().map(|c| c.2 as f64).sum::<f64>() / n,
                cust.iter().map(|c| c.3).sum::<f64>() / n,
            ),
            "median" => {
                let med = |mut v: Vec<f64>| {
                    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                    let k = v.len();
                    if k % 2 == 1 {
                        v[k / 2]
                    } else {
                        (v[k / 2 - 1] + v[k / 2]) / 2.0
                    }
                };
                (
                    med(cust.iter().map(|c| c.1 as f64).collect()),
                    med(cust.iter().map(|c| c.2 as f64).collect()),
                    med(cust.iter().map(|c| c.3).collect()),
                )
            }
            _ => p.values,
        };
        rs = cust
            .iter()
            .map(|c| u8::from(c.1 as f64 <= t.0))
            .collect::<Vec<_>>();
        fs = cust
            .iter()
            .map(|c| u8::from(c.2 as f64 >= t.1))
            .collect::<Vec<_>>();
        ms = cust
            .iter()
            .map(|c| u8::from(c.3 >= t.2))
            .collect::<Vec<_>>();
        th = Some(t);
    } else {
        rs = score_all(&cust, p.shared, |a, b| a.1 > b.1, |a, b| a.1 == b.1);
        fs = score_all(&cust, p.shared, |a, b| a.2 < b.2, |a, b| a.2 == b.2);
        ms = score_all(&cust, p.shared, |a, b| a.3 < b.3, |a, b| a.3 == b.3);
        th = None;
    }
    // the breakdown's label of each raw value: the top `limit` by customers (then by
    // text), the rest (other), "" (none)
    let label_of = |v: &str| -> Option<String> {
        let (_, limit) = p.breakdown?;
        if v.is_empty() {
            return Some("(none)".into());
        }
        let count = |x: &str| raw.iter().filter(|r| *r == x).count();
        let mut named: Vec<&str> = raw
            .iter()
            .map(|r| r.as_str())
            .filter(|r| !r.is_empty())
            .collect();
        named.sort();
        named.dedup();
        named.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
        let at = named.iter().position(|x| *x == v).unwrap();
        Some(if limit == 0 || at < limit {
            v.to_string()
        } else {
            "(other)".into()
        })
    };
    let labels: Vec<Option<String>> = raw.iter().map(|v| label_of(v)).collect();
    let rows = cust
        .into_iter()
        .enumerate()
        .map(|(k, (user, r, f, m))| {
            let segment = if p.eight {
                let lvl = |h: u8, a: &'static str, b: &'static str| if h == 1 { a } else { b };
                format!(
                    "{}_{}",
                    lvl(ms[k], "important", "general"),
                    match (rs[k], fs[k]) {
                        (1, 1) => "value",
                        (1, 0) => "develop",
                        (0, 1) => "keep",
                        _ => "win_back",
                    }
                )
            } else {
                MAP[5 - rs[k] as usize][fs[k] as usize - 1].to_string()
            };
            Row {
                user,
                r,
                f,
                m,
                scores: (rs[k], fs[k], ms[k]),
                segment,
                value: labels[k].clone(),
            }
        })
        .collect();
    Some((as_of, rows, th))
}

fn engine(store: &EventStore, json: &str) -> Option<RfmResult> {
    match try_output(store, json) {
        Ok(o) => match o.result {
            AnalysisResult::Rfm(r) => Some(r),
            other => panic!("{other:?}"),
        },
        Err(_) => None,
    }
}

/// Compares the engine with the oracle for one spec.
fn check(evs: &[Ev], store: &EventStore, event: &str, amount: &str, p: &Params, what: &str) {
    let json = p.json(event, amount);
    let want = oracle(evs, event, p);
    let got = engine(store, &json);
    let (Some((as_of, rows, th)), Some(r)) = (&want, &got) else {
        assert_eq!(
            want.is_none(),
            got.is_none(),
            "{what} {json}: customers in one and not the other"
        );
        return;
    };
    assert_eq!(r.as_of, date(*as_of), "{what} {json}");
    let mine: Vec<Row> = r
        .members
        .iter()
        .map(|m| Row {
            user: m.user_id.clone(),
            r: m.recency as i64,
            f: m.frequency as i64,
            m: m.monetary,
            scores: (m.r_score, m.f_score, m.m_score),
            segment: m.segment.id().to_string(),
            value: m.value.clone(),
        })
        .collect();
    assert_eq!(&mine, rows, "{what} {json}");
    if let (Some(t), Some(e)) = (th, r.thresholds) {
        assert!(
            (t.0 - e.r).abs() < 1e-9 && (t.1 - e.f).abs() < 1e-9 && (t.2 - e.m).abs() < 1e-6,
            "{what} {json}"
        );
    }
    assert_eq!(th.is_some(), r.thresholds.is_some());
    check_segments(
        &r.segments,
        &r.grid,
        &rows.iter().collect::<Vec<_>>(),
        p.eight,
        &format!("{what} {json}"),
    );
    // per breakdown value, in the order: top values by customers, (other), (none)
    if p.breakdown.is_none() {
        assert!(r.breakdowns.is_empty());
        return;
    }
    let mut order: Vec<&str> = Vec::new();
    for x in rows {
        let v = x.value.as_deref().unwrap();
        if !order.contains(&v) {
            order.push(v);
        }
    }
    let count = |v: &str| {
        rows.iter()
            .filter(|x| x.value.as_deref() == Some(v))
            .count()
    };
    let rank = |v: &str| match v {
        "(other)" => 1,
        "(none)" => 2,
        _ => 0,
    };
    order.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(count(b).cmp(&count(a)))
            .then(a.cmp(b))
    });
    let got: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(got, order, "{what} {json} values");
    let (mut n, mut total) = (0, 0.0);
    for b in &r.breakdowns {
        let of: Vec<&Row> = rows
            .iter()
            .filter(|x| x.value.as_deref() == Some(&b.value))
            .collect();
        assert_eq!(b.customers, of.len() as u64, "{what} {json} {}", b.value);
        assert!((b.revenue - of.iter().map(|x| x.m).sum::<f64>()).abs() < 1e-6);
        check_segments(
            &b.segments,
            &b.grid,
            &of,
            p.eight,
            &format!("{what} {json} {}", b.value),
        );
        n += b.customers;
        total += b.revenue;
    }
    // the values add up to all customers
    assert_eq!(n, r.customers);
    assert!((total - r.revenue).abs() < 1e-6);
}

/// Checks segment rows and the grid against the members `rows` they cover.
fn check_segments(
    segments: &[SegmentRow],
    grid: &[Vec<u64>],
    rows: &[&Row],
    eight: bool,
    what: &str,
) {
    // segment rows: customers, revenue, mean R / F / M of each segment's members
    let total: f64 = rows.iter().map(|x| x.m).sum();
    for s in segments {
        let of: Vec<&Row> = rows
            .iter()
            .copied()
            .filter(|x| x.segment == s.segment.id())
            .collect();
        assert_eq!(s.customers, of.len() as u64, "{what} {:?}", s.segment);
        let rev: f64 = of.iter().map(|x| x.m).sum();
        assert!((s.revenue - rev).abs() < 1e-6, "{what}");
        assert!((s.customer_share - of.len() as f64 / rows.len() as f64).abs() < 1e-12);
        if total != 0.0 {
            assert!(
                (s.revenue_share.unwrap() - rev / total).abs() < 1e-6,
                "{what}"
            );
        }
        if of.is_empty() {
            assert_eq!(s.avg_recency, None);
        } else {
            let k = of.len() as f64;
            let ar = of.iter().map(|x| x.r as f64).sum::<f64>() / k;
            let af = of.iter().map(|x| x.f as f64).sum::<f64>() / k;
            assert!((s.avg_recency.unwrap() - ar).abs() < 1e-9);
            assert!((s.avg_frequency.unwrap() - af).abs() < 1e-9);
            assert!((s.avg_monetary.unwrap() - rev / k).abs() < 1e-6);
        }
    }
    // the grid counts customers per (R, F) score
    if !eight {
        for (ri, row) in grid.iter().enumerate() {
            for (fi, &got) in row.iter().enumerate() {
                let c = rows
                    .iter()
                    .filter(|x| x.scores.0 as usize == ri + 1 && x.scores.1 as usize == fi + 1)
                    .count() as u64;
                assert_eq!(got, c, "{what} grid");
            }
        }
        assert_eq!(grid.len(), 5, "{what} grid");
    }
}

/// A random dataset: few users, events `buy` (amounts −5, 0, 2.5, 10 or blank) and
/// `view`, instants on a coarse grid, a text property `p`.
fn random(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 2 + rng.below(25);
    let n = 5 + rng.below(150);
    let step = rng.pick(&[HOUR, 5 * HOUR, DAY, 3 * DAY]);
    let amounts = ["-5", "0", "2.5", "10", "10", "", "7"];
    let mut evs = Vec::new();
    let mut text = String::from("user_id,event,timestamp,amount,p\n");
    for _ in 0..n {
        let e = Ev {
            user: format!("u{:02}", rng.below(users)),
            event: rng.pick(&["buy", "buy", "view"]).to_string(),
            time: BASE + rng.below(40) as i64 * step,
            amount: None,
            p: rng.pick(&["x", "y", ""]).to_string(),
        };
        let a = rng.pick(&amounts);
        text.push_str(&format!(
            "{},{},{},{a},{}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.p
        ));
        evs.push(Ev {
            amount: a.parse().ok(),
            ..e
        });
    }
    let d = load(&text);
    assert_eq!(d.report.imported, n);
    (evs, d.store)
}

#[test]
fn rfm_matches_the_oracle_on_random_data() {
    let base_day = BASE / DAY;
    for seed in 0..250u64 {
        let (evs, store) = random(seed);
        let mut rng = Rng(seed ^ 0xABCD);
        for k in 0..6 {
            let p = Params {
                offset: rng.pick(&[UTC, CN, NY, IN]),
                range: (rng.below(3) == 0).then(|| {
                    let a = base_day + rng.below(20) as i64;
                    (a, a + rng.below(60) as i64)
                }),
                filter: (rng.below(4) == 0).then(|| (rng.below(2) == 0, rng.pick(&["x", "y"]))),
                as_of: (rng.below(3) == 0).then(|| base_day + 1 + rng.below(100) as i64),
                eight: k >= 3,
                shared: k % 3 == 1,
                split: ["mean", "median", "values"][k % 3],
                values: (
                    rng.below(20) as f64,
                    1.0 + rng.below(4) as f64,
                    rng.pick(&[-5.0, 0.0, 7.5, 20.0]),
                ),
                breakdown: rng.pick(&[None, None, Some(("p", 0)), Some(("p", 1))]),
            };
            check(&evs, &store, "buy", "amount", &p, &format!("seed {seed}"));
        }
    }
}

#[test]
fn rfm_matches_the_oracle_on_the_sample() {
    let opts = SampleOptions {
        users: 3000,
        ..Default::default()
    };
    let mut evs = Vec::new();
    sample::generate(&opts, |e| {
        evs.push(Ev {
            user: e.user.to_string(),
            event: e.event.to_string(),
            time: e.time,
            amount: e.revenue,
            p: e.platform.to_string(),
        })
    });
    let store = sample::dataset(&opts).store;
    let base = Params {
        offset: UTC,
        range: None,
        filter: None,
        as_of: None,
        eight: false,
        shared: false,
        split: "mean",
        values: (0.0, 0.0, 0.0),
        breakdown: None,
    };
    for p in [
        base.clone(),
        Params {
            shared: true,
            offset: CN,
            ..base.clone()
        },
        Params {
            eight: true,
            breakdown: Some(("platform", 2)),
            ..base.clone()
        },
        Params {
            breakdown: Some(("platform", 0)),
            ..base.clone()
        },
        Params {
            eight: true,
            split: "median",
            offset: NY,
            ..base.clone()
        },
    ] {
        check(&evs, &store, "purchase", "revenue", &p, "sample");
    }
}
