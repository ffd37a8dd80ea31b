//! Paths fixtures worked out by hand (definition: `src/engine/analysis/paths.rs`).
//!
//! Fixture 1 (UTC, 2025-01-06), events by minute after 10:00:
//! - A: 00 home, 01 home, 02 search, 03 item, 04 home, 05 cart (one session)
//! - B: 00 home, 01 item, 02 item, 03 cart, then 50 home, 51 search (a 47-minute gap:
//!   a second session)
//! - C: 00 search, 01 home, 02 search
//! - D: 00 item (never home)

use super::common::{spec_error, store, try_output, try_run};
use loupe::engine::analysis::paths::{Direction, PathsResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;

const FIXTURE: &str = "user_id,event,timestamp
A,home,2025-01-06T10:00:00Z
A,home,2025-01-06T10:01:00Z
A,search,2025-01-06T10:02:00Z
A,item,2025-01-06T10:03:00Z
A,home,2025-01-06T10:04:00Z
A,cart,2025-01-06T10:05:00Z
B,home,2025-01-06T10:00:00Z
B,item,2025-01-06T10:01:00Z
B,item,2025-01-06T10:02:00Z
B,cart,2025-01-06T10:03:00Z
B,home,2025-01-06T10:50:00Z
B,search,2025-01-06T10:51:00Z
C,search,2025-01-06T10:00:00Z
C,home,2025-01-06T10:01:00Z
C,search,2025-01-06T10:02:00Z
D,item,2025-01-06T10:00:00Z
";

fn run(s: &EventStore, fields: &str) -> PathsResult {
    let json = format!(r#"{{"analysis":"paths",{fields}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Paths(r)) => r,
        other => panic!("expected a paths result for {json}, got {other:?}"),
    }
}

/// (step, label, paths, users, drop_off) of every node.
fn nodes(r: &PathsResult) -> Vec<(usize, &str, u64, u64, u64)> {
    r.nodes
        .iter()
        .map(|x| (x.step, x.label.as_str(), x.paths, x.users, x.drop_off))
        .collect()
}

/// (from label, to label, paths) of every link, with the from node's step.
fn links(r: &PathsResult) -> Vec<(usize, &str, &str, u64)> {
    r.links
        .iter()
        .map(|l| {
            let (a, b) = (&r.nodes[l.from], &r.nodes[l.to]);
            assert_eq!(a.step + 1, b.step, "links join adjacent steps");
            (a.step, a.label.as_str(), b.label.as_str(), l.paths)
        })
        .collect()
}

/// (labels joined by " > ", paths, share) of the top paths.
fn top(r: &PathsResult) -> Vec<(String, u64, f64)> {
    r.top_paths
        .iter()
        .map(|p| (p.labels.join(" > "), p.paths, p.share))
        .collect()
}

#[test]
fn start_event_per_session_with_repeats_collapsed() {
    let s = store(FIXTURE);
    let r = run(&s, r#""start_event":"home","steps":3"#);
    // paths from the first home of each session, repeats collapsed:
    // A [home, search, item] (home 10:01 collapses; the 2nd home at 10:04 is beyond step 3)
    // B1 [home, item, cart] (item, item collapse); B2 [home, search]
    // C [home, search] (the search before home is not in the path); D has no home
    assert_eq!((r.paths, r.users), (4, 3));
    assert_eq!(r.direction, Direction::After);
    assert_eq!(
        nodes(&r),
        vec![
            (1, "home", 4, 3, 0),
            // step 2: search A, B2, C (users A, B, C; B2 and C end here); item B1
            (2, "search", 3, 3, 2),
            (2, "item", 1, 1, 0),
            // step 3: item (A) and cart (B1) tie at 1: by label, cart first
            (3, "cart", 1, 1, 0),
            (3, "item", 1, 1, 0),
        ]
    );
    assert_eq!(
        links(&r),
        vec![
            (1, "home", "search", 3),
            (1, "home", "item", 1),
            (2, "search", "item", 1),
            (2, "item", "cart", 1),
        ]
    );
    // [home, search] twice (B2, C); the two others tie at 1, by their label sequences:
    // "home item cart" before "home search item"
    assert_eq!(
        top(&r),
        vec![
            ("home > search".into(), 2, 0.5),
            ("home > item > cart".into(), 1, 0.25),
            ("home > search > item".into(), 1, 0.25),
        ]
    );
    assert_eq!(r.distinct_paths, 3);
}

#[test]
fn repeats_kept_and_the_rest_grouped_as_other() {
    let s = store(FIXTURE);
    // repeats kept: A [home, home, search], B1 [home, item, item], B2 [home, search],
    // C [home, search]
    let r = run(
        &s,
        r#""start_event":"home","steps":3,"collapse_repeats":false"#,
    );
    assert_eq!(
        nodes(&r),
        vec![
            (1, "home", 4, 3, 0),
            // step 2: search 2 (B2, C; both end), then home 1 (A) and item 1 (B1), tied:
            // home before item
            (2, "search", 2, 2, 2),
            (2, "home", 1, 1, 0),
            (2, "item", 1, 1, 0),
            // step 3: item (B1), search (A)
            (3, "item", 1, 1, 0),
            (3, "search", 1, 1, 0),
        ]
    );
    // one node per step: the rest of step 2 (home A, item B1) and of step 3 (search A)
    // is (other); B1's item at step 3 stays itself although it came through (other)
    let r = run(
        &s,
        r#""start_event":"home","steps":3,"collapse_repeats":false,"top":1"#,
    );
    assert_eq!(
        nodes(&r),
        vec![
            (1, "home", 4, 3, 0),
            (2, "search", 2, 2, 2),
            (2, "(other)", 2, 2, 0),
            (3, "item", 1, 1, 0),
            (3, "(other)", 1, 1, 0),
        ]
    );
    assert!(r.nodes[2].other && !r.nodes[1].other);
    assert_eq!(
        links(&r),
        vec![
            (1, "home", "search", 2),
            (1, "home", "(other)", 2),
            // A: home → search (other at step 3); B1: item → item
            (2, "(other)", "item", 1),
            (2, "(other)", "(other)", 1),
        ]
    );
    // top paths keep the real labels
    assert_eq!(top(&r)[0], ("home > search".into(), 2, 0.5));
    assert_eq!(top(&r).len(), 3);
}

#[test]
fn one_path_per_user_crosses_the_session_gap() {
    let s = store(FIXTURE);
    let r = run(&s, r#""start_event":"home","steps":4,"boundary":"user""#);
    // A [home, search, item, home]; B [home, item, cart, home] (the 47-minute gap no
    // longer splits); C [home, search]
    assert_eq!((r.paths, r.users), (3, 3));
    assert_eq!(
        nodes(&r),
        vec![
            (1, "home", 3, 3, 0),
            (2, "search", 2, 2, 1),
            (2, "item", 1, 1, 0),
            (3, "cart", 1, 1, 0),
            (3, "item", 1, 1, 0),
            (4, "home", 2, 2, 0),
        ]
    );
    // a session property with one path per user is an error
    let (field, _) = spec_error(
        &s,
        r#"{"analysis":"paths","boundary":"user","session":"event"}"#,
    );
    assert_eq!(field, "session");
}

#[test]
fn a_shorter_timeout_splits_more_paths() {
    let s = store(FIXTURE);
    // timeout 1 minute: every gap of exactly 1 minute starts a new session, so every event
    // is its own session: paths from each home are [home] alone
    let r = run(&s, r#""start_event":"home","steps":2,"timeout_minutes":1"#);
    // homes: A 10:00, 10:01, 10:04; B 10:00, 10:50; C 10:01 → 6 one-step paths
    assert_eq!(r.paths, 6);
    assert_eq!(nodes(&r), vec![(1, "home", 6, 3, 6)]);
    // timeout 2: a gap of 1 minute stays in the session; B's 47 minutes and nothing else
    // splits, so the result equals the 30-minute one
    assert_eq!(
        run(&s, r#""start_event":"home","steps":3,"timeout_minutes":2"#).nodes,
        run(&s, r#""start_event":"home","steps":3"#).nodes
    );
}

#[test]
fn end_event_steps_run_backwards() {
    let s = store(FIXTURE);
    let r = run(&s, r#""end_event":"cart","steps":3"#);
    // A: before cart, collapsed: home, search, item, home → [cart, home, item]
    // B1: home, item → [cart, item, home]; no other session has a cart
    assert_eq!(r.direction, Direction::Before);
    assert_eq!(r.anchor.as_deref(), Some("cart"));
    assert_eq!(
        nodes(&r),
        vec![
            (1, "cart", 2, 2, 0),
            (2, "home", 1, 1, 0),
            (2, "item", 1, 1, 0),
            (3, "home", 1, 1, 0),
            (3, "item", 1, 1, 0),
        ]
    );
    assert_eq!(
        links(&r),
        vec![
            (1, "cart", "home", 1),
            (1, "cart", "item", 1),
            (2, "home", "item", 1),
            (2, "item", "home", 1),
        ]
    );
    // 5 steps: A [cart, home, item, search, home] fills them; B1 [cart, item, home] starts
    // at step 3 (its "drop-off": nothing earlier)
    let r = run(&s, r#""end_event":"cart","steps":5"#);
    assert_eq!(
        top(&r),
        vec![
            ("cart > home > item > search > home".into(), 1, 0.5),
            ("cart > item > home".into(), 1, 0.5),
        ]
    );
    assert_eq!(nodes(&r)[3], (3, "home", 1, 1, 1));
    // repeats kept, 6 steps: A [cart, home, item, search, home, home] (the ring of the five
    // latest events before cart wraps around)
    let r = run(
        &s,
        r#""end_event":"cart","steps":6,"collapse_repeats":false"#,
    );
    assert_eq!(top(&r)[0].0, "cart > home > item > search > home > home");
    // B1 without collapse: [cart, item, item, home]
    assert_eq!(top(&r)[1].0, "cart > item > item > home");
    // 2 steps: the ring of one label
    let r = run(
        &s,
        r#""end_event":"cart","steps":2,"collapse_repeats":false"#,
    );
    assert_eq!(
        top(&r),
        vec![
            ("cart > home".into(), 1, 0.5),
            ("cart > item".into(), 1, 0.5)
        ]
    );
}

#[test]
fn without_an_anchor_paths_start_at_the_first_event() {
    let s = store(FIXTURE);
    let r = run(&s, r#""steps":2"#);
    // A [home, search], B1 [home, item], B2 [home, search], C [search, home], D [item]
    assert_eq!((r.paths, r.users), (5, 4));
    assert_eq!(r.anchor, None);
    assert_eq!(
        nodes(&r),
        vec![
            (1, "home", 3, 2, 0),
            // item and search tie at 1: item first; D's path ends at item
            (1, "item", 1, 1, 1),
            (1, "search", 1, 1, 0),
            (2, "search", 2, 2, 0),
            (2, "home", 1, 1, 0),
            (2, "item", 1, 1, 0),
        ]
    );
}

#[test]
fn only_the_chosen_events_take_part() {
    let s = store(FIXTURE);
    let r = run(&s, r#""start_event":"home","steps":3,"events":["cart"]"#);
    // visible: home (the start event always) and cart. A: home, home, home, cart →
    // [home, cart] (the invisible search and item do not break the repeat); B1 [home,
    // cart]; B2 [home]; C [home]. All end before step 3: B2 and C drop off at home,
    // A and B1 at cart
    assert_eq!(nodes(&r), vec![(1, "home", 4, 3, 2), (2, "cart", 2, 2, 2)]);
}

#[test]
fn labels_with_a_property_and_sessions_from_a_column() {
    let s = store(
        "user_id,event,timestamp,page,sid
E,view,2025-01-06T10:00:00Z,/a,s1
E,view,2025-01-06T10:01:00Z,/b,s1
E,view,2025-01-06T10:02:00Z,/b,s1
E,click,2025-01-06T10:03:00Z,,s1
E,view,2025-01-06T10:04:00Z,/a,s1
F,home,2025-01-06T10:00:00Z,,s1
F,home,2025-01-06T10:01:00Z,,s2
F,search,2025-01-06T10:02:00Z,,s1
F,cart,2025-01-06T10:03:00Z,,s2
F,cart,2025-01-06T10:04:00Z,,
",
    );
    let r = run(&s, r#""start_event":"view","steps":4,"property":"page""#);
    // E: view /a, view /b (the second /b collapses), click (no page: the plain name),
    // view /a
    assert_eq!(
        top(&r),
        vec![("view: /a > view: /b > click > view: /a".into(), 1, 1.0)]
    );
    let r = run(
        &s,
        r#""start_event":"view","steps":3,"property":"page","collapse_repeats":false"#,
    );
    assert_eq!(top(&r)[0].0, "view: /a > view: /b > view: /b");
    // sessions by sid: F's s1 [home, search] and s2 [home, cart] although they interleave;
    // F's last cart has no sid: left out with a warning
    let out = try_output(
        &s,
        r#"{"analysis":"paths","start_event":"home","steps":2,"session":"sid"}"#,
    )
    .unwrap();
    let AnalysisResult::Paths(r) = out.result else {
        panic!()
    };
    assert_eq!(
        top(&r),
        vec![
            ("home > cart".into(), 1, 0.5),
            ("home > search".into(), 1, 0.5)
        ]
    );
    assert!(out
        .warnings
        .iter()
        .any(|w| w.code == "session_missing" && w.value == "1"));
}

/// Fixture 1 with a column `p` = `drop` on the search events.
fn fixture_with_p() -> EventStore {
    let mut text = String::from("user_id,event,timestamp,p\n");
    for line in FIXTURE.lines().skip(1) {
        let p = if line.contains(",search,") {
            "drop"
        } else {
            ""
        };
        text.push_str(&format!("{line},{p}\n"));
    }
    store(&text)
}

#[test]
fn the_date_range_and_filters_cut_paths() {
    let s = fixture_with_p();
    // the filter p ≠ drop leaves the search events out of scope:
    // A home, home, item, home, cart → [home, item, home]; B1 [home, item, cart];
    // B2 [home]; C [home]
    let r = run(
        &s,
        r#""start_event":"home","steps":3,"filters":[{"property":"p","op":"neq","value":"drop"}]"#,
    );
    assert_eq!(
        nodes(&r),
        vec![
            (1, "home", 4, 3, 2),
            (2, "item", 2, 2, 0),
            (3, "cart", 1, 1, 0),
            (3, "home", 1, 1, 0),
        ]
    );
    // a date range of another day: no paths at all
    let r = run(
        &s,
        r#""start_event":"home","date_range":{"from":"2025-01-07","to":"2025-01-08"}"#,
    );
    assert_eq!((r.paths, r.nodes.len(), r.top_paths.len()), (0, 0, 0));
}

#[test]
fn bad_specs_are_keyed_errors() {
    let s = store(FIXTURE);
    for (json, want) in [
        (
            r#"{"analysis":"paths","start_event":"home","end_event":"cart"}"#,
            "end_event",
        ),
        (r#"{"analysis":"paths","steps":1}"#, "steps"),
        (r#"{"analysis":"paths","steps":11}"#, "steps"),
        (r#"{"analysis":"paths","top":0}"#, "top"),
        (r#"{"analysis":"paths","top":21}"#, "top"),
        (r#"{"analysis":"paths","limit":0}"#, "limit"),
        (
            r#"{"analysis":"paths","timeout_minutes":0}"#,
            "timeout_minutes",
        ),
        (r#"{"analysis":"paths","start_event":"hom"}"#, "start_event"),
        (
            r#"{"analysis":"paths","events":["cart","nope"]}"#,
            "events[1]",
        ),
        (r#"{"analysis":"paths","property":"pag"}"#, "property"),
        (r#"{"analysis":"paths","session":"sid"}"#, "session"),
    ] {
        let (field, message) = spec_error(&s, json);
        assert_eq!(field, want, "{json}: {message}");
    }
    assert!(try_run(&s, r#"{"analysis":"paths","steps":5,"extra":1}"#).is_err());
}

#[test]
fn a_breakdown_lists_the_top_paths_of_each_users_value() {
    // FIXTURE with a plan: A pro; B pro on its second session's first event only (a user's
    // value is the one on their first event with one, whatever the session); C free; D x
    let s = store(
        "user_id,event,timestamp,plan
A,home,2025-01-06T10:00:00Z,pro
A,home,2025-01-06T10:01:00Z,
A,search,2025-01-06T10:02:00Z,
A,item,2025-01-06T10:03:00Z,
A,home,2025-01-06T10:04:00Z,
A,cart,2025-01-06T10:05:00Z,
B,home,2025-01-06T10:00:00Z,
B,item,2025-01-06T10:01:00Z,
B,item,2025-01-06T10:02:00Z,
B,cart,2025-01-06T10:03:00Z,
B,home,2025-01-06T10:50:00Z,pro
B,search,2025-01-06T10:51:00Z,
C,search,2025-01-06T10:00:00Z,free
C,home,2025-01-06T10:01:00Z,
C,search,2025-01-06T10:02:00Z,
D,item,2025-01-06T10:00:00Z,x
",
    );
    let r = run(
        &s,
        r#""start_event":"home","steps":3,"view":"top_paths","breakdown":"plan""#,
    );
    // the paths of start_event_per_session_with_repeats_collapsed: A [home, search, item],
    // B1 [home, item, cart], B2 [home, search] (all pro), C [home, search] (free); D has no
    // path, so x is no value
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    let values: Vec<(&str, u64, u64, u64)> = (r.breakdowns.iter())
        .map(|b| (b.value.as_str(), b.paths, b.users, b.distinct_paths))
        .collect();
    assert_eq!(values, [("pro", 3, 2, 3), ("free", 1, 1, 1)]);
    // pro: three paths once each, by their label sequences: home item cart, home search,
    // home search item (a prefix first); shares of pro's 3 paths
    let pro: Vec<(String, u64, f64)> = (r.breakdowns[0].top_paths.iter())
        .map(|p| (p.labels.join(" > "), p.paths, p.share))
        .collect();
    let third = 1.0 / 3.0;
    assert_eq!(
        pro,
        [
            ("home > item > cart".into(), 1, third),
            ("home > search".into(), 1, third),
            ("home > search > item".into(), 1, third),
        ]
    );
    assert_eq!(r.breakdowns[1].top_paths[0].labels, ["home", "search"]);
    assert_eq!(r.breakdowns[1].top_paths[0].share, 1.0);
    // the whole stays that of all paths
    assert_eq!((r.paths, r.users), (4, 3));
    // the table: (all)'s 3 top paths, pro's 3, free's 1, after a leading column
    let t = loupe::engine::analysis::paths::table(&r);
    assert_eq!(
        t[0],
        ["breakdown", "rank", "path", "steps", "paths", "share"]
    );
    assert_eq!(t.len(), 8);
    assert_eq!(t[1][..2], ["(all)", "1"]);
    assert_eq!(t[4][..3], ["pro", "1", "home → item → cart"]);
    assert_eq!(t[7][..4], ["free", "1", "home → search", "2"]);
    // limit 1: free becomes (other)
    let r = run(
        &s,
        r#""start_event":"home","steps":3,"breakdown":{"properties":["plan"],"limit":1}"#,
    );
    let values: Vec<(&str, u64)> = (r.breakdowns.iter())
        .map(|b| (b.value.as_str(), b.paths))
        .collect();
    assert_eq!(values, [("pro", 3), ("(other)", 1)]);
}
