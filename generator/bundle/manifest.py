"""The bundle manifest: what was rendered, from what, signed by whom."""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii
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
    """Manifest JSON bytes (sorted, indented, LF, trailing newline); never a secret.

    Exactly ``json.dumps(document, indent=2, sort_keys=True)`` plus a newline
    (tests/bundle/test_manifest.py holds the two to the same bytes), but each
    file's entry is written from its scalars: the indenting encoder is pure
    Python, and a site of 1,000 DR servers lists 6,000 files.
    """
    prefix = f"{root.as_posix()}/"
    entries = []
    # Path order: a PurePosixPath sorts by its parts.
    for art in sorted(artifacts, key=lambda a: a.path.parts):
        path = str(art.path)
        if not path.startswith(prefix):
            msg = f"{path} is not inside {prefix}"
            raise ValueError(msg)
        fields = {
            "path": path[len(prefix) :],
            "kind": art.kind.value,
            "server": art.server,
            "template": art.template,
            "signed": art.signed,
            "sha256": art.sha256,
            "sha256_unsigned": art.unsigned_sha256,
        }
        if art.code_sha256:
            fields["code_sha256"] = art.code_sha256.lower()
        entries.append(
            "    {\n"
            + ",\n".join(
                f"      {_scalar(key)}: {_scalar(fields[key])}"
                for key in sorted(fields)
            )
            + "\n    }"
        )
    document = {
        "schema": MANIFEST_SCHEMA,
        "generator": {"name": "drgen", "version": __version__},
        "inventory": {"file": inventory_name, "sha256": inventory_sha256},
        "templates_sha256": templates_sha256,
        "signer": signer,
        "files": [_FILES],
    }
    text = json.dumps(document, indent=2, sort_keys=True)
    placeholder = f"[\n    {_scalar(_FILES)}\n  ]"
    files = "[\n" + ",\n".join(entries) + "\n  ]" if entries else "[]"
    return (text.replace(placeholder, files, 1) + "\n").encode("utf-8")


# Stands in for the file list while the rest of the document is encoded; no
# value of the document can contain it (a NUL byte is escaped in JSON).
_FILES = "\0drgen-files\0"

_JSON_WORDS = {True: "true", False: "false", None: "null"}


def _scalar(value: str | bool | None) -> str:
    """A manifest scalar as json.dumps writes it (ASCII, by json's C encoder)."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    return _JSON_WORDS[value]  # type: ignore[index]
