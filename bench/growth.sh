#!/usr/bin/env bash
# Cost growth (issue #14): does ingestion slow down as the database fills? One SQLite server
# takes wrk -t2 -c64 batches of 100 and single events on an empty database, then batches for
# BENCH_FILL (60s: about 1.5M events here), then the same rounds again on the full database.
# Medians of BENCH_RUNS (2) rounds of BENCH_DURATION (8s); server CPU per event from
# /proc/<pid>/stat; RSS read right after each round. Writes the "growth" section of
# bench/RESULTS.md.
#
# Usage: bash bench/growth.sh      (BENCH_NO_BUILD=1 reuses the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-2}
DURATION=${BENCH_DURATION:-8s}
FILL=${BENCH_FILL:-60s}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
BIN=${CARGO_TARGET_DIR:-target}/release/tributary
WORK=$(mktemp -d /tmp/tributary-growth.XXXXXX)
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
exec 9>/tmp/tributary-bench.lock
flock -w 1800 9 || { echo "another benchmark holds /tmp/tributary-bench.lock" >&2; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin tributary
# shellcheck source=bench/lib.sh
source bench/lib.sh

start growth "sqlite://$WORK/growth.db"
pid=${PIDS[-1]} url=$(url_of growth)
key=$(tenant_key "$url")
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# measure <label> <single|batch> <duration>: appends "<label> <events/s> <µs/event> <RSS MB>".
measure() {
    local label=$1 mode=$2 path=/api/v1/events c0 line
    [ "$mode" = batch ] && path=/api/v1/events/batch
    c0=$(cpu_ticks)
    BENCH_MODE=$mode BENCH_KEY=$key wrk -t2 -c64 -d"$3" -s bench/ingest.lua "$url$path" 9>&- \
        >"$WORK/wrk.txt" 2>&1
    line=$(grep '^BENCH ' "$WORK/wrk.txt")
    awk -v l="$label" -v n="$(field accepted "$line")" -v s="$(field seconds "$line")" \
        -v c="$(cpu_ticks)" -v c0="$c0" -v t="$TICK" \
        -v r="$(awk '/VmRSS/{print $2}' "/proc/$pid/status")" \
        'BEGIN {printf "%s %.0f %.1f %.0f\n", l, n / s, 1e6 * (c - c0) / t / n, r / 1024}' \
        | tee -a "$WORK/runs"
}

: >"$WORK/runs"
for round in $(seq "$RUNS"); do
    measure empty.batch batch "$DURATION"
    measure empty.single single "$DURATION"
done
echo "== filling for $FILL"
measure fill batch "$FILL"
sleep 2
stored=$(curl -sf "$url/api/v1/events/stats" -H "X-API-Key: $key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
for round in $(seq "$RUNS"); do
    measure full.batch batch "$DURATION"
    measure full.single single "$DURATION"
done
hwm=$(awk '/VmHWM/{print int($2 / 1024)}' "/proc/$pid/status")
size=$(du -sm "$WORK" | cut -f1)

COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench Cargo.toml || echo "+changes")
python3 - "$WORK/runs" "$COMMIT" "$RUNS" "$DURATION" "$FILL" "$stored" "$hwm" "$size" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >"$WORK/section.md" <<'PY'
import statistics, sys
runs_file, commit, rounds, duration, fill, stored, hwm, size, load = sys.argv[1:]
runs = {}
for line in open(runs_file):
    label, rate, us, rss = line.split()
    runs.setdefault(label, []).append((float(rate), float(us), float(rss)))
med = lambda label, i: statistics.median(r[i] for r in runs[label])
out = ["## Cost growth: ingest on an empty and a full database (bench/growth.sh)", "",
       f"`bash bench/growth.sh`, commit {commit}, SQLite (sync full): one server, wrk -t2 -c64, {rounds} rounds "
       f"of {duration} per measure (medians) on the empty database, then batches for {fill}, then the same rounds "
       f"with **{int(stored):,} events stored** ({size} MB on disk). Load average at the end {load}.", "",
       "| measure | empty | full | ratio | target |", "|---|---:|---:|---:|---|"]
for mode, name in (("batch", "batch-of-100 events/s"), ("single", "single events/s")):
    e, f = med(f"empty.{mode}", 0), med(f"full.{mode}", 0)
    out.append(f"| {name} | {e:,.0f} | {f:,.0f} | {f / e:.2f}× | ≥ 0.8×: {'met' if f / e >= 0.8 else 'not met'} |")
    out.append(f"| server CPU µs per event, {mode} | {med(f'empty.{mode}', 1):.1f} | {med(f'full.{mode}', 1):.1f} | – | – |")
rss = max(r[2] for label, rs in runs.items() if label != "fill" for r in rs)
out.append(f"| RSS after a round, largest / peak over the run | {rss:.0f} MB / {hwm} MB | – | – | ≤ 150 MB at steady load |")
out.append(f"| fill: batch events/s over {fill} | {med('fill', 0):,.0f} | – | – | – |")
print("\n".join(out))
PY
cat "$WORK/section.md"
write_results_section growth "$WORK/section.md"
