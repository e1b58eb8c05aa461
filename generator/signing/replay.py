"""``render --check``: the signatures already in ``OUT``, reused where they still fit.

An inventory repository's CI wants to know whether the reviewed bundle in ``out/``
is exactly what the inventory renders to, without the code-signing key (which
stays with the people who sign). A signature covers only its script's text, so a
script whose unsigned text is unchanged can carry its existing signature block
again; with those blocks every derived byte (the data-file hashes in the
scripts, the bundle check's file list, the manifest) comes out the same as on
disk when nothing changed, and the check is a plain byte comparison. A script
whose text changed gets no signature and therefore differs, as it must.

Whether the reused signatures are valid and trusted is ``drgen verify``'s
question, not this one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from generator.errors import VerificationError
from generator.signing.authenticode import split_signature


class ReplaySigner:
    """A ``Signer`` that appends the block a script with the same text had in OUT."""

    def __init__(
        self, blocks: dict[str, bytes], description: dict[str, str] | None
    ) -> None:
        self._blocks = blocks
        self._description = description

    @classmethod
    def from_bundle(cls, root: Path) -> ReplaySigner:
        """Collect the signature blocks of every script under ``OUT/<inventory>``."""
        blocks: dict[str, bytes] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*.ps1")):
                if not path.is_file() or path.is_symlink():
                    continue
                data = path.read_bytes()
                try:
                    body, pkcs7 = split_signature(data)
                except VerificationError:
                    continue  # a damaged block: that script counts as changed
                if pkcs7 is not None:
                    blocks[hashlib.sha256(body).hexdigest()] = data[len(body) :]
        return cls(blocks, _manifest_signer(root / "manifest.json"))

    @property
    def description(self) -> dict[str, str] | None:
        """The signer the existing manifest names (the manifest must match too)."""
        return self._description

    def sign(self, data: bytes) -> bytes:
        """``data`` with its old block, or unsigned when its text is new."""
        return data + self._blocks.get(hashlib.sha256(data).hexdigest(), b"")

    def signature_block(self, digest: bytes, data_sha256: str) -> bytes:  # noqa: ARG002
        """The block ``sign`` would append to the script of SHA-256 ``data_sha256``."""
        return self._blocks.get(data_sha256, b"")


def _manifest_signer(path: Path) -> dict[str, str] | None:
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    signer = manifest.get("signer") if isinstance(manifest, dict) else None
    if isinstance(signer, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in signer.items()
    ):
        return dict(signer)
    return None
