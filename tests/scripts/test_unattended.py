"""Unattended runs: a prompt fails instead of waiting (secret restore,
credentials), what counts as a console, and the unattended form the help
and the runbook give.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import itertools
import re
from typing import Final

import pytest
from markdown_it import MarkdownIt
from tree_sitter import Node

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    NULL,
    Env,
    evaluate,
    reachable,
    reached_throws,
    truthy,
)
from tests.support.paths import EXAMPLES
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    CHANGING,
    SERVER_SCRIPTS,
    Checker,
    Rendered,
    Script,
    artifact,
    function,
    functions,
    help_comment,
    main_body,
    mutated,
    scripts,
    scripts_with,
)
from tests.support.tree import (
    branch_block,
    command_nodes,
    condition,
    key,
    keyword_statements,
    member_accesses,
    method_calls,
    one,
    only_assignment,
    strings,
    variables,
    verbatim,
)

pytestmark = pytest.mark.oracle


# =========================================================== unattended secret restore


def preflight_env(overrides: Env | None = None) -> dict[str, object]:
    """Enable's pre-flight on the master secret server, tools present, no secret."""
    env: dict[str, object] = {
        "[environment]::is64bitprocess": True,
        "test-path": True,
        "$apppools.count": 0,
        "$ismastersecretserver": True,
        "test-drsecretpresent": False,
        "$whatifpreference": False,
        # -SecretBackupFile given, and the secret is to be restored from it.
        "$given": True,
        "get-drsecretrestorereason": "no master secret on this server",
        "test-drinteractive": True,
    }
    env.update(overrides or {})
    return env


def check_secret_restore_unattended(script: Script) -> None:
    """A restore that would prompt fails fast unattended; -WhatIf only prints."""
    fn = function(script, "Assert-DrPreflight")
    assert command_nodes(fn, "Test-DrInteractive"), script

    def throws(overrides: Env) -> list[Node]:
        return reached_throws(fn, preflight_env(overrides))

    unattended: Env = {"test-drinteractive": False}
    assert not throws({}), script
    stops = throws(unattended)
    assert stops, script
    assert all(reachable(t, preflight_env(), fn) is False for t in stops), script
    # No backup file and no secret: the run cannot go on.
    assert throws({"$given": False}), script
    # A secret already here and no backup file: kept (with a warning), no prompt.
    kept = {"$given": False, "test-drsecretpresent": True}
    assert not throws({**unattended, **kept}), script
    # The backup file restored last: nothing to restore, no prompt needed.
    assert not throws(
        {**unattended, "test-drsecretpresent": True, "get-drsecretrestorereason": ""}
    ), script
    assert not throws({**unattended, "$ismastersecretserver": False}), script
    for given in (True, False):
        what_if = {**unattended, "$whatifpreference": True, "$given": given}
        assert not throws(what_if), (script, given)
    told = [
        w
        for w in command_nodes(fn, "Write-Host")
        if reachable(w, preflight_env({"$whatifpreference": True, "$given": False}), fn)
        is True
        and any("-SecretBackupFile" in s for s in strings(w))
    ]
    assert told, script
    body = [c.name for c in main_body(script)]
    assert body.index("Assert-DrPreflight") < body.index("Enable-DrMasterSecretServer")


def check_test_interactive(script: Script) -> None:
    """Test-DrInteractive: UserInteractive, no -NonInteractive, input not redirected."""
    fn = function(script, "Test-DrInteractive")
    (returned,) = keyword_statements(fn, "return")
    expression = returned.named_children[-1]
    counted = {t.casefold() for t, m in member_accesses(expression) if m == "Count"}
    assert len(counted) == 1, script
    (arguments_variable,) = counted
    value = only_assignment(fn, arguments_variable)
    assert [
        m
        for m, target, _, _ in method_calls(value)
        if m == "GetCommandLineArgs" and target.casefold() == "[environment]"
    ], script
    patterns = [
        verbatim(c.named_children[-1])
        for c in nodes(value, "comparison_expression")
        if key(next(o for o in c.named_children if o.type == "comparison_operator"))
        == "-match"
    ]
    assert len(patterns) == 1, script
    pattern = patterns[0]
    assert pattern is not None, script
    # powershell.exe takes its switches with '-' or '/' (about_PowerShell_exe).
    for flag in (
        "-NonInteractive",
        "-noninteractive",
        "-NonI",
        "/NonInteractive",
        "/noni",
    ):
        assert re.search(pattern, flag, re.IGNORECASE), (script, flag)
    for flag in (
        "-NoProfile",
        "-NoLogo",
        "-Command",
        "-ExecutionPolicy",
        "-File",
        "/NoLogo",
    ):
        assert not re.search(pattern, flag, re.IGNORECASE), (script, flag)
    for user, count, redirected in itertools.product(
        (True, False), (0, 1), (True, False)
    ):
        env = {
            "[environment]::userinteractive": user,
            f"{arguments_variable}.count": count,
            "[console]::isinputredirected": redirected,
        }
        wanted = user and count == 0 and not redirected
        assert truthy(evaluate(expression, env)) is wanted, (script, env)


def test_unattended_secret_restore_fails_instead_of_hanging(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """An unattended Enable must not reach ssoconfig's password prompt."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_secret_restore_unattended(script)


def test_interactive_means_a_console_someone_can_type_into(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A service, -NonInteractive or redirected input is not a console."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_test_interactive(script)


# ================================================================ PowerShell 5.1 traps


# -NonInteractive: a prompt fails instead of waiting for ever; try/catch: a script
# that cannot start at all (not elevated, not trusted) exits 3, not 0.
_UNATTENDED = (
    r"powershell\.exe -NoProfile -NonInteractive -Command \"try \{{ "
    r"& '\.\\{name}'(?: [^\"\r\n]*)? "
    r"-Confirm:\$false; exit \$LASTEXITCODE \}} catch \{{ exit 3 \}}\""
)


def test_unattended_form_in_help_and_runbook(
    all_artifacts: list[RenderedArtifact], rendered: Rendered
) -> None:
    """-File cannot pass -Confirm:$false; the help shows the form that can."""
    changing = set()
    for script in scripts(all_artifacts):
        calls = [m for m, t, _, _ in method_calls(script.root) if m == "ShouldProcess"]
        if not calls:
            continue
        changing.add(script.name)
        help_ = help_comment(script)
        pattern = _UNATTENDED.format(name=re.escape(script.name))
        found = re.search(pattern, help_)
        assert found is not None, script
        assert help_.index(".EXAMPLE") < found.start(), script
    # The discovery script writes its one file through ShouldProcess (-WhatIf).
    assert changing == {*CHANGING, "Export-BizTalkGroup.ps1"}
    for stem in EXAMPLES:
        tokens = MarkdownIt().parse(artifact(rendered, stem, "Runbook.md").text)
        blocks = [t.content for t in tokens if t.type in {"code_block", "fence"}]
        pattern = _UNATTENDED.format(name=r"[\w-]+\.ps1")
        assert [b for b in blocks if re.search(pattern, b)], stem


# ===================================================== no credential prompt unattended


def credential_env(**overrides: object) -> dict[str, object]:
    env: dict[str, object] = {
        "containskey()": False,
        "$found": NULL,
        "test-drinteractive": True,
    }
    env.update(overrides)
    return env


def check_unattended_credentials(script: Script) -> None:
    """Get-Credential only with a console; unattended, an error names the account."""
    fn = function(script, "Get-DrCredential")
    prompt = one(command_nodes(fn, "Get-Credential"), script)
    guard = one(
        [
            s
            for s in nodes(fn, "if_statement")
            if command_nodes(condition(s), "Test-DrInteractive")
        ],
        script,
    )
    refusal = one(keyword_statements(branch_block(guard), "throw"), script)
    assert "$account" in variables(refusal), script
    assert any("-Credential" in s for s in strings(refusal)), script
    unattended = credential_env(**{"test-drinteractive": False})
    assert reachable(prompt, credential_env(), fn) is True, script
    assert reachable(refusal, credential_env(), fn) is False, script
    assert reachable(prompt, unattended, fn) is False, script
    assert reachable(refusal, unattended, fn) is True, script
    # Given with -Credential: neither asked nor refused, attended or not.
    for interactive in (True, False):
        given = credential_env(
            **{"$found": "credential", "test-drinteractive": interactive}
        )
        assert reachable(prompt, given, fn) is False, script
        assert reachable(refusal, given, fn) is False, script


def test_unattended_initialize_never_waits_for_a_credential_dialog(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A scheduled task must fail with a message, not hang at Get-Credential."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_unattended_credentials(script)


def test_one_test_drinteractive_shared_by_every_script(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Test-DrInteractive comes from the shared helpers, defined once per script."""
    for script in scripts(all_artifacts):
        if "Test-DrInteractive" not in script.art.text:
            continue
        # functions() fails on a function defined twice.
        assert "Test-DrInteractive" in functions(script), script
        check_test_interactive(script)
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        assert "Test-DrInteractive" in functions(script), script


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "interactive-check-skipped": (
        "Enable-DrServer.ps1",
        check_secret_restore_unattended,
        "-and -not (Test-DrInteractive)) {",
        "-and $false) {",
    ),
    "what-if-throws-for-missing-backup": (
        "Enable-DrServer.ps1",
        check_secret_restore_unattended,
        "Write-Host '   What if: the real run needs -SecretBackupFile",
        "throw '   What if: the real run needs -SecretBackupFile",
    ),
    "redirected-input-counts-as-console": (
        "Enable-DrServer.ps1",
        check_test_interactive,
        " -and -not [Console]::IsInputRedirected)",
        ")",
    ),
    "prompt-unattended": (
        "Initialize-DrServer.ps1",
        check_unattended_credentials,
        "        if (-not (Test-DrInteractive)) {\n            # Get-Credential opens",
        "        if ($false -and -not (Test-DrInteractive)) {\n"
        "            # Get-Credential opens",
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
