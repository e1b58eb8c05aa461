"""``drgen drift`` from the command line: exit codes, another group's discovery,
the two formats, the documented codes; and mutated discovery files never crash
import or drift."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli.app import app
from generator.discovery.drift import CODES
from generator.discovery.simulate import simulate
from generator.errors import ExitCode
from tests.support.discoveries import drift_cli, simulated
from tests.support.examples import examples
from tests.support.paths import EXAMPLES, INVENTORIES, ROOT

# -------------------------------------------------------------------- the command line


def test_another_groups_discovery_is_a_located_error(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(simulate(INVENTORIES / "consolidated.yaml"))
    result = drift_cli([str(INVENTORIES / "example.yaml"), str(other)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert re.match(
        re.escape(str(other)) + r":\d+:\d+: error\[other-group\]", result.stderr
    )


def test_docs_list_every_code() -> None:
    docs = (ROOT / "docs" / "discovery.md").read_text(encoding="utf-8")
    for code in CODES.values():
        assert f"| {code.code} | {code.severity} |" in docs, code.code


# --------------------------------------------------------------- mutations never crash


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _upper(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _upper(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_upper(item) for item in value]
    return value.upper() if isinstance(value, str) else value


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(EXAMPLES))
    data = simulated(name)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(
            st.sampled_from(["drop", "replace", "string", "duplicate", "invisible"])
        )
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif action == "duplicate" and isinstance(parent, list):
            # The same host, server, instance or MessageBox twice, maybe in
            # another case (the consistency checks of discovery_checks.py).
            copy = _upper(parent[path[-1]])
            parent.insert(path[-1], copy if draw(st.booleans()) else parent[path[-1]])
        elif action == "invisible" and isinstance(parent[path[-1]], str):
            old = parent[path[-1]]
            char = draw(st.sampled_from(["\u202e", "\u2066", "\u200b", "\ufeff"]))
            parent[path[-1]] = old[:1] + char + old[1:]
        else:
            old = parent[path[-1]]
            parent[path[-1]] = (
                old.upper()
                if isinstance(old, str) and draw(st.booleans())
                else draw(st.text(max_size=20))
            )
    if isinstance(data.get("collected"), dict) and draw(st.integers(0, 3)) == 0:
        data["collected"]["at"] = "2999-01-01T00:00:00Z"  # the clock ahead
    # As Windows PowerShell 5.1's > and Out-File write it, too.
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16"]))
    raw = json.dumps(data, indent=1).encode(encoding)
    if draw(st.booleans()) and draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return name, raw


def assert_clean(result: Any, allowed: set[int], file: Path) -> None:
    assert result.exit_code in allowed, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == ExitCode.INVALID_INVENTORY:
        lines = [x for x in result.stderr.splitlines() if not x.startswith(" ")]
        assert lines
        for line in lines:
            assert re.match(
                re.escape(str(file)) + r":\d+:\d+: error\[[a-z-]+\]: ", line
            ), line


@settings(
    max_examples=examples(120, local=30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_discoveries_never_crash_import_or_drift(
    case: tuple[str, bytes],
) -> None:
    name, raw = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.json"
        path.write_bytes(raw)
        inventory = str(INVENTORIES / f"{name}.yaml")
        ok, drift, bad = 0, int(ExitCode.DRIFT), int(ExitCode.INVALID_INVENTORY)
        assert_clean(CliRunner().invoke(app, ["import", str(path)]), {ok, bad}, path)
        assert_clean(drift_cli([inventory, str(path)]), {ok, drift, bad}, path)
        assert_clean(
            CliRunner().invoke(app, ["import", str(path), "--inventory", inventory]),
            {ok, bad},
            path,
        )
