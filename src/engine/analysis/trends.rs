//! Trends: several series over time, each an event (or any event) with its own filters and
//! a measure, plus formulas between series, an optional breakdown and a comparison with the
//! previous period.
//!
//! Definitions (docs/specs.md, "Trends"):
//! - Intervals run from the interval of the first to that of the last event of the data in
//!   the date range, empty ones included. An event counts when it passes the shared
//!   filters, lies in the date range and matches the series (event name and the series'
//!   own filters).
//! - Measures per (series, interval): total events; unique users (a user counts once per
//!   interval, and once in the total of the range); events per user; sum / average / min /
//!   max / median / 90th percentile of a numeric event property over the events that have
//!   a value (median and p90 interpolate linearly between the two nearest ranks, like
//!   DuckDB's `quantile_cont`). A measure with nothing to measure (an average of no
//!   values, events per user with no users) has no value: a gap, never zero.
//! - A breakdown splits every series by the same values: the top `limit` by the first
//!   series' measure over the range (ties by value), then `(other)`, then `(none)`.
//! - A formula combines series by letter (A is the first series) per interval and per
//!   breakdown value: `A / B`, `(A - B) * 100 / B`. Division by zero gives no value.
//! - The previous period is the same number of intervals just before the first one; its
//!   events pass the shared filters. Its values sit beside the current ones by position.
//! - Intervals the data or the date range covers only in part are marked incomplete
//!   ([`Scoped::incomplete`]).

use super::quantile;
use super::table::Table;
use crate::engine::days::DayIndex;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, BreakdownValues, EventMatcher, FilterGroup, Ranked, Scoped};
use crate::engine::store::format_number;
use crate::engine::time::{format_rfc3339, Calendar, Granularity};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most intervals a chart may have.
pub const MAX_BUCKETS: usize = 20_000;
/// Most series (one letter each, A to Z).
pub const MAX_SERIES: usize = 26;
/// Most formulas.
pub const MAX_FORMULAS: usize = 10;
/// Most cells (series × breakdown values × intervals) one trend may compute.
pub const MAX_CELLS: usize = 4_000_000;

pub use crate::engine::spec::{NONE, OTHER};
/// Name of a series of any event.
pub const ALL: &str = "(all events)";

/// A trends analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrendsSpec {
    /// The series, lettered A, B, ... in order (default: one series of all events).
    #[serde(default = "one_series")]
    pub series: Vec<SeriesSpec>,
    /// Formulas between series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formulas: Vec<FormulaSpec>,
    /// Interval length (default day).
    #[serde(default)]
    pub interval: Granularity,
    /// Properties every series is broken down by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
    /// Also compute the previous period of the same number of intervals.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compare: bool,
    /// How the chart draws the result (default line).
    #[serde(default)]
    pub display: Display,
}

fn one_series() -> Vec<SeriesSpec> {
    vec![SeriesSpec::default()]
}

impl Default for TrendsSpec {
    fn default() -> Self {
        TrendsSpec {
            series: one_series(),
            formulas: Vec::new(),
            interval: Granularity::Day,
            breakdown: None,
            compare: false,
            display: Display::Line,
        }
    }
}

/// One series: which events, and what is measured over them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    /// Event name; any event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Conditions on the series' events, beside the shared filters.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub filters: FilterGroup,
    /// What is measured (default total events).
    #[serde(default)]
    pub measure: Measure,
    /// The numeric event property of a sum, average, min, max, median or p90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// Display name (default: the event name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Computed (for formulas) but not drawn.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// A formula between series.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormulaSpec {
    /// The expression: letters for series, numbers, `+ - * /` (or `− × ÷`), parentheses.
    pub expression: String,
    /// Display name (default: the expression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The number computed per series and interval.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Event count.
    #[default]
    Events,
    /// Distinct users.
    Users,
    /// Events divided by distinct users.
    EventsPerUser,
    /// Sum of a property.
    Sum,
    /// Mean of a property.
    Avg,
    /// Smallest value of a property.
    Min,
    /// Largest value of a property.
    Max,
    /// Median of a property.
    Median,
    /// 90th percentile of a property.
    P90,
}

impl Measure {
    /// Every measure, in menu order.
    pub const ALL: [Measure; 9] = [
        Measure::Events,
        Measure::Users,
        Measure::EventsPerUser,
        Measure::Sum,
        Measure::Avg,
        Measure::Min,
        Measure::Max,
        Measure::Median,
        Measure::P90,
    ];

    /// True when the measure reads a numeric property.
    pub fn needs_property(self) -> bool {
        !matches!(
            self,
            Measure::Events | Measure::Users | Measure::EventsPerUser
        )
    }
}

/// How the chart draws a trend.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Display {
    /// One line per series.
    #[default]
    Line,
    /// Stacked areas.
    Area,
    /// Grouped bars.
    Bar,
    /// One number per series: its total over the range.
    Number,
}

/// A computed trend.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrendsResult {
    /// Interval length.
    pub interval: Granularity,
    /// How the chart draws it.
    pub display: Display,
    /// Interval labels, e.g. `2025-09-01`.
    pub buckets: Vec<String>,
    /// Interval start instants (RFC 3339).
    pub bucket_starts: Vec<String>,
    /// Per interval: true when the data or the date range covers only part of it.
    pub incomplete: Vec<bool>,
    /// Labels of the previous period's intervals (empty without comparison).
    pub previous_buckets: Vec<String>,
    /// The breakdown property, if any.
    pub breakdown: Option<String>,
    /// Every series (per breakdown value), then every formula (per breakdown value).
    pub lines: Vec<Line>,
}

/// One line of the chart: a series or formula, for one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Line {
    /// `A`, `B`, ... for series, `F1`, `F2`, ... for formulas.
    pub key: String,
    /// The series' or formula's display name.
    pub name: String,
    /// The breakdown value, if any.
    pub value: Option<String>,
    /// The series' measure (`None` for a formula).
    pub measure: Option<Measure>,
    /// Computed but not drawn.
    pub hidden: bool,
    /// Value per interval (`None`: nothing to measure, or a division by zero).
    pub values: Vec<Option<f64>>,
    /// The value over the whole range (unique users are counted once).
    pub total: Option<f64>,
    /// Value per interval of the previous period (empty without comparison).
    pub previous: Vec<Option<f64>>,
    /// The value over the previous period.
    pub previous_total: Option<f64>,
}

impl Line {
    /// The legend text: `A. view_item` or `A. view_item · CN`.
    pub fn label(&self) -> String {
        match &self.value {
            Some(v) => format!("{}. {} · {v}", self.key, self.name),
            None => format!("{}. {}", self.key, self.name),
        }
    }
}

/// The relative change from `previous` to `current` (`None` when either is missing or
/// the previous value is 0).
pub fn change(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match (current, previous) {
        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p.abs()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Formulas

/// A parsed formula (also rendered as SQL by `engine::sql::trends`).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A series by index (A = 0).
    Series(usize),
    /// Minus an expression.
    Neg(Box<Expr>),
    /// `+`, `-`, `*` or `/` of two expressions.
    Bin(char, Box<Expr>, Box<Expr>),
}

/// Parses formula `text` over `series` series, with errors on `field`.
pub fn parse_formula(field: &str, text: &str, series: usize) -> Result<Expr> {
    Parser::parse(field, text, series)
}

impl Expr {
    fn eval(&self, v: &dyn Fn(usize) -> Option<f64>) -> Option<f64> {
        let r = match self {
            Expr::Num(x) => *x,
            Expr::Series(s) => v(*s)?,
            Expr::Neg(e) => -e.eval(v)?,
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(v)?, b.eval(v)?);
                match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    _ if b == 0.0 => return None,
                    _ => a / b,
                }
            }
        };
        r.is_finite().then_some(r)
    }
}

/// A recursive-descent parser of formulas over `series` letters.
struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    series: usize,
    field: &'a str,
}

impl Parser<'_> {
    fn parse(field: &str, text: &str, series: usize) -> Result<Expr> {
        let mut p = Parser {
            chars: text.chars().collect(),
            at: 0,
            series,
            field,
        };
        let e = p.sum()?;
        p.skip();
        if p.at < p.chars.len() {
            return Err(p.unexpected());
        }
        Ok(e)
    }

    fn skip(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip();
        self.chars.get(self.at).map(|&c| match c {
            '−' => '-',
            '×' => '*',
            '÷' => '/',
            c => c,
        })
    }

    fn unexpected(&self) -> Error {
        let (what, code) = match self.chars.get(self.at) {
            Some(c) => (format!("unexpected \"{c}\""), c.to_string()),
            None => ("the formula ends too early".to_string(), String::new()),
        };
        Error::spec(
            self.field,
            format!("{what} at character {} of the formula", self.at + 1),
        )
        .keyed(
            "formula_syntax",
            &[("position", &(self.at + 1)), ("found", &code)],
        )
    }

    fn sum(&mut self) -> Result<Expr> {
        let mut e = self.product()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr> {
        let mut e = self.factor()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.at += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.factor()?));
        }
        Ok(e)
    }

    fn factor(&mut self) -> Result<Expr> {
        match self.peek() {
            Some('-') => {
                self.at += 1;
                Ok(Expr::Neg(Box::new(self.factor()?)))
            }
            Some('(') => {
                self.at += 1;
                let e = self.sum()?;
                if self.peek() != Some(')') {
                    return Err(self.unexpected());
                }
                self.at += 1;
                Ok(e)
            }
            Some(c) if c.is_ascii_alphabetic() => {
                self.at += 1;
                let s = (c.to_ascii_uppercase() as u8 - b'A') as usize;
                if s >= self.series {
                    let last = (b'A' + self.series as u8 - 1) as char;
                    return Err(Error::spec(
                        self.field,
                        format!(
                            "the formula names series {c}, but the series run from A to {last}"
                        ),
                    )
                    .keyed("formula_series", &[("letter", &c), ("last", &last)]));
                }
                Ok(Expr::Series(s))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.at;
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                text.parse().map(Expr::Num).map_err(|_| {
                    self.at = start;
                    self.unexpected()
                })
            }
            _ => Err(self.unexpected()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Accumulating

/// What one series accumulates per cell (breakdown slot × interval).
struct Cells<'a> {
    measure: Measure,
    /// Property values when the measure reads one.
    values: Option<&'a [f64]>,
    events: Vec<u64>,
    users: Vec<u64>,
    seen: Vec<u32>,
    /// Count, sum, min and max of the property values.
    n: Vec<u64>,
    sum: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
    samples: Vec<Vec<f64>>,
}

impl<'a> Cells<'a> {
    fn new(measure: Measure, values: Option<&'a [f64]>, cells: usize) -> Cells<'a> {
        let prop = values.is_some();
        let quantile = matches!(measure, Measure::Median | Measure::P90);
        Cells {
            measure,
            values,
            events: vec![0; cells],
            users: vec![0; cells],
            seen: vec![u32::MAX; cells],
            n: vec![0; if prop { cells } else { 0 }],
            sum: vec![0.0; if prop { cells } else { 0 }],
            min: vec![f64::INFINITY; if prop { cells } else { 0 }],
            max: vec![f64::NEG_INFINITY; if prop { cells } else { 0 }],
            samples: vec![Vec::new(); if quantile { cells } else { 0 }],
        }
    }

    #[inline]
    fn add(&mut self, c: usize, i: usize, user: u32) {
        self.count(c, user, 1);
        if self.values.is_some() {
            self.add_value(c, i);
        }
    }

    /// Counts `n` events of `user` in cell `c` (events and distinct users).
    #[inline(always)]
    fn count(&mut self, c: usize, user: u32, n: u64) {
        self.events[c] += n;
        // users come one after the other: a cell's last user tells a new one
        self.users[c] += u64::from(self.seen[c] != user);
        self.seen[c] = user;
    }

    /// Accumulates event `i`'s property value in cell `c` (the measure reads one).
    fn add_value(&mut self, c: usize, i: usize) {
        let Some(values) = self.values else { return };
        let v = values[i];
        if !v.is_nan() {
            self.n[c] += 1;
            self.sum[c] += v;
            self.min[c] = self.min[c].min(v);
            self.max[c] = self.max[c].max(v);
            if !self.samples.is_empty() {
                self.samples[c].push(v);
            }
        }
    }

    /// The cells of the slots `order` (each `width` cells long), in that order.
    fn gather(&mut self, order: &[usize], width: usize) -> Cells<'a> {
        let mut out = Cells::new(self.measure, self.values, order.len() * width);
        for (to, &from) in order.iter().enumerate() {
            let (a, b) = (from * width, to * width);
            out.events[b..b + width].copy_from_slice(&self.events[a..a + width]);
            out.users[b..b + width].copy_from_slice(&self.users[a..a + width]);
            if !self.n.is_empty() {
                out.n[b..b + width].copy_from_slice(&self.n[a..a + width]);
                out.sum[b..b + width].copy_from_slice(&self.sum[a..a + width]);
                out.min[b..b + width].copy_from_slice(&self.min[a..a + width]);
                out.max[b..b + width].copy_from_slice(&self.max[a..a + width]);
            }
            for j in 0..if self.samples.is_empty() { 0 } else { width } {
                out.samples[b + j] = std::mem::take(&mut self.samples[a + j]);
            }
        }
        out
    }

    fn value(&mut self, c: usize) -> Option<f64> {
        let has = || self.n[c] > 0;
        match self.measure {
            Measure::Events => Some(self.events[c] as f64),
            Measure::Users => Some(self.users[c] as f64),
            Measure::EventsPerUser => {
                (self.users[c] > 0).then(|| self.events[c] as f64 / self.users[c] as f64)
            }
            Measure::Sum => Some(self.sum[c]),
            Measure::Avg => has().then(|| self.sum[c] / self.n[c] as f64),
            Measure::Min => has().then(|| self.min[c]),
            Measure::Max => has().then(|| self.max[c]),
            Measure::Median => quantile(&mut self.samples[c], 0.5),
            Measure::P90 => quantile(&mut self.samples[c], 0.9),
        }
    }
}

/// A series ready to run.
struct Prepared<'a> {
    key: String,
    name: String,
    measure: Measure,
    hidden: bool,
    matcher: EventMatcher,
    values: Option<&'a [f64]>,
}

fn prepare<'a>(scope: &mut Scoped<'a>, spec: &TrendsSpec) -> Result<Vec<Prepared<'a>>> {
    if spec.series.is_empty() || spec.series.len() > MAX_SERIES {
        return Err(Error::spec(
            "series",
            format!(
                "a trend needs 1 to {MAX_SERIES} series, not {}",
                spec.series.len()
            ),
        )
        .keyed(
            "series_count",
            &[("max", &MAX_SERIES), ("got", &spec.series.len())],
        ));
    }
    let mut out = Vec::new();
    for (n, s) in spec.series.iter().enumerate() {
        let field = format!("series[{n}]");
        let matcher = scope.matcher(
            &format!("{field}.event"),
            s.event.as_deref(),
            &s.filters,
            true,
        )?;
        let values = match (&s.property, s.measure.needs_property()) {
            (None, true) => {
                return Err(Error::spec(
                    format!("{field}.property"),
                    "this measure needs a numeric property",
                )
                .keyed("property_needed", &[]))
            }
            (Some(_), false) => {
                return Err(Error::spec(
                    format!("{field}.property"),
                    "only sum, avg, min, max, median and p90 read a property",
                )
                .keyed("property_unused", &[]))
            }
            (None, false) => None,
            (Some(name), true) => {
                Some(scope.numeric_property(&format!("{field}.property"), name)?)
            }
        };
        out.push(Prepared {
            key: ((b'A' + n as u8) as char).to_string(),
            name: s
                .label
                .clone()
                .filter(|l| !l.trim().is_empty())
                .or_else(|| s.event.clone())
                .unwrap_or_else(|| ALL.to_string()),
            measure: s.measure,
            hidden: s.hidden,
            matcher,
            values,
        });
    }
    Ok(out)
}

/// Which series each event matches, as a bit per series (at most 26 of them).
struct Matching<'a> {
    /// Per event code: the series whose event is that code or any event.
    by_code: Vec<u32>,
    /// Series with filters of their own (their bit needs a test).
    filtered: u32,
    series: &'a [Prepared<'a>],
}

impl<'a> Matching<'a> {
    fn new(scope: &Scoped, series: &'a [Prepared<'a>]) -> Self {
        let mut by_code = vec![0u32; scope.store.event_names().len()];
        let mut filtered = 0;
        for (s, p) in series.iter().enumerate() {
            let bit = 1u32 << s;
            match p.matcher.event {
                None => by_code.iter_mut().for_each(|m| *m |= bit),
                Some(c) => {
                    if let Some(m) = by_code.get_mut(c as usize) {
                        *m |= bit;
                    }
                }
            }
            if p.matcher.has_filter() {
                filtered |= bit;
            }
        }
        Matching {
            by_code,
            filtered,
            series,
        }
    }

    /// The series event `i` of user `u` matches.
    #[inline]
    fn of(&self, scope: &Scoped, i: usize, u: u32) -> u32 {
        self.refine(scope, self.by_code[scope.store.event_codes()[i] as usize], i, u)
    }

    /// Of the series `m` that event `i`'s name matches, those whose own filters it passes.
    #[inline]
    fn refine(&self, scope: &Scoped, mut m: u32, i: usize, u: u32) -> u32 {
        let mut test = m & self.filtered;
        while test != 0 {
            let s = test.trailing_zeros() as usize;
            test &= test - 1;
            if !scope.matches(&self.series[s].matcher, i, u) {
                m &= !(1 << s);
            }
        }
        m
    }
}

/// Ranks the breakdown keys by the first series' measure over the range; a key is kept
/// when any series has an event with it in the range or the previous period.
fn rank(
    scope: &Scoped,
    matching: &Matching,
    values: &BreakdownValues,
    limit: usize,
    counted: &dyn Fn(usize) -> Option<bool>,
) -> Ranked {
    let series = matching.series;
    let mut first = Cells::new(series[0].measure, series[0].values, values.len());
    let mut present = vec![false; values.len()];
    for (u, r) in scope.users() {
        for i in r {
            let m = matching.of(scope, i, u);
            if m == 0 {
                continue;
            }
            let Some(current) = counted(i) else { continue };
            let k = values.key(i) as usize;
            present[k] = true;
            if m & 1 != 0 && current {
                first.add(k, i, u);
            }
        }
    }
    let measured: Vec<Option<f64>> = (0..values.len()).map(|k| first.value(k)).collect();
    Ranked::new(values, &ranks(&measured), &present, limit)
}

/// Order positions of `measured` (equal values share one; no value ranks lowest), which
/// stand in for the possibly negative or fractional measure in [`Ranked::new`].
pub(crate) fn ranks(measured: &[Option<f64>]) -> Vec<u64> {
    let mut order: Vec<usize> = (0..measured.len()).collect();
    order.sort_by(|&a, &b| match (measured[a], measured[b]) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (a, b) => a.is_some().cmp(&b.is_some()),
    });
    let mut rank = vec![0u64; measured.len()];
    for (pos, w) in order.windows(2).enumerate() {
        rank[w[1]] = if measured[w[0]] == measured[w[1]] {
            rank[w[0]]
        } else {
            pos as u64 + 1
        };
    }
    rank
}

/// One counting pass over the events: what it needs to place an event in its cell.
struct Pass<'a> {
    scope: &'a Scoped<'a>,
    matching: &'a Matching<'a>,
    series: &'a [Prepared<'a>],
    cal: &'a Calendar,
    first: i64,
    prev_first: i64,
    nb: usize,
    width: usize,
    compare: bool,
    /// The local day of every event, and per day of the index its bucket key and column
    /// (when the interval is a day or longer).
    days: Option<DayTable>,
}

/// Per event its local day, and per day its bucket key and its interval from `first`.
struct DayTable {
    index: Arc<DayIndex>,
    keys: Vec<i64>,
    cols: Vec<i64>,
}

impl<'a> Pass<'a> {
    /// Counts every matching event in the cells of `slots` slots, `slot(i)` giving event
    /// `i`'s (`usize::MAX`: none).
    fn count(&self, slots: usize, slot: impl Fn(usize) -> usize) -> Result<Vec<Cells<'a>>> {
        let (scope, cal, nb, width) = (self.scope, self.cal, self.nb, self.width);
        let ncells = self.series.len() * slots * width;
        if ncells > MAX_CELLS {
            return Err(Error::spec(
                "breakdown",
                format!("{ncells} values to compute is too many (at most {MAX_CELLS}); lower the breakdown limit, or choose fewer series or a longer interval"),
            )
            .keyed("too_many_values", &[("count", &ncells), ("max", &MAX_CELLS)]));
        }
        let mut cells: Vec<Cells> = self
            .series
            .iter()
            .map(|s| Cells::new(s.measure, s.values, slots * width))
            .collect();
        let (t, codes) = (scope.store.times(), scope.store.event_codes());
        let previous = self.prev_first..self.first;
        let mut cursor = cal.cursor();
        let all_in = scope.all_in_range();
        let (by_code, filtered) = (&self.matching.by_code, self.matching.filtered);
        let filters = scope.has_filters();
        // series whose measure reads a property value (added per event)
        let valued = (self.series.iter().enumerate())
            .filter(|(_, p)| p.values.is_some())
            .fold(0u32, |acc, (n, _)| acc | 1 << n);
        // consecutive events of a user with the same series and column, as (series,
        // column cell, total cell, events): counted at once
        let flush = |cells: &mut [Cells], (m, a, b, n): (u32, usize, usize, u64), u: u32| {
            let mut bits = m;
            while bits != 0 {
                let c = &mut cells[bits.trailing_zeros() as usize];
                bits &= bits - 1;
                c.count(a, u, n);
                c.count(b, u, n);
            }
        };
        let mut run: Option<(u32, usize, usize, u64)> = None;
        // every event of the data counts in every series, each in its interval: a user's
        // runs of same-day events count at once
        let any = by_code.first().copied().unwrap_or(0);
        let every = scope.counts_every_event()
            && slots == 1
            && filtered == 0
            && valued == 0
            && by_code.iter().all(|&m| m == any);
        if let (Some(d), true) = (&self.days, every && any != 0) {
            for (u, _) in scope.users() {
                let (days, events) = d.index.runs(u as usize);
                for (&day, &n) in days.iter().zip(events) {
                    let a = d.cols[day as usize] as usize;
                    match &mut run {
                        Some((_, ra, _, rn)) if *ra == a => *rn += u64::from(n),
                        _ => {
                            if let Some(x) = run.replace((any, a, nb, u64::from(n))) {
                                flush(&mut cells, x, u);
                            }
                        }
                    }
                }
                if let Some(x) = run.take() {
                    flush(&mut cells, x, u);
                }
            }
            return Ok(cells);
        }
        let day_of = self.days.as_ref().map(|d| d.index.days());
        for (u, r) in scope.users() {
            for i in r {
                // the series the event's name matches, then their own filters
                let mut m = by_code[codes[i] as usize];
                if m == 0 {
                    continue;
                }
                if m & filtered != 0 {
                    m = self.matching.refine(scope, m, i, u);
                }
                if m == 0 || filters && !scope.keep(i) {
                    continue;
                }
                let current = all_in || scope.in_range(t[i]);
                let (k, col) = match (&self.days, day_of) {
                    (Some(d), Some(day_of)) => {
                        let day = day_of[i] as usize;
                        (d.keys[day], d.cols[day])
                    }
                    _ => {
                        let k = cursor.key(t[i]);
                        (k, cal.index(self.first, k))
                    }
                };
                if !(current || self.compare && previous.contains(&k)) {
                    continue;
                }
                let (col, total) = if current {
                    (col as usize, nb)
                } else {
                    (nb + 1 + cal.index(self.prev_first, k) as usize, 2 * nb + 1)
                };
                let s = slot(i);
                if s == usize::MAX {
                    // a value no series has an event with: this event matches no series
                    continue;
                }
                let (a, b) = (s * width + col, s * width + total);
                let mut bits = m & valued;
                while bits != 0 {
                    let c = &mut cells[bits.trailing_zeros() as usize];
                    bits &= bits - 1;
                    c.add_value(a, i);
                    c.add_value(b, i);
                }
                match &mut run {
                    Some((rm, ra, _, n)) if *rm == m && *ra == a => *n += 1,
                    _ => {
                        if let Some(x) = run.replace((m, a, b, 1)) {
                            flush(&mut cells, x, u);
                        }
                    }
                }
            }
            if let Some(x) = run.take() {
                flush(&mut cells, x, u);
            }
        }
        Ok(cells)
    }
}

/// Computes a trend: see the module documentation for the definitions.
pub fn run(scope: &mut Scoped, spec: &TrendsSpec) -> Result<TrendsResult> {
    let series = prepare(scope, spec)?;
    if spec.formulas.len() > MAX_FORMULAS {
        return Err(Error::spec(
            "formulas",
            format!(
                "at most {MAX_FORMULAS} formulas, not {}",
                spec.formulas.len()
            ),
        )
        .keyed(
            "formula_count",
            &[("max", &MAX_FORMULAS), ("got", &spec.formulas.len())],
        ));
    }
    let formulas = spec
        .formulas
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let expr = Parser::parse(
                &format!("formulas[{n}].expression"),
                &f.expression,
                series.len(),
            )?;
            let name = f
                .label
                .clone()
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| f.expression.trim().to_string());
            Ok((format!("F{}", n + 1), name, expr))
        })
        .collect::<Result<Vec<_>>>()?;
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };
    let scope = &*scope;
    let cal = scope.calendar(spec.interval);
    let (lo, hi) = scope.data_in_range()?;
    let (first, _, nb) = scope.intervals(&cal, (lo, hi), MAX_BUCKETS, "interval")?;
    // Columns of a slot: the intervals, the range total, then (with comparison) the
    // previous intervals and their total.
    let width = if spec.compare { 2 * nb + 2 } else { nb + 1 };
    let prev_first = cal.add(first, -(nb as i64));
    let t = scope.store.times();
    // Some(true): in the range; Some(false): in the previous period; None: not counted.
    let counted = |i: usize| -> Option<bool> {
        if !scope.keep(i) {
            None
        } else if scope.in_range(t[i]) {
            Some(true)
        } else if spec.compare && (prev_first..first).contains(&cal.bucket(t[i])) {
            Some(false)
        } else {
            None
        }
    };
    let matching = Matching::new(scope, &series);
    let pass = Pass {
        scope,
        matching: &matching,
        series: &series,
        cal: &cal,
        first,
        prev_first,
        nb,
        width,
        compare: spec.compare,
        days: scope.days().and_then(|index| {
            let keys = index.keys(&cal)?;
            let cols = keys.iter().map(|&k| cal.index(first, k)).collect();
            Some(DayTable { index, keys, cols })
        }),
    };
    let (slot_labels, mut cells): (Vec<Option<String>>, Vec<Cells>) = match &values {
        None => (vec![None], pass.count(1, |_| 0)?),
        Some(v) => {
            let limit = spec.breakdown.as_ref().map_or(0, |b| b.limit);
            if series.len() * v.len() * width <= MAX_CELLS {
                // one pass by value, ranked afterwards; a second one only when several
                // values fold into (other)
                let mut raw = pass.count(v.len(), |i| v.key(i) as usize)?;
                let total = |k: usize, c: &Cells| {
                    c.events[k * width + nb] > 0
                        || spec.compare && c.events[k * width + 2 * nb + 1] > 0
                };
                let present: Vec<bool> = (0..v.len())
                    .map(|k| raw.iter().any(|c| total(k, c)))
                    .collect();
                let measured: Vec<Option<f64>> =
                    (0..v.len()).map(|k| raw[0].value(k * width + nb)).collect();
                let ranked = Ranked::new(v, &ranks(&measured), &present, limit);
                let mut keys_of = vec![Vec::new(); ranked.labels.len()];
                for (k, &slot) in ranked.slot.iter().enumerate() {
                    if slot != usize::MAX {
                        keys_of[slot].push(k);
                    }
                }
                let cells = if keys_of.iter().all(|k| k.len() == 1) {
                    let order: Vec<usize> = keys_of.iter().map(|k| k[0]).collect();
                    raw.iter_mut().map(|c| c.gather(&order, width)).collect()
                } else {
                    pass.count(ranked.labels.len(), |i| ranked.slot[v.key(i) as usize])?
                };
                (ranked.labels.into_iter().map(Some).collect(), cells)
            } else {
                let ranked = rank(scope, &matching, v, limit, &counted);
                let cells = pass.count(ranked.labels.len(), |i| ranked.slot[v.key(i) as usize])?;
                (ranked.labels.into_iter().map(Some).collect(), cells)
            }
        }
    };
    let nslots = slot_labels.len();

    let mut lines = Vec::with_capacity((series.len() + formulas.len()) * nslots);
    for (c, p) in cells.iter_mut().zip(&series) {
        for (slot, value) in slot_labels.iter().enumerate() {
            let base = slot * width;
            let mut at = |b: usize| c.value(base + b);
            lines.push(Line {
                key: p.key.clone(),
                name: p.name.clone(),
                value: value.clone(),
                measure: Some(p.measure),
                hidden: p.hidden,
                values: (0..nb).map(&mut at).collect(),
                total: at(nb),
                previous: if spec.compare {
                    (nb + 1..2 * nb + 1).map(&mut at).collect()
                } else {
                    Vec::new()
                },
                previous_total: if spec.compare { at(2 * nb + 1) } else { None },
            });
        }
    }
    for (key, name, expr) in &formulas {
        for (slot, value) in slot_labels.iter().enumerate() {
            let of = |pick: &dyn Fn(&Line) -> Option<f64>| {
                expr.eval(&|s: usize| pick(&lines[s * nslots + slot]))
            };
            let line = Line {
                key: key.clone(),
                name: name.clone(),
                value: value.clone(),
                measure: None,
                hidden: false,
                values: (0..nb).map(|b| of(&|l| l.values[b])).collect(),
                total: of(&|l| l.total),
                previous: if spec.compare {
                    (0..nb).map(|b| of(&|l| l.previous[b])).collect()
                } else {
                    Vec::new()
                },
                previous_total: if spec.compare {
                    of(&|l| l.previous_total)
                } else {
                    None
                },
            };
            lines.push(line);
        }
    }

    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    let incomplete = keys.iter().map(|&k| scope.incomplete(&cal, k)).collect();
    Ok(TrendsResult {
        interval: spec.interval,
        display: spec.display,
        buckets: keys.iter().map(|&k| cal.label(k)).collect(),
        bucket_starts: keys
            .iter()
            .map(|&k| format_rfc3339(cal.start_micros(k)))
            .collect(),
        incomplete,
        previous_buckets: if spec.compare {
            (0..nb as i64)
                .map(|n| cal.label(cal.add(prev_first, n)))
                .collect()
        } else {
            Vec::new()
        },
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        lines,
    })
}

/// A value as CSV text (empty when there is none).
fn cell(v: Option<f64>) -> String {
    v.map(format_number).unwrap_or_default()
}

/// The result as a table: one row per interval and line, then one total row per line;
/// with a comparison, the previous interval, its value and the relative change.
pub fn table(r: &TrendsResult) -> Table {
    let compare = !r.previous_buckets.is_empty();
    let mut head = vec![
        "interval",
        "start",
        "complete",
        "key",
        "series",
        "breakdown",
        "value",
    ];
    if compare {
        head.extend(["previous_interval", "previous", "change"]);
    }
    let mut t = vec![head.into_iter().map(String::from).collect::<Vec<_>>()];
    let row = |interval: &str,
               start: &str,
               complete: &str,
               l: &Line,
               v,
               prev: Option<(&str, Option<f64>)>| {
        let mut row = vec![
            interval.to_string(),
            start.to_string(),
            complete.to_string(),
            l.key.clone(),
            l.name.clone(),
            l.value.clone().unwrap_or_default(),
            cell(v),
        ];
        if let Some((p, pv)) = prev {
            row.extend([p.to_string(), cell(pv), cell(change(v, pv))]);
        }
        row
    };
    for (b, label) in r.buckets.iter().enumerate() {
        for l in &r.lines {
            let prev = compare.then(|| (r.previous_buckets[b].as_str(), l.previous[b]));
            let complete = if r.incomplete[b] { "false" } else { "true" };
            t.push(row(
                label,
                &r.bucket_starts[b],
                complete,
                l,
                l.values[b],
                prev,
            ));
        }
    }
    for l in &r.lines {
        let prev = compare.then_some(("total", l.previous_total));
        t.push(row("total", "", "", l, l.total, prev));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, series: &[Option<f64>]) -> Result<Option<f64>> {
        let e = Parser::parse("f", text, series.len())?;
        Ok(e.eval(&|s| series[s]))
    }

    #[test]
    fn formulas_follow_precedence_and_give_gaps() {
        let v = [Some(6.0), Some(3.0), Some(0.0)];
        assert_eq!(eval("A / B", &v).unwrap(), Some(2.0));
        assert_eq!(eval("a*100/b", &v).unwrap(), Some(200.0));
        assert_eq!(eval("A − B × 2", &v).unwrap(), Some(0.0));
        assert_eq!(eval("(A - B) * 2", &v).unwrap(), Some(6.0));
        assert_eq!(eval("-A + 10", &v).unwrap(), Some(4.0));
        assert_eq!(eval("A ÷ 4", &v).unwrap(), Some(1.5));
        // division by zero and missing operands are gaps
        assert_eq!(eval("A / C", &v).unwrap(), None);
        assert_eq!(eval("A / (B - 3)", &v).unwrap(), None);
        assert_eq!(eval("A + B", &[Some(1.0), None]).unwrap(), None);
    }

    #[test]
    fn formula_errors_say_where() {
        let v = [Some(1.0), Some(2.0)];
        let key = |e: &Error| match e {
            Error::Spec { key, .. } => *key,
            _ => "",
        };
        let e = eval("A / C", &v).unwrap_err();
        assert!(e.to_string().contains("series C"), "{e}");
        assert_eq!(key(&e), "formula_series");
        let e = eval("A + * B", &v).unwrap_err();
        assert!(e.to_string().contains("character 5"), "{e}");
        assert_eq!(key(&e), "formula_syntax");
        for bad in ["", "A +", "(A", "A B", "1..2", "A $ B"] {
            assert!(eval(bad, &v).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn quantiles_interpolate() {
        use super::super::quantile;
        assert_eq!(quantile(&mut [], 0.5), None);
        assert_eq!(quantile(&mut [5.0], 0.9), Some(5.0));
        assert_eq!(quantile(&mut [4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        // 0.9 * 9 = 8.1: between the 9th (9) and 10th (10) values
        let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((quantile(&mut v, 0.9).unwrap() - 9.1).abs() < 1e-12);
    }
}
