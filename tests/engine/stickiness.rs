//! Stickiness fixtures worked out by hand (definition: `src/engine/analysis/stickiness.rs`).

use super::common::{approx, approx_all, spec_error, stickiness, store};
use loupe::engine::analysis::stickiness::{self, StickinessResult};

fn csv(header: &str, rows: &[&str]) -> String {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn run(data: &str, extra: &str) -> StickinessResult {
    let s = store(data);
    let json = if extra.is_empty() {
        r#"{"analysis":"stickiness"}"#.to_string()
    } else {
        format!(r#"{{"analysis":"stickiness",{extra}}}"#)
    };
    stickiness(&s, &json)
}

fn users(r: &StickinessResult) -> Vec<Vec<u64>> {
    r.series.iter().map(|s| s.users.clone()).collect()
}

fn labels(r: &StickinessResult) -> Vec<&str> {
    r.series.iter().map(|s| s.label.as_str()).collect()
}

/// The day fixture (UTC):
/// - a: open every day 03-01 .. 03-07 at 10:00 (active every day)
/// - b: open 03-01 09:00 and 18:00, open 03-03 12:00
/// - c: open 03-02 23:30 and 03-03 01:00 (one day apart in UTC, the same day in +08:00)
/// - d: buy and open 03-05 12:00
/// - e: buy 03-04 12:00 only
///
/// The data runs from 03-01 09:00 to 03-07 10:00: 7 days in UTC and in +08:00.
fn days() -> String {
    let mut rows: Vec<String> = (1..=7)
        .map(|d| format!("a,open,2024-03-0{d}T10:00:00Z"))
        .collect();
    rows.extend(
        [
            "b,open,2024-03-01T09:00:00Z",
            "b,open,2024-03-01T18:00:00Z",
            "b,open,2024-03-03T12:00:00Z",
            "c,open,2024-03-02T23:30:00Z",
            "c,open,2024-03-03T01:00:00Z",
            "d,buy,2024-03-05T12:00:00Z",
            "d,open,2024-03-05T12:00:00Z",
            "e,buy,2024-03-04T12:00:00Z",
        ]
        .map(String::from),
    );
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    csv("user_id,event,timestamp", &rows)
}

#[test]
fn users_by_exact_number_of_active_days() {
    let r = run(&days(), r#""event":"open""#);
    // days per user: a 7, b 2 (03-01, 03-03), c 2 (03-02, 03-03), d 1; e never opens
    assert_eq!(r.x, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(
        (r.first_interval.as_str(), r.last_interval.as_str()),
        ("2024-03-01", "2024-03-07")
    );
    assert_eq!(labels(&r), ["open"]);
    let s = &r.series[0];
    assert_eq!(s.users, [1, 2, 0, 0, 0, 0, 1]);
    assert_eq!(s.total_users, 4);
    approx_all(&s.percent, &[0.25, 0.5, 0.0, 0.0, 0.0, 0.0, 0.25]);
    // (1 + 2 + 2 + 7) / 4
    approx(s.average_intervals, 3.0);
    assert_eq!(r.total.users, s.users);
}

#[test]
fn cumulative_counts_users_with_at_least_x_days() {
    let r = run(&days(), r#""event":"open","computed":"cumulative""#);
    // ≥1: a b c d; ≥2: a b c; ≥3..≥7: a
    assert_eq!(users(&r), [vec![4, 3, 1, 1, 1, 1, 1]]);
    approx_all(
        &r.series[0].percent,
        &[1.0, 0.75, 0.25, 0.25, 0.25, 0.25, 0.25],
    );
    // the average does not depend on how the counts are shown
    approx(r.series[0].average_intervals, 3.0);
}

#[test]
fn any_event_counts_every_event() {
    let r = run(&days(), "");
    // d's buy and open are on one day; e is active on 03-04: a 7, b 2, c 2, d 1, e 1
    assert_eq!(labels(&r), [stickiness::ALL]);
    assert_eq!(users(&r), [vec![2, 2, 0, 0, 0, 0, 1]]);
    assert_eq!(r.series[0].total_users, 5);
}

#[test]
fn criteria_on_events_per_interval() {
    // at least 2 opens in a day: only b on 03-01
    let r = run(
        &days(),
        r#""event":"open","criteria":{"op":"gte","value":2}"#,
    );
    assert_eq!(users(&r), [vec![1, 0, 0, 0, 0, 0, 0]]);
    assert_eq!(r.series[0].total_users, 1);
    // exactly 1 open: a 7 days; b only 03-03 (03-01 has 2); c 2; d 1
    let r = run(
        &days(),
        r#""event":"open","criteria":{"op":"eq","value":1}"#,
    );
    assert_eq!(users(&r), [vec![2, 1, 0, 0, 0, 0, 1]]);
    // at most 1 open (and at least one): the same days as exactly 1
    let r = run(
        &days(),
        r#""event":"open","criteria":{"op":"lte","value":1}"#,
    );
    assert_eq!(users(&r), [vec![2, 1, 0, 0, 0, 0, 1]]);
    // at most 2: every active day qualifies, as without criteria
    let r = run(
        &days(),
        r#""event":"open","criteria":{"op":"lte","value":2}"#,
    );
    assert_eq!(users(&r), [vec![1, 2, 0, 0, 0, 0, 1]]);
}

#[test]
fn days_are_cut_in_the_time_zone() {
    // +08:00: a 18:00 local each day 03-01..03-07 → 7; b 17:00 03-01, 02:00 03-02,
    // 20:00 03-03 → 3; c 07:30 and 09:00 on 03-03 → 1 (2 events); d 20:00 03-05 → 1.
    // The data runs 03-01 17:00 to 03-07 18:00 local: 7 days.
    let r = run(&days(), r#""event":"open","timezone":"+08:00""#);
    assert_eq!(users(&r), [vec![2, 0, 1, 0, 0, 0, 1]]);
    approx(r.series[0].average_intervals, 3.0);
    // at least 2 opens a day: c on 03-03 (b's two 03-01 opens are on two local days)
    let r = run(
        &days(),
        r#""event":"open","timezone":"+08:00","criteria":{"op":"gte","value":2}"#,
    );
    assert_eq!(users(&r), [vec![1, 0, 0, 0, 0, 0, 0]]);
    // the same in a named zone without daylight saving
    let r = run(&days(), r#""event":"open","timezone":"Asia/Shanghai""#);
    assert_eq!(users(&r), [vec![2, 0, 1, 0, 0, 0, 1]]);
}

/// Week edges (UTC; 2024-03-04 is a Monday):
/// - p: open 03-04, 03-06, 03-11
/// - q: open 03-05
/// - r: open 03-07, 03-13
/// - s: open 03-18
fn weeks() -> String {
    csv(
        "user_id,event,timestamp",
        &[
            "p,open,2024-03-04T10:00:00Z",
            "p,open,2024-03-06T10:00:00Z",
            "p,open,2024-03-11T10:00:00Z",
            "q,open,2024-03-05T10:00:00Z",
            "r,open,2024-03-07T10:00:00Z",
            "r,open,2024-03-13T10:00:00Z",
            "s,open,2024-03-18T10:00:00Z",
        ],
    )
}

#[test]
fn a_range_that_cuts_weeks_counts_the_weeks_it_touches() {
    // 03-06 (Wed) .. 03-12 (Tue) touches the weeks of 03-04 and 03-11: 2 intervals. Only
    // events inside the range count: p 03-06 and 03-11 → 2 weeks; q (03-05) and s are
    // outside; r 03-07 → 1 week (03-13 is after the range).
    let range = r#""date_range":{"from":"2024-03-06","to":"2024-03-12"}"#;
    let r = run(&weeks(), &format!(r#""interval":"week",{range}"#));
    assert_eq!(r.x, [1, 2]);
    assert_eq!(
        (r.first_interval.as_str(), r.last_interval.as_str()),
        ("2024-03-04", "2024-03-11")
    );
    assert_eq!(users(&r), [vec![1, 1]]);
    // by day the same range is 7 intervals: p on 2 days, r on 1
    let r = run(&weeks(), range);
    assert_eq!(r.x.len(), 7);
    assert_eq!(users(&r), [vec![1, 1, 0, 0, 0, 0, 0]]);
    // weeks starting Sunday: 03-03 .. 03-09 and 03-10 .. 03-16, still 2
    let r = run(
        &weeks(),
        &format!(r#""interval":"week","week_start":"sunday",{range}"#),
    );
    assert_eq!(r.first_interval, "2024-03-03");
    assert_eq!(users(&r), [vec![1, 1]]);
}

#[test]
fn groups_of_intervals_count_from_the_start_of_the_range() {
    // all data: 03-04 .. 03-18 = 15 days; groups of 7 days from 03-04: [04..10], [11..17],
    // [18] → 3 intervals. p {04, 06 | 11} → 2; q {05} → 1; r {07 | 13} → 2; s {18} → 1.
    let r = run(&weeks(), r#""interval_count":7"#);
    assert_eq!(r.x, [1, 2, 3]);
    assert_eq!(users(&r), [vec![2, 2, 0]]);
    // calendar weeks give the same grouping here (03-04 is a Monday)
    let r = run(&weeks(), r#""interval":"week""#);
    assert_eq!(users(&r), [vec![2, 2, 0]]);
    // two-week intervals: [wk 03-04, wk 03-11], [wk 03-18] → p 1, q 1, r 1, s 1
    let r = run(&weeks(), r#""interval":"week","interval_count":2"#);
    assert_eq!(r.x, [1, 2]);
    assert_eq!(users(&r), [vec![4, 0]]);
    // one month: everybody in 1 interval
    let r = run(&weeks(), r#""interval":"month""#);
    assert_eq!(users(&r), [vec![4]]);
    // hours: the first event is at 03-04 10:00, the last at 03-18 10:00: 14 × 24 + 1 hours
    let r = run(&weeks(), r#""interval":"hour""#);
    assert_eq!(r.x.len(), 14 * 24 + 1);
    // every event is in an hour of its own: p 3 hours, q 1, r 2, s 1
    assert_eq!(r.series[0].users[..4], [2, 1, 1, 0]);
}

/// Breakdown fixture (UTC), property plan:
/// - a: open 03-01 free, 03-02 pro, 03-03 pro
/// - b: open 03-01 free, 03-02 free
/// - c: open 03-02 (no plan)
/// - d: open 03-03 team
fn plans() -> String {
    csv(
        "user_id,event,timestamp,plan",
        &[
            "a,open,2024-03-01T10:00:00Z,free",
            "a,open,2024-03-02T10:00:00Z,pro",
            "a,open,2024-03-03T10:00:00Z,pro",
            "b,open,2024-03-01T10:00:00Z,free",
            "b,open,2024-03-02T10:00:00Z,free",
            "c,open,2024-03-02T10:00:00Z,",
            "d,open,2024-03-03T10:00:00Z,team",
        ],
    )
}

#[test]
fn breakdown_counts_each_user_and_value_pair() {
    // pairs: (a, free) 1 day; (a, pro) 2; (b, free) 2; (c, none) 1; (d, team) 1.
    // users per value: free 2, pro 1, team 1 (tie: by label), then (none)
    let r = run(&plans(), r#""breakdown":"plan""#);
    assert_eq!(labels(&r), ["free", "pro", "team", "(none)"]);
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    assert_eq!(
        users(&r),
        [vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 0], vec![1, 0, 0]]
    );
    assert_eq!(
        r.series.iter().map(|s| s.total_users).collect::<Vec<_>>(),
        [2, 1, 1, 1]
    );
    approx(r.series[0].average_intervals, 1.5);
    // without the breakdown: a 3 days, b 2, c 1, d 1
    assert_eq!(r.total.users, [2, 1, 1]);
    assert_eq!(r.total.total_users, 4);
    // top 1: pro and team are (other): (a, other) {02, 03} → 2, (d, other) {03} → 1
    let r = run(&plans(), r#""breakdown":{"properties":["plan"],"limit":1}"#);
    assert_eq!(labels(&r), ["free", "(other)", "(none)"]);
    assert_eq!(users(&r)[1], [1, 1, 0]);
}

#[test]
fn breakdown_by_a_user_property_puts_each_user_in_one_series() {
    // first values: a free, b free, c none, d team → free: a 3 days, b 2; team: d 1
    let r = run(
        &plans(),
        r#""breakdown":{"properties":[{"property":"plan","source":"user"}]}"#,
    );
    assert_eq!(labels(&r), ["free", "team", "(none)"]);
    assert_eq!(users(&r), [vec![0, 1, 1], vec![1, 0, 0], vec![1, 0, 0]]);
}

#[test]
fn event_filters_and_shared_filters() {
    // opens with plan = free: a 03-01, b 03-01 and 03-02 → a 1, b 2
    let r = run(
        &plans(),
        r#""event":"open","event_filters":[{"property":"plan","op":"eq","value":"free"}]"#,
    );
    assert_eq!(users(&r), [vec![1, 1, 0]]);
    // shared filter plan ≠ pro: a keeps 03-01 only; b 2; c 1 (no value passes neq); d 1
    let r = run(
        &plans(),
        r#""filters":[{"property":"plan","op":"neq","value":"pro"}]"#,
    );
    assert_eq!(users(&r), [vec![3, 1, 0]]);
}

#[test]
fn the_table_has_a_row_per_series_and_count() {
    let r = run(&plans(), r#""breakdown":"plan""#);
    let t = stickiness::table(&r);
    assert_eq!(t[0], ["series", "intervals", "users", "percent"]);
    assert_eq!(t.len(), 1 + 4 * 3);
    assert_eq!(t[1], ["free", "1", "1", "0.5"]);
    assert_eq!(t[3], ["free", "3", "0", "0"]);
}

#[test]
fn bad_options_are_rejected_with_their_field() {
    let s = store(&days());
    let (f, _) = spec_error(&s, r#"{"analysis":"stickiness","interval_count":0}"#);
    assert_eq!(f, "interval_count");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"stickiness","criteria":{"op":"gte","value":0}}"#,
    );
    assert_eq!(f, "criteria.value");
    let (f, m) = spec_error(&s, r#"{"analysis":"stickiness","event":"opn"}"#);
    assert_eq!(f, "event");
    assert!(m.contains("\"open\""), "{m}");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"stickiness","date_range":{"from":"2030-01-01"}}"#,
    );
    assert_eq!(f, "date_range");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"stickiness","interval":"hour","date_range":{"from":"2020-01-01","to":"2024-03-07"}}"#,
    );
    assert_eq!(f, "interval");
    // one series per tag, 12,000 tags × 360 hours, is more than 4 million counts
    let mut many = String::from("user_id,event,timestamp,tag\n");
    for k in 0..12_000 {
        many.push_str(&format!("u{k},open,2024-03-01T00:00:00Z,t{k}\n"));
    }
    many.push_str("u0,open,2024-03-15T23:00:00Z,t0\n");
    let (f, m) = spec_error(
        &store(&many),
        r#"{"analysis":"stickiness","interval":"hour","breakdown":{"properties":["tag"],"limit":0}}"#,
    );
    assert_eq!(f, "breakdown");
    assert!(m.contains("12000 series of 360 intervals"), "{m}");
    let e = super::common::try_run(
        &s,
        r#"{"analysis":"stickiness","criteria":{"op":"gt","value":1}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("gt"), "{e}");
}

#[test]
fn an_hour_that_comes_back_counts_once() {
    // Antarctica/Troll leaves +02:00 for +00:00 on 2024-10-27 at 01:00 UTC (03:00 local
    // becomes 01:00), so the local hour 01 happens twice. x: 23:30 UTC (01:30 local, hour
    // 01), 00:30 UTC (02:30, hour 02), 01:30 UTC (01:30 again, hour 01): 2 hours, hour 01
    // with 2 events.
    let data = csv(
        "user_id,event,timestamp",
        &[
            "x,open,2024-10-26T23:30:00Z",
            "x,open,2024-10-27T00:30:00Z",
            "x,open,2024-10-27T01:30:00Z",
        ],
    );
    let tz = r#""timezone":"Antarctica/Troll","interval":"hour""#;
    let r = run(&data, tz);
    // the local hours run from 01 to 02 (two intervals)
    assert_eq!(r.x, [1, 2]);
    assert_eq!(users(&r), [vec![0, 1]]);
    let r = run(
        &data,
        &format!(r#"{tz},"criteria":{{"op":"gte","value":2}}"#),
    );
    assert_eq!(users(&r), [vec![1, 0]]);
}
