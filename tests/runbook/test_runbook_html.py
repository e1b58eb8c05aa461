"""Runbook.html: well-formed, accessible, self-contained, complete, deterministic,
and part of the bundle like every other file (the browser test is
test_runbook_browser.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from generator.cli.app import app
from generator.errors import TemplateError
from generator.inventory.load import load_inventory
from generator.inventory.model import model_sha256
from generator.inventory.validation import parse_inventory
from generator.plan.contexts import SiteRunbook
from generator.plan.outputs import ArtifactKind
from generator.plan.procedure import SERVER_FOLDER, SITE_FOLDER
from generator.plan.prose import plain
from generator.plan.runbook import RunbookDocument, runbook_document
from generator.plan.servermap import server_map
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment, render_artifact
from tests.support.paths import EXAMPLES, INVENTORIES
from tests.support.runbook import steps
from tests.support.scripts import artifact

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]


def html_text(rendered: Rendered, stem: str) -> str:
    return artifact(rendered, stem, "Runbook.html").text


def parse(text: str) -> ET.Element:
    """The runbook read as XML: it is written as XHTML-compatible HTML5."""
    return ET.fromstring(text.encode("utf-8"))


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def text_of(element: ET.Element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def document(plan: Plan) -> RunbookDocument:
    (spec,) = [s for s in plan.artifacts if s.path.name == "Runbook.html"]
    assert isinstance(spec.context, SiteRunbook)
    return spec.context.runbook


def step_sections(root: ET.Element) -> dict[str, ET.Element]:
    """Each step's <section>, by the number in its heading."""
    found = {}
    for section in root.iter(f"{XHTML}section"):
        if "step" not in section.get("class", "").split():
            continue
        (number,) = [s for s in section.iter(f"{XHTML}span") if s.get("class") == "num"]
        found[text_of(number)] = section
    return found


# --- the bundle --------------------------------------------------------------


def test_every_site_gets_a_runbook_html_beside_runbook_md(plans) -> None:
    for plan in plans.values():
        paths = {spec.path for spec in plan.artifacts}
        (md,) = [p for p in paths if p.name == "Runbook.md"]
        assert md.with_name("Runbook.html") in paths
        (spec,) = [s for s in plan.artifacts if s.path.name == "Runbook.html"]
        assert spec.kind is ArtifactKind.HTML
        assert not spec.kind.signed
        assert not spec.kind.bom
        assert spec.kind.newline == "\n"


def test_it_is_in_the_manifest_and_the_bundle_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    root = tmp_path / "example"
    data = (root / "DR-West" / "Runbook.html").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed["DR-West/Runbook.html"] == digest
    check = (root / "DR-West" / "Test-DrBundle.ps1").read_text(encoding="utf-8-sig")
    assert f"Path = 'Runbook.html'\n        Sha256 = '{digest.upper()}'" in check, (
        "the bundle check does not vouch for Runbook.html"
    )
    # And drgen verify reads it back: a changed byte is a finding.
    assert runner.invoke(app, ["verify", str(tmp_path)]).exit_code == 0
    (root / "DR-West" / "Runbook.html").write_bytes(data.replace(b"DR", b"Dr", 1))
    changed = runner.invoke(app, ["verify", str(tmp_path)])
    assert changed.exit_code != 0
    assert "Runbook.html" in changed.stderr


def test_two_renders_are_byte_identical(plans) -> None:
    for plan in plans.values():
        (spec,) = [s for s in plan.artifacts if s.path.name == "Runbook.html"]
        first = render_artifact(make_environment(), spec).text
        again = render_artifact(make_environment(), spec).text
        assert encode_text(first, spec.kind) == encode_text(again, spec.kind)
        # Built anew from the site plan, the document is equal too.
        assert runbook_document(plan.site) == document(plan)


# --- well-formed, accessible, self-contained ---------------------------------


@pytest.mark.parametrize("stem", EXAMPLES)
def test_it_is_well_formed_xhtml5(rendered, stem: str) -> None:
    text = html_text(rendered, stem)
    assert text.startswith("<!DOCTYPE html>\n<html ")
    root = parse(text)
    assert root.tag == f"{XHTML}html"
    assert root.get("lang") == "en"
    (meta,) = [m for m in root.iter(f"{XHTML}meta") if m.get("charset")]
    assert meta.get("charset") == "utf-8"
    # Polyglot: no named entity but the XML ones (a browser and expat agree).
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x?[0-9a-fA-F]+);)", text)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_headings_title_and_table_headers(rendered, plans, stem: str) -> None:
    root = parse(html_text(rendered, stem))
    site = plans[stem].site
    (title,) = list(root.iter(f"{XHTML}title"))
    assert text_of(title) == f"DR runbook: {site.group_name}, site {site.site}"
    levels = [
        int(local(e.tag)[1])
        for e in root.iter()
        if re.fullmatch(r"h[1-6]", local(e.tag)) and e.tag.startswith(XHTML)
    ]
    assert levels[0] == 1
    assert levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    tables = list(root.iter(f"{XHTML}table"))
    assert len(tables) > 10
    for table in tables:
        headers = list(table.iter(f"{XHTML}th"))
        assert headers, "a table without header cells"
        assert {h.get("scope") for h in headers} <= {"col", "row"}
        assert all(h.get("scope") for h in headers)
        for head in table.iter(f"{XHTML}thead"):
            assert all(h.get("scope") == "col" for h in head.iter(f"{XHTML}th"))


@pytest.mark.parametrize("stem", EXAMPLES)
def test_the_map_has_a_text_alternative(rendered, plans, stem: str) -> None:
    root = parse(html_text(rendered, stem))
    (svg,) = list(root.iter(f"{SVG}svg"))
    assert svg.get("role") == "img"
    ids = svg.get("aria-labelledby", "").split()
    assert len(ids) == 2
    by_id = {e.get("id"): e for e in svg.iter() if e.get("id")}
    title, desc = (by_id[i] for i in ids)
    assert local(title.tag) == "title"
    assert local(desc.tag) == "desc"
    described = text_of(desc)
    for server in plans[stem].site.servers:
        assert f"DR server {server.name}" in described
        for host in server.host_names:
            assert host in described
        for mirrored in server.mirrors:
            assert mirrored in described
    # Every name in the picture is real text, readable and searchable.
    drawn = {text_of(t) for t in svg.iter(f"{SVG}text")}
    for server in plans[stem].site.servers:
        assert server.name in drawn
    for name in plans[stem].site.production_servers:
        assert name in drawn


@pytest.mark.parametrize("stem", EXAMPLES)
def test_self_contained_without_script(rendered, stem: str) -> None:
    root = parse(html_text(rendered, stem))
    tags = {local(e.tag) for e in root.iter()}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not local(name).startswith("on"), (element.tag, name)
            if local(name) in ("href", "src"):
                assert value.startswith("#"), value
    (style,) = list(root.iter(f"{XHTML}style"))
    css = style.text or ""
    assert "@import" not in css
    assert re.findall(r"url\(", css) == []
    # The one url() of the page: the SVG arrow marker, inside the document.
    refs = [v for e in root.iter() for v in e.attrib.values() if "url(" in v]
    assert refs
    assert set(refs) == {"url(#arrowhead)"}
    ids = {e.get("id") for e in root.iter()}
    assert "arrowhead" in ids
    for element in root.iter(f"{XHTML}a"):
        assert element.get("href", "#")[1:] in ids


@pytest.mark.parametrize("stem", EXAMPLES)
def test_print_css_for_a4(rendered, stem: str) -> None:
    """What the PDF check in test_runbook_browser.py relies on, spelled out."""
    css = text_of(next(parse(html_text(rendered, stem)).iter(f"{XHTML}style")))
    assert "@page { size: A4;" in css
    assert "@top-left { content: " in css
    # No forced break per phase: it left pages nearly empty (test_runbook_print).
    assert "break-before: page" not in css
    assert "thead { display: table-header-group; }" in css
    assert "tr { break-inside: avoid;" in css


# --- complete: every server, step, command and database ----------------------


def md_commands(markdown: str) -> set[str]:
    """Every script command of Runbook.md: code spans and code-block lines that
    start with ``.\\``."""
    found: set[str] = set()
    for token in MarkdownIt().parse(markdown):
        if token.type == "code_block":
            found.update(
                line.strip()
                for line in token.content.splitlines()
                if line.strip().startswith(".\\")
            )
        for child in token.children or []:
            if child.type == "code_inline" and child.content.startswith(".\\"):
                found.add(child.content)
    return found


def test_same_commands_and_steps_as_runbook_md(rendered, plans) -> None:
    """Both runbooks print one procedure: every phase, in Runbook.md as
    ``### <phase>.<k>`` sections with the same titles, commands and targets."""
    for stem, plan in plans.items():
        doc = document(plan)
        markdown = artifact(rendered, stem, "Runbook.md").text
        assert set(doc.commands) == md_commands(markdown), stem
        for phase in doc.phases:
            items = steps(markdown, f"{phase.number}. {phase.title}")
            assert len(items) == len(phase.steps), (stem, phase.number)
            for step, item in zip(phase.steps, items, strict=True):
                assert item.text.startswith(step.title), (stem, step.number)
                for command in step.commands:
                    assert command in item.code, (stem, command)
                for target in step.runs_on:
                    assert plain(target) in item.text, (stem, step.number)


def test_every_command_names_a_script_of_the_bundle(rendered, plans) -> None:
    for stem, plan in plans.items():
        root = PurePosixPath(plan.site.stem, plan.site.site)
        files = rendered[stem]
        for step in document(plan).steps:
            for command in step.commands:
                script, *args = command.split()
                name = script.removeprefix(".\\")
                if step.folder == SITE_FOLDER:
                    folders = [root]
                else:
                    assert step.folder == SERVER_FOLDER
                    assert set(step.targets) <= set(plan.site.server_names)
                    folders = [root / server for server in step.targets]
                for folder in folders:
                    text = files[folder / name].text
                    for arg in args:
                        if arg.startswith("-"):
                            # Declared with a type, as in the param() block.
                            declared = rf"\]\s*\${re.escape(arg[1:])}\b"
                            assert re.search(declared, text), (command, folder)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_every_step_is_printed_with_its_sign_off_rows(
    rendered, plans, stem: str
) -> None:
    root = parse(html_text(rendered, stem))
    sections = step_sections(root)
    steps = document(plans[stem]).steps
    assert list(sections) == [s.number for s in steps]
    for step in steps:
        section = sections[step.number]
        words = text_of(section)
        assert step.title in words
        assert plain(step.success) in words
        pre = [text_of(p) for p in section.iter(f"{XHTML}pre")]
        assert pre == ([" ".join(step.commands)] if step.commands else [])
        if step.commands:
            (code,) = section.iter(f"{XHTML}pre")
            assert (code.text or "").split("\n") == list(step.commands)
        signoff = [
            t for t in section.iter(f"{XHTML}table") if t.get("class") == "signoff"
        ]
        if not step.runs_on:
            assert signoff == []
            continue
        (table,) = signoff
        head = [
            text_of(th) for th in table.iter(f"{XHTML}th") if th.get("scope") == "col"
        ]
        assert head == ["Runs on", "Done", "Done by", "At"]
        rows = list(next(table.iter(f"{XHTML}tbody")))
        assert [text_of(r[0]) for r in rows] == list(step.targets)
        for row in rows:
            box, by, at = row[1:]
            assert text_of(box) == "\u2610"
            assert text_of(by) == text_of(at) == ""


def test_every_phase_is_there_in_order(plans) -> None:
    for plan in plans.values():
        doc = document(plan)
        assert [p.number for p in doc.phases] == ["0", "1", "2", "3", "4", "5", "6"]
        titles = [p.title.split(" (")[0] for p in doc.phases]
        assert titles == [
            "Bundle check",
            "Prepare",
            "DR drill",
            "Failover",
            "Stand down",
            "Re-arm",
            "Failback",
        ]
        for phase in doc.phases:
            numbers = [s.number for s in phase.steps]
            assert numbers == [
                f"{phase.number}.{i}" for i in range(1, len(numbers) + 1)
            ]


@pytest.mark.parametrize("stem", EXAMPLES)
def test_every_server_and_database_is_in_the_text(rendered, plans, stem: str) -> None:
    plan = plans[stem]
    root = parse(html_text(rendered, stem))
    body = next(root.iter(f"{XHTML}body"))
    words = text_of(body)
    site = plan.site
    for server in site.servers:
        assert server.name in words
        for role in server.roles:
            assert role in words
        for host in server.host_names:
            assert host in words
    (sql,) = [s for s in root.iter(f"{XHTML}section") if s.get("id") == "sql"]
    rows = [
        [text_of(c) for c in row]
        for row in sql.iter(f"{XHTML}tr")
        if row[0].tag == f"{XHTML}th" and row[0].get("scope") == "row"
    ]
    for move in site.update_info.all_moves:
        assert [
            move.display + (" (master)" if move.is_master else ""),
            move.old_name,
            move.old_server,
            move.new_server,
        ] in rows
        assert [move.old_server, move.new_server] in rows
    (sha,) = [
        r for r in root.iter(f"{XHTML}tr") if text_of(r[0]) == "Inventory SHA-256"
    ]
    doc = load_inventory(INVENTORIES / f"{stem}.yaml")
    assert text_of(sha[1]).split()[0] == model_sha256(parse_inventory(doc))
    assert site.stem in words
    assert site.site in words


def test_the_failover_runs_where_the_plan_says(plans) -> None:
    for stem, plan in plans.items():
        site = plan.site
        doc = document(plan)
        by_title = {s.title: s for s in doc.phases[3].steps}
        assert doc.phases[0].steps[0].targets == site.server_names
        update = by_title["Point the restored databases at DR"]
        assert update.targets == (site.update_databases_server,)
        assert update.commands == (".\\Update-DrGroupDatabases.ps1",)
        master = by_title["Enable the master secret server"]
        assert master.targets == (site.master_secret_server,)
        others = by_title.get("Enable the other DR servers")
        assert (others.targets if others else ()) == site.failover_after_master
        restore = by_title["DBA: restore the databases to the mark"]
        assert restore.targets == site.dr_sql_instances
        stop = by_title["Not in a drill: stop processing in production"]
        production = site.production_servers
        assert stop.targets[: len(production)] == production
        # BAM steps only where the group has BAM (Microsoft's scenario has none).
        bam = [t for t in by_title if "BAM" in t]
        assert bool(bam) == site.has_bam, stem
        for title in bam:
            assert by_title[title].by_hand
            assert by_title[title].runs_on
    (others,) = [
        s
        for s in document(plans["example"]).phases[3].steps
        if s.title == "Enable the other DR servers"
    ]
    assert others.targets == ("DRserver2", "DRserver3")


# --- the map -----------------------------------------------------------------


def _inside(outer: tuple[int, int, int, int], x: int, y: int) -> bool:
    left, top, width, height = outer
    return left <= x <= left + width and top <= y <= top + height


@pytest.mark.parametrize("stem", EXAMPLES)
def test_map_geometry(plans, stem: str) -> None:
    site = plans[stem].site
    drawn = server_map(site)
    boxes = {b.texts[0].text: b for b in drawn.boxes}
    assert set(boxes) == {*site.server_names, *site.production_servers}
    for box in drawn.boxes:
        assert box.x >= 0
        assert box.y >= 0
        assert box.x + box.width <= drawn.width
        assert box.y + box.height <= drawn.height
        for text in box.texts:
            assert _inside((box.x, box.y, box.width, box.height), text.x, text.y)
            # Monospace at 0.6 em: the line fits in its box.
            size = 13 if text.css == "name" else 11
            assert text.x + len(text.text) * size * 0.6 <= box.x + box.width
    for column in ("production", "dr"):
        same = sorted(
            (b for b in drawn.boxes if (b.css == "dr") == (column == "dr")),
            key=lambda b: b.y,
        )
        for upper, lower in itertools.pairwise(same):
            assert upper.y + upper.height < lower.y, "boxes overlap"
    # One arrow per mirrored production server, from its right edge to the left
    # edge of the DR server that mirrors it.
    ends = []
    for path in drawn.arrows:
        x1, y1, *_, x2, y2 = (int(v) for v in re.findall(r"-?\d+", path))
        ends.append(((x1, y1), (x2, y2)))
    pairs = set()
    for (x1, y1), (x2, y2) in ends:
        (source,) = [
            n
            for n, b in boxes.items()
            if b.x + b.width == x1 and b.y <= y1 <= b.y + b.height
        ]
        (target,) = [
            n for n, b in boxes.items() if b.x == x2 and b.y <= y2 <= b.y + b.height
        ]
        pairs.add((source.upper(), target))
    assert pairs == {(m.upper(), s.name) for s in site.servers for m in s.mirrors}


def test_map_marks_a_production_server_nobody_mirrors(plans) -> None:
    site = plans["example"].site
    lonely = dataclasses.replace(
        site, production_servers=(*site.production_servers, "server9")
    )
    drawn = server_map(lonely)
    (box,) = [b for b in drawn.boxes if b.texts[0].text == "server9"]
    assert box.css == "unmirrored"
    assert box.y > max(b.y for b in drawn.boxes if b is not box)
    assert "Production server server9 has no DR counterpart." in drawn.description
    assert len(drawn.arrows) == len(server_map(site).arrows)


# --- text stays text ---------------------------------------------------------


def test_inventory_text_is_escaped(plans) -> None:
    """A group name full of markup prints as text and the page stays well-formed."""
    plan = plans["example"]
    hostile = "<b>Group</b> & 'x' \"y\" ]]> <!--"
    site = dataclasses.replace(plan.site, group_name=hostile)
    (spec,) = [s for s in plan.artifacts if s.path.name == "Runbook.html"]
    spec = dataclasses.replace(spec, context=SiteRunbook(site, runbook_document(site)))
    text = render_artifact(make_environment(), spec).text
    root = parse(text)
    (h1,) = list(root.iter(f"{XHTML}h1"))
    assert text_of(h1) == f"DR runbook: {hostile}, site {site.site}"
    assert "<b>" not in text


def test_a_broken_template_is_a_located_error(tmp_path: Path, plans) -> None:
    """render.py parses the HTML it rendered: unbalanced markup fails the render."""
    templates = tmp_path / "templates" / "site"
    templates.mkdir(parents=True)
    (templates / "Runbook.html.jinja").write_text("<html><p>{{ site.site }}</html>\n")
    (spec,) = [s for s in plans["example"].artifacts if s.path.name == "Runbook.html"]
    with pytest.raises(TemplateError, match="HTML is not well-formed"):
        render_artifact(make_environment(tmp_path / "templates"), spec)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_it_names_the_bundle_id_the_drill_results_carry(
    rendered, plans, stem: str
) -> None:
    """The signed paper record and the report's verdict name the same bundle."""
    from generator.bundle.build import plan_identity

    wanted = plan_identity(plans[stem], make_environment()).bundle_id
    assert re.fullmatch(r"[0-9a-f]{64}", wanted)
    root = parse(html_text(rendered, stem))
    rows = {}
    for tr in root.iter(f"{XHTML}tr"):
        th, td = tr.find(f"{XHTML}th"), tr.find(f"{XHTML}td")
        if th is not None and td is not None:
            rows[text_of(th)] = text_of(td)
    assert rows["Bundle id"].split()[0] == wanted
