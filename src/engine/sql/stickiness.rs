//! Stickiness as SQL: the rows of `loupe run --csv` (`series, intervals, users, percent`),
//! one per series and number of active intervals x = 1..n.
//!
//! As in the engine (`analysis/stickiness.rs`): the intervals are those the date range
//! touches (open ends closed by the data), grouped by `interval_count` from the first; an
//! event counts when it passes the shared filters, lies in the range and matches `event`
//! and `event_filters`; an interval is active for a (user, value) pair when its count of
//! such events meets `criteria`. With a breakdown each (user, value) pair is a user of its
//! own, values ranked by their users with an active interval (ties by value), the rest
//! gathered as `(other)` (one pair per user) and events without a value as `(none)`.

use super::{Dialect, Sql};
use crate::engine::analysis::stickiness::{Computed, CountOp, StickinessSpec, ALL};
use crate::engine::error::{Error, Result};

/// Renders a stickiness spec (see the module documentation).
pub fn render(sql: &Sql, spec: &StickinessSpec) -> Result<String> {
    if spec.interval_count == 0 {
        return Err(Error::spec("interval_count", "must be at least 1").keyed("at_least_one", &[]));
    }
    if spec.criteria.value == 0 {
        return Err(Error::spec("criteria.value", "must be at least 1").keyed("at_least_one", &[]));
    }
    let g = spec.interval;
    let step = Sql::key_step(g);
    let group = spec.interval_count as i64;
    let mut matches = match &spec.event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    if !spec.event_filters.is_empty() {
        matches = format!(
            "{matches} AND {}",
            sql.filter("event_filters", &spec.event_filters)?
        );
    }
    let bv = match &spec.breakdown {
        Some(b) => sql.breakdown_value(b)?,
        None => "''".to_string(),
    };
    let (r0, r1) = sql.range("t1")?;
    let lo = r0.clone().unwrap_or_else(|| "t0".into());
    let hi = r1
        .clone()
        .map_or_else(|| "t1".into(), |r| format!("({r} - 1)"));
    let in_range = match (&r0, &r1) {
        (None, None) => sql.bool(true),
        (Some(a), None) => format!("t >= {a}"),
        (None, Some(b)) => format!("t < {b}"),
        (Some(a), Some(b)) => format!("t >= {a} AND t < {b}"),
    };
    let key_of = |us: &str| sql.key(g, &sql.local_of(us));
    let v = spec.criteria.value;
    let holds = match spec.criteria.op {
        CountOp::Gte => format!("cnt >= {v}"),
        CountOp::Lte => format!("cnt <= {v}"),
        CountOp::Eq => format!("cnt = {v}"),
    };
    let slots = match &spec.breakdown {
        Some(b) => format!(
            "present AS (SELECT bv, sum(CASE WHEN c > 0 THEN 1 ELSE 0 END) AS users FROM pairs_by_value GROUP BY bv),
ranked AS (SELECT bv, row_number() OVER (ORDER BY users DESC, bv) AS rn FROM present WHERE bv <> ''),
{}",
            sql.slots(b.limit)
        ),
        None => format!(
            "slots AS (SELECT '' AS bv, {} AS label, {} AS pos),",
            sql.lit(spec.event.as_deref().unwrap_or(ALL)),
            sql.int(0)
        ),
    };
    let xs = match sql.dialect {
        Dialect::DuckDb => "unnest(generate_series(1, n))",
        Dialect::ClickHouse => "arrayJoin(range(1, n + 1))",
    };
    let users = match spec.computed {
        Computed::NonCumulative => "sum(CASE WHEN e.c = xs.x THEN e.users ELSE 0 END)",
        Computed::Cumulative => "sum(CASE WHEN e.c >= xs.x THEN e.users ELSE 0 END)",
    };
    let text = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS VARCHAR)"),
        Dialect::ClickHouse => format!("toString({x})"),
    };
    let settings = match sql.dialect {
        Dialect::DuckDb => "",
        Dialect::ClickHouse => "\nSETTINGS join_use_nulls = 1",
    };
    Ok(format!(
        "-- Loupe stickiness ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, ({matches}) AS m, {bv} AS bv
  FROM {from}
),
span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
shown AS (SELECT {k0} AS k0, {k1} AS k1 FROM span),
nn AS (SELECT {n} AS n FROM shown),
ev AS (
  SELECT u, bv, {grp} AS g
  FROM src, span, shown
  WHERE keep AND m AND {in_range}
),
pairs_by_value AS (
  SELECT u, bv, sum(CASE WHEN {holds} THEN 1 ELSE 0 END) AS c
  FROM (SELECT u, bv, g, count(*) AS cnt FROM ev GROUP BY u, bv, g) AS per_interval
  GROUP BY u, bv
),
{slots}
lanes AS (SELECT DISTINCT label, pos FROM slots),
pairs AS (
  SELECT u, label, sum(CASE WHEN {holds} THEN 1 ELSE 0 END) AS c
  FROM (SELECT ev.u AS u, sl.label AS label, ev.g AS g, count(*) AS cnt FROM ev JOIN slots AS sl ON ev.bv = sl.bv GROUP BY ev.u, sl.label, ev.g) AS per_interval
  GROUP BY u, label
),
exact AS (SELECT label, c, count(*) AS users FROM pairs WHERE c > 0 GROUP BY label, c),
totals AS (SELECT la.label AS label, coalesce(sum(e.users), 0) AS total FROM lanes AS la LEFT JOIN exact AS e ON e.label = la.label GROUP BY la.label),
xs AS (SELECT {xs} AS x FROM nn),
counted AS (
  SELECT la.label AS label, la.pos AS pos, xs.x AS x, coalesce({users}, 0) AS users
  FROM lanes AS la CROSS JOIN xs LEFT JOIN exact AS e ON e.label = la.label
  GROUP BY la.label, la.pos, xs.x
)
SELECT c.label AS \"series\", {x} AS \"intervals\", {u} AS \"users\",
  {percent} AS \"percent\"
FROM counted AS c JOIN totals AS tt ON tt.label = c.label
ORDER BY c.pos, c.x{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from = sql.from,
        k0 = key_of(&lo),
        k1 = key_of(&hi),
        n = sql.int_div(&format!("({} + {group})", sql.int_div("(k1 - k0)", &step.to_string())), &group.to_string()),
        grp = sql.int_div(
            &sql.int_div(&format!("({} - k0)", key_of("t")), &step.to_string()),
            &group.to_string()
        ),
        x = text("c.x"),
        u = text("c.users"),
        percent = sql.number("CASE WHEN tt.total = 0 THEN 0 ELSE c.users / tt.total END"),
    ))
}
