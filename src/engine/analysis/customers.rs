//! The per-customer summary that lifetime-value models (BTYD: BG/NBD, Pareto/NBD,
//! Gamma-Gamma) start from, as Python's `lifetimes.utils.summary_data_from_transaction_data`
//! computes it with `freq='D'` (research features.md §2.6).
//!
//! **Purchases** follow the shared rule of [`super::purchases`]: an event of
//! `purchase_event` (matching `purchase_filters`) that passes the shared filters, lies in
//! the date range and lies on or before the observation date (the whole day); its amount
//! is the numeric property `amount` (missing = 0, with a warning). A negative amount is a
//! refund: it lowers `revenue` but is not a purchase (no purchase day, not in
//! `purchases`, not in the daily purchase totals); an amount of 0 is a purchase.
//!
//! **Days** are calendar days in the scope's time zone. The **observation date**
//! (`observation_date`, `YYYY-MM-DD`) defaults to the last day of the data: the day of
//! its last event, or the date range's last day when the range ends earlier.
//!
//! **Customers** are the users with at least one purchase; per customer, with `d₁` the
//! first purchase day, `dₙ` the last, and the *daily purchase total* of a day the sum of
//! its purchases' amounts:
//! - `purchase_days` = distinct purchase days; `frequency` = `purchase_days` − 1 (repeat
//!   purchase days);
//! - `recency` = `dₙ − d₁` in days; `T` = observation date − `d₁` in days;
//! - `monetary_value` = mean of the daily purchase totals of the repeat days (every
//!   purchase day but `d₁`), 0 when `frequency` is 0;
//! - `purchases` = purchase events; `revenue` = Σ amounts of the customer's purchase events,
//!   refunds included (net revenue).
//!
//! Customers are listed in the order their users first appear in the data.
//!
//! **Breakdown** (`breakdown`, default none): each customer is labelled with their own
//! value by the stages' rule ([`Breakdown::per_user`]: every property read as a user
//! property, by the scope's `user_properties` rule, default the value on the user's first
//! event with one). Values are ranked by customers; the top `limit` keep their label, the
//! others read `(other)`, customers without a value `(none)`. The table gains a leading
//! `breakdown` column, so the export can be grouped by it; the rows and their order stay
//! the same.

use super::purchases::{self, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::table::{amount, Table};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, parse_timestamp, Calendar, Granularity};
use serde::{Deserialize, Serialize};

/// A customer summary to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomersSpec {
    /// The purchase event (default `"purchase"`).
    #[serde(default = "default_event")]
    pub purchase_event: String,
    /// Conditions on the purchase event's properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub purchase_filters: FilterGroup,
    /// The numeric property holding a purchase's amount (default `"revenue"`).
    #[serde(default = "default_amount")]
    pub amount: String,
    /// The day `T` is measured to (`YYYY-MM-DD` in the scope's zone); default the day of
    /// the data's last event, or the date range's last day when the range ends earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation_date: Option<String>,
    /// Labels each customer with their value of one or several properties (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_event() -> String {
    DEFAULT_PURCHASE_EVENT.into()
}

fn default_amount() -> String {
    DEFAULT_AMOUNT.into()
}

impl Default for CustomersSpec {
    fn default() -> Self {
        CustomersSpec {
            purchase_event: default_event(),
            purchase_filters: FilterGroup::default(),
            amount: default_amount(),
            observation_date: None,
            breakdown: None,
        }
    }
}

/// The customer summary.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CustomersResult {
    /// The observation date (`YYYY-MM-DD`).
    pub observation_date: String,
    /// Its end instant (RFC 3339, excluded): purchases before it count.
    pub observation_end: String,
    /// One row per customer.
    pub customers: Vec<Customer>,
    /// Customers with `frequency` ≥ 1.
    pub repeat_customers: u64,
    /// Σ `revenue` over the customers.
    pub revenue: f64,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
}

/// One customer's summary.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Customer {
    /// The user id.
    pub user: String,
    /// Repeat purchase days: distinct purchase days − 1.
    pub frequency: u32,
    /// Days from the first to the last purchase day.
    pub recency: i64,
    /// Days from the first purchase day to the observation date.
    #[serde(rename = "T")]
    pub t: i64,
    /// Mean daily purchase total of the repeat days (0 without any).
    pub monetary_value: f64,
    /// Purchase events (refunds excluded).
    pub purchases: u64,
    /// Net revenue (refunds included).
    pub revenue: f64,
    /// First purchase day (`YYYY-MM-DD`).
    pub first_purchase: String,
    /// Last purchase day (`YYYY-MM-DD`).
    pub last_purchase: String,
    /// The customer's breakdown value (with a breakdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Computes the customer summary.
pub fn run(scope: &mut Scoped, spec: &CustomersSpec) -> Result<CustomersResult> {
    let buy = purchases::resolve(
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
    let days = scope.calendar(Granularity::Day);
    let obs = match &spec.observation_date {
        Some(s) => observation_day(&days, s)?,
        None => days.bucket(scope.data_in_range()?.1),
    };
    let obs_end = days.start_micros(days.add(obs, 1));
    let store = scope.store;
    let t = store.times();
    let mut customers = Vec::new();
    let mut repeat_customers = 0;
    let mut total = 0.0;
    // per customer, the breakdown key of their first event (with a breakdown)
    let mut keys: Vec<u32> = Vec::new();
    for (u, r) in scope.users() {
        let first = r.start;
        let mut cursor = days.cursor();
        // first and last purchase day, purchase days, the running day's total, Σ totals of
        // the repeat days, purchases, net revenue
        let (mut d1, mut dn, mut n_days) = (i64::MIN, i64::MIN, 0u32);
        let (mut day_total, mut repeat_sum) = (0.0f64, 0.0f64);
        let (mut count, mut revenue) = (0u64, 0.0f64);
        for i in r {
            if t[i] >= obs_end {
                break;
            }
            if !(scope.in_range(t[i]) && scope.keep(i) && buy.is_purchase_event(scope, i, u)) {
                continue;
            }
            let v = buy.amount(i);
            revenue += v;
            if buy.is_refund(i) {
                continue;
            }
            count += 1;
            let d = cursor.key(t[i]);
            if n_days == 0 {
                d1 = d;
            }
            if d != dn {
                if n_days > 1 {
                    repeat_sum += day_total;
                }
                day_total = 0.0;
                n_days += 1;
                dn = d;
            }
            day_total += v;
        }
        if n_days == 0 {
            continue;
        }
        if n_days > 1 {
            repeat_sum += day_total;
        }
        let frequency = n_days - 1;
        repeat_customers += u64::from(frequency > 0);
        total += revenue;
        if let Some((v, _)) = &values {
            keys.push(v.key(first));
        }
        customers.push(Customer {
            user: store.user_id(u as usize).to_string(),
            frequency,
            recency: dn - d1,
            t: obs - d1,
            monetary_value: if frequency > 0 {
                repeat_sum / frequency as f64
            } else {
                0.0
            },
            purchases: count,
            revenue,
            first_purchase: days.label(d1),
            last_purchase: days.label(dn),
            value: None,
        });
    }
    if let Some((v, limit)) = &values {
        let mut rank = vec![0u64; v.len()];
        for &k in &keys {
            rank[k as usize] += 1;
        }
        let present: Vec<bool> = rank.iter().map(|&n| n > 0).collect();
        let ranked = Ranked::new(v, &rank, &present, *limit);
        for (c, &k) in customers.iter_mut().zip(&keys) {
            c.value = Some(ranked.labels[ranked.slot[k as usize]].clone());
        }
    }
    Ok(CustomersResult {
        observation_date: days.label(obs),
        observation_end: format_rfc3339(obs_end),
        customers,
        repeat_customers,
        revenue: total,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
    })
}

/// The day key in `days` (a calendar of days) of an `observation_date` (`YYYY-MM-DD` in
/// the calendar's zone); anything else is the error `not_a_day`.
pub fn observation_day(days: &Calendar, s: &str) -> Result<i64> {
    let v = s.trim();
    let is_date = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    match parse_timestamp(v, &days.zone).filter(|_| is_date) {
        Some(at) => Ok(days.bucket(at)),
        None => Err(Error::spec(
            "observation_date",
            format!("\"{s}\" is not a date (2025-01-31)"),
        )
        .keyed("not_a_day", &[("value", &s)])),
    }
}

/// The result as a table: one row per customer, every customer (columns `user`,
/// `frequency`, `recency`, `T`, `monetary_value`, `purchases`, `revenue`,
/// `first_purchase`, `last_purchase`); amounts rounded to 9 decimals ([`amount`]). With a
/// breakdown, a leading `breakdown` column holds each customer's value.
pub fn table(r: &CustomersResult) -> Table {
    let by = r.breakdown.is_some();
    let mut t = vec![[
        "user",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "purchases",
        "revenue",
        "first_purchase",
        "last_purchase",
    ]
    .map(String::from)
    .to_vec()];
    if by {
        t[0].insert(0, "breakdown".to_string());
    }
    t.extend(r.customers.iter().map(|c| {
        let value = by.then(|| c.value.clone().unwrap_or_default());
        value
            .into_iter()
            .chain([
                c.user.clone(),
                c.frequency.to_string(),
                c.recency.to_string(),
                c.t.to_string(),
                amount(c.monetary_value),
                c.purchases.to_string(),
                amount(c.revenue),
                c.first_purchase.clone(),
                c.last_purchase.clone(),
            ])
            .collect()
    }));
    t
}
