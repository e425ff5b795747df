# Tributary: common tasks. `make` alone lists them.

.PHONY: help run test web-test web-build bench fmt lint
.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: web-build ## Embedded mode (SQLite, in-process) on http://localhost:8080, with a demo tenant
	cargo run --release -- serve --demo

test: ## What CI runs: formatting, lints, all tests
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo test --all-targets
	TRIBUTARY_TEST_BACKEND=postgres cargo test --test api
	$(MAKE) web-test

web/node_modules: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch web/node_modules

web-build: web/node_modules ## Build the dashboard into web/dist (embedded by release builds)
	npm --prefix web run build

web-test: web/node_modules ## The dashboard's lint, types, unit tests, API-type drift check and browser tests
	npm --prefix web run lint
	npm --prefix web run typecheck
	npm --prefix web test
	cargo build --bin tributary
	npm --prefix web run api:check
	npm --prefix web run build
	npm --prefix web run e2e

bench: ## Ingest and live-stream benchmarks; write bench/RESULTS.md
	bash bench/ingest.sh
	bash bench/stream.sh

fmt: ## Format the code
	cargo fmt

lint: ## Clippy, warnings are errors
	cargo clippy --all-targets -- -D warnings
