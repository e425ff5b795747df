#!/usr/bin/env bash
# Durability levels (issue #14): ingest throughput and server CPU per event with
# database.sync = "full" (the default: each commit synced to disk) and "normal" (SQLite
# synchronous=NORMAL, PostgreSQL synchronous_commit=off: a crash of the process loses nothing,
# a power cut may), two servers side by side on fresh databases, in the same run. Single events
# (POST /api/v1/events, bound by the commit's sync) and batches of 100, events of
# bench/schemas.lua (20 properties); wrk -t2 -c64, BENCH_RUNS (3) interleaved rounds of
# BENCH_DURATION (10s); medians. Writes its section of bench/RESULTS.md (sync markers).
#
# Usage: bash bench/sync.sh                         (SQLite, fresh files)
#        DATABASE_URL=postgres://postgres@127.0.0.1:5432 bash bench/sync.sh   (fresh databases)
#        BENCH_NO_BUILD=1 reuses target/release/tributary.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-10s}
RUNS=${BENCH_RUNS:-3}
BIN=${BENCH_BIN:-target/release/tributary}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
PG_DBS=()
PG_ADMIN_URL=""
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary
WORK=$(mktemp -d /tmp/tributary-sync-bench.XXXXXX)
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for db in "${PG_DBS[@]}"; do psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
    rm -rf "$WORK"
}
trap cleanup EXIT
exec 9>/tmp/tributary-bench.lock
flock -w 1800 9 || { echo "another benchmark holds /tmp/tributary-bench.lock" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
COMMIT="$(git rev-parse --short HEAD)"; git diff --quiet HEAD -- src migrations || COMMIT+=" + uncommitted changes"

if [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]]; then
    scheme=${DATABASE_URL%%://*}; server=${DATABASE_URL#*://}; server=${server%%[/?]*}
    PG_ADMIN_URL="$scheme://$server/postgres"; STORE=postgres
    STORAGE="PostgreSQL $(psql -tA "$PG_ADMIN_URL" -c 'SHOW server_version'), a fresh database per server"
else
    STORE=sqlite; STORAGE="SQLite (WAL), a fresh file per server"
fi
database_for() { # level -> a fresh database URL (a global, not a subshell: PG_DBS)
    if [ "$STORE" = postgres ]; then
        local db
        db="tributary_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
        psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null
        PG_DBS+=("$db")
        DB="$scheme://$server/$db"
    else
        DB="sqlite://$WORK/$1.db"
    fi
}
LEVELS="full normal"
declare -A URLS KEYS SERVER_PIDS
for level in $LEVELS; do
    database_for "$level"
    export TRIBUTARY_DATABASE__SYNC=$level
    start "$level" "$DB"
    SERVER_PIDS[$level]=${PIDS[-1]}
    URLS[$level]=$(url_of "$level")
    KEYS[$level]=$(tenant_key "${URLS[$level]}")
done
unset TRIBUTARY_DATABASE__SYNC

TICK=$(getconf CLK_TCK)
server_seconds() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/${SERVER_PIDS[$1]}/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
declare -A EPS CPU P99
run() { # level mode duration
    local level=$1 mode=$2 path=/api/v1/events/batch before line
    [ "$mode" = single ] && path=/api/v1/events
    before=$(server_seconds "$level")
    line=$(BENCH_MODE=$mode BENCH_KEY=${KEYS[$level]} BENCH_VIOLATE=0 \
        wrk -t2 -c64 -d"$3" --latency -s bench/schemas.lua "${URLS[$level]}$path" | grep '^BENCH ')
    local accepted bad rejected
    accepted=$(field accepted "$line"); bad=$(field bad "$line"); rejected=$(field rejected "$line")
    [ "$bad" = 0 ] && [ "$rejected" = 0 ] || { echo "$level/$mode: $bad bad, $rejected rejected: $line" >&2; exit 1; }
    LAST_EPS=$(awk -v a="$accepted" -v s="$(field seconds "$line")" 'BEGIN {printf "%.0f", a / s}')
    LAST_CPU=$(awk -v s="$(server_seconds "$level")" -v s0="$before" -v n="$accepted" 'BEGIN {printf "%.1f", 1e6 * (s - s0) / n}')
    LAST_P99=$(field p99_ms "$line")
}
echo "==> warm-up"
for mode in single batch; do for level in $LEVELS; do run "$level" $mode 3s; done; done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$RUNS"); do
    for mode in single batch; do
        for level in $LEVELS; do
            run "$level" $mode "$DURATION"
            EPS[$level-$mode]+="$LAST_EPS "; CPU[$level-$mode]+="$LAST_CPU "; P99[$level-$mode]+="$LAST_P99 "
            printf 'round %s %-6s %-7s %8s events/s %7s µs/event  p99 %s ms\n' "$round" $mode "$level" "$LAST_EPS" "$LAST_CPU" "$LAST_P99"
        done
    done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
{
    echo "### Durability levels, $STORE"
    echo
    echo "- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); server \`$COMMIT\`; \`nproc\` = $(nproc), shared machine (load before: $LOAD)."
    echo "- **Command**: \`${DATABASE_URL:+DATABASE_URL=… }bash bench/sync.sh\` (wrk -t2 -c64, $RUNS interleaved rounds of $DURATION, medians; $STORAGE; two servers side by side)."
    echo
    echo "| database.sync | single events/s | vs full | single p99 ms | µs CPU/event | batch-of-100 events/s | vs full | µs CPU/event |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    fs=$(median "${EPS[full-single]}"); fb=$(median "${EPS[full-batch]}")
    for level in $LEVELS; do
        s=$(median "${EPS[$level-single]}"); b=$(median "${EPS[$level-batch]}")
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$level" "$s" "$(awk -v a="$s" -v b="$fs" 'BEGIN {printf "%.2f", a / b}')" \
            "$(median "${P99[$level-single]}")" "$(median "${CPU[$level-single]}")" "$b" \
            "$(awk -v a="$b" -v b="$fb" 'BEGIN {printf "%.2f", a / b}')" "$(median "${CPU[$level-batch]}")"
    done
    echo
    echo "Rounds (events/s): $(for m in single batch; do for l in $LEVELS; do printf '%s %s: %s/ ' "$m" "$l" "${EPS[$l-$m]}"; done; done)"
} >"$WORK/section.md"
cat "$WORK/section.md"
write_results_section "sync-$STORE" "$WORK/section.md"
