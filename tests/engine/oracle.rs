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
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use rustc_hash::FxHashSet as HashSet;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub(crate) const SECOND: i64 = 1_000_000;
pub(crate) const HOUR: i64 = 3600 * SECOND;
pub(crate) const DAY: i64 = 24 * HOUR;

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
    /// Each user's events as indices into `events`, sorted by (time, source row).
    users: Vec<Vec<usize>>,
}

impl Data {
    fn new(events: Vec<Ev>, props: Vec<String>) -> Data {
        let mut map: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            map.entry(&e.user).or_default().push(i);
        }
        let users = map
            .into_values()
            .map(|mut v| {
                // stable: equal times keep source order
                v.sort_by_key(|&i| events[i].time);
                v
            })
            .collect();
        Data {
            events,
            props,
            users,
        }
    }

    pub(crate) fn per_user(&self) -> &[Vec<usize>] {
        &self.users
    }

    pub(crate) fn has_event(&self, name: &str) -> bool {
        self.events.iter().any(|e| e.event == name)
    }

    pub(crate) fn data_end(&self) -> i64 {
        self.events.iter().map(|e| e.time).max().unwrap()
    }

    pub(crate) fn data_start(&self) -> i64 {
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

pub(crate) fn rfc3339(t: i64) -> String {
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
    pub(crate) fn json(self) -> &'static str {
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
    pub(crate) fn tz_json(&self) -> String {
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

    pub(crate) fn key(&self, t: i64) -> i64 {
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
    pub(crate) fn index(&self, a: i64, b: i64) -> i64 {
        match self.gran {
            Gran::Week => (b - a) / 7,
            _ => b - a,
        }
    }

    pub(crate) fn add(&self, k: i64, n: i64) -> i64 {
        match self.gran {
            Gran::Week => k + 7 * n,
            _ => k + n,
        }
    }

    /// UTC instant at which bucket `k` starts.
    pub(crate) fn start(&self, k: i64) -> i64 {
        let local = match self.gran {
            Gran::Hour => k * HOUR,
            Gran::Day | Gran::Week => k * DAY,
            Gran::Month => first_of_month(k.div_euclid(12), (k.rem_euclid(12) + 1) as u32) * DAY,
        };
        local - self.offset * SECOND
    }

    pub(crate) fn label(&self, k: i64) -> String {
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

pub(crate) fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => close(a, b),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Funnel oracle
//
// Written from the definitions in `src/engine/analysis/funnel.rs` (and features.md §2.1),
// not from the state machine: every step-1 event is an attempt of its own; an attempt
// reaches step k when some sequence of k distinct events obeys the order, tie and strict
// rules inside the window (found by exploring every sequence); it reached step k "at" the
// earliest such event. In any order, the steps done are the largest set of steps distinct
// events can complete (Hall's condition, checked on every subset). Exclusions, the
// counted attempt, attribution, totals and the conversion-over-time series are then read
// off those attempts.

/// Step order of an oracle funnel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FOrder {
    Ordered,
    Strict,
    Any,
}

/// Tie rule of an oracle funnel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FTies {
    Source,
    Later,
    StepOrder,
}

/// Breakdown attribution of an oracle funnel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attr {
    First,
    Last,
    All,
    Step(usize),
}

/// An event name (`None`: any event) with an optional condition on a string property:
/// `(property, equal?, value)`, i.e. `eq` or `neq`.
#[derive(Clone, Copy, Debug)]
pub struct Pred {
    pub event: Option<&'static str>,
    pub cond: Option<(&'static str, bool, &'static str)>,
}

impl Pred {
    pub fn ev(name: &'static str) -> Pred {
        Pred {
            event: Some(name),
            cond: None,
        }
    }

    fn label(&self) -> String {
        self.event.unwrap_or("(any event)").to_string()
    }

    fn json(&self) -> String {
        let mut j = String::from("{");
        if let Some(e) = self.event {
            j.push_str(&format!(r#""event":"{e}""#));
        }
        if let Some(c) = self.cond {
            if self.event.is_some() {
                j.push(',');
            }
            j.push_str(&format!(r#""filters":[{}]"#, cond_json(c)));
        }
        j.push('}');
        j
    }

    fn matches(&self, d: &Data, e: &Ev) -> bool {
        self.event.is_none_or(|n| e.event == n) && self.cond.is_none_or(|c| cond_holds(d, e, c))
    }
}

fn cond_json((prop, eq, value): (&str, bool, &str)) -> String {
    format!(
        r#"{{"property":"{prop}","op":"{}","value":"{value}"}}"#,
        if eq { "eq" } else { "neq" }
    )
}

/// `eq` holds on an equal value; `neq` on a different value or no value.
fn cond_holds(d: &Data, e: &Ev, (prop, eq, value): (&str, bool, &str)) -> bool {
    let k = d.props.iter().position(|p| p == prop).unwrap();
    (e.props[k] == value) == eq
}

/// An exclusion: event, from step, to step (1-based; `None` = the last step).
#[derive(Clone, Copy, Debug)]
pub struct Excl {
    pub pred: Pred,
    pub from: usize,
    pub to: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct FunnelParams {
    pub steps: Vec<Pred>,
    /// Window in microseconds and its JSON (`None` = the default 14 days).
    pub window: (i64, Option<&'static str>),
    /// `entry: "first"`.
    pub first: bool,
    pub ties: FTies,
    pub order: FOrder,
    pub exclusions: Vec<Excl>,
    /// `counting: "totals"`.
    pub totals: bool,
    /// Breakdown property, attribution and limit.
    pub breakdown: Option<(&'static str, Attr, usize)>,
    /// Date range as inclusive instants, either end open.
    pub range: Option<(Option<i64>, Option<i64>)>,
    /// `range: "all_steps"`.
    pub all_steps: bool,
    /// One shared filter.
    pub filter: Option<(&'static str, bool, &'static str)>,
}

impl FunnelParams {
    pub fn new(steps: &[&'static str], window: (i64, Option<&'static str>)) -> FunnelParams {
        FunnelParams {
            steps: steps.iter().map(|&s| Pred::ev(s)).collect(),
            window,
            first: false,
            ties: FTies::Source,
            order: FOrder::Ordered,
            exclusions: Vec::new(),
            totals: false,
            breakdown: None,
            range: None,
            all_steps: false,
            filter: None,
        }
    }

    fn json(&self) -> String {
        let steps: Vec<String> = self.steps.iter().map(Pred::json).collect();
        let mut j = format!(r#"{{"analysis":"funnel","steps":[{}]"#, steps.join(","));
        if let Some(w) = self.window.1 {
            j.push_str(&format!(r#","window":{w}"#));
        }
        j.push_str(if self.first {
            r#","entry":"first""#
        } else {
            r#","entry":"every""#
        });
        j.push_str(match self.ties {
            FTies::Source => "",
            FTies::Later => r#","ties":"strictly_later""#,
            FTies::StepOrder => r#","ties":"step_order""#,
        });
        j.push_str(match self.order {
            FOrder::Ordered => "",
            FOrder::Strict => r#","order":"strict""#,
            FOrder::Any => r#","order":"any""#,
        });
        if !self.exclusions.is_empty() {
            let x: Vec<String> = self
                .exclusions
                .iter()
                .map(|x| {
                    let mut s = format!(r#"{{"event":"{}""#, x.pred.event.unwrap());
                    if let Some(c) = x.pred.cond {
                        s.push_str(&format!(r#","filters":[{}]"#, cond_json(c)));
                    }
                    s.push_str(&format!(r#","from_step":{}"#, x.from));
                    if let Some(t) = x.to {
                        s.push_str(&format!(r#","to_step":{t}"#));
                    }
                    s.push('}');
                    s
                })
                .collect();
            j.push_str(&format!(r#","exclusions":[{}]"#, x.join(",")));
        }
        if self.totals {
            j.push_str(r#","counting":"totals""#);
        }
        if let Some((prop, attr, limit)) = self.breakdown {
            j.push_str(&format!(
                r#","breakdown":{{"properties":["{prop}"],"limit":{limit}}}"#
            ));
            j.push_str(&match attr {
                Attr::First => String::new(),
                Attr::Last => r#","attribution":"last_touch""#.into(),
                Attr::All => r#","attribution":"all_events""#.into(),
                Attr::Step(k) => format!(r#","attribution":{{"step":{k}}}"#),
            });
        }
        if let Some((from, to)) = self.range {
            let mut parts = Vec::new();
            if let Some(f) = from {
                parts.push(format!(r#""from":"{}""#, rfc3339(f)));
            }
            if let Some(t) = to {
                parts.push(format!(r#""to":"{}""#, rfc3339(t)));
            }
            j.push_str(&format!(r#","date_range":{{{}}}"#, parts.join(",")));
        }
        if self.all_steps {
            j.push_str(r#","range":"all_steps""#);
        }
        if let Some(c) = self.filter {
            j.push_str(&format!(r#","filters":[{}]"#, cond_json(c)));
        }
        j.push('}');
        j
    }

    fn n(&self) -> usize {
        self.steps.len()
    }

    fn in_range(&self, t: i64) -> bool {
        self.range
            .is_none_or(|(f, to)| f.is_none_or(|f| t >= f) && to.is_none_or(|to| t <= to))
    }
}

/// One of a user's events as the definitions see it.
#[derive(Clone, Debug)]
struct FEv {
    t: i64,
    /// Steps the event can complete (bit k = step k + 1). In ordered and strict funnels a
    /// step-1 event completes step 1 only where the date range allows an entry.
    mask: u32,
    /// Exclusions it matches.
    excl: Vec<usize>,
    /// Breakdown value ("" = none).
    key: String,
    /// In the date range (an attempt may start here).
    entry: bool,
    /// Before the start of the date range.
    early: bool,
}

/// The user's events in (time, source row) order that the funnel looks at: those passing
/// the shared filter and, with `all_steps`, inside the date range, that match a step or
/// an exclusion (in strict order, every one: any event can break the order).
fn funnel_events(d: &Data, p: &FunnelParams, idx: &[usize]) -> Vec<FEv> {
    let prop = p
        .breakdown
        .map(|(b, _, _)| d.props.iter().position(|x| x == b).unwrap());
    let mut out = Vec::new();
    for &i in idx {
        let e = &d.events[i];
        if p.filter.is_some_and(|c| !cond_holds(d, e, c)) {
            continue;
        }
        let entry = p.in_range(e.time);
        if p.all_steps && !entry {
            continue;
        }
        let mut mask = 0u32;
        for (k, s) in p.steps.iter().enumerate() {
            if s.matches(d, e) && (k > 0 || entry || p.order == FOrder::Any) {
                mask |= 1 << k;
            }
        }
        let excl: Vec<usize> = (0..p.exclusions.len())
            .filter(|&j| p.exclusions[j].pred.matches(d, e))
            .collect();
        // only a strict funnel looks at events that match no step and no exclusion
        if mask == 0 && excl.is_empty() && p.order != FOrder::Strict {
            continue;
        }
        out.push(FEv {
            t: e.time,
            mask,
            excl,
            key: prop.map(|k| e.props[k].clone()).unwrap_or_default(),
            entry,
            early: p.range.is_some_and(|(f, _)| f.is_some_and(|f| e.time < f)),
        });
    }
    out
}

/// Per event: whether it belongs to a tie of different steps (`step_order` only: events at
/// one timestamp whose step sets are not all equal), and the last position of its
/// timestamp.
fn tie_groups(l: &[FEv], ties: FTies) -> (Vec<bool>, Vec<usize>) {
    let mut mixed = vec![false; l.len()];
    let mut last = vec![0; l.len()];
    let mut i = 0;
    while i < l.len() {
        let mut j = i;
        while j < l.len() && l[j].t == l[i].t {
            j += 1;
        }
        let m = ties == FTies::StepOrder && l[i..j].iter().any(|e| e.mask != l[i].mask);
        for k in i..j {
            mixed[k] = m;
            last[k] = j - 1;
        }
        i = j;
    }
    (mixed, last)
}

/// One attempt: the steps it reached, when (time) and where (position: the earliest
/// event at which it could reach each step; a tie of different steps counts as its last
/// position), and whether an exclusion hit it.
#[derive(Clone, Debug)]
struct OAttempt {
    start: usize,
    times: Vec<i64>,
    pos: Vec<usize>,
    excluded: bool,
    /// The first exclusion event that hit it.
    hit: usize,
}

impl OAttempt {
    fn reach(&self) -> usize {
        self.times.len()
    }
}

/// An ordered or strict attempt from `s`: explores every sequence of distinct events
/// s = p1, p2, … with p_j completing step j, at most `window` after p1, in order:
/// - source order: later in (time, row) order; strictly later: later in time;
///   step order: not earlier in time, and in row order inside a tie of equal steps;
/// - strict: nothing in between (with step order, only events inside ties of different
///   steps may lie in between).
fn ordered_attempt(l: &[FEv], p: &FunnelParams, s: usize) -> OAttempt {
    let n = p.n();
    let (mixed, glast) = tie_groups(l, p.ties);
    let adj = |q: usize| if mixed[q] { glast[q] } else { q };
    let follows = |last: usize, q: usize, used: &[usize]| -> bool {
        let (a, b) = (&l[last], &l[q]);
        let in_order = match p.ties {
            FTies::Source => q > last,
            FTies::Later => b.t > a.t,
            FTies::StepOrder => {
                b.t > a.t
                    || (b.t == a.t
                        && if mixed[q] {
                            !used.contains(&q)
                        } else {
                            q > last
                        })
            }
        };
        let unbroken = p.order != FOrder::Strict
            || match p.ties {
                FTies::Source | FTies::Later => q == last + 1,
                FTies::StepOrder => {
                    (b.t == a.t && mixed[q]) || (q > last && (last + 1..q).all(|e| mixed[e]))
                }
            };
        in_order && unbroken
    };
    let mut times = vec![i64::MAX; n];
    let mut pos = vec![usize::MAX; n];
    let mut seen: HashSet<(usize, usize, Vec<usize>)> = HashSet::default();
    let mut stack = vec![(1usize, s, vec![s])];
    while let Some((j, last, used)) = stack.pop() {
        if !seen.insert((j, last, used.clone())) {
            continue;
        }
        times[j - 1] = times[j - 1].min(l[last].t);
        pos[j - 1] = pos[j - 1].min(if j == 1 { last } else { adj(last) });
        if j == n {
            continue;
        }
        // candidates: from the first event at the time of `last` on, inside the window
        let lo = (0..=last)
            .rev()
            .take_while(|&q| l[q].t == l[last].t)
            .last()
            .unwrap();
        for q in lo..l.len() {
            if l[q].t - l[s].t > p.window.0 {
                break;
            }
            if l[q].mask & (1 << j) == 0 {
                continue;
            }
            if !follows(last, q, &used) {
                continue;
            }
            let used = if l[q].t == l[last].t && p.ties == FTies::StepOrder {
                let mut u = used.clone();
                u.push(q);
                u.sort_unstable();
                u
            } else {
                vec![q]
            };
            stack.push((j + 1, q, used));
        }
    }
    let reach = times.iter().take_while(|&&t| t != i64::MAX).count();
    times.truncate(reach);
    pos.truncate(reach);
    let mut a = OAttempt {
        start: s,
        times,
        pos,
        excluded: false,
        hit: usize::MAX,
    };
    excluded_by(l, p, &mut a, |x| p.ties == FTies::StepOrder && mixed[x]);
    a
}

/// An exclusion event x between `from` and `to` hits an attempt when it lies inside the
/// attempt's window, after the attempt reached step `from` and no later than the event
/// that reached step `to` (an event that is both is tested as an exclusion first).
fn excluded_by(l: &[FEv], p: &FunnelParams, a: &mut OAttempt, ignored: impl Fn(usize) -> bool) {
    let s = a.start;
    for (x, e) in l.iter().enumerate() {
        if e.t - l[s].t > p.window.0 || ignored(x) {
            continue;
        }
        for &j in &e.excl {
            let ex = &p.exclusions[j];
            let to = ex.to.unwrap_or(p.n());
            let after_from = a.pos.get(ex.from - 1).is_some_and(|&pf| pf < x);
            let before_to = a.pos.get(to - 1).is_none_or(|&pg| x <= pg);
            if after_from && before_to {
                a.excluded = true;
                a.hit = a.hit.min(x);
            }
        }
    }
}

/// The largest number of distinct steps that distinct events with these step sets can
/// complete (Hall: a set S of steps can be matched iff every T ⊆ S is matched by at
/// least |T| events).
fn distinct_steps(masks: &[u32], n: usize) -> usize {
    let matchable = |s: u32| {
        (1..=s)
            .filter(|t| t & s == *t)
            .all(|t| masks.iter().filter(|&&m| m & t != 0).count() >= t.count_ones() as usize)
    };
    (0u32..1 << n)
        .filter(|&s| matchable(s))
        .map(|s| s.count_ones() as usize)
        .max()
        .unwrap_or(0)
}

/// An any-order attempt from `s`: after the events from `s` up to position b (inside the
/// window) it has done as many steps as distinct events there can complete distinct
/// steps.
fn any_attempt(l: &[FEv], p: &FunnelParams, s: usize) -> OAttempt {
    let mut a = OAttempt {
        start: s,
        times: Vec::new(),
        pos: Vec::new(),
        excluded: false,
        hit: usize::MAX,
    };
    let mut masks = Vec::new();
    for b in s..l.len() {
        if l[b].t - l[s].t > p.window.0 {
            break;
        }
        masks.push(l[b].mask);
        if distinct_steps(&masks, p.n()) > a.reach() {
            a.times.push(l[b].t);
            a.pos.push(b);
        }
    }
    excluded_by(l, p, &mut a, |_| false);
    a
}

/// The attempts of one user's events: every allowed entry, or the first one.
fn oracle_attempts(l: &[FEv], p: &FunnelParams, first: bool) -> Vec<OAttempt> {
    let mut entries: Vec<usize> = (0..l.len())
        .filter(|&i| match p.order {
            FOrder::Any => l[i].mask != 0 && l[i].entry,
            _ => l[i].mask & 1 != 0,
        })
        .collect();
    if first {
        entries.truncate(1);
    }
    entries
        .into_iter()
        .map(|s| match p.order {
            FOrder::Any => any_attempt(l, p, s),
            _ => ordered_attempt(l, p, s),
        })
        .collect()
}

/// What a counted attempt adds: steps reached, their times, excluded.
#[derive(Clone, Debug)]
struct OOutcome {
    times: Vec<i64>,
    excluded: bool,
}

/// The counted outcomes of one user's events. Users: the furthest step of any attempt;
/// the first attempt that reached it without being excluded counts (ordered: the one that
/// reached it at the earliest event, then the latest start, then the first; any order:
/// the earliest entry); when every attempt that reached it is excluded the user is
/// removed. Totals: one attempt after another, each from the first entry after the end of
/// the previous one (its exclusion, its last step, or its window).
fn oracle_outcomes(l: &[FEv], p: &FunnelParams) -> Vec<OOutcome> {
    let n = p.n();
    if !p.totals {
        let atts = oracle_attempts(l, p, p.first);
        let Some(k) = atts.iter().map(OAttempt::reach).max() else {
            return Vec::new();
        };
        let order = |a: &&OAttempt| match p.order {
            FOrder::Any => (0, 0, a.start),
            _ => (a.pos[k - 1], i64::MAX - l[a.start].t, a.start),
        };
        let at_k = atts.iter().filter(|a| a.reach() == k);
        let counted = at_k.clone().filter(|a| !a.excluded).min_by_key(order);
        return vec![match counted {
            Some(a) => OOutcome {
                times: a.times.clone(),
                excluded: false,
            },
            None => OOutcome {
                times: at_k.min_by_key(order).unwrap().times.clone(),
                excluded: true,
            },
        }];
    }
    let mut out = Vec::new();
    let mut from = 0;
    while from < l.len() {
        let sub = &l[from..];
        let Some(a) = oracle_attempts(sub, p, true).pop() else {
            break;
        };
        let s = a.start;
        let end = if a.excluded {
            a.hit + 1
        } else if a.reach() == n {
            a.pos[n - 1] + 1
        } else {
            (0..sub.len())
                .find(|&b| sub[b].t > sub[s].t + p.window.0)
                .unwrap_or(sub.len())
                .max(s + 1)
        };
        out.push(OOutcome {
            times: a.times,
            excluded: a.excluded,
        });
        from += end;
    }
    out
}

/// Users (or attempts) per step and the seconds from the previous step.
#[derive(Clone, Debug)]
struct OAgg {
    users: Vec<u64>,
    gaps: Vec<Vec<f64>>,
}

impl OAgg {
    fn new(n: usize) -> OAgg {
        OAgg {
            users: vec![0; n],
            gaps: vec![Vec::new(); n],
        }
    }

    fn add(&mut self, o: &OOutcome) {
        for k in 0..o.times.len() {
            self.users[k] += 1;
            if k > 0 {
                self.gaps[k].push((o.times[k] - o.times[k - 1]) as f64 / SECOND as f64);
            }
        }
    }

    fn merge(&mut self, o: &OAgg) {
        for k in 0..self.users.len() {
            self.users[k] += o.users[k];
            self.gaps[k].extend(&o.gaps[k]);
        }
    }
}

struct FunnelExpected {
    all: OAgg,
    excluded: u64,
    /// (label, funnel) per breakdown value in display order.
    breakdowns: Vec<(String, OAgg)>,
    /// (day label, entered, converted) from the first to the last entry day (UTC).
    over_time: Vec<(String, u64, u64)>,
}

fn funnel_oracle(d: &Data, p: &FunnelParams) -> FunnelExpected {
    let n = p.n();
    let mut all = OAgg::new(n);
    let mut excluded = 0;
    let mut by_value: BTreeMap<String, OAgg> = BTreeMap::new();
    let mut days: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    let day = cal(Gran::Day, UTC);
    for idx in d.per_user() {
        let l = funnel_events(d, p, idx);
        for o in oracle_outcomes(&l, p) {
            if o.excluded {
                excluded += 1;
                continue;
            }
            all.add(&o);
            let e = days.entry(day.key(o.times[0])).or_default();
            e.0 += 1;
            e.1 += u64::from(o.times.len() == n);
        }
        let Some((_, attr, _)) = p.breakdown else {
            continue;
        };
        // the events that can complete a step, from the start of the date range on
        let touched: Vec<&FEv> = l.iter().filter(|e| e.mask != 0 && !e.early).collect();
        let mut count = |key: &str, l: &[FEv]| {
            for o in oracle_outcomes(l, p) {
                if !o.excluded {
                    by_value
                        .entry(key.to_string())
                        .or_insert_with(|| OAgg::new(n))
                        .add(&o);
                }
            }
        };
        match attr {
            Attr::First | Attr::Last => {
                let mut keys = touched
                    .iter()
                    .map(|e| e.key.as_str())
                    .filter(|k| !k.is_empty());
                let key = if attr == Attr::First {
                    keys.next()
                } else {
                    keys.next_back()
                };
                count(key.unwrap_or(""), &l);
            }
            Attr::All => {
                let keys: BTreeSet<&str> = touched.iter().map(|e| e.key.as_str()).collect();
                for key in keys {
                    let sub: Vec<FEv> = l.iter().filter(|e| e.key == key).cloned().collect();
                    count(key, &sub);
                }
            }
            Attr::Step(k) => {
                let bit = 1u32 << (k - 1);
                let keys: BTreeSet<&str> = touched
                    .iter()
                    .filter(|e| e.mask & bit != 0 && !e.key.is_empty())
                    .map(|e| e.key.as_str())
                    .collect();
                for key in keys {
                    let sub: Vec<FEv> = l
                        .iter()
                        .map(|e| {
                            let mut e = e.clone();
                            if e.key != key {
                                e.mask &= !bit;
                            }
                            e
                        })
                        .collect();
                    count(key, &sub);
                }
            }
        }
    }
    // values by users at step 1 (then label), the top `limit`, then (other), then (none)
    let mut breakdowns = Vec::new();
    if let Some((_, _, limit)) = p.breakdown {
        let none = by_value.remove("");
        let mut ranked: Vec<(String, OAgg)> = by_value.into_iter().collect();
        ranked.sort_by(|a, b| b.1.users[0].cmp(&a.1.users[0]).then(a.0.cmp(&b.0)));
        let keep = if limit == 0 {
            ranked.len()
        } else {
            limit.min(ranked.len())
        };
        let rest = ranked.split_off(keep);
        breakdowns = ranked;
        if !rest.is_empty() {
            let mut other = OAgg::new(n);
            for (_, a) in &rest {
                other.merge(a);
            }
            breakdowns.push(("(other)".into(), other));
        }
        if let Some(a) = none {
            breakdowns.push(("(none)".into(), a));
        }
    }
    let over_time = match (days.keys().next(), days.keys().next_back()) {
        (Some(&lo), Some(&hi)) => (lo..=hi)
            .map(|k| {
                let (e, c) = days.get(&k).copied().unwrap_or_default();
                (day.label(k), e, c)
            })
            .collect(),
        _ => Vec::new(),
    };
    FunnelExpected {
        all,
        excluded,
        breakdowns,
        over_time,
    }
}

/// Bins of "nice" width (1, 2 or 5 × 10^e seconds, the smallest at least a tenth of the
/// largest value and at least 1 s) from 0 up to the bin holding the largest value.
fn oracle_bins(gaps: &[f64]) -> Vec<(f64, f64, u64)> {
    let Some(max) = gaps.iter().copied().reduce(f64::max) else {
        return Vec::new();
    };
    let need = (max / 10.0).max(1.0);
    let mut width = 0.0;
    'find: for e in 0..15 {
        for m in [1.0, 2.0, 5.0] {
            let w = m * 10f64.powi(e);
            if w >= need {
                width = w;
                break 'find;
            }
        }
    }
    let mut bins: Vec<(f64, f64, u64)> = Vec::new();
    let mut lo = 0.0;
    loop {
        bins.push((lo, lo + width, 0));
        if max < lo + width {
            break;
        }
        lo += width;
    }
    for &g in gaps {
        let b = bins.iter().position(|b| g < b.1).unwrap_or(bins.len() - 1);
        bins[b].2 += 1;
    }
    bins
}

fn check_steps(
    what: &str,
    p: &FunnelParams,
    got: &[loupe::engine::analysis::funnel::FunnelStepResult],
    e: &OAgg,
) {
    let users: Vec<u64> = got.iter().map(|s| s.users).collect();
    assert_eq!(users, e.users, "{what}: users per step");
    for (k, s) in got.iter().enumerate() {
        assert_eq!(s.event, p.steps[k].label(), "{what}");
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
            "{what}: conversion of step {k}: {} vs {conv}",
            s.conversion
        );
        assert!(
            close(s.step_conversion, step_conv),
            "{what}: step conversion {k}"
        );
        assert_eq!(s.dropped, prev - e.users[k], "{what}: dropped at step {k}");
        let gaps = &e.gaps[k];
        let mean = (!gaps.is_empty()).then(|| gaps.iter().sum::<f64>() / gaps.len() as f64);
        assert_eq!(
            s.median_seconds,
            median(gaps.clone()),
            "{what}: median of step {k}"
        );
        assert!(
            close_opt(s.mean_seconds, mean),
            "{what}: mean of step {k}: {:?} vs {mean:?}",
            s.mean_seconds
        );
        let bins: Vec<(f64, f64, u64)> = s
            .histogram
            .iter()
            .map(|b| (b.from, b.to, b.users))
            .collect();
        let want = oracle_bins(gaps);
        assert_eq!(
            bins.len(),
            want.len(),
            "{what}: bins of step {k}: {bins:?} vs {want:?}"
        );
        for (b, w) in bins.iter().zip(&want) {
            assert!(
                close(b.0, w.0) && close(b.1, w.1) && b.2 == w.2,
                "{what}: bins of step {k}: {bins:?} vs {want:?}"
            );
        }
    }
}

/// Each user's outcomes by the oracle next to the engine's trace of the user, to explain
/// a mismatch.
fn per_user_report(d: &Data, store: &EventStore, p: &FunnelParams) -> String {
    let mut out = String::new();
    let json = p.json();
    for idx in d.per_user().iter().take(50) {
        let user = &d.events[idx[0]].user;
        let l = funnel_events(d, p, idx);
        let oracle: Vec<String> = oracle_outcomes(&l, p)
            .iter()
            .map(|o| {
                let t: Vec<String> = o
                    .times
                    .iter()
                    .map(|&t| format!("{:.2}h", (t - BASE) as f64 / HOUR as f64))
                    .collect();
                format!(
                    "{}{}",
                    if o.excluded { "excluded " } else { "" },
                    t.join(" ")
                )
            })
            .collect();
        let traced = format!("{},\"trace_user\":\"{user}\"}}", &json[..json.len() - 1]);
        let engine = match try_run(store, &traced) {
            Ok(AnalysisResult::Funnel(r)) => {
                r.trace.map(|t| format!("{} {:?}", t.outcome, t.attempt))
            }
            other => Some(format!("{other:?}")),
        };
        out.push_str(&format!(
            "{user}: oracle {oracle:?}\n    engine {engine:?}\n"
        ));
    }
    out
}

fn check_funnel(what: &str, d: &Data, store: &EventStore, p: &FunnelParams) -> FunnelExpected {
    let json = p.json();
    let what = format!("{what} {json}");
    // a step or exclusion whose event never occurs counts 0 and is reported as a warning
    let missing: Vec<String> = p
        .steps
        .iter()
        .filter_map(|s| s.event)
        .chain(p.exclusions.iter().filter_map(|x| x.pred.event))
        .filter(|s| !d.has_event(s))
        .map(|s| s.to_string())
        .collect();
    let out = try_output(store, &json).unwrap_or_else(|e| panic!("{what}: {e}"));
    let warned: Vec<String> = out
        .warnings
        .into_iter()
        .filter(|w| w.code == "event_not_found")
        .map(|w| w.value)
        .collect();
    assert_eq!(warned, missing, "{what}: warnings");
    let r: FunnelResult = match out.result {
        AnalysisResult::Funnel(r) => r,
        other => panic!("{what}: {other:?}"),
    };
    let e = funnel_oracle(d, p);
    if r.steps
        .iter()
        .map(|s| s.users)
        .ne(e.all.users.iter().copied())
        || r.steps
            .iter()
            .zip(&e.all.gaps)
            .any(|(s, g)| s.median_seconds != median(g.clone()))
    {
        eprintln!("{}", per_user_report(d, store, p));
    }
    check_steps(&what, p, &r.steps, &e.all);
    assert_eq!(r.window_seconds, p.window.0 / SECOND, "{what}");
    assert_eq!(r.excluded, e.excluded, "{what}: excluded");
    let labels: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    let want: Vec<&str> = e.breakdowns.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(labels, want, "{what}: breakdown values");
    for (b, (label, agg)) in r.breakdowns.iter().zip(&e.breakdowns) {
        check_steps(&format!("{what} [{label}]"), p, &b.steps, agg);
    }
    let trend: Vec<(String, u64, u64)> = r
        .over_time
        .iter()
        .map(|t| (t.label.clone(), t.entered, t.converted))
        .collect();
    assert_eq!(trend, e.over_time, "{what}: over time");
    e
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
// Datasets

/// The sample dataset (3,000 users) as raw events and as the engine's store.
pub(crate) fn sample_data() -> &'static (Data, EventStore) {
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
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// 2024-03-01T00:00:00Z.
pub(crate) const BASE: i64 = 19_783 * DAY;

/// A small dataset with many equal timestamps, in random source order, written as CSV and
/// loaded through the ingest path. Returns the raw events and the store.
pub(crate) fn random_data(seed: u64) -> (Data, EventStore) {
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
    ties: &[FTies],
) -> Vec<FunnelParams> {
    let mut v = Vec::new();
    for steps in step_lists {
        for &window in windows {
            for first in [false, true] {
                for &t in ties {
                    v.push(FunnelParams {
                        first,
                        ties: t,
                        ..FunnelParams::new(steps, window)
                    });
                }
            }
        }
    }
    v
}

/// Step lists of the random funnels (`zz` never occurs).
const FUNNEL_LISTS: &[&[&str]] = &[
    &["a", "b"],
    &["a", "b", "c"],
    &["a", "a"],
    &["a", "b", "a"],
    &["b", "a", "c", "d"],
    &["a", "b", "b"],
    &["c", "a"],
    &["a", "a", "a", "b"],
    &["a", "zz", "b"],
];

/// A funnel with every option drawn at random: order, entry, ties, step filters and
/// any-event steps, exclusions (also on step events, also missing ones), counting,
/// breakdown with each attribution and limit, date range on the entry or every step
/// (its ends on event times, so the inclusive ends are hit), shared filter.
fn random_funnel(rng: &mut Rng, d: &Data) -> FunnelParams {
    let steps = rng.pick(FUNNEL_LISTS);
    let n = steps.len();
    let mut p = FunnelParams::new(steps, rng.pick(&WINDOWS));
    p.first = rng.below(3) == 0;
    p.ties = rng.pick(&[FTies::Source, FTies::Later, FTies::StepOrder]);
    p.order = rng.pick(&[
        FOrder::Ordered,
        FOrder::Ordered,
        FOrder::Strict,
        FOrder::Any,
    ]);
    if rng.below(4) == 0 {
        let k = rng.below(n as u64) as usize;
        p.steps[k].cond = Some(("p", rng.below(2) == 0, rng.pick(&["x", "y"])));
    }
    if rng.below(6) == 0 {
        p.steps[rng.below(n as u64) as usize].event = None;
    }
    if rng.below(2) == 0 {
        for _ in 0..1 + rng.below(2) {
            let from = 1 + rng.below(n as u64 - 1) as usize;
            let to = from + 1 + rng.below((n - from) as u64) as usize;
            let cond = (rng.below(3) == 0).then(|| ("p", rng.below(2) == 0, rng.pick(&["x", "w"])));
            p.exclusions.push(Excl {
                pred: Pred {
                    event: Some(rng.pick(&["d", "d", "c", "b", "e"])),
                    cond,
                },
                from,
                to: (to < n || rng.below(2) == 0).then_some(to),
            });
        }
    }
    p.totals = rng.below(3) == 0;
    if rng.below(2) == 0 {
        let attr = rng.pick(&[
            Attr::First,
            Attr::Last,
            Attr::All,
            Attr::Step(1),
            Attr::Step(2),
            Attr::Step(n),
        ]);
        p.breakdown = Some(("p", attr, rng.pick(&[10, 10, 2, 1, 0])));
    }
    if rng.below(3) == 0 {
        let mut times: Vec<i64> = d.events.iter().map(|e| e.time).collect();
        times.sort_unstable();
        let at = |f: u64| times[(times.len() as u64 * f / 4) as usize];
        p.range = Some(match rng.below(3) {
            0 => (Some(at(1)), None),
            1 => (None, Some(at(2))),
            _ => (Some(at(1)), Some(at(3))),
        });
        p.all_steps = rng.below(2) == 0;
    }
    if rng.below(4) == 0 {
        p.filter = Some(("p", rng.below(2) == 0, rng.pick(&["z", "x"])));
    }
    p
}

pub(crate) const UTC: i64 = 0;
pub(crate) const CN: i64 = 8 * 3600;
pub(crate) const NY: i64 = -5 * 3600;
pub(crate) const IN: i64 = 5 * 3600 + 1800;

pub(crate) fn cal(gran: Gran, offset: i64) -> Cal {
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
    for p in funnel_grid(lists, &windows, &[FTies::Source, FTies::Later]) {
        check_funnel("sample", d, store, &p);
    }
    // strict and any order, step-order ties, exclusions and breakdowns on real-looking data
    let mut converting = 0;
    for steps in [lists[1], lists[4]] {
        for order in [FOrder::Ordered, FOrder::Strict, FOrder::Any] {
            for (k, attr) in [Attr::All, Attr::Step(2), Attr::Last]
                .into_iter()
                .enumerate()
            {
                let p = FunnelParams {
                    order,
                    ties: FTies::StepOrder,
                    exclusions: vec![Excl {
                        pred: Pred::ev("app_open"),
                        from: 1 + k % 2,
                        to: None,
                    }],
                    totals: k == 2,
                    breakdown: Some(("country", attr, 3)),
                    ..FunnelParams::new(steps, windows[k])
                };
                let e = check_funnel("sample", d, store, &p);
                assert!(e.breakdowns.len() > 1, "{p:?}");
                converting += usize::from(e.all.users[1] > 0 && e.excluded > 0);
            }
        }
    }
    assert!(
        converting >= 9,
        "{converting} of 18 specs with conversions and exclusions"
    );
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
    let grid = funnel_grid(
        lists,
        &WINDOWS,
        &[FTies::Source, FTies::Later, FTies::StepOrder],
    );
    for seed in 0..150u64 {
        let (d, store) = random_data(seed);
        for p in &grid {
            check_funnel(&format!("seed {seed}"), &d, &store, p);
        }
    }
}

/// Strict and any order, with each tie rule and entry rule, on every step list.
#[test]
fn funnel_strict_and_any_order_match_oracle() {
    let mut grid = Vec::new();
    for order in [FOrder::Strict, FOrder::Any] {
        for p in funnel_grid(
            &FUNNEL_LISTS[..8],
            &[WINDOWS[0], WINDOWS[2], WINDOWS[4]],
            &[FTies::Source, FTies::Later, FTies::StepOrder],
        ) {
            grid.push(FunnelParams { order, ..p });
        }
    }
    for seed in 3000..3060u64 {
        let (d, store) = random_data(seed);
        for p in &grid {
            check_funnel(&format!("seed {seed}"), &d, &store, p);
        }
    }
}

/// Every option at random: exclusions, breakdowns and attributions, totals, date ranges,
/// filters, with every order and tie rule.
#[test]
fn funnel_options_match_oracle_on_random_data() {
    let mut seen = Seen::default();
    for seed in 4000..4400u64 {
        let (d, store) = random_data(seed);
        let mut rng = Rng(seed ^ 0x5EED);
        for _ in 0..40 {
            let p = random_funnel(&mut rng, &d);
            let e = check_funnel(&format!("seed {seed}"), &d, &store, &p);
            // what the random specs exercised, so the comparison cannot pass vacuously
            let order = p.order as usize;
            seen.excluded[order] += u64::from(e.excluded > 0);
            seen.converted[order] += u64::from(e.all.users.last().is_some_and(|&u| u > 0));
            if let Some((_, attr, _)) = p.breakdown {
                let k = match attr {
                    Attr::First => 0,
                    Attr::Last => 1,
                    Attr::All => 2,
                    Attr::Step(_) => 3,
                };
                seen.split[k] += u64::from(e.breakdowns.len() >= 2);
            }
            seen.reentered += u64::from(p.totals && e.all.users[0] > d.per_user().len() as u64);
            seen.ranged += u64::from(p.range.is_some() && e.all.users[0] > 0);
            seen.over_time += u64::from(e.over_time.len() >= 2);
        }
    }
    eprintln!("{seen:?}");
    for (what, v) in [
        ("excluded users (ordered, strict, any)", &seen.excluded[..]),
        ("conversions (ordered, strict, any)", &seen.converted[..]),
        (
            "breakdowns with 2 values (first, last, all, step)",
            &seen.split[..],
        ),
        (
            "re-entries, ranges, trends",
            &[seen.reentered, seen.ranged, seen.over_time][..],
        ),
    ] {
        assert!(
            v.iter().all(|&c| c >= 20),
            "too few specs with {what}: {v:?}"
        );
    }
}

/// Counts of random specs whose result shows an option at work.
#[derive(Debug, Default)]
struct Seen {
    excluded: [u64; 3],
    converted: [u64; 3],
    split: [u64; 4],
    reentered: u64,
    ranged: u64,
    over_time: u64,
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
