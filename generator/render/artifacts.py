"""Artifact kinds and their byte encodings.

Templates and snapshots are LF text; ``encode`` applies each kind's policy. A
``.ps1`` is UTF-8 with BOM and CRLF because Windows PowerShell 5.1 reads BOM-less
files in the ANSI code page and Authenticode hashes the exact bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from generator.plan.outputs import ArtifactKind


@dataclass(frozen=True, slots=True)
class RenderedArtifact:
    """An artifact's LF text, before encoding."""

    path: PurePosixPath
    kind: ArtifactKind
    template: str
    server: str | None
    # The text of anything but a script rendered from its parts ('' for those:
    # ``text`` joins them only when asked, signing never needs the whole).
    body: str
    # A script's code_sha256 (its code part, the same for its kind in every bundle
    # of a release); '' for any other artifact.
    code_sha256: str = ""
    # A script's data block alone, and the key of its kind's code: signing encodes
    # and hashes the code once per kind and only the data block per script
    # (signing.encode_and_sign). Empty for any other artifact.
    data_block: str = field(default="", compare=False, repr=False)
    code_head: str = field(default="", compare=False, repr=False)
    code_tail: str = field(default="", compare=False, repr=False)

    @property
    def text(self) -> str:
        """The artifact's LF text."""
        if self.code_head:
            return self.code_head + self.data_block + self.code_tail
        return self.body


@dataclass(frozen=True, slots=True)
class EncodedArtifact:
    """An artifact's final bytes (signed when its kind is signed)."""

    path: PurePosixPath
    kind: ArtifactKind
    template: str
    server: str | None
    # The hash, not the bytes: workers send this back, and the bytes are large.
    unsigned_sha256: str
    signed: bool
    data: bytes
    # SHA-256 of ``data`` (lower-case hex), computed once where it is encoded:
    # the scripts that vouch for it, the bundle check and the manifest all use it.
    sha256: str
    # As RenderedArtifact.code_sha256 (upper-case hex, or '').
    code_sha256: str = ""


def encode_text(text: str, kind: ArtifactKind) -> bytes:
    """Encode LF text per the kind: line endings, BOM, UTF-8."""
    if "\r" in text:
        # Templates are LF only; a stray CR would produce mixed line endings.
        msg = "rendered text contains a carriage return"
        raise ValueError(msg)
    body = text.replace("\n", kind.newline).encode("utf-8")
    return (b"\xef\xbb\xbf" + body) if kind.bom else body
