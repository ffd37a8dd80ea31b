"""Cross-checks of the cohort LTV and the customer summary (imported by crosscheck.py).

ltv         the cohort LTV grid, written in DuckDB SQL from Loupe's definition
            (src/engine/analysis/ltv.rs): members by first event, cohorts and ages by
            date_trunc on local wall time, cumulative net purchase revenue per (cohort, age)
            over cohort size, the cells that exist and the complete flags. Two cases: the
            generated events (UTC, weekly cohorts, daily ages, all users) and a synthetic
            file with refunds and zero amounts (+08:00, weekly cohorts and ages, paying
            users only).
customers   the per-customer summary against Python lifetimes'
            summary_data_from_transaction_data(..., freq='D') (frequency, recency, T,
            monetary_value; purchases of amount >= 0 in local wall time) and against pandas
            for the purchase count and net revenue (refunds included), on the generated
            events (UTC) and on the synthetic file (+08:00) with an observation date inside
            the data.
"""
import json
import os
import random

import pandas as pd

SYNTH_ZONE = "+08:00"
SYNTH_HOURS = 8

# {local}: the local wall time of ts; {unit}: 'day' or 'week' (ages); cohorts are ISO
# weeks. Members: every user (their first event is their first activity). Paying: a
# purchase with an amount >= 0 (a missing amount is 0). A purchase's age is the number of
# age units from the unit holding the member's first event to the one holding the purchase.
LTV_SQL = """
WITH loc AS (
    SELECT user_id, event, {local} AS lt, coalesce(revenue, 0) AS amount FROM events
), firsts AS (
    SELECT user_id, min(lt) AS f FROM loc GROUP BY user_id
), paying AS (
    SELECT DISTINCT user_id FROM loc WHERE event = 'purchase' AND amount >= 0
), members AS (
    SELECT f.user_id, CAST(date_trunc('week', f.f) AS DATE) AS cohort,
           CAST(date_trunc('{unit}', f.f) AS DATE) AS born
    FROM firsts f {paying_join}
), rev AS (
    SELECT m.cohort, datediff('day', m.born, CAST(date_trunc('{unit}', l.lt) AS DATE)) // {days} AS age,
           sum(l.amount) AS r
    FROM loc l JOIN members m USING (user_id)
    WHERE l.event = 'purchase'
    GROUP BY ALL
), sizes AS (
    SELECT cohort, count(*) AS size, min(born) AS lo, max(born) AS hi FROM members GROUP BY cohort
), ends AS (
    SELECT max(lt) AS e FROM loc
), grid AS (
    SELECT s.cohort, a.k, s.size, s.hi
    FROM sizes s CROSS JOIN range(0, {periods}) a(k) CROSS JOIN ends
    WHERE datediff('day', s.lo, CAST(date_trunc('{unit}', ends.e) AS DATE)) // {days} >= a.k
)
SELECT g.cohort, g.k, g.size,
       (SELECT coalesce(sum(r), 0) FROM rev WHERE rev.cohort = g.cohort AND rev.age <= g.k) AS cum,
       CAST(g.hi + INTERVAL (({days}) * (g.k + 1)) DAY AS TIMESTAMP) <= (SELECT e FROM ends) AS complete
FROM grid g
ORDER BY 1, 2
"""


def synthetic(path, seed=7):
    """A purchase file with refunds, zero and missing amounts and ties of days."""
    rng = random.Random(seed)
    base = pd.Timestamp("2025-01-06T00:00:00Z")
    rows = []
    for u in range(600):
        start = base + pd.Timedelta(seconds=rng.randrange(0, 70 * 86400))
        rows.append((f"c{u:04d}", "open", start, ""))
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
            t = start + pd.Timedelta(seconds=rng.randrange(0, 50 * 86400))
            amount = rng.choice(["", "0", "9.99", "25", "12.5", "-5", "-9.99", "40.25", "3"])
            rows.append((f"c{u:04d}", "purchase", t, amount))
    rows.sort(key=lambda r: r[2])
    with open(path, "w") as f:
        f.write("user_id,event,timestamp,platform,country,channel,plan,revenue,session_id\n")
        for user, event, t, amount in rows:
            f.write(f"{user},{event},{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z,,,,,{amount},\n")


def sql_ltv(con, local, unit, periods, paying):
    days = 7 if unit == "week" else 1
    paying_join = "JOIN paying USING (user_id)" if paying else ""
    rows = con.execute(LTV_SQL.format(local=local, unit=unit, days=days, periods=periods,
                                      paying_join=paying_join)).fetchall()
    return {(c.isoformat(), int(k)): (int(size), round(float(cum), 6), bool(done))
            for c, k, size, cum, done in rows}


def loupe_ltv(res):
    out = {}
    for c in res["cohorts"]:
        for k, (rev, done) in enumerate(zip(c["revenue"], c["complete"])):
            out[(c["label"], k)] = (c["size"], round(rev, 6), done)
    return out


def lifetimes_summary(path, hours, observation):
    """{user: (frequency, recency, T, monetary, purchases, revenue)} by lifetimes + pandas."""
    from lifetimes.utils import summary_data_from_transaction_data

    df = pd.read_csv(path, usecols=["user_id", "event", "timestamp", "revenue"],
                     dtype={"user_id": str})
    # local wall time, naive, as lifetimes reads it
    df["local"] = (pd.to_datetime(df["timestamp"], utc=True).dt.tz_localize(None)
                   + pd.Timedelta(hours=hours))
    if observation is None:
        # the day of the data's last event (of any name)
        observation = df["local"].max().strftime("%Y-%m-%d")
    df = df[df["event"] == "purchase"].copy()
    df["revenue"] = df["revenue"].fillna(0.0)
    end = pd.Timestamp(observation) + pd.Timedelta(days=1)
    df = df[df["local"] < end]
    buys = df[df["revenue"] >= 0]
    s = summary_data_from_transaction_data(buys, "user_id", "local", "revenue", freq="D",
                                           observation_period_end=observation)
    counts = buys.groupby("user_id").size()
    net = df.groupby("user_id")["revenue"].sum()
    return {u: (int(r["frequency"]), int(r["recency"]), int(r["T"]), round(float(r["monetary_value"]), 6),
                int(counts[u]), round(float(net[u]), 6))
            for u, r in s.iterrows()}, observation


def loupe_customers(res):
    return {c["user"]: (c["frequency"], c["recency"], c["T"], round(c["monetary_value"], 6),
                        c["purchases"], round(c["revenue"], 6))
            for c in res["customers"]}


def checks(args, con, loupe):
    """[(name, expected, actual, extra lines, summary, seconds)] of every LTV case."""
    out = []
    synth = os.path.join(args.data, "ltv_synthetic.csv")
    synthetic(synth)
    cases = [
        ("ltv_generated", args.csv, None,
         {"analysis": "ltv", "cohort": "week", "period": "day", "periods": 30, "timezone": "UTC"},
         "ts", "day", False),
        ("ltv_synthetic", synth, "load_synthetic",
         {"analysis": "ltv", "cohort": "week", "period": "week", "periods": 8,
          "users": "paying", "timezone": SYNTH_ZONE},
         f"ts + INTERVAL {SYNTH_HOURS} HOUR", "week", True),
    ]
    load = ("CREATE OR REPLACE TABLE events AS SELECT user_id, event, \"timestamp\" AS ts, revenue "
            "FROM read_csv_auto('{path}', types = {{'timestamp': 'TIMESTAMP', 'revenue': 'DOUBLE', "
            "'user_id': 'VARCHAR'}})")
    for name, path, reload, spec, local, unit, paying in cases:
        if reload:
            con.execute("CREATE OR REPLACE TABLE main_events AS SELECT * FROM events")
            con.execute(load.format(path=path.replace("'", "''")))
        exp = sql_ltv(con, local, unit, spec["periods"], paying)
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), path)
        act = loupe_ltv(res)
        extra = []
        if not any(v[1] > 0 for (c, k), v in exp.items() if k >= 1):
            extra.append("negative control: no duckdb cell of age >= 1 has revenue")
        if not any(not v[2] for v in exp.values()):
            extra.append("negative control: every duckdb cell is complete")
        if reload:
            # refunds must matter: without them the grid differs
            if sql_ltv(con, f"{local}", unit, spec["periods"], False) == exp:
                extra.append("negative control: paying-only changes nothing in duckdb")
            con.execute("CREATE OR REPLACE TABLE events AS SELECT * FROM main_events")
        cohorts = len({c for c, _ in exp})
        out.append((name, exp, act, extra,
                    f"{name.replace('_', ' ')}: {len(exp):,} (cohort, age) cells of {cohorts} cohorts match",
                    dt))
    for name, path, zone, hours, observation in (
        ("customers_generated", args.csv, "UTC", 0, None),
        ("customers_synthetic", synth, SYNTH_ZONE, SYNTH_HOURS, "2025-02-20"),
    ):
        exp, obs = lifetimes_summary(path, hours, observation)
        spec = {"analysis": "customers", "timezone": zone}
        if observation:
            spec["observation_date"] = observation
        res, dt = loupe(args, "run", "--spec", json.dumps(spec), path)
        act = loupe_customers(res)
        extra = []
        if res["observation_date"] != obs:
            extra.append(f"observation date: lifetimes {obs}, loupe {res['observation_date']}")
        if not any(v[0] > 0 for v in exp.values()):
            extra.append("negative control: no repeat customer in lifetimes")
        if path == synth and not any(v[5] < 0 for v in exp.values()) and not any(
                v[5] < v[3] * v[0] for v in exp.values()):
            extra.append("negative control: refunds change no net revenue")
        out.append((name, exp, act, extra,
                    f"{name.replace('_', ' ')}: {len(exp):,} customers match lifetimes "
                    f"({sum(1 for v in exp.values() if v[0] > 0):,} repeat customers, observed {obs})",
                    dt))
    return out
