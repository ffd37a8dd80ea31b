//! Retention fixtures worked out by hand (definition: `src/engine/analysis/retention.rs`).

use super::common::{approx, retention, spec_error, store, try_run};
use loupe::engine::analysis::retention::RetentionResult;
use loupe::engine::Error;

const HEADER: &str = "user_id,event,timestamp\n";

fn csv(rows: &[&str]) -> String {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn spec(extra: &str) -> String {
    if extra.is_empty() {
        r#"{"analysis":"retention"}"#.to_string()
    } else {
        format!(r#"{{"analysis":"retention",{extra}}}"#)
    }
}

fn labels(r: &RetentionResult) -> Vec<&str> {
    r.cohorts.iter().map(|c| c.label.as_str()).collect()
}

/// The day fixture. Per user (UTC):
/// - u1: signup 03-01 10:00, open 03-01 12:00, open 03-02 09:00, open 03-04 09:00
/// - u2: signup 03-01 15:00, open 03-01 16:00, open 03-03 10:00
/// - u3: open 03-01 08:00 (before its signup), signup 03-02 11:00, open 03-02 11:00 (same
///   time as the signup, later in the file), open 03-03 20:00
/// - u4: signup 03-02 09:00, nothing else
/// - u5: open 03-05 01:00 only (the last event of the data)
/// - u6: signup 03-02 10:00, open 03-04 12:00
fn day_fixture() -> String {
    csv(&[
        "u3,open,2024-03-01T08:00:00Z",
        "u1,signup,2024-03-01T10:00:00Z",
        "u1,open,2024-03-01T12:00:00Z",
        "u2,signup,2024-03-01T15:00:00Z",
        "u2,open,2024-03-01T16:00:00Z",
        "u1,open,2024-03-02T09:00:00Z",
        "u4,signup,2024-03-02T09:00:00Z",
        "u6,signup,2024-03-02T10:00:00Z",
        "u3,signup,2024-03-02T11:00:00Z",
        "u3,open,2024-03-02T11:00:00Z",
        "u2,open,2024-03-03T10:00:00Z",
        "u3,open,2024-03-03T20:00:00Z",
        "u1,open,2024-03-04T09:00:00Z",
        "u6,open,2024-03-04T12:00:00Z",
        "u5,open,2024-03-05T01:00:00Z",
    ])
}

#[test]
fn day_cohorts_by_first_start_event_with_a_different_return_event() {
    let s = store(&day_fixture());
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"open","periods":3"#),
    );
    // Cohort 03-01 = {u1, u2}; cohort 03-02 = {u3, u4, u6} (u3's first signup is on 03-02;
    // its earlier open does not matter). u5 never signed up: in no cohort.
    assert_eq!(labels(&r), ["2024-03-01", "2024-03-02"]);
    assert_eq!(r.users, 5);
    assert_eq!(r.periods, 3);
    assert_eq!(r.data_end, "2024-03-05T01:00:00.000Z");
    let (c1, c2) = (&r.cohorts[0], &r.cohorts[1]);
    assert_eq!((c1.size, c2.size), (2, 3));
    // 03-01: p0 u1 (12:00) and u2 (16:00); p1 u1 (03-02); p2 u2 (03-03); p3 u1 (03-04)
    assert_eq!(c1.retained, [2, 1, 1, 1]);
    assert_eq!(c1.rates, [1.0, 0.5, 0.5, 0.5]);
    // every period of 03-01 ended by 03-05 00:00 ≤ data end 03-05 01:00
    assert_eq!(c1.complete, [true, true, true, true]);
    // 03-02: p0 u3 (open at the signup's timestamp, after it in the file); p1 u3 (03-03);
    // p2 u6 (03-04); p3 = 03-05 nobody, and that day has not ended at the data end.
    assert_eq!(c2.retained, [1, 1, 1, 0]);
    assert_eq!(c2.complete, [true, true, true, false]);
    approx(c2.rates[0], 1.0 / 3.0);
    // Averages over complete cells only.
    // p0: weighted (2+1)/(2+3) = 0.6, simple (1 + 1/3)/2 = 2/3
    // p1, p2: weighted 2/5 = 0.4, simple (0.5 + 1/3)/2 = 5/12
    // p3: only 03-01 is complete: 1/2 both ways
    let avg = &r.average;
    assert_eq!(avg.len(), 4);
    assert_eq!(
        avg.iter().map(|a| a.period).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(
        avg.iter().map(|a| a.cohorts).collect::<Vec<_>>(),
        [2, 2, 2, 1]
    );
    approx(avg[0].weighted.unwrap(), 0.6);
    approx(avg[0].simple.unwrap(), 2.0 / 3.0);
    for a in &avg[1..3] {
        approx(a.weighted.unwrap(), 0.4);
        approx(a.simple.unwrap(), 5.0 / 12.0);
    }
    approx(avg[3].weighted.unwrap(), 0.5);
    approx(avg[3].simple.unwrap(), 0.5);
}

#[test]
fn on_or_after_counts_any_later_return() {
    let s = store(&day_fixture());
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"open","periods":3,"mode":"on_or_after""#),
    );
    // Returns per user: u1 {0,1,3}, u2 {0,2}, u3 {0,1}, u4 {}, u6 {2}.
    // On or after N: u1 {0,1,2,3}, u2 {0,1,2}, u3 {0,1}, u6 {0,1,2}.
    assert_eq!(r.cohorts[0].retained, [2, 2, 2, 1]);
    assert_eq!(r.cohorts[1].retained, [2, 2, 1, 0]);
    assert_eq!(r.cohorts[1].complete, [true, true, true, false]);
    // p1 weighted (2+2)/5 = 0.8, simple (1 + 2/3)/2 = 5/6
    approx(r.average[1].weighted.unwrap(), 0.8);
    approx(r.average[1].simple.unwrap(), 5.0 / 6.0);
}

#[test]
fn any_event_cohorts_and_cells_beyond_the_data_end() {
    let s = store(&day_fixture());
    let r = retention(&s, &spec(r#""periods":3"#));
    // First event of any kind: u1, u2, u3 → 03-01; u4, u6 → 03-02; u5 → 03-05.
    assert_eq!(labels(&r), ["2024-03-01", "2024-03-02", "2024-03-05"]);
    assert_eq!(r.users, 6);
    let c = &r.cohorts;
    // 03-01: p0 all 3 (the first event itself counts); p1 u1, u3; p2 u2, u3; p3 u1
    assert_eq!((c[0].size, c[0].retained.clone()), (3, vec![3, 2, 2, 1]));
    assert_eq!(c[0].complete, [true; 4]);
    // 03-02: p0 u4, u6; p1 —; p2 u6 (03-04); p3 (03-05) not over yet
    assert_eq!((c[1].size, c[1].retained.clone()), (2, vec![2, 0, 1, 0]));
    assert_eq!(c[1].complete, [true, true, true, false]);
    // 03-05: the data ends inside period 0; later cells do not exist
    assert_eq!((c[2].size, c[2].retained.clone()), (1, vec![1]));
    assert_eq!(c[2].complete, [false]);
    assert_eq!(c[2].rates, [1.0]);
    // p0 averages over the two complete cells: weighted 5/5 = 1
    assert_eq!(r.average[0].cohorts, 2);
    approx(r.average[0].weighted.unwrap(), 1.0);
    // p1: weighted (2+0)/(3+2) = 0.4, simple (2/3 + 0)/2 = 1/3
    approx(r.average[1].weighted.unwrap(), 0.4);
    approx(r.average[1].simple.unwrap(), 1.0 / 3.0);
    // p3: only 03-01: 1/3
    assert_eq!(r.average[3].cohorts, 1);
    approx(r.average[3].weighted.unwrap(), 1.0 / 3.0);
    // The default day table has 30 periods; averages exist for every column, empty
    // (None, 0 cohorts) where no cell is complete.
    let r = retention(&s, &spec(""));
    assert_eq!(r.periods, 30);
    assert_eq!(r.average.len(), 31);
    assert_eq!(r.cohorts[0].retained.len(), 5); // 03-01 .. 03-05
    assert_eq!(r.average[10].weighted, None);
    assert_eq!(r.average[10].simple, None);
    assert_eq!(r.average[10].cohorts, 0);
}

#[test]
fn return_event_equal_to_start_event_counts_the_start_itself_in_period_zero() {
    let s = store(&day_fixture());
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"signup","periods":1"#),
    );
    // Every user's first signup is at or after itself: period 0 is 100 %.
    assert_eq!(r.cohorts[0].retained, [2, 0]);
    assert_eq!(r.cohorts[1].retained, [3, 0]);
}

#[test]
fn period_zero_excludes_returns_before_the_start_event() {
    let s = store(&csv(&[
        "u1,open,2024-03-01T08:00:00Z",
        "u1,signup,2024-03-01T09:00:00Z",
        "u2,open,2024-03-01T09:00:00Z", // same time as u2's signup, earlier in the file
        "u2,signup,2024-03-01T09:00:00Z",
        "u3,signup,2024-03-01T09:00:00Z",
        "u3,open,2024-03-01T09:00:00Z", // same time, later in the file
        "u4,open,2024-03-02T09:00:00Z",
    ]));
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"open","periods":1"#),
    );
    // u1's open is an hour before signup, u2's is before it in source order: only u3.
    assert_eq!(labels(&r), ["2024-03-01"]);
    assert_eq!(r.cohorts[0].size, 3);
    assert_eq!(r.cohorts[0].retained, [1, 0]);
    // period 0 (03-01) ended before the data end 03-02 09:00; period 1 has not
    assert_eq!(r.cohorts[0].complete, [true, false]);
}

#[test]
fn week_periods_start_on_monday() {
    let s = store(&csv(&[
        "u1,e,2024-03-06T12:00:00Z", // Wed, week of Mon 03-04
        "u1,e,2024-03-10T12:00:00Z", // Sun, same week
        "u1,e,2024-03-11T12:00:00Z", // Mon, next week
        "u2,e,2024-03-10T23:00:00Z", // Sun
        "u2,e,2024-03-11T01:00:00Z", // Mon: two hours later but the next week
        "u3,e,2024-03-11T00:00:00Z", // Mon 00:00: week of 03-11
        "u3,e,2024-03-24T23:59:00Z", // Sun: week of 03-18, the data end
    ]));
    let r = retention(&s, &spec(r#""period":"week","periods":2"#));
    assert_eq!(labels(&r), ["2024-03-04", "2024-03-11"]);
    let c = &r.cohorts;
    // 03-04 = {u1, u2}: both active in week 0 and week 1; week 2 (03-18) nobody.
    assert_eq!(c[0].retained, [2, 2, 0]);
    // weeks end 03-11, 03-18, 03-25 00:00; the data ends 03-24 23:59
    assert_eq!(c[0].complete, [true, true, false]);
    // 03-11 = {u3}: week 1 (03-18..03-24) yes
    assert_eq!(c[1].retained, [1, 1]);
    assert_eq!(c[1].complete, [true, false]);
    // With Sunday weeks u1's Wed and Sun fall in different weeks (03-03, 03-10).
    let r = retention(
        &s,
        &spec(r#""period":"week","periods":2,"week_start":"sunday""#),
    );
    // u1: 03-06 → week 03-03; 03-10, 03-11 → week 03-10. u2: 03-10, 03-11 → week 03-10.
    // u3: 03-11 → week 03-10; 03-24 (Sun) → week 03-24.
    assert_eq!(labels(&r), ["2024-03-03", "2024-03-10"]);
    assert_eq!(r.cohorts[0].retained, [1, 1, 0]);
    // week 03-10 = {u2, u3}: p0 both; p1 (03-17) nobody; p2 (03-24) u3, incomplete
    assert_eq!(r.cohorts[1].retained, [2, 0, 1]);
    assert_eq!(r.cohorts[1].complete, [true, true, false]);
}

#[test]
fn month_periods_are_calendar_months() {
    let s = store(&csv(&[
        "u1,e,2024-01-31T23:00:00Z",
        "u1,e,2024-02-01T00:00:00Z", // one hour later: month 1
        "u1,e,2024-03-15T00:00:00Z", // month 2
        "u2,e,2024-02-29T10:00:00Z", // leap day
        "u2,e,2024-03-01T10:00:00Z", // next month
    ]));
    let r = retention(&s, &spec(r#""period":"month","periods":2"#));
    assert_eq!(labels(&r), ["2024-01", "2024-02"]);
    assert_eq!(r.period, loupe::engine::time::Granularity::Month);
    assert_eq!(r.cohorts[0].retained, [1, 1, 1]);
    // January and February ended before 03-15; March has not
    assert_eq!(r.cohorts[0].complete, [true, true, false]);
    assert_eq!(r.cohorts[1].retained, [1, 1]);
    assert_eq!(r.cohorts[1].complete, [true, false]);
    // the default month table has 12 periods
    assert_eq!(retention(&s, &spec(r#""period":"month""#)).periods, 12);
}

#[test]
fn time_zone_moves_events_across_day_boundaries() {
    let s = store(&csv(&[
        "u1,e,2024-03-01T15:00:00Z", // 23:00 at +08:00
        "u1,e,2024-03-01T17:00:00Z", // 01:00 on 03-02 at +08:00
        "u2,e,2024-03-03T00:00:00Z", // 08:00 on 03-03 at +08:00
    ]));
    // UTC: u1's events are on one day.
    let r = retention(&s, &spec(r#""periods":1"#));
    assert_eq!(labels(&r), ["2024-03-01", "2024-03-03"]);
    assert_eq!(r.cohorts[0].retained, [1, 0]);
    assert_eq!(r.cohorts[0].complete, [true, true]);
    // +08:00: u1 returns on the next local day.
    let r = retention(&s, &spec(r#""periods":1,"timezone":"+08:00""#));
    assert_eq!(labels(&r), ["2024-03-01", "2024-03-03"]);
    assert_eq!(r.cohorts[0].retained, [1, 1]);
    // local 03-03 00:00 = 03-02 16:00 UTC ≤ data end
    assert_eq!(r.cohorts[0].complete, [true, true]);
    assert_eq!(r.data_end, "2024-03-03T00:00:00.000Z");
    // -10:00: u1's 15:00 UTC is 05:00 on 03-01, 17:00 UTC is 07:00: still one day;
    // u2's 00:00 UTC is 14:00 on 03-02.
    let r = retention(&s, &spec(r#""periods":1,"timezone":"-10:00""#));
    assert_eq!(labels(&r), ["2024-03-01", "2024-03-02"]);
    assert_eq!(r.cohorts[0].retained, [1, 0]);
}

#[test]
fn invalid_retention_specs() {
    let s = store(&day_fixture());
    let (field, _) = spec_error(&s, &spec(r#""periods":0"#));
    assert_eq!(field, "periods");
    let (field, _) = spec_error(&s, &spec(r#""periods":401"#));
    assert_eq!(field, "periods");
    assert_eq!(retention(&s, &spec(r#""periods":400"#)).periods, 400);
    let (field, msg) = spec_error(&s, &spec(r#""start_event":"sigup""#));
    assert_eq!(field, "start_event");
    assert!(msg.contains("did you mean \"signup\""), "{msg}");
    let (field, _) = spec_error(&s, &spec(r#""return_event":"nope""#));
    assert_eq!(field, "return_event");
    // a well-formed zone name that the tz database does not know fails when it is looked up
    let (field, msg) = spec_error(&s, &spec(r#""timezone":"Mars/Base""#));
    assert_eq!(field, "timezone");
    assert!(msg.contains("unknown time zone \"Mars/Base\""), "{msg}");
    for bad in [
        r#""mode":"always""#,
        r#""timezone":"Mars Base""#,
        r#""period":"year""#,
        r#""cohort":"x""#,
    ] {
        assert!(
            matches!(try_run(&s, &spec(bad)), Err(Error::SpecJson(_))),
            "{bad}"
        );
    }
}

/// "On or after" is unbounded: a user who came back on day 4 came back "on day 1 or
/// later" and "on day 2 or later", whatever the number of columns shown.
#[test]
fn on_or_after_counts_returns_beyond_the_displayed_periods() {
    let s = store(&csv(&[
        "u1,e,2024-03-01T10:00:00Z",
        "u1,e,2024-03-05T10:00:00Z",
    ]));
    // the only return is in period 4: on or after 1 and 2 are both 100 %
    let r = retention(&s, &spec(r#""periods":2,"mode":"on_or_after""#));
    assert_eq!(r.cohorts[0].retained, [1, 1, 1]);
    // the same cells must not change when more periods are shown
    let wide = retention(&s, &spec(r#""periods":10,"mode":"on_or_after""#));
    assert_eq!(wide.cohorts[0].retained, [1, 1, 1, 1, 1]);
    assert_eq!(wide.cohorts[0].retained[..3], r.cohorts[0].retained[..]);
}
