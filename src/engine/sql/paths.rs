//! Paths as SQL: the rows of `loupe run --csv` for every view: nodes (`step, node, paths,
//! users, share, drop_off, drop_off_rate`), links (`step, from, to, paths,
//! share_of_from`) and top paths (`rank, path, steps, paths, share`).
//!
//! As in the engine (`analysis/paths.rs`): events in scope lie in the date range and pass
//! the shared filters; a path unit is a session (cut as in the sessions analysis: a gap of
//! `timeout_minutes` between events in scope, or the values of `session`) or all of a
//! user's events (`boundary: "user"`). The visible events (`events`, any when empty, and
//! the start or end event) in time then file order are labelled (`event` or `event:
//! value` with `property`), consecutive equal labels collapsed with `collapse_repeats`;
//! step 1 is the unit's first start event (or end event, steps then running backwards, or
//! its first visible event), and steps 2 … N follow it. Per step the labels are ranked by
//! their paths (ties by label in byte order), the first `top` are nodes and the rest one
//! `(other)` node; links join nodes of adjacent steps; a node's drop-off counts the paths
//! ending there; top paths are the full label sequences, most paths first, ties by the
//! sequence of labels. Which of the events at one instant comes first is the file's
//! order, so the query needs the file-order column (`--order-col`, else
//! `sql_needs_order`).

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::paths::{check, PathBoundary, PathsSpec, PathsView};
use crate::engine::analysis::sessions::check_timeout;
use crate::engine::error::Result;
use crate::engine::spec::OTHER;
use crate::engine::time::Granularity;

/// Renders a paths spec (see the module documentation).
pub fn render(sql: &Sql, spec: &PathsSpec) -> Result<String> {
    // every field named, so that a new one must be handled here
    let PathsSpec {
        start_event,
        end_event,
        steps,
        top,
        collapse_repeats,
        events,
        property,
        boundary,
        session,
        timeout_minutes,
        limit,
        view,
        breakdown,
    } = spec;
    if breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "the top paths per breakdown value (not rendered yet)",
        ));
    }
    check(spec)?;
    check_timeout("timeout_minutes", *timeout_minutes)?;
    let order = sql.file_order("analysis", "the order of a path's events")?;
    let iv = sql.intervals(Granularity::Day)?;
    let n = *steps as i64;
    let event = sql.ident("event");
    let anchor = start_event.as_ref().or(end_event.as_ref());
    let visible = if events.is_empty() {
        sql.bool(true)
    } else {
        let names: Vec<String> = events.iter().chain(anchor).map(|e| sql.lit(e)).collect();
        format!("{event} IN ({})", names.join(", "))
    };
    let label = match property {
        Some(p) => {
            let v = sql.text(p);
            match sql.dialect {
                Dialect::DuckDb => format!("coalesce({event} || ': ' || {v}, {event})"),
                Dialect::ClickHouse => {
                    format!("coalesce(concat({event}, ': ', {v}), {event})")
                }
            }
        }
        None => event.clone(),
    };
    let units = match (boundary, session) {
        (PathBoundary::User, _) => {
            "ev AS (SELECT u, t, o, ev_name, lbl, vis, 0 AS s FROM src, span WHERE keep AND ({in_range})),"
                .replace("{in_range}", &iv.in_range)
        }
        (PathBoundary::Session, Some(_)) => format!(
            "ev AS (SELECT u, t, o, ev_name, lbl, vis, sid AS s FROM src, span WHERE keep AND ({in_range}) AND sid IS NOT NULL),",
            in_range = iv.in_range,
        ),
        // a new session at each gap of the timeout; events at one instant share the
        // session number of their instant
        (PathBoundary::Session, None) => format!(
            "ev0 AS (SELECT u, t, o, ev_name, lbl, vis, {prev} AS prev FROM src, span WHERE keep AND ({in_range})),
ev AS (
  SELECT u, t, o, ev_name, lbl, vis,
    sum(CASE WHEN prev IS NULL OR t - prev >= {timeout} THEN 1 ELSE 0 END) OVER (PARTITION BY u ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s
  FROM ev0
),",
            prev = sql.lag("t", "u", "t, o"),
            in_range = iv.in_range,
            timeout = *timeout_minutes as i64 * 60 * 1_000_000,
        ),
    };
    let kept = if *collapse_repeats {
        "plbl IS NULL OR lbl <> plbl".to_string()
    } else {
        sql.bool(true)
    };
    let is_anchor = match anchor {
        Some(a) => format!("ev_name = {}", sql.lit(a)),
        None => "p = 1".to_string(),
    };
    let (step, window) = if end_event.is_some() {
        (
            "an.a - d.p + 1",
            format!("d.p <= an.a AND d.p > an.a - {n}"),
        )
    } else {
        (
            "d.p - an.a + 1",
            format!("d.p >= an.a AND d.p < an.a + {n}"),
        )
    };
    let share = |a: &str, b: &str| sql.number(&sql.ratio(a, b));
    let text = |x: &str| sql.to_text(x);
    let tail = match view {
        PathsView::Nodes => format!(
            "
SELECT {k} AS \"step\", node AS \"node\", {paths} AS \"paths\", {users} AS \"users\",
  {share} AS \"share\", CASE WHEN k < {n} THEN {drop} END AS \"drop_off\",
  CASE WHEN k < {n} THEN {drop_rate} END AS \"drop_off_rate\"
FROM nodes, total
ORDER BY k, nr",
            k = text("k"),
            paths = text("n_paths"),
            users = text("n_users"),
            share = share("n_paths", "total.n_all"),
            drop = text("n_drop"),
            drop_rate = share("n_drop", "n_paths"),
        ),
        PathsView::Links => format!(
            ",
links AS (
  SELECT a.k AS k, a.node AS f, a.nr AS fr, b.node AS tn, b.nr AS tr, count(*) AS c
  FROM sn AS a JOIN sn AS b ON b.u = a.u AND b.s = a.s AND b.k = a.k + 1
  GROUP BY a.k, a.node, a.nr, b.node, b.nr
)
SELECT {k} AS \"step\", l.f AS \"from\", l.tn AS \"to\", {c} AS \"paths\",
  {share} AS \"share_of_from\"
FROM links AS l JOIN nodes AS nd ON nd.k = l.k AND nd.nr = l.fr
ORDER BY l.k, l.fr, l.tr",
            k = text("l.k"),
            c = text("l.c"),
            share = share("l.c", "nd.n_paths"),
        ),
        PathsView::TopPaths => {
            let (chr, cat) = match sql.dialect {
                Dialect::DuckDb => ("chr(1)", "||"),
                Dialect::ClickHouse => ("char(1)", "||"),
            };
            let join = |sep: &str| {
                let mut e = "l1".to_string();
                for j in 2..=n {
                    e = format!("{e} {cat} coalesce({sep} {cat} l{j}, '')");
                }
                e
            };
            let cols = (1..=n)
                .map(|j| format!("max(CASE WHEN k = {j} THEN lbl END) AS l{j}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                ",
seqs AS (SELECT u, s, count(*) AS len, {cols} FROM steps GROUP BY u, s),
tp AS (
  SELECT sort_key, path_text, len, count(*) AS c
  FROM (SELECT {key} AS sort_key, {path} AS path_text, len FROM seqs) AS x
  GROUP BY sort_key, path_text, len
),
ranked_paths AS (
  SELECT path_text, len, c, row_number() OVER (ORDER BY c DESC, sort_key) AS r FROM tp
)
SELECT {r} AS \"rank\", path_text AS \"path\", {len} AS \"steps\", {c} AS \"paths\",
  {share} AS \"share\"
FROM ranked_paths, total
WHERE r <= {limit}
ORDER BY r",
                key = join(chr),
                path = join("' → '"),
                r = text("r"),
                len = text("len"),
                c = text("c"),
                share = share("c", "total.n_all"),
            )
        }
    };
    Ok(format!(
        "-- Loupe paths ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {order} AS o, {event} AS ev_name,
    {label} AS lbl, {visible} AS vis, {sid} AS sid
  FROM {from}
),
{intervals}
{units}
vis_ev AS (
  SELECT u, s, t, o, ev_name, lbl, {plbl} AS plbl FROM ev WHERE vis
),
ded AS (
  SELECT u, s, ev_name, lbl, row_number() OVER (PARTITION BY u, s ORDER BY t, o) AS p
  FROM vis_ev WHERE {kept}
),
anchors AS (SELECT u, s, min(p) AS a FROM ded WHERE {is_anchor} GROUP BY u, s),
steps AS (
  SELECT d.u AS u, d.s AS s, {step} AS k, d.lbl AS lbl
  FROM ded AS d JOIN anchors AS an ON an.u = d.u AND an.s = d.s
  WHERE {window}
),
paths AS (SELECT u, s, max(k) AS len FROM steps GROUP BY u, s),
total AS (SELECT count(*) AS n_all FROM paths),
per AS (SELECT k, lbl, count(*) AS c FROM steps GROUP BY k, lbl),
node_of AS (
  SELECT k, lbl, CASE WHEN r <= {top} THEN lbl ELSE {other} END AS node,
    CASE WHEN r <= {top} THEN r ELSE {top} + 1 END AS nr
  FROM (SELECT k, lbl, row_number() OVER (PARTITION BY k ORDER BY c DESC, lbl) AS r FROM per) AS x
),
sn AS (
  SELECT st.u AS u, st.s AS s, st.k AS k, nf.node AS node, nf.nr AS nr, pa.len AS len
  FROM steps AS st
  JOIN node_of AS nf ON nf.k = st.k AND nf.lbl = st.lbl
  JOIN paths AS pa ON pa.u = st.u AND pa.s = st.s
),
nodes AS (
  SELECT k, node, nr, count(*) AS n_paths, count(DISTINCT u) AS n_users,
    sum(CASE WHEN len = k THEN 1 ELSE 0 END) AS n_drop
  FROM sn GROUP BY k, node, nr
){tail}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from = sql.from,
        intervals = iv.ctes,
        plbl = sql.lag("lbl", "u, s", "t, o"),
        sid = session
            .as_ref()
            .map_or_else(|| "NULL".to_string(), |name| sql.text(name)),
        other = sql.lit(OTHER),
    ))
}
