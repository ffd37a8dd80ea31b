//! Revenue: revenue, paying rate, ARPU and ARPPU per interval, and ROI by channel
//! (DESIGN.md §3, research features.md §2.6).
//!
//! **Purchases** follow the shared rule of [`super::purchases`]: an event of
//! `purchase_event` is a purchase, its `amount` property its amount (0 when it has none,
//! with an `amount_missing` warning); one with a negative amount is a *refund*: it lowers
//! revenue but is not a purchase. An amount of 0 is a purchase. Only events that pass the
//! shared filters count.
//!
//! **Intervals** are calendar hours, days, weeks or months (`interval`) in the scope's time
//! zone and week start, from the one holding the later of the data's first event and the
//! range's start to the one holding the earlier of the data's last event and the range's
//! end (as in trends and lifecycle). Only events in the date range count in an interval.
//! An interval the range or the data covers only in part is flagged `incomplete` (the
//! shared rule, [`Scoped::incomplete`]).
//!
//! **Per interval:**
//! - `revenue`: the sum of the amounts of purchases and refunds (net);
//! - `purchases`: purchases (refunds excluded); `refunds`: refunds, `refund_amount` the sum
//!   of their (negative) amounts, so revenue = purchase amounts + `refund_amount`;
//! - `paying_users`: users with at least one purchase;
//! - `active_users`: users with an *active event* (an event of `active_event`, any event
//!   when absent) or a purchase in the interval, so paying users are always active;
//! - `paying_rate` = paying / active; `arpu` = revenue / active (both none when nobody is
//!   active); `arppu` = revenue / paying (none when nobody paid). With paying users,
//!   ARPU = paying rate × ARPPU, as both sides are revenue / active;
//! - `new_users`: users *acquired* in the interval: their first event in the whole data
//!   (any event, whatever its name or the date range) lies in it and passes the shared
//!   filters (with a filter, the users whose first event matches it);
//! - `acquired_to_date`: users acquired from the start of the data to the end of the
//!   interval (or of the date range, if earlier); `revenue_to_date`: the revenue of all
//!   purchases and refunds over the same span (before the date range included);
//!   `arpu_acquired` = revenue to date / acquired to date, the ARPU per acquired user.
//!
//! **Totals** are the same measures over the whole date range: distinct users over the
//! range (not sums of the intervals), new users acquired in the range, and the to-date
//! values at the end of the range.
//!
//! **ROI by channel.** With `channel`, each user's channel is their *first-touch* value:
//! the property's value on the user's first event in the whole data that has one (users
//! without any are `(none)`). Per channel, over the users acquired in the date range
//! (`new_users` above): `new_users`, `paying_users` (those with a purchase in the range),
//! `revenue` (their purchases and refunds in the range), and with a cost from `costs` (the
//! spend on the channel over the date range): ROI = (revenue − cost) / cost (none when the
//! cost is 0), CAC = cost / new users (none without new users), and the payback interval:
//! the first interval at whose end the channel's revenue from its new users, summed from
//! the start of the range, reaches the cost (none if it never does). Channels with new
//! users or a cost are listed, most new users first, `(none)` last.
//!
//! **Breakdown.** With `breakdown`, every measure above is also computed per value of the
//! breakdown, each event carrying its own value (an event property is read on each event;
//! a user property gives every event of a user the user's value): a value's revenue,
//! purchases and refunds are those of its purchase events; its active and paying users
//! the users with an active event or a purchase carrying the value (a user with events of
//! two values counts in both); its new users the users whose first event in the data
//! carries it, and its to-date values the same over the span before the interval's end.
//! So ARPU = paying rate × ARPPU holds per value. The values shown are those with an event
//! counted in the date range (an active event, a purchase or a refund) or a user acquired
//! in it; they are ranked by their net revenue over the range (ties by label), the top
//! `limit` kept, the rest gathered as `(other)` (a user counted once there, however many
//! of its values they have), and `(none)` (events without a value) last. The top-level
//! numbers stay those of all events.
//!
//! **Computation.** One pass over each user's events in time order: per-interval counters
//! in flat vectors, distinct users per interval counted with a "last user" stamp per
//! interval, channels as the property's codes; with a breakdown, a first pass ranks the
//! values and each kept value gets its own counters. No per-event allocation.

use super::purchases::{self, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::table::{opt, Table};
use super::trends::ranks;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{edit_distance, Breakdown, BreakdownValues, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};

/// Most intervals a revenue analysis may have.
pub const MAX_INTERVALS: usize = 20_000;

/// Most (breakdown value, interval) cells a revenue analysis may compute.
pub const MAX_CELLS: usize = 500_000;

/// A revenue analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RevenueSpec {
    /// The purchase event (default `purchase`).
    #[serde(default = "default_purchase_event")]
    pub purchase_event: String,
    /// Conditions on the purchase event's own properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub purchase_filters: FilterGroup,
    /// The numeric property holding a purchase's amount (default `revenue`).
    #[serde(default = "default_amount")]
    pub amount: String,
    /// Interval length (default day).
    #[serde(default)]
    pub interval: Granularity,
    /// The event that makes a user active; any event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_event: Option<String>,
    /// The property holding users' acquisition channel (first touch); no channel table
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Spend per channel over the date range (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<ChannelCost>,
    /// The measures per value of one or several properties, on each event (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_purchase_event() -> String {
    DEFAULT_PURCHASE_EVENT.into()
}

fn default_amount() -> String {
    DEFAULT_AMOUNT.into()
}

impl Default for RevenueSpec {
    fn default() -> Self {
        RevenueSpec {
            purchase_event: default_purchase_event(),
            purchase_filters: FilterGroup::default(),
            amount: default_amount(),
            interval: Granularity::default(),
            active_event: None,
            channel: None,
            costs: Vec::new(),
            breakdown: None,
        }
    }
}

/// The spend on one channel over the date range.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelCost {
    /// A value of the channel property.
    pub channel: String,
    /// The spend (0 or more).
    pub cost: f64,
}

/// The measures of one interval, or of the whole date range.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    /// Net revenue: purchases' and refunds' amounts.
    pub revenue: f64,
    /// Purchases (refunds excluded).
    pub purchases: u64,
    /// Refunds (purchase events with a negative amount).
    pub refunds: u64,
    /// The sum of the refunds' amounts (0 or negative).
    pub refund_amount: f64,
    /// Users with at least one purchase.
    pub paying_users: u64,
    /// Users with an active event or a purchase.
    pub active_users: u64,
    /// Paying users / active users (none when nobody is active).
    pub paying_rate: Option<f64>,
    /// Revenue / active users (none when nobody is active).
    pub arpu: Option<f64>,
    /// Revenue / paying users (none when nobody paid).
    pub arppu: Option<f64>,
    /// Users acquired (first event of the data) in the interval or range.
    pub new_users: u64,
    /// Users acquired from the start of the data to the end.
    pub acquired_to_date: u64,
    /// Revenue from the start of the data to the end.
    pub revenue_to_date: f64,
    /// Revenue to date / acquired to date (none when nobody was acquired).
    pub arpu_acquired: Option<f64>,
}

impl Metrics {
    /// Fills the ratios from the counts.
    fn with_ratios(mut self) -> Self {
        self.paying_rate = ratio(self.paying_users as f64, self.active_users);
        self.arpu = ratio(self.revenue, self.active_users);
        self.arppu = ratio(self.revenue, self.paying_users);
        self.arpu_acquired = ratio(self.revenue_to_date, self.acquired_to_date);
        self
    }
}

/// One interval's measures.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IntervalMetrics {
    /// Interval label, e.g. `2025-09-01`.
    pub label: String,
    /// Interval start instant (RFC 3339).
    pub start: String,
    /// The date range or the data covers the interval only in part.
    pub incomplete: bool,
    /// Its measures.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Return on the spend of one channel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChannelRoi {
    /// The channel (`(none)`: users without a value).
    pub channel: String,
    /// Users acquired in the date range whose first-touch channel it is.
    pub new_users: u64,
    /// Those of them with a purchase in the range.
    pub paying_users: u64,
    /// Their net revenue in the range.
    pub revenue: f64,
    /// The spend given for the channel, if any.
    pub cost: Option<f64>,
    /// (revenue − cost) / cost (none without a cost or when it is 0).
    pub roi: Option<f64>,
    /// Cost / new users, the acquisition cost per user (none without a cost or new users).
    pub cac: Option<f64>,
    /// The label of the first interval at whose end the revenue reaches the cost.
    pub payback: Option<String>,
    /// How many intervals from the range's first one that took (1 = the first).
    pub payback_intervals: Option<u32>,
}

/// Revenue per interval, totals and ROI by channel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RevenueResult {
    /// Interval length.
    pub interval: Granularity,
    /// The purchase event.
    pub purchase_event: String,
    /// The amount property.
    pub amount: String,
    /// One entry per interval.
    pub intervals: Vec<IntervalMetrics>,
    /// The whole date range.
    pub total: Metrics,
    /// The channel property, if any.
    pub channel: Option<String>,
    /// ROI by channel (empty without a channel).
    pub channels: Vec<ChannelRoi>,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The measures per breakdown value (empty without a breakdown): the top values by
    /// revenue, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<RevenueBreakdown>,
}

/// The measures of the events carrying one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RevenueBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// One entry per interval, in the order of the result's `intervals`.
    pub intervals: Vec<Metrics>,
    /// The whole date range.
    pub total: Metrics,
}

/// Names of a channel property, normalised like the purchase names (lowercase, no
/// `$ _ - .` or space), most specific first.
const CHANNEL_NAMES: [&str; 12] = [
    "channel",
    "utmsource",
    "source",
    "acquisitionchannel",
    "mediasource",
    "initialutmsource",
    "initialreferringdomain",
    "渠道",
    "来源渠道",
    "推广渠道",
    "渠道来源",
    "来源",
];

/// The property among `names` most likely to hold users' acquisition channel (`channel`,
/// `utm_source`, `source`, `渠道`, ...); the app preselects it as `channel`.
pub fn suggest_channel<'a>(names: &[&'a str]) -> Option<&'a str> {
    purchases::suggest(&CHANNEL_NAMES, names)
}

/// The counters of one group of events: all of them, or one breakdown value's.
struct Acc {
    per: Vec<Metrics>,
    /// Per interval, the last user counted active / paying in it.
    active_seen: Vec<u32>,
    paying_seen: Vec<u32>,
    total: Metrics,
    /// The last user counted active / paying over the range.
    active_user: u32,
    paying_user: u32,
    acquired_before: u64,
    revenue_before: f64,
}

impl Acc {
    fn new(nb: usize) -> Acc {
        Acc {
            per: vec![Metrics::default(); nb],
            active_seen: vec![u32::MAX; nb],
            paying_seen: vec![u32::MAX; nb],
            total: Metrics::default(),
            active_user: u32::MAX,
            paying_user: u32::MAX,
            acquired_before: 0,
            revenue_before: 0.0,
        }
    }

    /// A purchase event in interval `b` of user `u`: its amount, a refund or not.
    fn purchase(&mut self, u: u32, b: usize, amount: f64, refund: bool) {
        let m = &mut self.per[b];
        m.revenue += amount;
        if refund {
            m.refunds += 1;
            m.refund_amount += amount;
        } else {
            m.purchases += 1;
            if self.paying_seen[b] != u {
                self.paying_seen[b] = u;
                m.paying_users += 1;
            }
            if self.paying_user != u {
                self.paying_user = u;
                self.total.paying_users += 1;
            }
        }
    }

    /// User `u` is active in interval `b`.
    fn active(&mut self, u: u32, b: usize) {
        if self.active_seen[b] != u {
            self.active_seen[b] = u;
            self.per[b].active_users += 1;
        }
        if self.active_user != u {
            self.active_user = u;
            self.total.active_users += 1;
        }
    }

    /// The measures per interval (with the to-date values) and over the range.
    fn finish(self) -> (Vec<Metrics>, Metrics) {
        let Acc { per, mut total, .. } = self;
        let (mut acquired, mut to_date) = (self.acquired_before, self.revenue_before);
        let per: Vec<Metrics> = per
            .into_iter()
            .map(|mut m| {
                acquired += m.new_users;
                to_date += m.revenue;
                m.acquired_to_date = acquired;
                m.revenue_to_date = to_date;
                total.revenue += m.revenue;
                total.purchases += m.purchases;
                total.refunds += m.refunds;
                total.refund_amount += m.refund_amount;
                total.new_users += m.new_users;
                m.with_ratios()
            })
            .collect();
        total.acquired_to_date = acquired;
        total.revenue_to_date = to_date;
        (per, total.with_ratios())
    }
}

/// Computes revenue per interval, totals, ROI by channel and the measures per breakdown
/// value.
pub fn run(scope: &mut Scoped, spec: &RevenueSpec) -> Result<RevenueResult> {
    let purchases = purchases::resolve(
        scope,
        "purchase_event",
        &spec.purchase_event,
        &spec.purchase_filters,
        "amount",
        &spec.amount,
    )?;
    let active = match &spec.active_event {
        Some(e) => Some(scope.matcher("active_event", Some(e), &FilterGroup::default(), false)?),
        None => None,
    };
    if spec.channel.is_none() && !spec.costs.is_empty() {
        return Err(Error::spec(
            "channel",
            "costs are per channel: name the channel property",
        )
        .keyed("channel_needed", &[]));
    }
    let channels = match &spec.channel {
        Some(name) => Some(scope.breakdown("channel", &Breakdown::by(name))?),
        None => None,
    };
    // the key of each costed channel, in the order of `costs`
    let cost_keys = match (&channels, &spec.channel) {
        (Some(v), Some(name)) => resolve_costs(&spec.costs, name, v)?,
        _ => Vec::new(),
    };
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };

    let scope = &*scope;
    let store = scope.store;
    let cal = scope.calendar(spec.interval);
    let (lo, hi) = scope.data_in_range()?;
    let (first, _, nb) = scope.intervals(&cal, (lo, hi), MAX_INTERVALS, "interval")?;
    let times = store.times();
    let (from, to) = scope.range;

    // breakdown: the slot of each key, values ranked by their revenue over the range
    let ranked = match (&values, &spec.breakdown) {
        (Some(v), Some(b)) => {
            let mut revenue = vec![0.0f64; v.len()];
            let mut present = vec![false; v.len()];
            for (u, r) in scope.users() {
                let f = r.start;
                if scope.keep(f) && from <= times[f] && times[f] < to {
                    present[v.key(f) as usize] = true;
                }
                for i in r {
                    let t = times[i];
                    if t >= to {
                        break;
                    }
                    if t < from || !scope.keep(i) {
                        continue;
                    }
                    let key = v.key(i) as usize;
                    if purchases.is_purchase_event(scope, i, u) {
                        revenue[key] += purchases.amount(i);
                        present[key] = true;
                    } else if active.as_ref().is_none_or(|a| scope.matches(a, i, u)) {
                        present[key] = true;
                    }
                }
            }
            let measured: Vec<Option<f64>> = revenue.into_iter().map(Some).collect();
            let ranked = Ranked::new(v, &ranks(&measured), &present, b.limit);
            let cells = ranked.labels.len() * nb;
            if cells > MAX_CELLS {
                return Err(Error::spec(
                    "breakdown",
                    format!("{cells} values to compute is too many (at most {MAX_CELLS}); lower the breakdown limit or choose a longer interval"),
                )
                .keyed("too_many_values", &[("count", &cells), ("max", &MAX_CELLS)]));
            }
            Some(ranked)
        }
        _ => None,
    };
    // the group of event `i`'s value (`usize::MAX`: none); group 0 holds all events
    let slot_of = |i: usize| match (&values, &ranked) {
        (Some(v), Some(r)) => match r.slot[v.key(i) as usize] {
            usize::MAX => usize::MAX,
            s => s + 1,
        },
        _ => usize::MAX,
    };
    let mut accs: Vec<Acc> = (0..1 + ranked.as_ref().map_or(0, |r| r.labels.len()))
        .map(|_| Acc::new(nb))
        .collect();

    // per channel key: new users, paying new users, their revenue
    let nk = channels.as_ref().map_or(0, |v| v.len());
    let mut ch_new = vec![0u64; nk];
    let mut ch_paying = vec![0u64; nk];
    let mut ch_revenue = vec![0.0f64; nk];
    // per channel key: its index in `costs`; per costed channel and interval: revenue
    let mut cost_of = vec![usize::MAX; nk];
    for (c, &key) in cost_keys.iter().enumerate() {
        cost_of[key as usize] = c;
    }
    let mut ch_interval = vec![0.0f64; cost_keys.len() * nb];
    let mut cursor = cal.cursor();

    for (u, r) in scope.users() {
        let f = r.start;
        // acquisition: the user's first event in the whole data
        let mut new = false;
        if scope.keep(f) {
            let t = times[f];
            for s in [0, slot_of(f)] {
                let Some(acc) = accs.get_mut(s) else { continue };
                if t < from {
                    acc.acquired_before += 1;
                } else if t < to {
                    acc.per[cal.index(first, cursor.key(t)) as usize].new_users += 1;
                }
            }
            new = from <= t && t < to;
        }
        let key = match &channels {
            Some(v) if new => r.clone().map(|i| v.key(i)).find(|&k| k != 0).unwrap_or(0) as usize,
            _ => usize::MAX,
        };
        if new && key != usize::MAX {
            ch_new[key] += 1;
        }
        let mut was_paying = false;
        // the interval index of the last bucket key seen
        let (mut last_key, mut b) = (i64::MIN, 0usize);
        for i in r {
            let t = times[i];
            if t >= to {
                break;
            }
            if !scope.keep(i) {
                continue;
            }
            let is_purchase_event = purchases.is_purchase_event(scope, i, u);
            if t < from {
                if is_purchase_event {
                    let amount = purchases.amount(i);
                    for s in [0, slot_of(i)] {
                        if let Some(acc) = accs.get_mut(s) {
                            acc.revenue_before += amount;
                        }
                    }
                }
                continue;
            }
            let mut is_active = active.as_ref().is_none_or(|a| scope.matches(a, i, u));
            if !(is_active || is_purchase_event) {
                continue;
            }
            let k = cursor.key(t);
            if k != last_key {
                (last_key, b) = (k, cal.index(first, k) as usize);
            }
            let slot = slot_of(i);
            if is_purchase_event {
                let amount = purchases.amount(i);
                let refund = purchases.is_refund(i);
                for s in [0, slot] {
                    if let Some(acc) = accs.get_mut(s) {
                        acc.purchase(u, b, amount, refund);
                    }
                }
                if !refund {
                    is_active = true;
                    was_paying = true;
                }
                if key != usize::MAX {
                    ch_revenue[key] += amount;
                    if cost_of[key] != usize::MAX {
                        ch_interval[cost_of[key] * nb + b] += amount;
                    }
                }
            }
            if is_active {
                for s in [0, slot] {
                    if let Some(acc) = accs.get_mut(s) {
                        acc.active(u, b);
                    }
                }
            }
        }
        if key != usize::MAX {
            ch_paying[key] += u64::from(was_paying);
        }
    }

    let mut accs = accs.into_iter();
    let (per, total) = accs.next().expect("the group of all events").finish();
    let intervals: Vec<IntervalMetrics> = per
        .into_iter()
        .enumerate()
        .map(|(b, m)| {
            let key = cal.add(first, b as i64);
            IntervalMetrics {
                label: cal.label(key),
                start: format_rfc3339(cal.start_micros(key)),
                incomplete: scope.incomplete(&cal, key),
                metrics: m,
            }
        })
        .collect();
    let breakdowns = match &ranked {
        Some(r) => r
            .labels
            .iter()
            .zip(accs)
            .map(|(value, acc)| {
                let (intervals, total) = acc.finish();
                RevenueBreakdown {
                    value: value.clone(),
                    intervals,
                    total,
                }
            })
            .collect(),
        None => Vec::new(),
    };

    let mut rows = Vec::new();
    if let Some(v) = &channels {
        let mut keys: Vec<usize> = (0..nk)
            .filter(|&k| ch_new[k] > 0 || cost_of[k] != usize::MAX)
            .collect();
        keys.sort_by(|&a, &b| {
            (a == 0)
                .cmp(&(b == 0))
                .then(ch_new[b].cmp(&ch_new[a]))
                .then_with(|| v.label(a as u32).cmp(v.label(b as u32)))
        });
        for k in keys {
            let c = cost_of[k];
            let cost = (c != usize::MAX).then(|| spec.costs[c].cost);
            let payback = cost.and_then(|cost| {
                let mut sum = 0.0;
                ch_interval[c * nb..(c + 1) * nb].iter().position(|&x| {
                    sum += x;
                    sum >= cost
                })
            });
            rows.push(ChannelRoi {
                channel: v.label(k as u32).to_string(),
                new_users: ch_new[k],
                paying_users: ch_paying[k],
                revenue: ch_revenue[k],
                cost,
                roi: cost.filter(|&c| c > 0.0).map(|c| (ch_revenue[k] - c) / c),
                cac: cost.and_then(|c| ratio(c, ch_new[k])),
                payback: payback.map(|b| intervals[b].label.clone()),
                payback_intervals: payback.map(|b| b as u32 + 1),
            });
        }
    }
    Ok(RevenueResult {
        interval: spec.interval,
        purchase_event: spec.purchase_event.clone(),
        amount: spec.amount.clone(),
        intervals,
        total: total.with_ratios(),
        channel: spec.channel.clone(),
        channels: rows,
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        breakdowns,
    })
}

/// The interval table's columns.
const COLUMNS: [&str; 16] = [
    "interval",
    "incomplete",
    "revenue",
    "purchases",
    "refunds",
    "refund_amount",
    "paying_users",
    "active_users",
    "paying_rate",
    "arpu",
    "arppu",
    "new_users",
    "acquired_to_date",
    "revenue_to_date",
    "arpu_acquired",
    "start",
];

/// The channel table's columns.
const CHANNEL_COLUMNS: [&str; 9] = [
    "channel",
    "new_users",
    "paying_users",
    "revenue",
    "cost",
    "roi",
    "cac",
    "payback",
    "payback_intervals",
];

/// `a / b`, none when `b` is 0.
fn ratio(a: f64, b: u64) -> Option<f64> {
    (b > 0).then(|| a / b as f64)
}

/// One row of measures. The ratios are recomputed from the counts and sums, not read from
/// the result: a result that crossed JSON (worker to page) may have them off by one bit.
fn metric_cells(label: &str, incomplete: bool, start: &str, m: &Metrics) -> Vec<String> {
    vec![
        label.to_string(),
        incomplete.to_string(),
        m.revenue.to_string(),
        m.purchases.to_string(),
        m.refunds.to_string(),
        m.refund_amount.to_string(),
        m.paying_users.to_string(),
        m.active_users.to_string(),
        opt(ratio(m.paying_users as f64, m.active_users)),
        opt(ratio(m.revenue, m.active_users)),
        opt(ratio(m.revenue, m.paying_users)),
        m.new_users.to_string(),
        m.acquired_to_date.to_string(),
        m.revenue_to_date.to_string(),
        opt(ratio(m.revenue_to_date, m.acquired_to_date)),
        start.to_string(),
    ]
}

/// The result as a table: one row per interval, then a `total` row; with a breakdown, a
/// leading `breakdown` column and these rows for every value instead; with a channel, an
/// empty row and the channel table (its own header row) below, its rows padded with
/// empty cells to the same width.
pub fn table(r: &RevenueResult) -> Table {
    let by = !r.breakdowns.is_empty();
    let mut head: Vec<String> = Vec::with_capacity(COLUMNS.len() + 1);
    if by {
        head.push("breakdown".to_string());
    }
    head.extend(COLUMNS.map(String::from));
    let width = head.len();
    let mut t = vec![head];
    let mut rows =
        |value: Option<&str>, per: &mut dyn Iterator<Item = &Metrics>, total: &Metrics| {
            let lead = |mut cells: Vec<String>| {
                if let Some(v) = value {
                    cells.insert(0, v.to_string());
                }
                cells
            };
            for (x, m) in r.intervals.iter().zip(per) {
                t.push(lead(metric_cells(&x.label, x.incomplete, &x.start, m)));
            }
            t.push(lead(metric_cells("total", false, "", total)));
        };
    if by {
        for b in &r.breakdowns {
            rows(Some(&b.value), &mut b.intervals.iter(), &b.total);
        }
    } else {
        rows(None, &mut r.intervals.iter().map(|x| &x.metrics), &r.total);
    }
    if r.channel.is_some() {
        // every row as wide as the first (a CSV has one width)
        let pad = |mut row: Vec<String>| {
            row.resize(width, String::new());
            row
        };
        t.push(pad(Vec::new()));
        t.push(pad(CHANNEL_COLUMNS.map(String::from).to_vec()));
        for c in &r.channels {
            t.push(pad(vec![
                c.channel.clone(),
                c.new_users.to_string(),
                c.paying_users.to_string(),
                c.revenue.to_string(),
                opt(c.cost),
                opt(c.cost.filter(|&x| x > 0.0).map(|x| (c.revenue - x) / x)),
                opt(c.cost.and_then(|x| ratio(x, c.new_users))),
                c.payback.clone().unwrap_or_default(),
                c.payback_intervals
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ]));
        }
    }
    t
}

/// Checks the costs alone: each a number of 0 or more (`cost_invalid`), each channel
/// once (`cost_duplicate`).
pub(crate) fn check_costs(costs: &[ChannelCost]) -> Result<()> {
    for (k, c) in costs.iter().enumerate() {
        if !c.cost.is_finite() || c.cost < 0.0 {
            return Err(Error::spec(
                format!("costs[{k}].cost"),
                format!(
                    "the cost of \"{}\" must be a number of 0 or more, got {}",
                    c.channel, c.cost
                ),
            )
            .keyed("cost_invalid", &[("name", &c.channel), ("value", &c.cost)]));
        }
        if costs[..k].iter().any(|d| d.channel == c.channel) {
            return Err(Error::spec(
                format!("costs[{k}].channel"),
                format!("\"{}\" has a cost already", c.channel),
            )
            .keyed("cost_duplicate", &[("name", &c.channel)]));
        }
    }
    Ok(())
}

/// Checks `costs` (each a number of 0 or more, each channel once) and finds each one's
/// channel among the values of the channel property `property`: the breakdown key of
/// each cost, in the order of `costs`. A channel missing from the data is an
/// `unknown_channel` error with a "did you mean". Shared by every analysis that takes
/// costs per channel (revenue, channels).
pub(crate) fn resolve_costs(
    costs: &[ChannelCost],
    property: &str,
    values: &BreakdownValues,
) -> Result<Vec<u32>> {
    check_costs(costs)?;
    let key_of: rustc_hash::FxHashMap<&str, u32> = values
        .labels
        .iter()
        .enumerate()
        .map(|(k, l)| (l.as_str(), k as u32 + 1))
        .collect();
    let mut keys = Vec::with_capacity(costs.len());
    for (k, c) in costs.iter().enumerate() {
        let Some(&key) = key_of.get(c.channel.as_str()) else {
            let near = values
                .labels
                .iter()
                .min_by_key(|l| edit_distance(l, &c.channel))
                .filter(|l| edit_distance(l, &c.channel) <= 2.max(c.channel.len() / 3));
            return Err(Error::spec(
                format!("costs[{k}].channel"),
                match near {
                    Some(n) => format!(
                        "no \"{property}\" is \"{}\" in the data; did you mean \"{n}\"?",
                        c.channel
                    ),
                    None => format!("no \"{property}\" is \"{}\" in the data", c.channel),
                },
            )
            .keyed(
                "unknown_channel",
                &[
                    ("name", &c.channel),
                    ("property", &property),
                    ("hint", &near.map(String::as_str).unwrap_or("")),
                ],
            ));
        };
        keys.push(key);
    }
    Ok(keys)
}

/// A line of pasted costs that could not be read: its number (from 1) and why, as a
/// code the app translates (`cost_line_fields`, `cost_line_number`,
/// `cost_line_negative`, `cost_line_duplicate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostLineError {
    /// Line number, from 1.
    pub line: usize,
    /// Why, as a translation key.
    pub code: &'static str,
    /// The line's text.
    pub text: String,
}

/// Header words a pasted first line may have in its cost cell (compared in lowercase).
const COST_HEADERS: [&str; 6] = ["cost", "spend", "amount", "成本", "花费", "费用"];

/// Reads costs typed or pasted as lines of `channel,cost` or `channel<TAB>cost` (a
/// spreadsheet's copy). Empty lines are skipped; a first line whose cost cell is a header
/// word (`cost`, `spend`, `amount`, `成本`, `花费`, `费用`) is skipped; the channel and
/// the cost are trimmed; the cost may have a leading currency sign (`$ ¥ ￥ € £`) and `,`
/// thousands separators (the line splits at its first tab, else its first comma). Every
/// line that is not a channel with a number of 0 or more, or names a channel again, is an
/// error.
pub fn parse_costs(text: &str) -> std::result::Result<Vec<ChannelCost>, Vec<CostLineError>> {
    let mut costs: Vec<ChannelCost> = Vec::new();
    let mut errors = Vec::new();
    let mut first = true;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let is_first = std::mem::take(&mut first);
        let error = |code| CostLineError {
            line: n + 1,
            code,
            text: line.to_string(),
        };
        let Some((channel, cost)) = line.split_once('\t').or_else(|| line.split_once(',')) else {
            errors.push(error("cost_line_fields"));
            continue;
        };
        let (channel, cost) = (channel.trim(), cost.trim());
        if is_first && COST_HEADERS.contains(&cost.to_lowercase().as_str()) {
            continue;
        }
        if channel.is_empty() || cost.is_empty() {
            errors.push(error("cost_line_fields"));
            continue;
        }
        let number: String = cost
            .trim_start_matches(['$', '¥', '￥', '€', '£'])
            .chars()
            .filter(|&c| c != ',')
            .collect();
        match number.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => {
                if costs.iter().any(|c| c.channel == channel) {
                    errors.push(error("cost_line_duplicate"));
                } else {
                    costs.push(ChannelCost {
                        channel: channel.to_string(),
                        cost: v,
                    });
                }
            }
            Ok(v) if v < 0.0 => errors.push(error("cost_line_negative")),
            _ => errors.push(error("cost_line_number")),
        }
    }
    if errors.is_empty() {
        Ok(costs)
    } else {
        Err(errors)
    }
}

/// Costs as lines of `channel,cost` (what [`parse_costs`] reads back).
pub fn format_costs(costs: &[ChannelCost]) -> String {
    costs
        .iter()
        .map(|c| format!("{},{}\n", c.channel, c.cost))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_costs_from_a_spreadsheet_or_typed() {
        let text = "渠道\t成本\nsearch\t1,200.50\n\n ads , ¥300 \nfree,0\n";
        let c = parse_costs(text).unwrap();
        let want = [("search", 1200.5), ("ads", 300.0), ("free", 0.0)];
        assert_eq!(c.len(), 3);
        for (c, (name, cost)) in c.iter().zip(want) {
            assert_eq!((c.channel.as_str(), c.cost), (name, cost));
        }
        assert_eq!(parse_costs(&format_costs(&c)).unwrap(), c);
        let e = parse_costs("a,1\nb\nc,x\nd,-5\na,2\n,3\ne,inf").unwrap_err();
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.line, e.code)).collect();
        assert_eq!(
            got,
            [
                (2, "cost_line_fields"),
                (3, "cost_line_number"),
                (4, "cost_line_negative"),
                (5, "cost_line_duplicate"),
                (6, "cost_line_fields"),
                (7, "cost_line_number"),
            ]
        );
        // a header word only on the first line
        assert!(parse_costs("a,1\nchannel,cost").is_err());
        assert_eq!(parse_costs("").unwrap(), Vec::new());
    }

    #[test]
    fn channel_names_are_suggested() {
        assert_eq!(
            suggest_channel(&["country", "utm_source", "channel"]),
            Some("channel")
        );
        assert_eq!(suggest_channel(&["UTM Source", "page"]), Some("UTM Source"));
        assert_eq!(suggest_channel(&["渠道"]), Some("渠道"));
        assert_eq!(suggest_channel(&["country"]), None);
    }
}
