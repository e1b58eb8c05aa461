"""Every command's exact output on the examples, and the help of every command.

The expected texts in tests/data/cli/ are reviewed like snapshots; each is also
checked against the Plan it shows, so a wrong but stable output fails too.
Regenerate them with the other golden files (``./drgen.sh regen``, which runs
tests/support/command_outputs.py) and review the diff.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from tests.support.command_outputs import EXPECTED, outputs, workspace
from tests.support.golden import REGEN, stale
from tests.support.paths import EXAMPLES, INVENTORIES


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("workspace")
    workspace(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        return outputs(root)


@pytest.mark.parametrize(
    "name",
    [
        "validate.stderr.txt",
        "validate.stdout.json",
        "plan.stdout.txt",
        "plan.stderr.txt",
        "plan.stdout.json",
    ],
)
def test_exact_output_on_the_examples(printed: dict[str, str], name: str) -> None:
    expected = (EXPECTED / name).read_text(encoding="utf-8")
    assert printed[name] == expected, stale(f"tests/data/cli/{name}")


def test_a_stale_expected_output_fails_naming_regen(
    printed: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXPECTED, tmp_path, dirs_exist_ok=True)
    stale_copy = tmp_path / "plan.stdout.txt"
    stale_copy.write_text(stale_copy.read_text("utf-8") + "an old line\n", "utf-8")
    monkeypatch.setattr(f"{__name__}.EXPECTED", tmp_path)
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_exact_output_on_the_examples(printed, "plan.stdout.txt")


def test_validate_output_says_what_the_checks_found(printed: dict[str, str]) -> None:
    checks = api.validate([INVENTORIES / f"{stem}.yaml" for stem in EXAMPLES])
    reported = json.loads(printed["validate.stdout.json"])
    assert [(d["code"], d["line"], d["column"]) for d in reported] == [
        (d.code, d.location.line, d.location.column) for d in checks.diagnostics
    ]
    assert checks.diagnostics, "the consolidated example has capacity warnings"
    lines = printed["validate.stderr.txt"].splitlines()
    assert lines[-2:] == [
        "inventories/example.yaml: valid",
        f"inventories/consolidated.yaml: valid, {len(checks.diagnostics)} warnings",
    ]


def test_plan_output_is_the_plan(printed: dict[str, str]) -> None:
    shown = json.loads(printed["plan.stdout.json"])["inventories"]
    plans = api.plan([INVENTORIES / f"{stem}.yaml" for stem in EXAMPLES])
    assert len(shown) == len(plans)
    for data, plan in zip(shown, plans, strict=True):
        assert data["group"] == plan.site.group_name
        assert data["site"] == plan.site.site
        assert [(r["host"], r["dr_server"]) for r in data["host_instances"]] == [
            (r.host, r.dr) for r in plan.mapping
        ]
        assert [r["roles"] for r in data["roles"]] == [
            list(r.roles) for r in plan.roles
        ]
        # Every artifact of the plan, plus the manifest, is a file to create.
        files = {f["path"] for f in data["files"]}
        expected = {f"out/{a.path}" for a in plan.artifacts}
        assert files == expected | {f"out/{plan.site.stem}/manifest.json"}
        assert {f["status"] for f in data["files"]} == {"create"}
        text = printed["plan.stdout.txt"]
        assert f"{len(files)} create, 0 update, 0 remove, 0 identical" in text


def _subcommands(command: Any) -> dict[str, Any]:
    """A command group's commands (typer's click objects, read by duck typing)."""
    return dict(getattr(command, "commands", None) or {})


def _commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []

    def walk(group: Any, prefix: tuple[str, ...]) -> None:
        for name, command in sorted(_subcommands(group).items()):
            found.append((*prefix, name))
            walk(command, (*prefix, name))

    walk(get_command(app), ())
    return found


def test_every_command_is_known() -> None:
    assert _commands() == [
        ("discover",),
        ("drift",),
        ("facts",),
        ("facts", "check"),
        ("import",),
        ("init",),
        ("plan",),
        ("render",),
        ("report",),
        ("review",),
        ("schema",),
        ("validate",),
        ("verify",),
    ]


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_help_of_every_command(runner: CliRunner, command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: drgen {' '.join(command)}" in result.stdout
    leaf: Any = get_command(app)
    for name in command:
        leaf = _subcommands(leaf)[name]
    # Every option of the command is described in its help.
    options = [p for p in leaf.params if p.param_type_name == "option"]
    for option in options:
        if not option.hidden:
            assert option.opts[0] in result.stdout, option.opts
            assert option.help, option.opts
    first = (leaf.help or "").strip().splitlines()[0]
    assert first.split()[0] in result.stdout


def test_the_checkout_guard_sees_a_written_file(tmp_path: Path) -> None:
    from tests.support.checkout import checkout_files

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.jinja").write_text("a", encoding="utf-8")
    (tmp_path / ".venv").mkdir()
    before = checkout_files(tmp_path)
    assert set(before) == {"templates/a.jinja"}
    (tmp_path / "out.txt").write_text("x", encoding="utf-8")
    (tmp_path / ".venv" / "ignored").write_text("x", encoding="utf-8")
    assert set(checkout_files(tmp_path)) - set(before) == {"out.txt"}
    (tmp_path / "templates" / "a.jinja").write_text("changed", encoding="utf-8")
    assert checkout_files(tmp_path)["templates/a.jinja"] != before["templates/a.jinja"]


def test_renders_sign_with_a_key_outside_the_checkout() -> None:
    import os

    from tests.support.paths import ROOT

    keys = Path(os.environ["DRGEN_DEV_CERT_DIR"])
    assert ROOT not in keys.resolve().parents


def test_plan_and_render_refuse_a_missing_template_folder_or_a_file_as_out(
    runner: CliRunner, tmp_path: Path
) -> None:
    inventory = str(INVENTORIES / "example.yaml")
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    for command in ("plan", "render"):
        missing = runner.invoke(
            app,
            [
                command,
                inventory,
                "--out",
                str(tmp_path / "out"),
                "--templates",
                str(tmp_path / "nope"),
            ],
        )
        assert missing.exit_code == 2, (command, missing.output)
        assert "--templates must be a directory" in missing.stderr
        as_file = runner.invoke(app, [command, inventory, "--out", str(afile)])
        assert as_file.exit_code == 2, (command, as_file.output)
        assert "--out must be a directory" in as_file.stderr
    assert not (tmp_path / "out").exists()


def test_an_unreadable_file_in_the_bundle_is_replaced(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundle folder is replaced whole, so a file drgen cannot read back is
    # simply written again (and reported as updated), never trusted as identical.
    out = tmp_path / "out"
    inventory = str(INVENTORIES / "example.yaml")
    assert runner.invoke(app, ["render", inventory, "--out", str(out)]).exit_code == 0
    original = Path.read_bytes

    def unreadable(self: Path) -> bytes:
        if self.name == "Runbook.md":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    result = runner.invoke(app, ["render", inventory, "--out", str(out)])
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    updated = [
        line.split()[1] for line in result.stderr.splitlines() if "update" in line
    ]
    assert [Path(p).name for p in updated] == ["Runbook.md"]
    assert "Traceback" not in result.output


def test_an_unwritable_output_folder_is_an_output_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    inventory = str(INVENTORIES / "example.yaml")
    assert runner.invoke(app, ["render", inventory, "--out", str(out)]).exit_code == 0
    original = Path.mkdir

    def refused(self: Path, *args: object, **kwargs: object) -> None:
        if ".staging-" in self.name:
            raise PermissionError(13, "Permission denied")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", refused)
    result = runner.invoke(app, ["render", inventory, "--out", str(out)])
    assert result.exit_code == 7, result.output
    assert "Permission denied" in result.stderr
    assert "Traceback" not in result.output
