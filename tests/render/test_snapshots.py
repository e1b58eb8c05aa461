"""Snapshots of every artifact of both examples (LF text; bytes are checked in
test_output.py). A snapshot only freezes output: every behaviour it shows is also
asserted by an oracle or a semantic test elsewhere."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support.paths import EXAMPLES, SNAPSHOTS


def nested(arts: dict[PurePosixPath, RenderedArtifact], stem: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, art in sorted(arts.items()):
        node = tree
        parts = path.relative_to(stem).parts
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = art.text
    return tree


@pytest.mark.parametrize("stem", EXAMPLES)
def test_bundle_snapshot(snapshot: Any, rendered, stem: str) -> None:
    snapshot.snapshot_dir = SNAPSHOTS / stem
    snapshot.assert_match_dir(nested(rendered[stem], stem), "bundle")
