"""drgen installed as a wheel, `drgen init`, shell completion, help and NO_COLOR.

The wheel test builds drgen from a copy of the checkout (a build writes build/
and *.egg-info next to the sources), installs it into a fresh virtual
environment outside the checkout and runs it from another folder: templates and
schema must come from inside the package, and the bundle must be byte-identical
to one rendered from the checkout with the same key.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from generator.cli.app import app, complete_inventory
from generator.defaults import DEFAULT_TEMPLATES, SCHEMA_FOLDER
from generator.errors import ExitCode
from tests.support.paths import INVENTORIES, ROOT

pytestmark = pytest.mark.slow

DRGEN = Path(sys.executable).with_name("drgen")
EXAMPLE = INVENTORIES / "example.yaml"
# Typer's own switch that lets --show-completion take the shell's name instead of
# detecting the shell this test runs under.
SHELL_NAMED = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# --- the wheel ----------------------------------------------------------------


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`drgen` from a wheel installed into a fresh venv; yields its executable."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    tracked = _run(["git", "ls-files", "-co", "--exclude-standard"], ROOT)
    assert tracked.returncode == 0, tracked.stderr
    for name in tracked.stdout.splitlines():
        if (ROOT / name).is_file():
            target = source / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    wheels = work / "wheels"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        work,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("drgen-*.whl")
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], work)
    assert made.returncode == 0, made.stderr
    installed = _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(wheel),
        ],
        work,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return venv / "bin" / "drgen"


def test_the_wheel_carries_templates_schema_and_starter(installed_wheel: Path):
    python = installed_wheel.with_name("python")
    probe = _run(
        [
            str(python),
            "-c",
            "import generator.defaults as d, generator; print(d.DEFAULT_TEMPLATES);"
            "print(d.SCHEMA_FOLDER); print(generator.__file__)",
        ],
        installed_wheel.parent,
    )
    assert probe.returncode == 0, probe.stderr
    templates, schema, package = (Path(x) for x in probe.stdout.split())
    assert templates.parent == package.parent  # inside the installed package
    assert ROOT not in templates.parents
    shipped = sorted(
        p.relative_to(templates).as_posix() for p in templates.rglob("*.jinja")
    )
    ours = sorted(
        p.relative_to(DEFAULT_TEMPLATES).as_posix()
        for p in DEFAULT_TEMPLATES.rglob("*.jinja")
    )
    assert shipped == ours
    assert (schema / "drgen-v1.schema.json").read_bytes() == (
        SCHEMA_FOLDER / "drgen-v1.schema.json"
    ).read_bytes()


def test_the_installed_wheel_renders_validates_and_verifies_like_the_checkout(
    installed_wheel: Path, tmp_path: Path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inventory = elsewhere / "example.yaml"
    shutil.copy(EXAMPLE, inventory)
    keys = {"DRGEN_DEV_CERT_DIR": str(tmp_path / "keys")}

    for command in (
        ["validate", "example.yaml"],
        ["render", "example.yaml", "--out", "out", "-q"],
        ["verify", "out"],
        ["render", "--check", "example.yaml", "--out", "out"],
    ):
        result = _run([str(installed_wheel), *command], elsewhere, keys)
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr

    from_checkout = tmp_path / "checkout-out"
    result = _run(
        [str(DRGEN), "render", str(inventory), "--out", str(from_checkout), "-q"],
        ROOT,
        keys,
    )
    assert result.returncode == 0, result.stderr
    wheel_files = _files(elsewhere / "out")
    assert wheel_files == _files(from_checkout)
    assert any(name.endswith(".ps1") for name in wheel_files)


def test_package_lists_every_template_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    folders = {
        "generator.templates"
        + "".join(f".{part}" for part in p.relative_to(DEFAULT_TEMPLATES).parts)
        for p in [DEFAULT_TEMPLATES, *DEFAULT_TEMPLATES.rglob("*")]
        if p.is_dir() and p.name != "__pycache__"
    }
    packaged = {
        p for p in setuptools["packages"] if p.startswith("generator.templates")
    }
    assert packaged == folders
    assert set(setuptools["package-data"]) >= folders
    assert setuptools["package-dir"]["generator.templates"] == "templates"


def test_package_lists_every_python_package():
    """A package missing from the list is missing from the wheel: the installed
    drgen would fail only when that package is first imported."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    source = ROOT / "generator"
    packages = {
        ".".join(("generator", *p.parent.relative_to(source).parts))
        for p in source.rglob("__init__.py")
    }
    assert len(packages) >= 10
    listed = set(config["tool"]["setuptools"]["packages"])
    assert packages <= listed, sorted(packages - listed)


def test_a_checkout_finds_its_inventories_from_any_folder(
    runner, tmp_path, monkeypatch
):
    """`drgen validate` without arguments, run outside the checkout, validates
    the checkout's inventories/ (the README's quick start relies on it)."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    for name in ("example.yaml", "consolidated.yaml"):
        assert name in result.output


def test_a_checkout_reads_its_own_top_level_folders():
    assert DEFAULT_TEMPLATES == ROOT / "templates"
    assert SCHEMA_FOLDER == ROOT / "schema"


# --- drgen init -----------------------------------------------------------------


def test_init_writes_a_starter_that_validates_as_written(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "starter.yaml"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "starter.yaml").read_text(encoding="utf-8")
    checked = runner.invoke(app, ["validate", "--strict", "starter.yaml"])
    assert checked.exit_code == 0, checked.output
    # The modeline names a schema file that exists and is drgen's schema.
    first = text.splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    schema = tmp_path / match.group(1)
    assert schema.read_text(encoding="utf-8") == (
        SCHEMA_FOLDER / "drgen-v1.schema.json"
    ).read_text(encoding="utf-8")


def test_init_explains_every_section_and_marks_what_to_change(tmp_path):
    from generator.inventory.starter import starter_text

    text = starter_text("schema.json")
    data = yaml.safe_load(text)
    assert set(data) == {"schema", "group", "production", "dr"}
    lines = text.splitlines()
    for section in ("group:", "production:", "dr:"):
        index = lines.index(section)
        # Each top-level section has an explanation right below it.
        assert any(
            line.strip().startswith("#") for line in lines[index + 1 : index + 4]
        )
    for key in data["group"]:
        assert re.search(rf"^  {key}:", text, re.M), key
    changes = [line for line in lines if "CHANGE" in line and not line.startswith("#")]
    assert len(changes) >= 10
    # Optional sections are shown commented out, not left unexplained.
    for optional in ("bam:", "other:", "not_mirrored:", "gmsa:"):
        assert f"# {optional}" in text


def test_init_refuses_to_overwrite(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    existing = tmp_path / "inventory.yaml"
    existing.write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == ExitCode.USAGE
    assert "already exists" in result.output
    assert existing.read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yaml"]


def test_init_in_a_checkout_layout_points_at_the_existing_schema(runner, tmp_path):
    (tmp_path / "schema").mkdir()
    shutil.copy(SCHEMA_FOLDER / "drgen-v1.schema.json", tmp_path / "schema")
    (tmp_path / "inventories").mkdir()
    target = tmp_path / "inventories" / "new.yaml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").splitlines()[0] == (
        "# yaml-language-server: $schema=../schema/drgen-v1.schema.json"
    )
    assert sorted(p.name for p in target.parent.iterdir()) == ["new.yaml"]


def test_init_into_a_missing_folder_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "no" / "inv.yaml")])
    assert result.exit_code == ExitCode.USAGE
    assert "no such folder" in result.output
    assert not (tmp_path / "no").exists()


# --- completion, help, colour ---------------------------------------------------------


def test_inventory_completion_offers_folders_and_yaml_files(tmp_path, monkeypatch):
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "prod.yaml").write_text("x", encoding="utf-8")
    (tmp_path / "inventories" / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "other.yml").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert complete_inventory("") == ["inventories/", "other.yml"]
    assert complete_inventory("inv") == ["inventories/"]
    assert complete_inventory("inventories/") == ["inventories/prod.yaml"]
    assert complete_inventory("inventories/p") == ["inventories/prod.yaml"]
    assert complete_inventory("missing/") == []


def test_bash_completion_completes_commands_and_inventory_files(tmp_path):
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "prod.yaml").write_text("x", encoding="utf-8")
    commands = _run(
        [str(DRGEN)],
        tmp_path,
        {
            "_DRGEN_COMPLETE": "complete_bash",
            "COMP_WORDS": "drgen re",
            "COMP_CWORD": "1",
        },
    )
    offered = commands.stdout.split()
    assert "render" in offered
    assert all(name.startswith("re") for name in offered)
    files = _run(
        [str(DRGEN)],
        tmp_path,
        {
            "_DRGEN_COMPLETE": "complete_bash",
            "COMP_WORDS": "drgen validate inventories/",
            "COMP_CWORD": "2",
        },
    )
    assert files.stdout.split() == ["inventories/prod.yaml"]
    script = _run([str(DRGEN), "--show-completion", "bash"], tmp_path, SHELL_NAMED)
    assert script.returncode == 0
    assert "complete -o default -F _drgen_completion drgen" in script.stdout


def test_zsh_completion_completes_inventory_files(tmp_path):
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "prod.yaml").write_text("x", encoding="utf-8")
    files = _run(
        [str(DRGEN)],
        tmp_path,
        {
            "_DRGEN_COMPLETE": "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "drgen plan inventories/",
        },
    )
    assert "inventories/prod.yaml" in files.stdout
    assert "notes" not in files.stdout
    script = _run([str(DRGEN), "--show-completion", "zsh"], tmp_path, SHELL_NAMED)
    assert script.returncode == 0
    assert "compdef _drgen_completion drgen" in script.stdout


def _commands() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        found.append((prefix, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}".strip(), sub)

    walk("", typer.main.get_command(app))
    return [(name, command) for name, command in found if name]


@pytest.mark.parametrize("name", [name for name, _ in _commands()])
def test_every_command_help_has_an_example(runner, name):
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    examples = re.findall(r"^\s*Example: drgen (\S+)", result.output, re.M)
    assert examples, result.output
    assert examples[0] == name.split()[0]


@pytest.mark.parametrize(
    "arguments", [["--help"], ["render", "--help"], ["validate", "nope.yaml"]]
)
@pytest.mark.parametrize("no_color", [True, False])
def test_output_is_never_coloured(tmp_path, arguments, no_color):
    """drgen writes plain text (help included: rich formatting is off), so NO_COLOR
    holds whatever the terminal claims; FORCE_COLOR would make rich colour it."""
    env = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "100"}
    if no_color:
        env["NO_COLOR"] = "1"
    result = _run([str(DRGEN), *arguments], tmp_path, env)
    assert "\x1b[" not in result.stdout + result.stderr
    assert (result.stdout + result.stderr).strip()
