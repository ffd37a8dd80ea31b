//! RFM fixtures worked out by hand (definition: `src/engine/analysis/rfm.rs`).

use super::common::{approx, store, try_output, try_run};
use loupe::engine::analysis::rfm::{RfmResult, Segment};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;

/// The fixture (UTC; revenue on purchases):
/// - a: purchase 03-01 10:00 (10), purchase 03-05 10:00 (20): F 2, M 30, last day 03-05
/// - b: purchase 03-03 10:00 (0): an amount of 0 is a purchase: F 1, M 0, last 03-03
/// - c: purchase 03-02 10:00 (50), refund 03-06 10:00 (−50): F 1, M 0, last 03-02 (the
///   refund lowers M and does not move R)
/// - d: purchases 03-04 09:00 (5), 03-04 11:00 (5), 03-09 10:00 (40): F 3, M 50, last 03-09
/// - e: purchase 03-09 23:00 (100): F 1, M 100, last 03-09 (03-10 in +08:00)
/// - f: refund 03-07 10:00 (−20) only: no customer
/// - g: open 03-10 12:00: no customer; the data's last event
///
/// Default as-of: the day after 03-10 = 03-11. R = 03-11 − last day:
/// a 6, b 8, c 9, d 2, e 2. Total revenue 30 + 0 + 0 + 50 + 100 = 180.
fn fixture() -> EventStore {
    store(
        "user_id,event,timestamp,revenue\n\
         a,purchase,2024-03-01T10:00:00Z,10\n\
         a,purchase,2024-03-05T10:00:00Z,20\n\
         b,purchase,2024-03-03T10:00:00Z,0\n\
         c,purchase,2024-03-02T10:00:00Z,50\n\
         c,purchase,2024-03-06T10:00:00Z,-50\n\
         d,purchase,2024-03-04T09:00:00Z,5\n\
         d,purchase,2024-03-04T11:00:00Z,5\n\
         d,purchase,2024-03-09T10:00:00Z,40\n\
         e,purchase,2024-03-09T23:00:00Z,100\n\
         f,purchase,2024-03-07T10:00:00Z,-20\n\
         g,open,2024-03-10T12:00:00Z,\n",
    )
}

fn rfm(s: &EventStore, extra: &str) -> RfmResult {
    let json = format!(r#"{{"analysis":"rfm"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Rfm(r)) => r,
        other => panic!("expected an RFM result for {json}, got {other:?}"),
    }
}

/// (user, R, F, M) of every member.
fn measures(r: &RfmResult) -> Vec<(&str, u32, u32, f64)> {
    (r.members.iter())
        .map(|m| (m.user_id.as_str(), m.recency, m.frequency, m.monetary))
        .collect()
}

/// (user, R score, F score, M score, segment) of every member.
fn scores(r: &RfmResult) -> Vec<(&str, u8, u8, u8, Segment)> {
    (r.members.iter())
        .map(|m| {
            (
                m.user_id.as_str(),
                m.r_score,
                m.f_score,
                m.m_score,
                m.segment,
            )
        })
        .collect()
}

fn key_error(s: &EventStore, json: &str) -> (String, &'static str) {
    match try_run(s, json) {
        Err(Error::Spec { field, key, .. }) => (field, key),
        other => panic!("expected a spec error for {json}, got {other:?}"),
    }
}

#[test]
fn measures_with_refunds_amounts_of_zero_and_the_default_as_of() {
    let r = rfm(&fixture(), "");
    assert_eq!(r.as_of, "2024-03-11");
    assert_eq!(r.customers, 5);
    approx(r.revenue, 180.0);
    assert_eq!(
        measures(&r),
        [
            ("a", 6, 2, 30.0),
            ("b", 8, 1, 0.0),
            ("c", 9, 1, 0.0),
            ("d", 2, 3, 50.0),
            ("e", 2, 1, 100.0),
        ]
    );
}

#[test]
fn purchase_filters_keep_only_matching_purchases() {
    // revenue ≥ 10: b's 0, d's two 5s, and both refunds (−50, −20) do not match, so
    // a (10 + 20, last 03-05, R 6), c (50, last 03-02, R 9), d (40, R 2) and e (100, R 2)
    // remain; b and f are not customers. Revenue 30 + 50 + 40 + 100 = 220.
    let r = rfm(
        &fixture(),
        r#","purchase_filters":[{"property":"revenue","op":"gte","value":10}]"#,
    );
    assert_eq!(r.customers, 4);
    approx(r.revenue, 220.0);
    assert_eq!(
        measures(&r),
        [
            ("a", 6, 2, 30.0),
            ("c", 9, 1, 50.0),
            ("d", 2, 1, 40.0),
            ("e", 2, 1, 100.0),
        ]
    );
}

#[test]
fn quintiles_split_ties_by_user_id() {
    // n = 5: the smallest k with 5(r − 1) ≤ 4k is r itself, so score = rank.
    // R worst first: c 9, b 8, a 6, then d 2 and e 2 (tie: d before e) -> c1 b2 a3 d4 e5
    // F: b, c, e at 1 (in id order), a 2, d 3 -> b1 c2 e3 a4 d5
    // M: b, c at 0, a 30, d 50, e 100 -> b1 c2 a3 d4 e5
    // segments (R, F): a (3,4) loyal; b (2,1) hibernating; c (1,2) lost; d (4,5) loyal;
    // e (5,3) potential loyalists
    let r = rfm(&fixture(), r#","ties":"split""#);
    use Segment::*;
    assert_eq!(
        scores(&r),
        [
            ("a", 3, 4, 3, LoyalCustomers),
            ("b", 2, 1, 1, Hibernating),
            ("c", 1, 2, 2, Lost),
            ("d", 4, 5, 4, LoyalCustomers),
            ("e", 5, 3, 5, PotentialLoyalists),
        ]
    );
    let mut grid = vec![vec![0u64; 5]; 5];
    for (r_, f) in [(3, 4), (2, 1), (1, 2), (4, 5), (5, 3)] {
        grid[r_ - 1][f - 1] += 1;
    }
    assert_eq!(r.grid, grid);
    // loyal: a and d: 2 customers (0.4), revenue 30 + 50 = 80 (80 / 180), mean R
    // (6 + 2) / 2 = 4, F (2 + 3) / 2 = 2.5, M 40
    let loyal = r
        .segments
        .iter()
        .find(|s| s.segment == LoyalCustomers)
        .unwrap();
    assert_eq!(loyal.customers, 2);
    approx(loyal.customer_share, 0.4);
    approx(loyal.revenue, 80.0);
    approx(loyal.revenue_share.unwrap(), 80.0 / 180.0);
    approx(loyal.avg_recency.unwrap(), 4.0);
    approx(loyal.avg_frequency.unwrap(), 2.5);
    approx(loyal.avg_monetary.unwrap(), 40.0);
    // all 11 segments listed, empty ones with no averages
    assert_eq!(r.segments.len(), 11);
    let champions = r.segments.iter().find(|s| s.segment == Champions).unwrap();
    assert_eq!((champions.customers, champions.avg_recency), (0, None));
    assert_eq!(r.segments.iter().map(|s| s.customers).sum::<u64>(), 5);
}

#[test]
fn quintiles_with_shared_ties() {
    // equal values take the rank of the first of their group:
    // R: d and e both rank 4 -> 4; F: b, c, e rank 1 -> 1; M: b, c rank 1 -> 1
    // segments: a (3,4) loyal; b (2,1) hibernating; c (1,1) lost; d (4,5) loyal;
    // e (4,1) promising
    let r = rfm(&fixture(), r#","ties":"shared""#);
    use Segment::*;
    assert_eq!(
        scores(&r),
        [
            ("a", 3, 4, 3, LoyalCustomers),
            ("b", 2, 1, 1, Hibernating),
            ("c", 1, 1, 1, Lost),
            ("d", 4, 5, 4, LoyalCustomers),
            ("e", 4, 1, 5, Promising),
        ]
    );
}

#[test]
fn an_earlier_as_of_day_and_a_date_range_cut_the_purchases() {
    // as of 03-09: purchases on 03-09 and later do not count. d: 03-04 twice (F 2, M 10,
    // R 9 − 4 = 5); e has none left. a: R 4; b: R 6; c: the refund of 03-06 counts (M 0),
    // R 7. n = 4: scores by the smallest k with 5(r − 1) ≤ 3k: ranks 1, 2, 3, 4 -> 1, 2,
    // 4, 5. R worst first: c 7, b 6, d 5, a 4 -> c1 b2 d4 a5.
    let r = rfm(&fixture(), r#","as_of":"2024-03-09""#);
    assert_eq!(r.as_of, "2024-03-09");
    assert_eq!(
        measures(&r),
        [
            ("a", 4, 2, 30.0),
            ("b", 6, 1, 0.0),
            ("c", 7, 1, 0.0),
            ("d", 5, 2, 10.0)
        ]
    );
    let rs: Vec<u8> = r.members.iter().map(|m| m.r_score).collect();
    assert_eq!(rs, [5, 2, 1, 4]);
    // a date range from 03-02: a's purchase of 03-01 is out (F 1, M 20); the range is
    // open at the end, so the default as-of is the day after the data's last day (03-11)
    let r = rfm(&fixture(), r#","date_range":{"from":"2024-03-02"}"#);
    assert_eq!(r.as_of, "2024-03-11");
    assert_eq!(measures(&r)[0], ("a", 6, 1, 20.0));
    // a range through 03-08 (no event on that day; the last in it is f's refund of 03-07):
    // as-of is the day after the range's last day, 03-09, and the members are those of
    // as-of 03-09 above
    let r = rfm(
        &fixture(),
        r#","date_range":{"from":"2024-03-01","to":"2024-03-08"}"#,
    );
    assert_eq!(r.as_of, "2024-03-09");
    assert_eq!(
        measures(&r),
        [
            ("a", 4, 2, 30.0),
            ("b", 6, 1, 0.0),
            ("c", 7, 1, 0.0),
            ("d", 5, 2, 10.0)
        ]
    );
}

#[test]
fn days_are_counted_in_the_shared_time_zone() {
    // +08:00: e's purchase 03-09 23:00Z is 03-10 07:00 local, g's 03-10 12:00Z is 03-10
    // 20:00 local: as-of 03-11, e's R = 1 (in UTC 2); d's 03-09 10:00Z = 18:00 local, R 2
    let r = rfm(&fixture(), r#","timezone":"+08:00""#);
    assert_eq!(r.as_of, "2024-03-11");
    assert_eq!(r.members[3].recency, 2);
    assert_eq!(r.members[4].recency, 1);
    // as of 03-10 in +08:00 excludes e's purchase (it is on 03-10 local); in UTC it
    // counts (03-09, R 1)
    let r = rfm(&fixture(), r#","timezone":"+08:00","as_of":"2024-03-10""#);
    assert_eq!(r.customers, 4);
    let r = rfm(&fixture(), r#","as_of":"2024-03-10""#);
    assert_eq!(r.customers, 5);
    assert_eq!(
        (r.members[4].user_id.as_str(), r.members[4].recency),
        ("e", 1)
    );
    // −05:00: g's event is 03-10 07:00 local, as-of 03-11; e's purchase is 03-09 18:00
    // local, R 2; a's 03-05 10:00Z is 05:00 local 03-05, R 6
    let r = rfm(&fixture(), r#","timezone":"-05:00""#);
    assert_eq!(r.as_of, "2024-03-11");
    assert_eq!((r.members[0].recency, r.members[4].recency), (6, 2));
}

#[test]
fn eight_classes_split_at_the_mean() {
    // means: R (6 + 8 + 9 + 2 + 2) / 5 = 5.4, F 8 / 5 = 1.6, M 180 / 5 = 36
    // R high (≤ 5.4): d, e; F high (≥ 1.6): a, d; M high (≥ 36): d, e
    // a L H L 一般保持; b L L L 一般挽留; c L L L 一般挽留; d H H H 重要价值;
    // e H L H 重要发展
    let r = rfm(&fixture(), r#","model":"eight_class""#);
    let th = r.thresholds.unwrap();
    approx(th.r, 5.4);
    approx(th.f, 1.6);
    approx(th.m, 36.0);
    use Segment::*;
    assert_eq!(
        scores(&r),
        [
            ("a", 0, 1, 0, GeneralKeep),
            ("b", 0, 0, 0, GeneralWinBack),
            ("c", 0, 0, 0, GeneralWinBack),
            ("d", 1, 1, 1, ImportantValue),
            ("e", 1, 0, 1, ImportantDevelop),
        ]
    );
    assert!(r.grid.is_empty());
    // the eight classes in the seeds' order, empty ones included
    let order: Vec<Segment> = r.segments.iter().map(|s| s.segment).collect();
    assert_eq!(
        order,
        [
            ImportantValue,
            ImportantDevelop,
            ImportantKeep,
            ImportantWinBack,
            GeneralValue,
            GeneralDevelop,
            GeneralKeep,
            GeneralWinBack
        ]
    );
    // 一般挽留: b and c, 2 customers, revenue 0 (share 0), mean R 8.5
    let wb = &r.segments[7];
    assert_eq!(wb.customers, 2);
    approx(wb.revenue_share.unwrap(), 0.0);
    approx(wb.avg_recency.unwrap(), 8.5);
}

#[test]
fn eight_classes_split_at_the_median_and_at_given_values() {
    // medians: R of 2, 2, 6, 8, 9 = 6; F of 1, 1, 1, 2, 3 = 1; M of 0, 0, 30, 50, 100 = 30
    // R high (≤ 6): a, d, e; F high (≥ 1): all; M high (≥ 30): a, d, e
    // a HHH 重要价值; b LHL 一般保持; c LHL 一般保持; d, e HHH 重要价值
    let r = rfm(&fixture(), r#","model":"eight_class","split":"median""#);
    let th = r.thresholds.unwrap();
    assert_eq!((th.r, th.f, th.m), (6.0, 1.0, 30.0));
    use Segment::*;
    let seg: Vec<Segment> = r.members.iter().map(|m| m.segment).collect();
    assert_eq!(
        seg,
        [
            ImportantValue,
            GeneralKeep,
            GeneralKeep,
            ImportantValue,
            ImportantValue
        ]
    );
    // given values R ≤ 8, F ≥ 3, M ≥ 0: R high a, b, d, e; F high d; M high all
    // a HLH 重要发展; b HLH 重要发展; c LLH 重要挽留; d HHH 重要价值; e HLH 重要发展
    let r = rfm(
        &fixture(),
        r#","model":"eight_class","split":{"r":8,"f":3,"m":0}"#,
    );
    let seg: Vec<Segment> = r.members.iter().map(|m| m.segment).collect();
    assert_eq!(
        seg,
        [
            ImportantDevelop,
            ImportantDevelop,
            ImportantWinBack,
            ImportantValue,
            ImportantDevelop
        ]
    );
    assert_eq!(r.segments[1].customers, 3);
    approx(
        r.segments[1].revenue_share.unwrap(),
        (30.0 + 0.0 + 100.0) / 180.0,
    );
}

#[test]
fn a_purchase_without_an_amount_counts_with_a_warning() {
    // h buys on 03-08 without revenue: a purchase of 0 (F 1, M 0, R 3)
    let s = store(
        "user_id,event,timestamp,revenue\n\
         a,purchase,2024-03-01T10:00:00Z,10\n\
         h,purchase,2024-03-08T10:00:00Z,\n\
         g,open,2024-03-10T12:00:00Z,\n",
    );
    let out = try_output(&s, r#"{"analysis":"rfm"}"#).unwrap();
    let AnalysisResult::Rfm(r) = out.result else {
        panic!()
    };
    assert_eq!(measures(&r), [("a", 10, 1, 10.0), ("h", 3, 1, 0.0)]);
    assert!(out
        .warnings
        .iter()
        .any(|w| w.code == "amount_missing" && w.value == "1"));
}

#[test]
fn the_csv_table_lists_every_member() {
    let r = rfm(&fixture(), "");
    let t = AnalysisResult::Rfm(r).table();
    assert_eq!(
        t[0],
        [
            "user_id",
            "segment",
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score"
        ]
    );
    assert_eq!(t.len(), 6);
    assert_eq!(
        t[1],
        ["a", "loyal_customers", "6", "2", "30", "3", "4", "3"]
    );
}

#[test]
fn bad_specs_are_keyed_errors() {
    let s = fixture();
    for (json, field, key) in [
        (
            r#"{"analysis":"rfm","as_of":"2024-02-30"}"#,
            "as_of",
            "as_of_date",
        ),
        (
            r#"{"analysis":"rfm","as_of":"March 9"}"#,
            "as_of",
            "as_of_date",
        ),
        (
            r#"{"analysis":"rfm","as_of":"2024-03-01"}"#,
            "purchase_event",
            "no_customers",
        ),
        (
            r#"{"analysis":"rfm","amount":"price"}"#,
            "amount",
            "unknown_property",
        ),
        (
            r#"{"analysis":"rfm","amount":"user_id"}"#,
            "amount",
            "unknown_property",
        ),
    ] {
        assert_eq!(key_error(&s, json), (field.to_string(), key), "{json}");
    }
    // text amounts and unknown events
    let t = store(
        "user_id,event,timestamp,revenue,country\n\
         a,purchase,2024-03-01T10:00:00Z,10,CN\n",
    );
    assert_eq!(
        key_error(&t, r#"{"analysis":"rfm","amount":"country"}"#),
        ("amount".to_string(), "property_not_numeric")
    );
    assert!(matches!(
        try_run(&t, r#"{"analysis":"rfm","purchase_event":"buy"}"#),
        Err(Error::Spec { ref field, .. }) if field == "purchase_event"
    ));
    // malformed options are JSON errors that name what is wrong
    for bad in [
        r#"{"analysis":"rfm","model":"pareto"}"#,
        r#"{"analysis":"rfm","ties":"random"}"#,
        r#"{"analysis":"rfm","split":"mode"}"#,
        r#"{"analysis":"rfm","split":{"r":1,"f":2}}"#,
        r#"{"analysis":"rfm","recency":3}"#,
    ] {
        assert!(matches!(try_run(&s, bad), Err(Error::SpecJson(_))), "{bad}");
    }
}

/// The fixture with a `country` column: a CN (first event), b US, c CN (on its second
/// event: a user's value is the one on their first event with one), d none, e US; f (CN)
/// and g (JP) are no customers.
fn with_country() -> EventStore {
    store(
        "user_id,event,timestamp,revenue,country\n\
         a,purchase,2024-03-01T10:00:00Z,10,CN\n\
         a,purchase,2024-03-05T10:00:00Z,20,\n\
         b,purchase,2024-03-03T10:00:00Z,0,US\n\
         c,purchase,2024-03-02T10:00:00Z,50,\n\
         c,purchase,2024-03-06T10:00:00Z,-50,CN\n\
         d,purchase,2024-03-04T09:00:00Z,5,\n\
         d,purchase,2024-03-04T11:00:00Z,5,\n\
         d,purchase,2024-03-09T10:00:00Z,40,\n\
         e,purchase,2024-03-09T23:00:00Z,100,US\n\
         f,purchase,2024-03-07T10:00:00Z,-20,CN\n\
         g,open,2024-03-10T12:00:00Z,,JP\n",
    )
}

#[test]
fn a_breakdown_splits_customers_scored_over_all_of_them() {
    use Segment::*;
    // scores over all customers, as in quintiles_split_ties_by_user_id:
    // a (3,4,3) loyal, b (2,1,1) hibernating, c (1,2,2) lost, d (4,5,4) loyal,
    // e (5,3,5) potential loyalists
    let s = with_country();
    let r = rfm(&s, r#","breakdown":{"properties":["country"],"limit":1}"#);
    let plain = rfm(&s, "");
    assert_eq!(scores(&r), scores(&plain));
    assert_eq!(r.breakdown.as_deref(), Some("country"));
    // customers per value: CN a, c (2); US b, e (2): the tie goes by label, CN first and
    // kept (limit 1); US becomes (other); d has no value
    let values: Vec<(&str, u64)> = (r.breakdowns.iter())
        .map(|b| (b.value.as_str(), b.customers))
        .collect();
    assert_eq!(values, [("CN", 2), ("(other)", 2), ("(none)", 1)]);
    let member_values: Vec<(&str, &str)> = (r.members.iter())
        .map(|m| (m.user_id.as_str(), m.value.as_deref().unwrap()))
        .collect();
    assert_eq!(
        member_values,
        [
            ("a", "CN"),
            ("b", "(other)"),
            ("c", "CN"),
            ("d", "(none)"),
            ("e", "(other)")
        ]
    );
    // CN: a (loyal; R 6, F 2, M 30) and c (lost; R 9, F 1, M 0): revenue 30; loyal 1 of 2
    // customers (0.5) with all 30 of the revenue (1.0); lost 0.5 of the customers, 0 of
    // the revenue
    let cn = &r.breakdowns[0];
    approx(cn.revenue, 30.0);
    let seg = |b: &loupe::engine::analysis::rfm::RfmBreakdown, s: Segment| {
        b.segments.iter().find(|x| x.segment == s).unwrap().clone()
    };
    let loyal = seg(cn, LoyalCustomers);
    assert_eq!(loyal.customers, 1);
    approx(loyal.customer_share, 0.5);
    approx(loyal.revenue, 30.0);
    approx(loyal.revenue_share.unwrap(), 1.0);
    approx(loyal.avg_recency.unwrap(), 6.0);
    approx(loyal.avg_frequency.unwrap(), 2.0);
    approx(loyal.avg_monetary.unwrap(), 30.0);
    let lost = seg(cn, Lost);
    assert_eq!(lost.customers, 1);
    approx(lost.revenue_share.unwrap(), 0.0);
    approx(lost.avg_recency.unwrap(), 9.0);
    assert_eq!(seg(cn, Champions).avg_recency, None);
    // CN's grid: a at (R 3, F 4), c at (R 1, F 2)
    let mut grid = vec![vec![0u64; 5]; 5];
    grid[2][3] = 1;
    grid[0][1] = 1;
    assert_eq!(cn.grid, grid);
    // (other): b (hibernating, M 0) and e (potential loyalists, M 100): revenue 100
    let other = &r.breakdowns[1];
    approx(other.revenue, 100.0);
    approx(seg(other, PotentialLoyalists).revenue_share.unwrap(), 1.0);
    approx(seg(other, Hibernating).customer_share, 0.5);
    // (none): d alone, loyal, revenue 50
    let none = &r.breakdowns[2];
    approx(none.revenue, 50.0);
    assert_eq!(seg(none, LoyalCustomers).customers, 1);
    // the values add up: 2 + 2 + 1 customers, 30 + 100 + 50 revenue, grids to the grid
    let mut sum = vec![vec![0u64; 5]; 5];
    for b in &r.breakdowns {
        for (k, row) in b.grid.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                sum[k][j] += c;
            }
        }
    }
    assert_eq!(sum, r.grid);
    approx(r.breakdowns.iter().map(|b| b.revenue).sum(), 180.0);

    // the eight classes keep no grid per value
    let e = rfm(&s, r#","model":"eight_class","breakdown":"country""#);
    assert!(e.breakdowns.iter().all(|b| b.grid.is_empty()));
    assert_eq!(e.breakdowns.len(), 3);

    // the CSV: a leading breakdown column
    let t = AnalysisResult::Rfm(r).table();
    assert_eq!(t[0][..2], ["breakdown", "user_id"]);
    assert_eq!(
        t[1],
        ["CN", "a", "loyal_customers", "6", "2", "30", "3", "4", "3"]
    );
    assert_eq!(t[4][..2], ["(none)", "d"]);
}

#[test]
fn a_breakdown_by_an_unknown_property_is_a_keyed_error() {
    let (field, _) = key_error(&with_country(), r#"{"analysis":"rfm","breakdown":"nope"}"#);
    assert!(field.starts_with("breakdown"), "{field}");
}
