#!/usr/bin/env bash
# Redaction cost (issue #19): ingest throughput and server CPU per event with a tenant's
# privacy policy applied to every event, against the same events for a tenant without one, in
# the same run on the same server. The events are bench/schemas.lua's (20 properties):
#   plain       no policy (the redaction step is off: one cache lookup per request)
#   rules5      5 rules: hash p03 (a user id), mask p02, hash p18.id (nested), drop p19 (an
#               array), mask p14
#   detectors   the four detectors (e-mail, IBAN, card, phone) scanning every string, masking
#   suppressed  100 suppressions, none of which the events match (the check on every event)
# For single events (POST /api/v1/events) and batches of 100 (POST /api/v1/events/batch),
# with wrk -t2 -c64; BENCH_RUNS (3) interleaved rounds of BENCH_DURATION (10s); medians.
# Target: `rules5` costs at most 10% of `plain`'s events/s.
# Writes its section of bench/RESULTS.md (between the privacy markers, one per store).
#
# Usage: bash bench/privacy.sh                         (SQLite, a fresh file)
#        DATABASE_URL=postgres://postgres@127.0.0.1:5432 bash bench/privacy.sh   (a fresh database)
#        BENCH_NO_BUILD=1 reuses the release binary (BENCH_BIN names another one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10s}
RUNS=${BENCH_RUNS:-3}
BIN=${BENCH_BIN:-target/release/tributary}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary

WORK=$(mktemp -d /tmp/tributary-privacy-bench.XXXXXX)
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
# What the binary was built from, read before the run (the tree may change while it runs).
COMMIT=${BENCH_COMMIT:-"$(git rev-parse --short HEAD)"}
[ -n "${BENCH_COMMIT:-}" ] || git diff --quiet HEAD -- src migrations || COMMIT+=" + uncommitted changes"

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
TENANTS="plain rules5 detectors suppressed"
for tenant in $TENANTS; do KEYS[$tenant]=$(tenant_key "$URL"); done
send() { # method path key body
    curl -sf -o /dev/null -X "$1" "$URL$2" -H "X-API-Key: $3" -H 'content-type: application/json' \
        --data-binary "$4" || { echo "$1 $2 failed" >&2; exit 1; }
}
send PUT /api/v1/privacy "${KEYS[rules5]}" '{"rules": [
    {"path": "p03", "action": "hash"}, {"path": "p02", "action": "mask"},
    {"path": "p18.id", "action": "hash"}, {"path": "p19", "action": "drop"},
    {"path": "p14", "action": "mask"}]}'
send PUT /api/v1/privacy "${KEYS[detectors]}" '{"detectors": [
    {"detector": "email", "action": "mask"}, {"detector": "iban", "action": "mask"},
    {"detector": "card", "action": "mask"}, {"detector": "phone", "action": "mask"}]}'
for n in $(seq 100); do
    send POST /api/v1/suppressions "${KEYS[suppressed]}" "{\"match\": {\"meta.p03\": \"nobody-$n\"}}"
done

TICK=$(getconf CLK_TCK)
server_seconds() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$SERVER_PID/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
declare -A EPS CPU
run() { # tenant mode duration
    local tenant=$1 mode=$2 path=/api/v1/events/batch violate=0 before line
    [ "$mode" = single ] && path=/api/v1/events
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
for mode in single batch; do for tenant in $TENANTS; do run $tenant $mode 3s; done; done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$RUNS"); do
    for mode in single batch; do
        for tenant in $TENANTS; do
            run $tenant $mode "$DURATION"
            EPS[$tenant-$mode]+="$LAST_EPS "; CPU[$tenant-$mode]+="$LAST_CPU "
            printf 'round %s %-6s %-10s %8s events/s %7s µs/event\n' "$round" $mode $tenant "$LAST_EPS" "$LAST_CPU"
        done
    done
done
# The policies applied: the rules5 tenant's events carry hashes, not the user ids sent.
stored=$(curl -sf "$URL/api/v1/events?limit=1" -H "X-API-Key: ${KEYS[rules5]}")
grep -q '"p03":"user-' <<<"$stored" && { echo "rules5 stored p03 unhashed: $stored" >&2; exit 1; }
grep -q '"p03":"' <<<"$stored" || { echo "rules5 stored no event: $stored" >&2; exit 1; }

# The steps' own cost, in process, once the server runs are over (building it then disturbs
# nothing); the same for either store.
cargo build --release --quiet --example redact-bench
IN_PROCESS=$("${CARGO_TARGET_DIR:-target}/release/examples/redact-bench" --events 200000)

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
{
    echo "### Redaction cost, $STORE"
    echo
    echo "- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); server \`$COMMIT\`; \`nproc\` = $(nproc), shared machine (load before: $LOAD)."
    echo "- **Command**: \`${DATABASE_URL:+DATABASE_URL=… }bash bench/privacy.sh\` (wrk -t2 -c64, $RUNS interleaved rounds of $DURATION, medians; $STORAGE)."
    echo "- Events of 20 properties (bench/schemas.lua). rules5: hash, mask, nested hash, drop of an array, mask; detectors: all four, masking; suppressed: 100 suppressions, none matching."
    echo
    echo "| scenario | single events/s | vs plain | µs CPU/event | batch-of-100 events/s | vs plain | µs CPU/event |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for tenant in $TENANTS; do
        s=$(median "${EPS[$tenant-single]}"); b=$(median "${EPS[$tenant-batch]}")
        ps=$(median "${EPS[plain-single]}"); pb=$(median "${EPS[plain-batch]}")
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$tenant" "$s" "$(awk -v a="$s" -v b="$ps" 'BEGIN {printf "%.2f", a / b}')" \
            "$(median "${CPU[$tenant-single]}")" "$b" "$(awk -v a="$b" -v b="$pb" 'BEGIN {printf "%.2f", a / b}')" "$(median "${CPU[$tenant-batch]}")"
    done
    echo
    echo "$IN_PROCESS"
    echo
    echo "Rounds (events/s, single then batch; $TENANTS):"
    for mode in single batch; do
        echo "- $mode: $(for t in $TENANTS; do printf '%s: %s/ ' "$t" "${EPS[$t-$mode]}"; done)"
    done
} >"$WORK/section.md"
cat "$WORK/section.md"
write_results_section "privacy-$STORE" "$WORK/section.md"
