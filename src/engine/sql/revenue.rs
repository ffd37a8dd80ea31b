//! Revenue as SQL: the rows of `loupe run --csv` (`interval, incomplete, revenue,
//! purchases, refunds, refund_amount, paying_users, active_users, paying_rate, arpu,
//! arppu, new_users, acquired_to_date, revenue_to_date, arpu_acquired, start`), one per
//! interval shown, then the `total` row.
//!
//! As in the engine (`analysis/revenue.rs`): an event of `purchase_event` passing
//! `purchase_filters` is a purchase, its `amount` its amount (0 without one), a refund
//! when negative (net revenue, not a purchase); active users have an `active_event` (any
//! event when absent) or a purchase in the interval; a user is acquired in the interval of
//! their first event in the whole data; the to-date values run from the start of the
//! data. Only events passing the shared filters and in the date range count in an
//! interval.
//!
//! A user is acquired when their first event (in time, then file order) passes the shared
//! filters: with `filters`, the query reads the table's file-order column
//! ([`Sql::file_order`]).
//!
//! Not rendered yet (`sql_unsupported`): `channel` (the ROI table by each user's
//! first-touch value) and `breakdown` (every measure per value).

use super::{unsupported, Sql};
use crate::engine::analysis::revenue::RevenueSpec;
use crate::engine::error::{Error, Result};

/// Renders a revenue spec (see the module documentation).
pub fn render(sql: &Sql, spec: &RevenueSpec) -> Result<String> {
    // every field named, so that a new one (a breakdown) must be handled here
    let RevenueSpec {
        purchase_event,
        purchase_filters,
        amount,
        interval,
        active_event,
        channel,
        costs,
        breakdown,
    } = spec;
    if breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "new users count under the value of their first event, and tied first events go by file order",
        ));
    }
    if channel.is_none() && !costs.is_empty() {
        return Err(Error::spec(
            "channel",
            "costs are per channel: name the channel property",
        )
        .keyed("channel_needed", &[]));
    }
    if channel.is_some() {
        return Err(unsupported(
            "channel",
            "each user's first-touch channel needs the file order of tied events",
        ));
    }
    // a user is acquired when their first event (time, then file order) passes the
    // shared filters: without filters every first event does, and the order is not needed
    let order = if sql.query.scope.filters.is_empty() {
        sql.int(0)
    } else {
        sql.file_order(
            "filters",
            "whether a user's first event passes the shared filters (new users)",
        )?
    };
    let g = *interval;
    let act = match active_event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    let iv = sql.intervals(g)?;
    let key_t = sql.key(g, &sql.local_of("t"));
    let cum = |x: &str| {
        format!("sum({x}) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)")
    };
    let paying = "count(DISTINCT CASE WHEN p AND NOT refund THEN u END)";
    let active = "count(DISTINCT CASE WHEN act OR (p AND NOT refund) THEN u END)";
    let n = |x: &str| sql.number(x);
    let s = |x: &str| sql.to_text(x);
    Ok(format!(
        "-- Loupe revenue ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {order} AS o, {keep} AS keep, {purchase}, ({act}) AS act
  FROM {from}
),
{intervals}
ev AS (
  SELECT u, {key_t} AS k, p, amt, p AND amt < 0 AS refund, act
  FROM src, span
  WHERE keep AND ({in_range}) AND (act OR p)
),
per AS (
  SELECT k,
    sum(CASE WHEN p THEN amt ELSE 0 END) AS revenue,
    sum(CASE WHEN p AND NOT refund THEN 1 ELSE 0 END) AS purchases,
    sum(CASE WHEN refund THEN 1 ELSE 0 END) AS refunds,
    sum(CASE WHEN refund THEN amt ELSE 0 END) AS refund_amount,
    {paying} AS paying, {active} AS active
  FROM ev GROUP BY k
),
acquired AS (
  SELECT u, t FROM (
    SELECT u, t, keep, row_number() OVER (PARTITION BY u ORDER BY t, o) AS rn FROM src
  ) AS f WHERE rn = 1 AND keep
),
acquisitions AS (
  SELECT {key_t} AS k, count(*) AS n FROM acquired, span WHERE {in_range} GROUP BY k
),
before AS (
  SELECT
    (SELECT count(*) FROM acquired, cover WHERE t < c0) AS acq,
    (SELECT coalesce(sum(amt), 0) FROM src, cover WHERE keep AND p AND t < c0) AS rev
),
per_interval AS (
  SELECT iv.k AS k, iv.ilabel AS ilabel, iv.ipartial AS ipartial, iv.istart AS istart,
    coalesce(pe.revenue, 0) AS revenue, coalesce(pe.purchases, 0) AS purchases,
    coalesce(pe.refunds, 0) AS refunds, coalesce(pe.refund_amount, 0) AS refund_amount,
    coalesce(pe.paying, 0) AS paying, coalesce(pe.active, 0) AS active,
    coalesce(nu.n, 0) AS new_users
  FROM intervals AS iv
  LEFT JOIN per AS pe ON pe.k = iv.k
  LEFT JOIN acquisitions AS nu ON nu.k = iv.k
),
table_rows AS (
  SELECT {i0} AS tot, k, ilabel, ipartial, istart, revenue, purchases, refunds, refund_amount,
    paying, active, new_users,
    acq + {cum_new} AS acq_to_date, rev + {cum_rev} AS rev_to_date
  FROM per_interval, before
  UNION ALL
  SELECT {i1} AS tot, {i0} AS k, 'total' AS ilabel, 'false' AS ipartial, '' AS istart,
    sum(revenue) AS all_revenue, sum(purchases) AS all_purchases, sum(refunds) AS all_refunds,
    sum(refund_amount) AS all_refund_amount,
    (SELECT {paying} FROM ev) AS all_paying, (SELECT {active} FROM ev) AS all_active,
    sum(new_users) AS all_new_users,
    min(acq) + sum(new_users) AS all_acq_to_date, min(rev) + sum(revenue) AS all_rev_to_date
  FROM per_interval, before
)
SELECT ilabel AS \"interval\", ipartial AS \"incomplete\", {revenue} AS \"revenue\",
  {purchases} AS \"purchases\", {refunds} AS \"refunds\", {refund_amount} AS \"refund_amount\",
  {paying_t} AS \"paying_users\", {active_t} AS \"active_users\",
  {paying_rate} AS \"paying_rate\", {arpu} AS \"arpu\", {arppu} AS \"arppu\",
  {new_t} AS \"new_users\", {acq_t} AS \"acquired_to_date\", {rev_t} AS \"revenue_to_date\",
  {arpu_acquired} AS \"arpu_acquired\", {start} AS \"start\"
FROM table_rows
ORDER BY tot, k{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        purchase =
            sql.purchase_cols(purchase_event, "purchase_filters", purchase_filters, amount)?,
        from = sql.from,
        intervals = iv.ctes,
        in_range = iv.in_range,
        cum_new = cum("new_users"),
        cum_rev = cum("revenue"),
        revenue = n("revenue"),
        purchases = s("purchases"),
        refunds = s("refunds"),
        refund_amount = n("refund_amount"),
        paying_t = s("paying"),
        active_t = s("active"),
        paying_rate = n(&sql.ratio("paying", "active")),
        arpu = n(&sql.ratio("revenue", "active")),
        arppu = n(&sql.ratio("revenue", "paying")),
        new_t = s("new_users"),
        acq_t = s("acq_to_date"),
        rev_t = n("rev_to_date"),
        arpu_acquired = n(&sql.ratio("rev_to_date", "acq_to_date")),
        start = sql.cell("istart"),
        settings = sql.settings(),
        i0 = sql.int(0),
        i1 = sql.int(1),
    ))
}
