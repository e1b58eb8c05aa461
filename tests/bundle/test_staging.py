"""`drgen render` writes each file while it renders (generator/bundle/staging.py).

What the streaming path writes must be byte for byte what the in-memory
`build_bundle` makes (plan, render --check and the snapshots use that one), on
one core and on several, and a failure must leave OUT as it was.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import pytest

import generator.bundle.parallel as parallel
import generator.bundle.staging as staging
from generator import api
from generator.bundle.build import build_bundle
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import OutputError, TemplateError
from generator.render.environment import make_environment, template_set_sha256
from generator.signing.signer import choose_signer
from tests.support.paths import INVENTORIES


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("stem", ["example", "consolidated"])
def test_streamed_render_is_what_the_in_memory_bundle_holds(
    tmp_path, monkeypatch, stem, jobs
):
    # Fork workers even for the small examples, so the sink runs in them.
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 1)
    keys = tmp_path / "keys"
    inventory = INVENTORIES / f"{stem}.yaml"
    (written,) = api.render(
        [inventory],
        out=tmp_path / "out",
        signing=api.Signing(dev_folder=keys),
        jobs=jobs,
    )
    assert written.written == written.files
    (plan,) = api.plan([inventory])
    choice = choose_signer(None, None, None, datetime.now(UTC), dev_folder=keys)
    built = build_bundle(
        plan, make_environment(), choice.signer, template_set_sha256(), jobs=1
    )
    expected = {
        path.relative_to(built.files.root).as_posix(): data
        for path, data in built.files.files
    }
    assert _tree(tmp_path / "out" / stem) == expected
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".drgen-out", stem]


def test_an_unchanged_rerender_keeps_every_file_as_it_is(tmp_path):
    signing = api.Signing(dev_folder=tmp_path / "keys")
    inventory = INVENTORIES / "example.yaml"
    api.render([inventory], out=tmp_path / "out", signing=signing)
    before = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    }
    (again,) = api.render([inventory], out=tmp_path / "out", signing=signing)
    assert again.written == 0
    assert {c.status for c in again.changes} == {"identical"}
    after = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    }
    assert after == before


def test_a_change_rewrites_only_what_changed(tmp_path):
    signing = api.Signing(dev_folder=tmp_path / "keys")
    text = (INVENTORIES / "example.yaml").read_text(encoding="utf-8")
    inventory = tmp_path / "example.yaml"
    inventory.write_text(text, encoding="utf-8")
    api.render([inventory], out=tmp_path / "out", signing=signing)
    untouched = tmp_path / "out" / "example" / "DR-West" / "SecretServer.xml"
    inode = untouched.stat().st_ino
    inventory.write_text(text.replace("DRserver3", "DRserver4"), encoding="utf-8")
    (written,) = api.render([inventory], out=tmp_path / "out", signing=signing)
    statuses = {
        c.path.parts[-2]: c.status for c in written.changes if c.status != "identical"
    }
    assert statuses.get("DRserver3") == "remove"
    assert statuses.get("DRserver4") == "create"
    assert untouched.stat().st_ino == inode  # hard-linked, not rewritten
    assert not (tmp_path / "out" / "example" / "DR-West" / "DRserver3").exists()


def test_a_template_failure_leaves_out_as_it_was(tmp_path):
    signing = api.Signing(dev_folder=tmp_path / "keys")
    inventory = INVENTORIES / "example.yaml"
    out = tmp_path / "out"
    api.render([inventory], out=out, signing=signing)
    before = _tree(out)
    broken = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, broken)
    target = broken / "server" / "Disable-DrServer.ps1.jinja"
    target.write_text(target.read_text(encoding="utf-8") + "{{ nope.nothing }}\n")
    with pytest.raises(TemplateError):
        api.render([inventory], out=out, templates=broken, signing=signing)
    assert _tree(out) == before
    assert sorted(p.name for p in out.iterdir()) == [".drgen-out", "example"]


def test_a_failed_first_render_leaves_no_out_behind(tmp_path, monkeypatch):
    keys = tmp_path / "keys"
    choose_signer(None, None, None, datetime.now(UTC), dev_folder=keys)  # exists now

    def full(path: str, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staging, "write_file", full)
    with pytest.raises(OutputError, match="No space left"):
        api.render(
            [INVENTORIES / "example.yaml"],
            out=tmp_path / "out",
            signing=api.Signing(dev_folder=keys),
        )
    monkeypatch.undo()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "bad", ["../escape.txt", "a/../../etc/passwd", "/etc/passwd", "//etc/passwd"]
)
def test_paths_cannot_escape_the_staging_folder(tmp_path, bad):
    stager = staging._Stager(tmp_path / "staging", tmp_path / "current")
    with pytest.raises(OutputError, match="escapes the output directory"):
        stager.put(PurePosixPath(bad), b"x")
    assert not (tmp_path / "staging").exists()
