"""The layout of tests/ (tests/README.md): test modules by area, helpers in
tests/support, and no test module that another module imports; and how many
examples the property tests run.

Read from the source with ``ast``: every import, also one inside a function, with
relative imports resolved.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import TESTS
from tests.support.scheduling import slow_first

#: The folders of test modules, one per stage or concern of generator/ (README).
AREAS = frozenset(
    {
        "bundle",
        "catalogue",
        "cli",
        "discovery",
        "evidence",
        "files",
        "inventory",
        "oracles",
        "plan",
        "render",
        "runbook",
        "scripts",
        "signing",
    }
)
#: A test module is split by feature beyond this many lines.
MAX_LINES = 800
#: A helper module (tests/support and its packages) is split by concern beyond this
#: many lines, the limit generator/ modules keep.
MAX_SUPPORT_LINES = 500
#: Names of tests that say which review found them instead of what they hold.
REVIEW_ID = re.compile(r"^test_[afr]\d+_|^test_[afr]\d+$", re.IGNORECASE)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def python_files() -> list[Path]:
    return sorted(
        p
        for p in TESTS.rglob("*.py")
        if "snapshots" not in p.parts and "data" not in p.relative_to(TESTS).parts
    )


def is_test_module(path: Path) -> bool:
    return path.name.startswith("test_")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts ``a`` and ``a.b``)."""
    package = module_name(path).rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def runs_as_main(path: Path) -> bool:
    """Whether ``path`` has an ``if __name__ == "__main__":`` block."""
    return any(
        isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Name)
        and node.left.id == "__name__"
        and any(
            isinstance(c, ast.Constant) and c.value == "__main__"
            for c in node.comparators
        )
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def all_test_modules() -> dict[str, Path]:
    return {module_name(p): p for p in python_files() if is_test_module(p)}


def test_helpers_are_the_only_modules_a_module_imports() -> None:
    """No test module, conftest or helper imports a test module or a conftest:
    what two modules share lives in tests/support."""
    tests = set(all_test_modules())
    conftests = {module_name(p) for p in python_files() if p.name == "conftest.py"}
    wrong = [
        f"{path.relative_to(TESTS)} imports {imported}"
        for path in python_files()
        for imported in sorted(imported_modules(path))
        if imported in tests or imported in conftests
    ]
    assert not wrong, "\n".join(wrong)


def test_every_test_module_is_in_an_area_folder() -> None:
    """tests/<area>/test_*.py, every area a package (unique module names)."""
    misplaced = [
        str(path.relative_to(TESTS))
        for name, path in all_test_modules().items()
        if path.parent.name not in AREAS and path != Path(__file__)
    ]
    assert not misplaced
    for area in AREAS:
        assert (TESTS / area / "__init__.py").is_file(), area


def test_no_test_module_is_a_script() -> None:
    """Golden files are written by tests/support modules run with ``python -m``,
    never by a test module."""
    scripts = [
        str(path.relative_to(TESTS))
        for path in all_test_modules().values()
        if runs_as_main(path)
    ]
    assert not scripts


def test_test_modules_are_split_by_feature() -> None:
    too_long = {
        str(path.relative_to(TESTS)): lines
        for path in all_test_modules().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long


def test_helper_modules_are_split_by_concern() -> None:
    """tests/support/*.py and its packages (pwsh/, ps51/): each under 500 lines."""
    helpers = sorted((TESTS / "support").rglob("*.py"))
    assert TESTS / "support" / "pwsh" / "lint.py" in helpers
    too_long = {
        str(path.relative_to(TESTS)): lines
        for path in helpers
        if (lines := len(path.read_text(encoding="utf-8").splitlines()))
        > MAX_SUPPORT_LINES
    }
    assert not too_long


def test_tests_are_named_after_what_they_hold() -> None:
    """No test is named after the review round that found it (test_f5_...)."""
    named = [
        f"{path.relative_to(TESTS)}::{node.name}"
        for path in all_test_modules().values()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and REVIEW_ID.match(node.name)
    ]
    assert not named


@pytest.mark.parametrize(
    ("source", "imported"),
    [
        ("import tests.scripts.test_enable\n", "tests.scripts.test_enable"),
        ("from tests.scripts import test_enable\n", "tests.scripts.test_enable"),
        ("from .test_enable import check\n", "tests.scripts.test_enable"),
        ("def f():\n    from tests.conftest import X\n", "tests.conftest"),
    ],
)
def test_the_import_reader_sees_every_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, imported: str
) -> None:
    """Counter-test: each way of importing a test module is seen."""
    fake_tests = tmp_path / "tests"
    (fake_tests / "scripts").mkdir(parents=True)
    path = fake_tests / "scripts" / "test_other.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.TESTS", fake_tests)
    assert imported in imported_modules(path)


#: Profile environment -> examples(500, local=60).
PROFILE_CASES: tuple[tuple[dict[str, str], int], ...] = (
    ({}, 60),
    ({"CI": "true"}, 500),
    ({"HYPOTHESIS_PROFILE": "ci"}, 500),
    ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, 60),
    ({"HYPOTHESIS_PROFILE": "thorough"}, 500),
)
_PROFILE_PROBE = """
import importlib, json, os, sys
import tests.support.examples as module
import tests.support.paths as paths
found = []
for environment in json.loads(sys.argv[1]):
    for name in ("CI", "HYPOTHESIS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(environment)
    importlib.reload(paths)
    found.append(importlib.reload(module).examples(500, local=60))
print(json.dumps(found))
"""


def test_property_tests_run_their_full_count_under_ci() -> None:
    """tests/support/examples.py: the full count under CI=true, fewer locally."""
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROFILE_PROBE,
            json.dumps([environment for environment, _ in PROFILE_CASES]),
        ],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == [count for _, count in PROFILE_CASES]


def test_an_unknown_hypothesis_profile_is_refused() -> None:
    clean = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    found = subprocess.run(
        [sys.executable, "-c", "import tests.support.examples"],
        env={**clean, "HYPOTHESIS_PROFILE": "fast"},
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode != 0
    assert "HYPOTHESIS_PROFILE='fast': choose one of ci, dev, thorough" in found.stderr


class _Item:
    """Enough of a pytest.Item for the ordering hook."""

    def __init__(self, name: str, slow: bool) -> None:
        self.name = name
        self.slow = slow

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def test_slow_tests_are_handed_out_first() -> None:
    """tests/conftest.py puts the tests marked slow first, each group in order."""
    items = [_Item("a", False), _Item("b", True), _Item("c", False), _Item("d", True)]
    slow_first(items)
    assert [item.name for item in items] == ["b", "d", "a", "c"]
