"""The site runbook: every server, the failover order, and text that stays text."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from generator.artifacts import RenderedArtifact
from generator.markdown import md, md_code
from generator.plan import Plan


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
        text = runbook(rendered, stem)
        failover = text.split("## 3. Failover", 1)[1].split("## 4.", 1)[0]
        steps = [
            failover.index("Restore To Mark"),
            failover.index(f"On `{plan.site.update_databases_server}`"),
            failover.index("Update-DrGroupDatabases.ps1"),
            failover.index(
                f"On `{plan.site.master_secret_server}`: `.\\Enable-DrServer.ps1"
            ),
            failover.index("-Expect Active"),
        ]
        assert steps == sorted(steps)
    assert "Then on each other DR server (`DRserver2`, `DRserver3`)" in runbook(
        rendered, "example"
    )


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
