//! Channels (渠道分析): per acquisition channel, new users (新增用户), activation (激活),
//! D1 / D7 / D30 retention (次日 / 7日 / 30日留存), paying rate (付费率), ARPU, LTV at day N
//! and, with a cost per channel, ROI and CAC (DESIGN.md §3 "Channel", research
//! features.md §2.2 and §2.6).
//!
//! **New users.** A user is *acquired* in the date range when their first event in the
//! whole data (any event, whatever its name) lies in the range and passes the shared
//! filters (the rule of the revenue analysis's `new_users`). Their *first activity* is that
//! event's instant. Only acquired users are counted anywhere below.
//!
//! **Channel** (`channel`, `attribution`). A user's channel is a value of the property
//! `channel` on their events over the whole data (whatever the shared filters or the date
//! range): with `first_touch` (default) the value of their first event (in time, then
//! source-row order) that has one; with `last_touch` that of their last event that has
//! one. A user without any value is in `(none)`. Channels are ranked by new users (ties by
//! name); the top `limit` get a row each (0 = all), the rest are summed into `(other)`,
//! and `(none)` comes last.
//!
//! **Windows.** The measures below look at a window after the first activity; a user
//! counts in a measure (numerator and denominator alike) only when the window has ended by
//! the last event of the data (`eligible`), so late cohorts are never read as not
//! retained, not activated or not paying. The rate is none when nobody is eligible.
//!
//! - **Activation** (`activation`, `activation_days` D): the user did the events of
//!   `activation` in that order (each at or after the previous one, in time then source-row
//!   order; one event counts for one step), all passing the shared filters, the last one
//!   at most D × 24 hours after the first activity (inclusive, like the funnel's window
//!   measured from step 1). The first step may be the acquiring event itself. Eligible
//!   when first activity + D × 24 h ≤ data end. Empty `activation`: no activation measure.
//! - **Retention** (`retention_days`, default 1, 7, 30): day 0 is the calendar day (scope's
//!   time zone) of the first activity; the user is retained on day N when they have an
//!   event passing the shared filters on calendar day N after it (the `retention`
//!   analysis's calendar periods, first-time cohort of any event, any event as a return,
//!   mode `on`). Eligible when day N has ended: start(day 0 + N + 1) ≤ data end
//!   (retention's complete-cell rule).
//! - **LTV** (`ltv_days` N): the net revenue of the user's purchase events at ages 0..=N
//!   calendar days (age = days from the first activity's day, as in the `ltv` analysis with
//!   day periods, so this is its column `ltv_N`), divided by the eligible users; eligible
//!   as for retention day N.
//!
//! **Money** follows [`super::purchases`]: an event of `purchase_event` passing the shared
//! filters is a purchase, `amount` its amount (none = 0, warned); a negative amount is a
//! refund (it lowers revenue but is not a purchase). Over the whole data (no window):
//! `paying_users` = new users with at least one purchase, `paying_rate` = paying / new,
//! `revenue` = the net revenue of the new users, `arpu` = revenue / new users.
//!
//! **Costs** (`costs`, the spend per channel over the date range; read and checked by the
//! revenue analysis's shared [`super::revenue::resolve_costs`], so the app's pasted
//! costs go through [`super::revenue::parse_costs`]): `cost` of a row = the sum of the
//! costs given for its channels (`(other)`: of those it holds; none when none has one),
//! ROI = (revenue − cost) / cost (none when the cost is 0), CAC = cost / new users.
//!
//! **Total** is the same measures over all acquired users, cost = the sum of all costs.
//!
//! **Computation.** One pass over each user's events in time order; acquired users only
//! are scanned, counters per channel key in flat vectors; no per-event allocation.

use super::purchases::{self, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::revenue::{resolve_costs, ChannelCost};
use super::table::{amount, opt, Table};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, EventMatcher, FilterGroup, Ranked, Scoped};
use crate::engine::time::{format_rfc3339, Granularity, DAY};
use serde::{Deserialize, Serialize};

/// Longest window, in days (activation, retention and LTV).
pub const MAX_DAYS: u32 = 400;

/// Most retention days a spec may ask for.
pub const MAX_RETENTION_DAYS: usize = 10;

/// Most activation steps.
pub const MAX_STEPS: usize = 10;

/// A channel analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelsSpec {
    /// The property holding the channel (default `channel`; the app suggests one from the
    /// dataset's names: `channel`, `utm_source`, `source`, `渠道` ...).
    #[serde(default = "default_channel")]
    pub channel: String,
    /// Which of the user's values is their channel (default first touch).
    #[serde(default)]
    pub attribution: Attribution,
    /// Activation events, in order (default none: no activation measure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activation: Vec<String>,
    /// Days after the first activity the activation may take (default 7).
    #[serde(default = "seven")]
    pub activation_days: u32,
    /// Retention days (default 1, 7 and 30).
    #[serde(default = "default_days")]
    pub retention_days: Vec<u32>,
    /// The purchase event (default `purchase`).
    #[serde(default = "default_purchase_event")]
    pub purchase_event: String,
    /// The numeric property holding a purchase's amount (default `revenue`).
    #[serde(default = "default_amount")]
    pub amount: String,
    /// The age in days of the LTV (default 30: ages 0 to 30).
    #[serde(default = "thirty")]
    pub ltv_days: u32,
    /// Spend per channel over the date range (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<ChannelCost>,
    /// Channels shown before `(other)` (default 20; 0 = all).
    #[serde(default = "twenty")]
    pub limit: u32,
}

fn default_channel() -> String {
    "channel".into()
}
fn seven() -> u32 {
    7
}
fn thirty() -> u32 {
    30
}
fn twenty() -> u32 {
    20
}
fn default_days() -> Vec<u32> {
    vec![1, 7, 30]
}
fn default_purchase_event() -> String {
    DEFAULT_PURCHASE_EVENT.into()
}
fn default_amount() -> String {
    DEFAULT_AMOUNT.into()
}

impl Default for ChannelsSpec {
    fn default() -> Self {
        ChannelsSpec {
            channel: default_channel(),
            attribution: Attribution::default(),
            activation: Vec::new(),
            activation_days: seven(),
            retention_days: default_days(),
            purchase_event: default_purchase_event(),
            amount: default_amount(),
            ltv_days: thirty(),
            costs: Vec::new(),
            limit: twenty(),
        }
    }
}

/// Which value of the channel property a user gets.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The value of the user's first event that has one.
    #[default]
    FirstTouch,
    /// The value of the user's last event that has one.
    LastTouch,
}

/// A measure over the users whose window has ended.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Windowed {
    /// Users whose window has ended by the end of the data.
    pub eligible: u64,
    /// Those of them that did it (activated, retained).
    pub users: u64,
    /// `users / eligible` (none when nobody is eligible).
    pub rate: Option<f64>,
}

/// Lifetime value at day N.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Ltv {
    /// Users whose day N has ended by the end of the data.
    pub eligible: u64,
    /// Their net revenue at ages 0 to N days.
    pub revenue: f64,
    /// `revenue / eligible` (none when nobody is eligible).
    pub ltv: Option<f64>,
}

/// The measures of one channel (or of all new users).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ChannelRow {
    /// The channel, `(other)` or `(none)` (`total` for the total row).
    pub channel: String,
    /// Users acquired in the date range.
    pub new_users: u64,
    /// Activation (none without activation events).
    pub activation: Option<Windowed>,
    /// Retention, one per retention day.
    pub retention: Vec<Windowed>,
    /// New users with a purchase (whole data).
    pub paying_users: u64,
    /// Paying users / new users (none without new users).
    pub paying_rate: Option<f64>,
    /// Net revenue of the new users (whole data).
    pub revenue: f64,
    /// Revenue / new users (none without new users).
    pub arpu: Option<f64>,
    /// LTV at day `ltv_days`.
    pub ltv: Ltv,
    /// The spend given for the row's channels, if any.
    pub cost: Option<f64>,
    /// (revenue − cost) / cost (none without a cost or when it is 0).
    pub roi: Option<f64>,
    /// Cost / new users (none without a cost or new users).
    pub cac: Option<f64>,
}

/// New users and their quality per channel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChannelsResult {
    /// The channel property.
    pub channel: String,
    /// First or last touch.
    pub attribution: Attribution,
    /// Activation events, in order.
    pub activation: Vec<String>,
    /// Activation window in days.
    pub activation_days: u32,
    /// Retention days.
    pub retention_days: Vec<u32>,
    /// LTV age in days.
    pub ltv_days: u32,
    /// One row per channel: most new users first, then `(other)`, then `(none)`.
    pub rows: Vec<ChannelRow>,
    /// All new users.
    pub total: ChannelRow,
    /// Timestamp of the last event in the data (RFC 3339): windows end by it.
    pub data_end: String,
}

/// A keyed error for a day count out of 1..=`MAX_DAYS` (0 allowed when `zero`).
fn check_days(field: &str, v: u32, zero: bool) -> Result<()> {
    let min = u32::from(!zero);
    if v < min || v > MAX_DAYS {
        return Err(Error::spec(
            field,
            format!("must be between {min} and {MAX_DAYS} days, got {v}"),
        )
        .keyed(
            "days_range",
            &[("min", &min), ("max", &MAX_DAYS), ("got", &v)],
        ));
    }
    Ok(())
}

/// `a / b`, none when `b` is 0.
fn ratio(a: f64, b: u64) -> Option<f64> {
    (b > 0).then(|| a / b as f64)
}

/// Per channel key counters (flat, `nd` retention days per key).
struct Counters {
    new: Vec<u64>,
    act: Vec<u64>,
    act_ok: Vec<u64>,
    ret: Vec<u64>,
    ret_ok: Vec<u64>,
    paying: Vec<u64>,
    revenue: Vec<f64>,
    ltv: Vec<f64>,
    ltv_ok: Vec<u64>,
}

impl Counters {
    fn new(nk: usize, nd: usize) -> Self {
        Counters {
            new: vec![0; nk],
            act: vec![0; nk],
            act_ok: vec![0; nk],
            ret: vec![0; nk * nd],
            ret_ok: vec![0; nk * nd],
            paying: vec![0; nk],
            revenue: vec![0.0; nk],
            ltv: vec![0.0; nk],
            ltv_ok: vec![0; nk],
        }
    }

    /// Adds key `k` of `from` into key `to` of `self`.
    fn add(&mut self, to: usize, from: &Counters, k: usize, nd: usize) {
        self.new[to] += from.new[k];
        self.act[to] += from.act[k];
        self.act_ok[to] += from.act_ok[k];
        for d in 0..nd {
            self.ret[to * nd + d] += from.ret[k * nd + d];
            self.ret_ok[to * nd + d] += from.ret_ok[k * nd + d];
        }
        self.paying[to] += from.paying[k];
        self.revenue[to] += from.revenue[k];
        self.ltv[to] += from.ltv[k];
        self.ltv_ok[to] += from.ltv_ok[k];
    }

    /// The row of key `k`.
    fn row(
        &self,
        k: usize,
        nd: usize,
        label: String,
        activation: bool,
        cost: Option<f64>,
    ) -> ChannelRow {
        let new = self.new[k];
        let windowed = |users: u64, eligible: u64| Windowed {
            eligible,
            users,
            rate: ratio(users as f64, eligible),
        };
        ChannelRow {
            channel: label,
            new_users: new,
            activation: activation.then(|| windowed(self.act[k], self.act_ok[k])),
            retention: (0..nd)
                .map(|d| windowed(self.ret[k * nd + d], self.ret_ok[k * nd + d]))
                .collect(),
            paying_users: self.paying[k],
            paying_rate: ratio(self.paying[k] as f64, new),
            revenue: self.revenue[k],
            arpu: ratio(self.revenue[k], new),
            ltv: Ltv {
                eligible: self.ltv_ok[k],
                revenue: self.ltv[k],
                ltv: ratio(self.ltv[k], self.ltv_ok[k]),
            },
            cost,
            roi: cost.filter(|&c| c > 0.0).map(|c| (self.revenue[k] - c) / c),
            cac: cost.and_then(|c| ratio(c, new)),
        }
    }
}

/// Checks the spec's day counts and activation steps (the errors `days_range`,
/// `retention_days_count`, `retention_day_repeated`, `activation_steps`).
pub fn check(spec: &ChannelsSpec) -> Result<()> {
    check_days("activation_days", spec.activation_days, false)?;
    check_days("ltv_days", spec.ltv_days, true)?;
    if spec.retention_days.is_empty() || spec.retention_days.len() > MAX_RETENTION_DAYS {
        return Err(Error::spec(
            "retention_days",
            format!(
                "give 1 to {MAX_RETENTION_DAYS} days, got {}",
                spec.retention_days.len()
            ),
        )
        .keyed(
            "retention_days_count",
            &[
                ("max", &MAX_RETENTION_DAYS),
                ("got", &spec.retention_days.len()),
            ],
        ));
    }
    for (k, &d) in spec.retention_days.iter().enumerate() {
        check_days(&format!("retention_days[{k}]"), d, false)?;
        if spec.retention_days[..k].contains(&d) {
            return Err(Error::spec(
                format!("retention_days[{k}]"),
                format!("day {d} is asked twice"),
            )
            .keyed("retention_day_repeated", &[("got", &d)]));
        }
    }
    if spec.activation.len() > MAX_STEPS {
        return Err(Error::spec(
            "activation",
            format!(
                "at most {MAX_STEPS} activation events, got {}",
                spec.activation.len()
            ),
        )
        .keyed(
            "activation_steps",
            &[("max", &MAX_STEPS), ("got", &spec.activation.len())],
        ));
    }
    Ok(())
}

/// Computes the channel table.
pub fn run(scope: &mut Scoped, spec: &ChannelsSpec) -> Result<ChannelsResult> {
    check(spec)?;
    let buy = purchases::resolve(
        scope,
        "purchase_event",
        &spec.purchase_event,
        &FilterGroup::default(),
        "amount",
        &spec.amount,
    )?;
    let steps: Vec<EventMatcher> = spec
        .activation
        .iter()
        .enumerate()
        .map(|(k, e)| {
            scope.matcher(
                &format!("activation[{k}]"),
                Some(e),
                &FilterGroup::default(),
                false,
            )
        })
        .collect::<Result<_>>()?;
    let values = scope.breakdown("channel", &Breakdown::by(&spec.channel))?;
    let cost_keys = resolve_costs(&spec.costs, &spec.channel, &values)?;

    let scope = &*scope;
    let t = scope.store.times();
    let cal = scope.calendar(Granularity::Day);
    let end = scope.data_span.1;
    let nk = values.len();
    let days = &spec.retention_days;
    let nd = days.len();
    let maxd = days.iter().copied().max().unwrap_or(0).max(spec.ltv_days) as i64;
    let act_window = i64::from(spec.activation_days) * DAY;
    let ltv_days = i64::from(spec.ltv_days);
    let mut c = Counters::new(nk, nd);
    // per day age 0..=max: whether the user has an event that day
    let mut active_day = vec![false; maxd as usize + 1];

    for (u, r) in scope.users() {
        let f = r.start;
        if !(scope.in_range(t[f]) && scope.keep(f)) {
            continue;
        }
        let key = match spec.attribution {
            Attribution::FirstTouch => r.clone().map(|i| values.key(i)).find(|&k| k != 0),
            Attribution::LastTouch => r.clone().rev().map(|i| values.key(i)).find(|&k| k != 0),
        }
        .unwrap_or(0) as usize;
        let start = t[f];
        let born = cal.bucket(start);
        let mut cursor = cal.cursor();
        let deadline = start.saturating_add(act_window);
        let (mut step, mut pays) = (0usize, false);
        let (mut revenue, mut ltv) = (0.0f64, 0.0f64);
        active_day.fill(false);
        for i in r {
            if !scope.keep(i) {
                continue;
            }
            // a zone whose clock turns back can give a later instant an earlier day
            let age = cal.index(born, cursor.key(t[i])).max(0);
            if age <= maxd {
                active_day[age as usize] = true;
            }
            if step < steps.len() && t[i] <= deadline && scope.matches(&steps[step], i, u) {
                step += 1;
            }
            if buy.is_purchase_event(scope, i, u) {
                let v = buy.amount(i);
                revenue += v;
                pays |= !buy.is_refund(i);
                if age <= ltv_days {
                    ltv += v;
                }
            }
        }
        c.new[key] += 1;
        if !steps.is_empty() && deadline <= end {
            c.act_ok[key] += 1;
            c.act[key] += u64::from(step == steps.len());
        }
        let ended = |n: i64| cal.start_micros(cal.add(born, n + 1)) <= end;
        for (d, &n) in days.iter().enumerate() {
            if ended(i64::from(n)) {
                c.ret_ok[key * nd + d] += 1;
                c.ret[key * nd + d] += u64::from(active_day[n as usize]);
            }
        }
        c.paying[key] += u64::from(pays);
        c.revenue[key] += revenue;
        if ended(ltv_days) {
            c.ltv_ok[key] += 1;
            c.ltv[key] += ltv;
        }
    }

    // rows: ranked keys, then (other), then (none)
    let mut cost_of = vec![None::<f64>; nk];
    for (k, &key) in cost_keys.iter().enumerate() {
        cost_of[key as usize] = Some(spec.costs[k].cost);
    }
    let present: Vec<bool> = (0..nk)
        .map(|k| c.new[k] > 0 || cost_of[k].is_some())
        .collect();
    let ranked = Ranked::new(&values, &c.new, &present, spec.limit as usize);
    let ns = ranked.labels.len();
    let mut slots = Counters::new(ns + 1, nd);
    let mut slot_cost = vec![None::<f64>; ns + 1];
    for (k, (&s, cost)) in ranked.slot.iter().zip(&cost_of).enumerate() {
        if s != usize::MAX {
            slots.add(s, &c, k, nd);
            if let Some(v) = cost {
                *slot_cost[s].get_or_insert(0.0) += v;
            }
        }
        slots.add(ns, &c, k, nd);
    }
    let total_cost = (!spec.costs.is_empty()).then(|| spec.costs.iter().map(|x| x.cost).sum());
    let activation = !steps.is_empty();
    let rows = (0..ns)
        .map(|s| slots.row(s, nd, ranked.labels[s].clone(), activation, slot_cost[s]))
        .collect();
    Ok(ChannelsResult {
        channel: spec.channel.clone(),
        attribution: spec.attribution,
        activation: spec.activation.clone(),
        activation_days: spec.activation_days,
        retention_days: days.clone(),
        ltv_days: spec.ltv_days,
        rows,
        total: slots.row(ns, nd, "total".into(), activation, total_cost),
        data_end: format_rfc3339(end),
    })
}

/// The table's header for `r`.
fn header(r: &ChannelsResult) -> Vec<String> {
    let mut h = vec!["channel".to_string(), "new_users".to_string()];
    if !r.activation.is_empty() {
        h.extend(["activation_eligible", "activated", "activation_rate"].map(String::from));
    }
    for d in &r.retention_days {
        h.push(format!("d{d}_eligible"));
        h.push(format!("d{d}_retained"));
        h.push(format!("d{d}_retention"));
    }
    h.extend(["paying_users", "paying_rate", "revenue", "arpu"].map(String::from));
    let n = r.ltv_days;
    h.push(format!("ltv{n}_eligible"));
    h.push(format!("ltv{n}_revenue"));
    h.push(format!("ltv{n}"));
    h.extend(["cost", "roi", "cac"].map(String::from));
    h
}

/// One row of cells. Ratios are recomputed from the counts and money rounded
/// ([`amount`]): a result that crossed JSON may be off in its last bit.
fn cells(row: &ChannelRow) -> Vec<String> {
    let rate = |w: &Windowed| opt(ratio(w.users as f64, w.eligible));
    let mut v = vec![row.channel.clone(), row.new_users.to_string()];
    if let Some(a) = &row.activation {
        v.extend([a.eligible.to_string(), a.users.to_string(), rate(a)]);
    }
    for w in &row.retention {
        v.extend([w.eligible.to_string(), w.users.to_string(), rate(w)]);
    }
    let money = |x: Option<f64>| x.map(amount).unwrap_or_default();
    v.extend([
        row.paying_users.to_string(),
        opt(ratio(row.paying_users as f64, row.new_users)),
        amount(row.revenue),
        money(ratio(row.revenue, row.new_users)),
        row.ltv.eligible.to_string(),
        amount(row.ltv.revenue),
        money(ratio(row.ltv.revenue, row.ltv.eligible)),
        money(row.cost),
        opt(row.cost.filter(|&c| c > 0.0).map(|c| (row.revenue - c) / c)),
        money(row.cost.and_then(|c| ratio(c, row.new_users))),
    ]);
    v
}

/// The result as a table: one row per channel, then a `total` row. Columns: `channel`,
/// `new_users`, with activation `activation_eligible`, `activated`, `activation_rate`,
/// per retention day N `dN_eligible`, `dN_retained`, `dN_retention`, then
/// `paying_users`, `paying_rate`, `revenue`, `arpu`, `ltvN_eligible`, `ltvN_revenue`,
/// `ltvN` (N = `ltv_days`), `cost`, `roi`, `cac`.
pub fn table(r: &ChannelsResult) -> Table {
    let mut t = vec![header(r)];
    t.extend(r.rows.iter().map(cells));
    t.push(cells(&r.total));
    t
}
