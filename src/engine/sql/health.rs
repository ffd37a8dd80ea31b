//! User health as SQL: the rows of `loupe run --csv` (`section, interval, to_interval,
//! from_state, state, users`): per interval shown the users in each tier (core, active,
//! casual, at risk, dormant) and seen, then the transition table between two intervals.
//!
//! As in the engine (`analysis/health.rs`): users with an event passing the shared
//! filters appear on the day of their first event; each interval is evaluated on its last
//! day `e` (at most the shown span's last day); recency is the days since the last active
//! day on or before `e` (active events: shared filters, `event`, `event_filters`, before
//! the range's end), frequency the active days (or events) and value the net purchase
//! amount in the `window_days` days ending on `e`; a user's tier is the first of core,
//! active, casual and at risk whose rule holds, else dormant. `members` lists the users of
//! one transition cell in the order of their first row in the file (the table's
//! file-order column, [`Sql::file_order`]). Not rendered yet (`sql_unsupported`):
//! `breakdown`.

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::health::{check, Frequency, HealthSpec, Value, TIERS};
use crate::engine::analysis::stages::member_cell;
use crate::engine::error::Result;
use crate::engine::spec::FilterGroup;
use crate::engine::time::Granularity;

/// Renders a health spec (see the module documentation).
pub fn render(sql: &Sql, spec: &HealthSpec) -> Result<String> {
    // every field named, so that a new one (a breakdown) must be handled here
    let HealthSpec {
        event,
        event_filters,
        interval,
        window_days,
        frequency,
        value,
        tiers,
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
    check(spec)?;
    // the users of a cell, listed in the order of their first row in the file
    let cell = member_cell(&TIERS, members.as_ref())?;
    let order = match cell {
        Some(_) => sql.file_order(
            "members",
            "the users of a cell, listed in the order of their first row in the file",
        )?,
        None => sql.int(0),
    };
    let g = *interval;
    let (kf, kt) = sql.transition_keys(g, from.as_deref(), to.as_deref())?;
    let mut m = match event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    if !event_filters.is_empty() {
        m = format!("{m} AND {}", sql.filter("event_filters", event_filters)?);
    }
    let (purchase, money) = match value {
        Some(Value {
            purchase_event,
            amount,
        }) => (
            sql.purchase_cols(purchase_event, "value", &FilterGroup::default(), amount)?,
            "SELECT s.u AS u, {day_t} AS d, sum(s.amt) AS v FROM src AS s, cover WHERE s.keep AND s.p AND s.t < c1 GROUP BY s.u, {day_t}",
        ),
        None => (
            format!("{} AS p, 0 AS amt", sql.bool(false)),
            "SELECT s.u AS u, s.t AS d, s.amt AS v FROM src AS s WHERE s.p",
        ),
    };
    let day = Granularity::Day;
    let day_of = |us: &str| sql.key(day, &sql.local_of(us));
    let money = money.replace("{day_t}", &day_of("s.t"));
    let iv = sql.intervals(g)?;
    let count = match frequency {
        Frequency::ActiveDays => "1",
        Frequency::Events => "count(*)",
    };
    let w = *window_days as i64;
    let double = |x: f64| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x:?} AS DOUBLE)"),
        Dialect::ClickHouse => format!("toFloat64({x:?})"),
    };
    let mut cases = String::new();
    for (k, (_, rule)) in tiers.rules().iter().enumerate() {
        let mut cond = format!(
            "l IS NOT NULL AND e - l <= {} AND freq >= {}",
            rule.max_recency_days, rule.min_frequency
        );
        if rule.min_value > 0.0 {
            cond = format!("{cond} AND val >= {}", double(rule.min_value));
        }
        cases += &format!(" WHEN {cond} THEN {}", sql.int(k as i64));
    }
    Ok(format!(
        "-- Loupe health ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {order} AS o, {keep} AS keep, ({m}) AS m, {purchase}
  FROM {from_table}
),
{intervals}
days_span AS (SELECT {dhi} AS dhi FROM cover),
evals AS (
  SELECT k, greatest(least({e_day}, dhi), {s_day}) AS e FROM bounds, days_span
),
people AS (
  SELECT u, {born} AS b
  FROM (SELECT u, min(t) AS ft, sum(CASE WHEN keep THEN 1 ELSE 0 END) AS kept FROM src GROUP BY u) AS f, days_span
  WHERE kept > 0 AND {born} <= dhi
),
active_days AS (
  SELECT s.u AS u, {day_t} AS d, {count} AS f
  FROM src AS s, cover
  WHERE s.keep AND s.m AND s.t < c1
  GROUP BY s.u, {day_t}
),
money AS ({money}),
grid AS (
  SELECT pe.u AS u, ev.k AS k, ev.e AS e
  FROM people AS pe CROSS JOIN evals AS ev
  WHERE pe.b <= ev.e
),
activity AS (
  SELECT gr.u AS u, gr.k AS k, max(ad.d) AS l,
    sum(CASE WHEN ad.d > gr.e - {w} THEN ad.f ELSE 0 END) AS freq
  FROM grid AS gr JOIN active_days AS ad ON ad.u = gr.u
  WHERE ad.d <= gr.e
  GROUP BY gr.u, gr.k
),
worth AS (
  SELECT gr.u AS u, gr.k AS k, sum(mo.v) AS val
  FROM grid AS gr JOIN money AS mo ON mo.u = gr.u
  WHERE mo.d <= gr.e AND mo.d > gr.e - {w}
  GROUP BY gr.u, gr.k
),
staged AS (
  SELECT u, k, CASE{cases} ELSE {dormant} END AS stage
  FROM (
    SELECT gr.u AS u, gr.k AS k, gr.e AS e, ac.l AS l, coalesce(ac.freq, 0) AS freq,
      coalesce(wo.val, 0) AS val
    FROM grid AS gr
    LEFT JOIN activity AS ac ON ac.u = gr.u AND ac.k = gr.k
    LEFT JOIN worth AS wo ON wo.u = gr.u AND wo.k = gr.k
  ) AS x
),
{tables}",
        tables = sql.state_tables("tiers", &TIERS, kf, kt, cell),
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from_table = sql.from,
        intervals = iv.ctes,
        dhi = day_of("(c1 - 1)"),
        s_day = day_of("s_us"),
        e_day = day_of("(e_us - 1)"),
        born = day_of("ft"),
        day_t = day_of("s.t"),
        dormant = sql.int(TIERS.len() as i64 - 1),
    ))
}
