"""The manifest's fast writer gives exactly json.dumps(indent=2, sort_keys=True)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import __version__
from generator.bundle.manifest import MANIFEST_SCHEMA, build_manifest
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import EncodedArtifact

ROOT = PurePosixPath("inv")

# Any text a name, template or hash field could hold, quotes, controls and
# non-ASCII included (the writer must escape exactly as json does).
_TEXT = st.text(max_size=12)
_NAME = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/\0"),
    min_size=1,
    max_size=8,
).filter(lambda name: name != ".")  # a "." part vanishes from a path


def _artifact(
    parts: tuple[str, ...],
    kind: ArtifactKind,
    server: str | None,
    template: str,
    signed: bool,
    code: str,
) -> EncodedArtifact:
    return EncodedArtifact(
        ROOT.joinpath(*parts),
        kind,
        template,
        server,
        "ab" * 32,
        signed,
        b"",
        "cd" * 32,
        code,
    )


def _reference(
    artifacts: list[EncodedArtifact], signer: dict[str, str] | None
) -> bytes:
    """The manifest as plain json.dumps writes it (the writer's specification)."""
    files = [
        {
            "path": art.path.relative_to(ROOT).as_posix(),
            "kind": art.kind.value,
            "server": art.server,
            "template": art.template,
            "signed": art.signed,
            "sha256": art.sha256,
            "sha256_unsigned": art.unsigned_sha256,
            **({"code_sha256": art.code_sha256.lower()} if art.code_sha256 else {}),
        }
        for art in sorted(artifacts, key=lambda a: a.path)
    ]
    document = {
        "schema": MANIFEST_SCHEMA,
        "generator": {"name": "drgen", "version": __version__},
        "inventory": {"file": "inv.yaml", "sha256": "ef" * 32},
        "templates_sha256": "01" * 32,
        "signer": signer,
        "files": files,
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(_NAME, min_size=1, max_size=3).map(tuple),
            st.sampled_from(list(ArtifactKind)),
            st.none() | _TEXT,
            _TEXT,
            st.booleans(),
            st.sampled_from(["", "AB" * 32]),
        ),
        max_size=6,
        unique_by=lambda row: row[0],
    ),
    st.none() | st.dictionaries(_TEXT, _TEXT, max_size=3),
)
def test_fast_manifest_equals_json_dumps(
    rows: list[tuple[tuple[str, ...], ArtifactKind, str | None, str, bool, str]],
    signer: dict[str, str] | None,
) -> None:
    artifacts = [_artifact(*row) for row in rows]
    made = build_manifest(
        inventory_name="inv.yaml",
        inventory_sha256="ef" * 32,
        templates_sha256="01" * 32,
        signer=signer,
        artifacts=artifacts,
        root=ROOT,
    )
    assert made == _reference(artifacts, signer)


def test_a_file_outside_the_root_is_refused() -> None:
    inside = _artifact(("x",), ArtifactKind.XML, None, "t", False, "")
    outside = dataclasses.replace(inside, path=PurePosixPath("other/x"))
    with pytest.raises(ValueError, match="not inside"):
        build_manifest(
            inventory_name="i",
            inventory_sha256="",
            templates_sha256="",
            signer=None,
            artifacts=[outside],
            root=ROOT,
        )
