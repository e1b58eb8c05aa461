"""No secrets on disk: not in the inventory, not in any rendered file, not in a log.

Passwords are asked for on the DR server at run time. The only places the prepare
script handles one in plain text are the Password node of the answer-file copy it
saves into a private folder (deleted in ``finally``) and the arguments of the WMI
Install call (cleared in ``finally``); nothing tainted by a credential reaches a
host, output, file or transcript writer. Checked on the tree-sitter parse tree.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from tree_sitter import Node
from typer.testing import CliRunner

from generator.api import plan as plan_inventories
from generator.cli.app import app
from generator.errors import ExitCode, InventoryError
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.paths import INVENTORIES
from tests.support.pwsh_oracle import walk

pytestmark = pytest.mark.oracle

# ------------------------------------------------------------------ tree helpers


def text(node: Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8")


@functools.lru_cache(maxsize=8)
def root(data: bytes) -> Node:
    return ps.parse(data).root_node


def same(a: Node | None, b: Node | None) -> bool:
    """Node identity across lookups: the same span of the same tree."""
    if a is None or b is None:
        return a is b
    return (a.start_byte, a.end_byte, a.type) == (b.start_byte, b.end_byte, b.type)


def var_name(node: Node, data: bytes) -> str:
    """``$script:Foo`` / ``${Foo}`` -> ``foo``."""
    name = text(node, data).lstrip("$").strip("{}").casefold()
    for scope in ("script:", "global:", "local:", "private:"):
        name = name.removeprefix(scope)
    return name


def ancestors(node: Node) -> Iterator[Node]:
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def first_child(node: Node, kind: str) -> Node | None:
    return next((c for c in node.children if c.type == kind), None)


def function_body(data: bytes, name: str) -> Node:
    for node in walk(root(data)):
        if node.type == "function_statement":
            fname = first_child(node, "function_name")
            if fname is not None and text(fname, data).casefold() == name.casefold():
                return node
    raise AssertionError(f"function {name} not found")


def enclosing_function(node: Node, data: bytes) -> str | None:
    for parent in ancestors(node):
        if parent.type == "function_statement":
            fname = first_child(parent, "function_name")
            return None if fname is None else text(fname, data)
    return None


def should_process_block(node: Node, data: bytes) -> Node | None:
    """The nearest ``if ($PSCmdlet.ShouldProcess(...)) { }`` block around node."""
    child = node
    for parent in ancestors(node):
        if child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
        }:
            condition = parent.child_by_field_name("condition")
            if condition is not None and re.search(
                r"\$PSCmdlet\.ShouldProcess\(", text(condition, data), re.I
            ):
                return child
        child = parent
    return None


def statement(node: Node) -> Node:
    """The pipeline (or flow statement) a node belongs to, up to its block."""
    found = node
    for parent in ancestors(node):
        if parent.type in {"pipeline", "flow_control_statement"}:
            found = parent
        if parent.type in {"statement_list", "statement_block", "script_block"}:
            break
    return found


def base_variable(left: Node, data: bytes) -> str | None:
    """``$x`` of ``$x = ...``, ``$x.Member = ...`` or ``$x[$i] = ...``."""
    found = next((n for n in walk(left) if n.type == "variable"), None)
    return None if found is None else var_name(found, data)


def variables(node: Node, data: bytes) -> set[str]:
    return {var_name(n, data) for n in walk(node) if n.type == "variable"}


def member_names(node: Node, data: bytes) -> set[str]:
    return {text(n, data).casefold() for n in walk(node) if n.type == "member_name"}


def command_names(node: Node, data: bytes) -> set[str]:
    found: set[str] = set()
    for n in walk(node):
        if n.type == "command":
            name = n.child_by_field_name("command_name")
            if name is not None:
                found.add(text(name, data).casefold())
    return found


def assignments(data: bytes) -> Iterator[tuple[Node, Node, Node]]:
    """(assignment, left side, value) for every ``x = ...`` in the script."""
    for node in walk(root(data)):
        if node.type == "assignment_expression":
            left = first_child(node, "left_assignment_expression")
            value = first_child(node, "assignment_value")
            if left is not None and value is not None:
                yield node, left, value


# ------------------------------------------------------------------- taint


SOURCE_COMMANDS = {"get-credential", "get-drcredential"}
SOURCE_MEMBERS = {"getnetworkcredential", "password"}
SOURCE_VARIABLES = {"credential", "credentialcache"}

#: Commands whose arguments end up on the host, in an output stream, in a file or
#: in the transcript. Every Write-* (including the Write-Dr* helpers) counts.
WRITERS = {
    "out-file",
    "out-host",
    "out-default",
    "out-string",
    "out-printer",
    "set-content",
    "add-content",
    "export-clixml",
    "export-csv",
    "tee-object",
    "start-transcript",
    "convertto-json",
    "new-item",
    "set-item",
    "set-itemproperty",
    "new-itemproperty",
    "new-eventlog",
}
WRITER_METHODS = {
    "writealltext",
    "writealllines",
    "writeallbytes",
    "appendalltext",
    "appendalllines",
    "writeline",
    "write",
    "save",
}


#: Methods that put their argument into the object they are called on.
COLLECTING_METHODS = {"add", "addrange", "insert", "push", "enqueue"}

#: Members of a credential-tainted object that carry no secret.
SAFE_MEMBERS = {"username", "exitcode", "returnvalue", "count"}


Key = tuple[str, str]  # (function name or "" for the script scope, variable)


def scope_key(node: Node, data: bytes) -> Key:
    """Where a variable lives: its function, or the script for ``$script:x``."""
    raw = text(node, data).lstrip("$").strip("{}").casefold()
    if raw.startswith(("script:", "global:")):
        return "", var_name(node, data)
    return (enclosing_function(node, data) or "").casefold(), var_name(node, data)


def is_tainted(node: Node, data: bytes, tainted: set[Key]) -> bool:
    scope, name = scope_key(node, data)
    # A function reads the script's variables too (dynamic scoping).
    return (scope, name) in tainted or ("", name) in tainted


def tainted_references(node: Node, data: bytes, tainted: set[Key]) -> list[str]:
    """Tainted variables used in node, except through a SAFE_MEMBERS access."""
    found: list[str] = []
    for n in walk(node):
        if n.type != "variable" or not is_tainted(n, data, tainted):
            continue
        parent = n.parent
        member = None if parent is None else first_child(parent, "member_name")
        if (
            parent is not None
            and parent.type == "member_access"
            and member is not None
            and text(member, data).casefold() in SAFE_MEMBERS
        ):
            continue
        found.append(var_name(n, data))
    return found


def is_writer(name: str) -> bool:
    plain = name.casefold()
    return plain in WRITERS or plain.startswith("write-")


def tainted_variables(data: bytes) -> set[Key]:
    """Variables that may hold a credential or a password, to a fixpoint.

    Per function (PowerShell variables are local unless ``$script:``). ``$a =
    $b.Method(...)`` links both ways (``$node`` is a part of ``$document``), and a
    tainted ``$x.Member = ...`` or ``$x[...] = ...`` taints ``$x``.
    """
    tainted: set[Key] = {("", name) for name in SOURCE_VARIABLES}
    pairs = list(assignments(data))
    loops = [n for n in walk(root(data)) if n.type == "foreach_statement"]
    calls = [n for n in walk(root(data)) if n.type == "invocation_expression"]
    changed = True
    while changed:
        changed = False

        def taint(key: Key) -> None:
            nonlocal changed
            if key not in tainted:
                tainted.add(key)
                changed = True

        for _, left, value in pairs:
            target = next((n for n in walk(left) if n.type == "variable"), None)
            if target is None:
                continue
            dirty = (
                tainted_references(value, data, tainted)
                or member_names(value, data) & SOURCE_MEMBERS
                or command_names(value, data) & SOURCE_COMMANDS
            )
            if dirty:
                taint(scope_key(target, data))
            # $node = $document.SelectSingleNode(...): $node is a part of $document.
            # Only for a plain variable on the left: in $x.Member = $y.Other, the
            # value is not a part of $y's owner.
            owner = next((n for n in walk(value) if n.type == "variable"), None)
            if (
                owner is not None
                and text(left, data).strip() == text(target, data)
                and is_tainted(target, data, tainted)
                and text(value, data).startswith(text(owner, data) + ".")
            ):
                taint(scope_key(owner, data))
        # $list.Add($secret): the collection now holds the secret.
        for call in calls:
            member = first_child(call, "member_name")
            receiver = call.named_children[0] if call.named_children else None
            arguments = first_child(call, "argument_list")
            if (
                member is not None
                and text(member, data).casefold() in COLLECTING_METHODS
                and receiver is not None
                and receiver.type == "variable"
                and arguments is not None
                and tainted_references(arguments, data, tainted)
            ):
                taint(scope_key(receiver, data))
        for loop in loops:
            loop_var = first_child(loop, "variable")
            source = first_child(loop, "pipeline")
            if (
                loop_var is not None
                and source is not None
                and tainted_references(source, data, tainted)
            ):
                taint(scope_key(loop_var, data))
    return tainted


def is_bare_expression(node: Node, data: bytes) -> bool:
    """A statement that is only a value (no assignment, no command, not a call of
    a method other than GetNetworkCredential): PowerShell writes it to output."""
    if node.type != "pipeline" or node.parent is None:
        return False
    if node.parent.type != "statement_list":
        return False
    if any(n.type in {"assignment_expression", "command"} for n in walk(node)):
        return False
    top = node
    while len(top.named_children) == 1:
        top = top.named_children[0]
    if top.type == "invocation_expression":
        member = first_child(top, "member_name")
        return member is not None and text(member, data).casefold() in SOURCE_MEMBERS
    return True


def leaks(data: bytes) -> list[str]:
    """Writers (commands, throw, file methods) whose statement touches a secret."""
    tainted = tainted_variables(data)
    found: list[str] = []

    def touches(node: Node) -> bool:
        return bool(
            tainted_references(node, data, tainted)
            or member_names(node, data) & SOURCE_MEMBERS
            or command_names(node, data) & SOURCE_COMMANDS
        )

    for node in walk(root(data)):
        line = node.start_point[0] + 1
        if is_bare_expression(node, data) and touches(node):
            found.append(f"{line}: {text(node, data)[:80]}")
        elif node.type == "command":
            name = node.child_by_field_name("command_name")
            if name is None or not is_writer(text(name, data)):
                continue
            if touches(statement(node)):
                found.append(f"{line}: {text(statement(node), data)[:80]}")
        elif node.type == "flow_control_statement" and text(node, data).startswith(
            "throw"
        ):
            if touches(node):
                found.append(f"{line}: {text(node, data)[:80]}")
        elif node.type == "invocation_expression":
            member = first_child(node, "member_name")
            if member is None or text(member, data).casefold() not in WRITER_METHODS:
                continue
            if text(node, data).startswith("$document.Save($temporary)"):
                continue  # the answer-file copy in the private folder, checked below
            if touches(node):
                found.append(f"{line}: {text(node, data)[:80]}")
    return found


# ----------------------------------------------------------------- fixtures


def scripts(
    all_artifacts: list[RenderedArtifact], name: str | None = None
) -> list[tuple[RenderedArtifact, bytes]]:
    found = [
        (a, encode_text(a.text, ArtifactKind.POWERSHELL))
        for a in all_artifacts
        if a.kind is ArtifactKind.POWERSHELL and (name is None or a.path.name == name)
    ]
    assert found
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every file the CLI writes for both examples, by relative path."""
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(INVENTORIES / "example.yaml"),
            str(INVENTORIES / "consolidated.yaml"),
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    assert len(files) >= 30
    return files


# ------------------------------------------------- secret-like content anywhere


SECRET_TAG = re.compile(r"pass(word|wd|phrase)?$|pwd$|secret$|credential", re.I)
ASSIGNED_SECRET = re.compile(
    r"""(?i)(?<![a-z])(?:pass(?:word|wd|phrase)?|pwd)(?![a-z])['"]?"""
    r"""\s*[:=]\s*(?P<value>[^\s,;}]*)"""
)
#: What may follow "password =" / "password:": an empty literal or an expression.
ALLOWED_AFTER = re.compile(r"^(''|\"\"|\$|\(|$)")


def secret_like(name: str, raw: bytes) -> list[str]:
    """Secret-looking content in one file's bytes."""
    problems: list[str] = []
    content = raw.decode("utf-8-sig")
    problems += [
        f"{name}: literal secret {match[0]!r}"
        for match in ASSIGNED_SECRET.finditer(content)
        if not ALLOWED_AFTER.match(match["value"])
    ]
    if re.search(r"ConvertTo-SecureString\b[^\n]*-AsPlainText", content, re.I):
        problems.append(f"{name}: ConvertTo-SecureString -AsPlainText")
    if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", content):
        problems.append(f"{name}: private key")
    if name.endswith(".xml"):
        tree = ET.fromstring(raw)
        for element in tree.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            if SECRET_TAG.search(tag) and (element.text or "").strip():
                problems.append(f"{name}: <{tag}> is not empty")
            for attribute, value in element.attrib.items():
                if SECRET_TAG.search(attribute) and value.strip():
                    problems.append(f"{name}: {tag}@{attribute} is not empty")
            if element.get("Hidden", "").casefold() == "true":
                problems += [
                    f"{name}: hidden <Value> is not empty"
                    for child in element.iter()
                    if child.tag == "Value" and (child.text or "").strip()
                ]
    if name.endswith(".ps1"):
        problems += [
            f"{name}:{command.line}: ConvertTo-SecureString"
            for command in ps.commands(raw)
            if command.name.casefold() == "convertto-securestring"
        ]
        problems += [f"{name}:{leak}" for leak in leaks(raw)]
    return problems


def test_no_rendered_file_holds_secret_like_content(
    all_artifacts: list[RenderedArtifact],
) -> None:
    checked = 0
    for art in all_artifacts:
        raw = encode_text(art.text, art.kind)
        assert secret_like(str(art.path), raw) == []
        checked += 1
    assert checked >= 30


def test_no_written_file_holds_secret_like_content(written: dict[str, bytes]) -> None:
    assert any(name.endswith("manifest.json") for name in written)
    for name, raw in written.items():
        assert secret_like(name, raw) == [], name


def test_answer_files_carry_only_empty_passwords(
    all_artifacts: list[RenderedArtifact],
) -> None:
    answers = [a for a in all_artifacts if a.path.name == "ConfigurationAnswers.xml"]
    assert len(answers) >= 5
    for art in answers:
        tree = ET.fromstring(art.text.encode("utf-8"))
        passwords = tree.findall(".//Password")
        assert len(passwords) >= 3
        assert all(p.text is None and len(p) == 0 for p in passwords)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.xml", b"<r><NTService><Password>Hunter2</Password></NTService></r>"),
        ("a.xml", b'<r><Q Hidden="true"><Value>Hunter2</Value></Q></r>'),
        ("a.xml", b'<r><S password="Hunter2"/></r>'),
        ("a.ps1", b"$password = 'Hunter2'\n"),
        ("a.ps1", b"$arguments = @{ Password = 'Hunter2' }\n"),
        ("a.json", b'{"sso_password": "Hunter2"}\n'),
        ("a.ps1", b"$s = ConvertTo-SecureString -String $x -AsPlainText -Force\n"),
        ("a.ps1", b"$c = Get-Credential\n$c | Export-Clixml -Path 'c.xml'\n"),
        ("a.ps1", b"$c = Get-Credential\nSet-Content -Path 'x' -Value $c.Password\n"),
        ("a.ps1", b"Write-Host $Credential.GetNetworkCredential().Password\n"),
        (
            "a.ps1",
            b"$p = (Get-DrCredential -Account 'a').GetNetworkCredential()\n"
            b"$q = $p\nWrite-Output ('{0}' -f $q)\n",
        ),
        ("a.ps1", b'$cred = Get-Credential\nWrite-Host "user $($cred.Password)"\n'),
        ("a.ps1", b"$c = Get-Credential\nthrow ('bad {0}' -f $c.Password)\n"),
        ("a.ps1", b"$c = Get-Credential\n$c.GetNetworkCredential().Password\n"),
        ("a.ps1", b"function F {\n    $c = Get-Credential\n    $c\n}\n"),
        (
            "a.ps1",
            b"$c = Get-Credential\n"
            b"[IO.File]::WriteAllText('x', $c.GetNetworkCredential().Password)\n",
        ),
    ],
)
def test_the_secret_scan_catches(name: str, content: bytes) -> None:
    assert secret_like(name, content) != []


# ---------------------------------------------- plain text only where intended


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
    for art, data in scripts(all_artifacts):
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
    for art, data in scripts(all_artifacts, "Initialize-DrServer.ps1"):
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
    for art, data in scripts(all_artifacts, "Initialize-DrServer.ps1"):
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
    for art, data in scripts(all_artifacts, "Initialize-DrServer.ps1"):
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
    for art, data in scripts(all_artifacts):
        assert leaks(data) == [], art.path
    # The taint analysis does see the secret holders of the prepare script.
    _, data = scripts(all_artifacts, "Initialize-DrServer.ps1")[0]
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
    art, _ = scripts(all_artifacts, "Initialize-DrServer.ps1")[0]
    assert anchor in art.text
    index = art.text.index(anchor)
    line_start = art.text.rindex("\n", 0, index) + 1
    indent = art.text[line_start:index]
    broken = art.text[:line_start] + indent + inserted + "\n" + art.text[line_start:]
    data = encode_text(broken, ArtifactKind.POWERSHELL)
    assert ps.syntax_problems(data) == []
    assert leaks(data) != []


# --------------------------------------------------- secrets in the inventory


SECRET = "Hunter2-S3cr3t!xyzzy"


@pytest.mark.parametrize(
    ("anchor", "line"),
    [
        ("schema: drgen/v1\n", "password: {secret}\n"),
        ("  accounts:\n", "    sso_password: {secret}\n"),
        ("  accounts:\n", "    Password: '{secret}'\n"),
        ("      account: CONTOSO\\svc-bts-send\n", "      password: {secret}\n"),
        ("  sso:\n", "    master_secret_password: {secret}\n"),
        ("dr:\n", "  service_pwd: {secret}\n"),
        ("group:\n", "  credentials:\n    sso: {secret}\n"),
        (
            "    - {name: server1, host_instances: [Send]}\n",
            "    - password: {secret}\n",
        ),
        pytest.param(
            "    SQLPROD01: SQLDR01\n",
            "    password: {secret}\n",
            id="dr.sql-password",
        ),
    ],
)
def test_a_secret_in_the_inventory_is_refused(
    example_text: str,
    tmp_path: Path,
    runner: CliRunner,
    anchor: str,
    line: str,
) -> None:
    assert anchor in example_text
    text_with_secret = example_text.replace(
        anchor, anchor + line.format(secret=SECRET), 1
    )
    # The diagnostic points at the secret-looking key: the first inserted line.
    inserted_at = example_text.index(anchor) + len(anchor)
    secret_line = example_text[:inserted_at].count("\n") + 1
    path = tmp_path / "leaky.yaml"
    path.write_text(text_with_secret, encoding="utf-8")

    with pytest.raises(InventoryError) as caught:
        plan_inventories([path])
    assert caught.value.exit_code == ExitCode.INVALID_INVENTORY
    secrets = [d for d in caught.value.diagnostics if d.code == "secret-in-inventory"]
    assert len(secrets) == 1
    assert secrets[0].location.line == secret_line
    assert secrets[0].location.column > 0
    for diagnostic in caught.value.diagnostics:
        assert SECRET not in diagnostic.format()
    assert SECRET not in str(caught.value)

    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(path), "--out", str(out)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert "error[secret-in-inventory]" in result.stderr
    assert f"leaky.yaml:{secret_line}:" in result.stderr
    assert SECRET not in result.output
    assert SECRET not in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.rglob("*"))
