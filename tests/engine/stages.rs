//! User stage fixtures worked out by hand (definition: `src/engine/analysis/stages.rs`).
//!
//! Every run also checks that the five stages add up to `seen` in every interval, and that
//! the transition table's row sums (after the "not yet seen" row) are the stage counts of
//! its first interval and its column sums those of its second.

use super::common::{spec_error, store, try_output, try_run};
use loupe::engine::analysis::stages::StagesResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;

/// Runs a stages spec (`extra` = more JSON fields) that must succeed.
fn run(s: &EventStore, extra: &str) -> StagesResult {
    let json = format!(r#"{{"analysis":"stages","timezone":"UTC"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Stages(r)) => {
            check_sums(&r);
            r
        }
        other => panic!("expected a stages result for {json}, got {other:?}"),
    }
}

#[track_caller]
fn check_sums(r: &StagesResult) {
    let series = r.series();
    for k in 0..r.buckets.len() {
        let sum: u64 = series.iter().map(|s| s[k]).sum();
        assert_eq!(sum, r.seen[k], "interval {k}");
    }
    let tr = &r.transitions;
    let kf = r.buckets.iter().position(|b| *b == tr.from).unwrap();
    let kt = r.buckets.iter().position(|b| *b == tr.to).unwrap();
    for (s, v) in series.iter().enumerate() {
        assert_eq!(tr.counts[s + 1].iter().sum::<u64>(), v[kf], "row {s}");
        assert_eq!(
            tr.counts.iter().map(|row| row[s]).sum::<u64>(),
            v[kt],
            "column {s}"
        );
    }
}

/// The days (1-based day of March) on which `v` is nonzero, in a daily series from 03-01.
fn days(v: &[u64]) -> Vec<usize> {
    (0..v.len()).filter(|&k| v[k] > 0).map(|k| k + 1).collect()
}

/// A: one event on 03-01; Z appears on 04-15 (so until 04-14 every count is A's).
/// Defaults S = 7, C = 30. A's last activity is 03-01, so on day d A has been inactive
/// d − 1 days: active while d − 1 < 7 (03-02 .. 03-07), silent from 03-08 (exactly 7
/// days) to 03-30 (29 days), churned from 03-31 (exactly 30 days).
#[test]
fn exactly_silent_days_is_silent_and_exactly_churned_days_is_churned() {
    let s = store(
        "user_id,event,timestamp\n\
         A,open,2025-03-01T10:00:00Z\n\
         Z,open,2025-04-15T10:00:00Z\n",
    );
    let r = run(&s, "");
    assert_eq!(r.buckets.len(), 46); // 03-01 .. 04-15
    assert_eq!(r.silent_days, 7);
    assert_eq!(r.churned_days, 30);
    assert_eq!(days(&r.new), [1, 46]);
    assert_eq!(days(&r.active), (2..=7).collect::<Vec<_>>());
    assert_eq!(days(&r.silent), (8..=30).collect::<Vec<_>>());
    assert_eq!(days(&r.churned), (31..=46).collect::<Vec<_>>());
    assert!(days(&r.returned).is_empty());
    assert_eq!(r.seen[44], 1);
    assert_eq!(r.seen[45], 2);
    assert_eq!(r.evaluated_on[6], "2025-03-07");
}

/// B is active on March 1, 6, 12 and 13; Y appears on 03-15, the data's last day. S = 2,
/// C = 4. B day by day (g = days since the last activity):
/// - 1 new; 2 g=1 active; 3, 4 g=2,3 silent; 5 g=4 churned;
/// - 6: previous activity day 1, 6 − 1 − 1 = 4 ≥ 4 → returned;
/// - 7 active; 8, 9 silent; 10, 11 churned (g=4,5);
/// - 12: 12 − 1 − 6 = 5 ≥ 4 → returned (the second return);
/// - 13: 13 − 1 − 12 = 0 → not a return, g=0 active; 14 g=1 active; 15 g=2 silent.
const TWICE: &str = "user_id,event,timestamp\n\
     B,open,2025-03-01T09:00:00Z\n\
     B,open,2025-03-06T09:00:00Z\n\
     B,buy,2025-03-06T10:00:00Z\n\
     B,open,2025-03-12T09:00:00Z\n\
     B,open,2025-03-13T23:59:59Z\n\
     Y,open,2025-03-15T12:00:00Z\n";

#[test]
fn a_user_who_churns_and_returns_twice() {
    let s = store(TWICE);
    let r = run(&s, r#","silent_days":2,"churned_days":4"#);
    assert_eq!(r.buckets.len(), 15);
    assert_eq!(days(&r.new), [1, 15]);
    assert_eq!(days(&r.returned), [6, 12]);
    assert_eq!(days(&r.churned), [5, 10, 11]);
    assert_eq!(days(&r.silent), [3, 4, 8, 9, 15]);
    assert_eq!(days(&r.active), [2, 7, 13, 14]);
    assert_eq!(r.seen[13], 1);
    assert_eq!(r.seen[14], 2);
    // default transition: first day (B new) → last day (B silent, Y new)
    let tr = &r.transitions;
    assert_eq!(
        (tr.from.as_str(), tr.to.as_str()),
        ("2025-03-01", "2025-03-15")
    );
    assert_eq!(
        tr.states,
        ["new", "active", "silent", "churned", "returned"]
    );
    assert_eq!(tr.counts[0], [1, 0, 0, 0, 0]); // Y: not yet seen → new
    assert_eq!(tr.counts[1], [0, 0, 1, 0, 0]); // B: new → silent
    assert!(tr.members.is_empty());
}

/// The same data by week (Monday weeks; 03-01 is a Saturday): week 02-24 is evaluated
/// over 03-01..03-02 (B appears: new), week 03-03 over 03-03..03-09 (B returns on 03-06),
/// week 03-10 over 03-10..03-15 (B returns on 03-12; Y appears: new). With `from` 03-05
/// and `to` 03-14 the table compares weeks 03-03 and 03-10: B returned → returned, Y
/// not yet seen → new; the cell returned → returned lists B.
#[test]
fn weekly_periods_and_a_chosen_transition_cell() {
    let s = store(TWICE);
    let r = run(
        &s,
        r#","interval":"week","silent_days":2,"churned_days":4,"from":"2025-03-05","to":"2025-03-14","members":{"from":"returned","to":"returned"}"#,
    );
    assert_eq!(r.buckets, ["2025-02-24", "2025-03-03", "2025-03-10"]);
    assert_eq!(r.evaluated_on, ["2025-03-02", "2025-03-09", "2025-03-15"]);
    assert_eq!(r.new, [1, 0, 1]);
    assert_eq!(r.returned, [0, 1, 1]);
    assert_eq!(r.active, [0, 0, 0]);
    let tr = &r.transitions;
    assert_eq!(
        (tr.from.as_str(), tr.to.as_str()),
        ("2025-03-03", "2025-03-10")
    );
    assert_eq!(tr.counts[0], [1, 0, 0, 0, 0]);
    assert_eq!(tr.counts[5], [0, 0, 0, 0, 1]);
    assert_eq!(tr.members, ["B"]);
    // the CSV: 3 weeks × 6 rows, 6 × 5 cells, one member row
    let t = loupe::engine::analysis::stages::table(&r);
    assert_eq!(t.len(), 1 + 18 + 30 + 1);
    assert_eq!(
        t[19 + 29],
        [
            "transitions",
            "2025-03-03",
            "2025-03-10",
            "returned",
            "returned",
            "1"
        ]
    );
    assert_eq!(
        t[49],
        [
            "member",
            "2025-03-03",
            "2025-03-10",
            "returned",
            "returned",
            "B"
        ]
    );
}

/// Daily, from 03-05 (B churned) to 03-13 (B active): the cell churned → active.
#[test]
fn daily_transition_between_two_dates() {
    let s = store(TWICE);
    let r = run(
        &s,
        r#","silent_days":2,"churned_days":4,"from":"2025-03-05","to":"2025-03-13","members":{"from":"churned","to":"active"}"#,
    );
    let tr = &r.transitions;
    let total: u64 = tr.counts.iter().flatten().sum();
    assert_eq!(total, 1); // Y is not seen by 03-13
    assert_eq!(tr.counts[4][1], 1);
    assert_eq!(tr.members, ["B"]);
}

/// C was created on 03-01 (the `signed_up` column) but first acts on 03-10; W acts once
/// on 03-01 (the data's first day); Y acts on 03-12 (the last). W and Y have no creation
/// value: their first event decides. S = 2, C = 4.
/// - C: 1 new; 2 active (1 day since appearing); 3, 4 silent; 5..9 churned (g = 4..8);
///   10: 10 − 1 − 1 = 8 ≥ 4 → returned; 11 active; 12 silent (g = 2).
/// - W: 1 new; 2 active; 3, 4 silent; 5..12 churned. Y: 12 new.
///
/// Without `created_at`, C appears on 03-10 (new), is active on 11 and silent on 12.
#[test]
fn a_creation_before_the_first_event() {
    let s = store(
        "user_id,event,timestamp,signed_up\n\
         W,open,2025-03-01T08:00:00Z,\n\
         C,open,2025-03-10T08:00:00Z,2025-03-01\n\
         Y,open,2025-03-12T08:00:00Z,\n",
    );
    let json = r#"{"analysis":"stages","timezone":"UTC","silent_days":2,"churned_days":4,"created_at":"signed_up"}"#;
    let out = try_output(&s, json).unwrap();
    assert!(out
        .warnings
        .iter()
        .any(|w| w.code == "created_at_fallback" && w.value == "2"));
    let AnalysisResult::Stages(r) = out.result else {
        panic!()
    };
    check_sums(&r);
    assert_eq!(r.buckets.len(), 12);
    assert_eq!(r.new, [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(r.active, [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    assert_eq!(r.silent, [0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(r.churned, [0, 0, 0, 0, 2, 2, 2, 2, 2, 1, 1, 1]);
    assert_eq!(r.returned, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(r.created_at.as_deref(), Some("signed_up"));

    // the first event decides: C is new on 03-10
    let r = run(&s, r#","silent_days":2,"churned_days":4"#);
    assert_eq!(days(&r.new), [1, 10, 12]);
    assert_eq!(days(&r.active), [2, 11]);
    assert_eq!(days(&r.silent), [3, 4, 12]);
    assert_eq!(r.seen[8], 1);
    assert_eq!(r.seen[9], 2);
}

/// D acts at 2025-03-01T15:30Z and 2025-03-03T17:00Z; E at 2025-03-04T10:00Z. S = 1,
/// C = 2.
/// - UTC: D on days 1 and 3, E on 4. Day 1 D new; 2 D silent (g=1); 3: 3 − 1 − 1 = 1 < 2,
///   not a return, D active; 4 D silent, E new.
/// - +08:00: D at 03-01 23:30 and 03-04 01:00 local, E at 03-04 18:00. Day 1 D new; 2
///   silent; 3 churned (g=2); 4: 4 − 1 − 1 = 2 ≥ 2 → returned; E new.
#[test]
fn the_time_zone_decides_the_days() {
    let s = store(
        "user_id,event,timestamp\n\
         D,open,2025-03-01T15:30:00Z\n\
         D,open,2025-03-03T17:00:00Z\n\
         E,open,2025-03-04T10:00:00Z\n",
    );
    let r = run(&s, r#","silent_days":1,"churned_days":2"#);
    assert_eq!(r.new, [1, 0, 0, 1]);
    assert_eq!(r.silent, [0, 1, 0, 1]);
    assert_eq!(r.active, [0, 0, 1, 0]);
    assert_eq!(r.churned, [0, 0, 0, 0]);
    assert_eq!(r.returned, [0, 0, 0, 0]);
    let json = r#"{"analysis":"stages","timezone":"+08:00","silent_days":1,"churned_days":2}"#;
    let Ok(AnalysisResult::Stages(r)) = try_run(&s, json) else {
        panic!()
    };
    check_sums(&r);
    assert_eq!(
        r.buckets,
        ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]
    );
    assert_eq!(r.new, [1, 0, 0, 1]);
    assert_eq!(r.silent, [0, 1, 0, 0]);
    assert_eq!(r.churned, [0, 0, 1, 0]);
    assert_eq!(r.returned, [0, 0, 0, 1]);
    assert_eq!(r.active, [0, 0, 0, 0]);
}

/// Activity is the chosen event only, history before the date range counts, and a user
/// with no event passing the shared filters is not counted.
/// F: open 03-01, buy 03-02, open 03-04; G (country US) buy 03-03; range 03-03..03-04,
/// event buy, filter country ≠ US, S = 1, C = 3.
/// F appeared 03-01 (before the range: not new); last buy 03-02. 03-03: g=1 silent;
/// 03-04: g=2 silent (the open is no activity). G is filtered out entirely.
#[test]
fn chosen_event_history_and_filters() {
    let s = store(
        "user_id,event,timestamp,country\n\
         F,open,2025-03-01T10:00:00Z,CN\n\
         F,buy,2025-03-02T10:00:00Z,CN\n\
         G,buy,2025-03-03T10:00:00Z,US\n\
         F,open,2025-03-04T10:00:00Z,CN\n",
    );
    let r = run(
        &s,
        r#","event":"buy","silent_days":1,"churned_days":3,"date_range":{"from":"2025-03-03","to":"2025-03-04"},"filters":[{"property":"country","op":"neq","value":"US"}]"#,
    );
    assert_eq!(r.buckets, ["2025-03-03", "2025-03-04"]);
    assert_eq!(r.silent, [1, 1]);
    assert_eq!(r.seen, [1, 1]);
}

#[test]
fn bad_options_are_refused_with_the_field() {
    let s = store(TWICE);
    let err = |extra: &str| spec_error(&s, &format!(r#"{{"analysis":"stages"{extra}}}"#)).0;
    assert_eq!(
        err(r#","silent_days":30,"churned_days":30"#),
        "churned_days"
    );
    assert_eq!(err(r#","silent_days":40"#), "churned_days");
    assert_eq!(err(r#","silent_days":0"#), "silent_days");
    assert_eq!(err(r#","interval":"hour""#), "interval");
    assert_eq!(err(r#","from":"soon""#), "from");
    assert_eq!(err(r#","to":"2024-01-01""#), "to");
    assert_eq!(err(r#","from":"2025-03-10","to":"2025-03-02""#), "to");
    assert_eq!(err(r#","members":{"from":"new","to":"unseen"}"#), "members");
    // unknown fields are refused
    assert!(try_run(&s, r#"{"analysis":"stages","silent":3}"#).is_err());
}

/// Monday weeks 03-03 and 03-10 (the data ends on 03-12), S = 2, C = 4; `plan` read per
/// user (the first event that has one):
/// - P (pro on its first event): events 03-03 and 03-10: new, then returned (10 − 1 − 3 =
///   6 ≥ 4);
/// - Q: first event 03-04 without a plan, 03-11 with pro, so Q is pro: new, then returned
///   (11 − 1 − 4 = 6);
/// - F (free): one event 03-05: new, then churned (12 − 5 = 7 days ≥ 4 at 03-12);
/// - N (no plan on any event): appears 03-12: new in week 03-10.
///
/// Users counted: pro 2, free 1, none 1; limit 1 keeps pro, free is `(other)`.
#[test]
fn a_breakdown_splits_users_by_their_own_value_with_other_and_none() {
    let s = store(
        "user_id,event,timestamp,plan\n\
         P,open,2025-03-03T09:00:00Z,pro\n\
         Q,open,2025-03-04T09:00:00Z,\n\
         F,open,2025-03-05T09:00:00Z,free\n\
         P,open,2025-03-10T09:00:00Z,\n\
         Q,open,2025-03-11T09:00:00Z,pro\n\
         N,open,2025-03-12T09:00:00Z,\n",
    );
    let r = run(
        &s,
        r#","interval":"week","silent_days":2,"churned_days":4,"breakdown":{"properties":["plan"],"limit":1}"#,
    );
    assert_eq!(r.buckets, ["2025-03-03", "2025-03-10"]);
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["pro", "(other)", "(none)"]);
    // (new, active, silent, churned, returned, seen) per week
    let want: [[[u64; 2]; 6]; 3] = [
        // pro: P and Q new, then both returned
        [[2, 0], [0, 0], [0, 0], [0, 0], [0, 2], [2, 2]],
        // (other): F new, then churned
        [[1, 0], [0, 0], [0, 0], [0, 1], [0, 0], [1, 1]],
        // (none): N new in the second week
        [[0, 1], [0, 0], [0, 0], [0, 0], [0, 0], [0, 1]],
    ];
    for (b, w) in r.breakdowns.iter().zip(want) {
        let got: Vec<&Vec<u64>> = b.series().into_iter().chain([&b.seen]).collect();
        for (g, w) in got.iter().zip(w) {
            assert_eq!(g.as_slice(), w, "{}", b.value);
        }
    }
    // the top level: every user
    assert_eq!(r.new, [3, 1]);
    assert_eq!(r.returned, [0, 2]);
    assert_eq!(r.churned, [0, 1]);
    assert_eq!(r.seen, [3, 4]);

    // the table: a leading breakdown column, empty on the top level's rows
    let t = loupe::engine::analysis::table::table(&AnalysisResult::Stages(r));
    assert_eq!(t[0][..3], ["breakdown", "section", "interval"]);
    assert_eq!(t[1][..3], ["", "stages", "2025-03-03"]);
    assert!(t.contains(
        &["pro", "stages", "2025-03-10", "", "", "returned", "2"]
            .map(String::from)
            .to_vec()
    ));
    assert!(t.contains(
        &["(none)", "stages", "2025-03-10", "", "", "seen", "1"]
            .map(String::from)
            .to_vec()
    ));
    // 2 weeks × 6 rows, the 6 × 5 transition cells, then 3 values × 12 rows
    assert_eq!(t.len(), 1 + 12 + 30 + 36);
    assert!(t.iter().all(|row| row.len() == t[0].len()));
}
