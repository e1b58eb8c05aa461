# Conveniences over ./drgen.sh, which needs nothing but python3 (see README).
.PHONY: render test bench clean

render:
	./drgen.sh render

test:
	./drgen.sh test

bench:
	./drgen.sh bench

clean:
	rm -rf .venv out .pytest_cache .mypy_cache .ruff_cache
