#!/usr/bin/env bash
# "Ingest at the speed of the disk" (issue #14): the server against its baselines, in one run.
#   - the raw ceiling (bench/ceiling.rs): the same rows into the same tables with nothing of
#     Tributary's in the way, in transactions of 1,000;
#   - the reference server (bench/reference.rs, SQLite only): axum and one committer thread
#     owning one SQLite connection, the same schema, rows and FTS5 document;
#   - /health of the same server: the cost of a request that does nothing.
# For each durability level (database.sync full, then normal), a fresh server (and reference)
# takes wrk -t2 -c64 in BENCH_RUNS (2) interleaved rounds of BENCH_DURATION (10s) each:
# /health, single events, a burst of batches of 100; then the ceiling runs for that level.
# Last, a fresh server (sync full) takes batches for BENCH_SUSTAINED (60s) while /metrics is
# read every 100 ms for the search index lag (SQLite: the index is written behind the commit).
# Medians of the rounds; server CPU per event from /proc/<pid>/stat. Prints the summary and
# writes it as the "disk" section of bench/RESULTS.md.
#
# Usage: bash bench/disk.sh          (SQLite; make bench runs it)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432 bash bench/disk.sh   PostgreSQL: fresh
#     databases on that server, dropped after; the baseline is COPY (no reference server).
#   BENCH_NO_BUILD=1 reuses the release binaries; BENCH_RUNS, BENCH_DURATION, BENCH_SUSTAINED.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-2}
DURATION=${BENCH_DURATION:-10s}
SUSTAINED=${BENCH_SUSTAINED:-60s}
CEILING_SECONDS=${BENCH_CEILING_SECONDS:-5}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
STORE=sqlite
PG_SERVER=""
case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) STORE=postgres PG_SERVER=${DATABASE_URL%/} ;;
esac

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
TARGET=${CARGO_TARGET_DIR:-target}/release
BIN=$TARGET/tributary
WORK=$(mktemp -d /tmp/tributary-disk.XXXXXX)
DATABASES=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for db in "${DATABASES[@]}"; do
        psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
exec 9>/tmp/tributary-bench.lock
flock -w 1800 9 || { echo "another benchmark holds /tmp/tributary-bench.lock" >&2; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary --example ceiling --example reference
# shellcheck source=bench/lib.sh
source bench/lib.sh

# fresh_database <name>: a URL of a database nobody has used.
fresh_database() {
    if [ "$STORE" = sqlite ]; then
        echo "sqlite://$WORK/$1.db"
    else
        local db="tributary_disk_$1_$RANDOM$RANDOM"
        psql -q "$PG_SERVER/postgres" -c "CREATE DATABASE $db" >/dev/null
        DATABASES+=("$db")
        echo "$PG_SERVER/$db"
    fi
}

TICK=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# measure <label> <pid> <base url> <key> <mode>: one wrk run; appends
# "<label> <events or requests per s> <server µs per event> <p99 ms> <bad>" to $WORK/runs.
measure() {
    local label=$1 pid=$2 base=$3 key=$4 mode=$5 path cpu0 line units
    case $mode in
        health) path=/health ;;
        single) path=/api/v1/events ;;
        batch) path=/api/v1/events/batch ;;
    esac
    cpu0=$(cpu_seconds "$pid")
    BENCH_MODE=$mode BENCH_KEY=$key wrk -t2 -c64 -d"$DURATION" --latency -s bench/ingest.lua \
        "$base$path" 9>&- >"$WORK/$label.txt" 2>&1
    line=$(grep '^BENCH ' "$WORK/$label.txt")
    units=$(field accepted "$line")
    [ "$mode" = health ] && units=$(field ok "$line")
    awk -v l="$label" -v n="$units" -v s="$(field seconds "$line")" -v c="$(cpu_seconds "$pid")" \
        -v c0="$cpu0" -v p="$(field p99_ms "$line")" -v b="$(field bad "$line")" \
        'BEGIN {printf "%s %.0f %.1f %s %s\n", l, n / s, (n > 0) ? 1e6 * (c - c0) / n : 0, p, b}' \
        | tee -a "$WORK/runs"
}

# reference <name> <sync>: starts bench/reference.rs on a fresh file; sets REF_PID REF_URL REF_KEY.
reference() {
    "$TARGET/examples/reference" --db "$WORK/$1.db" --sync "$2" >"$WORK/$1.out" 2>&1 9>&- &
    REF_PID=$!
    PIDS+=("$REF_PID")
    for _ in $(seq 100); do grep -q '^REFERENCE ' "$WORK/$1.out" && break; sleep 0.1; done
    REF_URL="http://$(sed -n 's/^REFERENCE address=\([^ ]*\).*/\1/p' "$WORK/$1.out")"
    REF_KEY=$(sed -n 's/.* key=\(.*\)$/\1/p' "$WORK/$1.out")
}

: >"$WORK/runs"
for sync in full normal; do
    export TRIBUTARY_DATABASE__SYNC=$sync
    start "server-$sync" "$(fresh_database "$sync")"
    pid=${PIDS[-1]} url=$(url_of "server-$sync")
    key=$(tenant_key "$url")
    [ "$STORE" = sqlite ] && reference "reference-$sync" "$sync"
    for round in $(seq "$RUNS"); do
        echo "== sync=$sync round $round"
        measure "$sync.health" "$pid" "$url" "$key" health
        measure "$sync.single" "$pid" "$url" "$key" single
        [ "$STORE" = sqlite ] && measure "$sync.ref-single" "$REF_PID" "$REF_URL" "$REF_KEY" single
        measure "$sync.batch" "$pid" "$url" "$key" batch
        [ "$STORE" = sqlite ] && measure "$sync.ref-batch" "$REF_PID" "$REF_URL" "$REF_KEY" batch
    done
    kill "$pid" ${REF_PID:+"$REF_PID"} 2>/dev/null || true
    wait "$pid" ${REF_PID:+"$REF_PID"} 2>/dev/null || true
    REF_PID=""
    echo "== ceiling, sync=$sync"
    "$TARGET/examples/ceiling" --store "$STORE" --dir "$WORK" --url "$PG_SERVER" --sync "$sync" \
        --seconds "$CEILING_SECONDS" 9>&- | sed "s/^CEILING /CEILING sync=$sync /" | tee -a "$WORK/ceiling"
done

echo "== sustained batches for $SUSTAINED, sync=full"
export TRIBUTARY_DATABASE__SYNC=full
start sustained "$(fresh_database sustained)"
pid=${PIDS[-1]} url=$(url_of sustained)
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
DURATION=$SUSTAINED measure sustained "$pid" "$url" "$key" batch
kill "$sampler"

COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench Cargo.toml || echo "+changes")
python3 - "$WORK/runs" "$WORK/ceiling" "$WORK/lag.txt" "$STORE" "$COMMIT" "$RUNS" "$DURATION" \
    "$SUSTAINED" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$WORK/section.md" <<'PY'
import statistics, sys
runs_file, ceiling_file, lag_file, store, commit, rounds, duration, sustained, load = sys.argv[1:]
runs = {}
for line in open(runs_file):
    label, rate, us, p99, bad = line.split()
    runs.setdefault(label, []).append((float(rate), float(us), float(p99), int(bad)))
med = lambda label, i=0: statistics.median(r[i] for r in runs[label]) if label in runs else float("nan")
ceiling = {}
for line in open(ceiling_file):
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    ceiling[(fields["sync"], fields["case"])] = float(fields["rows_per_s"])
lags = sorted(float(x) for x in open(lag_file) if x.strip())
pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))] * 1000 if lags else float("nan")
bad = sum(r[3] for rs in runs.values() for r in rs)
name = "SQLite" if store == "sqlite" else "PostgreSQL"
ok = lambda v, t: "met" if v >= t else "not met"
out = [f"### {name}", "",
       f"`bash bench/disk.sh`{'' if store == 'sqlite' else ' with DATABASE_URL=postgres://…'}, commit {commit}: "
       f"wrk -t2 -c64, {rounds} interleaved rounds of {duration} per level (medians), sustained {sustained}; "
       f"ceiling in transactions of 1,000 events, same rows; load average before the summary {load}; "
       f"non-2xx responses: {bad}. The server logs as by default (`info`: one access-log line per request).", "",
       "| measure | Tributary | baseline | ratio | target |", "|---|---:|---:|---:|---|"]
for sync in ("full", "normal"):
    single, health = med(f"{sync}.single"), med(f"{sync}.health")
    batch = med(f"{sync}.batch")
    if store == "sqlite":
        ref = med(f"{sync}.ref-single")
        out.append(f"| sync={sync}: single events/s vs the reference server | {single:,.0f} | {ref:,.0f} | "
                   f"{single / ref:.2f}× | ≥ 1.0×: {ok(single / ref, 1.0)} |")
    out.append(f"| sync={sync}: single events/s vs `/health` req/s | {single:,.0f} | {health:,.0f} | {single / health:.2f}× | – |")
    ack = ceiling.get((sync, "ack"), float("nan"))
    target = 0.7 if store == "sqlite" else 0.5
    out.append(f"| sync={sync}: burst batch-of-100 events/s vs the ceiling of the ack path ({'events + rollup' if store == 'sqlite' else 'COPY of events with tsvector + rollup'}) "
               f"| {batch:,.0f} | {ack:,.0f} | {batch / ack:.2f}× | ≥ {target}×: {ok(batch / ack, target)} |")
    if store == "sqlite":
        refb = med(f"{sync}.ref-batch")
        out.append(f"| sync={sync}: burst batch events/s vs the reference server (index in its commit) | {batch:,.0f} | {refb:,.0f} | {batch / refb:.2f}× | – |")
    out.append(f"| sync={sync}: server CPU µs per event, single / batch | {med(f'{sync}.single', 1):.0f} / {med(f'{sync}.batch', 1):.1f} | "
               + (f"{med(f'{sync}.ref-single', 1):.0f} / {med(f'{sync}.ref-batch', 1):.1f} (reference)" if store == "sqlite" else "–")
               + " | – | – |")
sustained_rate = med("sustained")
if store == "sqlite":
    both = ceiling.get(("full", "ack+index"), float("nan"))
    out.append(f"| sustained batch events/s (sync=full) vs the ceiling of events + index | {sustained_rate:,.0f} | {both:,.0f} | "
               f"{sustained_rate / both:.2f}× | ≥ 0.7×: {ok(sustained_rate / both, 0.7)} |")
    out.append(f"| search index lag over the sustained run, p50 / p99 / max | {pick(0.5):.0f} / {pick(0.99):.0f} / {pick(1.0):.0f} ms | – | – | p99 ≤ 1 s: {'met' if pick(0.99) <= 1000 else 'not met'} |")
else:
    copy = ceiling.get(("full", "ack"), float("nan"))
    out.append(f"| sustained batch events/s (sync=full) vs COPY of the same rows | {sustained_rate:,.0f} | {copy:,.0f} | "
               f"{sustained_rate / copy:.2f}× | ≥ 0.5× and ≥ 30k/s: {ok(min(sustained_rate / copy / 0.5, sustained_rate / 30000), 1.0)} |")
    out.append("| search index lag | 0 (the tsvector is written in the commit) | – | – | – |")
out += ["", "The ceiling's cases (rows/s, each a fresh database):", "",
        "| sync | " + " | ".join(sorted({c for _, c in ceiling})) + " |",
        "|---|" + "---:|" * len({c for _, c in ceiling})]
for sync in ("full", "normal"):
    out.append(f"| {sync} | " + " | ".join(f"{ceiling.get((sync, c), float('nan')):,.0f}" for c in sorted({c for _, c in ceiling})) + " |")
print("\n".join(out))
PY
cat "$WORK/section.md"
write_results_section "disk-$STORE" "$WORK/section.md"
