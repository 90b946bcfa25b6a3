# The two commands of the README: `make run` and `make test`.
.PHONY: setup run test lint bench

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

bench: setup
	$(BIN)/python bench/bench_tags.py
	$(BIN)/python bench/bench_tags.py --postgres
	$(BIN)/python bench/bench_inspections.py
	$(BIN)/python bench/bench_inspections.py --postgres
	$(BIN)/python bench/bench_push.py
	$(BIN)/python bench/bench_push.py --postgres
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
