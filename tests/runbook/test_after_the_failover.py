"""After the failover: the stand down, the abort path, the re-arm and the failback
agree with each other, with Reset-DrServer.ps1's refusals and with Microsoft's
pages (generator.plan.procedure: afterwards, failover, failback)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from generator.catalogue import CATALOGUE as N
from generator.plan.contexts import SiteRunbook
from generator.plan.procedure import Actor, Phase, Step
from generator.plan.prose import Code, Prose, plain
from generator.plan.runbook import RunbookDocument
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support.paths import EXAMPLES
from tests.support.pwsh_oracle import node_text
from tests.support.scripts import artifact, function, script_of

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]

UPDATEDB = N["exe:ssomanage.exe"] + " " + N["arg:ssomanage.exe-updatedb"]
RESTORE_SECRET = N["exe:ssoconfig.exe"] + " " + N["arg:ssoconfig.exe-restoreSecret"]
DISPLAYDB = N["exe:ssomanage.exe"] + " " + N["arg:ssomanage.exe-displaydb"]
SSO_SERVER_NAME = (
    N["wmi:MSBTS_GroupSetting"] + "." + N["wmi:MSBTS_GroupSetting.SSOServerName"]
)
# The occasions on which a DR site is re-armed: production runs again.
OCCASIONS = ("drill", "aborted failover", "failback")
RESET = "Reset-DrServer.ps1"


def document(plan: Plan) -> RunbookDocument:
    (spec,) = [s for s in plan.artifacts if s.path.name == "Runbook.md"]
    assert isinstance(spec.context, SiteRunbook)
    return spec.context.runbook


def phase(doc: RunbookDocument, title: str) -> Phase:
    (found,) = [p for p in doc.phases if p.title.startswith(title)]
    return found


def codes_in(sentence: Prose) -> list[str]:
    return [s.text for s in sentence if isinstance(s, Code)]


def said(step: Step) -> str:
    return " ".join(plain(p) for p in (step.success, *step.details))


def md_section(markdown: str, step: Step) -> str:
    """One step of Runbook.md, from its heading to the next heading."""
    start = markdown.index(f"### {step.number} {step.title}\n")
    return markdown[start:].split("\n#", 1)[0]


# --- finding: the master secret and the group's SSO server at failback ------


def sso_step(plan: Plan) -> Step:
    failback = phase(document(plan), "Failback")
    (found,) = [
        s for s in failback.steps if any(UPDATEDB in codes_in(d) for d in s.details)
    ]
    return found


@pytest.mark.parametrize("stem", EXAMPLES)
def test_failback_restarts_sso_between_updatedb_and_the_secret_restore(
    rendered: Rendered, plans: dict[str, Plan], stem: str
) -> None:
    """How to Move the Master Secret Server: -updatedb, restart Enterprise SSO on
    the new master secret server, then restore the secret there; then the group's
    SSO Server name back on it (How to Update the Runtime Computers, the note)."""
    plan = plans[stem]
    step = sso_step(plan)
    server = plan.site.production_master_secret_server
    assert server
    assert server not in plan.site.server_names
    (sentence,) = [d for d in step.details if UPDATEDB in codes_in(d)]
    spans = codes_in(sentence)
    assert spans.index(UPDATEDB) < spans.index(N["svc:ENTSSO"])
    assert spans.index(N["svc:ENTSSO"]) < spans.index(RESTORE_SECRET)
    assert "restart" in plain(sentence)
    assert server in spans
    # The SSO Server name comes after the restore, naming production again.
    later = step.details[step.details.index(sentence) + 1 :]
    (group,) = [d for d in later if SSO_SERVER_NAME in codes_in(d)]
    assert server in codes_in(group)
    assert plan.site.master_secret_server in codes_in(group)
    assert "Group Properties" in plain(step.success) + plain(group)
    # The success line says how to check both.
    success = codes_in(step.success)
    assert DISPLAYDB in success
    assert success.count(server) >= 2
    assert "SSO Server name" in plain(step.success)
    assert "How to Move the Master Secret Server" in said(step)
    assert "How to Update the Runtime Computers" in said(step)
    # Both runbooks print it in that order.
    text = md_section(artifact(rendered, stem, "Runbook.md").text, step)
    at = [
        text.index(f"`{UPDATEDB}`"),
        text.index(f"`{N['svc:ENTSSO']}`"),
        text.index(f"`{RESTORE_SECRET}`"),
        text.index(f"`{SSO_SERVER_NAME}`"),
    ]
    assert at == sorted(at)
    html = artifact(rendered, stem, "Runbook.html").text
    html_step = html[html.index(f'<span class="num">{step.number}</span>') :]
    html_step = html_step[: html_step.index("</section>")]
    at = [html_step.index(name) for name in (UPDATEDB, "ENTSSO", RESTORE_SECRET)]
    assert at == sorted(at)


# --- finding: the jobs Restore To Mark re-created, before the isolation ends --


def restored_jobs_step(p: Phase) -> Step:
    (found,) = [s for s in p.steps if "re-created" in s.title]
    return found


@pytest.mark.parametrize("stem", EXAMPLES)
def test_stand_down_disables_the_restored_jobs_before_the_isolation_is_lifted(
    plans: dict[str, Plan], stem: str
) -> None:
    plan = plans[stem]
    doc = document(plan)
    stand_down = phase(doc, "Stand down")
    step = restored_jobs_step(stand_down)
    assert step.actor is Actor.DBA
    assert step.by_hand
    assert step.targets == plan.site.dr_sql_instances
    success = plain(step.success)
    assert "Restore To Mark" in success
    assert "disabled" in success.lower()
    assert N["job:BackupBizTalkServer"] in codes_in(step.success)
    assert N["job:RestoreDatabases"] in codes_in(step.success)
    assert any(
        N["job:GetBackupHistory"] in codes_in(d) and "may keep running" in plain(d)
        for d in step.details
    )
    assert "Do not lift the isolation" in plain(step.if_fails.then)
    assert "How to Configure the Destination System for Log Shipping" in said(step)
    assert "Cleaning the Destination Environment" in said(step)
    # The isolation is lifted after the phase's last step, and the phase is done
    # while the drill is still isolated.
    intro = plain(stand_down.intro)
    assert intro.index("still isolated") < intro.index("Lift the isolation only")
    assert "every step passed" in intro
    # The drill's ending says the same order: stand down, lift, re-arm.
    drill = plain(phase(doc, "DR drill").intro)
    order = [
        drill.index("Stand down"),
        drill.index("while still isolated"),
        drill.index("lift the isolation"),
        drill.index("Re-arm"),
    ]
    assert order == sorted(order)
    assert "SQL instance" in drill[order[0] : order[1]]
    # Re-arm deletes what the stand down disabled, after it.
    rearm = phase(doc, "Re-arm")
    assert any("disabled since" in plain(s.success) for s in rearm.steps)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_the_abort_path_disables_the_restored_jobs_before_production_resumes(
    plans: dict[str, Plan], stem: str
) -> None:
    failover = phase(document(plans[stem]), "Failover")
    lines = [plain(line) for line in failover.abort]
    (jobs,) = [i for i, t in enumerate(lines) if "job it re-created" in t]
    (resume,) = [i for i, t in enumerate(lines) if "In production, start again" in t]
    assert jobs < resume
    assert lines[jobs].split(" ", 1)[1].startswith("If Restore To Mark ran")
    assert N["job:GetBackupHistory"] in lines[jobs]
    # The abort path's lines are numbered in order.
    numbers = [int(t.split(".", 1)[0]) for t in lines[1:]]
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("stem", EXAMPLES)
def test_an_abort_before_the_restore_is_standby_only_with_production_names(
    plans: dict[str, Plan], stem: str
) -> None:
    """-AfterDrill accepts a registry naming DR; a standby is judged without it,
    and a server Enable got as far as UpdateRegistry.vbs on is reset first."""
    failover = phase(document(plans[stem]), "Failover")
    (line,) = [
        plain(t) for t in failover.abort if "If Restore To Mark has not run" in plain(t)
    ]
    standby = line.split("If it ran:", 1)[0]
    assert "without -AfterDrill" in standby, line
    assert "Test-DrServer.ps1 -AfterDrill" not in standby, line
    assert "Reset-DrServer.ps1" in standby, line


# --- finding: re-arm after a drill, an aborted failover or a failback ---------


def script_names(doc: RunbookDocument) -> set[str]:
    return {c.split()[0].removeprefix(".\\") for c in doc.commands}


@pytest.mark.parametrize("stem", EXAMPLES)
def test_no_step_done_by_hand_runs_drgen_scripts(
    plans: dict[str, Plan], stem: str
) -> None:
    """A step printed "by hand" neither names a drgen script nor passes when a
    phase of drgen scripts passed."""
    doc = document(plans[stem])
    scripted = [p.title for p in doc.phases if any(s.commands for s in p.steps)]
    for step in doc.steps:
        if not step.by_hand:
            continue
        what = step.title + " " + plain(step.success)
        for name in script_names(doc):
            assert name not in what, (step.number, name)
        # "the Re-arm phase passed", "the Stand down phase": a phase by its name.
        for named in re.finditer(r"([A-Z][\w-]*(?: [a-z]+)?) phase", what):
            assert not [t for t in scripted if t.startswith(named[1])], (
                step.number,
                named[0],
            )


@pytest.mark.parametrize("stem", EXAMPLES)
def test_failback_runs_the_rearm_phase_as_drgen_scripts(
    plans: dict[str, Plan], stem: str
) -> None:
    doc = document(plans[stem])
    rearm = phase(doc, "Re-arm")
    last = phase(doc, "Failback").steps[-1]
    assert last.actor is Actor.SCRIPT
    assert not last.by_hand
    assert last.commands == rearm.steps[0].commands == (".\\Reset-DrServer.ps1",)
    assert f"{rearm.steps[0].number} to {rearm.steps[-1].number}" in plain(last.success)


def refusals(text: str) -> list[str]:
    """Reset-DrServer.ps1's refusal messages ('Nothing was changed: ...')."""
    return [
        m.replace("''", "'")
        for m in re.findall(r"'((?:[^']|'')*Nothing was changed(?:[^']|'')*)'", text)
    ]


@pytest.mark.parametrize("stem", EXAMPLES)
def test_rearm_phase_and_reset_refusals_name_the_same_occasions(
    rendered: Rendered, plans: dict[str, Plan], stem: str
) -> None:
    """Phase 5, its title, 5.1's refusal, and Reset-DrServer.ps1's own refusals all
    re-arm after a drill, an aborted failover or a failback, and send a real
    failover to the failback."""
    plan = plans[stem]
    doc = document(plan)
    rearm = phase(doc, "Re-arm")
    for text in (rearm.title, plain(rearm.intro)):
        for occasion in OCCASIONS:
            assert occasion in text, (text, occasion)
    assert "fail back first" in plain(rearm.intro)
    refusal = plain(rearm.steps[0].if_fails.then)
    assert "abort path" in refusal
    assert "fence" in refusal
    resets = [a for path, a in rendered[stem].items() if path.name == RESET]
    assert len(resets) == len(plan.site.server_names)
    # The code below the data block is the same in every server's copy.
    reset = script_of(resets[0])
    found = [
        r
        for name in ("Assert-DrStoodDown", "Assert-DrProductionGroup")
        for r in refusals(node_text(function(reset, name)))
    ]
    assert len(found) == 2, found
    stood_down, production = found
    assert "aborted failover" in stood_down
    assert "failback" in stood_down
    assert "fail back first" in stood_down
    for occasion in OCCASIONS:
        assert occasion in production, occasion
    assert "fail back first" in production


# --- finding: the Administration console back on the production group --------


@pytest.mark.parametrize("stem", EXAMPLES)
def test_rearm_connects_the_console_to_the_production_group(
    plans: dict[str, Plan], stem: str
) -> None:
    plan = plans[stem]
    rearm = phase(document(plan), "Re-arm")
    (console,) = [s for s in rearm.steps if "Administration console" in s.title]
    index = rearm.steps.index(console)
    reset = next(i for i, s in enumerate(rearm.steps) if s.commands)
    initialize = next(
        i
        for i, s in enumerate(rearm.steps)
        if ".\\Initialize-DrServer.ps1" in s.commands
    )
    assert reset < index < initialize
    assert console.actor is Actor.ADMIN
    assert console.by_hand
    assert console.targets == plan.site.server_names
    success = plain(console.success)
    assert "Remove" in success
    assert "Connect to Existing Group" in success
    production = plan.site.production_mgmt
    assert [production.name, production.server] == codes_in(console.success)
    assert "How to Update the Runtime Computers" in said(console)
    assert "How to Restore Your Databases" in said(console)
