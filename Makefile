# Tributary: common tasks. `make` alone lists them.

.PHONY: help run dev test web-test web-build bench bench-more fmt lint
.DEFAULT_GOAL := help

# What the dashboard's build (web/dist) is made from: `make run` rebuilds it only when one of
# these is newer than web/dist/index.html. Unit tests are left out, since they are not built.
WEB_SOURCES := $(shell find web/src web/public -type f ! -name '*.test.ts' ! -name '*.test.tsx' 2>/dev/null) \
	web/index.html web/package.json web/package-lock.json web/vite.config.ts $(wildcard web/tsconfig*.json)

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: web/dist/index.html ## Embedded mode (SQLite, in-process) on http://localhost:8080, with a demo tenant
	cargo run --release -- serve --demo

# The release server in the background, Vite's dev server in the foreground (its proxy sends
# /api, the WebSocket and /health to :8080); Ctrl-C stops both. `cargo run` execs the server,
# so $$! is the server itself.
dev: web/node_modules ## The server plus Vite's dev server with hot reload: edit web/src, open http://localhost:5173
	cargo build --release --bin tributary
	@trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null' EXIT; \
	cargo run --release -- serve --demo & server=$$!; \
	npm --prefix web run dev

# Each step says when it starts, so that a CI log shows where the time goes.
STEP = @echo "==> $$(date +%T) $(1)"

test: tests/sdk/node_modules tests/sdk/.venv ## What CI runs: formatting, lints, all tests
	$(call STEP,fmt)
	cargo fmt --all --check
	$(call STEP,clippy)
	cargo clippy --all-targets -- -D warnings
	$(call STEP,unit and API tests on SQLite)
	cargo test --all-targets
	$(call STEP,API tests on PostgreSQL)
	TRIBUTARY_TEST_BACKEND=postgres cargo test --test api
	python3 deploy/check-compose.py
	$(MAKE) web-test

# The real Segment and PostHog SDKs that tests/api/sdk.rs drives.
tests/sdk/node_modules: tests/sdk/package-lock.json
	npm ci --prefix tests/sdk --no-audit --no-fund
	touch tests/sdk/node_modules

tests/sdk/.venv: tests/sdk/requirements.txt
	python3 -m venv tests/sdk/.venv
	tests/sdk/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
	touch tests/sdk/.venv

web/node_modules: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch web/node_modules

web-build: web/dist/index.html ## Build the dashboard into web/dist (embedded by release builds) if web/ changed

# Order-only on node_modules: npm and Vite write into it, which must not count as a change.
web/dist/index.html: $(WEB_SOURCES) | web/node_modules
	npm --prefix web run build
	@touch $@

web-test: web/node_modules ## The dashboard's lint, types, unit tests, API-type drift check and browser tests
	$(call STEP,dashboard lint and types)
	npm --prefix web run lint
	npm --prefix web run typecheck
	$(call STEP,dashboard unit tests)
	npm --prefix web test
	cargo build --bin tributary
	npm --prefix web run api:check
	npm --prefix web run build
	$(call STEP,browser tests)
	npm --prefix web run e2e
	$(call STEP,done)

# PostgreSQL for `make bench`: a server where the benchmark may create and drop databases.
BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432

bench: ## The server against the raw ceiling and the reference server, SQLite then PostgreSQL; write bench/RESULTS.md
	bash bench/disk.sh
	DATABASE_URL=$(BENCH_POSTGRES_URL) BENCH_NO_BUILD=1 bash bench/disk.sh

bench-more: ## Ingest scenarios (Segment, wrapped rows), the live stream, cost growth; write bench/RESULTS.md
	bash bench/ingest.sh
	bash bench/stream.sh
	BENCH_NO_BUILD=1 bash bench/growth.sh

fmt: ## Format the code
	cargo fmt --all

lint: ## Clippy, warnings are errors
	cargo clippy --all-targets -- -D warnings
