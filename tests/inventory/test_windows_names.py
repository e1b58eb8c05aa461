"""Names that become folders on the Windows DR servers: the site, each DR server
and each inventory (``OUT/<inventory>/<site>/<server>/``).

The fixtures in tests/data/inventories/invalid/ (windows-name-*.yaml,
reserved-*-name*.yaml) pin the located errors of the rules; this file covers
every reserved form and the inventory file names, which are checked before
anything is read (exit 2, a usage problem of the command line).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.errors import InventoryError, UsageError
from generator.inventory.winnames import SOURCE, device_name, windows_name_problem
from tests.support.paths import INVENTORIES

RESERVED = (
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{d}" for d in "0123456789¹²³"]
    + [f"LPT{d}" for d in "0123456789¹²³"]
)


@pytest.mark.parametrize("name", RESERVED)
def test_every_reserved_device_name_in_any_case_and_with_an_extension(
    name: str,
) -> None:
    for spelled in (name, name.lower(), name.title(), f"{name}.txt", f"{name}.tar.gz"):
        assert device_name(spelled) == name.upper(), spelled
        assert "reserved device name" in (windows_name_problem(spelled) or "")


@pytest.mark.parametrize(
    "name",
    ["CONSOLE", "COM10", "LPT", "ACON", "NULL", "DR-West", "Zürich", "con-1", "AUXDR"],
)
def test_names_that_only_look_reserved_are_fine(name: str) -> None:
    assert windows_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("DR-West.", "ends with a dot"),
        ("DR-West ", "ends with a space"),
        ("a:b", "':'"),
        ("a|b", "'|'"),
        ("a\tb", "'\\t'"),
        ("", "is empty"),
    ],
)
def test_other_names_windows_cannot_hold(name: str, words: str) -> None:
    assert words in (windows_name_problem(name) or "")


def _inventory(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, words: str) -> int:
    (line,) = [n for n, each in enumerate(text.splitlines(), 1) if words in each]
    return line


def _dr(example_text: str, site: str = "DR-West", server3: str = "DRserver3") -> str:
    data = yaml.safe_load(example_text)
    data["dr"]["site"] = site
    data["dr"]["servers"][2]["name"] = server3
    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize(
    ("site", "code"),
    [
        ("CON", "windows-name"),
        ("nul.tar.gz", "windows-name"),
        ("Lpt1", "windows-name"),
        ("DR-West.", "windows-name"),
        ("manifest.json", "reserved-site-name"),
        ("MANIFEST.JSON", "reserved-site-name"),
        ("production", "reserved-site-name"),
    ],
)
def test_site_names_windows_or_drgen_cannot_hold(
    tmp_path: Path, example_text: str, site: str, code: str
) -> None:
    text = _dr(example_text, site=site)
    checked = api.load(_inventory(tmp_path, text, "x.yaml"))
    line = _line_of(text, "  site: ")
    assert [(d.code, d.location.line) for d in checked.errors] == [(code, line)]
    assert f"'{site}'" in checked.errors[0].message


@pytest.mark.parametrize(
    ("server", "code"),
    [
        ("NUL", "windows-name"),
        ("com9", "windows-name"),
        ("PRN", "windows-name"),
        ("logs", "reserved-server-name"),
        ("LOGS", "reserved-server-name"),
        ("State", "reserved-server-name"),
    ],
)
def test_dr_server_names_windows_or_drgen_cannot_hold(
    tmp_path: Path, example_text: str, server: str, code: str
) -> None:
    text = _dr(example_text, server3=server)
    checked = api.load(_inventory(tmp_path, text, "x.yaml"))
    assert [d.code for d in checked.errors] == [code]
    assert checked.errors[0].location.line == _line_of(text, f"name: {server}")


def test_non_ascii_site_folder_names_stay_allowed_where_windows_allows_them(
    tmp_path: Path, example_text: str
) -> None:
    # Names Windows can hold but that merely look odd are not refused here.
    for site in ("DR-West.1", "con-1", "AUX-site", "COM10"):
        checked = api.load(_inventory(tmp_path, _dr(example_text, site=site), "x.yaml"))
        assert checked.errors == (), site


def test_a_duplicated_dr_server_is_reported_first_and_alone(
    tmp_path: Path, example_text: str
) -> None:
    for twin in ("DRserver1", "DRSERVER1"):
        text = example_text.replace("{name: DRserver2,", f"{{name: {twin},")
        checked = api.load(_inventory(tmp_path, text, "x.yaml"))
        # Before: a host-not-on-dr error (the hosts of the entry the mapping
        # "lost" with the duplicate) came first.
        assert {d.code for d in checked.diagnostics} == {"duplicate-server"}, twin
        assert len(checked.errors) == 2


@pytest.mark.parametrize(
    "stem",
    ["CON", "nul", "Aux.old", "example.", "example ", ".hidden", "a:b"],
)
def test_inventory_file_names_a_bundle_folder_cannot_have(
    runner: CliRunner, tmp_path: Path, example_text: str, stem: str
) -> None:
    path = _inventory(tmp_path, example_text, f"{stem}.yaml")
    for command in (["validate"], ["plan"], ["render", "--out", str(tmp_path / "o")]):
        result = runner.invoke(app, [*command, str(path)])
        assert result.exit_code == 2, (command, result.output)
        assert "error[inventory-name]" in result.stderr
        assert f"{stem}.yaml: error[inventory-name]: the bundle folder" in result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    with pytest.raises(UsageError) as caught:
        api.validate([path])
    (problem,) = caught.value.diagnostics
    assert SOURCE in (problem.hint or "")


def test_inventories_that_collide_on_windows(
    runner: CliRunner, tmp_path: Path, example_text: str
) -> None:
    (tmp_path / "a").mkdir()
    upper = _inventory(tmp_path, example_text, "Example.yaml")
    lower = _inventory(tmp_path, example_text, "a/example.yaml")
    result = runner.invoke(
        app, ["render", str(upper), str(lower), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "would both render into 'example/' on Windows" in result.stderr
    assert not (tmp_path / "o").exists()
    result = runner.invoke(app, ["validate", str(upper), str(lower)])
    assert result.exit_code == 2
    # Each alone is fine.
    assert runner.invoke(app, ["validate", str(upper)]).exit_code == 0


def test_the_rules_know_the_manifests_name() -> None:
    from generator.bundle.writer import MANIFEST_NAME
    from generator.plan.rules import names

    assert names.MANIFEST_NAME == MANIFEST_NAME


def test_the_example_inventories_keep_their_names() -> None:
    paths = sorted(INVENTORIES.glob("*.yaml"))
    assert api.inventory_name_problems(paths) == ()
    with pytest.raises(InventoryError):
        api.plan([INVENTORIES.parent / "tests/data/inventories/invalid/too-deep.yaml"])
