# Shortcuts for the ./dev launcher (which needs only Python 3.11+).
.PHONY: run test setup lint bench

run:
	./dev run

test:
	./dev test

setup:
	./dev setup

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports
