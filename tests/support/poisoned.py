"""Renders of the examples for the catalogue tests: with the templates as they
are, with one template edited, and with a poisoned catalogue whose every name is
a marker (so a name a template spells itself shows)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path, PurePosixPath

import pytest

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE, Catalogue, Kind
from generator.defaults import DEFAULT_TEMPLATES
from generator.plan import databases, discovery_reads
from generator.plan import servers as server_plan
from generator.plan import site as plan_module
from generator.plan.labprobe import probe_items
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from tests.support.paths import EXAMPLES, INVENTORIES


def script_files(
    artifacts: list[RenderedArtifact],
) -> list[tuple[PurePosixPath, bytes]]:
    found = [
        (a.path, encode_text(a.text, ArtifactKind.POWERSHELL))
        for a in artifacts
        if a.kind is ArtifactKind.POWERSHELL
    ]
    assert found
    return found


SQL_KINDS = (Kind.SQL_TABLE, Kind.SQL_COLUMN)


def poison_marker(entry_id: str) -> str:
    """What a poisoned catalogue prints for an id (SQL names stay identifiers)."""
    if CATALOGUE.entry(entry_id).kind in SQL_KINDS:
        return "POISON_" + re.sub(r"\W", "_", entry_id)
    return f"⟦{entry_id}⟧"


def render_examples(
    templates: Path = DEFAULT_TEMPLATES,
    stems: tuple[str, ...] = EXAMPLES,
    catalogue: Catalogue = CATALOGUE,
) -> list[RenderedArtifact]:
    """The example inventories rendered (unsigned) from a templates folder."""
    env = make_environment(templates, catalogue)
    return [
        art
        for stem in stems
        for art in render_unsigned(
            plan_inventories([INVENTORIES / f"{stem}.yaml"])[0], env
        )
    ]


def render_poisoned(
    templates: Path = DEFAULT_TEMPLATES, stems: tuple[str, ...] = EXAMPLES
) -> list[RenderedArtifact]:
    """The examples rendered with every catalogue name replaced by a marker.

    Poisoned both where templates read it (``n``) and where the plan takes names
    for its data (plan.py, server_plan.py, databases.py, the lab probe items), so
    that no real name
    can reach a script except by being spelled in a template.
    """
    marked = Catalogue(
        tuple(dataclasses.replace(e, name=poison_marker(e.id)) for e in CATALOGUE)
    )
    with pytest.MonkeyPatch.context() as patch:
        for module in (plan_module, server_plan, databases, discovery_reads):
            patch.setattr(module, "N", marked)
        patch.setattr(
            plan_module, "probe_items", lambda version: probe_items(version, marked)
        )
        return render_examples(templates, stems, marked)


def mutated_templates(tmp_path: Path, template: str, old: str, new: str) -> Path:
    """A copy of the templates with one template's text changed (once)."""
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, copy)
    path = copy / template
    text = path.read_text(encoding="utf-8")
    assert old in text, (template, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy
