"""Fixtures of the catalogue tests."""

from __future__ import annotations

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support.poisoned import render_poisoned


@pytest.fixture(scope="module")
def poisoned() -> list[RenderedArtifact]:
    """Both examples rendered with a poisoned catalogue."""
    return render_poisoned()
