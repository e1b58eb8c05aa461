"""The bundle manifest: what was rendered, from what, signed by whom."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath

from generator import __version__
from generator.render.artifacts import EncodedArtifact

MANIFEST_SCHEMA = "drgen-manifest/v1"


def build_manifest(
    *,
    inventory_name: str,
    inventory_sha256: str,
    templates_sha256: str,
    signer: dict[str, str] | None,
    artifacts: Sequence[EncodedArtifact],
    root: PurePosixPath,
) -> bytes:
    """Manifest JSON bytes (sorted, indented, LF, trailing newline); never a secret."""
    files = [
        {
            "path": art.path.relative_to(root).as_posix(),
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
        "inventory": {"file": inventory_name, "sha256": inventory_sha256},
        "templates_sha256": templates_sha256,
        "signer": signer,
        "files": files,
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
