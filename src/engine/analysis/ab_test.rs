//! A/B tests: conversion and revenue per variant, with significance.
//!
//! **Who is in the test.** A user is *exposed* when they have an event that passes the
//! shared filters, lies in the date range and matches `exposure_event` (with its
//! `exposure_filters`; any event when none is named). Their *exposure* is the first such
//! event (in time, then source-row order).
//!
//! **Variant.** A user's variant is the value of the `variant` property on the user's first
//! event that has one, over all their events (whatever the date range and filters: the
//! assignment is a property of the user). A user whose events carry two or more different
//! values is in no variant: such users are counted (`mixed_users`) and reported in a
//! `mixed_variants` warning. Exposed users with no value are counted in
//! `no_variant_users`. The variants are the values of the remaining exposed users, the
//! control first, then the others in order (text, or numbers for a number column).
//! `control` names the control; by default it is `control` when that value occurs, else
//! the first value in that order.
//!
//! **Conversion.** `conversion` is one event or a list of steps (each an event, or any
//! event, with its own filters). Counted are the user's events from the exposure on (the
//! exposure event itself included), that pass the shared filters, lie before the end of
//! the date range and, with a `window`, at most `window` after the exposure (inclusive). A
//! user converts when such events complete the steps in order (other events may come in
//! between; one event completes at most one step; at equal timestamps, source-row order):
//! the first matching event completes step 1, the first later one step 2, and so on, which
//! finds a conversion whenever one exists.
//!
//! **Revenue** (with `revenue`): a user's revenue is the sum of the amounts of their
//! purchase events among the same events as the conversion (from the exposure, in the
//! range and window), refunds (negative amounts) included, by the shared purchase rule
//! ([`super::purchases`]); users without purchases have 0.
//!
//! **Statistics**, at confidence level `confidence` (c, default 0.95) with
//! z = Φ⁻¹((1 + c) / 2):
//! - rate p = conversions / users, with the Wilson score interval
//!   (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n);
//! - against the control (c): the difference p − p_c with the unpooled normal interval
//!   ± z √(p(1−p)/n + p_c(1−p_c)/n_c); the relative lift p / p_c − 1 with the delta-method
//!   interval ± z √(v / p_c² + p² v_c / p_c⁴), v = p(1−p)/n (none when p_c = 0);
//! - the two-proportion z-test with the pooled rate P = (x + x_c) / (n + n_c):
//!   z = (p − p_c) / √(P(1−P)(1/n + 1/n_c)), two-sided p-value 2 (1 − Φ(|z|)) (none when
//!   P is 0 or 1); significant when p-value < 1 − c. With more than two variants each is
//!   tested against the control on its own (not corrected for multiple comparisons) and
//!   the chi-square test of independence of the variants × (converted, not converted)
//!   table gives one p-value for all (k − 1 degrees of freedom);
//! - sample ratio mismatch (SRM): the chi-square goodness of fit of the users per variant
//!   against `expected_split` (default: equal shares), k − 1 degrees of freedom; a
//!   mismatch when its p-value is below 0.001 (`sample_ratio_mismatch` warning);
//! - small samples: a variant with fewer than 100 users or fewer than 10 conversions is
//!   flagged (`small_sample` warning), and so is a chi-square test with an expected cell
//!   count below 5 (`small_expected_counts` warning);
//! - revenue per user: mean, sample standard deviation (n − 1), and against the control
//!   Welch's t-test (t = (m − m_c) / √(s²/n + s_c²/n_c), Welch–Satterthwaite degrees of
//!   freedom, two-sided p-value) with the interval of the difference m − m_c ± t_{df} · se.
//!
//! **Breakdown** (`breakdown`, default none): the test segmented by a second property.
//! Each user in the test falls under their own value by the stages' rule
//! ([`Breakdown::per_user`]: every property read as a user property, a user's value is the
//! one on their first event with one). Values are ranked by users in the test; the top
//! `limit` get a segment each, then `(other)`, then `(none)` (users without a value). Per
//! segment, the variants with users in it (in the test's order) get the same numbers as the
//! overall rows, computed from the segment's users alone: users, share of the segment's
//! users, conversions, rate and its interval, and against the control (when the control
//! has users in the segment) the difference, the lift, their intervals, z and p-value, and
//! revenue with Welch's test. The expected share is the test's; the SRM check and the
//! chi-square test stay on the whole test. A segment's small samples (same thresholds)
//! get a `small_sample` warning of their own, on the field `breakdown`. The segments'
//! users and conversions per variant add up to the overall ones.

use super::funnel::{FunnelStep, Window, MAX_STEPS};
use super::purchases::{self, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::table::{opt, Table};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, EventMatcher, FilterGroup, Ranked, Scoped, Warning};
use crate::engine::stats;
use crate::engine::store::{format_number, PropertyValues};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The variant property a spec names when it names none.
pub const DEFAULT_VARIANT: &str = "variant";

/// Most variants a test may have.
pub const MAX_VARIANTS: usize = 20;

/// SRM p-values below this are a mismatch.
pub const SRM_THRESHOLD: f64 = 0.001;

/// A variant with fewer users than this is a small sample.
pub const MIN_USERS: u64 = 100;

/// A variant with fewer conversions than this is a small sample.
pub const MIN_CONVERSIONS: u64 = 10;

/// Property names that usually hold an A/B variant, normalised like the purchase names
/// ([`purchases::normalise`]), most specific first.
const VARIANT_NAMES: [&str; 12] = [
    "variant",
    "abgroup",
    "abvariant",
    "experimentgroup",
    "experimentvariant",
    "variation",
    "experiment",
    "group",
    "bucket",
    "实验组",
    "实验分组",
    "分组",
];

/// The property among `names` most likely to hold an A/B variant, if any looks like one.
pub fn suggest_variant<'a>(names: &[&'a str]) -> Option<&'a str> {
    VARIANT_NAMES.iter().find_map(|want| {
        names
            .iter()
            .copied()
            .find(|n| purchases::normalise(n) == *want)
    })
}

/// An A/B test to analyse.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AbTestSpec {
    /// The property holding each user's variant (default `variant`).
    #[serde(default = "default_variant")]
    pub variant: String,
    /// The control's value (default: `control` when it occurs, else the first value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The event that puts a user in the test (default: any event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_event: Option<String>,
    /// Conditions on the exposure event's properties.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub exposure_filters: FilterGroup,
    /// The conversion: one event (`{"event": ...}`) or a list of 1 to 20 steps.
    #[serde(with = "one_or_many")]
    pub conversion: Vec<FunnelStep>,
    /// How long after the exposure a conversion counts (default: until the range ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Expected share (any positive weights) per variant value for the SRM check
    /// (default: equal shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_split: Option<BTreeMap<String, f64>>,
    /// Confidence level of the intervals and tests (default 0.95).
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Revenue per user per variant, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<Revenue>,
    /// The test per value of one or several properties, each user by their own value
    /// (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_variant() -> String {
    DEFAULT_VARIANT.into()
}

fn default_confidence() -> f64 {
    0.95
}

impl Default for AbTestSpec {
    fn default() -> Self {
        AbTestSpec {
            variant: default_variant(),
            control: None,
            exposure_event: None,
            exposure_filters: FilterGroup::default(),
            conversion: vec![FunnelStep::event(DEFAULT_PURCHASE_EVENT)],
            window: None,
            expected_split: None,
            confidence: default_confidence(),
            revenue: None,
            breakdown: None,
        }
    }
}

/// Where revenue comes from (the shared purchase rule).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Revenue {
    /// The purchase event (default `purchase`).
    #[serde(default = "default_purchase")]
    pub purchase_event: String,
    /// Conditions on the purchase event's properties.
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub filters: FilterGroup,
    /// The numeric property with the amount (default `revenue`).
    #[serde(default = "default_amount")]
    pub amount: String,
}

fn default_purchase() -> String {
    DEFAULT_PURCHASE_EVENT.into()
}

fn default_amount() -> String {
    DEFAULT_AMOUNT.into()
}

impl Default for Revenue {
    fn default() -> Self {
        Revenue {
            purchase_event: default_purchase(),
            filters: FilterGroup::default(),
            amount: default_amount(),
        }
    }
}

/// `conversion` as one step object or a list of steps.
mod one_or_many {
    use super::FunnelStep;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<FunnelStep>),
        One(FunnelStep),
    }

    pub fn serialize<S: Serializer>(v: &[FunnelStep], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<FunnelStep>, D::Error> {
        match OneOrMany::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "conversion: an event ({\"event\": \"purchase\"}) or a list of steps",
            )
        })? {
            OneOrMany::Many(v) => Ok(v),
            OneOrMany::One(s) => Ok(vec![s]),
        }
    }
}

/// The test's answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AbTestResult {
    /// The variant property.
    pub variant_property: String,
    /// The control's value.
    pub control: String,
    /// The conversion steps' labels.
    pub conversion: Vec<String>,
    /// The confidence level.
    pub confidence: f64,
    /// Users in the test (exposed, with one variant).
    pub users: u64,
    /// Exposed users whose events carry several variant values (left out).
    pub mixed_users: u64,
    /// Exposed users without a variant value (left out).
    pub no_variant_users: u64,
    /// The variants, the control first.
    pub variants: Vec<VariantResult>,
    /// The chi-square test of independence across all variants (more than two only).
    pub chi_square: Option<ChiSquare>,
    /// The sample-ratio-mismatch check.
    pub srm: ChiSquare,
    /// True when revenue was computed.
    pub revenue: bool,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The test per breakdown value (empty without a breakdown): the top values by users,
    /// then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<AbSegment>,
}

/// The test among the users of one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AbSegment {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// Users in the test with this value.
    pub users: u64,
    /// The variants with users in the segment, in the test's order; comparisons are
    /// against the control when it is among them.
    pub variants: Vec<VariantResult>,
}

/// A chi-square test.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChiSquare {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: u32,
    /// P-value.
    pub p_value: f64,
    /// Below the threshold (1 − confidence for independence, 0.001 for SRM).
    pub significant: bool,
    /// Some expected count is below 5.
    pub small_expected: bool,
}

/// One variant's numbers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VariantResult {
    /// The variant's value.
    pub value: String,
    /// Users in the variant.
    pub users: u64,
    /// Share of the test's users.
    pub share: f64,
    /// Expected share (SRM).
    pub expected_share: f64,
    /// Users who converted.
    pub conversions: u64,
    /// conversions / users.
    pub rate: f64,
    /// Wilson interval of the rate.
    pub rate_ci: [f64; 2],
    /// rate − the control's rate (none for the control).
    pub difference: Option<f64>,
    /// Interval of the difference.
    pub difference_ci: Option<[f64; 2]>,
    /// rate / control rate − 1 (none for the control, or when the control's rate is 0).
    pub lift: Option<f64>,
    /// Delta-method interval of the lift.
    pub lift_ci: Option<[f64; 2]>,
    /// The z statistic against the control.
    pub z: Option<f64>,
    /// Two-sided p-value of the z-test against the control.
    pub p_value: Option<f64>,
    /// p-value < 1 − confidence.
    pub significant: bool,
    /// Fewer than 100 users or 10 conversions.
    pub small_sample: bool,
    /// Revenue per user, with `revenue`.
    pub revenue: Option<RevenueResult>,
}

/// Revenue per user of one variant.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RevenueResult {
    /// Net revenue of the variant's users.
    pub total: f64,
    /// Mean revenue per user.
    pub mean: f64,
    /// Sample standard deviation (none with one user).
    pub sd: Option<f64>,
    /// mean − the control's mean (none for the control).
    pub difference: Option<f64>,
    /// Welch interval of the difference.
    pub difference_ci: Option<[f64; 2]>,
    /// Welch's t.
    pub t: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: Option<f64>,
    /// Two-sided p-value of Welch's t-test.
    pub p_value: Option<f64>,
    /// p-value < 1 − confidence.
    pub significant: bool,
}

/// Per-variant sums of the pass over the users.
#[derive(Clone, Copy, Default)]
struct Acc {
    users: u64,
    conversions: u64,
    /// Welford's running mean and sum of squared deviations of revenue per user.
    mean: f64,
    m2: f64,
    total: f64,
}

impl Acc {
    fn add(&mut self, converted: bool, revenue: f64) {
        self.users += 1;
        self.conversions += u64::from(converted);
        self.total += revenue;
        let d = revenue - self.mean;
        self.mean += d / self.users as f64;
        self.m2 += d * (revenue - self.mean);
    }

    fn variance(&self) -> Option<f64> {
        (self.users >= 2).then(|| self.m2 / (self.users - 1) as f64)
    }
}

/// Which value of the variant column an event has: a string code or number bits; 0 and
/// NaN mean none.
enum Column<'a> {
    Codes(&'a [u32]),
    Numbers(&'a [f64]),
}

impl Column<'_> {
    /// The value of event `i` as a key (`u64::MAX` = none).
    #[inline]
    fn key(&self, i: usize) -> u64 {
        match self {
            Column::Codes(c) => match c[i] {
                0 => u64::MAX,
                k => k as u64,
            },
            Column::Numbers(v) if v[i].is_nan() => u64::MAX,
            Column::Numbers(v) => (v[i] + 0.0).to_bits(),
        }
    }
}

/// Runs the test.
pub fn run(scope: &mut Scoped, spec: &AbTestSpec) -> Result<AbTestResult> {
    let c = spec.confidence;
    if !(0.5..=0.999).contains(&c) {
        return Err(Error::spec(
            "confidence",
            format!("the confidence level must lie between 0.5 and 0.999, not {c}"),
        )
        .keyed("confidence_range", &[("got", &c)]));
    }
    if spec.conversion.is_empty() || spec.conversion.len() > MAX_STEPS {
        let n = spec.conversion.len();
        return Err(Error::spec(
            "conversion",
            format!("a conversion has 1 to {MAX_STEPS} steps, not {n}"),
        )
        .keyed("conversion_steps", &[("max", &MAX_STEPS), ("got", &n)]));
    }
    let window = match spec.window {
        None => None,
        Some(w) if w.value == 0 => {
            return Err(Error::spec("window.value", "must be at least 1").keyed("at_least_one", &[]))
        }
        Some(w) => Some(w.micros().ok_or_else(|| {
            Error::spec("window.value", "the window is too long").keyed(
                "window_too_long",
                &[
                    ("value", &w.value),
                    ("max", &(i64::MAX / crate::engine::time::DAY)),
                ],
            )
        })?),
    };
    let p = scope.property_index("variant", &spec.variant)?;
    let store = scope.store;
    let (column, numeric) = match &store.properties()[p].values {
        PropertyValues::String { codes, .. } => (Column::Codes(codes), false),
        PropertyValues::Number { values } => (Column::Numbers(values), true),
    };
    let exposure: EventMatcher = scope.matcher(
        "exposure_event",
        spec.exposure_event.as_deref(),
        &spec.exposure_filters,
        false,
    )?;
    let steps: Vec<EventMatcher> = (spec.conversion.iter().enumerate())
        .map(|(k, s)| {
            scope.matcher(
                &format!("conversion[{k}].event"),
                s.event.as_deref(),
                &s.filters,
                false,
            )
        })
        .collect::<Result<_>>()?;
    let purchases = match &spec.revenue {
        None => None,
        Some(r) => Some(purchases::resolve(
            scope,
            "revenue.purchase_event",
            &r.purchase_event,
            &r.filters,
            "revenue.amount",
            &r.amount,
        )?),
    };
    let values = match &spec.breakdown {
        Some(b) => Some((scope.breakdown("breakdown", &b.per_user())?, b.limit)),
        None => None,
    };
    let sc = &*scope;
    let times = store.times();
    let end = sc.range.1;
    // with a breakdown, per user in the test: their breakdown key, variant slot,
    // conversion and revenue (in user order, so the segments sum as the variants do)
    let mut per_user: Vec<(u32, usize, bool, f64)> = Vec::new();

    // one pass over the users: per variant key, users, conversions and revenue
    let mut slot_of: rustc_hash::FxHashMap<u64, usize> = Default::default();
    let mut keys: Vec<u64> = Vec::new();
    let mut accs: Vec<Acc> = Vec::new();
    let (mut mixed, mut none) = (0u64, 0u64);
    for (u, r) in sc.users() {
        let Some(e) = r
            .clone()
            .find(|&i| sc.in_range(times[i]) && sc.keep(i) && sc.matches(&exposure, i, u))
        else {
            continue;
        };
        let mut value = u64::MAX;
        let mut several = false;
        for i in r.clone() {
            let k = column.key(i);
            if k != u64::MAX {
                if value == u64::MAX {
                    value = k;
                } else if k != value {
                    several = true;
                    break;
                }
            }
        }
        if several {
            mixed += 1;
            continue;
        }
        if value == u64::MAX {
            none += 1;
            continue;
        }
        let deadline = window.map_or(i64::MAX, |w| times[e].saturating_add(w));
        let mut step = 0;
        let mut revenue = 0.0;
        for (i, &t) in times.iter().enumerate().take(r.end).skip(e) {
            if t >= end || t > deadline {
                break;
            }
            if !sc.keep(i) {
                continue;
            }
            if step < steps.len() && sc.matches(&steps[step], i, u) {
                step += 1;
                if step == steps.len() && purchases.is_none() {
                    break;
                }
            }
            if let Some(pu) = &purchases {
                if pu.is_purchase_event(sc, i, u) {
                    revenue += pu.amount(i);
                }
            }
        }
        let s = *slot_of.entry(value).or_insert_with(|| {
            keys.push(value);
            accs.push(Acc::default());
            accs.len() - 1
        });
        accs[s].add(step == steps.len(), revenue);
        if let Some((v, _)) = &values {
            per_user.push((v.key(r.start), s, step == steps.len(), revenue));
        }
    }

    // the variants, in order
    let label = |k: u64| -> String {
        match &store.properties()[p].values {
            PropertyValues::String { dict, .. } => dict.get(k as u32 - 1).to_string(),
            PropertyValues::Number { .. } => format_number(f64::from_bits(k)),
        }
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if numeric {
        order.sort_by(|&a, &b| f64::from_bits(keys[a]).total_cmp(&f64::from_bits(keys[b])));
    } else {
        order.sort_by_key(|&a| label(keys[a]));
    }
    let labels: Vec<String> = order.iter().map(|&s| label(keys[s])).collect();
    if labels.is_empty() {
        return Err(Error::spec(
            "variant",
            format!("no user in the test has a value of \"{}\"", spec.variant),
        )
        .keyed("no_variants", &[("name", &spec.variant)]));
    }
    if labels.len() > MAX_VARIANTS {
        return Err(Error::spec(
            "variant",
            format!(
                "\"{}\" has {} values among the users in the test; an A/B test has at most {MAX_VARIANTS} variants",
                spec.variant,
                labels.len()
            ),
        )
        .keyed("too_many_variants", &[("name", &spec.variant), ("got", &labels.len()), ("max", &MAX_VARIANTS)]));
    }
    let control_at = match &spec.control {
        Some(c) => labels.iter().position(|l| l == c).ok_or_else(|| {
            Error::spec(
                "control",
                format!(
                    "no user in the test has the variant \"{c}\"; variants are: {}",
                    labels.join(", ")
                ),
            )
            .keyed(
                "unknown_variant",
                &[("name", c), ("names", &labels.join(", "))],
            )
        })?,
        None => labels.iter().position(|l| l == "control").unwrap_or(0),
    };
    if labels.len() < 2 {
        return Err(Error::spec(
            "variant",
            format!(
                "every user in the test has the variant \"{}\": a test needs two variants",
                labels[0]
            ),
        )
        .keyed("one_variant", &[("name", &labels[0])]));
    }
    let first = order.remove(control_at);
    order.insert(0, first);
    let labels: Vec<String> = order.iter().map(|&s| label(keys[s])).collect();
    let accs: Vec<Acc> = order.iter().map(|&s| accs[s]).collect();

    // expected shares
    let k = labels.len();
    let shares: Vec<f64> = match &spec.expected_split {
        None => vec![1.0 / k as f64; k],
        Some(split) => {
            for (name, &w) in split {
                if !labels.contains(name) {
                    return Err(Error::spec(
                        "expected_split",
                        format!(
                            "no user in the test has the variant \"{name}\"; variants are: {}",
                            labels.join(", ")
                        ),
                    )
                    .keyed(
                        "unknown_variant",
                        &[("name", name), ("names", &labels.join(", "))],
                    ));
                }
                if !(w.is_finite() && w > 0.0) {
                    return Err(Error::spec(
                        "expected_split",
                        format!("the share of \"{name}\" must be a positive number, not {w}"),
                    )
                    .keyed("share_positive", &[("name", name)]));
                }
            }
            if let Some(missing) = labels.iter().find(|l| !split.contains_key(*l)) {
                return Err(Error::spec(
                    "expected_split",
                    format!("give a share for every variant; \"{missing}\" has none"),
                )
                .keyed("share_missing", &[("name", missing)]));
            }
            let sum: f64 = labels.iter().map(|l| split[l]).sum();
            labels.iter().map(|l| split[l] / sum).collect()
        }
    };

    let alpha = 1.0 - c;
    let n_all: u64 = accs.iter().map(|a| a.users).sum();
    let with_revenue = purchases.is_some();
    let all: Vec<usize> = (0..k).collect();
    let variants = compare(&labels, &accs, &shares, &all, c, with_revenue);

    // the segments: per ranked value, the variants' sums over its users
    let mut segments = Vec::new();
    if let Some((v, limit)) = &values {
        let mut rank = vec![0u64; v.len()];
        for &(key, ..) in &per_user {
            rank[key as usize] += 1;
        }
        let present: Vec<bool> = rank.iter().map(|&n| n > 0).collect();
        let ranked = Ranked::new(v, &rank, &present, *limit);
        // the test's order of each variant slot
        let mut at = vec![0usize; order.len()];
        for (pos, &slot) in order.iter().enumerate() {
            at[slot] = pos;
        }
        let mut sums = vec![Acc::default(); ranked.labels.len() * k];
        for &(key, slot, converted, revenue) in &per_user {
            sums[ranked.slot[key as usize] * k + at[slot]].add(converted, revenue);
        }
        for (s, value) in ranked.labels.iter().enumerate() {
            let accs = &sums[s * k..(s + 1) * k];
            let with: Vec<usize> = (0..k).filter(|&x| accs[x].users > 0).collect();
            segments.push(AbSegment {
                value: value.clone(),
                users: accs.iter().map(|a| a.users).sum(),
                variants: compare(&labels, accs, &shares, &with, c, with_revenue),
            });
        }
    }

    // chi-square of independence (k > 2) and SRM
    let chi_square = (k > 2).then(|| {
        let conv: u64 = accs.iter().map(|a| a.conversions).sum();
        let rows = [conv as f64, (n_all - conv) as f64];
        let mut stat = 0.0;
        let mut small = false;
        let mut defined = true;
        for a in &accs {
            for (r, o) in rows.iter().zip([a.conversions, a.users - a.conversions]) {
                let e = r * a.users as f64 / n_all as f64;
                small |= e < 5.0;
                if e == 0.0 {
                    defined = false;
                } else {
                    stat += (o as f64 - e).powi(2) / e;
                }
            }
        }
        let df = (k - 1) as u32;
        let p_value = if defined {
            stats::chi_square_sf(stat, df as f64)
        } else {
            1.0
        };
        ChiSquare {
            statistic: stat,
            df,
            p_value,
            significant: defined && p_value < alpha,
            small_expected: small,
        }
    });
    let srm = {
        let mut stat = 0.0;
        let mut small = false;
        for (a, s) in accs.iter().zip(&shares) {
            let e = s * n_all as f64;
            small |= e < 5.0;
            stat += (a.users as f64 - e).powi(2) / e;
        }
        let df = (k - 1) as u32;
        let p_value = stats::chi_square_sf(stat, df as f64);
        ChiSquare {
            statistic: stat,
            df,
            p_value,
            significant: p_value < SRM_THRESHOLD,
            small_expected: small,
        }
    };

    let warn = |code: &str, field: &str, value: String, message: String| Warning {
        code: code.into(),
        field: field.into(),
        value,
        hint: None,
        message,
    };
    if mixed > 0 {
        scope.warnings.push(warn(
            "mixed_variants",
            "variant",
            mixed.to_string(),
            format!(
                "{mixed} users have several values of \"{}\": they are left out",
                spec.variant
            ),
        ));
    }
    if srm.significant {
        scope.warnings.push(warn(
            "sample_ratio_mismatch",
            "expected_split",
            format!("{:.2e}", srm.p_value),
            format!(
                "sample ratio mismatch: the users per variant differ from the expected split (chi-square p = {:.2e} < {SRM_THRESHOLD}); the assignment or the exposure may be broken",
                srm.p_value
            ),
        ));
    }
    let small_of = |vs: &[VariantResult]| -> String {
        (vs.iter())
            .filter(|v| v.small_sample)
            .map(|v| v.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let small = small_of(&variants);
    if !small.is_empty() {
        scope.warnings.push(warn(
            "small_sample",
            "variant",
            small.clone(),
            format!(
                "small sample in {small}: fewer than {MIN_USERS} users or {MIN_CONVERSIONS} conversions, so the intervals and p-values are rough"
            ),
        ));
    }
    for seg in &segments {
        let small = small_of(&seg.variants);
        if !small.is_empty() {
            let value = format!("{}: {small}", seg.value);
            scope.warnings.push(warn(
                "small_sample",
                "breakdown",
                value.clone(),
                format!(
                    "small sample in {value}: fewer than {MIN_USERS} users or {MIN_CONVERSIONS} conversions, so the intervals and p-values are rough"
                ),
            ));
        }
    }
    if chi_square.as_ref().is_some_and(|x| x.small_expected) {
        scope.warnings.push(warn(
            "small_expected_counts",
            "variant",
            String::new(),
            "an expected count of the chi-square test is below 5: its p-value is rough".into(),
        ));
    }
    Ok(AbTestResult {
        variant_property: spec.variant.clone(),
        control: labels[0].clone(),
        conversion: spec.conversion.iter().map(FunnelStep::label).collect(),
        confidence: c,
        users: n_all,
        mixed_users: mixed,
        no_variant_users: none,
        variants,
        chi_square,
        srm,
        revenue: with_revenue,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        segments,
    })
}

/// The numbers of the variants `with` (indexes into `labels`, `accs` and `shares`, in
/// order; index 0 is the control): users, share of their users, conversions, rate and,
/// when the control is among them, every comparison with it.
fn compare(
    labels: &[String],
    accs: &[Acc],
    shares: &[f64],
    with: &[usize],
    c: f64,
    revenue: bool,
) -> Vec<VariantResult> {
    let z = stats::normal_quantile((1.0 + c) / 2.0);
    let alpha = 1.0 - c;
    let n_all: u64 = with.iter().map(|&v| accs[v].users).sum();
    let ctl = accs[0];
    let pc = ctl.conversions as f64 / ctl.users as f64;
    let mut variants = Vec::with_capacity(with.len());
    for &v in with {
        let a = &accs[v];
        let n = a.users as f64;
        let rate = a.conversions as f64 / n;
        let mut out = VariantResult {
            value: labels[v].clone(),
            users: a.users,
            share: n / n_all as f64,
            expected_share: shares[v],
            conversions: a.conversions,
            rate,
            rate_ci: wilson(a.conversions, a.users, z),
            difference: None,
            difference_ci: None,
            lift: None,
            lift_ci: None,
            z: None,
            p_value: None,
            significant: false,
            small_sample: a.users < MIN_USERS || a.conversions < MIN_CONVERSIONS,
            revenue: revenue.then(|| RevenueResult {
                total: a.total,
                mean: a.mean,
                sd: a.variance().map(f64::sqrt),
                difference: None,
                difference_ci: None,
                t: None,
                df: None,
                p_value: None,
                significant: false,
            }),
        };
        if v > 0 && ctl.users > 0 {
            let nc = ctl.users as f64;
            let (var, var_c) = (rate * (1.0 - rate) / n, pc * (1.0 - pc) / nc);
            let d = rate - pc;
            let se = (var + var_c).sqrt();
            out.difference = Some(d);
            out.difference_ci = Some([d - z * se, d + z * se]);
            if pc > 0.0 {
                let lift = rate / pc - 1.0;
                let se = (var / (pc * pc) + rate * rate * var_c / pc.powi(4)).sqrt();
                out.lift = Some(lift);
                out.lift_ci = Some([lift - z * se, lift + z * se]);
            }
            let pooled = (a.conversions + ctl.conversions) as f64 / (n + nc);
            let se0 = (pooled * (1.0 - pooled) * (1.0 / n + 1.0 / nc)).sqrt();
            if se0 > 0.0 {
                let zs = d / se0;
                let pv = 2.0 * stats::normal_sf(zs.abs());
                out.z = Some(zs);
                out.p_value = Some(pv);
                out.significant = pv < alpha;
            }
            if let Some(r) = out.revenue.as_mut() {
                welch(r, a, &ctl, c);
            }
        }
        variants.push(out);
    }
    variants
}

/// The Wilson score interval of `x` successes in `n` trials at normal quantile `z`.
fn wilson(x: u64, n: u64, z: f64) -> [f64; 2] {
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

/// Welch's t-test of revenue per user of `a` against the control `c` at confidence `conf`.
fn welch(r: &mut RevenueResult, a: &Acc, c: &Acc, conf: f64) {
    let d = a.mean - c.mean;
    r.difference = Some(d);
    let (Some(va), Some(vc)) = (a.variance(), c.variance()) else {
        return;
    };
    let (qa, qc) = (va / a.users as f64, vc / c.users as f64);
    let se = (qa + qc).sqrt();
    if se <= 0.0 {
        return;
    }
    let df = (qa + qc).powi(2) / (qa * qa / (a.users - 1) as f64 + qc * qc / (c.users - 1) as f64);
    let t = d / se;
    let p = stats::t_two_sided(t, df);
    let q = stats::t_quantile((1.0 + conf) / 2.0, df);
    r.t = Some(t);
    r.df = Some(df);
    r.p_value = Some(p);
    r.significant = p < 1.0 - conf;
    r.difference_ci = Some([d - q * se, d + q * se]);
}

/// The result as a table: one row per variant. With a breakdown, a leading `breakdown`
/// column: the overall rows under `(all)`, then each segment's rows under its value
/// (`control` says whether the row is the test's control).
pub fn table(r: &AbTestResult) -> Table {
    let mut t = vec![[
        "variant",
        "control",
        "users",
        "share",
        "expected_share",
        "conversions",
        "rate",
        "rate_low",
        "rate_high",
        "difference",
        "difference_low",
        "difference_high",
        "lift",
        "lift_low",
        "lift_high",
        "z",
        "p_value",
        "significant",
        "small_sample",
        "revenue",
        "revenue_per_user",
        "revenue_sd",
        "revenue_difference",
        "revenue_difference_low",
        "revenue_difference_high",
        "revenue_t",
        "revenue_df",
        "revenue_p_value",
        "revenue_significant",
    ]
    .map(String::from)
    .to_vec()];
    let ci = |c: Option<[f64; 2]>, k: usize| opt(c.map(|c| c[k]));
    let by = r.breakdown.is_some();
    if by {
        t[0].insert(0, "breakdown".to_string());
    }
    let blocks = std::iter::once(("(all)", &r.variants))
        .chain(r.segments.iter().map(|s| (s.value.as_str(), &s.variants)));
    for (value, v) in blocks.flat_map(|(value, vs)| vs.iter().map(move |v| (value, v))) {
        let rev = v.revenue.as_ref();
        let mut row = vec![
            v.value.clone(),
            (v.value == r.control).to_string(),
            v.users.to_string(),
            v.share.to_string(),
            v.expected_share.to_string(),
            v.conversions.to_string(),
            v.rate.to_string(),
            v.rate_ci[0].to_string(),
            v.rate_ci[1].to_string(),
            opt(v.difference),
            ci(v.difference_ci, 0),
            ci(v.difference_ci, 1),
            opt(v.lift),
            ci(v.lift_ci, 0),
            ci(v.lift_ci, 1),
            opt(v.z),
            opt(v.p_value),
            v.significant.to_string(),
            v.small_sample.to_string(),
            opt(rev.map(|x| x.total)),
            opt(rev.map(|x| x.mean)),
            opt(rev.and_then(|x| x.sd)),
            opt(rev.and_then(|x| x.difference)),
            ci(rev.and_then(|x| x.difference_ci), 0),
            ci(rev.and_then(|x| x.difference_ci), 1),
            opt(rev.and_then(|x| x.t)),
            opt(rev.and_then(|x| x.df)),
            opt(rev.and_then(|x| x.p_value)),
            rev.map(|x| x.significant.to_string()).unwrap_or_default(),
        ];
        if by {
            row.insert(0, value.to_string());
        }
        t.push(row);
    }
    t
}
