//! Sessions and web metrics as SQL: the rows of `loupe run --csv` for every view: the
//! pages (`page, views, viewers, entries, exits, bounces, bounce_rate, exit_rate,
//! average_time_on_page_seconds`, the top `limit` pages by views, ties by name, then the
//! `(total)` row), over time (`interval, complete, page_views, users, sessions,
//! pages_per_session, bounce_rate, average_session_seconds`, one row per interval) and
//! with a breakdown (`breakdown, page_views, users, sessions, sessions_without_page_views,
//! bounces, pages_per_session, bounce_rate, average_session_seconds,
//! average_time_on_page_seconds`, one row per ranked value).
//!
//! As in the engine (`analysis/sessions.rs`): events in scope lie in the date range and
//! pass the shared filters; a page view is one of `page_events` (any event when empty)
//! with a `page` value. A user's events in scope, in time order then file order, form one
//! session while consecutive events are less than `timeout_minutes` apart; with `session`,
//! the events with one value of that property form one (events without a value take part
//! in none). Sessions with a page view count; entry and exit pages are the first and last
//! page views, a page view's time on page runs to the next page view of its session, a
//! session's duration from its first to its last event, it bounces with one page view,
//! and it counts in the interval and under the breakdown value of its first event (values
//! ranked by their sessions with page views, then `(other)` and `(none)`). Which of the
//! page views or events at one instant comes first is the file's order, so the pages and
//! the breakdown need the file-order column (`--order-col`, else `sql_needs_order`); the
//! numbers over time do not depend on it.

use super::{Dialect, Sql};
use crate::engine::analysis::sessions::{check_timeout, SessionsSpec, SessionsView};
use crate::engine::error::Result;

/// Renders a sessions spec (see the module documentation).
pub fn render(sql: &Sql, spec: &SessionsSpec) -> Result<String> {
    // every field named, so that a new one must be handled here
    let SessionsSpec {
        page_events,
        page,
        session,
        timeout_minutes,
        interval,
        limit,
        view,
        breakdown,
    } = spec;
    check_timeout("timeout_minutes", *timeout_minutes)?;
    // the numbers over time count page views by their own time and sessions by the time
    // of their first event, whatever the order of tied events
    let order = if breakdown.is_none() && *view == SessionsView::OverTime {
        sql.int(0)
    } else {
        sql.file_order(
            "analysis",
            "which page view or event of a session comes first",
        )?
    };
    let g = *interval;
    let iv = sql.intervals(g)?;
    let is_page_event = if page_events.is_empty() {
        sql.bool(true)
    } else {
        let names: Vec<String> = page_events.iter().map(|e| sql.lit(e)).collect();
        format!("{} IN ({})", sql.ident("event"), names.join(", "))
    };
    let bv = match breakdown {
        Some(b) => sql.breakdown_value(b)?,
        None => "''".to_string(),
    };
    let (sid, sessions_ctes) = match session {
        Some(name) => (
            sql.text(name),
            format!(
                "ev AS (SELECT u, t, o, pg, bv, sid AS s FROM src, span WHERE keep AND ({in_range}) AND sid IS NOT NULL),",
                in_range = iv.in_range
            ),
        ),
        // a new session at each gap of the timeout; events at one instant (no gap) share
        // the session number of their instant, in whatever order they come
        None => (
            "NULL".to_string(),
            format!(
                "ev0 AS (SELECT u, t, o, pg, bv, {prev} AS prev FROM src, span WHERE keep AND ({in_range})),
ev AS (
  SELECT u, t, o, pg, bv,
    sum(CASE WHEN prev IS NULL OR t - prev >= {timeout} THEN 1 ELSE 0 END) OVER (PARTITION BY u ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s
  FROM ev0
),",
                prev = sql.lag("t", "u", "t, o"),
                in_range = iv.in_range,
                timeout = *timeout_minutes as i64 * 60 * 1_000_000,
            ),
        ),
    };
    let dbl = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS DOUBLE)"),
        Dialect::ClickHouse => format!("toFloat64({x})"),
    };
    // microseconds as seconds, as the engine divides them (before the mean)
    let secs = |x: &str| format!("({} / {})", dbl(x), dbl("1000000"));
    let rate = |a: &str, b: &str| sql.number(&sql.ratio(a, b));
    let text = |x: &str| sql.to_text(x);
    let tail = match (breakdown, view) {
        (Some(b), _) => format!(
            "vals AS (SELECT sbv AS bv, sum(CASE WHEN views > 0 THEN 1 ELSE 0 END) AS ns FROM ss GROUP BY sbv),
present AS (SELECT bv FROM vals),
ranked AS (SELECT bv, row_number() OVER (ORDER BY ns DESC, bv) AS rn FROM vals WHERE bv <> ''),
{slots}
brows AS (
  SELECT sl.label AS label, sl.pos AS pos, sum(ss.views) AS n_pv,
    count(DISTINCT CASE WHEN ss.views > 0 THEN ss.u END) AS n_users,
    sum(CASE WHEN ss.views > 0 THEN 1 ELSE 0 END) AS n_sessions,
    sum(CASE WHEN ss.views = 0 THEN 1 ELSE 0 END) AS n_nopv,
    sum(CASE WHEN ss.views = 1 THEN 1 ELSE 0 END) AS n_bounces,
    sum(CASE WHEN ss.views > 0 THEN ss.t_last - ss.t_first ELSE 0 END) AS dur,
    sum(ss.tsum) AS tsum, sum(ss.timed) AS timed
  FROM ss JOIN slots AS sl ON sl.bv = ss.sbv
  GROUP BY sl.label, sl.pos
)
SELECT label AS \"breakdown\", {pv} AS \"page_views\", {users} AS \"users\",
  {sessions} AS \"sessions\", {nopv} AS \"sessions_without_page_views\",
  {bounces} AS \"bounces\", {pps} AS \"pages_per_session\", {br} AS \"bounce_rate\",
  {avg_s} AS \"average_session_seconds\", {avg_t} AS \"average_time_on_page_seconds\"
FROM brows
ORDER BY pos{settings}",
            slots = sql.slots(b.limit),
            pv = text("n_pv"),
            users = text("n_users"),
            sessions = text("n_sessions"),
            nopv = text("n_nopv"),
            bounces = text("n_bounces"),
            pps = rate("n_pv", "n_sessions"),
            br = rate("n_bounces", "n_sessions"),
            avg_s = rate(&secs("dur"), "n_sessions"),
            avg_t = rate(&secs("tsum"), "timed"),
            settings = sql.settings(),
        ),
        (None, SessionsView::Pages) => format!(
            "pstats AS (
  SELECT pg, count(*) AS n_views, count(DISTINCT u) AS n_viewers,
    sum(CASE WHEN nt IS NULL THEN 0 ELSE nt - t END) AS tsum, count(nt) AS timed
  FROM pvs GROUP BY pg
),
ent AS (
  SELECT entry AS pg, count(*) AS n_entries, sum(CASE WHEN views = 1 THEN 1 ELSE 0 END) AS n_bounces
  FROM sp GROUP BY entry
),
exi AS (SELECT exit_pg AS pg, count(*) AS n_exits FROM sp GROUP BY exit_pg),
prows AS (
  SELECT ps.pg AS pg, ps.n_views AS n_views, ps.n_viewers AS n_viewers,
    coalesce(en.n_entries, 0) AS n_entries, coalesce(ex.n_exits, 0) AS n_exits,
    coalesce(en.n_bounces, 0) AS n_bounces, ps.tsum AS tsum, ps.timed AS timed,
    {pos} AS pos
  FROM pstats AS ps
  LEFT JOIN ent AS en ON en.pg = ps.pg
  LEFT JOIN exi AS ex ON ex.pg = ps.pg
),
ptot AS (
  SELECT count(*) AS n_views, count(DISTINCT u) AS n_viewers,
    coalesce(sum(CASE WHEN nt IS NULL THEN 0 ELSE nt - t END), 0) AS tsum, count(nt) AS timed
  FROM pvs
),
stot AS (
  SELECT count(*) AS n_sessions, coalesce(sum(CASE WHEN views = 1 THEN 1 ELSE 0 END), 0) AS n_bounces
  FROM sp
),
out_rows AS (
  SELECT {i0} AS sec, pos, pg AS page, n_views, n_viewers, n_entries, n_exits, n_bounces,
    {p_br} AS br, {p_er} AS er, {p_avg} AS avg_t
  FROM prows WHERE {kept}
  UNION ALL
  SELECT {i1} AS sec, {i0} AS pos, '(total)' AS page, ptot.n_views AS n_views,
    ptot.n_viewers AS n_viewers, stot.n_sessions AS n_entries, stot.n_sessions AS n_exits,
    stot.n_bounces AS n_bounces, {t_br} AS br, {t_er} AS er, {t_avg} AS avg_t
  FROM ptot, stot
)
SELECT page AS \"page\", {views} AS \"views\", {viewers} AS \"viewers\",
  {entries} AS \"entries\", {exits} AS \"exits\", {bounces} AS \"bounces\",
  br AS \"bounce_rate\", er AS \"exit_rate\", avg_t AS \"average_time_on_page_seconds\"
FROM out_rows
ORDER BY sec, pos{settings}",
            pos = match sql.dialect {
                Dialect::DuckDb => "row_number() OVER (ORDER BY ps.n_views DESC, ps.pg)",
                Dialect::ClickHouse => "toInt64(row_number() OVER (ORDER BY ps.n_views DESC, ps.pg))",
            },
            i0 = sql.int(0),
            i1 = sql.int(1),
            kept = if *limit == 0 {
                sql.bool(true)
            } else {
                format!("pos <= {limit}")
            },
            p_br = rate("n_bounces", "n_entries"),
            p_er = rate("n_exits", "n_views"),
            p_avg = rate(&secs("tsum"), "timed"),
            t_br = rate("stot.n_bounces", "stot.n_sessions"),
            t_er = rate("stot.n_sessions", "ptot.n_views"),
            t_avg = rate(&secs("ptot.tsum"), "ptot.timed"),
            views = text("n_views"),
            viewers = text("n_viewers"),
            entries = text("n_entries"),
            exits = text("n_exits"),
            bounces = text("n_bounces"),
            settings = sql.settings(),
        ),
        (None, SessionsView::OverTime) => format!(
            "pvt AS (
  SELECT k, count(*) AS n_pv, count(DISTINCT u) AS n_uv
  FROM (SELECT {pv_key} AS k, u FROM pvs) AS x GROUP BY k
),
st AS (
  SELECT k, count(*) AS n_sessions, sum(views) AS n_spv,
    sum(CASE WHEN views = 1 THEN 1 ELSE 0 END) AS n_bounces, sum(t_last - t_first) AS dur
  FROM (SELECT {s_key} AS k, views, t_first, t_last FROM ss WHERE views > 0) AS x GROUP BY k
)
SELECT iv.ilabel AS \"interval\", iv.icomplete AS \"complete\", {pv} AS \"page_views\",
  {uv} AS \"users\", {sessions} AS \"sessions\", {pps} AS \"pages_per_session\",
  {br} AS \"bounce_rate\", {avg_s} AS \"average_session_seconds\"
FROM intervals AS iv
LEFT JOIN pvt ON pvt.k = iv.k
LEFT JOIN st ON st.k = iv.k
ORDER BY iv.k{settings}",
            pv_key = sql.key(g, &sql.local_of("t")),
            s_key = sql.key(g, &sql.local_of("t_first")),
            pv = text("coalesce(pvt.n_pv, 0)"),
            uv = text("coalesce(pvt.n_uv, 0)"),
            sessions = text("coalesce(st.n_sessions, 0)"),
            pps = rate("st.n_spv", "coalesce(st.n_sessions, 0)"),
            br = rate("st.n_bounces", "coalesce(st.n_sessions, 0)"),
            avg_s = rate(&secs("st.dur"), "coalesce(st.n_sessions, 0)"),
            settings = sql.settings(),
        ),
    };
    let by_session = "u, s ORDER BY t, o";
    Ok(format!(
        "-- Loupe sessions ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {order} AS o,
    CASE WHEN {is_page_event} THEN {page_text} END AS pg, {bv} AS bv, {sid} AS sid
  FROM {from}
),
{intervals}
{sessions_ctes}
seq AS (SELECT u, s, t, bv, row_number() OVER (PARTITION BY {by_session}) AS rn FROM ev),
sess AS (
  SELECT u, s, min(t) AS t_first, max(t) AS t_last, max(CASE WHEN rn = 1 THEN bv END) AS sbv
  FROM seq GROUP BY u, s
),
pvs AS (
  SELECT u, s, t, pg, row_number() OVER (PARTITION BY {by_session}) AS j,
    count(*) OVER (PARTITION BY u, s) AS n_in, {next} AS nt
  FROM ev WHERE pg IS NOT NULL
),
sp AS (
  SELECT u, s, count(*) AS views, max(CASE WHEN j = 1 THEN pg END) AS entry,
    max(CASE WHEN j = n_in THEN pg END) AS exit_pg,
    sum(CASE WHEN nt IS NULL THEN 0 ELSE nt - t END) AS tsum, count(nt) AS timed
  FROM pvs GROUP BY u, s
),
ss AS (
  SELECT se.u AS u, se.t_first AS t_first, se.t_last AS t_last, se.sbv AS sbv,
    coalesce(sp.views, 0) AS views, coalesce(sp.tsum, 0) AS tsum, coalesce(sp.timed, 0) AS timed
  FROM sess AS se LEFT JOIN sp ON sp.u = se.u AND sp.s = se.s
),
{tail}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        page_text = sql.text(page),
        from = sql.from,
        intervals = iv.ctes,
        next = sql.lead_in("t", "u, s", "t, o"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::engine::analysis::Query;
    use crate::engine::sql::{render, Dialect, Table};

    #[test]
    fn only_pages_and_breakdowns_need_the_file_order() {
        let sql = |json: &str| {
            render(
                &Query::from_json(json).unwrap(),
                Dialect::DuckDb,
                Table::new("events"),
            )
        };
        assert!(sql(r#"{"analysis":"sessions","view":"over_time"}"#).is_ok());
        for json in [
            r#"{"analysis":"sessions"}"#,
            r#"{"analysis":"sessions","view":"over_time","breakdown":"country"}"#,
        ] {
            let e = sql(json).unwrap_err();
            assert!(e.to_string().contains("--order-col"), "{json}: {e}");
        }
    }
}
