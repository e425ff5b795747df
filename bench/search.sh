#!/usr/bin/env bash
# Search benchmark: generates realistic events (1,000,000 by default) and measures, in one run
# and on SQLite:
#   - ingest throughput with and without the full-text index (same events, alternating rounds);
#   - search latency p50/p95/p99 of 300 two-word queries over HTTP, plus named queries;
#   - the same queries for a small tenant (1,000 events) sharing the database.
# The work is done by bench/search_bench.rs (`cargo run --release --example search-bench`).
# Writes its section of bench/RESULTS.md (between the search markers); the databases go to a
# temporary directory that is removed at the end (about 2 GB for a million events).
#
# Usage: bash bench/search.sh            (BENCH_EVENTS=1000000, BENCH_NO_BUILD=1 to reuse the build)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${BENCH_EVENTS:-1000000}

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    cargo build --release --example search-bench
fi
WORK=$(mktemp -d /tmp/tributary-search-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD -- src migrations 2>/dev/null || COMMIT="$COMMIT + uncommitted changes"
target/release/examples/search-bench --events "$EVENTS" --dir "$WORK" --out "$WORK/section.md" \
    --commit "$COMMIT"

python3 - "$WORK/section.md" <<'PY'
import pathlib, re, sys
section = "<!-- search:begin -->\n" + pathlib.Path(sys.argv[1]).read_text().strip() + "\n<!-- search:end -->"
path = pathlib.Path("bench/RESULTS.md")
text = path.read_text() if path.exists() else "# Benchmark results\n"
if "<!-- search:begin -->" in text:
    text = re.sub(r"<!-- search:begin -->.*?<!-- search:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
path.write_text(text)
PY
echo "==> bench/RESULTS.md updated"
sed -n '/<!-- search:begin -->/,/<!-- search:end -->/p' bench/RESULTS.md
