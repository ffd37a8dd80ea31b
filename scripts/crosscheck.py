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

  sessions      sessions of the sample written by `loupe sample --out` (the generated file
                has no page column) with timeouts of 30 and 5 minutes, and of the generated
                file by its session_id column (page = platform), UTC days (SQL of this file:
                LAG for the gaps, a running SUM for session numbers): per page views,
                viewers, entries, exits, bounces, time on page; per day page views, users,
                sessions, their page views, bounces and durations; sessions with and without
                page views, UV

  lifecycle     day lifecycle of purchases from 2025-02-01 (the day before looked up
                outside the range; creation = first event of any name) and week lifecycle
                of any event (ISO weeks, whole data; SQL of this file, not a reference
                block): new, returning, resurrecting, dormant and active per interval,
                and the overall pulse
  ltv           cohort LTV grids (DuckDB SQL) and the per-customer summary (Python
                lifetimes' summary_data_from_transaction_data): see crosscheck_ltv.py
  revenue       weekly revenue by platform on each event (every (platform, week) cell:
                revenue, purchases, refunds, paying, active and new users by the platform
                of their first event), weekly revenue (ISO weeks, active = view_home or a purchase, ROI by channel
                with costs) and daily revenue from 2025-02-01 (any event active; SQL of
                this file, not a reference block): per interval and over the range,
                revenue (in cents), purchases, refunds, paying, active and new users,
                acquired users and revenue to date (before the range included); per
                first-touch channel, new and paying users, revenue and the payback
                interval; Loupe's paying rate, ARPU, ARPPU, ARPU per acquired user, ROI and
                CAC must equal the ratios of those numbers
  channels      first- and last-touch channels of the whole data (UTC days; SQL of this
                file, not a reference block): per channel new users, D1 and D7 eligible
                and retained users, paying users and revenue (in cents); Loupe's rates,
                paying rate and ARPU must equal the ratios of those numbers (the generated
                file keeps one channel per user, so both attributions agree there; the
                engine tests cover changing channels)
  aarrr         the AARRR overview of February 2025 against the 28 days before it (UTC;
                SQL of this file, not a reference block): per period new users (first
                event of the whole data in it), new users per first-touch channel, users
                and events of invite_friend, and the referral rate = those users / the
                users with any event in the period; also the periods' bounds
  rfm           RFM of `purchase` / `revenue` as of the day after the data (SQL and pandas of
                this file): per customer R (days), F and M from DuckDB, the quintile
                scores with split ties from pandas `qcut(rank(method="first"), 5)` over
                rows sorted by (value, user_id) (R by days descending), shared ties as the
                lowest split score of each group of equal values, the 11 segments from
                (R, F); the eight classes in SQL at the mean (UTC) and at the median
                (+08:00 days); every member (R, F, M, three scores, segment) and every
                segment's customer count

  ab test       A/B tests (SQL of this file for the counts, SciPy for the statistics):
                variant = platform (3 variants, exposure view_item, conversion purchase
                within 7 days, revenue) and variant = plan (control free, exposure signup,
                conversion begin_checkout, an expected split): users, conversions and
                revenue per variant exactly; the z-test p-values (scipy.stats.norm), the
                chi-square test of independence (scipy.stats.chi2_contingency), the SRM
                check (scipy.stats.chisquare) and Welch's t-test of revenue per user
                (scipy.stats.ttest_ind_from_stats) to a relative 1e-9
  stages        user stages per UTC day over the whole data (any event, S = 7, C = 30;
                purchases, S = 3, C = 14; SQL of this file with an ASOF join): new,
                active, silent, churned and returned users of every day

  paths         paths of the generated file (SQL of this file: LAG for the gaps, a running
                SUM for session numbers, LAG again to drop repeated events, ROW_NUMBER for
                steps): after app_open per 30-minute session and before add_to_cart per
                session_id, 5 and 4 steps, repeats collapsed; paths and users, the top
                nodes of every step (ranked by paths, ties by label), every step-1 ->
                step-2 link and step-1 drop-off between named nodes, and the top full paths
                with their counts (no unlisted path more frequent than a listed one); every
                case must have an (other) node, the first a step-1 drop-off
  parquet       the events table written as Parquet by DuckDB (COPY ... (FORMAT parquet,
                COMPRESSION snappy), row groups of 30,000: its own types, a TIMESTAMP
                column named ts, DOUBLE revenue with nulls) read by `loupe inspect`: rows,
                and events and users per event name; `loupe run` of the funnel spec on it
                against the DuckDB funnel

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


# Sessions, written from Loupe's definition (src/engine/analysis/sessions.rs) with window
# functions: LAG finds each event's gap to the user's previous event (time, then file row);
# a gap of at least the timeout (or the first event) starts a session, and a running SUM of
# those starts numbers the sessions. With a session-id column the session is (user, id) and
# events without an id are dropped. Page views are the events with a page value; ROW_NUMBER,
# COUNT and LEAD over each session's page views give entries (first), exits (last),
# bounces (the only one) and time on page (to the next page view; the last one has none).
# Sessions belong to the UTC day of their first event. Integer microseconds throughout.
SESSIONS_SQL = """
WITH scoped AS (
    SELECT user_id, ts, epoch_us(ts) AS us, rn, {page} AS page, {sid} AS sid
    FROM {table} {where}
), marked AS (
    SELECT *, CASE WHEN lag(us) OVER w IS NULL OR us - lag(us) OVER w >= {timeout_us}
                   THEN 1 ELSE 0 END AS starts
    FROM scoped WINDOW w AS (PARTITION BY user_id ORDER BY us, rn)
), sess AS (
    SELECT *, {session_key} AS s FROM marked
    WINDOW w AS (PARTITION BY user_id ORDER BY us, rn ROWS UNBOUNDED PRECEDING)
), views AS (
    SELECT user_id, s, ts, us, page,
           row_number() OVER v AS k, count(*) OVER (PARTITION BY user_id, s) AS n,
           lead(us) OVER v AS next_us
    FROM sess WHERE page IS NOT NULL
    WINDOW v AS (PARTITION BY user_id, s ORDER BY us, rn)
), sessions AS (
    SELECT user_id, s, min(us) AS first_us, max(us) AS last_us,
           CAST(min(ts) AS DATE) AS day
    FROM sess GROUP BY ALL
), counted AS (
    SELECT x.*, v.n FROM sessions x JOIN (SELECT DISTINCT user_id, s, n FROM views) v
    USING (user_id, s)
)
SELECT 'page' AS kind, CAST(page AS VARCHAR) AS key, count(*) AS a,
       count(DISTINCT user_id) AS b, sum(CASE WHEN k = 1 THEN 1 ELSE 0 END) AS c,
       sum(CASE WHEN k = n THEN 1 ELSE 0 END) AS d,
       sum(CASE WHEN n = 1 THEN 1 ELSE 0 END) AS e,
       coalesce(sum(next_us - us), 0) AS f, count(next_us) AS g
FROM views GROUP BY page
UNION ALL
SELECT 'day_views', CAST(CAST(ts AS DATE) AS VARCHAR), count(*), count(DISTINCT user_id),
       0, 0, 0, 0, 0
FROM views GROUP BY ALL
UNION ALL
SELECT 'day_sessions', CAST(day AS VARCHAR), count(*), sum(n),
       sum(CASE WHEN n = 1 THEN 1 ELSE 0 END), sum(last_us - first_us), 0, 0, 0
FROM counted GROUP BY ALL
UNION ALL
SELECT 'totals', '', (SELECT count(*) FROM sessions), (SELECT count(*) FROM counted),
       (SELECT count(DISTINCT user_id) FROM views), 0, 0, 0, 0
"""
SESSIONS_TIES_SQL = "SELECT count(*) FROM (SELECT user_id, ts FROM {table} GROUP BY ALL HAVING count(*) > 1)"

# (what, table, spec, page column, session column or None, timeout in minutes)
SESSIONS_CASES = {
    "sessions_sample": ("sample", {"analysis": "sessions", "timezone": "UTC", "limit": 0},
                        "page", None, 30),
    "sessions_sample_5min": ("sample", {"analysis": "sessions", "timezone": "UTC", "limit": 0,
                                        "timeout_minutes": 5}, "page", None, 5),
    "sessions_id": ("events", {"analysis": "sessions", "timezone": "UTC", "limit": 0,
                               "session": "session_id", "page": "platform"},
                    "platform", "session_id", 30),
}


def sql_sessions(con, table, page, sid, timeout):
    rows = con.execute(SESSIONS_SQL.format(
        table=table, page=page, sid=sid or "NULL",
        where=f"WHERE {sid} IS NOT NULL" if sid else "",
        timeout_us=timeout * 60 * 1_000_000,
        session_key="sid" if sid else "sum(starts) OVER w")).fetchall()
    pages, days, totals = {}, {}, None
    for kind, key, a, b, c, d, e, f, g in rows:
        if kind == "page":
            # views, viewers, entries, exits, bounces, time-on-page µs and count
            pages[key] = (a, b, c, d, e if c else 0, f, g)
        elif kind == "day_views":
            days.setdefault(key, [0] * 6)[0:2] = [a, b]
        elif kind == "day_sessions":
            # sessions, their page views, bounces, duration µs
            days.setdefault(key, [0] * 6)[2:6] = [a, b, c, d]
        else:
            totals = (a, b, c)  # all sessions, sessions with a page view, UV
    return pages, {k: tuple(v) for k, v in days.items()}, totals


def sessions_checks(args, con):
    """Runs every sessions case: [(name, expected, actual, extra lines, summary, seconds)]."""
    sample = os.path.join(args.data, "sample_3000.csv")
    if not os.path.exists(sample):
        subprocess.run([args.loupe, "sample", "--out", sample, "--users", "3000"],
                       check=True, capture_output=True)
    con.execute(f"""CREATE OR REPLACE TABLE sample AS
        SELECT user_id, event, "timestamp" AS ts, page, row_number() OVER () AS rn
        FROM read_csv('{sample}', types = {{'timestamp': 'TIMESTAMP', 'page': 'VARCHAR'}})""")
    con.execute("CREATE OR REPLACE TABLE events_rn AS SELECT *, row_number() OVER () AS rn FROM events")
    out = []
    for name, (table, spec, page, sid, timeout) in SESSIONS_CASES.items():
        csv = sample if table == "sample" else args.csv
        table = "events_rn" if table == "events" else table
        pages, days, (all_sessions, counted, uv) = sql_sessions(con, table, page, sid, timeout)
        extra = []
        ties = con.execute(SESSIONS_TIES_SQL.format(table=table)).fetchone()[0]
        if ties:
            extra.append(f"negative control: {ties} (user, instant) pairs with two events "
                         "(page order would depend on row order)")
        t0 = time.perf_counter()
        res, _ = loupe(args, "run", "--spec", json.dumps(spec), csv)
        over, _ = loupe(args, "run", "--spec", json.dumps({**spec, "view": "over_time"}), csv)
        dt = time.perf_counter() - t0
        exp, act = {}, {}
        for p, v in pages.items():
            exp[("page", p)] = v
        for r in res["pages"]:
            top = r["average_time_on_page_seconds"]
            e = pages.get(r["page"])
            # the average to the µs, from the SQL's exact sum and count
            if e and e[6] and top is not None and abs(top - e[5] / e[6] / 1e6) > 1e-6:
                extra.append(f"page {r['page']}: time on page duckdb {e[5] / e[6] / 1e6}, loupe {top}")
            if e and (top is None) != (e[6] == 0):
                extra.append(f"page {r['page']}: time on page present in one tool only")
            act[("page", r["page"])] = (r["views"], r["viewers"], r["entries"], r["exits"],
                                        r["bounces"], e[5] if e else None, e[6] if e else None)
        o = over["over_time"]
        for k, day in enumerate(o["buckets"]):
            n = o["sessions"][k]
            d = o["average_session_seconds"][k]
            e = days.get(day, (0,) * 6)
            act[("day", day)] = (o["page_views"][k], o["users"][k], n,
                                 round(o["pages_per_session"][k] * n) if n else 0,
                                 round(o["bounce_rate"][k] * n) if n else 0,
                                 e[5] if d is not None and abs(d * n - e[5] / 1e6) < 1e-3 else d)
        for day, v in days.items():
            exp[("day", day)] = v
        t = res["totals"]
        exp[("totals",)] = (counted, all_sessions - counted, uv)
        act[("totals",)] = (t["sessions"], t["sessions_without_page_views"], t["users"])
        if not any(v[4] for k, v in exp.items() if k[0] == "page"):
            extra.append("negative control: no bounce in duckdb")
        if not any(v[6] for k, v in exp.items() if k[0] == "page"):
            extra.append("negative control: no time on page in duckdb")
        pv = sum(v[0] for k, v in exp.items() if k[0] == "page")
        summary = (f"{name.replace('_', ' ')}: {len(pages)} pages and {len(days)} days match "
                   f"({pv:,} page views, {counted:,} sessions, bounce rate "
                   f"{t['bounce_rate'] or 0:.3f})")
        out.append((name, exp, act, extra, summary, dt))
    return out


# Revenue, written from Loupe's definition (src/engine/analysis/revenue.rs): purchases are
# `purchase` events, their amount `revenue` (none = 0, negative = a refund, not a
# purchase); active = {active} or a purchase; a user is acquired at their first event of
# all; only events in [{lo}, {hi}) count in an interval ({bucket}); to-date values count
# from the start of the data to the interval's end (or the range's end).
REVENUE_SQL = """
WITH ev AS (
    SELECT user_id, event, ts, channel, {bucket} AS b, coalesce(revenue, 0) AS amt,
           event = 'purchase' AS pe, event = 'purchase' AND coalesce(revenue, 0) >= 0 AS buy
    FROM events
), born AS (
    SELECT user_id, min(ts) AS t0, arg_min(channel, ts) FILTER (WHERE channel IS NOT NULL) AS ch
    FROM events GROUP BY user_id
), shown AS (
    SELECT CAST(r.range AS DATE) AS b
    FROM range(TIMESTAMP '{first}', TIMESTAMP '{last}' + INTERVAL {step} DAY, INTERVAL {step} DAY) r
), per AS (
    SELECT b,
           coalesce(sum(amt) FILTER (WHERE pe), 0) AS revenue,
           count(*) FILTER (WHERE buy) AS purchases,
           count(*) FILTER (WHERE pe AND NOT buy) AS refunds,
           count(DISTINCT user_id) FILTER (WHERE buy) AS paying,
           count(DISTINCT user_id) FILTER (WHERE buy OR {active}) AS active
    FROM ev WHERE ts >= TIMESTAMP '{lo}' AND ts < TIMESTAMP '{hi}' GROUP BY b
), new AS (
    SELECT {born_bucket} AS b, count(*) AS new FROM born
    WHERE t0 >= TIMESTAMP '{lo}' AND t0 < TIMESTAMP '{hi}' GROUP BY b
), rows AS (
    SELECT s.b, coalesce(p.revenue, 0) AS revenue, coalesce(p.purchases, 0) AS purchases,
           coalesce(p.refunds, 0) AS refunds, coalesce(p.paying, 0) AS paying,
           coalesce(p.active, 0) AS active, coalesce(n.new, 0) AS new
    FROM shown s LEFT JOIN per p USING (b) LEFT JOIN new n USING (b)
)
SELECT b, revenue, purchases, refunds, paying, active, new,
       (SELECT count(*) FROM born WHERE t0 < TIMESTAMP '{lo}') + sum(new) OVER w AS acquired,
       (SELECT coalesce(sum(amt), 0) FROM ev WHERE pe AND ts < TIMESTAMP '{lo}') + sum(revenue) OVER w AS to_date
FROM rows WINDOW w AS (ORDER BY b) ORDER BY b
"""
REVENUE_TOTAL_SQL = """
WITH ev AS (
    SELECT user_id, event, ts, coalesce(revenue, 0) AS amt, event = 'purchase' AS pe,
           event = 'purchase' AND coalesce(revenue, 0) >= 0 AS buy
    FROM events WHERE ts >= TIMESTAMP '{lo}' AND ts < TIMESTAMP '{hi}'
)
SELECT coalesce(sum(amt) FILTER (WHERE pe), 0), count(*) FILTER (WHERE buy),
       count(*) FILTER (WHERE pe AND NOT buy), count(DISTINCT user_id) FILTER (WHERE buy),
       count(DISTINCT user_id) FILTER (WHERE buy OR {active})
FROM ev
"""
# per first-touch channel: users acquired in the range, those with a purchase in it, their
# revenue in it, and their revenue per interval (for the payback)
REVENUE_CHANNEL_SQL = """
WITH born AS (
    SELECT user_id, min(ts) AS t0, arg_min(channel, ts) FILTER (WHERE channel IS NOT NULL) AS ch
    FROM events GROUP BY user_id
), cohort AS (
    SELECT user_id, coalesce(ch, '(none)') AS ch FROM born
    WHERE t0 >= TIMESTAMP '{lo}' AND t0 < TIMESTAMP '{hi}'
), buys AS (
    SELECT c.ch, e.user_id, {bucket} AS b, coalesce(e.revenue, 0) AS amt, coalesce(e.revenue, 0) >= 0 AS buy
    FROM events e JOIN cohort c USING (user_id)
    WHERE e.event = 'purchase' AND e.ts >= TIMESTAMP '{lo}' AND e.ts < TIMESTAMP '{hi}'
)
SELECT c.ch, count(*) AS new,
       (SELECT count(DISTINCT user_id) FROM buys WHERE buys.ch = c.ch AND buy) AS paying,
       (SELECT coalesce(sum(amt), 0) FROM buys WHERE buys.ch = c.ch) AS revenue,
       (SELECT list((b, s) ORDER BY b) FROM (SELECT b, sum(amt) AS s FROM buys WHERE buys.ch = c.ch GROUP BY b)) AS by_b
FROM cohort c GROUP BY c.ch
"""
# per (breakdown value, interval): the events carrying the value (platform on each event);
# new users by the platform of their first event
REVENUE_BREAKDOWN_SQL = """
WITH ev AS (
    SELECT user_id, coalesce(platform, '(none)') AS v, {bucket} AS b, coalesce(revenue, 0) AS amt,
           event = 'purchase' AS pe, event = 'purchase' AND coalesce(revenue, 0) >= 0 AS buy
    FROM events WHERE ts >= TIMESTAMP '{lo}' AND ts < TIMESTAMP '{hi}'
), per AS (
    SELECT v, b, coalesce(sum(amt) FILTER (WHERE pe), 0) AS revenue,
           count(*) FILTER (WHERE buy) AS purchases, count(*) FILTER (WHERE pe AND NOT buy) AS refunds,
           count(DISTINCT user_id) FILTER (WHERE buy) AS paying,
           count(DISTINCT user_id) FILTER (WHERE buy OR {active}) AS active
    FROM ev GROUP BY v, b
), born AS (
    SELECT arg_min(coalesce(platform, '(none)'), ts) AS v, min(ts) AS t0 FROM events GROUP BY user_id
), new AS (
    SELECT v, {born_bucket} AS b, count(*) AS new FROM born
    WHERE t0 >= TIMESTAMP '{lo}' AND t0 < TIMESTAMP '{hi}' GROUP BY ALL
)
SELECT v, b, coalesce(p.revenue, 0), coalesce(p.purchases, 0), coalesce(p.refunds, 0),
       coalesce(p.paying, 0), coalesce(p.active, 0), coalesce(n.new, 0)
FROM per p FULL JOIN new n USING (v, b)
"""
REVENUE_COSTS = {"paid_search": 3000.0, "paid_social": 1500.0, "email": 0.0, "influencer": 1e7}
REVENUE_CASES = {
    # name: (loupe spec, step days, bucket of ts, active condition, range start or None)
    "revenue_week": (
        {"analysis": "revenue", "interval": "week", "active_event": "view_home", "timezone": "UTC",
         "channel": "channel", "costs": [{"channel": c, "cost": v} for c, v in REVENUE_COSTS.items()]},
        7, "CAST(date_trunc('week', {ts}) AS DATE)", "event = 'view_home'", None),
    "revenue_day": (
        {"analysis": "revenue", "interval": "day", "timezone": "UTC",
         "date_range": {"from": "2025-02-01"}},
        1, "CAST({ts} AS DATE)", "TRUE", "2025-02-01"),
    "revenue_week_platform": (
        {"analysis": "revenue", "interval": "week", "timezone": "UTC",
         "breakdown": {"properties": ["platform"], "limit": 0}},
        7, "CAST(date_trunc('week', {ts}) AS DATE)", "TRUE", None),
}


def cents(x):
    return round(x * 100)


def revenue_checks(args, con):
    """Runs every revenue case: [(name, expected, actual, extra lines, summary, seconds)]."""
    out = []
    for name, (spec, step, bucket, active, start) in REVENUE_CASES.items():
        lo = start or "1970-01-01"
        hi = "9999-01-01"
        first, last = con.execute(
            f"SELECT min({bucket.format(ts='ts')}), max({bucket.format(ts='ts')}) FROM events "
            f"WHERE ts >= TIMESTAMP '{lo}'").fetchone()
        rows = con.execute(REVENUE_SQL.format(
            bucket=bucket.format(ts="ts"), born_bucket=bucket.format(ts="t0"), active=active, lo=lo, hi=hi,
            first=first.isoformat(), last=last.isoformat(), step=step)).fetchall()
        exp = {(b.isoformat(),): (cents(r), pu, rf, pa, ac, nw, aq, cents(td))
               for b, r, pu, rf, pa, ac, nw, aq, td in rows}
        r, pu, rf, pa, ac = con.execute(REVENUE_TOTAL_SQL.format(active=active, lo=lo, hi=hi)).fetchone()
        new_total = sum(v[5] for v in exp.values())
        last_row = exp[max(exp)]
        exp[("total",)] = (cents(r), pu, rf, pa, ac, new_total, last_row[6], last_row[7])
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        act, extra = {}, []
        ratio = lambda a, b: None if b == 0 else a / b  # noqa: E731
        close = lambda a, b: (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-9 * max(1, abs(b)))  # noqa: E731
        for label, m in [(x["label"], x) for x in res["intervals"]] + [("total", res["total"])]:
            act[(label,)] = (cents(m["revenue"]), m["purchases"], m["refunds"], m["paying_users"],
                             m["active_users"], m["new_users"], m["acquired_to_date"], cents(m["revenue_to_date"]))
            for f, want in (("paying_rate", ratio(m["paying_users"], m["active_users"])),
                            ("arpu", ratio(m["revenue"], m["active_users"])),
                            ("arppu", ratio(m["revenue"], m["paying_users"])),
                            ("arpu_acquired", ratio(m["revenue_to_date"], m["acquired_to_date"]))):
                if not close(m[f], want):
                    extra.append(f"{label}: loupe {f} {m[f]} is not {want}")
            if m["arppu"] is not None and not close(m["arpu"], m["paying_rate"] * m["arppu"]):
                extra.append(f"{label}: ARPU != paying rate x ARPPU in loupe")
        if not any(v[3] > 0 for v in exp.values()):
            extra.append("negative control: nobody pays in duckdb")
        if start and not any(v[6] > v[5] for k, v in exp.items() if k == min(exp)):
            extra.append("negative control: nobody acquired before the range in duckdb")
        if active != "TRUE":
            only_buy = con.execute(
                f"SELECT count(*) FROM (SELECT user_id, {bucket.format(ts='ts')} FROM events GROUP BY ALL "
                f"HAVING bool_or(event = 'purchase') AND NOT bool_or({active}))").fetchone()[0]
            if not only_buy:
                extra.append("negative control: no user-interval active only by a purchase in duckdb")
        summary = (f"{name.replace('_', ' ')}: {len(exp) - 1} intervals and the total match "
                   f"(revenue {exp[('total',)][0] / 100:,.2f}, {exp[('total',)][3]:,} paying of "
                   f"{exp[('total',)][4]:,} active)")
        if "channel" in spec:
            labels = [x["label"] for x in res["intervals"]]
            for ch, new, paying, revenue, by_b in con.execute(REVENUE_CHANNEL_SQL.format(
                    bucket=bucket.format(ts="e.ts"), lo=lo, hi=hi)).fetchall():
                cost = REVENUE_COSTS.get(ch)
                payback = None
                if cost is not None:
                    per_b = {b.isoformat(): s for b, s in (by_b or [])}
                    acc = 0.0
                    for k, lab in enumerate(labels):
                        acc += per_b.get(lab, 0.0)
                        if acc >= cost:
                            payback = lab
                            break
                exp[("channel", ch)] = (new, paying, cents(revenue), payback)
            for c in res["channels"]:
                act[("channel", c["channel"])] = (c["new_users"], c["paying_users"], cents(c["revenue"]), c["payback"])
                cost = REVENUE_COSTS.get(c["channel"])
                if c["cost"] != cost:
                    extra.append(f"channel {c['channel']}: loupe cost {c['cost']}, given {cost}")
                want_roi = None if not cost else (c["revenue"] - cost) / cost
                want_cac = None if cost is None or c["new_users"] == 0 else cost / c["new_users"]
                if not close(c["roi"], want_roi) or not close(c["cac"], want_cac):
                    extra.append(f"channel {c['channel']}: loupe ROI {c['roi']} / CAC {c['cac']}, "
                                 f"expected {want_roi} / {want_cac}")
            paid = [k[1] for k, v in exp.items() if k[0] == "channel" and v[3] is not None]
            if not paid or len(paid) == len(REVENUE_COSTS):
                extra.append(f"negative control: channels paid back in duckdb: {paid}")
            summary += f"; {sum(1 for k in exp if k[0] == 'channel')} channels' ROI match (paid back: {', '.join(sorted(paid))})"
        if "breakdown" in spec:
            labels = [x["label"] for x in res["intervals"]]
            cells = 0
            for v, b, r, pu, rf, pa, ac, nw in con.execute(REVENUE_BREAKDOWN_SQL.format(
                    bucket=bucket.format(ts="ts"), born_bucket=bucket.format(ts="t0"), active=active,
                    lo=lo, hi=hi)).fetchall():
                if (cents(r), pu, rf, pa, ac, nw) != (0, 0, 0, 0, 0, 0):
                    exp[("value", v, b.isoformat())] = (cents(r), pu, rf, pa, ac, nw)
                    cells += 1
            for x in res["breakdowns"]:
                for lab, m in zip(labels, x["intervals"]):
                    got = (cents(m["revenue"]), m["purchases"], m["refunds"], m["paying_users"],
                           m["active_users"], m["new_users"])
                    if got != (0, 0, 0, 0, 0, 0):
                        act[("value", x["value"], lab)] = got
                    if m["arppu"] is not None and not close(m["arpu"], m["paying_rate"] * m["arppu"]):
                        extra.append(f"{x['value']} {lab}: ARPU != paying rate x ARPPU in loupe")
            values = {k[1] for k in exp if k[0] == "value"}
            if len(values) < 2:
                extra.append(f"negative control: fewer than 2 platforms in duckdb: {values}")
            summary += f"; {cells} (platform, week) cells match"
        out.append((name, exp, act, extra, summary, dt))
    return out


# Channels, written from Loupe's definition (src/engine/analysis/channels.rs): every user
# is new at their first event (whole data, no range); their channel is the first
# ({pick} = arg_min) or last (arg_max) non-empty channel of their events; day 0 is the UTC
# day of the first event; retained on day N when they have an event on day 0 + N, counted
# only when that day has ended by the last event of the data; paying = a purchase with an
# amount >= 0; revenue = all their purchase amounts (missing = 0).
CHANNELS_SQL = """
WITH born AS (
    SELECT user_id, min(ts) AS t0, {pick}(channel, ts) FILTER (WHERE channel IS NOT NULL) AS ch
    FROM events GROUP BY user_id
), cohort AS (
    SELECT user_id, CAST(t0 AS DATE) AS d0, coalesce(ch, '(none)') AS ch FROM born
), flags AS (
    SELECT c.user_id, c.ch, c.d0,
           bool_or(CAST(e.ts AS DATE) = c.d0 + 1) AS r1,
           bool_or(CAST(e.ts AS DATE) = c.d0 + 7) AS r7,
           bool_or(e.event = 'purchase' AND coalesce(e.revenue, 0) >= 0) AS paying,
           coalesce(sum(coalesce(e.revenue, 0)) FILTER (WHERE e.event = 'purchase'), 0) AS revenue
    FROM cohort c JOIN events e USING (user_id) GROUP BY ALL
), fin AS (SELECT max(ts) AS end_ts FROM events)
SELECT ch, count(*) AS new,
       count(*) FILTER (WHERE CAST(d0 + 2 AS TIMESTAMP) <= end_ts) AS d1_eligible,
       count(*) FILTER (WHERE CAST(d0 + 2 AS TIMESTAMP) <= end_ts AND r1) AS d1_retained,
       count(*) FILTER (WHERE CAST(d0 + 8 AS TIMESTAMP) <= end_ts) AS d7_eligible,
       count(*) FILTER (WHERE CAST(d0 + 8 AS TIMESTAMP) <= end_ts AND r7) AS d7_retained,
       count(*) FILTER (WHERE paying) AS paying,
       sum(revenue) AS revenue
FROM flags CROSS JOIN fin GROUP BY ch
"""
CHANNELS_CASES = {"channels_first_touch": ("first_touch", "arg_min"),
                  "channels_last_touch": ("last_touch", "arg_max")}


def channels_checks(args, con):
    """Runs every channels case: [(name, expected, actual, extra lines, summary, seconds)]."""
    out = []
    ratio = lambda a, b: None if b == 0 else a / b  # noqa: E731
    close = lambda a, b: (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-9 * max(1, abs(b)))  # noqa: E731
    for name, (attribution, pick) in CHANNELS_CASES.items():
        exp = {(ch,): (new, e1, r1, e7, r7, pay, cents(rev))
               for ch, new, e1, r1, e7, r7, pay, rev in con.execute(CHANNELS_SQL.format(pick=pick)).fetchall()}
        spec = {"analysis": "channels", "channel": "channel", "attribution": attribution,
                "retention_days": [1, 7], "limit": 0, "timezone": "UTC"}
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        act, extra = {}, []
        for row in res["rows"]:
            d1, d7 = row["retention"]
            act[(row["channel"],)] = (row["new_users"], d1["eligible"], d1["users"], d7["eligible"],
                                      d7["users"], row["paying_users"], cents(row["revenue"]))
            for what, got, want in (("D1", d1["rate"], ratio(d1["users"], d1["eligible"])),
                                    ("D7", d7["rate"], ratio(d7["users"], d7["eligible"])),
                                    ("paying rate", row["paying_rate"], ratio(row["paying_users"], row["new_users"])),
                                    ("ARPU", row["arpu"], ratio(row["revenue"], row["new_users"]))):
                if not close(got, want):
                    extra.append(f"{row['channel']}: loupe {what} {got} is not {want}")
        if not any(v[4] for v in exp.values()):
            extra.append("negative control: nobody retained on day 7 in duckdb")
        if all(v[3] == v[0] for v in exp.values()):
            extra.append("negative control: every user's day 7 has ended in duckdb")
        n = sum(v[0] for v in exp.values())
        d1 = sum(v[2] for v in exp.values()) / max(1, sum(v[1] for v in exp.values()))
        summary = (f"{name.replace('_', ' ')}: {len(exp)} channels match ({n:,} new users, "
                   f"D1 {d1:.3f}, {sum(v[5] for v in exp.values()):,} paying)")
        out.append((name, exp, act, extra, summary, dt))
    return out


# AARRR, written from Loupe's definition (src/engine/analysis/aarrr.rs): the current
# period is the date range (UTC whole days), the previous one the same length just before;
# per period [lo, hi): new users = users whose first event of the whole data lies in it,
# per channel of that first event (the generated file keeps one channel per user), and the
# distinct users / events of invite_friend, over the distinct users with any event.
AARRR_SQL = """
WITH firsts AS (
    SELECT user_id, min(ts) AS f, arg_min(channel, ts) AS ch FROM events GROUP BY user_id
), p AS (SELECT TIMESTAMP '{lo}' AS lo, TIMESTAMP '{hi}' AS hi)
SELECT 'new_users' AS k, count(*) FROM firsts, p WHERE f >= lo AND f < hi
UNION ALL
SELECT 'new_users:' || coalesce(ch, '(none)'), count(*) FROM firsts, p
    WHERE f >= lo AND f < hi GROUP BY ch
UNION ALL
SELECT 'referral_users', count(DISTINCT user_id) FROM events, p
    WHERE event = 'invite_friend' AND ts >= lo AND ts < hi
UNION ALL
SELECT 'referral_events', count(*) FROM events, p
    WHERE event = 'invite_friend' AND ts >= lo AND ts < hi
UNION ALL
SELECT 'active_users', count(DISTINCT user_id) FROM events, p WHERE ts >= lo AND ts < hi
"""
AARRR_PERIODS = {"current": ("2025-02-01 00:00:00", "2025-03-01 00:00:00"),
                 "previous": ("2025-01-04 00:00:00", "2025-02-01 00:00:00")}


def aarrr_checks(args, con):
    """The AARRR case: [(name, expected, actual, extra lines, summary, seconds)]."""
    exp, act, extra = {}, {}, []
    for side, (lo, hi) in AARRR_PERIODS.items():
        rows = dict(con.execute(AARRR_SQL.format(lo=lo, hi=hi)).fetchall())
        active = rows.pop("active_users")
        for k, v in rows.items():
            exp[(side, k)] = v
        exp[(side, "referral_rate")] = round(rows["referral_users"] / active, 12) if active else None
        exp[(side, "bounds")] = (lo.replace(" ", "T") + ".000Z", hi.replace(" ", "T") + ".000Z")
    spec = {"analysis": "aarrr", "channel": "channel", "limit": 0, "referral_event": "invite_friend",
            "date_range": {"from": "2025-02-01", "to": "2025-02-28"}, "timezone": "UTC"}
    res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
    for side in AARRR_PERIODS:
        for m in res["metrics"]:
            if m["key"] in ("new_users", "referral_users", "referral_events"):
                act[(side, m["key"])] = int(m[side])
            elif m["key"] == "referral_rate":
                act[(side, m["key"])] = None if m[side] is None else round(m[side], 12)
        for c in res["channels"]:
            if c[side]:
                act[(side, "new_users:" + c["channel"])] = c[side]
        act[(side, "bounds")] = (res[side]["from"], res[side]["to"])
    for side in AARRR_PERIODS:
        if not exp[(side, "new_users")] or not exp[(side, "referral_users")]:
            extra.append(f"negative control: no new or referral users in the {side} period in duckdb")
    if exp[("current", "new_users")] == exp[("previous", "new_users")]:
        extra.append("negative control: both periods have the same new users in duckdb")
    summary = (f"aarrr: two periods match ({exp[('current', 'new_users')]:,} / "
               f"{exp[('previous', 'new_users')]:,} new users, referral rate "
               f"{exp[('current', 'referral_rate')]:.4f} / {exp[('previous', 'referral_rate')]:.4f})")
    return [("aarrr", exp, act, extra, summary, dt)]


# RFM, written from Loupe's definition (src/engine/analysis/rfm.rs): purchases are
# `purchase` events, a negative revenue is a refund (lowers M, not a purchase), a missing
# one counts 0; R = days from the last purchase's day ({day}: the local day) to the as-of
# day (the day after the data's last day), F = purchases, M = net amount summed in time
# order (the order Loupe sums in, so equal totals stay equal).
RFM_SQL = """
WITH p AS (
    SELECT user_id, ts, {day} AS d, coalesce(revenue, 0) AS amt,
           row_number() OVER () AS rn
    FROM events WHERE event = 'purchase'
), as_of_day AS (SELECT max({day_all}) + 1 AS a FROM events)
SELECT user_id,
       date_diff('day', max(d) FILTER (WHERE amt >= 0), (SELECT a FROM as_of_day)) AS r,
       count(*) FILTER (WHERE amt >= 0) AS f,
       sum(amt ORDER BY ts, rn) AS m
FROM p GROUP BY user_id
HAVING count(*) FILTER (WHERE amt >= 0) > 0
"""
# the eight classes at {stat} (avg or median): R high when days <= the threshold, F and M
# high when >= theirs; the class from (M, R, F)
RFM_EIGHT_SQL = """
WITH c AS ({customers}), t AS (SELECT {stat}(r) AS tr, {stat}(f) AS tf, {stat}(m) AS tm FROM c)
SELECT user_id, r, f, m,
       CAST(r <= tr AS INT), CAST(f >= tf AS INT), CAST(m >= tm AS INT),
       CASE WHEN m >= tm THEN 'important_' ELSE 'general_' END ||
       CASE WHEN r <= tr AND f >= tf THEN 'value' WHEN r <= tr THEN 'develop'
            WHEN f >= tf THEN 'keep' ELSE 'win_back' END,
       tr, tf, tm
FROM c, t
"""
RFM_MAP = [  # rows R = 5 .. 1, columns F = 1 .. 5
    ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],
    ["promising", "potential_loyalists", "potential_loyalists", "loyal_customers", "loyal_customers"],
    ["about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"],
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"],
    ["lost", "lost", "at_risk", "at_risk", "cant_lose_them"],
]
RFM_CASES = {
    "rfm_split": {"analysis": "rfm", "timezone": "UTC"},
    "rfm_shared": {"analysis": "rfm", "ties": "shared", "timezone": "UTC"},
    "rfm_mean": {"analysis": "rfm", "model": "eight_class", "timezone": "UTC"},
    "rfm_median": {"analysis": "rfm", "model": "eight_class", "split": "median", "timezone": "+08:00"},
}


def pandas_quintiles(rows, shared):
    """{user: (r, f, m, (rs, fs, ms), segment)} with pandas' qcut of ranks."""
    import pandas as pd
    df = pd.DataFrame(rows, columns=["user_id", "r", "f", "m"])
    df["neg_r"] = -df["r"]
    scores = {}
    for col, key in (("r", "neg_r"), ("f", "f"), ("m", "m")):
        d = df.sort_values([key, "user_id"], kind="mergesort")
        rank = d[key].rank(method="first")
        split = pd.qcut(rank, 5, labels=[1, 2, 3, 4, 5]).astype(int)
        if shared:
            split = split.groupby(d[key]).transform("min")
        scores[col] = dict(zip(d["user_id"], split))
    out = {}
    for u, r, f, m in rows:
        sc = (scores["r"][u], scores["f"][u], scores["m"][u])
        out[u] = (int(r), int(f), round(m, 6), tuple(int(x) for x in sc), RFM_MAP[5 - sc[0]][sc[1] - 1])
    return out


def loupe_rfm(res):
    """{user: (r, f, m, scores, segment)} and {segment: customers} from Loupe."""
    members = {m["user_id"]: (m["recency"], m["frequency"], round(m["monetary"], 6),
                              (m["r_score"], m["f_score"], m["m_score"]), m["segment"])
               for m in res["members"]}
    return members, {(s["segment"],): s["customers"] for s in res["segments"]}


def rfm_checks(args, con):
    """Runs every RFM case: [(name, expected, actual, extra lines, summary, seconds)]."""
    out = []
    for name, spec in RFM_CASES.items():
        shift = "INTERVAL 8 HOUR" if spec["timezone"] == "+08:00" else "INTERVAL 0 HOUR"
        day = f"CAST(ts + {shift} AS DATE)"
        customers = RFM_SQL.format(day=day, day_all=day)
        extra = []
        if spec.get("model") == "eight_class":
            stat = "median" if spec.get("split") == "median" else "avg"
            rows = con.execute(RFM_EIGHT_SQL.format(customers=customers, stat=stat)).fetchall()
            exp = {u: (int(r), int(f), round(m, 6), (rs, fs, ms), seg)
                   for u, r, f, m, rs, fs, ms, seg, *_ in rows}
            th = rows[0][8:] if rows else None
        else:
            rows = con.execute(customers).fetchall()
            exp = pandas_quintiles(rows, spec.get("ties") == "shared")
            th = None
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        act, act_seg = loupe_rfm(res)
        exp_seg = {k: 0 for k in act_seg}
        for v in exp.values():
            exp_seg[(v[4],)] = exp_seg.get((v[4],), 0) + 1
        if th is not None:
            got = res["thresholds"]
            if any(abs(a - b) > 1e-9 * max(1.0, abs(a)) for a, b in zip(th, (got["r"], got["f"], got["m"]))):
                extra.append(f"thresholds: duckdb {th}, loupe {got}")
        if len({v[4] for v in exp.values()}) < 4:
            extra.append(f"negative control: only {len({v[4] for v in exp.values()})} segments in duckdb")
        if res["customers"] != len(exp):
            extra.append(f"customers: duckdb {len(exp)}, loupe {res['customers']}")
        extra += [f"segment {k[0]}: duckdb {exp_seg.get(k)}, loupe {v}" for k, v in act_seg.items()
                  if exp_seg.get(k, 0) != v]
        summary = (f"{name.replace('_', ' ')}: {len(exp):,} customers match in R, F, M, scores and "
                   f"segment ({len([v for v in act_seg.values() if v])} segments, as of {res['as_of']})")
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


PATHS_SQL = """
WITH e AS (
    SELECT user_id, event, ts, rn, {sid} AS sid0,
           CASE WHEN lag(ts) OVER w IS NULL OR ts - lag(ts) OVER w >= INTERVAL {timeout} MINUTE
                THEN 1 ELSE 0 END AS starts
    FROM events_rn
    WINDOW w AS (PARTITION BY user_id ORDER BY ts, rn)),
s AS (
    SELECT *, coalesce(sid0, CAST(sum(starts) OVER (PARTITION BY user_id ORDER BY ts, rn
                                  ROWS UNBOUNDED PRECEDING) AS VARCHAR)) AS sid
    FROM e),
c AS (SELECT *, lag(event) OVER (PARTITION BY user_id, sid ORDER BY ts, rn) AS prev FROM s),
d AS (SELECT * FROM c WHERE prev IS NULL OR prev <> event),
k AS (SELECT *, row_number() OVER (PARTITION BY user_id, sid ORDER BY ts, rn) AS k FROM d),
a AS (SELECT user_id, sid, min(k) AS k0 FROM k WHERE event = '{anchor}' GROUP BY ALL),
p AS (
    SELECT k.user_id, k.sid, {step} AS step, k.event
    FROM k JOIN a USING (user_id, sid)
    WHERE {step} BETWEEN 1 AND {steps})
SELECT user_id, sid, list(event ORDER BY step) FROM p GROUP BY ALL
"""

# name -> (spec, anchor, session-id column or None, after the anchor?)
PATHS_CASES = {
    "paths_after": ({"analysis": "paths", "start_event": "app_open", "steps": 5, "top": 5,
                     "limit": 10}, "app_open", None, True),
    "paths_before": ({"analysis": "paths", "end_event": "add_to_cart", "steps": 4, "top": 2,
                      "session": "session_id", "limit": 10}, "add_to_cart", "session_id", False),
}


def paths_checks(args, con):
    """Runs every paths case: [(name, expected, actual, extra lines, summary, seconds)]."""
    con.execute("CREATE OR REPLACE TABLE events_rn AS SELECT *, row_number() OVER () AS rn FROM events")
    out = []
    for name, (spec, anchor, sid, after) in PATHS_CASES.items():
        steps = spec["steps"]
        rows = con.execute(PATHS_SQL.format(
            sid=sid or "CAST(NULL AS VARCHAR)", timeout=30, anchor=anchor, steps=steps,
            step="k.k - a.k0 + 1" if after else "a.k0 - k.k + 1")).fetchall()
        if sid:
            # events without a session id take part in no session
            missing = con.execute(f"SELECT count(*) FROM events WHERE {sid} IS NULL").fetchone()[0]
            if missing:
                raise Fail(f"{name}: {missing} events without {sid} (the SQL assumes none)")
        paths = [tuple(seq) for _, _, seq in rows]
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        extra = []
        exp, act = {}, {}
        exp[("paths",)] = (len(paths), len({u for u, _, _ in rows}))
        act[("paths",)] = (res["paths"], res["users"])
        # top nodes of every step: ranked by paths, ties by label
        named = {}
        for step in range(1, steps + 1):
            counts = {}
            for p in paths:
                if len(p) >= step:
                    counts[p[step - 1]] = counts.get(p[step - 1], 0) + 1
            ranked = sorted(counts.items(), key=lambda x: (-x[1], x[0].encode()))
            top = ranked[:spec["top"]]
            named[step] = {l for l, _ in top}
            for l, c in top:
                exp[("node", step, l)] = c
            if len(ranked) > spec["top"]:
                exp[("node", step, "(other)")] = sum(c for _, c in ranked[spec["top"]:])
            for n in res["nodes"]:
                if n["step"] == step:
                    act[("node", step, n["label"])] = n["paths"]
        # step-1 -> step-2 links and step-1 drop-off between named nodes
        for p in paths:
            if p[0] in named[1]:
                key = ("link", p[0], p[1] if len(p) > 1 else "(drop-off)")
                if len(p) == 1 or p[1] in named[2]:
                    exp[key] = exp.get(key, 0) + 1
        nodes = res["nodes"]
        for l in res["links"]:
            a, b = nodes[l["from"]], nodes[l["to"]]
            if a["step"] == 1 and not a["other"] and not b["other"]:
                act[("link", a["label"], b["label"])] = l["paths"]
        for n in nodes:
            if n["step"] == 1 and not n["other"] and n["drop_off"]:
                act[("link", n["label"], "(drop-off)")] = n["drop_off"]
        # top full paths: the listed ones with their counts, none unlisted more frequent
        seqs = {}
        for p in paths:
            seqs[p] = seqs.get(p, 0) + 1
        listed = {tuple(t["labels"]): t["paths"] for t in res["top_paths"]}
        for seq in listed:
            exp[("path",) + seq] = seqs.get(seq, 0)
            act[("path",) + seq] = listed[seq]
        rest = [c for s_, c in seqs.items() if s_ not in listed]
        if listed and rest and max(rest) > min(listed.values()):
            extra.append(f"top paths: an unlisted path occurs {max(rest)} times, "
                         f"a listed one {min(listed.values())}")
        if len(listed) != min(spec["limit"], len(seqs)):
            extra.append(f"top paths: loupe lists {len(listed)} of {len(seqs)}")
        if after and not any(k[0] == "link" and k[2] == "(drop-off)" for k in exp):
            extra.append("negative control: no step-1 drop-off in duckdb")
        if not any(k[0] == "node" and k[2] == "(other)" for k in exp):
            extra.append("negative control: no (other) node in duckdb")
        links = sum(1 for k in exp if k[0] == "link")
        summary = (f"{name.replace('_', ' ')}: {len(paths):,} paths, {links} step-1 links and "
                   f"drop-offs, the top nodes of {steps} steps and {len(listed)} top paths match")
        out.append((name, exp, act, extra, summary, dt))
    return out



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


# User stages, written from Loupe's definition (src/engine/analysis/stages.rs) for UTC days
# over the whole data: born = the user's first day with any event; the active days
# ({active}) with the previous one (or the born day) by LAG; every (user, day) from the born
# day to the data's last day, joined ASOF to the user's last active day on or before it.
# new = born that day; returned = active that day after >= {churned} inactive days;
# otherwise by the days since the last active day (or the born day): < {silent} active,
# < {churned} silent, else churned.
STAGES_SQL = """
WITH born AS (
    SELECT user_id, min(CAST(ts AS DATE)) AS born FROM events GROUP BY user_id
), act AS (
    SELECT DISTINCT user_id, CAST(ts AS DATE) AS d FROM events WHERE {active}
), walk AS (
    SELECT a.user_id, a.d, coalesce(lag(a.d) OVER (PARTITION BY a.user_id ORDER BY a.d), b.born) AS prev
    FROM act a JOIN born b USING (user_id)
), days AS (
    SELECT CAST(r.range AS DATE) AS day
    FROM range(TIMESTAMP '{first}', TIMESTAMP '{last}' + INTERVAL 1 DAY, INTERVAL 1 DAY) r
), grid AS (
    SELECT b.user_id, b.born, days.day FROM born b JOIN days ON b.born <= days.day
), staged AS (
    SELECT g.day,
           CASE WHEN g.born = g.day THEN 'new'
                WHEN w.d = g.day AND date_diff('day', w.prev, w.d) - 1 >= {churned} THEN 'returned'
                WHEN date_diff('day', coalesce(w.d, g.born), g.day) < {silent} THEN 'active'
                WHEN date_diff('day', coalesce(w.d, g.born), g.day) < {churned} THEN 'silent'
                ELSE 'churned' END AS stage
    FROM grid g ASOF LEFT JOIN walk w ON w.user_id = g.user_id AND w.d <= g.day
)
SELECT day, stage, count(*) FROM staged GROUP BY ALL
"""
STAGE_NAMES = ("new", "active", "silent", "churned", "returned")
STAGES_CASES = {
    # name: (loupe spec, active condition)
    "stages_day": ({"analysis": "stages", "interval": "day", "timezone": "UTC"}, "TRUE"),
    "stages_purchase": ({"analysis": "stages", "interval": "day", "timezone": "UTC", "event": "purchase",
                         "silent_days": 3, "churned_days": 14}, "event = 'purchase'"),
}


def sql_stages(con, active, silent, churned):
    """{(day, stage): users} for every day of the data and every stage, from DuckDB."""
    lo, hi = con.execute("SELECT min(CAST(ts AS DATE)), max(CAST(ts AS DATE)) FROM events").fetchone()
    out, day = {}, lo
    while day <= hi:
        for st in STAGE_NAMES:
            out[(day.isoformat(), st)] = 0
        day += datetime.timedelta(days=1)
    rows = con.execute(STAGES_SQL.format(active=active, silent=silent, churned=churned,
                                         first=lo.isoformat(), last=hi.isoformat())).fetchall()
    for d, st, n in rows:
        out[(d.isoformat(), st)] = int(n)
    return out


def stages_checks(args, con):
    """Runs every stages case: [(name, expected, actual, extra lines, summary, seconds)]."""
    out = []
    for name, (spec, active) in STAGES_CASES.items():
        silent, churned = spec.get("silent_days", 7), spec.get("churned_days", 30)
        exp = sql_stages(con, active, silent, churned)
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), args.csv)
        act, extra = {}, []
        for k, b in enumerate(res["buckets"]):
            for st in STAGE_NAMES:
                act[(b, st)] = res[st][k]
            if sum(res[st][k] for st in STAGE_NAMES) != res["seen"][k]:
                extra.append(f"{b}: the stages do not add up to seen in loupe")
        for st in STAGE_NAMES:
            if not any(v > 0 for (_, s), v in exp.items() if s == st):
                extra.append(f"negative control: no duckdb day has {st} users")
        # a churned threshold one day longer must change the counts
        if sql_stages(con, active, silent, churned + 1) == exp:
            extra.append("negative control: the churned threshold changes nothing in duckdb")
        last = max(d for d, _ in exp)
        summary = (f"{name.replace('_', ' ')}: {len(exp) // len(STAGE_NAMES)} days x 5 stages match "
                   f"(last day {last}: " + ", ".join(f"{st} {exp[(last, st)]:,}" for st in STAGE_NAMES) + ")")
        out.append((name, exp, act, extra, summary, dt))
    return out


def parquet_checks(args, con, sql_funnel_rows):
    """The events table written as Parquet by DuckDB (its own types: a TIMESTAMP column named
    ts, DOUBLE revenue, nulls; snappy, several row groups) must load in Loupe to DuckDB's
    per-event counts and give DuckDB's funnel: [(name, expected, actual, extra, summary, s)]."""
    path = os.path.join(args.data, f"events_{args.size}.parquet")
    con.execute(f"COPY events TO '{path}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 30000)")
    groups = con.execute(f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{path}')").fetchone()[0]
    exp = {e: (n, u) for e, n, u in con.execute(
        "SELECT event, count(*), count(DISTINCT user_id) FROM events GROUP BY ALL").fetchall()}
    info, dt = loupe(args, "inspect", path, "--json")
    act = {e["name"]: (e["events"], e["users"]) for e in info["event_names"]}
    extra = []
    if info["format"] != "parquet":
        extra.append(f"loupe read the file as {info['format']!r}")
    if info["rejected"] or info["rows_in"] != sum(n for n, _ in exp.values()):
        extra.append(f"loupe read {info['rows_in']:,} rows, rejected {info['rejected']:,}")
    if groups < 2:
        extra.append(f"negative control: the Parquet file has {groups} row group(s)")
    out = [("parquet_ingest", exp, act, extra,
            f"parquet ingest: {info['imported']:,} rows in {groups} row groups, "
            f"{len(exp)} event counts match ({dt:.2f} s)", dt)]
    res, dt2 = loupe(args, "run", "--spec", json.dumps(SPECS["funnel"]), path)
    fexp, fact = sql_funnel(sql_funnel_rows), loupe_funnel(res)
    out.append(("parquet_funnel", fexp, fact, [],
                f"parquet funnel: {len(fexp)} steps match", dt2))
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

    # sessions (the sample, timeouts of 30 and 5 minutes; the generated file's session ids)
    for name, exp, act, extra, line, dt in sessions_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} numbers", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # cohort LTV (DuckDB SQL) and the customer summary (lifetimes): crosscheck_ltv.py
    import crosscheck_ltv  # noqa: E402  (next to this file)
    for name, exp, act, extra, line, dt in crosscheck_ltv.checks(args, con, loupe):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} values", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # revenue (weekly with channels, daily from a range start; SQL of this file)
    for name, exp, act, extra, line, dt in revenue_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} rows", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # channels (first and last touch; SQL of this file)
    for name, exp, act, extra, line, dt in channels_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} rows", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # AARRR (two periods; SQL of this file)
    for name, exp, act, extra, line, dt in aarrr_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} numbers", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # RFM (SQL and pandas of this file)
    for name, exp, act, extra, line, dt in rfm_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} members", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # paths (SQL of this file)
    for name, exp, act, extra, line, dt in paths_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} counts", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # A/B tests (SQL of this file; statistics by SciPy)
    for name, exp, act, extra, line, dt in ab_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} variants", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # user stages (day; SQL of this file)
    for name, exp, act, extra, line, dt in stages_checks(args, con):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} cells", extra)
        summary.append(line if ok else f"{name.replace('_', ' ')}: MISMATCH")

    # Parquet written by DuckDB: the same counts and the same funnel
    for name, exp, act, extra, line, dt in parquet_checks(args, con, sql["funnel"]):
        t_loupe += dt
        ok = check(name, exp, act, f"{name} values", extra)
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
