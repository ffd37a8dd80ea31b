//! A/B test fixtures worked out by hand (definition: `src/engine/analysis/ab_test.rs`).
//!
//! The statistics are worked with a calculator in the comments; the reference digits were
//! checked with Python's `math.erfc` and SciPy 1.17 (`scipy.stats.ttest_ind(...,
//! equal_var=False)`), never with Loupe's own routines.

use super::common::{approx, spec_error, store, try_output, try_run};
use loupe::engine::analysis::ab_test::{self, AbTestResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::spec::Warning;
use loupe::engine::store::EventStore;

const HEADER: &str = "user_id,event,timestamp,variant,revenue";

/// A CSV of `rows` under [`HEADER`].
fn csv(rows: &[String]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// `users` users of `variant` named `{prefix}{k}`, each opening on 2024-03-01 10:00;
/// the first `converting` of them buy on 03-02 10:00.
fn group(prefix: &str, variant: &str, users: usize, converting: usize) -> Vec<String> {
    let mut rows = Vec::new();
    for k in 0..users {
        rows.push(format!("{prefix}{k},open,2024-03-01T10:00:00Z,{variant},"));
        if k < converting {
            rows.push(format!("{prefix}{k},buy,2024-03-02T10:00:00Z,,"));
        }
    }
    rows
}

fn run(s: &EventStore, spec: &str) -> (AbTestResult, Vec<Warning>) {
    let json = format!(r#"{{"analysis":"ab_test",{spec}}}"#);
    match try_output(s, &json) {
        Ok(o) => match o.result {
            AnalysisResult::AbTest(r) => (r, o.warnings),
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{json}: {e}"),
    }
}

fn codes(w: &[Warning]) -> Vec<&str> {
    w.iter().map(|w| w.code.as_str()).collect()
}

#[track_caller]
fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "expected {expected}, got {actual}"
    );
}

#[test]
fn two_variants_z_test_by_hand() {
    // control: 200 users, 20 buy (10%); treatment: 200 users, 34 buy (17%)
    let mut rows = group("c", "control", 200, 20);
    rows.extend(group("t", "treatment", 200, 34));
    let s = store(&csv(&rows));
    let (r, w) = run(&s, r#""conversion":{"event":"buy"}"#);
    assert_eq!(r.control, "control");
    assert_eq!(r.users, 400);
    assert_eq!((r.mixed_users, r.no_variant_users), (0, 0));
    let [c, t] = &r.variants[..] else {
        panic!("{:?}", r.variants)
    };
    assert_eq!(
        (c.value.as_str(), c.users, c.conversions),
        ("control", 200, 20)
    );
    assert_eq!(
        (t.value.as_str(), t.users, t.conversions),
        ("treatment", 200, 34)
    );
    approx(c.rate, 0.10);
    approx(t.rate, 0.17);
    // z = Φ⁻¹(0.975) = 1.959964
    // pooled P = 54 / 400 = 0.135; se0 = √(0.135 · 0.865 · (1/200 + 1/200))
    //   = √0.00116775 = 0.0341724; z = 0.07 / 0.0341724 = 2.0484
    // p = 2 (1 − Φ(2.0484)) = erfc(2.0484 / √2) = 0.04052
    close(t.z.unwrap(), 2.0484, 5e-5);
    close(t.p_value.unwrap(), 0.04052, 5e-6);
    assert!(t.significant, "0.0405 < 0.05");
    assert_eq!((c.z, c.p_value, c.significant), (None, None, false));
    // Wilson, control: centre (0.1 + z²/400) / (1 + z²/200) = 0.109604 / 1.019207 = 0.107538,
    // half z / 1.019207 · √(0.09/200 + z²/160000) = 1.923027 · 0.021772 = 0.041868
    close(c.rate_ci[0], 0.0657, 5e-5);
    close(c.rate_ci[1], 0.1494, 5e-5);
    // treatment: centre (0.17 + 0.009604) / 1.019207 = 0.176216, half 1.923027 · 0.027007 = 0.051940
    close(t.rate_ci[0], 0.1243, 5e-5);
    close(t.rate_ci[1], 0.2282, 5e-5);
    // difference 0.07 ± z √(0.1·0.9/200 + 0.17·0.83/200) = 0.07 ± 1.959964 · 0.033993
    approx(t.difference.unwrap(), 0.07);
    close(t.difference_ci.unwrap()[0], 0.0034, 5e-5);
    close(t.difference_ci.unwrap()[1], 0.1366, 5e-5);
    // lift 0.17 / 0.1 − 1 = 0.7; se √(0.0007055 / 0.01 + 0.0289 · 0.00045 / 0.0001)
    //   = √(0.07055 + 0.13005) = 0.447884; 0.7 ± 0.877840
    approx(t.lift.unwrap(), 0.7);
    close(t.lift_ci.unwrap()[0], -0.1778, 5e-5);
    close(t.lift_ci.unwrap()[1], 1.5778, 5e-5);
    // 2 variants: no chi-square; the SRM check sees 200 / 200: statistic 0, p 1
    assert!(r.chi_square.is_none());
    approx(r.srm.statistic, 0.0);
    approx(r.srm.p_value, 1.0);
    assert_eq!(r.srm.df, 1);
    // every variant has 100+ users and 10+ conversions
    assert!(w.is_empty(), "{w:?}");
    assert!(!c.small_sample && !t.small_sample);
    // the table: a row per variant, the control first
    let tab = ab_test::table(&r);
    assert_eq!(tab.len(), 3);
    assert_eq!(&tab[1][..3], ["control", "true", "200"]);
    assert_eq!(&tab[2][..3], ["treatment", "false", "200"]);
}

#[test]
fn three_variants_chi_square_by_hand() {
    // a: 100 users, 10 buy; b: 100, 20; c: 100, 30. No "control": the control is "a".
    let mut rows = group("a", "a", 100, 10);
    rows.extend(group("b", "b", 100, 20));
    rows.extend(group("c", "c", 100, 30));
    let s = store(&csv(&rows));
    let (r, w) = run(&s, r#""conversion":[{"event":"buy"}]"#);
    assert_eq!(r.control, "a");
    let values: Vec<&str> = r.variants.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(values, ["a", "b", "c"]);
    // expected: 60/300 · 100 = 20 converted and 80 not per variant
    // χ² = 100/20 + 0 + 100/20 + 100/80 + 0 + 100/80 = 12.5, df 2,
    // p = e^(−12.5/2) = 0.0019305 (the chi-square tail with 2 df is e^(−x/2))
    let x = r
        .chi_square
        .as_ref()
        .expect("3 variants have a chi-square test");
    approx(x.statistic, 12.5);
    assert_eq!(x.df, 2);
    close(x.p_value, 0.0019305, 5e-8);
    assert!(x.significant && !x.small_expected);
    // b against a: pooled 30/200 = 0.15, se0 = √(0.15 · 0.85 · 0.02) = 0.0504975,
    // z = 0.1 / 0.0504975 = 1.9803, p = 0.04767
    close(r.variants[1].z.unwrap(), 1.9803, 5e-5);
    close(r.variants[1].p_value.unwrap(), 0.04767, 5e-6);
    assert!(w.is_empty(), "{w:?}");
    // choosing the control moves it first
    let (r, _) = run(&s, r#""conversion":{"event":"buy"},"control":"c""#);
    let values: Vec<&str> = r.variants.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(values, ["c", "a", "b"]);
    // lift of a against c: 0.1 / 0.3 − 1
    approx(r.variants[1].lift.unwrap(), 0.1 / 0.3 - 1.0);
}

#[test]
fn sample_ratio_mismatch_is_detected() {
    // 130 control, 70 treatment, all with 10+ conversions
    let mut rows = group("c", "control", 130, 13);
    rows.extend(group("t", "treatment", 70, 14));
    let s = store(&csv(&rows));
    let (r, w) = run(&s, r#""conversion":{"event":"buy"}"#);
    // expected 100 / 100: χ² = (30² + 30²) / 100 = 18, df 1, p = erfc(√9) = erfc(3) = 2.209e-5
    approx(r.srm.statistic, 18.0);
    close(r.srm.p_value, 2.2090e-5, 5e-9);
    assert!(r.srm.significant);
    assert_eq!(codes(&w), ["sample_ratio_mismatch", "small_sample"]);
    // the small sample is the treatment (70 users)
    assert_eq!(w[1].value, "treatment");
    assert!(!r.variants[0].small_sample && r.variants[1].small_sample);
    approx(r.variants[0].share, 0.65);
    approx(r.variants[0].expected_share, 0.5);
    // with the split the test was run at, no mismatch: χ² = 0
    let (r, w) = run(
        &s,
        r#""conversion":{"event":"buy"},"expected_split":{"control":65,"treatment":35}"#,
    );
    approx(r.srm.statistic, 0.0);
    assert!(!r.srm.significant);
    approx(r.variants[1].expected_share, 0.35);
    assert_eq!(codes(&w), ["small_sample"]);
}

#[test]
fn users_with_two_variants_are_left_out_and_warned_about() {
    let rows: Vec<String> = [
        // a: control, buys
        "a,open,2024-03-01T10:00:00Z,control,",
        "a,buy,2024-03-01T11:00:00Z,,",
        // b: treatment then control: left out
        "b,open,2024-03-01T10:00:00Z,treatment,",
        "b,buy,2024-03-01T12:00:00Z,control,",
        // c: no variant at all
        "c,open,2024-03-01T10:00:00Z,,",
        // d: the variant only on a later event (its first event with a value): treatment
        "d,open,2024-03-01T10:00:00Z,,",
        "d,open,2024-03-03T10:00:00Z,treatment,",
        // e: treatment, twice the same value
        "e,open,2024-03-01T10:00:00Z,treatment,",
        "e,buy,2024-03-02T10:00:00Z,treatment,",
    ]
    .map(String::from)
    .to_vec();
    let s = store(&csv(&rows));
    let (r, w) = run(&s, r#""conversion":{"event":"buy"}"#);
    assert_eq!((r.mixed_users, r.no_variant_users), (1, 1));
    assert_eq!(r.users, 3);
    let counts: Vec<(&str, u64, u64)> = (r.variants.iter())
        .map(|v| (v.value.as_str(), v.users, v.conversions))
        .collect();
    assert_eq!(counts, [("control", 1, 1), ("treatment", 2, 1)]);
    assert_eq!(codes(&w), ["mixed_variants", "small_sample"]);
    assert_eq!(w[0].value, "1");
    assert_eq!(w[1].value, "control, treatment");
}

#[test]
fn exposure_restricts_the_users_and_starts_the_count() {
    let rows: Vec<String> = [
        // a: buys before the exposure, not after: in the test, not converted
        "a,buy,2024-03-01T09:00:00Z,control,",
        "a,exposed,2024-03-01T10:00:00Z,control,",
        // b: exposed, buys 2 days later
        "b,exposed,2024-03-01T10:00:00Z,control,",
        "b,buy,2024-03-03T10:00:00Z,control,",
        // c: never exposed: not in the test
        "c,open,2024-03-01T10:00:00Z,control,",
        "c,buy,2024-03-01T11:00:00Z,control,",
        // d: exposed and buys at the same instant, in that row order: converted
        "d,exposed,2024-03-02T10:00:00Z,treatment,",
        "d,buy,2024-03-02T10:00:00Z,treatment,",
        // e: exposed only after the date range (03-05): not in the test
        "e,exposed,2024-03-05T10:00:00Z,treatment,",
        "e,buy,2024-03-05T11:00:00Z,treatment,",
        // f: exposed 03-01, buys 03-05 (after the range ends)
        "f,exposed,2024-03-01T10:00:00Z,treatment,",
        "f,buy,2024-03-05T10:00:00Z,treatment,",
    ]
    .map(String::from)
    .to_vec();
    let s = store(&csv(&rows));
    let counts = |spec: &str| -> Vec<(String, u64, u64)> {
        let (r, _) = run(&s, spec);
        (r.variants.iter())
            .map(|v| (v.value.clone(), v.users, v.conversions))
            .collect()
    };
    let range = r#""date_range":{"from":"2024-03-01","to":"2024-03-04"}"#;
    // users a, b (control) and d, f (treatment); f's purchase is after the range
    assert_eq!(
        counts(&format!(
            r#""exposure_event":"exposed","conversion":{{"event":"buy"}},{range}"#
        )),
        [("control".into(), 2, 1), ("treatment".into(), 2, 1)]
    );
    // without the range f converts and e is in the test
    assert_eq!(
        counts(r#""exposure_event":"exposed","conversion":{"event":"buy"}"#),
        [("control".into(), 2, 1), ("treatment".into(), 3, 3)]
    );
    // a 1-day window: b's purchase (2 days) and f's (4 days) no longer count; e's (1 h) does
    assert_eq!(
        counts(
            r#""exposure_event":"exposed","conversion":{"event":"buy"},"window":{"value":1,"unit":"day"}"#
        ),
        [("control".into(), 2, 0), ("treatment".into(), 3, 2)]
    );
    // any event exposes: a's first event is its purchase, which counts; c is in
    assert_eq!(
        counts(&format!(r#""conversion":{{"event":"buy"}},{range}"#)),
        [("control".into(), 3, 3), ("treatment".into(), 2, 1)]
    );
}

#[test]
fn steps_convert_in_order() {
    let rows: Vec<String> = [
        // a: cart then buy: converts
        "a,open,2024-03-01T10:00:00Z,control,",
        "a,cart,2024-03-01T11:00:00Z,,",
        "a,buy,2024-03-01T12:00:00Z,,",
        // b: buy then cart: does not
        "b,open,2024-03-01T10:00:00Z,control,",
        "b,buy,2024-03-01T11:00:00Z,,",
        "b,cart,2024-03-01T12:00:00Z,,",
        // c: cart, buy, cart, buy: converts (once)
        "c,open,2024-03-01T10:00:00Z,treatment,",
        "c,buy,2024-03-01T10:30:00Z,,",
        "c,cart,2024-03-01T11:00:00Z,,",
        "c,buy,2024-03-03T12:00:00Z,,",
        // d: cart only
        "d,open,2024-03-01T10:00:00Z,treatment,",
        "d,cart,2024-03-01T11:00:00Z,,",
    ]
    .map(String::from)
    .to_vec();
    let s = store(&csv(&rows));
    let (r, _) = run(&s, r#""conversion":[{"event":"cart"},{"event":"buy"}]"#);
    assert_eq!(r.conversion, ["cart", "buy"]);
    let conv: Vec<u64> = r.variants.iter().map(|v| v.conversions).collect();
    assert_eq!(conv, [1, 1]);
    // with a 1-day window c's second buy (2 days after its exposure) is too late
    let (r, _) = run(
        &s,
        r#""conversion":[{"event":"cart"},{"event":"buy"}],"window":{"value":1,"unit":"day"}"#,
    );
    let conv: Vec<u64> = r.variants.iter().map(|v| v.conversions).collect();
    assert_eq!(conv, [1, 0]);
}

#[test]
fn revenue_welch_t_test() {
    // control revenue per user 0, 10, 20; treatment 5, 15, 40, 0, 30 (d's refund of −10
    // and purchase of 10 net to 0; a purchase without an amount counts 0)
    let rows: Vec<String> = [
        "c1,open,2024-03-01T10:00:00Z,control,",
        "c2,open,2024-03-01T10:00:00Z,control,",
        "c2,purchase,2024-03-01T11:00:00Z,,10",
        "c3,open,2024-03-01T10:00:00Z,control,",
        "c3,purchase,2024-03-01T11:00:00Z,,15",
        "c3,purchase,2024-03-02T11:00:00Z,,5",
        "t1,open,2024-03-01T10:00:00Z,treatment,",
        "t1,purchase,2024-03-01T11:00:00Z,,5",
        "t2,open,2024-03-01T10:00:00Z,treatment,",
        "t2,purchase,2024-03-01T11:00:00Z,,15",
        "t3,open,2024-03-01T10:00:00Z,treatment,",
        "t3,purchase,2024-03-01T11:00:00Z,,40",
        "t4,open,2024-03-01T10:00:00Z,treatment,",
        "t4,purchase,2024-03-01T11:00:00Z,,10",
        "t4,purchase,2024-03-01T12:00:00Z,,-10",
        "t5,open,2024-03-01T10:00:00Z,treatment,",
        "t5,purchase,2024-03-01T11:00:00Z,,30",
        "t5,purchase,2024-03-01T12:00:00Z,,",
    ]
    .map(String::from)
    .to_vec();
    let s = store(&csv(&rows));
    let (r, w) = run(&s, r#""conversion":{"event":"purchase"},"revenue":{}"#);
    assert!(r.revenue);
    assert!(codes(&w).contains(&"amount_missing"), "{w:?}");
    let c = r.variants[0].revenue.as_ref().unwrap();
    let t = r.variants[1].revenue.as_ref().unwrap();
    // control: mean 10, variance ((−10)² + 0 + 10²) / 2 = 100, sd 10, total 30
    approx(c.total, 30.0);
    approx(c.mean, 10.0);
    approx(c.sd.unwrap(), 10.0);
    // treatment: mean 90 / 5 = 18, variance (13² + 3² + 22² + 18² + 12²) / 4 = 1130 / 4 = 282.5
    approx(t.total, 90.0);
    approx(t.mean, 18.0);
    approx(t.sd.unwrap(), 282.5f64.sqrt());
    // se = √(100/3 + 282.5/5) = √(33.3333 + 56.5) = 9.47804; t = 8 / 9.47804 = 0.844056
    // df = 89.8333² / (33.3333²/2 + 56.5²/4) = 8070.03 / (555.556 + 798.063) = 5.96182
    // SciPy: ttest_ind(t, c, equal_var=False) → t 0.8440559, p 0.4311971
    approx(t.difference.unwrap(), 8.0);
    close(t.t.unwrap(), 0.8440559381, 1e-9);
    close(t.df.unwrap(), 5.961820430, 1e-8);
    close(t.p_value.unwrap(), 0.4311970634, 1e-8);
    assert!(!t.significant);
    // interval 8 ± t(0.975; 5.96182) · se = 8 ± 2.450715 · 9.478045
    close(t.difference_ci.unwrap()[0], -15.22799, 1e-4);
    close(t.difference_ci.unwrap()[1], 31.22799, 1e-4);
    // conversions: the refund is not a purchase, but t4's purchase of 10 is
    let conv: Vec<u64> = r.variants.iter().map(|v| v.conversions).collect();
    assert_eq!(conv, [2, 5]);
}

#[test]
fn numeric_variants_sort_as_numbers() {
    let mut rows = group("a", "10", 3, 1);
    rows.extend(group("b", "2", 3, 2));
    let s = store(&csv(&rows));
    let (r, _) = run(&s, r#""conversion":{"event":"buy"}"#);
    let values: Vec<&str> = r.variants.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(values, ["2", "10"]);
}

#[test]
fn errors_name_the_field() {
    let mut rows = group("c", "control", 3, 1);
    rows.extend(group("t", "treatment", 3, 2));
    let s = store(&csv(&rows));
    let err = |spec: &str| spec_error(&s, &format!(r#"{{"analysis":"ab_test",{spec}}}"#));
    let (f, m) = err(r#""conversion":{"event":"buy"},"variant":"varient""#);
    assert_eq!(f, "variant");
    assert!(m.contains("did you mean \"variant\""), "{m}");
    let (f, m) = err(r#""conversion":{"event":"buy"},"control":"contrl""#);
    assert_eq!(f, "control");
    assert!(m.contains("control, treatment"), "{m}");
    let (f, _) = err(r#""conversion":{"event":"buy"},"confidence":1.5"#);
    assert_eq!(f, "confidence");
    let (f, _) = err(r#""conversion":[]"#);
    assert_eq!(f, "conversion");
    let (f, m) = err(r#""conversion":{"event":"bye"}"#);
    assert_eq!(f, "conversion[0].event");
    assert!(m.contains("did you mean \"buy\""), "{m}");
    let (f, _) = err(r#""conversion":{"event":"buy"},"expected_split":{"control":1}"#);
    assert_eq!(f, "expected_split");
    let (f, _) =
        err(r#""conversion":{"event":"buy"},"expected_split":{"control":1,"treatment":0}"#);
    assert_eq!(f, "expected_split");
    let (f, _) = err(r#""conversion":{"event":"buy"},"window":{"value":0,"unit":"day"}"#);
    assert_eq!(f, "window.value");
    let (f, _) = err(r#""conversion":{"event":"buy"},"revenue":{"amount":"variant"}"#);
    assert_eq!(f, "revenue.amount");
    // only exposed users count: exposing on "buy" within one variant leaves one variant
    let one = group("c", "control", 3, 1);
    let s1 = store(&csv(&one));
    let e = spec_error(
        &s1,
        r#"{"analysis":"ab_test","conversion":{"event":"buy"}}"#,
    );
    assert_eq!(e.0, "variant");
    // unknown fields are rejected
    assert!(try_run(
        &s,
        r#"{"analysis":"ab_test","conversion":{"event":"buy"},"varaint":"x"}"#
    )
    .is_err());
}

#[test]
fn variant_names_are_suggested() {
    assert_eq!(
        ab_test::suggest_variant(&["country", "ab_group", "group"]),
        Some("ab_group")
    );
    assert_eq!(
        ab_test::suggest_variant(&["plan", "实验组"]),
        Some("实验组")
    );
    assert_eq!(ab_test::suggest_variant(&["plan"]), None);
}

/// `users` users of `variant` named `{prefix}{k}` with `country` on their open event
/// (2024-03-01 10:00); the first `converting` of them buy on 03-02 10:00.
fn group_in(
    prefix: &str,
    variant: &str,
    country: &str,
    users: usize,
    converting: usize,
) -> Vec<String> {
    let mut rows = Vec::new();
    for k in 0..users {
        rows.push(format!(
            "{prefix}{k},open,2024-03-01T10:00:00Z,{variant},{country}"
        ));
        if k < converting {
            rows.push(format!("{prefix}{k},buy,2024-03-02T10:00:00Z,,"));
        }
    }
    rows
}

/// CN: control 200 (20 buy), treatment 200 (34 buy), the numbers of
/// `two_variants_z_test_by_hand`; US: control 10 (1 buys; user uc0 has the country on
/// their buy only: a user's value is the one on their first event with one), treatment 10
/// (3 buy); no country: treatment 5, none buys.
fn segmented() -> EventStore {
    let mut rows = group_in("c", "control", "CN", 200, 20);
    rows.extend(group_in("t", "treatment", "CN", 200, 34));
    rows.push("uc0,open,2024-03-01T10:00:00Z,control,".into());
    rows.push("uc0,buy,2024-03-02T10:00:00Z,,US".into());
    rows.extend(group_in("uc", "control", "US", 10, 0).into_iter().skip(1));
    rows.extend(group_in("ut", "treatment", "US", 10, 3));
    rows.extend(group_in("n", "treatment", "", 5, 0));
    let mut s = String::from("user_id,event,timestamp,variant,country\n");
    for r in rows {
        s.push_str(&r);
        s.push('\n');
    }
    store(&s)
}

#[test]
fn a_breakdown_tests_each_segment_by_hand() {
    let s = segmented();
    let (r, w) = run(&s, r#""conversion":{"event":"buy"},"breakdown":"country""#);
    // overall: control 200 + 10 = 210 users, 20 + 1 = 21 conversions; treatment
    // 200 + 10 + 5 = 215, 34 + 3 = 37
    let overall: Vec<(u64, u64)> = r
        .variants
        .iter()
        .map(|v| (v.users, v.conversions))
        .collect();
    assert_eq!(overall, [(210, 21), (215, 37)]);
    assert_eq!(r.breakdown.as_deref(), Some("country"));
    let values: Vec<(&str, u64)> = r
        .segments
        .iter()
        .map(|g| (g.value.as_str(), g.users))
        .collect();
    assert_eq!(values, [("CN", 400), ("US", 20), ("(none)", 5)]);
    // CN: the numbers worked in two_variants_z_test_by_hand
    let [c, t] = &r.segments[0].variants[..] else {
        panic!("{:?}", r.segments[0].variants)
    };
    assert_eq!(
        (c.users, c.conversions, t.users, t.conversions),
        (200, 20, 200, 34)
    );
    approx(c.share, 0.5);
    close(t.z.unwrap(), 2.0484, 5e-5);
    close(t.p_value.unwrap(), 0.04052, 5e-6);
    approx(t.lift.unwrap(), 0.7);
    close(t.lift_ci.unwrap()[0], -0.1778, 5e-5);
    close(t.difference_ci.unwrap()[1], 0.1366, 5e-5);
    close(c.rate_ci[0], 0.0657, 5e-5);
    // US: control 1 / 10 (uc0, by the country on their buy), treatment 3 / 10.
    // difference 0.2, lift 0.3 / 0.1 − 1 = 2; pooled P = 4 / 20 = 0.2,
    // se0 = √(0.2 · 0.8 · (1/10 + 1/10)) = √0.032 = 0.178885, z = 0.2 / 0.178885 = 1.118034,
    // p = erfc(1.118034 / √2) = 0.263552 (Python math.erfc)
    let [c, t] = &r.segments[1].variants[..] else {
        panic!("{:?}", r.segments[1].variants)
    };
    assert_eq!(
        (c.users, c.conversions, t.users, t.conversions),
        (10, 1, 10, 3)
    );
    approx(t.difference.unwrap(), 0.2);
    approx(t.lift.unwrap(), 2.0);
    close(t.z.unwrap(), 1.118034, 5e-6);
    close(t.p_value.unwrap(), 0.263552, 5e-6);
    assert!(!t.significant);
    assert!(c.small_sample && t.small_sample);
    // (none): treatment only, no control to compare with
    let [t] = &r.segments[2].variants[..] else {
        panic!("{:?}", r.segments[2].variants)
    };
    assert_eq!(
        (t.value.as_str(), t.users, t.conversions),
        ("treatment", 5, 0)
    );
    approx(t.share, 1.0);
    assert_eq!((t.difference, t.lift, t.p_value), (None, None, None));
    // warnings: the small sample of US and of (none), each on its own
    let small: Vec<(&str, &str)> = (w.iter())
        .filter(|w| w.code == "small_sample" && w.field == "breakdown")
        .map(|w| (w.field.as_str(), w.value.as_str()))
        .collect();
    assert_eq!(
        small,
        [
            ("breakdown", "US: control, treatment"),
            ("breakdown", "(none): treatment")
        ]
    );
    // the table: a leading breakdown column, (all) first; 2 + 2 + 2 + 1 rows
    let tab = ab_test::table(&r);
    assert_eq!(tab.len(), 8);
    assert_eq!(&tab[0][..3], ["breakdown", "variant", "control"]);
    assert_eq!(&tab[1][..4], ["(all)", "control", "true", "210"]);
    assert_eq!(&tab[4][..4], ["CN", "treatment", "false", "200"]);
    assert_eq!(&tab[7][..4], ["(none)", "treatment", "false", "5"]);

    // limit 1: US goes to (other)
    let (r, _) = run(
        &s,
        r#""conversion":{"event":"buy"},"breakdown":{"properties":["country"],"limit":1}"#,
    );
    let values: Vec<(&str, u64)> = r
        .segments
        .iter()
        .map(|g| (g.value.as_str(), g.users))
        .collect();
    assert_eq!(values, [("CN", 400), ("(other)", 20), ("(none)", 5)]);
}
