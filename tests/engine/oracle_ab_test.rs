//! Brute-force oracle of the A/B test counts, written literally from the definition in
//! `src/engine/analysis/ab_test.rs` and compared number by number with the engine: users,
//! conversions and revenue per variant, users with several variants and without one.
//!
//! The oracle reads the raw event list, sorts each user's events by (time, source row)
//! itself, collects each user's set of variant values, and decides a conversion by trying
//! every combination of events for the steps (not the engine's greedy scan). Data: seeded
//! random datasets (few users, several variants, some users with two, empty cells, many
//! equal timestamps, refunds and purchases without an amount) under random date ranges,
//! windows, shared filters, exposure events and step lists; and the built-in sample.
//! A breakdown by `platform` read per user (the value on the user's first event in time,
//! then source order): values ranked by users in the test, each segment's counts per
//! variant, rates, differences and lifts recounted from the oracle's own users, and the
//! segments added up to the whole test.

use super::common::{load, try_output};
use super::oracle::{rfc3339, Rng, BASE, DAY, HOUR};
use loupe::engine::analysis::ab_test::{AbTestResult, VariantResult};
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::sample::{self, SampleOptions};
use loupe::engine::store::EventStore;
use std::collections::{BTreeMap, BTreeSet};

/// One raw event.
struct Ev {
    user: String,
    event: String,
    time: i64,
    variant: String,
    platform: String,
    /// The amount as written (empty = none).
    amount: String,
}

/// The knobs of one test.
struct Case {
    exposure: Option<&'static str>,
    steps: Vec<Option<&'static str>>,
    /// Window in microseconds.
    window: Option<(i64, String)>,
    /// Whole UTC days `from..=to` as day numbers.
    range: Option<(i64, i64)>,
    /// Shared filter: platform equals this value.
    platform: Option<&'static str>,
    revenue: bool,
    /// A breakdown by `platform`, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl Case {
    fn json(&self) -> String {
        let mut s = String::from(r#"{"analysis":"ab_test""#);
        if let Some(e) = self.exposure {
            s.push_str(&format!(r#","exposure_event":"{e}""#));
        }
        let steps: Vec<String> = (self.steps.iter())
            .map(|e| match e {
                Some(e) => format!(r#"{{"event":"{e}"}}"#),
                None => "{}".into(),
            })
            .collect();
        s.push_str(&format!(r#","conversion":[{}]"#, steps.join(",")));
        if let Some((_, w)) = &self.window {
            s.push_str(&format!(r#","window":{w}"#));
        }
        if let Some((from, to)) = self.range {
            let d = |k: i64| rfc3339(k * DAY)[..10].to_string();
            s.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                d(from),
                d(to)
            ));
        }
        if let Some(p) = self.platform {
            s.push_str(&format!(
                r#","filters":[{{"property":"platform","op":"eq","value":"{p}"}}]"#
            ));
        }
        if self.revenue {
            s.push_str(r#","revenue":{"purchase_event":"purchase","amount":"amount"}"#);
        }
        if let Some(limit) = self.breakdown {
            s.push_str(&format!(
                r#","breakdown":{{"properties":["platform"],"limit":{limit}}}"#
            ));
        }
        s.push('}');
        s
    }
}

/// Per variant: users, conversions, revenue.
type PerVariant = BTreeMap<String, (u64, u64, f64)>;

/// Per variant: users, conversions, revenue; plus users with several variants and none;
/// with a breakdown, the same per variant of each value, in the values' order.
#[derive(Debug, PartialEq)]
struct Counts {
    variants: PerVariant,
    mixed: u64,
    none: u64,
    segments: Vec<(String, PerVariant)>,
}

/// True when `events` (one user's, sorted), from position `from` on, hold events for
/// `steps` in order: tries every event for the first step, then recurses.
fn completes(
    events: &[&Ev],
    from: usize,
    steps: &[Option<&str>],
    ok: &dyn Fn(&Ev) -> bool,
) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        return true;
    };
    (from..events.len()).any(|i| {
        let e = events[i];
        ok(e) && first.is_none_or(|n| e.event == n) && completes(events, i + 1, rest, ok)
    })
}

fn oracle(events: &[Ev], c: &Case) -> Counts {
    let mut users: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        users.entry(&e.user).or_default().push(e);
    }
    let (lo, hi) = match c.range {
        Some((a, b)) => (a * DAY, (b + 1) * DAY),
        None => (i64::MIN, i64::MAX),
    };
    let passes = |e: &Ev| c.platform.is_none_or(|p| e.platform == p);
    let mut out = Counts {
        variants: BTreeMap::new(),
        mixed: 0,
        none: 0,
        segments: Vec::new(),
    };
    // per user in the test: platform, variant, converted, revenue
    let mut tested: Vec<(&str, &str, bool, f64)> = Vec::new();
    for (_, mut evs) in users {
        // stable: equal times keep source order
        evs.sort_by_key(|e| e.time);
        let platform = (evs.iter())
            .map(|e| e.platform.as_str())
            .find(|p| !p.is_empty())
            .unwrap_or("");
        let Some(x) = evs.iter().position(|e| {
            lo <= e.time && e.time < hi && passes(e) && c.exposure.is_none_or(|n| e.event == n)
        }) else {
            continue;
        };
        let values: BTreeSet<&str> = (evs.iter())
            .map(|e| e.variant.as_str())
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() > 1 {
            out.mixed += 1;
            continue;
        }
        let Some(&v) = values.iter().next() else {
            out.none += 1;
            continue;
        };
        let t0 = evs[x].time;
        let counted = |e: &Ev| {
            passes(e) && e.time < hi && c.window.as_ref().is_none_or(|(w, _)| e.time <= t0 + w)
        };
        let converted = completes(&evs, x, &c.steps, &counted);
        let revenue: f64 = evs[x..]
            .iter()
            .filter(|e| c.revenue && e.event == "purchase" && counted(e))
            .map(|e| e.amount.parse::<f64>().unwrap_or(0.0))
            .sum();
        let slot = out.variants.entry(v.to_string()).or_default();
        slot.0 += 1;
        slot.1 += u64::from(converted);
        slot.2 += revenue;
        tested.push((platform, v, converted, revenue));
    }
    if let Some(limit) = c.breakdown {
        let count = |p: &str| tested.iter().filter(|t| t.0 == p).count();
        let mut named: Vec<&str> = (tested.iter())
            .map(|t| t.0)
            .filter(|p| !p.is_empty())
            .collect();
        named.sort();
        named.dedup();
        named.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
        let keep = if limit == 0 {
            named.len()
        } else {
            limit.min(named.len())
        };
        let sum = |has: &dyn Fn(&str) -> bool| -> PerVariant {
            let mut m = PerVariant::new();
            for &(p, v, converted, revenue) in &tested {
                if has(p) {
                    let slot = m.entry(v.to_string()).or_default();
                    slot.0 += 1;
                    slot.1 += u64::from(converted);
                    slot.2 += revenue;
                }
            }
            m
        };
        for v in &named[..keep] {
            out.segments.push((v.to_string(), sum(&|p| p == *v)));
        }
        if keep < named.len() {
            let rest = &named[keep..];
            out.segments
                .push(("(other)".into(), sum(&|p| rest.contains(&p))));
        }
        if count("") > 0 {
            out.segments.push(("(none)".into(), sum(&|p| p.is_empty())));
        }
    }
    out
}

/// Per variant of `variants`: users, conversions, revenue.
fn per_variant(variants: &[VariantResult]) -> PerVariant {
    (variants.iter())
        .map(|v| {
            let rev = v.revenue.as_ref().map_or(0.0, |x| x.total);
            (v.value.clone(), (v.users, v.conversions, rev))
        })
        .collect()
}

/// Checks each segment's rates, shares, differences and lifts from its counts, literally,
/// and that the segments add up to the whole test.
fn check_segments(r: &AbTestResult, what: &str) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12;
    let mut sums: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for g in &r.segments {
        let n: u64 = g.variants.iter().map(|v| v.users).sum();
        assert_eq!(n, g.users, "{what}: {}", g.value);
        let control = g.variants.iter().find(|v| v.value == r.control);
        for v in &g.variants {
            assert!(v.users > 0, "{what}: {} {}", g.value, v.value);
            let rate = v.conversions as f64 / v.users as f64;
            assert!(close(v.rate, rate), "{what}: {} {}", g.value, v.value);
            assert!(close(v.share, v.users as f64 / n as f64), "{what}");
            let s = sums.entry(v.value.as_str()).or_default();
            s.0 += v.users;
            s.1 += v.conversions;
            match control {
                Some(c) if c.value != v.value => {
                    let pc = c.conversions as f64 / c.users as f64;
                    assert!(close(v.difference.unwrap(), rate - pc), "{what}");
                    assert_eq!(v.lift.is_some(), pc > 0.0, "{what}");
                    if pc > 0.0 {
                        assert!((v.lift.unwrap() - (rate / pc - 1.0)).abs() < 1e-9, "{what}");
                    }
                }
                _ => assert_eq!(
                    (v.difference, v.lift, v.p_value),
                    (None, None, None),
                    "{what}"
                ),
            }
        }
    }
    let whole: BTreeMap<&str, (u64, u64)> = (r.variants.iter())
        .map(|v| (v.value.as_str(), (v.users, v.conversions)))
        .collect();
    assert_eq!(sums, whole, "{what}: the segments add up");
}

fn engine(store: &EventStore, c: &Case) -> Option<Counts> {
    let json = c.json();
    let r: AbTestResult = match try_output(store, &json) {
        Ok(o) => match o.result {
            AnalysisResult::AbTest(r) => r,
            other => panic!("{other:?}"),
        },
        // fewer than two variants, or none: checked against the oracle by the caller
        Err(_) => return None,
    };
    if c.breakdown.is_some() {
        check_segments(&r, &json);
    }
    Some(Counts {
        variants: per_variant(&r.variants),
        mixed: r.mixed_users,
        none: r.no_variant_users,
        segments: (r.segments.iter())
            .map(|g| (g.value.clone(), per_variant(&g.variants)))
            .collect(),
    })
}

#[track_caller]
fn same(expected: &Counts, actual: &Counts, what: &str) {
    assert_eq!(
        (expected.mixed, expected.none),
        (actual.mixed, actual.none),
        "{what}"
    );
    same_variants(&expected.variants, &actual.variants, what);
    assert_eq!(
        expected.segments.iter().map(|g| &g.0).collect::<Vec<_>>(),
        actual.segments.iter().map(|g| &g.0).collect::<Vec<_>>(),
        "{what}: values"
    );
    for (e, a) in expected.segments.iter().zip(&actual.segments) {
        same_variants(&e.1, &a.1, &format!("{what}: {}", e.0));
    }
}

#[track_caller]
fn same_variants(expected: &PerVariant, actual: &PerVariant, what: &str) {
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        actual.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (k, e) in expected {
        let a = actual[k];
        assert_eq!((e.0, e.1), (a.0, a.1), "{what}: {k}");
        assert!(
            (e.2 - a.2).abs() <= 1e-9 * e.2.abs().max(1.0),
            "{what}: {k} revenue {} vs {}",
            e.2,
            a.2
        );
    }
}

fn random_events(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 3 + rng.below(40);
    let n = 20 + rng.below(300);
    let step = rng.pick(&[HOUR, 6 * HOUR, DAY]);
    let points = 10 + rng.below(60);
    let variants = ["control", "treatment", "b"];
    let k = 2 + rng.below(2) as usize;
    let names = ["open", "open", "view", "cart", "purchase", "exposed"];
    // each user's variant; a few users get a second one on some events
    let own: Vec<&str> = (0..users)
        .map(|_| variants[rng.below(k as u64) as usize])
        .collect();
    let mut events = Vec::new();
    for _ in 0..n {
        let u = rng.below(users) as usize;
        let variant = match rng.below(40) {
            0 => variants[rng.below(3) as usize],
            1..=12 => "",
            _ => own[u],
        };
        let event = rng.pick(&names);
        let amount = if event == "purchase" {
            rng.pick(&["5", "12.5", "", "-3", "0", "40"])
        } else {
            ""
        };
        events.push(Ev {
            user: format!("u{u}"),
            event: event.into(),
            time: BASE + rng.below(points) as i64 * step,
            variant: variant.into(),
            platform: rng.pick(&["ios", "web", "android"]).into(),
            amount: amount.into(),
        });
    }
    let mut text = String::from("user_id,event,timestamp,variant,platform,amount\n");
    for e in &events {
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.variant,
            e.platform,
            e.amount
        ));
    }
    let store = load(&text).store;
    (events, store)
}

#[test]
fn random_tests_match_the_oracle() {
    let (mut compared, mut errors) = (0, 0);
    for seed in 0..300u64 {
        let (events, store) = random_events(seed);
        let mut rng = Rng(seed ^ 0xAB);
        let steps_pool = [
            Some("view"),
            Some("cart"),
            Some("purchase"),
            None,
            Some("open"),
        ];
        let n_steps = 1 + rng.below(3) as usize;
        let window = match rng.below(3) {
            0 => None,
            1 => Some((2 * DAY, r#"{"value":2,"unit":"day"}"#.to_string())),
            _ => Some((5 * HOUR, r#"{"value":5,"unit":"hour"}"#.to_string())),
        };
        let base_day = BASE / DAY;
        let c = Case {
            exposure: rng.pick(&[None, Some("exposed"), Some("open")]),
            steps: (0..n_steps).map(|_| rng.pick(&steps_pool)).collect(),
            window,
            range: match rng.below(3) {
                0 => None,
                _ => {
                    let from = base_day + rng.below(10) as i64;
                    Some((from, from + rng.below(30) as i64))
                }
            },
            platform: rng.pick(&[None, None, Some("ios")]),
            revenue: rng.below(2) == 0,
            breakdown: rng.pick(&[None, None, Some(0), Some(1)]),
        };
        let expected = oracle(&events, &c);
        match engine(&store, &c) {
            Some(actual) => {
                same(&expected, &actual, &format!("seed {seed}: {}", c.json()));
                compared += 1;
            }
            None => {
                assert!(
                    expected.variants.len() < 2,
                    "seed {seed}: the engine failed, the oracle has {:?}: {}",
                    expected.variants,
                    c.json()
                );
                errors += 1;
            }
        }
    }
    // most cases compare numbers; some have fewer than two variants
    assert!(compared > 200, "{compared} compared, {errors} errors");
}

#[test]
fn the_sample_matches_the_oracle() {
    let opts = SampleOptions {
        users: 1500,
        ..Default::default()
    };
    let mut events = Vec::new();
    sample::generate(&opts, |e| {
        events.push(Ev {
            user: e.user.to_string(),
            event: e.event.to_string(),
            time: e.time,
            variant: e.variant.to_string(),
            platform: e.platform.to_string(),
            amount: e.revenue.map(|v| v.to_string()).unwrap_or_default(),
        })
    });
    let store = sample::dataset(&opts).store;
    for (steps, exposure, window, breakdown) in [
        (vec![Some("purchase")], Some("begin_checkout"), None, None),
        (
            vec![Some("add_to_cart"), Some("purchase")],
            None,
            Some((3 * DAY, r#"{"value":3,"unit":"day"}"#.to_string())),
            Some(2),
        ),
    ] {
        let c = Case {
            exposure,
            steps,
            window,
            range: None,
            platform: None,
            revenue: true,
            breakdown,
        };
        let json = c
            .json()
            .replace(r#""amount":"amount""#, r#""amount":"revenue""#);
        let r = match try_output(&store, &json).unwrap().result {
            AnalysisResult::AbTest(r) => r,
            other => panic!("{other:?}"),
        };
        let expected = oracle(&events, &c);
        if breakdown.is_some() {
            check_segments(&r, &json);
        }
        let actual = Counts {
            variants: per_variant(&r.variants),
            mixed: r.mixed_users,
            none: r.no_variant_users,
            segments: (r.segments.iter())
                .map(|g| (g.value.clone(), per_variant(&g.variants)))
                .collect(),
        };
        same(&expected, &actual, &json);
        assert!(expected.variants.values().all(|v| v.1 > 0 && v.2 > 0.0));
    }
}
