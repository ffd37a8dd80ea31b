//! Analyses: each one is a serde `Spec` in, a serde `Result` out.
//!
//! [`Spec`] is the contract shared by the app (through the worker), the CLI and later the
//! JavaScript module: the same JSON gives the same result everywhere. Every spec rejects
//! unknown fields, is validated against the loaded store before it runs (unknown event
//! names get a "did you mean"), and every result carries what a chart or a table needs.

pub mod funnel;
pub mod retention;
pub mod segmentation;
pub mod table;

use crate::engine::error::{Error, Result};
use crate::engine::store::EventStore;
use serde::{Deserialize, Serialize};

/// Any analysis, tagged by `"analysis"`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "analysis", rename_all = "snake_case")]
pub enum Spec {
    /// Conversion funnel.
    Funnel(funnel::FunnelSpec),
    /// Cohort retention table.
    Retention(retention::RetentionSpec),
    /// Events or users over time, with an optional breakdown.
    Segmentation(segmentation::SegmentationSpec),
}

/// The result of any analysis, tagged like its spec.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "analysis", rename_all = "snake_case")]
pub enum AnalysisResult {
    /// See [`funnel::FunnelResult`].
    Funnel(funnel::FunnelResult),
    /// See [`retention::RetentionResult`].
    Retention(retention::RetentionResult),
    /// See [`segmentation::SegmentationResult`].
    Segmentation(segmentation::SegmentationResult),
}

impl Spec {
    /// Parses a spec from JSON with a readable error.
    pub fn from_json(json: &str) -> Result<Spec> {
        serde_json::from_str(json).map_err(|e| Error::SpecJson(e.to_string()))
    }
}

/// Validates `spec` against `store` and runs it.
pub fn run(store: &EventStore, spec: &Spec) -> Result<AnalysisResult> {
    Ok(match spec {
        Spec::Funnel(s) => AnalysisResult::Funnel(funnel::run(store, s)?),
        Spec::Retention(s) => AnalysisResult::Retention(retention::run(store, s)?),
        Spec::Segmentation(s) => AnalysisResult::Segmentation(segmentation::run(store, s)?),
    })
}

/// Resolves an event name to its code, or explains which names exist.
pub(crate) fn event_code(store: &EventStore, field: &str, name: &str) -> Result<u32> {
    if let Some(c) = store.event_names().code(name) {
        return Ok(c);
    }
    let names: Vec<&str> = store.event_names().iter().collect();
    let hint = names
        .iter()
        .min_by_key(|n| edit_distance(n, name))
        .filter(|n| edit_distance(n, name) <= 2.max(name.len() / 3))
        .map(|n| format!("; did you mean \"{n}\"?"))
        .unwrap_or_else(|| {
            let mut some: Vec<&str> = names.iter().copied().take(8).collect();
            some.sort_unstable();
            format!("; known events include: {}", some.join(", "))
        });
    Err(Error::spec(
        field,
        format!("no event named \"{name}\" in the data{hint}"),
    ))
}

fn edit_distance(a: &str, b: &str) -> usize {
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

/// Median of a list of values (mean of the two middle values for even lengths).
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_json_is_strict() {
        let ok = r#"{"analysis":"funnel","steps":[{"event":"a"},{"event":"b"}]}"#;
        assert!(Spec::from_json(ok).is_ok());
        let unknown = r#"{"analysis":"funnel","steps":[{"event":"a"}],"windw":3}"#;
        let e = Spec::from_json(unknown).unwrap_err().to_string();
        assert!(e.contains("windw"), "{e}");
        let e = Spec::from_json(r#"{"analysis":"funnels"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("funnels"), "{e}");
    }

    #[test]
    fn distance_and_median() {
        assert_eq!(edit_distance("purchse", "purchase"), 1);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
