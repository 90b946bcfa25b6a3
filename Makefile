# The two commands of the README: `make run` and `make test`.
.PHONY: setup run test lint bench fuzz

BIN := .venv/bin

setup:
	./scripts/setup.sh

# Embedded default: a SQLite file under ./data, the demo school, the server on :8000.
run: setup
	$(BIN)/roundkeeper db upgrade
	$(BIN)/roundkeeper demo
	$(BIN)/roundkeeper serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy checklists qr sync server

# Lint, import contracts, then the suite on SQLite and on PostgreSQL.
test: lint
	./scripts/postgres.sh
	$(BIN)/pytest -q

# The OpenAPI conformance run of the suite, longer and random: FUZZ_EXAMPLES examples an
# operation and generation mode, on SQLite and on PostgreSQL.
FUZZ_EXAMPLES ?= 200
fuzz: setup
	./scripts/postgres.sh
	ROUNDKEEPER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider \
		tests/test_openapi_conformance.py -k answers_as

bench: setup
	$(BIN)/python bench/bench_tags.py
	$(BIN)/python bench/bench_tags.py --postgres
	$(BIN)/python bench/bench_inspections.py
	$(BIN)/python bench/bench_inspections.py --postgres
	$(BIN)/python bench/bench_push.py
	$(BIN)/python bench/bench_push.py --postgres
	$(BIN)/python bench/bench_gate.py
	$(BIN)/python bench/bench_gate.py --postgres
	$(BIN)/python bench/bench_evaluation.py
	$(BIN)/python bench/bench_labels.py
	$(BIN)/python bench/bench_occurrences.py
	$(BIN)/python bench/bench_due.py
	$(BIN)/python bench/bench_due.py --postgres
	$(BIN)/python bench/bench_pull.py
	$(BIN)/python bench/bench_pull.py --postgres
	$(BIN)/python bench/bench_initial_sync.py
	$(BIN)/python bench/bench_initial_sync.py --postgres
	$(BIN)/python bench/bench_phone.py
	$(BIN)/python bench/bench_taps.py
	$(BIN)/python bench/bench_rounds.py
	$(BIN)/python bench/bench_patrol_views.py
	$(BIN)/python bench/bench_patrol_views.py --postgres
	$(BIN)/python bench/bench_console.py
	$(BIN)/python bench/bench_console.py --postgres
