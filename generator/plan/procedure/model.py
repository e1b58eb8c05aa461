"""The shape of the DR procedure: phases of numbered steps, each with its way out.

One definition for both runbooks: ``templates/site/Runbook.md.jinja`` and
``Runbook.html.jinja`` print these objects and write no step of their own. A
step says who does it, where, the exact commands, what success looks like,
which computers sign it off, and what to do if it fails; the type makes the
last one impossible to leave out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from generator.plan.prose import Prose, plain


class Actor(enum.Enum):
    """Who does a step."""

    SCRIPT = "drgen script"
    DBA = "DBA"
    ADMIN = "BizTalk administrator"


class Decision(enum.Enum):
    """What to do when a step fails: the on-call admin's choice, made in advance."""

    STOP = "Stop and escalate"
    FIX = "Fix the cause, then run the step again"
    CONTINUE = "Note it in the run record and continue"
    ABORT = "Stop and take the abort path of this phase"


@dataclass(frozen=True, slots=True)
class IfFails:
    """The way out of a failed step: where its record is, whether running it again
    is safe, and the decision (with what to do first)."""

    log: Prose
    rerun: Prose
    decision: Decision
    then: Prose = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One numbered step.

    ``runs_on`` lists the computers (or SQL instances) it is done on, in order,
    each a name in code or a short description: the printed runbook gives each
    one a row to tick and sign. A step without
    ``commands`` is done by hand (a DBA's or an administrator's task).
    """

    number: str
    title: str
    actor: Actor
    commands: tuple[str, ...]
    folder: str
    runs_on: tuple[Prose, ...]
    success: Prose
    if_fails: IfFails
    details: tuple[Prose, ...] = ()

    @property
    def by_hand(self) -> bool:
        """No drgen script does this step."""
        return not self.commands

    @property
    def targets(self) -> tuple[str, ...]:
        """``runs_on`` as plain text, one per sign-off row."""
        return tuple(plain(t) for t in self.runs_on)


@dataclass(frozen=True, slots=True)
class Phase:
    """A numbered phase of the runbook (bundle check, prepare, failover, ...).

    ``abort`` is the way back out of the whole phase once it has started (the
    failover's: disable the DR servers, production resumes); empty when a phase
    has nothing to undo.
    """

    number: str
    title: str
    intro: Prose
    steps: tuple[Step, ...]
    abort: tuple[Prose, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """The id of its section (for the table of contents)."""
        return f"phase-{self.number}"
