"""The sample drill results judged: loaded as the generator makes them today,
the expectation of a plan, the verdict at the samples' moment, its reasons."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path

from generator import api
from generator.evidence.readiness import (
    DEFAULT_MAX_AGE_DAYS,
    Expectation,
    Loaded,
    Readiness,
    Reason,
    evaluate,
)
from generator.evidence.results import (
    parse_result,
)
from generator.plan.site import Plan
from generator.render.environment import make_environment
from tests.support.sample_results import (
    SAMPLE_NOW,
    SAMPLES,
    sample_files,
)

MAX_AGE = timedelta(days=DEFAULT_MAX_AGE_DAYS)
# A Test-DrServer.ps1 edited on the server (or copied from elsewhere).
EDITED_SCRIPT = hashlib.sha256(b"Test-DrServer.ps1 edited on the server").hexdigest()


@cache
def fresh_samples(stem: str) -> tuple[Loaded, ...]:
    return tuple(
        Loaded(SAMPLES / Path(relative), parse_result(text, SAMPLES / Path(relative)))
        for relative, text in sorted(sample_files().items())
        if relative.parts[0] == stem
    )


def loaded(stem: str) -> list[Loaded]:
    """The samples of one example as the generator makes them today (the
    committed files are held to the same text by the last tests here)."""
    return list(fresh_samples(stem))


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


def with_update(item: Loaded, **update) -> Loaded:
    return Loaded(item.path, item.result.model_copy(update=update))


def pick(results: list[Loaded], computer: str, kind: str) -> int:
    (index,) = [
        i
        for i, r in enumerate(results)
        if r.result.computer == computer.upper() and r.result.kind == kind
    ]
    return index


Mutation = Callable[[list[Loaded]], None]


def drop(computer: str, kind: str) -> Mutation:
    def mutate(results: list[Loaded]) -> None:
        del results[pick(results, computer, kind)]

    return mutate
