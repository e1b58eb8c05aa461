"""Code constant, data variable: a script's code is the same in every bundle of a
release; only its data block (after param(), literals only) differs.

Proved on the rendered scripts of both examples and of inventories of every shape
(BAM or not, pools or not, gMSA or not, one to three MessageBoxes, the Rules
Engine or not, every BizTalk version), through the parse tree; and the code hash
the manifest records is the one Test-DrBundle.ps1 computes (its algorithm is
mirrored here line by line).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tree_sitter import Node

from generator import api
from generator.bundle.build import render_unsigned
from generator.bundle.review import read_script
from generator.errors import TemplateError
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import make_environment
from generator.render.psdata import (
    DATA_BEGIN,
    DATA_END,
    SIGNATURE_BEGIN,
    Item,
    Row,
    parse_block,
    render_block,
    row,
    split_script,
)
from tests.support import pwsh_oracle as ps
from tests.support.examples import examples
from tests.support.paths import INVENTORIES
from tests.support.shapes import SHAPES, Shape, shaped_inventory

pytestmark = pytest.mark.oracle

SERVER_KINDS = (
    "Initialize-DrServer.ps1",
    "Test-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
    "Reset-DrServer.ps1",
)


def _render(path: Path) -> list[RenderedArtifact]:
    (plan,) = api.plan([path])
    return list(render_unsigned(plan, make_environment()))


@pytest.fixture(scope="module")
def bundles(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, list[RenderedArtifact]]:
    """Every script of both examples and of every shape, by inventory."""
    folder = tmp_path_factory.mktemp("shapes")
    found = {p.stem: _render(p) for p in sorted(INVENTORIES.glob("*.yaml"))}
    for shape in SHAPES:
        path = folder / f"{shape.label}.yaml"
        path.write_text(shaped_inventory(shape), encoding="utf-8")
        found[shape.label] = _render(path)
    return found


def _scripts(arts: list[RenderedArtifact]) -> list[RenderedArtifact]:
    return [a for a in arts if a.kind is ArtifactKind.POWERSHELL]


def test_the_code_of_each_kind_is_one_text_in_every_bundle(
    bundles: dict[str, list[RenderedArtifact]],
) -> None:
    codes: dict[str, set[str]] = defaultdict(set)
    seen: dict[str, set[str]] = defaultdict(set)
    for stem, arts in bundles.items():
        for art in _scripts(arts):
            head, _, tail = split_script(art.text)
            codes[art.path.name].add(head + tail)
            seen[art.path.name].add(stem)
            # What the manifest and Test-DrBundle.ps1 call its code hash.
            assert (
                art.code_sha256
                == hashlib.sha256((head + tail).encode()).hexdigest().upper()
            ), art.path
    assert {kind: len(texts) for kind, texts in codes.items()} == dict.fromkeys(
        codes, 1
    )
    # Every kind, from every inventory (the discovery script from every one too).
    assert set(codes) == {
        *SERVER_KINDS,
        "Update-DrGroupDatabases.ps1",
        "Test-DrBundle.ps1",
        "Test-DrLabFacts.ps1",
        "Export-BizTalkGroup.ps1",
    }
    assert all(stems == set(bundles) for stems in seen.values())
    # And it is the code this release reports (drgen --version --verbose).
    hashes = api.code_hashes()
    for kind, texts in codes.items():
        (text,) = texts
        assert hashlib.sha256(text.encode()).hexdigest().upper() == hashes[kind]


@settings(
    max_examples=examples(6, local=2),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    shape=st.builds(
        Shape,
        version=st.sampled_from(["2013R2", "2016", "2020"]),
        bam=st.booleans(),
        pools=st.integers(-1, 3),
        gmsa=st.booleans(),
        messageboxes=st.integers(1, 3),
        rules_engine=st.booleans(),
        servers=st.integers(1, 3),
        other=st.booleans(),
    )
)
def test_any_shape_renders_the_release_code(shape: Shape, tmp_path: Path) -> None:
    path = tmp_path / f"{shape.label}.yaml"
    path.write_text(shaped_inventory(shape), encoding="utf-8")
    hashes = api.code_hashes()
    for art in _scripts(_render(path)):
        assert art.code_sha256 == hashes[art.path.name], (shape, art.path)


_NOT_LITERAL = (
    "command",
    "invocation_expression",
    "member_access",
    "sub_expression",
    "script_block",
    "expandable_string_literal",
    "expandable_here_string_literal",
    "verbatim_here_string_characters",
)


def _literal(node: Node) -> bool:
    """Nothing but literals: 'text', numbers, $true/$false, @(...) of them and
    [pscustomobject]@{...} records of them; nothing evaluated or expanded."""
    if any(ps.nodes(node, kind) for kind in _NOT_LITERAL):
        return False
    for variable in ps.nodes(node, "variable"):
        if ps.node_text(variable).casefold() not in {"$true", "$false"}:
            return False
    for string in ps.nodes(node, "string_literal"):
        if not ps.node_text(string).startswith("'"):
            return False
    return all(
        ps.node_text(t).casefold() == "[pscustomobject]"
        for t in ps.nodes(node, "type_literal")
    )


def _top_statements(root: Node) -> list[Node]:
    found = []
    for child in root.named_children:
        if child.type == "statement_list":
            found += [c for c in child.named_children if c.type != "comment"]
    return found


def test_the_data_block_follows_param_and_holds_only_literals(
    bundles: dict[str, list[RenderedArtifact]],
) -> None:
    checked = 0
    for arts in bundles.values():
        for art in _scripts(arts):
            head, block, _ = split_script(art.text)
            lines = head.splitlines()
            # param( ... ) closes, then the explanation, then the begin marker.
            close = max(i for i, line in enumerate(lines) if line == ")")
            assert lines[-1] == DATA_BEGIN, art.path
            assert all(line.startswith("#") or not line for line in lines[close + 1 :])
            assert lines[: close + 1][-1] == ")"
            assert any(line.startswith("param(") for line in lines), art.path
            # Every statement of the block is `$Name = <literal>`.
            data = block.encode()
            assert ps.syntax_problems(data) == [], art.path
            root = ps.parse(data).root_node
            for statement in _top_statements(root):
                (assignment,) = ps.nodes(statement, "assignment_expression")[:1]
                value = assignment.child_by_field_name("value")
                assert value is not None
                assert _literal(value), (art.path, ps.node_text(statement)[:80])
                assert not ps.nodes(value, "command"), art.path
                assert not ps.nodes(value, "invocation_expression"), art.path
                assert not ps.nodes(value, "expandable_string_literal"), art.path
                checked += 1
            # The block parses back into exactly what was rendered.
            assert render_block(
                Item(name, value) for name, value in parse_block(block)
            ).replace("\n", "") == "".join(
                line for line in block.splitlines() if not line.startswith("#")
            ), art.path
    assert checked > 1000


def test_the_four_scripts_of_a_server_share_one_data_block(
    bundles: dict[str, list[RenderedArtifact]],
) -> None:
    by_server: dict[tuple[str, PurePosixPath], set[str]] = defaultdict(set)
    for stem, arts in bundles.items():
        for art in _scripts(arts):
            if art.path.name in SERVER_KINDS:
                by_server[(stem, art.path.parent)].add(split_script(art.text)[1])
    assert by_server
    assert all(len(blocks) == 1 for blocks in by_server.values())


def test_a_code_template_cannot_print_an_inventory_value(tmp_path: Path) -> None:
    """The code is rendered with no context at all: a template that reached for
    the inventory fails the render instead of making its code vary."""
    templates = tmp_path / "templates"
    source = INVENTORIES.parent / "templates"
    for file in source.rglob("*.jinja"):
        target = templates / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    enable = templates / "server" / "Enable-DrServer.ps1.jinja"
    enable.write_text(
        enable.read_text(encoding="utf-8").replace(
            "{% block run %}", "{% block run %}\n    # {{ server.name|ps_str }}", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="server"):
        api.code_hashes(templates)


# ---------------------------------------------- the hash Test-DrBundle computes


def test_bundle_check_algorithm(tmp_path: Path, runner) -> None:
    """Get-DrCodeSha256 of Test-DrBundle.ps1, step by step in Python, on the
    signed files of a real render, gives each manifest's code_sha256."""
    from generator.cli.app import app

    out = tmp_path / "out"
    result = runner.invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "example" / "manifest.json").read_text())
    checked = 0
    for entry in manifest["files"]:
        if not entry["path"].endswith(".ps1"):
            assert "code_sha256" not in entry
            continue
        data = (out / "example" / entry["path"]).read_bytes()
        assert _powershell_code_sha256(data) == entry["code_sha256"].upper()
        checked += 1
    assert checked == 19
    # The constants the script compares with are drgen's.
    bundle_check = (out / "example" / "DR-West" / "Test-DrBundle.ps1").read_text(
        encoding="utf-8-sig"
    )
    assert f"$DataBeginLine = '{DATA_BEGIN}'" in bundle_check
    assert f"$DataEndLine = '{DATA_END}'" in bundle_check
    head, rest = SIGNATURE_BEGIN[:8], SIGNATURE_BEGIN[8:]
    assert f"$SignatureBeginLine = '{head}' + '{rest}'" in bundle_check


def _powershell_code_sha256(data: bytes) -> str:
    """Get-DrCodeSha256, statement by statement."""
    # [System.IO.File]::ReadAllText: the UTF-8 BOM is detected and dropped.
    text = data.decode("utf-8-sig")
    signature = text.find("\r\n" + SIGNATURE_BEGIN)
    if signature >= 0:
        text = text[:signature]
    text = text.replace("\r\n", "\n")
    begin_line = "\n" + DATA_BEGIN + "\n"
    end_line = "\n" + DATA_END + "\n"
    begin = text.find(begin_line)
    if begin < 0:
        return ""
    head_end = begin + len(begin_line)
    end = text.find(end_line, head_end - 1)
    if end < 0:
        return ""
    code = text[:head_end] + text[end + 1 :]
    return hashlib.sha256(code.encode("utf-8")).hexdigest().upper()


def test_bundle_check_checks_every_scripts_code(
    bundles: dict[str, list[RenderedArtifact]],
) -> None:
    """Its $ExpectedFiles names the code hash of each script (and only scripts),
    and it records a check per script comparing it."""
    for arts in bundles.values():
        (check,) = [a for a in arts if a.path.name == "Test-DrBundle.ps1"]
        rows = dict(parse_block(split_script(check.text)[1]))["ExpectedFiles"]
        scripts = {
            "\\".join(a.path.relative_to(check.path.parent).parts): a.code_sha256
            for a in _scripts(arts)
            if check.path.parent in a.path.parents and a is not check
        }
        listed = {r.get("Path"): r.get("CodeSha256") for r in rows}  # type: ignore[union-attr]
        assert {p: c for p, c in listed.items() if c} == scripts
        assert (
            "Add-DrCheck -Results $results -Id ('code:{0}' -f $file.Path)" in check.text
        )


# ------------------------------------------------------- cosmetic edits


COSMETIC = (
    ("schema: drgen/v1\n", "# a comment\n\nschema: drgen/v1   # trailing comment\n"),
    ("name: BizTalk Group", "name: 'BizTalk Group'"),
    (
        "    management: {server: SQLPROD01, name: BizTalkMgmtDb}",
        '    management: {name: BizTalkMgmtDb, server: "SQLPROD01"}',
    ),
    ("    - name: Send\n      type: in-process\n", "    - name: Send\n"),
)


def test_a_cosmetic_edit_renders_a_byte_identical_bundle(
    tmp_path: Path, runner, example_text: str
) -> None:
    from generator.cli.app import app

    inventory = tmp_path / "example.yaml"
    inventory.write_text(example_text, encoding="utf-8")
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["render", str(inventory), "--out", str(out)]).exit_code == 0
    )
    edited = example_text
    for old, new in COSMETIC:
        assert old in edited, old
        edited = edited.replace(old, new, 1)
    inventory.write_text(edited, encoding="utf-8")
    result = runner.invoke(
        app, ["render", "--check", str(inventory), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # A change of meaning is seen.
    inventory.write_text(edited.replace("SQLDR01", "SQLDR09"), encoding="utf-8")
    result = runner.invoke(
        app, ["render", "--check", str(inventory), "--out", str(out)]
    )
    assert result.exit_code == 8


def test_round_trip_of_every_value_form() -> None:
    items = [
        Item("Text", "it's ‘quoted’ \\ $(not) `n"),
        Item("Flag", True),
        Item("Off", False),
        Item("Count", 300),
        Item("Empty", ()),
        Item("Names", ("a", "b'c")),
        Item(
            "Rows",
            (row(A="x", B=True, C=(("y", "z"))), row(A="", B=False, C=())),
            records=True,
        ),
        Item("NoRows", (), records=True),
    ]
    block = render_block(items)
    parsed = dict(parse_block(block))
    assert parsed["Text"] == "it's ‘quoted’ \\ $(not) `n"
    assert parsed["Flag"] is True
    assert parsed["Off"] is False
    assert parsed["Count"] == 300
    assert parsed["Names"] == ("a", "b'c")
    rows = parsed["Rows"]
    assert isinstance(rows, tuple)
    assert isinstance(rows[0], Row)
    assert rows[0].get("C") == ("y", "z")
    assert parsed["NoRows"] == ()
    assert ps.syntax_problems(block.encode()) == []


@settings(max_examples=examples(60, local=15), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Z][A-Za-z0-9]{0,10}", fullmatch=True),
            st.one_of(
                st.text(
                    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                    max_size=20,
                ),
                st.booleans(),
                st.integers(-5, 10**6),
                st.lists(
                    st.text(
                        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                        max_size=5,
                    ),
                    max_size=3,
                ).map(tuple),
            ),
        ),
        max_size=6,
        unique_by=lambda pair: pair[0].upper(),
    )
)
def test_parse_block_reads_back_whatever_render_block_writes(
    pairs: list[tuple[str, object]],
) -> None:
    items = [Item(name, value) for name, value in pairs]  # type: ignore[arg-type]
    assert parse_block(render_block(items)) == tuple(pairs)


def test_the_runbooks_say_where_each_data_block_is(
    bundles: dict[str, list[RenderedArtifact]],
) -> None:
    """Reviewing this bundle (Runbook.md and Runbook.html): each kind's code hash
    and each script's data-block lines are the rendered scripts' own."""
    import re

    for arts in bundles.values():
        (md,) = [a for a in arts if a.path.name == "Runbook.md"]
        (html,) = [a for a in arts if a.path.name == "Runbook.html"]
        site = md.path.parent
        scripts = [a for a in _scripts(arts) if site in a.path.parents]
        assert scripts
        for art in scripts:
            view = read_script(art.path, art.text.encode())
            relative = "\\".join(art.path.relative_to(site).parts)
            first, last = view.data_lines
            total = art.text.count("\n")
            row = f"| `{relative}` | {first}-{last} | {total} |"
            assert row in md.text, row
            cell = (
                f'<tr><th scope="row">{relative}</th>'
                f'<td data-label="Data block (lines)">{first}-{last}</td>'
            )
            assert cell in html.text, cell
            # The line numbers are the markers' neighbours.
            lines = art.text.split("\n")
            assert lines[first - 2] == DATA_BEGIN
            assert lines[last] == DATA_END
            code = f"| `{art.path.name}` | `{art.code_sha256}` |"
            assert code in md.text, code
        listed = re.findall(r"^\| `([^`]+\.ps1)` \| \d+-\d+ \|", md.text, re.M)
        assert sorted(listed) == sorted(
            "\\".join(a.path.relative_to(site).parts) for a in scripts
        )
