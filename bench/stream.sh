#!/usr/bin/env bash
# Live-stream benchmark. Measures, with the load client bench/stream_bench.rs:
#   - latency from ingest acknowledgement to receipt (p50/p99/max) with 100 and with 1,000
#     subscribers on one tenant while events are ingested at 1,000 events/s: on one release
#     server in embedded mode (SQLite, in-process bus), and in scaled mode (two instances on
#     PostgreSQL + Redis, events sent to one and the subscribers on the other, so every event
#     crosses Redis pub/sub);
#   - the embedded server's resident memory per idle connection with 10,000 open connections.
# Writes its section of bench/RESULTS.md (between the stream markers).
#
# Scaled mode needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on
# 127.0.0.1:6379; BENCH_SCALED=0 skips it.
# Usage: bash bench/stream.sh   (BENCH_SECONDS=10, BENCH_RUNS=3, BENCH_IDLE=10000, BENCH_NO_BUILD=1 to reuse)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
IDLE=${BENCH_IDLE:-10000}
SCALED=${BENCH_SCALED:-1}
ADMIN_TOKEN=bench-admin-token-not-a-secret
JWT_SECRET=bench-jwt-secret-not-a-secret-0123456789
PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres
# Raise the open-file limit as far as allowed: 10,000 connections need as many descriptors.
ulimit -n "$(ulimit -Hn)"

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    cargo build --release --bin tributary --example stream-bench
fi
BIN=target/release/tributary
CLIENT=target/release/examples/stream-bench

WORK=$(mktemp -d /tmp/tributary-stream-bench.XXXXXX)
PIDS=()
DB=""
PREFIX="tributary-stream-bench-$RANDOM$RANDOM"
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$DB" ] && psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX:*" 2>/dev/null | xargs -r redis-cli -h 127.0.0.1 DEL >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh


field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
# The median of one field over the runs (one result line each).
median() { echo "$1" | while read -r line; do field "$line" "$2"; done | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# latency_runs <subscribers> <subscribers' url> <ingest url> <key>: RUNS result lines.
latency_runs() {
    for run in $(seq "$RUNS"); do
        echo "==> latency, $1 subscribers, run $run of $RUNS ($2)" >&2
        # Shown as it comes, and returned (not `tee /dev/stderr`: that reopens, and so
        # truncates, a log file that stderr is redirected to).
        local line
        line=$("$CLIENT" latency --url "$2" --ingest-url "$3" --key "$4" --subscribers "$1" --rate 1000 \
            --seconds "$SECONDS_PER_RUN")
        echo "$line" >&2
        echo "$line"
    done
}
row() {
    echo "| $2 | $3 | $(median "$1" rate)/s | $(median "$1" deliveries) | $(median "$1" p50_ms) ms | **$(median "$1" p99_ms) ms** | $(median "$1" max_ms) ms | $(median "$1" ingest_p50_ms) ms / $(median "$1" ingest_p99_ms) ms |"
}

# Embedded mode. Memory first, on the fresh server, so that no earlier load's allocations blur
# the figure.
start embedded "sqlite://$WORK/bench.db"
EMBEDDED_PID=${PIDS[-1]}
URL=$(url_of embedded)
KEY=$(tenant_key "$URL")
echo "==> memory, $IDLE idle connections"
IDLE_OUT=$("$CLIENT" idle --url "$URL" --key "$KEY" --connections "$IDLE" --pid "$EMBEDDED_PID")
echo "$IDLE_OUT"
L100=$(latency_runs 100 "$URL" "$URL" "$KEY")
L1000=$(latency_runs 1000 "$URL" "$URL" "$KEY")
kill "$EMBEDDED_PID"

ROWS="$(row "$L100" embedded 100)
$(row "$L1000" embedded 1,000)"
if [ "$SCALED" != 0 ]; then
    DB="tributary_stream_bench_$RANDOM$RANDOM"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $DB" >/dev/null
    start ingesting "postgres://postgres@127.0.0.1:5432/$DB" redis://127.0.0.1:6379
    start serving "postgres://postgres@127.0.0.1:5432/$DB" redis://127.0.0.1:6379
    KEY=$(tenant_key "$(url_of ingesting)")
    S100=$(latency_runs 100 "$(url_of serving)" "$(url_of ingesting)" "$KEY")
    S1000=$(latency_runs 1000 "$(url_of serving)" "$(url_of ingesting)" "$KEY")
    ROWS="$ROWS
$(row "$S100" "scaled: 2 instances, PostgreSQL + Redis" 100)
$(row "$S1000" "scaled: 2 instances, PostgreSQL + Redis" 1,000)"
fi

SECTION=$(cat <<MD
<!-- stream:begin -->
## Live stream

- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores shared by the servers, PostgreSQL, Redis and the load client; server \`$(git rev-parse --short HEAD)\`.
- **Command**: \`bash bench/stream.sh\` (client: \`bench/stream_bench.rs\`, run as \`cargo run --release --example stream-bench\`).
- Latency is from each event's ingest acknowledgement (202) to its receipt by every subscriber, over ${SECONDS_PER_RUN} s at a target of 1,000 events/s, single-event requests; a receipt that arrives before the acknowledgement counts as 0 (the server publishes right after the commit, before it answers). Each figure is the median of ${RUNS} runs. The last column is the reference measured in the same runs: the ingest request's own round trip (request to 202), p50 / p99.
- Embedded: one server on SQLite with the in-process bus. Scaled: events are sent to one instance and the subscribers listen on the other, so every event crosses Redis pub/sub.
- Target: p99 ≤ 50 ms at 1,000 subscribers.

| mode | subscribers | events/s achieved | deliveries per run | p50 | p99 | max | ingest round trip p50 / p99 |
|---|---:|---:|---:|---:|---:|---:|---:|
$ROWS

Idle connections (embedded): $(field "$IDLE_OUT" connections) open, server RSS $(field "$IDLE_OUT" rss_before_kib) KiB → $(field "$IDLE_OUT" rss_after_kib) KiB: **$(field "$IDLE_OUT" per_connection_kib) KiB per idle connection** (target ≤ 20 KiB).
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
