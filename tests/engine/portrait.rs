//! User portrait (`src/engine/analysis/portrait.rs`): fixtures worked out by hand, then a
//! brute-force oracle on seeded random data.

use super::common::{load, store, try_output, try_run};
use super::oracle::{rfc3339, Rng, BASE, DAY, HOUR};
use loupe::engine::analysis::portrait::{self, Composition, PortraitResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use std::collections::BTreeMap;

fn portrait(s: &EventStore, extra: &str) -> PortraitResult {
    let json = format!(r#"{{"analysis":"portrait"{extra}}}"#);
    match try_run(s, &json) {
        Ok(AnalysisResult::Portrait(r)) => r,
        other => panic!("expected a portrait result for {json}, got {other:?}"),
    }
}

/// (label, users) of every category.
fn cats(c: &Composition) -> Vec<(&str, u64)> {
    c.categories
        .iter()
        .map(|x| (x.label.as_str(), x.users))
        .collect()
}

/// Fixture (UTC), the range is March:
/// - U1: 03-01 f, age 21, north; 03-05 no gender, age 18, north → f, 18 (its last values).
/// - U2: 03-02 m, age 25, south; 03-03 f, south → f (changed), 25.
/// - U3: 03-02 north, no gender, no age → (none), (none).
/// - U4: 02-20 m, age 35; 03-04 an event without values → m, 35, region (none).
///   Active in March, but new in February.
/// - U5: 02-25 f, age 18, north only: not active in March.
const FIXTURE: &str = "user_id,event,timestamp,gender,age,region\n\
    U1,open,2025-03-01T10:00:00Z,f,21,north\n\
    U1,open,2025-03-05T10:00:00Z,,18,north\n\
    U2,open,2025-03-02T10:00:00Z,m,25,south\n\
    U2,open,2025-03-03T10:00:00Z,f,,south\n\
    U3,open,2025-03-02T12:00:00Z,,,north\n\
    U4,open,2025-02-20T10:00:00Z,m,35,\n\
    U4,open,2025-03-04T10:00:00Z,,,\n\
    U5,open,2025-02-25T10:00:00Z,f,18,north\n";

const MARCH: &str = r#","date_range":{"from":"2025-03-01","to":"2025-03-31"}"#;

#[test]
fn last_values_categories_shares_and_edges() {
    let s = store(FIXTURE);
    let r = portrait(
        &s,
        &format!(
            r#"{MARCH},"properties":[{{"property":"gender"}},{{"property":"age","edges":[18,25,35]}}]"#
        ),
    );
    // active in March: U1–U4
    assert_eq!(r.total, 4);
    // gender: f = U1 and U2 (U2's last value), m = U4, (none) = U3
    assert_eq!(cats(&r.properties[0]), [("f", 2), ("m", 1), ("(none)", 1)]);
    assert!(!r.properties[0].numeric);
    assert_eq!(r.properties[0].categories[0].share, 0.5);
    assert_eq!(r.properties[0].categories[1].share, 0.25);
    // age, an edge value belongs to the bin above it: U1 18 → [18, 25), U2 25 → [25, 35),
    // U4 35 → ≥ 35; nobody below 18 (listed anyway); U3 (none)
    assert_eq!(
        cats(&r.properties[1]),
        [
            ("< 18", 0),
            ("[18, 25)", 1),
            ("[25, 35)", 1),
            ("≥ 35", 1),
            ("(none)", 1)
        ]
    );
    assert!(r.properties[1].numeric);
    assert_eq!(r.properties[1].categories[1].lo, Some(18.0));
    assert_eq!(r.properties[1].categories[1].hi, Some(25.0));
    // the table: header, then a row per category of each property
    let t = portrait::table(&r);
    assert_eq!(t[0], ["property", "category", "users", "share"]);
    assert_eq!(t.len(), 1 + 3 + 5);
    assert_eq!(t[1], ["gender", "f", "2", "0.5"]);
}

#[test]
fn equal_width_bins_hold_the_largest_value_in_the_last_bin() {
    let s = store(FIXTURE);
    // active values 18, 25, 35: width (35 − 18) / 2 = 8.5: [18, 26.5) holds 18 and 25,
    // [26.5, 35] holds 35
    let r = portrait(
        &s,
        &format!(r#"{MARCH},"properties":[{{"property":"age","bins":2}}]"#),
    );
    assert_eq!(
        cats(&r.properties[0]),
        [("[18, 26.5)", 2), ("[26.5, 35]", 1), ("(none)", 1)]
    );
    // new users in March: U1, U2, U3 (values 18, 25): width 3.5, [18, 21.5) [21.5, 25]
    let r = portrait(
        &s,
        &format!(r#"{MARCH},"users":"new","properties":[{{"property":"age","bins":2}}]"#),
    );
    assert_eq!(r.total, 3);
    assert_eq!(
        cats(&r.properties[0]),
        [("[18, 21.5)", 1), ("[21.5, 25]", 1), ("(none)", 1)]
    );
    // one distinct value: one bin
    let r = portrait(
        &s,
        r#","date_range":{"from":"2025-02-25","to":"2025-02-25"},"properties":[{"property":"age"}]"#,
    );
    assert_eq!(cats(&r.properties[0]), [("[18, 18]", 1)]);
}

#[test]
fn cross_tab_limit_and_filters() {
    let s = store(FIXTURE);
    // regions of U1–U4: north (U1, U3), south (U2), (none) (U4)
    let r = portrait(
        &s,
        &format!(
            r#"{MARCH},"properties":[{{"property":"gender"}}],"breakdown":{{"property":"region"}}"#
        ),
    );
    assert_eq!(r.breakdown.as_deref(), Some("region"));
    assert_eq!(r.breakdown_labels, ["north", "south", "(none)"]);
    assert_eq!(r.breakdown_users, [2, 1, 1]);
    let by: Vec<&[u64]> = r.properties[0]
        .categories
        .iter()
        .map(|c| c.by.as_slice())
        .collect();
    // f: U1 north, U2 south; m: U4 (none); (none): U3 north
    assert_eq!(by, [&[1, 1, 0][..], &[0, 0, 1], &[1, 0, 0]]);
    assert_eq!(portrait::table(&r)[0][4..], ["north", "south", "(none)"]);

    // limit 1: f, then (other) = m, then (none)
    let r = portrait(
        &s,
        &format!(r#"{MARCH},"limit":1,"properties":[{{"property":"gender"}}]"#),
    );
    assert_eq!(
        cats(&r.properties[0]),
        [("f", 2), ("(other)", 1), ("(none)", 1)]
    );

    // filter region = north: active U1 and U3 (U5 is in February)
    let r = portrait(
        &s,
        &format!(
            r#"{MARCH},"filters":[{{"property":"region","op":"eq","value":"north"}}],"properties":[{{"property":"gender"}}]"#
        ),
    );
    assert_eq!(cats(&r.properties[0]), [("f", 1), ("(none)", 1)]);
}

#[test]
fn bad_portraits_are_keyed_errors() {
    let s = store(FIXTURE);
    let key = |extra: &str| match try_run(&s, &format!(r#"{{"analysis":"portrait"{extra}}}"#)) {
        Err(Error::Spec { field, key, .. }) => (field, key),
        other => panic!("expected a spec error for {extra}, got {other:?}"),
    };
    assert_eq!(
        key(r#","properties":[]"#),
        ("properties".into(), "properties_count")
    );
    assert_eq!(
        key(r#","properties":[{"property":"gendr"}]"#),
        ("properties[0].property".into(), "unknown_property_hint")
    );
    assert_eq!(
        key(r#","properties":[{"property":"gender","edges":[1]}]"#),
        ("properties[0].edges".into(), "bins_on_text")
    );
    assert_eq!(
        key(r#","properties":[{"property":"age","bins":0}]"#),
        ("properties[0].bins".into(), "bins_range")
    );
    assert_eq!(
        key(r#","properties":[{"property":"age","edges":[10,5]}]"#),
        ("properties[0].edges[1]".into(), "edges_order")
    );
    assert_eq!(
        key(r#","properties":[{"property":"age"}],"breakdown":{"property":"x"}"#).1,
        "unknown_property"
    );
    let e = try_run(&s, r#"{"analysis":"portrait"}"#).unwrap_err();
    assert!(e.to_string().contains("properties"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Oracle: written literally from the module doc on seeded random data.

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    time: i64,
    kind: &'static str,
    score: Option<f64>,
    region: &'static str,
}

/// The oracle's categories of values: (label, users per member key).
fn oracle_cats(
    values: &[Option<Result<&'static str, f64>>],
    limit: usize,
    bins: u32,
    edges: &[f64],
) -> (Vec<String>, Vec<usize>) {
    let none = |labels: &mut Vec<String>, keys: &mut Vec<usize>, missing: &[usize]| {
        if !missing.is_empty() {
            let k = labels.len();
            labels.push("(none)".into());
            for &m in missing {
                keys[m] = k;
            }
        }
    };
    let missing: Vec<usize> = (0..values.len()).filter(|&m| values[m].is_none()).collect();
    let mut keys = vec![usize::MAX; values.len()];
    let mut labels = Vec::new();
    let is_text = values.iter().flatten().any(|v| v.is_ok());
    if is_text {
        let mut count: BTreeMap<&str, u64> = BTreeMap::new();
        for v in values.iter().flatten() {
            *count.entry(v.unwrap()).or_default() += 1;
        }
        let mut ranked: Vec<(&str, u64)> = count.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let keep = if limit == 0 {
            ranked.len()
        } else {
            limit.min(ranked.len())
        };
        for (m, v) in values.iter().enumerate() {
            if let Some(Ok(v)) = v {
                let pos = ranked.iter().position(|x| x.0 == *v).unwrap();
                keys[m] = pos.min(keep);
            }
        }
        labels = ranked[..keep].iter().map(|x| x.0.to_string()).collect();
        if keep < ranked.len() {
            labels.push("(other)".into());
        }
    } else if !edges.is_empty() {
        labels.push(format!("< {}", edges[0]));
        for w in edges.windows(2) {
            labels.push(format!("[{}, {})", w[0], w[1]));
        }
        labels.push(format!("≥ {}", edges[edges.len() - 1]));
        for (m, v) in values.iter().enumerate() {
            if let Some(Err(v)) = v {
                keys[m] = edges.iter().filter(|&&e| e <= *v).count();
            }
        }
    } else {
        let nums: Vec<f64> = values.iter().flatten().map(|v| v.unwrap_err()).collect();
        if !nums.is_empty() {
            let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let n = if lo == hi { 1 } else { bins as usize };
            let width = (hi - lo) / n as f64;
            let bound = |j: usize| lo + j as f64 * width;
            for (m, v) in values.iter().enumerate() {
                if let Some(Err(v)) = v {
                    keys[m] = (0..n)
                        .find(|&j| {
                            bound(j) <= *v && (*v < bound(j + 1) || (j + 1 == n && *v <= hi))
                        })
                        .unwrap();
                }
            }
            labels = (0..n).map(|j| format!("bin {j}")).collect();
        }
    }
    none(&mut labels, &mut keys, &missing);
    (labels, keys)
}

#[test]
fn oracle_on_random_data() {
    let mut checked = 0;
    for seed in 1..=300u64 {
        let mut rng = Rng(seed ^ 0x9047);
        let users = 1 + rng.below(12);
        let n = 3 + rng.below(60);
        let points = rng.pick(&[20u64, 60]);
        let step = rng.pick(&[HOUR, 6 * HOUR, DAY]);
        let mut events = vec![Ev {
            user: "u0".into(),
            time: BASE,
            kind: "a",
            score: Some(1.0),
            region: "x",
        }];
        for _ in 0..n {
            events.push(Ev {
                user: format!("u{}", rng.below(users)),
                time: BASE + rng.below(points) as i64 * step,
                kind: rng.pick(&["", "a", "b", "c", "d"]),
                score: rng.pick(&[
                    None,
                    None,
                    Some(0.0),
                    Some(1.5),
                    Some(2.0),
                    Some(7.25),
                    Some(-3.0),
                ]),
                region: rng.pick(&["", "x", "y"]),
            });
        }
        let mut text = String::from("user_id,event,timestamp,kind,score,region\n");
        for e in &events {
            text.push_str(&format!(
                "{},e,{},{},{},{}\n",
                e.user,
                rfc3339(e.time),
                e.kind,
                e.score.map(|v| v.to_string()).unwrap_or_default(),
                e.region
            ));
        }
        let store = load(&text).store;
        let (a, b) = (BASE, BASE + points as i64 * step);
        let range = (rng.below(2) == 0).then(|| {
            let x = a / DAY + rng.below(((b - a) / DAY + 1) as u64) as i64;
            (x, x + rng.below(3) as i64)
        });
        let new = rng.below(2) == 0;
        let filter = rng.below(4) == 0;
        let limit = rng.pick(&[0usize, 1, 2, 10]);
        let bins = rng.pick(&[1u32, 2, 3, 10]);
        let edges: Vec<f64> = rng
            .pick(&[&[][..], &[0.0, 2.0], &[1.5], &[-3.0, 0.0, 7.25]])
            .to_vec();
        let breakdown = rng.below(2) == 0;

        let mut json = format!(
            r#"{{"analysis":"portrait","timezone":"UTC","users":"{}","limit":{limit},"properties":[{{"property":"kind"}},{{"property":"score","bins":{bins},"edges":{:?}}}]"#,
            if new { "new" } else { "active" },
            edges
        );
        if breakdown {
            json.push_str(r#","breakdown":{"property":"region"}"#);
        }
        if filter {
            json.push_str(r#","filters":[{"property":"region","op":"neq","value":"y"}]"#);
        }
        if let Some((x, y)) = range {
            let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
            json.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(x),
                date(y)
            ));
        }
        json.push('}');
        let ctx = format!("seed {seed} {json}");

        // the oracle
        let (from, to) = match range {
            Some((x, y)) => (x * DAY, (y + 1) * DAY),
            None => (i64::MIN, i64::MAX),
        };
        let kept = |e: &Ev| !filter || e.region != "y";
        let mut by_user: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
        for e in &events {
            by_user.entry(&e.user).or_default().push(e);
        }
        let mut members: Vec<Vec<&Ev>> = Vec::new();
        for v in by_user.values_mut() {
            v.sort_by_key(|e| e.time);
            let f = v[0];
            let member = if new {
                from <= f.time && f.time < to && kept(f)
            } else {
                v.iter().any(|e| from <= e.time && e.time < to && kept(e))
            };
            if member {
                members.push(v.clone());
            }
        }
        // the range must overlap the data's span (the shared range_empty rule)
        let (first, last) = (
            events.iter().map(|e| e.time).min().unwrap(),
            events.iter().map(|e| e.time).max().unwrap(),
        );
        let any_in_range = first.max(from) <= last.min(to - 1);
        let out = try_output(&store, &json);
        if !any_in_range {
            assert!(
                matches!(out, Err(Error::Spec { .. })),
                "{ctx}: expected a range error"
            );
            continue;
        }
        let out = out.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let AnalysisResult::Portrait(r) = out.result else {
            panic!("{ctx}")
        };
        assert_eq!(r.total, members.len() as u64, "{ctx}: total");
        let last_text =
            |f: &dyn Fn(&Ev) -> &'static str| -> Vec<Option<Result<&'static str, f64>>> {
                members
                    .iter()
                    .map(|v| v.iter().rev().map(|e| f(e)).find(|x| !x.is_empty()).map(Ok))
                    .collect()
            };
        let kinds = last_text(&|e| e.kind);
        let scores: Vec<Option<Result<&'static str, f64>>> = members
            .iter()
            .map(|v| v.iter().rev().find_map(|e| e.score).map(Err))
            .collect();
        let (by_labels, by_keys) = if breakdown {
            oracle_cats(&last_text(&|e| e.region), limit, 10, &[])
        } else {
            (Vec::new(), Vec::new())
        };
        assert_eq!(r.breakdown_labels, by_labels, "{ctx}: breakdown labels");
        for (k, (values, is_num)) in [(kinds, false), (scores, true)].into_iter().enumerate() {
            let (labels, keys) =
                oracle_cats(&values, limit, bins, if is_num { &edges } else { &[] });
            let c = &r.properties[k];
            let got: Vec<&str> = c.categories.iter().map(|x| x.label.as_str()).collect();
            if is_num && edges.is_empty() {
                // bin labels are the engine's; compare their number and the (none) slot
                assert_eq!(got.len(), labels.len(), "{ctx}: bins");
                assert_eq!(
                    got.last() == Some(&"(none)"),
                    labels.last().map(String::as_str) == Some("(none)"),
                    "{ctx}"
                );
            } else {
                assert_eq!(got, labels, "{ctx}: labels of {}", c.property);
            }
            for (j, cat) in c.categories.iter().enumerate() {
                let users = keys.iter().filter(|&&x| x == j).count() as u64;
                assert_eq!(cat.users, users, "{ctx}: {} {}", c.property, cat.label);
                if breakdown {
                    let by: Vec<u64> = (0..by_labels.len())
                        .map(|b| {
                            (0..keys.len())
                                .filter(|&m| keys[m] == j && by_keys[m] == b)
                                .count() as u64
                        })
                        .collect();
                    assert_eq!(cat.by, by, "{ctx}: {} {} by", c.property, cat.label);
                }
            }
        }
        checked += usize::from(r.total > 0);
    }
    assert!(checked > 150, "{checked}");
}
