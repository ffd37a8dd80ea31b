#!/usr/bin/env python3
"""Cross-check Loupe against the DuckDB reference SQL (../shared/bench/queries.sql).

Loads events_<size>.csv into DuckDB with the `load_csv` block, runs the `funnel`,
`retention`, `segmentation` and `stickiness` blocks, runs `loupe run` with the equivalent
specs on the same file, and compares every number exactly:

  funnel        users per step (4 steps, event names included)
  strict        strict-order funnel (view_item -> add_to_cart -> begin_checkout ->
                add_shipping_info, 5-minute window, every entry; SQL of this file, not a
                reference block): users per step
  retention     cohort sizes and every (cohort, N) cell the SQL grid holds; Loupe's
                observable cells (complete and incomplete) must be exactly that set
  segmentation  a trend of view_item events and users by day and country:
                (day, country) -> (distinct users, events) for every pair that occurs;
                Loupe's zero cells are skipped, every nonzero Loupe cell must be in SQL and
                vice versa; also the same trend without a breakdown (per-day totals)
  recurring     recurring day retention (start view_item, return purchase; SQL of this
                file, not a reference block): cohort sizes, every observable cell, and the
                distinct users
  active users  the `stickiness` block: DAU and MAU (30 days) for every day from the first
                to the last day of the data, against Loupe's active_users; WAU (7 days, SQL
                of this file) for every day; Loupe's MAU-partial flags must be exactly the
                first 29 days (the block's truncated windows)
  stickiness    PostHog-style stickiness (SQL of this file): users by number of distinct
                active UTC days, and by active ISO weeks, over the whole data range;
                Loupe's x values must run over every day (week) of the data

  lifecycle     day lifecycle of purchases from 2025-02-01 (the day before looked up
                outside the range; creation = first event of any name) and week lifecycle
                of any event (ISO weeks, whole data; SQL of this file, not a reference
                block): new, returning, resurrecting, dormant and active per interval,
                and the overall pulse

  ab test       A/B tests (SQL of this file for the counts, SciPy for the statistics):
                variant = platform (3 variants, exposure view_item, conversion purchase
                within 7 days, revenue) and variant = plan (control free, exposure signup,
                conversion begin_checkout, an expected split): users, conversions and
                revenue per variant exactly; the z-test p-values (scipy.stats.norm), the
                chi-square test of independence (scipy.stats.chi2_contingency), the SRM
                check (scipy.stats.chisquare) and Welch's t-test of revenue per user
                (scipy.stats.ttest_ind_from_stats) to a relative 1e-9

Negative controls (so the check cannot pass vacuously): both tools must see the same
number of rows with none rejected, every compared list must be non-empty, every funnel
step must have users, retention must have some N >= 1 returns, and the comparator must
flag a deliberately corrupted copy of each Loupe result.

Exit status: 0 all equal, 1 mismatches (the first ones are listed), 2 setup/run errors.
Usually run through scripts/crosscheck.sh, which prepares the venv, binary and data.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(os.path.dirname(ROOT), "shared", "bench")

FUNNEL_STEPS = ["signup", "view_item", "add_to_cart", "purchase"]
STRICT_STEPS = ["view_item", "add_to_cart", "begin_checkout", "add_shipping_info"]
SPECS = {
    "funnel": {
        "analysis": "funnel",
        "steps": [{"event": e} for e in FUNNEL_STEPS],
        "window": {"value": 7, "unit": "day"},
        "entry": "first",
        "ties": "strictly_later",
    },
    "retention": {"analysis": "retention", "period": "day", "periods": 30, "timezone": "UTC"},
    "segmentation": {
        "analysis": "trends",
        "series": [{"event": "view_item"}, {"event": "view_item", "measure": "users"}],
        "interval": "day",
        "breakdown": {"properties": ["country"], "limit": 0},
        "timezone": "UTC",
    },
    "segmentation_total": {
        "analysis": "trends",
        "series": [{"event": "view_item"}, {"event": "view_item", "measure": "users"}],
        "interval": "day",
        "timezone": "UTC",
    },
    "retention_recurring": {
        "analysis": "retention",
        "cohort": "recurring",
        "start_event": "view_item",
        "return_event": "purchase",
        "period": "day",
        "periods": 30,
        "timezone": "UTC",
    },
}
SPECS["active_users"] = {"analysis": "active_users", "timezone": "UTC"}
SPECS["stickiness_day"] = {"analysis": "stickiness", "interval": "day", "timezone": "UTC"}
SPECS["stickiness_week"] = {"analysis": "stickiness", "interval": "week", "timezone": "UTC"}
SPECS["funnel_strict"] = {
    "analysis": "funnel",
    "steps": [{"event": e} for e in STRICT_STEPS],
    "order": "strict",
    "window": {"value": 5, "unit": "minute"},
}
SHOW = 20  # mismatches listed per analysis


class Fail(Exception):
    """A setup or run error (exit 2)."""


def loupe(args, *cmd):
    t = time.perf_counter()
    p = subprocess.run([args.loupe, *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise Fail(f"loupe {' '.join(cmd[:1])} failed ({p.returncode}): {p.stderr.strip()}")
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        raise Fail(f"loupe {cmd[0]} printed invalid JSON: {e}") from e
    return out, time.perf_counter() - t


def loupe_run(args, name):
    out, dt = loupe(args, "run", "--spec", json.dumps(SPECS[name]), args.csv)
    if out.get("analysis") != SPECS[name]["analysis"]:
        raise Fail(f"loupe run {name}: result tagged {out.get('analysis')!r}")
    return out, dt


def diff(expected, actual):
    """Mismatches between two {key: value} dicts, as readable lines (sorted by key)."""
    out = []
    def order(k):  # tuple keys may mix None with str in one position
        return tuple((v is None, "" if v is None else v) for v in (k if isinstance(k, tuple) else (k,)))

    for k in sorted(set(expected) | set(actual), key=order):
        if k not in actual:
            out.append(f"{k}: duckdb {expected[k]}, missing in loupe")
        elif k not in expected:
            out.append(f"{k}: loupe {actual[k]}, missing in duckdb")
        elif expected[k] != actual[k]:
            out.append(f"{k}: duckdb {expected[k]}, loupe {actual[k]}")
    return out


# ---- per analysis: SQL rows -> {key: value}; Loupe JSON -> {key: value}

def sql_funnel(rows):
    return {step: (event, users) for step, event, users in rows}


def loupe_funnel(res):
    return {k + 1: (s["event"], s["users"]) for k, s in enumerate(res["steps"])}


# Strict-order funnel, written from Loupe's definition (src/engine/analysis/funnel.rs):
# every view_item opens an attempt; each next step must be the user's very next event
# (any event in between breaks the attempt) and at most the window after the view_item
# (inclusive); a user counts at the furthest step of any attempt. "Next event" is by
# time; two events of a user at one instant would depend on the file's row order, so such
# ties are counted and must be 0.
STRICT_SQL = """
WITH ordered AS (
    SELECT user_id, event, ts,
           lead(event, 1) OVER w AS e2, lead(ts, 1) OVER w AS t2,
           lead(event, 2) OVER w AS e3, lead(ts, 2) OVER w AS t3,
           lead(event, 3) OVER w AS e4, lead(ts, 3) OVER w AS t4
    FROM events
    WINDOW w AS (PARTITION BY user_id ORDER BY ts)
), attempts AS (
    SELECT user_id,
           CASE WHEN e2 IS DISTINCT FROM '{s2}' OR t2 > ts + {window} THEN 1
                WHEN e3 IS DISTINCT FROM '{s3}' OR t3 > ts + {window} THEN 2
                WHEN e4 IS DISTINCT FROM '{s4}' OR t4 > ts + {window} THEN 3
                ELSE 4 END AS reached
    FROM ordered
    WHERE event = '{s1}'
), per_user AS (
    SELECT user_id, max(reached) AS reached FROM attempts GROUP BY user_id
), steps(step, event) AS (
    VALUES (1, '{s1}'), (2, '{s2}'), (3, '{s3}'), (4, '{s4}')
)
SELECT s.step, s.event, count(p.user_id) AS users
FROM steps s LEFT JOIN per_user p ON p.reached >= s.step
GROUP BY s.step, s.event
ORDER BY s.step
"""
STRICT_TIES_SQL = "SELECT count(*) FROM (SELECT user_id, ts FROM events GROUP BY ALL HAVING count(*) > 1)"


def sql_funnel_strict(con, window):
    """Users per step of the strict funnel with a DuckDB interval as the window."""
    names = dict(zip(("s1", "s2", "s3", "s4"), STRICT_STEPS))
    rows = con.execute(STRICT_SQL.format(window=window, **names)).fetchall()
    return {int(k): (e, int(u)) for k, e, u in rows}


def sql_retention(rows):
    cells, sizes = {}, {}
    for cohort, size, n, users in rows:
        c = cohort.isoformat()
        cells[(c, n)] = users
        if sizes.setdefault(c, size) != size:
            raise Fail(f"retention SQL: cohort {c} has two sizes")
    return cells, sizes


def loupe_retention(res):
    cells, sizes = {}, {}
    for row in res["cohorts"]:
        sizes[row["label"]] = row["size"]
        for n, users in enumerate(row["retained"]):
            cells[(row["label"], n)] = users
        if not (len(row["retained"]) == len(row["rates"]) == len(row["complete"])):
            raise Fail(f"retention loupe: cohort {row['label']} has ragged arrays")
    return cells, sizes


# Recurring retention, written from Loupe's definition (src/engine/analysis/retention.rs):
# a user is in the cohort of every UTC day on which they did view_item; the membership's
# start is that day's first view_item (t0). Retained on day N >= 1 when they purchased on
# cohort + N; on day 0 when they purchased on the cohort day at or after t0. A purchase at
# exactly t0 would depend on the file's row order, so such ties are counted and must be 0.
# Cells: every (cohort, N <= 30) with cohort + N <= the last day of the data.
RECURRING_SQL = """
WITH starts AS (
    SELECT user_id, CAST(ts AS DATE) AS cohort, min(ts) AS t0
    FROM events WHERE event = 'view_item' GROUP BY ALL
), buys AS (
    SELECT DISTINCT user_id, CAST(ts AS DATE) AS d, ts FROM events WHERE event = 'purchase'
), sizes AS (
    SELECT cohort, count(*) AS cohort_size FROM starts GROUP BY cohort
), grid AS (
    SELECT s.cohort, s.cohort_size, CAST(r.n AS INTEGER) AS n
    FROM sizes s CROSS JOIN range(0, 31) r(n)
    WHERE s.cohort + CAST(r.n AS INTEGER) <= (SELECT max(CAST(ts AS DATE)) FROM events)
), ret AS (
    SELECT s.cohort, CAST(b.d - s.cohort AS INTEGER) AS n, count(DISTINCT s.user_id) AS users
    FROM starts s JOIN buys b ON b.user_id = s.user_id
    WHERE b.d - s.cohort BETWEEN 0 AND 30 AND (b.d > s.cohort OR b.ts > s.t0)
    GROUP BY ALL
)
SELECT g.cohort, g.cohort_size, g.n, coalesce(r.users, 0) AS users
FROM grid g LEFT JOIN ret r ON g.cohort = r.cohort AND g.n = r.n
ORDER BY g.cohort, g.n
"""
RECURRING_TIES_SQL = """
SELECT count(*) FROM (
    SELECT user_id, CAST(ts AS DATE) AS cohort, min(ts) AS t0
    FROM events WHERE event = 'view_item' GROUP BY ALL
) s JOIN events e ON e.user_id = s.user_id AND e.event = 'purchase' AND e.ts = s.t0
"""


def sql_recurring(con):
    """Recurring retention from DuckDB: (cells, sizes, distinct users, ties at t0)."""
    rows = [(c, int(s), int(n), int(u)) for c, s, n, u in con.execute(RECURRING_SQL).fetchall()]
    cells, sizes = sql_retention(rows)
    users = con.execute("SELECT count(DISTINCT user_id) FROM events WHERE event = 'view_item'").fetchone()[0]
    ties = con.execute(RECURRING_TIES_SQL).fetchone()[0]
    return cells, sizes, users, ties


# WAU, written from Loupe's definition (src/engine/analysis/active_users.rs): for every
# UTC day d from the first to the last day of the data, the users with an event on one of
# the days d-6 .. d. A plain join of every day with the user-days of its window.
WAU_SQL = """
WITH ud AS (
    SELECT DISTINCT user_id, CAST(ts AS DATE) AS d FROM events
), cal AS (
    SELECT CAST(r.day AS DATE) AS day
    FROM range((SELECT min(d) FROM ud), (SELECT max(d) FROM ud) + 1, INTERVAL 1 DAY) r(day)
)
SELECT cal.day, count(DISTINCT ud.user_id) AS wau
FROM cal LEFT JOIN ud ON ud.d BETWEEN cal.day - 6 AND cal.day
GROUP BY cal.day
ORDER BY cal.day
"""

# PostHog-style stickiness, written from Loupe's definition (src/engine/analysis/
# stickiness.rs) with every event counting: per user the number of distinct UTC days
# (ISO weeks: date_trunc('week') starts on Monday) with an event; users per number. The
# intervals of the data range are counted separately (Loupe's x values).
STICKINESS_SQL = """
WITH ui AS (
    SELECT DISTINCT user_id, {bucket} AS b FROM events
), per_user AS (
    SELECT user_id, count(*) AS n FROM ui GROUP BY user_id
)
SELECT n, count(*) AS users FROM per_user GROUP BY n ORDER BY n
"""
STICKINESS_BUCKETS = {
    "day": ("CAST(ts AS DATE)",
            "SELECT max(CAST(ts AS DATE)) - min(CAST(ts AS DATE)) + 1 FROM events"),
    "week": ("date_trunc('week', ts)",
             "SELECT CAST((max(CAST(date_trunc('week', ts) AS DATE)) "
             "- min(CAST(date_trunc('week', ts) AS DATE))) / 7 + 1 AS BIGINT) FROM events"),
}


def sql_stickiness(con, interval):
    """{active intervals: users} and the number of intervals of the data range."""
    bucket, count = STICKINESS_BUCKETS[interval]
    rows = con.execute(STICKINESS_SQL.format(bucket=bucket)).fetchall()
    return {int(n): int(u) for n, u in rows}, int(con.execute(count).fetchone()[0])


def loupe_stickiness(res):
    """{active intervals: users} for every x with users, from the one series."""
    if len(res["series"]) != 1:
        raise Fail(f"stickiness loupe: {len(res['series'])} series without a breakdown")
    s = res["series"][0]
    if len(s["users"]) != len(res["x"]) or res["x"] != list(range(1, len(res["x"]) + 1)):
        raise Fail("stickiness loupe: x values are not 1..n with one count each")
    return {x: u for x, u in zip(res["x"], s["users"]) if u}


def sql_active(rows, wau_rows):
    """{day: (dau, wau, mau)} from the stickiness block and the WAU query."""
    wau = {d.isoformat(): int(w) for d, w in wau_rows}
    return {d.isoformat(): (int(a), wau.get(d.isoformat()), int(m)) for d, a, m in rows}


def loupe_active(res):
    n = len(res["days"])
    for k in ("dau", "wau", "mau", "mau_partial", "wau_partial"):
        if len(res[k]) != n:
            raise Fail(f"active_users loupe: {k} has {len(res[k])} values for {n} days")
    return {d: (a, w, m) for d, a, w, m in zip(res["days"], res["dau"], res["wau"], res["mau"])}


def sql_segmentation(rows):
    return {(day.isoformat(), country): (users, events) for day, country, users, events in rows}


def trend_pairs(res):
    """(breakdown value, events line, users line) of a trend of series A = events and
    B = users, with every line as long as the buckets."""
    lines = {(l["key"], l["value"]): l for l in res["lines"]}
    for l in res["lines"]:
        if len(l["values"]) != len(res["buckets"]):
            raise Fail(f"trends loupe: line {l['key']} {l['value']} length differs from buckets")
    return [(v, lines[("A", v)], lines[("B", v)]) for (k, v) in lines if k == "A"]


def loupe_segmentation(res):
    """Nonzero (day, country) cells. Zero-event cells must also have zero users."""
    buckets, cells, bad = res["buckets"], {}, []
    for value, ev, us in trend_pairs(res):
        label = None if value == "(none)" else value
        for day, e, u in zip(buckets, ev["values"], us["values"]):
            if e == 0 and u == 0:
                continue
            if e == 0 or u == 0 or u > e:
                bad.append(f"({day!r}, {label!r}): inconsistent loupe cell users {u}, events {e}")
            cells[(day, label)] = (int(u), int(e))
    return cells, bad


def loupe_total(res):
    [(_, ev, us)] = trend_pairs(res)
    return {(d,): (int(u), int(e)) for d, u, e in zip(res["buckets"], us["values"], ev["values"]) if e or u}


def corrupt(cells):
    """A copy with one value changed, to prove the comparator is not vacuous."""
    bad = dict(cells)
    k = next(iter(bad))
    v = bad[k]
    bad[k] = (v[0], v[1] + 1) if isinstance(v, tuple) else v + 1
    return bad


# Lifecycle, written from Loupe's definition (src/engine/analysis/lifecycle.rs), for
# intervals of {step} days ({bucket}: the UTC day, or the ISO week's Monday): the distinct
# (user, interval) pairs with an active event ({active}: the chosen event, in the range or
# in the interval just before it), each user's first-ever interval over ALL events (born),
# and LAG / LEAD over the user's active intervals. new = active in b and born in b;
# returning = not new, previous active interval is b - step; resurrecting = not new,
# otherwise; dormant in b + step when the next active interval is later (or none), for the
# intervals shown. Intervals shown: every b from {first} to {last}.
LIFECYCLE_SQL = """
WITH born AS (
    SELECT user_id, min({bucket}) AS born FROM events WHERE {born_where} GROUP BY user_id
), act AS (
    SELECT DISTINCT user_id, {bucket} AS b FROM events WHERE {active}
), walk AS (
    SELECT a.user_id, a.b, w.born,
           lag(a.b) OVER (PARTITION BY a.user_id ORDER BY a.b) AS prev_b,
           lead(a.b) OVER (PARTITION BY a.user_id ORDER BY a.b) AS next_b
    FROM act a JOIN born w USING (user_id)
), shown AS (
    SELECT CAST(r.range AS DATE) AS b
    FROM range(TIMESTAMP '{first}', TIMESTAMP '{last}' + INTERVAL {step} DAY, INTERVAL {step} DAY) r
), states AS (
    SELECT b,
           count(*) FILTER (WHERE b = born) AS new,
           count(*) FILTER (WHERE b <> born AND prev_b = b - {step}) AS returning,
           count(*) FILTER (WHERE b <> born AND (prev_b IS NULL OR prev_b < b - {step})) AS resurrecting,
           count(*) AS active
    FROM walk GROUP BY b
), dormant AS (
    SELECT b + {step} AS b, count(*) AS dormant
    FROM walk WHERE next_b IS NULL OR next_b > b + {step} GROUP BY ALL
)
SELECT s.b, coalesce(st.new, 0), coalesce(st.returning, 0), coalesce(st.resurrecting, 0),
       -coalesce(d.dormant, 0), coalesce(st.active, 0)
FROM shown s LEFT JOIN states st USING (b) LEFT JOIN dormant d USING (b)
ORDER BY s.b
"""
LIFECYCLE_CASES = {
    # name: (loupe spec, step days, bucket, active condition, first interval shown,
    #        the active condition without the interval before the range, for a control)
    "lifecycle_day": (
        {"analysis": "lifecycle", "event": "purchase", "interval": "day",
         "date_range": {"from": "2025-02-01"}, "timezone": "UTC"},
        1, "CAST(ts AS DATE)",
        "event = 'purchase' AND (ts >= TIMESTAMP '2025-02-01' OR CAST(ts AS DATE) = DATE '2025-01-31')",
        "2025-02-01", "event = 'purchase' AND ts >= TIMESTAMP '2025-02-01'"),
    "lifecycle_week": (
        {"analysis": "lifecycle", "interval": "week", "timezone": "UTC"},
        7, "CAST(date_trunc('week', ts) AS DATE)", "TRUE", None, None),
}


def sql_lifecycle(con, step, bucket, active, first, born_where="TRUE"):
    """{interval label: (new, returning, resurrecting, dormant, active)} from DuckDB."""
    lo, hi = con.execute(f"SELECT min({bucket}), max({bucket}) FROM events").fetchone()
    first = first or lo.isoformat()
    rows = con.execute(LIFECYCLE_SQL.format(step=step, bucket=bucket, active=active, born_where=born_where,
                                            first=first, last=hi.isoformat())).fetchall()
    return {b.isoformat(): tuple(int(x) for x in rest) for b, *rest in rows}


def loupe_lifecycle(res):
    """The same map from Loupe's result, plus its own inconsistencies."""
    out, bad = {}, []
    for k, b in enumerate(res["buckets"]):
        row = tuple(res[f][k] for f in ("new", "returning", "resurrecting", "dormant", "active"))
        if row[0] + row[1] + row[2] != row[4]:
            bad.append(f"{b}: new + returning + resurrecting != active in loupe {row}")
        out[b] = row
    return out, bad


def lifecycle_checks(args, con):
    """Runs every lifecycle case: [(name, expected, actual, extra lines, summary, seconds)]."""
    out = []
    for name, (spec, step, bucket, active, first, without_before) in LIFECYCLE_CASES.items():
        exp = sql_lifecycle(con, step, bucket, active, first)
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        act, extra = loupe_lifecycle(res)
        for k, what in enumerate(("new", "returning", "resurrecting")):
            if not any(v[k] > 0 for v in exp.values()):
                extra.append(f"negative control: no duckdb interval has {what} users")
        if not any(v[3] < 0 for v in exp.values()):
            extra.append("negative control: no duckdb interval has dormant users")
        up = sum(v[0] + v[2] for v in exp.values())
        down = -sum(v[3] for v in exp.values())
        want = up / down if down else None
        got = res["pulse_overall"]
        if (want is None) != (got is None) or (want is not None and abs(want - got) > 1e-12):
            extra.append(f"overall pulse: duckdb {want}, loupe {got}")
        if without_before:
            # the interval before the range and creation by any event must both matter here
            if sql_lifecycle(con, step, bucket, without_before, first) == exp:
                extra.append("negative control: the interval before the range changes nothing in duckdb")
            if sql_lifecycle(con, step, bucket, active, first, born_where="event = 'purchase'") == exp:
                extra.append("negative control: creation by the first purchase changes nothing in duckdb")
        summary = (f"{name.replace('_', ' ')}: {len(exp)} intervals match "
                   f"({sum(v[4] for v in exp.values()):,} active user-intervals, overall pulse {want:.3f})")
        out.append((name, exp, act, extra, summary, dt))
    return out


# A/B test, written from Loupe's definition (src/engine/analysis/ab_test.rs): a user is in
# the test from their first {exposure} event; their variant is their one value of {variant}
# (users with several are left out); they convert with a {conversion} event at or after the
# exposure and at most {window} after it; revenue is the sum of their purchase amounts in the
# same span. (Events at the exposure's instant count, whatever their row order: the data has
# millisecond timestamps, so the rule for ties does not matter here.)
AB_SQL = """
WITH expo AS (
    SELECT user_id, min(ts) AS t0 FROM events WHERE event = '{exposure}' GROUP BY user_id
), var AS (
    SELECT user_id, min({variant}) AS v FROM events WHERE {variant} IS NOT NULL
    GROUP BY user_id HAVING count(DISTINCT {variant}) = 1
), per_user AS (
    SELECT x.user_id, v.v,
           bool_or(e.event = '{conversion}') AS converted,
           coalesce(sum(e.revenue) FILTER (WHERE e.event = 'purchase'), 0) AS revenue
    FROM expo x JOIN var v USING (user_id)
    LEFT JOIN events e ON e.user_id = x.user_id AND e.ts >= x.t0 AND e.ts <= x.t0 + INTERVAL {window}
    GROUP BY ALL
)
SELECT v, count(*), count(*) FILTER (WHERE converted), sum(revenue), avg(revenue),
       stddev_samp(revenue)
FROM per_user GROUP BY v ORDER BY v
"""
AB_CASES = {
    "ab_platform": (
        {"analysis": "ab_test", "variant": "platform", "exposure_event": "view_item",
         "conversion": {"event": "purchase"}, "window": {"value": 7, "unit": "day"},
         "revenue": {"purchase_event": "purchase", "amount": "revenue"}},
        "platform", "view_item", "purchase", "7 DAY", None),
    "ab_plan": (
        {"analysis": "ab_test", "variant": "plan", "control": "free", "exposure_event": "signup",
         "conversion": {"event": "begin_checkout"}, "window": {"value": 36500, "unit": "day"},
         "expected_split": {"free": 80, "plus": 15, "pro": 5},
         "revenue": {"purchase_event": "purchase", "amount": "revenue"}},
        "plan", "signup", "begin_checkout", "36500 DAY", {"free": 80, "plus": 15, "pro": 5}),
}


def ab_checks(args, con):
    """Runs every A/B case: [(name, expected, actual, extra lines, summary, seconds)]."""
    from scipy import stats
    out = []
    def close(a, b):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(b), 1e-300)
    for name, (spec, variant, exposure, conversion, window, split) in AB_CASES.items():
        rows = con.execute(AB_SQL.format(variant=variant, exposure=exposure,
                                         conversion=conversion, window=window)).fetchall()
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        exp = {(v,): (int(n), int(c)) for v, n, c, *_ in rows}
        act = {(v["value"],): (v["users"], v["conversions"]) for v in res["variants"]}
        extra = []
        by = {v: (n, c, total, mean, sd) for v, n, c, total, mean, sd in rows}
        ctl = spec.get("control") or sorted(by)[0]
        loupe_by = {v["value"]: v for v in res["variants"]}
        if res["variants"][0]["value"] != ctl:
            extra.append(f"control: expected {ctl}, loupe {res['variants'][0]['value']}")
        n_c, c_c, _, m_c, s_c = by[ctl]
        for v, (n, c, total, mean, sd) in by.items():
            lv = loupe_by.get(v)
            if lv is None:
                continue
            if not close(lv["revenue"]["total"], total):
                extra.append(f"{v} revenue: duckdb {total}, loupe {lv['revenue']['total']}")
            if v == ctl:
                continue
            pooled = (c + c_c) / (n + n_c)
            z = (c / n - c_c / n_c) / (pooled * (1 - pooled) * (1 / n + 1 / n_c)) ** 0.5
            p = 2 * stats.norm.sf(abs(z))
            if not close(lv["p_value"], p):
                extra.append(f"{v} z-test p: scipy {p}, loupe {lv['p_value']}")
            w = stats.ttest_ind_from_stats(mean, sd, n, m_c, s_c, n_c, equal_var=False)
            if not close(lv["revenue"]["p_value"], float(w.pvalue)):
                extra.append(f"{v} Welch p: scipy {w.pvalue}, loupe {lv['revenue']['p_value']}")
        order = sorted(by)
        table = [[by[v][1] for v in order], [by[v][0] - by[v][1] for v in order]]
        chi = stats.chi2_contingency(table, correction=False)
        if len(order) > 2 and not close((res["chi_square"] or {}).get("p_value"), float(chi.pvalue)):
            extra.append(f"chi-square p: scipy {chi.pvalue}, loupe {res['chi_square']}")
        users = [by[v][0] for v in order]
        weights = [split[v] if split else 1 for v in order]
        f_exp = [sum(users) * w / sum(weights) for w in weights]
        srm = stats.chisquare(users, f_exp)
        if not close(res["srm"]["p_value"], float(srm.pvalue)):
            extra.append(f"SRM p: scipy {srm.pvalue}, loupe {res['srm']['p_value']}")
        if len(order) < 3 or min(c for _, c, *_ in by.values()) == 0:
            extra.append("negative control: fewer than 3 variants or a variant without conversions")
        summary = (f"{name.replace('_', ' ')}: {len(exp)} variants match "
                   f"({sum(n for n, _ in exp.values()):,} users), p-values equal SciPy's "
                   f"(chi-square p {chi.pvalue:.3g}, SRM p {srm.pvalue:.3g})")
        out.append((name, exp, act, extra, summary, dt))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="100k", help="data size label: events_<size>.csv (100k, 1m, ...)")
    ap.add_argument("--data", default=os.path.join(ROOT, "target", "crosscheck-data"))
    ap.add_argument("--csv", help="CSV to check (default: DATA/events_SIZE.csv)")
    ap.add_argument("--loupe", default=os.path.join(ROOT, "target", "release", "loupe"))
    ap.add_argument("--queries", default=os.path.join(BENCH, "queries.sql"))
    args = ap.parse_args()
    args.csv = args.csv or os.path.join(args.data, f"events_{args.size}.csv")
    for what, p in (("CSV", args.csv), ("loupe binary", args.loupe), ("queries", args.queries)):
        if not os.path.exists(p):
            raise Fail(f"{what} not found: {p} (run scripts/crosscheck.sh)")

    sys.path.insert(0, os.path.dirname(os.path.abspath(args.queries)))
    from common import load_blocks, norm  # noqa: E402  (shared/bench/common.py)
    import duckdb

    t_start = time.perf_counter()
    blocks = load_blocks(args.queries)
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(blocks["load_csv"].replace("{path}", args.csv.replace("'", "''")))
    n_rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    sql = {}
    for name in ("funnel", "retention", "segmentation", "stickiness"):
        sql[name] = norm(name, con.execute(blocks[name]).fetchall())
    # per-day distinct users over all countries, for Loupe's total series (not a reference block)
    day_users = dict(con.execute(
        "SELECT CAST(ts AS DATE), count(DISTINCT user_id) FROM events "
        "WHERE event = 'view_item' GROUP BY ALL").fetchall())
    recurring = sql_recurring(con)
    wau_rows = con.execute(WAU_SQL).fetchall()
    sticky = {k: sql_stickiness(con, k) for k in STICKINESS_BUCKETS}
    strict = (sql_funnel_strict(con, "INTERVAL 5 MINUTE"),
              sql_funnel_strict(con, "INTERVAL 36500 DAY"),
              con.execute(STRICT_TIES_SQL).fetchone()[0])
    t_duck = time.perf_counter() - t

    failures = {}   # analysis -> mismatch lines
    summary = []
    t_loupe = 0.0

    def check(name, expected, actual, what, extra=()):
        lines = list(extra) + diff(expected, actual)
        if not expected or not actual:
            lines.insert(0, f"negative control: empty comparison ({len(expected)} duckdb, {len(actual)} loupe {what})")
        # the comparator must notice a corrupted copy
        if actual and not diff(expected, corrupt(actual)):
            lines.insert(0, f"negative control: comparator missed a corrupted {what}")
        if lines:
            failures.setdefault(name, []).extend(lines)
        return not lines

    # ingest: same rows on both sides
    info, dt = loupe(args, "inspect", args.csv, "--json")
    t_loupe += dt
    ok = check("ingest", {"rows": n_rows, "rejected": 0},
               {"rows": info["imported"], "rejected": info["rejected"]}, "row counts")
    summary.append(f"ingest: {n_rows:,} rows in both" if ok else
                   f"ingest: MISMATCH (duckdb {n_rows:,} rows, loupe imported {info['imported']:,}, rejected {info['rejected']:,})")

    # funnel
    res, dt = loupe_run(args, "funnel")
    t_loupe += dt
    exp, act = sql_funnel(sql["funnel"]), loupe_funnel(res)
    extra = [f"negative control: step {k} has no users in duckdb" for k, (_, u) in exp.items() if u <= 0]
    if len(exp) != len(FUNNEL_STEPS):
        extra.append(f"negative control: duckdb funnel has {len(exp)} steps")
    ok = check("funnel", exp, act, "funnel steps", extra)
    counts = " > ".join(f"{u:,}" for _, (_, u) in sorted(exp.items()))
    summary.append(f"funnel: {len(exp)} steps match ({counts})" if ok else "funnel: MISMATCH")

    # strict-order funnel
    res, dt = loupe_run(args, "funnel_strict")
    t_loupe += dt
    (exp, unbounded, ties), act = strict, loupe_funnel(res)
    extra = [f"negative control: step {k} has no users in duckdb" for k, (_, u) in exp.items() if u <= 0]
    if len(exp) != len(STRICT_STEPS):
        extra.append(f"negative control: duckdb strict funnel has {len(exp)} steps")
    if ties:
        extra.append(f"negative control: {ties} (user, instant) pairs with two events "
                     "(the next event would depend on row order)")
    if unbounded == exp:
        extra.append("negative control: the 5-minute window changes nothing in duckdb")
    # Loupe's own control: without "strict" the same funnel must differ
    ordered, dt = loupe(args, "run", "--spec", json.dumps({**SPECS["funnel_strict"], "order": "ordered"}), args.csv)
    t_loupe += dt
    if loupe_funnel(ordered) == act:
        extra.append("negative control: loupe gives the same numbers in ordered and strict order")
    ok = check("funnel_strict", exp, act, "strict funnel steps", extra)
    counts = " > ".join(f"{u:,}" for _, (_, u) in sorted(exp.items()))
    summary.append(f"strict funnel: {len(exp)} steps match ({counts})" if ok else "strict funnel: MISMATCH")

    # retention
    res, dt = loupe_run(args, "retention")
    t_loupe += dt
    (exp, exp_sizes), (act, act_sizes) = sql_retention(sql["retention"]), loupe_retention(res)
    extra = []
    if not any(u > 0 for (c, n), u in exp.items() if n >= 1):
        extra.append("negative control: no duckdb retention cell with N >= 1 has users")
    if res["users"] != sum(exp_sizes.values()):
        extra.append(f"users: duckdb {sum(exp_sizes.values())} (sum of cohort sizes), loupe {res['users']}")
    ok_cells = check("retention", exp, act, "retention cells", extra)
    ok_sizes = check("retention", {(c,): s for c, s in exp_sizes.items()},
                     {(c,): s for c, s in act_sizes.items()}, "cohort sizes")
    summary.append(f"retention: {len(exp):,} cells and {len(exp_sizes)} cohort sizes match "
                   f"({sum(exp_sizes.values()):,} users)" if ok_cells and ok_sizes else "retention: MISMATCH")

    # segmentation
    res, dt = loupe_run(args, "segmentation")
    t_loupe += dt
    exp = sql_segmentation(sql["segmentation"])
    act, bad = loupe_segmentation(res)
    if any(l["value"] == "(other)" for l in res["lines"]):
        bad.append("loupe has an (other) series despite limit 0")
    ok_cells = check("segmentation", exp, act, "segmentation cells", bad)
    exp_total = {}
    for (day, _), (u, e) in exp.items():
        exp_total[(day,)] = (day_users[datetime.date.fromisoformat(day)],
                             exp_total.get((day,), (0, 0))[1] + e)
    res_total, dt = loupe_run(args, "segmentation_total")
    t_loupe += dt
    ok_total = check("segmentation", exp_total, loupe_total(res_total), "per-day totals")
    summary.append(f"segmentation: {len(exp):,} (day, country) cells and {len(exp_total)} day totals match"
                   if ok_cells and ok_total else "segmentation: MISMATCH")

    # recurring retention (view_item -> purchase)
    res, dt = loupe_run(args, "retention_recurring")
    t_loupe += dt
    exp, exp_sizes, exp_users, ties = recurring
    act, act_sizes = loupe_retention(res)
    extra = []
    if ties:
        extra.append(f"negative control: {ties} purchase(s) at the instant of a cohort's first view_item "
                     "(period 0 would depend on row order)")
    if not any(u > 0 for (c, n), u in exp.items() if n == 0):
        extra.append("negative control: no duckdb recurring cell with N = 0 has users")
    if not any(u > 0 for (c, n), u in exp.items() if n >= 1):
        extra.append("negative control: no duckdb recurring cell with N >= 1 has users")
    if not sum(exp_sizes.values()) > exp_users:
        extra.append("negative control: no user is in two recurring cohorts")
    if res["users"] != exp_users:
        extra.append(f"users: duckdb {exp_users} (distinct), loupe {res['users']}")
    ok_cells = check("recurring", exp, act, "recurring retention cells", extra)
    ok_sizes = check("recurring", {(c,): s for c, s in exp_sizes.items()},
                     {(c,): s for c, s in act_sizes.items()}, "recurring cohort sizes")
    summary.append(f"recurring retention: {len(exp):,} cells and {len(exp_sizes)} cohort sizes match "
                   f"({sum(exp_sizes.values()):,} memberships of {exp_users:,} users)"
                   if ok_cells and ok_sizes else "recurring retention: MISMATCH")

    # active users: DAU and MAU (the stickiness block), WAU (this file's SQL)
    res, dt = loupe_run(args, "active_users")
    t_loupe += dt
    exp, act = sql_active(sql["stickiness"], wau_rows), loupe_active(res)
    extra = []
    if any(w is None for _, w, _ in exp.values()):
        extra.append("negative control: the WAU query misses days of the stickiness block")
    if not any(m > w for _, w, m in exp.values()):
        extra.append("negative control: MAU never exceeds WAU in duckdb")
    if not any(w > a for a, w, _ in exp.values()):
        extra.append("negative control: WAU never exceeds DAU in duckdb")
    days = sorted(exp)
    want_partial = [k < 29 for k in range(len(days))]
    if res["mau_partial"] != want_partial:
        extra.append(f"mau_partial: loupe flags {sum(res['mau_partial'])} days, expected the first 29")
    if res["wau_partial"] != [k < 6 for k in range(len(days))]:
        extra.append("wau_partial: loupe does not flag exactly the first 6 days")
    ok = check("active_users", exp, act, "active-user days", extra)
    summary.append(f"active users: DAU, WAU and MAU of {len(exp)} days match "
                   f"(last day {days[-1]}: {exp[days[-1]][0]:,} / {exp[days[-1]][1]:,} / {exp[days[-1]][2]:,})"
                   if ok else "active users: MISMATCH")

    # PostHog-style stickiness by day and by ISO week
    for interval, (exp, intervals) in sticky.items():
        res, dt = loupe_run(args, f"stickiness_{interval}")
        t_loupe += dt
        act = loupe_stickiness(res)
        extra = []
        if len(res["x"]) != intervals:
            extra.append(f"intervals: duckdb {intervals}, loupe {len(res['x'])}")
        if len(exp) < 3:
            extra.append(f"negative control: only {len(exp)} distinct counts in duckdb")
        if res["series"][0]["total_users"] != sum(exp.values()):
            extra.append(f"total users: duckdb {sum(exp.values())}, loupe {res['series'][0]['total_users']}")
        ok = check(f"stickiness_{interval}", exp, act, f"stickiness by {interval}", extra)
        summary.append(f"stickiness by {interval}: users for {len(exp)} counts of {intervals} "
                       f"{interval}s match ({sum(exp.values()):,} users)" if ok
                       else f"stickiness by {interval}: MISMATCH")

    # lifecycle (day and week; SQL of this file)
    for name, exp, act, extra, line, dt in lifecycle_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} intervals", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # A/B tests (SQL of this file; statistics by SciPy)
    for name, exp, act, extra, line, dt in ab_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} variants", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    total = time.perf_counter() - t_start
    print(f"crosscheck {os.path.basename(args.csv)}: duckdb {t_duck:.1f} s, loupe {t_loupe:.1f} s, "
          f"check {total:.1f} s")
    for line in summary:
        print("  " + line)
    if failures:
        for name, lines in failures.items():
            print(f"\n{name}: {len(lines)} mismatch(es); first {min(len(lines), SHOW)}:", file=sys.stderr)
            for line in lines[:SHOW]:
                print("  " + line, file=sys.stderr)
        return 1
    print("crosscheck: all equal")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fail as e:
        print(f"crosscheck: {e}", file=sys.stderr)
        sys.exit(2)
