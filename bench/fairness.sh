#!/usr/bin/env bash
# Delivery fairness (issue #17): one endpoint that answers after 10 s (the attempt timeout, so
# each of its attempts times out) with a backlog of BENCH_BACKLOG (100k) pending deliveries,
# while a healthy endpoint of another tenant receives BENCH_RATE (200) events/s for
# BENCH_SECONDS (30). Measured: the healthy endpoint's ingest-to-delivery latency (from
# sending the ingest request to the receiver getting the delivery), p50/p99/max.
# Target: p99 <= 1 s, on both stores.
# With BENCH_BASELINE_BIN (a release binary of an earlier commit), the same run against it too,
# on its own fresh database, as the same-run baseline.
# Writes its section of bench/RESULTS.md (between the fairness markers).
#
# Usage: bash bench/fairness.sh            (SQLite, then PostgreSQL at PG_URL if it answers)
#        PG_URL=postgres://postgres@127.0.0.1:5432 (the default) names the PostgreSQL server;
#        BENCH_NO_BUILD=1 reuses the release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKLOG=${BENCH_BACKLOG:-100000}
RATE=${BENCH_RATE:-200}
SECONDS_=${BENCH_SECONDS:-30}
BIN=${BENCH_BIN:-target/release/tributary}
LOAD=target/release/examples/fairness-bench
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PIDS=()
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    cargo build --release --bin tributary
    cargo build --release --example fairness-bench
fi

WORK=$(mktemp -d /tmp/tributary-fairness-bench.XXXXXX)
DATABASES=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for db in "${DATABASES[@]}"; do
        psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
exec 9>/tmp/tributary-bench.lock
flock -w 1800 9 || { echo "another benchmark holds /tmp/tributary-bench.lock" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
COMMIT=${BENCH_COMMIT:-"$(git rev-parse --short HEAD)"}
[ -n "${BENCH_COMMIT:-}" ] || git diff --quiet HEAD -- src migrations || COMMIT+=" + uncommitted changes"

# run <label> <binary> <store>: a server on a fresh database with the webhook worker on, the
# load against it; prints the load's JSON line with the label, the store and the server's CPU.
run() {
    local label=$1 bin=$2 store=$3 db
    if [ "$store" = postgres ]; then
        local name="tributary_fair_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
        psql -q "$PG_URL/postgres" -c "CREATE DATABASE $name" >/dev/null
        DATABASES+=("$name")
        db="$PG_URL/$name"
    else
        db="sqlite://$WORK/$label.db"
    fi
    env DATABASE_URL="$db" ADMIN_TOKEN=$ADMIN_TOKEN JWT_SECRET=$JWT_SECRET PORT=0 \
        TRIBUTARY_LOG__FORMAT=json RUST_LOG=warn,tributary=info TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true \
        "$bin" serve >/dev/null 2>"$WORK/$label.log" 9>&- &
    local pid=$! address=""
    PIDS+=("$pid")
    for _ in $(seq 200); do
        address=$(grep -o '"address":"[^"]*"' "$WORK/$label.log" | head -1 | cut -d'"' -f4 || true)
        [ -n "$address" ] && break
        sleep 0.1
    done
    [ -n "$address" ] || { cat "$WORK/$label.log" >&2; exit 1; }
    # `run` is the left side of a pipe, a subshell: the EXIT trap does not know this server,
    # so it is stopped here whether the load succeeds or not.
    local line status=0
    line=$("$LOAD" --server "http://$address" --admin-token "$ADMIN_TOKEN" --backlog "$BACKLOG" \
        --rate "$RATE" --seconds "$SECONDS_") || status=$?
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [ "$status" = 0 ] || { echo "the load failed ($status)" >&2; exit "$status"; }
    echo "{\"label\": \"$label\", \"store\": \"$store\", \"result\": $line}"
}

STORES=(sqlite)
psql -q "$PG_URL/postgres" -c 'SELECT 1' >/dev/null 2>&1 && STORES+=(postgres)
RESULTS="$WORK/results.jsonl"
for store in "${STORES[@]}"; do
    echo "==> $store: this commit" >&2
    run "current-$store" "$BIN" "$store" | tee -a "$RESULTS"
    if [ -n "${BENCH_BASELINE_BIN:-}" ]; then
        echo "==> $store: baseline" >&2
        run "baseline-$store" "$BENCH_BASELINE_BIN" "$store" | tee -a "$RESULTS"
    fi
done

python3 - "$RESULTS" "$COMMIT" "$BACKLOG" "$RATE" "$SECONDS_" "${BENCH_BASELINE_LABEL:-}" >"$WORK/section.md" <<'PY'
import json, sys, datetime, os
rows = [json.loads(line) for line in open(sys.argv[1])]
commit, backlog, rate, seconds, baseline = sys.argv[2:7]
load = os.getloadavg()[0]
print("## Delivery fairness (bench/fairness.sh)\n")
print(f"Commit {commit}, {datetime.date.today()}, 2 cores, load average {load:.2f} at the end. "
      f"One endpoint answers after 10 s (its attempts time out) with {int(backlog):,} pending deliveries; "
      f"a healthy endpoint of another tenant gets {rate} events/s for {seconds} s. "
      "Latency: from sending the ingest request to the healthy receiver getting the delivery. "
      "Target: p99 <= 1 s on both stores.\n")
if baseline:
    print(f"Baseline: {baseline}.\n")
print("| store | build | delivered / acknowledged | p50 ms | p99 ms | max ms | slow endpoint's attempts |")
print("|---|---|---:|---:|---:|---:|---:|")
for row in rows:
    r = row["result"]
    build = "this commit" if row["label"].startswith("current") else "baseline"
    print(f"| {row['store']} | {build} | {r['delivered']} / {r['acknowledged']} | {r['p50_ms']:.0f} | "
          f"{r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['slow_attempts']} |")
PY
cat "$WORK/section.md"
write_results_section fairness "$WORK/section.md"
