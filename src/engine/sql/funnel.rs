//! Funnels as SQL: the rows of `loupe run --csv` (`[breakdown,] step, event, users,
//! conversion, step_conversion, dropped, median_seconds, mean_seconds`), one per step,
//! with a breakdown first for everyone (`(all)`) and then per value.
//!
//! As in the engine (`analysis/funnel.rs`), for ordered funnels: a user's events that
//! pass the shared filters (with `range: "all_steps"`, only those in the date range) are
//! looked at in (time, file order); each event completing step 1 in the date range opens
//! an attempt (`entry: "first"`: the earliest only), which reaches step k at the earliest
//! event completing step k after step k − 1 (`ties: "source_order"`: later in that order;
//! `"strictly_later"`: strictly later in time) and at most `window` after the entry; the
//! user counts at the furthest step, with the attempt that reached it at the earliest
//! event, then the latest start, then the earliest entry event. Breakdowns: first / last
//! touch (the user's funnel under the value of their first / last step event with one, from
//! the range start on), `"all_events"` (one funnel per value over the user's events
//! carrying it) and `{"step": N}` (one funnel per value of the user's step-N events, in
//! which only the events with that value complete step N); values ranked by their entrants
//! (ties by value), the rest as `(other)`, no value as `(none)`. Exclusions mark each
//! attempt that reached `from_step` before the exclusion event and not `to_step` (an
//! exclusion event completing `to_step` itself marks it), inside the attempt's window; a
//! user counts with their best unmarked attempt when it went as far as their best attempt,
//! and is left out otherwise. Source order, exclusions with strictly later ties and first /
//! last touch read the table's file-order column ([`Sql::file_order`]): an event's position
//! is its rank in (time, file order).
//!
//! With `ties: "step_order"` and steps that each name an event, no two the same, an event
//! completes at most one step, so the engine's matching of a tie's events to steps is the
//! plain rule "at or after the previous step's instant" (no file order needed). (With a
//! repeated or unnamed step, which events of a tie go to which steps is a matching,
//! refused.) Exclusions render there too, when no exclusion event is named like a step: an
//! exclusion event at an instant with a step event is in a tie and ignored.
//!
//! ClickHouse's `windowFunnel` is not used: it gives the furthest step only, not the
//! times of the counted attempt that `median_seconds` and `mean_seconds` need.
//!
//! Not rendered (`sql_unsupported`): `step_order` ties with a repeated or unnamed step, or
//! an exclusion named like a step (a matching of tied events to steps); `order` `strict`
//! and `any` (a matching of events to steps); `counting: "totals"`.

use super::{unsupported, Dialect, Sql};
use crate::engine::analysis::funnel::{
    Attribution, Counting, Entry, FunnelSpec, Order, RangeRule, Ties, MAX_STEPS,
};
use crate::engine::error::{Error, Result};
use crate::engine::time::DAY;

/// Whether every step names an event and no two steps name the same one: then an event
/// completes at most one step, and with `ties: "step_order"` a step is reached at the
/// earliest event completing it at or after the previous step's instant (a tie of
/// different steps is taken in step order, and no event can be wanted by two steps).
fn distinct_events(spec: &FunnelSpec) -> bool {
    spec.steps.iter().enumerate().all(|(k, st)| {
        st.event.as_ref().is_some_and(|e| {
            !spec.steps[..k]
                .iter()
                .any(|o| o.event.as_deref() == Some(e.as_str()))
        })
    })
}

/// Renders a funnel spec (see the module documentation).
pub fn render(sql: &Sql, spec: &FunnelSpec) -> Result<String> {
    let n = spec.steps.len();
    if !(2..=MAX_STEPS).contains(&n) {
        return Err(Error::spec(
            "steps",
            format!("a funnel needs 2 to {MAX_STEPS} steps, got {n}"),
        )
        .keyed("steps_count", &[("max", &MAX_STEPS), ("got", &n)]));
    }
    if spec.window.value == 0 {
        return Err(
            Error::spec("window.value", "the conversion window must be at least 1")
                .keyed("at_least_one", &[]),
        );
    }
    let window = spec.window.micros().ok_or_else(|| {
        Error::spec(
            "window.value",
            format!(
                "the window is too long to compute; use at most {} days",
                i64::MAX / DAY
            ),
        )
        .keyed(
            "window_too_long",
            &[("value", &spec.window.value), ("max", &(i64::MAX / DAY))],
        )
    })?;
    match spec.order {
        Order::Ordered => {}
        Order::Strict => {
            return Err(unsupported(
                "order",
                "a strict funnel (nothing in between needs the file order of tied events)",
            ))
        }
        Order::Any => {
            return Err(unsupported(
                "order",
                "a funnel in any order (a matching of events to steps)",
            ))
        }
    }
    // the file-order column, when the answer depends on the order of tied events
    let mut order = None;
    let mut need_order = |field: &str, what: &str| -> Result<()> {
        if order.is_none() {
            order = Some(sql.file_order(field, what)?);
        }
        Ok(())
    };
    // how a step's event compares with the previous step's: by position (time, then
    // file order) or by time
    let after = match spec.ties {
        Ties::StrictlyLater => "e.t > a.x",
        Ties::SourceOrder => {
            need_order("ties", "ties in source order (a step at the previous step's instant counts when later in the file)")?;
            "e.r > a.r"
        }
        Ties::StepOrder if distinct_events(spec) => "e.t >= a.x",
        Ties::StepOrder => {
            return Err(unsupported(
                "ties",
                "ties in step order when an event can complete two steps (a matching of tied events to steps; name a distinct event in every step, or use \"strictly_later\")",
            ))
        }
    };
    // exclusions: (from, to) steps, 1-based
    let mut marks = Vec::new();
    for (j, x) in spec.exclusions.iter().enumerate() {
        let to = x.to_step.unwrap_or(n);
        if x.from_step < 1 || x.from_step >= n || to <= x.from_step || to > n {
            return Err(Error::spec(
                format!("exclusions[{j}]"),
                format!(
                    "an exclusion lies between two steps: from_step {} and to_step {to} must satisfy 1 ≤ from < to ≤ {n}",
                    x.from_step
                ),
            )
            .keyed("exclusion_steps", &[("from", &x.from_step), ("to", &to), ("n", &n)]));
        }
        if spec.ties != Ties::StepOrder {
            need_order(
                "exclusions",
                "an exclusion (one at a step's instant counts when between the steps in file order)",
            )?;
        } else if spec
            .steps
            .iter()
            .any(|st| st.event.as_deref() == Some(x.event.as_str()))
        {
            return Err(unsupported(
                &format!("exclusions[{j}].event"),
                "an exclusion event that also completes a step (it is tested against the attempt before that step, in file order)",
            ));
        }
        marks.push((x.from_step, to));
    }
    if spec.counting == Counting::Totals {
        return Err(unsupported("counting", "counting attempts (totals)"));
    }
    let step_attr = match (&spec.breakdown, spec.attribution) {
        (None, _) | (Some(_), Attribution::AllEvents) => None,
        (Some(_), Attribution::Step(k)) => {
            if !(1..=n).contains(&k) {
                return Err(Error::spec(
                    "attribution",
                    format!("step attribution names a step from 1 to {n}, got {k}"),
                )
                .keyed("attribution_step", &[("n", &n), ("got", &k)]));
            }
            Some(k - 1)
        }
        (Some(_), Attribution::FirstTouch | Attribution::LastTouch) => {
            need_order(
                "attribution",
                "first or last touch (the first value among tied step events in file order)",
            )?;
            None
        }
    };
    let touch = match (&spec.breakdown, spec.attribution) {
        (Some(_), Attribution::FirstTouch) => Some(""),
        (Some(_), Attribution::LastTouch) => Some(" DESC"),
        _ => None,
    };
    // an event's position among the user's: its rank in (time, file order), or its time
    // when ties do not go by the file (step order) or the file order is not needed
    let positions = spec.ties != Ties::StepOrder && order.is_some();
    let pos = if positions {
        "row_number() OVER (PARTITION BY u ORDER BY t, o)".to_string()
    } else {
        "t".to_string()
    };
    let duck = sql.dialect == Dialect::DuckDb;
    let i = |v: i64| sql.int(v);
    let (r0, r1) = sql.range("t1")?;
    let in_range = match (&r0, &r1) {
        (None, None) => sql.bool(true),
        (Some(a), None) => format!("t >= {a}"),
        (None, Some(b)) => format!("t < {b}"),
        (Some(a), Some(b)) => format!("t >= {a} AND t < {b}"),
    };
    let mut cols = vec![
        format!("{} AS u", sql.ident("user_id")),
        format!("{} AS t", sql.ts_us()),
        format!("{} AS o", order.clone().unwrap_or_else(|| sql.int(0))),
        format!("{} AS keep", sql.shared_filter()?),
        format!(
            "{} AS bv",
            match &spec.breakdown {
                Some(b) => sql.breakdown_value(b)?,
                None => "''".to_string(),
            }
        ),
    ];
    for (k, step) in spec.steps.iter().enumerate() {
        let mut cond = match &step.event {
            Some(e) => format!("{} = {}", sql.ident("event"), sql.lit(e)),
            None => sql.bool(true),
        };
        if !step.filters.is_empty() {
            cond = format!(
                "{cond} AND {}",
                sql.filter(&format!("steps[{k}].filters"), &step.filters)?
            );
        }
        cols.push(format!("({cond}) AS s{k}"));
    }
    for (j, x) in spec.exclusions.iter().enumerate() {
        let mut cond = format!("{} = {}", sql.ident("event"), sql.lit(&x.event));
        if !x.filters.is_empty() {
            cond = format!(
                "{cond} AND {}",
                sql.filter(&format!("exclusions[{j}].filters"), &x.filters)?
            );
        }
        cols.push(format!("({cond}) AS e{j}"));
    }
    let s = |k: usize| format!("s{k}");
    let all_s = (0..n).map(s).collect::<Vec<_>>();
    let all_e = (0..marks.len())
        .map(|j| format!("e{j}"))
        .collect::<Vec<_>>();
    // the columns of an event the funnel looks at: steps, then exclusions
    let all_se = all_s.iter().chain(&all_e).cloned().collect::<Vec<_>>();
    // an entry only in the date range; with all_steps, no event outside it
    let ev_cols = std::iter::once(format!("(s0 AND {in_range}) AS s0"))
        .chain((1..n).map(s))
        .chain(all_e.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    let ev_where = if spec.range == RangeRule::AllSteps {
        format!("keep AND ({in_range})")
    } else {
        "keep".to_string()
    };
    // the groups whose funnels are computed: g 0 = everyone, g 1 = per breakdown value
    let mut parts = format!(
        "SELECT {} AS g, u, '' AS p, t, r, {} FROM ev",
        i(0),
        all_se.join(", ")
    );
    let mut cands = String::new();
    let from_range = r0
        .as_ref()
        .map_or(String::new(), |r| format!(" AND t >= {r}"));
    if spec.breakdown.is_some() && touch.is_none() {
        match step_attr {
            None => parts.push_str(&format!(
                "\n  UNION ALL SELECT {} AS g, u, bv AS p, t, r, {} FROM ev",
                i(1),
                all_se.join(", ")
            )),
            Some(m) => {
                cands = format!(
                    "cands AS (SELECT DISTINCT u, bv FROM ev, span WHERE s{m} AND bv <> ''{from_range}),\n"
                );
                let masked = (0..n)
                    .map(|k| {
                        if k == m {
                            format!("(ev.s{k} AND ev.bv = c.bv) AS s{k}")
                        } else {
                            format!("ev.s{k} AS s{k}")
                        }
                    })
                    .chain(all_e.iter().map(|e| format!("ev.{e} AS {e}")))
                    .collect::<Vec<_>>()
                    .join(", ");
                parts.push_str(&format!(
                    "\n  UNION ALL SELECT {} AS g, ev.u AS u, c.bv AS p, ev.t AS t, ev.r AS r, {masked} FROM ev JOIN cands AS c ON ev.u = c.u",
                    i(1)
                ));
            }
        }
    }
    // attempts: the entry, then each step at the earliest event that can complete it
    let entries = match spec.entry {
        Entry::Every => "SELECT DISTINCT g, u, p, t AS x0, r AS r0 FROM parts WHERE s0".to_string(),
        Entry::First => {
            "SELECT g, u, p, min(t) AS x0, min(r) AS r0 FROM parts WHERE s0 GROUP BY g, u, p".into()
        }
    };
    let mut chain = vec![format!("a1 AS ({entries})")];
    for k in 1..n {
        let prev = (0..k)
            .map(|j| format!("a.x{j} AS x{j}, a.r{j} AS r{j}"))
            .collect::<Vec<_>>()
            .join(", ");
        let group = (0..k)
            .map(|j| format!("a.x{j}, a.r{j}"))
            .collect::<Vec<_>>()
            .join(", ");
        let cond = format!("{after}{} AND e.t <= a.x0 + {}", k - 1, i(window));
        chain.push(format!(
            "a{next} AS (
  SELECT a.g AS g, a.u AS u, a.p AS p, {prev},
    min(CASE WHEN {cond} THEN e.t END) AS x{k}, min(CASE WHEN {cond} THEN e.r END) AS r{k}
  FROM a{k} AS a LEFT JOIN (SELECT g, u, p, t, r FROM parts WHERE s{k}) AS e ON e.g = a.g AND e.u = a.u AND e.p = a.p
  GROUP BY a.g, a.u, a.p, {group}
)",
            next = k + 1,
        ));
    }
    let furthest = (1..n)
        .rev()
        .map(|k| format!("WHEN x{k} IS NOT NULL THEN {k}"))
        .collect::<Vec<_>>()
        .join(" ");
    let reached_at = (0..n)
        .rev()
        .map(|k| format!("r{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let xs = (0..n)
        .map(|k| format!("x{k}, r{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    // exclusions mark an attempt (an exclusion event at an instant without step events,
    // after the attempt reached `from` and before it reached `to`, inside its window); a
    // user counts with their best unmarked attempt when it goes as far as any, else not
    let (marked, attempts, hit) = if marks.is_empty() {
        (String::new(), format!("a{n}"), i(0))
    } else {
        let maxes = (0..marks.len())
            .map(|j| format!("max(CASE WHEN e{j} THEN 1 ELSE 0 END) AS m{j}"))
            .collect::<Vec<_>>()
            .join(", ");
        // by position: tested before the event moves the attempt on, so an exclusion
        // event completing step `to` itself marks it; in step order an exclusion at a
        // step's instant is in a tie, and ignored
        let (upto, xt) = if positions {
            (
                "<=",
                format!(
                    "SELECT g, u, p, t, r, {} FROM parts WHERE {}",
                    (0..marks.len())
                        .map(|j| format!("CASE WHEN e{j} THEN 1 ELSE 0 END AS m{j}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    all_e.join(" OR ")
                ),
            )
        } else {
            (
                "<",
                format!(
                    "SELECT g, u, p, t, t AS r, {maxes}
  FROM parts GROUP BY g, u, p, t
  HAVING max(CASE WHEN {any_s} THEN 1 ELSE 0 END) = 0",
                    any_s = all_s.join(" OR "),
                ),
            )
        };
        let conds = marks
            .iter()
            .enumerate()
            .map(|(j, &(from, to))| {
                format!(
                    "(xt.m{j} = 1 AND xt.r > a.r{f} AND xt.t <= a.x0 + {w} AND (a.r{l} IS NULL OR xt.r {upto} a.r{l}))",
                    f = from - 1,
                    l = to - 1,
                    w = i(window),
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let a_xs = (0..n)
            .map(|k| format!("a.x{k}, a.r{k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let a_xs_as = (0..n)
            .map(|k| format!("a.x{k} AS x{k}, a.r{k} AS r{k}"))
            .collect::<Vec<_>>()
            .join(", ");
        (
            format!(
                "xt AS (
  {xt}
),
marked AS (
  SELECT a.g AS g, a.u AS u, a.p AS p, {a_xs_as}, max(CASE WHEN {conds} THEN 1 ELSE 0 END) AS mk
  FROM a{n} AS a LEFT JOIN xt ON xt.g = a.g AND xt.u = a.u AND xt.p = a.p
  GROUP BY a.g, a.u, a.p, {a_xs}
),
",
            ),
            "marked".to_string(),
            "mk".to_string(),
        )
    };
    // first or last touch: the user's counted attempt under the value of their first
    // (last) step event with one, from the range start on, in (time, file order)
    let counted = match touch {
        None => format!(
            "counted AS (SELECT g, p, f, {xs} FROM best WHERE rn = 1 AND hit = 0 AND f = fmax)"
        ),
        Some(dir) => format!(
            "counted0 AS (SELECT u, f, {xs} FROM best WHERE rn = 1 AND hit = 0 AND f = fmax),
touched AS (
  SELECT u, bv FROM (
    SELECT u, bv, row_number() OVER (PARTITION BY u ORDER BY t{dir}, o{dir}) AS rn
    FROM ev, span WHERE ({any_s}) AND bv <> ''{from_range}
  ) AS x WHERE rn = 1
),
counted AS (
  SELECT {g0} AS g, '' AS p, f, {xs} FROM counted0
  UNION ALL
  SELECT {g1} AS g, coalesce(tc.bv, '') AS p, c.f AS f, {c_xs}
  FROM counted0 AS c LEFT JOIN touched AS tc ON tc.u = c.u
)",
            any_s = all_s.join(" OR "),
            g0 = i(0),
            g1 = i(1),
            c_xs = (0..n)
                .map(|k| format!("c.x{k} AS x{k}, c.r{k} AS r{k}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    };
    let null_gap = if duck {
        "CAST(NULL AS DOUBLE)"
    } else {
        "CAST(NULL AS Nullable(Float64))"
    };
    // per counted attempt, one row per step reached with the seconds from the one before
    let ks = (0..n as i64).map(i).collect::<Vec<_>>().join(", ");
    let secs = std::iter::once(null_gap.to_string())
        .chain((1..n).map(|k| {
            if duck {
                format!("CAST(x{k} - x{} AS DOUBLE) / 1000000", k - 1)
            } else {
                format!("toFloat64(x{k} - x{}) / 1000000", k - 1)
            }
        }))
        .collect::<Vec<_>>()
        .join(", ");
    let gaps = if duck {
        format!(
            "SELECT g, p, k, gap FROM (SELECT g, p, f, unnest([{ks}]) AS k, unnest([{secs}]) AS gap FROM counted) AS x WHERE k <= f"
        )
    } else {
        format!(
            "SELECT g, p, k, gap FROM counted ARRAY JOIN [{ks}] AS k, [{secs}] AS gap WHERE k <= f"
        )
    };
    let (lanes, labeled) = if spec.breakdown.is_some() {
        let limit = spec.breakdown.as_ref().map_or(0, |b| b.limit);
        (
            format!(
                "entrants AS (SELECT p, count(*) AS users FROM counted WHERE g = 1 GROUP BY p),
present AS (SELECT p AS bv FROM entrants),
ranked AS (SELECT p AS bv, row_number() OVER (ORDER BY users DESC, p) AS rn FROM entrants WHERE p <> ''),
{slots}
lanes AS (
  SELECT {g0} AS g, '(all)' AS label, {minus} AS pos
  UNION ALL SELECT DISTINCT {g1} AS g, label, {pos} AS pos FROM slots
),",
                slots = sql.slots(limit),
                g0 = i(0),
                g1 = i(1),
                minus = i(-1),
                pos = if duck { "CAST(pos AS BIGINT)" } else { "toInt64(pos)" },
            ),
            "SELECT gp.g AS g, '(all)' AS label, gp.k AS k, gp.gap AS gap FROM gaps AS gp WHERE gp.g = 0
  UNION ALL SELECT gp.g AS g, sl.label AS label, gp.k AS k, gp.gap AS gap FROM gaps AS gp JOIN slots AS sl ON gp.p = sl.bv WHERE gp.g = 1"
                .to_string(),
        )
    } else {
        (
            format!(
                "lanes AS (SELECT {} AS g, '' AS label, {} AS pos),",
                i(0),
                i(0)
            ),
            "SELECT g, '' AS label, k, gap FROM gaps".to_string(),
        )
    };
    let steps = spec
        .steps
        .iter()
        .enumerate()
        .map(|(k, st)| {
            format!(
                "SELECT {} AS k, {} AS name",
                i(k as i64),
                sql.lit(&st.label())
            )
        })
        .collect::<Vec<_>>()
        .join("\n  UNION ALL ");
    let median = if duck {
        format!(
            "CASE WHEN count(gap) = 0 THEN NULL ELSE {} END",
            sql.quantile("gap", "0.5")
        )
    } else {
        format!("if(count(gap) = 0, NULL, {})", sql.quantile("gap", "0.5"))
    };
    let text = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS VARCHAR)"),
        Dialect::ClickHouse => format!("toString({x})"),
    };
    let dbl = |x: &str| match sql.dialect {
        Dialect::DuckDb => format!("CAST({x} AS DOUBLE)"),
        Dialect::ClickHouse => format!("toFloat64({x})"),
    };
    let conversion = sql.number(&dbl("CASE WHEN c.u0 = 0 THEN 0 ELSE c.users / c.u0 END"));
    let step_conversion = sql.number(&dbl(
        "CASE WHEN c.k = 0 THEN 1 WHEN c.prev = 0 THEN 0 ELSE c.users / c.prev END",
    ));
    let breakdown_col = if spec.breakdown.is_some() {
        "c.label AS \"breakdown\", "
    } else {
        ""
    };
    // ClickHouse 26.9 fails on the exclusions of a step attribution when it pushes filters
    // down through `parts` ("Unknown input node"): the query then leaves them in place
    let settings = match sql.dialect {
        Dialect::DuckDb => "",
        Dialect::ClickHouse if marks.is_empty() => "\nSETTINGS join_use_nulls = 1",
        Dialect::ClickHouse => "\nSETTINGS join_use_nulls = 1, query_plan_filter_push_down = 0",
    };
    Ok(format!(
        "-- Loupe funnel ({dialect}): the rows of `loupe run --csv` for the same spec
WITH
src AS (
  SELECT {cols}
  FROM {from}
),
span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
ev AS (
  SELECT u, t, o, {pos} AS r, bv, {ev_cols}
  FROM src, span
  WHERE {ev_where} AND ({any_step})
),
{cands}parts AS (
  {parts}
),
{chain},
{marked}att AS (
  SELECT g, u, p, {xs}, CASE {furthest} ELSE 0 END AS f, coalesce({reached_at}) AS tf, {hit} AS hit
  FROM {attempts}
),
best AS (
  SELECT g, u, p, {xs}, f, hit, max(f) OVER (PARTITION BY g, u, p) AS fmax,
    row_number() OVER (PARTITION BY g, u, p ORDER BY hit, f DESC, tf, x0 DESC, r0) AS rn
  FROM att
),
{counted},
gaps AS (
  {gaps}
),
{lanes}
labeled AS (
  {labeled}
),
stats AS (
  SELECT g, label, k, count(*) AS users, {median} AS med, avg(gap) AS mean
  FROM labeled GROUP BY g, label, k
),
steps AS (
  {steps}
),
grid AS (
  SELECT la.g AS g, la.label AS label, la.pos AS pos, st.k AS k, st.name AS name,
    coalesce(s.users, 0) AS users, s.med AS med, s.mean AS mean
  FROM lanes AS la CROSS JOIN steps AS st
  LEFT JOIN stats AS s ON s.g = la.g AND s.label = la.label AND s.k = st.k
),
cells AS (
  SELECT g, label, pos, k, name, users, med, mean,
    max(CASE WHEN k = 0 THEN users ELSE 0 END) OVER (PARTITION BY g, label) AS u0,
    CASE WHEN k = 0 THEN users ELSE {lag} END AS prev
  FROM grid
)
SELECT {breakdown_col}{step} AS \"step\", c.name AS \"event\", {users} AS \"users\",
  {conversion} AS \"conversion\", {step_conversion} AS \"step_conversion\",
  {dropped} AS \"dropped\", {med} AS \"median_seconds\", {mean} AS \"mean_seconds\"
FROM cells AS c
ORDER BY c.g, c.pos, c.k{settings}",
        dialect = sql.dialect.name(),
        cols = cols.join(",\n    "),
        from = sql.from,
        any_step = all_se.join(" OR "),
        chain = chain.join(",\n"),
        step = text("c.k + 1"),
        users = text("c.users"),
        dropped = text("c.prev - c.users"),
        med = sql.number("c.med"),
        mean = sql.number("c.mean"),
        lag = if duck {
            "lag(users) OVER (PARTITION BY g, label ORDER BY k)"
        } else {
            "lagInFrame(users) OVER (PARTITION BY g, label ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)"
        },
    ))
}
