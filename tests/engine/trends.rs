//! Trends fixtures worked out by hand (definition: `src/engine/analysis/trends.rs`).

use super::common::{spec_error, store, trends, try_output};
use loupe::engine::analysis::trends::{Line, Measure, TrendsResult};

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
    format!(r#"{{"analysis":"trends",{extra}}}"#)
}

/// A spec with one series of `events` (event list) measuring events and one measuring
/// users for each, then `extra`.
fn counts_spec(events: &[&str], extra: &str) -> String {
    let series: Vec<String> = events
        .iter()
        .flat_map(|e| {
            let ev = if e.is_empty() {
                String::new()
            } else {
                format!(r#""event":"{e}","#)
            };
            [
                format!(r#"{{{ev}"measure":"events"}}"#),
                format!(r#"{{{ev}"measure":"users"}}"#),
            ]
        })
        .collect();
    let sep = if extra.is_empty() { "" } else { "," };
    spec(&format!(r#""series":[{}]{sep}{extra}"#, series.join(",")))
}

fn line<'a>(r: &'a TrendsResult, key: &str, value: Option<&str>) -> &'a Line {
    r.lines
        .iter()
        .find(|l| l.key == key && l.value.as_deref() == value)
        .unwrap_or_else(|| panic!("no line {key} {value:?} in {:?}", labels(r)))
}

fn labels(r: &TrendsResult) -> Vec<String> {
    r.lines.iter().map(Line::label).collect()
}

/// The breakdown values of series A, in order.
fn values(r: &TrendsResult) -> Vec<&str> {
    r.lines
        .iter()
        .filter(|l| l.key == "A")
        .map(|l| l.value.as_deref().unwrap_or("-"))
        .collect()
}

fn some(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().map(|&x| Some(x)).collect()
}

/// Checks events (series `ev`) and users (series `us`) per interval and over the range.
#[track_caller]
fn check_pair(
    r: &TrendsResult,
    (ev, us): (&str, &str),
    value: Option<&str>,
    events: &[u64],
    users: &[u64],
    total_events: u64,
    total_users: u64,
) {
    let f = |v: &[u64]| v.iter().map(|&x| Some(x as f64)).collect::<Vec<_>>();
    let (e, u) = (line(r, ev, value), line(r, us, value));
    assert_eq!(e.values, f(events), "events of {ev} {value:?}");
    assert_eq!(u.values, f(users), "users of {us} {value:?}");
    assert_eq!(
        (e.total, u.total),
        (Some(total_events as f64), Some(total_users as f64)),
        "totals of {ev}/{us} {value:?}"
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
    let r = trends(&s, &counts_spec(&["view", "buy"], ""));
    // Days run from the first event (03-04) to the last (03-11), empty days included.
    assert_eq!(r.buckets, DAYS);
    assert_eq!(r.bucket_starts[0], "2024-03-04T00:00:00.000Z");
    assert_eq!(r.bucket_starts[7], "2024-03-11T00:00:00.000Z");
    assert_eq!(r.breakdown, None);
    let keys: Vec<&str> = r.lines.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, ["A", "B", "C", "D"]);
    assert_eq!(r.lines[1].measure, Some(Measure::Users));
    assert_eq!(r.lines[0].name, "view");
    // view: 03-04 u1×3 + u2 = 4 events, 2 users; 03-06 u3, u2, u3 = 3 events, 2 users;
    // 03-11 u4. Over the range: 8 events, users u1..u4.
    check_pair(
        &r,
        ("A", "B"),
        None,
        &[4, 0, 3, 0, 0, 0, 0, 1],
        &[2, 0, 2, 0, 0, 0, 0, 1],
        8,
        4,
    );
    check_pair(
        &r,
        ("C", "D"),
        None,
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        1,
        1,
    );
    // events per user: 4/2, none (no users), 3/2, ..., 1/1; over the range 8/4
    let r = trends(
        &s,
        &spec(r#""series":[{"event":"view","measure":"events_per_user"}]"#),
    );
    let n = None;
    assert_eq!(
        r.lines[0].values,
        [Some(2.0), n, Some(1.5), n, n, n, n, Some(1.0)]
    );
    assert_eq!(r.lines[0].total, Some(2.0));
}

#[test]
fn all_events_when_no_event_is_named() {
    let s = store(FIXTURE);
    let r = trends(&s, &counts_spec(&[""], ""));
    assert_eq!(r.lines[0].name, "(all events)");
    // view and buy together; u1 is counted once on 03-04
    check_pair(
        &r,
        ("A", "B"),
        None,
        &[5, 0, 3, 0, 0, 0, 0, 1],
        &[2, 0, 2, 0, 0, 0, 0, 1],
        9,
        4,
    );
    // the default spec is one series of all events, measuring events
    let d = trends(&s, &spec(r#""interval":"day""#));
    assert_eq!(d.lines.len(), 1);
    assert_eq!(d.lines[0].values, r.lines[0].values);
}

#[test]
fn a_series_does_not_change_the_intervals() {
    let s = store(FIXTURE);
    // buy only happens on 03-04 but the axis still spans the data
    let r = trends(&s, &counts_spec(&["buy"], ""));
    assert_eq!(r.buckets, DAYS);
    check_pair(
        &r,
        ("A", "B"),
        None,
        &[1, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        1,
        1,
    );
}

#[test]
fn series_filters_and_labels() {
    let s = store(FIXTURE);
    let r = trends(
        &s,
        &spec(
            r#""series":[{"event":"view","filters":[{"property":"plan","op":"in","value":["free","team"]}],"measure":"users","label":"cheap views"}]"#,
        ),
    );
    // free: u2 03-04, u4 03-11; team: u2 03-06
    assert_eq!(r.lines[0].name, "cheap views");
    assert_eq!(
        r.lines[0].values,
        some(&[1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    );
    assert_eq!(r.lines[0].total, Some(2.0));
}

#[test]
fn breakdown_top_n_other_and_none_by_the_first_series() {
    let s = store(FIXTURE);
    let r = trends(
        &s,
        &counts_spec(
            &["view"],
            r#""breakdown":{"properties":["plan"],"limit":1}"#,
        ),
    );
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    // view events per plan: pro 3 (u1), free 2 (u2, u4), team 1, edu 1, no plan 1 (u3).
    // Top 1 by the first series (events): pro; the rest is (other); u3's empty plan (none).
    assert_eq!(values(&r), ["pro", "(other)", "(none)"]);
    check_pair(
        &r,
        ("A", "B"),
        Some("pro"),
        &[3, 0, 0, 0, 0, 0, 0, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0],
        3,
        1,
    );
    // (other): 03-04 free u2; 03-06 team u2 + edu u3 (2 users); 03-11 free u4
    check_pair(
        &r,
        ("A", "B"),
        Some("(other)"),
        &[1, 0, 2, 0, 0, 0, 0, 1],
        &[1, 0, 2, 0, 0, 0, 0, 1],
        4,
        3,
    );
    // (none): u3 on 03-06. u3 is also in (other) that day: once per line.
    check_pair(
        &r,
        ("A", "B"),
        Some("(none)"),
        &[0, 0, 1, 0, 0, 0, 0, 0],
        &[0, 0, 1, 0, 0, 0, 0, 0],
        1,
        1,
    );
    // series B is split by the same values, in the same order
    let b: Vec<_> = r
        .lines
        .iter()
        .filter(|l| l.key == "B")
        .map(|l| l.value.clone())
        .collect();
    assert_eq!(
        b,
        [
            Some("pro".into()),
            Some("(other)".into()),
            Some("(none)".into())
        ]
    );
}

#[test]
fn breakdown_ranks_by_users_when_the_first_series_measures_users() {
    let s = store(FIXTURE);
    let r = trends(
        &s,
        &spec(
            r#""series":[{"event":"view","measure":"users"},{"event":"view"}],"breakdown":{"properties":["plan"],"limit":1}"#,
        ),
    );
    // users per plan: free 2, pro 1, team 1, edu 1 → top 1: free
    assert_eq!(values(&r), ["free", "(other)", "(none)"]);
    check_pair(
        &r,
        ("B", "A"),
        Some("free"),
        &[1, 0, 0, 0, 0, 0, 0, 1],
        &[1, 0, 0, 0, 0, 0, 0, 1],
        2,
        2,
    );
    // (other): 03-04 pro u1 ×3 (1 user); 03-06 team u2, edu u3
    check_pair(
        &r,
        ("B", "A"),
        Some("(other)"),
        &[3, 0, 2, 0, 0, 0, 0, 0],
        &[1, 0, 2, 0, 0, 0, 0, 0],
        5,
        3,
    );
}

#[test]
fn breakdown_limit_zero_keeps_all_values_ties_by_label() {
    let s = store(FIXTURE);
    // events: pro 3, free 2, edu 1, team 1 (tie broken by label), then (none); no (other)
    let r = trends(
        &s,
        &counts_spec(
            &["view"],
            r#""breakdown":{"properties":["plan"],"limit":0}"#,
        ),
    );
    assert_eq!(values(&r), ["pro", "free", "edu", "team", "(none)"]);
    check_pair(
        &r,
        ("A", "B"),
        Some("edu"),
        &[0, 0, 1, 0, 0, 0, 0, 0],
        &[0, 0, 1, 0, 0, 0, 0, 0],
        1,
        1,
    );
    // the default limit (10) keeps all four too
    let d = trends(&s, &counts_spec(&["view"], r#""breakdown":"plan""#));
    assert_eq!(d.lines, r.lines);
    // limit equal to the number of values: no (other)
    let d = trends(
        &s,
        &counts_spec(
            &["view"],
            r#""breakdown":{"properties":["plan"],"limit":4}"#,
        ),
    );
    assert_eq!(d.lines, r.lines);
    // only buy events: one value (pro), no (none)
    let b = trends(
        &s,
        &counts_spec(&["buy"], r#""breakdown":{"properties":["plan"],"limit":0}"#),
    );
    assert_eq!(values(&b), ["pro"]);
}

#[test]
fn a_value_only_a_later_series_has_still_gets_a_line() {
    let s = store(FIXTURE);
    // A = buy (only pro), B = view: the values of B (free, team, edu, none) rank after pro
    // with A's measure 0, by label; none stays last
    let r = trends(
        &s,
        &spec(
            r#""series":[{"event":"buy"},{"event":"view"}],"breakdown":{"properties":["plan"],"limit":0}"#,
        ),
    );
    assert_eq!(values(&r), ["pro", "edu", "free", "team", "(none)"]);
    assert_eq!(line(&r, "B", Some("free")).total, Some(2.0));
    assert_eq!(line(&r, "A", Some("free")).total, Some(0.0));
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
    let r = trends(&s, &counts_spec(&[""], r#""breakdown":"n""#));
    // 1 and 1.0 are the same number (2 events, 2 users); 2.50 shows as 2.5
    assert_eq!(values(&r), ["1", "2.5", "(none)"]);
    check_pair(&r, ("A", "B"), Some("1"), &[2], &[2], 2, 2);
    check_pair(&r, ("A", "B"), Some("(none)"), &[1], &[1], 1, 1);
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
    let r = trends(&s, &counts_spec(&[""], r#""interval":"week""#));
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
    check_pair(
        &r,
        ("A", "B"),
        None,
        &[2, 1, 0, 0, 1],
        &[2, 1, 0, 0, 1],
        4,
        2,
    );
    // Sunday weeks: Sat 03-09 in the week of 03-03; Sun 03-10 and Mon 03-11 in 03-10.
    let r = trends(
        &s,
        &counts_spec(&[""], r#""interval":"week","week_start":"sunday""#),
    );
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
    check_pair(
        &r,
        ("A", "B"),
        None,
        &[1, 2, 0, 0, 1],
        &[1, 2, 0, 0, 1],
        4,
        2,
    );
    let r = trends(&s, &counts_spec(&[""], r#""interval":"month""#));
    assert_eq!(r.buckets, ["2024-03", "2024-04"]);
    assert_eq!(
        r.bucket_starts,
        ["2024-03-01T00:00:00.000Z", "2024-04-01T00:00:00.000Z"]
    );
    check_pair(&r, ("A", "B"), None, &[3, 1], &[2, 1], 4, 2);
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
    let r = trends(&s, &counts_spec(&[""], r#""interval":"day""#));
    assert_eq!(r.buckets, ["2024-03-01"]);
    check_pair(&r, ("A", "B"), None, &[2], &[1], 2, 1);
    let r = trends(
        &s,
        &counts_spec(&[""], r#""interval":"day","timezone":"+08:00""#),
    );
    assert_eq!(r.buckets, ["2024-03-01", "2024-03-02"]);
    // local midnight is 16:00 UTC the day before
    assert_eq!(
        r.bucket_starts,
        ["2024-02-29T16:00:00.000Z", "2024-03-01T16:00:00.000Z"]
    );
    check_pair(&r, ("A", "B"), None, &[1, 1], &[1, 1], 2, 1);
    let r = trends(&s, &counts_spec(&[""], r#""interval":"hour""#));
    assert_eq!(
        r.buckets,
        ["2024-03-01 15:00", "2024-03-01 16:00", "2024-03-01 17:00"]
    );
    check_pair(&r, ("A", "B"), None, &[1, 0, 1], &[1, 0, 1], 2, 1);
}

/// Purchases with an amount; u3's second purchase has none.
const AMOUNTS: &str = "user_id,event,timestamp,amount
u1,buy,2024-05-01T10:00:00Z,10
u1,buy,2024-05-01T11:00:00Z,30
u2,buy,2024-05-01T12:00:00Z,20
u2,buy,2024-05-01T13:00:00Z,-5
u3,buy,2024-05-02T09:00:00Z,100
u3,buy,2024-05-02T10:00:00Z,
u1,view,2024-05-03T10:00:00Z,7
u2,view,2024-05-03T11:00:00Z,
";

#[test]
fn property_measures() {
    let s = store(AMOUNTS);
    let get = |m: &str| {
        let r = trends(
            &s,
            &spec(&format!(
                r#""series":[{{"event":"buy","measure":"{m}","property":"amount"}}]"#
            )),
        );
        (r.lines[0].values.clone(), r.lines[0].total)
    };
    let n = None;
    // 05-01: 10, 30, 20, -5; 05-02: 100 (the empty amount is left out); 05-03: no buy
    // over the range: -5, 10, 20, 30, 100
    assert_eq!(
        get("sum"),
        (vec![Some(55.0), Some(100.0), Some(0.0)], Some(155.0))
    );
    assert_eq!(get("avg"), (vec![Some(13.75), Some(100.0), n], Some(31.0)));
    assert_eq!(get("min"), (vec![Some(-5.0), Some(100.0), n], Some(-5.0)));
    assert_eq!(get("max"), (vec![Some(30.0), Some(100.0), n], Some(100.0)));
    // median of -5, 10, 20, 30: (10 + 20) / 2; of all five: 20
    assert_eq!(
        get("median"),
        (vec![Some(15.0), Some(100.0), n], Some(20.0))
    );
    // p90 of -5, 10, 20, 30: position 0.9 × 3 = 2.7 → 20 + 0.7 × 10 = 27;
    // of all five: 0.9 × 4 = 3.6 → 30 + 0.6 × 70 = 72
    let (v, total) = get("p90");
    assert!((v[0].unwrap() - 27.0).abs() < 1e-9 && v[1] == Some(100.0) && v[2].is_none());
    assert!((total.unwrap() - 72.0).abs() < 1e-9);
}

#[test]
fn formulas_per_interval_and_value_with_gaps() {
    let s = store(AMOUNTS);
    let r = trends(
        &s,
        &spec(
            r#""series":[{"event":"buy","measure":"sum","property":"amount","hidden":true},{"event":"buy","measure":"users","hidden":true},{"event":"view","measure":"users"}],
                 "formulas":[{"expression":"A / B","label":"ARPPU"},{"expression":"C * 100 / B"}]"#,
        ),
    );
    let f1 = line(&r, "F1", None);
    assert_eq!(f1.name, "ARPPU");
    assert!(line(&r, "A", None).hidden && !f1.hidden);
    // A = 55, 100, 0; B = 2, 1, 0 → 27.5, 100, 0/0 = gap; total 155 / 3 users
    assert_eq!(f1.values, [Some(27.5), Some(100.0), None]);
    assert!((f1.total.unwrap() - 155.0 / 3.0).abs() < 1e-12);
    // C = 0, 0, 2 → 0, 0, division by zero (a gap, not infinity); total 2 * 100 / 3
    let f2 = line(&r, "F2", None);
    assert_eq!(f2.name, "C * 100 / B");
    assert_eq!(f2.values, [Some(0.0), Some(0.0), None]);
    assert!((f2.total.unwrap() - 200.0 / 3.0).abs() < 1e-12);
    // per breakdown value: F1 for users with an amount over 15 vs the rest
    let r = trends(
        &s,
        &spec(
            r#""series":[{"event":"buy"},{"event":"buy","measure":"users"}],"formulas":[{"expression":"A/B"}],"breakdown":"amount","interval":"month""#,
        ),
    );
    // amounts: 10, 30, 20, -5, 100 (one each), none (u3): F1 = 1 event / 1 user each
    for l in r.lines.iter().filter(|l| l.key == "F1") {
        assert_eq!(l.values, [Some(1.0)], "{}", l.label());
    }
    assert_eq!(r.lines.iter().filter(|l| l.key == "F1").count(), 6);
}

#[test]
fn previous_period_of_the_same_length() {
    let s = store(
        "user_id,event,timestamp
u1,e,2024-03-01T10:00:00Z
u2,e,2024-03-02T10:00:00Z
u1,e,2024-03-03T10:00:00Z
u2,e,2024-03-03T11:00:00Z
u3,e,2024-03-04T10:00:00Z
u1,e,2024-03-05T10:00:00Z
",
    );
    // range 03-04..03-05 (2 days); the previous period is 03-02..03-03
    let r = trends(
        &s,
        &counts_spec(
            &[""],
            r#""compare":true,"date_range":{"from":"2024-03-04","to":"2024-03-05"}"#,
        ),
    );
    assert_eq!(r.buckets, ["2024-03-04", "2024-03-05"]);
    assert_eq!(r.previous_buckets, ["2024-03-02", "2024-03-03"]);
    let (a, b) = (line(&r, "A", None), line(&r, "B", None));
    assert_eq!(a.values, some(&[1.0, 1.0]));
    // 03-02: u2; 03-03: u1, u2 (03-01 is outside both periods)
    assert_eq!(a.previous, some(&[1.0, 2.0]));
    assert_eq!((a.total, a.previous_total), (Some(2.0), Some(3.0)));
    assert_eq!(b.previous, some(&[1.0, 2.0]));
    assert_eq!((b.total, b.previous_total), (Some(2.0), Some(2.0)));
    // without comparison the previous period is empty
    let r = trends(
        &s,
        &counts_spec(
            &[""],
            r#""date_range":{"from":"2024-03-04","to":"2024-03-05"}"#,
        ),
    );
    assert!(r.previous_buckets.is_empty() && r.lines[0].previous.is_empty());
    assert_eq!(r.lines[0].previous_total, None);
}

#[test]
fn incomplete_edge_intervals_are_marked() {
    // data from 03-04 00:10 to 03-06 09:00: the last day is covered up to 09:00
    let s = store(
        "user_id,event,timestamp
u1,e,2024-03-04T00:10:00Z
u1,e,2024-03-05T12:00:00Z
u1,e,2024-03-06T09:00:00Z
",
    );
    let r = trends(&s, &spec(r#""interval":"day""#));
    // the first day starts 10 minutes in (under 1/24 of a day: complete)
    assert_eq!(r.incomplete, [false, false, true]);
    // weeks: Monday 03-04 holds all of it and ends on 03-10: incomplete
    let r = trends(&s, &spec(r#""interval":"week""#));
    assert_eq!(r.incomplete, [true]);
    // hours: 00:10 is 10 minutes into its hour (over 2.5 minutes): incomplete
    let r = trends(&s, &spec(r#""interval":"hour""#));
    assert!(r.incomplete[0] && !r.incomplete[1]);
    // the CSV says so per row
    let t = loupe::engine::analysis::trends::table(&trends(&s, &spec(r#""interval":"day""#)));
    assert_eq!(
        t[1][..3],
        ["2024-03-04", "2024-03-04T00:00:00.000Z", "true"]
    );
    assert_eq!(t[3][2], "false");
}

#[test]
fn a_missing_event_counts_zero_with_a_warning() {
    let s = store(FIXTURE);
    let out = try_output(&s, &spec(r#""series":[{"event":"veiw"}]"#)).unwrap();
    assert_eq!(out.warnings.len(), 1);
    assert_eq!(out.warnings[0].hint.as_deref(), Some("view"));
    assert_eq!(out.warnings[0].field, "series[0].event");
}

#[test]
fn bad_specs_are_errors_that_name_the_field() {
    let s = store(AMOUNTS);
    let cases = [
        (r#""breakdown":"country""#, "breakdown", "country"),
        (r#""series":[]"#, "series", "1 to 26"),
        (
            r#""series":[{"measure":"sum"}]"#,
            "series[0].property",
            "numeric property",
        ),
        (
            r#""series":[{"measure":"users","property":"amount"}]"#,
            "series[0].property",
            "only sum",
        ),
        (
            r#""series":[{"measure":"avg","property":"amont"}]"#,
            "series[0].property",
            "did you mean",
        ),
        (
            r#""series":[{}],"formulas":[{"expression":"A / B"}]"#,
            "formulas[0].expression",
            "series B",
        ),
        (
            r#""series":[{}],"formulas":[{"expression":"A +"}]"#,
            "formulas[0].expression",
            "ends too early",
        ),
    ];
    for (extra, field, msg) in cases {
        let (f, m) = spec_error(&s, &spec(extra));
        assert_eq!(f, field, "{extra}");
        assert!(m.contains(msg), "{extra}: {m}");
    }
    let text = store("user_id,event,timestamp,plan\nu,e,2024-01-01T00:00:00Z,pro\n");
    let (f, m) = spec_error(
        &text,
        &spec(r#""series":[{"measure":"max","property":"plan"}]"#),
    );
    assert_eq!(f, "series[0].property");
    assert!(m.contains("text"), "{m}");
    assert!(super::common::try_run(&s, &spec(r#""series":[{"evnt":"buy"}]"#)).is_err());
}

#[test]
fn an_hour_that_comes_back_is_one_interval() {
    // Antarctica/Troll leaves +02:00 for +00:00 on 2024-10-27 at 01:00 UTC (03:00 local
    // becomes 01:00): 23:30 UTC is 01:30 local, 00:30 UTC is 02:30, 01:30 UTC is 01:30
    // again. The intervals run from local hour 01 to 02 although the first and last
    // events are both in hour 01; hour 01 holds two events.
    let s = store(
        "user_id,event,timestamp
x,open,2024-10-26T23:30:00Z
x,open,2024-10-27T00:30:00Z
x,open,2024-10-27T01:30:00Z
",
    );
    let r = trends(
        &s,
        &spec(r#""timezone":"Antarctica/Troll","interval":"hour""#),
    );
    assert_eq!(r.buckets, ["2024-10-27 01:00", "2024-10-27 02:00"]);
    assert_eq!(r.lines[0].values, some(&[2.0, 1.0]));
    assert_eq!(r.lines[0].total, Some(3.0));
}
