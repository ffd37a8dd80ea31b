//! User health fixtures worked out by hand (definition: `src/engine/analysis/health.rs`).
//!
//! Every run also checks that the tiers add up to `seen` and that the transition table's
//! rows and columns add up to the tier sizes of its two intervals.

use super::common::{spec_error, store, try_output, try_run};
use loupe::engine::analysis::health::HealthResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;

fn run(s: &EventStore, extra: &str) -> HealthResult {
    let json = format!(r#"{{"analysis":"health","timezone":"UTC"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Health(r)) => {
            check_sums(&r);
            r
        }
        other => panic!("expected a health result for {json}, got {other:?}"),
    }
}

#[track_caller]
fn check_sums(r: &HealthResult) {
    for k in 0..r.buckets.len() {
        let sum: u64 = r.sizes.iter().map(|s| s[k]).sum();
        assert_eq!(sum, r.seen[k], "interval {k}");
    }
    let tr = &r.transitions;
    let kf = r.buckets.iter().position(|b| *b == tr.from).unwrap();
    let kt = r.buckets.iter().position(|b| *b == tr.to).unwrap();
    for (s, v) in r.sizes.iter().enumerate() {
        assert_eq!(tr.counts[s + 1].iter().sum::<u64>(), v[kf], "row {s}");
        assert_eq!(
            tr.counts.iter().map(|row| row[s]).sum::<u64>(),
            v[kt],
            "column {s}"
        );
    }
}

/// The tier (0 core … 4 dormant) of the one user counted on each day, `None` when nobody.
fn tiers(r: &HealthResult) -> Vec<Option<usize>> {
    (0..r.buckets.len())
        .map(|k| (0..5).find(|&s| r.sizes[s][k] > 0))
        .collect()
}

/// P is active on March 1, 2, 3 and 4 (twice on the 4th); Q acts once on 03-10. Window 5
/// days; tiers core (recency ≤ 0, frequency ≥ 3), active (≤ 1, ≥ 2), casual (≤ 3, ≥ 1),
/// at risk (≤ 4, ≥ 1). P by day (recency, active days in the 5 days ending that day):
/// 1 (0, 1) casual; 2 (0, 2) active; 3 (0, 3) core; 4 (0, 4) core; 5 (1, 4) active;
/// 6 (2, 3) casual; 7 (3, 2) casual; 8 (4, 1) at risk; 9 (5, 0) dormant; 10 dormant.
/// Q on 03-10: (0, 1) casual.
const PQ: &str = "user_id,event,timestamp\n\
     P,open,2025-03-01T09:00:00Z\n\
     P,open,2025-03-02T09:00:00Z\n\
     P,open,2025-03-03T09:00:00Z\n\
     P,open,2025-03-04T09:00:00Z\n\
     P,open,2025-03-04T10:00:00Z\n\
     Q,open,2025-03-10T09:00:00Z\n";

const RULES: &str = r#","window_days":5,"tiers":{"core":{"max_recency_days":0,"min_frequency":3},"active":{"max_recency_days":1,"min_frequency":2},"casual":{"max_recency_days":3,"min_frequency":1},"at_risk":{"max_recency_days":4,"min_frequency":1}}"#;

#[test]
fn recency_and_active_days_pick_the_first_tier_that_holds() {
    let s = store(PQ);
    let r = run(&s, RULES);
    assert_eq!(r.buckets.len(), 10);
    let p: Vec<Option<usize>> = tiers(&r)[..9].to_vec();
    assert_eq!(
        p,
        [2, 1, 0, 0, 1, 2, 2, 3, 4].map(Some).to_vec(),
        "P's tiers"
    );
    // day 10: P dormant, Q casual
    assert_eq!(
        r.sizes.iter().map(|s| s[9]).collect::<Vec<_>>(),
        [0, 0, 1, 0, 1]
    );
    assert_eq!(r.seen[9], 2);
    // first day → last day: P casual → dormant, Q not yet seen → casual
    let tr = &r.transitions;
    assert_eq!(
        tr.states,
        ["core", "active", "casual", "at_risk", "dormant"]
    );
    assert_eq!(tr.counts[0], [0, 0, 1, 0, 0]);
    assert_eq!(tr.counts[3], [0, 0, 0, 0, 1]);
}

/// With `frequency: events` and core = (recency ≤ 1, frequency ≥ 5): on day 4 P has 5
/// events in the window (1 + 1 + 1 + 2) and on day 5 still 5 with recency 1: core on both;
/// by active days (4) P would not be core. Day 3: 3 events, recency 0: active (≤ 1, ≥ 2).
#[test]
fn frequency_by_events() {
    let s = store(PQ);
    let rules = RULES.replace(
        r#""core":{"max_recency_days":0,"min_frequency":3}"#,
        r#""core":{"max_recency_days":1,"min_frequency":5}"#,
    );
    let r = run(&s, &format!(r#"{rules},"frequency":"events""#));
    assert_eq!(tiers(&r)[2..5], [Some(1), Some(0), Some(0)]);
    let r = run(&s, &rules);
    assert_eq!(tiers(&r)[2..5], [Some(1), Some(1), Some(1)]);
}

/// R buys for 50 on 03-01, is refunded 20 on 03-03 (a purchase event with a negative
/// amount) and opens on 03-06; W opens on 03-08. Window 3 days; core = (≤ 10 days, ≥ 1,
/// value ≥ 40), active = (≤ 10, ≥ 1), casual and at risk (≤ 10, ≥ 0). R's value in the
/// 3 days ending each day: 1: 50, 2: 50 (core); 3: 30, 4: −20, 5: −20, 6..8: 0 (active,
/// one active day in every window: a `min_value` of 0 is no condition, so the negative
/// value of days 4 and 5 does not matter). W on 03-08: active.
/// With active = (≤ 10, ≥ 1, value ≥ 10) instead, R's day 3 (30) stays active and days
/// 4..8 (value below 10) fall to casual; W (value 0) is casual too.
#[test]
fn value_is_the_net_purchase_amount_in_the_window() {
    let s = store(
        "user_id,event,timestamp,revenue\n\
         R,buy,2025-03-01T09:00:00Z,50\n\
         R,buy,2025-03-03T09:00:00Z,-20\n\
         R,open,2025-03-06T09:00:00Z,\n\
         W,open,2025-03-08T09:00:00Z,\n",
    );
    let extra = r#","window_days":3,"value":{"purchase_event":"buy"},"tiers":{"core":{"max_recency_days":10,"min_frequency":1,"min_value":40},"active":{"max_recency_days":10,"min_frequency":1},"casual":{"max_recency_days":10,"min_frequency":0},"at_risk":{"max_recency_days":10,"min_frequency":0}}"#;
    let r = run(&s, extra);
    assert!(r.value);
    assert_eq!(r.sizes[0], [1, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(r.sizes[1], [0, 0, 1, 1, 1, 1, 1, 2]);
    let r = run(
        &s,
        &extra.replace(
            r#""active":{"max_recency_days":10,"min_frequency":1}"#,
            r#""active":{"max_recency_days":10,"min_frequency":1,"min_value":10}"#,
        ),
    );
    assert_eq!(r.sizes[1], [0, 0, 1, 0, 0, 0, 0, 0]);
    assert_eq!(r.sizes[2], [0, 0, 0, 1, 1, 1, 1, 2]);
}

/// Defaults (window 30, core ≤ 3 days and ≥ 8 active days, active ≤ 7 and ≥ 3, casual ≤ 14
/// and ≥ 1, at risk ≤ 29 and ≥ 1) by week: V is active every day 03-03 .. 03-12 (Mon
/// 03-03 to Wed 03-12), U on 03-03 only; the data ends 03-31 (U again).
/// Week 03-03 (evaluated Sun 03-09): V recency 0, 7 active days → active (core needs 8);
/// U recency 6, 1 day → casual. Week 03-10 (03-16): V recency 4, 10 days → active; U
/// recency 13 → casual. Week 03-17 (03-23): V recency 11 → casual; U recency 20 → at
/// risk. Week 03-24 (03-30): V 18 → at risk; U 27 → at risk. Week 03-31 (03-31, the
/// data's last day): V 19 → at risk; U 0, 2 active days → casual (active needs 3).
#[test]
fn default_tiers_by_week() {
    let mut csv = String::from("user_id,event,timestamp\nU,open,2025-03-03T12:00:00Z\n");
    for d in 3..=12 {
        csv.push_str(&format!("V,open,2025-03-{d:02}T12:00:00Z\n"));
    }
    csv.push_str("U,open,2025-03-31T12:00:00Z\n");
    let s = store(&csv);
    let r = run(&s, r#","interval":"week""#);
    assert_eq!(r.window_days, 30);
    assert_eq!(
        r.evaluated_on,
        [
            "2025-03-09",
            "2025-03-16",
            "2025-03-23",
            "2025-03-30",
            "2025-03-31"
        ]
    );
    assert_eq!(r.sizes[0], [0, 0, 0, 0, 0]);
    assert_eq!(r.sizes[1], [1, 1, 0, 0, 0]);
    assert_eq!(r.sizes[2], [1, 1, 1, 0, 1]);
    assert_eq!(r.sizes[3], [0, 0, 1, 2, 1]);
    assert_eq!(r.sizes[4], [0, 0, 0, 0, 0]);
}

/// In +08:00, P's 03-01 09:00Z event is 17:00 local and 03-04 10:00Z is 18:00: the same
/// days as in UTC; an event at 2025-03-04T20:00Z is 03-05 04:00 local and moves P's last
/// activity to 03-05 there (day 5: recency 0, 5 active days → core), while in UTC it is on
/// 03-04 (day 5: recency 1 → active).
#[test]
fn the_time_zone_decides_the_days() {
    let s = store(&format!("{PQ}P,open,2025-03-04T20:00:00Z\n"));
    let r = run(&s, RULES);
    assert_eq!(tiers(&r)[4], Some(1));
    let json = format!(r#"{{"analysis":"health","timezone":"+08:00"{RULES}}}"#);
    let Ok(AnalysisResult::Health(r)) = try_run(&s, &json) else {
        panic!()
    };
    check_sums(&r);
    assert_eq!(tiers(&r)[4], Some(0));
}

#[test]
fn bad_options_are_refused_with_the_field() {
    let s = store(PQ);
    let err = |extra: &str| spec_error(&s, &format!(r#"{{"analysis":"health"{extra}}}"#)).0;
    assert_eq!(
        err(
            r#","tiers":{"core":{"max_recency_days":1,"min_frequency":1,"min_value":5},"active":{"max_recency_days":1,"min_frequency":1},"casual":{"max_recency_days":1,"min_frequency":1},"at_risk":{"max_recency_days":1,"min_frequency":1}}"#
        ),
        "tiers.core.min_value"
    );
    assert_eq!(err(r#","window_days":0"#), "window_days");
    assert_eq!(err(r#","interval":"hour""#), "interval");
    assert_eq!(
        err(r#","value":{"purchase_event":"open","amount":"nope"}"#),
        "value.amount"
    );
    assert_eq!(err(r#","to":"2025-03-01","from":"2025-03-05""#), "to");
    assert_eq!(
        err(r#","members":{"from":"core","to":"unseen"}"#),
        "members"
    );
    assert!(try_run(
        &s,
        r#"{"analysis":"health","tiers":{"core":{"max_recency_days":1}}}"#
    )
    .is_err());
    assert!(try_output(
        &s,
        r#"{"analysis":"health","members":{"from":"unseen","to":"casual"}}"#
    )
    .is_ok());
}

/// PQ with a `plan` read per user: P's only plan is `pro` on its last event (03-04), Q has
/// none, and R (`free`) acts once on 03-10 (recency 0, one active day: casual). One user
/// counted each for free and pro: the tie goes by label, so limit 1 keeps `free` and `pro`
/// is `(other)`; Q is `(none)`. P's tiers are those of the test above, day 10 dormant.
#[test]
fn a_breakdown_splits_users_by_their_own_value_with_other_and_none() {
    let s = store(
        "user_id,event,timestamp,plan\n\
         P,open,2025-03-01T09:00:00Z,\n\
         P,open,2025-03-02T09:00:00Z,\n\
         P,open,2025-03-03T09:00:00Z,\n\
         P,open,2025-03-04T09:00:00Z,pro\n\
         P,open,2025-03-04T10:00:00Z,\n\
         Q,open,2025-03-10T09:00:00Z,\n\
         R,open,2025-03-10T10:00:00Z,free\n",
    );
    let r = run(
        &s,
        &format!(r#"{RULES},"breakdown":{{"properties":["plan"],"limit":1}}"#),
    );
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["free", "(other)", "(none)"]);
    // the tier of the one user of a value on each day (None: nobody yet)
    let tier_of = |b: usize| -> Vec<Option<usize>> {
        (0..10)
            .map(|k| (0..5).find(|&s| r.breakdowns[b].sizes[s][k] > 0))
            .collect()
    };
    let mut casual_on_10 = vec![None; 9];
    casual_on_10.push(Some(2));
    assert_eq!(tier_of(0), casual_on_10, "free: R");
    assert_eq!(
        tier_of(1),
        [2, 1, 0, 0, 1, 2, 2, 3, 4, 4].map(Some).to_vec(),
        "(other): P"
    );
    assert_eq!(tier_of(2), casual_on_10, "(none): Q");
    for b in &r.breakdowns {
        let users = if b.value == "(other)" { 1 } else { 0 };
        assert_eq!(b.seen[..9], [users; 9], "{}", b.value);
        assert_eq!(b.seen[9], 1, "{}", b.value);
    }
    // the top level: every user; day 10 P dormant, Q and R casual
    assert_eq!(
        r.sizes.iter().map(|s| s[9]).collect::<Vec<_>>(),
        [0, 0, 2, 0, 1]
    );
    let t = loupe::engine::analysis::table::table(&AnalysisResult::Health(r));
    assert_eq!(t[0][..2], ["breakdown", "section"]);
    assert!(t.contains(
        &["free", "tiers", "2025-03-10", "", "", "casual", "1"]
            .map(String::from)
            .to_vec()
    ));
    assert!(t.iter().all(|row| row.len() == t[0].len()));
}
