"""A secret in the inventory is refused, located, and never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.api import plan as plan_inventories
from generator.cli.app import app
from generator.errors import ExitCode, InventoryError

pytestmark = pytest.mark.oracle


# ------------------------------------------------------------ secrets in the inventory


SECRET = "Hunter2-S3cr3t!xyzzy"


@pytest.mark.parametrize(
    ("anchor", "line"),
    [
        ("schema: drgen/v1\n", "password: {secret}\n"),
        ("  accounts:\n", "    sso_password: {secret}\n"),
        ("  accounts:\n", "    Password: '{secret}'\n"),
        ("      account: CONTOSO\\svc-bts-send\n", "      password: {secret}\n"),
        ("  sso:\n", "    master_secret_password: {secret}\n"),
        ("dr:\n", "  service_pwd: {secret}\n"),
        ("group:\n", "  credentials:\n    sso: {secret}\n"),
        (
            "    - {name: server1, host_instances: [Send]}\n",
            "    - password: {secret}\n",
        ),
        pytest.param(
            "    SQLPROD01: SQLDR01\n",
            "    password: {secret}\n",
            id="dr.sql-password",
        ),
    ],
)
def test_a_secret_in_the_inventory_is_refused(
    example_text: str,
    tmp_path: Path,
    runner: CliRunner,
    anchor: str,
    line: str,
) -> None:
    assert anchor in example_text
    text_with_secret = example_text.replace(
        anchor, anchor + line.format(secret=SECRET), 1
    )
    # The diagnostic points at the secret-looking key: the first inserted line.
    inserted_at = example_text.index(anchor) + len(anchor)
    secret_line = example_text[:inserted_at].count("\n") + 1
    path = tmp_path / "leaky.yaml"
    path.write_text(text_with_secret, encoding="utf-8")

    with pytest.raises(InventoryError) as caught:
        plan_inventories([path])
    assert caught.value.exit_code == ExitCode.INVALID_INVENTORY
    secrets = [d for d in caught.value.diagnostics if d.code == "secret-in-inventory"]
    assert len(secrets) == 1
    assert secrets[0].location.line == secret_line
    assert secrets[0].location.column > 0
    for diagnostic in caught.value.diagnostics:
        assert SECRET not in diagnostic.format()
    assert SECRET not in str(caught.value)

    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(path), "--out", str(out)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert "error[secret-in-inventory]" in result.stderr
    assert f"leaky.yaml:{secret_line}:" in result.stderr
    assert SECRET not in result.output
    assert SECRET not in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.rglob("*"))
