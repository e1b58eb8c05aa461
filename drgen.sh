#!/bin/sh
# drgen's two entry points for a fresh machine: `./drgen.sh render` and `./drgen.sh test`.
# Needs only python3 (>= 3.11). Creates .venv on first use and reinstalls when
# pyproject.toml changes. On Debian without python3-venv it installs that package
# when run as root, and otherwise says which command to run.
set -eu
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

need_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "drgen.sh: $PYTHON not found; install Python 3.11 or newer" >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "drgen.sh: $PYTHON is older than 3.11" >&2
    exit 1
  fi
}

make_venv() {
  if "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    return 0
  fi
  rm -rf "$VENV"
  # Debian splits venv/ensurepip into python3-venv.
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "drgen.sh: installing python3-venv" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
    "$PYTHON" -m venv "$VENV"
  else
    echo "drgen.sh: '$PYTHON -m venv' failed; run: sudo apt-get install python3-venv" >&2
    exit 1
  fi
}

setup() {
  need_python
  if [ ! -x "$VENV/bin/python" ]; then
    make_venv
  fi
  if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    touch "$STAMP"
  fi
}

command=${1:-help}
[ $# -gt 0 ] && shift
case "$command" in
  render)
    setup
    exec "$VENV/bin/drgen" render "$@"
    ;;
  test)
    # Lint, types and layers first (seconds), then the suite on every core
    # (pytest-xdist; tests/README.md says what keeps the tests parallel-safe).
    setup
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports"
    exec "$VENV/bin/pytest" -n auto "$@"
    ;;
  bench)
    setup
    exec "$VENV/bin/python" bench/bench.py "$@"
    ;;
  drgen)
    setup
    exec "$VENV/bin/drgen" "$@"
    ;;
  regen)
    # Every golden file (schemas, lab-facts sample, sample results, command
    # outputs, snapshots, screenshots), in order: tools/regen.py.
    setup
    exec "$VENV/bin/python" -m tools.regen "$@"
    ;;
  screenshots)
    # The README's PNGs, from the example, in headless Chromium (apt-get install chromium).
    setup
    exec "$VENV/bin/python" docs/screenshots.py "$@"
    ;;
  *)
    echo "usage: ./drgen.sh render [drgen render options] | test [pytest options] | bench [--quick] | regen [--no-screenshots] | screenshots [--out DIR] | drgen ARGS" >&2
    exit 2
    ;;
esac
