//! Conversion funnels.
//!
//! Definition (DESIGN.md §3, PostHog-style attempt tracking). A funnel looks at each user's
//! events that pass the shared filters (with `range: "all_steps"`, only those inside the
//! date range), in (time, source row) order: those that complete a step or match an
//! exclusion, and in strict order every one of them (any event can break the order).
//!
//! - **Attempts.** Every event completing step 1 where the date range allows an entry opens
//!   an attempt (`entry: "first"`: only the user's first such event). An attempt reaches
//!   step k when distinct events p1 … pk, p1 its entry, complete steps 1 … k in the order
//!   the [`Order`] and [`Ties`] rules allow, pk at most `window` after p1 (inclusive). It
//!   reaches step k *at* the earliest event where that is possible, and its conversion
//!   times are the seconds between those moments. One event completes at most one step of
//!   an attempt: a funnel `a → a` needs two `a`.
//! - **Users.** A user counts at the furthest step any attempt reached. The attempt that
//!   counts (conversion times, entry interval) is the first to reach that step: at the
//!   earliest event, then the latest start (the shortest), then the earliest entry event.
//! - **Exclusions** ([`Exclusion`]) never stop an attempt: they mark it. When every attempt
//!   that reached the user's furthest step is marked, the user is removed from the funnel
//!   (`excluded`); otherwise the first unmarked one counts (PostHog).
//! - **Totals** ([`Counting::Totals`]) count attempts one after another instead of users.
//! - **Any order**: [`Order::Any`]; breakdowns: [`Attribution`].
//!
//! `entry: "first"` is Mixpanel's "uniques"; with `ties: "strictly_later"` it is exactly the
//! reference SQL in `shared/bench/queries.sql` (checked by `scripts/crosscheck.sh`).

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
    /// Events that mark an attempt when done between two of its steps; a user whose
    /// furthest step was reached only by marked attempts is removed.
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

/// An exclusion: an event `event` (passing `filters`) marks an attempt when it comes
/// inside the attempt's window, after the attempt reached step `from_step` and no later
/// than the event at which it reached step `to_step` (1-based; anywhere in the window when
/// it never did). An event that also completes a step is tested as an exclusion first,
/// against the attempt as it was before that event. With `ties: "step_order"`, an
/// exclusion event in a tie of different steps is ignored. In any order, `from_step` and
/// `to_step` count the steps done. See [`FunnelSpec`] for what a mark does.
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
    /// In order with nothing in between: each step is completed by the event right after
    /// the previous step's among the events that pass the shared filters (and the date
    /// range with `all_steps`). Any other event breaks the attempt, another event of the
    /// same step included (`a, b, b, c` stops at b). With `ties: "step_order"`, the events
    /// of a tie of different steps break nothing: an attempt may use some, all or none of
    /// them.
    Strict,
    /// In any order within the window. Every event completing some step where the date
    /// range allows an entry opens an attempt (`entry: "first"`: the first such event);
    /// after the events from the entry up to some point of its window, the attempt has
    /// reached step k when k distinct events there complete k distinct steps (each event
    /// one step, matched as well as possible). The attempt reaching most steps counts, the
    /// earliest entry among equals (an unmarked one first). `ties` does not apply.
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
    /// the clock (Mixpanel uniques; the reference SQL). Totals ignore this option: each of
    /// their attempts starts at the first entry after the previous one ended.
    First,
}

/// How events at equal timestamps are ordered.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Events at one timestamp follow their source rows: a step completed at the same
    /// timestamp as the previous one counts when its row comes later.
    #[default]
    SourceOrder,
    /// Each step must be strictly later in time than the previous one.
    StrictlyLater,
    /// The events at one timestamp that do not all complete the same steps (a *tie*;
    /// among the events the funnel looks at, an event completing nothing counting as the
    /// empty set) are taken in step order whatever their rows, so tied steps always convert
    /// (PostHog): an attempt may use the tie's events in any order, each for one step, and an
    /// attempt opened inside the tie may use the others. Exclusion events in a tie are
    /// ignored and, in strict order, the tie's events break nothing. Events at one
    /// timestamp that all complete the same steps keep their row order.
    StepOrder,
}

/// Which events of an attempt must lie in the date range.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RangeRule {
    /// Only the entry (step 1; in any order, the event opening the attempt); later steps
    /// may complete after the range end, inside the window (Amplitude, Mixpanel). Events
    /// before the range start are never part of an attempt.
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
    /// Each attempt. The user's first entry opens one; later step-1 events inside it do not
    /// reset its clock. It ends at its first exclusion mark (it is then removed and counted
    /// in `excluded`), at the event completing its last step, or when its window closes (a
    /// strict attempt broken by another event still runs until then); the next attempt is
    /// the first entry after that, among the events after that point.
    Totals,
}

/// Which breakdown value a user's funnel counts under.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The first value among the user's *step events*: the events that can complete a
    /// step (a step-1 event only where it can be an entry in ordered and strict funnels),
    /// from the start of the date range on. The user's whole funnel counts under it;
    /// `(none)` when those events carry no value.
    #[default]
    FirstTouch,
    /// The last value among the user's step events.
    LastTouch,
    /// Every value: for each value the user's step events carry (`(none)` included), the
    /// funnel over the user's events carrying that value only (their exclusion and
    /// strict-order events too); the user counts under each value whose funnel they enter.
    AllEvents,
    /// The value at step N (1-based): for each value carried by the user's step events
    /// that can complete step N, the funnel in which only events with that value complete
    /// step N; the user counts under each of those values, at the step reached there.
    /// Users whose step-N events carry no value (or who have none) are left out of the
    /// breakdown (they still count in `steps`).
    Step(usize),
}

/// Settings that reproduce another product's funnel numbers, as far as the options go:
/// Mixpanel's 2-second grace period and Amplitude's 1-second simultaneity window are not
/// reproduced (steps at nearby timestamps follow `ties`), nor are the products' own
/// sampling, session or identity rules.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// PostHog: every entry, furthest step, 14-day window, ties in step order, every step
    /// inside the date range.
    Posthog,
    /// Mixpanel uniques: first entry in the range, clock not reset, 7-day window, later
    /// steps may complete after the range.
    Mixpanel,
    /// Amplitude: every entry, the furthest (longest) then first conversion, 1-day window,
    /// entry in the range, ties in source order.
    Amplitude,
}

impl Preset {
    /// Sets the options this product decides; steps, exclusions and breakdown are kept.
    pub fn apply(self, s: &mut FunnelSpec) {
        let (window, entry, ties, range, attribution) = match self {
            Preset::Posthog => (
                14,
                Entry::Every,
                Ties::StepOrder,
                RangeRule::AllSteps,
                Attribution::FirstTouch,
            ),
            Preset::Mixpanel => (
                7,
                Entry::First,
                Ties::SourceOrder,
                RangeRule::Entry,
                Attribution::FirstTouch,
            ),
            Preset::Amplitude => (
                1,
                Entry::Every,
                Ties::SourceOrder,
                RangeRule::Entry,
                Attribution::FirstTouch,
            ),
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
    /// Users (with totals, attempts) removed by an exclusion.
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
    /// Median seconds from the previous step, over users who reached this step (the
    /// counted attempt's times).
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
    /// Users (attempts) whose counted attempt entered in the interval (the spec's time
    /// zone and week start).
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
            )
            .keyed("steps_count", &[("max", &MAX_STEPS), ("got", &n)]));
        }
        if self.window.value == 0 {
            return Err(Error::spec(
                "window.value",
                "the conversion window must be at least 1",
            )
            .keyed("at_least_one", &[]));
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
            .keyed("window_too_long", &[("value", &self.window.value), ("max", &(i64::MAX / DAY))])
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
                )
                .keyed("exclusion_steps", &[("from", &x.from_step), ("to", &to), ("n", &n)]));
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
                )
                .keyed("attribution_step", &[("n", &n), ("got", &k)]));
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

/// An attempt: when (and at which of the user's events) it reached each step.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    times: [i64; MAX_STEPS],
    /// Position (in the user's event list) of the event that completed each step; for
    /// steps completed inside a tie of different steps (`step_order`), the tie's last
    /// position. `pos[0]` is the entry event itself.
    pos: [u32; MAX_STEPS],
    /// Furthest step reached (0-based).
    at: usize,
    /// Strict order with `step_order` ties: the steps the attempt may stand at now (bit
    /// k = step k), as a tie of different steps may be used or passed over; 0 when broken.
    states: u32,
    /// Position of the first exclusion event that hit the attempt.
    hit: Option<u32>,
}

impl Attempt {
    fn new(t: i64, pos: usize) -> Self {
        let mut a = Attempt {
            times: [0; MAX_STEPS],
            pos: [0; MAX_STEPS],
            at: 0,
            states: 1,
            hit: None,
        };
        a.times[0] = t;
        a.pos[0] = pos as u32;
        a
    }

    fn start(&self) -> i64 {
        self.times[0]
    }

    fn excluded(&self) -> bool {
        self.hit.is_some()
    }

    /// Records that the attempt reached step `k` at `t`, event position `pos`.
    fn reach(&mut self, k: usize, t: i64, pos: usize) {
        self.at = k;
        self.times[k] = t;
        self.pos[k] = pos as u32;
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

/// Options of the attempt rules.
#[derive(Clone, Copy)]
struct Rules {
    n: usize,
    window: i64,
    order: Order,
    ties: Ties,
    first_only: bool,
    /// The user has exclusion events: every attempt is then followed, none is merged
    /// (an older attempt may escape a mark that hits a newer one).
    exclusions: bool,
    /// Stop at the first exclusion that hits the (single) attempt: totals.
    stop_at_hit: bool,
}

/// Which attempt a user counts with, among attempts that can no longer change.
///
/// `any` is the best attempt of all, `clean` the best one no exclusion hit; best means
/// furthest, then (ordered and strict) the one that reached that step at the earliest
/// event, then the latest start, then the earliest entry event; (any order) the earliest
/// entry event.
#[derive(Default)]
struct Pick {
    any: Option<Attempt>,
    clean: Option<Attempt>,
}

impl Pick {
    fn better(order: Order, a: &Attempt, b: &Attempt) -> bool {
        if a.at != b.at {
            return a.at > b.at;
        }
        if order == Order::Any {
            return a.pos[0] < b.pos[0];
        }
        let (pa, pb) = (a.pos[a.at], b.pos[b.at]);
        (pa, std::cmp::Reverse(a.start()), a.pos[0]) < (pb, std::cmp::Reverse(b.start()), b.pos[0])
    }

    fn add(&mut self, order: Order, a: &Attempt) {
        if self.any.as_ref().is_none_or(|b| Self::better(order, a, b)) {
            self.any = Some(*a);
        }
        if !a.excluded()
            && self
                .clean
                .as_ref()
                .is_none_or(|b| Self::better(order, a, b))
        {
            self.clean = Some(*a);
        }
    }

    /// A clean attempt reached the last step: nothing can beat it any more.
    fn converted(&self, n: usize) -> bool {
        self.clean.is_some_and(|a| a.at == n - 1)
    }

    /// The counted attempt: the best clean one if it went as far as any, else the best
    /// (excluded) one.
    fn counted(&self) -> Option<Attempt> {
        let any = self.any?;
        Some(match self.clean {
            Some(c) if c.at == any.at => c,
            _ => any,
        })
    }
}

/// Where a counted attempt ends, for totals: after its first exclusion hit, after its
/// last step, or at the first event past its window.
fn outcome(r: Rules, evs: &[UEv], a: Attempt) -> Outcome {
    let end = if let Some(h) = a.hit {
        h as usize + 1
    } else if a.at == r.n - 1 {
        a.pos[a.at] as usize + 1
    } else {
        let close = a.start().saturating_add(r.window);
        evs.iter()
            .position(|e| e.t > close)
            .unwrap_or(evs.len())
            .max(a.pos[0] as usize + 1)
    };
    Outcome {
        furthest: a.at,
        attempt: a,
        end,
    }
}

/// Reusable buffers of the attempt rules.
#[derive(Default)]
struct Work {
    /// Every attempt of the current run; the lists below hold indices into it.
    arena: Vec<Attempt>,
    /// Attempts that may still move on, oldest first.
    live: Vec<u32>,
    /// Strict attempts broken inside their window (kept for exclusions).
    stalled: Vec<u32>,
    keys: Vec<(u32, bool)>,
    keep: Vec<bool>,
    /// Event in a tie → step it is matched to.
    taken: Vec<u32>,
    seen: Vec<bool>,
}

/// The attempt rules of ordered and strict funnels, over one user's events.
///
/// Every step-1 event opens an attempt (with `first_only`, only the first). Attempts are
/// followed one by one: an event completing the step after an attempt's furthest step,
/// inside its window (and, with `strictly_later`, strictly later than that step), moves it
/// on by one step. In strict order an event that does not move an attempt on breaks it.
/// Without exclusions, of two attempts at the same step only the later-starting one is
/// followed: it can go wherever the other can, and wins ties.
struct Machine<'w> {
    r: Rules,
    w: &'w mut Work,
    pick: Pick,
    opened: bool,
    /// An attempt moved on or opened since the last [`Machine::settle`].
    moved: bool,
    /// An attempt reached the last step since the last [`Machine::settle`].
    converted: bool,
}

impl<'w> Machine<'w> {
    fn new(r: Rules, w: &'w mut Work) -> Self {
        w.arena.clear();
        w.live.clear();
        w.stalled.clear();
        Machine {
            r,
            w,
            pick: Pick::default(),
            opened: false,
            moved: false,
            converted: false,
        }
    }

    fn finish(&mut self, k: u32) {
        self.pick.add(self.r.order, &self.w.arena[k as usize]);
    }

    /// Attempts whose window ended before `t` can no longer change.
    fn expire(&mut self, t: i64) {
        let (w, arena) = (self.r.window, &self.w.arena);
        let open = |k: &u32| t - arena[*k as usize].start() <= w;
        if self.w.live.first().is_none_or(open) && self.w.stalled.is_empty() {
            return;
        }
        let k = self
            .w
            .live
            .iter()
            .position(|&a| t - arena[a as usize].start() <= w)
            .unwrap_or(self.w.live.len());
        for &a in &self.w.live[..k] {
            self.pick.add(self.r.order, &arena[a as usize]);
        }
        self.w.live.drain(..k);
        let pick = &mut self.pick;
        self.w.stalled.retain(|&a| {
            let a = &arena[a as usize];
            let open = t - a.start() <= w;
            if !open {
                pick.add(self.r.order, a);
            }
            open
        });
    }

    /// Converted attempts are final; without exclusions, of the followed attempts at one
    /// step (and, with `strictly_later`, reached at the same moment or not) only the
    /// latest start stays (the first of equal starts).
    fn settle(&mut self, t: i64) {
        if !std::mem::take(&mut self.moved) {
            return;
        }
        let n = self.r.n;
        let order = self.r.order;
        let (arena, pick) = (&self.w.arena, &mut self.pick);
        if std::mem::take(&mut self.converted) {
            self.w.live.retain(|&a| {
                let a = &arena[a as usize];
                let done = a.at == n - 1;
                if done {
                    pick.add(order, a);
                }
                !done
            });
        }
        let live = &self.w.live;
        if self.r.exclusions || live.len() < 2 {
            return;
        }
        let later = self.r.ties == Ties::StrictlyLater;
        let strict = self.r.order == Order::Strict;
        let key = |a: u32| {
            let a = &arena[a as usize];
            let states = if strict { a.states } else { 1 << a.at };
            (states, later && a.times[a.at] == t)
        };
        if !strict && live.len() <= 64 {
            // keys are (step, fresh): a bit each. From the newest attempt back, an older
            // one with a key already seen is dropped (unless both start at the same time)
            let mut seen = 0u64;
            let mut start = [0i64; 2 * MAX_STEPS];
            let mut drop = 0u64;
            let mut same_start = false;
            for (x, &a) in live.iter().enumerate().rev() {
                let (states, fresh) = key(a);
                let b = (2 * states.trailing_zeros() + u32::from(fresh)) as usize;
                let st = arena[a as usize].start();
                if seen & (1 << b) != 0 {
                    same_start |= st == start[b];
                    drop |= 1 << x;
                } else {
                    seen |= 1 << b;
                    start[b] = st;
                }
            }
            if drop == 0 {
                return;
            }
            if !same_start {
                let mut x = 0;
                self.w.live.retain(|&a| {
                    let kept = drop & (1 << x) == 0;
                    x += 1;
                    if !kept {
                        pick.add(order, &arena[a as usize]);
                    }
                    kept
                });
                return;
            }
        }
        self.w.keys.clear();
        self.w.keys.extend(live.iter().map(|&a| key(a)));
        let keys = &self.w.keys;
        self.w.keep.clear();
        self.w.keep.resize(live.len(), true);
        for i in 0..live.len() {
            for j in i + 1..live.len() {
                if self.w.keep[i] && self.w.keep[j] && keys[i] == keys[j] {
                    // i is older (or starts at the same time and came first)
                    let (ai, aj) = (&arena[live[i] as usize], &arena[live[j] as usize]);
                    if aj.start() > ai.start() {
                        self.w.keep[i] = false;
                    } else {
                        self.w.keep[j] = false;
                    }
                }
            }
        }
        let keep = &self.w.keep;
        let mut k = 0;
        self.w.live.retain(|&a| {
            let kept = keep[k];
            k += 1;
            if !kept {
                pick.add(order, &arena[a as usize]);
            }
            kept
        });
    }

    /// One event on its own: exclusions first (against the attempts as they were before
    /// it), then it moves each attempt on by at most one step, then it may open an
    /// attempt; in strict order the attempts it did not move on are broken.
    fn single(&mut self, e: &UEv, i: usize) {
        let n = self.r.n;
        let arena = &mut self.w.arena;
        if e.excl != 0 {
            for &k in self.w.live.iter().chain(&self.w.stalled) {
                let a = &mut arena[k as usize];
                if a.hit.is_none() && e.excl & (1 << (a.at + 1)) != 0 {
                    a.hit = Some(i as u32);
                }
            }
        }
        let strict = self.r.order == Order::Strict;
        let later = self.r.ties == Ties::StrictlyLater;
        let moves = |a: &Attempt, s: usize| {
            s + 1 < n && e.steps & (1 << (s + 1)) != 0 && (!later || e.t > a.times[s])
        };
        let mut moved = false;
        if !strict {
            let mut converted = false;
            for &k in &self.w.live {
                let a = &mut arena[k as usize];
                if moves(a, a.at) {
                    a.reach(a.at + 1, e.t, i);
                    moved = true;
                    converted |= a.at == n - 1;
                }
            }
            self.moved |= moved;
            self.converted |= converted;
            self.open(e, i);
            return;
        }
        // strict: each step the attempt may stand at moves on, or is broken
        let mut converted = false;
        let (stalled, pick) = (&mut self.w.stalled, &mut self.pick);
        let (order, exclusions) = (self.r.order, self.r.exclusions);
        self.w.live.retain(|&k| {
            let a = &mut arena[k as usize];
            let mut next = 0u32;
            let mut m = a.states;
            while m != 0 {
                let s = m.trailing_zeros() as usize;
                m &= m - 1;
                if moves(a, s) {
                    next |= 1 << (s + 1);
                }
            }
            a.states = next;
            if next == 0 {
                if exclusions {
                    stalled.push(k);
                } else {
                    pick.add(order, a);
                }
                return false;
            }
            let top = (31 - next.leading_zeros()) as usize;
            if top > a.at {
                a.reach(top, e.t, i);
            }
            moved = true;
            converted |= a.at == n - 1;
            true
        });
        self.moved |= moved;
        self.converted |= converted;
        self.open(e, i);
    }

    fn open(&mut self, e: &UEv, i: usize) -> bool {
        if e.steps & 1 == 0 || (self.r.first_only && self.opened) {
            return false;
        }
        self.opened = true;
        self.moved = true;
        self.w.live.push(self.w.arena.len() as u32);
        self.w.arena.push(Attempt::new(e.t, i));
        true
    }

    /// Events `i..j` at one timestamp that do not all complete the same steps, with
    /// `step_order`: taken in step order whatever their rows. Each attempt moves on by as
    /// many steps as distinct events of the tie can complete in a row; an entry in the
    /// tie moves on with the other events of the tie. Exclusions and strict breaks do not
    /// apply inside such a tie: in strict order the attempt may also pass over the tie
    /// (or stop part way), so it may stand at any of those steps afterwards.
    fn tie(&mut self, evs: &[UEv], i: usize, j: usize) {
        self.moved = true;
        let t = evs[i].t;
        let n = self.r.n;
        let strict = self.r.order == Order::Strict;
        let group = &evs[i..j];
        // steps a tie can complete in a row after step s, per s
        let mut memo = [usize::MAX; MAX_STEPS];
        for k in 0..self.w.live.len() {
            let a = self.w.arena[self.w.live[k] as usize];
            let from = if strict { a.states } else { 1 << a.at };
            let mut states = 0u32;
            let mut m = from;
            while m != 0 {
                let s = m.trailing_zeros() as usize;
                m &= m - 1;
                if memo[s] == usize::MAX {
                    memo[s] = tie_steps(self.w, group, None, s + 1, n);
                }
                let lo = if strict { s } else { s + memo[s] };
                for u in lo..=s + memo[s] {
                    states |= 1 << u;
                }
            }
            let a = &mut self.w.arena[self.w.live[k] as usize];
            let top = (31 - states.leading_zeros()) as usize;
            for s in a.at + 1..=top {
                a.reach(s, t, j - 1);
            }
            a.states = states;
            self.converted |= a.at == n - 1;
        }
        for p in 0..group.len() {
            if self.open(&group[p], i + p) {
                let m = tie_steps(self.w, group, Some(p), 1, n);
                let a = self.w.arena.last_mut().expect("just opened");
                for s in 1..=m {
                    a.reach(s, t, j - 1);
                }
                a.states = if strict { (1 << (m + 1)) - 1 } else { 1 << m };
                self.converted |= a.at == n - 1;
            }
        }
    }

    /// Runs over `evs` from `from`; returns the counted attempt.
    fn run(mut self, evs: &[UEv], from: usize) -> Option<Outcome> {
        let mut i = from;
        while i < evs.len() {
            let t = evs[i].t;
            let mut j = i + 1;
            while j < evs.len() && evs[j].t == t {
                j += 1;
            }
            self.expire(t);
            if self.r.first_only
                && self.opened
                && self.w.live.is_empty()
                && self.w.stalled.is_empty()
            {
                break; // the only attempt is over: no later event changes anything
            }
            let group = &evs[i..j];
            if self.r.ties == Ties::StepOrder && group.iter().any(|e| e.steps != group[0].steps) {
                self.tie(evs, i, j);
                self.settle(t);
            } else {
                for (p, e) in group.iter().enumerate() {
                    self.single(e, i + p);
                    self.settle(t);
                    if self.stop() {
                        break;
                    }
                }
            }
            if self.stop() {
                break;
            }
            i = j;
        }
        for k in std::mem::take(&mut self.w.live) {
            self.finish(k);
        }
        for k in std::mem::take(&mut self.w.stalled) {
            self.finish(k);
        }
        self.pick.counted().map(|a| outcome(self.r, evs, a))
    }

    /// Nothing left to decide: a clean attempt converted, or (totals) the attempt was hit.
    fn stop(&mut self) -> bool {
        if self.pick.converted(self.r.n) {
            return true;
        }
        if self.r.stop_at_hit {
            let arena = &self.w.arena;
            let hit = self
                .w
                .live
                .iter()
                .chain(&self.w.stalled)
                .find(|&&k| arena[k as usize].excluded());
            if let Some(&k) = hit {
                self.w.live.clear();
                self.w.stalled.clear();
                self.finish(k);
                return true;
            }
        }
        false
    }
}

/// How many steps from `first` on (in a row) distinct events of a tie can complete,
/// leaving out event `skip`: a matching of steps to events grown one step at a time
/// with augmenting paths.
fn tie_steps(w: &mut Work, group: &[UEv], skip: Option<usize>, first: usize, n: usize) -> usize {
    w.taken.clear();
    w.taken.resize(group.len(), u32::MAX);
    let mut s = first;
    while s < n {
        w.seen.clear();
        w.seen.resize(group.len(), false);
        if !tie_augment(w, group, skip, s) {
            break;
        }
        s += 1;
    }
    s - first
}

fn tie_augment(w: &mut Work, group: &[UEv], skip: Option<usize>, s: usize) -> bool {
    for e in 0..group.len() {
        if Some(e) == skip || w.seen[e] || group[e].steps & (1 << s) == 0 {
            continue;
        }
        w.seen[e] = true;
        let prev = w.taken[e];
        if prev == u32::MAX || tie_augment(w, group, skip, prev as usize) {
            w.taken[e] = s as u32;
            return true;
        }
    }
    false
}

/// Any order: each event completing a step that the date range allows as an entry opens
/// an attempt (with `first_only`, only the first); after the events from the entry up to
/// some point inside the window, the attempt has done as many steps as distinct events
/// there can complete distinct steps (a maximum matching, grown one event at a time).
/// An exclusion event hits the attempt when it comes inside the window after the attempt
/// has done `from_step` steps and before it has done `to_step`. The attempt going
/// furthest counts, the earliest among equals, a clean one before an excluded one.
fn any_order(r: Rules, evs: &[UEv], from: usize) -> Option<Outcome> {
    let n = r.n;
    let mut pick = Pick::default();
    let mut tried = false;
    // moving events between steps only helps when some event completes two steps
    let multi = evs[from..].iter().any(|e| e.steps.count_ones() > 1);
    for a in from..evs.len() {
        let e0 = &evs[a];
        if e0.steps == 0 || !e0.entry_ok {
            continue;
        }
        if r.first_only && tried {
            break;
        }
        tried = true;
        let mut owner = [u32::MAX; MAX_STEPS];
        let mut taken = 0u32;
        let mut att = Attempt::new(e0.t, a);
        let mut done = 0usize;
        for (b, e) in evs.iter().enumerate().skip(a) {
            if e.t - e0.t > r.window {
                break;
            }
            if done > 0 && att.hit.is_none() && e.excl & (1 << done) != 0 {
                att.hit = Some(b as u32);
                if r.stop_at_hit {
                    break;
                }
            }
            if e.steps != 0 {
                let free = e.steps & !taken;
                let placed = if free != 0 {
                    let s = free.trailing_zeros() as usize;
                    owner[s] = b as u32;
                    taken |= 1 << s;
                    true
                } else if multi && any_augment(&mut owner, evs, b, &mut 0) {
                    // the path ended at a step that was free
                    taken = (0..n)
                        .filter(|&s| owner[s] != u32::MAX)
                        .fold(0, |m, s| m | 1 << s);
                    true
                } else {
                    false
                };
                if placed {
                    att.reach(done, e.t, b);
                    done += 1;
                    if done == n {
                        break;
                    }
                }
            }
        }
        att.at = done - 1;
        pick.add(Order::Any, &att);
        if pick.converted(n) {
            break;
        }
    }
    pick.counted().map(|att| outcome(r, evs, att))
}

/// Tries to give event `v` a step, moving other events to other steps if need be.
fn any_augment(owner: &mut [u32], evs: &[UEv], v: usize, seen: &mut u32) -> bool {
    let mut m = evs[v].steps & !*seen;
    while m != 0 {
        let s = m.trailing_zeros() as usize;
        m &= m - 1;
        if *seen & (1 << s) != 0 {
            continue;
        }
        *seen |= 1 << s;
        if owner[s] == u32::MAX || any_augment(owner, evs, owner[s] as usize, seen) {
            owner[s] = v as u32;
            return true;
        }
    }
    false
}

/// Every counted attempt of one user's events: one (the furthest) for users, each
/// attempt in turn for totals.
fn outcomes(r: Rules, counting: Counting, evs: &[UEv], out: &mut Vec<Outcome>, w: &mut Work) {
    out.clear();
    let mut once = |r: Rules, from: usize| match r.order {
        Order::Any => any_order(r, evs, from),
        _ => Machine::new(r, w).run(evs, from),
    };
    match counting {
        Counting::Users => out.extend(once(r, 0)),
        Counting::Totals => {
            let r = Rules {
                first_only: true,
                stop_at_hit: true,
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
        exclusions: false,
        stop_at_hit: false,
    };
    let mut work = Work::default();
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
    // (entered, converted) per entry interval, indexed from the data's first interval
    let trend_base = trend_cal.bucket(scope.data_span.0);
    let trend_len = trend_cal.index(trend_base, trend_cal.bucket(scope.data_span.1)) + 1;
    let mut trend = vec![(0u64, 0u64); trend_len.clamp(0, 1 << 20) as usize];
    let mut trace = None;
    let (mut evs, mut sub, mut outs) = (Vec::new(), Vec::new(), Vec::new());
    // steps and exclusions decided by the event name alone, looked up per event code;
    // those with property filters are tested per event
    let (by_code, filtered) = code_masks(scope, &plan);
    let codes = scope.store.event_codes();
    let strict = spec.order == Order::Strict;
    let entry_needs_range = spec.order != Order::Any;
    let all_steps_in_range = spec.range == RangeRule::AllSteps;
    // One attempt per user (the first entry) counted without a breakdown: the events
    // before the entry's instant and after its window cannot change the outcome.
    let first_entry_only = values.is_none()
        && rules.first_only
        && spec.order != Order::Any
        && spec.counting == Counting::Users;
    for (u, r) in scope.users() {
        evs.clear();
        let trim = first_entry_only && trace_user != Some(u as usize);
        let mut entry: Option<i64> = None;
        let (cs, ts) = (&codes[r.clone()], &t[r.clone()]);
        for (j, (&c, &ti)) in cs.iter().zip(ts).enumerate() {
            if entry.is_some_and(|e| ti - e > plan.window) {
                break; // past the window of the (only) attempt
            }
            let i = r.start + j;
            let (mut steps, mut excl) = by_code[c as usize];
            for &(k, exclusion) in &filtered {
                if exclusion {
                    let (m, mask) = &plan.exclusions[k];
                    if scope.matches(m, i, u) {
                        excl |= mask;
                    }
                } else if scope.matches(&plan.steps[k], i, u) {
                    steps |= 1 << k;
                }
            }
            if steps == 0 && excl == 0 && !strict {
                continue;
            }
            let entry_ok = scope.in_range(ti);
            if !scope.keep(i) || (all_steps_in_range && !entry_ok) {
                continue;
            }
            if entry_needs_range && !entry_ok {
                steps &= !1;
            }
            if steps == 0 && excl == 0 && !strict {
                continue;
            }
            if trim && entry.is_none() {
                // before the entry only the events at its instant can matter (a tie)
                if evs.last().is_some_and(|p: &UEv| p.t != ti) {
                    evs.clear();
                }
                if steps & 1 != 0 {
                    entry = Some(ti);
                }
            }
            evs.push(UEv {
                t: ti,
                steps,
                excl,
                key: values.as_ref().map_or(0, |v| v.key(i)),
                entry_ok,
                at: i as u32,
            });
        }
        if (trim && entry.is_none()) || evs.iter().all(|e| e.steps == 0) {
            if trace_user == Some(u as usize) {
                trace = Some(explain(scope, spec, &plan, &evs, None, u));
            }
            continue;
        }
        // without exclusion events, attempts at one step can be merged
        let rules = Rules {
            exclusions: evs.iter().any(|e| e.excl != 0),
            ..rules
        };
        outcomes(rules, spec.counting, &evs, &mut outs, &mut work);
        if trace_user == Some(u as usize) {
            trace = Some(explain(scope, spec, &plan, &evs, outs.first().copied(), u));
        }
        for o in &outs {
            if o.attempt.excluded() {
                excluded += 1;
                continue;
            }
            all.add(o);
            let k = trend_cal.index(trend_base, trend_cal.bucket(o.attempt.start()));
            if let Some(e) = usize::try_from(k).ok().and_then(|k| trend.get_mut(k)) {
                e.0 += 1;
                e.1 += u64::from(o.furthest == n - 1);
            }
        }
        if values.is_none() {
            continue;
        }
        if by_key.is_empty() {
            by_key = (0..nkeys).map(|_| Agg::new(n)).collect();
        }
        let mut count = |key: u32, outs: &[Outcome]| {
            for o in outs.iter().filter(|o| !o.attempt.excluded()) {
                by_key[key as usize].add(o);
            }
        };
        // the events that can complete a step, from the start of the date range on
        let range_start = scope.range.0;
        let touched = evs.iter().filter(|e| e.steps != 0 && e.t >= range_start);
        match spec.attribution {
            Attribution::FirstTouch | Attribution::LastTouch => {
                let mut keys = touched.map(|e| e.key).filter(|&k| k != 0);
                let key = if spec.attribution == Attribution::FirstTouch {
                    keys.next()
                } else {
                    keys.next_back()
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
                    outcomes(rules, spec.counting, &sub, &mut outs, &mut work);
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
                    outcomes(rules, spec.counting, &sub, &mut outs, &mut work);
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
    // from the first to the last interval with an entry (at most 5,000 points)
    let lo = trend.iter().position(|e| e.0 > 0);
    let hi = trend.iter().rposition(|e| e.0 > 0);
    let over_time = match (lo, hi) {
        (Some(lo), Some(hi)) if hi - lo < 5000 && trend_len <= 1 << 20 => (lo..=hi)
            .map(|k| {
                let (entered, converted) = trend[k];
                TrendPoint {
                    label: trend_cal.label(trend_cal.add(trend_base, k as i64)),
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

/// Per event code: (steps as bits, exclusion targets as bits) that the name alone decides.
type CodeMasks = Vec<(u32, u32)>;

/// Per event code, the steps and exclusion targets that the event name alone decides;
/// and the (index, is exclusion) of matchers that also test properties.
fn code_masks(scope: &Scoped, plan: &Plan) -> (CodeMasks, Vec<(usize, bool)>) {
    let ncodes = scope.store.event_names().len();
    let mut by_code = vec![(0u32, 0u32); ncodes];
    let mut filtered = Vec::new();
    let mut mark = |m: &EventMatcher, f: &mut dyn FnMut(&mut (u32, u32))| match m.event {
        Some(c) if (c as usize) < ncodes => f(&mut by_code[c as usize]),
        Some(_) => {} // an event that does not occur matches nothing
        None => by_code.iter_mut().for_each(f),
    };
    for (k, m) in plan.steps.iter().enumerate() {
        if m.has_filter() {
            filtered.push((k, false));
        } else {
            mark(m, &mut |x| x.0 |= 1 << k);
        }
    }
    for (k, (m, mask)) in plan.exclusions.iter().enumerate() {
        if m.has_filter() {
            filtered.push((k, true));
        } else {
            mark(m, &mut |x| x.1 |= mask);
        }
    }
    (by_code, filtered)
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
    let unit = format!("{:?}", spec.window.unit).to_lowercase();
    let plural = if spec.window.value == 1 { "" } else { "s" };
    let window = format!("{} {unit}{plural}", spec.window.value);
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
            if let Some(h) = o.attempt.hit {
                let x = &evs[h as usize];
                let name = store.event_names().get(store.event_codes()[x.at as usize]);
                (
                    "excluded",
                    o.furthest + 1,
                    times.clone(),
                    format!(
                        "removed: exclusion event \"{name}\" at {} came inside the {window} window of the attempt that started at {start}, between the steps it excludes; that attempt went furthest (step {} of {n}) and no attempt reached that step without an exclusion",
                        format_rfc3339(x.t),
                        o.furthest + 1
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
        std::iter::once("breakdown")
            .chain(head)
            .map(String::from)
            .collect()
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
