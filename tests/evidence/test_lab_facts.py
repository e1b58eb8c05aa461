"""``check_result`` and ``drgen facts check``: any file (a real result, a stale
one, garbage) becomes a report or a located error, never a traceback; the
committed sample result (tests/support/lab_facts_sample.py) is what the current
catalogue makes."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.catalogue import CATALOGUE
from generator.cli.app import app
from generator.cli.facts import report_json, report_text
from generator.errors import ExitCode
from generator.evidence.labfacts import (
    RESULT_SCHEMA,
    STATUSES,
    LabReport,
    LabResultError,
    check_result,
)
from generator.plan.labprobe import (
    catalogue_sha256,
    probe_items,
)
from tests.support.examples import examples
from tests.support.golden import REGEN
from tests.support.lab_facts_sample import (
    _DISPLAYDB,
    LAB_FACTS,
    REGENERATE,
    SAMPLE,
    SAMPLE_COMPUTER,
    SAMPLE_PRODUCT_VERSION,
    SAMPLE_VERSION,
    VERSIONS,
    build_sample,
    load_sample,
    probed_entries,
    sample_text,
    write_json,
)

LOCATED: Final = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): error\[lab-result\]"
)


# ------------------------------------------------------------------- the sample result


def test_sample_matches_the_current_catalogue() -> None:
    sample = load_sample()
    assert sample["catalogue"] == catalogue_sha256(), REGENERATE
    ids = [item["id"] for item in sample["results"]]
    assert ids == [item.id for item in probe_items(SAMPLE_VERSION)], REGENERATE
    assert SAMPLE.read_text(encoding="utf-8") == sample_text(build_sample()), REGENERATE


def test_a_stale_sample_fails_naming_regen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counter-test: a sample of another catalogue fails, naming the command."""
    stale_copy = tmp_path / SAMPLE.name
    document = load_sample()
    document["catalogue"] = "0" * 64
    stale_copy.write_text(sample_text(document), encoding="utf-8")
    monkeypatch.setattr("tests.support.lab_facts_sample.SAMPLE", stale_copy)
    monkeypatch.setattr(f"{__name__}.SAMPLE", stale_copy)
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_sample_matches_the_current_catalogue()


def test_sample_is_realistic() -> None:
    """Mostly held, some failed and some skipped, as on a real server."""
    counts = Counter(item["status"] for item in load_sample()["results"])
    assert set(counts) == set(STATUSES)
    assert counts["held"] > counts["failed"] + counts["skipped"]
    assert counts["failed"] >= 2


# ------------------------------------------------------------------------ check_result


def test_check_result_on_the_sample() -> None:
    report = check_result(SAMPLE)
    sample = load_sample()
    assert isinstance(report, LabReport)
    assert report.same_catalogue
    assert (report.computer, report.version, report.product_version) == (
        SAMPLE_COMPUTER,
        SAMPLE_VERSION,
        SAMPLE_PRODUCT_VERSION,
    )
    expected = Counter(item["status"] for item in sample["results"])
    assert Counter(f.status for f in report.findings) == expected
    assert [f.id for f in report.findings] == [i["id"] for i in sample["results"]]
    statuses = {item["id"]: item["status"] for item in sample["results"]}
    observed = {item["id"]: item["observed"] for item in sample["results"]}
    for finding in report.findings:
        entry = CATALOGUE.entry(finding.id)
        assert finding.status == statuses[finding.id]
        assert finding.observed == observed[finding.id]
        assert (finding.name, finding.confidence) == (entry.name, entry.confidence)
    assert {f.id for f in report.failed} == {
        "behaviour:updateregistry-sso",
        "out:displaydb-secret-server",
    }
    for finding in report.failed:
        assert finding.advice == CATALOGUE.entry(finding.id).if_failed
        assert finding.advice


def test_failed_entry_without_advice_says_where_to_correct(tmp_path: Path) -> None:
    sample = load_sample()
    for item in sample["results"]:
        if item["id"] == "reg:biztalk/ProductName":
            item.update(status="failed", observed="values there: ProductVersion")
    report = check_result(write_json(tmp_path / "r.json", sample))
    (finding,) = (f for f in report.failed if f.id == "reg:biztalk/ProductName")
    expected = CATALOGUE.entry(finding.id).if_failed or "generator/catalogue"
    assert expected in finding.advice


def test_missing_id_is_not_checked_extra_id_is_unknown(tmp_path: Path) -> None:
    sample = load_sample()
    sample["results"] = [i for i in sample["results"] if i["id"] != "svc:MSDTC"]
    sample["results"].append(
        {"id": "svc:NoSuchService", "status": "held", "observed": "installed"}
    )
    report = check_result(write_json(tmp_path / "r.json", sample))
    by_id = {f.id: f for f in report.findings}
    assert by_id["svc:MSDTC"].status == "not checked"
    assert by_id["svc:MSDTC"].observed == ""
    assert by_id["svc:NoSuchService"].status == "unknown"
    assert by_id["svc:NoSuchService"].observed == "installed"
    assert "another drgen version" in by_id["svc:NoSuchService"].advice
    assert report.same_catalogue


def test_another_catalogue_is_flagged(tmp_path: Path) -> None:
    sample = load_sample()
    sample["catalogue"] = "0" * 64
    report = check_result(write_json(tmp_path / "r.json", sample))
    assert not report.same_catalogue
    assert "another catalogue" in report_text(report)
    assert json.loads(report_json(report))["same_catalogue"] is False
    del sample["catalogue"]
    assert not check_result(write_json(tmp_path / "r.json", sample)).same_catalogue


def test_version_decides_which_version_fact_applies(tmp_path: Path) -> None:
    sample = load_sample()
    sample["biztalk_version"] = "2016"
    report = check_result(write_json(tmp_path / "r.json", sample))
    by_id = {f.id: f.status for f in report.findings}
    assert by_id["ver:2016"] == "not checked"
    assert by_id["ver:2020"] == "unknown"


def test_result_written_by_windows_powershell_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    assert check_result(path).findings == check_result(SAMPLE).findings


def test_duplicate_id_never_hides_a_failure(tmp_path: Path) -> None:
    sample = load_sample()
    sample["results"].append(
        {"id": "behaviour:updateregistry-sso", "status": "held", "observed": "again"}
    )
    path = write_json(tmp_path / "dup.json", sample)
    try:
        report = check_result(path)
    except LabResultError:
        return
    assert "behaviour:updateregistry-sso" in {f.id for f in report.failed}


# --------------------------------------------------------------------------------- CLI


STATUS_LINE: Final = re.compile(
    r"^ *(?P<status>failed|not checked|unknown|skipped|held)  (?P<id>\S+)  \("
)


def test_cli_check_sample_exits_6_failures_first(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts", "check", str(SAMPLE)])
    assert result.exit_code == ExitCode.FACTS_FAILED, result.output
    assert int(ExitCode.FACTS_FAILED) == 6
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{SAMPLE}: lab facts from {SAMPLE_COMPUTER} ")
    assert "another catalogue" not in result.stdout
    found = [(i, m) for i, line in enumerate(lines) if (m := STATUS_LINE.match(line))]
    statuses = [m["status"] for _, m in found]
    assert statuses[:2] == ["failed", "failed"]
    order = ["failed", "not checked", "unknown", "skipped", "held"]
    assert statuses == sorted(statuses, key=order.index)
    assert Counter(statuses) == Counter(i["status"] for i in load_sample()["results"])
    # Each failure is followed, before the next finding, by what to change.
    starts = [i for i, _ in found] + [len(lines)]
    for (start, match), end in zip(found, starts[1:], strict=True):
        block = "\n".join(lines[start + 1 : end])
        if match["status"] == "failed":
            assert CATALOGUE.entry(match["id"]).if_failed in block, match["id"]
    counts = Counter(statuses)
    assert lines[-1] == (
        f"{counts['failed']} failed, {counts['skipped']} skipped, {counts['held']} held"
    )
    assert "Traceback" not in result.output


def test_cli_check_text_keeps_every_finding_in_its_block(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts", "check", str(SAMPLE)])
    header, *body, summary = result.stdout.split("\n")[:-1]
    assert header.startswith(str(SAMPLE))
    assert re.fullmatch(r"\d+ [a-z ]+(, \d+ [a-z ]+)*", summary)
    for line in body:
        assert "\r" not in line
        assert STATUS_LINE.match(line) or line.startswith(" " * 13), repr(line)


def test_cli_check_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts", "check", str(SAMPLE), "--format", "json"])
    assert result.exit_code == 6, result.output
    document = json.loads(result.stdout)
    assert document["same_catalogue"] is True
    assert document["biztalk_version"] == SAMPLE_VERSION
    assert document["product_version"] == SAMPLE_PRODUCT_VERSION
    findings = {f["id"]: f for f in document["findings"]}
    assert set(findings) == {i["id"] for i in load_sample()["results"]}
    failed = findings["out:displaydb-secret-server"]
    assert failed["status"] == "failed"
    assert failed["advice"] == CATALOGUE.entry(failed["id"]).if_failed
    assert failed["observed"] == _DISPLAYDB


def test_cli_check_without_failure_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    sample = load_sample()
    for item in sample["results"]:
        if item["status"] == "failed":
            item["status"] = "held"
    path = write_json(tmp_path / "all-held.json", sample)
    result = runner.invoke(app, ["facts", "check", str(path)])
    assert result.exit_code == 0, result.output
    statuses = {
        m["status"]
        for line in result.stdout.splitlines()
        if (m := STATUS_LINE.match(line))
    }
    assert statuses == {"held", "skipped"}
    counts = Counter(item["status"] for item in sample["results"])
    assert result.stdout.endswith(
        f"\n{counts['skipped']} skipped, {counts['held']} held\n"
    )
    result = runner.invoke(app, ["facts", "check", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    assert {f["status"] for f in findings} == {"held", "skipped"}


MALFORMED: Final = {
    "not-json.json": ("3", "11", "not JSON: Expecting value"),
    "wrong-schema.json": (None, None, "schema is 'drgen/lab-facts-v0'"),
    "bad-status.json": (None, None, "status must be one of held, failed, skipped"),
    "results-not-list.json": (None, None, "'results' must be a list"),
    "not-an-object.json": (None, None, "a probe result is a JSON object"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_cli_malformed_result_exits_2_located(runner: CliRunner, name: str) -> None:
    line, column, message = MALFORMED[name]
    path = LAB_FACTS / name
    result = runner.invoke(app, ["facts", "check", str(path)])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert int(ExitCode.USAGE) == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output
    (first, *_) = result.stderr.splitlines()
    found = LOCATED.match(first)
    assert found is not None, result.stderr
    assert found["file"] == str(path)
    if line is not None:
        assert (found["line"], found["col"]) == (line, column)
    assert message in first
    with pytest.raises(LabResultError) as caught:
        check_result(path)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.diagnostics


def test_cli_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["facts", "check", str(tmp_path / "none.json")])
    assert result.exit_code == 2, result.output
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.output


HOSTILE: Final = {
    # json.loads raises ValueError (not JSONDecodeError) past 4300 digits ...
    "huge-integer": '{"schema": "drgen/lab-facts-v1", "results": [], "n": '
    + "9" * 5000
    + "}",
    # ... and RecursionError for deep nesting.
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_json_is_a_located_error(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(HOSTILE[name], encoding="utf-8")
    result = runner.invoke(app, ["facts", "check", str(path)])
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert LOCATED.match(result.stderr), result.stderr


# -------------------------------------------------------------------------- robustness


JSON_VALUES: Final = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([*STATUSES, RESULT_SCHEMA, "ver:2020", "svc:MSDTC"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a well-formed value, sometimes any JSON value."""
    return st.sampled_from([True] * 7 + [False]).flatmap(
        lambda well_formed: good if well_formed else JSON_VALUES
    )


RESULT_ITEMS: Final = st.fixed_dictionaries(
    {
        "id": mostly(st.sampled_from([*probed_entries(), "svc:NoSuchService"])),
        "status": mostly(st.sampled_from(STATUSES)),
    },
    optional={"observed": mostly(st.text(max_size=20))},
)


DOCUMENTS: Final = st.fixed_dictionaries(
    {
        "schema": mostly(st.just(RESULT_SCHEMA)),
        "results": mostly(st.lists(mostly(RESULT_ITEMS), max_size=8)),
    },
    optional={
        "catalogue": mostly(st.just(catalogue_sha256())),
        "biztalk_version": mostly(st.sampled_from(VERSIONS)),
        "computer": mostly(st.text(max_size=12)),
        "product_version": mostly(st.text(max_size=12)),
    },
)


def _paths(value: object, here: tuple[str | int, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, the root included."""
    found: list[tuple[Any, ...]] = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*here, index))
    return found


def assert_report_or_located_error(path: Path) -> None:
    """check_result either reports (and the report prints) or raises a located error."""
    error: LabResultError | None = None
    try:
        report = check_result(path)
    except LabResultError as exc:
        error = exc
    if error is not None:
        assert error.exit_code == ExitCode.USAGE
        assert error.diagnostics, error.message
        for diagnostic in error.diagnostics:
            assert diagnostic.location.file == str(path)
            assert diagnostic.location.line >= 1
            assert diagnostic.code == "lab-result"
        return
    assert isinstance(report, LabReport)
    assert {f.status for f in report.findings} <= {
        *STATUSES,
        "not checked",
        "unknown",
    }
    report_text(report)
    json.loads(report_json(report))


@settings(
    max_examples=examples(200, local=40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=mostly(DOCUMENTS))
def test_any_json_value_is_a_report_or_a_located_error(
    tmp_path_factory: pytest.TempPathFactory, document: object
) -> None:
    path = tmp_path_factory.getbasetemp() / "any.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert_report_or_located_error(path)


@settings(
    max_examples=examples(200, local=40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), delete=st.booleans(), value=JSON_VALUES)
def test_mutated_sample_is_a_report_or_a_located_error(
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    delete: bool,
    value: object,
) -> None:
    document: Any = load_sample()
    where = data.draw(st.sampled_from(_paths(document)), label="where")
    if not where:
        document = value
    else:
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        if delete:
            del parent[where[-1]]
        else:
            parent[where[-1]] = value
    path = tmp_path_factory.getbasetemp() / "mutated.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert_report_or_located_error(path)


@settings(max_examples=examples(200, local=40), deadline=None)
@given(data=st.data())
def test_damaged_sample_bytes_are_a_report_or_a_located_error(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    raw = SAMPLE.read_bytes()
    start = data.draw(st.integers(0, len(raw)), label="start")
    length = data.draw(st.integers(0, 40), label="cut")
    insert = data.draw(st.binary(max_size=8), label="insert")
    path = tmp_path_factory.getbasetemp() / "damaged.json"
    path.write_bytes(raw[:start] + insert + raw[start + length :])
    assert_report_or_located_error(path)
