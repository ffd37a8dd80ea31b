//! Funnel fixtures worked out by hand (definition: `src/engine/analysis/funnel.rs`).

use super::common::{approx, approx_all, funnel, spec_error, store, try_output, try_run};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::analysis::funnel::FunnelResult;
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
    assert_eq!((w.code.as_str(), w.field.as_str()), ("event_not_found", "steps[1].event"));
    assert_eq!(w.hint.as_deref(), Some("purchase"));
    assert!(w.message.contains("did you mean \"purchase\""), "{}", w.message);
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
