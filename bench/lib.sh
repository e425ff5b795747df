# Shared by bench/scaled.sh, bench/stream.sh and scripts/fuzz-api.sh (sourced, not run):
# starting release servers and making a tenant.
# The caller sets BIN, WORK, ADMIN_TOKEN, JWT_SECRET and PREFIX, and declares PIDS=().

# start <name> <database url> [redis url]: starts `tributary serve` on a free port, without the
# webhook worker; its base URL is then in $WORK/<name>.url and its pid last in PIDS (so this is
# not called in a subshell).
start() {
    local name=$1 db=$2 redis=${3:-}
    env DATABASE_URL="$db" ${redis:+REDIS_URL=$redis TRIBUTARY_REDIS__PREFIX=$PREFIX} \
        ADMIN_TOKEN=$ADMIN_TOKEN JWT_SECRET=$JWT_SECRET PORT=0 TRIBUTARY_LOG__FORMAT=json \
        RUST_LOG=warn,tributary=info TRIBUTARY_WEBHOOKS__WORKER=false "$BIN" serve >/dev/null 2>"$WORK/$name.log" &
    PIDS+=($!)
    local address=""
    for _ in $(seq 200); do
        address=$(grep -o '"address":"[^"]*"' "$WORK/$name.log" | head -1 | cut -d'"' -f4 || true)
        [ -n "$address" ] && break
        sleep 0.1
    done
    [ -n "$address" ] || { cat "$WORK/$name.log" >&2; exit 1; }
    echo "http://$address" >"$WORK/$name.url"
}

url_of() { cat "$WORK/$1.url"; }

# tenant_key <base url>: creates a tenant with a rate limit that never binds; prints its key.
tenant_key() {
    curl -sf -X POST "$1/api/v1/tenants" -H "X-API-Key: $ADMIN_TOKEN" -H 'content-type: application/json' \
        -d "{\"name\":\"bench-$RANDOM\",\"rate_limit\":{\"per_second\":10000000,\"burst\":10000000}}" \
        | sed 's/.*"key":"\([^"]*\)".*/\1/'
}

# write_results_section <marker> <section file>: puts the file's text into bench/RESULTS.md
# between <!-- <marker>:begin --> and <!-- <marker>:end -->, replacing what was there, or at the
# end when the markers are new; the other benchmarks' sections are kept.
write_results_section() {
    python3 - "$2" "$1" <<'PY'
import pathlib, re, sys
body, marker = pathlib.Path(sys.argv[1]).read_text().strip(), sys.argv[2]
begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
section = f"{begin}\n{body}\n{end}"
path = pathlib.Path("bench/RESULTS.md")
text = path.read_text() if path.exists() else "# Benchmark results\n"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
path.write_text(text)
PY
    echo "==> bench/RESULTS.md updated"
}
