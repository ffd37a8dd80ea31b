//! AARRR overview (海盗指标): acquisition (获取), activation (激活), retention (留存),
//! revenue (收入) and referral (推荐/传播) of one period against the period before it, on
//! one page (DESIGN.md §3, research features.md §2). Every number is computed by an
//! existing analysis run on each period, so it means exactly what it means there:
//!
//! **Periods.** The *current period* is the shared date range. When the range is `all`, it
//! is the last 30 calendar days of the data (the scope's time zone; the day of the last
//! event included, as `last_30_days`); when only one end is open, that end is closed by
//! the data's first event (start) or just after its last event (end). The *previous
//! period* has the same length (in instants) and ends where the current one starts.
//!
//! **Acquisition** ([`super::channels`]): new users (新增用户) = users whose first event
//! in the whole data lies in the period and passes the shared filters; per channel
//! (`channel`, `attribution`, top `limit` + `(other)` + `(none)`), and per interval (the
//! revenue analysis's `new_users` per interval of the current period).
//!
//! **Activation** ([`super::channels`]): the share of the period's new users who did the
//! `activation` events in order, the last one at most `activation_days` × 24 h after their
//! first event; only users whose window has ended by the data's last event count. Empty
//! `activation`: no activation numbers.
//!
//! **Retention** ([`super::channels`]): for each of `retention_days` N, the share of the
//! period's new users with an event on calendar day N after their first day, over those
//! whose day N has ended by the data's last event.
//!
//! **Revenue** ([`super::revenue`], the period's totals): paying rate (付费率) = users with a
//! purchase in the period / active users (any event) in it, ARPU = net revenue / active
//! users, ARPPU = net revenue / paying users; purchases as in [`super::purchases`].
//!
//! **Referral** ([`super::trends`]): with `referral_event`, referral users = distinct users
//! who did it in the period, referral rate = referral users / active users (distinct users
//! with any event in the period), referral events = its count; also per interval. Without
//! it the result says the block is not configured (no referral numbers).
//!
//! **Change** (环比): for each headline number, `change` = current − previous and
//! `relative_change` = change / previous; both are none when either side is none, and the
//! relative change is also none when the previous value is 0. A previous period without
//! any event has no numbers: its counts are 0 and its rates none.
//!
//! **Computation.** Channels, revenue and (with a referral event) trends run on each
//! period: six passes over the data at most; no loop over events here.

use super::channels::{self, Attribution, ChannelsResult, ChannelsSpec};
use super::purchases::{self, normalise, DEFAULT_AMOUNT, DEFAULT_PURCHASE_EVENT};
use super::revenue::{self, RevenueResult, RevenueSpec};
use super::table::{amount, opt, Table};
use super::trends::{self, FormulaSpec, Measure, SeriesSpec, TrendsResult, TrendsSpec};
use crate::engine::error::Result;
use crate::engine::overview::Overview;
use crate::engine::spec::{FilterGroup, Scoped, NONE, OTHER};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};

/// Length in days of the current period when the date range is `all`.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;

/// An AARRR overview to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AarrrSpec {
    /// The property holding the channel (default `channel`; the app suggests one).
    #[serde(default = "default_channel")]
    pub channel: String,
    /// Which of the user's channel values counts (default first touch).
    #[serde(default)]
    pub attribution: Attribution,
    /// Channels shown before `(other)` (default 5; 0 = all).
    #[serde(default = "five")]
    pub limit: u32,
    /// Activation events, in order (default none: no activation numbers; the app suggests
    /// a sign-up event).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activation: Vec<String>,
    /// Days after the first event the activation may take (default 1: the first day).
    #[serde(default = "one")]
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
    /// The invite or share event (default none: the referral block is not configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_event: Option<String>,
    /// Interval of the small charts (default day).
    #[serde(default)]
    pub interval: Granularity,
}

fn default_channel() -> String {
    "channel".into()
}
fn five() -> u32 {
    5
}
fn one() -> u32 {
    1
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

impl Default for AarrrSpec {
    fn default() -> Self {
        AarrrSpec {
            channel: default_channel(),
            attribution: Attribution::default(),
            limit: five(),
            activation: Vec::new(),
            activation_days: one(),
            retention_days: default_days(),
            purchase_event: default_purchase_event(),
            amount: default_amount(),
            referral_event: None,
            interval: Granularity::Day,
        }
    }
}

/// Sign-up event names, normalised (lowercase, no `$ _ - . ` or space).
const SIGNUP_NAMES: [&str; 8] = [
    "signup",
    "signupcompleted",
    "register",
    "registered",
    "registration",
    "createaccount",
    "注册",
    "注册成功",
];

/// Words an invite or share event's name contains (normalised), most specific first.
const REFERRAL_WORDS: [&str; 7] = ["invite", "refer", "share", "邀请", "推荐", "分享", "转发"];

/// The event among `names` most likely to be an invite or share: the first name (in the
/// order given, e.g. most frequent first) whose normalised form contains `invite`, then
/// `refer`, `share`, `邀请`, `推荐`, `分享`, `转发`.
pub fn suggest_referral_event<'a>(names: &[&'a str]) -> Option<&'a str> {
    REFERRAL_WORDS
        .iter()
        .find_map(|w| names.iter().copied().find(|n| normalise(n).contains(w)))
}

/// The spec the app starts from on a dataset: the channel property, purchase event, amount,
/// a sign-up event as activation and the referral event suggested from its names (the
/// defaults where nothing looks right), and whether the data has the columns the overview
/// needs (a purchase event, an amount and a channel property were suggested, so the first
/// run does not fail on a missing column), which makes it the first page after a load.
pub fn suggested(overview: &Overview) -> (AarrrSpec, bool) {
    let events: Vec<&str> = overview
        .event_names
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let props: Vec<&str> = overview
        .properties
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let numeric: Vec<&str> = overview
        .properties
        .iter()
        .filter(|p| p.kind == "number")
        .map(|p| p.name.as_str())
        .collect();
    let d = AarrrSpec::default();
    let channel = revenue::suggest_channel(&props);
    let purchase = purchases::suggest_purchase_event(&events);
    let amount = purchases::suggest_amount(&numeric);
    let spec = AarrrSpec {
        channel: channel.map_or(d.channel.clone(), str::to_owned),
        purchase_event: purchase.map_or(d.purchase_event.clone(), str::to_owned),
        amount: amount.map_or(d.amount.clone(), str::to_owned),
        activation: purchases::suggest(&SIGNUP_NAMES, &events)
            .map(|e| vec![e.to_owned()])
            .unwrap_or_default(),
        referral_event: suggest_referral_event(&events).map(str::to_owned),
        ..d
    };
    (
        spec,
        channel.is_some() && purchase.is_some() && amount.is_some(),
    )
}

/// The five blocks of the overview.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// 获取.
    Acquisition,
    /// 激活.
    Activation,
    /// 留存.
    Retention,
    /// 收入.
    Revenue,
    /// 推荐/传播.
    Referral,
}

/// One headline number of both periods.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Metric {
    /// Its block.
    pub block: Block,
    /// `new_users`, `activation_rate`, `dN_retention`, `paying_rate`, `arpu`, `arppu`,
    /// `referral_users`, `referral_rate` or `referral_events`.
    pub key: String,
    /// The value in the current period (none: not defined, e.g. nobody eligible).
    pub current: Option<f64>,
    /// The value in the previous period.
    pub previous: Option<f64>,
    /// current − previous (none when either is none).
    pub change: Option<f64>,
    /// change / previous (none when either is none or the previous is 0).
    pub relative_change: Option<f64>,
}

impl Metric {
    fn new(
        block: Block,
        key: impl Into<String>,
        current: Option<f64>,
        previous: Option<f64>,
    ) -> Self {
        let change = current.zip(previous).map(|(c, p)| c - p);
        Metric {
            block,
            key: key.into(),
            current,
            previous,
            change,
            relative_change: change
                .zip(previous.filter(|&p| p != 0.0))
                .map(|(c, p)| c / p),
        }
    }
}

/// New users of one channel in both periods.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChannelNew {
    /// The channel, `(other)` or `(none)`.
    pub channel: String,
    /// New users in the current period.
    pub current: u64,
    /// New users in the previous period.
    pub previous: u64,
}

/// One interval of the current period.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Point {
    /// Interval label, e.g. `2025-09-01`.
    pub label: String,
    /// Interval start (RFC 3339).
    pub start: String,
    /// The period or the data covers the interval only in part.
    pub incomplete: bool,
    /// Users acquired in the interval.
    pub new_users: u64,
    /// Paying users / active users in the interval.
    pub paying_rate: Option<f64>,
    /// Revenue / active users in the interval.
    pub arpu: Option<f64>,
    /// Users who did the referral event in the interval (none without one).
    pub referral_users: Option<f64>,
    /// Referral users / active users in the interval.
    pub referral_rate: Option<f64>,
    /// Referral events in the interval.
    pub referral_events: Option<f64>,
}

/// A period: `from` included, `to` excluded (RFC 3339).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Period {
    /// Start, included.
    pub from: String,
    /// End, excluded.
    pub to: String,
}

/// The AARRR overview.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AarrrResult {
    /// The current period.
    pub current: Period,
    /// The previous period (same length, just before).
    pub previous: Period,
    /// Interval of the series.
    pub interval: Granularity,
    /// The channel property.
    pub channel: String,
    /// Activation events (empty: activation not configured).
    pub activation: Vec<String>,
    /// Activation window in days.
    pub activation_days: u32,
    /// Retention days.
    pub retention_days: Vec<u32>,
    /// The referral event (none: referral not configured).
    pub referral_event: Option<String>,
    /// The headline numbers, block by block.
    pub metrics: Vec<Metric>,
    /// New users per channel: most in the current period first, `(other)`, `(none)`.
    pub channels: Vec<ChannelNew>,
    /// The current period's intervals.
    pub points: Vec<Point>,
    /// Timestamp of the last event in the data (windows end by it).
    pub data_end: String,
}

/// The current period as instants (`from` included, `to` excluded).
fn current_period(scope: &Scoped) -> (i64, i64) {
    let (lo, hi) = scope.range;
    let (first, last) = scope.data_span;
    if lo == i64::MIN && hi == i64::MAX {
        let cal = scope.calendar(Granularity::Day);
        let day = cal.bucket(last);
        return (
            cal.start_micros(cal.add(day, 1 - DEFAULT_PERIOD_DAYS)),
            cal.start_micros(cal.add(day, 1)),
        );
    }
    (
        if lo == i64::MIN { first } else { lo },
        if hi == i64::MAX {
            last.saturating_add(1)
        } else {
            hi
        },
    )
}

/// The analyses' results of one period (revenue and trends are none for a period without
/// any event).
struct Runs {
    channels: ChannelsResult,
    revenue: Option<RevenueResult>,
    trends: Option<TrendsResult>,
}

/// Runs the analyses on `period`; `limit` channels before `(other)`.
fn runs(scope: &mut Scoped, spec: &AarrrSpec, period: (i64, i64), limit: u32) -> Result<Runs> {
    scope.range = period;
    let channels = channels::run(
        scope,
        &ChannelsSpec {
            channel: spec.channel.clone(),
            attribution: spec.attribution,
            activation: spec.activation.clone(),
            activation_days: spec.activation_days,
            retention_days: spec.retention_days.clone(),
            purchase_event: spec.purchase_event.clone(),
            amount: spec.amount.clone(),
            limit,
            ..ChannelsSpec::default()
        },
    )?;
    if scope.span_in_range().is_none() {
        return Ok(Runs {
            channels,
            revenue: None,
            trends: None,
        });
    }
    let revenue = revenue::run(
        scope,
        &RevenueSpec {
            purchase_event: spec.purchase_event.clone(),
            amount: spec.amount.clone(),
            interval: spec.interval,
            ..RevenueSpec::default()
        },
    )?;
    let trends = match &spec.referral_event {
        None => None,
        Some(e) => {
            let series = |event: Option<&String>, measure| SeriesSpec {
                event: event.cloned(),
                measure,
                ..SeriesSpec::default()
            };
            Some(trends::run(
                scope,
                &TrendsSpec {
                    series: vec![
                        series(Some(e), Measure::Users),
                        series(None, Measure::Users),
                        series(Some(e), Measure::Events),
                    ],
                    formulas: vec![FormulaSpec {
                        expression: "A / B".into(),
                        label: None,
                    }],
                    interval: spec.interval,
                    ..TrendsSpec::default()
                },
            )?)
        }
    };
    Ok(Runs {
        channels,
        revenue: Some(revenue),
        trends,
    })
}

/// Computes the AARRR overview.
pub fn run(scope: &mut Scoped, spec: &AarrrSpec) -> Result<AarrrResult> {
    if let Some(e) = &spec.referral_event {
        scope.matcher("referral_event", Some(e), &FilterGroup::default(), false)?;
    }
    let range = scope.range;
    let cur = current_period(scope);
    let prev = (cur.0 - (cur.1 - cur.0), cur.0);
    scope.range = cur;
    let both = scope
        .data_in_range()
        .and_then(|_| runs(scope, spec, cur, spec.limit))
        .and_then(|now| Ok((now, runs(scope, spec, prev, 0)?)));
    // the resolved range the output reports is the current period
    scope.range = if both.is_ok() { cur } else { range };
    let (now, before) = both?;
    // the analyses of both periods say the same things once
    let mut seen = Vec::new();
    scope.warnings.retain(|w| {
        let new = !seen.contains(w);
        if new {
            seen.push(w.clone());
        }
        new
    });

    let mut metrics = Vec::new();
    let (c, p) = (&now.channels.total, &before.channels.total);
    metrics.push(Metric::new(
        Block::Acquisition,
        "new_users",
        Some(c.new_users as f64),
        Some(p.new_users as f64),
    ));
    if !spec.activation.is_empty() {
        let rate = |r: &channels::ChannelRow| r.activation.as_ref().and_then(|w| w.rate);
        metrics.push(Metric::new(
            Block::Activation,
            "activation_rate",
            rate(c),
            rate(p),
        ));
    }
    for (k, d) in spec.retention_days.iter().enumerate() {
        metrics.push(Metric::new(
            Block::Retention,
            format!("d{d}_retention"),
            c.retention[k].rate,
            p.retention[k].rate,
        ));
    }
    let money = |r: &Option<RevenueResult>, f: fn(&revenue::Metrics) -> Option<f64>| {
        r.as_ref().and_then(|r| f(&r.total))
    };
    for (key, f) in [
        (
            "paying_rate",
            (|m| m.paying_rate) as fn(&revenue::Metrics) -> Option<f64>,
        ),
        ("arpu", |m| m.arpu),
        ("arppu", |m| m.arppu),
    ] {
        metrics.push(Metric::new(
            Block::Revenue,
            key,
            money(&now.revenue, f),
            money(&before.revenue, f),
        ));
    }
    if spec.referral_event.is_some() {
        // lines: A referral users, B active users, C referral events, then the formula A / B
        let total = |r: &Option<TrendsResult>, k: usize, zero: f64| {
            r.as_ref().map_or(Some(zero), |r| r.lines[k].total)
        };
        for (key, k, zero) in [
            ("referral_users", 0, Some(0.0)),
            ("referral_rate", 3, None),
            ("referral_events", 2, Some(0.0)),
        ] {
            let side = |r: &Option<TrendsResult>| match zero {
                Some(z) => total(r, k, z),
                None => r.as_ref().and_then(|r| r.lines[k].total),
            };
            metrics.push(Metric::new(
                Block::Referral,
                key,
                side(&now.trends),
                side(&before.trends),
            ));
        }
    }

    // new users per channel: the previous period was run with every channel, so a named
    // channel reads its own row and (other) the rest
    let prev_of = |label: &str| {
        before
            .channels
            .rows
            .iter()
            .find(|r| r.channel == label)
            .map_or(0, |r| r.new_users)
    };
    let named: u64 = now
        .channels
        .rows
        .iter()
        .filter(|r| r.channel != OTHER && r.channel != NONE)
        .map(|r| prev_of(&r.channel))
        .sum();
    let channels = now
        .channels
        .rows
        .iter()
        .map(|r| ChannelNew {
            channel: r.channel.clone(),
            current: r.new_users,
            previous: if r.channel == OTHER {
                before.channels.total.new_users - named - prev_of(NONE)
            } else {
                prev_of(&r.channel)
            },
        })
        .collect();

    let line = |k: usize, i: usize| now.trends.as_ref().and_then(|t| t.lines[k].values[i]);
    let points = now
        .revenue
        .iter()
        .flat_map(|r| &r.intervals)
        .enumerate()
        .map(|(i, m)| Point {
            label: m.label.clone(),
            start: m.start.clone(),
            incomplete: m.incomplete,
            new_users: m.metrics.new_users,
            paying_rate: m.metrics.paying_rate,
            arpu: m.metrics.arpu,
            referral_users: line(0, i),
            referral_rate: line(3, i),
            referral_events: line(2, i),
        })
        .collect();
    Ok(AarrrResult {
        current: Period {
            from: format_rfc3339(cur.0),
            to: format_rfc3339(cur.1),
        },
        previous: Period {
            from: format_rfc3339(prev.0),
            to: format_rfc3339(prev.1),
        },
        interval: spec.interval,
        channel: spec.channel.clone(),
        activation: spec.activation.clone(),
        activation_days: spec.activation_days,
        retention_days: spec.retention_days.clone(),
        referral_event: spec.referral_event.clone(),
        metrics,
        channels,
        points,
        data_end: now.channels.data_end.clone(),
    })
}

/// The result as a table: one row per headline number (`block`, `metric`, `current`,
/// `previous`, `change`, `relative_change`), then one row per channel (`acquisition`,
/// `new_users:<channel>`, its new users in both periods and the changes).
pub fn table(r: &AarrrResult) -> Table {
    let mut t = vec![[
        "block",
        "metric",
        "current",
        "previous",
        "change",
        "relative_change",
    ]
    .map(String::from)
    .to_vec()];
    let name = |b: Block| {
        serde_json::to_value(b)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let money = |key: &str, v: Option<f64>| match key {
        "arpu" | "arppu" => v.map(amount).unwrap_or_default(),
        _ => opt(v),
    };
    for m in &r.metrics {
        t.push(vec![
            name(m.block),
            m.key.clone(),
            money(&m.key, m.current),
            money(&m.key, m.previous),
            money(&m.key, m.change),
            opt(m.relative_change),
        ]);
    }
    for c in &r.channels {
        let m = Metric::new(
            Block::Acquisition,
            format!("new_users:{}", c.channel),
            Some(c.current as f64),
            Some(c.previous as f64),
        );
        t.push(vec![
            name(m.block),
            m.key,
            opt(m.current),
            opt(m.previous),
            opt(m.change),
            opt(m.relative_change),
        ]);
    }
    t
}
