"""Fixtures of the discovery tests: the discovery script of each example
inventory and the generic one of ``drgen discover``."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from generator.discovery.script import build_discovery_script
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import make_environment
from generator.signing.signer import NullSigner
from tests.support.discovery_script import PRODUCTION_PATH, script_bytes
from tests.support.paths import EXAMPLES


@pytest.fixture(scope="module")
def generic() -> bytes:
    """The script of ``drgen discover`` (unsigned, as rendered)."""
    script = build_discovery_script(make_environment(), NullSigner())
    return script.data


@pytest.fixture(scope="module")
def scripts(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]], generic: bytes
) -> dict[str, bytes]:
    """Each example's production script and the generic one, as bytes."""
    found = {
        stem: script_bytes(rendered[stem][PurePosixPath(stem) / PRODUCTION_PATH])
        for stem in EXAMPLES
    }
    found["generic"] = generic
    return found
