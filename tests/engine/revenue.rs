//! Revenue fixtures worked out by hand (definition: `src/engine/analysis/revenue.rs`).
//!
//! Every run also checks ARPU = paying rate × ARPPU wherever someone paid.

use super::common::{approx, spec_error, store, try_output};
use loupe::engine::analysis::revenue::{Metrics, RevenueResult};
use loupe::engine::analysis::{table, AnalysisResult};
use loupe::engine::store::EventStore;
use loupe::engine::Error;

/// Runs a revenue spec (`extra` = more JSON fields) that must succeed; returns the result
/// and the warnings as (code, value).
fn run(s: &EventStore, extra: &str) -> (RevenueResult, Vec<(String, String)>) {
    let json = if extra.is_empty() {
        r#"{"analysis":"revenue"}"#.to_string()
    } else {
        format!(r#"{{"analysis":"revenue",{extra}}}"#)
    };
    match try_output(s, &json) {
        Ok(out) => {
            let AnalysisResult::Revenue(r) = out.result else {
                panic!("not a revenue result for {json}")
            };
            for m in r.intervals.iter().map(|x| &x.metrics).chain([&r.total]) {
                identity(m);
            }
            for b in &r.breakdowns {
                for m in b.intervals.iter().chain([&b.total]) {
                    identity(m);
                }
            }
            let w = out
                .warnings
                .into_iter()
                .map(|w| (w.code, w.value))
                .collect();
            (r, w)
        }
        Err(e) => panic!("{json}: {e}"),
    }
}

/// ARPU = paying rate × ARPPU (both are revenue / active users) when someone paid.
#[track_caller]
fn identity(m: &Metrics) {
    if let (Some(arpu), Some(rate), Some(arppu)) = (m.arpu, m.paying_rate, m.arppu) {
        assert!(
            (arpu - rate * arppu).abs() <= 1e-12 * arpu.abs().max(1.0),
            "{arpu} vs {rate} × {arppu}"
        );
    }
}

/// (revenue, purchases, refunds, refund_amount, paying, active, new, acquired to date,
/// revenue to date) of one interval.
type Row = (f64, u64, u64, f64, u64, u64, u64, u64, f64);

#[track_caller]
fn check(m: &Metrics, want: Row) {
    let got = (
        m.revenue,
        m.purchases,
        m.refunds,
        m.refund_amount,
        m.paying_users,
        m.active_users,
        m.new_users,
        m.acquired_to_date,
        m.revenue_to_date,
    );
    assert_eq!(got, want);
}

/// (paying rate, ARPU, ARPPU, ARPU per acquired user).
#[track_caller]
fn ratios(m: &Metrics, want: (Option<f64>, Option<f64>, Option<f64>, Option<f64>)) {
    let pairs = [
        (m.paying_rate, want.0),
        (m.arpu, want.1),
        (m.arppu, want.2),
        (m.arpu_acquired, want.3),
    ];
    for (k, (got, want)) in pairs.into_iter().enumerate() {
        match (got, want) {
            (Some(g), Some(w)) => approx(g, w),
            (None, None) => {}
            _ => panic!("ratio {k}: expected {want:?}, got {got:?}"),
        }
    }
}

/// The fixture (UTC):
/// - A: open 03-01 10:00 (ads), purchase 100 03-01 12:00 (ads), purchase 0 03-02 09:00 (tv)
/// - B: open 03-01 20:00 (no channel), view 03-02 08:00 (seo), purchase 50 03-02 10:00,
///   refund −20 03-02 11:00 (seo)
/// - C: purchase 30 03-03 09:00 (ads), purchase without an amount 03-03 10:00 (ads): C
///   has no other event
/// - D: view 03-03 23:00 (seo), refund −10 03-03 23:30 (seo): no purchase at all
///
/// First-touch channels: A ads, B seo (its first event has none), C ads, D seo.
fn fixture() -> EventStore {
    store(
        "user_id,event,timestamp,revenue,channel\n\
         A,open,2024-03-01T10:00:00Z,,ads\n\
         A,purchase,2024-03-01T12:00:00Z,100,ads\n\
         B,open,2024-03-01T20:00:00Z,,\n\
         B,view,2024-03-02T08:00:00Z,,seo\n\
         A,purchase,2024-03-02T09:00:00Z,0,tv\n\
         B,purchase,2024-03-02T10:00:00Z,50,seo\n\
         B,purchase,2024-03-02T11:00:00Z,-20,seo\n\
         C,purchase,2024-03-03T09:00:00Z,30,ads\n\
         C,purchase,2024-03-03T10:00:00Z,,ads\n\
         D,view,2024-03-03T23:00:00Z,,seo\n\
         D,purchase,2024-03-03T23:30:00Z,-10,seo\n",
    )
}

#[test]
fn days_with_refunds_zero_amounts_and_a_missing_amount() {
    let (r, warnings) = run(&fixture(), "");
    // one purchase without an amount (C's second): a purchase of 0, with a warning
    assert_eq!(warnings, [("amount_missing".to_string(), "1".to_string())]);
    let labels: Vec<&str> = r.intervals.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(labels, ["2024-03-01", "2024-03-02", "2024-03-03"]);
    // the data starts at 10:00 on 03-01 (more than 1 h into the day); it ends at 23:30 on
    // 03-03 (less than 1 h before the day's end)
    let inc: Vec<bool> = r.intervals.iter().map(|x| x.incomplete).collect();
    assert_eq!(inc, [true, false, false]);
    let m: Vec<&Metrics> = r.intervals.iter().map(|x| &x.metrics).collect();
    // 03-01: A buys 100; A and B active; A and B acquired
    check(m[0], (100.0, 1, 0, 0.0, 1, 2, 2, 2, 100.0));
    ratios(m[0], (Some(0.5), Some(50.0), Some(100.0), Some(50.0)));
    // 03-02: A buys for 0 (a purchase), B buys 50 and refunds 20: 0 + 50 − 20 = 30, two
    // purchases (A's 0 counts), one refund of −20; paying A and B of active A and B;
    // to date 100 + 30 = 130 over 2 acquired
    check(m[1], (30.0, 2, 1, -20.0, 2, 2, 0, 2, 130.0));
    ratios(m[1], (Some(1.0), Some(15.0), Some(15.0), Some(65.0)));
    // 03-03: C buys 30 and 0 (no amount), D refunds 10 without buying: 30 + 0 − 10 = 20;
    // paying C, active C and D; C and D acquired: 4 to date, 150 to date
    check(m[2], (20.0, 2, 1, -10.0, 1, 2, 2, 4, 150.0));
    ratios(m[2], (Some(0.5), Some(10.0), Some(20.0), Some(37.5)));
    // the range: distinct users, not sums (A and B are active on two days each)
    check(&r.total, (150.0, 5, 2, -30.0, 3, 4, 4, 4, 150.0));
    ratios(&r.total, (Some(0.75), Some(37.5), Some(50.0), Some(37.5)));
    assert!(r.channels.is_empty());
}

#[test]
fn a_user_active_only_by_purchase_and_a_refund_that_is_no_activity() {
    // with "open" as the active event: 03-02 A (a purchase of 0) and B (a purchase) are
    // active by their purchases; 03-03 C only by purchases, and D (a view and a refund) is
    // not active
    let (r, _) = run(&fixture(), r#""active_event":"open""#);
    let m: Vec<&Metrics> = r.intervals.iter().map(|x| &x.metrics).collect();
    check(m[0], (100.0, 1, 0, 0.0, 1, 2, 2, 2, 100.0));
    check(m[1], (30.0, 2, 1, -20.0, 2, 2, 0, 2, 130.0));
    check(m[2], (20.0, 2, 1, -10.0, 1, 1, 2, 4, 150.0));
    // 03-03: 1 paying of 1 active; ARPU = 20 / 1, ARPPU = 20 / 1
    ratios(m[2], (Some(1.0), Some(20.0), Some(20.0), Some(37.5)));
    // A, B, C active in the range; D is not
    check(&r.total, (150.0, 5, 2, -30.0, 3, 3, 4, 4, 150.0));
    ratios(&r.total, (Some(1.0), Some(50.0), Some(50.0), Some(37.5)));
}

#[test]
fn days_of_a_time_zone_move_events_across_midnight() {
    // at +08:00 the local times are: A 03-01 18:00 and 20:00, B 03-02 04:00 (open),
    // 16:00, A 03-02 17:00, B 18:00, 19:00, C 03-03 17:00 and 18:00, D 03-04 07:00 and
    // 07:30
    let (r, _) = run(&fixture(), r#""timezone":"+08:00""#);
    let labels: Vec<&str> = r.intervals.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(
        labels,
        ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    );
    assert_eq!(r.intervals[0].start, "2024-02-29T16:00:00.000Z");
    // the data starts at 18:00 on 03-01 and ends at 07:30 on 03-04 (local)
    let inc: Vec<bool> = r.intervals.iter().map(|x| x.incomplete).collect();
    assert_eq!(inc, [true, false, false, true]);
    let m: Vec<&Metrics> = r.intervals.iter().map(|x| &x.metrics).collect();
    // 03-01: only A (B's open moved to 03-02)
    check(m[0], (100.0, 1, 0, 0.0, 1, 1, 1, 1, 100.0));
    ratios(m[0], (Some(1.0), Some(100.0), Some(100.0), Some(100.0)));
    // 03-02: B acquired; A 0, B 50 − 20
    check(m[1], (30.0, 2, 1, -20.0, 2, 2, 1, 2, 130.0));
    // 03-03: C alone
    check(m[2], (30.0, 2, 0, 0.0, 1, 1, 1, 3, 160.0));
    ratios(m[2], (Some(1.0), Some(30.0), Some(30.0), Some(160.0 / 3.0)));
    // 03-04: D's refund alone: nobody paid, ARPU = −10 / 1, no ARPPU
    check(m[3], (-10.0, 0, 1, -10.0, 0, 1, 1, 4, 150.0));
    ratios(m[3], (Some(0.0), Some(-10.0), None, Some(37.5)));
}

#[test]
fn weeks_and_months_hold_the_whole_fixture() {
    // 2024-03-01 is a Friday: the ISO week of 02-26 holds 03-01..03-03 (Sunday)
    let (r, _) = run(&fixture(), r#""interval":"week""#);
    assert_eq!(r.intervals.len(), 1);
    assert_eq!(r.intervals[0].label, "2024-02-26");
    assert!(r.intervals[0].incomplete);
    check(
        &r.intervals[0].metrics,
        (150.0, 5, 2, -30.0, 3, 4, 4, 4, 150.0),
    );
    // weeks starting on Sunday: 02-25..03-02 and 03-03..03-09
    let (r, _) = run(&fixture(), r#""interval":"week","week_start":"sunday""#);
    let labels: Vec<&str> = r.intervals.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(labels, ["2024-02-25", "2024-03-03"]);
    // first week: A 100 + 0, B 50 − 20; A and B
    check(
        &r.intervals[0].metrics,
        (130.0, 3, 1, -20.0, 2, 2, 2, 2, 130.0),
    );
    check(
        &r.intervals[1].metrics,
        (20.0, 2, 1, -10.0, 1, 2, 2, 4, 150.0),
    );
    let (r, _) = run(&fixture(), r#""interval":"month""#);
    assert_eq!(r.intervals[0].label, "2024-03");
}

#[test]
fn a_date_range_counts_revenue_and_users_before_it_to_date() {
    let (r, _) = run(
        &fixture(),
        r#""date_range":{"from":"2024-03-02","to":"2024-03-03"}"#,
    );
    let labels: Vec<&str> = r.intervals.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(labels, ["2024-03-02", "2024-03-03"]);
    let m: Vec<&Metrics> = r.intervals.iter().map(|x| &x.metrics).collect();
    // before the range: A's 100, and A and B acquired (first events on 03-01)
    check(m[0], (30.0, 2, 1, -20.0, 2, 2, 0, 2, 130.0));
    check(m[1], (20.0, 2, 1, -10.0, 1, 2, 2, 4, 150.0));
    // the range: 30 + 20; paying A, B, C; active A, B, C, D; C and D new in it
    check(&r.total, (50.0, 4, 2, -30.0, 3, 4, 2, 4, 150.0));
    ratios(
        &r.total,
        (Some(0.75), Some(12.5), Some(50.0 / 3.0), Some(37.5)),
    );
}

#[test]
fn purchase_filters_decide_purchases_but_not_activity() {
    // purchases with channel = ads only: A's 100 (03-01), C's 30 and C's purchase without
    // an amount (03-03). A's 0 (tv), B's 50 and −20 (seo) and D's −10 (seo) are neither
    // purchases nor refunds, but they still make their users active.
    let (r, warnings) = run(
        &fixture(),
        r#""purchase_filters":[{"property":"channel","op":"eq","value":"ads"}]"#,
    );
    assert_eq!(warnings, [("amount_missing".to_string(), "1".to_string())]);
    let m: Vec<&Metrics> = r.intervals.iter().map(|x| &x.metrics).collect();
    check(m[0], (100.0, 1, 0, 0.0, 1, 2, 2, 2, 100.0));
    // 03-02: A and B active, nobody pays; 100 to date over 2 acquired
    check(m[1], (0.0, 0, 0, 0.0, 0, 2, 0, 2, 100.0));
    ratios(m[1], (Some(0.0), Some(0.0), None, Some(50.0)));
    // 03-03: C pays 30 + 0 (two purchases); C and D active and acquired
    check(m[2], (30.0, 2, 0, 0.0, 1, 2, 2, 4, 130.0));
    check(&r.total, (130.0, 3, 0, 0.0, 2, 4, 4, 4, 130.0));
}

#[test]
fn shared_filters_decide_purchases_activity_and_acquisition() {
    // only events with channel = seo: B's view, purchase 50 and refund −20 (03-02), D's
    // view and refund −10 (03-03); of first events only D's has seo, so D alone is
    // acquired
    let (r, _) = run(
        &fixture(),
        r#""filters":[{"property":"channel","op":"eq","value":"seo"}]"#,
    );
    let m: Vec<&Metrics> = r.intervals.iter().map(|x| &x.metrics).collect();
    // 03-01 still shown (the data covers it) and empty: no ratios
    check(m[0], (0.0, 0, 0, 0.0, 0, 0, 0, 0, 0.0));
    ratios(m[0], (None, None, None, None));
    check(m[1], (30.0, 1, 1, -20.0, 1, 1, 0, 0, 30.0));
    ratios(m[1], (Some(1.0), Some(30.0), Some(30.0), None));
    check(m[2], (-10.0, 0, 1, -10.0, 0, 1, 1, 1, 20.0));
    ratios(m[2], (Some(0.0), Some(-10.0), None, Some(20.0)));
}

#[test]
fn roi_cac_and_payback_by_first_touch_channel() {
    let (r, _) = run(
        &fixture(),
        r#""channel":"channel","costs":[{"channel":"seo","cost":40},{"channel":"ads","cost":65},{"channel":"tv","cost":10}]"#,
    );
    assert_eq!(r.channel.as_deref(), Some("channel"));
    let rows: Vec<_> = r
        .channels
        .iter()
        .map(|c| {
            (
                c.channel.as_str(),
                c.new_users,
                c.paying_users,
                c.revenue,
                c.cost,
                c.payback.as_deref(),
                c.payback_intervals,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // ads: A and C; 100 + 0 + 30 + 0 = 130; day 1 alone brings 100 ≥ 65
            ("ads", 2, 2, 130.0, Some(65.0), Some("2024-03-01"), Some(1)),
            // seo: B (first touch on its view) and D; 50 − 20 − 10 = 20; by day 0, 30, 20:
            // never 40
            ("seo", 2, 1, 20.0, Some(40.0), None, None),
            // tv: only on a later event of A, so nobody's first touch; 0 never reaches 10
            ("tv", 0, 0, 0.0, Some(10.0), None, None),
        ]
    );
    // ROI (130 − 65) / 65 = 1, CAC 65 / 2 = 32.5; (20 − 40) / 40 = −0.5, 40 / 2 = 20;
    // (0 − 10) / 10 = −1, no CAC without new users
    approx(r.channels[0].roi.unwrap(), 1.0);
    approx(r.channels[0].cac.unwrap(), 32.5);
    approx(r.channels[1].roi.unwrap(), -0.5);
    approx(r.channels[1].cac.unwrap(), 20.0);
    approx(r.channels[2].roi.unwrap(), -1.0);
    assert_eq!(r.channels[2].cac, None);
    // without costs: the same users and revenue, no ROI
    let (r, _) = run(&fixture(), r#""channel":"channel""#);
    let names: Vec<&str> = r.channels.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(names, ["ads", "seo"]);
    assert!(r
        .channels
        .iter()
        .all(|c| c.roi.is_none() && c.cac.is_none() && c.cost.is_none() && c.payback.is_none()));
    // a range from 03-02: only C (ads, 30) and D (seo, −10) are new in it; a cost of 0
    // has no ROI and is paid back at the end of the first interval
    let (r, _) = run(
        &fixture(),
        r#""channel":"channel","date_range":{"from":"2024-03-02"},"costs":[{"channel":"ads","cost":0},{"channel":"seo","cost":5}]"#,
    );
    let ads = &r.channels[0];
    assert_eq!(
        (ads.channel.as_str(), ads.new_users, ads.revenue),
        ("ads", 1, 30.0)
    );
    assert_eq!((ads.roi, ads.cac), (None, Some(0.0)));
    assert_eq!(ads.payback.as_deref(), Some("2024-03-02"));
    let seo = &r.channels[1];
    assert_eq!(
        (seo.new_users, seo.paying_users, seo.revenue),
        (1, 0, -10.0)
    );
    approx(seo.roi.unwrap(), -3.0);
}

#[test]
fn users_without_a_channel_are_none_and_listed_last() {
    let s = store(
        "user_id,event,timestamp,revenue,src\n\
         A,open,2024-03-01T10:00:00Z,,\n\
         A,purchase,2024-03-01T11:00:00Z,5,\n\
         B,open,2024-03-01T12:00:00Z,,x\n",
    );
    let (r, _) = run(&s, r#""channel":"src""#);
    let rows: Vec<(&str, u64, f64)> = r
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.new_users, c.revenue))
        .collect();
    // A has no src on any event; (none) goes last even with as many users
    assert_eq!(rows, [("x", 1, 0.0), ("(none)", 1, 5.0)]);
}

#[test]
fn the_table_has_a_row_per_interval_a_total_and_the_channels() {
    let (r, _) = run(
        &fixture(),
        r#""channel":"channel","costs":[{"channel":"ads","cost":65}]"#,
    );
    let t = table::table(&AnalysisResult::Revenue(r));
    assert_eq!(
        t[0][..4],
        ["interval", "incomplete", "revenue", "purchases"]
    );
    assert_eq!(t[1][..3], ["2024-03-01", "true", "100"]);
    assert_eq!(t[4][0], "total");
    assert_eq!(t[4][2], "150");
    assert!(t[5].iter().all(String::is_empty));
    assert_eq!(
        t[6][..4],
        ["channel", "new_users", "paying_users", "revenue"]
    );
    assert_eq!(t[7][..6], ["ads", "2", "2", "130", "65", "1"]);
    // one width for the whole CSV
    assert!(t.iter().all(|row| row.len() == t[0].len()));
}

#[test]
fn a_breakdown_by_the_channel_on_each_event_with_other_and_none() {
    // Values by the channel on each event. Revenue over the range: ads 100 + 30 + 0 = 130,
    // seo 50 − 20 − 10 = 20, tv 0; (none) has B's open only. Limit 1 keeps ads; seo and tv
    // are (other); (none) last.
    let (r, _) = run(
        &fixture(),
        r#""breakdown":{"properties":["channel"],"limit":1}"#,
    );
    assert_eq!(r.breakdown.as_deref(), Some("channel"));
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["ads", "(other)", "(none)"]);
    let [ads, other, none] = &r.breakdowns[..] else {
        panic!()
    };
    // ads: 03-01 A's open and purchase 100 (A's first event is an ads one: new);
    // 03-02 nothing; 03-03 C buys 30 and 0 (C's first event: new)
    check(&ads.intervals[0], (100.0, 1, 0, 0.0, 1, 1, 1, 1, 100.0));
    ratios(
        &ads.intervals[0],
        (Some(1.0), Some(100.0), Some(100.0), Some(100.0)),
    );
    check(&ads.intervals[1], (0.0, 0, 0, 0.0, 0, 0, 0, 1, 100.0));
    ratios(&ads.intervals[1], (None, None, None, Some(100.0)));
    check(&ads.intervals[2], (30.0, 2, 0, 0.0, 1, 1, 1, 2, 130.0));
    ratios(
        &ads.intervals[2],
        (Some(1.0), Some(30.0), Some(30.0), Some(65.0)),
    );
    check(&ads.total, (130.0, 3, 0, 0.0, 2, 2, 2, 2, 130.0));
    ratios(&ads.total, (Some(1.0), Some(65.0), Some(65.0), Some(65.0)));
    // (other) = seo and tv: 03-01 nothing; 03-02 B's view (seo), A's purchase of 0 (tv),
    // B's 50 and −20 (seo): 30, paying and active A and B; 03-03 D's view and refund −10
    // (seo): D active, not paying, and new (its first event is seo)
    check(&other.intervals[0], (0.0, 0, 0, 0.0, 0, 0, 0, 0, 0.0));
    ratios(&other.intervals[0], (None, None, None, None));
    check(&other.intervals[1], (30.0, 2, 1, -20.0, 2, 2, 0, 0, 30.0));
    ratios(
        &other.intervals[1],
        (Some(1.0), Some(15.0), Some(15.0), None),
    );
    check(&other.intervals[2], (-10.0, 0, 1, -10.0, 0, 1, 1, 1, 20.0));
    ratios(
        &other.intervals[2],
        (Some(0.0), Some(-10.0), None, Some(20.0)),
    );
    // the range: A and B paying, A, B and D active (each once)
    check(&other.total, (20.0, 2, 2, -30.0, 2, 3, 1, 1, 20.0));
    ratios(
        &other.total,
        (Some(2.0 / 3.0), Some(20.0 / 3.0), Some(10.0), Some(20.0)),
    );
    // (none): B's open on 03-01, B's first event: active and new, no revenue
    check(&none.intervals[0], (0.0, 0, 0, 0.0, 0, 1, 1, 1, 0.0));
    ratios(&none.intervals[0], (Some(0.0), Some(0.0), None, Some(0.0)));
    check(&none.intervals[2], (0.0, 0, 0, 0.0, 0, 0, 0, 1, 0.0));
    check(&none.total, (0.0, 0, 0, 0.0, 0, 1, 1, 1, 0.0));
    // the top level is still every event
    check(&r.total, (150.0, 5, 2, -30.0, 3, 4, 4, 4, 150.0));

    // limit 0 keeps every value: by revenue, tv (0) after seo (20), (none) last
    let (r, _) = run(
        &fixture(),
        r#""breakdown":{"properties":["channel"],"limit":0}"#,
    );
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["ads", "seo", "tv", "(none)"]);
    // tv: A's purchase of 0 on 03-02 is a purchase: paying and active, ARPU 0
    check(&r.breakdowns[2].total, (0.0, 1, 0, 0.0, 1, 1, 0, 0, 0.0));

    // the table: a leading breakdown column, each value's intervals and total
    let t = table::table(&AnalysisResult::Revenue(r));
    assert_eq!(t[0][..3], ["breakdown", "interval", "incomplete"]);
    assert_eq!(t[1][..4], ["ads", "2024-03-01", "true", "100"]);
    assert_eq!(t[4][..4], ["ads", "total", "false", "130"]);
    assert_eq!(t[8][..4], ["seo", "total", "false", "20"]);
    assert_eq!(t.len(), 1 + 4 * 4);
    assert!(t.iter().all(|row| row.len() == t[0].len()));
}

#[test]
fn bad_specs_are_keyed_errors_naming_the_field() {
    let s = fixture();
    let cases = [
        (r#""purchase_event":"buy""#, "purchase_event"),
        (r#""amount":"channel""#, "amount"),
        (r#""amount":"price""#, "amount"),
        (r#""active_event":"opn""#, "active_event"),
        (r#""costs":[{"channel":"ads","cost":1}]"#, "channel"),
        (
            r#""channel":"channel","costs":[{"channel":"ads","cost":1},{"channel":"seo","cost":-1}]"#,
            "costs[1].cost",
        ),
        (
            r#""channel":"channel","costs":[{"channel":"ads","cost":1},{"channel":"seo","cost":2},{"channel":"ads","cost":3}]"#,
            "costs[2].channel",
        ),
        (
            r#""channel":"channel","costs":[{"channel":"ad","cost":1}]"#,
            "costs[0].channel",
        ),
        (r#""channel":"chanel""#, "channel"),
        (r#""breakdown":"chanel""#, "breakdown"),
        (r#""date_range":{"from":"2025-01-01"}"#, "date_range"),
    ];
    for (extra, field) in cases {
        let json = format!(r#"{{"analysis":"revenue",{extra}}}"#);
        assert_eq!(spec_error(&s, &json).0, field, "{json}");
    }
    let json = r#"{"analysis":"revenue","channel":"channel","costs":[{"channel":"ad","cost":1}]}"#;
    match try_output(&s, json) {
        Err(Error::Spec { key, message, .. }) => {
            assert_eq!(key, "unknown_channel");
            assert!(message.contains("did you mean \"ads\""), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match try_output(&s, r#"{"analysis":"revenue","intervl":"day"}"#) {
        Err(Error::SpecJson(m)) => assert!(m.contains("intervl"), "{m}"),
        other => panic!("{other:?}"),
    }
}
