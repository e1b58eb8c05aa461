"""``drgen report`` over a DR site's lifecycle (issue 18, item 5): the standby
verdict (Bundle and Dormant results only) and, apart from it, the last full
drill (Ready and Active results of this bundle on every DR server, or never);
what the console prints; and the files of a results folder it does not read.

The page's print layout is tests/evidence/test_report_print.py, the fix texts
tests/evidence/test_report_fixes.py, the verdict's reasons
tests/evidence/test_readiness.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from generator import api
from generator.cli.app import app
from generator.errors import ExitCode
from generator.evidence.fixes import check_fix
from generator.evidence.readiness import FUTURE_TOLERANCE, Loaded, Reason
from generator.evidence.report_sites import drill_view
from generator.evidence.results import scan_results
from tests.support.paths import INVENTORIES
from tests.support.readiness import (
    EDITED_SCRIPT,
    judge,
    loaded,
    reasons,
    with_update,
)
from tests.support.report_page import page, parse_page, words
from tests.support.sample_results import (
    OLD_BUNDLE_ID,
    SAMPLE_NOW,
    SAMPLES,
    sample_files,
)

NEVER = (
    "Last full drill: never (no Ready and Active results of this bundle from "
    "FABDRBTS01 (Ready, Active); FABDRBTS02 (Ready, Active))"
)


def drill(
    results: list[Loaded],
    *,
    at: datetime,
    servers: tuple[str, ...] = ("FABDRBTS01", "FABDRBTS02"),
    kinds: tuple[str, ...] = ("Ready", "Active"),
    **update: object,
) -> None:
    """Add a drill at ``at``: per server and kind a passing result made from the
    server's Dormant one (same checks: only the expected state matters here)."""
    for step, kind in enumerate(kinds):
        for index, server in enumerate(servers):
            (base,) = [
                r.result
                for r in results
                if r.result.computer == server and r.result.kind == "Dormant"
            ]
            finished = at + timedelta(minutes=30 * step + index)
            made = base.model_copy(
                update={
                    "expected_state": kind,
                    "started": finished - timedelta(seconds=41),
                    "finished": finished,
                }
                | update
            )
            stamp = finished.strftime("%Y%m%dT%H%M%SZ")
            results.append(Loaded(Path(f"Test-DrServer-{server}-{stamp}.json"), made))


def site_of(results: list[Loaded], plans):
    (site,) = judge(results, plans["consolidated"]).sites
    return site


def fail_first(results: list[Loaded], server: str, kind: str) -> None:
    (i,) = [
        n
        for n, r in enumerate(results)
        if r.result.computer == server and r.result.kind == kind
    ]
    checks = list(results[i].result.checks)
    checks[0] = checks[0].model_copy(update={"passed": False, "observed": "wrong"})
    results[i] = with_update(results[i], checks=tuple(checks))


BEFORE_DORMANT = SAMPLE_NOW - timedelta(days=3)


# --- the standby verdict and the last full drill ----------------------------------


def test_a_ready_standby_never_drilled_says_so_in_words_and_colour(plans) -> None:
    results = loaded("consolidated")
    site = site_of(results, plans)
    assert site.ready
    assert site.last_drill is not None
    assert not site.last_drill.complete
    assert site.last_drill.finished is None
    assert [(g.server, g.kind) for g in site.last_drill.gaps] == [
        ("FABDRBTS01", "Ready"),
        ("FABDRBTS01", "Active"),
        ("FABDRBTS02", "Ready"),
        ("FABDRBTS02", "Active"),
    ]
    view = drill_view(site.last_drill, SAMPLE_NOW)
    assert view.text == NEVER
    # Amber, never the green of the standby badge beside it.
    assert view.css == "warn"
    html = page(results, plans["consolidated"])
    text = words(parse_page(html))
    assert "Site DR-North: STANDBY READY" in text
    assert f"Standby: STANDBY READY {NEVER}" in text
    assert "Standby only: the bundle check and the dormant checks" in text
    assert '<span class="badge warn">Last full drill: never' in html
    # READY is never said of the site without "standby".
    assert "READY" not in text.replace("STANDBY READY", "")


def test_a_full_drill_of_this_bundle_gives_its_date(plans) -> None:
    results = loaded("consolidated")
    drill(results, at=BEFORE_DORMANT)
    site = site_of(results, plans)
    assert site.ready
    assert reasons(judge(results, plans["consolidated"])) == set()
    assert site.last_drill is not None
    assert site.last_drill.passed
    # The latest of the four: Active on FABDRBTS02.
    assert site.last_drill.finished == BEFORE_DORMANT + timedelta(minutes=31)
    view = drill_view(site.last_drill, SAMPLE_NOW)
    assert view.text == (
        "Last full drill: 2026-11-18 (Ready and Active results of this bundle)"
    )
    assert view.css == "pass"
    assert "finished 2026-11-18T09:31:00Z, 2 days before this report" in view.note
    text = words(parse_page(page(results, plans["consolidated"])))
    assert f"Standby: STANDBY READY {view.text}" in text
    assert "Standby only" not in text


def test_the_date_is_the_utc_day_of_the_latest_result(plans) -> None:
    results = loaded("consolidated")
    # 00:30 at UTC+02:00 is the day before in UTC.
    east = datetime(2026, 11, 19, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    drill(results, at=east)
    site = site_of(results, plans)
    assert site.last_drill is not None
    assert site.last_drill.finished == east + timedelta(minutes=31)
    text = drill_view(site.last_drill, SAMPLE_NOW).text
    assert text.startswith("Last full drill: 2026-11-18 ")
    # The same results in another order: the same line.
    again = site_of(list(reversed(results)), plans)
    assert drill_view(again.last_drill, SAMPLE_NOW).text == text


def test_a_stale_drill_still_counts_and_shows_its_age(plans) -> None:
    """The example's drill is two months old: shown, not judged, its date kept."""
    (site,) = judge(loaded("example"), plans["example"]).sites
    assert not site.ready
    assert site.last_drill is not None
    assert site.last_drill.passed
    view = drill_view(site.last_drill, SAMPLE_NOW)
    assert view.text == (
        "Last full drill: 2026-09-20 (Ready and Active results of this bundle)"
    )
    assert "61 days before this report" in view.note


@pytest.mark.parametrize(
    ("servers", "kinds", "missing"),
    [
        (
            ("FABDRBTS01", "FABDRBTS02"),
            ("Ready",),
            "FABDRBTS01 (Active); FABDRBTS02 (Active)",
        ),
        (("FABDRBTS01",), ("Ready", "Active"), "FABDRBTS02 (Ready, Active)"),
    ],
)
def test_a_drill_short_of_a_server_or_a_state_is_never(
    plans, servers: tuple[str, ...], kinds: tuple[str, ...], missing: str
) -> None:
    results = loaded("consolidated")
    drill(results, at=BEFORE_DORMANT, servers=servers, kinds=kinds)
    site = site_of(results, plans)
    assert site.ready
    assert site.last_drill is not None
    assert site.last_drill.finished is None
    assert drill_view(site.last_drill, SAMPLE_NOW).text == (
        "Last full drill: never (no Ready and Active results of this bundle "
        f"from {missing})"
    )


def _future(results: list[Loaded]) -> None:
    """The result added last, dated after the report (a server clock ahead)."""
    later = SAMPLE_NOW + FUTURE_TOLERANCE + timedelta(hours=1)
    results[-1] = with_update(results[-1], started=later, finished=later)


@pytest.mark.parametrize(
    ("case", "flaw"),
    [
        ("another bundle", "of another bundle"),
        ("another script", "run by a Test-DrServer.ps1 other than the bundle's"),
        ("another inventory hash", "whose inventory or drgen version is not"),
        ("dated in the future", "dated after this report"),
    ],
)
def test_a_drill_result_that_is_not_this_bundles_does_not_count(
    plans, case: str, flaw: str
) -> None:
    results = loaded("consolidated")
    updates: dict[str, dict[str, object]] = {
        "another bundle": {"bundle_id": OLD_BUNDLE_ID},
        "another script": {"script_sha256": EDITED_SCRIPT},
        "another inventory hash": {"inventory_sha256": "0" * 64},
        "dated in the future": {},
    }
    update = updates[case]
    drill(results, at=BEFORE_DORMANT, servers=("FABDRBTS01",), kinds=("Active",))
    drill(results, at=BEFORE_DORMANT, kinds=("Ready",))
    drill(
        results,
        at=BEFORE_DORMANT,
        servers=("FABDRBTS02",),
        kinds=("Active",),
        **update,
    )
    if case == "dated in the future":
        _future(results)
    site = site_of(results, plans)
    assert site.last_drill is not None
    (gap,) = site.last_drill.gaps
    assert (gap.server, gap.kind) == ("FABDRBTS02", "Active")
    (why,) = gap.flaws
    assert why.startswith(flaw)
    assert f"FABDRBTS02 (Active: only results {flaw}" in (
        drill_view(site.last_drill, SAMPLE_NOW).text
    )
    # The same drill of this bundle counts.
    clean = loaded("consolidated")
    drill(clean, at=BEFORE_DORMANT)
    assert site_of(clean, plans).last_drill.complete


def test_a_failed_drill_is_a_failed_drill_not_a_failed_standby(plans) -> None:
    results = loaded("consolidated")
    drill(results, at=BEFORE_DORMANT)
    fail_first(results, "FABDRBTS02", "Active")
    readiness = judge(results, plans["consolidated"])
    # The standby verdict rests on Bundle and Dormant results only.
    assert readiness.ready
    assert reasons(readiness) == set()
    (site,) = readiness.sites
    active = next(
        c for c in site.cells if (c.server, c.kind) == ("FABDRBTS02", "Active")
    )
    assert active.notes == (Reason.FAILED,)
    assert site.last_drill is not None
    assert site.last_drill.complete
    assert not site.last_drill.passed
    view = drill_view(site.last_drill, SAMPLE_NOW)
    assert view.text == (
        "Last full drill: 2026-11-18 (Ready and Active results of this bundle): "
        "FAILED on FABDRBTS02 Active"
    )
    assert view.css == "fail"
    html = page(results, plans["consolidated"])
    text = words(parse_page(html))
    assert "Site DR-North: STANDBY READY" in text
    assert "FABDRBTS02 Active (a drill)" in text
    assert "failed checks (a drill: not part of the standby verdict)" in text


def test_a_dormant_run_with_after_drill_is_fenced_not_armed(plans) -> None:
    results = loaded("consolidated")
    (i,) = [
        n
        for n, r in enumerate(results)
        if (r.result.computer, r.result.kind) == ("FABDRBTS01", "Dormant")
    ]
    results[i] = with_update(results[i], after_drill=True)
    readiness = judge(results, plans["consolidated"])
    assert not readiness.ready
    assert reasons(readiness) == {("FABDRBTS01", "Dormant", Reason.AFTER_DRILL)}
    text = words(parse_page(page(results, plans["consolidated"])))
    assert "fenced after a drill, not re-armed" in text
    assert "Re-arm FABDRBTS01 as the runbook's phase" in text
    assert "then run Test-DrServer.ps1 (without -AfterDrill)" in text


def test_without_an_inventory_the_last_drill_is_not_known(plans) -> None:
    results = loaded("consolidated")
    drill(results, at=BEFORE_DORMANT)
    (site,) = judge(results, None).sites
    assert site.last_drill is None
    view = drill_view(site.last_drill, SAMPLE_NOW)
    assert view.text.startswith("Last full drill: not known (no inventory given")
    assert view.css == "none"


# --- the command line -------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The consolidated samples as the generator makes them, in a folder."""
    made = tmp_path / "results"
    made.mkdir()
    for relative, text in sample_files().items():
        if relative.parts[0] == "consolidated":
            (made / relative.name).write_text(text, encoding="utf-8")
    return made


def report(runner, folder: Path, stem: str = "consolidated"):
    out = folder.parent / "report.html"
    result = runner.invoke(
        app,
        [
            "report",
            str(folder),
            "--inventory",
            str(INVENTORIES / f"{stem}.yaml"),
            "--max-age",
            "100000",
            "--out",
            str(out),
        ],
    )
    assert "Traceback" not in result.output
    return result, out


def test_the_console_prints_the_standby_and_the_last_drill(runner, folder) -> None:
    result, _ = report(runner, folder)
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stderr.splitlines()
    assert lines[:2] == ["site DR-North: STANDBY READY", f"  {NEVER}"]
    assert lines[-2:] == [
        "verdict: STANDBY READY",
        f"wrote {folder.parent / 'report.html'}",
    ]


def test_the_console_prints_each_reason_with_its_fix(
    runner, tmp_path: Path, plans
) -> None:
    made = tmp_path / "example"
    made.mkdir()
    for relative, text in sample_files().items():
        if relative.parts[0] == "example":
            (made / relative.name).write_text(text, encoding="utf-8")
    result, _ = report(runner, made, "example")
    assert result.exit_code == ExitCode.NOT_READY
    lines = result.stderr.splitlines()
    assert lines[0] == "site DR-West: STANDBY NOT READY"
    assert lines[1] == (
        "  Last full drill: 2026-09-20 (Ready and Active results of this bundle)"
    )
    readiness = judge(loaded("example"), plans["example"])
    (site,) = readiness.sites
    failed = [
        (cell, check)
        for cell in site.cells
        if cell.reasons and cell.latest is not None
        for check in cell.latest.result.failed
    ]
    assert len(failed) == 5
    # One line per failed check, naming it and its fix.
    for cell, check in failed:
        (line,) = [x for x in lines if f" FAILED {check.id} " in x]
        assert line.startswith(f"  {cell.server} {cell.kind}: FAILED ")
        assert f"observed {check.observed!r}" in line
        assert line.endswith(f"; fix: {check_fix(check.id, cell.kind, cell.server)}")
    # Each other reason: one line with its fix.
    (foreign,) = [x for x in lines if x.startswith("  DRserver3 Dormant: other bundle")]
    assert "; fix: Copy the bundle of the current render to DRserver3" in foreign
    assert lines[-2] == "verdict: STANDBY NOT READY"


def test_files_not_named_like_results_are_reported_and_not_ready(
    runner, folder: Path
) -> None:
    """Decision: a *.json file of a results folder that is not named like a drill
    result is listed (page and console) and makes the exit code 10, since it may
    be a server's latest result under another name; a lab probe's result is
    listed and does not count; other files (transcripts) are not results."""
    result, _ = report(runner, folder)
    assert result.exit_code == ExitCode.OK
    dormant = next(folder.glob("Test-DrServer-FABDRBTS01-*.json"))
    renamed = folder / "FABDRBTS01-dormant.json"
    renamed.write_text(dormant.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "notes.json").write_text("not json {", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "manifest.json").write_text(
        json.dumps({"schema": "drgen/manifest-v1"}), encoding="utf-8"
    )
    (folder / "Test-DrLabFacts-FABDRBTS01.json").write_text("{}", encoding="utf-8")
    (folder / "Test-DrServer-20261120-091000.log").write_text("log", encoding="utf-8")
    result, out = report(runner, folder)
    assert result.exit_code == ExitCode.NOT_READY, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "site DR-North: STANDBY READY"
    read = [x for x in lines if x.startswith(("not read: ", "skipped: "))]
    assert len(read) == 4, lines
    (line,) = [x for x in read if "FABDRBTS01-dormant.json" in x]
    assert line.startswith(
        f"not read: {renamed}: a drill result of FABDRBTS01 (Dormant"
    )
    assert f"rename it to {dormant.name}" in line
    assert any(
        x.startswith(f"not read: {folder / 'notes.json'}: not JSON") for x in read
    )
    assert any(
        x.startswith(
            f"not read: {folder / 'sub' / 'manifest.json'}: not a drill "
            "result (schema 'drgen/manifest-v1')"
        )
        for x in read
    )
    assert any(
        x.startswith(f"skipped: {folder / 'Test-DrLabFacts-FABDRBTS01.json'}: a lab")
        for x in read
    )
    assert not any(".log" in x for x in lines)
    assert lines[-2] == "verdict: STANDBY NOT READY (3 file(s) not read)"
    text = words(parse_page(out.read_text(encoding="utf-8")))
    assert "Verdict: STANDBY NOT READY" in text
    assert "Files not read" in text
    assert "3 file(s) of the results folder(s) were not read" in text
    # The lab probe's result alone does not count.
    for each in (renamed, folder / "notes.json", folder / "sub" / "manifest.json"):
        each.unlink()
    result, _ = report(runner, folder)
    assert result.exit_code == ExitCode.OK, result.output
    assert any(x.startswith("skipped: ") for x in result.stderr.splitlines())


def test_the_library_keeps_the_standby_verdict_apart_from_unread_files(
    folder: Path,
) -> None:
    (folder / "notes.json").write_text("[]", encoding="utf-8")
    made = api.report(
        [folder], now=SAMPLE_NOW, inventory=INVENTORIES / "consolidated.yaml"
    )
    assert made.readiness.ready
    assert not made.ready
    (unread,) = made.unread
    assert unread.path == folder / "notes.json"
    assert unread.counts
    assert unread.why.startswith("not a drill result (no schema)")


def test_a_result_with_an_upper_case_suffix_is_read(folder: Path) -> None:
    first = next(folder.glob("Test-DrBundle-*.json"))
    upper = first.with_suffix(".JSON")
    first.rename(upper)
    paths, unread = scan_results([folder])
    assert upper in paths
    assert unread == ()


def test_results_of_another_site_are_named_on_the_console(runner, folder: Path) -> None:
    for relative, text in sample_files().items():
        if relative.parts[0] == "example":
            (folder / relative.name).write_text(text, encoding="utf-8")
    result, _ = report(runner, folder)
    # Results of another site are read and shown, not judged: not a reason.
    assert result.exit_code == ExitCode.OK, result.output
    other = [x for x in result.stderr.splitlines() if x.startswith("not judged: ")]
    assert len(other) == 13
    assert all(x.endswith("(site DR-West)") for x in other)


def test_the_samples_show_both_kinds_of_last_drill() -> None:
    """examples/results: DR-North is a ready standby never drilled, DR-West was
    drilled in full two months before (the committed files:
    tests/evidence/test_report.py)."""
    now = SAMPLE_NOW
    found = {}
    for stem in ("example", "consolidated"):
        made = api.report(
            [SAMPLES / stem],
            now=now,
            inventory=INVENTORIES / f"{stem}.yaml",
        )
        (site,) = made.readiness.sites
        found[stem] = site.last_drill
    assert found["example"] is not None
    assert found["example"].passed
    assert found["consolidated"] is not None
    assert found["consolidated"].finished is None
    finished = found["example"].finished
    assert finished is not None
    assert datetime(2026, 9, 20, tzinfo=UTC) < finished < now
