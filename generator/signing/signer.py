"""The signing step of the pipeline: a port with a null and an Authenticode signer."""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from generator.errors import SigningError
from generator.render.artifacts import EncodedArtifact, RenderedArtifact, encode_text
from generator.signing.script_bytes import encoded_block, encoded_code

PASSWORD_VARIABLE = "DRGEN_CERT_PASSWORD"  # noqa: S105 - a variable name
DEV_IDENTITY_FOLDER = Path(".drgen") / "dev-signing"
# Where the command line keeps the development key instead (tests, CI).
DEV_FOLDER_VARIABLE = "DRGEN_DEV_CERT_DIR"


class Signer(Protocol):
    """Signs the encoded bytes of a signable artifact."""

    @property
    def description(self) -> dict[str, str] | None:
        """Signer facts for the manifest (subject, thumbprint, expiry), or None."""

    def sign(self, data: bytes) -> bytes:
        """Return ``data`` with a signature."""

    def signature_block(self, digest: bytes, data_sha256: str) -> bytes:
        """What ``sign`` would append to a script already checked and hashed by the
        caller (b"" for none): ``digest`` is the Authenticode SHA-256 of its text
        (UTF-16LE), ``data_sha256`` the hex SHA-256 of its bytes."""


class NullSigner:
    """Leaves scripts unsigned (in-memory checks, ``drgen plan``)."""

    description = None

    def sign(self, data: bytes) -> bytes:
        """Return the bytes unchanged."""
        return data

    def signature_block(self, digest: bytes, data_sha256: str) -> bytes:  # noqa: ARG002
        """Nothing: the script stays unsigned."""
        return b""


class ScriptSigner:
    """Authenticode-signs scripts with one identity; the key is loaded once."""

    def __init__(self, identity: object, timestamp_url: str | None = None) -> None:
        """Wrap ``identity`` (a ``certificates.SigningIdentity``)."""
        from generator.signing.authenticode import AuthenticodeSigner
        from generator.signing.certificates import SigningIdentity

        assert isinstance(identity, SigningIdentity)  # noqa: S101 - typing aid
        timestamper, shown_url = None, ""
        if timestamp_url:
            # Only with a timestamp: its HTTP client and ASN.1 parser are a tenth
            # of the start-up of a render.
            from generator.signing.timestamp import display_url, make_timestamper

            timestamper = make_timestamper(timestamp_url)
            # Never a user:password part of the URL in the manifest.
            shown_url = display_url(timestamp_url)
        self._signer = AuthenticodeSigner(identity, timestamper)
        self._description = {
            "subject": identity.subject,
            "thumbprint_sha1": identity.thumbprint,
            "not_after": identity.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timestamp_url": shown_url,
        }

    @property
    def description(self) -> dict[str, str]:
        """Subject, thumbprint and expiry of the signing certificate."""
        return dict(self._description)

    def sign(self, data: bytes) -> bytes:
        """Append the Authenticode signature block."""
        return self._signer.sign(data)

    def signature_block(self, digest: bytes, data_sha256: str) -> bytes:  # noqa: ARG002
        """The signature block of a script whose digest is known."""
        return self._signer.block(digest)


@dataclass(frozen=True, slots=True)
class SignerChoice:
    """The signer a render uses, plus what to tell the user about it."""

    signer: Signer
    warnings: tuple[str, ...]


def ask_password() -> bytes | None:
    """The certificate password: DRGEN_CERT_PASSWORD, else a prompt on a terminal.

    The command line passes this to ``choose_signer``; the library never prompts.
    """
    value = os.environ.get(PASSWORD_VARIABLE)
    if value is not None:
        return value.encode("utf-8")
    if sys.stdin.isatty():
        return (
            getpass.getpass("Certificate password (empty for none): ").encode() or None
        )
    return None


def choose_signer(
    cert: Path | None,
    key: Path | None,
    timestamp_url: str | None,
    now: datetime,
    dev_folder: Path = DEV_IDENTITY_FOLDER,
    password: Callable[[], bytes | None] | None = None,
) -> SignerChoice:
    """Load and check the signing identity once; the dev identity when none is given.

    ``password`` is asked only when the certificate or key needs one.

    Raises:
        SigningError: an unusable certificate or key, before anything is written.
    """
    from generator.signing.certificates import (
        check_identity,
        ensure_dev_identity,
        load_identity,
    )

    warnings: list[str] = []
    if cert is None:
        if key is not None:
            raise SigningError("--key needs --cert")
        identity, created = ensure_dev_identity(dev_folder, now)
        verb = "created" if created else "using"
        warnings.append(
            f"EVALUATION ONLY: {verb} the self-signed development certificate in "
            f"{dev_folder}/ (thumbprint {identity.thumbprint}); Windows trusts it only "
            "if you import it into Trusted Publishers and Root; pass --cert to sign "
            "with your organisation's code-signing certificate"
        )
    else:
        needs_password = cert.suffix.lower() in {".pfx", ".p12"} or key is not None
        try:
            identity = load_identity(cert, key, None)
        except SigningError:
            if not needs_password or password is None:
                raise
            identity = load_identity(cert, key, password())
    warnings += check_identity(identity, now, timestamped=bool(timestamp_url))
    return SignerChoice(ScriptSigner(identity, timestamp_url), tuple(warnings))


def encode_and_sign(
    artifacts: tuple[RenderedArtifact, ...], signer: Signer
) -> tuple[EncodedArtifact, ...]:
    """Encode every artifact per its kind and sign the signable ones."""
    out = []
    for art in artifacts:
        if art.kind.signed and art.code_head:
            out.append(_encode_script(art, signer))
            continue
        unsigned = encode_text(art.text, art.kind)
        unsigned_sha256 = hashlib.sha256(unsigned).hexdigest()
        data = signer.sign(unsigned) if art.kind.signed else unsigned
        signed = data != unsigned
        out.append(
            EncodedArtifact(
                art.path,
                art.kind,
                art.template,
                art.server,
                unsigned_sha256,
                signed,
                data,
                hashlib.sha256(data).hexdigest() if signed else unsigned_sha256,
                art.code_sha256,
            )
        )
    return tuple(out)


def _encode_script(art: RenderedArtifact, signer: Signer) -> EncodedArtifact:
    """A script as code (encoded and hashed once per kind) plus its data block.

    The bytes, the Authenticode digest and both file hashes are exactly what
    ``encode_text``, ``AuthenticodeSigner.sign`` and SHA-256 of the whole would
    give; only the data block is converted, checked and hashed per script
    (tests/signing/test_fast_path.py holds the two ways to the same bytes).
    """
    code = encoded_code(art.code_head, art.code_tail)
    block = encoded_block(art.data_block)
    authenticode = code.head_utf16.copy()
    authenticode.update(block.utf16)
    authenticode.update(code.tail_utf16)
    whole = code.head_sha256.copy()
    whole.update(block.utf8)
    whole.update(code.tail)
    unsigned_sha256 = whole.hexdigest()
    signature = signer.signature_block(authenticode.digest(), unsigned_sha256)
    # One join of the parts: the script is never copied whole before it is signed.
    data = b"".join((code.head, block.utf8, code.tail, signature))
    signed = bool(signature)
    if signed:
        whole.update(signature)
    return EncodedArtifact(
        art.path,
        art.kind,
        art.template,
        art.server,
        unsigned_sha256,
        signed,
        data,
        whole.hexdigest() if signed else unsigned_sha256,
        art.code_sha256,
    )
