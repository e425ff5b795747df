#!/usr/bin/env bash
# Schema validation cost (issue #18): ingest throughput and server CPU per event with a
# 20-property JSON Schema (bench/schema-20.json) on every event, against the same events for a
# tenant without schemas, in the same run on the same server:
#   plain      no schema (the pipeline's schema step is off: one cache lookup per request)
#   valid      the schema in `block` mode, every event valid (the common case: one is_valid)
#   violating  the schema in `warn` mode, every event breaks it once (violations collected and
#              stored with the event, counts and sampled examples written)
# For single events (POST /api/v1/events) and batches of 100 (POST /api/v1/events/batch),
# with wrk -t2 -c64; BENCH_RUNS (3) interleaved rounds of BENCH_DURATION (10s); medians.
# Target: `valid` costs at most 15% of `plain`'s events/s.
# Writes its section of bench/RESULTS.md (between the schemas markers, one per store).
#
# Usage: bash bench/schemas.sh                         (SQLite, a fresh file)
#        DATABASE_URL=postgres://postgres@127.0.0.1:5432 bash bench/schemas.sh   (a fresh database)
#        BENCH_NO_BUILD=1 reuses target/release/tributary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10s}
RUNS=${BENCH_RUNS:-3}
BIN=target/release/tributary
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary

WORK=$(mktemp -d /tmp/tributary-schemas-bench.XXXXXX)
PG_ADMIN_URL="" PG_DB=""
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$PG_DB" ] && psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
exec 9>/tmp/tributary-bench.lock
flock -w 1800 9 || { echo "another benchmark holds /tmp/tributary-bench.lock" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]]; then
    scheme=${DATABASE_URL%%://*}; server=${DATABASE_URL#*://}; server=${server%%[/?]*}
    PG_ADMIN_URL="$scheme://$server/postgres"
    PG_DB="tributary_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    DB_URL="$scheme://$server/$PG_DB"; STORE=postgres
    STORAGE="PostgreSQL $(psql -tA "$DB_URL" -c 'SHOW server_version'), fresh database"
else
    DB_URL="sqlite://$WORK/bench.db"; STORE=sqlite
    STORAGE="SQLite (WAL, synchronous=FULL), fresh file"
fi
start server "$DB_URL"
URL=$(url_of server)
SERVER_PID=${PIDS[-1]}
declare -A KEYS
for tenant in plain valid violating; do KEYS[$tenant]=$(tenant_key "$URL"); done
put_schema() { # key mode
    python3 -c 'import json,sys; print(json.dumps({"mode": sys.argv[1], "schema": json.load(open("bench/schema-20.json"))}))' "$2" \
        | curl -sf -o /dev/null -X PUT "$URL/api/v1/schemas/checkout" -H "X-API-Key: $1" \
            -H 'content-type: application/json' --data-binary @-
}
put_schema "${KEYS[valid]}" block
put_schema "${KEYS[violating]}" warn

TICK=$(getconf CLK_TCK)
server_seconds() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$SERVER_PID/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
declare -A EPS CPU
run() { # tenant mode duration
    local tenant=$1 mode=$2 path=/api/v1/events/batch violate=0 before line
    [ "$mode" = single ] && path=/api/v1/events
    [ "$tenant" = violating ] && violate=1
    before=$(server_seconds)
    line=$(BENCH_MODE=$mode BENCH_KEY=${KEYS[$tenant]} BENCH_VIOLATE=$violate \
        wrk -t2 -c64 -d"$3" --latency -s bench/schemas.lua "$URL$path" | grep '^BENCH ')
    local accepted bad rejected
    accepted=$(field accepted "$line"); bad=$(field bad "$line"); rejected=$(field rejected "$line")
    [ "$bad" = 0 ] && [ "$rejected" = 0 ] || { echo "$tenant/$mode: $bad bad, $rejected rejected: $line" >&2; exit 1; }
    LAST_EPS=$(awk -v a="$accepted" -v s="$(field seconds "$line")" 'BEGIN {printf "%.0f", a / s}')
    LAST_CPU=$(awk -v s="$(server_seconds)" -v s0="$before" -v n="$accepted" 'BEGIN {printf "%.1f", 1e6 * (s - s0) / n}')
}
echo "==> warm-up"
for mode in single batch; do for tenant in plain valid violating; do run $tenant $mode 3s; done; done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$RUNS"); do
    for mode in single batch; do
        for tenant in plain valid violating; do
            run $tenant $mode "$DURATION"
            EPS[$tenant-$mode]+="$LAST_EPS "; CPU[$tenant-$mode]+="$LAST_CPU "
            printf 'round %s %-6s %-9s %8s events/s %7s µs/event\n' "$round" $mode $tenant "$LAST_EPS" "$LAST_CPU"
        done
    done
done
# The violating tenant's events carry their violations, and its counts reached the store.
quality=$(curl -sf "$URL/api/v1/data-quality" -H "X-API-Key: ${KEYS[violating]}")
grep -q '"event_type":"checkout"' <<<"$quality" || { echo "no counts for the violating tenant: $quality" >&2; exit 1; }

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
COMMIT="$(git rev-parse --short HEAD)"; git diff --quiet HEAD -- src migrations || COMMIT+=" + uncommitted changes"
{
    echo "### Schema validation cost, $STORE"
    echo
    echo "- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); server \`$COMMIT\`; \`nproc\` = $(nproc), shared machine (load before: $LOAD)."
    echo "- **Command**: \`${DATABASE_URL:+DATABASE_URL=… }bash bench/schemas.sh\` (wrk -t2 -c64, $RUNS interleaved rounds of $DURATION, medians; $STORAGE)."
    echo "- Events of 20 properties; the schema (bench/schema-20.json) checks each: types, bounds, enums, a pattern, a nested object, an array, \`required\`, \`additionalProperties: false\`."
    echo
    echo "| scenario | single events/s | vs plain | µs CPU/event | batch-of-100 events/s | vs plain | µs CPU/event |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for tenant in plain valid violating; do
        s=$(median "${EPS[$tenant-single]}"); b=$(median "${EPS[$tenant-batch]}")
        ps=$(median "${EPS[plain-single]}"); pb=$(median "${EPS[plain-batch]}")
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$tenant" "$s" "$(awk -v a="$s" -v b="$ps" 'BEGIN {printf "%.2f", a / b}')" \
            "$(median "${CPU[$tenant-single]}")" "$b" "$(awk -v a="$b" -v b="$pb" 'BEGIN {printf "%.2f", a / b}')" "$(median "${CPU[$tenant-batch]}")"
    done
    echo
    echo "Rounds (events/s, single then batch; plain / valid / violating):"
    for mode in single batch; do echo "- $mode: plain ${EPS[plain-$mode]}/ valid ${EPS[valid-$mode]}/ violating ${EPS[violating-$mode]}"; done
} >"$WORK/section.md"
cat "$WORK/section.md"
write_results_section "schemas-$STORE" "$WORK/section.md"
