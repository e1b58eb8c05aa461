"""``drgen report``: the readiness verdict, its HTML page, the command and the
committed sample results (the browser test is tests/test_report_browser.py)."""

from __future__ import annotations

import hashlib
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path, PurePosixPath

import pytest

from generator import api
from generator.cli.app import app
from generator.errors import ExitCode
from generator.evidence.readiness import (
    DEFAULT_MAX_AGE_DAYS,
    FUTURE_TOLERANCE,
    Expectation,
    Loaded,
    Readiness,
    Reason,
    evaluate,
)
from generator.evidence.report import render_report, report_context
from generator.evidence.results import (
    CheckResult,
    parse_result,
    read_result,
    result_files,
)
from generator.plan.site import Plan
from generator.render.environment import make_environment
from tests.conftest import INVENTORIES
from tests.sample_results import (
    OLD_BUNDLE_ID,
    SAMPLE_DAY,
    SAMPLE_NOW,
    SAMPLES,
    sample_files,
)

XHTML = "{http://www.w3.org/1999/xhtml}"
MAX_AGE = timedelta(days=DEFAULT_MAX_AGE_DAYS)
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _fresh(stem: str) -> tuple[Loaded, ...]:
    return tuple(
        Loaded(SAMPLES / Path(relative), parse_result(text, SAMPLES / Path(relative)))
        for relative, text in sorted(sample_files().items())
        if relative.parts[0] == stem
    )


def loaded(stem: str) -> list[Loaded]:
    """The samples of one example as the generator makes them today (the
    committed files are held to the same text by the last tests here)."""
    return list(_fresh(stem))


def expectation(plan: Plan) -> Expectation:
    return api.report_expectation(plan, make_environment())


def judge(
    results: list[Loaded], plan: Plan | None, *, now=SAMPLE_NOW, **extra
) -> Readiness:
    expected = expectation(plan) if plan is not None else None
    return evaluate(results, now=now, max_age=MAX_AGE, expectation=expected, **extra)


def reasons(readiness: Readiness) -> set[tuple[str, str, Reason]]:
    return {
        (cell.server, cell.kind, reason)
        for site in readiness.sites
        for cell in site.cells
        for reason in cell.reasons
    }


def replace(item: Loaded, **update) -> Loaded:
    return Loaded(item.path, item.result.model_copy(update=update))


def pick(results: list[Loaded], computer: str, kind: str) -> int:
    (index,) = [
        i
        for i, r in enumerate(results)
        if r.result.computer == computer.upper() and r.result.kind == kind
    ]
    return index


# --- the verdict ------------------------------------------------------------------


def test_the_ready_sample_site_is_ready(plans) -> None:
    readiness = judge(loaded("consolidated"), plans["consolidated"])
    assert readiness.ready
    assert reasons(readiness) == set()
    (site,) = readiness.sites
    assert [s.name for s in site.servers] == list(
        plans["consolidated"].site.server_names
    )
    for server in site.servers:
        cells = {cell.kind: cell for cell in server.cells}
        assert cells["Bundle"].latest is not None
        assert cells["Dormant"].latest is not None
        assert cells["Ready"].latest is None
        assert cells["Ready"].reasons == ()


def test_the_failing_sample_site_says_why(plans) -> None:
    readiness = judge(loaded("example"), plans["example"])
    assert not readiness.ready
    assert reasons(readiness) == {
        ("DRserver2", "Dormant", Reason.FAILED),
        ("DRserver3", "Bundle", Reason.FAILED),
        ("DRserver3", "Dormant", Reason.FOREIGN),
    }
    # DRserver1's Ready result is from a drill two months ago: noted, not judged.
    (site,) = readiness.sites
    ready1 = next(c for c in site.cells if (c.server, c.kind) == ("DRserver1", "Ready"))
    assert ready1.notes == (Reason.STALE,)
    assert ready1.reasons == ()
    dormant2 = next(
        c for c in site.cells if (c.server, c.kind) == ("DRserver2", "Dormant")
    )
    # The latest of DRserver2's two Dormant runs is judged, not the passing older one.
    assert dormant2.runs == 2
    assert dormant2.latest is not None
    assert dormant2.latest.result.failed


Mutation = Callable[[list[Loaded]], None]


def _fail_one(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS02", "Dormant")
    checks = list(results[i].result.checks)
    checks[3] = checks[3].model_copy(update={"passed": False, "observed": "Manual"})
    results[i] = replace(results[i], checks=tuple(checks))


def _no_checks(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS01", "Bundle")
    results[i] = replace(results[i], checks=())


def _drop(computer: str, kind: str) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        del results[pick(results, computer, kind)]

    return mutate


def _age(days: float) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, "FABDRBTS01", "Dormant")
        result = results[i].result
        shift = timedelta(days=days)
        results[i] = replace(
            results[i], started=result.started - shift, finished=result.finished - shift
        )

    return mutate


def _foreign(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS02", "Bundle")
    results[i] = replace(results[i], bundle_id=OLD_BUNDLE_ID)


def _intruder(results: list[Loaded]) -> None:
    results.append(replace(results[0], computer="FABDRBTS09"))


def _newer(passed: bool, kind: str = "Dormant") -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, "FABDRBTS01", "Dormant")
        base = results[i].result
        checks = tuple(
            c.model_copy(update={"passed": passed}) if n == 0 else c
            for n, c in enumerate(base.checks)
        )
        shift = timedelta(hours=1 if passed is False else -1)
        results.append(
            Loaded(
                Path(f"extra-{passed}-{kind}.json"),
                base.model_copy(
                    update={
                        "checks": checks,
                        "started": base.started + shift,
                        "finished": base.finished + shift,
                        "expected_state": kind,
                    }
                ),
            )
        )

    return mutate


def _old_drill(passed: bool, kind: str, **update) -> Mutation:
    """A drill's result from long ago (or another bundle): history, not judged."""

    def mutate(results: list[Loaded]) -> None:
        i = pick(results, "FABDRBTS02", "Dormant")
        base = results[i].result
        shift = timedelta(days=DEFAULT_MAX_AGE_DAYS + 5)
        checks = tuple(c.model_copy(update={"passed": passed}) for c in base.checks)
        drill = base.model_copy(
            update={
                "expected_state": kind,
                "checks": checks,
                "started": base.started - shift,
                "finished": base.finished - shift,
            }
            | update
        )
        results.append(Loaded(Path(f"drill-{kind}.json"), drill))

    return mutate


def _older_failing(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS01", "Dormant")
    base = results[i].result
    failing = base.model_copy(
        update={
            "checks": (base.checks[0].model_copy(update={"passed": False}),),
            "started": base.started - timedelta(days=1),
            "finished": base.finished - timedelta(days=1),
        }
    )
    results.append(Loaded(Path("older.json"), failing))


def _drill_after_dormant(kind: str, *, passed: bool) -> Mutation:
    """A drill on FABDRBTS01 after its latest Dormant run, from any bundle."""

    def mutate(results: list[Loaded]) -> None:
        i = pick(results, "FABDRBTS01", "Dormant")
        base = results[i].result
        later = timedelta(hours=1)
        checks = tuple(c.model_copy(update={"passed": passed}) for c in base.checks)
        drill = base.model_copy(
            update={
                "expected_state": kind,
                "checks": checks,
                "bundle_id": OLD_BUNDLE_ID,
                "started": base.started + later,
                "finished": base.finished + later,
            }
        )
        results.append(Loaded(Path(f"after-{kind}.json"), drill))

    return mutate


def _lower_case(results: list[Loaded]) -> None:
    for i, each in enumerate(results):
        results[i] = replace(each, computer=each.result.computer.lower())


def _other_site(results: list[Loaded]) -> None:
    results.append(replace(results[0], site="DR-Elsewhere", checks=()))


# A Test-DrServer.ps1 edited on the server (or copied from elsewhere).
EDITED_SCRIPT = hashlib.sha256(b"Test-DrServer.ps1 edited on the server").hexdigest()


def _script(computer: str, kind: str, sha256: str = EDITED_SCRIPT) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, kind)
        results[i] = replace(results[i], script_sha256=sha256)

    return mutate


def _set(computer: str, kind: str, **update: object) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, kind)
        results[i] = replace(results[i], **update)

    return mutate


def _without(computer: str, check_id: str) -> Mutation:
    """``computer``'s bundle check without the check ``check_id``."""

    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, "Bundle")
        checks = results[i].result.checks
        kept = tuple(c for c in checks if c.id != check_id)
        assert len(kept) == len(checks) - 1
        results[i] = replace(results[i], checks=kept)

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        for each in mutations:
            each(results)

    return mutate


def _without_script_check(results: list[Loaded]) -> None:
    """A bundle check that stopped before it hashed FABDRBTS01's Test-DrServer.ps1."""
    i = pick(results, "FABDRBTS01", "Bundle")
    checks = results[i].result.checks
    gone = "sha256:FABDRBTS01\\Test-DrServer.ps1"
    kept = tuple(c for c in checks if c.id != gone)
    assert len(kept) == len(checks) - 1
    results[i] = replace(results[i], checks=kept)


def _dated(computer: str, kind: str, after_now: timedelta) -> Mutation:
    """The result finishes ``after_now`` after SAMPLE_NOW (a clock ahead)."""

    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, kind)
        result = results[i].result
        shift = SAMPLE_NOW + after_now - result.finished
        results[i] = replace(
            results[i], started=result.started + shift, finished=result.finished + shift
        )

    return mutate


def _future_old_drill(results: list[Loaded]) -> None:
    """Another bundle's passing drill, dated a day ahead: it is not history."""
    _old_drill(True, "Ready", bundle_id=OLD_BUNDLE_ID)(results)
    _dated("FABDRBTS02", "Ready", timedelta(days=1))(results)


NOT_READY: dict[str, tuple[Mutation, set[tuple[str, str, Reason]]]] = {
    "failed check": (_fail_one, {("FABDRBTS02", "Dormant", Reason.FAILED)}),
    "no checks": (_no_checks, {("FABDRBTS01", "Bundle", Reason.FAILED)}),
    "no dormant result": (
        _drop("FABDRBTS02", "Dormant"),
        {("FABDRBTS02", "Dormant", Reason.MISSING)},
    ),
    "no bundle result": (
        _drop("FABDRBTS01", "Bundle"),
        {("FABDRBTS01", "Bundle", Reason.MISSING)},
    ),
    "stale": (
        _age(DEFAULT_MAX_AGE_DAYS + 0.01),
        {("FABDRBTS01", "Dormant", Reason.STALE)},
    ),
    "other bundle": (_foreign, {("FABDRBTS02", "Bundle", Reason.FOREIGN)}),
    "not a DR server": (
        _intruder,
        {("FABDRBTS09", "Bundle", Reason.FOREIGN)},
    ),
    "newer failing run": (_newer(False), {("FABDRBTS01", "Dormant", Reason.FAILED)}),
    # A drill is not part of the standby verdict (its failure is the last full
    # drill's), but one after the Dormant run supersedes that run.
    "failed drill result": (
        _newer(False, "Ready"),
        {("FABDRBTS01", "Dormant", Reason.SUPERSEDED)},
    ),
    # Enabled after it was last shown dormant, even by an old bundle's drill:
    # that Dormant result no longer says what the server is.
    "drill after the dormant run": (
        _drill_after_dormant("Active", passed=True),
        {("FABDRBTS01", "Dormant", Reason.SUPERSEDED)},
    ),
    "failed drill after the dormant run": (
        _drill_after_dormant("Ready", passed=False),
        {("FABDRBTS01", "Dormant", Reason.SUPERSEDED)},
    ),
    "dormant run of another script": (
        _script("FABDRBTS02", "Dormant"),
        {("FABDRBTS02", "Dormant", Reason.SCRIPT_CHANGED)},
    ),
    # Server 01's result ran server 02's script: it is not the one 01 would run.
    "dormant run of the other server's script": (
        lambda results: _script(
            "FABDRBTS01",
            "Dormant",
            results[pick(results, "FABDRBTS02", "Dormant")].result.script_sha256,
        )(results),
        {("FABDRBTS01", "Dormant", Reason.SCRIPT_CHANGED)},
    ),
    # The bundle check is of another bundle: nothing said about the script.
    "script compared only within the current bundle": (
        _both(_foreign, _script("FABDRBTS02", "Dormant")),
        {("FABDRBTS02", "Bundle", Reason.FOREIGN)},
    ),
    "dormant run dated in the future": (
        _dated("FABDRBTS01", "Dormant", FUTURE_TOLERANCE + timedelta(seconds=1)),
        {("FABDRBTS01", "Dormant", Reason.FUTURE)},
    ),
    "bundle check dated in the future": (
        _dated("FABDRBTS02", "Bundle", timedelta(days=3)),
        {("FABDRBTS02", "Bundle", Reason.FUTURE)},
    ),
    "old bundle's drill dated in the future": (
        _future_old_drill,
        {("FABDRBTS02", "Dormant", Reason.SUPERSEDED)},
    ),
    "dormant run with -AfterDrill": (
        _set("FABDRBTS02", "Dormant", after_drill=True),
        {("FABDRBTS02", "Dormant", Reason.AFTER_DRILL)},
    ),
    # A file nobody hashed is not known to be intact; and what the missing check
    # would have vouched for (the script) is not compared either.
    "bundle check that did not hash the script": (
        _both(_without_script_check, _script("FABDRBTS01", "Dormant")),
        {("FABDRBTS01", "Bundle", Reason.INCOMPLETE)},
    ),
    "bundle check without a signature check": (
        _without("FABDRBTS02", "signature:Update-DrGroupDatabases.ps1"),
        {("FABDRBTS02", "Bundle", Reason.INCOMPLETE)},
    ),
    # Test-DrBundle.ps1 is not in its own manifest: the servers of a site are
    # held to one another instead.
    "bundle check run by another script": (
        _script("FABDRBTS01", "Bundle"),
        {
            ("FABDRBTS01", "Bundle", Reason.BUNDLE_DIFFERS),
            ("FABDRBTS02", "Bundle", Reason.BUNDLE_DIFFERS),
        },
    ),
    "inventory hash not the bundle's": (
        lambda results: _set("FABDRBTS01", "Dormant", inventory_sha256="0" * 64)(
            results
        ),
        {("FABDRBTS01", "Dormant", Reason.IDENTITY)},
    ),
    "drgen version not the bundle's": (
        _set("FABDRBTS02", "Bundle", drgen_version="0.0.1"),
        {("FABDRBTS02", "Bundle", Reason.IDENTITY)},
    ),
}
STILL_READY: dict[str, Mutation] = {
    "older failing run": _older_failing,
    "at the age limit": _age(DEFAULT_MAX_AGE_DAYS - 1 - 1 / 24),
    "passing drill result": _newer(True, "Active"),
    "old passing drill": _old_drill(True, "Active"),
    "old failed drill": _old_drill(False, "Ready"),
    # Not stale, and before the Dormant runs (a later one would supersede them).
    "drill of another bundle": _old_drill(
        False, "Ready", bundle_id=OLD_BUNDLE_ID, started=SAMPLE_DAY, finished=SAMPLE_DAY
    ),
    "computer name in lower case": _lower_case,
    "result of another site": _other_site,
    "script hash in lower case": lambda results: _script(
        "FABDRBTS01",
        "Dormant",
        results[pick(results, "FABDRBTS01", "Dormant")].result.script_sha256.lower(),
    )(results),
    # Test-DrBundle.ps1 is not in its own manifest: its hash is not compared
    # with one, only between the servers (one re-signed bundle on both).
    "bundle check run by another script on every server": _both(
        _script("FABDRBTS01", "Bundle"), _script("FABDRBTS02", "Bundle")
    ),
    # Another bundle's result says nothing about this bundle's identity.
    "other bundle with another inventory hash": _old_drill(
        True, "Active", bundle_id=OLD_BUNDLE_ID, inventory_sha256="0" * 64
    ),
    "old drill of another script": _both(
        _old_drill(True, "Active"), _script("FABDRBTS02", "Active")
    ),
    # A drill's result: noted, part of the last full drill, not of the standby.
    "current drill of another script": _both(
        _newer(True, "Active"), _script("FABDRBTS01", "Active")
    ),
    "dated within the clock tolerance": _dated(
        "FABDRBTS01", "Dormant", FUTURE_TOLERANCE
    ),
}


@pytest.mark.parametrize("case", NOT_READY)
def test_each_reason_makes_the_site_not_ready(plans, case: str) -> None:
    mutate, expected = NOT_READY[case]
    results = loaded("consolidated")
    assert judge(results, plans["consolidated"]).ready
    mutate(results)
    readiness = judge(results, plans["consolidated"])
    assert not readiness.ready
    assert reasons(readiness) == expected


def test_every_reason_has_a_case_that_flips_the_verdict() -> None:
    assert {r for _, found in NOT_READY.values() for _, _, r in found} == set(Reason)


def test_the_script_and_the_clock_are_named_on_the_page(plans) -> None:
    results = loaded("consolidated")
    text = words(parse(page(results, plans["consolidated"])))
    assert "not the bundle's" not in text
    assert "server clock" not in text
    _script("FABDRBTS02", "Dormant")(results)
    _dated("FABDRBTS01", "Dormant", timedelta(hours=2))(results)
    text = words(parse(page(results, plans["consolidated"])))
    assert "Verdict: STANDBY NOT READY" in text
    bundle = next(
        r.result
        for r in results
        if r.result.computer == "FABDRBTS02" and not r.result.expected_state
    )
    (expected,) = [
        c.expected
        for c in bundle.checks
        if c.id == "sha256:FABDRBTS02\\Test-DrServer.ps1"
    ]
    for phrase in (
        "FABDRBTS02 Dormant the script that ran is not the bundle's",
        f"Test-DrServer.ps1 that ran has SHA-256 {EDITED_SCRIPT.upper()[:12]}",
        f"FABDRBTS02\\Test-DrServer.ps1 {expected[:12]}",
        "script not the bundle's",
        "FABDRBTS01 Dormant dated after the report: check the server clock",
        "finished 2026-11-21T11:00:00Z, after this report (2026-11-21T09:00:00Z)",
        "dated in the future",
    ):
        assert phrase in text, phrase


@pytest.mark.parametrize("case", STILL_READY)
def test_what_does_not_change_the_verdict(plans, case: str) -> None:
    results = loaded("consolidated")
    STILL_READY[case](results)
    readiness = judge(results, plans["consolidated"])
    assert reasons(readiness) == set()
    assert readiness.ready
    text = words(parse(page(results, plans["consolidated"])))
    assert "Verdict: STANDBY READY" in text
    if case in ("old passing drill", "old failed drill", "drill of another bundle"):
        assert "an earlier drill: not judged" in text


def test_other_sites_are_listed_not_judged(plans) -> None:
    results = loaded("consolidated") + loaded("example")
    readiness = judge(results, plans["consolidated"])
    assert readiness.ready
    assert {o.result.site for o in readiness.other} == {"DR-West"}
    assert len(readiness.other) == len(loaded("example"))


def test_nothing_to_judge_is_not_ready(plans) -> None:
    assert not judge([], None).ready
    readiness = judge([], plans["consolidated"])
    assert not readiness.ready
    assert len(reasons(readiness)) == 2 * len(plans["consolidated"].site.servers)


def test_a_drill_after_the_dormant_run_is_named_on_the_page(plans) -> None:
    results = loaded("consolidated")
    _drill_after_dormant("Active", passed=True)(results)
    text = words(parse(page(results, plans["consolidated"])))
    assert "Verdict: STANDBY NOT READY" in text
    assert "a drill since" in text
    assert "run Test-DrServer.ps1 -AfterDrill" in text
    # A new Dormant run after the drill clears it.
    _newer(False)(results)
    i = len(results) - 1
    fixed = results[i].result.checks[0].model_copy(update={"passed": True})
    later = results[i].result.finished + timedelta(hours=2)
    results[i] = replace(
        results[i],
        checks=(fixed, *results[i].result.checks[1:]),
        started=later,
        finished=later,
    )
    assert judge(results, plans["consolidated"]).ready


def test_of_two_runs_in_one_second_the_suffixed_file_is_the_later(plans) -> None:
    """Write-DrTestResult names a second run in the same second X-2.json (then
    X-3 ... X-10): that one, not X.json, is the latest."""
    results = loaded("consolidated")
    i = pick(results, "FABDRBTS01", "Dormant")
    first = results[i]
    stem = first.path.name.removesuffix(".json")
    failing = first.result.checks[0].model_copy(update={"passed": False})
    for suffix in ("-2", "-10"):
        path = first.path.with_name(f"{stem}{suffix}.json")
        checks = (failing, *first.result.checks[1:])
        results.append(Loaded(path, first.result.model_copy(update={"checks": checks})))
    readiness = judge(results, plans["consolidated"])
    (site,) = readiness.sites
    (cell,) = [c for c in site.cells if (c.server, c.kind) == ("FABDRBTS01", "Dormant")]
    assert cell.latest is not None
    assert cell.latest.path.name == f"{stem}-10.json"
    assert Reason.FAILED in cell.reasons


def test_drift_errors_make_the_site_not_ready(plans) -> None:
    results = loaded("consolidated")
    assert not judge(results, plans["consolidated"], drift_errors=1).ready
    assert judge(results, plans["consolidated"], drift_errors=0).ready


def test_without_an_inventory_only_failed_and_stale_count(plans) -> None:
    results = loaded("consolidated")
    _drop("FABDRBTS01", "Dormant")(results)
    _foreign(results)
    _intruder(results)
    readiness = judge(results, None)
    # What cannot be seen without the inventory never passes as ready.
    assert not readiness.ready
    (site,) = readiness.sites
    assert site.bundle_id is None
    assert not site.judged
    assert not reasons(readiness)  # but nothing the results show is wrong
    assert judge(loaded("consolidated"), plans["consolidated"]).ready
    assert [s.name for s in site.servers] == ["FABDRBTS01", "FABDRBTS02", "FABDRBTS09"]
    _fail_one(results)
    assert reasons(judge(results, None)) == {("FABDRBTS02", "Dormant", Reason.FAILED)}
    stale = judge(results, None, now=SAMPLE_NOW + timedelta(days=40))
    assert Reason.STALE in {r for _, _, r in reasons(stale)}


# --- the page ---------------------------------------------------------------------


def page(results: list[Loaded], plan: Plan | None, **extra) -> str:
    readiness = judge(results, plan, **extra)
    context = report_context(
        readiness, results, capacity=plan.capacity if plan else None
    )
    return render_report(context, DEFAULT_TEMPLATES)


def parse(html: str) -> ET.Element:
    """The report read as XML: it is written as XHTML-compatible HTML5."""
    return ET.fromstring(html.encode("utf-8"))


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def words(element: ET.Element) -> str:
    """The text of ``element`` (the body of a page), one space between pieces."""
    body = element.find(f"{XHTML}body")
    shown = body if body is not None else element
    return re.sub(r"\s+", " ", " ".join(shown.itertext())).strip()


@pytest.fixture(scope="module")
def example_html(plans) -> str:
    return page(loaded("example"), plans["example"])


def test_the_page_is_well_formed_and_accessible(example_html: str) -> None:
    assert example_html.startswith("<!DOCTYPE html>\n<html ")
    root = parse(example_html)
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
    root = parse(example_html)
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
    text = words(parse(example_html))
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
    _drop("FABDRBTS02", "Dormant")(results)
    text = words(parse(page(results, plans["consolidated"])))
    assert (
        "FABDRBTS02 Dormant missing no result of Test-DrServer.ps1 -Expect Dormant"
        in text
    )
    assert "Site DR-North: STANDBY NOT READY" in text


def test_a_ready_page_says_so(plans) -> None:
    text = words(parse(page(loaded("consolidated"), plans["consolidated"])))
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
    results[i] = replace(results[i], checks=tuple(checks))
    html = page(results, plans["consolidated"])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in html
    parse(html)


# --- the library and the command ---------------------------------------------------


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
    text = words(parse(made.html))
    assert "Drift: production against the inventory" in text
    assert "0 error(s)" in text
    assert made.ready
    other = Path(__file__).parent / "data" / "discovery" / "real-wmi-shaped.json"
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


# --- the samples ------------------------------------------------------------------


def test_the_committed_samples_are_what_the_generator_writes() -> None:
    """Regenerate with `.venv/bin/python -m tests.sample_results` after a template,
    catalogue, inventory or version change (the bundle id moves with them)."""
    made = sample_files()
    committed = {
        PurePosixPath(p.relative_to(SAMPLES).as_posix()): p.read_text(encoding="utf-8")
        for p in SAMPLES.rglob("*.json")
    }
    assert sorted(committed) == sorted(made), (
        "run: .venv/bin/python -m tests.sample_results"
    )
    for path, text in made.items():
        assert committed[path] == text, (
            f"examples/results/{path} is stale: "
            "run .venv/bin/python -m tests.sample_results"
        )


def test_the_samples_come_from_the_current_render(plans) -> None:
    for stem in ("example", "consolidated"):
        current = expectation(plans[stem]).bundle_id
        committed = [Loaded(p, read_result(p)) for p in result_files([SAMPLES / stem])]
        ids = {each.result.bundle_id for each in committed}
        # One result of the example is from an older bundle on purpose.
        assert ids - {OLD_BUNDLE_ID} == {current}, (
            "run .venv/bin/python -m tests.sample_results"
        )
        assert (OLD_BUNDLE_ID in ids) == (stem == "example")
        for each in committed:
            assert each.result.inventory == plans[stem].inventory_name
            assert each.result.inventory_sha256 == plans[stem].inventory_sha256
            stamp = each.result.finished.strftime("%Y%m%dT%H%M%SZ")
            assert each.path.name == (
                f"{each.result.script}-{each.result.computer}-{stamp}.json"
            )
            assert each.result.finished <= SAMPLE_NOW
