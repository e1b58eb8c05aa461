"""Is a DR site a ready standby, and when was it last drilled in full? The two
answers ``drgen report`` gives from drill results, kept apart.

The **standby verdict** rests on the ``Bundle`` (Test-DrBundle.ps1) and
``Dormant`` (Test-DrServer.ps1 -Expect Dormant) results only: per site and DR
server, the latest result of each kind (``Bundle`` for Test-DrBundle.ps1, else
Test-DrServer.ps1's expected state) is judged:

* ``failed``: a check of it did not pass (or it has no check at all);
* ``stale``: it finished more than ``max_age`` before ``now``;
* ``foreign``: it comes from a bundle other than the one the inventory renders
  to today (``generator.bundle.identity``), or from a computer that is not a DR server
  of the site: the tested bundle is not the bundle you would run;
* ``missing``: a DR server has no ``Bundle`` or no ``Dormant`` result at all
  (the two runs that say a prepared site is sound);
* ``superseded``: a ``Ready`` or ``Active`` result finished after the latest
  ``Dormant`` one: the server was enabled after it was last shown dormant, so
  that result no longer says what it is now (run Test-DrServer.ps1 -AfterDrill
  once the drill is stood down);
* ``script changed``: a Test-DrServer.ps1 result whose ``script_sha256`` is not
  the SHA-256 the same server's latest ``Bundle`` result expected for that
  server's Test-DrServer.ps1 (its ``sha256:<server>\\Test-DrServer.ps1`` check):
  the script that ran is not the bundle's, so what was tested is not what would
  run. Judged only when both results are of the current bundle and the check is
  there; a ``Bundle`` result is never compared (Test-DrBundle.ps1 cannot list
  its own hash, and a re-signed bundle keeps its id: its own signature check is
  what covers it);
* ``future``: a result that finished more than :data:`FUTURE_TOLERANCE` after
  ``now`` (the server's clock is ahead): it would stay the latest and never go
  stale. Always judged, even on a drill's result, whose age means nothing then;
* ``incomplete``: a ``Bundle`` result of the current bundle that lacks a check
  the bundle's Test-DrBundle.ps1 makes (``sha256:`` of every file of the site,
  ``signature:`` and ``code:`` of every script, ``signature:`` of itself): a file
  nobody checked is not
  known to be intact;
* ``bundle check differs``: the latest ``Bundle`` results of one site's servers,
  of one bundle, report different SHA-256s of Test-DrBundle.ps1 itself: the
  servers did not run the same bundle check;
* ``identity``: a result that names the current bundle but another inventory
  SHA-256 or drgen version than that bundle's: the bundle id is computed from
  both, so the result cannot be what the bundle's script wrote;
* ``not re-armed``: the latest ``Dormant`` result was run with -AfterDrill: the
  server was fenced after a drill (the registry may still name the DR SQL
  instances, whose databases Restore To Mark took out of log shipping), not
  brought back to a prepared standby of production.

The files are not signed, so a consistent forgery cannot be caught here; every
inconsistency can. A result that contradicts itself (passed with differing
values, a kind its script does not have) is refused when it is read
(``drill_result.contradiction``).

``Ready`` and ``Active`` results come from drills and never enter the standby
verdict: what is wrong with one is a note on its cell (one that is stale or
from another bundle is an earlier drill). They make the **last full drill**
instead (:func:`last_drill`): per DR server of the site, its latest Ready and
latest Active result of the current bundle, not dated in the future, with the
bundle's identity and run by the bundle's Test-DrServer.ps1; when every server
has both, the drill's date is the latest of them (and it failed when one of
them did), else the site was never drilled in full with this bundle.
A drill still counts against the standby in one way: a ``Dormant`` result
older than a drill (``superseded``) no longer says the server is dormant.

The standby is ready when no latest result has a reason and nothing is missing,
and (with ``--drift``) the discovery shows no drift error: a bundle rendered
from an inventory production no longer matches is not the one to run.
Without an inventory, neither ``foreign`` nor ``missing`` can be judged (which
servers, which bundle?): the report says so, and judges the rest.
Everything here is pure: ``now`` comes from the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from generator.evidence.results import DrillResult
from generator.evidence.verdict import (
    DRILL_KINDS,
    KINDS,
    Cell,
    DrillGap,
    Expectation,
    LastDrill,
    Loaded,
    Readiness,
    Reason,
    ServerStatus,
    SiteStatus,
)

# Of the KINDS, those required of every server.
REQUIRED_KINDS = ("Bundle", "Dormant")
DEFAULT_MAX_AGE_DAYS = 30
# Clocks drift: a result this far after the report's now is not believed.
FUTURE_TOLERANCE = timedelta(minutes=10)
# The script whose hash a Test-DrServer.ps1 result is held to, per DR server folder.
SERVER_SCRIPT = "Test-DrServer.ps1"


def _latest(results: Sequence[Loaded]) -> Loaded | None:
    """The result that finished last (ties: started later, then file name).

    Two runs in one second are named X.json, X-2.json, X-3.json ... X-10.json:
    the longer name, then the greater one, is the later run.
    """
    if not results:
        return None
    return max(
        results,
        key=lambda r: (
            r.result.finished,
            r.result.started,
            len(r.path.name),
            r.path.name,
            str(r.path),
        ),
    )


def _script_changed(
    latest: Loaded | None, bundle: Loaded | None, server: str, bundle_id: str | None
) -> bool:
    """True when ``latest`` (a Test-DrServer.ps1 result) ran a script other than
    the one the server's latest ``Bundle`` result expected for it.

    Said only when both are of the current bundle and that result checked the
    script (a run that stopped early may not have): otherwise nothing is known.
    Paths on Windows and hex digits compare case-insensitively.
    """
    if latest is None or bundle is None or bundle_id is None:
        return False
    result = latest.result
    if result.kind == "Bundle":
        return False
    if result.bundle_id != bundle_id or bundle.result.bundle_id != bundle_id:
        return False
    expected = expected_script_sha256(bundle, server)
    return expected is not None and expected != result.script_sha256.upper()


def expected_script_sha256(bundle: Loaded, server: str) -> str | None:
    """The SHA-256 (upper case) a ``Bundle`` result expected for ``server``'s
    Test-DrServer.ps1 (its manifest's, not what was found), or None: not checked."""
    wanted = f"sha256:{server}\\{SERVER_SCRIPT}".upper()
    for check in bundle.result.checks:
        if check.id.upper() == wanted:
            return check.expected.upper()
    return None


def _judge(
    latest: Loaded | None,
    kind: str,
    *,
    now: datetime,
    max_age: timedelta,
    bundle_id: str | None,
    known: bool,
    script_changed: bool = False,
    extra: tuple[Reason, ...] = (),
) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
    """(reasons, notes) of one cell; ``bundle_id`` None: no inventory was given.

    A drill's result (Ready, Active) has notes only: it is not part of the
    standby verdict. One that is stale or from another bundle is an earlier
    drill, whose failure is not noted either.
    """
    if latest is None:
        required = kind in REQUIRED_KINDS and known and bundle_id is not None
        return ((Reason.MISSING,) if required else ()), ()
    result = latest.result
    found = []
    if now - result.finished > max_age:
        found.append(Reason.STALE)
    if not known or (bundle_id is not None and result.bundle_id != bundle_id):
        found.append(Reason.FOREIGN)
    drill = kind not in REQUIRED_KINDS
    history = drill and known and bool(found)
    if (result.failed or not result.checks) and not history:
        found.insert(0, Reason.FAILED)
    if script_changed:
        found.append(Reason.SCRIPT_CHANGED)
    found += extra
    if kind == "Dormant" and result.after_drill:
        found.append(Reason.AFTER_DRILL)
    if result.finished - now > FUTURE_TOLERANCE:
        found.append(Reason.FUTURE)
    if drill and known:
        return (), tuple(found)
    return tuple(found), ()


def bundle_check_ids(site_files: Iterable[str]) -> tuple[str, ...]:
    """The check ids a complete Test-DrBundle.ps1 run has, for the site's files
    (paths below the site with backslashes, as the script lists them)."""
    ids = {f"sha256:{path}" for path in site_files}
    ids |= {f"signature:{path}" for path in site_files if path.endswith(".ps1")}
    # The code part of every script: the one its kind has in this drgen release.
    ids |= {f"code:{path}" for path in site_files if path.endswith(".ps1")}
    ids.add("signature:Test-DrBundle.ps1")
    return tuple(sorted(ids))


def _failed(result: DrillResult) -> bool:
    return bool(result.failed) or not result.checks


def _inconsistencies(
    latest: Loaded | None, kind: str, expectation: Expectation | None
) -> tuple[tuple[Reason, str], ...]:
    """What a result of the current bundle says against that bundle."""
    if latest is None or expectation is None:
        return ()
    result = latest.result
    if result.bundle_id.lower() != expectation.bundle_id.lower():
        return ()
    found: list[tuple[Reason, str]] = []
    name = latest.path.name
    for key, have, want in (
        (
            "inventory_sha256",
            result.inventory_sha256.lower(),
            expectation.inventory_sha256.lower(),
        ),
        ("drgen_version", result.drgen_version, expectation.drgen_version),
    ):
        if want and have != want:
            found.append(
                (
                    Reason.IDENTITY,
                    f"{name}: {key} is {have[:16]}, the current bundle's is "
                    f"{want[:16]}, yet its bundle_id is the current bundle's "
                    "(computed from both): not what the bundle's script wrote",
                )
            )
    # A run that failed (or stopped early) is "failed" already.
    if kind == "Bundle" and expectation.bundle_checks and not _failed(result):
        ran = {check.id.upper() for check in result.checks}
        missing = [c for c in expectation.bundle_checks if c.upper() not in ran]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            found.append(
                (
                    Reason.INCOMPLETE,
                    f"{name}: no check {missing[0]}{more}: the bundle's "
                    "Test-DrBundle.ps1 checks every file of the site",
                )
            )
    return tuple(found)


def _server(
    name: str,
    results: Sequence[Loaded],
    *,
    now: datetime,
    max_age: timedelta,
    bundle_id: str | None,
    known: bool = True,
    expectation: Expectation | None = None,
) -> ServerStatus:
    cells = []
    drills = [r for r in results if r.result.kind not in REQUIRED_KINDS]
    bundle = _latest([r for r in results if r.result.kind == "Bundle"])
    for kind in KINDS:
        mine = [r for r in results if r.result.kind == kind]
        latest = _latest(mine)
        changed = known and _script_changed(latest, bundle, name, bundle_id)
        details = _inconsistencies(latest, kind, expectation)
        reasons, notes = _judge(
            latest,
            kind,
            now=now,
            max_age=max_age,
            bundle_id=bundle_id,
            known=known,
            script_changed=changed,
            extra=tuple(dict.fromkeys(reason for reason, _ in details)),
        )
        # Any drill after the last Dormant run, from whichever bundle, means the
        # server was enabled since: its dormancy is no longer shown.
        if (
            kind == "Dormant"
            and latest is not None
            and any(d.result.finished > latest.result.finished for d in drills)
        ):
            reasons += (Reason.SUPERSEDED,)
        cells.append(Cell(name, kind, latest, reasons, len(mine), notes, details))
    return ServerStatus(name, tuple(cells), unknown=not known)


def _one_bundle_check(servers: Sequence[ServerStatus]) -> tuple[ServerStatus, ...]:
    """Mark the latest ``Bundle`` results of one bundle whose Test-DrBundle.ps1
    SHA-256s differ between the servers of the site (``bundle check differs``)."""
    by_bundle: dict[str, list[Cell]] = {}
    for server in servers:
        for cell in server.cells:
            if cell.kind == "Bundle" and cell.latest is not None:
                key = cell.latest.result.bundle_id.lower()
                by_bundle.setdefault(key, []).append(cell)
    differing: dict[int, str] = {}
    for cells in by_bundle.values():
        hashes = {c.latest.result.script_sha256.upper() for c in cells if c.latest}
        if len(hashes) < 2:
            continue
        for cell in cells:
            assert cell.latest is not None  # noqa: S101 - grouped above
            mine = cell.latest.result.script_sha256.upper()
            others = sorted(
                f"{c.server} {c.latest.result.script_sha256.upper()[:12]} "
                f"({c.latest.path.name})"
                for c in cells
                if c.latest is not None
                and c is not cell
                and c.latest.result.script_sha256.upper() != mine
            )
            if others:
                differing[id(cell)] = (
                    f"{cell.latest.path.name}: script_sha256 {mine[:12]}, but "
                    f"{'; '.join(others)}: the servers of one site ran different "
                    "copies of Test-DrBundle.ps1"
                )
    if not differing:
        return tuple(servers)
    marked = []
    for server in servers:
        cells = []
        for cell in server.cells:
            detail = differing.get(id(cell))
            if detail is not None:
                cell = dataclasses.replace(
                    cell,
                    reasons=(*cell.reasons, Reason.BUNDLE_DIFFERS),
                    details=(*cell.details, (Reason.BUNDLE_DIFFERS, detail)),
                )
            cells.append(cell)
        marked.append(dataclasses.replace(server, cells=tuple(cells)))
    return tuple(marked)


def _drill_flaw(
    each: Loaded,
    bundle: Loaded | None,
    server: str,
    expectation: Expectation,
    now: datetime,
) -> str | None:
    """Why a drill's result does not count towards the last full drill, or None."""
    result = each.result
    if result.bundle_id.lower() != expectation.bundle_id.lower():
        return "of another bundle"
    if result.finished - now > FUTURE_TOLERANCE:
        return "dated after this report"
    if _inconsistencies(each, result.kind, expectation):
        return "whose inventory or drgen version is not the bundle's"
    if _script_changed(each, bundle, server, expectation.bundle_id):
        return "run by a Test-DrServer.ps1 other than the bundle's"
    return None


def last_drill(
    results: Sequence[Loaded], expectation: Expectation, *, now: datetime
) -> LastDrill:
    """The last full drill of the current bundle on ``expectation``'s site.

    ``results`` are the site's (of its inventory). Per DR server and drill kind
    the latest result that counts: of the current bundle, not dated after
    ``now``, with the bundle's identity and, where the server's latest bundle
    check says which Test-DrServer.ps1 the bundle has, run by that one. Stale
    results count (the date shows their age); failed ones count and make the
    drill a failed one.
    """
    grouped = _by_computer(results)
    counted: list[tuple[str, Loaded]] = []
    gaps: list[DrillGap] = []
    for server in expectation.servers:
        mine = grouped.get(server.upper(), [])
        bundle = _latest([r for r in mine if r.result.kind == "Bundle"])
        for kind in DRILL_KINDS:
            flaws = {
                id(r): _drill_flaw(r, bundle, server, expectation, now)
                for r in mine
                if r.result.kind == kind
            }
            good = [r for r in mine if r.result.kind == kind and flaws[id(r)] is None]
            latest = _latest(good)
            if latest is None:
                why = sorted({flaw for flaw in flaws.values() if flaw})
                gaps.append(DrillGap(server, kind, tuple(why)))
            else:
                counted.append((server, latest))
    return LastDrill(tuple(counted), tuple(gaps))


def _by_computer(results: Iterable[Loaded]) -> dict[str, list[Loaded]]:
    grouped: dict[str, list[Loaded]] = {}
    for each in results:
        grouped.setdefault(each.result.computer.upper(), []).append(each)
    return grouped


def evaluate(
    results: Sequence[Loaded],
    *,
    now: datetime,
    max_age: timedelta,
    expectation: Expectation | None = None,
    drift_errors: int = 0,
) -> Readiness:
    """The verdict on ``results`` at ``now`` (see the module docstring)."""
    if expectation is None:
        sites = []
        for site in sorted({r.result.site for r in results}, key=str.upper):
            grouped = _by_computer(r for r in results if r.result.site == site)
            servers = tuple(
                _server(
                    grouped[name][0].result.computer,
                    grouped[name],
                    now=now,
                    max_age=max_age,
                    bundle_id=None,
                )
                for name in sorted(grouped)
            )
            servers = _one_bundle_check(servers)
            sites.append(SiteStatus(site, None, servers, None))
        return Readiness(now, max_age, tuple(sites), (), len(results), drift_errors)
    # Computer names are case-insensitive on Windows; the inventory's spelling wins.
    mine = [
        r
        for r in results
        if r.result.site == expectation.site
        and r.result.inventory == expectation.inventory
    ]
    other = tuple(r for r in results if r not in mine)
    grouped = _by_computer(mine)
    judged = [
        _server(
            name,
            grouped.pop(name.upper(), []),
            now=now,
            max_age=max_age,
            bundle_id=expectation.bundle_id,
            expectation=expectation,
        )
        for name in expectation.servers
    ]
    judged += [
        _server(
            found[0].result.computer,
            found,
            now=now,
            max_age=max_age,
            bundle_id=expectation.bundle_id,
            known=False,
        )
        for _, found in sorted(grouped.items())
    ]
    status = SiteStatus(
        expectation.site,
        expectation.inventory,
        _one_bundle_check(judged),
        expectation.bundle_id,
        last_drill(mine, expectation, now=now),
    )
    return Readiness(now, max_age, (status,), other, len(results), drift_errors)


__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "DRILL_KINDS",
    "FUTURE_TOLERANCE",
    "KINDS",
    "REQUIRED_KINDS",
    "SERVER_SCRIPT",
    "Cell",
    "DrillGap",
    "Expectation",
    "LastDrill",
    "Loaded",
    "Readiness",
    "Reason",
    "ServerStatus",
    "SiteStatus",
    "bundle_check_ids",
    "evaluate",
    "expected_script_sha256",
    "last_drill",
]
