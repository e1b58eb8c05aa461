"""The signing step of the pipeline: a port with a null and an Authenticode signer."""

from __future__ import annotations

from typing import Protocol

from generator.artifacts import (
    ArtifactKind,
    EncodedArtifact,
    RenderedArtifact,
    encode_text,
)


class Signer(Protocol):
    """Signs the encoded bytes of a signable artifact."""

    @property
    def description(self) -> dict[str, str] | None:
        """Signer facts for the manifest (subject, thumbprint, expiry), or None."""

    def sign(self, data: bytes) -> bytes:
        """Return ``data`` with a signature."""


class NullSigner:
    """Leaves scripts unsigned (tests and ``--no-sign``)."""

    description = None

    def sign(self, data: bytes) -> bytes:
        """Return the bytes unchanged."""
        return data


def encode_and_sign(
    artifacts: tuple[RenderedArtifact, ...], signer: Signer
) -> tuple[EncodedArtifact, ...]:
    """Encode every artifact per its kind and sign the signable ones."""
    out = []
    for art in artifacts:
        unsigned = encode_text(art.text, art.kind)
        data = signer.sign(unsigned) if art.kind.signed else unsigned
        out.append(
            EncodedArtifact(
                art.path, art.kind, art.template, art.server, unsigned, data
            )
        )
    return tuple(out)


__all__ = ["ArtifactKind", "NullSigner", "Signer", "encode_and_sign"]
