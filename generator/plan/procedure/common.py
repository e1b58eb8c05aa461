"""What the steps of every phase share: where commands are typed, where each kind
of step leaves its record, and how to number a phase's steps."""

from __future__ import annotations

from dataclasses import dataclass

from generator.plan.procedure.model import Actor, Decision, IfFails, Step
from generator.plan.prose import Code, Prose, prose

# Where a command is typed; the scripts refuse to run from anywhere else.
SITE_FOLDER = "the site folder"
SERVER_FOLDER = "the DR server's own folder"

# Every script logs a transcript to logs\<script>-<yyyyMMdd-HHmmss>.log beside
# itself (templates/_partials/helpers.ps1.jinja, Start-DrLog); the test scripts
# also write logs\<script>-<COMPUTER>-<UTC time>.json for drgen report.
TESTS_WITH_RESULTS = ("Test-DrBundle", "Test-DrServer")


def script_log(*scripts: str, folder: str) -> Prose:
    """Where the scripts of a step leave their record, as the runbook says it."""
    spans: list[str | Code] = []
    for i, script in enumerate(scripts):
        if i:
            spans.append("; ")
        spans.append(Code(f"logs\\{script}-<date>-<time>.log"))
        if script in TESTS_WITH_RESULTS:
            result = Code(f"logs\\{script}-<computer>-<time>.json")
            spans += [" and its result ", result]
    return prose(*spans, f" in {folder}; the last lines name the step that failed.")


SAFE_TO_RERUN: Prose = (
    "Yes: every step checks before it changes anything, so a second run changes "
    "only what is still wrong, and an interrupted run finishes on the next.",
)
READS_ONLY: Prose = ("Yes: it changes nothing.",)
JOB_HISTORY: Prose = (
    "The job's history on each instance (SQL Server Agent, Jobs, View History).",
)
RUN_RECORD: Prose = ("None of its own: note in the run record what was done.",)


def fails(log: Prose, rerun: Prose, decision: Decision, then: Prose = ()) -> IfFails:
    """An ``IfFails`` (shorter to read in the phase modules)."""
    return IfFails(log, rerun, decision, then)


@dataclass(frozen=True, slots=True)
class Draft:
    """A step before its number: phases leave out what a site does not need
    (BAM steps without BAM), so numbers are given once the list is final."""

    title: str
    actor: Actor
    commands: tuple[str, ...]
    folder: str
    # A str is a computer or SQL instance (printed as code); a Prose describes one.
    runs_on: tuple[str | Prose, ...]
    success: Prose
    if_fails: IfFails
    details: tuple[Prose, ...] = ()


def _target(target: str | Prose) -> Prose:
    return (Code(target),) if isinstance(target, str) else target


def numbered(phase: str, drafts: list[Draft]) -> tuple[Step, ...]:
    """The drafts as steps ``<phase>.1``, ``<phase>.2``, ... in order."""
    return tuple(
        Step(
            f"{phase}.{i}",
            d.title,
            d.actor,
            d.commands,
            d.folder,
            tuple(_target(r) for r in d.runs_on),
            d.success,
            d.if_fails,
            d.details,
        )
        for i, d in enumerate(drafts, start=1)
    )


def by_hand(
    title: str,
    actor: Actor,
    runs_on: tuple[str | Prose, ...],
    success: Prose,
    if_fails: IfFails,
    *details: Prose,
) -> Draft:
    """A step no drgen script does."""
    return Draft(title, actor, (), "", runs_on, success, if_fails, details)


def script(
    title: str,
    commands: tuple[str, ...],
    folder: str,
    runs_on: tuple[str | Prose, ...],
    success: Prose,
    if_fails: IfFails,
    *details: Prose,
) -> Draft:
    """A step a drgen script does."""
    return Draft(
        title, Actor.SCRIPT, commands, folder, runs_on, success, if_fails, details
    )


__all__ = [
    "JOB_HISTORY",
    "READS_ONLY",
    "RUN_RECORD",
    "SAFE_TO_RERUN",
    "SERVER_FOLDER",
    "SITE_FOLDER",
    "Draft",
    "by_hand",
    "fails",
    "numbered",
    "script",
    "script_log",
]
