"""BizTalk version prefixes: the catalogue's, the plan's, the scripts' check
of ProductVersion, and -SkipVersionCheck.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import pytest

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import make_environment
from tests.support import pwsh_oracle as ps
from tests.support.inventories import consolidated_text, edit
from tests.support.scripts import (
    SERVER_SCRIPTS,
    function,
    script_param_block,
    scripts,
    top_string,
)
from tests.support.tree import is_switch, named, script_parameters, variables

pytestmark = pytest.mark.oracle


# ==================================================================== version prefixes


def test_catalogue_version_prefixes() -> None:
    """BizTalk 2013 R2 is 3.11, 2016 is 3.12, 2020 is 3.13 (not off by one)."""
    assert CATALOGUE["ver:2013R2"] == "3.11."
    assert CATALOGUE["ver:2016"] == "3.12."
    assert CATALOGUE["ver:2020"] == "3.13."


def test_every_script_checks_the_planned_prefix(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """Each script's $ProductVersionPrefix is the plan's (and the version's)."""
    expected = {"example": "3.13.", "consolidated": "3.12."}
    checked = set()
    for script in scripts(all_artifacts):
        # The bundle check checks no product; the discovery script reports it.
        if script.name in {"Test-DrBundle.ps1", "Export-BizTalkGroup.ps1"}:
            continue
        prefix = top_string(script, "ProductVersionPrefix")
        assert prefix == plans[script.stem].site.product_version_prefix, script
        assert prefix == expected[script.stem], script
        checked.add(script.name)
    assert {*SERVER_SCRIPTS, "Update-DrGroupDatabases.ps1"} <= checked


def test_biztalk_2013r2_scripts_check_3_11(write_inventory) -> None:
    """A BizTalk 2013 R2 group renders scripts that expect ProductVersion 3.11."""
    source = edit(
        consolidated_text(), 'biztalk_version: "2016"', 'biztalk_version: "2013R2"'
    )
    (plan,) = plan_inventories([write_inventory(source, "r2.yaml")])
    arts = render_unsigned(plan, make_environment())
    checked = [
        script
        for script in scripts(arts)
        if script.name in {*SERVER_SCRIPTS, "Update-DrGroupDatabases.ps1"}
    ]
    assert len(checked) == 9
    for script in checked:
        assert top_string(script, "ProductVersionPrefix") == "3.11.", script


@pytest.mark.parametrize(
    "name",
    ["Enable-DrServer.ps1", "Initialize-DrServer.ps1", "Update-DrGroupDatabases.ps1"],
)
def test_skip_version_check_is_a_switch_passed_on(
    all_artifacts: list[RenderedArtifact], name: str
) -> None:
    """-SkipVersionCheck exists and reaches Assert-DrBizTalkInstalled."""
    for script in scripts(all_artifacts, name):
        parameters = script_parameters(script_param_block(script))
        assert "$skipversioncheck" in parameters, script
        assert is_switch(parameters["$skipversioncheck"]), script
        calls = named(ps.commands(script.data), "Assert-DrBizTalkInstalled")
        assert calls, script
        for call in calls:
            assert "-SkipVersionCheck:$SkipVersionCheck" in call.arguments, script
        checker = function(script, "Assert-DrBizTalkInstalled")
        assert "$productversionprefix" in variables(checker), script
