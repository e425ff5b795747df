#!/usr/bin/env bash
# Breakdown benchmark: GET /api/v1/events/stats?group_by=meta.<key> (the Stats view's "break
# down by property") over 24 hours of data. Starts a release server on a fresh SQLite file,
# ingests BENCH_EVENTS events (1,000,000 by default) spread over the last 24 h through the
# batch API, then times BENCH_REQUESTS sequential requests (after warm-up) for a flat key and a
# nested one, over the whole 24 h. The figure is the whole HTTP request as the dashboard sends
# it: the breakdown plus the counts by type and per hour the stats endpoint always returns.
# The first request of each key is timed apart: it computes the breakdown's cache (see
# src/events/rollup.rs). Writes its section of bench/RESULTS.md (between the breakdown markers,
# `breakdown` for SQLite, `breakdown-postgres`). Target: p99 ≤ 100 ms.
#
# Usage: flock /tmp/tributary-bench.lock bash bench/breakdown.sh   (BENCH_NO_BUILD=1 reuses the build)
#        DATABASE_URL=postgres://postgres@127.0.0.1:5432 ... bench/breakdown.sh   (a fresh database
#        on that server, dropped at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${BENCH_EVENTS:-1000000}
REQUESTS=${BENCH_REQUESTS:-200}
BIN=${BENCH_BIN:-target/release/tributary}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
JWT_SECRET=bench-jwt-secret-0123456789abcdef0123456789
PREFIX=bench
PIDS=()
PG_ADMIN_URL=""
PG_DB=""

if [ -z "${BENCH_NO_BUILD:-}" ] && [ -z "${BENCH_BIN:-}" ]; then
    cargo build --release --bin tributary
fi
WORK=$(mktemp -d /tmp/tributary-breakdown-bench.XXXXXX)
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$PG_DB" ] && psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]]; then
    scheme=${DATABASE_URL%%://*}
    server=${DATABASE_URL#*://}
    server=${server%%[/?]*}
    PG_ADMIN_URL="$scheme://$server/postgres"
    PG_DB="tributary_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    DB_URL="$scheme://$server/$PG_DB"
    STORE="PostgreSQL $(psql -tA "$DB_URL" -c 'SHOW server_version'), fresh database"
    MARKER=breakdown-postgres
else
    DB_URL="sqlite://$WORK/tributary.db"
    STORE="SQLite (WAL), fresh file"
    MARKER=breakdown
fi
start server "$DB_URL"
URL=$(url_of server)
KEY=$(tenant_key "$URL")
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD -- src migrations 2>/dev/null || COMMIT="$COMMIT + uncommitted changes"
# A binary built elsewhere (BENCH_BIN) says which commit it is.
COMMIT=${BENCH_COMMIT:-$COMMIT}

python3 - "$URL" "$KEY" "$EVENTS" "$REQUESTS" "$COMMIT" "$WORK/section.md" "$STORE" <<'PY'
import concurrent.futures, datetime, json, os, random, statistics, sys, time, urllib.request

url, key, events, requests, commit, out, store = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
random.seed(7)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
start = now - datetime.timedelta(hours=24)
# 200 pages with a long tail (Zipf-like), so the top-10 cut matters; plans and countries nested.
pages = [f"/docs/page-{i}" for i in range(200)]
weights = [1 / (i + 1) for i in range(200)]
types = ["page_view", "click", "signup", "payment", "api.request"]
countries = ["US", "DE", "FR", "BR", "JP", "IN", "GB", "CA", "ES", "IT", "NL", "SE"]

def body(n):
    items = []
    for _ in range(n):
        ts = start + datetime.timedelta(seconds=random.random() * 86_399)
        items.append({
            "event_type": random.choice(types),
            "timestamp": ts.isoformat().replace("+00:00", "Z"),
            "metadata": {
                "page": random.choices(pages, weights)[0],
                "ref": random.choice(["google", "direct", "hn", "twitter"]),
                "user": {"plan": random.choice(["free", "pro", "team"]), "country": random.choice(countries)},
            },
        })
    return json.dumps({"events": items}).encode()

def post(data):
    req = urllib.request.Request(f"{url}/api/v1/events/batch", data=data, method="POST",
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.status == 202, r.status

t0 = time.time()
batch = 1000
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(lambda _: post(body(batch)), range(events // batch)))
ingest_s = time.time() - t0

def get(path):
    req = urllib.request.Request(f"{url}{path}", headers={"X-API-Key": key})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())

frm = start.isoformat().replace("+00:00", "Z")
to = (now + datetime.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
total = get(f"/api/v1/events/stats?from={frm}&to={to}")["total"]
assert total == events, (total, events)
rows = []
for label, group in [("`meta.page` (200 values, top 10 of them)", "meta.page"), ("`meta.user.country` (nested, 12 values)", "meta.user.country")]:
    path = f"/api/v1/events/stats?from={frm}&to={to}&group_by={group}"
    t = time.perf_counter()
    get(path)
    first = (time.perf_counter() - t) * 1000
    for _ in range(4):
        get(path)
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        body_ = get(path)
        times.append((time.perf_counter() - t) * 1000)
    assert len(body_["breakdown"]["values"]) == 10, body_["breakdown"]
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(round(q * (len(times) - 1))))]
    rows.append((label, first, p(0.5), p(0.95), p(0.99), times[-1]))

load = os.getloadavg()
lines = [
    f"## Breakdown by property (`group_by`), {store.split(' ')[0]}",
    "",
    f"- **Date**: {now.strftime('%Y-%m-%d %H:%M')} UTC; server `{commit}` (`cargo build --release`); `nproc` = {os.cpu_count()}, shared machine (load average before the timings: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}).",
    "- **Command**: `flock /tmp/tributary-bench.lock bash bench/breakdown.sh`.",
    f"- **Data**: {events:,} events in one tenant, timestamps spread over the last 24 h, ingested through `POST /api/v1/events/batch` (1,000 per request, 4 at a time) in {ingest_s:.0f} s; {store}.",
    f"- **Measured**: {requests} sequential `GET /api/v1/events/stats?from=<24 h ago>&to=<now>&group_by=…` per key after 5 warm-ups, over HTTP on 127.0.0.1: the whole request (the breakdown, plus the totals by type and per hour that the endpoint always returns). Target: p99 ≤ 100 ms. *First* is the first request for the key, which computes the breakdown's cache from the events (later ones read the cache and the rollup).",
    "",
    "| key | first | p50 | p95 | p99 | max |",
    "|---|---:|---:|---:|---:|---:|",
]
for label, first, p50, p95, p99, mx in rows:
    lines.append(f"| {label} | {first:.0f} ms | {p50:.1f} ms | {p95:.1f} ms | **{p99:.1f} ms** | {mx:.1f} ms |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

write_results_section "$MARKER" "$WORK/section.md"
