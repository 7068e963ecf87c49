# The two newcomer commands: `make demo` (install + run the flagship sync) and `make test`
# (install + lint + type-check + the whole suite on SQLite and PostgreSQL). `.ci/run` calls
# `make test`.
.PHONY: demo test install lint bench

install:
	./scripts/bootstrap

demo: install
	.venv/bin/leadsync demo

test: install
	./scripts/test

lint: install
	.venv/bin/ruff check leadsync tests benchmarks
	.venv/bin/mypy leadsync

bench: install
	./scripts/bench
