//! Funnel fixtures worked out by hand (definition: `src/engine/analysis/funnel.rs`).

use super::common::{approx, approx_all, funnel, spec_error, store, try_output, try_run};
use loupe::engine::analysis::funnel::FunnelResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::Error;

const HEADER: &str = "user_id,event,timestamp\n";

fn csv(rows: &[&str]) -> String {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn spec(steps: &[&str], extra: &str) -> String {
    let steps: Vec<String> = steps
        .iter()
        .map(|s| format!("{{\"event\":\"{s}\"}}"))
        .collect();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        "{{\"analysis\":\"funnel\",\"steps\":[{}]{extra}}}",
        steps.join(",")
    )
}

fn users(r: &FunnelResult) -> Vec<u64> {
    r.steps.iter().map(|s| s.users).collect()
}

fn medians(r: &FunnelResult) -> Vec<Option<f64>> {
    r.steps.iter().map(|s| s.median_seconds).collect()
}

#[test]
fn ordered_steps_with_every_field() {
    // Rows are interleaved across users and partly out of time order in the file.
    let s = store(&csv(&[
        "u2,b,2024-03-01T09:20:00Z",
        "u1,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T09:00:00Z",
        "u1,c,2024-03-01T09:20:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u4,c,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:10:00Z",
        "u5,b,2024-03-01T10:00:00Z",
        "u2,c,2024-03-01T09:05:00Z",
        "u3,a,2024-03-01T09:05:00Z",
        "u5,a,2024-03-01T09:00:00Z",
    ]));
    let r = funnel(&s, &spec(&["a", "b", "c"], ""));
    // u1: a 09:00 → b 09:10 → c 09:20: all three steps (gaps 600 s, 600 s).
    // u2: a 09:00, c 09:05, b 09:20: c came before b, so a → b only (gap 1200 s).
    // u3: b 09:00 before a 09:05: step 1 only.
    // u4: never did a: not in the funnel.
    // u5: a 09:00 → b 10:00 (gap 3600 s).
    assert_eq!(users(&r), [4, 3, 1]);
    let names: Vec<&str> = r.steps.iter().map(|s| s.event.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    // conversion = users / 4; step_conversion = users / previous step's users.
    approx_all(
        &r.steps.iter().map(|s| s.conversion).collect::<Vec<_>>(),
        &[1.0, 0.75, 0.25],
    );
    approx_all(
        &r.steps
            .iter()
            .map(|s| s.step_conversion)
            .collect::<Vec<_>>(),
        &[1.0, 0.75, 1.0 / 3.0],
    );
    assert_eq!(
        r.steps.iter().map(|s| s.dropped).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // step 2 gaps [600, 1200, 3600]: median 1200, mean 1800; step 3 gaps [600].
    assert_eq!(medians(&r), [None, Some(1200.0), Some(600.0)]);
    assert_eq!(r.steps[0].mean_seconds, None);
    approx(r.steps[1].mean_seconds.unwrap(), 1800.0);
    approx(r.steps[2].mean_seconds.unwrap(), 600.0);
    // default window: 14 days
    assert_eq!(r.window_seconds, 14 * 86_400);
}

#[test]
fn even_number_of_gaps_takes_mean_of_middle_two() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:01:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:03:00Z",
    ]));
    // gaps [60, 180]: median (60 + 180) / 2 = 120
    let r = funnel(&s, &spec(&["a", "b"], ""));
    assert_eq!(medians(&r), [None, Some(120.0)]);
}

#[test]
fn window_end_is_inclusive() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T10:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T10:00:00.000001Z",
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T10:00:01Z",
    ]));
    // Window 1 h from a at 09:00 ends at 10:00:00 inclusive:
    // u1's b exactly at 10:00:00 counts; u2's (1 µs later) and u3's (1 s later) do not.
    for window in [
        r#""window":{"value":1,"unit":"hour"}"#,
        r#""window":{"value":60,"unit":"minute"}"#,
        r#""window":{"value":3600,"unit":"second"}"#,
    ] {
        for mode in ["", r#","entry":"first""#, r#","ties":"strictly_later""#] {
            let r = funnel(&s, &spec(&["a", "b"], &format!("{window}{mode}")));
            assert_eq!(users(&r), [3, 1], "{window}{mode}");
            assert_eq!(medians(&r), [None, Some(3600.0)]);
            assert_eq!(r.window_seconds, 3600);
        }
    }
    // A window of one second: b exactly 1 s after a counts, 1 µs more does not.
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:01Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:00:01.000001Z",
    ]));
    let r = funnel(
        &s,
        &spec(&["a", "b"], r#""window":{"value":1,"unit":"second"}"#),
    );
    assert_eq!(users(&r), [2, 1]);
    // Days and weeks are 24 h and 7 × 24 h.
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-15T09:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-15T09:00:01Z",
    ]));
    assert_eq!(users(&funnel(&s, &spec(&["a", "b"], ""))), [2, 1]); // 14 days default
    assert_eq!(
        users(&funnel(
            &s,
            &spec(&["a", "b"], r#""window":{"value":2,"unit":"week"}"#)
        )),
        [2, 1]
    );
    assert_eq!(
        users(&funnel(
            &s,
            &spec(&["a", "b"], r#""window":{"value":13,"unit":"day"}"#)
        )),
        [2, 0]
    );
}

#[test]
fn window_is_measured_from_step_one_not_from_the_previous_step() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:50:00Z",
        "u1,c,2024-03-01T10:40:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:30:00Z",
        "u2,c,2024-03-01T10:00:00Z",
    ]));
    // Window 1 h. u1: c is 50 min after b but 100 min after a: stops at b.
    // u2: c exactly 60 min after a: converts.
    for entry in ["every", "first"] {
        let r = funnel(
            &s,
            &spec(
                &["a", "b", "c"],
                &format!(r#""window":{{"value":1,"unit":"hour"}},"entry":"{entry}""#),
            ),
        );
        assert_eq!(users(&r), [2, 2, 1], "{entry}");
        // step 2 gaps [3000, 1800] → median 2400; step 3 gap: u2 10:00 − 09:30 = 1800
        assert_eq!(medians(&r), [None, Some(2400.0), Some(1800.0)]);
    }
}

#[test]
fn equal_timestamps_follow_source_order_by_default() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:00Z", // same time as u1's a, later in the file
        "u2,a,2024-03-01T09:00:00Z", // u2's b came earlier in the file than a
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T09:00:01Z",
    ]));
    for entry in ["every", "first"] {
        // source_order: u1 converts (gap 0), u2 does not, u3 converts at its first b (gap 0)
        let r = funnel(&s, &spec(&["a", "b"], &format!(r#""entry":"{entry}""#)));
        assert_eq!(users(&r), [3, 2], "{entry}");
        assert_eq!(medians(&r), [None, Some(0.0)]);
        let r2 = funnel(
            &s,
            &spec(
                &["a", "b"],
                &format!(r#""entry":"{entry}","ties":"source_order""#),
            ),
        );
        assert_eq!(r, r2);
        // strictly_later: equal timestamps never count; u3 converts at 09:00:01 (gap 1 s)
        let r = funnel(
            &s,
            &spec(
                &["a", "b"],
                &format!(r#""entry":"{entry}","ties":"strictly_later""#),
            ),
        );
        assert_eq!(users(&r), [3, 1], "{entry}");
        assert_eq!(medians(&r), [None, Some(1.0)]);
    }
}

#[test]
fn three_steps_at_one_timestamp() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:00Z",
        "u1,c,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,c,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:00:00Z",
    ]));
    // source_order: u1 a→b→c; u2 a→b (its c came before b in the file)
    assert_eq!(users(&funnel(&s, &spec(&["a", "b", "c"], ""))), [2, 2, 1]);
    // strictly_later: nobody gets past a
    assert_eq!(
        users(&funnel(
            &s,
            &spec(&["a", "b", "c"], r#""ties":"strictly_later""#)
        )),
        [2, 0, 0]
    );
}

#[test]
fn strictly_later_applies_between_every_pair_of_steps() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:01Z",
        "u1,c,2024-03-01T09:00:01Z",
        "u1,c,2024-03-01T09:00:02Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:00:01Z",
        "u2,c,2024-03-01T09:00:01Z",
    ]));
    // strict: u1 a(0) b(1) c(2) converts with gaps 1, 1; u2's only c ties with b: stops at b
    for entry in ["every", "first"] {
        let r = funnel(
            &s,
            &spec(
                &["a", "b", "c"],
                &format!(r#""ties":"strictly_later","entry":"{entry}""#),
            ),
        );
        assert_eq!(users(&r), [2, 2, 1]);
        assert_eq!(medians(&r), [None, Some(1.0), Some(1.0)]);
        // source order: both convert, c gap 0 for both
        let r = funnel(
            &s,
            &spec(&["a", "b", "c"], &format!(r#""entry":"{entry}""#)),
        );
        assert_eq!(users(&r), [2, 2, 2]);
        assert_eq!(medians(&r), [None, Some(1.0), Some(0.0)]);
    }
}

#[test]
fn entry_every_reopens_attempts_entry_first_does_not() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,a,2024-03-01T12:00:00Z",
        "u1,b,2024-03-01T12:30:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:30:00Z",
        "u2,b,2024-03-01T10:15:00Z",
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T09:40:00Z",
        "u3,a,2024-03-01T09:50:00Z",
        "u3,b,2024-03-01T10:20:00Z",
    ]));
    let w = r#""window":{"value":1,"unit":"hour"}"#;
    // every: u1's first attempt times out, the 12:00 one converts (gap 1800);
    // u2 converts from the 09:30 attempt (gap 2700); u3's first attempt converts at 09:40
    // (gap 2400). Gaps [1800, 2700, 2400]: median 2400, mean 2300.
    let r = funnel(&s, &spec(&["a", "b"], w));
    assert_eq!(users(&r), [3, 3]);
    assert_eq!(medians(&r), [None, Some(2400.0)]);
    approx(r.steps[1].mean_seconds.unwrap(), 2300.0);
    let r2 = funnel(&s, &spec(&["a", "b"], &format!(r#"{w},"entry":"every""#)));
    assert_eq!(r, r2);
    // first: only the 09:00 a of each user: u1's b at 12:30 and u2's at 10:15 are too late.
    let r = funnel(&s, &spec(&["a", "b"], &format!(r#"{w},"entry":"first""#)));
    assert_eq!(users(&r), [3, 1]);
    assert_eq!(medians(&r), [None, Some(2400.0)]);
    approx(r.steps[1].conversion, 1.0 / 3.0);
    assert_eq!(r.steps[1].dropped, 2);
}

#[test]
fn furthest_step_of_any_attempt_counts() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:10:00Z",
        "u1,a,2024-03-01T12:00:00Z",
        "u1,c,2024-03-01T12:30:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:10:00Z",
        "u2,c,2024-03-01T11:00:00Z",
        "u2,a,2024-03-01T12:00:00Z",
        "u2,b,2024-03-01T12:05:00Z",
        "u2,c,2024-03-01T12:50:00Z",
    ]));
    let w = r#""window":{"value":1,"unit":"hour"}"#;
    // every: u1's first attempt reaches b (gap 600); its second has no b, so u1 stays at b.
    // u2's first attempt stops at b (c at 11:00 is 2 h after a); the second converts
    // (gaps 300, 2700) and gives u2's times. Step 2 gaps [600, 300]: median 450.
    let r = funnel(&s, &spec(&["a", "b", "c"], w));
    assert_eq!(users(&r), [2, 2, 1]);
    assert_eq!(medians(&r), [None, Some(450.0), Some(2700.0)]);
    // first: both users stop at b with gap 600.
    let r = funnel(
        &s,
        &spec(&["a", "b", "c"], &format!(r#"{w},"entry":"first""#)),
    );
    assert_eq!(users(&r), [2, 2, 0]);
    assert_eq!(medians(&r), [None, Some(600.0), None]);
    assert_eq!(r.steps[2].conversion, 0.0);
    assert_eq!(r.steps[2].step_conversion, 0.0);
    assert_eq!(r.steps[2].dropped, 2);
}

#[test]
fn one_event_never_satisfies_two_steps() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:05:00Z",
        "u3,a,2024-03-01T09:00:00Z",
        "u3,a,2024-03-01T09:00:00Z",
        "u4,a,2024-03-01T09:00:00Z",
        "u4,b,2024-03-01T09:01:00Z",
        "u5,a,2024-03-01T09:00:00Z",
        "u5,b,2024-03-01T09:01:00Z",
        "u5,a,2024-03-01T09:02:00Z",
    ]));
    // steps [a, a]: u1 has one a (step 1 only); u2 two a's (gap 300); u3 two a's at one
    // timestamp (source order: gap 0; strictly later: step 1 only); u4, u5 have one or two.
    // source order: u1 1, u2 2, u3 2, u4 1, u5 2 (a 09:00 → a 09:02, gap 120)
    for entry in ["every", "first"] {
        let r = funnel(&s, &spec(&["a", "a"], &format!(r#""entry":"{entry}""#)));
        assert_eq!(users(&r), [5, 3], "{entry}");
        // gaps [300, 0, 120] → median 120
        assert_eq!(medians(&r), [None, Some(120.0)]);
        let r = funnel(
            &s,
            &spec(
                &["a", "a"],
                &format!(r#""entry":"{entry}","ties":"strictly_later""#),
            ),
        );
        assert_eq!(users(&r), [5, 2], "{entry}");
        // steps [a, b, a]: only u5 does all three; u4 reaches b
        let r = funnel(
            &s,
            &spec(&["a", "b", "a"], &format!(r#""entry":"{entry}""#)),
        );
        assert_eq!(users(&r), [5, 2, 1], "{entry}");
        // steps [a, a, a]: nobody has three a's; u2, u3, u5 reach step 2
        let r = funnel(
            &s,
            &spec(&["a", "a", "a"], &format!(r#""entry":"{entry}""#)),
        );
        assert_eq!(users(&r), [5, 3, 0], "{entry}");
    }
}

#[test]
fn validation_errors_are_clear() {
    let s = store(&csv(&[
        "u1,signup,2024-03-01T09:00:00Z",
        "u1,purchase,2024-03-01T09:10:00Z",
    ]));
    let (field, msg) = spec_error(&s, &spec(&["signup"], ""));
    assert_eq!(field, "steps");
    assert!(msg.contains("2 to 20") && msg.contains("got 1"), "{msg}");
    let eleven = ["signup"; 21];
    let (field, msg) = spec_error(&s, &spec(&eleven, ""));
    assert_eq!(field, "steps");
    assert!(msg.contains("got 21"), "{msg}");
    // twenty steps is the maximum and is accepted
    assert_eq!(funnel(&s, &spec(&["signup"; 20], "")).steps.len(), 20);
    // a step whose event never occurs counts 0 and is a warning with a hint, not an error
    let o = try_output(&s, &spec(&["signup", "purchse"], "")).unwrap();
    let AnalysisResult::Funnel(r) = &o.result else {
        panic!("{o:?}")
    };
    assert_eq!((r.steps[0].users, r.steps[1].users), (1, 0));
    assert_eq!(o.warnings.len(), 1);
    let w = &o.warnings[0];
    assert_eq!(
        (w.code.as_str(), w.field.as_str()),
        ("event_not_found", "steps[1].event")
    );
    assert_eq!(w.hint.as_deref(), Some("purchase"));
    assert!(
        w.message.contains("did you mean \"purchase\""),
        "{}",
        w.message
    );
    let o = try_output(&s, &spec(&["signup", "zzzzzzzzzzzz"], "")).unwrap();
    assert_eq!(o.warnings[0].hint, None);
    let (field, _) = spec_error(
        &s,
        &spec(
            &["signup", "purchase"],
            r#""window":{"value":0,"unit":"day"}"#,
        ),
    );
    assert_eq!(field, "window.value");
    let full = format!(
        "{}",
        try_run(
            &s,
            &spec(
                &["signup", "purchase"],
                r#""window":{"value":0,"unit":"day"}"#
            )
        )
        .unwrap_err()
    );
    assert!(full.starts_with("invalid spec: window.value"), "{full}");
    // unknown or mistyped JSON fields are rejected before running
    for (json, needle) in [
        (
            spec(
                &["signup", "purchase"],
                r#""windw":{"value":1,"unit":"day"}"#,
            ),
            "windw",
        ),
        (spec(&["signup", "purchase"], r#""entry":"last""#), "last"),
        (
            spec(&["signup", "purchase"], r#""ties":"random""#),
            "random",
        ),
        (
            spec(
                &["signup", "purchase"],
                r#""window":{"value":1,"unit":"fortnight"}"#,
            ),
            "fortnight",
        ),
        (
            spec(
                &["signup", "purchase"],
                r#""window":{"value":-1,"unit":"day"}"#,
            ),
            "-1",
        ),
        (
            r#"{"analysis":"funnel","steps":[{"event":"signup","name":"x"},{"event":"purchase"}]}"#
                .to_string(),
            "name",
        ),
    ] {
        match try_run(&s, &json) {
            Err(Error::SpecJson(m)) => assert!(m.contains(needle), "{json}: {m}"),
            other => panic!("{json}: expected a JSON error, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Options: exclusions, strict and any order, ties, breakdowns, date ranges, counting,
// first entry, trace, histogram, conversion over time, presets.

/// CSV text with a header of our own (property columns after the time).
fn table(header: &str, rows: &[&str]) -> String {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// (value, users per step) of each breakdown value, in display order.
fn split(r: &FunnelResult) -> Vec<(String, Vec<u64>)> {
    r.breakdowns
        .iter()
        .map(|b| (b.value.clone(), b.steps.iter().map(|s| s.users).collect()))
        .collect()
}

/// Users and events of the exclusion fixtures (steps a → b → c, exclusion x, window 1 day).
fn exclusion_store() -> loupe::engine::store::EventStore {
    store(&csv(&[
        // u1: x between a and b
        "u1,a,2024-03-01T09:00:00Z",
        "u1,x,2024-03-01T10:00:00Z",
        "u1,b,2024-03-01T11:00:00Z",
        "u1,c,2024-03-01T12:00:00Z",
        // u2: x after the last step
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T10:00:00Z",
        "u2,c,2024-03-01T11:00:00Z",
        "u2,x,2024-03-01T12:00:00Z",
        // u3: x one second after the window (24 h after a) closed
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T10:00:00Z",
        "u3,x,2024-03-02T09:00:01Z",
        // u5: x before the attempt starts
        "u5,x,2024-03-01T08:00:00Z",
        "u5,a,2024-03-01T09:00:00Z",
        "u5,b,2024-03-01T10:00:00Z",
        // u6: x exactly at the end of the window (inclusive), no b
        "u6,a,2024-03-01T09:00:00Z",
        "u6,x,2024-03-02T09:00:00Z",
        // u7: x between b and c
        "u7,a,2024-03-01T09:00:00Z",
        "u7,b,2024-03-01T10:00:00Z",
        "u7,x,2024-03-01T11:00:00Z",
        "u7,c,2024-03-01T12:00:00Z",
    ]))
}

#[test]
fn exclusion_removes_the_user_inside_the_window_between_its_steps() {
    let s = exclusion_store();
    let w = r#""window":{"value":1,"unit":"day"}"#;
    // x from step 1 to step 3 (the default `to_step` is the last step):
    // u1 x 10:00 after a, before c → removed; u2 x after c → converts; u3 x 24 h 0 m 1 s
    // after a → outside the window, stays at b; u5 x before a → stays at b; u6 x exactly
    // 24 h after a, attempt still at a → removed; u7 x after b, before c → removed.
    // Counted: u2 (3 steps), u3 (2), u5 (2) → [3, 3, 1]; removed: u1, u6, u7.
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            &format!(r#"{w},"exclusions":[{{"event":"x"}}]"#),
        ),
    );
    assert_eq!(users(&r), [3, 3, 1]);
    assert_eq!(r.excluded, 3);
    let explicit = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            &format!(r#"{w},"exclusions":[{{"event":"x","from_step":1,"to_step":3}}]"#),
        ),
    );
    assert_eq!(explicit, r);
    // x from step 2 to step 3: only after b and before c counts. u1's x came before b
    // (converts), u6 never reached b (counts at a), u7's x is after b → removed.
    // Counted: u1 3, u2 3, u3 2, u5 2, u6 1 → [5, 4, 2].
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            &format!(r#"{w},"exclusions":[{{"event":"x","from_step":2}}]"#),
        ),
    );
    assert_eq!(users(&r), [5, 4, 2]);
    assert_eq!(r.excluded, 1);
    // x from step 1 to step 2: u7 had already passed b when x came → converts;
    // u1 (x before b) and u6 (never reached b, x inside the window) are removed.
    // Counted: u2 3, u3 2, u5 2, u7 3 → [4, 4, 2].
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            &format!(r#"{w},"exclusions":[{{"event":"x","to_step":2}}]"#),
        ),
    );
    assert_eq!(users(&r), [4, 4, 2]);
    assert_eq!(r.excluded, 2);
    // without exclusions: u1, u2, u7 convert; u3, u5 reach b; u6 a → [6, 5, 3]
    let r = funnel(&s, &spec(&["a", "b", "c"], w));
    assert_eq!(users(&r), [6, 5, 3]);
    assert_eq!(r.excluded, 0);
}

#[test]
fn exclusion_counts_only_when_no_attempt_reached_as_far_without_one() {
    let s = store(&csv(&[
        // u1: attempt 09:00 reaches b at 11:00 with x in between (excluded); attempt
        // 12:00 reaches b at 13:00 cleanly: the same step without an exclusion → counts,
        // with the clean attempt's time (b 13:00 − a 12:00 = 3600 s).
        "u1,a,2024-03-01T09:00:00Z",
        "u1,x,2024-03-01T10:00:00Z",
        "u1,b,2024-03-01T11:00:00Z",
        "u1,a,2024-03-01T12:00:00Z",
        "u1,b,2024-03-01T13:00:00Z",
        // u2: attempt 09:00 goes a → b → c with x between b and c (excluded) and is the
        // only one reaching c; attempt 13:00 reaches b cleanly. The furthest step (c) was
        // reached only with an exclusion → removed. An exclusion is not a cut-off: the
        // attempt still counts as reaching c.
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T10:00:00Z",
        "u2,x,2024-03-01T11:00:00Z",
        "u2,c,2024-03-01T12:00:00Z",
        "u2,a,2024-03-01T13:00:00Z",
        "u2,b,2024-03-01T14:00:00Z",
        // u3: a clean attempt reaches b on 03-01; on 03-02 (after that window closed) an
        // attempt is hit by x right after a and still goes on to b and c. It went
        // furthest, so u3 is removed (the exclusion does not stop the attempt at a).
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T10:00:00Z",
        "u3,a,2024-03-02T12:00:00Z",
        "u3,x,2024-03-02T13:00:00Z",
        "u3,b,2024-03-02T14:00:00Z",
        "u3,c,2024-03-02T15:00:00Z",
    ]));
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            r#""window":{"value":1,"unit":"day"},"exclusions":[{"event":"x"}]"#,
        ),
    );
    assert_eq!(users(&r), [1, 1, 0]);
    assert_eq!(r.excluded, 2);
    assert_eq!(medians(&r), [None, Some(3600.0), None]);
    // with entry "first" only the first attempt of each user counts: u1's and u2's are
    // excluded → removed; u3's (a → b on 03-01) is clean → [1, 1, 0], gap 3600
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            r#""window":{"value":1,"unit":"day"},"entry":"first","exclusions":[{"event":"x"}]"#,
        ),
    );
    assert_eq!(users(&r), [1, 1, 0]);
    assert_eq!(r.excluded, 2);
    assert_eq!(medians(&r), [None, Some(3600.0), None]);
}

#[test]
fn strict_order_is_broken_by_any_other_event() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:01:00Z",
        "u1,c,2024-03-01T09:02:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,x,2024-03-01T09:01:00Z",
        "u2,b,2024-03-01T09:02:00Z",
        "u2,c,2024-03-01T09:03:00Z",
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T09:01:00Z",
        "u3,b,2024-03-01T09:02:00Z",
        "u3,c,2024-03-01T09:03:00Z",
        "u4,a,2024-03-01T09:00:00Z",
        "u4,a,2024-03-01T09:01:00Z",
        "u4,b,2024-03-01T09:02:00Z",
        "u4,c,2024-03-01T09:03:00Z",
        "u5,a,2024-03-01T09:00:00Z",
        "u5,b,2024-03-01T09:01:00Z",
        "u5,x,2024-03-01T09:02:00Z",
        "u5,a,2024-03-01T09:03:00Z",
        "u5,b,2024-03-01T09:04:00Z",
        "u5,c,2024-03-01T09:05:00Z",
    ]));
    // ordered: everyone converts (other events in between are allowed)
    assert_eq!(users(&funnel(&s, &spec(&["a", "b", "c"], ""))), [5, 5, 5]);
    // strict: u1 converts; u2's x breaks a → step 1; u3's second b is not the next step
    // (c) → stays at b; u4's second a opens a new attempt a → b → c; u5's first attempt
    // is broken by x at b, the second converts (gaps 60, 60).
    // step 1: 5; step 2: u1, u3, u4, u5 = 4; step 3: u1, u4, u5 = 3.
    let r = funnel(&s, &spec(&["a", "b", "c"], r#""order":"strict""#));
    assert_eq!(users(&r), [5, 4, 3]);
    assert_eq!(r.order, loupe::engine::analysis::funnel::Order::Strict);
    assert_eq!(medians(&r), [None, Some(60.0), Some(60.0)]);
    // with entry "first" u4 keeps the 09:00 attempt, which the second a breaks → step 1;
    // u5 keeps its first attempt → step 2. step 1: 5; step 2: u1, u3, u5; step 3: u1.
    let r = funnel(
        &s,
        &spec(&["a", "b", "c"], r#""order":"strict","entry":"first""#),
    );
    assert_eq!(users(&r), [5, 3, 1]);
}

#[test]
fn strict_order_ignores_events_the_shared_filters_remove() {
    let s = store(&table(
        "user_id,event,timestamp,plan",
        &[
            "u1,a,2024-03-01T09:00:00Z,pro",
            "u1,ping,2024-03-01T09:01:00Z,bot",
            "u1,b,2024-03-01T09:02:00Z,pro",
            // a b that fails the step's own filter still breaks the order
            "u2,a,2024-03-01T09:00:00Z,pro",
            "u2,b,2024-03-01T09:01:00Z,free",
            "u2,b,2024-03-01T09:02:00Z,pro",
        ],
    ));
    let steps = r#"{"analysis":"funnel","order":"strict","steps":[{"event":"a"},{"event":"b","filters":[{"property":"plan","op":"eq","value":"pro"}]}]"#;
    // no shared filter: u1's ping breaks a → b; u2's b(free) is not step 2 → breaks → [2, 0]
    assert_eq!(users(&funnel(&s, &format!("{steps}}}"))), [2, 0]);
    // shared filter plan ≠ bot removes u1's ping: u1 converts (gap 120 s); u2 still breaks
    let r = funnel(
        &s,
        &format!(r#"{steps},"filters":[{{"property":"plan","op":"neq","value":"bot"}}]}}"#),
    );
    assert_eq!(users(&r), [2, 1]);
    assert_eq!(medians(&r), [None, Some(120.0)]);
}

#[test]
fn tied_steps_convert_both_ways_with_step_order() {
    let s = store(&csv(&[
        // u1: a then b at one timestamp, in row order
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:00Z",
        // u2: the same, rows reversed
        "u2,b,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
    ]));
    // source order: u1 converts (gap 0), u2 does not (its b comes first in the file)
    assert_eq!(users(&funnel(&s, &spec(&["a", "b"], ""))), [2, 1]);
    // step order: both convert, gaps 0
    let r = funnel(&s, &spec(&["a", "b"], r#""ties":"step_order""#));
    assert_eq!(users(&r), [2, 2]);
    assert_eq!(medians(&r), [None, Some(0.0)]);
    // strictly later: neither
    assert_eq!(
        users(&funnel(
            &s,
            &spec(&["a", "b"], r#""ties":"strictly_later""#)
        )),
        [2, 0]
    );
    // strict order does not change a tie under step order (no other event in between)
    assert_eq!(
        users(&funnel(
            &s,
            &spec(&["a", "b"], r#""ties":"step_order","order":"strict""#)
        )),
        [2, 2]
    );
}

#[test]
fn an_attempt_opened_inside_a_tie_does_not_take_the_tie_from_an_older_one() {
    // steps a → b → a: the 09:00 attempt can finish with the tie at 10:00 (b, then the
    // second a), rows a, b. A new attempt also opens at the tied a.
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,a,2024-03-01T10:00:00Z",
        "u1,b,2024-03-01T10:00:00Z",
    ]));
    // step order: 09:00 → b 10:00 → a 10:00: converts, gaps 3600 and 0
    let r = funnel(&s, &spec(&["a", "b", "a"], r#""ties":"step_order""#));
    assert_eq!(users(&r), [1, 1, 1]);
    assert_eq!(medians(&r), [None, Some(3600.0), Some(0.0)]);
    // source order: the a at 10:00 comes before b in the file, so after b there is no a
    assert_eq!(users(&funnel(&s, &spec(&["a", "b", "a"], ""))), [1, 1, 0]);
    // strictly later: b at 10:00 is after a at 09:00, but no a after 10:00
    assert_eq!(
        users(&funnel(
            &s,
            &spec(&["a", "b", "a"], r#""ties":"strictly_later""#)
        )),
        [1, 1, 0]
    );
}

#[test]
fn a_step_or_exclusion_that_never_occurs() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:10:00Z",
        "u2,a,2024-03-01T09:00:00Z",
    ]));
    // the middle step never occurs: everyone who entered stops at step 1
    let o = try_output(&s, &spec(&["a", "zz", "b"], "")).unwrap();
    let AnalysisResult::Funnel(r) = &o.result else {
        panic!("{o:?}")
    };
    assert_eq!(users(r), [2, 0, 0]);
    assert_eq!(r.steps[1].event, "zz");
    assert_eq!(r.steps[1].dropped, 2);
    assert_eq!(o.warnings.len(), 1);
    assert_eq!(o.warnings[0].code, "event_not_found");
    assert_eq!(o.warnings[0].field, "steps[1].event");
    // an exclusion event that never occurs excludes nobody, with its own warning
    let o = try_output(&s, &spec(&["a", "b"], r#""exclusions":[{"event":"nope"}]"#)).unwrap();
    let AnalysisResult::Funnel(r) = &o.result else {
        panic!("{o:?}")
    };
    assert_eq!((users(r), r.excluded), (vec![2, 1], 0));
    let w: Vec<(&str, &str)> = o
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.field.as_str()))
        .collect();
    assert_eq!(w, [("event_not_found", "exclusions[0].event")]);
}

/// Breakdown by `src`, whose value changes between a user's steps.
fn attribution_store() -> loupe::engine::store::EventStore {
    store(&table(
        "user_id,event,timestamp,src",
        &[
            "u1,a,2024-03-01T09:00:00Z,ads",
            "u1,b,2024-03-01T10:00:00Z,seo",
            "u2,a,2024-03-01T09:00:00Z,seo",
            "u2,b,2024-03-01T10:00:00Z,",
            "u3,a,2024-03-01T09:00:00Z,",
            "u3,b,2024-03-01T10:00:00Z,ads",
            "u4,a,2024-03-01T09:00:00Z,ads",
            "u5,a,2024-03-01T09:00:00Z,",
            "u6,a,2024-03-01T09:00:00Z,ads",
            "u6,b,2024-03-01T10:00:00Z,ads",
            "u6,a,2024-03-01T11:00:00Z,seo",
            "u6,b,2024-03-01T12:00:00Z,seo",
        ],
    ))
}

#[test]
fn breakdown_attribution_when_the_value_changes_between_steps() {
    let s = attribution_store();
    let with = |attr: &str| {
        funnel(
            &s,
            &spec(&["a", "b"], &format!(r#""breakdown":"src"{attr}"#)),
        )
    };
    let v = |x: &[(&str, &[u64])]| -> Vec<(String, Vec<u64>)> {
        x.iter().map(|(a, b)| (a.to_string(), b.to_vec())).collect()
    };
    // everyone: u1, u2, u3, u6 convert; u4, u5 enter only → [6, 4]
    // first touch (first value on a step event): u1 ads, u2 seo, u3 ads (its a has no
    // value, its b has ads), u4 ads, u5 none, u6 ads.
    // ads: u1 ✓, u3 ✓, u4, u6 ✓ → [4, 3]; seo: u2 ✓ → [1, 1]; (none): u5 → [1, 0]
    let r = with("");
    assert_eq!(users(&r), [6, 4]);
    assert_eq!(r.breakdown.as_deref(), Some("src"));
    assert_eq!(
        split(&r),
        v(&[("ads", &[4, 3]), ("seo", &[1, 1]), ("(none)", &[1, 0])])
    );
    assert_eq!(r, with(r#","attribution":"first_touch""#));
    // last touch: u1 seo, u2 seo (its b has no value), u3 ads, u4 ads, u5 none, u6 seo.
    // seo: u1 ✓, u2 ✓, u6 ✓ → [3, 3]; ads: u3 ✓, u4 → [2, 1]; (none): u5 → [1, 0]
    let r = with(r#","attribution":"last_touch""#);
    assert_eq!(users(&r), [6, 4]);
    assert_eq!(
        split(&r),
        v(&[("seo", &[3, 3]), ("ads", &[2, 1]), ("(none)", &[1, 0])])
    );
    // all events: a funnel per value over the events carrying it.
    // u1: ads {a} → [1, 0]; seo {b} → no entry. u2: seo {a} → [1, 0]; none {b} → no
    // entry. u3: none {a} → [1, 0]; ads {b} → no entry. u4: ads → [1, 0]. u5: none →
    // [1, 0]. u6: ads {a 09, b 10} → [1, 1] and seo {a 11, b 12} → [1, 1]: u6 counts
    // under both values.
    // ads: u1, u4, u6 → [3, 1]; seo: u2, u6 → [2, 1]; (none): u3, u5 → [2, 0]
    let r = with(r#","attribution":"all_events""#);
    assert_eq!(users(&r), [6, 4]);
    assert_eq!(
        split(&r),
        v(&[("ads", &[3, 1]), ("seo", &[2, 1]), ("(none)", &[2, 0])])
    );
    // step 2: the value of the b that completes step 2, per value the user's b events
    // carry. u1: seo → [1, 1]. u2: its b has no value → left out. u3: ads → [1, 1].
    // u4, u5: no b → left out. u6: ads (a 09 → b 10) → [1, 1]; seo (b 12 only: a 11 →
    // b 12) → [1, 1].
    // ads: u3, u6 → [2, 2]; seo: u1, u6 → [2, 2]; equal counts are ordered by value.
    let r = with(r#","attribution":{"step":2}"#);
    assert_eq!(users(&r), [6, 4]);
    assert_eq!(split(&r), v(&[("ads", &[2, 2]), ("seo", &[2, 2])]));
    // seconds from a to b under seo: u1 3600, u6 3600 (from the 11:00 attempt)
    assert_eq!(r.breakdowns[1].steps[1].median_seconds, Some(3600.0));
    // step 1: the value of the entry. u1 ads → [1, 1]; u2 seo → [1, 1]; u3's a has no
    // value → left out; u4 ads → [1, 0]; u5 left out; u6 ads (a 09 → b 10) and seo
    // (a 11 → b 12).
    // ads: u1, u4, u6 → [3, 2]; seo: u2, u6 → [2, 2]
    let r = with(r#","attribution":{"step":1}"#);
    assert_eq!(split(&r), v(&[("ads", &[3, 2]), ("seo", &[2, 2])]));
    // limit 1 keeps the top value (first touch: ads) and gathers the rest as (other)
    let r = funnel(
        &s,
        &spec(
            &["a", "b"],
            r#""breakdown":{"properties":["src"],"limit":1}"#,
        ),
    );
    assert_eq!(
        split(&r),
        v(&[("ads", &[4, 3]), ("(other)", &[1, 1]), ("(none)", &[1, 0])])
    );
    // a step out of range is an error
    let (field, msg) = spec_error(
        &s,
        &spec(&["a", "b"], r#""breakdown":"src","attribution":{"step":3}"#),
    );
    assert_eq!(field, "attribution");
    assert!(msg.contains("1 to 2"), "{msg}");
}

#[test]
fn any_order_counts_distinct_steps_inside_the_window() {
    let s = store(&csv(&[
        // u1: c, a, b within 20 minutes → 3 steps in any order, gaps 600, 600
        "u1,c,2024-03-01T09:00:00Z",
        "u1,a,2024-03-01T09:10:00Z",
        "u1,b,2024-03-01T09:20:00Z",
        // u2: b twice is one step; a comes 90 minutes after the first b → 1 step
        "u2,b,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:10:00Z",
        "u2,a,2024-03-01T10:30:00Z",
        // u3: a, a, c → 2 distinct steps (gap 1800 from a 09:00 to c 09:30)
        "u3,a,2024-03-01T09:00:00Z",
        "u3,a,2024-03-01T09:05:00Z",
        "u3,c,2024-03-01T09:30:00Z",
    ]));
    let w = r#""window":{"value":1,"unit":"hour"}"#;
    // ordered a → b → c: u1 a → b (c came first) → 2; u2 a only → 1; u3 a only → 1
    assert_eq!(users(&funnel(&s, &spec(&["a", "b", "c"], w))), [3, 1, 0]);
    // any order: u1 3, u2 1, u3 2 → [3, 2, 1]
    let r = funnel(
        &s,
        &spec(&["a", "b", "c"], &format!(r#"{w},"order":"any""#)),
    );
    assert_eq!(users(&r), [3, 2, 1]);
    // step 2 gaps: u1 600, u3 1800 → median 1200; step 3: u1 600
    assert_eq!(medians(&r), [None, Some(1200.0), Some(600.0)]);
}

#[test]
fn any_order_matches_events_to_steps_as_well_as_possible() {
    // step 1 is any x, step 2 an x with plan pro. u1 does x(pro) then x(free): giving
    // x(pro) to step 2 and x(free) to step 1 completes both steps (filling the first
    // open step in time order would give x(pro) to step 1 and leave step 2 open).
    let s = store(&table(
        "user_id,event,timestamp,plan",
        &[
            "u1,x,2024-03-01T09:00:00Z,pro",
            "u1,x,2024-03-01T09:05:00Z,free",
            "u2,x,2024-03-01T09:00:00Z,free",
            "u2,x,2024-03-01T09:05:00Z,free",
        ],
    ));
    let json = r#"{"analysis":"funnel","order":"any","steps":[{"event":"x"},{"event":"x","filters":[{"property":"plan","op":"eq","value":"pro"}]}]}"#;
    // u1: 2 steps (gap 300); u2: two free x complete only step 1 → [2, 1]
    let r = funnel(&s, json);
    assert_eq!(users(&r), [2, 1]);
    assert_eq!(medians(&r), [None, Some(300.0)]);
}

#[test]
fn any_order_exclusions() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,x,2024-03-01T09:01:00Z",
        "u1,c,2024-03-01T09:02:00Z",
        "u1,b,2024-03-01T09:03:00Z",
        "u2,b,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:01:00Z",
        "u2,c,2024-03-01T09:02:00Z",
        "u2,x,2024-03-01T09:03:00Z",
        "u3,c,2024-03-01T09:00:00Z",
        "u3,a,2024-03-01T09:01:00Z",
        "u3,x,2024-03-01T09:02:00Z",
    ]));
    let any = r#""order":"any","window":{"value":1,"unit":"hour"}"#;
    // exclusion x between the first and the last step (by the number of steps done):
    // u1 x after 1 step, before 3 → removed; u2 x after all 3 → converts; u3 x after 2
    // steps, before 3 → removed. → [1, 1, 1], excluded 2
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            &format!(r#"{any},"exclusions":[{{"event":"x"}}]"#),
        ),
    );
    assert_eq!((users(&r), r.excluded), (vec![1, 1, 1], 2));
    // x between 2 and 3 steps done: u1's x came after 1 step → converts; u3 removed
    let r = funnel(
        &s,
        &spec(
            &["a", "b", "c"],
            &format!(r#"{any},"exclusions":[{{"event":"x","from_step":2}}]"#),
        ),
    );
    assert_eq!((users(&r), r.excluded), (vec![2, 2, 2], 1));
}

#[test]
fn date_range_cuts_attempts_at_the_entry_or_at_every_step() {
    let s = store(&csv(&[
        // u1: entry the evening before the range
        "u1,a,2024-03-01T23:00:00Z",
        "u1,b,2024-03-02T01:00:00Z",
        // u2: entry on the last day of the range, b the next morning (inside the window)
        "u2,a,2024-03-02T23:00:00Z",
        "u2,b,2024-03-03T01:00:00Z",
        // u3: all inside
        "u3,a,2024-03-02T10:00:00Z",
        "u3,b,2024-03-02T11:00:00Z",
        // u4: an entry before the range and another inside it
        "u4,a,2024-03-01T23:00:00Z",
        "u4,a,2024-03-02T00:30:00Z",
        "u4,b,2024-03-02T01:00:00Z",
    ]));
    let base =
        r#""window":{"value":1,"unit":"day"},"date_range":{"from":"2024-03-02","to":"2024-03-02"}"#;
    // range on the entry: u1's a is before the range → not counted; u2 converts with b
    // after the range end (inside its window); u3 converts; u4 enters at 00:30 → b 01:00.
    // → [3, 3]; gaps u2 7200, u3 3600, u4 1800 → median 3600
    for extra in ["", r#","range":"entry""#, r#","entry":"first""#] {
        let r = funnel(&s, &spec(&["a", "b"], &format!("{base}{extra}")));
        assert_eq!(users(&r), [3, 3], "{extra}");
        assert_eq!(medians(&r), [None, Some(3600.0)], "{extra}");
    }
    // every step in the range: u2's b (03-03 01:00) is outside → u2 stays at step 1
    let r = funnel(
        &s,
        &spec(&["a", "b"], &format!(r#"{base},"range":"all_steps""#)),
    );
    assert_eq!(users(&r), [3, 2]);
    // without a range u1 counts too: [4, 4]
    let r = funnel(
        &s,
        &spec(&["a", "b"], r#""window":{"value":1,"unit":"day"}"#),
    );
    assert_eq!(users(&r), [4, 4]);
}

#[test]
fn totals_count_each_attempt_with_re_entry_after_it_ends() {
    let s = store(&csv(&[
        // u1: converts at 09:10, enters again at 09:20 and converts at 09:30, enters a
        // third time at 09:40 → 3 attempts, 2 conversions (gaps 600, 600)
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:10:00Z",
        "u1,a,2024-03-01T09:20:00Z",
        "u1,b,2024-03-01T09:30:00Z",
        "u1,a,2024-03-01T09:40:00Z",
        // u2: the 09:00 attempt keeps its clock through the a at 09:30 and times out at
        // 10:00 (b 10:15 is 75 min after 09:00); the next entry is a 10:20 → b 10:30
        // (gap 600) → 2 attempts, 1 conversion
        "u2,a,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:30:00Z",
        "u2,b,2024-03-01T10:15:00Z",
        "u2,a,2024-03-01T10:20:00Z",
        "u2,b,2024-03-01T10:30:00Z",
    ]));
    let w = r#""window":{"value":1,"unit":"hour"}"#;
    let r = funnel(
        &s,
        &spec(&["a", "b"], &format!(r#"{w},"counting":"totals""#)),
    );
    assert_eq!(users(&r), [5, 3]);
    assert_eq!(
        r.counting,
        loupe::engine::analysis::funnel::Counting::Totals
    );
    assert_eq!(medians(&r), [None, Some(600.0)]);
    // users: u1 converts (600); u2 converts from the 09:30 entry (b 10:15, 2700 s)
    let r = funnel(&s, &spec(&["a", "b"], w));
    assert_eq!(users(&r), [2, 2]);
    assert_eq!(medians(&r), [None, Some(1650.0)]);
    // an excluded attempt is removed and the user enters again after the exclusion:
    // u3 a 09:00, x 09:05 (removes the attempt), a 09:10 → b 09:20 (gap 600)
    let s = store(&csv(&[
        "u3,a,2024-03-01T09:00:00Z",
        "u3,x,2024-03-01T09:05:00Z",
        "u3,a,2024-03-01T09:10:00Z",
        "u3,b,2024-03-01T09:20:00Z",
    ]));
    let r = funnel(
        &s,
        &spec(
            &["a", "b"],
            &format!(r#"{w},"counting":"totals","exclusions":[{{"event":"x"}}]"#),
        ),
    );
    assert_eq!((users(&r), r.excluded), (vec![1, 1], 1));
    assert_eq!(medians(&r), [None, Some(600.0)]);
}

#[test]
fn first_entry_does_not_reset_the_clock() {
    // Mixpanel's example: A 13:00, A 13:30, B 13:45, C 14:15, 1-hour window.
    let s = store(&csv(&[
        "u1,A,2024-03-01T13:00:00Z",
        "u1,A,2024-03-01T13:30:00Z",
        "u1,B,2024-03-01T13:45:00Z",
        "u1,C,2024-03-01T14:15:00Z",
    ]));
    let w = r#""window":{"value":1,"unit":"hour"}"#;
    // first entry: the clock runs from 13:00, C at 14:15 is 75 min later → converts to B
    let r = funnel(
        &s,
        &spec(&["A", "B", "C"], &format!(r#"{w},"entry":"first""#)),
    );
    assert_eq!(users(&r), [1, 1, 0]);
    assert_eq!(medians(&r), [None, Some(2700.0), None]);
    // every entry: the 13:30 attempt reaches C at 14:15 (45 min) → converts, gaps 900, 1800
    let r = funnel(&s, &spec(&["A", "B", "C"], w));
    assert_eq!(users(&r), [1, 1, 1]);
    assert_eq!(medians(&r), [None, Some(900.0), Some(1800.0)]);
}

#[test]
fn trace_explains_converted_dropped_and_excluded_users() {
    let s = exclusion_store();
    let run = |user: &str| {
        funnel(
            &s,
            &spec(
                &["a", "b", "c"],
                &format!(
                    r#""window":{{"value":1,"unit":"day"}},"exclusions":[{{"event":"x"}}],"trace_user":"{user}""#
                ),
            ),
        )
        .trace
        .expect("a trace")
    };
    // u2 converted: a 09:00 → b 10:00 → c 11:00; x 12:00 is listed as an exclusion event
    let t = run("u2");
    assert_eq!(
        (t.outcome.as_str(), t.furthest, t.found),
        ("converted", 3, true)
    );
    assert_eq!(
        t.attempt,
        [
            "2024-03-01T09:00:00.000Z",
            "2024-03-01T10:00:00.000Z",
            "2024-03-01T11:00:00.000Z"
        ]
    );
    let ev: Vec<(&str, Vec<usize>, Vec<usize>)> = t
        .events
        .iter()
        .map(|e| (e.event.as_str(), e.steps.clone(), e.exclusions.clone()))
        .collect();
    assert_eq!(
        ev,
        [
            ("a", vec![1], vec![]),
            ("b", vec![2], vec![]),
            ("c", vec![3], vec![]),
            ("x", vec![], vec![0])
        ]
    );
    assert!(t.events.iter().all(|e| e.in_range));
    assert!(t.reason.starts_with("converted"), "{}", t.reason);
    // u3 dropped after b (the x a second after the window does not matter)
    let t = run("u3");
    assert_eq!((t.outcome.as_str(), t.furthest), ("dropped", 2));
    assert_eq!(t.attempt.len(), 2);
    assert!(
        t.reason.contains("dropped after step 2 of 3"),
        "{}",
        t.reason
    );
    // u7 excluded: its only attempt reached c with x between b and c
    let t = run("u7");
    assert_eq!((t.outcome.as_str(), t.furthest), ("excluded", 3));
    assert!(
        t.reason.contains("\"x\" at 2024-03-01T11:00:00.000Z"),
        "{}",
        t.reason
    );
    // a user without a step-1 event, and one not in the data
    let s2 = store(&csv(&[
        "u1,b,2024-03-01T09:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
    ]));
    let t = funnel(&s2, &spec(&["a", "b"], r#""trace_user":"u1""#))
        .trace
        .unwrap();
    assert_eq!((t.outcome.as_str(), t.furthest), ("not_entered", 0));
    let t = funnel(&s2, &spec(&["a", "b"], r#""trace_user":"nobody""#))
        .trace
        .unwrap();
    assert_eq!((t.outcome.as_str(), t.found), ("not_found", false));
}

#[test]
fn histogram_bins_have_a_nice_width_from_zero() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:05Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T09:00:12Z",
        "u3,a,2024-03-01T09:00:00Z",
        "u3,b,2024-03-01T09:00:30Z",
        "u4,a,2024-03-01T09:00:00Z",
        "u4,b,2024-03-01T09:01:35Z",
    ]));
    // gaps 5, 12, 30, 95 s: a tenth of the largest is 9.5 → width 10 (the first of
    // 1, 2, 5, 10 × 10^k at least 9.5); bins [0, 10) … [90, 100): 10 bins.
    // 5 → bin 0, 12 → bin 1, 30 → bin 3, 95 → bin 9.
    let r = funnel(&s, &spec(&["a", "b"], ""));
    assert!(r.steps[0].histogram.is_empty());
    let h = &r.steps[1].histogram;
    assert_eq!(h.len(), 10);
    for (k, b) in h.iter().enumerate() {
        assert_eq!((b.from, b.to), (k as f64 * 10.0, k as f64 * 10.0 + 10.0));
    }
    let counts: Vec<u64> = h.iter().map(|b| b.users).collect();
    assert_eq!(counts, [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
    // gaps of 1 h and 2 h: a tenth is 720 → width 1000; 7200 → 8 bins; 3600 in bin 3
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T10:00:00Z",
        "u2,a,2024-03-01T09:00:00Z",
        "u2,b,2024-03-01T11:00:00Z",
    ]));
    let h = &funnel(&s, &spec(&["a", "b"], "")).steps[1].histogram;
    let bins: Vec<(f64, f64, u64)> = h.iter().map(|b| (b.from, b.to, b.users)).collect();
    assert_eq!(bins.len(), 8);
    assert_eq!(
        (bins[3], bins[7]),
        ((3000.0, 4000.0, 1), (7000.0, 8000.0, 1))
    );
    // a single gap of 0: one bin [0, 1)
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:00:00Z",
    ]));
    let h = &funnel(&s, &spec(&["a", "b"], "")).steps[1].histogram;
    assert_eq!(
        h.iter()
            .map(|b| (b.from, b.to, b.users))
            .collect::<Vec<_>>(),
        [(0.0, 1.0, 1)]
    );
}

#[test]
fn conversion_over_time_by_entry_day() {
    let s = store(&csv(&[
        // u1 enters 03-01 and converts the next day (inside the 14-day window)
        "u1,a,2024-03-01T22:00:00Z",
        "u1,b,2024-03-02T09:00:00Z",
        // u2 enters 03-01, never converts
        "u2,a,2024-03-01T08:00:00Z",
        // u3 enters 03-03 and converts
        "u3,a,2024-03-03T09:00:00Z",
        "u3,b,2024-03-03T10:00:00Z",
    ]));
    let r = funnel(&s, &spec(&["a", "b"], ""));
    let t: Vec<(&str, u64, u64, f64)> = r
        .over_time
        .iter()
        .map(|p| (p.label.as_str(), p.entered, p.converted, p.rate))
        .collect();
    // by entry day, with the empty day between: 03-01 2 entered 1 converted (0.5),
    // 03-02 none, 03-03 1 of 1
    assert_eq!(
        t,
        [
            ("2024-03-01", 2, 1, 0.5),
            ("2024-03-02", 0, 0, 0.0),
            ("2024-03-03", 1, 1, 1.0)
        ]
    );
    // weekly: all three entries are in the week starting Monday 2024-02-26
    let r = funnel(&s, &spec(&["a", "b"], r#""trend_interval":"week""#));
    let t: Vec<(&str, u64, u64)> = r
        .over_time
        .iter()
        .map(|p| (p.label.as_str(), p.entered, p.converted))
        .collect();
    assert_eq!(t, [("2024-02-26", 3, 2)]);
    // in +08:00, u1's entry (22:00 UTC) is on 03-02 local: 03-01 u2 (0 of 1),
    // 03-02 u1 (1 of 1), 03-03 u3 (1 of 1)
    let r = funnel(&s, &spec(&["a", "b"], r#""timezone":"+08:00""#));
    let t: Vec<(&str, u64, u64)> = r
        .over_time
        .iter()
        .map(|p| (p.label.as_str(), p.entered, p.converted))
        .collect();
    assert_eq!(
        t,
        [
            ("2024-03-01", 1, 0),
            ("2024-03-02", 1, 1),
            ("2024-03-03", 1, 1)
        ]
    );
}

#[test]
fn any_event_steps_and_step_filters() {
    let s = store(&table(
        "user_id,event,timestamp,plan",
        &[
            "u1,a,2024-03-01T09:00:00Z,",
            "u1,z,2024-03-01T09:05:00Z,",
            "u2,a,2024-03-01T09:00:00Z,",
            "u3,a,2024-03-01T09:00:00Z,",
            "u3,b,2024-03-01T09:01:00Z,free",
            "u3,b,2024-03-01T09:02:00Z,pro",
        ],
    ));
    // step 2 = any event: u1 (z, 300 s), u3 (b, 60 s); u2's only event is its entry
    let r = funnel(&s, r#"{"analysis":"funnel","steps":[{"event":"a"},{}]}"#);
    assert_eq!(users(&r), [3, 2]);
    assert_eq!(r.steps[1].event, "(any event)");
    assert_eq!(medians(&r), [None, Some(180.0)]);
    // step 2 = b with plan pro: only u3's second b (120 s)
    let r = funnel(
        &s,
        r#"{"analysis":"funnel","steps":[{"event":"a"},{"event":"b","filters":[{"property":"plan","op":"eq","value":"pro"}]}]}"#,
    );
    assert_eq!(users(&r), [3, 1]);
    assert_eq!(medians(&r), [None, Some(120.0)]);
}

#[test]
fn a_window_too_long_to_compute_is_a_clear_error() {
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T09:05:00Z",
    ]));
    // 16,000,000 weeks = 9.7e18 µs, beyond 64 bits
    let (field, msg) = spec_error(
        &s,
        &spec(&["a", "b"], r#""window":{"value":16000000,"unit":"week"}"#),
    );
    assert_eq!(field, "window.value");
    assert!(msg.contains("16000000 weeks is too long"), "{msg}");
    assert!(msg.contains("at most 106751991 days"), "{msg}");
    // the largest number of days that fits works
    let r = funnel(
        &s,
        &spec(&["a", "b"], r#""window":{"value":106751991,"unit":"day"}"#),
    );
    assert_eq!(users(&r), [1, 1]);
}

#[test]
fn presets_set_what_each_product_decides() {
    use loupe::engine::analysis::funnel::{
        Attribution, Counting, Entry, FunnelSpec, FunnelStep, Preset, RangeRule, Ties, Window,
        WindowUnit,
    };
    let mut s = FunnelSpec {
        steps: vec![FunnelStep::event("a"), FunnelStep::event("b")],
        window: Window {
            value: 3,
            unit: WindowUnit::Hour,
        },
        order: Default::default(),
        entry: Entry::First,
        ties: Ties::StrictlyLater,
        exclusions: Vec::new(),
        range: RangeRule::Entry,
        counting: Counting::Totals,
        breakdown: None,
        attribution: Attribution::LastTouch,
        trend_interval: Default::default(),
        trace_user: None,
    };
    assert_eq!(Preset::of(&s), None);
    let day = |value| Window {
        value,
        unit: WindowUnit::Day,
    };
    for (p, window, entry, ties, range) in [
        (
            Preset::Posthog,
            14,
            Entry::Every,
            Ties::StepOrder,
            RangeRule::AllSteps,
        ),
        (
            Preset::Mixpanel,
            7,
            Entry::First,
            Ties::SourceOrder,
            RangeRule::Entry,
        ),
        (
            Preset::Amplitude,
            1,
            Entry::Every,
            Ties::SourceOrder,
            RangeRule::Entry,
        ),
    ] {
        p.apply(&mut s);
        assert_eq!(
            (
                s.window,
                s.entry,
                s.ties,
                s.range,
                s.attribution,
                s.counting
            ),
            (
                day(window),
                entry,
                ties,
                range,
                Attribution::FirstTouch,
                Counting::Users
            ),
            "{p:?}"
        );
        // steps are kept, and the spec is recognised as the preset
        assert_eq!(s.steps.len(), 2);
        assert_eq!(Preset::of(&s), Some(p));
    }
    // changing one decided field leaves the preset
    s.window = day(2);
    assert_eq!(Preset::of(&s), None);
}

#[test]
fn step_order_gives_tied_events_the_steps_that_go_furthest() {
    // steps a → any event → b; at 10:00 the rows are b then z. Taken in step order, z
    // completes "any event" and b completes b: converts (gaps 3600, 0). Giving b to
    // "any event" because its row comes first would leave step 3 open.
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,b,2024-03-01T10:00:00Z",
        "u1,z,2024-03-01T10:00:00Z",
    ]));
    let json = |ties: &str| {
        format!(
            r#"{{"analysis":"funnel","steps":[{{"event":"a"}},{{}},{{"event":"b"}}],"ties":"{ties}"}}"#
        )
    };
    let r = funnel(&s, &json("step_order"));
    assert_eq!(users(&r), [1, 1, 1]);
    assert_eq!(medians(&r), [None, Some(3600.0), Some(0.0)]);
    // in source order b is the "any event" step and z is not b → [1, 1, 0]
    assert_eq!(users(&funnel(&s, &json("source_order"))), [1, 1, 0]);
}

#[test]
fn first_touch_looks_at_the_events_from_the_range_start_on() {
    // u1 did b (src old) before the range; in the range a (src new) → b (no value)
    let s = store(&table(
        "user_id,event,timestamp,src",
        &[
            "u1,b,2024-03-01T09:00:00Z,old",
            "u1,a,2024-03-02T09:00:00Z,new",
            "u1,b,2024-03-02T10:00:00Z,",
        ],
    ));
    let r = funnel(
        &s,
        &spec(
            &["a", "b"],
            r#""breakdown":"src","date_range":{"from":"2024-03-02"}"#,
        ),
    );
    // the b before the range can never be part of an attempt: first touch is "new"
    assert_eq!(split(&r), [("new".to_string(), vec![1, 1])]);
    // without the range the first step event is that b: first touch "old"
    let r = funnel(&s, &spec(&["a", "b"], r#""breakdown":"src""#));
    assert_eq!(split(&r), [("old".to_string(), vec![1, 1])]);
}

#[test]
fn strict_order_with_step_order_may_pass_over_a_tie() {
    // steps a → b → a in strict order. At 10:00 a tie of different steps (c, b): with
    // step order its events break nothing, and the attempt may use b there or pass the
    // tie over. a 09:00 → (tie) → b 11:00 → a 12:00 is unbroken: converts. It reached b
    // first at 10:00 (through the tie), so the gaps are 3600 and 7200.
    let s = store(&csv(&[
        "u1,a,2024-03-01T09:00:00Z",
        "u1,c,2024-03-01T10:00:00Z",
        "u1,b,2024-03-01T10:00:00Z",
        "u1,b,2024-03-01T11:00:00Z",
        "u1,a,2024-03-01T12:00:00Z",
    ]));
    let r = funnel(
        &s,
        &spec(&["a", "b", "a"], r#""order":"strict","ties":"step_order""#),
    );
    assert_eq!(users(&r), [1, 1, 1]);
    assert_eq!(medians(&r), [None, Some(3600.0), Some(7200.0)]);
    // in source order the c right after a breaks it; the a at 12:00 opens an attempt
    // that has nothing after it → [1, 0, 0]
    let r = funnel(&s, &spec(&["a", "b", "a"], r#""order":"strict""#));
    assert_eq!(users(&r), [1, 0, 0]);
}
