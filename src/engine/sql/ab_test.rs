//! A/B tests as SQL: the rows of `loupe run --csv` (`variant, control, users, share,
//! expected_share, conversions, rate, rate_low, rate_high, difference, difference_low,
//! difference_high, lift, lift_low, lift_high, z, p_value, significant, small_sample`, and
//! the revenue columns, empty), one per variant, the control first.
//!
//! As in the engine (`analysis/ab_test.rs`): a user is in the test with an event that
//! passes the shared filters, lies in the date range and matches the exposure; the
//! exposure is the first such instant. The user's variant is the one value of `variant`
//! over all their events (two or more values: left out, as no value is); variants ordered
//! by value, the control (`control`, else `control` when it occurs, else the first value)
//! first. A user converts with an event matching the conversion, passing the shared
//! filters, at or after the exposure, before the range's end and, with a `window`, at most
//! `window` after the exposure. The statistics are the engine's formulas written operation
//! for operation (Wilson interval, unpooled difference interval, delta-method lift
//! interval, pooled two-proportion z-test), with z = Φ⁻¹((1 + c) / 2) computed here as the
//! engine does and written as a literal, and the p-value 2 Φ(−|z|) from [`super::erfc`]
//! (the engine's `statrs` algorithm, bit for bit).
//!
//! Not rendered (`sql_unsupported`): `revenue` (its columns need Student's t distribution,
//! which neither dialect has, for `revenue_p_value` and `revenue_difference_low` /
//! `_high`, and the engine's running mean per user in file order for `revenue_per_user`);
//! a conversion of several steps (steps at one instant are taken in file order); a named
//! `exposure_event` or `exposure_filters` unless the conversion is that very event and
//! filters (a conversion event at the exposure's instant counts only when it comes later
//! in the file); an `expected_split` with weights that are not whole numbers (the engine
//! adds them in variant order). A variant column the import reads as numbers is ordered
//! and written as its SQL text (the engine orders numbers by value and writes `1.0` as
//! `1`). Nor is a `breakdown` (a user's value is the one on their first event with one,
//! and tied first events go by file order).

use super::erfc::{double, erfc};
use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::ab_test::{AbTestSpec, MIN_CONVERSIONS, MIN_USERS};
use crate::engine::analysis::funnel::MAX_STEPS;
use crate::engine::error::{Error, Result};
use crate::engine::stats;
use crate::engine::time::DAY;

/// Largest whole weight of `expected_split` whose sums stay exact in any order.
const MAX_WEIGHT: f64 = (1u64 << 40) as f64;

/// Renders an A/B test spec (see the module documentation).
pub fn render(sql: &Sql, spec: &AbTestSpec) -> Result<String> {
    let c = spec.confidence;
    if !(0.5..=0.999).contains(&c) {
        return Err(Error::spec(
            "confidence",
            format!("the confidence level must lie between 0.5 and 0.999, not {c}"),
        )
        .keyed("confidence_range", &[("got", &c)]));
    }
    let step = match spec.conversion.as_slice() {
        [one] => one,
        [] => {
            return Err(Error::spec(
                "conversion",
                format!("a conversion has 1 to {MAX_STEPS} steps, not 0"),
            )
            .keyed("conversion_steps", &[("max", &MAX_STEPS), ("got", &0)]))
        }
        _ => {
            return Err(unsupported(
                "conversion",
                "a conversion of several steps (steps at one instant are taken in file order)",
            ))
        }
    };
    if spec.breakdown.is_some() {
        return Err(unsupported("breakdown", "a user's value is the one on their first event with one, and tied first events go by file order"));
    }
    if spec.revenue.is_some() {
        return Err(unsupported(
            "revenue",
            "revenue per user (revenue_p_value and revenue_difference_low / _high need Student's t distribution, which neither dialect has)",
        ));
    }
    let any_exposure = spec.exposure_event.is_none() && spec.exposure_filters.is_empty();
    let same = spec.exposure_event == step.event && spec.exposure_filters == step.filters;
    if !any_exposure && !same {
        return Err(unsupported(
            "exposure_event",
            "an exposure other than any event or the conversion itself (a conversion at the exposure's instant counts by file order)",
        ));
    }
    let window = match spec.window {
        None => None,
        Some(w) if w.value == 0 => {
            return Err(Error::spec("window.value", "must be at least 1").keyed("at_least_one", &[]))
        }
        Some(w) => Some(w.micros().ok_or_else(|| {
            Error::spec("window.value", "the window is too long").keyed(
                "window_too_long",
                &[("value", &w.value), ("max", &(i64::MAX / DAY))],
            )
        })?),
    };
    let duck = sql.dialect == Dialect::DuckDb;
    let dbl = |x: &str| {
        if duck {
            format!("CAST({x} AS DOUBLE)")
        } else {
            format!("toFloat64({x})")
        }
    };
    // expected shares: equal, or whole weights over their total
    let share = match &spec.expected_split {
        None => format!("{} / {}", double(1.0), dbl("k")),
        Some(split) => {
            if let Some((name, w)) = split
                .iter()
                .find(|(_, &w)| !(w.is_finite() && w > 0.0 && w.fract() == 0.0 && w <= MAX_WEIGHT))
            {
                return Err(unsupported(
                    "expected_split",
                    &format!("the weight {w} of \"{name}\" (the engine adds weights in variant order: only whole weights add up the same in SQL)"),
                ));
            }
            let total: f64 = split.values().sum();
            let cases = split
                .iter()
                .map(|(name, &w)| format!("WHEN {} THEN {}", sql.lit(name), double(w)))
                .collect::<Vec<_>>()
                .join(" ");
            format!("(CASE v {cases} END) / {}", double(total))
        }
    };
    let mut conv = match &step.event {
        Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
        None => sql.bool(true),
    };
    if !step.filters.is_empty() {
        conv = format!(
            "{conv} AND {}",
            sql.filter("conversion[0].filters", &step.filters)?
        );
    }
    let (r0, r1) = sql.range("t1")?;
    let in_range = match (&r0, &r1) {
        (None, None) => sql.bool(true),
        (Some(a), None) => format!("t >= {a}"),
        (None, Some(b)) => format!("t < {b}"),
        (Some(a), Some(b)) => format!("t >= {a} AND t < {b}"),
    };
    let mut counts = "s.keep AND s.cv AND s.t >= e.x".to_string();
    if let (_, Some(b)) = sql.range("d.t1")? {
        counts.push_str(&format!(" AND s.t < {b}"));
    }
    if let Some(w) = window {
        counts.push_str(&format!(" AND s.t <= e.x + {}", sql.int(w)));
    }
    let control = match &spec.control {
        Some(name) => sql.lit(name),
        None => "CASE WHEN max(CASE WHEN v = 'control' THEN 1 ELSE 0 END) = 1 THEN 'control' ELSE min(v) END".to_string(),
    };
    let z = stats::normal_quantile((1.0 + c) / 2.0);
    let alpha = 1.0 - c;
    let (zl, one, two, half, four, zero) = (
        double(z),
        double(1.0),
        double(2.0),
        double(0.5),
        double(4.0),
        double(0.0),
    );
    let text = |x: &str| sql.to_text(x);
    let num = |x: &str| sql.number(x);
    let boolean = |x: &str| format!("CASE WHEN {x} THEN 'true' ELSE 'false' END");
    let settings = sql.settings();
    let rt = format!("{} / {}", dbl("p.x"), dbl("p.n"));
    let pc = format!("{} / {}", dbl("q.x"), dbl("q.n"));
    let pooled = format!("{} / ({} + {})", dbl("(p.x + q.x)"), dbl("p.n"), dbl("q.n"));
    let low = num(&format!("greatest(centre - half, {zero})"));
    let high = num(&format!("least(centre + half, {one})"));
    let diff_low = num(&format!("CASE WHEN NOT is_c THEN d - {zl} * se END"));
    let diff_high = num(&format!("CASE WHEN NOT is_c THEN d + {zl} * se END"));
    let lift_low = num(&format!("CASE WHEN NOT is_c THEN lf - {zl} * lift_se END"));
    let lift_high = num(&format!("CASE WHEN NOT is_c THEN lf + {zl} * lift_se END"));
    let significant = boolean(&format!(
        "NOT is_c AND pv IS NOT NULL AND pv < {}",
        double(alpha)
    ));
    let small = boolean(&format!("n_int < {MIN_USERS} OR x_int < {MIN_CONVERSIONS}"));
    Ok(format!(
        "-- Loupe A/B test ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {user} AS u, {ts} AS t, {keep} AS keep, ({conv}) AS cv, {variant} AS v
  FROM {from}
),
span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
exposed AS (
  SELECT u, min(t) AS x FROM src, span WHERE keep AND {exposure} AND {in_range} GROUP BY u
),
valued AS (
  SELECT u, min(v) AS vv, count(DISTINCT v) AS nv FROM src WHERE v IS NOT NULL GROUP BY u
),
converted AS (
  SELECT e.u AS u, max(CASE WHEN {counts} THEN 1 ELSE 0 END) AS c
  FROM exposed AS e JOIN src AS s ON s.u = e.u CROSS JOIN span AS d
  GROUP BY e.u
),
per AS (
  SELECT va.vv AS v, count(*) AS n, sum(cu.c) AS x
  FROM converted AS cu JOIN valued AS va ON va.u = cu.u
  WHERE va.nv = 1
  GROUP BY va.vv
),
ctl AS (SELECT {control} AS cv, sum(n) AS n_all, count(*) AS k FROM per),
base AS (
  SELECT p.v AS v, p.v = ctl.cv AS is_c, p.n AS n_int, p.x AS x_int, {nd} AS n, {xd} AS xx,
    {rt} AS rt, {n_all} AS n_all, ctl.k AS k,
    {ncd} AS nc, {pc} AS pc, {pooled} AS pooled
  FROM per AS p CROSS JOIN ctl JOIN per AS q ON q.v = ctl.cv
),
stat AS (
  SELECT v, is_c, n_int, x_int, n, rt, pc, nc,
    n / n_all AS sh, {share} AS esh,
    ((rt + {zl} * {zl} / ({two} * n)) / ({one} + {zl} * {zl} / n)) AS centre,
    ({zl} / ({one} + {zl} * {zl} / n) * sqrt(rt * ({one} - rt) / n + {zl} * {zl} / ({four} * n * n))) AS half,
    rt * ({one} - rt) / n AS var, pc * ({one} - pc) / nc AS var_c,
    rt - pc AS d,
    sqrt(pooled * ({one} - pooled) * ({one} / n + {one} / nc)) AS se0
  FROM base
),
tested AS (
  SELECT *, sqrt(var + var_c) AS se,
    CASE WHEN pc > {zero} THEN rt / pc - {one} END AS lf,
    CASE WHEN pc > {zero} THEN sqrt(var / (pc * pc) + rt * rt * var_c / ((pc * pc) * (pc * pc))) END AS lift_se,
    CASE WHEN se0 > {zero} THEN d / se0 END AS zs
  FROM stat
),
scaled AS (SELECT *, abs(zs) / {sqrt2} AS w FROM tested),
valued_p AS (
  SELECT *, CASE WHEN zs IS NOT NULL THEN {two} * ({half} * ({erfc})) END AS pv
  FROM scaled
)
SELECT v AS \"variant\", {is_c} AS \"control\", {users} AS \"users\", {share_t} AS \"share\",
  {expected_t} AS \"expected_share\", {conversions} AS \"conversions\", {rate_t} AS \"rate\",
  {low} AS \"rate_low\", {high} AS \"rate_high\",
  {diff} AS \"difference\", {diff_low} AS \"difference_low\", {diff_high} AS \"difference_high\",
  {lf} AS \"lift\", {lift_low} AS \"lift_low\", {lift_high} AS \"lift_high\",
  {z_t} AS \"z\", {p_t} AS \"p_value\", {significant} AS \"significant\", {small} AS \"small_sample\",
  {none} AS \"revenue\", {none} AS \"revenue_per_user\", {none} AS \"revenue_sd\",
  {none} AS \"revenue_difference\", {none} AS \"revenue_difference_low\",
  {none} AS \"revenue_difference_high\", {none} AS \"revenue_t\", {none} AS \"revenue_df\",
  {none} AS \"revenue_p_value\", {none} AS \"revenue_significant\"
FROM valued_p
ORDER BY is_c DESC, v{settings}",
        dialect = sql.dialect.name(),
        user = sql.ident("user_id"),
        ts = sql.ts_us(),
        keep = sql.shared_filter()?,
        variant = sql.text(&spec.variant),
        from = sql.from,
        exposure = if any_exposure { sql.bool(true) } else { "cv".to_string() },
        nd = dbl("p.n"),
        xd = dbl("p.x"),
        n_all = dbl("ctl.n_all"),
        ncd = dbl("q.n"),
        erfc = erfc("w"),
        sqrt2 = double(std::f64::consts::SQRT_2),
        is_c = boolean("is_c"),
        users = text("n_int"),
        share_t = num("sh"),
        expected_t = num("esh"),
        conversions = text("x_int"),
        rate_t = num("rt"),
        diff = num("CASE WHEN NOT is_c THEN d END"),
        lf = num("CASE WHEN NOT is_c THEN lf END"),
        z_t = num("CASE WHEN NOT is_c THEN zs END"),
        p_t = num("CASE WHEN NOT is_c THEN pv END"),
        none = sql.cell("''"),
    ))
}
