# Conveniences over ./drgen.sh, which needs nothing but python3 (see README).
# `make test` is ./drgen.sh test: ruff, mypy, lint-imports, then pytest -n auto.
# `make regen` is ./drgen.sh regen: every golden file, in order (tools/regen.py).
.PHONY: render test regen bench clean

render:
	./drgen.sh render

test:
	./drgen.sh test

regen:
	./drgen.sh regen

bench:
	./drgen.sh bench

clean:
	rm -rf .venv out .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
