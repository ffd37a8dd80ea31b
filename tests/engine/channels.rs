//! Channel analysis (`src/engine/analysis/channels.rs`): fixtures worked out by hand, then
//! a brute-force oracle on seeded random data.

use super::common::{approx, load, store, try_output, try_run};
use super::oracle::{rfc3339, Rng, BASE, CN, DAY, HOUR, IN, NY, UTC};
use loupe::engine::analysis::channels::{
    self as engine_channels, ChannelRow, ChannelsResult, Windowed,
};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use std::collections::BTreeMap;

fn channels(s: &EventStore, extra: &str) -> ChannelsResult {
    let json = format!(r#"{{"analysis":"channels"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Channels(r)) => r,
        other => panic!("expected a channels result for {json}, got {other:?}"),
    }
}

/// The field and code of a keyed spec error.
fn error_key(s: &EventStore, extra: &str) -> (String, &'static str) {
    let json = format!(r#"{{"analysis":"channels"{extra}}}"#);
    match try_run(s, &json) {
        Err(Error::Spec { field, key, .. }) => (field, key),
        other => panic!("expected a spec error for {json}, got {other:?}"),
    }
}

/// (users, eligible) of a windowed measure.
fn w(x: &Windowed) -> (u64, u64) {
    (x.users, x.eligible)
}

/// Fixture (UTC; the data ends at E's event, 03-12 12:00):
/// - A: open 03-01 10:00 `ads`; view 11:00 (no channel); purchase 10 on 03-02 09:00
///   `seo`; open 03-08 12:00 (day 7). First touch ads, last touch seo.
/// - B: open 03-01 23:30 and view 03-02 00:10, never a channel: `(none)`; D1 retained 40
///   minutes later, across midnight.
/// - C: open 03-02 00:00 `seo`; view 03-02 23:59:59 (still day 0, so not D1); refund −5
///   on 03-04; view 03-09 00:00 (day 7, at its very start).
/// - D: open 03-10 12:00 `ads`; view 03-11 00:00 (D1); purchase 20 on 03-11 01:00 `ads`.
///   Day 7 (03-17) has not ended by the data end.
/// - E: open 03-12 12:00 `seo`, the last event: no window has ended.
const FIXTURE: &str = "user_id,event,timestamp,channel,revenue\n\
    A,open,2025-03-01T10:00:00Z,ads,\n\
    A,view,2025-03-01T11:00:00Z,,\n\
    A,purchase,2025-03-02T09:00:00Z,seo,10\n\
    A,open,2025-03-08T12:00:00Z,,\n\
    B,open,2025-03-01T23:30:00Z,,\n\
    B,view,2025-03-02T00:10:00Z,,\n\
    C,open,2025-03-02T00:00:00Z,seo,\n\
    C,view,2025-03-02T23:59:59Z,,\n\
    C,purchase,2025-03-04T00:00:00Z,,-5\n\
    C,view,2025-03-09T00:00:00Z,,\n\
    D,open,2025-03-10T12:00:00Z,ads,\n\
    D,view,2025-03-11T00:00:00Z,,\n\
    D,purchase,2025-03-11T01:00:00Z,ads,20\n\
    E,open,2025-03-12T12:00:00Z,seo,\n";

/// Activation view → purchase within 1 day, D1 and D7, LTV at day 1 (ages 0 and 1).
const OPTIONS: &str =
    r#","activation":["view","purchase"],"activation_days":1,"retention_days":[1,7],"ltv_days":1"#;

#[test]
fn first_touch_retention_edges_activation_money_and_costs() {
    let s = store(FIXTURE);
    let r = channels(
        &s,
        &format!(
            r#"{OPTIONS},"costs":[{{"channel":"ads","cost":60}},{{"channel":"seo","cost":0}}]"#
        ),
    );
    let names: Vec<&str> = r.rows.iter().map(|x| x.channel.as_str()).collect();
    // ads and seo have 2 new users each (ties by name), (none) last
    assert_eq!(names, ["ads", "seo", "(none)"]);
    assert_eq!(r.data_end, "2025-03-12T12:00:00.000Z");

    // ads = A, D.
    // Activation: A view 11:00 then purchase 03-02 09:00 ≤ 03-02 10:00 (open + 24 h): yes;
    // D view 03-11 00:00 then purchase 01:00 ≤ 03-11 12:00: yes; both windows ended
    // (≤ 03-12 12:00): 2 / 2.
    // D1: A (day 0 03-01) has the purchase on 03-02; D's view is on 03-11; day 1 ended for
    // both (03-03 and 03-12 00:00 ≤ end): 2 / 2. D7: only A's ended (03-09 ≤ end; D's
    // 03-18 is not); A opens on 03-08 = day 7: 1 / 1.
    // Money: A 10, D 20, both paying: rate 1, revenue 30, ARPU 15. LTV1: A's 10 at age
    // 1, D's 20 at age 1; day 1 ended for both: 30 / 2 = 15.
    // Cost 60: ROI (30 − 60) / 60 = −0.5, CAC 60 / 2 = 30.
    let a = &r.rows[0];
    assert_eq!(a.new_users, 2);
    assert_eq!(w(a.activation.as_ref().unwrap()), (2, 2));
    assert_eq!((w(&a.retention[0]), w(&a.retention[1])), ((2, 2), (1, 1)));
    assert_eq!(a.paying_users, 2);
    approx(a.paying_rate.unwrap(), 1.0);
    approx(a.revenue, 30.0);
    approx(a.arpu.unwrap(), 15.0);
    assert_eq!(a.ltv.eligible, 2);
    approx(a.ltv.ltv.unwrap(), 15.0);
    assert_eq!(a.cost, Some(60.0));
    approx(a.roi.unwrap(), -0.5);
    approx(a.cac.unwrap(), 30.0);

    // seo = C, E (E: no window has ended).
    // Activation: C views at 23:59:59 but refunds only on 03-04 > 03-03 00:00: 0 / 1.
    // D1 (03-03): C has nothing that day (23:59:59 is day 0): 0 / 1. D7 (03-09): C's view
    // at 00:00: 1 / 1. Money: the refund −5 is not a purchase: paying 0, rate 0 / 2,
    // revenue −5, ARPU −2.5. LTV1: C eligible, the refund is at age 2: 0 / 1.
    // Cost 0: no ROI, CAC 0 / 2 = 0.
    let b = &r.rows[1];
    assert_eq!(b.new_users, 2);
    assert_eq!(w(b.activation.as_ref().unwrap()), (0, 1));
    assert_eq!((w(&b.retention[0]), w(&b.retention[1])), ((0, 1), (1, 1)));
    assert_eq!(b.paying_users, 0);
    approx(b.paying_rate.unwrap(), 0.0);
    approx(b.revenue, -5.0);
    approx(b.arpu.unwrap(), -2.5);
    assert_eq!(b.ltv.eligible, 1);
    approx(b.ltv.ltv.unwrap(), 0.0);
    assert_eq!((b.cost, b.roi), (Some(0.0), None));
    approx(b.cac.unwrap(), 0.0);

    // (none) = B: activation 0 / 1 (no purchase); D1 1 / 1; D7 0 / 1 (ended 03-09).
    let c = &r.rows[2];
    assert_eq!(c.new_users, 1);
    assert_eq!(w(c.activation.as_ref().unwrap()), (0, 1));
    assert_eq!((w(&c.retention[0]), w(&c.retention[1])), ((1, 1), (0, 1)));
    assert_eq!((c.cost, c.roi, c.cac), (None, None, None));

    // total: 5 new; activation 2 / 4; D1 A, B, D of A–D: 3 / 4; D7 A, C of A–C: 2 / 3;
    // paying 2 / 5; revenue 25, ARPU 5; LTV1 30 / 4; cost 60: ROI −35 / 60, CAC 12.
    let t = &r.total;
    assert_eq!(t.new_users, 5);
    assert_eq!(w(t.activation.as_ref().unwrap()), (2, 4));
    assert_eq!((w(&t.retention[0]), w(&t.retention[1])), ((3, 4), (2, 3)));
    approx(t.retention[0].rate.unwrap(), 0.75);
    assert_eq!(t.paying_users, 2);
    approx(t.paying_rate.unwrap(), 0.4);
    approx(t.revenue, 25.0);
    approx(t.arpu.unwrap(), 5.0);
    approx(t.ltv.ltv.unwrap(), 7.5);
    approx(t.roi.unwrap(), -35.0 / 60.0);
    approx(t.cac.unwrap(), 12.0);

    // the CSV: header, three channels, total
    let tab = engine_channels::table(&r);
    assert_eq!(tab.len(), 5);
    assert_eq!(
        tab[0][..5],
        [
            "channel",
            "new_users",
            "activation_eligible",
            "activated",
            "activation_rate"
        ]
    );
    assert!(tab[0].contains(&"d7_retention".to_string()));
    assert!(tab[0].contains(&"ltv1".to_string()));
    assert_eq!(tab[1][0], "ads");
    assert_eq!(tab[4][0], "total");
}

#[test]
fn last_touch_takes_the_last_value() {
    let s = store(FIXTURE);
    let r = channels(&s, &format!(r#"{OPTIONS},"attribution":"last_touch""#));
    // A's last value is seo (its purchase); D's is ads: seo = A, C, E; ads = D
    let names: Vec<(&str, u64)> = r
        .rows
        .iter()
        .map(|x| (x.channel.as_str(), x.new_users))
        .collect();
    assert_eq!(names, [("seo", 3), ("ads", 1), ("(none)", 1)]);
    // seo: activation A yes, C no: 1 / 2; D1 A yes, C no: 1 / 2; D7 A and C: 2 / 2;
    // paying A: 1; revenue 10 − 5 = 5; LTV1: (10 + 0) / 2
    let seo = &r.rows[0];
    assert_eq!(w(seo.activation.as_ref().unwrap()), (1, 2));
    assert_eq!(
        (w(&seo.retention[0]), w(&seo.retention[1])),
        ((1, 2), (2, 2))
    );
    assert_eq!(seo.paying_users, 1);
    approx(seo.revenue, 5.0);
    approx(seo.ltv.ltv.unwrap(), 5.0);
    // ads: D, whose day 7 has not ended: no D7 rate
    let ads = &r.rows[1];
    assert_eq!(
        (w(&ads.retention[0]), w(&ads.retention[1])),
        ((1, 1), (0, 0))
    );
    assert_eq!(ads.retention[1].rate, None);
    approx(ads.revenue, 20.0);
}

#[test]
fn date_range_filters_and_limit() {
    let s = store(FIXTURE);
    // acquired 03-02..=03-11: C and D (A and B start on 03-01, E on 03-12)
    let r = channels(
        &s,
        r#","date_range":{"from":"2025-03-02","to":"2025-03-11"},"retention_days":[1]"#,
    );
    let names: Vec<(&str, u64)> = r
        .rows
        .iter()
        .map(|x| (x.channel.as_str(), x.new_users))
        .collect();
    assert_eq!(names, [("ads", 1), ("seo", 1)]);
    // no activation events: no activation measure and no columns
    assert!(r.total.activation.is_none());
    assert_eq!(engine_channels::table(&r)[0][2], "d1_eligible");

    // filter channel ≠ seo: C's and E's first events fail it (not acquired); A's purchase
    // (seo) is dropped, so A neither pays nor is active on day 1.
    // New: A, B, D. D1: A no, B yes, D yes: 2 / 3. Paying: D only; revenue 20.
    let r = channels(
        &s,
        r#","filters":[{"property":"channel","op":"neq","value":"seo"}],"retention_days":[1]"#,
    );
    assert_eq!(r.total.new_users, 3);
    assert_eq!(w(&r.total.retention[0]), (2, 3));
    assert_eq!(r.total.paying_users, 1);
    approx(r.total.revenue, 20.0);

    // limit 1: ads kept, seo in (other) with its cost, then (none)
    let r = channels(&s, r#","limit":1,"costs":[{"channel":"seo","cost":8}]"#);
    let names: Vec<(&str, u64, Option<f64>)> = r
        .rows
        .iter()
        .map(|x| (x.channel.as_str(), x.new_users, x.cost))
        .collect();
    assert_eq!(
        names,
        [
            ("ads", 2, None),
            ("(other)", 2, Some(8.0)),
            ("(none)", 1, None)
        ]
    );
}

#[test]
fn the_acquiring_event_is_day_0_in_the_scope_zone() {
    // at +08:00, B's open 03-01 23:30Z is 03-02 07:30 and the view 00:10Z is 08:10 the
    // same local day: not D1. A's purchase 03-02 09:00Z = 17:00 local, day 1 of 03-01
    // 18:00 local: still D1.
    let s = store(FIXTURE);
    let r = channels(&s, r#","timezone":"+08:00","retention_days":[1]"#);
    let none = r.rows.iter().find(|x| x.channel == "(none)").unwrap();
    assert_eq!(w(&none.retention[0]), (0, 1));
    let ads = r.rows.iter().find(|x| x.channel == "ads").unwrap();
    assert_eq!(ads.retention[0].users, 2);
}

#[test]
fn bad_options_are_keyed_errors() {
    let s = store(FIXTURE);
    for (extra, field, key) in [
        (
            r#","retention_days":[]"#,
            "retention_days",
            "retention_days_count",
        ),
        (
            r#","retention_days":[1,7,1]"#,
            "retention_days[2]",
            "retention_day_repeated",
        ),
        (
            r#","retention_days":[0]"#,
            "retention_days[0]",
            "days_range",
        ),
        (r#","activation_days":0"#, "activation_days", "days_range"),
        (r#","ltv_days":401"#, "ltv_days", "days_range"),
        (r#","channel":"chanel""#, "channel", "unknown_property_hint"),
        (
            r#","costs":[{"channel":"adz","cost":1}]"#,
            "costs[0].channel",
            "unknown_channel",
        ),
        (
            r#","costs":[{"channel":"ads","cost":-1}]"#,
            "costs[0].cost",
            "cost_invalid",
        ),
        (
            r#","activation":["veiw"]"#,
            "activation[0]",
            "unknown_event_hint",
        ),
        (r#","amount":"channel""#, "amount", "property_not_numeric"),
    ] {
        assert_eq!(error_key(&s, extra), (field.to_string(), key), "{extra}");
    }
    let e = try_run(&s, r#"{"analysis":"channels","retention":[1]}"#).unwrap_err();
    assert!(e.to_string().contains("retention"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Oracle: written literally from the module doc on seeded random data.

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    event: &'static str,
    time: i64,
    amount: Option<f64>,
    channel: &'static str,
}

struct Params {
    offset: i64,
    last_touch: bool,
    activation: Vec<&'static str>,
    activation_days: i64,
    days: Vec<i64>,
    ltv_days: i64,
    /// Whole local days, both included.
    range: Option<(i64, i64)>,
    filter: bool,
    limit: usize,
    costs: Vec<(&'static str, f64)>,
}

impl Params {
    fn json(&self) -> String {
        let tz = match self.offset {
            0 => "UTC".to_string(),
            o => format!(
                "{}{:02}:{:02}",
                if o < 0 { '-' } else { '+' },
                o.abs() / 3600,
                o.abs() % 3600 / 60
            ),
        };
        let list = |v: Vec<String>| v.join(",");
        let mut j = format!(
            r#"{{"analysis":"channels","timezone":"{tz}","attribution":"{}","activation":[{}],"activation_days":{},"retention_days":[{}],"ltv_days":{},"limit":{}"#,
            if self.last_touch {
                "last_touch"
            } else {
                "first_touch"
            },
            list(self.activation.iter().map(|e| format!("\"{e}\"")).collect()),
            self.activation_days,
            list(self.days.iter().map(i64::to_string).collect()),
            self.ltv_days,
            self.limit,
        );
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
        if !self.costs.is_empty() {
            let c: Vec<String> = self
                .costs
                .iter()
                .map(|(c, v)| format!(r#"{{"channel":"{c}","cost":{v}}}"#))
                .collect();
            j.push_str(&format!(r#","costs":[{}]"#, c.join(",")));
        }
        j.push('}');
        j
    }
}

/// Sums of one row as the oracle counts them.
#[derive(Debug, Default, Clone)]
struct Sums {
    new: u64,
    act: (u64, u64),
    ret: Vec<(u64, u64)>,
    paying: u64,
    revenue: f64,
    ltv: (f64, u64),
    cost: Option<f64>,
}

/// True when `names` can be matched in order by distinct events of `evs` (positions
/// `from..`), the last one at or before `deadline`: every choice is tried.
fn ordered(
    evs: &[&Ev],
    from: usize,
    names: &[&str],
    deadline: i64,
    kept: &dyn Fn(&Ev) -> bool,
) -> bool {
    let Some((first, rest)) = names.split_first() else {
        return true;
    };
    (from..evs.len()).any(|i| {
        evs[i].event == *first
            && kept(evs[i])
            && evs[i].time <= deadline
            && ordered(evs, i + 1, rest, deadline, kept)
    })
}

fn oracle(events: &[Ev], p: &Params) -> (Vec<(String, Sums)>, Sums) {
    let off = p.offset * 1_000_000;
    let day = |t: i64| (t + off).div_euclid(DAY);
    let (from, to) = match p.range {
        Some((a, b)) => (a * DAY - off, (b + 1) * DAY - off),
        None => (i64::MIN, i64::MAX),
    };
    let end = events.iter().map(|e| e.time).max().unwrap();
    let kept = |e: &Ev| !p.filter || e.channel != "y";
    let mut by_user: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        by_user.entry(&e.user).or_default().push(e);
    }
    let mut per: BTreeMap<String, Sums> = BTreeMap::new();
    for v in by_user.values_mut() {
        v.sort_by_key(|e| e.time); // stable: source order on ties
        let f = v[0];
        if !(from <= f.time && f.time < to && kept(f)) {
            continue;
        }
        let valued = |e: &&&Ev| !e.channel.is_empty();
        let ch = if p.last_touch {
            v.iter().rev().find(valued)
        } else {
            v.iter().find(valued)
        }
        .map_or("(none)".to_string(), |e| e.channel.to_string());
        let s = per.entry(ch).or_insert_with(|| Sums {
            ret: vec![(0, 0); p.days.len()],
            ..Default::default()
        });
        let d0 = day(f.time);
        let ended = |n: i64| (d0 + n + 1) * DAY - off <= end;
        s.new += 1;
        if !p.activation.is_empty() {
            let deadline = f.time + p.activation_days * DAY;
            if deadline <= end {
                s.act.1 += 1;
                s.act.0 += u64::from(ordered(v, 0, &p.activation, deadline, &kept));
            }
        }
        for (k, &n) in p.days.iter().enumerate() {
            if ended(n) {
                s.ret[k].1 += 1;
                s.ret[k].0 += u64::from(v.iter().any(|e| kept(e) && day(e.time) == d0 + n));
            }
        }
        let buys: Vec<&&Ev> = v
            .iter()
            .filter(|e| kept(e) && e.event == "purchase")
            .collect();
        let amount = |e: &Ev| e.amount.unwrap_or(0.0);
        s.paying += u64::from(buys.iter().any(|e| amount(e) >= 0.0));
        s.revenue += buys.iter().map(|e| amount(e)).sum::<f64>();
        if ended(p.ltv_days) {
            s.ltv.1 += 1;
            s.ltv.0 += buys
                .iter()
                .filter(|e| day(e.time) - d0 <= p.ltv_days)
                .map(|e| amount(e))
                .sum::<f64>();
        }
    }
    for (c, v) in &p.costs {
        per.entry(c.to_string())
            .or_insert_with(|| Sums {
                ret: vec![(0, 0); p.days.len()],
                ..Default::default()
            })
            .cost = Some(*v);
    }
    let none = per.remove("(none)");
    let mut ranked: Vec<(String, Sums)> = per.into_iter().collect();
    ranked.sort_by(|a, b| b.1.new.cmp(&a.1.new).then(a.0.cmp(&b.0)));
    let add = |into: &mut Sums, s: &Sums| {
        into.new += s.new;
        into.act.0 += s.act.0;
        into.act.1 += s.act.1;
        for (a, b) in into.ret.iter_mut().zip(&s.ret) {
            a.0 += b.0;
            a.1 += b.1;
        }
        into.paying += s.paying;
        into.revenue += s.revenue;
        into.ltv.0 += s.ltv.0;
        into.ltv.1 += s.ltv.1;
        if let Some(c) = s.cost {
            *into.cost.get_or_insert(0.0) += c;
        }
    };
    let empty = || Sums {
        ret: vec![(0, 0); p.days.len()],
        ..Default::default()
    };
    let mut total = empty();
    for (_, s) in &ranked {
        add(&mut total, s);
    }
    if let Some(s) = &none {
        add(&mut total, s);
    }
    let keep = if p.limit == 0 {
        ranked.len()
    } else {
        p.limit.min(ranked.len())
    };
    let mut rows: Vec<(String, Sums)> = ranked[..keep].to_vec();
    if keep < ranked.len() {
        let mut other = empty();
        for (_, s) in &ranked[keep..] {
            add(&mut other, s);
        }
        rows.push(("(other)".into(), other));
    }
    if let Some(s) = none {
        rows.push(("(none)".into(), s));
    }
    (rows, total)
}

#[track_caller]
fn compare(ctx: &str, got: &ChannelRow, want: &Sums, activation: bool) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert_eq!(got.new_users, want.new, "{ctx}: new");
    match &got.activation {
        Some(a) => {
            assert!(activation, "{ctx}");
            assert_eq!(w(a), want.act, "{ctx}: activation");
        }
        None => assert!(!activation, "{ctx}: activation missing"),
    }
    let ret: Vec<(u64, u64)> = got.retention.iter().map(w).collect();
    assert_eq!(ret, want.ret, "{ctx}: retention");
    assert_eq!(got.paying_users, want.paying, "{ctx}: paying");
    assert!(
        close(got.revenue, want.revenue),
        "{ctx}: revenue {} vs {}",
        got.revenue,
        want.revenue
    );
    assert_eq!(got.ltv.eligible, want.ltv.1, "{ctx}: ltv eligible");
    assert!(close(got.ltv.revenue, want.ltv.0), "{ctx}: ltv revenue");
    assert_eq!(got.cost, want.cost, "{ctx}: cost");
    let roi = want
        .cost
        .filter(|&c| c > 0.0)
        .map(|c| (want.revenue - c) / c);
    match (got.roi, roi) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!(close(a, b), "{ctx}: roi"),
        other => panic!("{ctx}: roi {other:?}"),
    }
    let cac = want
        .cost
        .filter(|_| want.new > 0)
        .map(|c| c / want.new as f64);
    assert_eq!(got.cac.is_some(), cac.is_some(), "{ctx}: cac");
}

fn random_data(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(10);
    let n = 5 + rng.below(80);
    let (step, points) = rng.pick(&[(HOUR, 40), (6 * HOUR, 40), (DAY / 2, 30), (DAY, 20)]);
    let names = ["a", "a", "b", "purchase"];
    let channels = ["", "", "x", "y", "z"];
    let mut events = vec![Ev {
        user: "u0".into(),
        event: "purchase",
        time: BASE + rng.below(points) as i64 * step,
        amount: Some(10.0),
        channel: "x",
    }];
    for _ in 0..n {
        let event = rng.pick(&names);
        let amount = if event == "purchase" {
            rng.pick(&[None, Some(0.0), Some(5.0), Some(12.5), Some(-5.0)])
        } else {
            None
        };
        events.push(Ev {
            user: format!("u{}", rng.below(users)),
            event,
            time: BASE + rng.below(points) as i64 * step,
            amount,
            channel: rng.pick(&channels),
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

#[test]
fn oracle_on_random_data() {
    let mut checked = 0;
    for seed in 1..=300u64 {
        let (events, store) = random_data(seed);
        let mut rng = Rng(seed ^ 0xC4A7);
        let offset = rng.pick(&[UTC, CN, NY, IN]);
        let (a, b) = (
            events.iter().map(|e| e.time).min().unwrap(),
            events.iter().map(|e| e.time).max().unwrap(),
        );
        let off = offset * 1_000_000;
        let range = (rng.below(3) == 0).then(|| {
            let d0 = (a + off).div_euclid(DAY) - 1;
            let d1 = (b + off).div_euclid(DAY) + 1;
            let x = d0 + rng.below((d1 - d0 + 1) as u64) as i64;
            (x, x + rng.below((d1 - x + 1) as u64) as i64)
        });
        let present: Vec<&'static str> = ["x", "y", "z"]
            .into_iter()
            .filter(|c| events.iter().any(|e| e.channel == *c))
            .collect();
        let mut costs = Vec::new();
        for &c in &present {
            if rng.below(2) == 0 {
                costs.push((c, rng.pick(&[0.0, 5.0, 40.0])));
            }
        }
        let mut days = vec![rng.pick(&[1, 2]), rng.pick(&[3, 7])];
        if rng.below(2) == 0 {
            days.push(rng.pick(&[4, 5, 30]));
        }
        days.dedup();
        let activation: Vec<&'static str> = rng
            .pick(&[
                &[][..],
                &["a"],
                &["a", "b"],
                &["b", "a"],
                &["a", "a"],
                &["a", "purchase"],
            ])
            .iter()
            .copied()
            .filter(|e| events.iter().any(|x| x.event == *e))
            .collect();
        let p = Params {
            offset,
            last_touch: rng.below(2) == 0,
            activation,
            activation_days: rng.pick(&[1, 2, 3]),
            days,
            ltv_days: rng.pick(&[0, 1, 3, 7]),
            range,
            filter: rng.below(4) == 0,
            limit: rng.pick(&[0, 0, 1, 2]),
            costs,
        };
        let json = p.json();
        let ctx = format!("seed {seed} {json}");
        let got = try_output(&store, &json);
        let (rows, total) = oracle(&events, &p);
        let out = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let AnalysisResult::Channels(r) = out.result else {
            panic!("{ctx}")
        };
        let names: Vec<&str> = r.rows.iter().map(|x| x.channel.as_str()).collect();
        let want: Vec<&str> = rows.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, want, "{ctx}: rows");
        let act = !p.activation.is_empty();
        for (g, (name, s)) in r.rows.iter().zip(&rows) {
            compare(&format!("{ctx} {name}"), g, s, act);
        }
        let mut total = total;
        total.cost = (!p.costs.is_empty()).then(|| p.costs.iter().map(|c| c.1).sum());
        compare(&format!("{ctx} total"), &r.total, &total, act);
        checked += usize::from(total.new > 0);
    }
    assert!(checked > 150, "{checked}");
}
