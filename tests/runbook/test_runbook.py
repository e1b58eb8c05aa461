"""The site runbook: every server, the failover order and what each step says, and
text that stays text."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE, Confidence
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import make_environment
from generator.render.markdown import md, md_code
from tests.support.inventories import consolidated_text, edit, inventory
from tests.support.paths import EXAMPLES
from tests.support.runbook import Item, failover, steps

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]


def runbook(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]], stem: str
) -> str:
    (art,) = [a for p, a in rendered[stem].items() if p.name == "Runbook.md"]
    return art.text


def test_every_dr_server_and_role_is_listed(rendered, plans: dict[str, Plan]) -> None:
    for stem, plan in plans.items():
        text = runbook(rendered, stem)
        rows = [line for line in text.splitlines() if line.startswith("| `")]
        for server in plan.site.servers:
            (row,) = [r for r in rows if r.startswith(f"| `{server.name}` |")]
            for role in server.roles:
                assert f"`{role}`" in row
            for instance in server.host_instances:
                assert f"`{instance.host}`" in row


def test_failover_order(rendered, plans: dict[str, Plan]) -> None:
    for stem, plan in plans.items():
        items = failover(rendered, stem)
        site = plan.site

        def first(test: Callable[[Item], bool], items: list[Item] = items) -> int:
            return next(i for i, item in enumerate(items) if test(item))

        order = [
            first(lambda i: i.text.startswith("Not in a drill:")),
            first(lambda i: "Restore To Mark" in i.text),
            first(lambda i: ".\\Update-DrGroupDatabases.ps1" in i.code),
            first(
                lambda i: (
                    ".\\Enable-DrServer.ps1 -NoStart -SecretBackupFile "
                    "<secret backup>" in i.code
                )
            ),
            first(lambda i: ".\\Test-DrServer.ps1 -Expect Active" in i.code),
        ]
        assert order == sorted(order), stem
        assert site.update_databases_server in items[order[2]].code, stem
        assert site.master_secret_server in items[order[3]].code, stem
    items = failover(rendered, "example")
    (others,) = [i for i in items if i.text.startswith("Enable the other DR servers")]
    # Signed off on each other server; the text names the master it waits for.
    assert others.code[:2] == ("DRserver2", "DRserver3")
    assert "names `DRserver1` as master secret server" in others.text


def test_bundle_check_comes_first(rendered) -> None:
    text = runbook(rendered, "example")
    assert text.index("Test-DrBundle.ps1") < text.index("Initialize-DrServer.ps1")


@given(st.text(min_size=1, max_size=40))
def test_md_code_is_one_code_span(value: str) -> None:
    span = md_code(value)
    fence = re.match(r"`+", span)
    assert fence is not None
    assert span.endswith(fence.group(0))
    inner = span[len(fence.group(0)) : -len(fence.group(0))]
    assert fence.group(0) not in inner  # the value cannot close the span early
    assert "|" not in inner.replace("\\|", "")


@given(st.text(max_size=40))
def test_md_escapes_every_markup_character(value: str) -> None:
    escaped = md(value)
    assert re.search(r"(?<!\\)[`*_|<>\[\]#]", escaped.replace("\\\\", "")) is None


# ----------------------------------------------------------------- failover steps
# Read through markdown-it (tests/support/runbook.py: steps): each numbered step
# with its text and code spans. Expected names come from the inventory or are
# Microsoft's documented spellings, written out here.

#: database-structure-and-jobs.md: MessageBox_Message_Cleanup_BizTalkMsgBoxDb, "an
#: unscheduled job which is started by the MessageBox_Message_ManageRefCountLog_...
#: job"; the job name ends in the MessageBox database name, one job per MessageBox.
CLEANUP_JOB_PREFIX = "MessageBox_Message_Cleanup_"


def agent_step(items: list[Item]) -> Item:
    (found,) = [i for i in items if i.text.startswith("DBA: SQL Agent jobs at DR")]
    return found


def test_cleanup_job_of_each_messagebox_stays_disabled(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """All BizTalk jobs are enabled at DR except each MessageBox's cleanup job."""
    for stem, plan in plans.items():
        step = agent_step(failover(rendered, stem))
        boxes = inventory(stem).group.databases.messageboxes
        expected = [CLEANUP_JOB_PREFIX + box.name for box in boxes]
        assert list(plan.site.messagebox_cleanup_jobs) == expected, stem
        jobs = [c for c in step.code if c.startswith("MessageBox_")]
        assert jobs == expected, stem
        assert "Every BizTalk SQL Agent job is enabled but `MessageBox_" in step.text
        assert "The cleanup job of each MessageBox is started by" in step.text, stem
        assert "ManageRefCountLog" not in " ".join(step.code), stem
    assert len(plans["consolidated"].site.messagebox_cleanup_jobs) == 2
    entry = CATALOGUE.entry("answer:job-prefix/MessageBoxMessageCleanup")
    assert entry.name == CLEANUP_JOB_PREFIX
    assert entry.confidence is Confidence.DOCUMENTED
    assert entry.source.endswith("biztalk/core/database-structure-and-jobs.md")


def test_failover_starts_by_stopping_what_production_still_runs(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """Step 1: production, if partly alive, stops processing before any restore."""
    for stem, plan in plans.items():
        items = failover(rendered, stem)
        first = items[0]
        assert first.text.startswith("Not in a drill: stop processing in production")
        inv = inventory(stem)
        for server in inv.production.servers:
            assert server.name in first.code, (stem, server.name)
        dbs = inv.group.databases
        for db in (dbs.management, dbs.sso, dbs.tracking, *dbs.messageboxes):
            assert db.server in first.code, (stem, db.server)
            assert db.server in plan.site.production_sql_instances, stem
        # The documented service names (how-to-start-stop-...-services.md).
        assert {"ENTSSO", "RuleEngineUpdateService"} <= set(first.code), stem
        for what in ("disable the receive locations", "host instances", "SQL Agent"):
            assert what in first.text, (stem, what)
        assert list(plan.site.production_servers) == [
            s.name for s in inv.production.servers
        ]
        mark = next(i for i, item in enumerate(items) if "Restore To Mark" in item.text)
        assert mark == 1, stem
        assert [item.number for item in items] == list(range(1, len(items) + 1))


def test_unattended_example_says_where_it_is_typed(rendered: Rendered) -> None:
    """In a PowerShell console $false and $LASTEXITCODE would be expanded first."""
    for stem in EXAMPLES:
        tokens = MarkdownIt().parse(runbook(rendered, stem))
        (block,) = [
            i
            for i, t in enumerate(tokens)
            if t.type == "code_block" and "-NonInteractive -Command" in t.content
        ]
        lead = tokens[block - 2]  # paragraph_open, inline, paragraph_close, code
        assert tokens[block - 1].type == "paragraph_close", stem
        assert lead.type == "inline", stem
        said = re.sub(r"\s+", " ", lead.content)
        assert "`cmd.exe`" in said, stem
        assert "Task Scheduler" in said, stem
        assert "not in a PowerShell console" in said, stem
        assert "`$false` and `$LASTEXITCODE`" in said, stem


def test_bam_configuration_names_server_and_database(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """bm.exe.config: DefaultServer and DefaultDatabase (update-the-bam-management-
    utility-configuration-after-a-backup-and-restore.md), with the DR values."""
    (step,) = [
        i
        for i in failover(rendered, "consolidated")
        if i.text.startswith("BAM portal and BAM management utility configuration")
    ]
    primary = plans["consolidated"].site.dr_bam_primary_import
    assert primary is not None
    assert primary.server == "FABDRSQL01\\BTS"
    assert primary.name == "BAMPrimaryImport"
    code = list(step.code)
    assert code.index("DefaultServer") < code.index("DefaultDatabase")
    assert step.text.index("DefaultDatabase") < step.text.index("bm.exe.config")
    for key, value in (("BamServer", primary.server), ("BamDatabase", primary.name)):
        assert code[code.index(key) + 1] == value
    for stem in EXAMPLES:
        has_bam = inventory(stem).group.databases.bam is not None
        assert ("bm.exe.config" in runbook(rendered, stem)) == has_bam, stem


def test_enable_steps_say_what_enable_does_on_each_server(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """Enable-DrServer.ps1 -NoStart runs UpdateRegistry.vbs and restarts WMI."""
    for stem, plan in plans.items():
        enabling = [
            item
            for item in failover(rendered, stem)
            if item.text.startswith("Enable the ")
        ]
        assert len(enabling) == (2 if plan.site.failover_after_master else 1)
        for item in enabling:
            quiet = ".\\Enable-DrServer.ps1 -NoStart"
            assert any(c.startswith(quiet) for c in item.code)
            assert "UpdateRegistry.vbs" in item.code, (stem, item.number)
            assert "Winmgmt" in item.code, (stem, item.number)
        # Spelled out once, where the master secret server runs it.
        assert "Windows Management Instrumentation" in enabling[0].text, stem


def intro(markdown: str) -> str:
    """The text before the first ``##`` heading, whitespace collapsed."""
    tokens = MarkdownIt().parse(markdown)
    end = next(i for i, t in enumerate(tokens) if t.tag == "h2")
    inline = [t.content for t in tokens[:end] if t.type == "inline"]
    return re.sub(r"\s+", " ", " ".join(inline))


def test_intro_says_where_each_script_may_run(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """Only the server scripts and Update-DrGroupDatabases refuse other computers."""
    for stem, plan in plans.items():
        said = intro(runbook(rendered, stem))
        assert not re.search(r"[Ee]very script[^.;]*refuses", said), stem
        # Test-DrLabFacts.ps1 has no computer guard at all.
        (lab,) = [
            a for p, a in rendered[stem].items() if p.name == "Test-DrLabFacts.ps1"
        ]
        assert "Assert-DrTargetComputer\n" not in lab.text
        assert "$SiteServers" not in lab.text
        assert re.search(
            r"`Test-DrLabFacts\.ps1` runs on any BizTalk server[^.]*production or lab",
            said,
        ), stem
        assert re.search(
            r"`Test-DrBundle\.ps1` refuses to run on a computer that is not a DR "
            r"server of this site",
            said,
        ), stem
        server = plan.site.update_databases_server
        assert f"`Update-DrGroupDatabases.ps1` on any computer but `{server}`" in said


def bam_step(items: list[Item]) -> Item:
    (found,) = [
        i for i in items if i.text.startswith("DBA: restore the other BAM databases")
    ]
    return found


def test_bam_analysis_only_where_the_inventory_has_one(
    rendered: Rendered, plans: dict[str, Plan], write_inventory
) -> None:
    """The BAM step names the Analysis database of the inventory, and only then."""
    consolidated = failover(rendered, "consolidated")
    assert not plans["consolidated"].site.has_bam_analysis
    text = " ".join(item.text for item in consolidated)
    assert "analysis" not in text.casefold()
    step = bam_step(consolidated)
    for name in ("BAMArchive", "BAMStarSchema"):
        assert name in step.code
    source = edit(
        consolidated_text(),
        "      star_schema: {server: FABSQL02\\BTS, name: BAMStarSchema}\n",
        "      star_schema: {server: FABSQL02\\BTS, name: BAMStarSchema}\n"
        "      analysis: {server: FABSQL02\\BTS, name: FabrikamBamCubes}\n",
    )
    (plan,) = plan_inventories([write_inventory(source, "analysis.yaml")])
    assert plan.site.has_bam_analysis
    (art,) = [
        a
        for a in render_unsigned(plan, make_environment())
        if a.path.name == "Runbook.md"
    ]
    step = bam_step(steps(art.text, "3. Failover"))
    code = list(step.code)
    assert code[code.index("FabrikamBamCubes") + 1] == "FABDRSQL01\\BTS"
    assert "BAMAnalysis" not in art.text


def test_runbook_md_names_the_bundle_its_results_carry(rendered, plans) -> None:
    from generator.bundle.build import plan_identity
    from generator.render.environment import make_environment

    for stem, plan in plans.items():
        site = plan.site.site
        text = rendered[stem][PurePosixPath(stem, site, "Runbook.md")].text
        bundle_id = plan_identity(plan, make_environment()).bundle_id
        assert f"Bundle id `{bundle_id}`" in text
        test = rendered[stem][
            next(p for p in rendered[stem] if p.name == "Test-DrServer.ps1")
        ].text
        assert f"$BundleId = '{bundle_id}'" in test
        assert "logs\\*.json" in text
