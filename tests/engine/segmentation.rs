//! Segmentation fixtures worked out by hand (definition: `src/engine/analysis/segmentation.rs`).

use super::common::{segmentation, spec_error, store};
use loupe::engine::analysis::segmentation::{Measure, SegmentationResult, Series};

/// Mon 2024-03-04 to Mon 2024-03-11, property `plan`.
const FIXTURE: &str = "user_id,event,timestamp,plan
u1,view,2024-03-04T09:00:00Z,pro
u1,view,2024-03-04T10:00:00Z,pro
u1,view,2024-03-04T11:00:00Z,pro
u2,view,2024-03-04T12:00:00Z,free
u1,buy,2024-03-04T12:30:00Z,pro
u3,view,2024-03-06T09:00:00Z,
u2,view,2024-03-06T10:00:00Z,team
u3,view,2024-03-06T11:00:00Z,edu
u4,view,2024-03-11T08:00:00Z,free
";

fn spec(extra: &str) -> String {
    format!(r#"{{"analysis":"segmentation",{extra}}}"#)
}

fn series<'a>(r: &'a SegmentationResult, label: &str) -> &'a Series {
    r.series
        .iter()
        .find(|s| s.label == label)
        .unwrap_or_else(|| panic!("no series {label} in {:?}", labels(r)))
}

fn labels(r: &SegmentationResult) -> Vec<&str> {
    r.series.iter().map(|s| s.label.as_str()).collect()
}

#[track_caller]
fn check(s: &Series, events: &[u64], users: &[u64], total_events: u64, total_users: u64) {
    assert_eq!(s.events, events, "events of {}", s.label);
    assert_eq!(s.users, users, "users of {}", s.label);
    assert_eq!(
        (s.total_events, s.total_users),
        (total_events, total_users),
        "totals of {}",
        s.label
    );
}

const DAYS: [&str; 8] = [
    "2024-03-04",
    "2024-03-05",
    "2024-03-06",
    "2024-03-07",
    "2024-03-08",
    "2024-03-09",
    "2024-03-10",
    "2024-03-11",
];

#[test]
fn events_and_users_per_day_with_empty_days() {
    let s = store(FIXTURE);
    let r = segmentation(&s, &spec(r#""events":["view","buy"]"#));
    // Days run from the first event (03-04) to the last (03-11), empty days included.
    assert_eq!(r.buckets, DAYS);
    assert_eq!(r.bucket_starts[0], "2024-03-04T00:00:00.000Z");
    assert_eq!(r.bucket_starts[7], "2024-03-11T00:00:00.000Z");
    assert_eq!(r.measure, Measure::Events);
    assert_eq!(r.breakdown, None);
    assert_eq!(labels(&r), ["view", "buy"]);
    // view: 03-04 u1×3 + u2 = 4 events, 2 users; 03-06 u3, u2, u3 = 3 events, 2 users;
    // 03-11 u4. Over the range: 8 events, users u1..u4.
    check(
        &r.series[0],
        &[4, 0, 3, 0, 0, 0, 0, 1],
        &[2, 0, 2, 0, 0, 0, 0, 1],
        8,
        4,
    );
    check(
        &r.series[1],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        1,
        1,
    );
    // total: view and buy together; u1 is counted once on 03-04
    check(
        &r.total,
        &[5, 0, 3, 0, 0, 0, 0, 1],
        &[2, 0, 2, 0, 0, 0, 0, 1],
        9,
        4,
    );
    // The measure only changes what is plotted: the same counts, and events per user.
    let u = segmentation(&s, &spec(r#""events":["view","buy"],"measure":"users""#));
    assert_eq!(u.measure, Measure::Users);
    assert_eq!(u.series, r.series);
    let per_user = u.series[0].values(Measure::EventsPerUser);
    assert_eq!(per_user, [2.0, 0.0, 1.5, 0.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn all_events_when_none_chosen() {
    let s = store(FIXTURE);
    let r = segmentation(&s, &spec(r#""measure":"users""#));
    assert_eq!(labels(&r), ["(all events)"]);
    check(
        &r.series[0],
        &[5, 0, 3, 0, 0, 0, 0, 1],
        &[2, 0, 2, 0, 0, 0, 0, 1],
        9,
        4,
    );
    assert_eq!(r.total.events, r.series[0].events);
    assert_eq!(r.total.users, r.series[0].users);
}

#[test]
fn chosen_events_do_not_change_the_bucket_range() {
    let s = store(FIXTURE);
    // buy only happens on 03-04 but the axis still spans the data
    let r = segmentation(&s, &spec(r#""events":["buy"]"#));
    assert_eq!(r.buckets, DAYS);
    check(
        &r.series[0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        1,
        1,
    );
}

#[test]
fn breakdown_top_n_other_and_none_by_events() {
    let s = store(FIXTURE);
    let r = segmentation(
        &s,
        &spec(r#""events":["view"],"breakdown":{"properties":["plan"],"limit":1}"#),
    );
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    // view events per plan: pro 3 (u1), free 2 (u2, u4), team 1, edu 1, no plan 1 (u3).
    // Top 1 by events: pro; the rest is (other); u3's empty plan is (none).
    assert_eq!(labels(&r), ["pro", "(other)", "(none)"]);
    check(
        series(&r, "pro"),
        &[3, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        3,
        1,
    );
    // (other): 03-04 free u2; 03-06 team u2 + edu u3 (2 users); 03-11 free u4
    check(
        series(&r, "(other)"),
        &[1, 0, 2, 0, 0, 0, 0, 1],
        &[1, 0, 2, 0, 0, 0, 0, 1],
        4,
        3,
    );
    // (none): u3 on 03-06. u3 is also in (other) that day: once per series.
    check(
        series(&r, "(none)"),
        &[0, 0, 1, 0, 0, 0, 0, 0],
        &[0, 0, 1, 0, 0, 0, 0, 0],
        1,
        1,
    );
    // total: view only
    check(
        &r.total,
        &[4, 0, 3, 0, 0, 0, 0, 1],
        &[2, 0, 2, 0, 0, 0, 0, 1],
        8,
        4,
    );
}

#[test]
fn breakdown_ranks_by_users_when_measuring_users() {
    let s = store(FIXTURE);
    let r = segmentation(
        &s,
        &spec(
            r#""events":["view"],"breakdown":{"properties":["plan"],"limit":1},"measure":"users""#,
        ),
    );
    // users per plan: free 2, pro 1, team 1, edu 1 → top 1: free
    assert_eq!(labels(&r), ["free", "(other)", "(none)"]);
    check(
        series(&r, "free"),
        &[1, 0, 0, 0, 0, 0, 0, 1],
        &[1, 0, 0, 0, 0, 0, 0, 1],
        2,
        2,
    );
    // (other): 03-04 pro u1 ×3 (1 user); 03-06 team u2, edu u3
    check(
        series(&r, "(other)"),
        &[3, 0, 2, 0, 0, 0, 0, 0],
        &[1, 0, 2, 0, 0, 0, 0, 0],
        5,
        3,
    );
    // events per user ranks by users too
    let r = segmentation(
        &s,
        &spec(
            r#""events":["view"],"breakdown":{"properties":["plan"],"limit":1},"measure":"events_per_user""#,
        ),
    );
    assert_eq!(labels(&r), ["free", "(other)", "(none)"]);
}

#[test]
fn breakdown_limit_zero_keeps_all_values_ties_by_label() {
    let s = store(FIXTURE);
    // events: pro 3, free 2, edu 1, team 1 (tie broken by label), then (none); no (other)
    let r = segmentation(
        &s,
        &spec(r#""events":["view"],"breakdown":{"properties":["plan"],"limit":0}"#),
    );
    assert_eq!(labels(&r), ["pro", "free", "edu", "team", "(none)"]);
    check(
        series(&r, "edu"),
        &[0, 0, 1, 0, 0, 0, 0, 0],
        &[0, 0, 1, 0, 0, 0, 0, 0],
        1,
        1,
    );
    // the default limit (10) keeps all four too
    let d = segmentation(&s, &spec(r#""events":["view"],"breakdown":"plan""#));
    assert_eq!(d.series, r.series);
    // limit equal to the number of values: no (other)
    let d = segmentation(
        &s,
        &spec(r#""events":["view"],"breakdown":{"properties":["plan"],"limit":4}"#),
    );
    assert_eq!(d.series, r.series);
    // only buy events: one value (pro), no (none)
    let b = segmentation(
        &s,
        &spec(r#""events":["buy"],"breakdown":{"properties":["plan"],"limit":0}"#),
    );
    assert_eq!(labels(&b), ["pro"]);
}

#[test]
fn numeric_breakdown_uses_display_values() {
    let s = store(
        "user_id,event,timestamp,n
u1,e,2024-03-01T00:00:00Z,1
u2,e,2024-03-01T00:00:00Z,1.0
u3,e,2024-03-01T00:00:00Z,2.50
u3,e,2024-03-01T01:00:00Z,
",
    );
    let r = segmentation(&s, &spec(r#""breakdown":"n""#));
    // 1 and 1.0 are the same number (2 events, 2 users); 2.50 shows as 2.5
    assert_eq!(labels(&r), ["1", "2.5", "(none)"]);
    check(series(&r, "1"), &[2], &[2], 2, 2);
    check(series(&r, "(none)"), &[1], &[1], 1, 1);
}

#[test]
fn week_and_month_intervals() {
    let s = store(
        "user_id,event,timestamp
u1,e,2024-03-09T12:00:00Z
u2,e,2024-03-10T12:00:00Z
u1,e,2024-03-11T12:00:00Z
u2,e,2024-04-01T12:00:00Z
",
    );
    // Monday weeks: Sat 03-09 and Sun 03-10 in the week of 03-04; Mon 03-11 starts the next;
    // 03-18 and 03-25 are empty; Mon 04-01 is the last.
    let r = segmentation(&s, &spec(r#""interval":"week","measure":"users""#));
    assert_eq!(
        r.buckets,
        [
            "2024-03-04",
            "2024-03-11",
            "2024-03-18",
            "2024-03-25",
            "2024-04-01"
        ]
    );
    assert_eq!(r.bucket_starts[1], "2024-03-11T00:00:00.000Z");
    check(&r.series[0], &[2, 1, 0, 0, 1], &[2, 1, 0, 0, 1], 4, 2);
    // Sunday weeks: Sat 03-09 in the week of 03-03; Sun 03-10 and Mon 03-11 in 03-10.
    let r = segmentation(&s, &spec(r#""interval":"week","week_start":"sunday""#));
    assert_eq!(
        r.buckets,
        [
            "2024-03-03",
            "2024-03-10",
            "2024-03-17",
            "2024-03-24",
            "2024-03-31"
        ]
    );
    check(&r.series[0], &[1, 2, 0, 0, 1], &[1, 2, 0, 0, 1], 4, 2);
    let r = segmentation(&s, &spec(r#""interval":"month""#));
    assert_eq!(r.buckets, ["2024-03", "2024-04"]);
    assert_eq!(
        r.bucket_starts,
        ["2024-03-01T00:00:00.000Z", "2024-04-01T00:00:00.000Z"]
    );
    check(&r.series[0], &[3, 1], &[2, 1], 4, 2);
}

#[test]
fn time_zone_shifts_buckets() {
    let s = store(
        "user_id,event,timestamp
u1,e,2024-03-01T15:00:00Z
u1,e,2024-03-01T17:00:00Z
",
    );
    // UTC: one day. +08:00: 23:00 on 03-01 and 01:00 on 03-02 local.
    let r = segmentation(&s, &spec(r#""interval":"day""#));
    assert_eq!(r.buckets, ["2024-03-01"]);
    check(&r.series[0], &[2], &[1], 2, 1);
    let r = segmentation(&s, &spec(r#""interval":"day","timezone":"+08:00""#));
    assert_eq!(r.buckets, ["2024-03-01", "2024-03-02"]);
    // local midnight is 16:00 UTC the day before
    assert_eq!(
        r.bucket_starts,
        ["2024-02-29T16:00:00.000Z", "2024-03-01T16:00:00.000Z"]
    );
    check(&r.series[0], &[1, 1], &[1, 1], 2, 1);
    let r = segmentation(&s, &spec(r#""interval":"hour""#));
    assert_eq!(
        r.buckets,
        ["2024-03-01 15:00", "2024-03-01 16:00", "2024-03-01 17:00"]
    );
    check(&r.series[0], &[1, 0, 1], &[1, 0, 1], 2, 1);
}

#[test]
fn repeated_event_name_has_no_events_of_its_own() {
    let s = store(FIXTURE);
    let r = segmentation(&s, &spec(r#""events":["buy","buy"]"#));
    assert_eq!(labels(&r), ["buy", "buy"]);
    assert_eq!(r.series[0].total_events, 1);
    assert_eq!(r.series[1].total_events, 0);
    assert_eq!(r.total.total_events, 1);
}

#[test]
fn unknown_names_are_spec_errors() {
    let s = store(FIXTURE);
    let (field, msg) = spec_error(&s, &spec(r#""breakdown":"country""#));
    assert_eq!(field, "breakdown");
    assert!(msg.contains("country") && msg.contains("plan"), "{msg}");
    let (field, msg) = spec_error(&s, &spec(r#""events":["view","bye"]"#));
    assert_eq!(field, "events[1]");
    assert!(msg.contains("did you mean"), "{msg}");
    assert!(super::common::try_run(&s, &spec(r#""events":["view"],"limt":3"#)).is_err());
}
