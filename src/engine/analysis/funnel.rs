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

use super::{event_code, median};
use crate::engine::error::{Error, Result};
use crate::engine::store::EventStore;
use crate::engine::time::{DAY, HOUR, MINUTE, SECOND};
use serde::{Deserialize, Serialize};

/// Most steps a funnel may have.
pub const MAX_STEPS: usize = 10;

/// A funnel to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunnelSpec {
    /// 2 to 10 steps, in order.
    pub steps: Vec<FunnelStep>,
    /// Conversion window measured from step 1 (default 14 days).
    #[serde(default)]
    pub window: Window,
    /// Which step-1 events may start a conversion (default: every one).
    #[serde(default)]
    pub entry: Entry,
    /// Whether a step at the same timestamp as the previous one counts (default: yes).
    #[serde(default)]
    pub ties: Ties,
}

/// One funnel step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunnelStep {
    /// Event name that completes this step.
    pub event: String,
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
    /// The window in microseconds.
    pub fn micros(self) -> i64 {
        self.value as i64
            * match self.unit {
                WindowUnit::Second => SECOND,
                WindowUnit::Minute => MINUTE,
                WindowUnit::Hour => HOUR,
                WindowUnit::Day => DAY,
                WindowUnit::Week => 7 * DAY,
            }
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
}

/// Which step-1 events open an attempt.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// Every step-1 event opens an attempt; the furthest one counts (PostHog).
    #[default]
    Every,
    /// Only the user's first step-1 event (Mixpanel uniques; the reference SQL).
    First,
}

/// How equal timestamps are ordered between consecutive steps.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Equal timestamps count, in source-row order.
    #[default]
    SourceOrder,
    /// Each step must be strictly later than the previous one.
    StrictlyLater,
}

/// The numbers of a funnel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunnelResult {
    /// One entry per step.
    pub steps: Vec<FunnelStepResult>,
    /// The conversion window in seconds.
    pub window_seconds: i64,
}

/// The numbers of one step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunnelStepResult {
    /// Event name of the step.
    pub event: String,
    /// Users who reached this step (and every one before it).
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
}

impl FunnelSpec {
    fn validate(&self, store: &EventStore) -> Result<Vec<u32>> {
        if store.is_empty() {
            return Err(Error::NoEvents);
        }
        if self.steps.len() < 2 || self.steps.len() > MAX_STEPS {
            return Err(Error::spec(
                "steps",
                format!(
                    "a funnel needs 2 to {MAX_STEPS} steps, got {}",
                    self.steps.len()
                ),
            ));
        }
        if self.window.value == 0 {
            return Err(Error::spec(
                "window.value",
                "the conversion window must be at least 1",
            ));
        }
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| event_code(store, &format!("steps[{i}].event"), &s.event))
            .collect()
    }
}

/// A partial conversion: its step-1 time and the time each step was reached.
#[derive(Clone, Copy)]
struct Attempt {
    times: [i64; MAX_STEPS],
}

impl Attempt {
    fn start(&self) -> i64 {
        self.times[0]
    }
}

/// Keeps the attempt with the latest start: it dominates for every later step.
fn keep_latest(slot: &mut Option<Attempt>, a: Attempt) {
    if slot.is_none_or(|s| a.start() > s.start()) {
        *slot = Some(a);
    }
}

/// The furthest step reached (0-based) and that attempt's step times, or `None` if the
/// user never did step 1.
fn user_every(
    codes: &[u32],
    ev: &[u32],
    t: &[i64],
    window: i64,
    strict: bool,
) -> Option<(usize, Attempt)> {
    let n = codes.len();
    // `reached[k]`: best attempt that has reached step k at a time before the current
    // timestamp; `fresh[k]`: reached at exactly the current timestamp (only used when
    // ties are strict, so they cannot feed the next step at the same time).
    let mut reached: [Option<Attempt>; MAX_STEPS] = [None; MAX_STEPS];
    let mut fresh: [Option<Attempt>; MAX_STEPS] = [None; MAX_STEPS];
    let mut fresh_time = i64::MIN;
    let mut best: Option<(usize, Attempt)> = None;
    for i in 0..ev.len() {
        let (e, ti) = (ev[i], t[i]);
        if strict && ti != fresh_time {
            for k in 0..n {
                if let Some(a) = fresh[k].take() {
                    keep_latest(&mut reached[k], a);
                }
            }
            fresh_time = ti;
        }
        for k in (0..n).rev() {
            if codes[k] != e {
                continue;
            }
            let next = if k == 0 {
                let mut times = [0; MAX_STEPS];
                times[0] = ti;
                Attempt { times }
            } else {
                match reached[k - 1] {
                    Some(mut a) if ti - a.start() <= window => {
                        a.times[k] = ti;
                        a
                    }
                    _ => continue,
                }
            };
            keep_latest(
                if strict {
                    &mut fresh[k]
                } else {
                    &mut reached[k]
                },
                next,
            );
            if best.is_none_or(|(b, _)| k > b) {
                best = Some((k, next));
                if k == n - 1 {
                    return best;
                }
            }
        }
    }
    best
}

/// Single attempt from the user's first step-1 event, advanced greedily.
fn user_first(
    codes: &[u32],
    ev: &[u32],
    t: &[i64],
    window: i64,
    strict: bool,
) -> Option<(usize, Attempt)> {
    let n = codes.len();
    let first = ev.iter().position(|&e| e == codes[0])?;
    let mut a = Attempt {
        times: [0; MAX_STEPS],
    };
    a.times[0] = t[first];
    let mut k = 0;
    for i in first + 1..ev.len() {
        if t[i] - a.start() > window {
            break;
        }
        if ev[i] == codes[k + 1] && (!strict || t[i] > a.times[k]) {
            k += 1;
            a.times[k] = t[i];
            if k == n - 1 {
                break;
            }
        }
    }
    Some((k, a))
}

/// Computes a funnel.
pub fn run(store: &EventStore, spec: &FunnelSpec) -> Result<FunnelResult> {
    let codes = spec.validate(store)?;
    let n = codes.len();
    let window = spec.window.micros();
    let strict = spec.ties == Ties::StrictlyLater;
    let (ev, t) = (store.event_codes(), store.times());
    let mut users = vec![0u64; n];
    let mut gaps: Vec<Vec<f64>> = vec![Vec::new(); n];
    for r in store.user_ranges() {
        let (ev, t) = (&ev[r.clone()], &t[r]);
        let res = match spec.entry {
            Entry::Every => user_every(&codes, ev, t, window, strict),
            Entry::First => user_first(&codes, ev, t, window, strict),
        };
        if let Some((furthest, a)) = res {
            for k in 0..=furthest {
                users[k] += 1;
                if k > 0 {
                    gaps[k].push((a.times[k] - a.times[k - 1]) as f64 / SECOND as f64);
                }
            }
        }
    }
    let steps = (0..n)
        .map(|k| {
            let prev = if k == 0 { users[0] } else { users[k - 1] };
            let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            let g = &mut gaps[k];
            let mean = (!g.is_empty()).then(|| g.iter().sum::<f64>() / g.len() as f64);
            FunnelStepResult {
                event: spec.steps[k].event.clone(),
                users: users[k],
                conversion: ratio(users[k], users[0]),
                step_conversion: if k == 0 { 1.0 } else { ratio(users[k], prev) },
                dropped: prev - users[k],
                median_seconds: median(g),
                mean_seconds: mean,
            }
        })
        .collect();
    Ok(FunnelResult {
        steps,
        window_seconds: window / SECOND,
    })
}
