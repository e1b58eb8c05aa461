"""The runbook's failover and stand-down procedure: the order of the steps
(enable without start, bindings, then start; log-shipping jobs before the
restore to mark; the DBA steps) and -AfterDrill after a stand-down.

The runbook is read through markdown-it (tests/support/runbook.py)."""

from __future__ import annotations

import re

import pytest

from generator.plan.site import Plan
from tests.support.inventories import inventory
from tests.support.paths import EXAMPLES
from tests.support.runbook import Item, failover, item_index, section_tokens
from tests.support.scripts import Rendered, artifact

pytestmark = pytest.mark.oracle


# ======================================================== -AfterDrill after stand-down


def stand_down_code(markdown: str) -> list[str]:
    """Code spans and command lines of the runbook's stand-down section."""
    code = []
    for token in section_tokens(markdown, "4. Stand down"):
        if token.type == "code_block":
            code += [line.strip() for line in token.content.splitlines()]
        elif token.type == "inline":
            code += [
                child.content.strip()
                for child in token.children or []
                if child.type == "code_inline"
            ]
    return code


def check_runbook_stand_down(markdown: str) -> None:
    code = stand_down_code(markdown)
    assert ".\\Disable-DrServer.ps1" in code, code
    assert ".\\Test-DrServer.ps1 -AfterDrill" in code, code
    assert code.index(".\\Disable-DrServer.ps1") < code.index(
        ".\\Test-DrServer.ps1 -AfterDrill"
    )


def test_runbook_stand_down_runs_after_drill(rendered: Rendered) -> None:
    """The stand-down section must check with -AfterDrill, not plain Dormant."""
    for stem in EXAMPLES:
        check_runbook_stand_down(artifact(rendered, stem, "Runbook.md").text)


# ======================================================================= counter-tests


def test_counter_runbook_without_after_drill(rendered: Rendered) -> None:
    """Counter-test: a stand-down that tests plain Dormant must be caught."""
    for stem in EXAMPLES:
        markdown = artifact(rendered, stem, "Runbook.md").text
        check_runbook_stand_down(markdown)
        broken = markdown.replace(
            "    .\\Test-DrServer.ps1 -AfterDrill\n", "    .\\Test-DrServer.ps1\n"
        )
        assert broken != markdown
        with pytest.raises(AssertionError):
            check_runbook_stand_down(broken)


# ============================================================================ -NoStart


def no_start(item: Item) -> bool:
    """A step running Enable-DrServer.ps1 -NoStart."""
    return any(re.search(r"Enable-DrServer\.ps1 -NoStart\b", c) for c in item.code)


def starts_processing(item: Item) -> bool:
    """A step running Enable-DrServer.ps1 without arguments."""
    return any(re.fullmatch(r"\.\\Enable-DrServer\.ps1", c.strip()) for c in item.code)


def test_runbook_enables_without_start_then_bindings_then_start(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """No processing before the applications and DR bindings are in place."""
    for stem, plan in plans.items():
        items = failover(rendered, stem)
        quiet = [i for i, item in enumerate(items) if no_start(item)]
        assert quiet, stem
        for server in (
            plan.site.master_secret_server,
            *plan.site.failover_after_master,
        ):
            mine = [i for i in quiet if server in items[i].code]
            assert mine, (stem, server)
        master = next(
            i for i in quiet if plan.site.master_secret_server in items[i].code
        )
        assert master == quiet[0], stem
        bindings = item_index(
            items, lambda item: "bindings" in item.text.casefold(), "for bindings"
        )
        ready = item_index(
            items,
            lambda item: r".\Test-DrServer.ps1 -Expect Ready" in item.code,
            "checking Ready",
        )
        go = item_index(items, starts_processing, "starting processing")
        installs = item_index(
            items,
            lambda item: item.text.startswith("Applications: the installation MSIs"),
            "installing the MSIs",
        )
        # Issue 18 item 4: the installation MSIs come before the Enable steps, so
        # Enable -NoStart fences any pool they started; with pools, Enable -NoStart
        # runs again in the step that checks Ready, after the bindings.
        enables = [i for i in quiet if i != ready]
        assert installs < min(enables), stem
        assert max(enables) < bindings < ready < go, stem
        pools = any(s.app_pools for s in plan.site.servers)
        assert no_start(items[ready]) == pools, stem
        if pools:
            assert "autoStart off" in items[ready].text, stem
        for server in plan.site.server_names:
            assert server in items[go].code, (stem, server)


# ============================================================================= runbook


def test_log_shipping_jobs_disabled_before_restore_to_mark(
    rendered: Rendered,
) -> None:
    """The restore jobs are disabled before 'Restore To Mark' runs."""
    for stem in EXAMPLES:
        items = failover(rendered, stem)
        step = items[
            item_index(items, lambda i: "Restore To Mark" in i.text, "restoring")
        ]
        # The instruction (after the step's success line): disable, then start.
        disable = step.text.index("Disable the log-shipping jobs")
        mark = step.text.index("Restore To Mark", disable)
        for job in ("Get Backup History", "Restore Databases"):
            assert disable < step.text.index(job, disable) < mark, (stem, job)
        # Only the step stopping production comes first (not in a drill).
        assert items.index(step) == 1, stem
        assert items[0].text.startswith("Not in a drill:"), stem


def test_runbook_dba_steps(rendered: Rendered) -> None:
    """Logins and orphaned users, SQL Agent jobs enabled at DR, BAM where used."""
    for stem in EXAMPLES:
        items = failover(rendered, stem)
        mark = item_index(items, lambda i: "Restore To Mark" in i.text, "restoring")
        logins = item_index(
            items,
            lambda i: "logins" in i.text and "orphaned users" in i.text,
            "for logins and orphaned users",
        )
        agent = item_index(
            items,
            lambda i: "SQL Agent jobs at DR" in i.text and "enabled" in i.text,
            "enabling SQL Agent jobs at DR",
        )
        enable = item_index(
            items,
            lambda i: any("Enable-DrServer.ps1" in c for c in i.code),
            "running Enable-DrServer.ps1",
        )
        assert mark <= logins < enable, stem
        assert mark < agent < enable, stem
        bam = inventory(stem).group.databases.bam
        has_bam = bam is not None
        text_ = " ".join(item.text for item in items).casefold()
        assert ("web.config" in text_) == has_bam, stem
        # The Analysis database only where the inventory has one (neither example).
        has_analysis = bam is not None and bam.analysis is not None
        assert ("analysis" in text_) == has_analysis, stem
        assert has_bam == (stem == "consolidated")
