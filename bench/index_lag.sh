#!/usr/bin/env bash
# Search index freshness (issue #14): on SQLite the FTS5 rows are written behind the commit.
# A release server on a fresh SQLite file takes batches of 100 events (bench/ingest.lua, wrk
# -t2 -c64) for BENCH_DURATION (30s, sustained) while /metrics is read every 100 ms; prints
# the events/s acknowledged and p50/p99/max of `tributary_search_index_lag_seconds` (the age
# of the oldest event not yet indexed, as the indexer last saw it), then how many events the
# indexer wrote against how many are stored, a second after the load.
#
# Usage: bash bench/index_lag.sh     BENCH_NO_BUILD=1 reuses target/release/tributary;
#        BENCH_BIN=<binary> measures another build.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-30s}
BIN=${BENCH_BIN:-target/release/tributary}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/tributary-index-lag.XXXXXX)
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
exec 9>/tmp/tributary-bench.lock
flock -w 1800 9 || { echo "another benchmark holds /tmp/tributary-bench.lock" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
start server "sqlite://$WORK/lag.db"
url=$(url_of server)
key=$(tenant_key "$url")

: >"$WORK/lag.txt"
(
    while true; do
        curl -sf "$url/metrics" | awk '/^tributary_search_index_lag_seconds /{print $2}' >>"$WORK/lag.txt" || true
        sleep 0.1
    done
) 9>&- &
sampler=$!
PIDS+=("$sampler")
BENCH_MODE=batch BENCH_KEY=$key wrk -t2 -c64 -d"$DURATION" -s bench/ingest.lua "$url/api/v1/events/batch" 9>&- >"$WORK/wrk.txt"
kill "$sampler"
accepted=$(grep -o 'accepted=[0-9]*' "$WORK/wrk.txt" | cut -d= -f2)
seconds=$(grep -o 'seconds=[0-9.]*' "$WORK/wrk.txt" | cut -d= -f2)
# Caught up: one second after the load, the indexer has written a row for every stored event.
sleep 1
indexed=$(curl -sf "$url/metrics" | awk '/^tributary_search_indexed_events_total /{print $2}')
total=$(curl -sf "$url/api/v1/events/stats" -H "X-API-Key: $key" | sed 's/.*"total":\([0-9]*\).*/\1/')
python3 - "$WORK/lag.txt" "$accepted" "$seconds" "$indexed" "$total" <<'PY'
import sys
lags = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
accepted, seconds = int(sys.argv[2]), float(sys.argv[3])
pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))] * 1000 if lags else float("nan")
print(f"batches of 100, sustained {seconds:.0f} s: {accepted / seconds:,.0f} events/s acknowledged")
print(f"index lag over {len(lags)} samples: p50 {pick(0.5):.0f} ms, p99 {pick(0.99):.0f} ms, max {pick(1.0):.0f} ms")
print(f"stored {sys.argv[5]}, indexed 1 s after the load: {sys.argv[4]}")
PY
