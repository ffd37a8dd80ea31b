#!/usr/bin/env python3
"""Writes tests/e2e/fixtures/sample.parquet, the Parquet file the e2e test drops on the app.

It is the CLI's sample data (`loupe sample --users 200 --days 14 --seed 7`) written by
DuckDB: the timestamp as a TIMESTAMP WITH TIME ZONE (UTC-adjusted microseconds), revenue as
a DOUBLE (null where empty), page null where empty, snappy pages, row groups of 1000 rows.
The e2e test checks that the app's overview of it equals `loupe inspect` of the same
sample as CSV.

    .venv/bin/python scripts/parquet_fixture.py   # needs target/release/loupe and duckdb
"""
import os
import subprocess
import sys
import tempfile

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = ["--users", "200", "--days", "14", "--seed", "7"]


def write(csv_path, out_path, row_group=1000, compression="snappy"):
    """Writes the CSV at csv_path (sample columns) as Parquet at out_path."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (SELECT user_id, event, timestamp::TIMESTAMPTZ AS timestamp, platform,
                 country, channel, revenue::DOUBLE AS revenue, NULLIF(page, '') AS page, variant
              FROM read_csv('{csv_path}', all_varchar = true))
            TO '{out_path}' (FORMAT parquet, COMPRESSION {compression},
                             ROW_GROUP_SIZE {row_group})"""
    )


def main():
    out = os.path.join(ROOT, "tests", "e2e", "fixtures", "sample.parquet")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = os.path.join(tmp, "sample.csv")
        loupe = os.path.join(ROOT, "target", "release", "loupe")
        subprocess.run([loupe, "sample", *SAMPLE, "--out", csv_path], check=True)
        write(csv_path, out)
    print(f"{out}: {os.path.getsize(out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
