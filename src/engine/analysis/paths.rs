//! Paths (路径分析): the most common sequences of events after a start event or before an
//! end event, N steps deep, the top K nodes per step plus `(other)` and the drop-off,
//! drawn as a Sankey (research features.md §2.9: PostHog paths, Mixpanel Flows, GA4 path
//! exploration).
//!
//! **Events in scope.** An event takes part when it lies in the date range, passes the
//! shared filters and is one of `events` (any event when the list is empty; the start or
//! end event always takes part). Other events are invisible: they neither appear in a
//! path nor break a repeat.
//!
//! **Path units.** With `boundary: "session"` (the default) each session is one path
//! unit; sessions are cut exactly as in the sessions analysis (the same code: a gap of
//! `timeout_minutes`, default 30, or more between consecutive events in scope starts a new
//! session, or the values of a session-id property `session`; events in scope without a
//! session id are left out, with a `session_missing` warning). Inactivity is measured over
//! all events in scope, also the ones not in `events`. With `boundary: "user"` all of a
//! user's events in scope form one unit (`session` is then rejected).
//!
//! **Labels.** A node's label is the event name, or with `property` the event name and the
//! event's value of that property, `event: value` (events without a value keep the plain
//! event name). With `collapse_repeats` (default true, as PostHog's paths) consecutive
//! events with the same label count once (a, a, b → a, b).
//!
//! **The anchor and the steps.** Each unit gives at most one path:
//! - with `start_event`: from the unit's *first* occurrence of the start event (step 1)
//!   the next `steps − 1` labels after it (steps 2 … N); later occurrences of the start
//!   event inside the path are ordinary steps, and a unit without the start event gives no
//!   path (PostHog's rule: one path per session from the first occurrence);
//! - with `end_event`: the unit's first occurrence of the end event is step 1 and steps
//!   2 … N are the labels *before* it, nearest first (step 2 = the event right before the
//!   end event); the chart draws them right to left so time still runs left to right;
//! - with neither: step 1 is the unit's first event in scope and the path runs forward.
//!
//! Giving both is an error (`paths_start_and_end`). A path has 1 to N steps; it is shorter
//! when the unit runs out of events (after the start event, or before the end event).
//!
//! **Counts.** Every number counts paths (sessions, or users with `boundary: "user"`);
//! `users` also counts distinct users. At each step the labels are ranked by their paths,
//! ties broken by the label text in byte order (so `a` before `b`); the first `top` (default
//! 5) are nodes and the rest together form one `(other)` node (placed last). Nodes of a
//! step are aggregated over all paths, whatever their earlier steps (Mixpanel's Flows, not
//! GA4's tree): a path through `(other)` at step 2 still counts at its real label at step 3.
//! A link from a step-k node to a step-(k+1) node counts the paths with those two nodes.
//! The *drop-off* of a node at step k < N counts the paths that end there (no step k + 1):
//! after the start event they left, before the end event the unit started there.
//!
//! **Top paths.** The full label sequences (1 to N steps, without `(other)` grouping) are
//! counted; the `limit` (default 10) most frequent are listed, ties broken by the sequence
//! of label texts in byte order, each with its share of all paths.
//!
//! **Breakdown** (`breakdown`, default none): the top paths per value of the **user's own
//! value** of one or several properties, by the stages' rule ([`Breakdown::per_user`]: every
//! property read as a user property, by the scope's `user_properties` rule). Each path
//! falls under its user's value; values are ranked by paths, the top `limit` of the
//! breakdown get a row each, then `(other)`, then `(none)`. Per value: its paths, distinct
//! users, distinct full paths and its `limit` most frequent full paths (same ranking), each
//! with its share of the value's paths. The values' paths add up to all paths. Nodes, links
//! and the Sankey stay those of all paths.
//!
//! **Computation.** One pass over each user's events in time order: the split yields each
//! unit's events, a fixed buffer of at most N raw labels per unit (event code and value
//! key, no allocation per event) keeps the path, and the paths are stored flat, N label
//! ids each. The counters per step and label, the links per step and the drop-offs are flat
//! `Vec`s; only the labels with a property are interned in a hash map, once per path step.

use super::sessions::{SessionSplit, DEFAULT_TIMEOUT_MINUTES};
use super::table::Table;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, BreakdownValues, Ranked, Scoped, OTHER};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Fewest steps a path may be asked for.
pub const MIN_STEPS: usize = 2;
/// Most steps a path may be asked for.
pub const MAX_STEPS: usize = 10;
/// Default number of steps.
pub const DEFAULT_STEPS: usize = 5;
/// Most nodes per step (before `(other)`).
pub const MAX_TOP: usize = 20;
/// Default nodes per step.
pub const DEFAULT_TOP: usize = 5;
/// Default number of top paths listed.
pub const DEFAULT_LIMIT: usize = 10;
/// Most top paths listed.
pub const MAX_LIMIT: usize = 100;

/// A paths analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PathsSpec {
    /// Paths start at the first occurrence of this event in each unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_event: Option<String>,
    /// Paths end at the first occurrence of this event in each unit (steps run backwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_event: Option<String>,
    /// Steps per path, the anchor included (default 5, 2 to 10).
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Nodes per step before `(other)` (default 5, 1 to 20).
    #[serde(default = "default_top")]
    pub top: usize,
    /// Consecutive events with the same label count once (default true).
    #[serde(default = "yes")]
    pub collapse_repeats: bool,
    /// The events that take part (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// A property whose value joins the event name in the label (`view_item: /item/a`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// What one path covers: a session (default) or all of a user's events.
    #[serde(default)]
    pub boundary: PathBoundary,
    /// A session-id property; sessions split at `timeout_minutes` of inactivity when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Minutes of inactivity that end a session (default 30; unused with `session` or
    /// `boundary: "user"`).
    #[serde(default = "default_timeout")]
    pub timeout_minutes: u32,
    /// Top full paths listed (default 10, 1 to 100).
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// What the table shows: nodes (default), links or top paths.
    #[serde(default)]
    pub view: PathsView,
    /// The top paths per value of one or several properties, each path under its user's
    /// own value (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_steps() -> usize {
    DEFAULT_STEPS
}

fn default_top() -> usize {
    DEFAULT_TOP
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MINUTES
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

impl Default for PathsSpec {
    fn default() -> Self {
        PathsSpec {
            start_event: None,
            end_event: None,
            steps: DEFAULT_STEPS,
            top: DEFAULT_TOP,
            collapse_repeats: true,
            events: Vec::new(),
            property: None,
            boundary: PathBoundary::default(),
            session: None,
            timeout_minutes: DEFAULT_TIMEOUT_MINUTES,
            limit: DEFAULT_LIMIT,
            view: PathsView::default(),
            breakdown: None,
        }
    }
}

/// What one path covers.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PathBoundary {
    /// One path per session.
    #[default]
    Session,
    /// One path per user.
    User,
}

/// Which way the steps run from the anchor.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Step 2 follows step 1 (start event, or the first event).
    After,
    /// Step 2 precedes step 1 (end event).
    Before,
}

/// What the table shows (the result has all three).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PathsView {
    /// One row per node.
    #[default]
    Nodes,
    /// One row per link.
    Links,
    /// One row per top full path.
    TopPaths,
}

/// Paths, their nodes, links, drop-offs and the top full paths.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PathsResult {
    /// Which way the steps run from step 1.
    pub direction: Direction,
    /// The start or end event (none: each unit's first event).
    pub anchor: Option<String>,
    /// Steps asked for.
    pub steps: usize,
    /// Nodes per step before `(other)`.
    pub top: usize,
    /// Whether repeats were collapsed.
    pub collapse_repeats: bool,
    /// The label property, if any.
    pub property: Option<String>,
    /// What one path covers.
    pub boundary: PathBoundary,
    /// The session-id property, if sessions come from one.
    pub session: Option<String>,
    /// The inactivity timeout in minutes.
    pub timeout_minutes: u32,
    /// What the table shows.
    pub view: PathsView,
    /// Paths (units with the anchor).
    pub paths: u64,
    /// Distinct users with a path.
    pub users: u64,
    /// Distinct full label sequences.
    pub distinct_paths: u64,
    /// Nodes by step, then rank (`(other)` last in its step).
    pub nodes: Vec<PathNode>,
    /// Links by from node, then to node.
    pub links: Vec<PathLink>,
    /// The most frequent full paths.
    pub top_paths: Vec<TopPath>,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The top paths per breakdown value (empty without a breakdown): the top values by
    /// paths, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<PathsBreakdown>,
}

/// The paths of one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PathsBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// Paths of users with this value.
    pub paths: u64,
    /// Distinct users of those paths.
    pub users: u64,
    /// Distinct full label sequences among them.
    pub distinct_paths: u64,
    /// Their most frequent full paths; shares are of this value's paths.
    pub top_paths: Vec<TopPath>,
}

/// A node: one label (or `(other)`) at one step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PathNode {
    /// Step, 1 = the anchor.
    pub step: usize,
    /// The label, or `(other)`.
    pub label: String,
    /// True for the `(other)` node.
    pub other: bool,
    /// Paths through the node.
    pub paths: u64,
    /// Distinct users of those paths.
    pub users: u64,
    /// Paths ending at the node before step N.
    pub drop_off: u64,
}

/// Paths going from one node to a node of the next step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PathLink {
    /// Index of the node at step k in `nodes`.
    pub from: usize,
    /// Index of the node at step k + 1 in `nodes`.
    pub to: usize,
    /// Paths with both.
    pub paths: u64,
}

/// A full path and how often it occurs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TopPath {
    /// Labels from step 1 on.
    pub labels: Vec<String>,
    /// Paths with exactly this sequence.
    pub paths: u64,
    /// `paths` ÷ all paths.
    pub share: f64,
}

/// Marks the end of a stored path shorter than N.
const END: u32 = u32::MAX;

/// A raw label: event code in the high half, property key (0: none) in the low half.
#[inline]
fn raw(code: u32, key: u32) -> u64 {
    (code as u64) << 32 | key as u64
}

/// The path of the unit being read.
struct Walk {
    /// The anchor was seen.
    found: bool,
    /// Raw labels: the path after the anchor, or a ring of the latest labels before it.
    buf: [u64; MAX_STEPS],
    /// Labels in `buf` (ring: how many are valid).
    len: usize,
    /// Ring position of the next label (end mode).
    head: usize,
    /// The latest label kept (repeats of it are skipped when collapsing).
    last: Option<u64>,
}

impl Walk {
    fn new() -> Self {
        Walk {
            found: false,
            buf: [0; MAX_STEPS],
            len: 0,
            head: 0,
            last: None,
        }
    }
}

/// Checks the spec's own fields (`paths_start_and_end`, `paths_range`,
/// `paths_session_user`).
pub fn check(spec: &PathsSpec) -> Result<()> {
    if let (Some(s), Some(e)) = (&spec.start_event, &spec.end_event) {
        return Err(
            Error::spec("end_event", "give a start event or an end event, not both")
                .keyed("paths_start_and_end", &[("start", s), ("end", e)]),
        );
    }
    let range = |field: &str, got: usize, lo: usize, hi: usize| {
        if (lo..=hi).contains(&got) {
            Ok(())
        } else {
            Err(
                Error::spec(field, format!("must be between {lo} and {hi}, got {got}"))
                    .keyed("paths_range", &[("min", &lo), ("max", &hi), ("got", &got)]),
            )
        }
    };
    range("steps", spec.steps, MIN_STEPS, MAX_STEPS)?;
    range("top", spec.top, 1, MAX_TOP)?;
    range("limit", spec.limit, 1, MAX_LIMIT)?;
    if spec.boundary == PathBoundary::User && spec.session.is_some() {
        return Err(Error::spec(
            "session",
            "a session property needs boundary \"session\" (one path per user has no sessions)",
        )
        .keyed("paths_session_user", &[]));
    }
    Ok(())
}

/// Computes the paths.
pub fn run(scope: &mut Scoped, spec: &PathsSpec) -> Result<PathsResult> {
    check(spec)?;
    let store = scope.store;
    let n_codes = store.event_names().len();
    let mut visible = vec![spec.events.is_empty(); n_codes];
    for (k, name) in spec.events.iter().enumerate() {
        let m = scope.matcher(
            &format!("events[{k}]"),
            Some(name),
            &Default::default(),
            false,
        )?;
        if let Some(c) = m.event {
            visible[c as usize] = true;
        }
    }
    let (anchor, direction) = match (&spec.start_event, &spec.end_event) {
        (Some(s), None) => (Some(("start_event", s)), Direction::After),
        (None, Some(e)) => (Some(("end_event", e)), Direction::Before),
        _ => (None, Direction::After),
    };
    // the anchor's event code; u32::MAX = any event (the unit's first)
    let anchor_code = match anchor {
        Some((field, name)) => {
            let c = scope
                .matcher(field, Some(name), &Default::default(), false)?
                .event;
            let c = c.expect("a named event has a code");
            visible[c as usize] = true;
            c
        }
        None => u32::MAX,
    };
    let values: Option<BreakdownValues> = match &spec.property {
        Some(p) => {
            scope.property_index("property", p)?;
            Some(scope.breakdown("property", &Breakdown::by(p))?)
        }
        None => None,
    };
    let by = match &spec.breakdown {
        Some(b) => Some((scope.breakdown("breakdown", &b.per_user())?, b.limit)),
        None => None,
    };
    let mut split = match spec.boundary {
        PathBoundary::Session => Some(SessionSplit::new(
            scope,
            spec.session.as_deref(),
            spec.timeout_minutes,
        )?),
        PathBoundary::User => {
            super::sessions::check_timeout("timeout_minutes", spec.timeout_minutes)?;
            None
        }
    };
    let scope = &*scope;
    let (codes, times) = (store.event_codes(), store.times());
    let n = spec.steps;
    let before = direction == Direction::Before;
    let collapse = spec.collapse_repeats;
    let in_scope = |i: usize| scope.in_range(times[i]) && scope.keep(i);

    // label ids: the event code without a property, interned pairs with one
    let mut intern: FxHashMap<u64, u32> = FxHashMap::default();
    let mut raws: Vec<u64> = if values.is_some() {
        Vec::new()
    } else {
        (0..n_codes as u32).map(|c| raw(c, 0)).collect()
    };
    let mut ids = |r: u64| -> u32 {
        if values.is_none() {
            return (r >> 32) as u32;
        }
        *intern.entry(r).or_insert_with(|| {
            raws.push(r);
            raws.len() as u32 - 1
        })
    };
    // the stored paths, n label ids each (END after a shorter path), and their users
    let mut flat: Vec<u32> = Vec::new();
    let mut owner: Vec<u32> = Vec::new();
    // with a breakdown, the key of each path's user
    let mut owner_key: Vec<u32> = Vec::new();

    let mut walk = Walk::new();
    let event = |w: &mut Walk, i: usize| {
        let code = codes[i];
        if !visible[code as usize] {
            return;
        }
        let r = raw(code, values.as_ref().map_or(0, |v| v.key(i)));
        let is_anchor = anchor_code == u32::MAX || code == anchor_code;
        if w.found {
            if before || w.len == n || (collapse && w.last == Some(r)) {
                return;
            }
            w.buf[w.len] = r;
            w.len += 1;
            w.last = Some(r);
        } else if is_anchor {
            w.found = true;
            if before {
                // the ring holds the labels before the anchor, newest at head - 1:
                // rewrite the buffer as anchor, newest, ..., oldest
                let mut path = [0u64; MAX_STEPS];
                path[0] = r;
                for k in 0..w.len {
                    path[1 + k] = w.buf[(w.head + n - 2 - k) % (n - 1)];
                }
                w.buf = path;
                w.len += 1;
            } else {
                w.buf[0] = r;
                w.len = 1;
                w.last = Some(r);
            }
        } else if before && !(collapse && w.last == Some(r)) {
            // remember the latest n - 1 labels before the anchor
            w.buf[w.head] = r;
            w.head = (w.head + 1) % (n - 1);
            w.len = (w.len + 1).min(n - 1);
            w.last = Some(r);
        }
    };
    let mut close = |w: &mut Walk, u: u32, key: u32| {
        if w.found {
            for k in 0..n {
                flat.push(if k < w.len { ids(w.buf[k]) } else { END });
            }
            owner.push(u);
            owner_key.push(key);
        }
        *w = Walk::new();
    };
    for (u, r) in scope.users() {
        let key = by.as_ref().map_or(0, |(v, _)| v.key(r.start));
        match &mut split {
            Some(split) => split.each(r, times, in_scope, |i, new| {
                if new {
                    close(&mut walk, u, key);
                }
                event(&mut walk, i);
            }),
            None => {
                for i in r {
                    if in_scope(i) {
                        event(&mut walk, i);
                    }
                }
            }
        }
        close(&mut walk, u, key);
    }
    let label = |id: u32| -> String {
        let r = raws[id as usize];
        let name = store.event_names().get((r >> 32) as u32);
        match (&values, r as u32) {
            (Some(v), key) if key != 0 => format!("{name}: {}", v.label(key)),
            _ => name.to_string(),
        }
    };
    let mut result = tally(spec, direction, anchor, &flat, &owner, raws.len(), &label);
    if let Some((v, limit)) = &by {
        let texts: Vec<String> = (0..raws.len() as u32).map(label).collect();
        result.breakdown = spec.breakdown.as_ref().map(Breakdown::name);
        result.breakdowns = per_value(spec, v, *limit, &flat, &owner, &owner_key, &texts);
    }
    Ok(result)
}

/// The top paths of each ranked breakdown value: `owner_key[p]` is path p's user's key.
fn per_value(
    spec: &PathsSpec,
    values: &BreakdownValues,
    limit: usize,
    flat: &[u32],
    owner: &[u32],
    owner_key: &[u32],
    texts: &[String],
) -> Vec<PathsBreakdown> {
    let n = spec.steps;
    let mut rank = vec![0u64; values.len()];
    for &k in owner_key {
        rank[k as usize] += 1;
    }
    let present: Vec<bool> = rank.iter().map(|&c| c > 0).collect();
    let ranked = Ranked::new(values, &rank, &present, limit);
    let nv = ranked.labels.len();
    // per value: paths, users (paths of one user are consecutive), the sequences
    let mut count = vec![0u64; nv];
    let mut users = vec![0u64; nv];
    let mut last_user = vec![u32::MAX; nv];
    let mut seqs: Vec<FxHashMap<&[u32], u64>> = vec![FxHashMap::default(); nv];
    for ((p, &u), &k) in flat.chunks_exact(n).zip(owner).zip(owner_key) {
        let s = ranked.slot[k as usize];
        count[s] += 1;
        if last_user[s] != u {
            last_user[s] = u;
            users[s] += 1;
        }
        let len = p.iter().position(|&id| id == END).unwrap_or(n);
        *seqs[s].entry(&p[..len]).or_insert(0) += 1;
    }
    (ranked.labels.iter().zip(seqs))
        .enumerate()
        .map(|(s, (value, seqs))| PathsBreakdown {
            value: value.clone(),
            paths: count[s],
            users: users[s],
            distinct_paths: seqs.len() as u64,
            top_paths: top_paths(seqs, spec.limit, texts, count[s]),
        })
        .collect()
}

/// The `limit` most frequent of the sequences `seqs` (ties by their label texts), each with
/// its share of `count` paths.
fn top_paths(
    seqs: FxHashMap<&[u32], u64>,
    limit: usize,
    texts: &[String],
    count: u64,
) -> Vec<TopPath> {
    let mut top: Vec<(&[u32], u64)> = seqs.into_iter().collect();
    top.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| {
            a.0.iter()
                .map(|&i| &texts[i as usize])
                .cmp(b.0.iter().map(|&i| &texts[i as usize]))
        })
    });
    top.truncate(limit);
    top.into_iter()
        .map(|(s, c)| TopPath {
            labels: s.iter().map(|&i| texts[i as usize].clone()).collect(),
            paths: c,
            share: c as f64 / count as f64,
        })
        .collect()
}

/// Counts nodes, links, drop-offs and top paths of the stored paths (`labels` ids).
fn tally(
    spec: &PathsSpec,
    direction: Direction,
    anchor: Option<(&str, &String)>,
    flat: &[u32],
    owner: &[u32],
    labels: usize,
    label: &dyn Fn(u32) -> String,
) -> PathsResult {
    let n = spec.steps;
    let count = owner.len();
    let texts: Vec<String> = (0..labels as u32).map(label).collect();
    // paths per (step, label)
    let mut per = vec![0u64; n * labels];
    for p in flat.chunks_exact(n) {
        for (k, &id) in p.iter().enumerate() {
            if id == END {
                break;
            }
            per[k * labels + id as usize] += 1;
        }
    }
    // nodes: top labels per step by paths, ties by text, then (other)
    let mut nodes: Vec<PathNode> = Vec::new();
    let mut node_of = vec![u32::MAX; n * labels];
    let mut first_node = vec![0usize; n + 1];
    for k in 0..n {
        first_node[k] = nodes.len();
        let row = &per[k * labels..(k + 1) * labels];
        let mut ranked: Vec<usize> = (0..labels).filter(|&l| row[l] > 0).collect();
        ranked.sort_by(|&a, &b| row[b].cmp(&row[a]).then_with(|| texts[a].cmp(&texts[b])));
        for (rank, &l) in ranked.iter().enumerate() {
            let node = if rank < spec.top {
                nodes.push(PathNode {
                    step: k + 1,
                    label: texts[l].clone(),
                    other: false,
                    paths: 0,
                    users: 0,
                    drop_off: 0,
                });
                nodes.len() - 1
            } else {
                if rank == spec.top {
                    nodes.push(PathNode {
                        step: k + 1,
                        label: OTHER.to_string(),
                        other: true,
                        paths: 0,
                        users: 0,
                        drop_off: 0,
                    });
                }
                nodes.len() - 1
            };
            node_of[k * labels + l] = node as u32;
        }
    }
    first_node[n] = nodes.len();
    // links per (from, to) within adjacent steps: a dense block per step
    let width = spec.top + 1;
    let mut links = vec![0u64; n * width * width];
    let mut last_user = vec![u32::MAX; nodes.len()];
    let mut seqs: FxHashMap<&[u32], u64> = FxHashMap::default();
    for (p, &u) in flat.chunks_exact(n).zip(owner) {
        let len = p.iter().position(|&id| id == END).unwrap_or(n);
        let mut prev = usize::MAX;
        for k in 0..len {
            let node = node_of[k * labels + p[k] as usize] as usize;
            let x = &mut nodes[node];
            x.paths += 1;
            if last_user[node] != u {
                last_user[node] = u;
                x.users += 1;
            }
            if k > 0 {
                let (a, b) = (prev - first_node[k - 1], node - first_node[k]);
                links[(k - 1) * width * width + a * width + b] += 1;
            }
            prev = node;
        }
        if len < n {
            nodes[prev].drop_off += 1;
        }
        *seqs.entry(&p[..len]).or_insert(0) += 1;
    }
    let mut out_links = Vec::new();
    for k in 0..n.saturating_sub(1) {
        for a in 0..first_node[k + 1] - first_node[k] {
            for b in 0..first_node[k + 2] - first_node[k + 1] {
                let c = links[k * width * width + a * width + b];
                if c > 0 {
                    out_links.push(PathLink {
                        from: first_node[k] + a,
                        to: first_node[k + 1] + b,
                        paths: c,
                    });
                }
            }
        }
    }
    let distinct_paths = seqs.len() as u64;
    let top_paths = top_paths(seqs, spec.limit, &texts, count as u64);
    let mut users = 0u64;
    let mut last = u32::MAX;
    for &u in owner {
        users += u64::from(u != last);
        last = u;
    }
    PathsResult {
        direction,
        anchor: anchor.map(|(_, a)| a.clone()),
        steps: n,
        top: spec.top,
        collapse_repeats: spec.collapse_repeats,
        property: spec.property.clone(),
        boundary: spec.boundary,
        session: spec.session.clone(),
        timeout_minutes: spec.timeout_minutes,
        view: spec.view,
        paths: count as u64,
        users,
        distinct_paths,
        nodes,
        links: out_links,
        top_paths,
        breakdown: None,
        breakdowns: Vec::new(),
    }
}

/// `a / b` as text, empty when `b` is 0.
fn share(a: u64, b: u64) -> String {
    if b == 0 {
        String::new()
    } else {
        (a as f64 / b as f64).to_string()
    }
}

/// The result as a table: one row per node (view `nodes`), per link (`links`) or per top
/// path (`top_paths`). With a breakdown the top paths have a leading `breakdown` column:
/// all paths' under `(all)`, then each value's (nodes and links stay those of all paths).
pub fn table(r: &PathsResult) -> Table {
    let head = |h: &[&str]| vec![h.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    match r.view {
        PathsView::Nodes => {
            let mut t = head(&[
                "step",
                "node",
                "paths",
                "users",
                "share",
                "drop_off",
                "drop_off_rate",
            ]);
            for x in &r.nodes {
                let last = x.step == r.steps;
                t.push(vec![
                    x.step.to_string(),
                    x.label.clone(),
                    x.paths.to_string(),
                    x.users.to_string(),
                    share(x.paths, r.paths),
                    if last {
                        String::new()
                    } else {
                        x.drop_off.to_string()
                    },
                    if last {
                        String::new()
                    } else {
                        share(x.drop_off, x.paths)
                    },
                ]);
            }
            t
        }
        PathsView::Links => {
            let mut t = head(&["step", "from", "to", "paths", "share_of_from"]);
            for l in &r.links {
                let (a, b) = (&r.nodes[l.from], &r.nodes[l.to]);
                t.push(vec![
                    a.step.to_string(),
                    a.label.clone(),
                    b.label.clone(),
                    l.paths.to_string(),
                    share(l.paths, a.paths),
                ]);
            }
            t
        }
        PathsView::TopPaths => {
            let by = r.breakdown.is_some();
            let mut t = head(&["rank", "path", "steps", "paths", "share"]);
            if by {
                t[0].insert(0, "breakdown".to_string());
            }
            let blocks = std::iter::once(("(all)", &r.top_paths)).chain(
                r.breakdowns
                    .iter()
                    .map(|b| (b.value.as_str(), &b.top_paths)),
            );
            for (value, paths) in blocks {
                for (k, p) in paths.iter().enumerate() {
                    let row = [
                        (k + 1).to_string(),
                        p.labels.join(" → "),
                        p.labels.len().to_string(),
                        p.paths.to_string(),
                        p.share.to_string(),
                    ];
                    let lead = by.then(|| value.to_string());
                    t.push(lead.into_iter().chain(row).collect());
                }
            }
            t
        }
    }
}
