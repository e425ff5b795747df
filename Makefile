# Tributary: common tasks. `make` alone lists them.

.PHONY: help run test bench fmt lint
.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

run: ## Embedded mode (SQLite, in-process) on http://localhost:8080, with a demo tenant
	cargo run --release -- serve --demo

test: ## What CI runs: formatting, lints, all tests
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo test --all-targets
	TRIBUTARY_TEST_BACKEND=postgres cargo test --test api

bench: ## Ingest and live-stream benchmarks; write bench/RESULTS.md
	bash bench/ingest.sh
	bash bench/stream.sh

fmt: ## Format the code
	cargo fmt

lint: ## Clippy, warnings are errors
	cargo clippy --all-targets -- -D warnings
