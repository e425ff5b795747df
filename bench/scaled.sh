#!/usr/bin/env bash
# Scale-out benchmark: the same ingest load (wrk, 64 connections in all, bench/ingest.lua)
# against one instance on SQLite, one on PostgreSQL, and two on PostgreSQL + Redis (each of
# the two gets 32 connections, their rates are added), all in one run. Medians of BENCH_RUNS
# (3) runs of BENCH_DURATION (10s), single events and batches of 100. Writes its section of
# bench/RESULTS.md (between the scaled markers).
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379.
# Usage: bash bench/scaled.sh      (BENCH_NO_BUILD=1 reuses target/release/tributary)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10s}
RUNS=${BENCH_RUNS:-3}
ADMIN_TOKEN=bench-admin-token-not-a-secret
JWT_SECRET=bench-jwt-secret-not-a-secret-0123456789
PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary
BIN=$ROOT/target/release/tributary

WORK=$(mktemp -d /tmp/tributary-scaled.XXXXXX)
PIDS=()
DBS=()
PREFIX="tributary-bench-$RANDOM$RANDOM"
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for db in "${DBS[@]}"; do psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
    redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX:*" 2>/dev/null | xargs -r redis-cli -h 127.0.0.1 DEL >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

fresh_pg() {
    local db="tributary_bench_$RANDOM$RANDOM"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $db" >/dev/null
    echo "postgres://postgres@127.0.0.1:5432/$db"
}


# load <mode> <key> <url>...: wrk against every url at once, 64 connections split between them;
# prints the summed events/s.
load() {
    local mode=$1 key=$2; shift 2
    local per=$((64 / $#)) path=/api/v1/events i=0
    [ "$mode" = batch ] && path=/api/v1/events/batch
    for url in "$@"; do
        BENCH_MODE=$mode BENCH_KEY=$key BENCH_BATCH_SIZE=100 \
            wrk -t1 -c"$per" -d"$DURATION" -s bench/ingest.lua "$url$path" >"$WORK/wrk-$i.txt" 2>&1 &
        i=$((i + 1))
    done
    wait $(jobs -p | tail -n "$#")
    cat "$WORK"/wrk-*.txt | grep '^BENCH ' | awk '{for (f = 1; f <= NF; f++) { split($f, kv, "="); if (kv[1] == "accepted") a += kv[2]; if (kv[1] == "seconds") s = kv[2]; if (kv[1] == "bad") b += kv[2] } } END { if (b > 0) print "ERR"; else printf "%.0f\n", a / s }'
    rm -f "$WORK"/wrk-*.txt
}

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

measure() { # measure <label> <key> <url>...
    local label=$1 key=$2; shift 2
    load single "$key" "$@" >/dev/null; load batch "$key" "$@" >/dev/null  # warm-up
    local singles=() batches=()
    for _ in $(seq "$RUNS"); do
        singles+=("$(load single "$key" "$@")")
        batches+=("$(load batch "$key" "$@")")
    done
    echo "$label|$(median "${singles[@]}")|$(median "${batches[@]}")|${singles[*]}|${batches[*]}"
}

echo "==> one instance, SQLite"
start sqlite "sqlite://$WORK/bench.db"; URL=$(url_of sqlite)
ROW_SQLITE=$(measure "1 instance, SQLite" "$(tenant_key "$URL")" "$URL")
echo "$ROW_SQLITE"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

echo "==> one instance, PostgreSQL"
fresh_pg >"$WORK/db1"; DBS+=("$(basename "$(cat "$WORK/db1")")")
start pg1 "$(cat "$WORK/db1")"; URL=$(url_of pg1)
ROW_PG1=$(measure "1 instance, PostgreSQL" "$(tenant_key "$URL")" "$URL")
echo "$ROW_PG1"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

echo "==> two instances, PostgreSQL + Redis"
fresh_pg >"$WORK/db2"; DB=$(cat "$WORK/db2"); DBS+=("$(basename "$DB")")
start pg2a "$DB" redis://127.0.0.1:6379; URL_A=$(url_of pg2a)
start pg2b "$DB" redis://127.0.0.1:6379; URL_B=$(url_of pg2b)
ROW_PG2=$(measure "2 instances, PostgreSQL + Redis" "$(tenant_key "$URL_A")" "$URL_A" "$URL_B")
echo "$ROW_PG2"

row() { IFS='|' read -r label single batch singles batches <<<"$1"; printf '| %s | %s | %s | %s / %s |\n' "$label" "$single" "$batch" "$singles" "$batches"; }
SECTION="<!-- scaled:begin -->
## Scale-out: one instance on SQLite, one and two on PostgreSQL

- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores shared by the instances, PostgreSQL, Redis and wrk; server \`$(git rev-parse --short HEAD)\`.
- **Command**: \`bash bench/scaled.sh\`: wrk with 64 connections in all (split 32/32 over two instances), bodies from \`bench/ingest.lua\`, medians of $RUNS runs of $DURATION; events acknowledged per second. The same rate limit (none in effect) and the same load for every setup.

| setup | single events/s (median) | batch-of-100 events/s (median) | runs (single / batch) |
|---|---:|---:|---|
$(row "$ROW_SQLITE")
$(row "$ROW_PG1")
$(row "$ROW_PG2")

On one 2-core machine a second instance adds processes, not cores: this shows what sharing the
database and Redis costs, not how far more machines would scale.
<!-- scaled:end -->"
python3 - "$SECTION" <<'PY'
import re, sys, pathlib
path = pathlib.Path("bench/RESULTS.md")
text = path.read_text() if path.exists() else "# Benchmark results\n"
section = sys.argv[1]
if "<!-- scaled:begin -->" in text:
    text = re.sub(r"<!-- scaled:begin -->.*?<!-- scaled:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
path.write_text(text)
PY
echo "==> bench/RESULTS.md updated"
