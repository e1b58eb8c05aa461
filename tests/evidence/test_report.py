"""``drgen report``: its HTML page (well-formed, accessible, self-contained,
every finding in its text, escaped, deterministic), the library call and the
command, and the committed sample results (the verdict is test_readiness.py's,
the browser test is test_report_browser.py's)."""

from __future__ import annotations

import itertools
import re
import shutil
from datetime import timedelta
from pathlib import Path, PurePosixPath

import pytest

from generator import api
from generator.cli.app import app
from generator.errors import ExitCode
from generator.evidence.readiness import (
    Loaded,
)
from generator.evidence.results import (
    CheckResult,
    read_result,
    result_files,
)
from tests.support.golden import REGEN, stale
from tests.support.paths import DATA, INVENTORIES
from tests.support.readiness import drop, expectation, judge, loaded, pick, with_update
from tests.support.report_page import XHTML, local, page, parse_page, words
from tests.support.sample_results import (
    OLD_BUNDLE_ID,
    SAMPLE_NOW,
    SAMPLES,
    sample_files,
)

# ---------------------------------------------------------------------------- the page


@pytest.fixture(scope="module")
def example_html(plans) -> str:
    return page(loaded("example"), plans["example"])


def test_the_page_is_well_formed_and_accessible(example_html: str) -> None:
    assert example_html.startswith("<!DOCTYPE html>\n<html ")
    root = parse_page(example_html)
    assert root.tag == f"{XHTML}html"
    assert root.get("lang") == "en"
    (title,) = list(root.iter(f"{XHTML}title"))
    assert words(title).startswith("DR readiness report – STANDBY NOT READY – ")
    levels = [
        int(local(e.tag)[1])
        for e in root.iter()
        if re.fullmatch(r"h[1-6]", local(e.tag))
    ]
    assert levels[0] == 1
    assert levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    tables = list(root.iter(f"{XHTML}table"))
    assert len(tables) >= 8
    for table in tables:
        headers = list(table.iter(f"{XHTML}th"))
        assert headers
        assert all(h.get("scope") in ("col", "row") for h in headers)
        for head in table.iter(f"{XHTML}thead"):
            assert all(h.get("scope") == "col" for h in head.iter(f"{XHTML}th"))
    # No SVG here; if one is added it needs a text alternative.
    for svg in root.iter("{http://www.w3.org/2000/svg}svg"):
        assert svg.get("role") == "img"
        assert svg.get("aria-label") or svg.find("{http://www.w3.org/2000/svg}title")
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x?[0-9a-fA-F]+);)", example_html)


def test_the_page_is_self_contained(example_html: str) -> None:
    root = parse_page(example_html)
    tags = {local(e.tag) for e in root.iter()}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    ids = {e.get("id") for e in root.iter()}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not local(name).startswith("on")
            if local(name) in ("href", "src"):
                assert value.startswith("#")
                assert value[1:] in ids
    (style,) = list(root.iter(f"{XHTML}style"))
    assert "url(" not in (style.text or "")
    assert "@import" not in (style.text or "")
    assert "@media print" in (style.text or "")
    assert "size: A4" in (style.text or "")


def test_every_server_finding_and_failed_check_is_in_the_text(
    example_html: str, plans
) -> None:
    text = words(parse_page(example_html))
    for server in plans["example"].site.server_names:
        assert server in text
    readiness = judge(loaded("example"), plans["example"])
    failed: list[CheckResult] = [
        check
        for cell in readiness.sites[0].cells
        if cell.latest is not None
        for check in cell.latest.result.failed
    ]
    assert len(failed) == 5
    for check in failed:
        assert check.check in text
        assert check.id in text
        assert check.observed in text
    for phrase in (
        "Site DR-West: STANDBY NOT READY",
        "failed checks",
        "stale (an earlier drill: not judged)",
        "other bundle",
        "HashMismatch",
        "61 days ago (limit 30 days)",
        OLD_BUNDLE_ID[:12],
    ):
        assert phrase in text, phrase
    # The capacity table of the plan.
    for row in plans["example"].capacity.rows:
        assert f"{row.server} {', '.join(row.mirrors)} {row.load} {row.runs}" in text


def test_missing_servers_are_named(plans) -> None:
    results = loaded("consolidated")
    drop("FABDRBTS02", "Dormant")(results)
    text = words(parse_page(page(results, plans["consolidated"])))
    assert (
        "FABDRBTS02 Dormant missing no result of Test-DrServer.ps1 -Expect Dormant"
        in text
    )
    assert "Site DR-North: STANDBY NOT READY" in text


def test_a_ready_page_says_so(plans) -> None:
    text = words(parse_page(page(loaded("consolidated"), plans["consolidated"])))
    assert "Verdict: STANDBY READY" in text
    assert "Site DR-North: STANDBY READY" in text
    assert "No check failed in the latest results." in text


def test_the_page_is_deterministic(plans) -> None:
    results = loaded("example")
    first = page(results, plans["example"])
    assert page(list(reversed(results)), plans["example"]) == first
    later = page(results, plans["example"], now=SAMPLE_NOW + timedelta(seconds=10))
    # The only clock the page shows is the caller's now.
    assert "2026-11-21T09:00:00Z" in first
    assert "2026-11-21T09:00:10Z" not in first
    assert later.replace("2026-11-21T09:00:10Z", "2026-11-21T09:00:00Z") == first


def test_result_text_is_escaped(plans) -> None:
    results = loaded("consolidated")
    i = pick(results, "FABDRBTS01", "Dormant")
    checks = list(results[i].result.checks)
    checks[0] = checks[0].model_copy(
        update={"observed": '<script>alert(1)</script> & "x"', "passed": False}
    )
    results[i] = with_update(results[i], checks=tuple(checks))
    html = page(results, plans["consolidated"])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in html
    parse_page(html)


# --------------------------------------------------------- the library and the command


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples as the generator makes them today, in a folder per example."""
    folder = tmp_path_factory.mktemp("results")
    for relative, text in sample_files().items():
        path = folder / Path(relative)
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def test_api_report_judges_and_renders(samples: Path) -> None:
    made = api.report(
        [samples / "consolidated"],
        now=SAMPLE_NOW,
        inventory=INVENTORIES / "consolidated.yaml",
    )
    assert made.ready
    assert "Capacity" in made.html
    again = api.report(
        [samples / "consolidated"],
        now=SAMPLE_NOW,
        inventory=INVENTORIES / "consolidated.yaml",
    )
    assert again.html == made.html
    late = api.report(
        [samples / "consolidated"],
        now=SAMPLE_NOW,
        inventory=INVENTORIES / "consolidated.yaml",
        max_age=timedelta(hours=1),
    )
    assert not late.ready


def test_report_with_a_discovery_shows_drift(tmp_path: Path, samples: Path) -> None:
    from generator.discovery.simulate import simulate

    same = tmp_path / "discovery.json"
    same.write_text(simulate(INVENTORIES / "consolidated.yaml"), encoding="utf-8")
    made = api.report(
        [samples / "consolidated"],
        now=SAMPLE_NOW,
        inventory=INVENTORIES / "consolidated.yaml",
        drift=same,
        max_age=timedelta(days=100000),
    )
    text = words(parse_page(made.html))
    assert "Drift: production against the inventory" in text
    assert "0 error(s)" in text
    assert made.ready
    other = DATA / "discovery" / "real-wmi-shaped.json"
    drifted = api.report(
        [samples / "example"],
        now=SAMPLE_NOW,
        inventory=INVENTORIES / "example.yaml",
        drift=other,
    )
    assert drifted.readiness.drift_errors > 0
    assert "DRIFT001" in drifted.html


def run_report(runner, tmp_path: Path, *args: str):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", *args, "--out", str(out)])
    return result, out


def test_cli_exit_codes(runner, tmp_path: Path, samples: Path) -> None:
    ready, out = run_report(
        runner,
        tmp_path,
        str(samples / "consolidated"),
        "--inventory",
        str(INVENTORIES / "consolidated.yaml"),
        "--max-age",
        "100000",
    )
    assert ready.exit_code == ExitCode.OK, ready.output
    assert "site DR-North: STANDBY READY" in ready.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    not_ready, out = run_report(
        runner,
        tmp_path,
        str(samples / "example"),
        "--inventory",
        str(INVENTORIES / "example.yaml"),
    )
    assert not_ready.exit_code == ExitCode.NOT_READY
    assert int(ExitCode.NOT_READY) == 10
    assert "site DR-West: STANDBY NOT READY" in not_ready.stderr
    assert "DRserver2" in out.read_text(encoding="utf-8")
    # The ready set, without the inventory it was judged against: not judged.
    unjudged, out = run_report(
        runner, tmp_path, str(samples / "consolidated"), "--max-age", "100000"
    )
    assert unjudged.exit_code == ExitCode.NOT_READY
    assert "site DR-North: NOT JUDGED (give --inventory)" in unjudged.stderr
    assert "NOT JUDGED" in out.read_text(encoding="utf-8")


def test_cli_bad_input_writes_nothing(
    runner, tmp_path: Path, write_inventory, samples: Path
) -> None:
    bad = tmp_path / "results" / "Test-DrServer-X-1.json"
    bad.parent.mkdir()
    bad.write_text(
        '{\n  "schema": "drgen/test-result-v1",\n  "site" 1\n}\n', encoding="utf-8"
    )
    result, out = run_report(runner, tmp_path, str(bad.parent))
    assert result.exit_code == ExitCode.USAGE
    assert f"{bad}:3:10: error[result]: not JSON" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    inventory = write_inventory("schema: drgen/v1\n", "broken.yaml")
    result, out = run_report(
        runner, tmp_path, str(samples / "example"), "--inventory", str(inventory)
    )
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert not out.exists()
    result, out = run_report(
        runner, tmp_path, str(samples), "--drift", str(tmp_path / "d.json")
    )
    assert result.exit_code == ExitCode.USAGE
    assert "--drift needs --inventory" in result.stderr
    result, out = run_report(runner, tmp_path, str(tmp_path / "absent"))
    assert result.exit_code == ExitCode.USAGE
    assert "no such file or folder" in result.stderr
    assert not out.exists()
    nowhere = tmp_path / "no-folder" / "report.html"
    result = runner.invoke(app, ["report", str(samples), "--out", str(nowhere)])
    assert result.exit_code == ExitCode.OUTPUT
    assert f"error: {nowhere}: " in result.stderr
    assert not nowhere.parent.exists()


# ------------------------------------------------------------------------- the samples


def test_the_committed_samples_are_what_the_generator_writes() -> None:
    """Stale after a template, catalogue, inventory or version change (the bundle
    id moves with them): `./drgen.sh regen` rewrites them."""
    made = sample_files()
    committed = {
        PurePosixPath(p.relative_to(SAMPLES).as_posix()): p.read_text(encoding="utf-8")
        for p in SAMPLES.rglob("*.json")
    }
    assert sorted(committed) == sorted(made), stale("the list of examples/results/")
    for path, text in made.items():
        assert committed[path] == text, stale(f"examples/results/{path}")


def test_the_samples_come_from_the_current_render(plans) -> None:
    for stem in ("example", "consolidated"):
        current = expectation(plans[stem]).bundle_id
        committed = [Loaded(p, read_result(p)) for p in result_files([SAMPLES / stem])]
        ids = {each.result.bundle_id for each in committed}
        # One result of the example is from an older bundle on purpose.
        assert ids - {OLD_BUNDLE_ID} == {current}, stale(f"examples/results/{stem}")
        assert (OLD_BUNDLE_ID in ids) == (stem == "example")
        for each in committed:
            assert each.result.inventory == plans[stem].inventory_name
            assert each.result.inventory_sha256 == plans[stem].inventory_sha256
            stamp = each.result.finished.strftime("%Y%m%dT%H%M%SZ")
            assert each.path.name == (
                f"{each.result.script}-{each.result.computer}-{stamp}.json"
            )
            assert each.result.finished <= SAMPLE_NOW


def test_stale_samples_fail_naming_regen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plans
) -> None:
    """Counter-test: samples of another render (another bundle id) fail both
    comparisons, saying which command rewrites them."""
    copy = tmp_path / "results"
    shutil.copytree(SAMPLES, copy)
    (first, *_) = sorted((copy / "consolidated").glob("*.json"))
    current = expectation(plans["consolidated"]).bundle_id
    text = first.read_text(encoding="utf-8")
    assert current in text
    first.write_text(text.replace(current, "0" * 64), encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.SAMPLES", copy)
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_the_committed_samples_are_what_the_generator_writes()
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_the_samples_come_from_the_current_render(plans)
