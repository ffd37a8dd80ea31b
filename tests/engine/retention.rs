//! Retention fixtures worked out by hand (definition: `src/engine/analysis/retention.rs`).

use super::common::{approx, approx_all, retention, spec_error, store, try_run};
use loupe::engine::analysis::retention::{
    self, AverageCells, Cohort, RetentionBreakdown, RetentionResult, RetentionSpec,
};
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

// ---------------------------------------------------------------------------------------
// Cohort kinds, windows, occurrences, brackets, averages, breakdowns

/// (label, size, retained, complete) of a cohort row.
type RowView<'a> = (&'a str, u64, Vec<u64>, Vec<bool>);

/// Every cohort row as a [`RowView`].
fn rows(cohorts: &[Cohort]) -> Vec<RowView<'_>> {
    cohorts
        .iter()
        .map(|c| {
            (
                c.label.as_str(),
                c.size,
                c.retained.clone(),
                c.complete.clone(),
            )
        })
        .collect()
}

/// The recurring fixture (start `visit`, return `buy`), data end 03-04 10:00:
/// - u1: visit 03-01 10:00, buy 03-01 11:00, visit 03-02 09:00, buy 03-03 10:00
/// - u2: buy 03-01 08:00, visit 03-01 12:00, buy 03-02 14:00, visit 03-02 15:00,
///   visit 03-03 10:00, buy 03-03 10:00 (same instant, later in the file)
/// - u3: visit 03-02 10:00, buy 03-04 10:00
fn recurring_fixture() -> String {
    csv(&[
        "u2,buy,2024-03-01T08:00:00Z",
        "u1,visit,2024-03-01T10:00:00Z",
        "u1,buy,2024-03-01T11:00:00Z",
        "u2,visit,2024-03-01T12:00:00Z",
        "u1,visit,2024-03-02T09:00:00Z",
        "u3,visit,2024-03-02T10:00:00Z",
        "u2,buy,2024-03-02T14:00:00Z",
        "u2,visit,2024-03-02T15:00:00Z",
        "u1,buy,2024-03-03T10:00:00Z",
        "u2,visit,2024-03-03T10:00:00Z",
        "u2,buy,2024-03-03T10:00:00Z",
        "u3,buy,2024-03-04T10:00:00Z",
    ])
}

const VISIT_BUY: &str = r#""start_event":"visit","return_event":"buy","periods":2"#;

#[test]
fn recurring_cohorts_put_a_user_in_every_period_with_a_start_event() {
    let s = store(&recurring_fixture());
    let r = retention(&s, &spec(&format!(r#"{VISIT_BUY},"cohort":"recurring""#)));
    // Memberships (cohort: start; returns by period):
    // u1 03-01 (10:00): p0 buy 11:00 yes; p1 03-02 no; p2 03-03 yes
    // u1 03-02 (09:00): p0 no; p1 03-03 yes; p2 03-04 no
    // u2 03-01 (12:00): p0 buy 08:00 is before the start: no; p1 03-02 14:00 yes; p2 yes
    // u2 03-02 (15:00): p0 buy 14:00 is before the start: no; p1 03-03 yes; p2 no
    // u2 03-03 (10:00): p0 buy at the same instant, later in the file: yes; p1 03-04 no
    // u3 03-02 (10:00): p0 no; p1 no; p2 03-04 yes
    // Data end 03-04 10:00: cells of 03-05 do not exist; a period is complete when it
    // ended by then (03-02's p2 = 03-04 has not; 03-03's p1 = 03-04 has not).
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 2, vec![1, 1, 2], vec![true, true, true]),
            ("2024-03-02", 3, vec![0, 2, 1], vec![true, true, false]),
            ("2024-03-03", 1, vec![1, 0], vec![true, false]),
        ]
    );
    // three distinct users, though the cohort sizes add up to 6
    assert_eq!(r.users, 3);
    assert_eq!(r.average_cells, AverageCells::Complete);
    // complete cells: p0 over 03-01 (1/2), 03-02 (0/3), 03-03 (1/1): weighted 2/6,
    // simple (1/2 + 0 + 1)/3 = 1/2; p1 over 03-01 (1/2), 03-02 (2/3): weighted 3/5,
    // simple (1/2 + 2/3)/2 = 7/12; p2 over 03-01 only: 2/2.
    let a = &r.average;
    assert_eq!(a.iter().map(|c| c.cohorts).collect::<Vec<_>>(), [3, 2, 1]);
    approx(a[0].weighted.unwrap(), 2.0 / 6.0);
    approx(a[0].simple.unwrap(), 0.5);
    approx(a[1].weighted.unwrap(), 3.0 / 5.0);
    approx(a[1].simple.unwrap(), 7.0 / 12.0);
    approx(a[2].weighted.unwrap(), 1.0);
    approx(a[2].simple.unwrap(), 1.0);

    // first-time on the same data: u1 and u2 only in 03-01 (first visits), u3 in 03-02
    // u1: p0 yes, p1 no, p2 yes; u2: p0 no, p1 yes, p2 yes; u3: p2 yes
    let r = retention(&s, &spec(VISIT_BUY));
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 2, vec![1, 1, 2], vec![true, true, true]),
            ("2024-03-02", 1, vec![0, 0, 1], vec![true, true, false]),
        ]
    );
    assert_eq!(r.users, 3);
}

#[test]
fn average_cells_all_includes_incomplete_cells() {
    let s = store(&recurring_fixture());
    let r = retention(
        &s,
        &spec(&format!(
            r#"{VISIT_BUY},"cohort":"recurring","average_cells":"all""#
        )),
    );
    assert_eq!(r.average_cells, AverageCells::All);
    // the cells are those of the recurring test above; every existing cell counts now:
    // p0: 03-01 1/2, 03-02 0/3, 03-03 1/1 (all complete anyway): 2/6, simple 1/2
    // p1: + 03-03's incomplete 0/1: weighted (1+2+0)/(2+3+1) = 1/2,
    //     simple (1/2 + 2/3 + 0)/3 = 7/18
    // p2: + 03-02's incomplete 1/3: weighted (2+1)/(2+3) = 3/5, simple (1 + 1/3)/2 = 2/3
    let a = &r.average;
    assert_eq!(a.iter().map(|c| c.cohorts).collect::<Vec<_>>(), [3, 3, 2]);
    approx(a[0].weighted.unwrap(), 2.0 / 6.0);
    approx(a[0].simple.unwrap(), 0.5);
    approx(a[1].weighted.unwrap(), 0.5);
    approx(a[1].simple.unwrap(), 7.0 / 18.0);
    approx(a[2].weighted.unwrap(), 3.0 / 5.0);
    approx(a[2].simple.unwrap(), 2.0 / 3.0);
    // the result states the rule in its JSON
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["average_cells"], "all");
}

#[test]
fn a_date_range_cuts_cohorts_but_not_returns() {
    let s = store(&recurring_fixture());
    let range = r#""date_range":{"from":"2024-03-02","to":"2024-03-03"}"#;
    // Recurring: only start events on 03-02 and 03-03 make memberships (the 03-01 rows
    // of the recurring test disappear); returns after the range (u3's buy on 03-04) count,
    // and cells exist up to the data end (03-04 10:00), not the range end.
    let r = retention(
        &s,
        &spec(&format!(r#"{VISIT_BUY},"cohort":"recurring",{range}"#)),
    );
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-02", 3, vec![0, 2, 1], vec![true, true, false]),
            ("2024-03-03", 1, vec![1, 0], vec![true, false]),
        ]
    );
    assert_eq!(r.users, 3);
    // First time: u1's and u2's first visits (03-01) lie before the range, so they are
    // in no cohort; u3's first visit (03-02) is in it: p2 = 03-04 buy.
    let r = retention(&s, &spec(&format!(r#"{VISIT_BUY},{range}"#)));
    assert_eq!(
        rows(&r.cohorts),
        [("2024-03-02", 1, vec![0, 0, 1], vec![true, true, false])]
    );
    assert_eq!(r.users, 1);
}

/// Signups with a plan, opens, data end 03-04 00:00:
/// - u1: signup free 03-01 10:00, signup pro 03-02 10:00, open 03-03 10:00
/// - u2: signup pro 03-01 12:00, open 03-02 12:00
/// - u3: signup free 03-02 09:00, signup pro 03-02 11:00, open 03-02 12:00
/// - u4: open 03-04 00:00
fn plan_fixture() -> String {
    [
        "user_id,event,timestamp,plan",
        "u1,signup,2024-03-01T10:00:00Z,free",
        "u2,signup,2024-03-01T12:00:00Z,pro",
        "u3,signup,2024-03-02T09:00:00Z,free",
        "u1,signup,2024-03-02T10:00:00Z,pro",
        "u3,signup,2024-03-02T11:00:00Z,pro",
        "u2,open,2024-03-02T12:00:00Z,",
        "u3,open,2024-03-02T12:00:00Z,",
        "u1,open,2024-03-03T10:00:00Z,",
        "u4,open,2024-03-04T00:00:00Z,",
    ]
    .join("\n")
}

#[test]
fn first_ever_differs_from_first_matching_the_start_filters() {
    let s = store(&plan_fixture());
    let base = r#""start_event":"signup","return_event":"open","periods":2,"start_filters":[{"property":"plan","op":"eq","value":"pro"}]"#;
    // First time = first signup with plan pro: u1 03-02 10:00, u2 03-01 12:00, u3 03-02 11:00.
    // 03-01 {u2}: p0 none on 03-01; p1 open 03-02; p2 none.
    // 03-02 {u1, u3}: p0 u3 (open 12:00 after 11:00); p1 (03-03) u1; p2 (03-04) nobody,
    // a day that began at the data end (03-04 00:00) and has not ended.
    let r = retention(&s, &spec(base));
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 1, vec![0, 1, 0], vec![true, true, true]),
            ("2024-03-02", 2, vec![1, 1, 0], vec![true, true, false]),
        ]
    );
    // First ever = each user's first signup whatever its plan, then it must be pro:
    // u1's and u3's first signups are free, so only u2 is in the table.
    let r = retention(&s, &spec(&format!(r#"{base},"cohort":"first_ever""#)));
    assert_eq!(
        rows(&r.cohorts),
        [("2024-03-01", 1, vec![0, 1, 0], vec![true, true, true])]
    );
    assert_eq!(r.users, 1);
    // The shared filters do not decide "first" either: with a shared filter plan = pro
    // instead of the start filter, u1's and u3's first-ever signups (free) fail it (and
    // so do every open, which has no plan: no returns at all).
    let r = retention(
        &s,
        &spec(
            r#""start_event":"signup","return_event":"signup","periods":1,"cohort":"first_ever","filters":[{"property":"plan","op":"eq","value":"pro"}]"#,
        ),
    );
    // u2: signup pro 03-01 is a return at period 0 (the start itself)
    assert_eq!(
        rows(&r.cohorts),
        [("2024-03-01", 1, vec![1, 0], vec![true, true])]
    );
    // ... whereas first-time takes the first signup that passes it: u1 03-02 10:00,
    // u2 03-01 12:00, u3 03-02 11:00, each a return at period 0 through itself.
    let r = retention(
        &s,
        &spec(
            r#""start_event":"signup","return_event":"signup","periods":1,"filters":[{"property":"plan","op":"eq","value":"pro"}]"#,
        ),
    );
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 1, vec![1, 0], vec![true, true]),
            ("2024-03-02", 2, vec![2, 0], vec![true, true]),
        ]
    );
}

/// Any-event fixture for occurrences, data end 03-04 12:00:
/// - u1: 03-01 10:00, 03-01 11:00, 03-02 10:00, 03-03 09:00, 03-03 10:00
/// - u2: 03-01 09:00, 03-02 09:00, 03-02 10:00, 03-02 11:00
/// - u3: 03-04 12:00
fn occurrence_fixture() -> String {
    csv(&[
        "u2,e,2024-03-01T09:00:00Z",
        "u1,e,2024-03-01T10:00:00Z",
        "u1,e,2024-03-01T11:00:00Z",
        "u2,e,2024-03-02T09:00:00Z",
        "u1,e,2024-03-02T10:00:00Z",
        "u2,e,2024-03-02T10:00:00Z",
        "u2,e,2024-03-02T11:00:00Z",
        "u1,e,2024-03-03T09:00:00Z",
        "u1,e,2024-03-03T10:00:00Z",
        "u3,e,2024-03-04T12:00:00Z",
    ])
}

#[test]
fn min_occurrences_needs_k_return_events_in_the_period() {
    let s = store(&occurrence_fixture());
    // Events per period (the start event counts, it is also a return event):
    // u1: p0 2, p1 1, p2 2;  u2: p0 1, p1 3, p2 0;  u3 (cohort 03-04): p0 1.
    let r = retention(&s, &spec(r#""periods":2"#));
    assert_eq!(r.cohorts[0].retained, [2, 2, 1]);
    // K = 2: p0 u1; p1 u2; p2 u1. u3 has one event: 0.
    let r = retention(&s, &spec(r#""periods":2,"min_occurrences":2"#));
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 2, vec![1, 1, 1], vec![true, true, true]),
            ("2024-03-04", 1, vec![0], vec![false]),
        ]
    );
    // K = 3: only u2's p1
    let r = retention(&s, &spec(r#""periods":2,"min_occurrences":3"#));
    assert_eq!(r.cohorts[0].retained, [0, 1, 0]);
    // on or after with K = 3: u2 qualifies in period 1, so also "on or after 0"
    let r = retention(
        &s,
        &spec(r#""periods":2,"min_occurrences":3,"mode":"on_or_after""#),
    );
    assert_eq!(r.cohorts[0].retained, [1, 1, 0]);
    // on or after with K = 2: u1 qualifies in {0, 2}, u2 in {1}
    // ≥0: both; ≥1: both; ≥2: u1
    let r = retention(
        &s,
        &spec(r#""periods":2,"min_occurrences":2,"mode":"on_or_after""#),
    );
    assert_eq!(r.cohorts[0].retained, [2, 2, 1]);
    // 0 is refused; the default is 1 in JSON and in Rust
    let (field, _) = spec_error(&s, &spec(r#""min_occurrences":0"#));
    assert_eq!(field, "min_occurrences");
    assert_eq!(RetentionSpec::default().min_occurrences, 1);
    let parsed: RetentionSpec = serde_json::from_str("{}").unwrap();
    assert_eq!(parsed, RetentionSpec::default());
}

/// Rolling fixture, data end 03-04 10:00:
/// - u1: 03-01 20:00, 03-02 16:00 (20 h later, next calendar day), 03-03 21:00 (49 h)
/// - u2: 03-01 06:00, 03-02 07:00 (25 h)
/// - u3: 03-04 10:00
fn rolling_fixture() -> String {
    csv(&[
        "u2,e,2024-03-01T06:00:00Z",
        "u1,e,2024-03-01T20:00:00Z",
        "u2,e,2024-03-02T07:00:00Z",
        "u1,e,2024-03-02T16:00:00Z",
        "u1,e,2024-03-03T21:00:00Z",
        "u3,e,2024-03-04T10:00:00Z",
    ])
}

#[test]
fn rolling_windows_count_from_the_start_instant() {
    let s = store(&rolling_fixture());
    // Calendar: u1 returns on 03-02 (D1) and 03-03 (D2); u2 on 03-02 (D1).
    // Periods end 03-02, 03-03, 03-04, 03-05 (the last after the data end).
    let r = retention(&s, &spec(r#""periods":3"#));
    assert_eq!(
        rows(&r.cohorts),
        [
            (
                "2024-03-01",
                2,
                vec![2, 2, 1, 0],
                vec![true, true, true, false]
            ),
            ("2024-03-04", 1, vec![1], vec![false]),
        ]
    );
    // Rolling 24 h: u1's 20 h return is D0, the 49 h one D2; u2's 25 h return is D1.
    // Cells exist while the earliest start (u2, 03-01 06:00) + N days ≤ data end:
    // N = 3 gives 03-04 06:00 ≤ 10:00, so 4 cells. Complete when the latest start
    // (u1, 03-01 20:00) + (N+1) days ≤ data end: N = 0 (03-02 20:00) and N = 1 (03-03
    // 20:00) yes, N = 2 (03-04 20:00) no: u2 alone would be complete at N = 2
    // (03-04 06:00) but u1 is not.
    let r = retention(&s, &spec(r#""periods":3,"windows":"rolling""#));
    assert_eq!(
        rows(&r.cohorts),
        [
            (
                "2024-03-01",
                2,
                vec![2, 1, 1, 0],
                vec![true, true, false, false]
            ),
            ("2024-03-04", 1, vec![1], vec![false]),
        ]
    );
    // the average uses complete cells only: p2 has none
    assert_eq!(r.average[2].cohorts, 0);
    assert_eq!(r.average[2].weighted, None);
    approx(r.average[1].weighted.unwrap(), 0.5);
    // Rolling hours: u2's return 25 h later is period 25, beyond 24 columns; u1's 20 h
    // return is period 20. Cohorts are calendar hours: 03-01 06:00 and 20:00.
    let r = retention(&s, &spec(r#""period":"hour","windows":"rolling""#));
    assert_eq!(r.periods, 24);
    let labels: Vec<&str> = r.cohorts.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        ["2024-03-01 06:00", "2024-03-01 20:00", "2024-03-04 10:00"]
    );
    let hit: Vec<usize> = (0..25).filter(|&n| r.cohorts[1].retained[n] > 0).collect();
    assert_eq!(hit, [0, 20]);
    assert_eq!(r.cohorts[0].retained.iter().sum::<u64>(), 1); // only its own period 0
}

#[test]
fn brackets_group_periods_into_columns() {
    let s = store(&day_fixture());
    // From the first test: cohort 03-01 = {u1, u2}, 03-02 = {u3, u4, u6}; returns by
    // period: u1 {0, 1, 3}, u2 {0, 2}, u3 {0, 1}, u4 {}, u6 {2}. Data end 03-05 01:00.
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"open","brackets":[[1,1],[2,3]]"#),
    );
    assert_eq!(r.columns, ["0", "1", "2–3"]);
    assert_eq!(r.periods, 2);
    // 03-01: col 1 u1; col 2–3 u1 (3) and u2 (2); period 3 (03-04) ended by 03-05 01:00.
    // 03-02: col 1 u3; col 2–3 u6 (2); its period 3 (03-05) has not ended.
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 2, vec![2, 1, 2], vec![true, true, true]),
            ("2024-03-02", 3, vec![1, 1, 1], vec![true, true, false]),
        ]
    );
    assert_eq!(r.average.len(), 3);
    assert_eq!(r.average[2].period, 2);
    approx(r.average[2].weighted.unwrap(), 1.0); // 03-01 only: 2/2
                                                 // A bracket beyond the data: [4, 5] begins 03-05 for 03-01 (exists, nobody) and
                                                 // 03-06 for 03-02 (does not exist).
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"open","brackets":[[1,2],[4,5]]"#),
    );
    assert_eq!(r.columns, ["0", "1–2", "4–5"]);
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 2, vec![2, 2, 0], vec![true, true, false]),
            ("2024-03-02", 3, vec![1, 2,], vec![true, true]),
        ]
    );
    // On or after: returned in period ≥ 2: u1, u2; u6.
    let r = retention(
        &s,
        &spec(
            r#""start_event":"signup","return_event":"open","brackets":[[2,3]],"mode":"on_or_after""#,
        ),
    );
    assert_eq!(r.cohorts[0].retained, [2, 2]);
    assert_eq!(r.cohorts[1].retained, [2, 1]); // period 0 on or after: u3 (0), u6 (2)
                                               // the CSV columns are named after the brackets
    let t = retention::table(&r);
    assert_eq!(
        t[0],
        [
            "cohort",
            "size",
            "users_0",
            "users_2–3",
            "rate_0",
            "rate_2–3",
            "complete_0",
            "complete_2–3"
        ]
    );
    assert_eq!(t[1][..4], ["2024-03-01", "2", "2", "2"]);
    for (bad, field) in [
        ("[[0,2]]", "brackets[0]"),
        ("[[3,2]]", "brackets[0]"),
        ("[[1,401]]", "brackets[0]"),
        ("[[1,3],[3,5]]", "brackets[1]"),
        ("[[4,5],[1,2]]", "brackets[1]"),
    ] {
        let (f, _) = spec_error(&s, &spec(&format!(r#""brackets":{bad}"#)));
        assert_eq!(f, field, "{bad}");
    }
    assert_eq!(
        retention(&s, &spec(r#""brackets":[[1,400]]"#)).columns,
        ["0", "1–400"]
    );
}

#[test]
fn default_table_columns_are_unchanged() {
    let s = store(&day_fixture());
    let r = retention(
        &s,
        &spec(r#""start_event":"signup","return_event":"open","periods":1"#),
    );
    assert_eq!(r.columns, ["0", "1"]);
    assert!(r.breakdowns.is_empty());
    let t = retention::table(&r);
    assert_eq!(
        t[0],
        [
            "cohort",
            "size",
            "users_0",
            "users_1",
            "rate_0",
            "rate_1",
            "complete_0",
            "complete_1"
        ]
    );
    assert_eq!(
        t[1],
        ["2024-03-01", "2", "2", "1", "1", "0.5", "true", "true"]
    );
    assert_eq!(t.len(), 3);
}

/// Visits and buys with a platform, data end 03-04 00:00 (u9's ping):
/// - u1: visit web 03-01 10:00, buy ios 03-01 11:00, buy web 03-02 10:00
/// - u2: visit ios 03-01 09:00, buy ios 03-01 09:30, visit web 03-02 08:00,
///   buy web 03-03 08:00
/// - u3: visit web 03-02 12:00, buy ios 03-03 12:00
/// - u4: visit (none) 03-02 10:00, buy (none) 03-03 10:00
/// - u5: visit ios 03-01 08:00, visit android 03-01 09:00, buy android 03-02 09:00,
///   buy ios 03-03 09:00
fn platform_fixture() -> String {
    [
        "user_id,event,timestamp,platform",
        "u5,visit,2024-03-01T08:00:00Z,ios",
        "u2,visit,2024-03-01T09:00:00Z,ios",
        "u5,visit,2024-03-01T09:00:00Z,android",
        "u2,buy,2024-03-01T09:30:00Z,ios",
        "u1,visit,2024-03-01T10:00:00Z,web",
        "u1,buy,2024-03-01T11:00:00Z,ios",
        "u2,visit,2024-03-02T08:00:00Z,web",
        "u5,buy,2024-03-02T09:00:00Z,android",
        "u1,buy,2024-03-02T10:00:00Z,web",
        "u4,visit,2024-03-02T10:00:00Z,",
        "u3,visit,2024-03-02T12:00:00Z,web",
        "u2,buy,2024-03-03T08:00:00Z,web",
        "u5,buy,2024-03-03T09:00:00Z,ios",
        "u4,buy,2024-03-03T10:00:00Z,",
        "u3,buy,2024-03-03T12:00:00Z,ios",
        "u9,ping,2024-03-04T00:00:00Z,",
    ]
    .join("\n")
}

/// (value, users, rows) of every breakdown table.
fn tables(r: &RetentionResult) -> Vec<(&str, u64, Vec<RowView<'_>>)> {
    r.breakdowns
        .iter()
        .map(|b: &RetentionBreakdown| (b.value.as_str(), b.users, rows(&b.cohorts)))
        .collect()
}

#[test]
fn breakdown_needs_the_same_value_on_start_and_return() {
    let s = store(&platform_fixture());
    let base = r#""start_event":"visit","return_event":"buy","periods":2"#;
    // Per (user, value): the first visit with that value, buys with that value.
    // (u1, web) 03-01: buy web 03-02 → p1 (its ios buy at 11:00 does not count)
    // (u2, ios) 03-01: buy ios 09:30 → p0;  (u2, web) 03-02: buy web 03-03 → p1
    // (u3, web) 03-02: its only buy is ios → nothing
    // (u4, none) 03-02: buy (none) 03-03 → p1
    // (u5, ios) 03-01 08:00: buy ios 03-03 → p2;  (u5, android) 03-01: buy 03-02 → p1
    // Cohort users: web 3 (u1, u2, u3), ios 2 (u2, u5), android 1, (none) 1.
    // Cells: data end 03-04 00:00; 03-02's p2 (03-04) began at the data end but has
    // not ended.
    let r = retention(
        &s,
        &spec(&format!(
            r#"{base},"breakdown":{{"properties":["platform"],"limit":0}}"#
        )),
    );
    assert_eq!(
        tables(&r),
        [
            (
                "web",
                3,
                vec![
                    ("2024-03-01", 1, vec![0, 1, 0], vec![true, true, true]),
                    ("2024-03-02", 2, vec![0, 1, 0], vec![true, true, false]),
                ]
            ),
            (
                "ios",
                2,
                vec![("2024-03-01", 2, vec![1, 0, 1], vec![true, true, true])]
            ),
            (
                "android",
                1,
                vec![("2024-03-01", 1, vec![0, 1, 0], vec![true, true, true])]
            ),
            (
                "(none)",
                1,
                vec![("2024-03-02", 1, vec![0, 1, 0], vec![true, true, false])]
            ),
        ]
    );
    // web's averages: p1 over both cohorts: weighted (1+1)/(1+2) = 2/3, simple
    // (1 + 1/2)/2 = 3/4; p2 over 03-01 only (0/1)
    let web = &r.breakdowns[0];
    approx(web.average[1].weighted.unwrap(), 2.0 / 3.0);
    approx(web.average[1].simple.unwrap(), 0.75);
    assert_eq!(web.average[2].cohorts, 1);
    // The top-level table ignores the breakdown: first visit per user, any buy.
    // u1 03-01: p0 (11:00), p1; u2 03-01: p0, p2; u5 03-01: p1, p2;
    // u3 03-02: p1; u4 03-02: p1.
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-01", 3, vec![2, 2, 2], vec![true, true, true]),
            ("2024-03-02", 2, vec![0, 2, 0], vec![true, true, false]),
        ]
    );
    assert_eq!(r.users, 5);

    // limit 1: web, then (other) = ios + android, then (none). u5 is in 03-01 under both
    // ios and android: counted once, retained where either is: ios {2} ∪ android {1}.
    // (other) 03-01 = {u2 [1,0,0], u5 [0,1,1]} → [1, 1, 1].
    let r = retention(
        &s,
        &spec(&format!(
            r#"{base},"breakdown":{{"properties":["platform"],"limit":1}}"#
        )),
    );
    let labels: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(labels, ["web", "(other)", "(none)"]);
    assert_eq!(
        tables(&r)[1],
        (
            "(other)",
            2,
            vec![("2024-03-01", 2, vec![1, 1, 1], vec![true, true, true])]
        )
    );
    // the CSV has a leading breakdown column and the rows of every value's table
    let t = retention::table(&r);
    assert_eq!(t[0][..3], ["breakdown", "cohort", "size"]);
    assert_eq!(t.len(), 1 + 2 + 1 + 1);
    assert_eq!(t[3][..5], ["(other)", "2024-03-01", "2", "1", "1"]);
}

#[test]
fn breakdown_by_a_user_property_uses_the_users_value() {
    let s = store(&platform_fixture());
    // First non-empty platform per user: u1 web, u2 ios, u3 web, u4 none, u5 ios; every
    // event of a user carries it, so each user's table row is their plain row:
    // u1 03-01 [1,1,0]; u2 03-01 [1,0,1]; u5 03-01 [0,1,1]; u3 03-02 [0,1,0]; u4 03-02 [0,1,0].
    // ios and web have 2 cohort users each: the tie is broken by label.
    let r = retention(
        &s,
        &spec(
            r#""start_event":"visit","return_event":"buy","periods":2,"breakdown":[{"property":"platform","source":"user"}]"#,
        ),
    );
    assert_eq!(
        tables(&r),
        [
            (
                "ios",
                2,
                vec![("2024-03-01", 2, vec![1, 1, 2], vec![true, true, true])]
            ),
            (
                "web",
                2,
                vec![
                    ("2024-03-01", 1, vec![1, 1, 0], vec![true, true, true]),
                    ("2024-03-02", 1, vec![0, 1, 0], vec![true, true, false]),
                ]
            ),
            (
                "(none)",
                1,
                vec![("2024-03-02", 1, vec![0, 1, 0], vec![true, true, false])]
            ),
        ]
    );
}

#[test]
fn recurring_weeks_on_monday_and_sunday() {
    // Sat 03-09, Sun 03-10, Mon 03-11, Sat 03-16, Sun 03-17, Mon 03-25 (data end 10:00)
    let s = store(&csv(&[
        "u1,e,2024-03-09T12:00:00Z",
        "u2,e,2024-03-10T09:00:00Z",
        "u1,e,2024-03-10T12:00:00Z",
        "u1,e,2024-03-11T12:00:00Z",
        "u2,e,2024-03-16T09:00:00Z",
        "u1,e,2024-03-17T12:00:00Z",
        "u3,e,2024-03-25T10:00:00Z",
    ]));
    // Monday weeks 03-04, 03-11, 03-18, 03-25.
    // u1: weeks 03-04 (Sat, Sun) and 03-11 (Mon, Sun): 03-04 → p0, p1; 03-11 → p0.
    // u2: weeks 03-04 (Sun) and 03-11 (Sat): 03-04 → p0, p1; 03-11 → p0.
    // u3: week 03-25. 03-11's p2 is week 03-25: begun, not ended.
    let r = retention(
        &s,
        &spec(r#""period":"week","periods":2,"cohort":"recurring""#),
    );
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-04", 2, vec![2, 2, 0], vec![true, true, true]),
            ("2024-03-11", 2, vec![2, 0, 0], vec![true, true, false]),
            ("2024-03-25", 1, vec![1], vec![false]),
        ]
    );
    // Sunday weeks 03-03, 03-10, 03-17, 03-24.
    // u1: 03-03 (Sat), 03-10 (Sun, Mon), 03-17 (Sun): cohorts 03-03 → p0, p1, p2;
    //     03-10 → p0, p1; 03-17 → p0 (p1 = 03-24 nobody; p2 = 03-31 not begun).
    // u2: 03-10 (Sun, Sat): cohort 03-10 → p0 only.
    // u3: 03-24 (Mon 03-25).
    let r = retention(
        &s,
        &spec(r#""period":"week","periods":2,"cohort":"recurring","week_start":"sunday""#),
    );
    assert_eq!(
        rows(&r.cohorts),
        [
            ("2024-03-03", 1, vec![1, 1, 1], vec![true, true, true]),
            ("2024-03-10", 2, vec![2, 1, 0], vec![true, true, false]),
            ("2024-03-17", 1, vec![1, 0], vec![true, false]),
            ("2024-03-24", 1, vec![1], vec![false]),
        ]
    );
    assert_eq!(r.users, 3);
    // Rolling weeks from each start: u1's cohort 03-10 starts Sun 12:00, so Sat 03-16 is
    // not its week 1 but u1 has Sun 03-17 12:00 = exactly 7 days → W1; u2 (Sun 09:00)
    // returns Sat 03-16 09:00, 6 days later → W0.
    let r = retention(
        &s,
        &spec(
            r#""period":"week","periods":2,"cohort":"recurring","week_start":"sunday","windows":"rolling""#,
        ),
    );
    assert_eq!(r.cohorts[1].label, "2024-03-10");
    assert_eq!(r.cohorts[1].retained, [2, 1, 0]);
    // u1's 03-17 membership (Sun 12:00): W1 ends 03-31 12:00 after the data end
    assert_eq!(r.cohorts[2].complete, [true, false]);
    approx_all(&r.cohorts[1].rates, &[1.0, 0.5, 0.0]);
}

#[test]
fn new_options_round_trip_through_json() {
    let json = r#"{"analysis":"retention","cohort":"recurring","min_occurrences":2,"windows":"rolling","brackets":[[1,3],[4,7]],"average_cells":"all","breakdown":{"properties":["platform"],"limit":3}}"#;
    let q = loupe::engine::analysis::Query::from_json(json).unwrap();
    let back = q.to_json();
    let again = loupe::engine::analysis::Query::from_json(&back).unwrap();
    assert_eq!(q, again);
    for key in [
        "recurring",
        "min_occurrences",
        "rolling",
        "brackets",
        "average_cells",
        "breakdown",
    ] {
        assert!(back.contains(key), "{back}");
    }
    // the default spec writes none of them
    let d = loupe::engine::analysis::Query::from_json(r#"{"analysis":"retention"}"#).unwrap();
    let v: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "analysis",
            "mode",
            "period",
            "periods",
            "return_event",
            "start_event"
        ]
    );
}
