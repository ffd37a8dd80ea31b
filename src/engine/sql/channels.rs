//! Channels as SQL: the rows of `loupe run --csv` (`channel, new_users`, with activation
//! `activation_eligible, activated, activation_rate`, per retention day N `dN_eligible,
//! dN_retained, dN_retention`, then `paying_users, paying_rate, revenue, arpu,
//! ltvN_eligible, ltvN_revenue, ltvN, cost, roi, cac`), one per channel (most new users
//! first, ties by name), `(other)`, `(none)`, then the `total` row.
//!
//! As in the engine (`analysis/channels.rs`): a user is acquired when their first event
//! (in time, then file order) lies in the date range and passes the shared filters; their
//! channel is the value of `channel` on their first (`first_touch`) or last
//! (`last_touch`) event that has one, over the whole data. Over the user's events passing
//! the shared filters: activation = the `activation` events matched in order (each on a
//! later event, the last at most `activation_days` × 24 h after the first activity);
//! retained on day N = an event on calendar day N after the first activity's day; paying
//! = a purchase that is not a refund; revenue = the net amount; LTV = the net amount at
//! ages 0..=`ltv_days` days. Windowed measures count the users whose window has ended by
//! the data's last event. Costs are summed per row's channels; ROI = (revenue − cost) ÷
//! cost, CAC = cost ÷ new users. Which of the tied events comes first is the file's order,
//! so the query needs the file-order column (`--order-col`, else `sql_needs_order`).
//! Money is rounded to 9 decimals as the engine's table writes it.

use super::{Dialect, Sql};
use crate::engine::analysis::channels::{check, Attribution, ChannelsSpec};
use crate::engine::analysis::revenue::check_costs;
use crate::engine::error::Result;
use crate::engine::spec::FilterGroup;
use crate::engine::time::{Granularity, DAY};

/// Renders a channels spec (see the module documentation).
pub fn render(sql: &Sql, spec: &ChannelsSpec) -> Result<String> {
    // every field named, so that a new one must be handled here
    let ChannelsSpec {
        channel,
        attribution,
        activation,
        activation_days,
        retention_days,
        purchase_event,
        amount: amount_property,
        ltv_days,
        costs,
        limit,
    } = spec;
    check(spec)?;
    check_costs(costs)?;
    let order = sql.file_order(
        "analysis",
        "a user's first event and their first- or last-touch channel among tied events",
    )?;
    let day = Granularity::Day;
    let iv = sql.intervals(day)?;
    let dbl = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS DOUBLE)"),
        Dialect::ClickHouse => format!("toFloat64({x})"),
    };
    let touch_order = match attribution {
        Attribution::FirstTouch => "t, o",
        Attribution::LastTouch => "t DESC, o DESC",
    };
    // activation: step k on the first event after step k − 1's that matches it, in time
    let mut act_ctes = String::new();
    for (k, e) in activation.iter().enumerate() {
        let after = if k == 0 {
            String::new()
        } else {
            format!(" JOIN act{} AS pr ON pr.u = e.u", k - 1)
        };
        let later = if k == 0 { "" } else { " AND e.rn > pr.p" };
        act_ctes += &format!(
            "act{k} AS (
  SELECT e.u AS u, min(e.rn) AS p FROM uev AS e{after}
  WHERE e.ev_name = {name} AND e.t <= e.deadline{later} GROUP BY e.u
),\n",
            name = sql.lit(e),
        );
    }
    let ended = |n: u32| {
        format!(
            "CASE WHEN {} <= t1 THEN 1 ELSE 0 END",
            sql.instant_of(&sql.key_start(day, &format!("(a.born + {})", n as i64 + 1)))
        )
    };
    let mut per_user = vec![
        format!(
            "CASE WHEN a.deadline <= t1 THEN 1 ELSE 0 END AS act_ok, {} AS act_done",
            if activation.is_empty() {
                "0".to_string()
            } else {
                format!(
                    "CASE WHEN act{}.u IS NULL THEN 0 ELSE 1 END",
                    activation.len() - 1
                )
            }
        ),
        format!("{} AS ltv_ok", ended(*ltv_days)),
    ];
    let mut measures = Vec::new();
    for (d, &n) in retention_days.iter().enumerate() {
        per_user.push(format!("{} AS ok{d}", ended(n)));
        measures.push(format!(
            "max(CASE WHEN age = {n} THEN 1 ELSE 0 END) AS on{d}"
        ));
    }
    let act_join = if activation.is_empty() {
        String::new()
    } else {
        let last = activation.len() - 1;
        format!(" LEFT JOIN act{last} ON act{last}.u = a.u")
    };
    // the sums of a group of users (a row), and their cells
    let mut sums = vec![
        "count(*) AS n_new".to_string(),
        "sum(act_ok) AS a_ok".to_string(),
        "sum(act_ok * act_done) AS a_n".to_string(),
    ];
    for d in 0..retention_days.len() {
        sums.push(format!("sum(ok{d}) AS e{d}, sum(ok{d} * on{d}) AS r{d}"));
    }
    sums.extend([
        "sum(pays) AS n_paying".to_string(),
        "sum(revenue) AS rev".to_string(),
        "sum(ltv_ok) AS l_ok".to_string(),
        format!(
            "sum(CASE WHEN ltv_ok = 1 THEN ltv ELSE {} END) AS l_rev",
            dbl("0")
        ),
    ]);
    let rate = |a: &str, b: &str| sql.number(&sql.ratio(a, b));
    let text = |x: &str| sql.to_text(x);
    let mut cells = vec![
        ("channel".to_string(), "label".to_string()),
        ("new_users".to_string(), text("n_new")),
    ];
    if !activation.is_empty() {
        cells.push(("activation_eligible".into(), text("a_ok")));
        cells.push(("activated".into(), text("a_n")));
        cells.push(("activation_rate".into(), rate("a_n", "a_ok")));
    }
    for (d, n) in retention_days.iter().enumerate() {
        cells.push((format!("d{n}_eligible"), text(&format!("e{d}"))));
        cells.push((format!("d{n}_retained"), text(&format!("r{d}"))));
        cells.push((
            format!("d{n}_retention"),
            rate(&format!("r{d}"), &format!("e{d}")),
        ));
    }
    let n = ltv_days;
    cells.extend([
        ("paying_users".to_string(), text("n_paying")),
        ("paying_rate".to_string(), rate("n_paying", "n_new")),
        ("revenue".to_string(), sql.amount("rev")),
        ("arpu".to_string(), sql.amount(&sql.ratio("rev", "n_new"))),
        (format!("ltv{n}_eligible"), text("l_ok")),
        (format!("ltv{n}_revenue"), sql.amount("l_rev")),
        (format!("ltv{n}"), sql.amount(&sql.ratio("l_rev", "l_ok"))),
    ]);
    // without costs the three cells are empty (ClickHouse would format a NULL constant
    // through every branch of the number's text)
    let money_cells = if costs.is_empty() {
        ["NULL".to_string(), "NULL".to_string(), "NULL".to_string()]
    } else {
        [
            sql.amount("c_cost"),
            sql.number("(CASE WHEN c_cost > 0 THEN (rev - c_cost) / c_cost END)"),
            sql.amount(&sql.ratio("c_cost", "n_new")),
        ]
    };
    cells.extend(
        ["cost", "roi", "cac"]
            .map(String::from)
            .into_iter()
            .zip(money_cells),
    );
    let select_cells = cells
        .iter()
        .map(|(name, x)| format!("{x} AS \"{name}\""))
        .collect::<Vec<_>>()
        .join(",\n  ");
    let null_cost = match sql.dialect {
        Dialect::DuckDb => "CAST(NULL AS DOUBLE)",
        Dialect::ClickHouse => "CAST(NULL AS Nullable(Float64))",
    };
    let (costs_cte, slot_costs_cte, present, slot_cost, cost_join, total_cost) = if costs.is_empty()
    {
        (
            String::new(),
            String::new(),
            "SELECT bv FROM vals".to_string(),
            null_cost.to_string(),
            String::new(),
            null_cost.to_string(),
        )
    } else {
        let rows = costs
            .iter()
            .map(|c| {
                format!(
                    "SELECT {} AS ch, {} AS cost",
                    sql.lit(&c.channel),
                    dbl(&format!("{:?}", c.cost))
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let total: f64 = costs.iter().map(|x| x.cost).sum();
        (
            format!("costs AS ({rows}),\n"),
            "slot_costs AS (
  SELECT sl.label AS label, sum(c.cost) AS cost
  FROM slots AS sl JOIN costs AS c ON c.ch = sl.bv
  GROUP BY sl.label
),\n"
                .to_string(),
            "SELECT bv FROM vals UNION ALL SELECT ch AS bv FROM costs WHERE ch NOT IN (SELECT bv FROM vals)"
                .to_string(),
            "sc.cost".to_string(),
            "\n  LEFT JOIN slot_costs AS sc ON sc.label = sl.label".to_string(),
            dbl(&format!("{total:?}")),
        )
    };
    let pos = match sql.dialect {
        Dialect::DuckDb => "sl.pos",
        Dialect::ClickHouse => "toInt64(sl.pos)",
    };
    Ok(format!(
        "-- Loupe channels ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {order} AS o, {purchase},
    {event} AS ev_name, {ch} AS ch
  FROM {from}
),
{intervals}
ord AS (SELECT u, t, o, keep, p, amt, ev_name, row_number() OVER (PARTITION BY u ORDER BY t, o) AS rn FROM src),
firsts AS (SELECT u, t, keep FROM ord WHERE rn = 1),
acq AS (
  SELECT u, t AS start, {born} AS born, t + {window} AS deadline
  FROM firsts, span WHERE keep AND ({in_range})
),
touch AS (
  SELECT u, ch FROM (
    SELECT u, ch, row_number() OVER (PARTITION BY u ORDER BY {touch_order}) AS k FROM src WHERE ch IS NOT NULL
  ) AS x WHERE k = 1
),
uev AS (
  SELECT e.u AS u, e.rn AS rn, e.t AS t, e.ev_name AS ev_name, e.p AS p, e.amt AS amt,
    greatest({age_key} - a.born, 0) AS age, a.deadline AS deadline
  FROM ord AS e JOIN acq AS a ON a.u = e.u
  WHERE e.keep
),
{act_ctes}measures AS (
  SELECT u, {measures}
    max(CASE WHEN p AND amt >= 0 THEN 1 ELSE 0 END) AS pays,
    sum(CASE WHEN p THEN amt ELSE {zero} END) AS revenue,
    sum(CASE WHEN p AND age <= {ltv_days} THEN amt ELSE {zero} END) AS ltv
  FROM uev GROUP BY u
),
users_out AS (
  SELECT a.u AS u, coalesce(tc.ch, '') AS bv, {per_user},
    m.pays AS pays, m.revenue AS revenue, m.ltv AS ltv{on_cols}
  FROM acq AS a CROSS JOIN span
  JOIN measures AS m ON m.u = a.u
  LEFT JOIN touch AS tc ON tc.u = a.u{act_join}
),
{costs_cte}vals AS (SELECT bv, count(*) AS n FROM users_out GROUP BY bv),
present AS ({present}),
ranked AS (
  SELECT p.bv AS bv, row_number() OVER (ORDER BY coalesce(v.n, 0) DESC, p.bv) AS rn
  FROM present AS p LEFT JOIN vals AS v ON v.bv = p.bv WHERE p.bv <> ''
),
{slots}
slot_rows AS (
  SELECT sl.label AS label, sl.pos AS pos, {slot_sums}
  FROM slots AS sl JOIN users_out ON users_out.bv = sl.bv
  GROUP BY sl.label, sl.pos
),
{slot_costs_cte}grid AS (
  SELECT {i0} AS sec, {pos} AS pos, sl.label AS label,
    coalesce(r.n_new, 0) AS n_new, coalesce(r.a_ok, 0) AS a_ok, coalesce(r.a_n, 0) AS a_n,
    {grid_ret}
    coalesce(r.n_paying, 0) AS n_paying, coalesce(r.rev, {zero}) AS rev,
    coalesce(r.l_ok, 0) AS l_ok, coalesce(r.l_rev, {zero}) AS l_rev, {slot_cost} AS c_cost
  FROM (SELECT DISTINCT label, pos FROM slots) AS sl
  LEFT JOIN slot_rows AS r ON r.label = sl.label{cost_join}
  UNION ALL
  SELECT {i1} AS sec, {i0} AS pos, 'total' AS label,
    count(*) AS n_new, coalesce(sum(act_ok), 0) AS a_ok, coalesce(sum(act_ok * act_done), 0) AS a_n,
    {total_ret}
    coalesce(sum(pays), 0) AS n_paying, coalesce(sum(revenue), {zero}) AS rev,
    coalesce(sum(ltv_ok), 0) AS l_ok, coalesce(sum(CASE WHEN ltv_ok = 1 THEN ltv ELSE {zero} END), {zero}) AS l_rev,
    {total_cost} AS c_cost
  FROM users_out
)
SELECT {select_cells}
FROM grid
ORDER BY sec, pos{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        purchase = sql.purchase_cols(
            purchase_event,
            "purchase_filters",
            &FilterGroup::default(),
            amount_property
        )?,
        event = sql.ident("event"),
        ch = sql.text(channel),
        from = sql.from,
        intervals = iv.ctes,
        in_range = iv.in_range,
        born = sql.key(day, &sql.local_of("t")),
        window = i64::from(*activation_days) * DAY,
        age_key = sql.key(day, &sql.local_of("e.t")),
        measures = measures
            .iter()
            .map(|m| format!("{m},\n    "))
            .collect::<String>(),
        zero = dbl("0"),
        per_user = per_user.join(", "),
        on_cols = (0..retention_days.len())
            .map(|d| format!(", m.on{d} AS on{d}"))
            .collect::<String>(),
        present = present,
        slots = sql.slots(*limit as usize),
        slot_sums = sums.join(", "),
        grid_ret = (0..retention_days.len())
            .map(|d| format!("coalesce(r.e{d}, 0) AS e{d}, coalesce(r.r{d}, 0) AS r{d},\n    "))
            .collect::<String>(),
        total_ret = (0..retention_days.len())
            .map(|d| format!(
                "coalesce(sum(ok{d}), 0) AS e{d}, coalesce(sum(ok{d} * on{d}), 0) AS r{d},\n    "
            ))
            .collect::<String>(),
        i0 = sql.int(0),
        i1 = sql.int(1),
        settings = sql.settings(),
    ))
}
