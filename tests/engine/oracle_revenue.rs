//! Brute-force oracle of the revenue analysis (`src/engine/analysis/revenue.rs`), written
//! literally from the definition and compared number by number with the engine.
//!
//! For every interval the oracle filters the whole event list again: the kept events in
//! the date range whose calendar key is the interval's, then counts purchases, refunds,
//! sums amounts and collects user sets (paying, active) with `BTreeSet`s; to-date values
//! filter again every kept event before the interval's end (or the range's end); new
//! users are found by sorting each user's events and looking at the first. Channels: the
//! first event (in time, then source order) with a value, then the same filters per
//! channel, and the payback by re-summing for every interval. Calendars come from the
//! slow calendar of `oracle.rs`. Breakdown by the channel on each event: every measure
//! again with only the events carrying the value (a user's first event for new users),
//! values ranked by re-summing their revenue, the rest merged as `(other)`. Data: seeded random datasets with few users, equal
//! timestamps, refunds, zero and missing amounts (amounts exact in binary, so sums do not
//! depend on their order); and the built-in sample.

use super::common::{load, try_output};
use super::oracle::{cal, close_opt, rfc3339, Cal, Gran, Rng, BASE, CN, DAY, HOUR, IN, NY, UTC};
use loupe::engine::analysis::revenue::{Metrics, RevenueResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    event: String,
    time: i64,
    /// None: no amount.
    amount: Option<f64>,
    /// Empty: no channel.
    channel: String,
}

#[derive(Clone, Debug)]
struct Params {
    cal: Cal,
    active_event: Option<&'static str>,
    /// Shared filter: channel ≠ y (events without a channel pass).
    filter: bool,
    /// Whole local days, both included.
    range: Option<(i64, i64)>,
    channel: bool,
    costs: Vec<(String, f64)>,
    /// A breakdown by the channel on each event, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl Params {
    fn json(&self) -> String {
        let mut j = format!(
            r#"{{"analysis":"revenue","interval":"{}","timezone":"{}","week_start":"{}""#,
            self.cal.gran.json(),
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
        );
        if let Some(e) = self.active_event {
            j.push_str(&format!(r#","active_event":"{e}""#));
        }
        if self.filter {
            j.push_str(r#","filters":[{"property":"channel","op":"neq","value":"y"}]"#);
        }
        if let Some((a, b)) = self.range {
            let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(a),
                date(b)
            ));
        }
        if self.channel {
            j.push_str(r#","channel":"channel""#);
            let costs: Vec<String> = self
                .costs
                .iter()
                .map(|(c, v)| format!(r#"{{"channel":"{c}","cost":{v}}}"#))
                .collect();
            if !costs.is_empty() {
                j.push_str(&format!(r#","costs":[{}]"#, costs.join(",")));
            }
        }
        if let Some(limit) = self.breakdown {
            j.push_str(&format!(
                r#","breakdown":{{"properties":["channel"],"limit":{limit}}}"#
            ));
        }
        j.push('}');
        j
    }
}

/// What the oracle expects of one interval or the range.
#[derive(Debug, Default, PartialEq)]
struct M {
    revenue: f64,
    purchases: u64,
    refunds: u64,
    refund_amount: f64,
    paying: u64,
    active: u64,
    new: u64,
    acquired: u64,
    to_date: f64,
}

#[derive(Debug)]
struct Channel {
    name: String,
    new: u64,
    paying: u64,
    revenue: f64,
    cost: Option<f64>,
    payback: Option<usize>,
}

#[derive(Debug)]
struct Expected {
    labels: Vec<String>,
    incomplete: Vec<bool>,
    per: Vec<M>,
    total: M,
    missing: usize,
    channels: Vec<Channel>,
    /// Per breakdown value: its label, its measures per interval and over the range.
    breakdowns: Vec<(String, Vec<M>, M)>,
}

fn oracle(events: &[Ev], p: &Params) -> Option<Expected> {
    let c = p.cal;
    let off = c.offset * 1_000_000;
    let (from, to) = match p.range {
        Some((a, b)) => (a * DAY - off, (b + 1) * DAY - off),
        None => (i64::MIN, i64::MAX),
    };
    let in_range = |t: i64| from <= t && t < to;
    let data_start = events.iter().map(|e| e.time).min().unwrap();
    let data_end = events.iter().map(|e| e.time).max().unwrap();
    let (lo, hi) = (data_start.max(from), data_end.min(to.saturating_sub(1)));
    if lo > hi {
        return None;
    }
    let (first, last) = (c.key(lo), c.key(hi));
    let mut keys = vec![first];
    while *keys.last().unwrap() != last {
        keys.push(c.add(*keys.last().unwrap(), 1));
    }
    let kept = |e: &Ev| !p.filter || e.channel != "y";
    let is_purchase_event = |e: &Ev| e.event == "purchase";
    let amount = |e: &Ev| e.amount.unwrap_or(0.0);
    let is_purchase = |e: &Ev| is_purchase_event(e) && amount(e) >= 0.0;
    let is_active = |e: &Ev| is_purchase(e) || p.active_event.is_none_or(|a| e.event == a);
    // each user's first event (time, then source order) and first channel
    let mut by_user: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        by_user.entry(&e.user).or_default().push(e);
    }
    for v in by_user.values_mut() {
        v.sort_by_key(|e| e.time);
    }
    let first_event: BTreeMap<&str, &Ev> = by_user.iter().map(|(u, v)| (*u, v[0])).collect();
    let first_channel: BTreeMap<&str, String> = by_user
        .iter()
        .map(|(u, v)| {
            let ch = v
                .iter()
                .find(|e| !e.channel.is_empty())
                .map_or("(none)".to_string(), |e| e.channel.clone());
            (*u, ch)
        })
        .collect();
    let acquired_in = |u: &str, lo: i64, hi: i64| {
        let f = first_event[u];
        kept(f) && lo <= f.time && f.time < hi
    };
    // the measures of the kept events in range that `pick` selects; `end` bounds the
    // to-date values
    // `val` selects the events of a breakdown value (for new users: the first event)
    let measure = |val: &dyn Fn(&Ev) -> bool,
                   pick: &dyn Fn(&Ev) -> bool,
                   new_lo: i64,
                   new_hi: i64,
                   end: i64|
     -> M {
        let sel: Vec<&Ev> = events
            .iter()
            .filter(|e| kept(e) && in_range(e.time) && pick(e) && val(e))
            .collect();
        let paying: BTreeSet<&str> = sel
            .iter()
            .filter(|e| is_purchase(e))
            .map(|e| e.user.as_str())
            .collect();
        let active: BTreeSet<&str> = sel
            .iter()
            .filter(|e| is_active(e))
            .map(|e| e.user.as_str())
            .collect();
        let purchases: Vec<&&Ev> = sel.iter().filter(|e| is_purchase_event(e)).collect();
        M {
            revenue: purchases.iter().map(|e| amount(e)).sum(),
            purchases: purchases.iter().filter(|e| amount(e) >= 0.0).count() as u64,
            refunds: purchases.iter().filter(|e| amount(e) < 0.0).count() as u64,
            refund_amount: purchases
                .iter()
                .map(|e| amount(e))
                .filter(|&a| a < 0.0)
                .sum(),
            paying: paying.len() as u64,
            active: active.len() as u64,
            new: first_event
                .keys()
                .filter(|u| acquired_in(u, new_lo, new_hi) && val(first_event[*u]))
                .count() as u64,
            acquired: first_event
                .keys()
                .filter(|u| acquired_in(u, i64::MIN, end.min(to)) && val(first_event[*u]))
                .count() as u64,
            to_date: events
                .iter()
                .filter(|e| kept(e) && is_purchase_event(e) && e.time < end.min(to) && val(e))
                .map(amount)
                .sum(),
        }
    };
    let measures = |val: &dyn Fn(&Ev) -> bool| -> (Vec<M>, M) {
        let mut per = Vec::new();
        for &k in &keys {
            let (s, e) = (c.start(k), c.start(c.add(k, 1)));
            per.push(measure(
                val,
                &|x: &Ev| c.key(x.time) == k,
                s.max(from),
                e.min(to),
                e,
            ));
        }
        (per, measure(val, &|_| true, from, to, i64::MAX))
    };
    let (per, total) = measures(&|_| true);
    let mut breakdowns = Vec::new();
    if let Some(limit) = p.breakdown {
        // a value is shown with a counted event in range or a user acquired in range
        let shown = |v: &str| {
            events.iter().any(|e| {
                e.channel == v
                    && kept(e)
                    && in_range(e.time)
                    && (is_purchase_event(e) || is_active(e))
            }) || first_event
                .iter()
                .any(|(u, f)| f.channel == v && acquired_in(u, from, to))
        };
        let revenue = |v: &str| -> f64 {
            events
                .iter()
                .filter(|e| e.channel == v && kept(e) && in_range(e.time) && is_purchase_event(e))
                .map(amount)
                .sum()
        };
        let mut values: Vec<String> = events
            .iter()
            .map(|e| e.channel.clone())
            .filter(|v| !v.is_empty() && shown(v))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // by value, not bits: an empty sum is −0
        values.sort_by(|a, b| {
            revenue(b)
                .partial_cmp(&revenue(a))
                .expect("finite sums")
                .then(a.cmp(b))
        });
        let keep = if limit == 0 {
            values.len()
        } else {
            limit.min(values.len())
        };
        for v in &values[..keep] {
            let (per, total) = measures(&|e: &Ev| e.channel == *v);
            breakdowns.push((v.clone(), per, total));
        }
        if keep < values.len() {
            let rest = &values[keep..];
            let (per, total) = measures(&|e: &Ev| rest.contains(&e.channel));
            breakdowns.push(("(other)".to_string(), per, total));
        }
        if shown("") {
            let (per, total) = measures(&|e: &Ev| e.channel.is_empty());
            breakdowns.push(("(none)".to_string(), per, total));
        }
    }
    let missing = events
        .iter()
        .filter(|e| is_purchase_event(e) && e.amount.is_none())
        .count();
    let mut channels = Vec::new();
    if p.channel {
        let new_users = |ch: &str| -> BTreeSet<&str> {
            first_event
                .keys()
                .copied()
                .filter(|u| first_channel[u] == ch && acquired_in(u, from, to))
                .collect()
        };
        let mut names: BTreeSet<String> = first_channel
            .iter()
            .filter(|(u, _)| acquired_in(u, from, to))
            .map(|(_, ch)| ch.clone())
            .collect();
        names.extend(p.costs.iter().map(|x| x.0.clone()));
        for name in names {
            let users = new_users(&name);
            let theirs = |e: &&Ev| {
                users.contains(e.user.as_str())
                    && kept(e)
                    && in_range(e.time)
                    && is_purchase_event(e)
            };
            let cost = p.costs.iter().find(|x| x.0 == name).map(|x| x.1);
            let payback = cost.and_then(|cost| {
                keys.iter().position(|&k| {
                    let end = c.start(c.add(k, 1));
                    let sum: f64 = events
                        .iter()
                        .filter(|e| theirs(e) && e.time < end)
                        .map(amount)
                        .sum();
                    sum >= cost
                })
            });
            channels.push(Channel {
                new: users.len() as u64,
                paying: events
                    .iter()
                    .filter(|e| theirs(e) && is_purchase(e))
                    .map(|e| e.user.as_str())
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
                revenue: events.iter().filter(theirs).map(amount).sum(),
                cost,
                payback,
                name,
            });
        }
        channels.sort_by(|a, b| {
            (a.name == "(none)")
                .cmp(&(b.name == "(none)"))
                .then(b.new.cmp(&a.new))
                .then(a.name.cmp(&b.name))
        });
    }
    Some(Expected {
        labels: keys.iter().map(|&k| c.label(k)).collect(),
        incomplete: keys
            .iter()
            .map(|&k| {
                let (s, e) = (c.start(k), c.start(c.add(k, 1)));
                let (lo, hi) = (from.max(data_start), to.min(data_end.saturating_add(1)));
                lo - s > (e - s) / 24 || e - hi > (e - s) / 24
            })
            .collect(),
        per,
        total,
        missing,
        channels,
        breakdowns,
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[track_caller]
fn compare(ctx: &str, want: &M, got: &Metrics) {
    let counts = (
        got.purchases,
        got.refunds,
        got.paying_users,
        got.active_users,
        got.new_users,
        got.acquired_to_date,
    );
    assert_eq!(
        counts,
        (
            want.purchases,
            want.refunds,
            want.paying,
            want.active,
            want.new,
            want.acquired
        ),
        "{ctx}: purchases, refunds, paying, active, new, acquired"
    );
    assert!(
        close(got.revenue, want.revenue),
        "{ctx}: revenue {} vs {}",
        got.revenue,
        want.revenue
    );
    assert!(
        close(got.refund_amount, want.refund_amount),
        "{ctx}: refund amount"
    );
    assert!(
        close(got.revenue_to_date, want.to_date),
        "{ctx}: revenue to date"
    );
    let ratio = |a: f64, b: u64| (b > 0).then(|| a / b as f64);
    assert!(
        close_opt(got.paying_rate, ratio(want.paying as f64, want.active)),
        "{ctx}: paying rate"
    );
    assert!(
        close_opt(got.arpu, ratio(want.revenue, want.active)),
        "{ctx}: arpu"
    );
    assert!(
        close_opt(got.arppu, ratio(want.revenue, want.paying)),
        "{ctx}: arppu"
    );
    assert!(
        close_opt(got.arpu_acquired, ratio(want.to_date, want.acquired)),
        "{ctx}: arpu acquired"
    );
}

/// Runs the engine and the oracle; true when the range had revenue.
fn check(events: &[Ev], store: &EventStore, p: &Params, ctx: &str) -> bool {
    let json = p.json();
    let ctx = format!("{ctx} {json}");
    let got = try_output(store, &json);
    let Some(want) = oracle(events, p) else {
        match got {
            Err(Error::Spec { field, .. }) => assert_eq!(field, "date_range", "{ctx}"),
            other => panic!("{ctx}: expected a range error, got {other:?}"),
        }
        return false;
    };
    let out = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let AnalysisResult::Revenue(r) = out.result else {
        panic!("{ctx}: not revenue")
    };
    let r: RevenueResult = r;
    let labels: Vec<&str> = r.intervals.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(labels, want.labels, "{ctx}: labels");
    let inc: Vec<bool> = r.intervals.iter().map(|x| x.incomplete).collect();
    assert_eq!(inc, want.incomplete, "{ctx}: incomplete");
    for (k, (x, w)) in r.intervals.iter().zip(&want.per).enumerate() {
        compare(&format!("{ctx} [{k}]"), w, &x.metrics);
    }
    compare(&format!("{ctx} total"), &want.total, &r.total);
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    let want_values: Vec<&str> = want.breakdowns.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(values, want_values, "{ctx}: breakdown values");
    for (g, (value, per, total)) in r.breakdowns.iter().zip(&want.breakdowns) {
        assert_eq!(g.intervals.len(), per.len(), "{ctx} {value}");
        for (k, (x, w)) in g.intervals.iter().zip(per).enumerate() {
            compare(&format!("{ctx} {value} [{k}]"), w, x);
        }
        compare(&format!("{ctx} {value} total"), total, &g.total);
    }
    let warned: Vec<&str> = out
        .warnings
        .iter()
        .filter(|w| w.code == "amount_missing")
        .map(|w| w.value.as_str())
        .collect();
    if want.missing > 0 {
        assert_eq!(
            warned,
            [want.missing.to_string().as_str()],
            "{ctx}: warning"
        );
    } else {
        assert!(warned.is_empty(), "{ctx}");
    }
    let names: Vec<&str> = r.channels.iter().map(|c| c.channel.as_str()).collect();
    let want_names: Vec<&str> = want.channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, want_names, "{ctx}: channels");
    for (g, w) in r.channels.iter().zip(&want.channels) {
        let cx = format!("{ctx} channel {}", w.name);
        assert_eq!(
            (g.new_users, g.paying_users, g.cost),
            (w.new, w.paying, w.cost),
            "{cx}"
        );
        assert!(close(g.revenue, w.revenue), "{cx}: revenue");
        let roi = w.cost.filter(|&c| c > 0.0).map(|c| (w.revenue - c) / c);
        assert!(close_opt(g.roi, roi), "{cx}: roi");
        let cac = w.cost.filter(|_| w.new > 0).map(|c| c / w.new as f64);
        assert!(close_opt(g.cac, cac), "{cx}: cac");
        assert_eq!(
            g.payback_intervals,
            w.payback.map(|b| b as u32 + 1),
            "{cx}: payback"
        );
        assert_eq!(
            g.payback,
            w.payback.map(|b| want.labels[b].clone()),
            "{cx}: payback label"
        );
    }
    want.total.revenue != 0.0
}

/// A random dataset written as CSV and loaded.
fn random_data(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(9);
    let n = 5 + rng.below(70);
    let (step, points) = rng.pick(&[(HOUR, 30), (HOUR, 90), (6 * HOUR, 40), (DAY, 20), (DAY, 70)]);
    let names = ["a", "a", "b", "purchase", "purchase"];
    let channels = ["", "", "x", "y", "z"];
    let mut events = vec![Ev {
        // one purchase with an amount, so the event and a numeric column exist
        user: "u0".into(),
        event: "purchase".into(),
        time: BASE + rng.below(points) as i64 * step,
        amount: Some(10.0),
        channel: String::new(),
    }];
    for _ in 0..n {
        let event = rng.pick(&names);
        let amount = if event == "purchase" {
            rng.pick(&[
                None,
                Some(0.0),
                Some(5.0),
                Some(12.5),
                Some(99.75),
                Some(-5.0),
                Some(-12.5),
            ])
        } else {
            None
        };
        events.push(Ev {
            user: format!("u{}", rng.below(users)),
            event: event.into(),
            time: BASE + rng.below(points) as i64 * step,
            amount,
            channel: rng.pick(&channels).into(),
        });
    }
    let mut text = String::from("user_id,event,timestamp,revenue,channel\n");
    for e in &events {
        text.push_str(&format!(
            "{},{},{},{},{}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.amount.map(|a| a.to_string()).unwrap_or_default(),
            e.channel
        ));
    }
    let d = load(&text);
    assert_eq!(d.report.imported, events.len() as u64, "seed {seed}");
    (events, d.store)
}

fn random_params(rng: &mut Rng, events: &[Ev]) -> Params {
    let gran = rng.pick(&[Gran::Hour, Gran::Day, Gran::Day, Gran::Week, Gran::Month]);
    let mut c = cal(gran, rng.pick(&[UTC, CN, NY, IN]));
    c.sunday = rng.below(2) == 0;
    let (a, b) = (
        events.iter().map(|e| e.time).min().unwrap(),
        events.iter().map(|e| e.time).max().unwrap(),
    );
    let offset = c.offset * 1_000_000;
    let range = (rng.below(3) == 0).then(|| {
        let d0 = (a + offset).div_euclid(DAY) - 1;
        let d1 = (b + offset).div_euclid(DAY) + 1;
        let x = d0 + rng.below((d1 - d0 + 1) as u64) as i64;
        let y = x + rng.below((d1 - x + 1) as u64) as i64;
        (x, y)
    });
    let channel = rng.below(2) == 0;
    let present: BTreeSet<&str> = events
        .iter()
        .map(|e| e.channel.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    let mut costs = Vec::new();
    if channel {
        for c in present {
            if rng.below(3) > 0 {
                costs.push((c.to_string(), rng.pick(&[0.0, 5.0, 20.0, 50.0, 300.0])));
            }
        }
    }
    Params {
        cal: c,
        active_event: rng
            .pick(&[None, None, Some("a"), Some("b")])
            .filter(|n| events.iter().any(|e| e.event == *n)),
        filter: rng.below(4) == 0,
        range,
        channel,
        costs,
        breakdown: rng.pick(&[None, None, Some(0), Some(1), Some(2)]),
    }
}

#[test]
fn revenue_matches_the_oracle_on_random_data() {
    let (mut cases, mut nonzero, mut paybacks, mut refunds, mut others) = (0, 0, 0, 0, 0);
    for seed in 0..500u64 {
        let (events, store) = random_data(seed);
        let mut rng = Rng(seed ^ 0xCA5B);
        for _ in 0..3 {
            let p = random_params(&mut rng, &events);
            if check(&events, &store, &p, &format!("seed {seed}")) {
                nonzero += 1;
            }
            if let Some(w) = oracle(&events, &p) {
                paybacks += w.channels.iter().filter(|c| c.payback.is_some()).count();
                refunds += usize::from(w.total.refunds > 0);
                others += usize::from(w.breakdowns.iter().any(|b| b.0 == "(other)"));
            }
            cases += 1;
        }
    }
    // the grid covers what it claims to
    assert!(nonzero > cases / 2, "{nonzero} of {cases} with revenue");
    assert!(paybacks > 100, "{paybacks} channels paid back");
    assert!(refunds > cases / 3, "{refunds} cases with refunds");
    assert!(others > cases / 10, "{others} cases with an (other) value");
}

#[test]
fn revenue_matches_the_oracle_on_the_sample() {
    let opts = loupe::engine::sample::SampleOptions {
        users: 300,
        ..Default::default()
    };
    let mut events = Vec::new();
    loupe::engine::sample::generate(&opts, |e| {
        events.push(Ev {
            user: e.user.to_string(),
            event: e.event.to_string(),
            time: e.time,
            amount: e.revenue,
            channel: e.channel.to_string(),
        });
    });
    let store = loupe::engine::sample::dataset(&opts).store;
    assert_eq!(store.len(), events.len());
    let last_day = events.iter().map(|e| e.time).max().unwrap().div_euclid(DAY);
    for (k, (gran, offset, active, range, costs, breakdown)) in [
        (Gran::Day, UTC, None, None, vec![], Some(3)),
        (
            Gran::Week,
            CN,
            Some("app_open"),
            Some((last_day - 40, last_day - 5)),
            vec![("douyin", 3000.0), ("wechat", 20.0)],
            Some(0),
        ),
        (
            Gran::Month,
            NY,
            None,
            None,
            vec![("organic", 0.0), ("paid_search", 1e9)],
            None,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let p = Params {
            cal: cal(gran, offset),
            active_event: active,
            filter: false,
            range,
            channel: !costs.is_empty(),
            costs: costs.into_iter().map(|(c, v)| (c.to_string(), v)).collect(),
            breakdown,
        };
        assert!(check(&events, &store, &p, &format!("sample {k}")));
    }
}
