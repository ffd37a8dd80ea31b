//! Brute-force oracles written literally from the definitions in the module docs, compared
//! number by number with the engine.
//!
//! The oracles work on a plain list of events in source order, sort each user's events by
//! (time, source row) themselves, and cut calendar buckets with their own slow civil-date
//! code. Data: the built-in sample (3,000 users) and seeded random datasets with few users,
//! few event names and timestamps on a coarse grid, so equal timestamps are everywhere.

use super::common::{load, try_output, try_run};
use loupe::engine::analysis::funnel::FunnelResult;
use loupe::engine::analysis::retention::RetentionResult;
use loupe::engine::analysis::segmentation::{SegmentationResult, Series};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const SECOND: i64 = 1_000_000;
const HOUR: i64 = 3600 * SECOND;
const DAY: i64 = 24 * HOUR;

// ---------------------------------------------------------------------------------------
// Data

/// One event as it appears in the source, in source order.
#[derive(Clone, Debug)]
pub struct Ev {
    pub user: String,
    pub event: String,
    pub time: i64,
    /// One cell per property; empty = no value.
    pub props: Vec<String>,
}

/// Events in source order plus the property names.
pub struct Data {
    pub events: Vec<Ev>,
    pub props: Vec<String>,
    /// A dense id per event's user.
    uid: Vec<u32>,
    /// Each user's events as indices into `events`, sorted by (time, source row).
    users: Vec<Vec<usize>>,
}

impl Data {
    fn new(events: Vec<Ev>, props: Vec<String>) -> Data {
        let mut map: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            map.entry(&e.user).or_default().push(i);
        }
        let mut uid = vec![0; events.len()];
        let users = map
            .into_values()
            .enumerate()
            .map(|(u, mut v)| {
                v.iter().for_each(|&i| uid[i] = u as u32);
                // stable: equal times keep source order
                v.sort_by_key(|&i| events[i].time);
                v
            })
            .collect();
        Data {
            events,
            props,
            uid,
            users,
        }
    }

    fn per_user(&self) -> &[Vec<usize>] {
        &self.users
    }

    fn has_event(&self, name: &str) -> bool {
        self.events.iter().any(|e| e.event == name)
    }

    fn data_end(&self) -> i64 {
        self.events.iter().map(|e| e.time).max().unwrap()
    }

    fn data_start(&self) -> i64 {
        self.events.iter().map(|e| e.time).min().unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Calendar, the slow and obvious way

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_len(y: i64, m: u32) -> i64 {
    [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m as usize - 1]
}

/// Day numbers (since 1970-01-01) of every 1 January from 1900 to 2200, by adding up
/// year lengths.
fn year_starts() -> &'static [i64] {
    static STARTS: OnceLock<Vec<i64>> = OnceLock::new();
    STARTS.get_or_init(|| {
        let mut d: i64 = -(1900..1970)
            .map(|y| if leap(y) { 366 } else { 365 })
            .sum::<i64>();
        (1900..=2200)
            .map(|y| {
                let start = d;
                d += if leap(y) { 366 } else { 365 };
                start
            })
            .collect()
    })
}

/// (year, month, day) of a day number since 1970-01-01: find the year in the table, then
/// walk the months.
fn civil(d: i64) -> (i64, u32, u32) {
    let starts = year_starts();
    let i = starts.partition_point(|&s| s <= d) - 1;
    let y = 1900 + i as i64;
    let mut d = d - starts[i];
    let mut m = 1;
    while d >= month_len(y, m) {
        d -= month_len(y, m);
        m += 1;
    }
    (y, m, d as u32 + 1)
}

/// Day number of the first day of a month.
fn first_of_month(y: i64, m: u32) -> i64 {
    let mut d = 0;
    if y >= 1970 {
        for yy in 1970..y {
            d += if leap(yy) { 366 } else { 365 };
        }
    } else {
        for yy in y..1970 {
            d -= if leap(yy) { 366 } else { 365 };
        }
    }
    for mm in 1..m {
        d += month_len(y, mm);
    }
    d
}

fn rfc3339(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(DAY));
    let r = t.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        r / HOUR,
        r % HOUR / (60 * SECOND),
        r % (60 * SECOND) / SECOND,
        r % SECOND / 1000
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gran {
    Hour,
    Day,
    Week,
    Month,
}

impl Gran {
    fn json(self) -> &'static str {
        match self {
            Gran::Hour => "hour",
            Gran::Day => "day",
            Gran::Week => "week",
            Gran::Month => "month",
        }
    }
}

/// Calendar buckets at a fixed offset. Bucket keys: hours or days since the epoch (a week
/// is keyed by its first day), or months since year 0.
#[derive(Clone, Copy, Debug)]
pub struct Cal {
    pub gran: Gran,
    /// Seconds east of UTC.
    pub offset: i64,
    pub sunday: bool,
}

impl Cal {
    fn tz_json(&self) -> String {
        if self.offset == 0 {
            return "UTC".into();
        }
        let a = self.offset.abs();
        format!(
            "{}{:02}:{:02}",
            if self.offset < 0 { '-' } else { '+' },
            a / 3600,
            a % 3600 / 60
        )
    }

    fn local(&self, t: i64) -> i64 {
        t + self.offset * SECOND
    }

    fn key(&self, t: i64) -> i64 {
        let local = self.local(t);
        let day = local.div_euclid(DAY);
        match self.gran {
            Gran::Hour => local.div_euclid(HOUR),
            Gran::Day => day,
            Gran::Week => {
                // walk back to the first day of the week; day 0 (1970-01-01) was a Thursday
                let mut d = day;
                let first = if self.sunday { 3 } else { 4 }; // Sunday = 3 days after day 0; Monday = 4
                while (d - first).rem_euclid(7) != 0 {
                    d -= 1;
                }
                d
            }
            Gran::Month => {
                let (y, m, _) = civil(day);
                y * 12 + m as i64 - 1
            }
        }
    }

    /// Periods from key `a` to key `b`.
    fn index(&self, a: i64, b: i64) -> i64 {
        match self.gran {
            Gran::Week => (b - a) / 7,
            _ => b - a,
        }
    }

    fn add(&self, k: i64, n: i64) -> i64 {
        match self.gran {
            Gran::Week => k + 7 * n,
            _ => k + n,
        }
    }

    /// UTC instant at which bucket `k` starts.
    fn start(&self, k: i64) -> i64 {
        let local = match self.gran {
            Gran::Hour => k * HOUR,
            Gran::Day | Gran::Week => k * DAY,
            Gran::Month => first_of_month(k.div_euclid(12), (k.rem_euclid(12) + 1) as u32) * DAY,
        };
        local - self.offset * SECOND
    }

    fn label(&self, k: i64) -> String {
        match self.gran {
            Gran::Month => format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1),
            Gran::Hour => {
                let (y, m, d) = civil((k * HOUR).div_euclid(DAY));
                format!("{y:04}-{m:02}-{d:02} {:02}:00", k.rem_euclid(24))
            }
            _ => {
                let (y, m, d) = civil(k);
                format!("{y:04}-{m:02}-{d:02}")
            }
        }
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => close(a, b),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Funnel oracle

#[derive(Clone, Debug)]
pub struct FunnelParams {
    pub steps: Vec<&'static str>,
    /// Window in microseconds and its JSON (`None` = the default 14 days).
    pub window: (i64, Option<&'static str>),
    pub first: bool,
    pub strict: bool,
}

impl FunnelParams {
    fn json(&self) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!(r#"{{"event":"{s}"}}"#))
            .collect();
        let mut j = format!(r#"{{"analysis":"funnel","steps":[{}]"#, steps.join(","));
        if let Some(w) = self.window.1 {
            j.push_str(&format!(r#","window":{w}"#));
        }
        j.push_str(if self.first {
            r#","entry":"first""#
        } else {
            r#","entry":"every""#
        });
        j.push_str(if self.strict {
            r#","ties":"strictly_later""#
        } else {
            ""
        });
        j.push('}');
        j
    }
}

/// Users per step and the conversion gaps (seconds) per step.
struct FunnelExpected {
    users: Vec<u64>,
    gaps: Vec<Vec<f64>>,
}

/// For every allowed step-1 event (all of them, or the user's first), match the steps in
/// order, each at the earliest later event of its name within the window from step 1
/// (strictly later in time when `strict`). The user counts at the furthest step of any
/// attempt; the conversion times are those of the attempt that reached that step first
/// (by event order), the latest-starting one among those.
fn funnel_oracle(d: &Data, p: &FunnelParams) -> FunnelExpected {
    let n = p.steps.len();
    let mut out = FunnelExpected {
        users: vec![0; n],
        gaps: vec![Vec::new(); n],
    };
    for idx in d.per_user() {
        let ev: Vec<&str> = idx.iter().map(|&i| d.events[i].event.as_str()).collect();
        let t: Vec<i64> = idx.iter().map(|&i| d.events[i].time).collect();
        let mut starts: Vec<usize> = (0..ev.len()).filter(|&i| ev[i] == p.steps[0]).collect();
        if p.first {
            starts.truncate(1);
        }
        // (furthest step, completing position, start time, chain)
        let mut best: Option<(usize, usize, i64, Vec<usize>)> = None;
        for &s in &starts {
            let mut chain = vec![s];
            for k in 1..n {
                let prev = *chain.last().unwrap();
                let next = (prev + 1..ev.len()).find(|&j| {
                    ev[j] == p.steps[k]
                        && t[j] - t[s] <= p.window.0
                        && (!p.strict || t[j] > t[prev])
                });
                match next {
                    Some(j) => chain.push(j),
                    None => break,
                }
            }
            let (reached, done) = (chain.len() - 1, *chain.last().unwrap());
            let better = match &best {
                None => true,
                Some((r, c, st, _)) => {
                    reached > *r || (reached == *r && (done < *c || (done == *c && t[s] > *st)))
                }
            };
            if better {
                best = Some((reached, done, t[s], chain));
            }
        }
        if let Some((reached, _, _, chain)) = best {
            for k in 0..=reached {
                out.users[k] += 1;
                if k > 0 {
                    out.gaps[k].push((t[chain[k]] - t[chain[k - 1]]) as f64 / SECOND as f64);
                }
            }
        }
    }
    out
}

fn check_funnel(what: &str, d: &Data, store: &EventStore, p: &FunnelParams) {
    let json = p.json();
    // a step whose event never occurs counts 0 and is reported as a warning
    let missing: Vec<String> = p
        .steps
        .iter()
        .filter(|s| !d.has_event(s))
        .map(|s| s.to_string())
        .collect();
    let warned: Vec<String> = try_output(store, &json)
        .unwrap_or_else(|e| panic!("{what} {json}: {e}"))
        .warnings
        .into_iter()
        .filter(|w| w.code == "event_not_found")
        .map(|w| w.value)
        .collect();
    assert_eq!(warned, missing, "{what} {json}: warnings");
    let r: FunnelResult = match try_run(store, &json) {
        Ok(AnalysisResult::Funnel(r)) => r,
        other => panic!("{what} {json}: {other:?}"),
    };
    let e = funnel_oracle(d, p);
    let got: Vec<u64> = r.steps.iter().map(|s| s.users).collect();
    assert_eq!(got, e.users, "{what} {json}: users per step");
    assert_eq!(r.window_seconds, p.window.0 / SECOND, "{what} {json}");
    for (k, s) in r.steps.iter().enumerate() {
        assert_eq!(s.event, p.steps[k], "{what} {json}");
        let u0 = e.users[0] as f64;
        let conv = if e.users[0] == 0 {
            0.0
        } else {
            e.users[k] as f64 / u0
        };
        let prev = if k == 0 { e.users[0] } else { e.users[k - 1] };
        let step_conv = if k == 0 {
            1.0
        } else if prev == 0 {
            0.0
        } else {
            e.users[k] as f64 / prev as f64
        };
        assert!(
            close(s.conversion, conv),
            "{what} {json}: conversion of step {k}: {} vs {conv}",
            s.conversion
        );
        assert!(
            close(s.step_conversion, step_conv),
            "{what} {json}: step conversion {k}"
        );
        assert_eq!(
            s.dropped,
            prev - e.users[k],
            "{what} {json}: dropped at step {k}"
        );
        let gaps = &e.gaps[k];
        let mean = (!gaps.is_empty()).then(|| gaps.iter().sum::<f64>() / gaps.len() as f64);
        assert_eq!(
            s.median_seconds,
            median(gaps.clone()),
            "{what} {json}: median of step {k}"
        );
        assert!(
            close_opt(s.mean_seconds, mean),
            "{what} {json}: mean of step {k}: {:?} vs {mean:?}",
            s.mean_seconds
        );
    }
}

// ---------------------------------------------------------------------------------------
// Retention oracle

#[derive(Clone, Debug)]
pub struct RetentionParams {
    pub start: Option<&'static str>,
    pub ret: Option<&'static str>,
    pub cal: Cal,
    pub periods: u32,
    pub on_or_after: bool,
}

impl RetentionParams {
    fn json(&self) -> String {
        let mut j = format!(
            r#"{{"analysis":"retention","period":"{}","periods":{},"timezone":"{}","week_start":"{}","mode":"{}""#,
            self.cal.gran.json(),
            self.periods,
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
            if self.on_or_after {
                "on_or_after"
            } else {
                "on"
            }
        );
        if let Some(s) = self.start {
            j.push_str(&format!(r#","start_event":"{s}""#));
        }
        if let Some(s) = self.ret {
            j.push_str(&format!(r#","return_event":"{s}""#));
        }
        j.push('}');
        j
    }
}

struct CohortExpected {
    label: String,
    size: u64,
    retained: Vec<u64>,
    complete: Vec<bool>,
}

/// Cohort = bucket of the first start event (any event when none). Returns are return
/// events (any event when none) at or after that start event in (time, source row) order;
/// a return in period N = N buckets after the cohort's. "on": returned in N; "on or
/// after": returned in N or any later period. A cell exists when its period began by the
/// last event; it is complete when the period ended by the last event.
fn retention_oracle(d: &Data, p: &RetentionParams) -> (Vec<CohortExpected>, u64) {
    let cal = p.cal;
    let end = d.data_end();
    let last = cal.key(end);
    let mut cohorts: BTreeMap<i64, (u64, Vec<u64>)> = BTreeMap::new();
    let np = p.periods as usize + 1;
    for idx in d.per_user() {
        let evs: Vec<&Ev> = idx.iter().map(|&i| &d.events[i]).collect();
        let Some(first) = evs
            .iter()
            .position(|e| p.start.is_none_or(|s| e.event == s))
        else {
            continue;
        };
        let cohort = cal.key(evs[first].time);
        let returned: BTreeSet<i64> = evs[first..]
            .iter()
            .filter(|e| p.ret.is_none_or(|r| e.event == r))
            .map(|e| cal.index(cohort, cal.key(e.time)))
            .collect();
        let row = cohorts.entry(cohort).or_insert_with(|| (0, vec![0; np]));
        row.0 += 1;
        for n in 0..np as i64 {
            let hit = if p.on_or_after {
                returned.iter().any(|&r| r >= n)
            } else {
                returned.contains(&n)
            };
            row.1[n as usize] += u64::from(hit);
        }
    }
    let mut users = 0;
    let out = cohorts
        .into_iter()
        .map(|(k, (size, retained))| {
            users += size;
            let cells = ((cal.index(k, last) + 1) as usize).min(np);
            CohortExpected {
                label: cal.label(k),
                size,
                retained: retained[..cells].to_vec(),
                complete: (0..cells)
                    .map(|n| cal.start(cal.add(k, n as i64 + 1)) <= end)
                    .collect(),
            }
        })
        .collect();
    (out, users)
}

fn check_retention(what: &str, d: &Data, store: &EventStore, p: &RetentionParams) {
    let json = p.json();
    for e in [p.start, p.ret].into_iter().flatten() {
        if !d.has_event(e) {
            assert!(
                matches!(try_run(store, &json), Err(Error::Spec { .. })),
                "{what} {json}"
            );
            return;
        }
    }
    let r: RetentionResult = match try_run(store, &json) {
        Ok(AnalysisResult::Retention(r)) => r,
        other => panic!("{what} {json}: {other:?}"),
    };
    let (exp, users) = retention_oracle(d, p);
    assert_eq!(r.users, users, "{what} {json}: users");
    assert_eq!(r.periods, p.periods);
    assert_eq!(r.data_end, rfc3339(d.data_end()), "{what} {json}");
    let labels: Vec<&str> = r.cohorts.iter().map(|c| c.label.as_str()).collect();
    let exp_labels: Vec<&str> = exp.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, exp_labels, "{what} {json}: cohorts");
    for (c, e) in r.cohorts.iter().zip(&exp) {
        assert_eq!(c.size, e.size, "{what} {json}: size of {}", e.label);
        assert_eq!(
            c.retained, e.retained,
            "{what} {json}: retained of {}",
            e.label
        );
        assert_eq!(
            c.complete, e.complete,
            "{what} {json}: complete of {}",
            e.label
        );
        let rates: Vec<f64> = e
            .retained
            .iter()
            .map(|&x| x as f64 / e.size as f64)
            .collect();
        assert_eq!(c.rates, rates, "{what} {json}: rates of {}", e.label);
    }
    assert_eq!(r.average.len(), p.periods as usize + 1);
    for (n, a) in r.average.iter().enumerate() {
        let cells: Vec<(u64, u64)> = exp
            .iter()
            .filter(|c| c.complete.get(n) == Some(&true))
            .map(|c| (c.retained[n], c.size))
            .collect();
        let (sr, ss): (u64, u64) = cells.iter().fold((0, 0), |(a, b), &(r, s)| (a + r, b + s));
        let weighted = (ss > 0).then(|| sr as f64 / ss as f64);
        let simple = (!cells.is_empty()).then(|| {
            cells.iter().map(|&(r, s)| r as f64 / s as f64).sum::<f64>() / cells.len() as f64
        });
        assert_eq!(a.period as usize, n);
        assert_eq!(
            a.cohorts as usize,
            cells.len(),
            "{what} {json}: complete cohorts of period {n}"
        );
        assert!(
            close_opt(a.weighted, weighted),
            "{what} {json}: weighted average of {n}"
        );
        assert!(
            close_opt(a.simple, simple),
            "{what} {json}: simple average of {n}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Segmentation oracle

#[derive(Clone, Debug)]
pub struct SegmentationParams {
    pub events: Vec<&'static str>,
    pub breakdown: Option<&'static str>,
    pub limit: usize,
    pub by_users: bool,
    pub cal: Cal,
}

impl SegmentationParams {
    fn json(&self) -> String {
        let events: Vec<String> = self.events.iter().map(|e| format!("\"{e}\"")).collect();
        let mut j = format!(
            r#"{{"analysis":"segmentation","events":[{}],"measure":"{}","interval":"{}","timezone":"{}","week_start":"{}""#,
            events.join(","),
            if self.by_users { "users" } else { "events" },
            self.cal.gran.json(),
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
        );
        if let Some(b) = self.breakdown {
            j.push_str(&format!(
                r#","breakdown":{{"properties":["{b}"],"limit":{}}}"#,
                self.limit
            ));
        }
        j.push('}');
        j
    }
}

/// Events and users per bucket of one series; users (dense ids) are listed with
/// repetitions and counted after sorting and removing duplicates.
struct Tally {
    events: Vec<u64>,
    users: Vec<Vec<u32>>,
    total_users: Vec<u32>,
}

impl Tally {
    fn new(nb: usize) -> Tally {
        Tally {
            events: vec![0; nb],
            users: vec![Vec::new(); nb],
            total_users: Vec::new(),
        }
    }

    fn add(&mut self, bucket: usize, user: u32) {
        self.events[bucket] += 1;
        self.users[bucket].push(user);
        self.total_users.push(user);
    }

    fn series(&self, label: &str) -> Series {
        let distinct = |v: &Vec<u32>| {
            let mut v = v.clone();
            v.sort_unstable();
            v.dedup();
            v.len() as u64
        };
        Series {
            label: label.to_string(),
            events: self.events.clone(),
            users: self.users.iter().map(distinct).collect(),
            total_events: self.events.iter().sum(),
            total_users: distinct(&self.total_users),
        }
    }
}

/// Buckets from the first to the last event of the data. Without a breakdown: one series
/// per chosen event (an event counts in the first series of its name), or one series of all
/// events. With one: values ranked by events (or distinct users) over the chosen events,
/// ties by label; the top `limit` (0 = all), then "(other)", then "(none)".
fn segmentation_oracle(
    d: &Data,
    p: &SegmentationParams,
) -> (Vec<String>, Vec<String>, Vec<Series>, Series) {
    let cal = p.cal;
    let first = cal.key(d.data_start());
    let nb = cal.index(first, cal.key(d.data_end())) as usize + 1;
    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    // (event, bucket, user id) of every chosen event
    let chosen: Vec<(&Ev, usize, u32)> = d
        .events
        .iter()
        .zip(&d.uid)
        .filter(|(e, _)| p.events.is_empty() || p.events.contains(&e.event.as_str()))
        .map(|(e, &u)| (e, cal.index(first, cal.key(e.time)) as usize, u))
        .collect();
    let mut total = Tally::new(nb);
    for &(_, b, u) in &chosen {
        total.add(b, u);
    }
    let mut series = Vec::new();
    match p.breakdown {
        None => {
            let labels: Vec<&str> = if p.events.is_empty() {
                vec!["(all events)"]
            } else {
                p.events.clone()
            };
            let mut tallies: Vec<Tally> = labels.iter().map(|_| Tally::new(nb)).collect();
            for &(e, b, u) in &chosen {
                let s = if p.events.is_empty() {
                    0
                } else {
                    p.events.iter().position(|x| *x == e.event).unwrap()
                };
                tallies[s].add(b, u);
            }
            for (t, l) in tallies.iter().zip(labels) {
                series.push(t.series(l));
            }
        }
        Some(prop) => {
            let pi = d.props.iter().position(|x| x == prop).unwrap();
            let mut per_value: BTreeMap<&str, (u64, HashSet<u32>)> = BTreeMap::new();
            for &(e, _, u) in &chosen {
                if !e.props[pi].is_empty() {
                    let v = per_value.entry(&e.props[pi]).or_default();
                    v.0 += 1;
                    v.1.insert(u);
                }
            }
            let mut ranked: Vec<(&str, u64)> = per_value
                .iter()
                .map(|(k, (ev, us))| (*k, if p.by_users { us.len() as u64 } else { *ev }))
                .collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let keep = if p.limit == 0 {
                ranked.len()
            } else {
                p.limit.min(ranked.len())
            };
            let kept: Vec<&str> = ranked[..keep].iter().map(|x| x.0).collect();
            let mut tallies: HashMap<&str, Tally> = HashMap::default();
            for &(e, b, u) in &chosen {
                let v = e.props[pi].as_str();
                let label = if v.is_empty() {
                    "(none)"
                } else if kept.contains(&v) {
                    v
                } else {
                    "(other)"
                };
                tallies
                    .entry(label)
                    .or_insert_with(|| Tally::new(nb))
                    .add(b, u);
            }
            let mut order: Vec<&str> = kept.clone();
            order.extend(
                ["(other)", "(none)"]
                    .into_iter()
                    .filter(|l| tallies.contains_key(l)),
            );
            for l in order {
                series.push(tallies[l].series(l));
            }
        }
    }
    (
        keys.iter().map(|&k| cal.label(k)).collect(),
        keys.iter().map(|&k| rfc3339(cal.start(k))).collect(),
        series,
        total.series("(total)"),
    )
}

fn check_segmentation(what: &str, d: &Data, store: &EventStore, p: &SegmentationParams) {
    let json = p.json();
    if p.events.iter().any(|e| !d.has_event(e)) {
        assert!(
            matches!(try_run(store, &json), Err(Error::Spec { .. })),
            "{what} {json}"
        );
        return;
    }
    let r: SegmentationResult = match try_run(store, &json) {
        Ok(AnalysisResult::Segmentation(r)) => r,
        other => panic!("{what} {json}: {other:?}"),
    };
    let (buckets, starts, series, total) = segmentation_oracle(d, p);
    assert_eq!(r.buckets, buckets, "{what} {json}: buckets");
    assert_eq!(r.bucket_starts, starts, "{what} {json}: bucket starts");
    let labels: Vec<&str> = r.series.iter().map(|s| s.label.as_str()).collect();
    let exp_labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, exp_labels, "{what} {json}: series");
    for (a, e) in r.series.iter().zip(&series) {
        assert_eq!(a.events, e.events, "{what} {json}: events of {}", e.label);
        assert_eq!(a.users, e.users, "{what} {json}: users of {}", e.label);
        assert_eq!(
            a.total_events, e.total_events,
            "{what} {json}: total events of {}",
            e.label
        );
        assert_eq!(
            a.total_users, e.total_users,
            "{what} {json}: total users of {}",
            e.label
        );
    }
    assert_eq!(r.total.events, total.events, "{what} {json}: total events");
    assert_eq!(r.total.users, total.users, "{what} {json}: total users");
    assert_eq!(r.total.total_events, total.total_events, "{what} {json}");
    assert_eq!(r.total.total_users, total.total_users, "{what} {json}");
    assert_eq!(r.breakdown.as_deref(), p.breakdown);
}

// ---------------------------------------------------------------------------------------
// Datasets

/// The sample dataset (3,000 users) as raw events and as the engine's store.
fn sample_data() -> &'static (Data, EventStore) {
    static DATA: OnceLock<(Data, EventStore)> = OnceLock::new();
    DATA.get_or_init(|| {
        let opts = SampleOptions {
            users: 3000,
            ..Default::default()
        };
        let mut events = Vec::new();
        sample::generate(&opts, |e| {
            events.push(Ev {
                user: e.user.to_string(),
                event: e.event.to_string(),
                time: e.time,
                props: vec![e.platform.into(), e.country.into(), e.channel.into()],
            })
        });
        let store = sample::dataset(&opts).store;
        assert_eq!(store.len(), events.len());
        let props = ["platform", "country", "channel"]
            .map(String::from)
            .to_vec();
        (Data::new(events, props), store)
    })
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// 2024-03-01T00:00:00Z.
const BASE: i64 = 19_783 * DAY;

/// A small dataset with many equal timestamps, in random source order, written as CSV and
/// loaded through the ingest path. Returns the raw events and the store.
fn random_data(seed: u64) -> (Data, EventStore) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(6);
    let n = 5 + rng.below(56);
    // grid step and number of grid points: ties everywhere; spans of hours to ~4 months
    let (step, points) = rng.pick(&[
        (HOUR, 30),
        (HOUR, 72),
        (6 * HOUR, 40),
        (DAY, 20),
        (DAY, 120),
        (30 * 60 * SECOND, 8),
    ]);
    let names = ["a", "a", "a", "b", "b", "c", "d"];
    let pvals = ["x", "y", "z", "", "w"];
    let nvals = ["1", "2", "3", "", "10"];
    let mut events = Vec::new();
    for _ in 0..n {
        events.push(Ev {
            user: format!("u{}", rng.below(users)),
            event: rng.pick(&names).to_string(),
            time: BASE + rng.below(points) as i64 * step,
            props: vec![rng.pick(&pvals).to_string(), rng.pick(&nvals).to_string()],
        });
    }
    let mut text = String::from("user_id,event,timestamp,p,n\n");
    for e in &events {
        // both epoch seconds and RFC 3339 spellings of the same instants
        let ts = if rng.below(2) == 0 {
            (e.time / SECOND).to_string()
        } else {
            rfc3339(e.time)
        };
        text.push_str(&format!(
            "{},{},{},{},{}\n",
            e.user, e.event, ts, e.props[0], e.props[1]
        ));
    }
    let d = load(&text);
    assert_eq!(d.report.imported, n, "seed {seed}");
    (Data::new(events, vec!["p".into(), "n".into()]), d.store)
}

// ---------------------------------------------------------------------------------------
// Spec grids

const WINDOWS: [(i64, Option<&str>); 6] = [
    (HOUR, Some(r#"{"value":1,"unit":"hour"}"#)),
    (6 * HOUR, Some(r#"{"value":360,"unit":"minute"}"#)),
    (DAY, Some(r#"{"value":1,"unit":"day"}"#)),
    (2 * DAY, Some(r#"{"value":172800,"unit":"second"}"#)),
    (14 * DAY, None),
    (21 * DAY, Some(r#"{"value":3,"unit":"week"}"#)),
];

fn funnel_grid(
    step_lists: &[&[&'static str]],
    windows: &[(i64, Option<&'static str>)],
) -> Vec<FunnelParams> {
    let mut v = Vec::new();
    for steps in step_lists {
        for &window in windows {
            for first in [false, true] {
                for strict in [false, true] {
                    v.push(FunnelParams {
                        steps: steps.to_vec(),
                        window,
                        first,
                        strict,
                    });
                }
            }
        }
    }
    v
}

const UTC: i64 = 0;
const CN: i64 = 8 * 3600;
const NY: i64 = -5 * 3600;
const IN: i64 = 5 * 3600 + 1800;

fn cal(gran: Gran, offset: i64) -> Cal {
    Cal {
        gran,
        offset,
        sunday: false,
    }
}

// ---------------------------------------------------------------------------------------
// Tests

#[test]
fn calendar_oracle_sanity() {
    // the oracle's own calendar against dates known by heart
    assert_eq!(civil(0), (1970, 1, 1));
    assert_eq!(civil(19_783), (2024, 3, 1));
    assert_eq!(civil(19_782), (2024, 2, 29));
    assert_eq!(first_of_month(2024, 3), 19_783);
    assert_eq!(rfc3339(BASE + 9 * HOUR + 1500), "2024-03-01T09:00:00.001Z");
    let week = cal(Gran::Week, UTC);
    // Fri 2024-03-01 is in the ISO week of Mon 2024-02-26
    assert_eq!(week.label(week.key(BASE)), "2024-02-26");
    let sunday = Cal {
        sunday: true,
        ..week
    };
    assert_eq!(sunday.label(sunday.key(BASE)), "2024-02-25");
    let month = cal(Gran::Month, CN);
    assert_eq!(month.label(month.key(BASE - HOUR)), "2024-03"); // 07:00 local
    assert_eq!(
        rfc3339(month.start(month.key(BASE))),
        "2024-02-29T16:00:00.000Z"
    );
}

#[test]
fn funnel_matches_oracle_on_sample() {
    let (d, store) = sample_data();
    let lists: &[&[&'static str]] = &[
        &[
            "app_open",
            "signup",
            "view_item",
            "add_to_cart",
            "begin_checkout",
            "purchase",
        ],
        &["signup", "view_item", "add_to_cart", "purchase"],
        &["view_item", "add_to_cart", "purchase"],
        &["view_home", "view_item", "view_item", "add_to_cart"],
        &["search", "view_item", "search", "view_item"],
        &["purchase", "app_open", "purchase"],
    ];
    let windows = [
        WINDOWS[0],
        WINDOWS[2],
        WINDOWS[4],
        (60 * SECOND, Some(r#"{"value":60,"unit":"second"}"#)),
    ];
    for p in funnel_grid(lists, &windows) {
        check_funnel("sample", d, store, &p);
    }
}

#[test]
fn funnel_matches_oracle_on_random_tie_heavy_data() {
    let lists: &[&[&'static str]] = &[
        &["a", "b"],
        &["a", "b", "c"],
        &["a", "a"],
        &["a", "b", "a"],
        &["b", "a", "c", "d"],
        &["a", "b", "b"],
        &["c", "a"],
        &["a", "a", "a", "b"],
    ];
    let grid = funnel_grid(lists, &WINDOWS);
    for seed in 0..150u64 {
        let (d, store) = random_data(seed);
        for p in &grid {
            check_funnel(&format!("seed {seed}"), &d, &store, p);
        }
    }
}

fn retention_grid(
    starts: &[Option<&'static str>],
    rets: &[Option<&'static str>],
    cals: &[Cal],
    covering: impl Fn(Gran) -> u32,
) -> Vec<RetentionParams> {
    let mut v = Vec::new();
    for &start in starts {
        for &ret in rets {
            for &c in cals {
                for (periods, on_or_after) in [
                    (1, false),
                    (3, false),
                    (covering(c.gran), false),
                    (covering(c.gran), true),
                ] {
                    v.push(RetentionParams {
                        start,
                        ret,
                        cal: c,
                        periods,
                        on_or_after,
                    });
                }
            }
        }
    }
    v
}

#[test]
fn retention_matches_oracle_on_sample() {
    let (d, store) = sample_data();
    // the sample spans 90 days: 100 days / 14 weeks / 4 months cover every return
    let covering = |g| match g {
        Gran::Day => 100,
        Gran::Week => 14,
        Gran::Month => 4,
        Gran::Hour => 400,
    };
    let cals = [
        cal(Gran::Day, UTC),
        cal(Gran::Day, CN),
        Cal {
            sunday: true,
            ..cal(Gran::Week, NY)
        },
        cal(Gran::Month, UTC),
    ];
    let grid = retention_grid(
        &[None, Some("signup"), Some("purchase")],
        &[None, Some("purchase"), Some("app_open")],
        &cals,
        covering,
    );
    for p in &grid {
        check_retention("sample", d, store, p);
    }
    // the default 30-day "on" table
    check_retention(
        "sample",
        d,
        store,
        &RetentionParams {
            start: None,
            ret: None,
            cal: cal(Gran::Day, UTC),
            periods: 30,
            on_or_after: false,
        },
    );
}

#[test]
fn retention_matches_oracle_on_random_tie_heavy_data() {
    // random data spans at most 120 days
    let covering = |g| match g {
        Gran::Day => 130,
        Gran::Week => 20,
        Gran::Month => 6,
        Gran::Hour => 400,
    };
    let cals = [
        cal(Gran::Day, UTC),
        cal(Gran::Day, IN),
        cal(Gran::Week, CN),
        Cal {
            sunday: true,
            ..cal(Gran::Week, UTC)
        },
        cal(Gran::Month, NY),
    ];
    let grid = retention_grid(
        &[None, Some("a"), Some("c")],
        &[None, Some("b"), Some("a")],
        &cals,
        covering,
    );
    for seed in 1000..1100u64 {
        let (d, store) = random_data(seed);
        for p in &grid {
            check_retention(&format!("seed {seed}"), &d, &store, p);
        }
        // hourly tables on the short datasets (≤ 400 hours of data)
        if d.data_end() - d.data_start() < 390 * HOUR {
            for on_or_after in [false, true] {
                let p = RetentionParams {
                    start: Some("a"),
                    ret: None,
                    cal: cal(Gran::Hour, IN),
                    periods: 400,
                    on_or_after,
                };
                check_retention(&format!("seed {seed}"), &d, &store, &p);
            }
        }
    }
}

/// Unbounded ("on or after") retention must not depend on how many columns are shown:
/// a user who returned in period 5 returned "in period 1 or any later one" whether the
/// table shows 3 periods or 30.
#[test]
fn retention_on_or_after_with_short_tables_matches_oracle() {
    let (d, store) = sample_data();
    for periods in [1, 3, 7] {
        for c in [cal(Gran::Day, UTC), cal(Gran::Week, UTC)] {
            let p = RetentionParams {
                start: None,
                ret: None,
                cal: c,
                periods,
                on_or_after: true,
            };
            check_retention("sample", d, store, &p);
        }
    }
}

fn segmentation_grid(
    event_lists: &[&[&'static str]],
    breakdowns: &[Option<&'static str>],
    cals: &[Cal],
    limits: &[usize],
) -> Vec<SegmentationParams> {
    let mut v = Vec::new();
    for events in event_lists {
        for &breakdown in breakdowns {
            for &c in cals {
                // the measure only matters for ranking breakdown values
                let measures: &[bool] = if breakdown.is_some() {
                    &[false, true]
                } else {
                    &[false]
                };
                let limits: &[usize] = if breakdown.is_some() { limits } else { &[10] };
                for &by_users in measures {
                    for &limit in limits {
                        v.push(SegmentationParams {
                            events: events.to_vec(),
                            breakdown,
                            limit,
                            by_users,
                            cal: c,
                        });
                    }
                }
            }
        }
    }
    v
}

#[test]
fn segmentation_matches_oracle_on_sample() {
    let (d, store) = sample_data();
    let grid = segmentation_grid(
        &[
            &[],
            &["view_item"],
            &["purchase", "add_to_cart"],
            &["signup", "signup", "app_open"],
        ],
        &[None, Some("country"), Some("channel")],
        &[
            cal(Gran::Day, NY),
            Cal {
                sunday: true,
                ..cal(Gran::Week, CN)
            },
            cal(Gran::Month, UTC),
        ],
        &[0, 3],
    );
    for p in &grid {
        check_segmentation("sample", d, store, p);
    }
}

#[test]
fn segmentation_matches_oracle_on_random_tie_heavy_data() {
    let grid = segmentation_grid(
        &[&[], &["a"], &["b", "a"], &["a", "c", "a"]],
        &[None, Some("p"), Some("n")],
        &[
            cal(Gran::Hour, UTC),
            cal(Gran::Day, CN),
            cal(Gran::Week, IN),
            Cal {
                sunday: true,
                ..cal(Gran::Week, NY)
            },
            cal(Gran::Month, UTC),
        ],
        &[0, 1, 3],
    );
    for seed in 2000..2030u64 {
        let (d, store) = random_data(seed);
        for p in &grid {
            check_segmentation(&format!("seed {seed}"), &d, &store, p);
        }
    }
}
