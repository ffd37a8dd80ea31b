//! RFM as SQL: the rows of `loupe run --csv` (`user_id, segment, recency_days,
//! frequency, monetary, r_score, f_score, m_score`), one per customer in user id order.
//!
//! As in the engine (`analysis/rfm.rs`): purchase events (the shared purchase columns of
//! [`Sql::purchase_cols`]) count when they pass the shared filters, lie in the date range
//! and before the as-of day (default the day after the range's or the data's last day);
//! customers have at least one purchase that is not a refund. R is the days from the day
//! of the last purchase to the as-of day, F the purchases, M the net amount. Quintile
//! scores rank customers worst first (ties by user id in byte order with `ties: "split"`,
//! sharing the lowest rank of equal values with `"shared"`) and score rank r of n as the
//! smallest k with 5 (r − 1) ≤ k (n − 1); the eight classes split each dimension at the
//! mean, the median or given values. The segment table is not part of the CSV and is not
//! rendered; neither is a `breakdown` (`sql_unsupported`).

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::rfm::{
    parse_day, Model, RfmSpec, Segment, Split, SplitRule, Thresholds, Ties,
};
use crate::engine::error::Result;
use crate::engine::time::Granularity;

/// Renders an RFM spec (see the module documentation).
pub fn render(sql: &Sql, spec: &RfmSpec) -> Result<String> {
    // every field named, so that a new one must be handled here
    let RfmSpec {
        purchase_event,
        purchase_filters,
        amount,
        as_of,
        model,
        ties,
        split,
        breakdown,
    } = spec;
    if breakdown.is_some() {
        return Err(unsupported("breakdown", "a customer's value is the one on their first event with one, and tied first events go by file order"));
    }
    let day = Granularity::Day;
    let iv = sql.intervals(day)?;
    let as_of_day = match as_of {
        Some(s) => sql.int(parse_day(s.trim())?),
        None => format!("({} + 1)", sql.key(day, &sql.local_of("(c1 - 1)"))),
    };
    let d = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS DOUBLE)"),
        Dialect::ClickHouse => format!("toFloat64({x})"),
    };
    let (scores, segment) = match model {
        Model::Quintile => {
            let rank = |order: &str| match ties {
                Ties::Split => format!("row_number() OVER (ORDER BY {order}, u)"),
                Ties::Shared => format!("rank() OVER (ORDER BY {order})"),
            };
            let score = |rank: &str| {
                format!(
                    "CASE WHEN n <= 1 THEN 1 ELSE greatest(1, {}) END",
                    sql.int_div(&format!("(5 * ({rank} - 1) + n - 2)"), "greatest(n - 1, 1)")
                )
            };
            let scores = format!(
                "SELECT u, r, f, m, {rs} AS rs, {fs} AS fs, {ms} AS ms FROM (
    SELECT u, r, f, m, {rr} AS rr, {fr} AS fr, {mr} AS mr FROM measures
  ) AS ranked, counted",
                rr = rank("r DESC"),
                fr = rank("f"),
                mr = rank("m"),
                rs = score("rr"),
                fs = score("fr"),
                ms = score("mr"),
            );
            let mut cases = String::new();
            for r in 1..=5u8 {
                for f in 1..=5u8 {
                    cases += &format!(
                        " WHEN rs = {r} AND fs = {f} THEN '{}'",
                        Segment::of_scores(r, f).id()
                    );
                }
            }
            (scores, format!("CASE{cases} END"))
        }
        Model::EightClass => {
            let th = match split {
                Split::Values(Thresholds { r, f, m }) => {
                    let lit = |x: &f64| d(&format!("{x:?}"));
                    format!(
                        "SELECT {} AS tr, {} AS tf, {} AS tm",
                        lit(r),
                        lit(f),
                        lit(m)
                    )
                }
                Split::Rule(SplitRule::Mean) => {
                    let mean = |x: &str| format!("sum({}) / count(*)", d(x));
                    format!(
                        "SELECT {} AS tr, {} AS tf, {} AS tm FROM measures",
                        mean("r"),
                        mean("f"),
                        mean("m")
                    )
                }
                Split::Rule(SplitRule::Median) => format!(
                    "SELECT {} AS tr, {} AS tf, {} AS tm FROM measures",
                    sql.quantile(&d("r"), "0.5"),
                    sql.quantile(&d("f"), "0.5"),
                    sql.quantile("m", "0.5")
                ),
            };
            let scores = format!(
                "SELECT u, r, f, m,
    CASE WHEN r <= tr THEN 1 ELSE 0 END AS rs,
    CASE WHEN f >= tf THEN 1 ELSE 0 END AS fs,
    CASE WHEN m >= tm THEN 1 ELSE 0 END AS ms
  FROM measures, ({th}) AS th"
            );
            let mut cases = String::new();
            for (r, f, m) in (0..8).map(|k| (k & 4 != 0, k & 2 != 0, k & 1 != 0)) {
                cases += &format!(
                    " WHEN rs = {} AND fs = {} AND ms = {} THEN '{}'",
                    u8::from(r),
                    u8::from(f),
                    u8::from(m),
                    Segment::of_levels(r, f, m).id()
                );
            }
            (scores, format!("CASE{cases} END"))
        }
    };
    Ok(format!(
        "-- Loupe RFM ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {purchase}
  FROM {from}
),
{intervals}
as_of AS (SELECT {as_of_day} AS d FROM cover),
cut AS (SELECT d, {end} AS end_us FROM as_of),
buys AS (
  SELECT u, t, amt, amt < 0 AS refund
  FROM src, span, cut
  WHERE keep AND p AND ({in_range}) AND t < end_us
),
customers AS (
  SELECT u, sum(CASE WHEN refund THEN 0 ELSE 1 END) AS f, sum(amt) AS m,
    max(CASE WHEN refund THEN NULL ELSE t END) AS last_t
  FROM buys GROUP BY u
),
measures AS (
  SELECT u, d - {last_day} AS r, f, m
  FROM customers, as_of
  WHERE f > 0
),
counted AS (SELECT count(*) AS n FROM measures),
scored AS ({scores})
SELECT u AS \"user_id\", {segment} AS \"segment\", {r} AS \"recency_days\",
  {f} AS \"frequency\", {m} AS \"monetary\", {rs} AS \"r_score\", {fs} AS \"f_score\",
  {ms} AS \"m_score\"
FROM scored
ORDER BY u",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        purchase =
            sql.purchase_cols(purchase_event, "purchase_filters", purchase_filters, amount)?,
        from = sql.from,
        intervals = iv.ctes,
        in_range = iv.in_range,
        end = sql.instant_of(&sql.key_start(day, "d")),
        last_day = sql.key(day, &sql.local_of("last_t")),
        r = sql.to_text("r"),
        f = sql.to_text("f"),
        m = sql.number("m"),
        rs = sql.to_text("rs"),
        fs = sql.to_text("fs"),
        ms = sql.to_text("ms"),
    ))
}
