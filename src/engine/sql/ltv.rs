//! Cohort LTV as SQL: the rows of `loupe run --csv` (`cohort, members, paying, size`,
//! then `ltv_k`, `revenue_k` and `complete_k` per age k), one per cohort, then the
//! `average` row.
//!
//! As in the engine (`analysis/ltv.rs`): members are the users whose first event in the
//! whole data lies in the date range (with shared filters: who have an event passing
//! them), in the `cohort` interval of that first activity; with `users: "paying"` only
//! members with a purchase that is not a refund count. A purchase (the shared purchase
//! columns, passing the shared filters, anywhere in the data) has the age of its `period`
//! bucket counted from the member's first activity's bucket; a cell is the cumulative net
//! revenue of ages 0..=k over the cohort's size, shown once age k has begun for its
//! earliest member and complete once it has ended for its latest; the average per age is
//! Σ revenue ÷ Σ size over the complete cells. Amounts are rounded to 9 decimals, as the
//! engine's table writes them. A `breakdown` is not rendered yet (`sql_unsupported`).

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::ltv::{check_periods, no_hours, LtvSpec, LtvUsers};
use crate::engine::error::Result;

/// Renders an LTV spec (see the module documentation).
pub fn render(sql: &Sql, spec: &LtvSpec) -> Result<String> {
    // every field named, so that a new one (a breakdown) must be handled here
    let LtvSpec {
        purchase_event,
        purchase_filters,
        amount,
        cohort,
        period,
        periods,
        users,
        breakdown,
    } = spec;
    if breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "a member's value is the one on their first event with one, and tied first events go by file order",
        ));
    }
    no_hours("cohort", *cohort)?;
    no_hours("period", *period)?;
    check_periods(*periods)?;
    let (cg, pg) = (*cohort, *period);
    let np = *periods as i64;
    let step = Sql::key_step(pg);
    let iv = sql.intervals(cg)?;
    let paying_only = *users == LtvUsers::Paying;
    let counted = if paying_only {
        "pays = 1".to_string()
    } else {
        sql.bool(true)
    };
    let ages = match sql.dialect {
        Dialect::DuckDb => format!("SELECT unnest(generate_series(0, {})) AS age", np - 1),
        Dialect::ClickHouse => format!("SELECT arrayJoin(range(0, {np})) AS age"),
    };
    let cohort_cells = |name: &str, value: &str| -> Vec<String> {
        (0..np)
            .map(|k| {
                format!(
                    "max(CASE WHEN age = {k} AND age < begun THEN {value} END) AS \"{name}_{k}\""
                )
            })
            .collect()
    };
    let mut cohort_cols = cohort_cells("ltv", &sql.amount("cum / n_size"));
    cohort_cols.extend(cohort_cells("revenue", &sql.amount("cum")));
    cohort_cols.extend(cohort_cells(
        "complete",
        "CASE WHEN done THEN 'true' ELSE 'false' END",
    ));
    let avg = sql.amount(&format!(
        "sum(CASE WHEN age < begun AND done THEN cum END) / {}",
        match sql.dialect {
            Dialect::DuckDb =>
                "CAST(sum(CASE WHEN age < begun AND done THEN n_size END) AS DOUBLE)".to_string(),
            Dialect::ClickHouse =>
                "toFloat64(sum(CASE WHEN age < begun AND done THEN n_size END))".to_string(),
        }
    ));
    let mut average_cols: Vec<String> = (0..np)
        .map(|k| format!("max(CASE WHEN age = {k} THEN avg_ltv END) AS \"ltv_{k}\""))
        .collect();
    for name in ["revenue", "complete"] {
        average_cols.extend((0..np).map(|k| format!("NULL AS \"{name}_{k}\"")));
    }
    let text = |x: &str| sql.to_text(x);
    let mut columns: Vec<String> = ["cohort", "members", "paying", "size"]
        .map(String::from)
        .to_vec();
    for name in ["ltv", "revenue", "complete"] {
        columns.extend((0..np).map(|k| format!("{name}_{k}")));
    }
    let columns = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    // the ages begun for the earliest member by the data's last event
    let begun = sql.int_div(
        &format!("({} - lo)", sql.key(pg, &sql.local_of("t1"))),
        &step.to_string(),
    );
    Ok(format!(
        "-- Loupe LTV ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {purchase}
  FROM {from}
),
{intervals}
firsts AS (SELECT u, min(t) AS ft, sum(CASE WHEN keep THEN 1 ELSE 0 END) AS kept FROM src GROUP BY u),
members AS (
  SELECT u, {ck} AS ck, {born} AS born
  FROM (SELECT u, ft AS t, kept FROM firsts) AS f, span
  WHERE kept > 0 AND ({in_range})
),
buys AS (
  SELECT m.u AS u, m.ck AS ck, greatest({age}, 0) AS age, s.amt AS amt, s.amt >= 0 AS is_buy
  FROM src AS s JOIN members AS m ON m.u = s.u
  WHERE s.keep AND s.p
),
payers AS (SELECT u, max(CASE WHEN is_buy THEN 1 ELSE 0 END) AS pays FROM buys GROUP BY u),
people AS (
  SELECT u, ck, born, pays, {counted} AS counted
  FROM (
    SELECT m.u AS u, m.ck AS ck, m.born AS born, coalesce(py.pays, 0) AS pays
    FROM members AS m LEFT JOIN payers AS py ON py.u = m.u
  ) AS x
),
cohorts AS (
  SELECT ck, count(*) AS members, sum(pays) AS paying,
    sum(CASE WHEN counted THEN 1 ELSE 0 END) AS size,
    min(CASE WHEN counted THEN born END) AS lo, max(CASE WHEN counted THEN born END) AS hi
  FROM people GROUP BY ck
),
shown AS (
  SELECT ck, members, paying, size, lo, hi,
    least(greatest({begun} + 1, 0), {np}) AS begun
  FROM cohorts, span
  WHERE size > 0
),
cells AS (
  SELECT b.ck AS ck, b.age AS age, sum(b.amt) AS rev
  FROM buys AS b JOIN people AS pe ON pe.u = b.u
  WHERE pe.counted AND b.age < {np}
  GROUP BY b.ck, b.age
),
ages AS ({ages}),
grid AS (
  SELECT sh.ck AS ck, sh.members AS n_members, sh.paying AS n_paying, sh.size AS n_size,
    sh.begun AS begun, ag.age AS age,
    sum(coalesce(ce.rev, 0)) OVER (PARTITION BY sh.ck ORDER BY ag.age ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
    {complete} <= t1 AS done
  FROM shown AS sh CROSS JOIN ages AS ag CROSS JOIN span
  LEFT JOIN cells AS ce ON ce.ck = sh.ck AND ce.age = ag.age
),
averages AS (
  SELECT age, {avg} AS avg_ltv FROM grid GROUP BY age
)
SELECT {columns} FROM (
  SELECT {i0} AS sec, ck, {label} AS \"cohort\", {members} AS \"members\", {paying} AS \"paying\",
    {size} AS \"size\",
    {cohort_cols}
  FROM grid GROUP BY ck, n_members, n_paying, n_size
  UNION ALL
  SELECT {i1} AS sec, {i0} AS ck, 'average' AS \"cohort\", NULL AS \"members\", NULL AS \"paying\",
    NULL AS \"size\",
    {average_cols}
  FROM averages
) AS rows_out
ORDER BY sec, ck{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        purchase = sql.purchase_cols(purchase_event, "purchase_filters", purchase_filters, amount)?,
        from = sql.from,
        intervals = iv.ctes,
        in_range = iv.in_range,
        ck = sql.key(cg, &sql.local_of("t")),
        born = sql.key(pg, &sql.local_of("t")),
        age = sql.int_div(
            &format!("({} - m.born)", sql.key(pg, &sql.local_of("s.t"))),
            &step.to_string()
        ),
        complete = sql.instant_of(&sql.key_start(pg, &format!("(sh.hi + (ag.age + 1) * {step})"))),
        label = sql.label(cg, &sql.key_start(cg, "ck")),
        members = text("n_members"),
        paying = text("n_paying"),
        size = text("n_size"),
        cohort_cols = cohort_cols.join(",\n    "),
        average_cols = average_cols.join(",\n    "),
        i0 = sql.int(0),
        i1 = sql.int(1),
        settings = sql.settings(),
    ))
}
