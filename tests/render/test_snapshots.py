"""Snapshots of every artifact of both examples (LF text; bytes are checked in
test_output.py). A snapshot only freezes output: every behaviour it shows is also
asserted by an oracle or a semantic test elsewhere. A stale snapshot fails naming
``./drgen.sh regen``, which rewrites them (pytest-snapshot's update mode)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support.golden import REGEN, stale
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
    try:
        snapshot.assert_match_dir(nested(rendered[stem], stem), "bundle")
    except AssertionError as mismatch:
        # pytest-snapshot's own message (the diff, its --snapshot-update hint),
        # then the command that rewrites every golden file in order.
        raise AssertionError(
            f"{mismatch}\n{stale(f'tests/snapshots/{stem}')}"
        ) from None


def test_a_stale_snapshot_fails_naming_regen(
    snapshot: Any,
    rendered,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if request.config.getoption("snapshot_update"):
        pytest.skip("--snapshot-update writes snapshots instead of comparing them")
    stem = EXAMPLES[0]
    shutil.copytree(SNAPSHOTS / stem, tmp_path / stem)
    (runbook,) = (tmp_path / stem).rglob("Runbook.md")
    runbook.write_text(runbook.read_text("utf-8") + "an old line\n", "utf-8")
    monkeypatch.setattr(f"{__name__}.SNAPSHOTS", tmp_path)
    with pytest.raises(AssertionError, match=re.escape(REGEN)) as failure:
        test_bundle_snapshot(snapshot, rendered, stem)
    assert "Runbook.md" in str(failure.value)
