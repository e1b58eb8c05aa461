"""Test-DrBundle.ps1: signatures checked by literal path.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

from typing import Final

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.scripts import Checker, Script, mutated, scripts, scripts_with
from tests.support.tree import named

pytestmark = pytest.mark.oracle


# ========================================================== signatures by literal path


def check_literal_path(script: Script) -> int:
    """Get-AuthenticodeSignature takes -LiteralPath only (no -FilePath, positional)."""
    calls = named(ps.commands(script.data), "Get-AuthenticodeSignature")
    for call in calls:
        arguments = list(call.arguments)
        lowered = [a.casefold().rstrip(":") for a in arguments]
        assert "-literalpath" in lowered, (script, call.line)
        for i, element in enumerate(lowered):
            if element.startswith("-"):
                assert not "-filepath".startswith(element), (script, call.line)
                continue
            assert i > 0, (script, call.line)
            assert lowered[i - 1] == "-literalpath", (script, call.line, element)
    return len(calls)


def test_signatures_checked_by_literal_path(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A bracket in a path must not be read as a wildcard by -FilePath."""
    for script in scripts(all_artifacts):
        count = check_literal_path(script)
        if script.name == "Test-DrBundle.ps1":
            assert count >= 2, script


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "signature-by-file-path": (
        "Test-DrBundle.ps1",
        check_literal_path,
        "Get-AuthenticodeSignature -LiteralPath $path",
        "Get-AuthenticodeSignature -FilePath $path",
    ),
    "signature-positional": (
        "Test-DrBundle.ps1",
        check_literal_path,
        "Get-AuthenticodeSignature -LiteralPath $PSCommandPath",
        "Get-AuthenticodeSignature $PSCommandPath",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_counter_checker_fails_on_mutated_script(
    all_artifacts: list[RenderedArtifact], mutation: str
) -> None:
    """Counter-test: a checker that passes a rendered script must catch its mutation."""
    name, check, old, new = MUTATIONS[mutation]
    for script in scripts_with(all_artifacts, name, old):
        check(script)
        broken = mutated(script, old, new)
        assert not ps.syntax_problems(broken.data), mutation
        with pytest.raises(AssertionError):
            check(broken)
