"""External oracles (osslsigncode, chromium): found, or skipped only outside CI."""

from __future__ import annotations

import shutil

import pytest

from tests.support.paths import IN_CI


def require_tool(name: str) -> str:
    """Path of an external oracle; under CI=true a missing one fails, never skips."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"oracle {name} is required under CI=true but not installed")
        pytest.skip(f"{name} not installed")
    return path
