//! Analyses: each one is a serde `Spec` in, a serde `Result` out.
//!
//! [`Spec`] is the contract shared by the app (through the worker), the CLI and later the
//! JavaScript module: the same JSON gives the same result everywhere. Every spec rejects
//! unknown fields, is validated against the loaded store before it runs (unknown event
//! names get a "did you mean"), and every result carries what a chart or a table needs.

pub mod purchases;
pub mod table;
pub mod transitions;

use crate::engine::error::{Error, Result};
use crate::engine::spec::{Scope, Scoped, Warning, SCOPE_KEYS};
use crate::engine::store::EventStore;
use crate::engine::time::format_rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use table::Table;

/// The one list of analyses: `Variant module SpecType ResultType "doc"`, in tab order.
///
/// It calls macro `$m` with the list, so every place that dispatches on an analysis
/// builds its code from it: the engine (the module, the spec and result enums, running,
/// tables, names: below), the charts (`chart::draw`) and the app (its panels and tabs).
/// Each analysis provides `run(&mut Scoped, &Spec) -> Result<Result>` and
/// `table(&Result) -> Table` in `engine/analysis/<module>.rs`, `draw` in
/// `chart/<module>.rs` and a `Panel` component in `ui/<module>.rs`; adding one is those
/// three files, its translations and one line here.
#[macro_export]
macro_rules! for_each_analysis {
    ($m:ident) => {
        $m! {
            Aarrr aarrr AarrrSpec AarrrResult "AARRR overview: acquisition, activation, retention, revenue and referral of a period against the one before.",
            Funnel funnel FunnelSpec FunnelResult "Conversion funnel.",
            Retention retention RetentionSpec RetentionResult "Cohort retention table.",
            Trends trends TrendsSpec TrendsResult "Series of events, users or property values over time, with formulas, a breakdown and the previous period.",
            ActiveUsers active_users ActiveUsersSpec ActiveUsersResult "Daily, weekly and monthly active users, their ratios and active-day frequency.",
            Stickiness stickiness StickinessSpec StickinessResult "Users by number of active intervals (PostHog's stickiness).",
            Lifecycle lifecycle LifecycleSpec LifecycleResult "New, returning, resurrecting and dormant users per interval.",
            Stages stages StagesSpec StagesResult "User stages new / active / silent / churned / returned per interval, and the movement between two intervals.",
            Health health HealthSpec HealthResult "User health tiers (the user pyramid) by recency, frequency and value per interval, and the movement between tiers.",
            Sessions sessions SessionsSpec SessionsResult "Sessions, page views, bounce and exit rates and time on page.",
            Paths paths PathsSpec PathsResult "Top paths after a start event or before an end event, as a Sankey.",
            Revenue revenue RevenueSpec RevenueResult "Revenue, paying rate, ARPU and ARPPU per interval, and ROI by channel.",
            Ltv ltv LtvSpec LtvResult "Cumulative revenue per user by age since first activity, per cohort.",
            Customers customers CustomersSpec CustomersResult "Per-customer purchase summary for lifetime-value models: frequency, recency, age and mean repeat value.",
            Rfm rfm RfmSpec RfmResult "Recency, frequency and monetary scores and customer segments.",
            Channels channels ChannelsSpec ChannelsResult "New users per acquisition channel with their activation, retention, paying rate, ARPU, LTV and ROI.",
            Portrait portrait PortraitSpec PortraitResult "User portrait: the composition of users by properties, numbers binned, with an optional cross-tab.",
            AbTest ab_test AbTestSpec AbTestResult "A/B test: conversion and revenue per variant with significance."
        }
    };
}

macro_rules! analyses {
    ($($variant:ident $module:ident $spec:ident $result:ident $doc:literal),*) => {
        $(#[doc = $doc] pub mod $module;)*

        /// Any analysis's own fields, tagged by `"analysis"`.
        #[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
        #[serde(tag = "analysis", rename_all = "snake_case")]
        pub enum Spec {
            $(#[doc = $doc] $variant($module::$spec),)*
        }

        /// The result of any analysis, tagged like its spec.
        #[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
        #[serde(tag = "analysis", rename_all = "snake_case")]
        pub enum AnalysisResult {
            $(#[doc = $doc] $variant($module::$result),)*
        }

        /// [`AnalysisResult`] tagged externally (`{"funnel": {...}}`): how a result travels
        /// from the worker to the page. Serde reads an internally tagged enum by buffering
        /// the whole value first, in code generated per type; reading this form needs none
        /// of that, which keeps the page's download smaller.
        #[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
        #[serde(rename_all = "snake_case")]
        pub enum WireResult {
            $(#[doc = $doc] $variant($module::$result),)*
        }

        impl From<AnalysisResult> for WireResult {
            fn from(r: AnalysisResult) -> Self {
                match r { $(AnalysisResult::$variant(x) => WireResult::$variant(x),)* }
            }
        }

        impl From<WireResult> for AnalysisResult {
            fn from(r: WireResult) -> Self {
                match r { $(WireResult::$variant(x) => AnalysisResult::$variant(x),)* }
            }
        }

        $(impl AnalysisSpec for $module::$spec {
            fn pick(s: &Spec) -> Option<&Self> {
                match s {
                    Spec::$variant(x) => Some(x),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            fn into_spec(self) -> Spec {
                Spec::$variant(self)
            }
        })*

        /// The JSON names of every analysis, in registry order.
        pub const KINDS: &[&str] = &[$(stringify!($module)),*];

        impl Spec {
            /// The analysis's JSON name (`"funnel"`).
            pub fn kind(&self) -> &'static str {
                match self { $(Spec::$variant(_) => stringify!($module),)* }
            }

            /// The spec of analysis `kind` from its own fields (the `"analysis"` tag
            /// removed). Reading the variant's type directly, rather than through serde's
            /// internally tagged enum, needs no per-type buffering code (a smaller page).
            fn from_fields(kind: &str, fields: Value) -> serde_json::Result<Spec> {
                match kind {
                    $(stringify!($module) => serde_json::from_value(fields).map(Spec::$variant),)*
                    _ => Err(serde::de::Error::unknown_variant(kind, KINDS)),
                }
            }

            /// The spec's own fields, without the `"analysis"` tag.
            fn fields(&self) -> serde_json::Result<Value> {
                match self { $(Spec::$variant(s) => serde_json::to_value(s),)* }
            }

            fn run_in(&self, scope: &mut Scoped) -> Result<AnalysisResult> {
                match self {
                    $(Spec::$variant(s) => $module::run(scope, s).map(AnalysisResult::$variant),)*
                }
            }
        }

        impl AnalysisResult {
            /// The analysis's JSON name (`"funnel"`).
            pub fn kind(&self) -> &'static str {
                match self { $(AnalysisResult::$variant(_) => stringify!($module),)* }
            }

            /// The result as a table (the CSV download and `loupe run --csv`).
            pub fn table(&self) -> Table {
                match self { $(AnalysisResult::$variant(r) => $module::table(r),)* }
            }
        }
    };
}
crate::for_each_analysis!(analyses);

/// The spec type of one analysis of the registry, and how it sits in [`Spec`].
pub trait AnalysisSpec: Clone + Sized {
    /// The spec, if `s` is of this analysis.
    fn pick(s: &Spec) -> Option<&Self>;
    /// The spec as a [`Spec`].
    fn into_spec(self) -> Spec;
}

#[cfg(test)]
mod registry_tests {
    #[test]
    fn every_analysis_has_a_distinct_json_name() {
        let mut k = super::KINDS.to_vec();
        k.sort_unstable();
        k.dedup();
        assert_eq!(k.len(), super::KINDS.len());
        assert!(k.len() >= 3);
    }
}

/// A whole spec as its JSON is written: the analysis's own fields and the shared
/// [`Scope`] fields side by side at the top level.
///
/// ```json
/// {"analysis": "funnel", "steps": [{"event": "signup"}, {"event": "purchase"}],
///  "date_range": "last_30_days", "filters": [{"property": "country", "op": "eq", "value": "CN"}]}
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Date range, filters, time zone, week start, user property rule.
    pub scope: Scope,
    /// The analysis and its own options.
    pub spec: Spec,
}

impl Query {
    /// A query with the default scope.
    pub fn new(spec: Spec) -> Self {
        Query {
            scope: Scope::default(),
            spec,
        }
    }

    /// Parses a spec from JSON with a readable error.
    pub fn from_json(json: &str) -> Result<Query> {
        serde_json::from_str(json).map_err(|e| Error::SpecJson(e.to_string()))
    }

    /// The spec as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for Query {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut v = self.spec.fields().map_err(S::Error::custom)?;
        if let Value::Object(m) = &mut v {
            m.insert("analysis".into(), Value::String(self.spec.kind().into()));
        }
        let scope = serde_json::to_value(&self.scope).map_err(S::Error::custom)?;
        let default = serde_json::to_value(Scope::default()).map_err(S::Error::custom)?;
        if let (Value::Object(m), Value::Object(sc), Value::Object(d)) = (&mut v, scope, default) {
            // only what differs from the defaults, so links stay short
            for (k, x) in sc {
                if d.get(&k) != Some(&x) {
                    m.insert(k, x);
                }
            }
        }
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = Value::deserialize(d)?;
        let Value::Object(mut m) = v else {
            return Err(D::Error::custom(
                "a spec is a JSON object with an \"analysis\" field",
            ));
        };
        let mut scope = serde_json::Map::new();
        for k in SCOPE_KEYS {
            if let Some(x) = m.remove(k) {
                scope.insert(k.to_string(), x);
            }
        }
        let scope: Scope =
            serde_json::from_value(Value::Object(scope)).map_err(D::Error::custom)?;
        let kind = match m.remove("analysis") {
            Some(Value::String(k)) => k,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "invalid type: {other}, expected the analysis's name as a string"
                )))
            }
            None => return Err(D::Error::missing_field("analysis")),
        };
        let spec = Spec::from_fields(&kind, Value::Object(m)).map_err(D::Error::custom)?;
        Ok(Query { scope, spec })
    }
}

/// An analysis's answer with what the analyst should know about how it was computed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Output {
    /// The numbers.
    pub result: AnalysisResult,
    /// Things the analysis ran despite (an event that never occurs...).
    pub warnings: Vec<Warning>,
    /// The date range as instants (RFC 3339; `None` = open), after resolving presets.
    pub range: (Option<String>, Option<String>),
}

/// Resolves the query's scope against `store` and runs its analysis.
pub fn run(store: &EventStore, query: &Query) -> Result<Output> {
    if store.is_empty() {
        return Err(Error::NoEvents);
    }
    let mut scope = query.scope.resolve(store)?;
    let result = query.spec.run_in(&mut scope)?;
    let end = |t: i64| (t != i64::MIN && t != i64::MAX).then(|| format_rfc3339(t));
    Ok(Output {
        result,
        range: (end(scope.range.0), end(scope.range.1)),
        warnings: scope.warnings,
    })
}

/// Median of a list of values (mean of the two middle values for even lengths).
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    quantile(v, 0.5)
}

/// The `q` quantile of `v` (sorted in place) interpolating linearly between the nearest
/// ranks, like DuckDB's `quantile_cont`.
pub(crate) fn quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_json_is_strict() {
        let ok = r#"{"analysis":"funnel","steps":[{"event":"a"},{"event":"b"}]}"#;
        assert!(Query::from_json(ok).is_ok());
        let unknown = r#"{"analysis":"funnel","steps":[{"event":"a"}],"windw":3}"#;
        let e = Query::from_json(unknown).unwrap_err().to_string();
        assert!(e.contains("windw"), "{e}");
        let e = Query::from_json(r#"{"analysis":"funnels"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("funnels"), "{e}");
    }

    #[test]
    fn shared_fields_sit_beside_the_analysis_fields_and_round_trip() {
        let json = r#"{"analysis":"trends","series":[{"event":"a"}],"date_range":"last_7_days","timezone":"+08:00","filters":[{"property":"plan","op":"eq","value":"pro"}]}"#;
        let q = Query::from_json(json).unwrap();
        assert_eq!(
            q.scope.date_range,
            crate::engine::spec::DateRange::LastDays(7)
        );
        assert_eq!(q.scope.timezone.to_string(), "+08:00");
        assert_eq!(Query::from_json(&q.to_json()).unwrap(), q);
        // defaults are left out of the JSON, so links stay short
        let plain = Query::from_json(r#"{"analysis":"trends"}"#).unwrap();
        assert!(
            !plain.to_json().contains("date_range"),
            "{}",
            plain.to_json()
        );
        // a typo in a shared field is an error, like anywhere else
        let e = Query::from_json(r#"{"analysis":"trends","date_rnge":"all"}"#).unwrap_err();
        assert!(e.to_string().contains("date_rnge"), "{e}");
        let e = Query::from_json(r#"{"analysis":"trends","timezone":"Mars/Base"}"#)
            .map(|q| q.scope.timezone.resolve().is_err());
        assert_eq!(e.ok(), Some(true));
    }

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
