"""Where a command that writes a signed script gets its signing identity.

``render`` and ``discovery_script`` take a ``Signing``; the library never
prompts for a password and never reads the environment: the caller decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from generator.signing.signer import (
    DEV_IDENTITY_FOLDER,
    SignerChoice,
    choose_signer,
)


@dataclass(frozen=True, slots=True)
class Signing:
    """Where the code-signing identity comes from (no ``cert``: the dev identity).

    ``password`` is called only when the certificate or key needs one; without it
    such a certificate is a ``SigningError`` (the library never prompts).
    """

    cert: Path | None = None
    key: Path | None = None
    timestamp_url: str | None = None
    dev_folder: Path = DEV_IDENTITY_FOLDER
    password: Callable[[], bytes | None] | None = None


def ignore_warning(_: str) -> None:
    """The default ``warn``: the caller did not ask for warnings."""
    return None


def signer_for(
    signing: Signing, now: datetime | None, warn: Callable[[str], None]
) -> SignerChoice:
    """Load and check the signing identity once; pass on what to tell the user."""
    choice = choose_signer(
        signing.cert,
        signing.key,
        signing.timestamp_url,
        now or datetime.now(UTC),
        dev_folder=signing.dev_folder,
        password=signing.password,
    )
    for warning in choice.warnings:
        warn(f"warning: {warning}")
    return choice
