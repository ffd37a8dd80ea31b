//! Sessions fixtures worked out by hand (definition: `src/engine/analysis/sessions.rs`).
//!
//! Every test also checks that entries and exits each add up to the sessions.

use super::common::{approx, spec_error, store, try_output, try_run};
use loupe::engine::analysis::sessions::{PageRow, SessionsResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;

/// Runs a sessions spec (`extra` = more JSON fields) that must succeed.
fn run(s: &EventStore, extra: &str) -> SessionsResult {
    let json = if extra.is_empty() {
        r#"{"analysis":"sessions"}"#.to_string()
    } else {
        format!(r#"{{"analysis":"sessions",{extra}}}"#)
    };
    match try_run(s, &json) {
        Ok(AnalysisResult::Sessions(r)) => {
            if r.pages.len() as u64 == r.page_count {
                let entries: u64 = r.pages.iter().map(|p| p.entries).sum();
                let exits: u64 = r.pages.iter().map(|p| p.exits).sum();
                assert_eq!(entries, r.totals.sessions, "entries add up to sessions");
                assert_eq!(exits, r.totals.sessions, "exits add up to sessions");
            }
            r
        }
        other => panic!("expected a sessions result for {json}, got {other:?}"),
    }
}

#[track_caller]
fn approx_opt(actual: Option<f64>, expected: Option<f64>) {
    match (actual, expected) {
        (Some(a), Some(e)) => approx(a, e),
        (None, None) => {}
        _ => panic!("expected {expected:?}, got {actual:?}"),
    }
}

/// (page, views, viewers, entries, exits, bounces).
fn counts(p: &PageRow) -> (&str, u64, u64, u64, u64, u64) {
    (
        p.page.as_str(),
        p.views,
        p.viewers,
        p.entries,
        p.exits,
        p.bounces,
    )
}

/// Fixture 1 (UTC), page views are `pv` events with a `page`, `click` has none:
/// - A: pv /a 10:00, pv /b 10:10, click 10:40 (exactly 30 min after 10:10: a new
///   session), pv /a 10:45, pv /c 11:20 (35 min gap: a new session)
/// - B: pv /a 10:00, pv /b 10:29:59, pv /a 10:59:58 (gaps of 29:59: one session)
/// - C: pv /b 23:50, pv /c 00:10 the next day (one session across midnight)
///
/// Sessions (timeout 30):
/// - S1 (A) /a 10:00, /b 10:10: entry /a, exit /b, 600 s; /a is on screen 600 s
/// - S2 (A) click 10:40, /a 10:45: one page view (bounce), 300 s (from the click)
/// - S3 (A) /c 11:20: bounce, 0 s
/// - S4 (B) /a, /b, /a: entry /a, exit /a, 3598 s; /a 1799 s, /b 1799 s
/// - S5 (C) /b 23:50, /c 00:10: entry /b, exit /c, 1200 s; /b 1200 s
fn fixture() -> EventStore {
    store(
        "user_id,event,timestamp,page\n\
         A,pv,2025-03-01T10:00:00Z,/a\n\
         A,pv,2025-03-01T10:10:00Z,/b\n\
         A,click,2025-03-01T10:40:00Z,\n\
         A,pv,2025-03-01T10:45:00Z,/a\n\
         A,pv,2025-03-01T11:20:00Z,/c\n\
         B,pv,2025-03-01T10:00:00Z,/a\n\
         B,pv,2025-03-01T10:29:59Z,/b\n\
         B,pv,2025-03-01T10:59:58Z,/a\n\
         C,pv,2025-03-01T23:50:00Z,/b\n\
         C,pv,2025-03-02T00:10:00Z,/c\n",
    )
}

#[test]
fn totals_and_pages_of_the_timeout_sessions() {
    let r = run(&fixture(), "");
    let t = &r.totals;
    // PV = 4 (A) + 3 (B) + 2 (C); UV = 3
    assert_eq!((t.page_views, t.users), (9, 3));
    // S1..S5; S2 and S3 bounce
    assert_eq!(
        (t.sessions, t.bounces, t.sessions_without_page_views),
        (5, 2, 0)
    );
    approx_opt(t.bounce_rate, Some(2.0 / 5.0));
    approx_opt(t.pages_per_session, Some(9.0 / 5.0));
    // (600 + 300 + 0 + 3598 + 1200) / 5
    approx_opt(t.average_session_seconds, Some(5698.0 / 5.0));
    // times on page: 600, 1799, 1799, 1200 (last page views of sessions left out)
    approx_opt(t.average_time_on_page_seconds, Some(5398.0 / 4.0));
    assert_eq!(r.page_count, 3);
    let rows: Vec<_> = r.pages.iter().map(counts).collect();
    assert_eq!(
        rows,
        vec![
            // /a: A 10:00, A 10:45, B 10:00, B 10:59:58; entries S1 S2 S4; exits S2 S4;
            // bounce S2
            ("/a", 4, 2, 3, 2, 1),
            // /b: A, B, C; entry S5; exit S1
            ("/b", 3, 3, 1, 1, 0),
            // /c: A 11:20, C 00:10; entry S3; exits S3 S5; bounce S3
            ("/c", 2, 2, 1, 2, 1),
        ]
    );
    let [a, b, c] = &r.pages[..] else { panic!() };
    approx_opt(a.bounce_rate, Some(1.0 / 3.0));
    approx_opt(a.exit_rate, Some(2.0 / 4.0));
    approx_opt(a.average_time_on_page_seconds, Some((600.0 + 1799.0) / 2.0));
    approx_opt(b.bounce_rate, Some(0.0));
    approx_opt(b.exit_rate, Some(1.0 / 3.0));
    approx_opt(
        b.average_time_on_page_seconds,
        Some((1799.0 + 1200.0) / 2.0),
    );
    approx_opt(c.bounce_rate, Some(1.0));
    approx_opt(c.exit_rate, Some(1.0));
    // /c is only ever the last page of its session: no time on page (not 0)
    assert_eq!(c.average_time_on_page_seconds, None);
}

#[test]
fn a_gap_of_exactly_the_timeout_starts_a_new_session() {
    let s = fixture();
    // timeout 20: A as before (gaps 10, 30, 5, 35 min: 3 sessions, 2 bounces); B's gaps
    // of 29:59 now split it into 3 bounced sessions; C's gap of exactly 20 min splits it
    // into 2 bounced sessions
    let r = run(&s, r#""timeout_minutes":20"#);
    assert_eq!((r.totals.sessions, r.totals.bounces), (8, 7));
    // only S1's /a → /b (600 s) keeps a time on page
    approx_opt(r.totals.average_time_on_page_seconds, Some(600.0));
    // timeout 31: A's click (30 min after /b) joins S1, and /a 10:45 too: S1 = /a /b click
    // /a, then /c alone (35 min); B and C as with 30
    let r = run(&s, r#""timeout_minutes":31"#);
    assert_eq!((r.totals.sessions, r.totals.bounces), (4, 1));
    // S1 lasts 10:00 → 10:45 = 2700 s; S3 0; B 3598; C 1200
    approx_opt(
        r.totals.average_session_seconds,
        Some((2700.0 + 0.0 + 3598.0 + 1200.0) / 4.0),
    );
    // /b's time on page in S1 runs to the next page view (/a 10:45), not to the click
    let b = r.pages.iter().find(|p| p.page == "/b").unwrap();
    approx_opt(
        b.average_time_on_page_seconds,
        Some((35.0 * 60.0 + 1799.0 + 1200.0) / 3.0),
    );
}

#[test]
fn over_time_assigns_sessions_to_the_interval_of_their_first_event() {
    let r = run(&fixture(), r#""view":"over_time""#);
    let o = &r.over_time;
    assert_eq!(o.buckets, ["2025-03-01", "2025-03-02"]);
    // the data starts at 10:00 and ends at 00:10: both days are partial
    assert_eq!(o.incomplete, [true, true]);
    // day 1: every page view but C's 00:10; day 2: that one
    assert_eq!(o.page_views, [8, 1]);
    assert_eq!(o.users, [3, 1]);
    // S5 starts on day 1 (23:50), so all five sessions are day 1's
    assert_eq!(o.sessions, [5, 0]);
    approx_opt(o.pages_per_session[0], Some(9.0 / 5.0));
    assert_eq!(o.pages_per_session[1], None);
    approx_opt(o.bounce_rate[0], Some(0.4));
    approx_opt(o.average_session_seconds[0], Some(5698.0 / 5.0));
    assert_eq!(o.average_session_seconds[1], None);
}

#[test]
fn the_time_zone_moves_a_session_to_the_next_day() {
    // at +01:00, C's session starts at 00:50 on 03-02; the others start on 03-01
    let r = run(&fixture(), r#""view":"over_time","timezone":"+01:00""#);
    let o = &r.over_time;
    assert_eq!(o.buckets, ["2025-03-01", "2025-03-02"]);
    // day 1: A's 4 and B's 3 page views; day 2: C's 2
    assert_eq!(o.page_views, [7, 2]);
    assert_eq!(o.users, [2, 1]);
    assert_eq!(o.sessions, [4, 1]);
    // day 1: S1..S4 have 2 + 1 + 1 + 3 page views, S2 and S3 bounce,
    // (600 + 300 + 0 + 3598) / 4 s
    approx_opt(o.pages_per_session[0], Some(7.0 / 4.0));
    approx_opt(o.bounce_rate[0], Some(0.5));
    approx_opt(o.average_session_seconds[0], Some(4498.0 / 4.0));
    // day 2: S5
    approx_opt(o.pages_per_session[1], Some(2.0));
    approx_opt(o.bounce_rate[1], Some(0.0));
    approx_opt(o.average_session_seconds[1], Some(1200.0));
    // the date range is whole local days: only 03-02 keeps C's two page views, and with
    // them C's whole session
    let r = run(
        &fixture(),
        r#""timezone":"+01:00","date_range":{"from":"2025-03-02","to":"2025-03-02"}"#,
    );
    assert_eq!((r.totals.page_views, r.totals.sessions), (2, 1));
    // at UTC the same range keeps C's 00:10 only: a session of one page view
    let r = run(
        &fixture(),
        r#""date_range":{"from":"2025-03-02","to":"2025-03-02"}"#,
    );
    assert_eq!(
        (r.totals.page_views, r.totals.sessions, r.totals.bounces),
        (1, 1, 1)
    );
}

#[test]
fn sessions_are_built_from_the_events_passing_the_filters() {
    // without /b, A: /a 10:00 | click 10:40, /a 10:45 | /c 11:20; B: /a 10:00 |
    // /a 10:59:58 (59:58 apart); C: /c 00:10. Six sessions of one page view each;
    // durations 0, 300, 0, 0, 0, 0 (events without a page pass "page is not /b")
    let r = run(
        &fixture(),
        r#""filters":[{"property":"page","op":"neq","value":"/b"}]"#,
    );
    let t = &r.totals;
    assert_eq!((t.page_views, t.users, t.sessions, t.bounces), (6, 3, 6, 6));
    approx_opt(t.average_session_seconds, Some(300.0 / 6.0));
    assert_eq!(t.average_time_on_page_seconds, None);
    let rows: Vec<_> = r.pages.iter().map(counts).collect();
    assert_eq!(rows, vec![("/a", 4, 2, 4, 4, 4), ("/c", 2, 2, 2, 2, 2)]);
}

/// Fixture 2: sessions from a session-id column `sid`.
/// - A: pv /a 10:00 s1, pv /b 10:05 s2, pv /c 10:07 s1, pv /b 13:00 s1 (three hours on:
///   still s1), click 13:01 without a session id (left out, with a warning)
/// - B: pv /a 10:00 s1 (the same id as A's, but another user: another session)
///
/// Sessions: A-s1 = /a, /c, /b (entry /a, exit /b, 10:00 → 13:00 = 10800 s; /a 420 s,
/// /c 10380 s); A-s2 = /b (bounce, 0 s); B-s1 = /a (bounce, 0 s).
#[test]
fn a_session_id_column_groups_events_however_far_apart() {
    let s = store(
        "user_id,event,timestamp,page,sid\n\
         A,pv,2025-03-01T10:00:00Z,/a,s1\n\
         A,pv,2025-03-01T10:05:00Z,/b,s2\n\
         A,pv,2025-03-01T10:07:00Z,/c,s1\n\
         A,pv,2025-03-01T13:00:00Z,/b,s1\n\
         A,click,2025-03-01T13:01:00Z,,\n\
         B,pv,2025-03-01T10:00:00Z,/a,s1\n",
    );
    let out = try_output(&s, r#"{"analysis":"sessions","session":"sid"}"#).unwrap();
    let w: Vec<_> = out
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.value.as_str()))
        .collect();
    assert_eq!(w, [("session_missing", "1")]);
    let r = run(&s, r#""session":"sid""#);
    let t = &r.totals;
    assert_eq!((t.page_views, t.users, t.sessions, t.bounces), (5, 2, 3, 2));
    approx_opt(t.average_session_seconds, Some(10800.0 / 3.0));
    approx_opt(
        t.average_time_on_page_seconds,
        Some((420.0 + 10380.0) / 2.0),
    );
    let rows: Vec<_> = r.pages.iter().map(counts).collect();
    // /a and /b tie on 2 views: by name
    assert_eq!(
        rows,
        vec![
            ("/a", 2, 2, 2, 1, 1),
            ("/b", 2, 1, 1, 2, 1),
            ("/c", 1, 1, 0, 0, 0)
        ]
    );
    let c = &r.pages[2];
    assert_eq!(c.bounce_rate, None, "no session entered on /c");
    approx_opt(c.exit_rate, Some(0.0));
    approx_opt(c.average_time_on_page_seconds, Some(10380.0));
    // the timeout plays no part with a session column; with the timeout (30) instead,
    // A has two sessions (/a /b /c | /b 13:00 with the click, a bounce) and B one
    let r = run(&s, r#""session":"sid","timeout_minutes":1"#);
    assert_eq!(r.totals.sessions, 3);
    let r = run(&s, "");
    assert_eq!((r.totals.sessions, r.totals.bounces), (3, 2));
}

#[test]
fn page_events_and_page_views_without_a_page() {
    // D: pv without a page 10:00, land on /x 10:01
    let s = store(
        "user_id,event,timestamp,page\n\
         D,pv,2025-03-01T10:00:00Z,\n\
         D,land,2025-03-01T10:01:00Z,/x\n",
    );
    // default: any event with a page; the session (10:00 → 10:01) has one page view
    let r = run(&s, "");
    let t = &r.totals;
    assert_eq!((t.page_views, t.sessions, t.bounces), (1, 1, 1));
    approx_opt(t.average_session_seconds, Some(60.0));
    // only pv: the pv has no page (a warning), land is no page view: no page views, and
    // the session counts apart
    let out = try_output(&s, r#"{"analysis":"sessions","page_events":["pv"]}"#).unwrap();
    let w: Vec<_> = out
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.value.as_str()))
        .collect();
    assert_eq!(w, [("page_missing", "1")]);
    let AnalysisResult::Sessions(r) = out.result else {
        panic!()
    };
    let t = &r.totals;
    assert_eq!(
        (
            t.page_views,
            t.users,
            t.sessions,
            t.sessions_without_page_views
        ),
        (0, 0, 0, 1)
    );
    assert_eq!(
        (
            t.bounce_rate,
            t.pages_per_session,
            t.average_session_seconds
        ),
        (None, None, None)
    );
    assert!(r.pages.is_empty());
}

#[test]
fn limit_keeps_the_most_viewed_pages_and_the_table_ends_with_the_totals() {
    let r = run(&fixture(), r#""limit":2"#);
    assert_eq!(r.page_count, 3);
    let names: Vec<_> = r.pages.iter().map(|p| p.page.as_str()).collect();
    assert_eq!(names, ["/a", "/b"]);
    let t = AnalysisResult::Sessions(r).table();
    assert_eq!(t[0][0], "page");
    assert_eq!(t.len(), 1 + 2 + 1);
    let total = &t[3];
    // (total): PV 9, UV 3, entries = exits = sessions 5, bounces 2, 2/5, exit rate 5/9
    assert_eq!(&total[..6], ["(total)", "9", "3", "5", "5", "2"]);
    assert_eq!(total[6], "0.4");
    assert_eq!(total[7], (5.0f64 / 9.0).to_string());
    let r = run(&fixture(), r#""view":"over_time""#);
    let t = AnalysisResult::Sessions(r).table();
    assert_eq!(t[0][..3], ["interval", "complete", "page_views"]);
    assert_eq!(t[1][..5], ["2025-03-01", "false", "8", "3", "5"]);
}

#[test]
fn errors_name_their_field() {
    let s = fixture();
    let (f, _) = spec_error(&s, r#"{"analysis":"sessions","timeout_minutes":0}"#);
    assert_eq!(f, "timeout_minutes");
    let (f, m) = spec_error(&s, r#"{"analysis":"sessions","timeout_minutes":20000}"#);
    assert_eq!(f, "timeout_minutes");
    assert!(m.contains("10080"), "{m}");
    let (f, m) = spec_error(&s, r#"{"analysis":"sessions","page":"pgae"}"#);
    assert_eq!(f, "page");
    assert!(m.contains("\"page\""), "{m}");
    let (f, _) = spec_error(&s, r#"{"analysis":"sessions","session":"sid"}"#);
    assert_eq!(f, "session");
    let (f, m) = spec_error(&s, r#"{"analysis":"sessions","page_events":["pv","clik"]}"#);
    assert_eq!(f, "page_events[1]");
    assert!(m.contains("click"), "{m}");
    let (f, _) = spec_error(
        &s,
        r#"{"analysis":"sessions","date_range":{"from":"2024-01-01","to":"2024-01-02"}}"#,
    );
    assert_eq!(f, "date_range");
    for bad in [
        r#"{"analysis":"sessions","timeout":30}"#,
        r#"{"analysis":"sessions","view":"table"}"#,
    ] {
        assert!(matches!(try_run(&s, bad), Err(Error::SpecJson(_))), "{bad}");
    }
}

/// Fixture 1 with a property `src` and a user D whose only session has no page view:
/// sessions take the value of their first event (page view or not).
/// - S1 (A) first event pv /a 10:00 src=ads → ads
/// - S2 (A) first event click 10:40 src=mail → mail (its /a 10:45 has src=ads: ignored)
/// - S3 (A) pv /c 11:20, no src → (none)
/// - S4 (B) pv /a 10:00 src=ads → ads
/// - S5 (C) pv /b 23:50, no src → (none) (its /c has src=mail: ignored)
/// - S6 (D) click 12:00 src=mail → mail, no page view
#[test]
fn breakdown_by_the_first_event_of_each_session() {
    let s = store(
        "user_id,event,timestamp,page,src\n\
         A,pv,2025-03-01T10:00:00Z,/a,ads\n\
         A,pv,2025-03-01T10:10:00Z,/b,\n\
         A,click,2025-03-01T10:40:00Z,,mail\n\
         A,pv,2025-03-01T10:45:00Z,/a,ads\n\
         A,pv,2025-03-01T11:20:00Z,/c,\n\
         B,pv,2025-03-01T10:00:00Z,/a,ads\n\
         B,pv,2025-03-01T10:29:59Z,/b,\n\
         B,pv,2025-03-01T10:59:58Z,/a,\n\
         C,pv,2025-03-01T23:50:00Z,/b,\n\
         C,pv,2025-03-02T00:10:00Z,/c,mail\n\
         D,click,2025-03-01T12:00:00Z,,mail\n",
    );
    let r = run(&s, r#""page_events":["pv"],"breakdown":"src""#);
    assert_eq!(r.breakdown.as_deref(), Some("src"));
    // the totals stay those of all sessions (fixture 1 plus D's session without a view)
    assert_eq!((r.totals.page_views, r.totals.sessions), (9, 5));
    assert_eq!(r.totals.sessions_without_page_views, 1);
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    // ads 2 sessions, mail 1, then (none)
    assert_eq!(values, ["ads", "mail", "(none)"]);
    let t: Vec<(u64, u64, u64, u64, u64)> = r
        .breakdowns
        .iter()
        .map(|b| {
            let x = &b.totals;
            (
                x.page_views,
                x.users,
                x.sessions,
                x.sessions_without_page_views,
                x.bounces,
            )
        })
        .collect();
    // ads: S1 (2 views) + S4 (3 views), users A and B; mail: S2 (1 view, a bounce) and
    // S6 (no view), user A only (D has no page view); (none): S3 (1 view, a bounce) and
    // S5 (2 views), users A and C
    assert_eq!(t, [(5, 2, 2, 0, 0), (1, 1, 1, 1, 1), (3, 2, 2, 0, 1)]);
    // page views, sessions and bounces add up (users need not: A is in all three)
    assert_eq!(t.iter().map(|x| x.0).sum::<u64>(), r.totals.page_views);
    assert_eq!(t.iter().map(|x| x.2).sum::<u64>(), r.totals.sessions);
    assert_eq!(t.iter().map(|x| x.4).sum::<u64>(), r.totals.bounces);
    let ads = &r.breakdowns[0].totals;
    // durations 600 + 3598 over 2; times on page 600 (S1 /a), 1799 and 1799 (S4) over 3
    approx_opt(ads.average_session_seconds, Some(2099.0));
    approx_opt(ads.average_time_on_page_seconds, Some(4198.0 / 3.0));
    approx_opt(ads.pages_per_session, Some(2.5));
    approx_opt(ads.bounce_rate, Some(0.0));
    let mail = &r.breakdowns[1].totals;
    // S2 lasts 300 s (from the click); its only page view has no time on page
    approx_opt(mail.average_session_seconds, Some(300.0));
    approx_opt(mail.average_time_on_page_seconds, None);
    approx_opt(mail.bounce_rate, Some(1.0));
    let none = &r.breakdowns[2].totals;
    // S3 0 s and S5 1200 s; S5's /b is on screen 1200 s
    approx_opt(none.average_session_seconds, Some(600.0));
    approx_opt(none.average_time_on_page_seconds, Some(1200.0));
    approx_opt(none.bounce_rate, Some(0.5));

    // limit 1: mail gathered as (other); the table has a leading breakdown column
    let r = run(
        &s,
        r#""page_events":["pv"],"breakdown":{"properties":["src"],"limit":1}"#,
    );
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["ads", "(other)", "(none)"]);
    let t = loupe::engine::analysis::sessions::table(&r);
    assert_eq!(&t[0][..4], ["breakdown", "page_views", "users", "sessions"]);
    assert_eq!(&t[2][..7], ["(other)", "1", "1", "1", "1", "1", "1"]);
    assert_eq!(t.len(), 4);
}
