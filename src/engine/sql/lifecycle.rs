//! Lifecycle as SQL: the rows of `loupe run --csv` (`interval, new, returning,
//! resurrecting, dormant, active, pulse`), one per interval shown.
//!
//! As in the engine (`analysis/lifecycle.rs`): the intervals run from the one holding
//! the later of the data's first event and the range start to the one holding the earlier
//! of the data's last event and the range end; a user is active in a shown interval with
//! an active event (shared filters, `event`, `event_filters`) in the date range, and in
//! the interval before the first one with an active event before the range start; a
//! user's creation is their first event in the whole data. From each user's active
//! intervals in order: new (created in it), returning (active in the one before),
//! resurrecting (otherwise), and dormant once in the interval after each run of activity.
//! `created_at` (a property read as a timestamp in any format the importer reads) and a
//! breakdown (by user properties, first or latest by file order) are not rendered yet.

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::lifecycle::LifecycleSpec;
use crate::engine::error::Result;

/// Renders a lifecycle spec (see the module documentation).
pub fn render(sql: &Sql, spec: &LifecycleSpec) -> Result<String> {
    if spec.created_at.is_some() {
        return Err(unsupported(
            "created_at",
            "a creation time read from a property (any timestamp format the importer reads)",
        ));
    }
    if spec.breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "a lifecycle breakdown (user properties need the file order of tied events)",
        ));
    }
    let g = spec.interval;
    let step = Sql::key_step(g);
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
    let (r0, r1) = sql.range("t1")?;
    let c0 = r0
        .as_ref()
        .map_or_else(|| "t0".into(), |r| format!("greatest(t0, {r})"));
    let c1 = r1
        .as_ref()
        .map_or_else(|| "t1".into(), |r| format!("least(t1, {r} - 1)"));
    let in_range = match (&r0, &r1) {
        (None, None) => sql.bool(true),
        (Some(a), None) => format!("t >= {a}"),
        (None, Some(b)) => format!("t < {b}"),
        (Some(a), Some(b)) => format!("t >= {a} AND t < {b}"),
    };
    let before_range = match &r0 {
        Some(a) => format!("t < {a}"),
        None => sql.bool(false),
    };
    let key_of = |us: &str| sql.key(g, &sql.local_of(us));
    let index = |key: &str| sql.int_div(&format!("({key} - k0)"), &step.to_string());
    let intervals = match sql.dialect {
        Dialect::DuckDb => "unnest(generate_series(0, nb - 1, 1))".to_string(),
        Dialect::ClickHouse => "arrayJoin(range(0, nb, 1))".to_string(),
    };
    let (prev, next) = match sql.dialect {
        Dialect::DuckDb => (
            "lag(b) OVER (PARTITION BY u ORDER BY b)".to_string(),
            "lead(b) OVER (PARTITION BY u ORDER BY b)".to_string(),
        ),
        Dialect::ClickHouse => {
            let frame = "OVER (PARTITION BY u ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)";
            (
                format!("lagInFrame(toNullable(b)) {frame}"),
                format!("leadInFrame(toNullable(b)) {frame}"),
            )
        }
    };
    let text = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS VARCHAR)"),
        Dialect::ClickHouse => format!("toString({x})"),
    };
    let settings = match sql.dialect {
        Dialect::DuckDb => "",
        Dialect::ClickHouse => "\nSETTINGS join_use_nulls = 1",
    };
    let count = |c: &str| format!("coalesce(sum(CASE WHEN {c} THEN 1 ELSE 0 END), 0)");
    Ok(format!(
        "-- Loupe lifecycle ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, ({matches}) AS m
  FROM {from}
),
span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
shown AS (SELECT {k0} AS k0, {k1} AS k1 FROM span),
sizes AS (SELECT k0, {nb} + 1 AS nb FROM shown),
born AS (SELECT u, {born} AS born FROM (SELECT u, min(t) AS first_t FROM src GROUP BY u) AS f, shown),
active AS (
  SELECT DISTINCT u, {b} AS b
  FROM src, span, shown
  WHERE keep AND m AND (({in_range}) OR ({before_range} AND {b} = -1))
),
runs AS (SELECT u, b, {prev} AS prev_b, {next} AS next_b FROM active),
states AS (
  SELECT r.b AS b,
    CASE WHEN r.b < 0 THEN '' WHEN bo.born = r.b THEN 'new' WHEN r.prev_b = r.b - 1 THEN 'returning' ELSE 'resurrecting' END AS state
  FROM runs AS r JOIN born AS bo ON bo.u = r.u
  UNION ALL
  SELECT r.b + 1 AS b, 'dormant' AS state
  FROM runs AS r, sizes
  WHERE (r.next_b IS NULL AND r.b + 1 < nb) OR r.next_b > r.b + 1
),
counts AS (
  SELECT b,
    {new} AS n_new, {ret} AS n_ret, {res} AS n_res, {dor} AS n_dor
  FROM states GROUP BY b
),
shown_intervals AS (SELECT {intervals} AS b, k0 FROM sizes),
table_rows AS (
  SELECT si.b AS b, si.k0 + si.b * {step} AS k,
    coalesce(c.n_new, 0) AS n_new, coalesce(c.n_ret, 0) AS n_ret,
    coalesce(c.n_res, 0) AS n_res, coalesce(c.n_dor, 0) AS n_dor
  FROM shown_intervals AS si LEFT JOIN counts AS c ON c.b = si.b
)
SELECT {label} AS \"interval\", {new_t} AS \"new\", {ret_t} AS \"returning\",
  {res_t} AS \"resurrecting\", {dor_t} AS \"dormant\", {act_t} AS \"active\",
  {pulse} AS \"pulse\"
FROM table_rows
ORDER BY b{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from = sql.from,
        k0 = key_of(&c0),
        k1 = key_of(&c1),
        nb = sql.int_div("(k1 - k0)", &step.to_string()),
        born = index(&key_of("first_t")),
        b = index(&key_of("t")),
        new = count("state = 'new'"),
        ret = count("state = 'returning'"),
        res = count("state = 'resurrecting'"),
        dor = count("state = 'dormant'"),
        label = sql.label(g, &sql.key_start(g, "k")),
        new_t = text("n_new"),
        ret_t = text("n_ret"),
        res_t = text("n_res"),
        dor_t = text("(0 - n_dor)"),
        act_t = text("(n_new + n_ret + n_res)"),
        pulse = sql.number("CASE WHEN n_dor = 0 THEN NULL ELSE (n_new + n_res) / n_dor END"),
    ))
}
