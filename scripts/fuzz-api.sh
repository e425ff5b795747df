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

BIN=target/release/tributary
JWT_SECRET=fuzz-jwt-secret-not-a-secret-0123456789
WORK=$(mktemp -d /tmp/tributary-fuzz.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh

start fuzz "sqlite://$WORK/fuzz.db"
URL=$(url_of fuzz)
KEY=$(tenant_key "$URL")

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
status=0
for who in tenant admin; do
    credential=$KEY
    [ "$who" = admin ] && credential=$ADMIN_TOKEN
    echo "==> as the $who"
    st run "$URL/api/v1/openapi.json" -H "X-API-Key: $credential" --checks "$CHECKS" \
        --max-examples "$EXAMPLES" --exclude-path /api/v1/ws --request-timeout 10 || status=1
done
if grep -q '"level":"ERROR"' "$WORK/fuzz.log"; then
    echo "the server logged errors:"; grep '"level":"ERROR"' "$WORK/fuzz.log" | head -20
    status=1
fi
exit $status
