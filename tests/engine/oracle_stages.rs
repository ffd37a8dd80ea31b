//! Brute-force oracles of the user stages (`src/engine/analysis/stages.rs`) and the user
//! health tiers (`src/engine/analysis/health.rs`), written literally from the definitions
//! and compared number by number with the engine.
//!
//! For every interval the oracle lists the local days of its period one by one (the days
//! of the shown span whose start falls in the interval), and for every user and every
//! evaluation asks the definition's questions directly: has the user appeared by the
//! evaluation day, did they appear in the period, is there an active day in the period
//! on whose eve they had been inactive for `churned_days` days, and how many days have
//! passed since their last active day. Days come from the slow calendar of `oracle.rs`
//! at fixed offsets. Data: seeded random datasets (few users, events over up to 80 days,
//! some creation dates, filtered values) under several zones, week starts, intervals,
//! thresholds, date ranges, active events, filters and transition dates. Stages by a
//! breakdown of `p` read per user: the value of the user's first event (in time, then
//! source order) that has one; the same counts per value, values ranked by their users.

use super::common::{load, try_output};
use super::oracle::{cal, rfc3339, Cal, Gran, Rng, CN, DAY, HOUR, IN, NY, SECOND, UTC};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::Error;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    event: &'static str,
    time: i64,
    p: &'static str,
    /// The amount column (empty: none).
    amount: Option<i64>,
}

#[derive(Clone, Debug)]
struct Params {
    cal: Cal,
    silent: i64,
    churned: i64,
    event: Option<&'static str>,
    shared_filter: bool,
    range: Option<(i64, i64)>,
    created_at: bool,
    /// Transition dates as local day numbers.
    from: Option<i64>,
    to: Option<i64>,
    /// A breakdown by `p`, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl Params {
    fn json(&self) -> String {
        let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
        let mut j = format!(
            r#"{{"analysis":"stages","interval":"{}","timezone":"{}","week_start":"{}","silent_days":{},"churned_days":{}"#,
            self.cal.gran.json(),
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
            self.silent,
            self.churned
        );
        if let Some(e) = self.event {
            j.push_str(&format!(r#","event":"{e}""#));
        }
        if self.shared_filter {
            j.push_str(r#","filters":[{"property":"p","op":"neq","value":"y"}]"#);
        }
        if let Some((a, b)) = self.range {
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(a),
                date(b)
            ));
        }
        if self.created_at {
            j.push_str(r#","created_at":"signed_up""#);
        }
        if let Some(d) = self.from {
            j.push_str(&format!(r#","from":"{}""#, date(d)));
        }
        if let Some(d) = self.to {
            j.push_str(&format!(r#","to":"{}""#, date(d)));
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

const NEW: usize = 0;
const ACTIVE: usize = 1;
const SILENT: usize = 2;
const CHURNED: usize = 3;
const RETURNED: usize = 4;

struct Expected {
    buckets: Vec<String>,
    evaluated: Vec<String>,
    /// `[stage][interval]`.
    counts: [Vec<u64>; 5],
    seen: Vec<u64>,
    /// `[row][column]`, row 0 = not yet seen.
    transitions: Vec<Vec<u64>>,
    /// Per breakdown value: its label, `[stage][interval]` and seen.
    breakdowns: Vec<(String, [Vec<u64>; 5], Vec<u64>)>,
}

/// The stages the definition gives; `None` when no event lies in the date range.
fn oracle(events: &[Ev], created: &BTreeMap<String, i64>, p: &Params) -> Option<Expected> {
    let c = p.cal;
    let day_cal = Cal {
        gran: Gran::Day,
        ..c
    };
    let off = c.offset * SECOND;
    let (from, to) = match p.range {
        Some((a, b)) => (a * DAY - off, (b + 1) * DAY - off),
        None => (i64::MIN, i64::MAX),
    };
    let data_start = events.iter().map(|e| e.time).min().unwrap();
    let data_end = events.iter().map(|e| e.time).max().unwrap();
    let lo = data_start.max(from);
    let hi = data_end.min(to.saturating_sub(1));
    if lo > hi {
        return None;
    }
    let (first, last) = (c.key(lo), c.key(hi));
    let mut keys = vec![first];
    while *keys.last().unwrap() != last {
        keys.push(c.add(*keys.last().unwrap(), 1));
    }
    // the periods: every day of the span, by the interval its start lies in
    let (d_lo, d_hi) = (day_cal.key(lo), day_cal.key(hi));
    let periods: Vec<Vec<i64>> = keys
        .iter()
        .map(|&k| {
            (d_lo..=d_hi)
                .filter(|&d| c.key(d * DAY - off) == k)
                .collect()
        })
        .collect();
    let mut users: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        users.entry(&e.user).or_default().push(e);
    }
    let kf = p
        .from
        .map_or(0, |d| c.index(first, c.key(d * DAY - off)) as usize);
    let kt = p.to.map_or(keys.len() - 1, |d| {
        c.index(first, c.key(d * DAY - off)) as usize
    });
    let mut counts: [Vec<u64>; 5] = std::array::from_fn(|_| vec![0; keys.len()]);
    let mut seen = vec![0u64; keys.len()];
    let mut transitions = vec![vec![0u64; 5]; 6];
    // per value of `p` (empty: none): its users' counts and seen
    let mut by_value: BTreeMap<&str, ([Vec<u64>; 5], Vec<u64>)> = BTreeMap::new();
    for (name, v) in &users {
        if p.shared_filter && v.iter().all(|e| e.p == "y") {
            continue;
        }
        let first_event = v.iter().map(|e| e.time).min().unwrap();
        let born_at = if p.created_at {
            created.get(*name).copied().unwrap_or(first_event)
        } else {
            first_event
        };
        let born = day_cal.key(born_at);
        let active: BTreeSet<i64> = v
            .iter()
            .filter(|e| {
                e.time < to
                    && (!p.shared_filter || e.p != "y")
                    && p.event.is_none_or(|n| e.event == n)
            })
            .map(|e| day_cal.key(e.time))
            .filter(|&d| d >= born)
            .collect();
        // days without activity at the end of day d
        let inactive = |d: i64| {
            d - active
                .range(..=d)
                .next_back()
                .copied()
                .unwrap_or(born)
                .max(born)
        };
        let stage_at = |k: usize| -> Option<usize> {
            let period = &periods[k];
            let e = *period.last().unwrap();
            if born > e {
                return None;
            }
            Some(if period.contains(&born) {
                NEW
            } else if period
                .iter()
                .any(|&a| active.contains(&a) && inactive(a - 1) >= p.churned)
            {
                RETURNED
            } else {
                let g = inactive(e);
                if g >= p.churned {
                    CHURNED
                } else if g >= p.silent {
                    SILENT
                } else {
                    ACTIVE
                }
            })
        };
        let mut in_time = v.clone();
        in_time.sort_by_key(|e| e.time);
        let value = in_time.iter().find(|e| !e.p.is_empty()).map_or("", |e| e.p);
        for k in 0..keys.len() {
            if let Some(s) = stage_at(k) {
                counts[s][k] += 1;
                seen[k] += 1;
                let (c, n) = by_value.entry(value).or_insert_with(|| {
                    (
                        std::array::from_fn(|_| vec![0; keys.len()]),
                        vec![0; keys.len()],
                    )
                });
                c[s][k] += 1;
                n[k] += 1;
            }
        }
        if let Some(to_stage) = stage_at(kt) {
            let row = stage_at(kf).map_or(0, |s| s + 1);
            transitions[row][to_stage] += 1;
        }
    }
    // values ranked by their users counted (seen at the last interval), ties by label
    let mut breakdowns = Vec::new();
    if let Some(limit) = p.breakdown {
        let users_of = |v: &str| *by_value[v].1.last().unwrap();
        let mut values: Vec<&str> = by_value.keys().copied().filter(|v| !v.is_empty()).collect();
        values.sort_by(|a, b| users_of(b).cmp(&users_of(a)).then(a.cmp(b)));
        let keep = if limit == 0 {
            values.len()
        } else {
            limit.min(values.len())
        };
        for v in &values[..keep] {
            let (c, n) = by_value[v].clone();
            breakdowns.push((v.to_string(), c, n));
        }
        if keep < values.len() {
            let mut c: [Vec<u64>; 5] = std::array::from_fn(|_| vec![0; keys.len()]);
            let mut n = vec![0; keys.len()];
            for v in &values[keep..] {
                let (vc, vn) = &by_value[v];
                for s in 0..5 {
                    for k in 0..keys.len() {
                        c[s][k] += vc[s][k];
                    }
                }
                for k in 0..keys.len() {
                    n[k] += vn[k];
                }
            }
            breakdowns.push(("(other)".to_string(), c, n));
        }
        if let Some((c, n)) = by_value.get("") {
            breakdowns.push(("(none)".to_string(), c.clone(), n.clone()));
        }
    }
    Some(Expected {
        breakdowns,
        buckets: keys.iter().map(|&k| c.label(k)).collect(),
        evaluated: periods
            .iter()
            .map(|d| day_cal.label(*d.last().unwrap()))
            .collect(),
        counts,
        seen,
        transitions,
    })
}

/// 2024-03-01T00:00:00Z.
const BASE: i64 = 19_783 * DAY;

fn random_data(seed: u64) -> (Vec<Ev>, BTreeMap<String, i64>, String) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(9);
    let n = 5 + rng.below(90);
    let days = 5 + rng.below(76) as i64;
    let mut created = BTreeMap::new();
    for u in 0..users {
        if rng.below(3) > 0 {
            let t = BASE + (rng.below((days * 24) as u64) as i64 - 24 * 10) * HOUR;
            created.insert(format!("u{u}"), t);
        }
    }
    let mut events = Vec::new();
    for _ in 0..n {
        let u = rng.below(users);
        events.push(Ev {
            user: format!("u{u}"),
            event: rng.pick(&["a", "a", "b"]),
            time: BASE
                + rng.below((days * 24) as u64) as i64 * HOUR
                + rng.below(60) as i64 * 60 * SECOND,
            p: rng.pick(&["x", "y", "x", ""]),
            amount: match rng.below(4) {
                0 => None,
                1 => Some(-(rng.below(50) as i64)),
                _ => Some(rng.below(200) as i64),
            },
        });
    }
    let mut text = String::from("user_id,event,timestamp,p,signed_up,amount\n");
    for e in &events {
        let c = created
            .get(&e.user)
            .map(|&t| rfc3339(t))
            .unwrap_or_default();
        let a = e.amount.map(|a| a.to_string()).unwrap_or_default();
        text.push_str(&format!(
            "{},{},{},{},{},{a}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.p,
            c
        ));
    }
    (events, created, text)
}

#[test]
fn stages_match_the_definition_on_random_data() {
    let (mut checked, mut others) = (0, 0);
    for seed in 0..400u64 {
        let (events, created, text) = random_data(seed);
        let store = load(&text).store;
        let mut rng = Rng(seed ^ 0x5EED);
        let gran = rng.pick(&[Gran::Day, Gran::Day, Gran::Week, Gran::Month]);
        let c = Cal {
            sunday: rng.below(2) == 0,
            ..cal(gran, rng.pick(&[UTC, CN, NY, IN]))
        };
        let silent = 1 + rng.below(6) as i64;
        let churned = silent + 1 + rng.below(10) as i64;
        let first_day = (BASE + c.offset * SECOND).div_euclid(DAY) - 2;
        let range = (rng.below(3) == 0).then(|| {
            let a = first_day + rng.below(30) as i64;
            (a, a + rng.below(40) as i64)
        });
        let mut p = Params {
            cal: c,
            silent,
            churned,
            event: rng.pick(&[None, None, Some("a")]),
            shared_filter: rng.below(3) == 0,
            range,
            created_at: rng.below(2) == 0,
            from: None,
            to: None,
            breakdown: rng.pick(&[None, Some(0), Some(1)]),
        };
        // transition dates inside the span (when there is one)
        let ctx = format!("seed {seed}");
        let Some(want) = oracle(&events, &created, &p) else {
            match try_output(&store, &p.json()) {
                Err(Error::Spec { field, .. }) => assert_eq!(field, "date_range", "{ctx}"),
                other => panic!("{ctx}: expected a range error, got {other:?}"),
            }
            continue;
        };
        if rng.below(2) == 0 {
            let off = c.offset * SECOND;
            let lo = events
                .iter()
                .map(|e| e.time)
                .min()
                .unwrap()
                .max(range.map_or(i64::MIN, |r| r.0 * DAY - off));
            let hi = events
                .iter()
                .map(|e| e.time)
                .max()
                .unwrap()
                .min(range.map_or(i64::MAX, |r| (r.1 + 1) * DAY - off - 1));
            let (a, b) = ((lo + off).div_euclid(DAY), (hi + off).div_euclid(DAY));
            let x = a + rng.below((b - a + 1) as u64) as i64;
            let y = x + rng.below((b - x + 1) as u64) as i64;
            (p.from, p.to) = (Some(x), Some(y));
        }
        let want = if p.from.is_some() {
            oracle(&events, &created, &p).unwrap()
        } else {
            want
        };
        let json = p.json();
        let ctx = format!("{ctx} {json}");
        let out = try_output(&store, &json).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let AnalysisResult::Stages(r) = out.result else {
            panic!("{ctx}: not stages")
        };
        assert_eq!(r.buckets, want.buckets, "{ctx}: buckets");
        assert_eq!(r.evaluated_on, want.evaluated, "{ctx}: evaluated");
        for (s, name) in ["new", "active", "silent", "churned", "returned"]
            .iter()
            .enumerate()
        {
            assert_eq!(r.series()[s], &want.counts[s], "{ctx}: {name}");
        }
        assert_eq!(r.seen, want.seen, "{ctx}: seen");
        assert_eq!(r.transitions.counts, want.transitions, "{ctx}: transitions");
        let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
        let want_values: Vec<&str> = want.breakdowns.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(values, want_values, "{ctx}: breakdown values");
        for (b, (value, c, n)) in r.breakdowns.iter().zip(&want.breakdowns) {
            for (s, (got, want)) in b.series().into_iter().zip(c).enumerate() {
                assert_eq!(got, want, "{ctx}: {value} stage {s}");
            }
            assert_eq!(&b.seen, n, "{ctx}: {value} seen");
        }
        others += usize::from(values.contains(&"(other)"));
        checked += 1;
    }
    assert!(checked > 300, "{checked} datasets checked");
    assert!(others > 30, "{others} with an (other) value");
}

// ---------------------------------------------------------------------------------------
// Health

#[derive(Clone, Debug)]
struct HealthParams {
    cal: Cal,
    window: i64,
    events_frequency: bool,
    value: bool,
    /// (max recency, min frequency, min value) of core, active, casual, at risk.
    rules: [(i64, u64, i64); 4],
    event: Option<&'static str>,
    shared_filter: bool,
    range: Option<(i64, i64)>,
    /// A breakdown by `p`, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl HealthParams {
    fn json(&self) -> String {
        let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
        let rule = |r: (i64, u64, i64)| {
            format!(
                r#"{{"max_recency_days":{},"min_frequency":{},"min_value":{}}}"#,
                r.0, r.1, r.2
            )
        };
        let mut j = format!(
            r#"{{"analysis":"health","interval":"{}","timezone":"{}","week_start":"{}","window_days":{},"frequency":"{}","tiers":{{"core":{},"active":{},"casual":{},"at_risk":{}}}"#,
            self.cal.gran.json(),
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
            self.window,
            if self.events_frequency {
                "events"
            } else {
                "active_days"
            },
            rule(self.rules[0]),
            rule(self.rules[1]),
            rule(self.rules[2]),
            rule(self.rules[3]),
        );
        if self.value {
            j.push_str(r#","value":{"purchase_event":"b","amount":"amount"}"#);
        }
        if let Some(e) = self.event {
            j.push_str(&format!(r#","event":"{e}""#));
        }
        if self.shared_filter {
            j.push_str(r#","filters":[{"property":"p","op":"neq","value":"y"}]"#);
        }
        if let Some((a, b)) = self.range {
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

/// Tier sizes `[tier][interval]`.
type Sizes = Vec<Vec<u64>>;

/// Tier sizes the definition gives, and per breakdown value (label, sizes); `None` when
/// the range is empty.
fn health_oracle(events: &[Ev], p: &HealthParams) -> Option<(Sizes, Vec<(String, Sizes)>)> {
    let c = p.cal;
    let day_cal = Cal {
        gran: Gran::Day,
        ..c
    };
    let off = c.offset * SECOND;
    let (from, to) = match p.range {
        Some((a, b)) => (a * DAY - off, (b + 1) * DAY - off),
        None => (i64::MIN, i64::MAX),
    };
    let data_start = events.iter().map(|e| e.time).min().unwrap();
    let data_end = events.iter().map(|e| e.time).max().unwrap();
    let lo = data_start.max(from);
    let hi = data_end.min(to.saturating_sub(1));
    if lo > hi {
        return None;
    }
    let (first, last) = (c.key(lo), c.key(hi));
    let mut keys = vec![first];
    while *keys.last().unwrap() != last {
        keys.push(c.add(*keys.last().unwrap(), 1));
    }
    let d_hi = day_cal.key(hi);
    // evaluation day: the last day of the interval that is not after the span's last day
    let evals: Vec<i64> = keys
        .iter()
        .map(|&k| {
            (day_cal.key(c.start(k))..=d_hi)
                .take_while(|&d| c.key(d * DAY - off) == k)
                .last()
                .unwrap()
        })
        .collect();
    let mut users: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        users.entry(&e.user).or_default().push(e);
    }
    let mut sizes = vec![vec![0u64; keys.len()]; 5];
    // per value of `p` read per user (first event in time with one; empty: none)
    let mut by_value: BTreeMap<&str, Sizes> = BTreeMap::new();
    for v in users.values() {
        let kept = |e: &&&Ev| !p.shared_filter || e.p != "y";
        if !v.iter().any(|e| kept(&e)) {
            continue;
        }
        let born = day_cal.key(v.iter().map(|e| e.time).min().unwrap());
        let mut in_time = v.clone();
        in_time.sort_by_key(|e| e.time);
        let user_value = in_time.iter().find(|e| !e.p.is_empty()).map_or("", |e| e.p);
        let active: Vec<&&Ev> = v
            .iter()
            .filter(|e| e.time < to && kept(e) && p.event.is_none_or(|n| e.event == n))
            .collect();
        for (k, &e) in evals.iter().enumerate() {
            if born > e {
                continue;
            }
            let in_window = |t: i64| {
                let d = day_cal.key(t);
                e - p.window < d && d <= e
            };
            let last = active
                .iter()
                .map(|x| day_cal.key(x.time))
                .filter(|&d| d <= e)
                .max();
            let freq = if p.events_frequency {
                active.iter().filter(|x| in_window(x.time)).count() as u64
            } else {
                active
                    .iter()
                    .filter(|x| in_window(x.time))
                    .map(|x| day_cal.key(x.time))
                    .collect::<BTreeSet<_>>()
                    .len() as u64
            };
            let value: i64 = if p.value {
                v.iter()
                    .filter(|x| x.event == "b" && x.time < to && kept(x) && in_window(x.time))
                    .map(|x| x.amount.unwrap_or(0))
                    .sum()
            } else {
                0
            };
            let tier = p
                .rules
                .iter()
                .position(|&(r, f, m)| {
                    last.is_some_and(|l| e - l <= r) && freq >= f && (m == 0 || value >= m)
                })
                .unwrap_or(4);
            sizes[tier][k] += 1;
            by_value
                .entry(user_value)
                .or_insert_with(|| vec![vec![0u64; keys.len()]; 5])[tier][k] += 1;
        }
    }
    // values ranked by their users counted (seen at the last interval), ties by label
    let mut breakdowns = Vec::new();
    if let Some(limit) = p.breakdown {
        let last = keys.len() - 1;
        let users_of = |v: &str| by_value[v].iter().map(|s| s[last]).sum::<u64>();
        let mut values: Vec<&str> = by_value.keys().copied().filter(|v| !v.is_empty()).collect();
        values.sort_by(|a, b| users_of(b).cmp(&users_of(a)).then(a.cmp(b)));
        let keep = if limit == 0 {
            values.len()
        } else {
            limit.min(values.len())
        };
        for v in &values[..keep] {
            breakdowns.push((v.to_string(), by_value[v].clone()));
        }
        if keep < values.len() {
            let mut other = vec![vec![0u64; keys.len()]; 5];
            for v in &values[keep..] {
                for (s, row) in by_value[v].iter().enumerate() {
                    for (k, n) in row.iter().enumerate() {
                        other[s][k] += n;
                    }
                }
            }
            breakdowns.push(("(other)".to_string(), other));
        }
        if let Some(none) = by_value.get("") {
            breakdowns.push(("(none)".to_string(), none.clone()));
        }
    }
    Some((sizes, breakdowns))
}

#[test]
fn health_matches_the_definition_on_random_data() {
    let (mut checked, mut others) = (0, 0);
    for seed in 0..400u64 {
        let (events, _, text) = random_data(seed);
        let store = load(&text).store;
        let mut rng = Rng(seed ^ 0x4EA1);
        let gran = rng.pick(&[Gran::Day, Gran::Day, Gran::Week, Gran::Month]);
        let c = Cal {
            sunday: rng.below(2) == 0,
            ..cal(gran, rng.pick(&[UTC, CN, NY, IN]))
        };
        // value only when the data has a purchase event "b"
        let value = rng.below(2) == 0 && events.iter().any(|e| e.event == "b");
        let rule = |rng: &mut Rng| {
            (
                rng.below(20) as i64,
                rng.below(6),
                if value { rng.below(150) as i64 - 30 } else { 0 }.max(0),
            )
        };
        let rules = [
            rule(&mut rng),
            rule(&mut rng),
            rule(&mut rng),
            rule(&mut rng),
        ];
        let first_day = (BASE + c.offset * SECOND).div_euclid(DAY) - 2;
        let p = HealthParams {
            cal: c,
            window: 1 + rng.below(20) as i64,
            events_frequency: rng.below(2) == 0,
            value,
            rules,
            event: rng
                .pick(&[None, None, Some("a")])
                .filter(|&n| events.iter().any(|e| e.event == n)),
            shared_filter: rng.below(3) == 0,
            range: (rng.below(3) == 0).then(|| {
                let a = first_day + rng.below(30) as i64;
                (a, a + rng.below(40) as i64)
            }),
            breakdown: rng.pick(&[None, Some(0), Some(1)]),
        };
        let json = p.json();
        let ctx = format!("seed {seed} {json}");
        let got = try_output(&store, &json);
        let Some((want, want_values)) = health_oracle(&events, &p) else {
            match got {
                Err(Error::Spec { field, .. }) => assert_eq!(field, "date_range", "{ctx}"),
                other => panic!("{ctx}: expected a range error, got {other:?}"),
            }
            continue;
        };
        let out = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let AnalysisResult::Health(r) = out.result else {
            panic!("{ctx}: not health")
        };
        assert_eq!(r.sizes, want, "{ctx}");
        let got_values: Vec<(String, Sizes)> = r
            .breakdowns
            .iter()
            .map(|b| (b.value.clone(), b.sizes.clone()))
            .collect();
        assert_eq!(got_values, want_values, "{ctx}: breakdown");
        others += usize::from(want_values.iter().any(|b| b.0 == "(other)"));
        checked += 1;
    }
    assert!(checked > 300, "{checked} datasets checked");
    assert!(others > 30, "{others} with an (other) value");
}
