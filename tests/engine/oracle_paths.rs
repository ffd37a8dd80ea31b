//! Brute-force oracle of the paths analysis (`src/engine/analysis/paths.rs`), written
//! literally from the definition and compared with the engine.
//!
//! The oracle sorts each user's events itself (time, then file order), keeps those in the
//! date range that pass the filter, cuts them into units as lists (a new list at the
//! user's first event or at a gap of at least the timeout; one list per session-id value;
//! one list per user), keeps the visible events, labels them (`event: value`), removes
//! consecutive repeats with `Vec::dedup` when collapsing, finds the first anchor with
//! `position` and slices the path (reversed before an end event). Counting is done on
//! the list of paths with `BTreeMap`s: labels per step ranked by a sort, the top ones
//! named, the rest `(other)`; links, drop-offs, users and full sequences counted by key.
//! Data: seeded random datasets on a coarse time grid (gaps of exactly the timeout, equal
//! timestamps) under many option combinations. A breakdown by `p` read per user (the
//! value on the user's first event in time, then file order, that has one, over all their
//! events): values ranked by paths, each value's paths, users, distinct and top full paths
//! recounted from the oracle's paths, the values adding up to all paths.

use super::common::{load, try_run};
use super::oracle::{rfc3339, Rng, DAY, SECOND};
use loupe::engine::analysis::paths::PathsResult;
use loupe::engine::analysis::AnalysisResult;
use loupe::engine::store::EventStore;
use std::collections::{BTreeMap, BTreeSet};

/// 2024-03-01T00:00:00Z.
const BASE: i64 = 19_783 * DAY;

#[derive(Clone, Debug)]
struct Ev {
    user: String,
    event: String,
    time: i64,
    page: String,
    sid: String,
    p: String,
}

#[derive(Clone, Debug)]
struct Params {
    start: Option<&'static str>,
    end: Option<&'static str>,
    steps: usize,
    top: usize,
    collapse: bool,
    events: Vec<&'static str>,
    property: bool,
    /// 0: sessions by timeout, 1: by sid, 2: one path per user.
    boundary: u8,
    timeout: i64,
    filter: bool,
    /// Whole UTC days, both included.
    range: Option<(i64, i64)>,
    limit: usize,
    /// A breakdown by `p`, keeping this many values (0 = all).
    breakdown: Option<usize>,
}

impl Params {
    fn json(&self) -> String {
        let mut j = format!(
            r#"{{"analysis":"paths","steps":{},"top":{},"collapse_repeats":{},"timeout_minutes":{},"limit":{}"#,
            self.steps, self.top, self.collapse, self.timeout, self.limit
        );
        if let Some(s) = self.start {
            j.push_str(&format!(r#","start_event":"{s}""#));
        }
        if let Some(e) = self.end {
            j.push_str(&format!(r#","end_event":"{e}""#));
        }
        if !self.events.is_empty() {
            let list: Vec<String> = self.events.iter().map(|e| format!("\"{e}\"")).collect();
            j.push_str(&format!(r#","events":[{}]"#, list.join(",")));
        }
        if self.property {
            j.push_str(r#","property":"page""#);
        }
        match self.boundary {
            1 => j.push_str(r#","session":"sid""#),
            2 => j.push_str(r#","boundary":"user""#),
            _ => {}
        }
        if self.filter {
            j.push_str(r#","filters":[{"property":"p","op":"neq","value":"y"}]"#);
        }
        if let Some((a, b)) = self.range {
            let date = |d: i64| rfc3339(d * DAY)[..10].to_string();
            j.push_str(&format!(
                r#","date_range":{{"from":"{}","to":"{}"}}"#,
                date(a),
                date(b)
            ));
        }
        if let Some(limit) = self.breakdown {
            j.push_str(&format!(
                r#","breakdown":{{"properties":["p"],"limit":{limit}}}"#
            ));
        }
        j.push('}');
        j
    }
}

/// The paths of the definition: (user, labels from step 1 on).
fn paths(events: &[Ev], p: &Params) -> Vec<(String, Vec<String>)> {
    let (from, to) = match p.range {
        Some((a, b)) => (a * DAY, (b + 1) * DAY),
        None => (i64::MIN, i64::MAX),
    };
    let mut by_user: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        by_user.entry(&e.user).or_default().push(e);
    }
    let mut out = Vec::new();
    for (user, mut evs) in by_user {
        evs.sort_by_key(|e| e.time); // stable: file order among equal times
        let evs: Vec<&Ev> = evs
            .into_iter()
            .filter(|e| from <= e.time && e.time < to && !(p.filter && e.p == "y"))
            .collect();
        let mut units: Vec<Vec<&Ev>> = Vec::new();
        match p.boundary {
            0 => {
                for (k, e) in evs.iter().enumerate() {
                    if k == 0 || e.time - evs[k - 1].time >= p.timeout * 60 * SECOND {
                        units.push(Vec::new());
                    }
                    units.last_mut().unwrap().push(e);
                }
            }
            1 => {
                // sessions in order of their first event, as the engine lists them
                let mut order: Vec<&str> = Vec::new();
                let mut by: BTreeMap<&str, Vec<&Ev>> = BTreeMap::new();
                for e in evs.iter().filter(|e| !e.sid.is_empty()) {
                    if !order.contains(&e.sid.as_str()) {
                        order.push(&e.sid);
                    }
                    by.entry(&e.sid).or_default().push(e);
                }
                for s in order {
                    units.push(by.remove(s).unwrap());
                }
            }
            _ => units.push(evs.clone()),
        }
        let anchor = p.start.or(p.end);
        for unit in units {
            let mut labels: Vec<(String, String)> = unit
                .iter()
                .filter(|e| {
                    p.events.is_empty()
                        || p.events.contains(&e.event.as_str())
                        || Some(e.event.as_str()) == anchor
                })
                .map(|e| {
                    let label = if p.property && !e.page.is_empty() {
                        format!("{}: {}", e.event, e.page)
                    } else {
                        e.event.clone()
                    };
                    (e.event.clone(), label)
                })
                .collect();
            if p.collapse {
                labels.dedup_by(|a, b| a.1 == b.1);
            }
            let at = match anchor {
                Some(a) => labels.iter().position(|l| l.0 == a),
                None => (!labels.is_empty()).then_some(0),
            };
            let Some(at) = at else { continue };
            let path: Vec<String> = if p.end.is_some() {
                labels[at.saturating_sub(p.steps - 1)..=at]
                    .iter()
                    .rev()
                    .map(|l| l.1.clone())
                    .collect()
            } else {
                labels[at..(at + p.steps).min(labels.len())]
                    .iter()
                    .map(|l| l.1.clone())
                    .collect()
            };
            out.push((user.to_string(), path));
        }
    }
    out
}

fn check(events: &[Ev], store: &EventStore, p: &Params, what: &str) -> bool {
    let json = p.json();
    let ctx = format!("{what}: {json}");
    let r: PathsResult = match try_run(store, &json) {
        Ok(AnalysisResult::Paths(r)) => r,
        Err(loupe::engine::Error::Spec { field, .. }) if field == "date_range" => return false,
        other => panic!("{ctx}: {other:?}"),
    };
    let all = paths(events, p);
    assert_eq!(r.paths, all.len() as u64, "{ctx}: paths");
    let users: BTreeSet<&str> = all.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(r.users, users.len() as u64, "{ctx}: users");
    // node name per (step, label)
    let mut name: BTreeMap<(usize, String), String> = BTreeMap::new();
    let mut expected_nodes: Vec<(usize, String, u64, u64, u64)> = Vec::new();
    for k in 0..p.steps {
        let mut count: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, path) in &all {
            if let Some(l) = path.get(k) {
                *count.entry(l).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, u64)> = count.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut names: Vec<String> = Vec::new();
        for (rank, (l, _)) in ranked.iter().enumerate() {
            let n = if rank < p.top {
                l.to_string()
            } else {
                "(other)".to_string()
            };
            if !names.contains(&n) {
                names.push(n.clone());
            }
            name.insert((k, l.to_string()), n);
        }
        for n in names {
            let through: Vec<&(String, Vec<String>)> = all
                .iter()
                .filter(|(_, path)| path.get(k).is_some_and(|l| name[&(k, l.clone())] == n))
                .collect();
            let users: BTreeSet<&str> = through.iter().map(|x| x.0.as_str()).collect();
            let drop = if k + 1 < p.steps {
                through.iter().filter(|x| x.1.len() == k + 1).count() as u64
            } else {
                0
            };
            expected_nodes.push((k + 1, n, through.len() as u64, users.len() as u64, drop));
        }
    }
    let got: Vec<(usize, String, u64, u64, u64)> = r
        .nodes
        .iter()
        .map(|x| (x.step, x.label.clone(), x.paths, x.users, x.drop_off))
        .collect();
    assert_eq!(got, expected_nodes, "{ctx}: nodes");
    let mut expected_links: BTreeMap<(usize, String, String), u64> = BTreeMap::new();
    for (_, path) in &all {
        for k in 1..path.len() {
            let a = name[&(k - 1, path[k - 1].clone())].clone();
            let b = name[&(k, path[k].clone())].clone();
            *expected_links.entry((k, a, b)).or_default() += 1;
        }
    }
    let mut got_links: BTreeMap<(usize, String, String), u64> = BTreeMap::new();
    for l in &r.links {
        let (a, b) = (&r.nodes[l.from], &r.nodes[l.to]);
        assert_eq!(a.step + 1, b.step, "{ctx}: link steps");
        let old = got_links.insert((a.step, a.label.clone(), b.label.clone()), l.paths);
        assert!(old.is_none(), "{ctx}: a link twice");
    }
    assert_eq!(got_links, expected_links, "{ctx}: links");
    let mut seqs: BTreeMap<&Vec<String>, u64> = BTreeMap::new();
    for (_, path) in &all {
        *seqs.entry(path).or_default() += 1;
    }
    assert_eq!(r.distinct_paths, seqs.len() as u64, "{ctx}: distinct");
    let mut top: Vec<(&Vec<String>, u64)> = seqs.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.truncate(p.limit);
    let got_top: Vec<(&Vec<String>, u64)> =
        r.top_paths.iter().map(|t| (&t.labels, t.paths)).collect();
    assert_eq!(got_top, top, "{ctx}: top paths");
    for t in &r.top_paths {
        assert!((t.share - t.paths as f64 / all.len() as f64).abs() < 1e-12);
    }
    if let Some(limit) = p.breakdown {
        check_breakdown(events, &all, &r, p.limit, limit, &ctx);
    } else {
        assert!(r.breakdowns.is_empty(), "{ctx}");
    }
    !all.is_empty()
}

/// The top paths per value of `p` (the user's first event with one), against the engine's.
fn check_breakdown(
    events: &[Ev],
    all: &[(String, Vec<String>)],
    r: &PathsResult,
    top_n: usize,
    limit: usize,
    ctx: &str,
) {
    let value_of = |user: &str| -> String {
        let mut evs: Vec<&Ev> = events.iter().filter(|e| e.user == user).collect();
        evs.sort_by_key(|e| e.time); // stable: file order among equal times
        (evs.iter().map(|e| e.p.clone()))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    };
    let raw: Vec<String> = all.iter().map(|(u, _)| value_of(u)).collect();
    let count = |v: &str| raw.iter().filter(|r| *r == v).count();
    let mut named: Vec<&str> = raw
        .iter()
        .map(|r| r.as_str())
        .filter(|r| !r.is_empty())
        .collect();
    named.sort();
    named.dedup();
    named.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
    let keep = if limit == 0 {
        named.len()
    } else {
        limit.min(named.len())
    };
    let label = |v: &str| -> String {
        match named.iter().position(|x| *x == v) {
            None => "(none)".into(),
            Some(at) if at < keep => v.to_string(),
            Some(_) => "(other)".into(),
        }
    };
    let mut order: Vec<String> = named[..keep].iter().map(|v| v.to_string()).collect();
    if keep < named.len() {
        order.push("(other)".into());
    }
    if count("") > 0 {
        order.push("(none)".into());
    }
    let got: Vec<&str> = r.breakdowns.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(got, order, "{ctx}: values");
    let mut total = 0;
    for b in &r.breakdowns {
        let mine: Vec<&(String, Vec<String>)> = (all.iter().zip(&raw))
            .filter(|(_, v)| label(v) == b.value)
            .map(|(x, _)| x)
            .collect();
        assert_eq!(b.paths, mine.len() as u64, "{ctx}: {} paths", b.value);
        let users: BTreeSet<&str> = mine.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(b.users, users.len() as u64, "{ctx}: {} users", b.value);
        let mut seqs: BTreeMap<&Vec<String>, u64> = BTreeMap::new();
        for (_, path) in &mine {
            *seqs.entry(path).or_default() += 1;
        }
        assert_eq!(b.distinct_paths, seqs.len() as u64, "{ctx}: {}", b.value);
        let mut top: Vec<(&Vec<String>, u64)> = seqs.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.truncate(top_n);
        let got: Vec<(&Vec<String>, u64)> =
            b.top_paths.iter().map(|t| (&t.labels, t.paths)).collect();
        assert_eq!(got, top, "{ctx}: {} top paths", b.value);
        for t in &b.top_paths {
            assert!((t.share - t.paths as f64 / mine.len() as f64).abs() < 1e-12);
        }
        total += b.paths;
    }
    // the values add up to all paths
    assert_eq!(total, r.paths, "{ctx}: the values add up");
}

/// A small dataset on a 10-minute grid, written as CSV in random source order.
fn random_data(seed: u64) -> (Vec<Ev>, EventStore) {
    let mut rng = Rng(seed);
    let users = 1 + rng.below(5);
    let n = 3 + rng.below(60);
    let steps = 1 + rng.below(300);
    let step = rng.pick(&[10, 10, 20, 60]) * 60 * SECOND;
    let events: Vec<Ev> = (0..n)
        .map(|_| Ev {
            user: format!("u{}", rng.below(users)),
            event: rng.pick(&["a", "a", "b", "c", "d"]).to_string(),
            time: BASE + rng.below(steps) as i64 * step,
            page: rng.pick(&["", "/x", "/y", "/x"]).to_string(),
            sid: rng.pick(&["", "s1", "s2", "s1", "s3"]).to_string(),
            p: rng.pick(&["", "x", "y"]).to_string(),
        })
        .collect();
    let mut csv = String::from("user_id,event,timestamp,page,sid,p\n");
    for e in &events {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            e.user,
            e.event,
            rfc3339(e.time),
            e.page,
            e.sid,
            e.p
        ));
    }
    (events.clone(), load(&csv).store)
}

#[test]
fn paths_match_the_oracle_on_random_data() {
    let (mut cases, mut nonzero, mut ends) = (0, 0, 0);
    for seed in 0..400u64 {
        let (events, store) = random_data(seed);
        let mut rng = Rng(seed ^ 0xA7A5);
        let first_day = BASE.div_euclid(DAY);
        let present = |e: &str| events.iter().any(|x| x.event == e);
        for _ in 0..4 {
            let anchor = rng.pick(&["a", "b", "c"]);
            let mode = rng.below(3);
            let p = Params {
                start: (mode == 1 && present(anchor)).then_some(anchor),
                end: (mode == 2 && present(anchor)).then_some(anchor),
                steps: 2 + rng.below(6) as usize,
                top: 1 + rng.below(4) as usize,
                collapse: rng.below(2) == 0,
                events: if rng.below(3) == 0 {
                    ["b", "d"].into_iter().filter(|e| present(e)).collect()
                } else {
                    Vec::new()
                },
                property: rng.below(3) == 0,
                boundary: rng.below(3) as u8,
                timeout: rng.pick(&[10, 20, 30, 60]),
                filter: rng.below(4) == 0,
                range: (rng.below(4) == 0).then(|| {
                    let a = first_day + rng.below(3) as i64;
                    (a, a + rng.below(3) as i64)
                }),
                limit: rng.pick(&[1, 3, 100]),
                breakdown: rng.pick(&[None, None, Some(0), Some(1)]),
            };
            ends += usize::from(p.end.is_some());
            if check(&events, &store, &p, &format!("seed {seed}")) {
                nonzero += 1;
            }
            cases += 1;
        }
    }
    assert!(nonzero > cases / 2, "{nonzero} of {cases} with paths");
    assert!(ends > 200, "{ends} cases with an end event");
}
