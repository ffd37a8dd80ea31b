//! Lifecycle fixtures worked out by hand (definition: `src/engine/analysis/lifecycle.rs`).
//!
//! Every test also checks new + returning + resurrecting = active per interval.

use super::common::{spec_error, store, try_output, try_run};
use loupe::engine::analysis::lifecycle::{self, LifecycleResult, States};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;

fn csv(header: &str, rows: &[&str]) -> String {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Runs a lifecycle spec (`extra` = more JSON fields) that must succeed.
fn run(s: &EventStore, extra: &str) -> LifecycleResult {
    let json = if extra.is_empty() {
        r#"{"analysis":"lifecycle"}"#.to_string()
    } else {
        format!(r#"{{"analysis":"lifecycle",{extra}}}"#)
    };
    match try_run(s, &json) {
        Ok(AnalysisResult::Lifecycle(r)) => {
            check_sums(&r.states);
            for b in &r.breakdowns {
                check_sums(&b.states);
            }
            r
        }
        other => panic!("expected a lifecycle result for {json}, got {other:?}"),
    }
}

#[track_caller]
fn check_sums(s: &States) {
    for b in 0..s.active.len() {
        assert_eq!(
            s.new[b] + s.returning[b] + s.resurrecting[b],
            s.active[b],
            "interval {b}"
        );
    }
}

/// (new, returning, resurrecting, dormant) per interval.
fn rows(s: &States) -> Vec<(u64, u64, u64, i64)> {
    (0..s.active.len())
        .map(|b| (s.new[b], s.returning[b], s.resurrecting[b], s.dormant[b]))
        .collect()
}

/// Fixture 1 (UTC), creation = first event:
/// - A: open 03-01 10:00, open 03-02 09:00, open 03-04 12:00
/// - B: buy 03-02 08:00, open 03-03 10:00, open 03-03 11:00
/// - C: open 03-01 23:00, open 03-05 01:00 (inactive 03-02 to 03-04)
/// - D: open 03-05 20:00 (the last event of the data)
fn fixture() -> EventStore {
    store(&csv(
        "user_id,event,timestamp",
        &[
            "A,open,2024-03-01T10:00:00Z",
            "C,open,2024-03-01T23:00:00Z",
            "B,buy,2024-03-02T08:00:00Z",
            "A,open,2024-03-02T09:00:00Z",
            "B,open,2024-03-03T11:00:00Z",
            "B,open,2024-03-03T10:00:00Z",
            "A,open,2024-03-04T12:00:00Z",
            "C,open,2024-03-05T01:00:00Z",
            "D,open,2024-03-05T20:00:00Z",
        ],
    ))
}

#[test]
fn day_states_from_the_first_event() {
    let r = run(&fixture(), "");
    assert_eq!(
        r.buckets,
        [
            "2024-03-01",
            "2024-03-02",
            "2024-03-03",
            "2024-03-04",
            "2024-03-05"
        ]
    );
    assert_eq!(r.bucket_starts[1], "2024-03-02T00:00:00.000Z");
    // active days: A {1, 2, 4}, B {2, 3}, C {1, 5}, D {5}; created: A 1, B 2, C 1, D 5
    // 03-01: A new, C new
    // 03-02: A returning, B new, C dormant
    // 03-03: B returning, A dormant
    // 03-04: A resurrecting, B dormant
    // 03-05: C resurrecting (dormant once, on 03-02, not again), D new, A dormant
    assert_eq!(
        rows(&r.states),
        [
            (2, 0, 0, 0),
            (1, 1, 0, -1),
            (0, 1, 0, -1),
            (0, 0, 1, -1),
            (1, 0, 1, -1)
        ]
    );
    assert_eq!(r.states.active, [2, 2, 1, 1, 2]);
    // pulse (new + resurrecting) / dormant: none, 1/1, 0/1, 1/1, 2/1; overall (4 + 2) / 4
    assert_eq!(
        r.states.pulse,
        [None, Some(1.0), Some(0.0), Some(1.0), Some(2.0)]
    );
    assert_eq!(r.states.pulse_overall, Some(1.5));
    // the data starts 03-01 10:00 (after the day's start) and ends 03-05 20:00
    assert_eq!(r.incomplete, [true, false, false, false, true]);
    assert_eq!(r.created_at, None);
    assert!(r.breakdowns.is_empty());
}

#[test]
fn creation_is_the_first_event_of_any_name() {
    // only "open" counts as activity, but B was created by its buy on 03-02: its first
    // active day 03-03 is not its creation day, so B is resurrecting there, not new
    let r = run(&fixture(), r#""event":"open""#);
    // active days: A {1, 2, 4}, B {3}, C {1, 5}, D {5}
    // 03-01: A, C new. 03-02: A returning, C dormant. 03-03: B resurrecting, A dormant.
    // 03-04: A resurrecting, B dormant. 03-05: C resurrecting, D new, A dormant.
    assert_eq!(
        rows(&r.states),
        [
            (2, 0, 0, 0),
            (0, 1, 0, -1),
            (0, 0, 1, -1),
            (0, 0, 1, -1),
            (1, 0, 1, -1)
        ]
    );
}

#[test]
fn a_range_after_the_first_activity_looks_at_the_interval_before_it() {
    let r = run(
        &fixture(),
        r#""date_range":{"from":"2024-03-03","to":"2024-03-05"}"#,
    );
    assert_eq!(r.buckets, ["2024-03-03", "2024-03-04", "2024-03-05"]);
    // the previous day 03-02 (outside the range) had A (open) and B (buy):
    // 03-03: B returning (not resurrecting), A dormant
    // 03-04: A resurrecting, B dormant. 03-05: C resurrecting, D new, A dormant
    assert_eq!(
        rows(&r.states),
        [(0, 1, 0, -1), (0, 0, 1, -1), (1, 0, 1, -1)]
    );
    // 03-05 ends after the data does
    assert_eq!(r.incomplete, [false, false, true]);
}

#[test]
fn a_range_that_starts_inside_a_week() {
    // weeks from Monday: W0 = 02-26..03-03, W1 = 03-04..03-10. The range starts on
    // Tuesday 03-05: W1 is shown, with only its events from 03-05 on (C 03-05, D 03-05);
    // A's event of Monday 03-04 lies before the range and counts nowhere.
    // Previous week W0: A, B, C active.
    // W1: C returning, D new, A and B dormant.
    let r = run(
        &fixture(),
        r#""interval":"week","date_range":{"from":"2024-03-05"}"#,
    );
    assert_eq!(r.buckets, ["2024-03-04"]);
    assert_eq!(rows(&r.states), [(1, 1, 0, -2)]);
    assert_eq!(r.states.pulse, [Some(0.5)]);
    assert_eq!(r.incomplete, [true]);
}

#[test]
fn sunday_and_monday_weeks_differ() {
    // Q: Sat 03-02, Mon 03-11. P: Sun 03-03, Sun 03-10. R: Mon 03-04.
    let s = store(&csv(
        "user_id,event,timestamp",
        &[
            "Q,open,2024-03-02T10:00:00Z",
            "P,open,2024-03-03T10:00:00Z",
            "R,open,2024-03-04T10:00:00Z",
            "P,open,2024-03-10T10:00:00Z",
            "Q,open,2024-03-11T10:00:00Z",
        ],
    ));
    // Monday weeks 02-26, 03-04, 03-11: Q {0, 2}, P {0, 1}, R {1}
    // W0: Q, P new. W1: P returning, R new, Q dormant. W2: Q resurrecting, P and R dormant
    let r = run(&s, r#""interval":"week""#);
    assert_eq!(r.buckets, ["2024-02-26", "2024-03-04", "2024-03-11"]);
    assert_eq!(
        rows(&r.states),
        [(2, 0, 0, 0), (1, 1, 0, -1), (0, 0, 1, -2)]
    );
    // Sunday weeks 02-25, 03-03, 03-10: Q {0, 2}, P {1, 2}, R {1}
    // S0: Q new. S1: P, R new, Q dormant. S2: Q resurrecting, P returning, R dormant
    let r = run(&s, r#""interval":"week","week_start":"sunday""#);
    assert_eq!(r.buckets, ["2024-02-25", "2024-03-03", "2024-03-10"]);
    assert_eq!(
        rows(&r.states),
        [(1, 0, 0, 0), (2, 0, 0, -1), (0, 1, 1, -1)]
    );
}

#[test]
fn hours_in_utc_and_in_a_half_hour_zone() {
    // X: 10:15, 10:45, 12:05. Y: 11:00, 12:59 (03-01, UTC)
    let s = store(&csv(
        "user_id,event,timestamp",
        &[
            "X,open,2024-03-01T10:15:00Z",
            "X,open,2024-03-01T10:45:00Z",
            "Y,open,2024-03-01T11:00:00Z",
            "X,open,2024-03-01T12:05:00Z",
            "Y,open,2024-03-01T12:59:00Z",
        ],
    ));
    // hours 10, 11, 12: X {10, 12}, Y {11, 12}
    // 10: X new. 11: Y new, X dormant. 12: X resurrecting, Y returning
    let r = run(&s, r#""interval":"hour""#);
    assert_eq!(
        r.buckets,
        ["2024-03-01 10:00", "2024-03-01 11:00", "2024-03-01 12:00"]
    );
    assert_eq!(rows(&r.states), [(1, 0, 0, 0), (1, 0, 0, -1), (0, 1, 1, 0)]);
    // +05:30: X 15:45, 16:15, 17:35; Y 16:30, 18:29 (local)
    // 15: X new. 16: X returning, Y new. 17: X returning, Y dormant.
    // 18: Y resurrecting, X dormant
    let r = run(&s, r#""interval":"hour","timezone":"+05:30""#);
    assert_eq!(
        r.buckets,
        [
            "2024-03-01 15:00",
            "2024-03-01 16:00",
            "2024-03-01 17:00",
            "2024-03-01 18:00"
        ]
    );
    assert_eq!(
        rows(&r.states),
        [(1, 0, 0, 0), (1, 1, 0, 0), (0, 1, 0, -1), (0, 0, 1, -1)]
    );
}

#[test]
fn months_in_utc_and_in_shanghai_time() {
    // M1: 01-15, 03-10. M2: 02-01 00:00, 02-28, 03-31 23:30. M3: 03-05 (UTC, 2024)
    let s = store(&csv(
        "user_id,event,timestamp",
        &[
            "M1,open,2024-01-15T12:00:00Z",
            "M2,open,2024-02-01T00:00:00Z",
            "M2,open,2024-02-28T12:00:00Z",
            "M3,open,2024-03-05T12:00:00Z",
            "M1,open,2024-03-10T12:00:00Z",
            "M2,open,2024-03-31T23:30:00Z",
        ],
    ));
    // Jan: M1 new. Feb: M2 new, M1 dormant. Mar: M1 resurrecting, M2 returning, M3 new
    let r = run(&s, r#""interval":"month""#);
    assert_eq!(r.buckets, ["2024-01", "2024-02", "2024-03"]);
    assert_eq!(rows(&r.states), [(1, 0, 0, 0), (1, 0, 0, -1), (1, 1, 1, 0)]);
    // +08:00: M2's 03-31 23:30 is 04-01 07:30 local, so April exists and M2 misses March.
    // Jan: M1 new. Feb: M2 new, M1 dormant. Mar: M1 resurrecting, M3 new, M2 dormant.
    // Apr: M2 resurrecting, M1 and M3 dormant
    let r = run(&s, r#""interval":"month","timezone":"+08:00""#);
    assert_eq!(r.buckets, ["2024-01", "2024-02", "2024-03", "2024-04"]);
    assert_eq!(
        rows(&r.states),
        [(1, 0, 0, 0), (1, 0, 0, -1), (1, 0, 1, -1), (0, 0, 1, -2)]
    );
    assert_eq!(r.states.pulse_overall, Some(5.0 / 4.0));
}

/// K: open 03-01 free, open 03-02 pro. L: open 03-01 pro, buy 03-02 pro, open 03-03 free.
fn plan_fixture() -> EventStore {
    store(&csv(
        "user_id,event,timestamp,plan",
        &[
            "K,open,2024-03-01T10:00:00Z,free",
            "L,open,2024-03-01T11:00:00Z,pro",
            "K,open,2024-03-02T10:00:00Z,pro",
            "L,buy,2024-03-02T11:00:00Z,pro",
            "L,open,2024-03-03T11:00:00Z,free",
        ],
    ))
}

#[test]
fn shared_filters_decide_activity_not_creation() {
    let s = plan_fixture();
    // plan = pro: K active {02}, L active {01, 02}; creation is still the first event
    // (K 03-01), so K is resurrecting on 03-02, not new.
    // 01: L new. 02: K resurrecting, L returning. 03: K and L dormant
    let r = run(
        &s,
        r#""filters":[{"property":"plan","op":"eq","value":"pro"}]"#,
    );
    assert_eq!(r.buckets.len(), 3);
    assert_eq!(rows(&r.states), [(1, 0, 0, 0), (0, 1, 1, 0), (0, 0, 0, -2)]);
    assert_eq!(r.states.pulse, [None, None, Some(0.0)]);
    // open with plan = pro: K {02}, L {01}
    // 01: L new. 02: K resurrecting, L dormant. 03: K dormant
    let r = run(
        &s,
        r#""event":"open","event_filters":[{"property":"plan","op":"eq","value":"pro"}]"#,
    );
    assert_eq!(
        rows(&r.states),
        [(1, 0, 0, 0), (0, 0, 1, -1), (0, 0, 0, -1)]
    );
}

#[test]
fn breakdown_by_the_users_own_value() {
    let s = plan_fixture();
    // no filters: K {01, 02}, L {01, 02, 03}
    // 01: K, L new. 02: K, L returning. 03: L returning, K dormant
    // user values (first non-empty plan): K free, L pro; one active user each, so the
    // tie is broken by label: free, pro
    let r = run(&s, r#""breakdown":"plan""#);
    assert_eq!(rows(&r.states), [(2, 0, 0, 0), (0, 2, 0, 0), (0, 1, 0, -1)]);
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["free", "pro"]);
    assert_eq!(
        rows(&r.breakdowns[0].states),
        [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 0, -1)]
    );
    assert_eq!(
        rows(&r.breakdowns[1].states),
        [(1, 0, 0, 0), (0, 1, 0, 0), (0, 1, 0, 0)]
    );
    // the latest value: K pro, L free (ranked by label again)
    let r = run(&s, r#""breakdown":"plan","user_properties":"latest""#);
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["free", "pro"]);
    assert_eq!(r.breakdowns[0].states.returning, [0, 1, 1]);
    assert_eq!(r.breakdowns[1].states.dormant, [0, 0, -1]);
    // limit 1: the first value, then the rest as (other)
    let r = run(&s, r#""breakdown":{"properties":["plan"],"limit":1}"#);
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["free", "(other)"]);
}

/// The created-at fixture (`signed_up`; UTC unless said):
/// - E: open 03-03 10:00, created 02-20 (before its first event)
/// - G: open 03-02 10:00 and 03-03 10:00, created "garbage" (falls back to 03-02)
/// - H: open 03-03 09:00, no value (falls back to 03-03)
/// - I: open 03-02 12:00 and 03-03 12:00, created 1709424000 = 03-03 00:00 UTC
/// - F: open 03-03 06:00, created "2024-03-03 02:00:00" (naive: read in the spec's zone)
fn created_fixture() -> EventStore {
    store(&csv(
        "user_id,event,timestamp,signed_up",
        &[
            "E,open,2024-03-03T10:00:00Z,2024-02-20T00:00:00Z",
            "G,open,2024-03-02T10:00:00Z,garbage",
            "G,open,2024-03-03T10:00:00Z,garbage",
            "H,open,2024-03-03T09:00:00Z,",
            "I,open,2024-03-02T12:00:00Z,1709424000",
            "I,open,2024-03-03T12:00:00Z,1709424000",
            "F,open,2024-03-03T06:00:00Z,2024-03-03 02:00:00",
        ],
    ))
}

#[test]
fn created_at_property_decides_new() {
    let s = created_fixture();
    let json = r#"{"analysis":"lifecycle","created_at":"signed_up"}"#;
    let out = try_output(&s, json).unwrap();
    let AnalysisResult::Lifecycle(r) = out.result else {
        panic!()
    };
    check_sums(&r.states);
    assert_eq!(r.buckets, ["2024-03-02", "2024-03-03"]);
    assert_eq!(r.created_at.as_deref(), Some("signed_up"));
    // 03-02: G new (fallback: first event 03-02), I resurrecting (created 03-03)
    // 03-03: E resurrecting (created before its first event), G returning, H new
    //        (fallback), I new (its creation day wins over returning), F new (naive
    //        02:00 in UTC)
    assert_eq!(rows(&r.states), [(1, 0, 1, 0), (3, 1, 1, 0)]);
    // G (unreadable) and H (missing) fell back
    assert_eq!(out.warnings.len(), 1);
    let w = &out.warnings[0];
    assert_eq!(
        (w.code.as_str(), w.field.as_str(), w.value.as_str()),
        ("created_at_fallback", "created_at", "2")
    );
    assert_eq!(w.hint.as_deref(), Some("garbage"));
    assert!(w.message.contains("2 of 5 users"), "{}", w.message);

    // at -05:00: I's creation (03-03 00:00 UTC) is 03-02 19:00 local, F's naive
    // "2024-03-03 02:00:00" is 03-03 02:00 local, and F's open 03-03 01:00 local.
    // 03-02 (local): G new, I new. 03-03: H, F new; G, I returning; E resurrecting
    let r = run(&s, r#""created_at":"signed_up","timezone":"-05:00""#);
    assert_eq!(rows(&r.states), [(2, 0, 0, 0), (2, 2, 1, 0)]);

    // without created_at every user is created by their first event:
    // 03-02: G, I new. 03-03: E, H, F new; G, I returning
    let r = run(&s, "");
    assert_eq!(rows(&r.states), [(2, 0, 0, 0), (3, 2, 0, 0)]);
    assert!(try_output(&s, r#"{"analysis":"lifecycle"}"#)
        .unwrap()
        .warnings
        .is_empty());
}

#[test]
fn a_column_named_created_at_next_to_a_timestamp_is_a_property() {
    // the importer takes "timestamp" as the time column; created_at stays a property
    // holding epoch milliseconds (a number column): U created 03-01, active 03-02
    let s = store(&csv(
        "user_id,event,timestamp,created_at",
        &[
            "U,open,2024-03-02T10:00:00Z,1709251200000",
            "V,open,2024-03-02T11:00:00Z,1709337600000",
        ],
    ));
    // 1709251200000 ms = 03-01 00:00 UTC; 1709337600000 ms = 03-02 00:00 UTC
    // 03-02: U resurrecting, V new
    let r = run(&s, r#""created_at":"created_at""#);
    assert_eq!(rows(&r.states), [(1, 0, 1, 0)]);
}

#[test]
fn csv_table() {
    let r = run(&fixture(), "");
    let t = lifecycle::table(&r);
    assert_eq!(
        t[0],
        [
            "interval",
            "new",
            "returning",
            "resurrecting",
            "dormant",
            "active",
            "pulse"
        ]
    );
    assert_eq!(t[1], ["2024-03-01", "2", "0", "0", "0", "2", ""]);
    assert_eq!(t[2], ["2024-03-02", "1", "1", "0", "-1", "2", "1"]);
    assert_eq!(t.len(), 6);
    let r = run(&plan_fixture(), r#""breakdown":"plan""#);
    let t = lifecycle::table(&r);
    assert_eq!(t[0][0], "breakdown");
    assert_eq!(t[1], ["free", "2024-03-01", "1", "0", "0", "0", "1", ""]);
    assert_eq!(t.len(), 1 + 2 * 3);
}

#[test]
fn bad_specs_name_the_field() {
    let s = plan_fixture();
    let (f, m) = spec_error(&s, r#"{"analysis":"lifecycle","event":"opn"}"#);
    assert_eq!(f, "event");
    assert!(m.contains("did you mean \"open\""), "{m}");
    let (f, m) = spec_error(&s, r#"{"analysis":"lifecycle","created_at":"plam"}"#);
    assert_eq!(f, "created_at");
    assert!(m.contains("did you mean \"plan\""), "{m}");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"lifecycle","event_filters":[{"property":"plam","op":"eq","value":"x"}]}"#,
    );
    assert_eq!(f, "event_filters[0].property");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"lifecycle","date_range":{"from":"2030-01-01"}}"#,
    );
    assert_eq!(f, "date_range");
    let e = try_run(&s, r#"{"analysis":"lifecycle","intervl":"day"}"#).unwrap_err();
    assert!(e.to_string().contains("intervl"), "{e}");
}

#[test]
fn the_created_at_property_is_recognised_by_its_name() {
    use lifecycle::suggest_created_at;
    assert_eq!(
        suggest_created_at(&["plan", "created_at"]),
        Some("created_at")
    );
    assert_eq!(
        suggest_created_at(&["$created_at", "plan"]),
        Some("$created_at")
    );
    assert_eq!(
        suggest_created_at(&["User Created At"]),
        Some("User Created At")
    );
    assert_eq!(
        suggest_created_at(&["first_seen", "signup_time"]),
        Some("first_seen")
    );
    assert_eq!(suggest_created_at(&["注册时间"]), Some("注册时间"));
    // created_at is preferred to a weaker name wherever it stands
    assert_eq!(
        suggest_created_at(&["signup_time", "created_at"]),
        Some("created_at")
    );
    assert_eq!(
        suggest_created_at(&["platform", "country", "created"]),
        None
    );
    assert_eq!(suggest_created_at(&[]), None);
}

#[test]
fn an_hour_that_comes_back_is_one_interval() {
    // Antarctica/Troll leaves +02:00 for +00:00 on 2024-10-27 at 01:00 UTC: 23:30 UTC is
    // 01:30 local, 00:30 UTC is 02:30, 01:30 UTC is 01:30 again. x is active in local hours
    // 01 (new: first event) and 02 (returning); the second visit to hour 01 changes nothing.
    let s = store(&csv(
        "user_id,event,timestamp",
        &[
            "x,open,2024-10-26T23:30:00Z",
            "x,open,2024-10-27T00:30:00Z",
            "x,open,2024-10-27T01:30:00Z",
        ],
    ));
    let r = run(&s, r#""timezone":"Antarctica/Troll","interval":"hour""#);
    assert_eq!(r.buckets, ["2024-10-27 01:00", "2024-10-27 02:00"]);
    assert_eq!(rows(&r.states), [(1, 0, 0, 0), (0, 1, 0, 0)]);
}
