//! User stages as SQL: the rows of `loupe run --csv` (`section, interval, to_interval,
//! from_state, state, users`): per interval shown the users new (新增), active (活跃),
//! silent (沉默), churned (流失), returned (回流) and seen, then the transition table
//! between two intervals.
//!
//! As in the engine (`analysis/stages.rs`): users with an event passing the shared
//! filters appear on the day of their first event in the whole data; their active days
//! are the days with an active event (shared filters, `event`, `event_filters`) before
//! the range's end, from the appearance day on; a day is a return when the days since the
//! previous active day (or the appearance) reach `churned_days`. Each interval is
//! evaluated over its days clipped to the shown span, at its last day `e`: new (appeared
//! in it), returned (a return in it), else active, silent or churned by the days from the
//! last active day (or the appearance) to `e`. The transition table counts users by stage
//! at `from` (or not yet seen) and at `to`.
//!
//! `members` lists the users of one transition cell (section `member`) in the order of
//! their first row in the file: it reads the table's file-order column
//! ([`Sql::file_order`]).
//!
//! Not rendered yet (`sql_unsupported`): `created_at` (a creation time read from a
//! property in any format the importer reads) and `breakdown`.

use super::{unsupported, Sql};
use crate::engine::analysis::stages::{check_days, member_cell, StagesSpec, STAGES};
use crate::engine::error::{Error, Result};
use crate::engine::time::Granularity;

/// Renders a stages spec (see the module documentation).
pub fn render(sql: &Sql, spec: &StagesSpec) -> Result<String> {
    // every field named, so that a new one (a breakdown) must be handled here
    let StagesSpec {
        event,
        event_filters,
        interval,
        silent_days,
        churned_days,
        created_at,
        from,
        to,
        members,
        breakdown,
    } = spec;
    if breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "a user's value is the one on their first event with one, and tied first events go by file order",
        ));
    }
    let g = *interval;
    if g == Granularity::Hour {
        return Err(Error::spec(
            "interval",
            "stages count whole days: choose day, week or month",
        )
        .keyed("whole_days_interval", &[]));
    }
    check_days(spec)?;
    if created_at.is_some() {
        return Err(unsupported(
            "created_at",
            "a creation time read from a property (any timestamp format the importer reads)",
        ));
    }
    // the users of a cell, listed in the order of their first row in the file
    let cell = member_cell(&STAGES, members.as_ref())?;
    let order = match cell {
        Some(_) => sql.file_order(
            "members",
            "the users of a cell, listed in the order of their first row in the file",
        )?,
        None => sql.int(0),
    };
    let (kf, kt) = sql.transition_keys(g, from.as_deref(), to.as_deref())?;
    let mut m = match event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    if !event_filters.is_empty() {
        m = format!("{m} AND {}", sql.filter("event_filters", event_filters)?);
    }
    let day = Granularity::Day;
    let day_of = |us: &str| sql.key(day, &sql.local_of(us));
    let iv = sql.intervals(g)?;
    let stage_of = |s: &str| STAGES.iter().position(|x| *x == s).expect("a stage name");
    Ok(format!(
        "-- Loupe stages ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {order} AS o, {keep} AS keep, ({m}) AS m
  FROM {from_table}
),
{intervals}
days_span AS (SELECT {dlo} AS dlo, {dhi} AS dhi FROM cover),
periods AS (
  SELECT k, p, greatest(least(e_raw, dhi), p) AS e
  FROM (SELECT k, greatest({s_day}, dlo) AS p, {e_day} AS e_raw, dhi FROM bounds, days_span) AS b
),
people AS (
  SELECT u, {born} AS b
  FROM (SELECT u, min(t) AS ft, sum(CASE WHEN keep THEN 1 ELSE 0 END) AS kept FROM src GROUP BY u) AS f, days_span
  WHERE kept > 0 AND {born} <= dhi
),
active_days AS (
  SELECT DISTINCT s.u AS u, {day_t} AS d
  FROM src AS s, cover
  WHERE s.keep AND s.m AND s.t < c1
),
marked AS (
  SELECT u, d, d - 1 - coalesce(prev, b) >= {churned} AS ret
  FROM (
    SELECT a.u AS u, a.d AS d, pe.b AS b, {prev} AS prev
    FROM active_days AS a JOIN people AS pe ON pe.u = a.u
    WHERE a.d >= pe.b
  ) AS x
),
grid AS (
  SELECT pe.u AS u, pr.k AS k, pr.p AS p, pr.e AS e, pe.b AS b
  FROM people AS pe CROSS JOIN periods AS pr
  WHERE pe.b <= pr.e
),
last_active AS (
  SELECT gr.u AS u, gr.k AS k, max(ma.d) AS l
  FROM grid AS gr JOIN marked AS ma ON ma.u = gr.u
  WHERE ma.d <= gr.e
  GROUP BY gr.u, gr.k
),
came_back AS (
  SELECT gr.u AS u, gr.k AS k, max(CASE WHEN ma.ret THEN 1 ELSE 0 END) AS hit
  FROM grid AS gr JOIN marked AS ma ON ma.u = gr.u
  WHERE ma.d >= gr.p AND ma.d <= gr.e
  GROUP BY gr.u, gr.k
),
staged AS (
  SELECT u, k, CASE
      WHEN b >= p THEN {new}
      WHEN hit = 1 THEN {returned}
      WHEN e - greatest(coalesce(l, b), b) < {silent} THEN {active}
      WHEN e - greatest(coalesce(l, b), b) < {churned} THEN {silent_s}
      ELSE {churned_s} END AS stage
  FROM (
    SELECT gr.u AS u, gr.k AS k, gr.p AS p, gr.e AS e, gr.b AS b, la.l AS l, coalesce(cb.hit, 0) AS hit
    FROM grid AS gr
    LEFT JOIN last_active AS la ON la.u = gr.u AND la.k = gr.k
    LEFT JOIN came_back AS cb ON cb.u = gr.u AND cb.k = gr.k
  ) AS x
),
{tables}",
        tables = sql.state_tables("stages", &STAGES, kf, kt, cell),
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from_table = sql.from,
        intervals = iv.ctes,
        dlo = day_of("c0"),
        dhi = day_of("(c1 - 1)"),
        s_day = day_of("s_us"),
        e_day = day_of("(e_us - 1)"),
        born = day_of("ft"),
        day_t = day_of("s.t"),
        prev = sql.lag("a.d", "a.u", "a.d"),
        churned = *churned_days as i64,
        silent = *silent_days as i64,
        new = sql.int(stage_of("new") as i64),
        returned = sql.int(stage_of("returned") as i64),
        active = sql.int(stage_of("active") as i64),
        silent_s = sql.int(stage_of("silent") as i64),
        churned_s = sql.int(stage_of("churned") as i64),
    ))
}
