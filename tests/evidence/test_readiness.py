"""The readiness verdict of ``drgen report``: each reason (failed, stale,
foreign, missing, superseded by a later drill, run by another script, dated in the
future) makes a site not ready, and what must not change the verdict does not.

The sample results (tests/support/sample_results.py) are judged at the moment
they describe, each case mutating them one way."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from generator.evidence.readiness import (
    DEFAULT_MAX_AGE_DAYS,
    FUTURE_TOLERANCE,
    Loaded,
    Reason,
)
from tests.support.readiness import (
    EDITED_SCRIPT,
    Mutation,
    drop,
    judge,
    loaded,
    pick,
    reasons,
    with_update,
)
from tests.support.report_page import page, parse_page, words
from tests.support.sample_results import (
    OLD_BUNDLE_ID,
    SAMPLE_DAY,
    SAMPLE_NOW,
)

# ------------------------------------------------------------------------- the verdict


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


def _fail_one(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS02", "Dormant")
    checks = list(results[i].result.checks)
    checks[3] = checks[3].model_copy(update={"passed": False, "observed": "Manual"})
    results[i] = with_update(results[i], checks=tuple(checks))


def _no_checks(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS01", "Bundle")
    results[i] = with_update(results[i], checks=())


def _age(days: float) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, "FABDRBTS01", "Dormant")
        result = results[i].result
        shift = timedelta(days=days)
        results[i] = with_update(
            results[i], started=result.started - shift, finished=result.finished - shift
        )

    return mutate


def _foreign(results: list[Loaded]) -> None:
    i = pick(results, "FABDRBTS02", "Bundle")
    results[i] = with_update(results[i], bundle_id=OLD_BUNDLE_ID)


def _intruder(results: list[Loaded]) -> None:
    results.append(with_update(results[0], computer="FABDRBTS09"))


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
        results[i] = with_update(each, computer=each.result.computer.lower())


def _other_site(results: list[Loaded]) -> None:
    results.append(with_update(results[0], site="DR-Elsewhere", checks=()))


def _script(computer: str, kind: str, sha256: str = EDITED_SCRIPT) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, kind)
        results[i] = with_update(results[i], script_sha256=sha256)

    return mutate


def _set(computer: str, kind: str, **update: object) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, kind)
        results[i] = with_update(results[i], **update)

    return mutate


def _without(computer: str, check_id: str) -> Mutation:
    """``computer``'s bundle check without the check ``check_id``."""

    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, "Bundle")
        checks = results[i].result.checks
        kept = tuple(c for c in checks if c.id != check_id)
        assert len(kept) == len(checks) - 1
        results[i] = with_update(results[i], checks=kept)

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
    results[i] = with_update(results[i], checks=kept)


def _dated(computer: str, kind: str, after_now: timedelta) -> Mutation:
    """The result finishes ``after_now`` after SAMPLE_NOW (a clock ahead)."""

    def mutate(results: list[Loaded]) -> None:
        i = pick(results, computer, kind)
        result = results[i].result
        shift = SAMPLE_NOW + after_now - result.finished
        results[i] = with_update(
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
        drop("FABDRBTS02", "Dormant"),
        {("FABDRBTS02", "Dormant", Reason.MISSING)},
    ),
    "no bundle result": (
        drop("FABDRBTS01", "Bundle"),
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
    text = words(parse_page(page(results, plans["consolidated"])))
    assert "not the bundle's" not in text
    assert "server clock" not in text
    _script("FABDRBTS02", "Dormant")(results)
    _dated("FABDRBTS01", "Dormant", timedelta(hours=2))(results)
    text = words(parse_page(page(results, plans["consolidated"])))
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
    text = words(parse_page(page(results, plans["consolidated"])))
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
    text = words(parse_page(page(results, plans["consolidated"])))
    assert "Verdict: STANDBY NOT READY" in text
    assert "a drill since" in text
    assert "run Test-DrServer.ps1 -AfterDrill" in text
    # A new Dormant run after the drill clears it.
    _newer(False)(results)
    i = len(results) - 1
    fixed = results[i].result.checks[0].model_copy(update={"passed": True})
    later = results[i].result.finished + timedelta(hours=2)
    results[i] = with_update(
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
    drop("FABDRBTS01", "Dormant")(results)
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
