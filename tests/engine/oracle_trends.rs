//! Brute-force oracle of trends (series with measures and filters, formulas, breakdowns,
//! date ranges, the previous period, incomplete edges), written literally from the
//! definitions in `src/engine/analysis/trends.rs` and compared number by number with the
//! engine.
//!
//! The oracle shares no code with the engine: it reads the raw event list, evaluates
//! filters on the raw text, cuts calendar periods with the slow calendar of `oracle.rs`,
//! and computes each cell from the list of (user, value) pairs that fall in it.

use super::common::{try_output, try_run};
use super::oracle::{
    cal, close_opt, random_data, rfc3339, sample_data, Cal, Data, Ev, Gran, Rng, CN, IN, NY, UTC,
};
use loupe::engine::analysis::trends::TrendsResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use loupe::engine::Error;
use std::collections::{BTreeMap, BTreeSet};

/// One series: event (any when `None`), measure, and an optional `prop = value` filter.
#[derive(Clone, Copy, Debug)]
struct S {
    event: Option<&'static str>,
    measure: &'static str,
    cond: Option<(&'static str, &'static str)>,
}

#[derive(Clone, Debug)]
struct Params {
    series: Vec<S>,
    /// `A / B` or `A - B * 2`.
    formula: Option<&'static str>,
    breakdown: Option<&'static str>,
    limit: usize,
    cal: Cal,
    compare: bool,
    /// (first day as days after the data's first day, number of days).
    range: Option<(i64, i64)>,
    /// A shared `prop = value` filter.
    shared: Option<(&'static str, &'static str)>,
    /// The numeric property of sum / avg / ... measures.
    numeric: &'static str,
}

fn cond_json((p, v): (&str, &str)) -> String {
    format!(r#"[{{"property":"{p}","op":"eq","value":"{v}"}}]"#)
}

impl Params {
    fn day_cal(&self) -> Cal {
        Cal {
            gran: Gran::Day,
            ..self.cal
        }
    }

    /// The range as (from label, to label) and instants [from, to).
    fn range(&self, d: &Data) -> Option<(String, String, i64, i64)> {
        let (a, len) = self.range?;
        let dc = self.day_cal();
        let from = dc.key(d.data_start()) + a;
        let to = from + len - 1;
        Some((
            dc.label(from),
            dc.label(to),
            dc.start(from),
            dc.start(to + 1),
        ))
    }

    fn json(&self, d: &Data) -> String {
        let series: Vec<String> = self
            .series
            .iter()
            .map(|s| {
                let mut j = format!(r#"{{"measure":"{}""#, s.measure);
                if let Some(e) = s.event {
                    j.push_str(&format!(r#","event":"{e}""#));
                }
                if !matches!(s.measure, "events" | "users" | "events_per_user") {
                    j.push_str(&format!(r#","property":"{}""#, self.numeric));
                }
                if let Some(c) = s.cond {
                    j.push_str(&format!(r#","filters":{}"#, cond_json(c)));
                }
                j + "}"
            })
            .collect();
        let mut j = format!(
            r#"{{"analysis":"trends","series":[{}],"interval":"{}","timezone":"{}","week_start":"{}","compare":{}"#,
            series.join(","),
            self.cal.gran.json(),
            self.cal.tz_json(),
            if self.cal.sunday { "sunday" } else { "monday" },
            self.compare
        );
        if let Some(f) = self.formula {
            j.push_str(&format!(r#","formulas":[{{"expression":"{f}"}}]"#));
        }
        if let Some(b) = self.breakdown {
            j.push_str(&format!(
                r#","breakdown":{{"properties":["{b}"],"limit":{}}}"#,
                self.limit
            ));
        }
        if let Some((from, to, _, _)) = self.range(d) {
            j.push_str(&format!(r#","date_range":{{"from":"{from}","to":"{to}"}}"#));
        }
        if let Some(c) = self.shared {
            j.push_str(&format!(r#","filters":{}"#, cond_json(c)));
        }
        j + "}"
    }
}

/// The value of `prop` on `e` (empty = none).
fn prop<'a>(d: &Data, e: &'a Ev, p: &str) -> &'a str {
    let i = d.props.iter().position(|x| x == p).unwrap();
    &e.props[i]
}

/// A measure over the (user, property value) pairs of one cell.
fn measure(m: &str, cell: &[(&str, Option<f64>)]) -> Option<f64> {
    let users = cell.iter().map(|c| c.0).collect::<BTreeSet<_>>().len();
    let mut vals: Vec<f64> = cell.iter().filter_map(|c| c.1).collect();
    vals.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |q: f64| {
        if vals.is_empty() {
            return None;
        }
        let pos = q * (vals.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let frac = pos - lo as f64;
        Some(if frac == 0.0 {
            vals[lo]
        } else {
            vals[lo] * (1.0 - frac) + vals[lo + 1] * frac
        })
    };
    match m {
        "events" => Some(cell.len() as f64),
        "users" => Some(users as f64),
        "events_per_user" => (users > 0).then(|| cell.len() as f64 / users as f64),
        "sum" => Some(vals.iter().sum()),
        "avg" => (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64),
        "min" => vals.first().copied(),
        "max" => vals.last().copied(),
        "median" => q(0.5),
        "p90" => q(0.9),
        _ => unreachable!(),
    }
}

fn formula(f: &str, a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let (a, b) = (a?, b?);
    match f {
        "A / B" if b == 0.0 => None,
        "A / B" => Some(a / b),
        _ => Some(a - b * 2.0),
    }
}

/// An expected line: key, breakdown value, values, total, previous, previous total.
type ELine = (
    String,
    Option<String>,
    Vec<Option<f64>>,
    Option<f64>,
    Vec<Option<f64>>,
    Option<f64>,
);

struct Expected {
    buckets: Vec<String>,
    starts: Vec<String>,
    incomplete: Vec<bool>,
    previous_buckets: Vec<String>,
    lines: Vec<ELine>,
}

/// `None` when no event lies in the range.
fn oracle(d: &Data, p: &Params) -> Option<Expected> {
    let c = p.cal;
    let (from, to) = p
        .range(d)
        .map_or((i64::MIN, i64::MAX), |(_, _, f, t)| (f, t));
    let lo = d.data_start().max(from);
    let hi = d.data_end().min(to - 1);
    if lo > hi {
        return None;
    }
    let (first, last) = (c.key(lo), c.key(hi));
    let nb = c.index(first, last) as usize + 1;
    let prev_first = c.add(first, -(nb as i64));
    // (column, is current) per event; column = interval index
    let place = |e: &Ev| -> Option<(usize, bool)> {
        if let Some((pp, v)) = p.shared {
            if prop(d, e, pp) != v {
                return None;
            }
        }
        let k = c.key(e.time);
        if from <= e.time && e.time < to {
            Some((c.index(first, k) as usize, true))
        } else if p.compare && k >= prev_first && k < first {
            Some((c.index(prev_first, k) as usize, false))
        } else {
            None
        }
    };
    let matches = |s: &S, e: &Ev| {
        s.event.is_none_or(|x| x == e.event) && s.cond.is_none_or(|(pp, v)| prop(d, e, pp) == v)
    };
    let value_of = |e: &Ev| -> String {
        match p.breakdown {
            None => String::new(),
            Some(b) => prop(d, e, b).to_string(),
        }
    };
    // slots: the labels of breakdown values, in order, and a map raw value -> label
    let slots: Vec<String>;
    let slot_of: BTreeMap<String, String>;
    if p.breakdown.is_none() {
        slots = vec![String::new()];
        slot_of = BTreeMap::new();
    } else {
        let mut present: BTreeSet<String> = BTreeSet::new();
        let mut first_cells: BTreeMap<String, Vec<(&str, Option<f64>)>> = BTreeMap::new();
        for e in &d.events {
            let Some((_, current)) = place(e) else {
                continue;
            };
            for (n, s) in p.series.iter().enumerate() {
                if matches(s, e) {
                    present.insert(value_of(e));
                    if n == 0 && current {
                        first_cells
                            .entry(value_of(e))
                            .or_default()
                            .push((e.user.as_str(), prop(d, e, p.numeric).parse().ok()));
                    }
                }
            }
        }
        let m0 = p.series[0].measure;
        let score = |v: &str| measure(m0, first_cells.get(v).map_or(&[][..], |x| &x[..]));
        let mut ranked: Vec<&String> = present.iter().filter(|v| !v.is_empty()).collect();
        ranked.sort_by(|a, b| {
            let (x, y) = (score(a), score(b));
            let by = match (x, y) {
                (Some(x), Some(y)) => y.partial_cmp(&x).unwrap(),
                (x, y) => y.is_some().cmp(&x.is_some()),
            };
            by.then(a.cmp(b))
        });
        let keep = if p.limit == 0 {
            ranked.len()
        } else {
            p.limit.min(ranked.len())
        };
        let mut s: Vec<String> = ranked[..keep].iter().map(|v| v.to_string()).collect();
        let mut map: BTreeMap<String, String> = s.iter().map(|v| (v.clone(), v.clone())).collect();
        if keep < ranked.len() {
            for v in &ranked[keep..] {
                map.insert(v.to_string(), "(other)".into());
            }
            s.push("(other)".into());
        }
        if present.contains("") {
            map.insert(String::new(), "(none)".into());
            s.push("(none)".into());
        }
        slots = s;
        slot_of = map;
    }
    // cells[series][slot label] = (current per interval, current total, previous per
    // interval, previous total)
    type Cell<'a> = Vec<(&'a str, Option<f64>)>;
    let mut lines = Vec::new();
    let mut by_key: BTreeMap<(usize, String), ELine> = BTreeMap::new();
    for (n, s) in p.series.iter().enumerate() {
        for slot in &slots {
            let mut cur: Vec<Cell> = vec![Vec::new(); nb];
            let mut prev: Vec<Cell> = vec![Vec::new(); nb];
            let (mut tc, mut tp): (Cell, Cell) = (Vec::new(), Vec::new());
            for e in &d.events {
                let Some((col, current)) = place(e) else {
                    continue;
                };
                if !matches(s, e) {
                    continue;
                }
                if p.breakdown.is_some() && slot_of[&value_of(e)] != *slot {
                    continue;
                }
                let pair = (e.user.as_str(), prop(d, e, p.numeric).parse().ok());
                if current {
                    cur[col].push(pair);
                    tc.push(pair);
                } else {
                    prev[col].push(pair);
                    tp.push(pair);
                }
            }
            let key = ((b'A' + n as u8) as char).to_string();
            let value = p.breakdown.map(|_| slot.clone());
            let line: ELine = (
                key,
                value,
                cur.iter().map(|x| measure(s.measure, x)).collect(),
                measure(s.measure, &tc),
                if p.compare {
                    prev.iter().map(|x| measure(s.measure, x)).collect()
                } else {
                    Vec::new()
                },
                if p.compare {
                    measure(s.measure, &tp)
                } else {
                    None
                },
            );
            by_key.insert((n, slot.clone()), line.clone());
            lines.push(line);
        }
    }
    if let Some(f) = p.formula {
        for slot in &slots {
            let (a, b) = (&by_key[&(0, slot.clone())], &by_key[&(1, slot.clone())]);
            lines.push((
                "F1".into(),
                p.breakdown.map(|_| slot.clone()),
                (0..nb).map(|i| formula(f, a.2[i], b.2[i])).collect(),
                formula(f, a.3, b.3),
                (0..a.4.len()).map(|i| formula(f, a.4[i], b.4[i])).collect(),
                if p.compare {
                    formula(f, a.5, b.5)
                } else {
                    None
                },
            ));
        }
    }
    let keys: Vec<i64> = (0..nb as i64).map(|n| c.add(first, n)).collect();
    // only the edges can be cut: by the covered span [lo, hi], with 1/24 of slack
    let len = |k: i64| c.start(c.add(k, 1)) - c.start(k);
    let mut incomplete = vec![false; nb];
    incomplete[0] = lo - c.start(first) > len(first) / 24;
    incomplete[nb - 1] |= c.start(c.add(last, 1)) - (hi + 1) > len(last) / 24;
    Some(Expected {
        buckets: keys.iter().map(|&k| c.label(k)).collect(),
        starts: keys.iter().map(|&k| rfc3339(c.start(k))).collect(),
        incomplete,
        previous_buckets: if p.compare {
            (0..nb as i64)
                .map(|n| c.label(c.add(prev_first, n)))
                .collect()
        } else {
            Vec::new()
        },
        lines,
    })
}

fn check(what: &str, d: &Data, store: &EventStore, p: &Params) {
    let json = p.json(d);
    let missing = p
        .series
        .iter()
        .any(|s| s.event.is_some_and(|e| !d.has_event(e)));
    let Some(exp) = oracle(d, p) else {
        assert!(
            matches!(try_run(store, &json), Err(Error::Spec { .. })),
            "{what} {json}: an empty range is an error"
        );
        return;
    };
    let r: TrendsResult = match try_run(store, &json) {
        Ok(AnalysisResult::Trends(r)) => r,
        other => panic!("{what} {json}: {other:?}"),
    };
    assert_eq!(r.buckets, exp.buckets, "{what} {json}: buckets");
    assert_eq!(r.bucket_starts, exp.starts, "{what} {json}: starts");
    assert_eq!(r.incomplete, exp.incomplete, "{what} {json}: incomplete");
    assert_eq!(r.previous_buckets, exp.previous_buckets, "{what} {json}");
    let keys: Vec<(&str, Option<&str>)> = r
        .lines
        .iter()
        .map(|l| (l.key.as_str(), l.value.as_deref()))
        .collect();
    let exp_keys: Vec<(&str, Option<&str>)> = exp
        .lines
        .iter()
        .map(|l| (l.0.as_str(), l.1.as_deref()))
        .collect();
    assert_eq!(keys, exp_keys, "{what} {json}: lines");
    for (a, e) in r.lines.iter().zip(&exp.lines) {
        let name = format!("{what} {json}: {} {:?}", e.0, e.1);
        let same = |x: &[Option<f64>], y: &[Option<f64>]| {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close_opt(*x, *y))
        };
        assert!(same(&a.values, &e.2), "{name}: {:?} != {:?}", a.values, e.2);
        assert!(
            close_opt(a.total, e.3),
            "{name}: total {:?} != {:?}",
            a.total,
            e.3
        );
        assert!(
            same(&a.previous, &e.4),
            "{name}: previous {:?} != {:?}",
            a.previous,
            e.4
        );
        assert!(close_opt(a.previous_total, e.5), "{name}: previous total");
    }
    let out = try_output(store, &json).unwrap();
    let warned = out.warnings.iter().any(|w| w.code == "event_not_found");
    assert_eq!(
        warned, missing,
        "{what} {json}: a missing event is a warning"
    );
}

const MEASURES: [&str; 9] = [
    "events",
    "users",
    "events_per_user",
    "sum",
    "avg",
    "min",
    "max",
    "median",
    "p90",
];

/// Random parameters over the event names and properties of `d`.
fn random_params(
    rng: &mut Rng,
    events: &[&'static str],
    props: &[(&'static str, &'static str)],
    numeric: &'static str,
    with_numbers: bool,
) -> Params {
    let n = 1 + rng.below(3) as usize;
    let series = (0..n)
        .map(|_| S {
            event: if rng.below(4) == 0 {
                None
            } else {
                Some(rng.pick(events))
            },
            measure: if with_numbers {
                rng.pick(&MEASURES)
            } else {
                rng.pick(&MEASURES[..3])
            },
            cond: (rng.below(3) == 0).then(|| rng.pick(props)),
        })
        .collect();
    let cals = [
        cal(Gran::Hour, UTC),
        cal(Gran::Day, CN),
        cal(Gran::Day, NY),
        cal(Gran::Week, IN),
        Cal {
            sunday: true,
            ..cal(Gran::Week, NY)
        },
        cal(Gran::Month, UTC),
    ];
    let breakdowns: Vec<Option<&'static str>> = std::iter::once(None)
        .chain(props.iter().map(|p| Some(p.0)))
        .collect();
    Params {
        formula: (n >= 2 && rng.below(2) == 0).then(|| rng.pick(&["A / B", "A - B * 2"])),
        breakdown: rng.pick(&breakdowns),
        limit: rng.pick(&[0, 1, 2, 10]),
        cal: rng.pick(&cals),
        compare: rng.below(2) == 0,
        range: (rng.below(2) == 0).then(|| (rng.below(20) as i64, 1 + rng.below(40) as i64)),
        shared: (rng.below(4) == 0).then(|| rng.pick(props)),
        series,
        numeric,
    }
}

#[test]
fn trends_match_oracle_on_random_tie_heavy_data() {
    let mut rng = Rng(77);
    for seed in 3000..3060u64 {
        let (d, store) = random_data(seed);
        for _ in 0..25 {
            let p = random_params(
                &mut rng,
                &["a", "b", "c", "e"],
                &[("p", "x"), ("p", "y"), ("n", "2")],
                "n",
                true,
            );
            check(&format!("seed {seed}"), &d, &store, &p);
        }
    }
}

#[test]
fn trends_match_oracle_on_sample() {
    let (d, store) = sample_data();
    let mut rng = Rng(78);
    for _ in 0..30 {
        let p = random_params(
            &mut rng,
            &["view_item", "purchase", "signup", "app_open"],
            &[
                ("country", "CN"),
                ("platform", "ios"),
                ("channel", "organic"),
            ],
            "country",
            false,
        );
        check("sample", d, store, &p);
    }
}
