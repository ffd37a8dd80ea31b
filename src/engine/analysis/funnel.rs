//! Conversion funnels.
//!
//! Definition (DESIGN.md §3, PostHog-style attempt tracking): every event matching step 1
//! opens an attempt; step k is reached by an event matching step k when the attempt has
//! reached step k−1 and the event is at most `window` after the attempt's step-1 time
//! (inclusive). One event never advances the same attempt twice (steps are tested from last
//! to first). A user counts at their furthest step; among attempts reaching it, the first
//! one gives the conversion times. Events at equal timestamps are taken in source-row order
//! and count as in order (`ties: "source_order"`); `ties: "strictly_later"` requires each step
//! to be strictly later than the previous one. `entry: "first"` lets a user enter only at
//! their first step-1 event (Mixpanel's "uniques"); with `strictly_later` that is exactly the
//! reference SQL in `shared/bench/queries.sql`.

use super::median;
use super::table::Table;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, EventMatcher, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, Granularity, DAY, HOUR, MINUTE, SECOND};
use serde::{Deserialize, Serialize};

/// Most steps a funnel may have.
pub const MAX_STEPS: usize = 20;

/// A funnel to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunnelSpec {
    /// 2 to 20 steps, in order.
    pub steps: Vec<FunnelStep>,
    /// Conversion window measured from step 1 (default 14 days).
    #[serde(default)]
    pub window: Window,
    /// Ordered (others in between allowed), strict (nothing in between) or any order.
    #[serde(default, skip_serializing_if = "is_default")]
    pub order: Order,
    /// Which step-1 events may start a conversion (default: every one).
    #[serde(default)]
    pub entry: Entry,
    /// How events at equal timestamps are ordered (default: source order).
    #[serde(default)]
    pub ties: Ties,
    /// Users who do one of these events between two steps of their attempt are removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    /// Which events the date range applies to (default: the entry, step 1).
    #[serde(default, skip_serializing_if = "is_default")]
    pub range: RangeRule,
    /// Count users (default) or attempts (a user re-enters after an attempt ends).
    #[serde(default, skip_serializing_if = "is_default")]
    pub counting: Counting,
    /// Split the funnel by the values of one or several properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
    /// Which value a user's funnel counts under (default: first touch).
    #[serde(default, skip_serializing_if = "is_default")]
    pub attribution: Attribution,
    /// Interval of the conversion-over-time series, by entry time (default day).
    #[serde(default, skip_serializing_if = "is_default")]
    pub trend_interval: Granularity,
    /// A user id whose events and attempt are explained in the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_user: Option<String>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// One funnel step: an event (any event when absent) with optional property filters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunnelStep {
    /// Event name that completes this step; any event when absent.
    #[serde(default)]
    pub event: Option<String>,
    /// Conditions on the event's properties.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub filters: FilterGroup,
}

impl FunnelStep {
    /// A step completed by `event`.
    pub fn event(event: &str) -> Self {
        FunnelStep {
            event: Some(event.to_string()),
            filters: FilterGroup::default(),
        }
    }

    /// The step's label: its event name, or `(any event)`.
    pub fn label(&self) -> String {
        self.event.clone().unwrap_or_else(|| ANY_EVENT.to_string())
    }
}

/// Label of a step that any event completes.
pub const ANY_EVENT: &str = "(any event)";

/// An exclusion: doing `event` after reaching step `from_step` and before reaching step
/// `to_step` (1-based), inside the attempt's window, removes the user from the funnel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The excluded event.
    pub event: String,
    /// Conditions on its properties.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub filters: FilterGroup,
    /// Step after which it counts (1-based, default 1).
    #[serde(default = "one")]
    pub from_step: usize,
    /// Step before which it counts (1-based, default the last step).
    #[serde(default)]
    pub to_step: Option<usize>,
}

fn one() -> usize {
    1
}

/// A duration.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// How many units (at least 1).
    pub value: u32,
    /// The unit.
    pub unit: WindowUnit,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            value: 14,
            unit: WindowUnit::Day,
        }
    }
}

impl Window {
    /// The window in microseconds, `None` when it does not fit in 64 bits.
    pub fn micros(self) -> Option<i64> {
        (self.value as i64).checked_mul(match self.unit {
            WindowUnit::Second => SECOND,
            WindowUnit::Minute => MINUTE,
            WindowUnit::Hour => HOUR,
            WindowUnit::Day => DAY,
            WindowUnit::Week => 7 * DAY,
            WindowUnit::Month => 30 * DAY,
        })
    }
}

/// Unit of a conversion window.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WindowUnit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days of 24 hours.
    Day,
    /// Weeks of 7 days.
    Week,
    /// Months of 30 days.
    Month,
}

/// The order in which steps must happen.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// In order; other events may come in between (PostHog "sequential").
    #[default]
    Ordered,
    /// In order with no other event in between (any event that passes the shared filters
    /// and is not the next step breaks the sequence).
    Strict,
    /// In any order within the window: step k counts users who did k distinct steps.
    Any,
}

/// Which step-1 events open an attempt.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// Every step-1 event opens an attempt; the furthest one counts (PostHog).
    #[default]
    Every,
    /// Only the user's first step-1 event (in the date range): later ones do not reset
    /// the clock (Mixpanel uniques; the reference SQL).
    First,
}

/// How events at equal timestamps are ordered.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Equal timestamps count, in source-row order.
    #[default]
    SourceOrder,
    /// Each step must be strictly later than the previous one.
    StrictlyLater,
    /// Events at one timestamp are taken in step order whatever their row order, so tied
    /// steps always convert (PostHog); strict order and exclusions are not applied within
    /// such a tie.
    StepOrder,
}

/// Which events of an attempt must lie in the date range.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RangeRule {
    /// Only the entry (step 1); later steps may complete after the range, inside the
    /// window (Amplitude, Mixpanel).
    #[default]
    Entry,
    /// Every step (PostHog): events outside the range are ignored.
    AllSteps,
}

/// What a funnel counts.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Each user once, at their furthest step.
    #[default]
    Users,
    /// Each attempt: after an attempt ends (completed, timed out or excluded) the user may
    /// enter again with a later step-1 event.
    Totals,
}

/// Which breakdown value a user's funnel counts under.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The first value among the user's step events.
    #[default]
    FirstTouch,
    /// The last value among the user's step events.
    LastTouch,
    /// Every value: the funnel is computed per value over the events carrying it, and the
    /// user counts under each.
    AllEvents,
    /// The value of the event that completes step N (1-based); users without a value
    /// there are left out.
    Step(usize),
}

/// Settings that reproduce another product's funnel numbers.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// PostHog: every entry, furthest step, 14-day window, ties in step order, every step
    /// inside the date range.
    Posthog,
    /// Mixpanel uniques: first entry in the range, clock not reset, 7-day window, later
    /// steps may complete after the range.
    Mixpanel,
    /// Amplitude: longest then earliest conversion, 1-day window, entry in the range.
    Amplitude,
}

impl Preset {
    /// Sets the options this product decides; steps, exclusions and breakdown are kept.
    pub fn apply(self, s: &mut FunnelSpec) {
        let (window, entry, ties, range, attribution) = match self {
            Preset::Posthog => (14, Entry::Every, Ties::StepOrder, RangeRule::AllSteps, Attribution::FirstTouch),
            Preset::Mixpanel => (7, Entry::First, Ties::SourceOrder, RangeRule::Entry, Attribution::FirstTouch),
            Preset::Amplitude => (1, Entry::Every, Ties::SourceOrder, RangeRule::Entry, Attribution::FirstTouch),
        };
        s.window = Window {
            value: window,
            unit: WindowUnit::Day,
        };
        s.entry = entry;
        s.ties = ties;
        s.range = range;
        s.attribution = attribution;
        s.counting = Counting::Users;
    }

    /// The preset whose settings `s` has, if any.
    pub fn of(s: &FunnelSpec) -> Option<Preset> {
        [Preset::Posthog, Preset::Mixpanel, Preset::Amplitude]
            .into_iter()
            .find(|p| {
                let mut t = s.clone();
                p.apply(&mut t);
                t == *s
            })
    }
}

/// The numbers of a funnel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunnelResult {
    /// One entry per step, over everyone (without breakdown).
    pub steps: Vec<FunnelStepResult>,
    /// The conversion window in seconds.
    pub window_seconds: i64,
    /// What the counts are: `users` or `totals` (attempts).
    pub counting: Counting,
    /// The step order used.
    pub order: Order,
    /// The breakdown's name (property names joined), if any.
    pub breakdown: Option<String>,
    /// One funnel per breakdown value: top values by entries, then `(other)`, `(none)`.
    pub breakdowns: Vec<FunnelBreakdown>,
    /// Conversion by entry interval: entered, converted (reached the last step).
    pub over_time: Vec<TrendPoint>,
    /// Users removed by an exclusion.
    pub excluded: u64,
    /// The explained funnel of `trace_user`, when asked.
    pub trace: Option<Trace>,
}

/// The numbers of one step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunnelStepResult {
    /// Event name of the step (`(any event)` when any event completes it).
    pub event: String,
    /// Users (or attempts) who reached this step (and every one before it).
    pub users: u64,
    /// `users / users of step 1` (0 when nobody entered).
    pub conversion: f64,
    /// `users / users of the previous step` (1 for step 1).
    pub step_conversion: f64,
    /// Users of the previous step who did not reach this one.
    pub dropped: u64,
    /// Median seconds from the previous step, over users who reached this step.
    pub median_seconds: Option<f64>,
    /// Mean seconds from the previous step.
    pub mean_seconds: Option<f64>,
    /// Distribution of the seconds from the previous step (empty for step 1).
    pub histogram: Vec<Bin>,
}

/// A histogram bin: users whose time lies in `[from, to)` seconds (the last bin includes
/// its end).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Bin {
    /// Lower bound in seconds.
    pub from: f64,
    /// Upper bound in seconds.
    pub to: f64,
    /// Users in the bin.
    pub users: u64,
}

/// The funnel of one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunnelBreakdown {
    /// The value (`(other)`, `(none)` included).
    pub value: String,
    /// Its steps.
    pub steps: Vec<FunnelStepResult>,
}

/// Conversion of the users who entered in one interval.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrendPoint {
    /// Interval label.
    pub label: String,
    /// Users (attempts) whose counted attempt entered in the interval.
    pub entered: u64,
    /// Of those, how many reached the last step.
    pub converted: u64,
    /// `converted / entered`.
    pub rate: f64,
}

/// Why one user converted, dropped or was excluded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Trace {
    /// The user id.
    pub user: String,
    /// Whether the user exists in the data.
    pub found: bool,
    /// The user's events that matched a step or an exclusion, in order.
    pub events: Vec<TraceEvent>,
    /// `converted`, `dropped`, `excluded`, `not_entered` or `not_found`.
    pub outcome: String,
    /// Furthest step reached (1-based, 0 when not entered).
    pub furthest: usize,
    /// When the counted attempt reached each step (RFC 3339), up to the furthest.
    pub attempt: Vec<String>,
    /// The explanation in English.
    pub reason: String,
}

/// One event of a trace.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceEvent {
    /// RFC 3339 time.
    pub time: String,
    /// Event name.
    pub event: String,
    /// Steps it matched (1-based).
    pub steps: Vec<usize>,
    /// Exclusions it matched (0-based index into `exclusions`).
    pub exclusions: Vec<usize>,
    /// Whether the date range allows it as an entry.
    pub in_range: bool,
}

/// A funnel spec resolved against the scope.
struct Plan {
    steps: Vec<EventMatcher>,
    /// Per exclusion: matcher and the bit mask of target steps `s` (0-based): an attempt
    /// that reached step `s − 1` and not `s` is excluded.
    exclusions: Vec<(EventMatcher, u32)>,
    window: i64,
}

impl FunnelSpec {
    fn plan(&self, scope: &mut Scoped) -> Result<Plan> {
        let n = self.steps.len();
        if !(2..=MAX_STEPS).contains(&n) {
            return Err(Error::spec(
                "steps",
                format!("a funnel needs 2 to {MAX_STEPS} steps, got {n}"),
            ));
        }
        if self.window.value == 0 {
            return Err(Error::spec(
                "window.value",
                "the conversion window must be at least 1",
            ));
        }
        let window = self.window.micros().ok_or_else(|| {
            Error::spec(
                "window.value",
                format!(
                    "a window of {} {}s is too long to compute; use at most {} days",
                    self.window.value,
                    serde_json::to_value(self.window.unit)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    i64::MAX / DAY
                ),
            )
        })?;
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                scope.matcher(
                    &format!("steps[{i}].event"),
                    s.event.as_deref(),
                    &s.filters,
                    true,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let mut exclusions = Vec::new();
        for (j, x) in self.exclusions.iter().enumerate() {
            let to = x.to_step.unwrap_or(n);
            if x.from_step < 1 || x.from_step >= n || to <= x.from_step || to > n {
                return Err(Error::spec(
                    format!("exclusions[{j}]"),
                    format!(
                        "an exclusion lies between two steps: from_step {} and to_step {to} must satisfy 1 ≤ from < to ≤ {n}",
                        x.from_step
                    ),
                ));
            }
            let m = scope.matcher(
                &format!("exclusions[{j}].event"),
                Some(&x.event),
                &x.filters,
                true,
            )?;
            let mask = (x.from_step..to).fold(0u32, |m, s| m | 1 << s);
            exclusions.push((m, mask));
        }
        if let Attribution::Step(k) = self.attribution {
            if self.breakdown.is_some() && !(1..=n).contains(&k) {
                return Err(Error::spec(
                    "attribution",
                    format!("step attribution names a step from 1 to {n}, got {k}"),
                ));
            }
        }
        Ok(Plan {
            steps,
            exclusions,
            window,
        })
    }
}

/// One of a user's events as the funnel sees it.
#[derive(Clone, Copy, Debug)]
struct UEv {
    t: i64,
    /// Steps it completes (bit k = step k, 0-based); in ordered and strict funnels bit 0
    /// only when the date range allows an entry here.
    steps: u32,
    /// Exclusion target steps (see [`Plan::exclusions`]).
    excl: u32,
    /// Breakdown key (0 = none).
    key: u32,
    /// Whether the date range allows an attempt to open here.
    entry_ok: bool,
    /// Index in the store.
    at: u32,
}

/// An attempt: when (and by which of the user's events) it reached each step.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    times: [i64; MAX_STEPS],
    pos: [u32; MAX_STEPS],
    excluded: bool,
}

impl Attempt {
    fn start(&self) -> i64 {
        self.times[0]
    }
}

/// How one attempt (the counted one) ended.
#[derive(Clone, Copy, Debug)]
struct Outcome {
    /// Furthest step reached (0-based).
    furthest: usize,
    attempt: Attempt,
    /// Position after which a new attempt may open (for totals).
    end: usize,
}

/// Options of the state machine.
#[derive(Clone, Copy)]
struct Rules {
    n: usize,
    window: i64,
    order: Order,
    ties: Ties,
    first_only: bool,
}

/// The attempt-tracking state machine of ordered and strict funnels.
///
/// `slots[k]` holds the attempt that most recently reached step k (attempts only open in
/// time order, so it is also the one with the latest start, which dominates every older
/// one for the steps ahead). With `strictly_later` ties, attempts that reached a step at
/// the current timestamp wait in `fresh` until the clock moves on.
struct Machine {
    r: Rules,
    slots: [Option<Attempt>; MAX_STEPS],
    fresh: [Option<Attempt>; MAX_STEPS],
    fresh_time: i64,
    best: Option<(usize, Attempt)>,
    excluded_at: usize,
    opened: bool,
}

impl Machine {
    fn new(r: Rules) -> Self {
        Machine {
            r,
            slots: [None; MAX_STEPS],
            fresh: [None; MAX_STEPS],
            fresh_time: i64::MIN,
            best: None,
            excluded_at: usize::MAX,
            opened: false,
        }
    }

    fn done(&self) -> bool {
        self.best
            .is_some_and(|(k, a)| k == self.r.n - 1 && !a.excluded)
    }

    fn same_attempt(&self, k: usize, start: i64) -> bool {
        [self.slots[k], self.fresh[k]]
            .iter()
            .flatten()
            .any(|a| a.start() == start)
    }

    /// Event at position `pos` (time `t`) completes step `k`.
    fn advance(&mut self, k: usize, t: i64, pos: u32, multi: bool) {
        let next = if k == 0 {
            if (self.r.first_only && self.opened) || self.same_attempt(0, t) {
                return;
            }
            self.opened = true;
            let mut a = Attempt {
                times: [0; MAX_STEPS],
                pos: [0; MAX_STEPS],
                excluded: false,
            };
            a.times[0] = t;
            a.pos[0] = pos;
            a
        } else {
            let Some(prev) = self.slots[k - 1] else {
                return;
            };
            if t - prev.start() > self.r.window || self.same_attempt(k, prev.start()) {
                return;
            }
            if multi && prev.pos[..k].contains(&pos) {
                return; // one event completes one step of an attempt
            }
            let mut a = prev;
            a.times[k] = t;
            a.pos[k] = pos;
            a
        };
        if !next.excluded {
            let slot = if self.r.ties == Ties::StrictlyLater {
                &mut self.fresh[k]
            } else {
                &mut self.slots[k]
            };
            if slot.is_none_or(|s| next.start() >= s.start()) {
                *slot = Some(next);
            }
        }
        if self
            .best
            .is_none_or(|(b, a)| k > b || (k == b && a.excluded && !next.excluded))
        {
            self.best = Some((k, next));
        }
    }

    /// An exclusion event: the attempt at step `s − 1` that has not reached step `s`
    /// (for each target `s`), inside its window, is excluded; so is the furthest attempt
    /// when it stands at that step.
    fn exclude(&mut self, e: &UEv, pos: usize) {
        let w = self.r.window;
        let mut m = e.excl;
        while m != 0 {
            let s = m.trailing_zeros() as usize;
            m &= m - 1;
            if s == 0 || s >= self.r.n {
                continue;
            }
            for fresh in [false, true] {
                let a = if fresh { self.fresh[s - 1] } else { self.slots[s - 1] };
                let Some(a) = a else { continue };
                if e.t - a.start() <= w && !self.same_attempt(s, a.start()) {
                    let slot = if fresh {
                        &mut self.fresh[s - 1]
                    } else {
                        &mut self.slots[s - 1]
                    };
                    if let Some(x) = slot.as_mut() {
                        x.excluded = true;
                    }
                }
            }
            if let Some((b, a)) = self.best.as_mut() {
                if *b == s - 1 && e.t - a.start() <= w && !a.excluded {
                    a.excluded = true;
                    self.excluded_at = pos;
                }
            }
        }
    }

    fn reset_unmatched(&mut self, steps: u32) {
        for k in 0..self.r.n {
            if steps & (1 << k) == 0 {
                self.slots[k] = None;
                self.fresh[k] = None;
            }
        }
    }

    fn tick(&mut self, t: i64) {
        if self.r.ties == Ties::StrictlyLater && t != self.fresh_time {
            for k in 0..self.r.n {
                if let Some(a) = self.fresh[k].take() {
                    if self.slots[k].is_none_or(|s| a.start() >= s.start()) {
                        self.slots[k] = Some(a);
                    }
                }
            }
            self.fresh_time = t;
        }
    }

    /// One event alone: exclusions first, then its steps from last to first (so it
    /// completes at most one step of an attempt), then the strict reset.
    fn single(&mut self, e: &UEv, pos: usize) {
        self.tick(e.t);
        if e.excl != 0 {
            self.exclude(e, pos);
        }
        let mut m = e.steps;
        while m != 0 {
            let k = 31 - m.leading_zeros() as usize;
            m &= !(1 << k);
            self.advance(k, e.t, pos as u32, false);
        }
        if self.r.order == Order::Strict {
            self.reset_unmatched(e.steps);
        }
    }

    /// Runs over `evs` from `from`; returns the counted attempt.
    fn run(mut self, evs: &[UEv], from: usize) -> Option<Outcome> {
        let mut i = from;
        while i < evs.len() {
            let t = evs[i].t;
            let mut j = i + 1;
            if self.r.ties == Ties::StepOrder {
                while j < evs.len() && evs[j].t == t {
                    j += 1;
                }
            }
            let group = &evs[i..j];
            if group.len() == 1 || group.iter().all(|e| e.steps == group[0].steps) {
                for (p, e) in group.iter().enumerate() {
                    self.single(e, i + p);
                    if self.done() {
                        break;
                    }
                }
            } else {
                // ties in step order: every (event, step) pair, by step
                let mut pairs: Vec<(usize, usize)> = Vec::new();
                for (p, e) in group.iter().enumerate() {
                    let mut m = e.steps;
                    while m != 0 {
                        let k = m.trailing_zeros() as usize;
                        m &= m - 1;
                        pairs.push((k, i + p));
                    }
                }
                pairs.sort_by_key(|&(k, _)| k);
                for (k, pos) in pairs {
                    self.advance(k, t, pos as u32, true);
                }
            }
            if self.done() {
                break;
            }
            i = j;
        }
        let (furthest, attempt) = self.best?;
        let end = if furthest == self.r.n - 1 && !attempt.excluded {
            attempt.pos[furthest] as usize + 1
        } else if attempt.excluded && self.excluded_at != usize::MAX {
            self.excluded_at + 1
        } else {
            let close = attempt.start().saturating_add(self.r.window);
            evs.iter()
                .position(|e| e.t > close)
                .unwrap_or(evs.len())
                .max(attempt.pos[0] as usize + 1)
        };
        Some(Outcome {
            furthest,
            attempt,
            end,
        })
    }
}

/// Any order: from each possible entry, events fill the first open step they complete,
/// in time order, within the window; the entry with the most steps counts (the earliest
/// among equals, a non-excluded one first). An exclusion event after the entry and before
/// the attempt's furthest step excludes the attempt.
fn any_order(r: Rules, evs: &[UEv], from: usize) -> Option<Outcome> {
    let full = (1u32 << r.n) - 1;
    let mut best: Option<Outcome> = None;
    let mut tried = false;
    for a in from..evs.len() {
        let e0 = &evs[a];
        if e0.steps == 0 || !e0.entry_ok {
            continue;
        }
        if r.first_only && tried {
            break;
        }
        tried = true;
        let mut filled = 0u32;
        let mut att = Attempt {
            times: [0; MAX_STEPS],
            pos: [0; MAX_STEPS],
            excluded: false,
        };
        let mut count = 0usize;
        let mut last_fill = a;
        let mut excl_at = Vec::new();
        for (b, e) in evs.iter().enumerate().skip(a) {
            if e.t - e0.t > r.window {
                break;
            }
            if b > a && e.excl != 0 {
                excl_at.push(b);
            }
            let open = e.steps & !filled;
            if open != 0 {
                let k = open.trailing_zeros();
                filled |= 1 << k;
                att.times[count] = e.t;
                att.pos[count] = b as u32;
                count += 1;
                last_fill = b;
                if filled == full {
                    break;
                }
            }
        }
        att.excluded = excl_at.iter().any(|&x| x < last_fill);
        let furthest = count - 1;
        let better = best.as_ref().is_none_or(|o| {
            furthest > o.furthest || (furthest == o.furthest && o.attempt.excluded && !att.excluded)
        });
        if better {
            let end = if att.excluded {
                excl_at[0] + 1
            } else if furthest == r.n - 1 {
                last_fill + 1
            } else {
                let close = e0.t.saturating_add(r.window);
                evs.iter().position(|e| e.t > close).unwrap_or(evs.len()).max(a + 1)
            };
            best = Some(Outcome {
                furthest,
                attempt: att,
                end,
            });
            if furthest == r.n - 1 && !att.excluded {
                break;
            }
        }
    }
    best
}

/// Every counted attempt of one user's events: one (the furthest) for users, each
/// attempt in turn for totals.
fn outcomes(r: Rules, counting: Counting, evs: &[UEv], out: &mut Vec<Outcome>) {
    out.clear();
    let once = |r: Rules, from: usize| match r.order {
        Order::Any => any_order(r, evs, from),
        _ => Machine::new(r).run(evs, from),
    };
    match counting {
        Counting::Users => out.extend(once(r, 0)),
        Counting::Totals => {
            let r = Rules {
                first_only: true,
                ..r
            };
            let mut from = 0;
            while from < evs.len() {
                match once(r, from) {
                    Some(o) => {
                        from = o.end.max(from + 1);
                        out.push(o);
                    }
                    None => break,
                }
            }
        }
    }
}
/// Counts of users (or attempts) per step with their step-to-step times.
struct Agg {
    reached: Vec<u64>,
    gaps: Vec<Vec<f64>>,
}

impl Agg {
    fn new(n: usize) -> Self {
        Agg {
            reached: vec![0; n],
            gaps: vec![Vec::new(); n],
        }
    }

    fn add(&mut self, o: &Outcome) {
        for k in 0..=o.furthest {
            self.reached[k] += 1;
            if k > 0 {
                let a = &o.attempt;
                self.gaps[k].push((a.times[k] - a.times[k - 1]) as f64 / SECOND as f64);
            }
        }
    }

    fn merge(&mut self, other: Agg) {
        for (k, g) in other.gaps.into_iter().enumerate() {
            self.reached[k] += other.reached[k];
            self.gaps[k].extend(g);
        }
    }

    fn steps(mut self, spec: &FunnelSpec) -> Vec<FunnelStepResult> {
        let users = &self.reached;
        (0..users.len())
            .map(|k| {
                let prev = if k == 0 { users[0] } else { users[k - 1] };
                let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
                let g = &mut self.gaps[k];
                let mean = (!g.is_empty()).then(|| g.iter().sum::<f64>() / g.len() as f64);
                FunnelStepResult {
                    event: spec.steps[k].label(),
                    users: users[k],
                    conversion: ratio(users[k], users[0]),
                    step_conversion: if k == 0 { 1.0 } else { ratio(users[k], prev) },
                    dropped: prev - users[k],
                    median_seconds: median(g),
                    mean_seconds: mean,
                    histogram: histogram(g),
                }
            })
            .collect()
    }
}

/// Up to 10 bins of a "nice" width (1, 2 or 5 × a power of ten seconds) from 0.
fn histogram(v: &[f64]) -> Vec<Bin> {
    let Some(max) = v.iter().copied().reduce(f64::max) else {
        return Vec::new();
    };
    let raw = (max / 10.0).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    let width = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&w| w >= raw)
        .unwrap_or(10.0 * p);
    let nb = ((max / width).floor() as usize + 1).min(11);
    let mut bins: Vec<Bin> = (0..nb)
        .map(|b| Bin {
            from: b as f64 * width,
            to: (b + 1) as f64 * width,
            users: 0,
        })
        .collect();
    for &x in v {
        let b = ((x / width).floor() as usize).min(nb - 1);
        bins[b].users += 1;
    }
    bins
}

/// Computes a funnel.
///
/// Each user's events that pass the shared filters (and, with `range: "all_steps"`, lie
/// in the date range) are matched against the steps and exclusions once; the attempt
/// rules then run over that short list, per breakdown value when the attribution needs
/// it.
pub fn run(scope: &mut Scoped, spec: &FunnelSpec) -> Result<FunnelResult> {
    let plan = spec.plan(scope)?;
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };
    let scope = &*scope;
    let n = plan.steps.len();
    let rules = Rules {
        n,
        window: plan.window,
        order: spec.order,
        ties: spec.ties,
        first_only: spec.entry == Entry::First,
    };
    let t = scope.store.times();
    let trend_cal = scope.calendar(spec.trend_interval);
    let trace_user = spec
        .trace_user
        .as_deref()
        .and_then(|id| scope.store.user_index(id));

    let mut all = Agg::new(n);
    let mut excluded = 0u64;
    // per breakdown key: reached counts and (step, seconds) samples
    let nkeys = values.as_ref().map_or(0, |v| v.len());
    let mut by_key: Vec<Agg> = Vec::new();
    let mut trend: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
    let mut trace = None;
    let (mut evs, mut sub, mut outs) = (Vec::new(), Vec::new(), Vec::new());
    for (u, r) in scope.users() {
        evs.clear();
        for i in r {
            if !scope.keep(i) || (spec.range == RangeRule::AllSteps && !scope.in_range(t[i])) {
                continue;
            }
            let entry_ok = scope.in_range(t[i]);
            let mut steps = 0u32;
            for (k, m) in plan.steps.iter().enumerate() {
                if scope.matches(m, i, u) {
                    steps |= 1 << k;
                }
            }
            if spec.order != Order::Any && !entry_ok {
                steps &= !1;
            }
            let mut excl = 0u32;
            for (m, mask) in &plan.exclusions {
                if scope.matches(m, i, u) {
                    excl |= mask;
                }
            }
            if steps == 0 && excl == 0 && spec.order != Order::Strict {
                continue;
            }
            evs.push(UEv {
                t: t[i],
                steps,
                excl,
                key: values.as_ref().map_or(0, |v| v.key(i)),
                entry_ok,
                at: i as u32,
            });
        }
        if evs.iter().all(|e| e.steps == 0) {
            if trace_user == Some(u as usize) {
                trace = Some(explain(scope, spec, &plan, &evs, None, u));
            }
            continue;
        }
        outcomes(rules, spec.counting, &evs, &mut outs);
        if trace_user == Some(u as usize) {
            trace = Some(explain(scope, spec, &plan, &evs, outs.first().copied(), u));
        }
        for o in &outs {
            if o.attempt.excluded {
                excluded += 1;
                continue;
            }
            all.add(o);
            let e = trend.entry(trend_cal.bucket(o.attempt.start())).or_default();
            e.0 += 1;
            e.1 += u64::from(o.furthest == n - 1);
        }
        if values.is_none() {
            continue;
        }
        if by_key.is_empty() {
            by_key = (0..nkeys).map(|_| Agg::new(n)).collect();
        }
        let mut count = |key: u32, outs: &[Outcome]| {
            for o in outs.iter().filter(|o| !o.attempt.excluded) {
                by_key[key as usize].add(o);
            }
        };
        let touched = evs.iter().filter(|e| e.steps != 0);
        match spec.attribution {
            Attribution::FirstTouch | Attribution::LastTouch => {
                let mut keys = touched.map(|e| e.key).filter(|&k| k != 0);
                let key = if spec.attribution == Attribution::FirstTouch {
                    keys.next()
                } else {
                    keys.last()
                };
                count(key.unwrap_or(0), &outs);
            }
            Attribution::AllEvents => {
                let mut keys: Vec<u32> = touched.map(|e| e.key).collect();
                keys.sort_unstable();
                keys.dedup();
                for key in keys {
                    sub.clear();
                    sub.extend(evs.iter().filter(|e| e.key == key).copied());
                    outcomes(rules, spec.counting, &sub, &mut outs);
                    count(key, &outs);
                }
            }
            Attribution::Step(step) => {
                let bit = 1u32 << (step - 1);
                let mut keys: Vec<u32> = touched
                    .filter(|e| e.steps & bit != 0 && e.key != 0)
                    .map(|e| e.key)
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                for key in keys {
                    sub.clear();
                    sub.extend(evs.iter().map(|e| {
                        let mut e = *e;
                        if e.key != key {
                            e.steps &= !bit;
                        }
                        e
                    }));
                    outcomes(rules, spec.counting, &sub, &mut outs);
                    count(key, &outs);
                }
            }
        }
    }
    if spec.trace_user.is_some() && trace.is_none() {
        let id = spec.trace_user.clone().unwrap_or_default();
        let found = trace_user.is_some();
        trace = Some(Trace {
            reason: if found {
                format!("user \"{id}\" has no event matching a step")
            } else {
                format!("no user \"{id}\" in the data")
            },
            user: id,
            found,
            events: Vec::new(),
            outcome: if found { "not_entered" } else { "not_found" }.into(),
            furthest: 0,
            attempt: Vec::new(),
        });
    }

    let mut breakdowns = Vec::new();
    if let Some(values) = &values {
        if by_key.is_empty() {
            by_key = (0..nkeys).map(|_| Agg::new(n)).collect();
        }
        let rank: Vec<u64> = by_key.iter().map(|a| a.reached[0]).collect();
        let present: Vec<bool> = rank.iter().map(|&r| r > 0).collect();
        let limit = spec.breakdown.as_ref().map_or(0, |b| b.limit);
        let ranked = Ranked::new(values, &rank, &present, limit);
        let mut slots: Vec<Agg> = ranked.labels.iter().map(|_| Agg::new(n)).collect();
        for (key, agg) in by_key.into_iter().enumerate() {
            if let Some(slot) = slots.get_mut(ranked.slot[key]) {
                slot.merge(agg);
            }
        }
        breakdowns = ranked
            .labels
            .iter()
            .zip(slots)
            .map(|(value, agg)| FunnelBreakdown {
                value: value.clone(),
                steps: agg.steps(spec),
            })
            .collect();
    }
    let over_time = match (trend.keys().next(), trend.keys().next_back()) {
        (Some(&lo), Some(&hi)) if trend_cal.index(lo, hi) < 5000 => (0..=trend_cal.index(lo, hi))
            .map(|k| {
                let key = trend_cal.add(lo, k);
                let (entered, converted) = trend.get(&key).copied().unwrap_or_default();
                TrendPoint {
                    label: trend_cal.label(key),
                    entered,
                    converted,
                    rate: if entered == 0 {
                        0.0
                    } else {
                        converted as f64 / entered as f64
                    },
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(FunnelResult {
        steps: all.steps(spec),
        window_seconds: plan.window / SECOND,
        counting: spec.counting,
        order: spec.order,
        breakdown: spec.breakdown.as_ref().map(|b| b.name()),
        breakdowns,
        over_time,
        excluded,
        trace,
    })
}

/// The trace of one user: their matched events, the counted attempt and why.
fn explain(
    scope: &Scoped,
    spec: &FunnelSpec,
    plan: &Plan,
    evs: &[UEv],
    o: Option<Outcome>,
    u: u32,
) -> Trace {
    let store = scope.store;
    let n = plan.steps.len();
    let events = evs
        .iter()
        .filter(|e| e.steps != 0 || e.excl != 0)
        .map(|e| {
            let i = e.at as usize;
            TraceEvent {
                time: format_rfc3339(e.t),
                event: store.event_names().get(store.event_codes()[i]).to_string(),
                steps: (0..n)
                    .filter(|&k| scope.matches(&plan.steps[k], i, u))
                    .map(|k| k + 1)
                    .collect(),
                exclusions: (0..plan.exclusions.len())
                    .filter(|&j| scope.matches(&plan.exclusions[j].0, i, u))
                    .collect(),
                in_range: e.entry_ok,
            }
        })
        .collect();
    let id = store.user_id(u as usize).to_string();
    let window = format!("{} {:?}", spec.window.value, spec.window.unit).to_lowercase();
    let (outcome, furthest, attempt, reason) = match o {
        None => (
            "not_entered",
            0,
            Vec::new(),
            "no event completing step 1 where the date range allows an entry".to_string(),
        ),
        Some(o) => {
            let times: Vec<String> = (0..=o.furthest)
                .map(|k| format_rfc3339(o.attempt.times[k]))
                .collect();
            let start = &times[0];
            if o.attempt.excluded {
                (
                    "excluded",
                    o.furthest + 1,
                    times.clone(),
                    format!(
                        "removed: an exclusion event came inside the {window} window of the attempt that started at {start}, before it reached step {}",
                        o.furthest + 2
                    ),
                )
            } else if o.furthest == n - 1 {
                (
                    "converted",
                    n,
                    times.clone(),
                    format!("converted: the attempt that started at {start} reached all {n} steps within {window}"),
                )
            } else {
                (
                    "dropped",
                    o.furthest + 1,
                    times.clone(),
                    format!(
                        "dropped after step {} of {n}: no attempt reached step {} within {window} of its start (best attempt started at {start})",
                        o.furthest + 1,
                        o.furthest + 2
                    ),
                )
            }
        }
    };
    Trace {
        user: id,
        found: true,
        events,
        outcome: outcome.into(),
        furthest,
        attempt,
        reason,
    }
}

/// The result as a table: one row per step; with a breakdown, the steps of everyone
/// (`(all)`) and then of each value, with the value in a first column.
pub fn table(r: &FunnelResult) -> Table {
    let head = [
        "step",
        "event",
        "users",
        "conversion",
        "step_conversion",
        "dropped",
        "median_seconds",
        "mean_seconds",
    ];
    let with_value = r.breakdown.is_some();
    let mut t = vec![if with_value {
        std::iter::once("breakdown").chain(head).map(String::from).collect()
    } else {
        head.map(String::from).to_vec()
    }];
    let mut rows = |value: Option<&str>, steps: &[FunnelStepResult]| {
        for (k, s) in steps.iter().enumerate() {
            let mut row: Vec<String> = value.map(str::to_owned).into_iter().collect();
            row.extend([
                (k + 1).to_string(),
                s.event.clone(),
                s.users.to_string(),
                s.conversion.to_string(),
                s.step_conversion.to_string(),
                s.dropped.to_string(),
                super::table::opt(s.median_seconds),
                super::table::opt(s.mean_seconds),
            ]);
            t.push(row);
        }
    };
    rows(with_value.then_some("(all)"), &r.steps);
    for b in &r.breakdowns {
        rows(Some(&b.value), &b.steps);
    }
    t
}
