//! Active-users fixtures worked out by hand (definition:
//! `src/engine/analysis/active_users.rs`).

use super::common::{active_users, approx, spec_error, store};
use loupe::engine::analysis::active_users::{self, ActiveUsersResult};

/// The fixture (UTC, 2024-03-01 is a Friday), property plan:
/// - a: open every day 03-01 .. 03-10 at 12:00 (active every day)
/// - b: open 03-01 12:00 and 03-08 12:00, plan pro
/// - c: open 03-05 23:30 (03-06 07:30 in +08:00)
/// - d: buy 03-03 12:00 only
/// - e: open 03-10 12:00 (the last day)
///
/// The data runs from 03-01 12:00 to 03-10 12:00: days 03-01 .. 03-10.
fn data() -> String {
    let mut s = String::from("user_id,event,timestamp,plan\n");
    for d in 1..=10 {
        s.push_str(&format!("a,open,2024-03-{d:02}T12:00:00Z,\n"));
    }
    s.push_str(
        "b,open,2024-03-01T12:00:00Z,pro\n\
         b,open,2024-03-08T12:00:00Z,pro\n\
         c,open,2024-03-05T23:30:00Z,\n\
         d,buy,2024-03-03T12:00:00Z,\n\
         e,open,2024-03-10T12:00:00Z,\n",
    );
    s
}

fn run(extra: &str) -> ActiveUsersResult {
    let s = store(&data());
    let json = if extra.is_empty() {
        r#"{"analysis":"active_users"}"#.to_string()
    } else {
        format!(r#"{{"analysis":"active_users",{extra}}}"#)
    };
    active_users(&s, &json)
}

#[test]
fn dau_wau_mau_per_day() {
    let r = run("");
    assert_eq!(r.days.len(), 10);
    assert_eq!(
        (r.days[0].as_str(), r.days[9].as_str()),
        ("2024-03-01", "2024-03-10")
    );
    // DAU: a every day; + b on 01 and 08, d on 03, c on 05, e on 10
    assert_eq!(r.dau, [2, 1, 2, 1, 2, 1, 1, 2, 1, 2]);
    // WAU, 7 days ending on the day: {a,b} 01-02; +d 03-04; +c 05-09 (the window of 08 is
    // 02..08: a, d, c, b); 10: 04..10 = a, c, b, e (d's 03 has left)
    assert_eq!(r.wau, [2, 2, 3, 3, 4, 4, 4, 4, 4, 4]);
    // MAU: everyone seen so far (all within 30 days)
    assert_eq!(r.mau, [2, 2, 3, 3, 4, 4, 4, 4, 4, 5]);
    approx(r.dau_mau[9].unwrap(), 2.0 / 5.0);
    approx(r.dau_wau[9].unwrap(), 2.0 / 4.0);
    approx(r.dau_mau[1].unwrap(), 1.0 / 2.0);
    // the data starts 03-01: a WAU window ending d starts before it for d ≤ 03-06;
    // every MAU window here does
    assert_eq!(r.data_start, "2024-03-01");
    assert_eq!(
        r.wau_partial,
        [true, true, true, true, true, true, false, false, false, false]
    );
    assert!(r.mau_partial.iter().all(|&p| p));
    assert_eq!(r.mau_days, 30);
}

#[test]
fn frequency_per_week_and_month() {
    let r = run("");
    // weeks from Monday: 02-26 holds 03-01..03-03 (3 shown days, partial); 03-04..03-10
    let p = &r.periods;
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].label.as_str(), p[0].days, p[0].partial),
        ("2024-02-26", 3, true)
    );
    assert_eq!(
        (p[1].label.as_str(), p[1].days, p[1].partial),
        ("2024-03-04", 7, false)
    );
    // week 1: a 3 days, b 1, d 1; week 2: a 7, c 1, b 1, e 1
    assert_eq!(p[0].users, [2, 0, 1, 0, 0, 0, 0]);
    assert_eq!(p[0].active_users, 3);
    assert_eq!(p[1].users, [3, 0, 0, 0, 0, 0, 1]);
    assert_eq!(r.frequency_total, [5, 0, 1, 0, 0, 0, 1]);
    // weeks from Sunday: 02-25 holds 03-01, 03-02; 03-03..03-09; 03-10
    let r = run(r#""week_start":"sunday""#);
    let labels: Vec<&str> = r.periods.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["2024-02-25", "2024-03-03", "2024-03-10"]);
    // 02-25: a 2, b 1; 03-03: a 7, d 1, c 1, b 1; 03-10: a 1, e 1
    assert_eq!(r.periods[0].users, [1, 1, 0, 0, 0, 0, 0]);
    assert_eq!(r.periods[1].users, [3, 0, 0, 0, 0, 0, 1]);
    assert_eq!(r.periods[2].users, [2, 0, 0, 0, 0, 0, 0]);
    // one month, 10 of its 31 days shown: a 10 days, b 2, c, d, e 1
    let r = run(r#""frequency":"month""#);
    assert_eq!(r.periods.len(), 1);
    let m = &r.periods[0];
    assert_eq!((m.label.as_str(), m.days, m.partial), ("2024-03", 10, true));
    assert_eq!(m.users.len(), 31);
    assert_eq!(m.users[..10], [3, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(m.active_users, 5);
}

#[test]
fn chosen_events_with_their_own_filters() {
    // active = open with plan pro (b on 01 and 08) or buy (d on 03)
    let r = run(
        r#""events":[{"event":"open","filters":[{"property":"plan","op":"eq","value":"pro"}]},{"event":"buy"}]"#,
    );
    assert_eq!(r.dau, [1, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    // WAU of 08: window 02..08 holds d (03) and b (08); 09: 03..09 the same; 10: 04..10
    // holds b only
    assert_eq!(r.wau, [1, 1, 2, 2, 2, 2, 2, 2, 2, 1]);
    assert_eq!(r.mau, [1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    // a day without active users has no DAU/WAU ratio only when WAU is 0 too
    assert_eq!(r.dau_wau[1], Some(0.0));
    // only open: d is never active
    let r = run(r#""events":[{"event":"open"}]"#);
    assert_eq!(r.dau[2], 1);
    assert_eq!(r.mau[9], 4);
    // the shared filters apply as well: plan is not pro drops b
    let r = run(r#""filters":[{"property":"plan","op":"neq","value":"pro"}]"#);
    assert_eq!(r.dau, [1, 1, 2, 1, 2, 1, 1, 1, 1, 2]);
    assert_eq!(r.mau[9], 4);
}

#[test]
fn days_are_cut_in_the_time_zone() {
    // +08:00: the 12:00 UTC events stay on their day (20:00); c moves to 03-06
    let r = run(r#""timezone":"+08:00""#);
    assert_eq!(r.days.len(), 10);
    assert_eq!(r.dau, [2, 1, 2, 1, 1, 2, 1, 2, 1, 2]);
    assert_eq!(r.wau, [2, 2, 3, 3, 3, 4, 4, 4, 4, 4]);
    // New York (UTC−5 until 03-10 07:00 UTC, then −4): 12:00 UTC is 07:00 / 08:00 local,
    // c at 18:30 on 03-05; the same days as UTC
    let r = run(r#""timezone":"America/New_York""#);
    assert_eq!(r.dau, [2, 1, 2, 1, 2, 1, 1, 2, 1, 2]);
}

#[test]
fn windows_reach_back_before_the_range() {
    // 03-08 .. 03-10: DAU as before; the windows use the days before 03-08
    let r = run(r#""date_range":{"from":"2024-03-08","to":"2024-03-10"}"#);
    assert_eq!(r.days, ["2024-03-08", "2024-03-09", "2024-03-10"]);
    assert_eq!(r.dau, [2, 1, 2]);
    // 08: 02..08 = a, d, c, b; 09: 03..09 the same; 10: 04..10 = a, c, b, e
    assert_eq!(r.wau, [4, 4, 4]);
    // MAU: 01..08 = a, b, c, d; 10 adds e
    assert_eq!(r.mau, [4, 4, 5]);
    assert_eq!(r.wau_partial, [false, false, false]);
    assert_eq!(r.mau_partial, [true, true, true]);
    // the week of 03-04 shows 3 days: a 3, b 1 (08), e 1 (10)
    assert_eq!(r.periods.len(), 1);
    assert_eq!((r.periods[0].days, r.periods[0].partial), (3, true));
    assert_eq!(r.periods[0].users, [2, 0, 1, 0, 0, 0, 0]);
    // a range starting at a time of day still shows whole days
    let r = run(r#""date_range":{"from":"2024-03-08T18:00:00Z"}"#);
    assert_eq!(r.dau, [2, 1, 2]);
}

#[test]
fn a_28_day_window_and_partial_flags() {
    // 40 days of one user: MAU of day k counts them when active within 28 (30) days
    let mut s = String::from("user_id,event,timestamp\n");
    s.push_str("u,open,2024-01-01T12:00:00Z\n");
    s.push_str("v,open,2024-02-09T12:00:00Z\n");
    let st = store(&s);
    let r = active_users(&st, r#"{"analysis":"active_users","mau_days":28}"#);
    // 01-01 .. 02-09 = 40 days; u covers days 0..27 (28 days), v day 39
    assert_eq!(r.days.len(), 40);
    assert_eq!(r.mau[27], 1);
    assert_eq!(r.mau[28], 0);
    assert_eq!(r.mau[39], 1);
    assert_eq!(r.dau_mau[30], None);
    // the window of day k starts before 01-01 while k < 27
    assert!(r.mau_partial[26]);
    assert!(!r.mau_partial[27]);
    let r = active_users(&st, r#"{"analysis":"active_users"}"#);
    assert_eq!(r.mau[29], 1);
    assert_eq!(r.mau[30], 0);
    assert!(r.mau_partial[28] && !r.mau_partial[29]);
    // WAU: u covers days 0..6
    assert_eq!(r.wau[6], 1);
    assert_eq!(r.wau[7], 0);
}

#[test]
fn the_table_has_a_row_per_day() {
    let r = run("");
    let t = active_users::table(&r);
    assert_eq!(
        t[0],
        [
            "day",
            "dau",
            "wau",
            "mau",
            "dau_mau",
            "dau_wau",
            "wau_partial",
            "mau_partial"
        ]
    );
    assert_eq!(t.len(), 11);
    assert_eq!(
        t[10],
        ["2024-03-10", "2", "4", "5", "0.4", "0.5", "false", "true"]
    );
}

#[test]
fn bad_options_are_rejected_with_their_field() {
    let s = store(&data());
    let (f, _) = spec_error(&s, r#"{"analysis":"active_users","mau_days":31}"#);
    assert_eq!(f, "mau_days");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"active_users","events":[{"event":"opn"}]}"#,
    );
    assert_eq!(f, "events[0].event");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"active_users","events":[{"event":"open","filters":[{"property":"plam","op":"eq","value":"x"}]}]}"#,
    );
    assert_eq!(f, "events[0].filters[0].property");
    let e = super::common::try_run(&s, r#"{"analysis":"active_users","frequency":"day"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("day"), "{e}");
}
