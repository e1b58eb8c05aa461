"""Rendering on several cores gives exactly the bytes of a serial render."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from generator import api
from generator.bundle import parallel
from generator.bundle.build import build_bundle
from generator.render.environment import make_environment, template_set_sha256
from generator.signing.signer import choose_signer
from tests.support.paths import INVENTORIES


def test_parallel_equals_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 0)
    choice = choose_signer(None, None, None, datetime.now(UTC), dev_folder=tmp_path)
    env = make_environment()
    sha = template_set_sha256()
    path = INVENTORIES / "consolidated.yaml"
    (plan,) = api.plan([path])
    serial = build_bundle(plan, env, choice.signer, sha, jobs=1).files
    forked = build_bundle(plan, env, choice.signer, sha, jobs=2).files
    assert [p for p, _ in forked.files] == [p for p, _ in serial.files]
    assert forked == serial
    assert any(
        data.endswith(b"# SIG # End signature block\r\n") for _, data in serial.files
    )
