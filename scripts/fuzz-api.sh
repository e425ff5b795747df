#!/usr/bin/env bash
# Property-based API fuzzing with Schemathesis against the OpenAPI document: thousands of
# generated requests (valid and invalid) against a fresh release server, once as a tenant and
# once as the admin. Fails on any 5xx, on a status code the document does not list for that
# operation, and on a response that does not match its documented schema or content type.
#
# Usage: bash scripts/fuzz-api.sh        (FUZZ_EXAMPLES=60 per operation and phase)
# Needs Python 3 with `pip install schemathesis` (4.x); not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${FUZZ_EXAMPLES:-60}
ADMIN_TOKEN=fuzz-admin-token-not-a-secret
command -v st >/dev/null || { echo "schemathesis is not installed: pip install schemathesis" >&2; exit 2; }
cargo build --release --bin tributary

WORK=$(mktemp -d /tmp/tributary-fuzz.XXXXXX)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

DATABASE_URL="sqlite://$WORK/fuzz.db" ADMIN_TOKEN=$ADMIN_TOKEN PORT=0 TRIBUTARY_LOG__FORMAT=json \
    RUST_LOG=info target/release/tributary serve 2>"$WORK/server.log" >/dev/null &
SERVER_PID=$!
for _ in $(seq 100); do
    ADDRESS=$(grep -o '"address":"[^"]*"' "$WORK/server.log" | head -1 | cut -d'"' -f4 || true)
    [ -n "$ADDRESS" ] && break
    sleep 0.1
done
[ -n "$ADDRESS" ] || { cat "$WORK/server.log"; exit 1; }
URL="http://$ADDRESS"
KEY=$(curl -sf -X POST "$URL/api/v1/tenants" -H "X-API-Key: $ADMIN_TOKEN" -H 'content-type: application/json' \
    -d '{"name":"fuzz"}' | sed 's/.*"key":"\([^"]*\)".*/\1/')

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
status=0
for who in tenant admin; do
    credential=$KEY
    [ "$who" = admin ] && credential=$ADMIN_TOKEN
    echo "==> as the $who"
    st run "$URL/api/v1/openapi.json" -H "X-API-Key: $credential" --checks "$CHECKS" \
        --max-examples "$EXAMPLES" --exclude-path /api/v1/ws --request-timeout 10 || status=1
done
if grep -q '"level":"ERROR"' "$WORK/server.log"; then
    echo "the server logged errors:"; grep '"level":"ERROR"' "$WORK/server.log" | head -20
    status=1
fi
exit $status
