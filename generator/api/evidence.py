"""The evidence commands of the library: ``report`` (the readiness verdict on
drill results, and its HTML page) and ``facts_check`` (what a lab probe's result
says about the catalogue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import jinja2

from generator.api.discovery import drift
from generator.api.inventories import plan
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import UsageError, relative_display
from generator.evidence.labfacts import LabReport, check_result
from generator.plan.site import Plan
from generator.render.environment import make_environment

if TYPE_CHECKING:
    from generator.evidence.readiness import Expectation, Readiness
    from generator.evidence.report_view import DriftView
    from generator.evidence.results import Unread


@dataclass(frozen=True, slots=True)
class Report:
    """``drgen report``: the readiness verdict, its HTML page and its console lines."""

    readiness: Readiness
    html: str
    # The files of the results folders not read as drill results, and why.
    unread: tuple[Unread, ...] = ()
    # Per site the standby verdict, the last full drill and each reason with its
    # fix; each file not read; the verdict (``evidence.report_text``).
    lines: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """True when every site judged is a ready standby and every ``*.json``
        file of the results folders was read (but a lab probe's result): a file
        not read may be a server's latest result."""
        return self.readiness.ready and not any(each.counts for each in self.unread)


def report(
    results: Sequence[Path],
    *,
    now: datetime,
    inventory: Path | None = None,
    drift: Path | None = None,
    max_age: timedelta | None = None,
    templates: Path = DEFAULT_TEMPLATES,
) -> Report:
    """Judge drill results (files, or folders searched for them) at ``now``.

    With ``inventory``, the site's DR servers and the bundle id of its current
    render are known: a server without a result, or a result from another bundle,
    makes the site not ready. ``max_age`` defaults to
    ``readiness.DEFAULT_MAX_AGE_DAYS``. Writes nothing.

    A ``*.json`` file of a folder that is not named like a drill result is
    listed in ``Report.unread`` (with why), never passed over in silence, and
    makes the report not ready unless it is a lab probe's result.

    Raises:
        ResultError: a file named like a result (or named directly) is
            unreadable or malformed (located).
        InventoryError: the inventory is invalid.
    """
    from generator.evidence.readiness import DEFAULT_MAX_AGE_DAYS, Loaded, evaluate
    from generator.evidence.report import render_report, report_context
    from generator.evidence.report_text import report_lines
    from generator.evidence.results import read_result, scan_results

    if not templates.is_dir():
        raise UsageError(f"{templates}: --templates must be a directory")
    if drift is not None and inventory is None:
        raise UsageError("--drift needs --inventory (drift is production against it)")
    paths, unread = scan_results(results)
    loaded = [Loaded(path, read_result(path)) for path in paths]
    expectation = None
    capacity = None
    drift_view = None
    if inventory is not None:
        (each,) = plan([inventory])
        expectation = report_expectation(each, make_environment(templates))
        capacity = each.capacity
    if max_age is None:
        max_age = timedelta(days=DEFAULT_MAX_AGE_DAYS)
    if inventory is not None and drift is not None:
        drift_view = _drift_view(inventory, drift, now, max_age)
    readiness = evaluate(
        loaded,
        now=now,
        max_age=max_age,
        expectation=expectation,
        drift_errors=drift_view.errors if drift_view else 0,
    )
    context = report_context(
        readiness,
        loaded,
        capacity=capacity,
        drift=drift_view,
        display=relative_display,
        unread=unread,
    )
    html = render_report(context, templates)
    return Report(readiness, html, unread, report_lines(context))


def report_expectation(each: Plan, env: jinja2.Environment) -> Expectation:
    """What ``drgen report --inventory`` holds the results of ``each``'s site to:
    its DR servers, the bundle id of its render today and what that id is
    computed from, and every check its Test-DrBundle.ps1 makes."""
    from generator.bundle.build import plan_identity
    from generator.evidence.readiness import Expectation, bundle_check_ids

    identity = plan_identity(each, env)
    return Expectation(
        each.site.site,
        each.inventory_name,
        each.site.server_names,
        identity.bundle_id,
        identity.inventory_sha256,
        identity.drgen_version,
        bundle_check_ids(_site_files(each)),
    )


def _site_files(each: Plan) -> tuple[str, ...]:
    """The files of the DR site that its Test-DrBundle.ps1 lists, as it lists them
    (below the site, backslashes): every file of the site but itself."""
    from generator.plan.outputs import BUNDLE_CHECK_NAME

    site = PurePosixPath(each.site.stem, each.site.site)
    return tuple(
        "\\".join(spec.path.relative_to(site).parts)
        for spec in each.artifacts
        if site in spec.path.parents and spec.path != site / BUNDLE_CHECK_NAME
    )


def _drift_view(
    inventory: Path, discovery: Path, now: datetime, max_age: timedelta
) -> DriftView:
    """The drift findings of ``discovery`` against ``inventory``, for the report
    (a discovery older than ``max_age`` is one more finding)."""
    from generator.evidence.report import drift_view

    found = drift(inventory, discovery, now=now, max_age=max_age)
    return drift_view(found, relative_display(discovery))


def facts_check(result: Path) -> LabReport:
    """What a lab probe's result says about every catalogue fact below documented."""
    return check_result(result)
