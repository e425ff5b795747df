#!/usr/bin/env bash
# Live-stream benchmark: starts the release server (SQLite, fresh database) on a loopback port
# and measures, with the load client bench/stream_bench.rs:
#   - latency from ingest acknowledgement to receipt (p50/p99/max) with 100 and with 1,000
#     subscribers on one tenant while events are ingested at 1,000 events/s;
#   - the server's resident memory per idle connection with 10,000 open connections.
# Writes its section of bench/RESULTS.md (between the stream markers).
#
# Usage: bash bench/stream.sh   (BENCH_SECONDS=10, BENCH_RUNS=3, BENCH_IDLE=10000, BENCH_NO_BUILD=1 to reuse)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
IDLE=${BENCH_IDLE:-10000}
ADMIN_TOKEN=bench-admin-token-not-a-secret
# Raise the open-file limit as far as allowed: 10,000 connections need as many descriptors.
ulimit -n "$(ulimit -Hn)"

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    cargo build --release --bin tributary --example stream-bench
fi
BIN=target/release/tributary
CLIENT=target/release/examples/stream-bench

WORK=$(mktemp -d /tmp/tributary-stream-bench.XXXXXX)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

DATABASE_URL="sqlite://$WORK/bench.db" ADMIN_TOKEN=$ADMIN_TOKEN PORT=0 \
    TRIBUTARY_LOG__FORMAT=json RUST_LOG=warn,tributary=info \
    TRIBUTARY_LOG__FILTER=info "$BIN" serve 2>"$WORK/server.log" >/dev/null &
SERVER_PID=$!
for _ in $(seq 100); do
    ADDRESS=$(grep -o '"address":"[^"]*"' "$WORK/server.log" | head -1 | cut -d'"' -f4 || true)
    [ -n "$ADDRESS" ] && break
    sleep 0.1
done
[ -n "$ADDRESS" ] || { cat "$WORK/server.log"; exit 1; }
URL="http://$ADDRESS"
KEY=$(curl -sf -X POST "$URL/api/v1/tenants" -H "X-API-Key: $ADMIN_TOKEN" -H 'content-type: application/json' \
    -d '{"name":"bench","rate_limit":{"per_second":1000000,"burst":1000000}}' | sed 's/.*"key":"\([^"]*\)".*/\1/')

# Memory first, on the fresh server, so that no earlier load's allocations blur the figure.
echo "==> memory, $IDLE idle connections"; IDLE_OUT=$("$CLIENT" idle --url "$URL" --key "$KEY" --connections "$IDLE" --pid "$SERVER_PID")
echo "$IDLE_OUT"
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
# The median of one field over the runs (one result line each).
median() { echo "$1" | while read -r line; do field "$line" "$2"; done | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
latency_runs() {
    for run in $(seq "$RUNS"); do
        echo "==> latency, $1 subscribers, run $run of $RUNS" >&2
        "$CLIENT" latency --url "$URL" --key "$KEY" --subscribers "$1" --rate 1000 --seconds "$SECONDS_PER_RUN" | tee /dev/stderr
    done
}
L100=$(latency_runs 100)
L1000=$(latency_runs 1000)
row() {
    echo "| $2 | $(median "$1" rate)/s | $(median "$1" deliveries) | $(median "$1" p50_ms) ms | **$(median "$1" p99_ms) ms** | $(median "$1" max_ms) ms | $(median "$1" ingest_p50_ms) ms / $(median "$1" ingest_p99_ms) ms |"
}
SECTION=$(cat <<MD
<!-- stream:begin -->
## Live stream

- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores shared by the server and the load client; SQLite; server \`$(git rev-parse --short HEAD)\`.
- **Command**: \`bash bench/stream.sh\` (client: \`bench/stream_bench.rs\`, run as \`cargo run --release --example stream-bench\`).
- Latency is from each event's ingest acknowledgement (202) to its receipt by every subscriber, over ${SECONDS_PER_RUN} s at a target of 1,000 events/s, single-event requests; a receipt that arrives before the acknowledgement counts as 0 (the server publishes right after the commit, before it answers). Each figure is the median of ${RUNS} runs. The last column is the reference measured in the same runs: the ingest request's own round trip (request to 202), p50 / p99.
- Target: p99 ≤ 50 ms at 1,000 subscribers.

| subscribers | events/s achieved | deliveries per run | p50 | p99 | max | ingest round trip p50 / p99 |
|---:|---:|---:|---:|---:|---:|---:|
$(row "$L100" 100)
$(row "$L1000" 1,000)

Idle connections: $(field "$IDLE_OUT" connections) open, server RSS $(field "$IDLE_OUT" rss_before_kib) KiB → $(field "$IDLE_OUT" rss_after_kib) KiB: **$(field "$IDLE_OUT" per_connection_kib) KiB per idle connection** (target ≤ 20 KiB).
<!-- stream:end -->
MD
)
python3 - "$SECTION" <<'PY'
import re, sys, pathlib
path = pathlib.Path("bench/RESULTS.md")
text = path.read_text() if path.exists() else "# Benchmark results\n"
section = sys.argv[1]
if "<!-- stream:begin -->" in text:
    text = re.sub(r"<!-- stream:begin -->.*?<!-- stream:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
path.write_text(text)
PY
echo "==> bench/RESULTS.md updated"
