//! RFM: recency, frequency and monetary value per customer, scored by quintiles or split
//! high / low into the Chinese eight classes (DESIGN.md §3, research features.md §2.7).
//!
//! **Purchases** follow the shared rule of [`super::purchases`]: an event of
//! `purchase_event` (default `purchase`) with amount property `amount` (default `revenue`);
//! an amount of 0 is a purchase, a negative amount is a refund (it lowers M, it is not a
//! purchase for F or R), a missing amount counts as 0 (warning `amount_missing`).
//!
//! **Which events count.** An event of the purchase event counts when it passes the shared
//! filters, lies in the date range and lies on a day before the as-of day (in the scope's
//! time zone). **Customers** are the users with at least one counted purchase (a user with
//! only refunds is no customer).
//!
//! **As-of date** `as_of` (`YYYY-MM-DD`, a day in the scope's time zone): default the day
//! after the last day of the date range, or after the day of the data's last event (any
//! event) when that is earlier; so with the whole data it is the day after the data's last
//! day, and with March 2025 it is 2025-04-01. Events on or after the as-of day do not
//! count.
//!
//! **Measures** of a customer: R = the number of calendar days (in the scope's time zone)
//! from the day of their last counted purchase to the as-of day (at least 1); F = the
//! number of counted purchases; M = the sum of the amounts of their counted purchase
//! events, refunds included (net; it can be 0 or negative).
//!
//! **Quintile model** (`model: "quintile"`, the default). Each dimension is ordered from
//! worst to best: R by days, most days first; F and M by value, smallest first. With
//! `ties: "split"` (default) customers are ranked 1..n in that order, equal values in
//! ascending user id order (byte order), and rank r gets the score pandas'
//! `qcut(rank(method="first"), 5, labels=[1, 2, 3, 4, 5])` gives it: the smallest k in
//! 1..5 with 5·(r − 1) ≤ k·(n − 1) (equal-size buckets; with n = 7 the sizes are 2, 1,
//! 1, 1, 2; a single customer scores 1). With `ties: "shared"` equal values share a score:
//! a customer's rank is 1 + the number of customers with a strictly worse value (the
//! lowest rank of their group of equal values), scored by the same rule; so the group
//! takes the score of its first member, and a score can stay empty. 5 is best in every
//! dimension. The R × F `grid` counts customers per (R score, F score), and the named
//! segment of a customer follows from R and F:
//!
//! | R \ F | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | 5 | new customers | potential loyalists | potential loyalists | champions | champions |
//! | 4 | promising | potential loyalists | potential loyalists | loyal customers | loyal customers |
//! | 3 | about to sleep | about to sleep | need attention | loyal customers | loyal customers |
//! | 2 | hibernating | hibernating | at risk | at risk | can't lose them |
//! | 1 | lost | lost | at risk | at risk | can't lose them |
//!
//! **Eight-class model** (`model: "eight_class"`). Each dimension is high or low against a
//! threshold: `split: "mean"` (default; the mean over the customers), `"median"` (the
//! median, the mean of the two middle values for an even count) or explicit values
//! `{"r": days, "f": purchases, "m": amount}`. R is high (近, recent) when the days are ≤
//! the R threshold; F and M are high when ≥ their thresholds: a value at the threshold is
//! high. The class of (R, F, M): (high, high, high) 重要价值客户, (high, low, high) 重要发展客户,
//! (low, high, high) 重要保持客户, (low, low, high) 重要挽留客户, (high, high, low) 一般价值客户,
//! (high, low, low) 一般发展客户, (low, high, low) 一般保持客户, (low, low, low) 一般挽留客户.
//! Member scores are 1 (high) or 0 (low), the usual "111 = 重要价值" coding.
//!
//! **Segments** list every segment of the model in a fixed order, empty ones included:
//! customers, their share of all customers, their revenue (sum of M), its share of all
//! customers' revenue (none when that total is 0), and mean R, F and M (none when empty).
//! The member list holds every customer in user id order; it is the CSV table.
//!
//! **Breakdown** (`breakdown`, default none). RFM is about customers, so a breakdown
//! splits the customers, each by their own value, by the stages' rule
//! ([`Breakdown::per_user`]: every property read as a user property, a user's value is the
//! one on their first event with one). The scores, thresholds and segments are those
//! computed over **all** customers, then split: a customer has the same scores and segment
//! whatever the breakdown, so a value's segment sizes say how that value's customers sit
//! in the whole customer base (scores computed within each value would rank each value
//! against itself and make values incomparable). Values are ranked by customers; the top
//! `limit` get a row each, then `(other)`, then `(none)` (customers without a value). Per
//! value: its customers, revenue, every segment of the model (customers, their share of
//! the value's customers, revenue, its share of the value's revenue, mean R, F and M) and
//! its own R × F grid (quintile model). The values' customers, revenue, segment sizes and
//! grids add up to the all-customers ones. Each member carries their value, and the
//! member table gains a leading `breakdown` column.

use super::purchases::{self, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::table::{opt, Table};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, FilterGroup, Ranked, Scoped};
use crate::engine::time::{civil_from_days, days_from_civil, Granularity};
use serde::{Deserialize, Serialize};

/// An RFM analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RfmSpec {
    /// The purchase event (default `purchase`).
    #[serde(default = "default_purchase_event")]
    pub purchase_event: String,
    /// Conditions on the purchase event's own properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub purchase_filters: FilterGroup,
    /// The numeric property holding a purchase's amount (default `revenue`).
    #[serde(default = "default_amount")]
    pub amount: String,
    /// The as-of day `YYYY-MM-DD` (default: the day after the range's or the data's last day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Quintile scores (default) or the eight classes.
    #[serde(default)]
    pub model: Model,
    /// How the quintile model treats equal values (default split).
    #[serde(default)]
    pub ties: Ties,
    /// The eight-class thresholds (default the means).
    #[serde(default)]
    pub split: Split,
    /// Segments per value of one or several properties, each customer by their own value,
    /// scored over all customers (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_purchase_event() -> String {
    DEFAULT_PURCHASE_EVENT.to_string()
}

fn default_amount() -> String {
    DEFAULT_AMOUNT.to_string()
}

impl Default for RfmSpec {
    fn default() -> Self {
        RfmSpec {
            purchase_event: default_purchase_event(),
            purchase_filters: FilterGroup::default(),
            amount: default_amount(),
            as_of: None,
            model: Model::default(),
            ties: Ties::default(),
            split: Split::default(),
            breakdown: None,
        }
    }
}

/// The scoring model.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// Scores 1–5 per dimension and the 11 named segments of R and F.
    #[default]
    Quintile,
    /// High / low per dimension and the 8 classes (重要价值客户 ...).
    EightClass,
}

/// Equal values in quintile scoring.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Equal-size buckets: equal values ranked by user id, possibly in different scores.
    #[default]
    Split,
    /// Equal values always share a score (the lowest of their group).
    Shared,
}

/// Where the eight-class model splits high from low.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(
    untagged,
    expecting = "\"mean\", \"median\" or {\"r\": days, \"f\": purchases, \"m\": amount}"
)]
pub enum Split {
    /// The mean or the median of the customers.
    Rule(SplitRule),
    /// Explicit thresholds.
    Values(Thresholds),
}

impl Default for Split {
    fn default() -> Self {
        Split::Rule(SplitRule::Mean)
    }
}

/// A threshold computed from the customers.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// The mean of each dimension.
    Mean,
    /// The median of each dimension.
    Median,
}

/// The thresholds of the eight-class model.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Days: R is high (recent) at or below it.
    pub r: f64,
    /// Purchases: F is high at or above it.
    pub f: f64,
    /// Amount: M is high at or above it.
    pub m: f64,
}

/// A named customer segment of either model.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// R 5, F 4–5.
    Champions,
    /// R 3–4, F 4–5.
    LoyalCustomers,
    /// R 4–5, F 2–3.
    PotentialLoyalists,
    /// R 5, F 1.
    NewCustomers,
    /// R 4, F 1.
    Promising,
    /// R 3, F 3.
    NeedAttention,
    /// R 3, F 1–2.
    AboutToSleep,
    /// R 1–2, F 3–4.
    AtRisk,
    /// R 1–2, F 5.
    CantLoseThem,
    /// R 2, F 1–2.
    Hibernating,
    /// R 1, F 1–2.
    Lost,
    /// 重要价值客户: recent, frequent, high value.
    ImportantValue,
    /// 重要发展客户: recent, infrequent, high value.
    ImportantDevelop,
    /// 重要保持客户: not recent, frequent, high value.
    ImportantKeep,
    /// 重要挽留客户: not recent, infrequent, high value.
    ImportantWinBack,
    /// 一般价值客户: recent, frequent, low value.
    GeneralValue,
    /// 一般发展客户: recent, infrequent, low value.
    GeneralDevelop,
    /// 一般保持客户: not recent, frequent, low value.
    GeneralKeep,
    /// 一般挽留客户: not recent, infrequent, low value.
    GeneralWinBack,
}

/// The quintile model's segments, in table order.
pub const QUINTILE_SEGMENTS: [Segment; 11] = [
    Segment::Champions,
    Segment::LoyalCustomers,
    Segment::PotentialLoyalists,
    Segment::NewCustomers,
    Segment::Promising,
    Segment::NeedAttention,
    Segment::AboutToSleep,
    Segment::AtRisk,
    Segment::CantLoseThem,
    Segment::Hibernating,
    Segment::Lost,
];

/// The eight classes, in the seeds' order.
pub const EIGHT_CLASSES: [Segment; 8] = [
    Segment::ImportantValue,
    Segment::ImportantDevelop,
    Segment::ImportantKeep,
    Segment::ImportantWinBack,
    Segment::GeneralValue,
    Segment::GeneralDevelop,
    Segment::GeneralKeep,
    Segment::GeneralWinBack,
];

impl Segment {
    /// The segment's JSON name (`"champions"`).
    pub fn id(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::LoyalCustomers => "loyal_customers",
            Segment::PotentialLoyalists => "potential_loyalists",
            Segment::NewCustomers => "new_customers",
            Segment::Promising => "promising",
            Segment::NeedAttention => "need_attention",
            Segment::AboutToSleep => "about_to_sleep",
            Segment::AtRisk => "at_risk",
            Segment::CantLoseThem => "cant_lose_them",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
            Segment::ImportantValue => "important_value",
            Segment::ImportantDevelop => "important_develop",
            Segment::ImportantKeep => "important_keep",
            Segment::ImportantWinBack => "important_win_back",
            Segment::GeneralValue => "general_value",
            Segment::GeneralDevelop => "general_develop",
            Segment::GeneralKeep => "general_keep",
            Segment::GeneralWinBack => "general_win_back",
        }
    }

    /// The segment of quintile scores `r` and `f` (1–5), by the map in the module docs.
    pub fn of_scores(r: u8, f: u8) -> Segment {
        use Segment::*;
        const MAP: [[Segment; 5]; 5] = [
            [Lost, Lost, AtRisk, AtRisk, CantLoseThem],
            [Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem],
            [
                AboutToSleep,
                AboutToSleep,
                NeedAttention,
                LoyalCustomers,
                LoyalCustomers,
            ],
            [
                Promising,
                PotentialLoyalists,
                PotentialLoyalists,
                LoyalCustomers,
                LoyalCustomers,
            ],
            [
                NewCustomers,
                PotentialLoyalists,
                PotentialLoyalists,
                Champions,
                Champions,
            ],
        ];
        MAP[r.clamp(1, 5) as usize - 1][f.clamp(1, 5) as usize - 1]
    }

    /// The class of (R, F, M) high (true) or low.
    pub fn of_levels(r: bool, f: bool, m: bool) -> Segment {
        match (m, r, f) {
            (true, true, true) => Segment::ImportantValue,
            (true, true, false) => Segment::ImportantDevelop,
            (true, false, true) => Segment::ImportantKeep,
            (true, false, false) => Segment::ImportantWinBack,
            (false, true, true) => Segment::GeneralValue,
            (false, true, false) => Segment::GeneralDevelop,
            (false, false, true) => Segment::GeneralKeep,
            (false, false, false) => Segment::GeneralWinBack,
        }
    }
}

/// Customer segments and their members.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RfmResult {
    /// The model used.
    pub model: Model,
    /// The tie rule used (quintile model).
    pub ties: Ties,
    /// The as-of day (`YYYY-MM-DD`).
    pub as_of: String,
    /// The purchase event.
    pub purchase_event: String,
    /// The amount property.
    pub amount: String,
    /// Number of customers.
    pub customers: u64,
    /// Their revenue (sum of M).
    pub revenue: f64,
    /// The thresholds used (eight-class model).
    pub thresholds: Option<Thresholds>,
    /// Customers per (R score, F score): `grid[r - 1][f - 1]` (quintile model; empty
    /// otherwise).
    pub grid: Vec<Vec<u64>>,
    /// Every segment of the model, in a fixed order.
    pub segments: Vec<SegmentRow>,
    /// Every customer, in user id order.
    pub members: Vec<Member>,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The segments of each breakdown value (empty without a breakdown): the top values by
    /// customers, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<RfmBreakdown>,
}

/// The customers of one breakdown value, scored over all customers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RfmBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// Customers with this value.
    pub customers: u64,
    /// Their revenue (sum of M).
    pub revenue: f64,
    /// Every segment of the model; shares are of this value's customers and revenue.
    pub segments: Vec<SegmentRow>,
    /// This value's customers per (R score, F score), like [`RfmResult::grid`].
    pub grid: Vec<Vec<u64>>,
}

/// One segment's numbers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SegmentRow {
    /// The segment.
    pub segment: Segment,
    /// Its customers.
    pub customers: u64,
    /// Its customers over all customers.
    pub customer_share: f64,
    /// Sum of its customers' M.
    pub revenue: f64,
    /// Its revenue over all customers' revenue (none when that is 0).
    pub revenue_share: Option<f64>,
    /// Mean R in days (none when empty).
    pub avg_recency: Option<f64>,
    /// Mean F (none when empty).
    pub avg_frequency: Option<f64>,
    /// Mean M (none when empty).
    pub avg_monetary: Option<f64>,
}

/// One customer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Member {
    /// User id.
    pub user_id: String,
    /// R: days from the last purchase day to the as-of day.
    pub recency: u32,
    /// F: purchases.
    pub frequency: u32,
    /// M: net amount.
    pub monetary: f64,
    /// R score: 1–5 (quintile) or 1 high / 0 low (eight-class).
    pub r_score: u8,
    /// F score, like `r_score`.
    pub f_score: u8,
    /// M score, like `r_score`.
    pub m_score: u8,
    /// The customer's segment.
    pub segment: Segment,
    /// The customer's breakdown value (with a breakdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The as-of day of `s` as a day number (days since 1970-01-01), or a keyed error.
pub(crate) fn parse_day(s: &str) -> Result<i64> {
    let bad = || {
        Error::spec("as_of", format!("\"{s}\" is not a date (2025-01-31)"))
            .keyed("as_of_date", &[("value", &s)])
    };
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        s.get(r.clone())
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|x| x.parse().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(bad());
    };
    if !(1..=12).contains(&m) || d < 1 {
        return Err(bad());
    }
    let day = days_from_civil(y, m as u32, d as u32);
    if civil_from_days(day) != (y, m as u32, d as u32) {
        return Err(bad());
    }
    Ok(day)
}

/// The quintile score (1–5) of rank `r` (1-based) among `n`: the smallest k with
/// 5·(r − 1) ≤ k·(n − 1).
#[inline]
pub fn quintile(r: usize, n: usize) -> u8 {
    if n <= 1 {
        return 1;
    }
    let (a, b) = (5 * (r as u64 - 1), n as u64 - 1);
    (a.div_ceil(b)).max(1) as u8
}

/// Scores of `n` customers in one dimension: `order` sorts them worst first (with the
/// user id order as the last key), `same` says whether two have equal values.
fn scores(
    n: usize,
    ties: Ties,
    order: impl Fn(&usize, &usize) -> std::cmp::Ordering,
    same: impl Fn(usize, usize) -> bool,
) -> Vec<u8> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_unstable_by(order);
    let mut out = vec![0u8; n];
    let mut group_rank = 1;
    for (k, &c) in idx.iter().enumerate() {
        if k == 0 || !same(idx[k - 1], c) {
            group_rank = k + 1;
        }
        let rank = match ties {
            Ties::Split => k + 1,
            Ties::Shared => group_rank,
        };
        out[c] = quintile(rank, n);
    }
    out
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x;
        n += 1;
    }
    s / n as f64
}

/// Computes the RFM scores and segments.
pub fn run(scope: &mut Scoped, spec: &RfmSpec) -> Result<RfmResult> {
    let purchases = purchases::resolve(
        scope,
        "purchase_event",
        &spec.purchase_event,
        &spec.purchase_filters,
        "amount",
        &spec.amount,
    )?;
    let values = match &spec.breakdown {
        Some(b) => Some((scope.breakdown("breakdown", &b.per_user())?, b.limit)),
        None => None,
    };
    let scope = &*scope;
    let cal = scope.calendar(Granularity::Day);
    let as_of = match &spec.as_of {
        Some(s) => parse_day(s.trim())?,
        None => cal.bucket(scope.data_in_range()?.1) + 1,
    };
    // events before the as-of day's start (and in the range) count
    let end = scope.range.1.min(cal.start_micros(as_of));
    let times = scope.store.times();

    // one pass: per customer the user, last purchase day, F and M. A user's events are in
    // time order, so the counted ones lie between two binary searches, and only events of
    // the purchase event's code are looked at further.
    let codes = scope.store.event_codes();
    // the purchase event is always named, so the matcher has its code
    let code = purchases.matcher.event.unwrap_or(u32::MAX);
    let mut user: Vec<u32> = Vec::new();
    let mut last_day: Vec<i64> = Vec::new();
    let mut freq: Vec<u32> = Vec::new();
    let mut money: Vec<f64> = Vec::new();
    // per customer, the breakdown key of their first event (with a breakdown)
    let mut key: Vec<u32> = Vec::new();
    for (u, r) in scope.users() {
        let ts = &times[r.clone()];
        let lo = r.start + ts.partition_point(|&t| t < scope.range.0);
        // (an as-of day before the range's start leaves nothing)
        let hi = lo.max(r.start + ts.partition_point(|&t| t < end));
        let (mut f, mut m, mut last) = (0u32, 0.0f64, i64::MIN);
        for (k, _) in codes[lo..hi].iter().enumerate().filter(|(_, &c)| c == code) {
            let i = lo + k;
            if !(scope.keep(i) && purchases.is_purchase_event(scope, i, u)) {
                continue;
            }
            m += purchases.amount(i);
            if !purchases.is_refund(i) {
                f += 1;
                last = times[i];
            }
        }
        if f > 0 {
            user.push(u);
            last_day.push(cal.bucket(last));
            freq.push(f);
            money.push(m);
            if let Some((v, _)) = &values {
                key.push(v.key(r.start));
            }
        }
    }
    let n = user.len();
    if n == 0 {
        return Err(Error::spec(
            "purchase_event",
            format!(
                "no \"{}\" purchases in the date range before the as-of day",
                spec.purchase_event
            ),
        )
        .keyed("no_customers", &[("event", &spec.purchase_event)]));
    }
    let recency: Vec<u32> = last_day.iter().map(|&d| (as_of - d) as u32).collect();

    // `user` is in store order: sort the customers by user id once, and break ties in the
    // scores by that position (an integer compare instead of a string compare)
    let ids: Vec<&str> = user
        .iter()
        .map(|&u| scope.store.user_id(u as usize))
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|a, b| ids[*a].cmp(ids[*b]));
    let mut id_rank = vec![0u32; n];
    for (k, &c) in order.iter().enumerate() {
        id_rank[c] = k as u32;
    }
    let by_id = |a: &usize, b: &usize| id_rank[*a].cmp(&id_rank[*b]);
    let (r_score, f_score, m_score, thresholds) = match spec.model {
        Model::Quintile => {
            let r = scores(
                n,
                spec.ties,
                |a, b| recency[*b].cmp(&recency[*a]).then_with(|| by_id(a, b)),
                |a, b| recency[a] == recency[b],
            );
            let f = scores(
                n,
                spec.ties,
                |a, b| freq[*a].cmp(&freq[*b]).then_with(|| by_id(a, b)),
                |a, b| freq[a] == freq[b],
            );
            let m = scores(
                n,
                spec.ties,
                |a, b| money[*a].total_cmp(&money[*b]).then_with(|| by_id(a, b)),
                |a, b| money[a] == money[b],
            );
            (r, f, m, None)
        }
        Model::EightClass => {
            let th = match spec.split {
                Split::Values(t) => t,
                Split::Rule(SplitRule::Mean) => Thresholds {
                    r: mean(recency.iter().map(|&x| x as f64)),
                    f: mean(freq.iter().map(|&x| x as f64)),
                    m: mean(money.iter().copied()),
                },
                Split::Rule(SplitRule::Median) => {
                    let med = |mut v: Vec<f64>| super::median(&mut v).unwrap_or(0.0);
                    Thresholds {
                        r: med(recency.iter().map(|&x| x as f64).collect()),
                        f: med(freq.iter().map(|&x| x as f64).collect()),
                        m: med(money.clone()),
                    }
                }
            };
            let r = recency
                .iter()
                .map(|&x| u8::from(x as f64 <= th.r))
                .collect();
            let f = freq.iter().map(|&x| u8::from(x as f64 >= th.f)).collect();
            let m = money.iter().map(|&x| u8::from(x >= th.m)).collect();
            (r, f, m, Some(th))
        }
    };
    let segment_of = |c: usize| match spec.model {
        Model::Quintile => Segment::of_scores(r_score[c], f_score[c]),
        Model::EightClass => Segment::of_levels(r_score[c] == 1, f_score[c] == 1, m_score[c] == 1),
    };
    let members: Vec<Member> = order
        .iter()
        .map(|&c| Member {
            user_id: ids[c].to_string(),
            recency: recency[c],
            frequency: freq[c],
            monetary: money[c],
            r_score: r_score[c],
            f_score: f_score[c],
            m_score: m_score[c],
            segment: segment_of(c),
            value: None,
        })
        .collect();

    let list: &[Segment] = match spec.model {
        Model::Quintile => &QUINTILE_SEGMENTS,
        Model::EightClass => &EIGHT_CLASSES,
    };
    let mut all = Sums::new(list.len());
    for m in &members {
        all.add(list, m);
    }
    let quintile = spec.model == Model::Quintile;
    let (revenue, segments, grid) = (all.revenue, all.rows(list), all.grid(quintile));
    // the breakdown: each customer's slot among the ranked values, then the same sums per
    // slot in one pass
    let mut members = members;
    let breakdowns = match &values {
        None => Vec::new(),
        Some((v, limit)) => {
            let mut rank = vec![0u64; v.len()];
            for &k in &key {
                rank[k as usize] += 1;
            }
            let present: Vec<bool> = rank.iter().map(|&c| c > 0).collect();
            let ranked = Ranked::new(v, &rank, &present, *limit);
            let nv = ranked.labels.len();
            let cells = nv * (list.len() + 25);
            if cells > super::stages::MAX_CELLS {
                return Err(too_many_values(cells));
            }
            let mut sums: Vec<Sums> = (0..nv).map(|_| Sums::new(list.len())).collect();
            // `members` is in `order`: member j is customer order[j]
            for (m, &c) in members.iter_mut().zip(&order) {
                let s = ranked.slot[key[c] as usize];
                sums[s].add(list, m);
                m.value = Some(ranked.labels[s].clone());
            }
            (ranked.labels.iter().zip(&sums))
                .map(|(label, x)| RfmBreakdown {
                    value: label.clone(),
                    customers: x.n,
                    revenue: x.revenue,
                    segments: x.rows(list),
                    grid: x.grid(quintile),
                })
                .collect()
        }
    };
    let (y, mo, d) = civil_from_days(as_of);
    Ok(RfmResult {
        model: spec.model,
        ties: spec.ties,
        as_of: format!("{y:04}-{mo:02}-{d:02}"),
        purchase_event: spec.purchase_event.clone(),
        amount: spec.amount.clone(),
        customers: n as u64,
        revenue,
        thresholds,
        grid,
        segments,
        members,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        breakdowns,
    })
}

/// The error for a breakdown with more values than the analysis can keep.
fn too_many_values(cells: usize) -> Error {
    let max = super::stages::MAX_CELLS;
    Error::spec(
        "breakdown",
        format!("{cells} values to compute is too many (at most {max}); lower the breakdown limit"),
    )
    .keyed("too_many_values", &[("count", &cells), ("max", &max)])
}

/// The sums of a group of customers: count, revenue (Σ M in member order), per segment of
/// the model's list customers and Σ R, F, M, and the R × F score grid.
struct Sums {
    n: u64,
    revenue: f64,
    segments: Vec<(u64, f64, f64, f64)>,
    grid: [[u64; 5]; 5],
}

impl Sums {
    fn new(segments: usize) -> Sums {
        Sums {
            n: 0,
            revenue: 0.0,
            segments: vec![(0, 0.0, 0.0, 0.0); segments],
            grid: [[0; 5]; 5],
        }
    }

    /// Adds customer `m` (its segment one of `list`).
    fn add(&mut self, list: &[Segment], m: &Member) {
        self.n += 1;
        self.revenue += m.monetary;
        if let Some(k) = list.iter().position(|&s| s == m.segment) {
            let e = &mut self.segments[k];
            e.0 += 1;
            e.1 += m.recency as f64;
            e.2 += m.frequency as f64;
            e.3 += m.monetary;
        }
        // quintile scores are 1–5 (the eight classes' 0 / 1 land anywhere: their grid is
        // never returned)
        if let (Some(r), Some(f)) = (m.r_score.checked_sub(1), m.f_score.checked_sub(1)) {
            self.grid[r as usize][f as usize] += 1;
        }
    }

    /// One row per segment of `list`; shares are of this group's customers and revenue.
    fn rows(&self, list: &[Segment]) -> Vec<SegmentRow> {
        list.iter()
            .zip(&self.segments)
            .map(|(&s, &(k, r, f, m))| {
                let avg = |x: f64| (k > 0).then(|| x / k as f64);
                SegmentRow {
                    segment: s,
                    customers: k,
                    customer_share: k as f64 / self.n as f64,
                    revenue: m,
                    revenue_share: (self.revenue != 0.0).then(|| m / self.revenue),
                    avg_recency: avg(r),
                    avg_frequency: avg(f),
                    avg_monetary: avg(m),
                }
            })
            .collect()
    }

    /// The grid `grid[r - 1][f - 1]` of the quintile model, empty otherwise.
    fn grid(&self, quintile: bool) -> Vec<Vec<u64>> {
        if quintile {
            self.grid.iter().map(|row| row.to_vec()).collect()
        } else {
            Vec::new()
        }
    }
}

/// The result as a table: the member list, one row per customer; with a breakdown, a
/// leading `breakdown` column holds each customer's value.
pub fn table(r: &RfmResult) -> Table {
    let by = r.breakdown.is_some();
    let mut t = vec![[
        "user_id",
        "segment",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
    ]
    .map(String::from)
    .to_vec()];
    if by {
        t[0].insert(0, "breakdown".to_string());
    }
    for m in &r.members {
        let value = by.then(|| m.value.clone().unwrap_or_default());
        t.push(
            value
                .into_iter()
                .chain([
                    m.user_id.clone(),
                    m.segment.id().to_string(),
                    m.recency.to_string(),
                    m.frequency.to_string(),
                    opt(Some(m.monetary)),
                    m.r_score.to_string(),
                    m.f_score.to_string(),
                    m.m_score.to_string(),
                ])
                .collect(),
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintile_matches_qcut_bucket_sizes() {
        // qcut(rank, 5) on 7 ranks: edges 1, 2.2, 3.4, 4.6, 5.8, 7
        let s: Vec<u8> = (1..=7).map(|r| quintile(r, 7)).collect();
        assert_eq!(s, [1, 1, 2, 3, 4, 5, 5]);
        // 10 ranks: edges 1, 2.8, 4.6, 6.4, 8.2, 10
        let s: Vec<u8> = (1..=10).map(|r| quintile(r, 10)).collect();
        assert_eq!(s, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(quintile(1, 1), 1);
    }

    #[test]
    fn segment_map_covers_every_cell() {
        let rows = [
            "NPPCC", // R 5
            "rPPLL", // R 4
            "SSALL", // R 3
            "HHTTK", // R 2
            "XXTTK", // R 1
        ];
        for (k, row) in rows.iter().enumerate() {
            let r = 5 - k as u8;
            for (j, c) in row.chars().enumerate() {
                let want = match c {
                    'N' => Segment::NewCustomers,
                    'P' => Segment::PotentialLoyalists,
                    'C' => Segment::Champions,
                    'r' => Segment::Promising,
                    'L' => Segment::LoyalCustomers,
                    'S' => Segment::AboutToSleep,
                    'A' => Segment::NeedAttention,
                    'H' => Segment::Hibernating,
                    'T' => Segment::AtRisk,
                    'K' => Segment::CantLoseThem,
                    _ => Segment::Lost,
                };
                assert_eq!(
                    Segment::of_scores(r, j as u8 + 1),
                    want,
                    "R {r} F {}",
                    j + 1
                );
            }
        }
    }

    #[test]
    fn segment_ids_are_the_json_names() {
        for s in QUINTILE_SEGMENTS.iter().chain(&EIGHT_CLASSES) {
            assert_eq!(serde_json::to_value(s).unwrap(), s.id());
        }
    }

    #[test]
    fn as_of_must_be_a_real_day() {
        assert_eq!(parse_day("1970-01-02").unwrap(), 1);
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "2025-1-01",
            "tomorrow",
            "2025-01-01T00",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }
}
