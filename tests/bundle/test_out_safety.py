"""OUT is drgen's only where drgen can prove it, a killed render is seen, and one
drgen at a time writes a bundle.

- A folder is a bundle only if its manifest.json is drgen's: a PWA's manifest
  does not make a folder replaceable, and a file an admin adds to a bundle is
  never removed silently (exit 2 naming it; --force says what it removes).
- ``drgen verify`` never takes a render's hidden staging or previous folder for
  a bundle, and reports what a killed render left, with the command to run.
- A render holds ``OUT/.<inventory>.lock``: a second one exits 11 naming the
  bundle, never removes the first one's staging folder, and a killed holder
  blocks nobody.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import api
from generator.bundle.lock import lock_path
from generator.bundle.manifest import MANIFEST_SCHEMA
from generator.bundle.writer import bundle_manifest, own_name
from generator.cli.app import app
from generator.errors import ExitCode
from tests.support.paths import INVENTORIES, ROOT

EXAMPLE = INVENTORIES / "example.yaml"
CONSOLIDATED = INVENTORIES / "consolidated.yaml"


def render(runner: CliRunner, out: Path, *extra: str, inventory: Path = EXAMPLE):
    return runner.invoke(app, ["render", str(inventory), "--out", str(out), *extra])


def _pwa(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"name": "My app", "start_url": "/", "icons": []}), "utf-8"
    )
    (folder / "index.html").write_text("<h1>mine</h1>", "utf-8")
    (folder / "notes.txt").write_text("mine too", "utf-8")


# --- 1. only drgen's folders and files are replaced ------------------------------


@pytest.mark.parametrize("marked", [False, True])
def test_a_folder_with_someone_elses_manifest_is_not_a_bundle(
    runner: CliRunner, tmp_path: Path, marked: bool
) -> None:
    out = tmp_path / "proj"
    _pwa(out / "example")
    if marked:  # OUT adopted by drgen before: the bundle folder is checked itself
        (out / ".drgen-out").write_text("x", "utf-8")
    result = render(runner, out)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "example" in result.stderr
    assert "not drgen's" in result.stderr or "not created by drgen" in result.stderr
    assert (out / "example/index.html").read_text("utf-8") == "<h1>mine</h1>"
    assert (out / "example/notes.txt").exists()
    # --force replaces it and names every file it removes.
    result = render(runner, out, "--force", "-q")
    assert result.exit_code == 0, result.output
    for name in ("index.html", "notes.txt", "manifest.json"):
        assert f"warning: --force: removing {out / 'example' / name}" in result.stderr
    assert bundle_manifest(out / "example") is not None


def test_a_file_an_admin_added_to_a_bundle_is_never_removed_silently(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert render(runner, out, "-q").exit_code == 0
    signoff = out / "example/DR-West/SIGNOFF.txt"
    signoff.write_text("approved by J. Doe", "utf-8")
    (out / "example/DR-West/notes").mkdir()
    changed = tmp_path / "example.yaml"
    changed.write_text(EXAMPLE.read_text("utf-8").replace("SQLDR01", "SQLDR02"))
    result = render(runner, out, inventory=changed)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "2 file(s) drgen did not write" in result.stderr
    assert str(signoff) in result.stderr
    assert str(out / "example/DR-West/notes") in result.stderr
    assert signoff.read_text("utf-8") == "approved by J. Doe"
    # An unchanged re-render is refused too: it would remove them as well.
    assert render(runner, out).exit_code == ExitCode.USAGE
    result = render(runner, out, "--force", "-q", inventory=changed)
    assert result.exit_code == 0, result.output
    assert f"warning: --force: removing {signoff} (drgen did not write it)" in (
        result.stderr
    )
    assert not signoff.exists()
    assert render(runner, out, "-q", inventory=changed).exit_code == 0


def test_a_file_in_the_way_of_a_bundle(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".drgen-out").write_text("x", "utf-8")
    (out / "example").write_text("a file named like the bundle", "utf-8")
    result = render(runner, out)
    assert result.exit_code == ExitCode.USAGE
    assert f"{out / 'example'}: is in the way" in result.stderr
    result = render(runner, out, "--force", "-q")
    assert result.exit_code == 0, result.output
    assert f"removing {out / 'example'}" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [".drgen-out", "example"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(schema="other/v1"),
        lambda m: m.pop("schema"),
        lambda m: m.update(generator={"name": "webpack"}),
        lambda m: m.update(inventory="example.yaml"),
        lambda m: m.update(files={"a": 1}),
        lambda m: m["files"].append({"path": "x"}),
    ],
)
def test_only_drgens_manifest_makes_a_bundle(tmp_path: Path, edit) -> None:
    (written,) = api.render(
        [EXAMPLE], out=tmp_path, signing=api.Signing(dev_folder=tmp_path / "k")
    )
    manifest = json.loads((written.root / "manifest.json").read_text("utf-8"))
    assert manifest["schema"] == MANIFEST_SCHEMA
    assert bundle_manifest(written.root) == manifest
    edit(manifest)
    (written.root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert bundle_manifest(written.root) is None


# --- 2. verify sees an interrupted render ---------------------------------------

CRASH_BETWEEN_RENAMES = """
import os, sys
from pathlib import Path
from generator import api

original = Path.rename


def rename(self, target):
    done = original(self, target)
    if ".previous-" in str(target):
        os._exit(9)  # killed after the first rename of the swap
    return done


Path.rename = rename
signing = api.Signing(dev_folder=Path(os.environ["DRGEN_DEV_CERT_DIR"]))
api.render([Path(sys.argv[1])], out=Path(sys.argv[2]), signing=signing)
"""


def test_verify_reports_a_render_killed_between_its_renames(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert render(runner, out, "-q").exit_code == 0
    changed = tmp_path / "example.yaml"
    changed.write_text(EXAMPLE.read_text("utf-8").replace("SQLDR01", "SQLDR02"))
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_BETWEEN_RENAMES, str(changed), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert crashed.returncode == 9, crashed.stderr
    assert not (out / "example").exists()
    # The killed process's lock file stays; its lock went with it.
    assert lock_path(out, "example").exists()
    hidden = sorted(
        p.name
        for p in out.iterdir()
        if p.name.startswith(".ex") and p != lock_path(out, "example")
    )
    assert [n.split("-")[0] for n in hidden] == [
        ".example.previous",
        ".example.staging",
    ]
    result = runner.invoke(app, ["verify", str(out)])
    # Before: "2 bundle(s) checked, 0 problem(s)", exit 0.
    assert result.exit_code == ExitCode.VERIFICATION, result.output
    assert "0 bundle(s) checked, 3 problem(s)" in result.stderr
    assert "example: error[interrupted]: missing: a render was interrupted" in (
        result.stderr
    )
    for name in hidden:
        assert f"{name}: error[interrupted]: left by an interrupted render" in (
            result.stderr
        )
    assert f"run drgen render again for example.yaml with --out {out}" in result.stderr
    # The command it names repairs it: the dead process's leftovers go.
    assert render(runner, out, "-q", inventory=changed).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [".drgen-out", "example"]
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0


def test_verify_reports_leftovers_beside_a_bundle(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert render(runner, out, "-q").exit_code == 0
    (out / ".example.staging-4242").mkdir()
    (out / ".example.staging-4242" / "manifest.json").write_text("{}", "utf-8")
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == ExitCode.VERIFICATION
    assert "1 bundle(s) checked, 1 problem(s)" in result.stderr
    assert ".example.staging-4242: error[interrupted]" in result.stderr


def test_drgens_own_names() -> None:
    for name in (".drgen-out", ".example.lock", ".a.b.staging-12", ".x.previous-1"):
        assert own_name(name), name
    for name in ("example", ".example", ".x.staging-", ".x.staging-1a", ".git"):
        assert not own_name(name), name


# --- 9. one drgen at a time per bundle -------------------------------------------

HOLD_THE_LOCK = """
import os, sys, time
from pathlib import Path
from generator.bundle.lock import bundle_locks

out = Path(sys.argv[1])
with bundle_locks(out, ["example"]):
    staging = out / f".example.staging-{os.getpid()}"
    staging.mkdir()
    (staging / "half-written.ps1").write_text("x")
    print("locked", flush=True)
    time.sleep(120)
"""


def _holder(out: Path) -> subprocess.Popen[str]:
    out.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "locked"
    return child


def test_a_second_render_stops_and_leaves_the_first_alone(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    child = _holder(out)
    try:
        staging = out / f".example.staging-{child.pid}"
        result = render(runner, out)
        assert result.exit_code == int(ExitCode.LOCKED) == 11, result.output
        assert f"another drgen is writing {out / 'example'}" in result.stderr
        assert f"process {child.pid}" in result.stderr
        assert "Traceback" not in result.output
        assert (staging / "half-written.ps1").exists()
        assert not (out / "example").exists()
        # Another bundle of the same OUT is not blocked.
        other = render(runner, out, "-q", inventory=CONSOLIDATED)
        assert other.exit_code == 0, other.output
        assert (staging / "half-written.ps1").exists()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
    # The holder died (kill -9): its lock is gone with it, and its staging
    # folder is now a leftover the next render removes.
    assert lock_path(out, "example").exists()  # a stale file blocks nobody
    result = render(runner, out, "-q")
    assert result.exit_code == 0, result.output
    assert not staging.exists()
    assert not lock_path(out, "example").exists()
    assert sorted(p.name for p in out.iterdir()) == [
        ".drgen-out",
        "consolidated",
        "example",
    ]


def test_concurrent_renders_never_break_each_other(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "generator", "render", str(EXAMPLE)]
    runs = [
        subprocess.Popen(
            [*command, "--out", str(out), "-q", "--jobs", "1"],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    codes = []
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        codes.append(run.returncode)
        assert "Traceback" not in stderr
        if run.returncode == ExitCode.LOCKED:
            assert "another drgen is writing" in stderr
    # Each run either wrote the bundle or stopped at the lock: never exit 2 or 7
    # from a staging folder removed under it.
    assert set(codes) <= {0, int(ExitCode.LOCKED)}, codes
    assert 0 in codes
    assert api.verify(out) == 1


def test_the_lock_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "| 11 | " in readme
    assert "another drgen is writing" in readme
