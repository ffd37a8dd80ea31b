#!/usr/bin/env bash
# Cross-check Loupe's analyses (funnel, retention, trends, active users, stickiness,
# lifecycle, sessions, cohort LTV, revenue, channels, AARRR, RFM, A/B tests, user stages) against
# the DuckDB reference
# SQL in ../shared/bench/queries.sql and SQL of the scripts, the customer summary against
# Python lifetimes, the A/B statistics against SciPy, then `loupe sql` against
# `loupe run --csv` in DuckDB and chDB (scripts/sqlcheck.py). The events written as Parquet by DuckDB
# must load to the same counts and funnel. Idempotent: every setup step is skipped when done.
#
#   scripts/crosscheck.sh                 # 100k events
#   scripts/crosscheck.sh --size 1m       # bigger file (generated on first use)
#   scripts/crosscheck.sh --rebuild       # rebuild target/release/loupe first (cargo is
#                                         # incremental; without it a missing binary is built)
# Other arguments are passed to scripts/crosscheck.py (see its --help).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/../shared/bench"
VENV="$ROOT/.venv"
DATA="$ROOT/target/crosscheck-data"
LOUPE="$ROOT/target/release/loupe"
PY="${PYTHON:-python3}"

size=100k
rebuild=0
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size="${2:?--size needs a value}"; shift 2 ;;
        --size=*) size="${1#--size=}"; shift ;;
        --rebuild) rebuild=1; shift ;;
        *) pass+=("$1"); shift ;;
    esac
done

[ -f "$BENCH/requirements.txt" ] || { echo "crosscheck: $BENCH/requirements.txt not found" >&2; exit 2; }
t0=$(date +%s.%N)

# 1. Python venv with the pinned packages (stamp = hash of requirements.txt)
if [ ! -x "$VENV/bin/python" ]; then
    echo "crosscheck: creating $VENV"
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.crosscheck-requirements.sha256"
want="$(sha256sum "$BENCH/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "crosscheck: installing $BENCH/requirements.txt into $VENV"
    "$VENV/bin/pip" install --quiet -r "$BENCH/requirements.txt"
    echo "$want" > "$stamp"
fi
sql_stamp="$VENV/.sqlcheck-requirements.sha256"
sql_want="$(sha256sum "$ROOT/scripts/sql-requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$sql_stamp" 2>/dev/null)" != "$sql_want" ]; then
    echo "crosscheck: installing scripts/sql-requirements.txt (chDB) into $VENV"
    "$VENV/bin/pip" install --quiet -r "$ROOT/scripts/sql-requirements.txt"
    echo "$sql_want" > "$sql_stamp"
fi

# the customer-summary check's reference (Python lifetimes), pinned with its own deps
LIFETIMES="lifetimes==0.11.3 autograd==1.9.1 dill==0.4.1"
if [ "$(cat "$VENV/.crosscheck-lifetimes" 2>/dev/null)" != "$LIFETIMES" ]; then
    echo "crosscheck: installing $LIFETIMES into $VENV"
    "$VENV/bin/pip" install --quiet $LIFETIMES
    echo "$LIFETIMES" > "$VENV/.crosscheck-lifetimes"
fi

# SciPy for the A/B test statistics (not in the shared requirements; pinned here)
if ! "$VENV/bin/python" -c 'import scipy' 2>/dev/null; then
    echo "crosscheck: installing scipy==1.17.1 into $VENV"
    "$VENV/bin/pip" install --quiet scipy==1.17.1
fi

# 2. the CLI
if [ "$rebuild" = 1 ] || [ ! -x "$LOUPE" ]; then
    echo "crosscheck: cargo build --release --bin loupe"
    (cd "$ROOT" && cargo build --release --bin loupe)
fi

# 3. data (deterministic: seed 42, 90 days from 2025-01-06)
if [ ! -s "$DATA/events_$size.csv" ]; then
    echo "crosscheck: generating $DATA/events_$size.csv"
    "$VENV/bin/python" "$BENCH/gen_events.py" --sizes "$size" --formats csv --out "$DATA"
fi

t1=$(date +%s.%N)
echo "crosscheck: setup $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

# 4. the checks: the reference SQL, then `loupe sql` in DuckDB and chDB
status=0
"$VENV/bin/python" "$ROOT/scripts/crosscheck.py" --size "$size" \
    --data "$DATA" --loupe "$LOUPE" --queries "$BENCH/queries.sql" ${pass[@]+"${pass[@]}"} || status=1
"$VENV/bin/python" "$ROOT/scripts/sqlcheck.py" --loupe "$LOUPE" || status=1
exit $status
