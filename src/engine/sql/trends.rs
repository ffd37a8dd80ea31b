//! Trends as SQL: the rows of `loupe run --csv` (`interval, start, complete, key, series,
//! breakdown, value`), one per interval and line, then one total row per line.
//!
//! The query follows the engine's definitions (`analysis/trends.rs`): intervals from the
//! interval of the first to that of the last instant of the data inside the date range;
//! an event counts when it passes the shared filters, lies in the range and matches the
//! series; a breakdown keeps the top `limit` values by the first series' measure over the
//! range (ties by value), then `(other)`, then `(none)`; formulas per row of the series'
//! values. The previous period is not rendered yet (`sql_unsupported`).

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::trends::{
    parse_formula, Expr, Measure, SeriesSpec, TrendsSpec, ALL, MAX_FORMULAS,
};
use crate::engine::error::{Error, Result};

/// The measure of series `s` over the rows of a group, as a nullable double.
fn measure(sql: &Sql, m: Measure, s: usize) -> String {
    let v = format!("v{s}");
    let duck = sql.dialect == Dialect::DuckDb;
    let count = if duck {
        "CAST(count(*) AS DOUBLE)".to_string()
    } else {
        "toFloat64(count())".to_string()
    };
    let users = if duck {
        "CAST(count(DISTINCT u) AS DOUBLE)".to_string()
    } else {
        "toFloat64(count(DISTINCT u))".to_string()
    };
    let guard = |e: String| {
        if duck {
            format!("CASE WHEN count({v}) = 0 THEN NULL ELSE {e} END")
        } else {
            format!("if(count({v}) = 0, NULL, toFloat64({e}))")
        }
    };
    match m {
        Measure::Events => count,
        Measure::Users => users,
        Measure::EventsPerUser => format!("{count} / {users}"),
        Measure::Sum => guard(format!("sum({v})")),
        Measure::Avg => guard(format!("avg({v})")),
        Measure::Min => guard(format!("min({v})")),
        Measure::Max => guard(format!("max({v})")),
        Measure::Median => guard(sql.quantile(&v, "0.5")),
        Measure::P90 => guard(sql.quantile(&v, "0.9")),
    }
}

/// A series' display name: its label, else its event, else `(all events)`.
fn series_name(x: &SeriesSpec) -> String {
    x.label
        .clone()
        .filter(|l| !l.trim().is_empty())
        .or_else(|| x.event.clone())
        .unwrap_or_else(|| ALL.to_string())
}

/// True when a measure of no events is 0 (not an empty cell).
fn zero_when_empty(m: Measure) -> bool {
    matches!(m, Measure::Events | Measure::Users | Measure::Sum)
}

/// Renders a trends spec (see the module documentation).
pub fn render(sql: &Sql, spec: &TrendsSpec) -> Result<String> {
    if spec.compare {
        return Err(unsupported("compare", "the previous period of a trend"));
    }
    if spec.formulas.len() > MAX_FORMULAS {
        return Err(Error::spec(
            "formulas",
            format!(
                "at most {MAX_FORMULAS} formulas, not {}",
                spec.formulas.len()
            ),
        )
        .keyed(
            "formula_count",
            &[("max", &MAX_FORMULAS), ("got", &spec.formulas.len())],
        ));
    }
    if spec.series.is_empty() || spec.series.len() > 26 {
        return Err(Error::spec(
            "series",
            format!("a trend needs 1 to 26 series, not {}", spec.series.len()),
        )
        .keyed("series_count", &[("max", &26), ("got", &spec.series.len())]));
    }
    let g = spec.interval;
    let ts = sql.ts_us();
    let i = |v: i64| sql.int(v);

    // one row per event: user, instant, shared filter, breakdown value, and per series
    // whether it matches and the property it measures
    let mut cols = vec![
        format!("{} AS u", sql.ident("user_id")),
        format!("{ts} AS t"),
        format!("{} AS keep", sql.shared_filter()?),
        format!(
            "{} AS bv",
            match &spec.breakdown {
                Some(b) => sql.breakdown_value(b)?,
                None => "''".to_string(),
            }
        ),
    ];
    for (s, series) in spec.series.iter().enumerate() {
        let field = format!("series[{s}]");
        let mut cond = match &series.event {
            Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
            None => sql.bool(true),
        };
        if !series.filters.is_empty() {
            cond = format!(
                "{cond} AND {}",
                sql.filter(&format!("{field}.filters"), &series.filters)?
            );
        }
        cols.push(format!("({cond}) AS m{s}"));
        let v = match (&series.property, series.measure.needs_property()) {
            (None, true) => {
                return Err(Error::spec(
                    format!("{field}.property"),
                    "this measure needs a numeric property",
                )
                .keyed("property_needed", &[]))
            }
            (Some(_), false) => {
                return Err(Error::spec(
                    format!("{field}.property"),
                    "only sum, avg, min, max, median and p90 read a property",
                )
                .keyed("property_unused", &[]))
            }
            (None, false) => "NULL".to_string(),
            (Some(p), true) => sql.num(p),
        };
        let v = if sql.dialect == Dialect::DuckDb {
            format!("CAST({v} AS DOUBLE)")
        } else {
            format!("toNullable(toFloat64({v}))")
        };
        cols.push(format!("{v} AS v{s}"));
    }
    let matches_any = (0..spec.series.len())
        .map(|s| format!("m{s}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let ser_cols = (0..spec.series.len())
        .map(|s| format!("m{s}, v{s}"))
        .collect::<Vec<_>>()
        .join(", ");

    let iv = sql.intervals(g)?;

    let rank_value = if zero_when_empty(spec.series[0].measure) {
        "coalesce(f.mv, 0)"
    } else {
        "f.mv"
    };
    let slots = if spec.breakdown.is_some() {
        format!(
            "present AS (SELECT bv FROM ev GROUP BY bv),
first_series AS (SELECT bv, {m0} AS mv FROM ev WHERE m0 GROUP BY bv),
ranked AS (SELECT p.bv AS bv, row_number() OVER (ORDER BY {rank_value} DESC NULLS LAST, p.bv) AS rn FROM present AS p LEFT JOIN first_series AS f ON p.bv = f.bv WHERE p.bv <> ''),
{slots}",
            m0 = measure(sql, spec.series[0].measure, 0),
            slots = sql.slots(spec.breakdown.as_ref().map_or(0, |b| b.limit)),
        )
    } else {
        format!("slots AS (SELECT '' AS bv, '' AS label, {} AS pos),", i(0))
    };
    let series_rows = spec
        .series
        .iter()
        .enumerate()
        .map(|(s, x)| {
            let name = series_name(x);
            format!(
                "SELECT {} AS s, {} AS skey, {} AS sname, {} AS zero",
                i(s as i64),
                sql.lit(&((b'A' + s as u8) as char).to_string()),
                sql.lit(&name),
                sql.bool(zero_when_empty(x.measure))
            )
        })
        .collect::<Vec<_>>()
        .join("\n  UNION ALL ");
    let cells = spec
        .series
        .iter()
        .enumerate()
        .map(|(s, x)| {
            let m = measure(sql, x.measure, s);
            format!(
                "SELECT {s0} AS s, {zero} AS tot, sl.label AS label, ev.k AS k, {m} AS val FROM ev JOIN slots AS sl ON ev.bv = sl.bv WHERE m{s} GROUP BY sl.label, ev.k
  UNION ALL SELECT {s0} AS s, {one} AS tot, sl.label AS label, {zero} AS k, {m} AS val FROM ev JOIN slots AS sl ON ev.bv = sl.bv WHERE m{s} GROUP BY sl.label",
                s0 = i(s as i64),
                zero = i(0),
                one = i(1),
            )
        })
        .collect::<Vec<_>>()
        .join("\n  UNION ALL ");
    let value = "CASE WHEN c.val IS NULL AND se.zero THEN 0 ELSE c.val END";
    // formulas: the series' values side by side per row position, then every series and
    // formula value of a position unnested into rows (one scan, not one per line)
    let nser = spec.series.len();
    let mut keys_all: Vec<String> = Vec::new();
    let mut names_all: Vec<String> = Vec::new();
    let mut values_all: Vec<String> = Vec::new();
    for (s, x) in spec.series.iter().enumerate() {
        keys_all.push(sql.lit(&((b'A' + s as u8) as char).to_string()));
        names_all.push(sql.lit(&series_name(x)));
        values_all.push(format!("a{s}"));
    }
    for (n, f) in spec.formulas.iter().enumerate() {
        let expr = parse_formula(&format!("formulas[{n}].expression"), &f.expression, nser)?;
        let name = f
            .label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| f.expression.trim().to_string());
        keys_all.push(sql.lit(&format!("F{}", n + 1)));
        names_all.push(sql.lit(&name));
        values_all.push(formula(sql, &expr));
    }
    let positions = (0..keys_all.len() as i64)
        .map(i)
        .collect::<Vec<_>>()
        .join(", ");
    let (keys_all, names_all, values_all) = (
        keys_all.join(", "),
        names_all.join(", "),
        values_all.join(", "),
    );
    let table_rows = if spec.formulas.is_empty() {
        "table_rows AS (SELECT * FROM series_rows)".to_string()
    } else {
        let side = (0..nser)
            .map(|s| format!("max(CASE WHEN s = {s} THEN num END) AS a{s}"))
            .collect::<Vec<_>>()
            .join(", ");
        let cols = "tot, k, ilabel, istart, icomplete, label, pos";
        let unnested = match sql.dialect {
            Dialect::DuckDb => format!(
                "SELECT {cols}, unnest([{positions}]) AS s, unnest([{keys_all}]) AS skey, unnest([{names_all}]) AS sname, unnest([{values_all}]) AS num FROM side_by_side"
            ),
            Dialect::ClickHouse => format!(
                "SELECT {cols}, s, skey, sname, num FROM side_by_side ARRAY JOIN [{positions}] AS s, [{keys_all}] AS skey, [{names_all}] AS sname, [{values_all}] AS num"
            ),
        };
        format!(
            "side_by_side AS (SELECT {cols}, {side} FROM series_rows GROUP BY {cols}),\ntable_rows AS ({unnested})"
        )
    };
    let key_t = sql.key(g, &sql.local_of("t"));
    let settings = sql.settings();
    Ok(format!(
        "-- Loupe trends ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {cols}
  FROM {from}
),
{intervals}
ev AS (
  SELECT u, t, bv, {ser_cols}, {key_t} AS k
  FROM src, span
  WHERE keep AND ({in_range}) AND ({matches_any})
),
{slots}
lanes AS (SELECT DISTINCT label, pos FROM slots),
series AS (
  {series_rows}
),
cells AS (
  {cells}
),
series_rows AS (
  SELECT {i0} AS tot, iv.k AS k, iv.ilabel AS ilabel, iv.istart AS istart, iv.icomplete AS icomplete, se.s AS s, se.skey AS skey, se.sname AS sname, la.label AS label, la.pos AS pos, {value} AS num
  FROM intervals AS iv CROSS JOIN series AS se CROSS JOIN lanes AS la
  LEFT JOIN cells AS c ON c.tot = {i0} AND c.s = se.s AND c.label = la.label AND c.k = iv.k
  UNION ALL
  SELECT {i1} AS tot, {i0} AS k, 'total' AS ilabel, '' AS istart, '' AS icomplete, se.s AS s, se.skey AS skey, se.sname AS sname, la.label AS label, la.pos AS pos, {value} AS num
  FROM series AS se CROSS JOIN lanes AS la
  LEFT JOIN cells AS c ON c.tot = {i1} AND c.s = se.s AND c.label = la.label
),
{table_rows}
SELECT ilabel AS \"interval\", {start_cell} AS \"start\", {complete_cell} AS \"complete\", skey AS \"key\", sname AS \"series\", {label_cell} AS \"breakdown\", {number} AS \"value\"
FROM table_rows
ORDER BY tot, k, s, pos{settings}",
        dialect = sql.dialect.name(),
        cols = cols.join(",\n    "),
        from = sql.from,
        i0 = i(0),
        i1 = i(1),
        number = sql.number("num"),
        start_cell = sql.cell("istart"),
        complete_cell = sql.cell("icomplete"),
        label_cell = sql.cell("label"),
        intervals = iv.ctes,
        in_range = iv.in_range,
    ))
}

/// A formula as a nullable double over the series values `a0`, `a1`, ...: no value when
/// an operand has none, a division by zero, or a result that is not finite, at every step
/// (as `Expr::eval`).
fn formula(sql: &Sql, e: &Expr) -> String {
    let finite = |x: String| match sql.dialect {
        Dialect::DuckDb => format!("(CASE WHEN isfinite({x}) THEN {x} END)"),
        Dialect::ClickHouse => format!("if(isFinite({x}), {x}, NULL)"),
    };
    match e {
        Expr::Num(x) => match sql.dialect {
            Dialect::DuckDb => format!("CAST({x:?} AS DOUBLE)"),
            Dialect::ClickHouse => format!("toFloat64({x:?})"),
        },
        Expr::Series(s) => format!("a{s}"),
        Expr::Neg(a) => finite(format!("(-{})", formula(sql, a))),
        Expr::Bin('/', a, b) => {
            let (a, b) = (formula(sql, a), formula(sql, b));
            format!(
                "(CASE WHEN {b} = 0 THEN NULL ELSE {} END)",
                finite(format!("({a} / {b})"))
            )
        }
        Expr::Bin(op, a, b) => finite(format!("({} {op} {})", formula(sql, a), formula(sql, b))),
    }
}
