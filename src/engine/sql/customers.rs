//! The customer summary (BTYD) as SQL: the rows of `loupe run --csv` (`user, frequency,
//! recency, T, monetary_value, purchases, revenue, first_purchase, last_purchase`), one
//! per customer, in the order their users first appear in the data.
//!
//! As in the engine (`analysis/customers.rs`): purchase events (the shared purchase
//! columns of [`Sql::purchase_cols`]) count when they pass the shared filters, lie in the
//! date range and before the end of the observation day (default the day of the data's
//! last event in the range); customers have at least one purchase that is not a refund.
//! Days are calendar days in the zone; `frequency` = distinct purchase days − 1, `recency`
//! = last − first purchase day, `T` = observation day − first purchase day,
//! `monetary_value` = the mean daily purchase total of the purchase days after the first
//! (0 without any), `purchases` the purchases, `revenue` the net amount (refunds
//! included). The order of users is their first row in the file, so the query needs the
//! file-order column (`--order-col`, else `sql_needs_order`).

use super::{unsupported, Sql};
use crate::engine::analysis::customers::{observation_day, CustomersSpec};
use crate::engine::error::Result;
use crate::engine::time::Granularity;

/// Renders a customers spec (see the module documentation).
pub fn render(sql: &Sql, spec: &CustomersSpec) -> Result<String> {
    // every field named, so that a new one must be handled here
    let CustomersSpec {
        purchase_event,
        purchase_filters,
        amount,
        observation_date,
        breakdown,
    } = spec;
    if breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "a customer's breakdown value (the leading column is not rendered yet)",
        ));
    }
    let order = sql.file_order(
        "analysis",
        "listing customers in the order their users first appear in the file",
    )?;
    let day = Granularity::Day;
    let iv = sql.intervals(day)?;
    let obs_day = match observation_date {
        Some(s) => sql.int(observation_day(&sql.calendar_of(day), s)?),
        None => sql.key(day, &sql.local_of("(c1 - 1)")),
    };
    let label = |k: &str| sql.label(day, &sql.key_start(day, k));
    Ok(format!(
        "-- Loupe customers ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {purchase}, {order} AS o
  FROM {from}
),
{intervals}
obs AS (SELECT {obs_day} AS d FROM cover),
cut AS (SELECT d, {end} AS end_us FROM obs),
firsts AS (SELECT u, min(o) AS o FROM src GROUP BY u),
buys AS (
  SELECT u, amt, amt < 0 AS refund, {buy_day} AS d
  FROM src, span, cut
  WHERE keep AND p AND ({in_range}) AND t < end_us
),
daily AS (SELECT u, d, sum(amt) AS total FROM buys WHERE NOT refund GROUP BY u, d),
days AS (SELECT u, count(*) AS n_days, min(d) AS d1, max(d) AS dn FROM daily GROUP BY u),
repeats AS (
  SELECT dl.u AS u, sum(CASE WHEN dl.d > ds.d1 THEN dl.total ELSE 0 END) AS rsum
  FROM daily AS dl JOIN days AS ds ON ds.u = dl.u
  GROUP BY dl.u
),
totals AS (
  SELECT u, sum(CASE WHEN refund THEN 0 ELSE 1 END) AS purchases, sum(amt) AS revenue
  FROM buys GROUP BY u
)
SELECT ds.u AS \"user\", {frequency} AS \"frequency\", {recency} AS \"recency\",
  {big_t} AS \"T\", {monetary} AS \"monetary_value\", {purchases} AS \"purchases\",
  {revenue} AS \"revenue\", {first} AS \"first_purchase\", {last} AS \"last_purchase\"
FROM days AS ds
JOIN totals AS tt ON tt.u = ds.u
JOIN repeats AS rp ON rp.u = ds.u
JOIN firsts AS fs ON fs.u = ds.u
CROSS JOIN obs
ORDER BY fs.o",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        purchase =
            sql.purchase_cols(purchase_event, "purchase_filters", purchase_filters, amount)?,
        from = sql.from,
        intervals = iv.ctes,
        in_range = iv.in_range,
        end = sql.instant_of(&sql.key_start(day, "(d + 1)")),
        buy_day = sql.key(day, &sql.local_of("t")),
        frequency = sql.to_text("(ds.n_days - 1)"),
        recency = sql.to_text("(ds.dn - ds.d1)"),
        big_t = sql.to_text("(obs.d - ds.d1)"),
        monetary = sql.amount(&format!(
            "(CASE WHEN ds.n_days > 1 THEN {} ELSE 0 END)",
            sql.ratio("rp.rsum", "(ds.n_days - 1)")
        )),
        purchases = sql.to_text("tt.purchases"),
        revenue = sql.amount("tt.revenue"),
        first = label("ds.d1"),
        last = label("ds.dn"),
    ))
}
