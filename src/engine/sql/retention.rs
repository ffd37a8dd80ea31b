//! Retention as SQL: the rows of `loupe run --csv` (`cohort, size, users_<column>...,
//! rate_<column>..., complete_<column>...`), one per cohort, oldest first.
//!
//! As in the engine (`analysis/retention.rs`): a start event passes the shared filters and
//! matches `start_event` and `start_filters`; a user's membership is their first start
//! event when it lies in the date range (`first_time`), or the first start event in the
//! range of each calendar period (`recurring`). Return events (the same criteria) count
//! from the start event on; a period qualifies with `min_occurrences` of them (calendar
//! periods after the cohort's, or rolling windows from the start instant); a column
//! `[a, b]` holds a member when a period in it qualifies (`on`) or one from `a` on does
//! (`on_or_after`). A cell exists when its first period began by the data's last event
//! and is complete when its last one ended by then.
//!
//! With a breakdown (PostHog's rule, as the engine): each (user, value) pair is a user of
//! its own whose start and return events are the user's events carrying that value;
//! values ranked by their memberships (ties by value), the top `limit` as themselves, the
//! rest merged into `(other)` (a user once per cohort there: first and latest start
//! over the merged values, retained in a column when retained under any of them), no
//! value as `(none)`; the rows of each value's table in that order, a `breakdown` column
//! first.
//!
//! A user's events go in time order and events at one instant in file order: a
//! membership's start event is the first of its kind in that order, and a return event
//! counts from the start event on (at the start's instant: when later in the file). When
//! the return event is the start event (same name and filters) no earlier tied event can
//! be a return (it would be the start), and the query needs no file order; another return
//! event or return filters, and `first_ever` cohorts (the first of tied events named like
//! the start), render only with the table's file-order column ([`Sql::file_order`]).

use super::{Dialect, Sql};
use crate::engine::analysis::retention::{CohortKind, RetentionMode, RetentionSpec, Windows};
use crate::engine::error::{Error, Result};
use crate::engine::time::{Granularity, DAY, HOUR};

/// Renders a retention spec (see the module documentation).
pub fn render(sql: &Sql, spec: &RetentionSpec) -> Result<String> {
    let cols = spec.columns()?;
    if spec.min_occurrences == 0 {
        return Err(Error::spec("min_occurrences", "must be at least 1").keyed("at_least_one", &[]));
    }
    // a return event at the start's instant counts when it comes later in the file; when
    // both are the same event, no earlier tied event can be a return (it would be the
    // start), and the file order is not needed
    let order = if spec.return_event != spec.start_event {
        Some(sql.file_order(
            "return_event",
            "a return event other than the start event (a return at the start's instant counts by file order)",
        )?)
    } else if spec.return_filters != spec.start_filters {
        Some(sql.file_order(
            "return_filters",
            "return filters other than the start filters (a return at the start's instant counts by file order)",
        )?)
    } else if spec.cohort == CohortKind::FirstEver {
        Some(sql.file_order(
            "cohort",
            "a first-ever cohort (the first of tied events named like the start)",
        )?)
    } else {
        None
    };
    let g = spec.period;
    let step = Sql::key_step(g);
    let i = |v: i64| sql.int(v);
    let mut start = match &spec.start_event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    if !spec.start_filters.is_empty() {
        start = format!(
            "{start} AND {}",
            sql.filter("start_filters", &spec.start_filters)?
        );
    }
    let mut ret = match &spec.return_event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    if !spec.return_filters.is_empty() {
        ret = format!(
            "{ret} AND {}",
            sql.filter("return_filters", &spec.return_filters)?
        );
    }
    let named = match &spec.start_event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    let (r0, r1) = sql.range("t1")?;
    let in_range = |t: &str| match (&r0, &r1) {
        (None, None) => sql.bool(true),
        (Some(a), None) => format!("{t} >= {a}"),
        (None, Some(b)) => format!("{t} < {b}"),
        (Some(a), Some(b)) => format!("{t} >= {a} AND {t} < {b}"),
    };
    let key_of = |us: &str| sql.key(g, &sql.local_of(us));
    // a membership's start event: the first (in time, then file order) of the user's
    // start events (per value), of those of each period in the range (recurring), or the
    // first event named like the start when it is a start event (first ever)
    let first = |part: &str, cond: &str| {
        format!(
            "SELECT u, bv, t, o, row_number() OVER (PARTITION BY u, bv{part} ORDER BY t, o) AS rn FROM src, span WHERE {cond}"
        )
    };
    let members = match spec.cohort {
        CohortKind::FirstTime => format!(
            "SELECT u, bv, t AS s, o AS so FROM ({}) AS f, span WHERE rn = 1 AND {}",
            first("", "keep AND st"),
            in_range("t")
        ),
        CohortKind::FirstEver => format!(
            "SELECT u, bv, t AS s, o AS so FROM ({}) AS f, span WHERE rn = 1 AND ok AND {}",
            first("", "named").replace(" AS rn FROM", " AS rn, keep AND st AS ok FROM"),
            in_range("t")
        ),
        CohortKind::Recurring => format!(
            "SELECT u, bv, t AS s, o AS so FROM ({}) AS f WHERE rn = 1",
            first(
                &format!(", {}", key_of("t")),
                &format!("keep AND st AND {}", in_range("t"))
            )
        ),
    };
    let len = match g {
        Granularity::Hour => HOUR,
        Granularity::Day => DAY,
        Granularity::Week => 7 * DAY,
        Granularity::Month => 30 * DAY,
    };
    let period = match spec.windows {
        Windows::Calendar => sql.int_div(&format!("({} - m.c)", key_of("e.t")), &step.to_string()),
        Windows::Rolling => sql.int_div("(e.t - m.s)", &len.to_string()),
    };
    let k = spec.min_occurrences;
    let on = spec.mode == RetentionMode::On;
    let hits = cols
        .iter()
        .enumerate()
        .map(|(n, &(a, b))| {
            let cond = if on {
                format!("p >= {a} AND p <= {b}")
            } else {
                format!("p >= {a}")
            };
            format!("max(CASE WHEN {cond} THEN 1 ELSE 0 END) AS h{n}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let flags = (0..cols.len())
        .map(|n| format!("coalesce(q.h{n}, 0) AS h{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let any_flags = (0..cols.len())
        .map(|n| format!("max(m.h{n}) AS h{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sums = (0..cols.len())
        .map(|n| format!("sum(h{n}) AS r{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    // the tables: one per breakdown slot (top values, `(other)`, `(none)`), else one
    let (bv, slots, by) = match &spec.breakdown {
        Some(b) => (
            sql.breakdown_value(b)?,
            format!(
                "present AS (SELECT DISTINCT bv FROM members),
ranked AS (
  SELECT bv, row_number() OVER (ORDER BY n DESC, bv) AS rn
  FROM (SELECT bv, count(*) AS n FROM members WHERE bv <> '' GROUP BY bv) AS x
),
{}",
                sql.slots(b.limit)
            ),
            "label AS \"breakdown\",\n  ",
        ),
        None => (
            "''".to_string(),
            format!("slots AS (SELECT '' AS bv, '' AS label, {} AS pos),", i(0)),
            "",
        ),
    };
    let begun = |a: u32| match spec.windows {
        Windows::Calendar => format!(
            "{} >= {a}",
            sql.int_div(&format!("({} - c)", key_of("d.t1")), &step.to_string())
        ),
        Windows::Rolling => format!("s_first + {} <= d.t1", i(a as i64 * len)),
    };
    let ended = |b: u32| match spec.windows {
        Windows::Calendar => format!(
            "{} <= d.t1",
            sql.instant_of(&sql.key_start(g, &format!("(c + {})", (b as i64 + 1) * step)))
        ),
        Windows::Rolling => format!("s_latest + {} <= d.t1", i((b as i64 + 1) * len)),
    };
    let text = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS VARCHAR)"),
        Dialect::ClickHouse => format!("toString({x})"),
    };
    let dbl = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS DOUBLE)"),
        Dialect::ClickHouse => format!("toFloat64({x})"),
    };
    let names: Vec<String> = cols
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    let mut out = vec![
        format!("{by}{} AS \"cohort\"", sql.label(g, &sql.key_start(g, "c"))),
        format!("{} AS \"size\"", text("n_members")),
    ];
    let cell =
        |a: u32, x: String| sql.cell(&format!("CASE WHEN {} THEN {x} ELSE '' END", begun(a)));
    for (n, &(a, _)) in cols.iter().enumerate() {
        out.push(format!(
            "{} AS {}",
            cell(a, text(&format!("r{n}"))),
            sql.ident(&format!("users_{}", names[n]))
        ));
    }
    for (n, &(a, _)) in cols.iter().enumerate() {
        let rate = sql.number(&dbl(&format!("r{n} / n_members")));
        out.push(format!(
            "{} AS {}",
            cell(a, rate),
            sql.ident(&format!("rate_{}", names[n]))
        ));
    }
    for (n, &(a, b)) in cols.iter().enumerate() {
        out.push(format!(
            "{} AS {}",
            cell(
                a,
                format!("CASE WHEN {} THEN 'true' ELSE 'false' END", ended(b))
            ),
            sql.ident(&format!("complete_{}", names[n]))
        ));
    }
    let settings = match sql.dialect {
        Dialect::DuckDb => "",
        Dialect::ClickHouse => "\nSETTINGS join_use_nulls = 1",
    };
    Ok(format!(
        "-- Loupe retention ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {o} AS o, {keep} AS keep, ({start}) AS st, ({ret}) AS rt,
    ({named}) AS named, {bv} AS bv
  FROM {from}
),
span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
ev AS (SELECT u, t, o, bv FROM src WHERE keep AND rt),
members AS (
  SELECT u, bv, s, so, {cohort} AS c FROM ({members}) AS x
),
periods AS (
  SELECT m.u AS u, m.bv AS bv, m.s AS s, {period} AS p, count(*) AS cnt
  FROM members AS m JOIN ev AS e ON e.u = m.u AND e.bv = m.bv
  WHERE e.t > m.s OR (e.t = m.s AND e.o >= m.so)
  GROUP BY m.u, m.bv, m.s, m.c, {period}
),
qualified AS (
  SELECT u, bv, s, {hits}
  FROM periods WHERE cnt >= {k}
  GROUP BY u, bv, s
),
flagged AS (
  SELECT m.u AS u, m.bv AS bv, m.s AS s, m.c AS c, {flags}
  FROM members AS m LEFT JOIN qualified AS q ON q.u = m.u AND q.bv = m.bv AND q.s = m.s
),
{slots}
merged AS (
  SELECT sl.label AS label, sl.pos AS pos, m.u AS u, m.c AS c, min(m.s) AS s_min, max(m.s) AS s_max, {any_flags}
  FROM flagged AS m JOIN slots AS sl ON sl.bv = m.bv
  GROUP BY sl.label, sl.pos, m.u, m.c
),
cohort_rows AS (
  SELECT label, pos, c, count(*) AS n_members, min(s_min) AS s_first, max(s_max) AS s_latest, {sums}
  FROM merged
  GROUP BY label, pos, c
)
SELECT {out}
FROM cohort_rows, span AS d
ORDER BY pos, c{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from = sql.from,
        cohort = key_of("s"),
        o = order.unwrap_or_else(|| sql.int(0)),
        out = out.join(",\n  "),
    ))
}
