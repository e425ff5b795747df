#!/usr/bin/env bash
# Ingest benchmark: builds the release server, starts it on a free loopback port with a fresh
# database, and measures with wrk (64 connections) in one run:
#   (a) GET /health, a no-op baseline, (b) POST /api/v1/events, one event per request,
#   (c) POST /api/v1/events/batch, 100 events per request; bodies vary (bench/ingest.lua),
#   (d) POST /api/v1/events/batch, 100 events whose metadata is what (e) stores ("wrapped"),
#   (e) POST /v1/batch, the same 100 events as Segment track messages (the compat mapping).
# Each is measured BENCH_RUNS (3) times, interleaved, and the medians are reported. Afterwards
# the number of stored events (stats `total`) is checked against the number of events wrk saw
# acknowledged, so the benchmark also shows that nothing acknowledged was lost.
# Prints a Markdown table and writes it as its section of bench/RESULTS.md (between the ingest
# markers; the other benchmarks' sections are kept); raw wrk output goes to bench/out/.
#
# Usage (from anywhere):   bash bench/ingest.sh          (or: make bench-more)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432 bash bench/ingest.sh   benches PostgreSQL:
#     a fresh database tributary_bench_<random> is created on that server and dropped after.
#     Any other DATABASE_URL (or none) means SQLite, a fresh file in a temp dir.
#   REDIS_URL, if set, is passed on to the server (scaled mode) and noted in the results.
#   For quick trials: BENCH_DURATION (10s), BENCH_RUNS (3), BENCH_NO_BUILD=1 (reuse the binary).
#   A/B against another build: CARGO_TARGET_DIR=<dir with release/tributary> BENCH_NO_BUILD=1
#   BENCH_COMMIT=<what it was built from>.
#   The server logs at "warn" (per-request lines off); BENCH_RUST_LOG=info turns them on.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10s}
RUNS=${BENCH_RUNS:-3}
THREADS=2
CONNECTIONS=64
BATCH_SIZE=100
SERVER_LOG_LEVEL=${BENCH_RUST_LOG:-warn}
ADMIN_TOKEN=bench-admin-token-not-a-secret
JWT_SECRET=bench-jwt-secret-not-a-secret-0123456789
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/ingest.lua"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools and build
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null; then
    say "installing wrk"
    as_root apt-get install -y wrk || { as_root apt-get update && as_root apt-get install -y wrk; }
fi
for tool in curl cargo; do command -v "$tool" >/dev/null || die "$tool is required"; done

if [ -n "${BENCH_NO_BUILD:-}" ]; then
    say "BENCH_NO_BUILD set: using the existing release binary"
else
    say "cargo build --release"
    cargo build --release
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tributary"
[ -x "$BIN" ] || die "no server binary at $BIN"

# ---------------------------------------------------------------- clean-up, whatever happens
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tributary-bench.XXXXXX")
SERVER_PID=""
PG_ADMIN_URL=""
PG_DB=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -s "$WORK/server.log" ]; then
        echo "--- last lines of the server log ---" >&2
        tail -n 30 "$WORK/server.log" >&2 || true
    fi
    if [ -n "$PG_DB" ]; then
        psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 \
            || echo "warning: could not drop database $PG_DB" >&2
    fi
    if [ -d "$WORK/out" ]; then  # raw wrk output, also after a failure
        rm -rf "$ROOT/bench/out"; cp -r "$WORK/out" "$ROOT/bench/out" || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One benchmark at a time on this machine: two would share the cores and spoil both.
exec 9>"${TMPDIR:-/tmp}/tributary-bench.lock"
if ! flock -n 9; then
    say "another bench/ingest.sh is running: waiting for it (up to 30 min)"
    flock -w 1800 9 || die "gave up waiting for the other benchmark"
fi

# ---------------------------------------------------------------- database
if [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]]; then
    command -v psql >/dev/null || die "psql is required to bench PostgreSQL"
    scheme=${DATABASE_URL%%://*}
    server=${DATABASE_URL#*://}
    server=${server%%[/?]*}                                   # user[:pass]@host[:port]
    PG_ADMIN_URL="$scheme://$server/postgres"
    PG_DB="tributary_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    say "creating database $PG_DB"
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    DB_URL="$scheme://$server/$PG_DB"
    STORAGE="PostgreSQL $(psql -tA "$DB_URL" -c 'SHOW server_version' 2>/dev/null || echo '?'), database $PG_DB on ${server#*@}"
else
    DB_URL="sqlite://$WORK/bench.db"
    STORAGE="SQLite (WAL, synchronous=FULL), fresh file on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
fi

[ -n "${REDIS_URL:-}" ] && STORAGE+="; REDIS_URL set (Redis rate limiting and pub/sub)"

# ---------------------------------------------------------------- server
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_server() {
    local unset_vars=() name
    for name in $(compgen -e); do if [[ $name == TRIBUTARY_* ]]; then unset_vars+=(-u "$name"); fi; done
    for _ in 1 2 3 4 5; do
        PORT=$((20000 + RANDOM % 40000))
        port_in_use "$PORT" && continue
        : >"$WORK/server.log"
        # A clean environment: no TRIBUTARY_* overrides, no tributary.toml (cwd is the temp dir).
        (cd "$WORK" && exec env "${unset_vars[@]}" \
            DATABASE_URL="$DB_URL" ADMIN_TOKEN="$ADMIN_TOKEN" JWT_SECRET="$JWT_SECRET" PORT="$PORT" BIND=127.0.0.1 \
            RUST_LOG="$SERVER_LOG_LEVEL" "$BIN" serve) >"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 150); do
            curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then die "the server did not answer /health within 30 s"; fi
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        grep -qi "in use" "$WORK/server.log" || die "the server failed to start"
    done
    die "no free port found"
}
say "starting $BIN ($STORAGE)"
start_server
BASE="http://127.0.0.1:$PORT"
echo "listening on $BASE (pid $SERVER_PID)"

# ---------------------------------------------------------------- tenant
api() { # method path credential [body] -> prints "<status> <body>"
    local args=(-sS -o "$WORK/response" -w '%{http_code}' -X "$1" -H "X-API-Key: $3")
    [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    local code
    code=$(curl "${args[@]}" "$BASE$2")
    echo "$code $(cat "$WORK/response")"
}
say "creating tenant (rate limit 10M/s, burst 10M)"
reply=$(api POST /api/v1/tenants "$ADMIN_TOKEN" \
    '{"name":"bench","rate_limit":{"per_second":10000000,"burst":10000000}}')
[ "${reply%% *}" = 201 ] || die "tenant creation answered: $reply"
KEY=$(grep -o '"key":"[^"]*"' <<<"$reply" | head -n1 | cut -d'"' -f4)
[ -n "$KEY" ] || die "no api_key.key in: $reply"

reply=$(api POST /api/v1/events "$KEY" '{"event_type":"page_view","metadata":{"page":"/home","ref":"google"}}')
[ "${reply%% *}" = 202 ] || die "sanity ingest answered: $reply"
ACKED=1          # events acknowledged with a 202 (the sanity event above, then wrk's)
INFLIGHT=0       # upper bound of events sent whose response wrk never read
NON2XX=0
SOCKET_ERRORS=0
REJECTED=0
UNPARSED=0
WARNINGS=()

# ---------------------------------------------------------------- wrk runs
OUT="$WORK/out"      # copied to bench/out/ at the end
mkdir -p "$OUT"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# CPU used by other processes during a run (this is a shared machine): all busy CPU time
# (/proc/stat) minus the server's (/proc/PID/stat) minus wrk's (the shell's `times`, children).
TICK=$(getconf CLK_TCK)
busy_seconds() { awk -v t="$TICK" '/^cpu / {print ($2 + $3 + $4 + $7 + $8 + $9) / t}' /proc/stat; }
server_seconds() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$SERVER_PID/stat"; }
# `times` must run in this shell, not in a $(...) subshell (which has no children of its own).
children_seconds() {
    awk 'function s(x, a) {sub(/s$/, "", x); split(x, a, "m"); return a[1] * 60 + a[2]}
         NR == 2 {print s($1) + s($2)}' "$WORK/times"
}

# run <label> <mode> <duration>; sets LINE to the script's BENCH line and OTHER_CPU to the
# share of the machine's CPU that other processes used meanwhile (percent)
run() {
    local label=$1 mode=$2 duration=$3 path busy0 server0 wrk0
    times >"$WORK/times"
    busy0=$(busy_seconds) server0=$(server_seconds) wrk0=$(children_seconds)
    case $mode in
        health) path=/health ;;
        single) path=/api/v1/events ;;
        batch) path=/api/v1/events/batch ;;
        wrapped) path=/api/v1/events/batch ;;
        segment) path=/v1/batch ;;
    esac
    BENCH_MODE=$mode BENCH_KEY=$KEY BENCH_BASIC=$(printf '%s:' "$KEY" | base64 -w0) BENCH_BATCH_SIZE=$BATCH_SIZE \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -s "$ROOT/bench/ingest.lua" \
        "$BASE$path" >"$OUT/$label.txt" 2>&1 || die "wrk failed, see bench/out/$label.txt"
    LINE=$(grep '^BENCH ' "$OUT/$label.txt") || die "no BENCH line in bench/out/$label.txt"
    times >"$WORK/times"
    OTHER_CPU=$(awk -v b="$(busy_seconds)" -v b0="$busy0" -v s="$(server_seconds)" -v s0="$server0" \
        -v w="$(children_seconds)" -v w0="$wrk0" -v d="$(field seconds "$LINE")" -v n="$(nproc)" \
        'BEGIN {o = 100 * ((b - b0) - (s - s0) - (w - w0)) / (d * n); printf "%.0f", (o < 0) ? 0 : o}')
    # Server CPU per event (per request for /health): steadier than wall time on a shared box.
    local units
    units=$(field accepted "$LINE")
    [ "$mode" = health ] && units=$(field requests "$LINE")
    SERVER_US=$(awk -v s="$(server_seconds)" -v s0="$server0" -v n="$units" \
        'BEGIN {printf "%.1f", (n > 0) ? 1e6 * (s - s0) / n : 0}')
    local bad socket
    bad=$(field bad "$LINE")
    socket=$(($(field err_connect "$LINE") + $(field err_read "$LINE") + $(field err_write "$LINE") + $(field err_timeout "$LINE")))
    NON2XX=$((NON2XX + bad))
    SOCKET_ERRORS=$((SOCKET_ERRORS + socket))
    REJECTED=$((REJECTED + $(field rejected "$LINE")))
    UNPARSED=$((UNPARSED + $(field unparsed "$LINE")))
    if [ "$mode" != health ]; then
        local per_request=1
        [ "$mode" != single ] && per_request=$BATCH_SIZE
        ACKED=$((ACKED + $(field accepted "$LINE")))
        INFLIGHT=$((INFLIGHT + $(field inflight "$LINE") * per_request))
    fi
    if [ "$bad" -ne 0 ] || [ "$socket" -ne 0 ]; then
        WARNINGS+=("$label: $bad non-2xx responses, $socket socket errors/timeouts $(grep '^BENCH_FIRST_BAD' "$OUT/$label.txt" || true)")
        printf '\033[1;31m!!! %s\033[0m\n' "${WARNINGS[-1]}"
    fi
    printf '%-13s %10s req/s  p50 %8s ms  p99 %8s ms  accepted %7s  server %7s µs/event  other CPU %3s%%\n' "$label" \
        "$(field rps "$LINE")" "$(field p50_ms "$LINE")" "$(field p99_ms "$LINE")" "$(field accepted "$LINE")" "$SERVER_US" "$OTHER_CPU"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "warm-up (3 s each, not reported); load average before: $LOAD_BEFORE"
for mode in health single batch wrapped segment; do run "warmup-$mode" "$mode" 3s; done

declare -A RPS P50 P99 EPS OTHER CPU_US
say "measuring: $RUNS rounds of health, single, batch, wrapped, segment ($WRK_CMD)"
for round in $(seq "$RUNS"); do
    for mode in health single batch wrapped segment; do
        run "$mode-$round" "$mode" "$DURATION"
        CPU_US[$mode]+="$SERVER_US "
        RPS[$mode]+="$(field rps "$LINE") "
        P50[$mode]+="$(field p50_ms "$LINE") "
        P99[$mode]+="$(field p99_ms "$LINE") "
        OTHER[$mode]+="$OTHER_CPU "
        EPS[$mode]+="$(awk -v a="$(field accepted "$LINE")" -v s="$(field seconds "$LINE")" 'BEGIN {printf "%.1f", a / s}') "
    done
done

# ---------------------------------------------------------------- verification
say "verifying stored events"
from=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
stored_total() {
    local reply
    reply=$(api GET "/api/v1/events/stats?from=$from&to=$to&interval=day" "$KEY")
    [ "${reply%% *}" = 200 ] || die "stats answered: $reply"
    grep -o '"total":[0-9]*' <<<"$reply" | head -n1 | cut -d: -f2
}
# Requests in flight when wrk stopped may still be committing: wait until the count settles.
STORED=$(stored_total)
for _ in $(seq 20); do
    sleep 0.5
    now=$(stored_total)
    [ "$now" = "$STORED" ] && break
    STORED=$now
done
EXTRA=$((STORED - ACKED))
if [ "$STORED" -lt "$ACKED" ]; then
    VERDICT="FAILED: $((ACKED - STORED)) acknowledged events are missing"
elif [ "$EXTRA" -gt "$INFLIGHT" ]; then
    VERDICT="FAILED: $EXTRA more events stored than acknowledged or in flight"
elif [ "$NON2XX" -ne 0 ] || [ "$SOCKET_ERRORS" -ne 0 ] || [ "$REJECTED" -ne 0 ] || [ "$UNPARSED" -ne 0 ]; then
    VERDICT="FAILED: $NON2XX non-2xx responses, $SOCKET_ERRORS socket errors, $REJECTED rejected batch items, $UNPARSED unreadable batch answers"
else
    VERDICT="passed, nothing acknowledged was lost"
fi

# ---------------------------------------------------------------- report
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
fmt_int() { awk -v v="$1" 'BEGIN {s = sprintf("%.0f", v); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s}'; }
fmt_ms() { awk -v v="$1" 'BEGIN {printf "%.2f ms", v}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3g", a / b}'; }
declare -A M_RPS M_P50 M_P99 M_EPS M_CPU
for mode in health single batch wrapped segment; do
    M_CPU[$mode]=$(median "${CPU_US[$mode]}")
    M_RPS[$mode]=$(median "${RPS[$mode]}")
    M_P50[$mode]=$(median "${P50[$mode]}")
    M_P99[$mode]=$(median "${P99[$mode]}")
    M_EPS[$mode]=$(median "${EPS[$mode]}")
done
nth() { tr -s ' ' '\n' <<<"$1" | grep . | sed -n "$2p"; }
round_rows() {
    local r
    for r in $(seq "$RUNS"); do
        printf '| %s | %s | %s | %s | %s | %s | %s%% / %s%% / %s%% / %s%% / %s%% |\n' "$r" "$(fmt_int "$(nth "${RPS[health]}" "$r")")" \
            "$(fmt_int "$(nth "${RPS[single]}" "$r")")" "$(fmt_int "$(nth "${EPS[batch]}" "$r")")" \
            "$(fmt_int "$(nth "${EPS[wrapped]}" "$r")")" "$(fmt_int "$(nth "${EPS[segment]}" "$r")")" \
            "$(nth "${OTHER[health]}" "$r")" "$(nth "${OTHER[single]}" "$r")" "$(nth "${OTHER[batch]}" "$r")" \
            "$(nth "${OTHER[wrapped]}" "$r")" "$(nth "${OTHER[segment]}" "$r")"
    done
}
MAX_OTHER=$(tr -s ' ' '\n' <<<"${OTHER[health]} ${OTHER[single]} ${OTHER[batch]} ${OTHER[wrapped]} ${OTHER[segment]}" | grep . | sort -n | tail -n1)
NOISE_NOTE="Other processes used at most $MAX_OTHER% of the CPUs during any measured run."
[ "$MAX_OTHER" -gt 10 ] && NOISE_NOTE="**Noisy run**: other processes used up to $MAX_OTHER% of the CPUs during a measured run; compare rounds before trusting the medians."

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain -- src migrations Cargo.toml Cargo.lock 2>/dev/null)" ] && COMMIT+=" + uncommitted changes"
# A binary built elsewhere (CARGO_TARGET_DIR with BENCH_NO_BUILD) says which commit it is.
COMMIT=${BENCH_COMMIT:-$COMMIT}
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
REPORT=$(cat <<EOF
## Ingest

- **Machine**: \`nproc\` = $(nproc) ($CPU), $MEM RAM, $(uname -sr). wrk and the server share
  these cores (all traffic on 127.0.0.1), so the absolute figures are a floor, not a ceiling.
  Load average (1/5/15 min) just before the measurements: $LOAD_BEFORE.
- **Date**: $(date -u '+%Y-%m-%d %H:%M UTC'); server built from \`$COMMIT\` (\`cargo build --release\`).
- **Command**: \`bash bench/ingest.sh\`, which runs \`$WRK_CMD <url>\` (the script builds
  varied bodies: page views, clicks, searches, API calls, sign-ups, purchases) against a fresh server.
- **Storage**: $STORAGE. Server log level \`$SERVER_LOG_LEVEL\`; tenant rate limit 10M/s.
- Every figure is the **median of $RUNS runs** of $DURATION (rounds of health, single, batch, wrapped, segment,
  interleaved, after a 3 s warm-up of each), measured in the same run as the \`/health\` baseline.
  A 202 is sent only after the event's transaction has committed (group commit).

| scenario | req/s | events/s | p50 | p99 | req/s vs baseline | server CPU per event |
|---|---:|---:|---:|---:|---:|---:|
| \`GET /health\` (no-op baseline) | $(fmt_int "${M_RPS[health]}") | – | $(fmt_ms "${M_P50[health]}") | $(fmt_ms "${M_P99[health]}") | 1.00 | ${M_CPU[health]} µs per request |
| \`POST /api/v1/events\` (1 event) | $(fmt_int "${M_RPS[single]}") | $(fmt_int "${M_EPS[single]}") | $(fmt_ms "${M_P50[single]}") | $(fmt_ms "${M_P99[single]}") | $(ratio "${M_RPS[single]}" "${M_RPS[health]}") | ${M_CPU[single]} µs |
| \`POST /api/v1/events/batch\` ($BATCH_SIZE events) | $(fmt_int "${M_RPS[batch]}") | $(fmt_int "${M_EPS[batch]}") | $(fmt_ms "${M_P50[batch]}") | $(fmt_ms "${M_P99[batch]}") | $(ratio "${M_RPS[batch]}" "${M_RPS[health]}") | ${M_CPU[batch]} µs |
| \`POST /api/v1/events/batch\` ($BATCH_SIZE events holding what the Segment rows hold) | $(fmt_int "${M_RPS[wrapped]}") | $(fmt_int "${M_EPS[wrapped]}") | $(fmt_ms "${M_P50[wrapped]}") | $(fmt_ms "${M_P99[wrapped]}") | $(ratio "${M_RPS[wrapped]}" "${M_RPS[health]}") | ${M_CPU[wrapped]} µs |
| \`POST /v1/batch\` (Segment, the same $BATCH_SIZE events) | $(fmt_int "${M_RPS[segment]}") | $(fmt_int "${M_EPS[segment]}") | $(fmt_ms "${M_P50[segment]}") | $(fmt_ms "${M_P99[segment]}") | $(ratio "${M_RPS[segment]}" "${M_RPS[health]}") | ${M_CPU[segment]} µs |

Single-event ingest runs at **$(ratio "${M_RPS[single]}" "${M_RPS[health]}")×** the no-op baseline's
request rate; batches of $BATCH_SIZE store **$(ratio "${M_EPS[batch]}" "${M_EPS[single]}")×** as many
events per second as single-event requests. The same batches sent as Segment messages to
\`/v1/batch\` (Basic auth, mapping, clock-skew correction) run at
**$(ratio "${M_EPS[segment]}" "${M_EPS[batch]}")×** the native batch's events per second, with
**$(ratio "${M_CPU[segment]}" "${M_CPU[batch]}")×** its server CPU per event. Part of that is the rows
themselves: a Segment row stores the whole message (type, name, user, times, context) and so
indexes more words. Native batches storing those same rows run at
**$(ratio "${M_EPS[wrapped]}" "${M_EPS[batch]}")×** the plain batch; against them, the protocol
mapping alone runs at **$(ratio "${M_EPS[segment]}" "${M_EPS[wrapped]}")×** the events per second, with
**$(ratio "${M_CPU[segment]}" "${M_CPU[wrapped]}")×** the server CPU per event.

Individual runs, in order (other processes' CPU: the share of the $(nproc) cores that processes
other than the server and wrk used during the run; this is a shared machine):

| round | health req/s | single req/s | batch events/s | wrapped events/s | segment events/s | other processes' CPU (health / single / batch / wrapped / segment) |
|---:|---:|---:|---:|---:|---:|---|
$(round_rows)

$NOISE_NOTE

**Verification: $VERDICT.** Events acknowledged with 202, as counted by
the wrk script (warm-ups included, plus one sanity request): $(fmt_int "$ACKED"); events stored
(\`GET /api/v1/events/stats\` \`total\`): $(fmt_int "$STORED"). The check is stored ≥
acknowledged; the surplus ($(fmt_int "$EXTRA")) must come from the requests that were in flight
when wrk stopped at each deadline (one per connection, at most $(fmt_int "$INFLIGHT") events in
all): the server committed them but wrk never read their 202. Non-2xx responses: $NON2XX;
socket errors/timeouts: $SOCKET_ERRORS; rejected batch items: $REJECTED.
EOF
)
if [ ${#WARNINGS[@]} -gt 0 ]; then
    REPORT+=$'\n\nWarnings:\n'
    for w in "${WARNINGS[@]}"; do REPORT+="- $w"$'\n'; done
fi

# Replace the ingest section of bench/RESULTS.md (placed first when new), keep the others.
SECTION=$(printf '<!-- ingest:begin -->\n%s\n<!-- ingest:end -->' "$REPORT")
python3 - "$ROOT/bench/RESULTS.md" "$SECTION" <<'PY'
import pathlib, re, sys
path, section = pathlib.Path(sys.argv[1]), sys.argv[2]
text = path.read_text() if path.exists() else ""
if "<!-- ingest:begin -->" in text:
    text = re.sub(r"<!-- ingest:begin -->.*?<!-- ingest:end -->", lambda _: section, text, flags=re.S)
else:
    if text.startswith("# Ingest benchmark"):  # this script's old, marker-less output
        text = text[text.find("<!-- "):] if "<!-- " in text else ""
    title, rest = ("# Benchmark results\n", text)
    if text.startswith("# "):
        title, _, rest = text.partition("\n")
        title += "\n"
    text = title + "\n" + section + "\n\n" + rest.lstrip("\n")
path.write_text(text.rstrip("\n") + "\n")
PY
say "results (also in bench/RESULTS.md; raw wrk output in bench/out/)"
printf '%s\n' "$REPORT"
case $VERDICT in
    passed*) ;;
    *) printf '\n\033[1;31m%s\033[0m\n' "$VERDICT" >&2; exit 1 ;;
esac
