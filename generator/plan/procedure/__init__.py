"""The DR procedure of a site, from standby to failback: one definition that both
runbooks print (``model`` says its shape, one module per stretch of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.plan.procedure.afterwards import rearm, stand_down
from generator.plan.procedure.common import SERVER_FOLDER, SITE_FOLDER
from generator.plan.procedure.failback import failback
from generator.plan.procedure.failover import failover
from generator.plan.procedure.model import Actor, Decision, IfFails, Phase, Step
from generator.plan.procedure.standby import bundle_check, drill, prepare

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan


def procedure(site: SitePlan) -> tuple[Phase, ...]:
    """Every phase of the site's procedure, in order."""
    return (
        bundle_check(site),
        prepare(site),
        drill(site),
        failover(site),
        stand_down(site),
        rearm(site),
        failback(site),
    )


__all__ = [
    "SERVER_FOLDER",
    "SITE_FOLDER",
    "Actor",
    "Decision",
    "IfFails",
    "Phase",
    "Step",
    "procedure",
]
