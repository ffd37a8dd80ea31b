//! The parts every analysis shares, and the scope every analysis runs in.
//!
//! A spec's JSON has the analysis's own fields (its steps, periods, measure...) and the
//! shared fields of [`Scope`] side by side at the top level: `date_range`, `filters`,
//! `timezone`, `week_start` and `user_properties`. [`Query`] is that whole JSON: a
//! [`Scope`] plus an analysis [`Spec`](super::analysis::Spec).
//!
//! Before an analysis runs, its scope is resolved once against the store into a
//! [`Scoped`]: the time zone is looked up, the date range becomes an interval of instants,
//! the filters are compiled (string values become per-code lookup tables, so a filter costs
//! one array read per event), and user properties are computed for the properties the
//! filters and breakdowns name. Every analysis then reads the store only through the
//! [`Scoped`]: [`Scoped::users`] gives each user's events, [`Scoped::keep`] says whether an
//! event passes the shared filters, [`Scoped::in_range`] whether an instant lies in the
//! date range (each analysis documents which of its events the range applies to: a
//! funnel's entry, a retention cohort's start, a trend's events), and
//! [`Scoped::matcher`] compiles an event name with its own filters (a funnel step, a
//! retention start event) into an [`EventMatcher`].

use crate::engine::days::DayIndex;
use crate::engine::error::{Error, Result};
use crate::engine::store::{format_number, Dictionary, EventStore, PropertyValues};
use crate::engine::time::{parse_timestamp, Calendar, Granularity, TimeZone, WeekStart, Zone};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Label of events (or users) without a breakdown value.
pub const NONE: &str = "(none)";
/// Label of the values beyond the top `limit` of a breakdown.
pub const OTHER: &str = "(other)";

// ---------------------------------------------------------------------------------------
// The shared spec fields

/// What every analysis shares: which events count and how time is cut.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Scope {
    /// Which part of the data counts (default: all data).
    pub date_range: DateRange,
    /// Property filters every event must pass (default: none).
    pub filters: FilterGroup,
    /// Zone in which calendar days, weeks and months are cut (default UTC).
    pub timezone: TimeZone,
    /// First day of a week (default Monday).
    pub week_start: WeekStart,
    /// Which value of a property a user has when it varies: first or latest (default first).
    pub user_properties: UserValue,
}

/// The JSON keys of [`Scope`], taken out of a spec's top level.
pub const SCOPE_KEYS: [&str; 5] = [
    "date_range",
    "filters",
    "timezone",
    "week_start",
    "user_properties",
];

/// A user's value of a property that varies between their events.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UserValue {
    /// The value of the user's first event that has one.
    #[default]
    First,
    /// The value of the user's latest event that has one.
    Latest,
}

/// The part of the data an analysis looks at.
///
/// JSON: `"all"`, `"last_7_days"`, `"last_30_days"`, `"last_90_days"`, `"this_month"`,
/// `{"last_days": N}`, or `{"from": ..., "to": ...}` with dates (`"2025-01-31"`, whole days
/// in the spec's time zone, both ends included) or timestamps (RFC 3339 or naive, read in
/// the spec's time zone); either end may be left out. Relative ranges end with the day of
/// the last event in the data, not today: an export is analysed as of its own end.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum DateRange {
    /// Every event.
    #[default]
    All,
    /// The last `n` calendar days, the day of the last event included.
    LastDays(u32),
    /// The calendar month of the last event.
    ThisMonth,
    /// From one date or instant to another.
    Between {
        /// Start (included), or open.
        from: Option<String>,
        /// End (included), or open.
        to: Option<String>,
    },
}

impl Serialize for DateRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            DateRange::All => s.serialize_str("all"),
            DateRange::LastDays(n @ (7 | 30 | 90)) => s.serialize_str(&format!("last_{n}_days")),
            DateRange::LastDays(n) => serde_json::json!({ "last_days": n }).serialize(s),
            DateRange::ThisMonth => s.serialize_str("this_month"),
            DateRange::Between { from, to } => {
                let mut m = serde_json::Map::new();
                if let Some(f) = from {
                    m.insert("from".into(), f.clone().into());
                }
                if let Some(t) = to {
                    m.insert("to".into(), t.clone().into());
                }
                Value::Object(m).serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for DateRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = Value::deserialize(d)?;
        let bad = || {
            D::Error::custom(format!(
                "date_range {v}: use \"all\", \"last_7_days\", \"last_30_days\", \
                 \"last_90_days\", \"this_month\", {{\"last_days\": N}} or \
                 {{\"from\": \"2025-01-01\", \"to\": \"2025-01-31\"}}"
            ))
        };
        match &v {
            Value::String(s) => match s.as_str() {
                "all" => Ok(DateRange::All),
                "this_month" => Ok(DateRange::ThisMonth),
                s => s
                    .strip_prefix("last_")
                    .and_then(|r| r.strip_suffix("_days"))
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|&n| n >= 1)
                    .map(DateRange::LastDays)
                    .ok_or_else(bad),
            },
            Value::Object(m) if m.contains_key("last_days") && m.len() == 1 => m["last_days"]
                .as_u64()
                .filter(|&n| (1..=100_000).contains(&n))
                .map(|n| DateRange::LastDays(n as u32))
                .ok_or_else(bad),
            Value::Object(m) if m.keys().all(|k| k == "from" || k == "to") => {
                let end = |k: &str| match m.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                    Some(_) => Err(bad()),
                };
                Ok(DateRange::Between {
                    from: end("from")?,
                    to: end("to")?,
                })
            }
            _ => Err(bad()),
        }
    }
}

/// Where a property's value comes from.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The event's own value.
    #[default]
    Event,
    /// The user's value: constant per user, or their first (or latest) non-empty value
    /// over all their events, whatever the date range.
    User,
}

/// A comparison of a property with a value.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal to `value` (a number column compares numbers: `"5"` equals `5.0`).
    Eq,
    /// Not equal to `value`; events without a value pass.
    Neq,
    /// Contains `value` as text (case-sensitive).
    Contains,
    /// Does not contain `value`; events without a value pass.
    NotContains,
    /// One of the values in the list `value`.
    In,
    /// None of the values in the list `value`; events without a value pass.
    NotIn,
    /// Greater than the number `value` (text values that are numbers compare too).
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Has a value.
    IsSet,
    /// Has no value.
    IsNotSet,
}

/// One property condition.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Property column name.
    pub property: String,
    /// Event property (default) or user property.
    #[serde(default, skip_serializing_if = "is_default")]
    pub source: Source,
    /// The comparison.
    pub op: Op,
    /// A string or number; a list for `in` and `not_in`; absent for `is_set` and
    /// `is_not_set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Conditions combined with AND or OR; groups nest.
///
/// JSON: a list of conditions (all must hold), `{"all": [...]}`, `{"any": [...]}`, or a
/// single condition. An empty group always holds.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterGroup {
    /// Every item holds.
    All(Vec<FilterItem>),
    /// At least one item holds.
    Any(Vec<FilterItem>),
}

/// A condition or a nested group.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterItem {
    /// One condition.
    Filter(Filter),
    /// A nested group.
    Group(FilterGroup),
}

impl Default for FilterGroup {
    fn default() -> Self {
        FilterGroup::All(Vec::new())
    }
}

impl FilterGroup {
    /// True when the group has no condition (it always holds).
    pub fn is_empty(&self) -> bool {
        match self {
            FilterGroup::All(v) | FilterGroup::Any(v) => v.is_empty(),
        }
    }

    /// AND of the given conditions.
    pub fn all(filters: Vec<Filter>) -> Self {
        FilterGroup::All(filters.into_iter().map(FilterItem::Filter).collect())
    }
}

impl Serialize for FilterGroup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl FilterGroup {
    fn to_value(&self) -> Value {
        let items = |v: &[FilterItem]| -> Value {
            v.iter()
                .map(|i| match i {
                    FilterItem::Filter(f) => serde_json::to_value(f).unwrap_or(Value::Null),
                    FilterItem::Group(g) => g.to_value(),
                })
                .collect()
        };
        match self {
            FilterGroup::All(v) => items(v),
            FilterGroup::Any(v) => serde_json::json!({ "any": items(v) }),
        }
    }

    fn from_value(v: Value) -> std::result::Result<FilterGroup, String> {
        let list = |v: Value| -> std::result::Result<Vec<FilterItem>, String> {
            match v {
                Value::Array(a) => a.into_iter().map(FilterItem::from_value).collect(),
                other => Err(format!("expected a list of filters, got {other}")),
            }
        };
        match v {
            Value::Array(_) => Ok(FilterGroup::All(list(v)?)),
            Value::Object(mut m) if m.len() == 1 && m.contains_key("all") => {
                Ok(FilterGroup::All(list(m.remove("all").unwrap_or_default())?))
            }
            Value::Object(mut m) if m.len() == 1 && m.contains_key("any") => {
                Ok(FilterGroup::Any(list(m.remove("any").unwrap_or_default())?))
            }
            Value::Object(_) => Ok(FilterGroup::All(vec![FilterItem::from_value(v)?])),
            Value::Null => Ok(FilterGroup::default()),
            other => Err(format!(
                "filters must be a list, {{\"all\": [...]}} or {{\"any\": [...]}}, got {other}"
            )),
        }
    }
}

impl FilterItem {
    fn from_value(v: Value) -> std::result::Result<FilterItem, String> {
        match &v {
            Value::Object(m) if m.contains_key("all") || m.contains_key("any") => {
                Ok(FilterItem::Group(FilterGroup::from_value(v)?))
            }
            _ => serde_json::from_value(v)
                .map(FilterItem::Filter)
                .map_err(|e| format!("filter: {e}")),
        }
    }
}

impl<'de> Deserialize<'de> for FilterGroup {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        FilterGroup::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A property named in a breakdown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PropertyRef {
    /// Property column name.
    pub property: String,
    /// Event property (default) or user property.
    #[serde(default, skip_serializing_if = "is_default")]
    pub source: Source,
}

/// Split the numbers by the values of one or several properties.
///
/// JSON: `"country"`, a list such as `["country", {"property": "plan", "source": "user"}]`,
/// or `{"properties": [...], "limit": 5}`. Several properties make one value per
/// combination, labelled `CN / pro`. The top `limit` values (default 10; 0 keeps all) are
/// kept and the rest gathered as `(other)`; events without any value are `(none)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    /// The properties, in order.
    pub properties: Vec<PropertyRef>,
    /// Values kept (0 = all).
    pub limit: usize,
}

/// Default number of breakdown values kept.
pub const DEFAULT_LIMIT: usize = 10;

impl Breakdown {
    /// A breakdown by one event property.
    pub fn by(property: &str) -> Self {
        Breakdown {
            properties: vec![PropertyRef {
                property: property.into(),
                source: Source::Event,
            }],
            limit: DEFAULT_LIMIT,
        }
    }

    /// The same breakdown read per user: every property as a user property (the scope's
    /// `user_properties` rule over all the user's events), whatever its `source`. The rule
    /// of the analyses about users (lifecycle, stages): each user has one value.
    pub fn per_user(&self) -> Breakdown {
        Breakdown {
            properties: self
                .properties
                .iter()
                .map(|p| PropertyRef {
                    property: p.property.clone(),
                    source: Source::User,
                })
                .collect(),
            limit: self.limit,
        }
    }

    /// The label of the breakdown (property names joined).
    pub fn name(&self) -> String {
        self.properties
            .iter()
            .map(|p| p.property.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

impl Serialize for Breakdown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serde_json::json!({ "properties": self.properties, "limit": self.limit }).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Breakdown {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let prop = |v: Value| -> std::result::Result<PropertyRef, D::Error> {
            match v {
                Value::String(s) => Ok(PropertyRef {
                    property: s,
                    source: Source::Event,
                }),
                v => serde_json::from_value(v)
                    .map_err(|e| D::Error::custom(format!("breakdown: {e}"))),
            }
        };
        let list = |v: Value| -> std::result::Result<Vec<PropertyRef>, D::Error> {
            match v {
                Value::Array(a) => a.into_iter().map(prop).collect(),
                v => Ok(vec![prop(v)?]),
            }
        };
        let v = Value::deserialize(d)?;
        let (properties, limit) = match v {
            Value::Object(mut m) if m.contains_key("properties") => {
                if let Some(k) = m.keys().find(|k| *k != "properties" && *k != "limit") {
                    return Err(D::Error::custom(format!(
                        "breakdown: unknown field `{k}`, expected `properties` or `limit`"
                    )));
                }
                let limit = match m.remove("limit") {
                    None => DEFAULT_LIMIT,
                    Some(l) => l.as_u64().ok_or_else(|| {
                        D::Error::custom("breakdown: limit must be a whole number (0 keeps all)")
                    })? as usize,
                };
                (list(m.remove("properties").unwrap_or_default())?, limit)
            }
            v => (list(v)?, DEFAULT_LIMIT),
        };
        if properties.is_empty() {
            return Err(D::Error::custom("breakdown: name at least one property"));
        }
        Ok(Breakdown { properties, limit })
    }
}

// ---------------------------------------------------------------------------------------
// Warnings

/// Something the analysis ran despite, that the analyst should know: a code the app
/// translates, the spec field it concerns, a value and a hint.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Warning {
    /// Stable code, e.g. `event_not_found`.
    pub code: String,
    /// The spec field, e.g. `steps[2].event`.
    pub field: String,
    /// The value concerned (an event name).
    pub value: String,
    /// A suggestion (the closest known name), if any.
    pub hint: Option<String>,
    /// The warning in English.
    pub message: String,
}

// ---------------------------------------------------------------------------------------
// The resolved scope

/// A [`Scope`] resolved against a store: what every analysis reads.
pub struct Scoped<'a> {
    /// The data.
    pub store: &'a EventStore,
    /// The time zone, resolved.
    pub zone: Zone,
    /// First day of a week.
    pub week_start: WeekStart,
    /// The date range as instants: `from` included, `to` excluded.
    pub range: (i64, i64),
    /// First and last event of the whole data.
    pub data_span: (i64, i64),
    /// Events passing the shared filters (`None`: all pass).
    mask: Option<Vec<bool>>,
    /// User values of the properties filters and breakdowns name.
    user_cols: Vec<(usize, UserColumn)>,
    user_value: UserValue,
    /// Warnings gathered while compiling.
    pub warnings: Vec<Warning>,
}

/// One property's value per user.
enum UserColumn {
    /// Codes as in the property's column (0 = none).
    Codes(Vec<u32>),
    /// Numbers (NaN = none).
    Numbers(Vec<f64>),
}

/// Where a compiled condition reads its value.
#[derive(Clone, Copy, Debug)]
enum Col {
    /// Property column index, the event's value.
    Event(usize),
    /// Index into `Scoped::user_cols`.
    User(usize),
}

/// A compiled condition.
#[derive(Clone, Debug)]
enum Test {
    /// `accept[code]` for string columns (code 0 = no value).
    Codes(Vec<bool>),
    /// A test of a number (NaN = no value).
    Number(NumTest),
}

#[derive(Clone, Debug)]
struct NumTest {
    op: Op,
    values: Vec<f64>,
    text: String,
}

impl NumTest {
    fn test(&self, v: f64) -> bool {
        if v.is_nan() {
            return matches!(
                self.op,
                Op::Neq | Op::NotIn | Op::NotContains | Op::IsNotSet
            );
        }
        let a = self.values.first().copied().unwrap_or(f64::NAN);
        match self.op {
            Op::Eq => v == a,
            Op::Neq => v != a,
            Op::In => self.values.contains(&v),
            Op::NotIn => !self.values.contains(&v),
            Op::Gt => v > a,
            Op::Gte => v >= a,
            Op::Lt => v < a,
            Op::Lte => v <= a,
            Op::Contains => format_number(v).contains(&self.text),
            Op::NotContains => !format_number(v).contains(&self.text),
            Op::IsSet => true,
            Op::IsNotSet => false,
        }
    }
}

/// A compiled filter group.
#[derive(Clone, Debug)]
pub struct Compiled(Node);

#[derive(Clone, Debug)]
enum Node {
    Leaf(Col, Test),
    All(Vec<Node>),
    Any(Vec<Node>),
}

/// An event name (or any event) with its own filters, compiled: a funnel step, a
/// retention start or return event, a trend series.
#[derive(Clone, Debug)]
pub struct EventMatcher {
    /// The event code; `None` matches any event; `Some(u32::MAX)` matches nothing (the
    /// event does not occur in the data).
    pub event: Option<u32>,
    filter: Option<Compiled>,
}

impl EventMatcher {
    /// True when the event does not occur in the data (it matches nothing).
    pub fn is_missing(&self) -> bool {
        self.event == Some(u32::MAX)
    }

    /// True when the matcher tests properties (not only the event name).
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }
}

/// Per-event breakdown values: `key(i, u)` is 0 for none, else 1 + index into `labels`.
pub struct BreakdownValues<'a> {
    /// Borrowed from the store when they are a string column's codes.
    keys: std::borrow::Cow<'a, [u32]>,
    /// Value labels.
    pub labels: Vec<String>,
}

impl BreakdownValues<'_> {
    /// The key of event `i`.
    pub fn key(&self, i: usize) -> u32 {
        self.keys[i]
    }

    /// The label of a key (`(none)` for 0).
    pub fn label(&self, key: u32) -> &str {
        if key == 0 {
            NONE
        } else {
            &self.labels[key as usize - 1]
        }
    }

    /// Number of keys, `(none)` included.
    pub fn len(&self) -> usize {
        self.labels.len() + 1
    }

    /// True when there are no values at all.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Which keys of a breakdown become series: the top `limit` by a rank, then `(other)`,
/// then `(none)`.
#[derive(Clone, Debug)]
pub struct Ranked {
    /// Series index per key (`usize::MAX`: the key has no events).
    pub slot: Vec<usize>,
    /// Series labels in order.
    pub labels: Vec<String>,
}

impl Ranked {
    /// Ranks keys by `rank[key]` (largest first, then label), keeping `limit` (0 = all)
    /// of those with `present[key]`; key 0 is `(none)` and always last.
    pub fn new(values: &BreakdownValues, rank: &[u64], present: &[bool], limit: usize) -> Ranked {
        let mut ranked: Vec<usize> = (1..values.len()).filter(|&k| present[k]).collect();
        ranked.sort_by(|&a, &b| {
            rank[b]
                .cmp(&rank[a])
                .then_with(|| values.label(a as u32).cmp(values.label(b as u32)))
        });
        let keep = if limit == 0 {
            ranked.len()
        } else {
            limit.min(ranked.len())
        };
        let mut slot = vec![usize::MAX; values.len()];
        let mut labels: Vec<String> = ranked[..keep]
            .iter()
            .enumerate()
            .map(|(s, &k)| {
                slot[k] = s;
                values.label(k as u32).to_string()
            })
            .collect();
        if keep < ranked.len() {
            for &k in &ranked[keep..] {
                slot[k] = labels.len();
            }
            labels.push(OTHER.to_string());
        }
        if present[0] {
            slot[0] = labels.len();
            labels.push(NONE.to_string());
        }
        Ranked { slot, labels }
    }
}

impl Scope {
    /// Resolves the scope against `store`: zone, date range and shared filters.
    pub fn resolve<'a>(&self, store: &'a EventStore) -> Result<Scoped<'a>> {
        let data_span = store.time_span().ok_or(Error::NoEvents)?;
        let zone = self.timezone.resolve().map_err(|e| {
            Error::spec("timezone", e).keyed("unknown_timezone", &[("zone", &self.timezone)])
        })?;
        let mut s = Scoped {
            store,
            zone,
            week_start: self.week_start,
            range: (i64::MIN, i64::MAX),
            data_span,
            mask: None,
            user_cols: Vec::new(),
            user_value: self.user_properties,
            warnings: Vec::new(),
        };
        s.range = s.resolve_range(&self.date_range)?;
        if !self.filters.is_empty() {
            let c = s.compile("filters", &self.filters)?;
            let mut mask = vec![false; store.len()];
            for (u, r) in store.user_ranges().enumerate() {
                for i in r {
                    mask[i] = s.test(&c, i, u as u32);
                }
            }
            s.mask = Some(mask);
        }
        Ok(s)
    }
}

impl<'a> Scoped<'a> {
    /// A calendar of `granularity` in the scope's zone and week start.
    pub fn calendar(&self, granularity: Granularity) -> Calendar {
        Calendar {
            granularity,
            zone: self.zone.clone(),
            week_start: self.week_start,
        }
    }

    /// True when instant `t` lies in the date range.
    pub fn in_range(&self, t: i64) -> bool {
        self.range.0 <= t && t < self.range.1
    }

    /// True when every event of the data lies in the date range: a pass need not read the
    /// times to test [`in_range`](Self::in_range).
    pub fn all_in_range(&self) -> bool {
        self.range.0 <= self.data_span.0 && self.data_span.1 < self.range.1
    }

    /// The first and last instant of the data that lie in the date range, if any.
    pub fn span_in_range(&self) -> Option<(i64, i64)> {
        let lo = self.data_span.0.max(self.range.0);
        let hi = self.data_span.1.min(self.range.1.saturating_sub(1));
        (lo <= hi).then_some((lo, hi))
    }

    /// The first and last instant of the data inside the date range, or a `range_empty`
    /// error when there is none.
    pub fn data_in_range(&self) -> Result<(i64, i64)> {
        self.span_in_range().ok_or_else(range_empty)
    }

    /// The date range with its open ends closed by the data's first / last event, or a
    /// `range_empty` error when no event of the data lies in it.
    pub fn range_touched(&self) -> Result<(i64, i64)> {
        self.data_in_range()?;
        let lo = if self.range.0 == i64::MIN {
            self.data_span.0
        } else {
            self.range.0
        };
        let hi = if self.range.1 == i64::MAX {
            self.data_span.1
        } else {
            self.range.1 - 1
        };
        Ok((lo, hi))
    }

    /// The intervals of `cal` holding the instants `lo..=hi` (every local interval in
    /// between, also where a zone repeats an hour): the first and last key and their
    /// number, or a `too_many_intervals` error on `field` above `max`.
    pub fn intervals(
        &self,
        cal: &Calendar,
        (lo, hi): (i64, i64),
        max: usize,
        field: &str,
    ) -> Result<(i64, i64, usize)> {
        let (first, last) = cal.key_span(lo, hi);
        let n = cal.index(first, last) as usize + 1;
        if n > max {
            return Err(too_many_intervals(field, n, max));
        }
        Ok((first, last, n))
    }

    /// True when interval `key` of `cal` is only partly covered: the covered span (from
    /// the later of the range's start and the data's first event, to the earlier of the
    /// range's end and the data's last event) starts after the interval's start, or ends
    /// before its end, by more than 1/24 of the interval. An export that starts at 00:10
    /// still covers its first day; one that ends at 10:00 does not cover its last.
    pub fn incomplete(&self, cal: &Calendar, key: i64) -> bool {
        let (s, e) = (cal.start_micros(key), cal.start_micros(cal.add(key, 1)));
        let slack = (e - s) / 24;
        let from = self.range.0.max(self.data_span.0);
        let to = self.range.1.min(self.data_span.1.saturating_add(1));
        from - s > slack || e - to > slack
    }

    /// Every user with the range of their events (sorted by time, then source row).
    pub fn users(&self) -> impl Iterator<Item = (u32, std::ops::Range<usize>)> + '_ {
        self.store
            .user_ranges()
            .enumerate()
            .map(|(u, r)| (u as u32, r))
    }

    /// True when event `i` passes the shared filters.
    #[inline]
    pub fn keep(&self, i: usize) -> bool {
        self.mask.as_ref().is_none_or(|m| m[i])
    }

    /// True when the scope has shared filters.
    pub fn has_filters(&self) -> bool {
        self.mask.is_some()
    }

    /// The local day of every event in the scope's zone, and every user's runs of
    /// same-day events (see [`DayIndex`]), when the data allows one.
    pub fn days(&self) -> Option<Arc<DayIndex>> {
        self.store.day_index(&self.zone)
    }

    /// True when every event of the data counts: no shared filter and the date range
    /// holds the whole data (a pass may then read a user's runs of same-day events).
    pub fn counts_every_event(&self) -> bool {
        !self.has_filters() && self.all_in_range()
    }

    fn resolve_range(&self, r: &DateRange) -> Result<(i64, i64)> {
        let days = self.calendar(Granularity::Day);
        let last_day = days.bucket(self.data_span.1);
        Ok(match r {
            DateRange::All => (i64::MIN, i64::MAX),
            DateRange::LastDays(n) => (
                days.start_micros(last_day - (*n as i64 - 1)),
                days.start_micros(last_day + 1),
            ),
            DateRange::ThisMonth => {
                let months = self.calendar(Granularity::Month);
                let m = months.bucket(self.data_span.1);
                (months.start_micros(m), months.start_micros(m + 1))
            }
            DateRange::Between { from, to } => {
                let from_t = match from {
                    None => i64::MIN,
                    Some(s) => self.instant("date_range.from", s, false)?,
                };
                let to_t = match to {
                    None => i64::MAX,
                    Some(s) => self.instant("date_range.to", s, true)?,
                };
                if from_t >= to_t {
                    return Err(Error::spec(
                        "date_range",
                        format!(
                            "the range ends before it starts ({} to {})",
                            from.as_deref().unwrap_or("…"),
                            to.as_deref().unwrap_or("…")
                        ),
                    )
                    .keyed(
                        "range_reversed",
                        &[
                            ("from", &from.as_deref().unwrap_or("…")),
                            ("to", &to.as_deref().unwrap_or("…")),
                        ],
                    ));
                }
                (from_t, to_t)
            }
        })
    }

    /// A date (whole day in the zone) or a timestamp; `end` gives the exclusive end.
    fn instant(&self, field: &str, s: &str, end: bool) -> Result<i64> {
        let t = s.trim();
        let is_date = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
        let at = parse_timestamp(t, &self.zone).ok_or_else(|| {
            Error::spec(
                field,
                format!("\"{s}\" is not a date (2025-01-31) or a timestamp (2025-01-31T12:00:00Z)"),
            )
            .keyed("bad_date", &[("value", &s)])
        })?;
        Ok(if is_date {
            // parse_timestamp read the date as local midnight in the zone
            let days = self.calendar(Granularity::Day);
            let key = days.bucket(at);
            days.start_micros(if end { key + 1 } else { key })
        } else if end {
            at.saturating_add(1)
        } else {
            at
        })
    }

    /// Compiles an event name (any event when `None`) with its own filters. An event
    /// that does not occur in the data is an error, or, with `missing_ok`, a matcher that
    /// matches nothing plus an `event_not_found` warning.
    pub fn matcher(
        &mut self,
        field: &str,
        event: Option<&str>,
        filters: &FilterGroup,
        missing_ok: bool,
    ) -> Result<EventMatcher> {
        let code = match event {
            None => None,
            Some(name) => match self.store.event_names().code(name) {
                Some(c) => Some(c),
                None if missing_ok => {
                    let hint = closest(self.store.event_names(), name);
                    self.warnings.push(Warning {
                        code: "event_not_found".into(),
                        field: field.into(),
                        value: name.into(),
                        message: format!(
                            "no event named \"{name}\" in the data: it counts 0{}",
                            hint.as_deref()
                                .map(|h| format!("; did you mean \"{h}\"?"))
                                .unwrap_or_default()
                        ),
                        hint,
                    });
                    Some(u32::MAX)
                }
                None => return Err(event_error(self.store, field, name)),
            },
        };
        let filter = if filters.is_empty() {
            None
        } else {
            let f = field.rsplit_once('.').map_or(field, |(a, _)| a);
            Some(self.compile(&format!("{f}.filters"), filters)?)
        };
        Ok(EventMatcher {
            event: code,
            filter,
        })
    }

    /// True when event `i` of user `u` matches `m` (the shared filters are not checked:
    /// see [`Scoped::keep`]).
    #[inline]
    pub fn matches(&self, m: &EventMatcher, i: usize, u: u32) -> bool {
        m.event.is_none_or(|c| self.store.event_codes()[i] == c)
            && m.filter.as_ref().is_none_or(|f| self.test(f, i, u))
    }

    /// Evaluates a compiled filter on event `i` of user `u`.
    pub fn test(&self, c: &Compiled, i: usize, u: u32) -> bool {
        self.eval(&c.0, i, u)
    }

    fn eval(&self, n: &Node, i: usize, u: u32) -> bool {
        match n {
            Node::All(v) => v.iter().all(|n| self.eval(n, i, u)),
            Node::Any(v) => v.iter().any(|n| self.eval(n, i, u)),
            Node::Leaf(col, test) => match (col, test) {
                (Col::Event(p), Test::Codes(acc)) => match &self.store.properties()[*p].values {
                    PropertyValues::String { codes, .. } => acc[codes[i] as usize],
                    PropertyValues::Number { .. } => false,
                },
                (Col::Event(p), Test::Number(t)) => match &self.store.properties()[*p].values {
                    PropertyValues::Number { values } => t.test(values[i]),
                    PropertyValues::String { .. } => false,
                },
                (Col::User(k), Test::Codes(acc)) => match &self.user_cols[*k].1 {
                    UserColumn::Codes(c) => acc[c[u as usize] as usize],
                    UserColumn::Numbers(_) => false,
                },
                (Col::User(k), Test::Number(t)) => match &self.user_cols[*k].1 {
                    UserColumn::Numbers(v) => t.test(v[u as usize]),
                    UserColumn::Codes(_) => false,
                },
            },
        }
    }

    /// Compiles a filter group; `field` names it in errors.
    pub fn compile(&mut self, field: &str, g: &FilterGroup) -> Result<Compiled> {
        Ok(Compiled(self.compile_group(field, g)?))
    }

    fn compile_group(&mut self, field: &str, g: &FilterGroup) -> Result<Node> {
        let (items, all) = match g {
            FilterGroup::All(v) => (v, true),
            FilterGroup::Any(v) => (v, false),
        };
        let mut nodes = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let f = format!("{field}[{k}]");
            nodes.push(match item {
                FilterItem::Filter(x) => self.compile_filter(&f, x)?,
                FilterItem::Group(g) => self.compile_group(&f, g)?,
            });
        }
        Ok(if all {
            Node::All(nodes)
        } else {
            Node::Any(nodes)
        })
    }

    /// The values of numeric property `name` (NaN where an event has none), or a keyed
    /// error naming `field`: `unknown_property`, or `property_not_numeric` when the column
    /// holds text.
    pub fn numeric_property(&self, field: &str, name: &str) -> Result<&'a [f64]> {
        let p = self.property_index(field, name)?;
        let store: &'a EventStore = self.store;
        match &store.properties()[p].values {
            PropertyValues::Number { values } => Ok(values.as_slice()),
            PropertyValues::String { .. } => Err(Error::spec(
                field,
                format!("\"{name}\" holds text, not numbers"),
            )
            .keyed("property_not_numeric", &[("name", &name)])),
        }
    }

    /// The column index of property `name`, or an `unknown_property` error naming
    /// `field` with a "did you mean".
    pub fn property_index(&self, field: &str, name: &str) -> Result<usize> {
        let props = self.store.properties();
        props.iter().position(|p| p.name == name).ok_or_else(|| {
            let mut names: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
            names.sort_unstable();
            let near = names
                .iter()
                .copied()
                .min_by_key(|n| edit_distance(n, name))
                .filter(|n| edit_distance(n, name) <= 2.max(name.len() / 3));
            Error::spec(
                field,
                match near {
                    Some(n) => format!("no property named \"{name}\"; did you mean \"{n}\"?"),
                    None if names.is_empty() => {
                        format!("no property named \"{name}\": the data has no property columns")
                    }
                    None => format!(
                        "no property named \"{name}\"; properties are: {}",
                        names.join(", ")
                    ),
                },
            )
            .keyed(
                if near.is_some() {
                    "unknown_property_hint"
                } else {
                    "unknown_property"
                },
                &[
                    ("name", &name),
                    ("hint", &near.unwrap_or("")),
                    ("names", &names.join(", ")),
                ],
            )
        })
    }

    /// The column a property reference reads, computing user values when needed.
    fn column(&mut self, field: &str, name: &str, source: Source) -> Result<(Col, usize)> {
        let p = self.property_index(field, name)?;
        Ok(match source {
            Source::Event => (Col::Event(p), p),
            Source::User => {
                if let Some(k) = self.user_cols.iter().position(|(q, _)| *q == p) {
                    return Ok((Col::User(k), p));
                }
                let col = self.user_column(p);
                self.user_cols.push((p, col));
                (Col::User(self.user_cols.len() - 1), p)
            }
        })
    }

    fn user_column(&self, p: usize) -> UserColumn {
        let latest = self.user_value == UserValue::Latest;
        let pick = |r: std::ops::Range<usize>, has: &dyn Fn(usize) -> bool| {
            if latest {
                r.rev().find(|&i| has(i))
            } else {
                r.into_iter().find(|&i| has(i))
            }
        };
        match &self.store.properties()[p].values {
            PropertyValues::String { codes, .. } => UserColumn::Codes(
                self.store
                    .user_ranges()
                    .map(|r| pick(r, &|i| codes[i] != 0).map_or(0, |i| codes[i]))
                    .collect(),
            ),
            PropertyValues::Number { values } => UserColumn::Numbers(
                self.store
                    .user_ranges()
                    .map(|r| pick(r, &|i| !values[i].is_nan()).map_or(f64::NAN, |i| values[i]))
                    .collect(),
            ),
        }
    }

    fn compile_filter(&mut self, field: &str, f: &Filter) -> Result<Node> {
        let (col, p) = self.column(&format!("{field}.property"), &f.property, f.source)?;
        let vfield = format!("{field}.value");
        let scalar = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            }
        };
        let values: Vec<String> = match (f.op, &f.value) {
            (Op::IsSet | Op::IsNotSet, None | Some(Value::Null)) => Vec::new(),
            (Op::IsSet | Op::IsNotSet, Some(_)) => {
                return Err(Error::spec(vfield, "is_set and is_not_set take no value")
                    .keyed("no_value_expected", &[]))
            }
            (Op::In | Op::NotIn, Some(Value::Array(a))) => {
                a.iter().map(scalar).collect::<Option<_>>().ok_or_else(|| {
                    Error::spec(&vfield, "the list may hold only strings and numbers")
                        .keyed("list_scalars", &[])
                })?
            }
            (Op::In | Op::NotIn, _) => {
                return Err(Error::spec(vfield, "in and not_in need a list of values")
                    .keyed("list_needed", &[]))
            }
            (_, Some(v)) => vec![scalar(v).ok_or_else(|| {
                Error::spec(&vfield, "the value must be a string or a number")
                    .keyed("scalar_needed", &[])
            })?],
            (_, None) => {
                return Err(
                    Error::spec(vfield, "this comparison needs a value").keyed("value_needed", &[])
                )
            }
        };
        let numeric_op = matches!(f.op, Op::Gt | Op::Gte | Op::Lt | Op::Lte);
        let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let nums: Vec<f64> = if numeric_op {
            let v = parse(&values[0]).ok_or_else(|| {
                Error::spec(&vfield, format!("\"{}\" is not a number", values[0]))
                    .keyed("not_a_number", &[("value", &values[0])])
            })?;
            vec![v]
        } else {
            values.iter().filter_map(|s| parse(s)).collect()
        };
        let test = match &self.store.properties()[p].values {
            PropertyValues::Number { .. } => {
                if matches!(f.op, Op::Eq | Op::Neq) && nums.is_empty() {
                    return Err(Error::spec(
                        vfield,
                        format!(
                            "\"{}\" holds numbers, and \"{}\" is not a number",
                            f.property, values[0]
                        ),
                    )
                    .keyed(
                        "number_column",
                        &[("property", &f.property), ("value", &values[0])],
                    ));
                }
                Test::Number(NumTest {
                    op: f.op,
                    values: nums,
                    text: values.first().cloned().unwrap_or_default(),
                })
            }
            PropertyValues::String { dict, .. } => {
                Test::Codes(accept_table(dict, f.op, &values, &nums))
            }
        };
        Ok(Node::Leaf(col, test))
    }

    /// Per-event values of a breakdown (user properties give every event of a user the
    /// user's value). One pass per property: codes are reused, numbers and user values
    /// interned, and several properties combined pairwise, so no event allocates.
    pub fn breakdown(&mut self, field: &str, b: &Breakdown) -> Result<BreakdownValues<'a>> {
        let mut cols = Vec::with_capacity(b.properties.len());
        for (k, p) in b.properties.iter().enumerate() {
            let f = if b.properties.len() == 1 {
                field.to_string()
            } else {
                format!("{field}.properties[{k}]")
            };
            cols.push(self.column(&f, &p.property, p.source)?.0);
        }
        let mut out: Option<BreakdownValues<'a>> = None;
        for col in cols {
            let next = self.column_values(col);
            out = Some(match out {
                None => next,
                Some(prev) => combine(&prev, &next),
            });
        }
        Ok(out.expect("a breakdown names at least one property"))
    }

    /// The values of one column as breakdown keys.
    fn column_values(&self, col: Col) -> BreakdownValues<'a> {
        let store = self.store;
        let n = store.len();
        // interns number bits into keys 1.. with their labels
        fn numbers(values: impl Iterator<Item = f64>) -> (Vec<u32>, Vec<String>) {
            let mut ids: rustc_hash::FxHashMap<u64, u32> = Default::default();
            let mut labels = Vec::new();
            let keys = values
                .map(|v| {
                    if v.is_nan() {
                        return 0;
                    }
                    *ids.entry((v + 0.0).to_bits()).or_insert_with(|| {
                        labels.push(format_number(v));
                        labels.len() as u32
                    })
                })
                .collect();
            (keys, labels)
        }
        use std::borrow::Cow;
        let (keys, labels): (Cow<'a, [u32]>, Vec<String>) = match col {
            Col::Event(p) => match &store.properties()[p].values {
                PropertyValues::String { dict, codes } => (
                    Cow::Borrowed(codes.as_slice()),
                    dict.iter().map(str::to_owned).collect(),
                ),
                PropertyValues::Number { values } => {
                    let (keys, labels) = numbers(values.iter().copied());
                    (keys.into(), labels)
                }
            },
            Col::User(k) => {
                let p = &store.properties()[self.user_cols[k].0];
                let (per_user, labels) = match (&self.user_cols[k].1, &p.values) {
                    (UserColumn::Codes(c), PropertyValues::String { dict, .. }) => {
                        (c.clone(), dict.iter().map(str::to_owned).collect())
                    }
                    (UserColumn::Numbers(v), _) => numbers(v.iter().copied()),
                    _ => (vec![0; store.user_count()], Vec::new()),
                };
                let mut keys = vec![0u32; n];
                for (u, r) in store.user_ranges().enumerate() {
                    keys[r].fill(per_user[u]);
                }
                (keys.into(), labels)
            }
        };
        BreakdownValues { keys, labels }
    }
}

/// The values of two breakdowns side by side: one key per pair that occurs, labelled
/// `a / b` (a missing part is `(none)`; both missing is no value).
fn combine<'a>(a: &BreakdownValues, b: &BreakdownValues) -> BreakdownValues<'a> {
    let mut ids: rustc_hash::FxHashMap<(u32, u32), u32> = Default::default();
    let mut labels = Vec::new();
    let keys = a
        .keys
        .iter()
        .zip(b.keys.iter())
        .map(|(&x, &y)| {
            if x == 0 && y == 0 {
                return 0;
            }
            *ids.entry((x, y)).or_insert_with(|| {
                labels.push(format!("{} / {}", a.label(x), b.label(y)));
                labels.len() as u32
            })
        })
        .collect::<Vec<u32>>()
        .into();
    BreakdownValues { keys, labels }
}

/// `accept[code]` for every code of a string column (0 = no value).
fn accept_table(dict: &Dictionary, op: Op, values: &[String], nums: &[f64]) -> Vec<bool> {
    let a = values.first().map(String::as_str).unwrap_or("");
    let n = nums.first().copied().unwrap_or(f64::NAN);
    let mut acc = Vec::with_capacity(dict.len() + 1);
    acc.push(matches!(
        op,
        Op::Neq | Op::NotIn | Op::NotContains | Op::IsNotSet
    ));
    for s in dict.iter() {
        let num = || s.trim().parse::<f64>().ok();
        acc.push(match op {
            Op::Eq => s == a,
            Op::Neq => s != a,
            Op::Contains => s.contains(a),
            Op::NotContains => !s.contains(a),
            Op::In => values.iter().any(|v| v == s),
            Op::NotIn => !values.iter().any(|v| v == s),
            Op::Gt => num().is_some_and(|v| v > n),
            Op::Gte => num().is_some_and(|v| v >= n),
            Op::Lt => num().is_some_and(|v| v < n),
            Op::Lte => num().is_some_and(|v| v <= n),
            Op::IsSet => true,
            Op::IsNotSet => false,
        });
    }
    acc
}

/// The closest known name to `name`, when it is close enough to be a likely typo.
pub fn closest(dict: &Dictionary, name: &str) -> Option<String> {
    dict.iter()
        .min_by_key(|n| edit_distance(n, name))
        .filter(|n| edit_distance(n, name) <= 2.max(name.len() / 3))
        .map(str::to_owned)
}

/// The error for an event name that does not occur in the data, with the closest name
/// or some known names.
pub(crate) fn event_error(store: &EventStore, field: &str, name: &str) -> Error {
    let names: Vec<&str> = store.event_names().iter().collect();
    let near = names
        .iter()
        .copied()
        .min_by_key(|n| edit_distance(n, name))
        .filter(|n| edit_distance(n, name) <= 2.max(name.len() / 3));
    let mut some: Vec<&str> = names.iter().copied().take(8).collect();
    some.sort_unstable();
    let hint = match near {
        Some(n) => format!("; did you mean \"{n}\"?"),
        None => format!("; known events include: {}", some.join(", ")),
    };
    Error::spec(
        field,
        format!("no event named \"{name}\" in the data{hint}"),
    )
    .keyed(
        if near.is_some() {
            "unknown_event_hint"
        } else {
            "unknown_event"
        },
        &[
            ("name", &name),
            ("hint", &near.unwrap_or("")),
            ("names", &some.join(", ")),
        ],
    )
}

/// Levenshtein distance between two strings, in characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The error of an analysis that would have no event to work on.
fn range_empty() -> Error {
    Error::spec("date_range", "no event of the data falls in the date range")
        .keyed("range_empty", &[])
}

/// The error of a chart with `n` intervals, over the `max` it may have.
pub fn too_many_intervals(field: &str, n: usize, max: usize) -> Error {
    Error::spec(
        field,
        format!("{n} intervals is too many to chart (at most {max}); choose a longer interval or a shorter date range"),
    )
    .keyed("too_many_intervals", &[("count", &n), ("max", &max)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::StoreBuilder;
    use crate::engine::time::DAY;

    fn store() -> EventStore {
        let mut b = StoreBuilder::new(vec!["plan".into(), "amount".into()]);
        let day = |d: i64| d * DAY + 1_700_000_000_000_000 / DAY * DAY;
        b.push("a", "view", day(0), ["free", "1"]);
        b.push("a", "buy", day(1), ["pro", "10"]);
        b.push("b", "view", day(2), ["", "5"]);
        b.push("b", "buy", day(3), ["free", ""]);
        b.finish()
    }

    fn scope(json: &str) -> Scope {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn kept(json: &str) -> Vec<usize> {
        let s = store();
        let sc = scope(json).resolve(&s).unwrap();
        (0..s.len()).filter(|&i| sc.keep(i)).collect()
    }

    #[test]
    fn filters_on_event_and_user_properties() {
        // events: a view free 1, a buy pro 10, b view - 5, b buy free -
        assert_eq!(
            kept(r#"{"filters":[{"property":"plan","op":"eq","value":"free"}]}"#),
            [0, 3]
        );
        assert_eq!(
            kept(r#"{"filters":[{"property":"plan","op":"neq","value":"free"}]}"#),
            [1, 2]
        );
        assert_eq!(
            kept(r#"{"filters":[{"property":"plan","op":"is_not_set"}]}"#),
            [2]
        );
        assert_eq!(
            kept(r#"{"filters":[{"property":"amount","op":"gte","value":5}]}"#),
            [1, 2]
        );
        assert_eq!(
            kept(r#"{"filters":[{"property":"amount","op":"eq","value":"10"}]}"#),
            [1]
        );
        assert_eq!(
            kept(r#"{"filters":[{"property":"plan","op":"in","value":["pro","x"]}]}"#),
            [1]
        );
        assert_eq!(
            kept(r#"{"filters":[{"property":"plan","op":"contains","value":"re"}]}"#),
            [0, 3]
        );
        assert_eq!(
            kept(
                r#"{"filters":{"any":[{"property":"plan","op":"eq","value":"pro"},{"property":"amount","op":"lt","value":2}]}}"#
            ),
            [0, 1]
        );
        // user property, first value: a = free, b = free (first non-empty); latest: a = pro
        assert_eq!(
            kept(r#"{"filters":[{"property":"plan","source":"user","op":"eq","value":"free"}]}"#),
            [0, 1, 2, 3]
        );
        assert_eq!(
            kept(
                r#"{"user_properties":"latest","filters":[{"property":"plan","source":"user","op":"eq","value":"pro"}]}"#
            ),
            [0, 1]
        );
    }

    #[test]
    fn filter_errors_name_the_field() {
        let s = store();
        let err = |json: &str| match scope(json).resolve(&s) {
            Err(Error::Spec { field, message, .. }) => (field, message),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("{json} resolved"),
        };
        let (f, m) = err(r#"{"filters":[{"property":"plam","op":"eq","value":"x"}]}"#);
        assert_eq!(f, "filters[0].property");
        assert!(m.contains("did you mean \"plan\""), "{m}");
        let (f, _) = err(r#"{"filters":[{"property":"amount","op":"eq","value":"abc"}]}"#);
        assert_eq!(f, "filters[0].value");
        let (f, _) = err(r#"{"filters":[{"property":"plan","op":"in","value":"x"}]}"#);
        assert_eq!(f, "filters[0].value");
        let (f, _) = err(r#"{"date_range":{"from":"2030-01-02","to":"2030-01-01"}}"#);
        assert_eq!(f, "date_range");
        assert!(serde_json::from_str::<Scope>(r#"{"date_rang":"all"}"#).is_err());
        assert!(serde_json::from_str::<Scope>(r#"{"date_range":"last_week"}"#).is_err());
    }

    #[test]
    fn date_ranges_end_at_the_last_event() {
        let s = store();
        let t = s.times().to_vec();
        let r = |json: &str| scope(json).resolve(&s).unwrap().range;
        let day0 = t[0] - t[0].rem_euclid(DAY);
        assert_eq!(r(r#"{"date_range":"all"}"#), (i64::MIN, i64::MAX));
        // the last event is on day 3: last 2 days = days 2 and 3
        assert_eq!(
            r(r#"{"date_range":{"last_days":2}}"#),
            (day0 + 2 * DAY, day0 + 4 * DAY)
        );
        let (y, m, d) = crate::engine::time::civil_from_days(day0 / DAY + 1);
        let date = format!("{y:04}-{m:02}-{d:02}");
        let json = format!(r#"{{"date_range":{{"from":"{date}","to":"{date}"}}}}"#);
        assert_eq!(r(&json), (day0 + DAY, day0 + 2 * DAY));
        // in +08:00 the day starts 8 hours earlier in UTC
        let json = format!(r#"{{"timezone":"+08:00","date_range":{{"from":"{date}"}}}}"#);
        assert_eq!(r(&json).0, day0 + DAY - 8 * 3_600_000_000);
        for v in [
            "\"last_7_days\"",
            "\"this_month\"",
            "{\"last_days\":12}",
            "{\"from\":\"2025-01-01\"}",
        ] {
            let d: DateRange = serde_json::from_str(v).unwrap();
            assert_eq!(serde_json::to_string(&d).unwrap(), v);
        }
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("purchse", "purchase"), 1);
        assert_eq!(edit_distance("注册", "注冊"), 1);
    }

    #[test]
    fn breakdown_values_and_ranking() {
        let s = store();
        let mut sc = Scope::default().resolve(&s).unwrap();
        let b: Breakdown =
            serde_json::from_str(r#"["plan", {"property":"plan","source":"user"}]"#).unwrap();
        let v = sc.breakdown("breakdown", &b).unwrap();
        let labels: Vec<&str> = (0..s.len()).map(|i| v.label(v.key(i))).collect();
        assert_eq!(
            labels,
            ["free / free", "pro / free", "(none) / free", "free / free"]
        );
        let b: Breakdown = serde_json::from_str(r#""amount""#).unwrap();
        let v = sc.breakdown("breakdown", &b).unwrap();
        let labels: Vec<&str> = (0..s.len()).map(|i| v.label(v.key(i))).collect();
        assert_eq!(labels, ["1", "10", "5", "(none)"]);
        // rank: 10 and 5 twice, 1 once; keep 2 then other and none
        let rank = [1, 1, 2, 2];
        let r = Ranked::new(&v, &rank, &[true; 4], 2);
        assert_eq!(r.labels, ["10", "5", "(other)", "(none)"]);
        assert_eq!(r.slot, [3, 2, 0, 1]);
        let e = serde_json::from_str::<Breakdown>(r#"{"properties":["a"],"limt":3}"#).unwrap_err();
        assert!(e.to_string().contains("limt"), "{e}");
    }
}
