//! Cohort LTV and customer-summary fixtures worked out by hand (definitions:
//! `src/engine/analysis/ltv.rs` and `src/engine/analysis/customers.rs`).

use super::common::{approx, approx_all, spec_error, store, try_output, try_run};
use loupe::engine::analysis::customers::{Customer, CustomersResult};
use loupe::engine::analysis::ltv::LtvResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;

fn ltv(s: &EventStore, extra: &str) -> LtvResult {
    let json = format!(r#"{{"analysis":"ltv"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Ltv(r)) => r,
        other => panic!("expected an LTV result for {json}, got {other:?}"),
    }
}

fn customers(s: &EventStore, extra: &str) -> CustomersResult {
    let json = format!(r#"{{"analysis":"customers"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Customers(r)) => r,
        other => panic!("expected a customers result for {json}, got {other:?}"),
    }
}

/// The code of a keyed spec error.
fn error_key(s: &EventStore, json: &str) -> (String, &'static str) {
    match try_run(s, json) {
        Err(Error::Spec { field, key, .. }) => (field, key),
        other => panic!("expected a spec error for {json}, got {other:?}"),
    }
}

/// Fixture 1 (UTC, daily cohorts and ages, 4 ages 0..3):
/// - A: open 03-01 10:00; purchase 10 at 03-01 12:00 (age 0); purchase 0 at 03-03 09:00
///   and a refund −4 at 03-03 10:00 (age 2). Paying (10 and 0 are purchases).
/// - B: open 03-01 20:00, nothing else. Not paying.
/// - C: open 03-02 08:00; refund −5 at 03-02 09:00 (age 0). Not paying (a refund only).
/// - D: open 03-02 23:00; purchase 20 at 03-03 01:00 (age 1); 7 at 03-05 10:00 (age 3,
///   the last event of the data). Paying.
/// - E: open 03-04 12:00, nothing else.
const FIXTURE: &str = "user_id,event,timestamp,revenue\n\
    A,open,2025-03-01T10:00:00Z,\n\
    A,purchase,2025-03-01T12:00:00Z,10\n\
    A,purchase,2025-03-03T09:00:00Z,0\n\
    A,purchase,2025-03-03T10:00:00Z,-4\n\
    B,open,2025-03-01T20:00:00Z,\n\
    C,open,2025-03-02T08:00:00Z,\n\
    C,purchase,2025-03-02T09:00:00Z,-5\n\
    D,open,2025-03-02T23:00:00Z,\n\
    D,purchase,2025-03-03T01:00:00Z,20\n\
    D,purchase,2025-03-05T10:00:00Z,7\n\
    E,open,2025-03-04T12:00:00Z,\n";

const DAILY: &str = r#","cohort":"day","period":"day","periods":4"#;

#[test]
fn cohorts_refunds_zero_amounts_and_unobserved_ages() {
    let s = store(FIXTURE);
    let r = ltv(&s, DAILY);
    let labels: Vec<&str> = r.cohorts.iter().map(|c| c.label.as_str()).collect();
    // nobody's first activity is on 03-03: no row
    assert_eq!(labels, ["2025-03-01", "2025-03-02", "2025-03-04"]);
    assert_eq!((r.members, r.paying), (5, 2));
    // 03-01: A and B, A pays. Per age [10, 0, 0 − 4, 0] → cumulative [10, 10, 6, 6];
    // data end 03-05 10:00: age 3 ends 03-05 00:00 ≤ end, so all four are complete
    let c = &r.cohorts[0];
    assert_eq!((c.members, c.paying, c.size), (2, 1, 2));
    approx_all(&c.revenue, &[10.0, 10.0, 6.0, 6.0]);
    approx_all(&c.ltv, &[5.0, 5.0, 3.0, 3.0]);
    assert_eq!(c.complete, [true, true, true, true]);
    // 03-02: C (−5 at age 0) and D (20 at age 1, 7 at age 3): [−5, 15, 15, 22] / 2;
    // age 3 ends 03-06 00:00 > end: partly observed
    let c = &r.cohorts[1];
    assert_eq!((c.members, c.paying, c.size), (2, 1, 2));
    approx_all(&c.revenue, &[-5.0, 15.0, 15.0, 22.0]);
    approx_all(&c.ltv, &[-2.5, 7.5, 7.5, 11.0]);
    assert_eq!(c.complete, [true, true, true, false]);
    // 03-04: E; ages 0 and 1 have begun by 03-05 (age 2 not: empty), age 1 not over
    let c = &r.cohorts[2];
    assert_eq!((c.members, c.paying, c.size), (1, 0, 1));
    approx_all(&c.ltv, &[0.0, 0.0]);
    assert_eq!(c.complete, [true, false]);
    // averages over complete cells, Σ revenue / Σ size:
    // age 0: (10 − 5 + 0) / 5 = 1; age 1: (10 + 15) / 4 = 6.25; age 2: (6 + 15) / 4 =
    // 5.25; age 3: 6 / 2 = 3 (one cohort)
    let avg: Vec<Option<f64>> = r.average.iter().map(|a| a.ltv).collect();
    assert_eq!(avg, [Some(1.0), Some(6.25), Some(5.25), Some(3.0)]);
    let used: Vec<(u32, u64)> = r.average.iter().map(|a| (a.cohorts, a.size)).collect();
    assert_eq!(used, [(3, 5), (2, 4), (2, 4), (1, 2)]);
}

#[test]
fn paying_users_only() {
    let s = store(FIXTURE);
    let r = ltv(&s, &format!(r#"{DAILY},"users":"paying""#));
    // 03-04 has no paying user: left out; C's refund no longer counts (C does not pay)
    let labels: Vec<&str> = r.cohorts.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["2025-03-01", "2025-03-02"]);
    // 03-01: A alone: [10, 10, 6, 6]
    assert_eq!(r.cohorts[0].size, 1);
    approx_all(&r.cohorts[0].ltv, &[10.0, 10.0, 6.0, 6.0]);
    // 03-02: D alone: [0, 20, 20, 27]
    assert_eq!((r.cohorts[1].members, r.cohorts[1].size), (2, 1));
    approx_all(&r.cohorts[1].ltv, &[0.0, 20.0, 20.0, 27.0]);
    // age 0: (10 + 0) / 2 = 5; age 1: (10 + 20) / 2 = 15; age 2: (6 + 20) / 2 = 13;
    // age 3: 03-01 only, 6 / 1
    let avg: Vec<Option<f64>> = r.average.iter().map(|a| a.ltv).collect();
    assert_eq!(avg, [Some(5.0), Some(15.0), Some(13.0), Some(6.0)]);
}

#[test]
fn cohorts_by_first_activity_in_the_whole_data_and_the_date_range() {
    let s = store(FIXTURE);
    // from 03-02: A and B first came on 03-01, before the range: not in the table, though
    // A buys inside it; C and D's purchases after the range still count
    let r = ltv(
        &s,
        &format!(r#"{DAILY},"date_range":{{"from":"2025-03-02","to":"2025-03-02"}}"#),
    );
    assert_eq!(r.cohorts.len(), 1);
    assert_eq!(r.cohorts[0].label, "2025-03-02");
    approx_all(&r.cohorts[0].ltv, &[-2.5, 7.5, 7.5, 11.0]);
    // a range holding events but no first activity: an empty table
    let r = ltv(
        &s,
        &format!(r#"{DAILY},"date_range":{{"from":"2025-03-05","to":"2025-03-05"}}"#),
    );
    assert!(r.cohorts.is_empty());
    assert_eq!(r.average[0].ltv, None);
}

#[test]
fn fewer_ages_drop_later_purchases() {
    let s = store(FIXTURE);
    // 2 ages (0, 1): A's age-2 refund and D's age-3 purchase count nowhere
    let r = ltv(&s, r#","cohort":"day","period":"day","periods":2"#);
    approx_all(&r.cohorts[0].revenue, &[10.0, 10.0]);
    approx_all(&r.cohorts[1].revenue, &[-5.0, 15.0]);
}

#[test]
fn a_purchase_without_amount_is_a_purchase_of_zero_with_a_warning() {
    let s = store(
        "user_id,event,timestamp,revenue\n\
         A,purchase,2025-03-01T10:00:00Z,\n\
         B,purchase,2025-03-01T11:00:00Z,-1\n\
         B,open,2025-03-02T11:00:00Z,\n",
    );
    let o = try_output(
        &s,
        r#"{"analysis":"ltv","cohort":"day","period":"day","periods":2,"users":"paying"}"#,
    )
    .unwrap();
    let AnalysisResult::Ltv(r) = o.result else {
        panic!("not an LTV result")
    };
    // A pays (an amount of 0); B only refunds
    assert_eq!((r.cohorts[0].members, r.cohorts[0].paying), (2, 1));
    approx_all(&r.cohorts[0].ltv, &[0.0, 0.0]);
    let w = o
        .warnings
        .iter()
        .find(|w| w.code == "amount_missing")
        .unwrap();
    assert_eq!((w.field.as_str(), w.value.as_str()), ("amount", "1"));
}

/// Weekly cohorts and ages in Asia/Shanghai (+08:00, weeks from Monday):
/// - P: first event 03-02 17:00Z = Mon 03-03 01:00 local (week 03-03); 10 at 03-09
///   15:30Z = Sun 23:30 local (age 0); 6 at 03-09 16:30Z = Mon 03-10 00:30 local (age 1).
/// - Q: first event 03-09 17:00Z = Mon 03-10 01:00 local (week 03-10); 8 at 03-16 17:00Z
///   = Mon 03-17 01:00 local (age 1).
/// - R: open 03-20 02:00Z (Thu 03-20 local, week 03-17), the last event.
#[test]
fn weekly_cohorts_in_a_time_zone() {
    let s = store(
        "user_id,event,timestamp,revenue\n\
         P,open,2025-03-02T17:00:00Z,\n\
         P,purchase,2025-03-09T15:30:00Z,10\n\
         P,purchase,2025-03-09T16:30:00Z,6\n\
         Q,open,2025-03-09T17:00:00Z,\n\
         Q,purchase,2025-03-16T17:00:00Z,8\n\
         R,open,2025-03-20T02:00:00Z,\n",
    );
    let r = ltv(
        &s,
        r#","cohort":"week","period":"week","periods":3,"timezone":"Asia/Shanghai""#,
    );
    let labels: Vec<&str> = r.cohorts.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["2025-03-03", "2025-03-10", "2025-03-17"]);
    // the data ends in week 03-17: week 03-03 has begun ages 0..2; age 2 ends 03-24
    approx_all(&r.cohorts[0].ltv, &[10.0, 16.0, 16.0]);
    assert_eq!(r.cohorts[0].complete, [true, true, false]);
    approx_all(&r.cohorts[1].ltv, &[0.0, 8.0]);
    assert_eq!(r.cohorts[1].complete, [true, false]);
    approx_all(&r.cohorts[2].ltv, &[0.0]);
    assert_eq!(r.cohorts[2].complete, [false]);
    // age 0: (10 + 0) / 2; age 1: week 03-03 alone; age 2: no complete cell
    let avg: Vec<Option<f64>> = r.average.iter().map(|a| a.ltv).collect();
    assert_eq!(avg, [Some(5.0), Some(16.0), None]);
    // in UTC, P starts in week 02-24 and Q in week 03-03 (Sunday 03-09 17:00)
    let r = ltv(&s, r#","cohort":"week","period":"week","periods":3"#);
    let labels: Vec<&str> = r.cohorts.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["2025-02-24", "2025-03-03", "2025-03-17"]);
    // P's both purchases are in week 03-03, age 1: [0, 16, 16]
    approx_all(&r.cohorts[0].ltv, &[0.0, 16.0, 16.0]);
}

/// Weekly cohorts with daily ages: a cohort's cells exist from its earliest member's
/// first day and are complete once its latest member's age has ended.
/// - S: first event Mon 03-03 10:00, 5 at Tue 03-04 (age 1), 2 at Fri 03-07 12:00 (age
///   4, the last event of the data).
/// - U: first event Wed 03-05 10:00, 3 at Wed 03-05 11:00 (age 0).
#[test]
fn weekly_cohorts_with_daily_ages() {
    let s = store(
        "user_id,event,timestamp,revenue\n\
         S,open,2025-03-03T10:00:00Z,\n\
         S,purchase,2025-03-04T10:00:00Z,5\n\
         U,open,2025-03-05T10:00:00Z,\n\
         U,purchase,2025-03-05T11:00:00Z,3\n\
         S,purchase,2025-03-07T12:00:00Z,2\n",
    );
    let r = ltv(&s, r#","cohort":"week","period":"day","periods":6"#);
    let c = &r.cohorts[0];
    // S's ages 0..4 have begun by 03-07 (03-03 + 4); age k is over for U (first day
    // 03-05) once 03-05 + k + 1 ≤ 03-07 12:00: k ≤ 1
    approx_all(&c.revenue, &[3.0, 8.0, 8.0, 8.0, 10.0]);
    assert_eq!(c.complete, [true, true, false, false, false]);
    approx(c.ltv[1], 4.0);
}

#[test]
fn errors_name_the_field() {
    let s = store(FIXTURE);
    for (json, field, key) in [
        (
            r#"{"analysis":"ltv","periods":0}"#,
            "periods",
            "periods_range",
        ),
        (
            r#"{"analysis":"ltv","periods":401}"#,
            "periods",
            "periods_range",
        ),
        (
            r#"{"analysis":"ltv","cohort":"hour"}"#,
            "cohort",
            "ltv_hour",
        ),
        (
            r#"{"analysis":"ltv","period":"hour"}"#,
            "period",
            "ltv_hour",
        ),
        (
            r#"{"analysis":"ltv","amount":"revenu"}"#,
            "amount",
            "unknown_property_hint",
        ),
        (
            r#"{"analysis":"ltv","purchase_event":"open","amount":"user_id_x"}"#,
            "amount",
            "unknown_property",
        ),
        (
            r#"{"analysis":"customers","observation_date":"2025-13-45"}"#,
            "observation_date",
            "not_a_day",
        ),
        (
            r#"{"analysis":"customers","observation_date":"2025-03-01T10:00:00Z"}"#,
            "observation_date",
            "not_a_day",
        ),
    ] {
        assert_eq!(error_key(&s, json), (field.to_string(), key), "{json}");
    }
    let (field, message) = spec_error(&s, r#"{"analysis":"ltv","purchase_event":"purchse"}"#);
    assert_eq!(field, "purchase_event");
    assert!(message.contains("purchase"), "{message}");
    let text = store("user_id,event,timestamp,revenue\nA,purchase,2025-03-01T10:00:00Z,ten\n");
    assert_eq!(
        error_key(&text, r#"{"analysis":"customers"}"#),
        ("amount".to_string(), "property_not_numeric")
    );
    // a misspelt option is a JSON error naming it
    let e = try_run(&s, r#"{"analysis":"ltv","users":"payers"}"#).unwrap_err();
    assert!(e.to_string().contains("payers"), "{e}");
}

/// Customers fixture (UTC unless said):
/// - A: 10 at 03-01 10:00 and 5 at 03-01 18:00 (day total 15); 0 at 03-03 09:00 and a
///   refund −2 at 03-03 12:00 (day total 0: the refund is not a purchase); 30 at 03-06
///   08:00.
/// - B: a refund −3 only: not a customer.
/// - C: open 03-01, 20 at 03-04 23:30.
/// - D: 12 at 03-08 10:00 (the last event: the default observation date is 03-08).
const CUSTOMERS: &str = "user_id,event,timestamp,revenue\n\
    A,purchase,2025-03-01T10:00:00Z,10\n\
    A,purchase,2025-03-01T18:00:00Z,5\n\
    A,purchase,2025-03-03T09:00:00Z,0\n\
    A,purchase,2025-03-03T12:00:00Z,-2\n\
    A,purchase,2025-03-06T08:00:00Z,30\n\
    B,purchase,2025-03-02T10:00:00Z,-3\n\
    C,open,2025-03-01T08:00:00Z,\n\
    C,purchase,2025-03-04T23:30:00Z,20\n\
    D,purchase,2025-03-08T10:00:00Z,12\n";

/// (user, frequency, recency, T, monetary value, purchases, revenue)
fn rows(r: &CustomersResult) -> Vec<(String, u32, i64, i64, f64, u64, f64)> {
    r.customers
        .iter()
        .map(|c: &Customer| {
            (
                c.user.clone(),
                c.frequency,
                c.recency,
                c.t,
                (c.monetary_value * 1e9).round() / 1e9,
                c.purchases,
                c.revenue,
            )
        })
        .collect()
}

#[test]
fn customer_summary() {
    let s = store(CUSTOMERS);
    let r = customers(&s, "");
    assert_eq!(r.observation_date, "2025-03-08");
    // A: days 03-01, 03-03, 03-06: frequency 2, recency 5, T 7, monetary (0 + 30) / 2,
    //    purchases 10, 5, 0, 30; revenue 10 + 5 + 0 − 2 + 30 = 43
    // C: one day 03-04: T = 4; D: one day, T = 0
    assert_eq!(
        rows(&r),
        [
            ("A".into(), 2, 5, 7, 15.0, 4, 43.0),
            ("C".into(), 0, 0, 4, 0.0, 1, 20.0),
            ("D".into(), 0, 0, 0, 0.0, 1, 12.0),
        ]
    );
    assert_eq!(r.repeat_customers, 1);
    approx(r.revenue, 75.0);
    assert_eq!(r.customers[0].first_purchase, "2025-03-01");
    assert_eq!(r.customers[0].last_purchase, "2025-03-06");
    // observed on 03-05: A has 03-01 and 03-03 (frequency 1, monetary 0 / 1, revenue 13),
    // T = 4; C's T = 1; D has not bought yet
    let r = customers(&s, r#","observation_date":"2025-03-05""#);
    assert_eq!(
        rows(&r),
        [
            ("A".into(), 1, 2, 4, 0.0, 3, 13.0),
            ("C".into(), 0, 0, 1, 0.0, 1, 20.0),
        ]
    );
    // the CSV lists every customer with lifetimes' column names
    let table = loupe::engine::analysis::customers::table(&r);
    assert_eq!(
        table[0].join(","),
        "user,frequency,recency,T,monetary_value,purchases,revenue,first_purchase,last_purchase"
    );
    assert_eq!(table[1].join(","), "A,1,2,4,0,3,13,2025-03-01,2025-03-03");
}

#[test]
fn customer_days_in_a_time_zone() {
    let s = store(CUSTOMERS);
    // +08:00: A's 18:00Z purchase is on 03-02 local: days 03-01 (10), 03-02 (5),
    // 03-03 (0, refund aside), 03-06 (30): frequency 3, monetary (5 + 0 + 30) / 3;
    // C's purchase is on 03-05 local: T = 03-08 − 03-05 = 3
    let r = customers(&s, r#","timezone":"+08:00""#);
    let got = rows(&r);
    assert_eq!(got[0].0, "A");
    assert_eq!((got[0].1, got[0].2, got[0].3), (3, 5, 7));
    approx(r.customers[0].monetary_value, 35.0 / 3.0);
    assert_eq!((got[1].1, got[1].3), (0, 3));
}

#[test]
fn customer_filters_and_range() {
    let s = store(CUSTOMERS);
    // purchases of at least 10 only: A's 5 and 0 are gone (days 03-01 and 03-06),
    // monetary 30; the refund no longer matches either
    let r = customers(
        &s,
        r#","purchase_filters":[{"property":"revenue","op":"gte","value":10}]"#,
    );
    let got = rows(&r);
    assert_eq!(got[0], ("A".into(), 1, 5, 7, 30.0, 2, 40.0));
    // a date range keeps the purchases inside it; the observation date defaults to the
    // range's last day with data (03-04)
    let r = customers(
        &s,
        r#","date_range":{"from":"2025-03-02","to":"2025-03-04"}"#,
    );
    assert_eq!(r.observation_date, "2025-03-04");
    assert_eq!(
        rows(&r),
        [
            ("A".into(), 0, 0, 1, 0.0, 1, -2.0),
            ("C".into(), 0, 0, 0, 0.0, 1, 20.0),
        ]
    );
}

/// The fixture with a property `plan`, read per user (the first non-empty value in time):
/// A pro, B free, C free (set on C's second event only), D pro, E none.
const PLANS: &str = "user_id,event,timestamp,revenue,plan\n\
    A,open,2025-03-01T10:00:00Z,,pro\n\
    A,purchase,2025-03-01T12:00:00Z,10,\n\
    A,purchase,2025-03-03T09:00:00Z,0,free\n\
    A,purchase,2025-03-03T10:00:00Z,-4,\n\
    B,open,2025-03-01T20:00:00Z,,free\n\
    C,open,2025-03-02T08:00:00Z,,\n\
    C,purchase,2025-03-02T09:00:00Z,-5,free\n\
    D,open,2025-03-02T23:00:00Z,,pro\n\
    D,purchase,2025-03-03T01:00:00Z,20,\n\
    D,purchase,2025-03-05T10:00:00Z,7,\n\
    E,open,2025-03-04T12:00:00Z,,\n";

#[test]
fn breakdown_by_the_members_own_value_over_the_average_cells() {
    let s = store(PLANS);
    let r = ltv(&s, &format!(r#"{DAILY},"breakdown":"plan""#));
    // the cohort table and the average are those of all members (fixture 1)
    let avg: Vec<Option<f64>> = r.average.iter().map(|a| a.ltv).collect();
    assert_eq!(avg, [Some(1.0), Some(6.25), Some(5.25), Some(3.0)]);
    assert_eq!(r.breakdown.as_deref(), Some("plan"));
    // free and pro have two members each: ties by label; E has no value
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["free", "pro", "(none)"]);
    let counts: Vec<(u64, u64)> = r.breakdowns.iter().map(|b| (b.members, b.paying)).collect();
    assert_eq!(counts, [(2, 0), (2, 2), (1, 0)]);
    // cells as in the all-users average: 03-01 complete at ages 0..3, 03-02 at 0..2,
    // 03-04 at age 0 only.
    // free: B (03-01) cumulative [0, 0, 0, 0], C (03-02) [−5, −5, −5, −5]:
    // ages 0..2: −5 / 2; age 3: B alone, 0 / 1
    let free = &r.breakdowns[0];
    let got: Vec<Option<f64>> = free.average.iter().map(|a| a.ltv).collect();
    assert_eq!(got, [Some(-2.5), Some(-2.5), Some(-2.5), Some(0.0)]);
    let used: Vec<(u32, u64)> = free.average.iter().map(|a| (a.cohorts, a.size)).collect();
    assert_eq!(used, [(2, 2), (2, 2), (2, 2), (1, 1)]);
    approx_all(&free.revenue, &[-5.0, -5.0, -5.0, 0.0]);
    // pro: A (03-01) [10, 10, 6, 6], D (03-02) [0, 20, 20, 27]: (10 + 0) / 2, (10 + 20) / 2,
    // (6 + 20) / 2, then A alone: 6 / 1
    let pro = &r.breakdowns[1];
    let got: Vec<Option<f64>> = pro.average.iter().map(|a| a.ltv).collect();
    assert_eq!(got, [Some(5.0), Some(15.0), Some(13.0), Some(6.0)]);
    approx_all(&pro.revenue, &[10.0, 30.0, 26.0, 6.0]);
    // (none): E (03-04) [0, 0], complete at age 0 only
    let none = &r.breakdowns[2];
    let got: Vec<Option<f64>> = none.average.iter().map(|a| a.ltv).collect();
    assert_eq!(got, [Some(0.0), None, None, None]);
    // they add up to the average: age 0 (−5 + 10 + 0) / (2 + 2 + 1) = 1, age 1
    // (−5 + 30) / 4 = 6.25, age 2 (−5 + 26) / 4 = 5.25, age 3 (0 + 6) / 2 = 3

    // limit 1: free kept, pro gathered as (other)
    let r = ltv(
        &s,
        &format!(r#"{DAILY},"breakdown":{{"properties":["plan"],"limit":1}}"#),
    );
    let values: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["free", "(other)", "(none)"]);
    assert_eq!(r.breakdowns[1].paying, 2);

    // the table: a leading breakdown column, one average row per value
    let t = loupe::engine::analysis::ltv::table(&r);
    assert_eq!(
        &t[0][..6],
        ["breakdown", "cohort", "members", "paying", "size", "ltv_0"]
    );
    assert_eq!(t.len(), 4);
    assert_eq!(
        &t[2][..9],
        ["(other)", "average", "2", "2", "", "5", "15", "13", "6"]
    );
    assert_eq!(
        &t[3][5..],
        ["0", "", "", "", "0", "", "", "", "", "", "", ""]
    );
}

#[test]
fn breakdown_of_paying_members_only() {
    let s = store(PLANS);
    let r = ltv(
        &s,
        &format!(r#"{DAILY},"users":"paying","breakdown":"plan""#),
    );
    // members and paying as before; free and (none) have no paying member: no average
    let counts: Vec<(u64, u64)> = r.breakdowns.iter().map(|b| (b.members, b.paying)).collect();
    assert_eq!(counts, [(2, 0), (2, 2), (1, 0)]);
    assert!(r.breakdowns[0]
        .average
        .iter()
        .all(|a| a.ltv.is_none() && a.size == 0));
    // pro = the paying members: the all-users average of `paying_users_only`
    let got: Vec<Option<f64>> = r.breakdowns[1].average.iter().map(|a| a.ltv).collect();
    assert_eq!(got, [Some(5.0), Some(15.0), Some(13.0), Some(6.0)]);
}

#[test]
fn customer_breakdown_labels_each_customer_with_their_own_value() {
    // CUSTOMERS with a country: A's first event has CN; B (no customer) US; C's first
    // event (open) has none and its purchase US: C is US; D has none.
    let s = store(
        "user_id,event,timestamp,revenue,country\n\
         A,purchase,2025-03-01T10:00:00Z,10,CN\n\
         A,purchase,2025-03-01T18:00:00Z,5,\n\
         A,purchase,2025-03-03T09:00:00Z,0,\n\
         A,purchase,2025-03-03T12:00:00Z,-2,\n\
         A,purchase,2025-03-06T08:00:00Z,30,\n\
         B,purchase,2025-03-02T10:00:00Z,-3,US\n\
         C,open,2025-03-01T08:00:00Z,,\n\
         C,purchase,2025-03-04T23:30:00Z,20,US\n\
         D,purchase,2025-03-08T10:00:00Z,12,\n",
    );
    let r = customers(&s, r#","breakdown":"country""#);
    // the same rows as customer_summary, each with a value: CN and US have one customer
    // each (the tie by label), D none
    assert_eq!(
        rows(&r),
        [
            ("A".into(), 2, 5, 7, 15.0, 4, 43.0),
            ("C".into(), 0, 0, 4, 0.0, 1, 20.0),
            ("D".into(), 0, 0, 0, 0.0, 1, 12.0),
        ]
    );
    let values: Vec<Option<&str>> = r.customers.iter().map(|c| c.value.as_deref()).collect();
    assert_eq!(values, [Some("CN"), Some("US"), Some("(none)")]);
    let table = loupe::engine::analysis::customers::table(&r);
    assert_eq!(
        table[0].join(","),
        "breakdown,user,frequency,recency,T,monetary_value,purchases,revenue,first_purchase,last_purchase"
    );
    assert_eq!(
        table[2].join(","),
        "US,C,0,0,4,0,1,20,2025-03-04,2025-03-04"
    );
    // limit 1: CN is kept (1 customer, first by label), US becomes (other)
    let r = customers(&s, r#","breakdown":{"properties":["country"],"limit":1}"#);
    let values: Vec<Option<&str>> = r.customers.iter().map(|c| c.value.as_deref()).collect();
    assert_eq!(values, [Some("CN"), Some("(other)"), Some("(none)")]);
    // without a breakdown: no column, no values
    let r = customers(&s, "");
    assert!(r.customers.iter().all(|c| c.value.is_none()));
    assert_eq!(loupe::engine::analysis::customers::table(&r)[0][0], "user");
}
