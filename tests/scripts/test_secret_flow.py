"""Plain-text passwords only where intended: the Password node of the answer-file
copy Initialize-DrServer.ps1 saves into a private folder (deleted in ``finally``)
and the arguments of the WMI Install call (cleared in ``finally``); nothing
tainted by a credential reaches a host, output, file or transcript writer
(tests/support/taint.py)."""

from __future__ import annotations

import re

import pytest
from tree_sitter import Node

from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import walk
from tests.support.taint import (
    ancestors,
    assignments,
    enclosing_function,
    first_child,
    function_body,
    leaks,
    root,
    same,
    script_pairs,
    should_process_block,
    statement,
    tainted_variables,
    text,
    var_name,
)

pytestmark = pytest.mark.oracle


# ------------------------------------------------------ plain text only where intended


def plaintext_uses(data: bytes) -> list[tuple[Node, Node]]:
    """(``....GetNetworkCredential().Password`` node, its assignment) pairs."""
    uses: list[tuple[Node, Node]] = []
    for node in walk(root(data)):
        if node.type != "invocation_expression":
            continue
        member = first_child(node, "member_name")
        if member is None or text(member, data) != "GetNetworkCredential":
            continue
        access = node.parent
        assert access is not None
        assert access.type == "member_access", text(access, data)
        assert text(access, data).endswith(".GetNetworkCredential().Password")
        assignment = next(
            (a for a in ancestors(access) if a.type == "assignment_expression"), None
        )
        assert assignment is not None, text(statement(node), data)
        value = first_child(assignment, "assignment_value")
        assert value is not None
        # The plain text is the whole value: never concatenated or formatted.
        assert text(value, data) == text(access, data), text(assignment, data)
        uses.append((access, assignment))
    return uses


def left_text(assignment: Node, data: bytes) -> str:
    left = first_child(assignment, "left_assignment_expression")
    assert left is not None
    return text(left, data)


def test_plaintext_password_only_in_the_answer_copy_and_the_install_call(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for art, data in script_pairs(all_artifacts):
        uses = plaintext_uses(data)
        if art.path.name != "Initialize-DrServer.ps1":
            assert uses == [], art.path
            assert b"GetNetworkCredential" not in data, art.path
            continue
        targets = sorted(left_text(a, data) for _, a in uses)
        assert targets == ["$parameters.Password", "$password"], art.path
        for access, _ in uses:
            # Asked for only when the change is really made (never under -WhatIf).
            assert should_process_block(access, data) is not None, art.path
        # Only Get-DrCredential prompts, and it keeps credentials in memory only.
        for node in walk(root(data)):
            if node.type == "command" and text(node, data).startswith("Get-Credential"):
                assert enclosing_function(node, data) == "Get-DrCredential"


def test_the_answer_copy_goes_to_the_private_folder(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for art, data in script_pairs(all_artifacts, "Initialize-DrServer.ps1"):
        join = function_body(data, "Invoke-DrConfigurationJoin")
        lefts = {
            left_text(a, data): text(v, data)
            for a, left, v in assignments(data)
            if a.start_byte >= join.start_byte and a.end_byte <= join.end_byte
        }
        assert lefts["$work"] == "New-DrPrivateFolder"
        assert lefts["$temporary"].startswith("Join-Path -Path $work ")
        assert lefts["$node"] == (
            "$document.SelectSingleNode(($PasswordXPath -f $entry.Id))"
        )
        xpath = re.findall(r"^\$PasswordXPath = '(.*)'\r?$", art.text, re.M)
        assert xpath == ["/Configuration/Feature/NTService[@ID=''{0}'']/Password"]
        # The plain text goes only into the copy and the list the log is searched for.
        assert lefts["$node.InnerText"] == "$password"
        uses = {
            text(statement(n), data)
            for n in walk(join)
            if n.type == "variable" and var_name(n, data) == "password"
        }
        assert uses == {
            "$password = (Get-DrCredential -Account $entry.Account)"
            ".GetNetworkCredential().Password",
            "$passwords.Add($password)",
            "$node.InnerText = $password",
        }, uses
        saves = [
            n
            for n in walk(join)
            if n.type == "invocation_expression"
            and first_child(n, "member_name") is not None
            and text(n, data).startswith("$document.Save(")
        ]
        assert [text(n, data) for n in saves] == ["$document.Save($temporary)"]
        private = text(function_body(data, "New-DrPrivateFolder"), data)
        assert "New-DrProtectedFolder -Path $path" in private
        folder = text(function_body(data, "New-DrProtectedFolder"), data)
        assert "CreateDirectory($Path, (New-DrProtectedSecurity))" in folder
        security = text(function_body(data, "New-DrProtectedSecurity"), data)
        assert "$security.SetAccessRuleProtection($true, $false)" in security
        assert "foreach ($sid in $PrivilegedSids)" in security
        assert "$security.SetOwner($owner)" in security
        sids = re.findall(
            r"^\$PrivilegedSids = @\('(S-1-[0-9-]+)', '(S-1-[0-9-]+)'\)\r?$",
            art.text,
            re.M,
        )
        assert sids == [("S-1-5-32-544", "S-1-5-18")], art.path


def try_of_finally(node: Node) -> tuple[Node, Node] | None:
    """(try statement, finally clause) when node sits in a finally block."""
    for parent in ancestors(node):
        if parent.type == "finally_clause":
            owner = parent.parent
            assert owner is not None
            return owner, parent
    return None


def test_the_answer_copy_is_removed_in_finally_inside_should_process(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for art, data in script_pairs(all_artifacts, "Initialize-DrServer.ps1"):
        join = function_body(data, "Invoke-DrConfigurationJoin")
        removes = [
            n
            for n in walk(join)
            if n.type == "command" and text(n, data).startswith("Remove-Item")
        ]
        assert len(removes) == 1, art.path
        (remove,) = removes
        assert text(remove, data).startswith(
            "Remove-Item -LiteralPath $work -Recurse -Force"
        )
        found = try_of_finally(remove)
        assert found is not None, "Remove-Item is not in a finally block"
        try_statement, _ = found
        block = should_process_block(try_statement, data)
        assert block is not None, "the try/finally is not inside ShouldProcess"
        # The folder is made in the same ShouldProcess block, before the try ...
        work = next(
            a for a, _, _ in assignments(data) if text(a, data).startswith("$work =")
        )
        assert same(should_process_block(work, data), block)
        assert work.end_byte < try_statement.start_byte
        # ... and everything that writes or uses the copy runs inside the try.
        body = first_child(try_statement, "statement_block")
        assert body is not None
        inside = text(body, data)
        for needle in (
            "$node.InnerText = ",
            "$document.Save($temporary)",
            "Start-Process -FilePath $configExe",
        ):
            assert needle in inside, needle


def test_the_install_arguments_are_cleared_in_finally(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for art, data in script_pairs(all_artifacts, "Initialize-DrServer.ps1"):
        install = function_body(data, "Install-DrHostInstance")
        calls = [
            n
            for n in walk(install)
            if n.type == "invocation_expression"
            and text(n, data).startswith("$instance.psbase.InvokeMethod('Install'")
        ]
        assert len(calls) == 1, art.path
        (call,) = calls
        assert text(call, data).endswith("('Install', $parameters, $null)")
        try_statement = next(a for a in ancestors(call) if a.type == "try_statement")
        final = first_child(try_statement, "finally_clause")
        assert final is not None
        assert "$parameters.Password = ''" in text(final, data)
        password = next(
            a
            for a, left, value in assignments(data)
            if text(left, data).strip() == "$parameters.Password"
            and "GetNetworkCredential" in text(value, data)
        )
        # Set inside the try, so the finally clears it whatever happens.
        assert try_statement.start_byte < password.start_byte < final.start_byte
        assert same(
            should_process_block(password, data),
            should_process_block(try_statement, data),
        )
        # $parameters is used for nothing but building and making the call.
        uses = [
            text(statement(n), data)
            for n in walk(install)
            if n.type == "variable" and var_name(n, data) == "parameters"
        ]
        assert uses
        for use in uses:
            assert use.startswith(
                (
                    "$parameters",
                    "foreach ($property in $parameters.psbase.Properties)",
                    "$result = $instance.psbase.InvokeMethod('Install', $parameters",
                )
            ), use


def test_no_secret_reaches_a_writer(all_artifacts: list[RenderedArtifact]) -> None:
    for art, data in script_pairs(all_artifacts):
        assert leaks(data) == [], art.path
    # The taint analysis does see the secret holders of the prepare script.
    _, data = script_pairs(all_artifacts, "Initialize-DrServer.ps1")[0]
    assert {
        ("get-drcredential", "found"),
        ("invoke-drconfigurationjoin", "node"),
        ("invoke-drconfigurationjoin", "document"),
        ("invoke-drconfigurationjoin", "password"),
        ("invoke-drconfigurationjoin", "passwords"),
        ("install-drhostinstance", "parameters"),
    } <= tainted_variables(data)


@pytest.mark.parametrize(
    ("anchor", "inserted"),
    [
        ("$document.Save($temporary)", "Write-Host $node.InnerText"),
        ("$document.Save($temporary)", "Write-Verbose -Message $document.OuterXml"),
        ("$document.Save($temporary)", "$document.Save('C:\\answers.xml')"),
        (
            "$document.Save($temporary)",
            "Set-Content -LiteralPath 'C:\\x.txt' -Value $document.OuterXml",
        ),
        (
            "$script:CredentialCache[$key] = $found",
            "Write-DrInPlace -Message ($found.GetNetworkCredential().Password)",
        ),
        (
            "$script:CredentialCache[$key] = $found",
            "$found | Export-Clixml -Path 'c.xml'",
        ),
        (
            "$result = $instance.psbase.InvokeMethod('Install', $parameters, $null)",
            "Write-Host ($parameters | Out-String)",
        ),
        (
            "$passwords.Add($password)",
            "Write-DrProblem -Message ('password: {0}' -f $passwords[0])",
        ),
    ],
)
def test_the_writer_check_catches_a_leak(
    all_artifacts: list[RenderedArtifact], anchor: str, inserted: str
) -> None:
    art, _ = script_pairs(all_artifacts, "Initialize-DrServer.ps1")[0]
    assert anchor in art.text
    index = art.text.index(anchor)
    line_start = art.text.rindex("\n", 0, index) + 1
    indent = art.text[line_start:index]
    broken = art.text[:line_start] + indent + inserted + "\n" + art.text[line_start:]
    data = encode_text(broken, ArtifactKind.POWERSHELL)
    assert ps.syntax_problems(data) == []
    assert leaks(data) != []
