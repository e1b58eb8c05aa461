"""Drill evidence that contradicts itself or its bundle is never judged READY.

Each case in tests/data/drill-forgeries/ edits the ready sample site
(``consolidated``, as tests/support/sample_results.py writes it from today's render,
so a template change that moves the bundle id does not stale the cases): the
result it edits, the fields and checks it changes, the results it removes, and
what ``drgen report --inventory`` must say: the file refused (exit 2, located,
naming the field or check) or the site not ready (exit 10) for the reasons
given, each finding naming the file and the check. A consistent forgery cannot
be caught without the bundle (the files are not signed); every inconsistency
can. A Hypothesis test then edits results at random: a contradiction is always
refused, and nothing crashes.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.errors import ExitCode
from generator.evidence.readiness import Reason
from generator.evidence.results import ResultError
from tests.support.examples import examples
from tests.support.paths import INVENTORIES, ROOT
from tests.support.sample_results import SAMPLE_NOW, sample_files

FORGERIES = ROOT / "tests" / "data" / "drill-forgeries"
CASES = sorted(p.stem for p in FORGERIES.glob("*.json"))


def _samples(base: str) -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(text)
        for path, text in sample_files().items()
        if path.parts[0] == base
    }


SAMPLES = {base: _samples(base) for base in ("consolidated",)}


def _pick(results: dict[str, dict[str, Any]], which: dict[str, str]) -> str:
    (name,) = [
        name
        for name, data in results.items()
        if data["script"] == which["script"]
        and data["computer"] == which["computer"].upper()
    ]
    return name


def forged(case: dict[str, Any], folder: Path) -> str:
    """Write the case's results into ``folder``; returns the edited file's name."""
    results = copy.deepcopy(SAMPLES[case["base"]])
    name = _pick(results, case["result"])
    data = results[name]
    data.update(case.get("set", {}))
    checks = {c["id"]: c for c in data["checks"]}
    for check_id, update in case.get("checks", {}).items():
        checks[check_id].update(update)
    drop = set(case.get("drop_checks", ()))
    prefixes = tuple(case.get("drop_checks_prefix", ()))
    kept = [c for c in data["checks"] if c["id"] not in drop]
    kept = [c for c in kept if not (prefixes and c["id"].startswith(prefixes))]
    assert len(kept) < len(data["checks"]) or not (drop or prefixes), case
    data["checks"] = kept
    for which in case.get("drop_results", ()):
        del results[_pick(results, which)]
    folder.mkdir(parents=True, exist_ok=True)
    for each, result in results.items():
        (folder / each).write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return name


def report(folder: Path) -> api.Report:
    return api.report(
        [folder], now=SAMPLE_NOW, inventory=INVENTORIES / "consolidated.yaml"
    )


def test_the_unedited_samples_are_ready(tmp_path: Path) -> None:
    for each, result in SAMPLES["consolidated"].items():
        (tmp_path / each).write_text(json.dumps(result), "utf-8")
    assert report(tmp_path).ready


def test_every_new_reason_has_a_forgery_case() -> None:
    found = set()
    for name in CASES:
        case = json.loads((FORGERIES / f"{name}.json").read_text("utf-8"))
        found |= {Reason(r) for _, _, r in case["expect"].get("not_ready", ())}
        assert case["description"], name
    assert {Reason.INCOMPLETE, Reason.BUNDLE_DIFFERS, Reason.IDENTITY} <= found


@pytest.mark.parametrize("name", CASES)
def test_a_forgery_is_refused_or_not_ready(tmp_path: Path, name: str) -> None:
    case = json.loads((FORGERIES / f"{name}.json").read_text("utf-8"))
    edited = forged(case, tmp_path)
    expect = case["expect"]
    if "rejected" in expect:
        with pytest.raises(ResultError) as caught:
            report(tmp_path)
        assert caught.value.exit_code == ExitCode.USAGE
        (problem,) = caught.value.diagnostics
        assert problem.location.file.endswith(edited)
        assert problem.location.line > 1
        assert expect["rejected"] in problem.message, problem.message
        return
    made = report(tmp_path)
    assert not made.ready
    (site,) = made.readiness.sites
    found = {
        (cell.server, cell.kind, reason.value)
        for cell in site.cells
        for reason in cell.reasons
    }
    assert found == {tuple(each) for each in expect["not_ready"]}
    # Each finding names the result file and what it checked.
    details = [
        text
        for cell in site.cells
        for reason, text in cell.details
        if reason.value in {r for _, _, r in expect["not_ready"]}
    ]
    assert details
    for text in details:
        assert re.match(
            r"Test-Dr(Bundle|Server)-FABDRBTS0[12]-\d{8}T\d{6}Z\.json: ", text
        )
    if "names" in expect:
        assert any(edited in t and expect["names"] in t for t in details), details
        assert expect["names"] in made.html.replace("&#39;", "'")


def test_the_command_line_exits_2_and_10(runner: CliRunner, tmp_path: Path) -> None:
    inventory = str(INVENTORIES / "consolidated.yaml")
    for name, code in (
        ("passed-with-another-hash", ExitCode.USAGE),
        ("bundle-checks-of-two-scripts", ExitCode.NOT_READY),
    ):
        case = json.loads((FORGERIES / f"{name}.json").read_text("utf-8"))
        folder = tmp_path / name
        forged(case, folder)
        out = tmp_path / f"{name}.html"
        result = runner.invoke(
            app, ["report", str(folder), "--inventory", inventory, "--out", str(out)]
        )
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        assert out.exists() == (code == ExitCode.NOT_READY)


# --- random edits -------------------------------------------------------------

FIELDS = {
    "expected_state": st.sampled_from([None, "Dormant", "Ready", "Active"]),
    "script": st.sampled_from(["Test-DrBundle", "Test-DrServer"]),
    "after_drill": st.booleans(),
    "drgen_version": st.sampled_from(["0.1.0", "0.0.9"]),
    "script_sha256": st.sampled_from(["A" * 64, "b" * 64]),
    "inventory_sha256": st.sampled_from(["0" * 64]),
}


@st.composite
def edited(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    results = copy.deepcopy(SAMPLES["consolidated"])
    for _ in range(draw(st.integers(1, 3))):
        data = results[draw(st.sampled_from(sorted(results)))]
        if draw(st.booleans()):
            key = draw(st.sampled_from(sorted(FIELDS)))
            data[key] = draw(FIELDS[key])
            continue
        if not data["checks"]:
            continue
        index = draw(st.integers(0, len(data["checks"]) - 1))
        check = data["checks"][index]
        action = draw(st.sampled_from(["flip", "observe", "drop", "twice", "case"]))
        if action == "flip":
            check["passed"] = not check["passed"]
        elif action == "observe":
            check["observed"] = draw(st.sampled_from(["", "B" * 64, "missing", "x"]))
        elif action == "drop":
            del data["checks"][index]
        elif action == "twice":
            data["checks"].append(dict(check))
        else:
            check["observed"] = check["observed"].lower()
    return results


def _contradicts(data: dict[str, Any]) -> bool:
    kind_wrong = (data["script"] == "Test-DrBundle") == (
        data["expected_state"] is not None
    ) or (data["script"] == "Test-DrBundle" and data["after_drill"])
    # PowerShell's -eq ignores case; a failed check is refused only when the
    # values are identical (a failed check never makes a site ready anyway).
    checks = any(
        (c["passed"] and c["expected"].casefold() != c["observed"].casefold())
        or (not c["passed"] and c["expected"] == c["observed"])
        for c in data["checks"]
    )
    return kind_wrong or checks


@settings(
    max_examples=examples(150, local=30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(results=edited(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_random_edits_are_refused_judged_or_ready_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory,
    results: dict[str, dict[str, Any]],
    encoding: str,
) -> None:
    folder = tmp_path_factory.mktemp("edited")
    for name, data in results.items():
        (folder / name).write_bytes(json.dumps(data, indent=2).encode(encoding))
    try:
        made = report(folder)
    except ResultError as error:
        (problem,) = error.diagnostics
        assert problem.location.line >= 1
        return
    # Whatever was read does not contradict itself ...
    assert not any(_contradicts(d) for d in results.values())
    # ... and an edit the verdict may ignore is one of: an observed value in
    # another case; -AfterDrill on a Test-DrServer.ps1 run; one (re-signed)
    # Test-DrBundle.ps1 on every server; a check missing from a Test-DrServer.ps1
    # result (which checks a state run makes follows from the templates, not
    # from the plan: not compared; a bundle check is held to every file).
    if made.ready:
        bundle_scripts = {
            d["script_sha256"].upper()
            for d in results.values()
            if d["script"] == "Test-DrBundle"
        }
        for name, data in results.items():
            before = SAMPLES["consolidated"][name]
            ignored = {"checks"}
            if data["script"] == "Test-DrServer":
                ignored.add("after_drill")
            elif len(bundle_scripts) == 1:
                ignored.add("script_sha256")
            assert {k: v for k, v in data.items() if k not in ignored} == {
                k: v for k, v in before.items() if k not in ignored
            }, name
            if data["script"] == "Test-DrBundle":
                assert len(data["checks"]) == len(before["checks"]), name
