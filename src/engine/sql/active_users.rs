//! Active users as SQL: the rows of `loupe run --csv` (`day, dau, wau, mau, dau_mau,
//! dau_wau, wau_partial, mau_partial`), one per day the date range touches.
//!
//! As in the engine (`analysis/active_users.rs`): a user is active on a local day with an
//! event passing the shared filters and matching one of `events` (any event when empty);
//! the rolling windows read the data before the first day shown; a window beginning
//! before the day of the data's first event is partial. Each active day covers itself and
//! the `mau_days − 1` days after it, so WAU and MAU are distinct users over the covers.

use super::{Dialect, Sql};
use crate::engine::analysis::active_users::ActiveUsersSpec;
use crate::engine::error::{Error, Result};
use crate::engine::time::Granularity;

/// Days of the WAU window.
const WEEK_DAYS: i64 = 7;

/// Renders an active users spec (see the module documentation).
pub fn render(sql: &Sql, spec: &ActiveUsersSpec) -> Result<String> {
    if spec.mau_days != 28 && spec.mau_days != 30 {
        return Err(Error::spec(
            "mau_days",
            format!("the MAU window is 30 or 28 days, got {}", spec.mau_days),
        )
        .keyed("mau_days", &[("got", &spec.mau_days)]));
    }
    let m = spec.mau_days as i64;
    let day = Granularity::Day;
    let i = |v: i64| sql.int(v);
    let active = if spec.events.is_empty() {
        sql.bool(true)
    } else {
        let parts = spec
            .events
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let name = format!("{} = {}", sql.ident("event"), sql.lit(&e.event));
                Ok(if e.filters.is_empty() {
                    format!("({name})")
                } else {
                    format!(
                        "({name} AND {})",
                        sql.filter(&format!("events[{k}].filters"), &e.filters)?
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        parts.join(" OR ")
    };
    let (r0, r1) = sql.range("t1")?;
    let lo = r0.unwrap_or_else(|| "t0".into());
    let hi = r1.map_or_else(|| "t1".into(), |r| format!("({r} - 1)"));
    let day_of = |us: &str| sql.key(day, &sql.local_of(us));
    let covers = match sql.dialect {
        Dialect::DuckDb => format!("unnest(generate_series({}, {}, {}))", i(0), i(m - 1), i(1)),
        Dialect::ClickHouse => format!("arrayJoin(range({}, {}, {}))", i(0), i(m), i(1)),
    };
    let days = match sql.dialect {
        Dialect::DuckDb => "unnest(generate_series(d0, d1, 1))".to_string(),
        Dialect::ClickHouse => "arrayJoin(range(d0, d1 + 1, 1))".to_string(),
    };
    let ratio =
        |a: &str, b: &str| sql.number(&format!("CASE WHEN {b} = 0 THEN NULL ELSE {a} / {b} END"));
    let count = |c: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST(coalesce({c}, 0) AS VARCHAR)"),
        Dialect::ClickHouse => format!("toString(coalesce({c}, 0))"),
    };
    let flag = |cond: String| format!("CASE WHEN {cond} THEN 'true' ELSE 'false' END");
    let settings = match sql.dialect {
        Dialect::DuckDb => "",
        Dialect::ClickHouse => "\nSETTINGS join_use_nulls = 1",
    };
    Ok(format!(
        "-- Loupe active users ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, ({active}) AS act
  FROM {from}
),
span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
shown AS (SELECT {d0} AS d0, {d1} AS d1, {df} AS df FROM span),
active_days AS (
  SELECT DISTINCT u, {day_t} AS d
  FROM src, shown
  WHERE keep AND act AND {day_t} >= d0 - {back} AND {day_t} <= d1
),
covered AS (SELECT u, d + o AS d, o FROM (SELECT u, d, {covers} AS o FROM active_days)),
counts AS (
  SELECT d,
    count(DISTINCT CASE WHEN o = 0 THEN u END) AS dau,
    count(DISTINCT CASE WHEN o < {week} THEN u END) AS wau,
    count(DISTINCT u) AS mau
  FROM covered GROUP BY d
),
days AS (SELECT {days} AS d, df FROM shown)
SELECT {label} AS \"day\", {dau} AS \"dau\", {wau} AS \"wau\", {mau} AS \"mau\",
  {dau_mau} AS \"dau_mau\", {dau_wau} AS \"dau_wau\",
  {wau_partial} AS \"wau_partial\", {mau_partial} AS \"mau_partial\"
FROM days LEFT JOIN counts AS c ON c.d = days.d
ORDER BY days.d{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        from = sql.from,
        d0 = day_of(&lo),
        d1 = day_of(&hi),
        df = day_of("t0"),
        day_t = day_of("t"),
        back = m - 1,
        week = WEEK_DAYS,
        label = sql.label(day, &sql.key_start(day, "days.d")),
        dau = count("c.dau"),
        wau = count("c.wau"),
        mau = count("c.mau"),
        dau_mau = ratio("coalesce(c.dau, 0)", "coalesce(c.mau, 0)"),
        dau_wau = ratio("coalesce(c.dau, 0)", "coalesce(c.wau, 0)"),
        wau_partial = flag(format!("days.d - {} < df", WEEK_DAYS - 1)),
        mau_partial = flag(format!("days.d - {} < df", m - 1)),
    ))
}
