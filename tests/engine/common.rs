//! Helpers shared by the fixture modules: load a CSV string, run a JSON spec.

use loupe::engine::analysis::active_users::ActiveUsersResult;
use loupe::engine::analysis::funnel::FunnelResult;
use loupe::engine::analysis::retention::RetentionResult;
use loupe::engine::analysis::stickiness::StickinessResult;
use loupe::engine::analysis::trends::TrendsResult;
use loupe::engine::analysis::{self, AnalysisResult, Output, Query};
use loupe::engine::ingest::{csv, Dataset, LoadOptions};
use loupe::engine::store::EventStore;
use loupe::engine::Error;

/// Loads CSV text with the default options; panics on a whole-file error.
pub fn load(text: &str) -> Dataset {
    csv::load(text.as_bytes(), None, &LoadOptions::default(), &mut |_| {
        true
    })
    .unwrap_or_else(|e| panic!("load failed: {e}"))
}

/// Loads CSV text and returns only the store.
pub fn store(text: &str) -> EventStore {
    load(text).store
}

/// Parses and runs a spec.
pub fn try_run(store: &EventStore, json: &str) -> Result<AnalysisResult, Error> {
    try_output(store, json).map(|o| o.result)
}

/// Parses and runs a spec, returning the result with warnings and the resolved range.
pub fn try_output(store: &EventStore, json: &str) -> Result<Output, Error> {
    let q = Query::from_json(json)?;
    analysis::run(store, &q)
}

/// Runs a funnel spec that must succeed.
pub fn funnel(store: &EventStore, json: &str) -> FunnelResult {
    match try_run(store, json) {
        Ok(AnalysisResult::Funnel(r)) => r,
        other => panic!("expected a funnel result for {json}, got {other:?}"),
    }
}

/// Runs a retention spec that must succeed.
pub fn retention(store: &EventStore, json: &str) -> RetentionResult {
    match try_run(store, json) {
        Ok(AnalysisResult::Retention(r)) => r,
        other => panic!("expected a retention result for {json}, got {other:?}"),
    }
}

/// Runs a trends spec that must succeed.
pub fn trends(store: &EventStore, json: &str) -> TrendsResult {
    match try_run(store, json) {
        Ok(AnalysisResult::Trends(r)) => r,
        other => panic!("expected a trends result for {json}, got {other:?}"),
    }
}

/// Runs a stickiness spec that must succeed.
pub fn stickiness(store: &EventStore, json: &str) -> StickinessResult {
    match try_run(store, json) {
        Ok(AnalysisResult::Stickiness(r)) => r,
        other => panic!("expected a stickiness result for {json}, got {other:?}"),
    }
}

/// Runs an active-users spec that must succeed.
pub fn active_users(store: &EventStore, json: &str) -> ActiveUsersResult {
    match try_run(store, json) {
        Ok(AnalysisResult::ActiveUsers(r)) => r,
        other => panic!("expected an active-users result for {json}, got {other:?}"),
    }
}

/// Runs a spec that must fail validation with `Error::Spec`; returns (field, message).
pub fn spec_error(store: &EventStore, json: &str) -> (String, String) {
    match try_run(store, json) {
        Err(Error::Spec { field, message, .. }) => (field, message),
        other => panic!("expected a spec error for {json}, got {other:?}"),
    }
}

/// Asserts two floats are equal up to rounding.
#[track_caller]
pub fn approx(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "expected {expected}, got {actual}"
    );
}

/// Asserts two float vectors are equal up to rounding.
#[track_caller]
pub fn approx_all(actual: &[f64], expected: &[f64]) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "lengths differ: {actual:?} vs {expected:?}"
    );
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() <= 1e-9 * e.abs().max(1.0),
            "expected {expected:?}, got {actual:?}"
        );
    }
}
