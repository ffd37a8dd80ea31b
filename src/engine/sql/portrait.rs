//! User portrait as SQL: the rows of `loupe run --csv` (`property, category, users,
//! share`), per property in the spec's order its categories in order.
//!
//! As in the engine (`analysis/portrait.rs`): the users are those with an event in the
//! date range passing the shared filters (`active`), or whose first event (in time, then
//! file order) lies in the range and passes them (`new`). A user's value is that of their
//! last event with one over the whole data (time, then file order). A property is numeric
//! when every value in the table is a plain number (as the importer types a column): its
//! users fall into the bins of `edges`, or `bins` equal-width bins between the smallest
//! and the largest value, every bin listed; a text property's values are ranked by users
//! (ties by value in byte order), the top `limit` listed, then `(other)`; then `(none)`.
//! The share is users ÷ the users counted. A `breakdown` (a cross-tab whose columns are the
//! breakdown's categories found in the data) is not rendered: a query's columns cannot
//! follow the data (`sql_unsupported`). The last value among tied events is the file's,
//! so the query needs the file-order column (`--order-col`, else `sql_needs_order`).

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::portrait::{
    check_binning, check_properties, edge_labels, PortraitSpec, PortraitUsers,
};
use crate::engine::error::Result;
use crate::engine::spec::{NONE, OTHER};
use crate::engine::time::Granularity;

/// Renders a portrait spec (see the module documentation).
pub fn render(sql: &Sql, spec: &PortraitSpec) -> Result<String> {
    // every field named, so that a new one must be handled here
    let PortraitSpec {
        users,
        properties,
        breakdown,
        limit,
    } = spec;
    check_properties(spec)?;
    for (k, p) in properties.iter().enumerate() {
        check_binning(&format!("properties[{k}]"), p)?;
    }
    if breakdown.is_some() {
        return Err(unsupported(
            "breakdown",
            "a cross-tab's columns are the breakdown's categories in the data, which a query's columns cannot follow",
        ));
    }
    let order = sql.file_order("analysis", "a user's last value among tied events")?;
    let iv = sql.intervals(Granularity::Day)?;
    let duck = sql.dialect == Dialect::DuckDb;
    let members = match users {
        PortraitUsers::Active => format!(
            "members AS (SELECT DISTINCT u FROM src, span WHERE keep AND ({}))",
            iv.in_range
        ),
        PortraitUsers::New => format!(
            "members AS (
  SELECT u FROM (
    SELECT u, t, keep, row_number() OVER (PARTITION BY u ORDER BY t, o) AS rn FROM src
  ) AS f, span
  WHERE rn = 1 AND keep AND ({})
)",
            iv.in_range
        ),
    };
    // a plain number (the importer's rule): digits, signs, points and exponents only
    let plain = |v: &str| {
        if duck {
            format!("CASE WHEN regexp_full_match(trim({v}), '[0-9+.eE-]+') THEN TRY_CAST(trim({v}) AS DOUBLE) END")
        } else {
            format!("if(match(trim({v}), '^[0-9+.eE-]+$'), toFloat64OrNull(trim({v})), NULL)")
        }
    };
    // Rust's `round`: half away from zero (ClickHouse rounds half to even)
    let round = |x: &str| {
        if duck {
            format!("round({x})")
        } else {
            format!("(sign({x}) * floor(abs({x}) + 0.5))")
        }
    };
    // a bin bound as a label (at most 6 decimals)
    let bound = |x: &str| {
        sql.number(&format!(
            "({} / 1000000.0)",
            round(&format!("({x}) * 1000000.0"))
        ))
    };
    let text = |x: &str| sql.to_text(x);
    let mut columns = Vec::new();
    let mut ctes = Vec::new();
    let mut rows = Vec::new();
    for (i, p) in properties.iter().enumerate() {
        columns.push(format!("{} AS v{i}", sql.text(&p.property)));
        let ii = sql.int(i as i64);
        let prop = sql.lit(&p.property);
        let num_rows = if p.edges.is_empty() {
            let label = format!(
                "'[' || {} || ', ' || {} || CASE WHEN j + 1 = nb THEN ']' ELSE ')' END",
                bound("lo + j * w"),
                bound("CASE WHEN j + 1 = nb THEN hi ELSE lo + (j + 1) * w END")
            );
            format!(
                "rng{i} AS (
  SELECT min(x) AS lo, max(x) AS hi,
    CASE WHEN min(x) = max(x) THEN 1 ELSE {bins} END AS nb,
    (max(x) - min(x)) / CASE WHEN min(x) = max(x) THEN 1 ELSE {bins} END AS w
  FROM mv{i}
),
bins{i} AS (
  SELECT j, {label} AS label FROM ({series}) AS s, rng{i} WHERE j < nb AND lo IS NOT NULL
),
nkey{i} AS (
  SELECT u, CASE WHEN x IS NULL THEN NULL
    WHEN j0 + 1 < nb AND x >= lo + (j0 + 1) * w THEN j0 + 1
    WHEN j0 > 0 AND x < lo + j0 * w THEN j0 - 1
    ELSE j0 END AS j
  FROM (SELECT u, x, lo, nb, w, least({floor}, nb - 1) AS j0 FROM mv{i}, rng{i}) AS z
),",
                bins = p.bins,
                series = if duck {
                    format!("SELECT unnest(generate_series(0, {})) AS j", p.bins - 1)
                } else {
                    format!("SELECT arrayJoin(range(0, {})) AS j", p.bins)
                },
                floor = if duck {
                    "CAST(floor(CASE WHEN w > 0 THEN (x - lo) / w ELSE 0 END) AS BIGINT)"
                } else {
                    "toInt64(floor(if(w > 0, (x - lo) / w, 0)))"
                },
            )
        } else {
            let labels = edge_labels(&p.edges)
                .iter()
                .enumerate()
                .map(|(j, l)| format!("SELECT {} AS j, {} AS label", sql.int(j as i64), sql.lit(l)))
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let key = p
                .edges
                .iter()
                .map(|e| format!("CASE WHEN x >= {e:?} THEN 1 ELSE 0 END"))
                .collect::<Vec<_>>()
                .join(" + ");
            format!(
                "bins{i} AS ({labels}),
nkey{i} AS (SELECT u, CASE WHEN x IS NULL THEN NULL ELSE {key} END AS j FROM mv{i}),"
            )
        };
        ctes.push(format!(
            "last{i} AS (
  SELECT u, v FROM (
    SELECT u, v{i} AS v, row_number() OVER (PARTITION BY u ORDER BY t DESC, o DESC) AS r
    FROM src WHERE v{i} IS NOT NULL
  ) AS x WHERE r = 1
),
isnum{i} AS (
  SELECT CASE WHEN count(v{i}) = count({plain_all}) THEN 1 ELSE 0 END AS yes FROM src
),
mv{i} AS (
  SELECT m.u AS u, l.v AS v, {plain_last} AS x FROM members AS m LEFT JOIN last{i} AS l ON l.u = m.u
),
tc{i} AS (
  SELECT v, c, row_number() OVER (ORDER BY c DESC, v) AS r
  FROM (SELECT v, count(*) AS c FROM mv{i} WHERE v IS NOT NULL GROUP BY v) AS x
),
{num_rows}
cats{i} AS (
  SELECT CASE WHEN r <= {lim} THEN r ELSE 1000000000 END AS pos,
    CASE WHEN r <= {lim} THEN v ELSE {other} END AS label, sum(c) AS n
  FROM tc{i}, isnum{i} WHERE yes = 0
  GROUP BY CASE WHEN r <= {lim} THEN r ELSE 1000000000 END, CASE WHEN r <= {lim} THEN v ELSE {other} END
  UNION ALL
  SELECT b.j AS pos, b.label AS label, count(k.u) AS n
  FROM bins{i} AS b CROSS JOIN isnum{i} LEFT JOIN nkey{i} AS k ON k.j = b.j
  WHERE yes = 1
  GROUP BY b.j, b.label
  UNION ALL
  SELECT 2000000000 AS pos, {none} AS label, count(*) AS n
  FROM mv{i}, isnum{i}
  WHERE (yes = 0 AND v IS NULL) OR (yes = 1 AND x IS NULL)
  HAVING count(*) > 0
),",
            plain_all = plain(&format!("v{i}")),
            plain_last = plain("l.v"),
            lim = if *limit == 0 { u32::MAX as u64 } else { *limit as u64 },
            other = sql.lit(OTHER),
            none = sql.lit(NONE),
        ));
        rows.push(format!(
            "SELECT {ii} AS pi, {pos} AS pos, {prop} AS property, label, n FROM cats{i}",
            pos = if duck {
                "CAST(pos AS BIGINT)"
            } else {
                "toInt64(pos)"
            },
        ));
    }
    Ok(format!(
        "-- Loupe portrait ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, {order} AS o, {columns}
  FROM {from}
),
{intervals}
{members},
total AS (SELECT count(*) AS n_all FROM members),
{ctes}
out_rows AS (
  {rows}
)
SELECT property AS \"property\", label AS \"category\", {n} AS \"users\",
  CASE WHEN n_all = 0 THEN NULL ELSE {share} END AS \"share\"
FROM out_rows, total
ORDER BY pi, pos{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        columns = columns.join(", "),
        from = sql.from,
        intervals = iv.ctes,
        ctes = ctes.join("\n"),
        rows = rows.join("\n  UNION ALL\n  "),
        n = text("n"),
        share = sql.number(&sql.ratio("n", "n_all")),
        settings = sql.settings(),
    ))
}
