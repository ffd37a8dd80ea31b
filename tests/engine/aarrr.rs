//! AARRR overview (`src/engine/analysis/aarrr.rs`): fixtures worked out by hand, and the
//! consistency of every headline with the analysis it comes from (channels, revenue,
//! trends: each cross-checked on its own) run on the same period.

use super::common::{approx, store, try_output, try_run};
use loupe::engine::analysis::aarrr::{AarrrResult, Metric};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::sample::{dataset, SampleOptions};
use loupe::engine::store::EventStore;
use loupe::engine::Error;

fn aarrr(s: &EventStore, extra: &str) -> AarrrResult {
    let json = format!(r#"{{"analysis":"aarrr"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Aarrr(r)) => r,
        other => panic!("expected an aarrr result for {json}, got {other:?}"),
    }
}

fn metric<'a>(r: &'a AarrrResult, key: &str) -> &'a Metric {
    r.metrics
        .iter()
        .find(|m| m.key == key)
        .unwrap_or_else(|| panic!("no metric {key} in {:?}", r.metrics))
}

/// Asserts current, previous, change and relative change (none where `None`).
#[track_caller]
fn check(m: &Metric, cur: Option<f64>, prev: Option<f64>, change: Option<f64>, rel: Option<f64>) {
    for (got, want, what) in [
        (m.current, cur, "current"),
        (m.previous, prev, "previous"),
        (m.change, change, "change"),
        (m.relative_change, rel, "relative_change"),
    ] {
        match (got, want) {
            (Some(g), Some(w)) => approx(g, w),
            (None, None) => {}
            _ => panic!("{} {what}: got {got:?}, expected {want:?}", m.key),
        }
    }
}

/// Fixture (UTC). Current period 03-08 to 03-14 (7 days), previous 03-01 to 03-07.
/// - P: open 03-02 10:00 `ads` (acquired in the previous period); purchase 30 on 03-09:
///   active and paying now, but not new now.
/// - Q: open 03-08 09:00 `seo`; signup 03-09 09:00, exactly 24 h later: activated with a
///   1-day window (the edge is included), and day 1 retained; invite 03-09 10:00.
/// - R: open 03-10 12:00 `ads`; signup 03-11 12:00:01, one second late: not activated,
///   but day 1 retained.
/// - S: open 03-12 00:00, no channel: `(none)`; invite twice on 03-12; nothing on day 1.
/// - T: open 03-20 00:00, after the period: the data end, by which every window ended.
const FIXTURE: &str = "user_id,event,timestamp,channel,revenue\n\
    P,open,2025-03-02T10:00:00Z,ads,\n\
    P,purchase,2025-03-09T10:00:00Z,,30\n\
    Q,open,2025-03-08T09:00:00Z,seo,\n\
    Q,signup,2025-03-09T09:00:00Z,,\n\
    Q,invite,2025-03-09T10:00:00Z,,\n\
    R,open,2025-03-10T12:00:00Z,ads,\n\
    R,signup,2025-03-11T12:00:01Z,,\n\
    S,open,2025-03-12T00:00:00Z,,\n\
    S,invite,2025-03-12T01:00:00Z,,\n\
    S,invite,2025-03-12T02:00:00Z,,\n\
    T,open,2025-03-20T00:00:00Z,,\n";

const WEEK: &str = r#","date_range":{"from":"2025-03-08","to":"2025-03-14"},"activation":["signup"],"retention_days":[1],"referral_event":"invite""#;

#[test]
fn every_block_of_two_hand_worked_periods() {
    let s = store(FIXTURE);
    let r = aarrr(&s, WEEK);
    assert_eq!(r.current.from, "2025-03-08T00:00:00.000Z");
    assert_eq!(r.current.to, "2025-03-15T00:00:00.000Z");
    assert_eq!(r.previous.from, "2025-03-01T00:00:00.000Z");
    assert_eq!(r.previous.to, "2025-03-08T00:00:00.000Z");
    // new: Q, R, S now; P before (P's purchase now does not make P new)
    check(
        metric(&r, "new_users"),
        Some(3.0),
        Some(1.0),
        Some(2.0),
        Some(2.0),
    );
    // activated: Q (at the edge) of Q, R, S; before: P without signup, 0 of 1 → relative none
    check(
        metric(&r, "activation_rate"),
        Some(1.0 / 3.0),
        Some(0.0),
        Some(1.0 / 3.0),
        None,
    );
    // D1: Q (signup 03-09), R (signup 03-11) of 3; before: P nothing on 03-03
    check(
        metric(&r, "d1_retention"),
        Some(2.0 / 3.0),
        Some(0.0),
        Some(2.0 / 3.0),
        None,
    );
    // active now: P, Q, R, S; P pays 30. Before: P active, nobody pays.
    check(
        metric(&r, "paying_rate"),
        Some(0.25),
        Some(0.0),
        Some(0.25),
        None,
    );
    check(metric(&r, "arpu"), Some(7.5), Some(0.0), Some(7.5), None);
    check(metric(&r, "arppu"), Some(30.0), None, None, None);
    // invite: Q once, S twice → 2 users, 3 events, 2 / 4 active; nothing before
    check(
        metric(&r, "referral_users"),
        Some(2.0),
        Some(0.0),
        Some(2.0),
        None,
    );
    check(
        metric(&r, "referral_rate"),
        Some(0.5),
        Some(0.0),
        Some(0.5),
        None,
    );
    check(
        metric(&r, "referral_events"),
        Some(3.0),
        Some(0.0),
        Some(3.0),
        None,
    );
    // per channel: ads R (before P), seo Q, (none) S; ties by name, (none) last
    let ch: Vec<(&str, u64, u64)> = r
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.current, c.previous))
        .collect();
    assert_eq!(ch, [("ads", 1, 1), ("seo", 1, 0), ("(none)", 1, 0)]);
    // per day 03-08 .. 03-14: new users Q, R, S on 03-08, 03-10, 03-12; invites 03-09, 03-12
    let labels: Vec<&str> = r.points.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "2025-03-08",
            "2025-03-09",
            "2025-03-10",
            "2025-03-11",
            "2025-03-12",
            "2025-03-13",
            "2025-03-14"
        ]
    );
    let new: Vec<u64> = r.points.iter().map(|p| p.new_users).collect();
    assert_eq!(new, [1, 0, 1, 0, 1, 0, 0]);
    let inv: Vec<Option<f64>> = r.points.iter().map(|p| p.referral_users).collect();
    let z = Some(0.0);
    assert_eq!(inv, [z, Some(1.0), z, z, Some(1.0), z, z]);
    // 03-09: P and Q active, Q invites → 1/2; 03-12: S alone → 1
    assert_eq!(r.points[1].referral_rate, Some(0.5));
    assert_eq!(r.points[4].referral_rate, Some(1.0));
    assert_eq!(r.points[1].paying_rate, Some(0.5));
}

#[test]
fn a_previous_period_without_data_has_no_change() {
    let s = store(FIXTURE);
    // current 03-01 to 03-07 (P only), previous 02-22 to 02-28: no event at all
    let r = aarrr(
        &s,
        r#","date_range":{"from":"2025-03-01","to":"2025-03-07"},"referral_event":"invite""#,
    );
    check(
        metric(&r, "new_users"),
        Some(1.0),
        Some(0.0),
        Some(1.0),
        None,
    );
    // P is active, nobody paid
    check(metric(&r, "paying_rate"), Some(0.0), None, None, None);
    check(metric(&r, "arppu"), None, None, None, None);
    check(
        metric(&r, "referral_users"),
        Some(0.0),
        Some(0.0),
        Some(0.0),
        None,
    );
    check(metric(&r, "referral_rate"), Some(0.0), None, None, None);
    assert_eq!(r.channels.len(), 1);
    assert_eq!((r.channels[0].current, r.channels[0].previous), (1, 0));
}

#[test]
fn referral_and_activation_not_configured() {
    let s = store(FIXTURE);
    let r = aarrr(
        &s,
        r#","date_range":{"from":"2025-03-08","to":"2025-03-14"}"#,
    );
    let keys: Vec<&str> = r.metrics.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "new_users",
            "d1_retention",
            "d7_retention",
            "d30_retention",
            "paying_rate",
            "arpu",
            "arppu"
        ]
    );
    assert!(r.referral_event.is_none());
    assert!(r.points.iter().all(|p| p.referral_rate.is_none()));
    // D7 of Q (03-15), R (03-17), S (03-19): none has an event that day → 0 of 3;
    // D30 has ended for nobody (data end 03-20) → none
    // before: P's day 7 is 03-09, when P buys → 1 of 1
    check(
        metric(&r, "d7_retention"),
        Some(0.0),
        Some(1.0),
        Some(-1.0),
        Some(-1.0),
    );
    check(metric(&r, "d30_retention"), None, None, None, None);
}

#[test]
fn all_data_means_the_last_30_days_and_errors_name_the_field() {
    let s = store(FIXTURE);
    let r = aarrr(&s, "");
    // the data ends 03-20: 02-19 .. 03-20 (10 + 20 days), previous 30 days before
    assert_eq!(r.current.from, "2025-02-19T00:00:00.000Z");
    assert_eq!(r.current.to, "2025-03-21T00:00:00.000Z");
    assert_eq!(r.previous.from, "2025-01-20T00:00:00.000Z");
    // everyone is new in it; before it there is no data
    check(
        metric(&r, "new_users"),
        Some(5.0),
        Some(0.0),
        Some(5.0),
        None,
    );
    let out = try_output(&s, r#"{"analysis":"aarrr"}"#).unwrap();
    assert_eq!(
        out.range,
        (
            Some("2025-02-19T00:00:00.000Z".into()),
            Some("2025-03-21T00:00:00.000Z".into())
        )
    );
    for (extra, field) in [
        (r#","referral_event":"invit""#, "referral_event"),
        (r#","channel":"chanel""#, "channel"),
        (r#","purchase_event":"buy""#, "purchase_event"),
        (r#","activation":["sign"]"#, "activation[0]"),
        (r#","activation_days":0"#, "activation_days"),
        (r#","retention_days":[]"#, "retention_days"),
    ] {
        match try_run(&s, &format!(r#"{{"analysis":"aarrr"{extra}}}"#)) {
            Err(Error::Spec { field: f, .. }) => assert_eq!(f, field, "{extra}"),
            other => panic!("{extra}: expected a spec error, got {other:?}"),
        }
    }
    // a period without any event is an error, not zeros
    assert!(matches!(
        try_run(
            &s,
            r#"{"analysis":"aarrr","date_range":{"from":"2026-01-01","to":"2026-01-31"}}"#
        ),
        Err(Error::Spec { .. })
    ));
}

/// Every headline equals the analysis it comes from, run on each period.
#[test]
fn headlines_equal_the_analyses_they_come_from() {
    let d = dataset(&SampleOptions {
        users: 2000,
        ..Default::default()
    });
    let s = &d.store;
    let common = r#""timezone":"Asia/Shanghai","filters":[{"property":"platform","op":"neq","value":"web"}]"#;
    let r = aarrr(
        s,
        &format!(
            r#",{common},"date_range":{{"from":"2025-11-11","to":"2025-11-20"}},"activation":["view_item","add_to_cart"],"activation_days":2,"referral_event":"share_item","interval":"week""#
        ),
    );
    for (range, side) in [
        (r#"{"from":"2025-11-11","to":"2025-11-20"}"#, 0),
        (r#"{"from":"2025-11-01","to":"2025-11-10"}"#, 1),
    ] {
        let pick = |m: &Metric| if side == 0 { m.current } else { m.previous };
        let run = |json: String| try_run(s, &json).unwrap();
        let AnalysisResult::Channels(c) = run(format!(
            r#"{{"analysis":"channels",{common},"date_range":{range},"activation":["view_item","add_to_cart"],"activation_days":2,"limit":0}}"#
        )) else {
            panic!()
        };
        assert_eq!(
            pick(metric(&r, "new_users")),
            Some(c.total.new_users as f64)
        );
        assert_eq!(
            pick(metric(&r, "activation_rate")),
            c.total.activation.as_ref().unwrap().rate
        );
        for (k, d) in [1, 7, 30].iter().enumerate() {
            assert_eq!(
                pick(metric(&r, &format!("d{d}_retention"))),
                c.total.retention[k].rate
            );
        }
        for row in &c.rows {
            if let Some(x) = r.channels.iter().find(|x| x.channel == row.channel) {
                assert_eq!(
                    if side == 0 { x.current } else { x.previous },
                    row.new_users
                );
            }
        }
        let AnalysisResult::Revenue(v) = run(format!(
            r#"{{"analysis":"revenue",{common},"date_range":{range}}}"#
        )) else {
            panic!()
        };
        assert_eq!(pick(metric(&r, "paying_rate")), v.total.paying_rate);
        assert_eq!(pick(metric(&r, "arpu")), v.total.arpu);
        assert_eq!(pick(metric(&r, "arppu")), v.total.arppu);
        let AnalysisResult::Trends(t) = run(format!(
            r#"{{"analysis":"trends",{common},"date_range":{range},"series":[{{"event":"share_item","measure":"users"}},{{"event":"share_item"}}]}}"#
        )) else {
            panic!()
        };
        assert_eq!(pick(metric(&r, "referral_users")), t.lines[0].total);
        assert_eq!(pick(metric(&r, "referral_events")), t.lines[1].total);
    }
    // the channel rows add up to the total in both periods
    let new = metric(&r, "new_users");
    let sum = |f: fn(&loupe::engine::analysis::aarrr::ChannelNew) -> u64| {
        r.channels.iter().map(f).sum::<u64>() as f64
    };
    assert_eq!(Some(sum(|c| c.current)), new.current);
    assert_eq!(Some(sum(|c| c.previous)), new.previous);
}

/// The app's starting spec and whether AARRR is the first page, from the data's names.
#[test]
fn suggestions_from_the_names_and_the_first_page() {
    use loupe::engine::analysis::aarrr::{suggest_referral_event, suggested};
    use loupe::engine::overview::overview;
    // "invite" comes before "share" whatever the order of the names
    assert_eq!(
        suggest_referral_event(&["app_open", "share_item", "Invite Friend"]),
        Some("Invite Friend")
    );
    assert_eq!(
        suggest_referral_event(&["浏览", "分享成功"]),
        Some("分享成功")
    );
    assert_eq!(suggest_referral_event(&["open", "view"]), None);
    let d = super::common::load(FIXTURE);
    let (spec, first) = suggested(&overview(&d.store, &d.report));
    assert!(first, "channel, purchase and revenue are there");
    assert_eq!(spec.activation, ["signup"]);
    assert_eq!(spec.referral_event.as_deref(), Some("invite"));
    assert_eq!(
        (spec.channel.as_str(), spec.purchase_event.as_str()),
        ("channel", "purchase")
    );
    // without a channel column the overview stays the first page
    let d =
        super::common::load("user_id,event,timestamp,revenue\nA,purchase,2025-03-01T00:00:00Z,5\n");
    assert!(!suggested(&overview(&d.store, &d.report)).1);
}
