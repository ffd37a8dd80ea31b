//! Brute-force oracle of the sessions analysis (`src/engine/analysis/sessions.rs`),
//! written literally from the definition and compared number by number with the engine.
//!
//! The oracle sorts each user's events itself, keeps those in the date range that pass
//! the filter, and cuts them into sessions as lists of events: with a timeout, an event
//! starts a new list when it is the user's first or lies at least the timeout after the
//! previous one; with a session column, one list per (user, value) in a `BTreeMap`. Each
//! number is then read off the lists: page views and their users in `BTreeSet`s per page
//! and per interval, entry / exit / bounce from the first and last page view of each list,
//! time on page from consecutive page views of a list. Intervals come from the slow
//! calendar of `oracle.rs`. Data: seeded random datasets on a coarse time grid (gaps of
//! exactly the timeout are common) under several zones, intervals, timeouts, page events,
//! session columns, date ranges and filters; and the built-in sample (1,500 users). A
//! breakdown by `p`: each list under the `p` of its first event, the totals summed per
//! value (users in a `BTreeSet` per value), values ranked by sessions.

use super::common::{load, try_output};
use super::oracle::{cal, close_opt, rfc3339, Cal, Gran, Rng, CN, DAY, IN, NY, SECOND, UTC};
use loupe::engine::analysis::sessions::SessionsResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use std::collections::{BTreeMap, BTreeSet};

/// 2024-03-01T00:00:00Z.
const BASE: i64 = 19_783 * DAY;

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    event: String,
    time: i64,
    /// Page (empty = none).
    page: String,
    /// Session id (empty = none).
    sid: String,
    /// A property for filters (empty = none).
    p: String,
}

#[derive(Clone, Debug)]
struct Params {
    cal: Cal,
    timeout: i64,
    session: bool,
    page_event: Option<&'static str>,
    /// Shared filter: (property, value): the property (`p` of the events) ≠ the value.
    filter: Option<(&'static str, &'static str)>,
    /// Whole local days, both included.
    range: Option<(i64, i64)>,
    limit: usize,
    /// A breakdown by `p`, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl Params {
    fn json(&self) -> String {
        let mut j = format!(
            r#"{{"analysis":"sessions","interval":"{}","timezone":"{}","timeout_minutes":{},"limit":{}"#,
            self.cal.gran.json(),
            self.cal.tz_json(),
            self.timeout,
            self.limit
        );
        if self.session {
            j.push_str(r#","session":"sid""#);
        }
        if let Some(e) = self.page_event {
            j.push_str(&format!(r#","page_events":["{e}"]"#));
        }
        if let Some((prop, value)) = self.filter {
            j.push_str(&format!(
                r#","filters":[{{"property":"{prop}","op":"neq","value":"{value}"}}]"#
            ));
        }
        if let Some((a, b)) = self.range {
            let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(a),
                date(b)
            ));
        }
        if let Some(limit) = self.breakdown {
            j.push_str(&format!(
                r#","breakdown":{{"properties":["p"],"limit":{limit}}}"#
            ));
        }
        j.push('}');
        j
    }
}

#[derive(Debug, Default)]
struct PageExp {
    views: u64,
    viewers: BTreeSet<String>,
    entries: u64,
    exits: u64,
    bounces: u64,
    times: Vec<f64>,
}

#[derive(Debug, Default)]
struct Bucket {
    pv: u64,
    uv: BTreeSet<String>,
    sessions: u64,
    session_pv: u64,
    bounces: u64,
    durations: Vec<f64>,
}

/// The totals of the sessions of one breakdown value.
#[derive(Debug, Default, Clone)]
struct ValueExp {
    pv: u64,
    users: BTreeSet<String>,
    sessions: u64,
    without: u64,
    bounces: u64,
    durations: Vec<f64>,
    times: Vec<f64>,
}

impl ValueExp {
    fn merge(&mut self, o: &ValueExp) {
        self.pv += o.pv;
        self.users.extend(o.users.iter().cloned());
        self.sessions += o.sessions;
        self.without += o.without;
        self.bounces += o.bounces;
        self.durations.extend(&o.durations);
        self.times.extend(&o.times);
    }
}

#[derive(Debug)]
struct Expected {
    /// Per value of `p` on the sessions' first events ("" = none).
    by_value: BTreeMap<String, ValueExp>,
    pages: BTreeMap<String, PageExp>,
    users: BTreeSet<String>,
    sessions: u64,
    without: u64,
    durations: Vec<f64>,
    buckets: Vec<String>,
    incomplete: Vec<bool>,
    per: Vec<Bucket>,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn frac(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// What the definition gives; `None` when nothing lies in the date range.
fn oracle(events: &[Ev], p: &Params) -> Option<Expected> {
    let c = p.cal;
    let off = c.offset * SECOND;
    let (from, to) = match p.range {
        Some((a, b)) => (a * DAY - off, (b + 1) * DAY - off),
        None => (i64::MIN, i64::MAX),
    };
    let data_start = events.iter().map(|e| e.time).min().unwrap();
    let data_end = events.iter().map(|e| e.time).max().unwrap();
    let in_scope = |e: &Ev| from <= e.time && e.time < to && p.filter.is_none_or(|(_, v)| e.p != v);
    let (lo, hi) = (data_start.max(from), data_end.min(to.saturating_sub(1)));
    if lo > hi {
        return None;
    }
    let mut keys = vec![c.key(lo)];
    while *keys.last().unwrap() != c.key(hi) {
        keys.push(c.add(*keys.last().unwrap(), 1));
    }
    let index = |t: i64| keys.iter().position(|&k| k == c.key(t)).unwrap();
    let is_view = |e: &Ev| !e.page.is_empty() && p.page_event.is_none_or(|n| e.event == n);

    // sessions as lists of events
    let mut by_user: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events.iter().filter(|e| in_scope(e)) {
        by_user.entry(&e.user).or_default().push(e);
    }
    let mut lists: Vec<Vec<&Ev>> = Vec::new();
    for v in by_user.values_mut() {
        v.sort_by_key(|e| e.time); // stable: source order on ties
        if p.session {
            let mut groups: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
            for e in v.iter().filter(|e| !e.sid.is_empty()) {
                groups.entry(&e.sid).or_default().push(e);
            }
            lists.extend(groups.into_values());
        } else {
            for (j, e) in v.iter().enumerate() {
                if j == 0 || e.time - v[j - 1].time >= p.timeout * 60 * SECOND {
                    lists.push(Vec::new());
                }
                lists.last_mut().unwrap().push(e);
            }
        }
    }

    let mut x = Expected {
        by_value: BTreeMap::new(),
        pages: BTreeMap::new(),
        users: BTreeSet::new(),
        sessions: 0,
        without: 0,
        durations: Vec::new(),
        buckets: keys.iter().map(|&k| c.label(k)).collect(),
        incomplete: keys
            .iter()
            .map(|&k| {
                let (s, e) = (c.start(k), c.start(c.add(k, 1)));
                let slack = (e - s) / 24;
                let (a, b) = (from.max(data_start), to.min(data_end + 1));
                a - s > slack || e - b > slack
            })
            .collect(),
        per: (0..keys.len()).map(|_| Bucket::default()).collect(),
    };
    for l in &lists {
        let views: Vec<&Ev> = l.iter().copied().filter(|e| is_view(e)).collect();
        let value = x.by_value.entry(l[0].p.clone()).or_default();
        if views.is_empty() {
            value.without += 1;
        } else {
            value.sessions += 1;
            value.pv += views.len() as u64;
            value.bounces += u64::from(views.len() == 1);
            value
                .durations
                .push((l.last().unwrap().time - l[0].time) as f64 / 1e6);
            for (j, v) in views.iter().enumerate() {
                value.users.insert(v.user.clone());
                if let Some(next) = views.get(j + 1) {
                    value.times.push((next.time - v.time) as f64 / 1e6);
                }
            }
        }
        if views.is_empty() {
            x.without += 1;
            continue;
        }
        x.sessions += 1;
        let duration = (l.last().unwrap().time - l[0].time) as f64 / 1e6;
        x.durations.push(duration);
        let b = &mut x.per[index(l[0].time)];
        b.sessions += 1;
        b.session_pv += views.len() as u64;
        b.durations.push(duration);
        b.bounces += u64::from(views.len() == 1);
        for (j, v) in views.iter().enumerate() {
            let pe = x.pages.entry(v.page.clone()).or_default();
            pe.views += 1;
            pe.viewers.insert(v.user.clone());
            if let Some(next) = views.get(j + 1) {
                pe.times.push((next.time - v.time) as f64 / 1e6);
            }
            x.users.insert(v.user.clone());
            let b = &mut x.per[index(v.time)];
            b.pv += 1;
            b.uv.insert(v.user.clone());
        }
        let entry = x.pages.get_mut(&views[0].page).unwrap();
        entry.entries += 1;
        entry.bounces += u64::from(views.len() == 1);
        x.pages.get_mut(&views.last().unwrap().page).unwrap().exits += 1;
    }
    Some(x)
}

/// Compares the engine with the oracle; true when there was at least one session.
fn check(events: &[Ev], store: &EventStore, p: &Params, what: &str) -> bool {
    let json = p.json();
    let got = try_output(store, &json);
    let Some(x) = oracle(events, p) else {
        assert!(
            matches!(&got, Err(Error::Spec { field, .. }) if field == "date_range"),
            "{what}: {json}: expected range_empty, got {got:?}"
        );
        return false;
    };
    let r: SessionsResult = match got {
        Ok(o) => match o.result {
            AnalysisResult::Sessions(r) => r,
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{what}: {json}: {e}"),
    };
    let ctx = format!("{what}: {json}");
    let t = &r.totals;
    let pv: u64 = x.pages.values().map(|e| e.views).sum();
    let bounces: u64 = x.per.iter().map(|b| b.bounces).sum();
    assert_eq!(t.page_views, pv, "{ctx}: page views");
    assert_eq!(t.users, x.users.len() as u64, "{ctx}: users");
    assert_eq!(t.sessions, x.sessions, "{ctx}: sessions");
    assert_eq!(t.sessions_without_page_views, x.without, "{ctx}: without");
    assert_eq!(t.bounces, bounces, "{ctx}: bounces");
    assert!(
        close_opt(t.bounce_rate, frac(bounces, x.sessions)),
        "{ctx}: bounce rate"
    );
    assert!(
        close_opt(t.pages_per_session, frac(pv, x.sessions)),
        "{ctx}: pages per session"
    );
    assert!(
        close_opt(t.average_session_seconds, mean(&x.durations)),
        "{ctx}: duration {:?}",
        t.average_session_seconds
    );
    let all_times: Vec<f64> = x.pages.values().flat_map(|e| e.times.clone()).collect();
    assert!(
        close_opt(t.average_time_on_page_seconds, mean(&all_times)),
        "{ctx}: time on page"
    );
    // pages: most views first, ties by name
    let mut order: Vec<(&String, &PageExp)> = x.pages.iter().collect();
    order.sort_by(|a, b| b.1.views.cmp(&a.1.views).then(a.0.cmp(b.0)));
    assert_eq!(r.page_count, order.len() as u64, "{ctx}: page count");
    if p.limit > 0 {
        order.truncate(p.limit);
    }
    assert_eq!(r.pages.len(), order.len(), "{ctx}: pages listed");
    for (row, (name, e)) in r.pages.iter().zip(&order) {
        let c = format!("{ctx}: page {name}");
        assert_eq!(&row.page, *name, "{c}");
        assert_eq!(
            (row.views, row.viewers, row.entries, row.exits, row.bounces),
            (
                e.views,
                e.viewers.len() as u64,
                e.entries,
                e.exits,
                e.bounces
            ),
            "{c}"
        );
        assert!(
            close_opt(row.bounce_rate, frac(e.bounces, e.entries)),
            "{c}: bounce rate"
        );
        assert!(
            close_opt(row.exit_rate, frac(e.exits, e.views)),
            "{c}: exit rate"
        );
        assert!(
            close_opt(row.average_time_on_page_seconds, mean(&e.times)),
            "{c}: time on page"
        );
    }
    let o = &r.over_time;
    assert_eq!(o.buckets, x.buckets, "{ctx}: buckets");
    assert_eq!(o.incomplete, x.incomplete, "{ctx}: incomplete");
    for (k, b) in x.per.iter().enumerate() {
        let c = format!("{ctx}: interval {}", x.buckets[k]);
        assert_eq!(
            (o.page_views[k], o.users[k], o.sessions[k]),
            (b.pv, b.uv.len() as u64, b.sessions),
            "{c}"
        );
        assert!(
            close_opt(o.pages_per_session[k], frac(b.session_pv, b.sessions)),
            "{c}"
        );
        assert!(
            close_opt(o.bounce_rate[k], frac(b.bounces, b.sessions)),
            "{c}"
        );
        assert!(
            close_opt(o.average_session_seconds[k], mean(&b.durations)),
            "{c}"
        );
    }
    // the breakdown: values by sessions (ties by label), then (other), then (none)
    let mut want: Vec<(String, ValueExp)> = Vec::new();
    if let Some(limit) = p.breakdown {
        let mut named: Vec<(&String, &ValueExp)> =
            x.by_value.iter().filter(|(v, _)| !v.is_empty()).collect();
        named.sort_by(|a, b| b.1.sessions.cmp(&a.1.sessions).then(a.0.cmp(b.0)));
        let keep = if limit == 0 {
            named.len()
        } else {
            limit.min(named.len())
        };
        for (v, e) in &named[..keep] {
            want.push(((*v).clone(), (*e).clone()));
        }
        if keep < named.len() {
            let mut other = ValueExp::default();
            for (_, e) in &named[keep..] {
                other.merge(e);
            }
            want.push(("(other)".into(), other));
        }
        if let Some(e) = x.by_value.get("") {
            want.push(("(none)".into(), e.clone()));
        }
    }
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    let want_values: Vec<&str> = want.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(values, want_values, "{ctx}: breakdown values");
    for (b, (v, e)) in r.breakdowns.iter().zip(&want) {
        let c = format!("{ctx}: value {v}");
        let t = &b.totals;
        assert_eq!(
            (
                t.page_views,
                t.users,
                t.sessions,
                t.sessions_without_page_views,
                t.bounces
            ),
            (e.pv, e.users.len() as u64, e.sessions, e.without, e.bounces),
            "{c}"
        );
        assert!(
            close_opt(t.pages_per_session, frac(e.pv, e.sessions)),
            "{c}"
        );
        assert!(close_opt(t.bounce_rate, frac(e.bounces, e.sessions)), "{c}");
        assert!(
            close_opt(t.average_session_seconds, mean(&e.durations)),
            "{c}"
        );
        assert!(
            close_opt(t.average_time_on_page_seconds, mean(&e.times)),
            "{c}"
        );
    }
    if p.breakdown.is_some() {
        // page views, sessions and bounces add up to the totals
        let sum = |f: &dyn Fn(&loupe::engine::analysis::sessions::SessionTotals) -> u64| {
            r.breakdowns.iter().map(|b| f(&b.totals)).sum::<u64>()
        };
        assert_eq!(sum(&|t| t.page_views), r.totals.page_views, "{ctx}");
        assert_eq!(sum(&|t| t.sessions), r.totals.sessions, "{ctx}");
        assert_eq!(sum(&|t| t.bounces), r.totals.bounces, "{ctx}");
        assert_eq!(
            sum(&|t| t.sessions_without_page_views),
            r.totals.sessions_without_page_views,
            "{ctx}"
        );
    }
    x.sessions > 0
}

/// A small dataset on a 10-minute grid (gaps of exactly 10, 20, 30 minutes are common),
/// written as CSV in random source order.
fn random_data(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(5);
    let n = 3 + rng.below(50);
    let steps = 1 + rng.below(500);
    let step = rng.pick(&[10, 10, 20, 60]) * 60 * SECOND;
    let events: Vec<Ev> = (0..n)
        .map(|_| Ev {
            user: format!("u{}", rng.below(users)),
            event: rng.pick(&["a", "a", "b", "c"]).to_string(),
            time: BASE + rng.below(steps) as i64 * step,
            page: rng.pick(&["", "/", "/x", "/y", "/z", "/x"]).to_string(),
            sid: rng.pick(&["", "s1", "s2", "s1", "s3"]).to_string(),
            p: rng.pick(&["", "x", "y"]).to_string(),
        })
        .collect();
    let mut csv = String::from("user_id,event,timestamp,page,sid,p\n");
    for e in &events {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.page,
            e.sid,
            e.p
        ));
    }
    let store = load(&csv).store;
    (events, store)
}

#[test]
fn sessions_match_the_oracle_on_random_data() {
    let (mut cases, mut nonzero, mut by_id, mut ranges) = (0, 0, 0, 0);
    for seed in 0..500u64 {
        let (events, store) = random_data(seed);
        let mut rng = Rng(seed ^ 0x5E55);
        let first_day = BASE.div_euclid(DAY);
        for _ in 0..3 {
            let p = Params {
                cal: cal(
                    rng.pick(&[Gran::Hour, Gran::Day, Gran::Day, Gran::Week, Gran::Month]),
                    rng.pick(&[UTC, CN, NY, IN]),
                ),
                timeout: rng.pick(&[10, 20, 30, 30, 60]),
                session: rng.below(4) == 0,
                page_event: rng
                    .pick(&[None, None, Some("a")])
                    .filter(|a| events.iter().any(|e| e.event == *a)),
                filter: (rng.below(3) == 0).then_some(("p", "y")),
                range: (rng.below(3) == 0).then(|| {
                    let a = first_day + rng.below(3) as i64;
                    (a, a + rng.below(3) as i64)
                }),
                limit: rng.pick(&[0, 2, 20]),
                breakdown: rng.pick(&[None, None, Some(0), Some(1)]),
            };
            if check(&events, &store, &p, &format!("seed {seed}")) {
                nonzero += 1;
            }
            cases += 1;
            by_id += usize::from(p.session);
            ranges += usize::from(p.range.is_some());
        }
    }
    // the grid really covers the cases it claims to
    assert!(nonzero > cases / 2, "{nonzero} of {cases} with sessions");
    assert!(by_id > 200, "{by_id} cases with a session column");
    assert!(ranges > 200, "{ranges} cases with a date range");
}

#[test]
fn sessions_match_the_oracle_on_the_sample() {
    // the sample's events as the oracle reads them (the shared `sample_data` has no pages)
    let opts = SampleOptions {
        users: 1500,
        ..Default::default()
    };
    let mut events = Vec::new();
    sample::generate(&opts, |e| {
        events.push(Ev {
            user: e.user.to_string(),
            event: e.event.to_string(),
            time: e.time,
            page: e.page.to_string(),
            sid: String::new(),
            p: e.platform.to_string(),
        })
    });
    let store = &sample::dataset(&opts).store;
    assert_eq!(store.len(), events.len());
    let last_day = events.iter().map(|e| e.time).max().unwrap().div_euclid(DAY);
    let android = Some(("platform", "android"));
    for (k, (gran, offset, timeout, page_event, filter, range)) in [
        (Gran::Day, UTC, 30, None, None, None),
        (
            Gran::Week,
            CN,
            5,
            Some("view_item"),
            None,
            Some((last_day - 20, last_day - 3)),
        ),
        (Gran::Month, NY, 120, None, android, None),
        (
            Gran::Hour,
            IN,
            30,
            None,
            android,
            Some((last_day - 1, last_day)),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let p = Params {
            cal: cal(gran, offset),
            timeout,
            session: false,
            page_event,
            filter,
            range,
            limit: 15,
            breakdown: None,
        };
        assert!(check(&events, store, &p, &format!("sample {k}")));
    }
}
