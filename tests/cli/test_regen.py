"""``./drgen.sh regen`` (tools/regen.py): every golden file, in order, stopping at
the first step that fails; and on a clean checkout it changes nothing, because
each step's writer makes exactly the committed bytes.

Each golden test's own failure message names the command: the counter-tests
``test_a_stale_..._fails_naming_regen`` beside each comparison."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support.command_outputs import outputs, workspace
from tests.support.golden import REGEN
from tests.support.lab_facts_sample import SAMPLE, build_sample, sample_text
from tests.support.paths import EXAMPLES, ROOT
from tests.support.sample_results import sample_files
from tools import regen
from tools.regen import STEPS, Step, StepFailedError, run_steps

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]

# ------------------------------------------------------------------- the steps


def test_the_steps_in_order() -> None:
    """Models, then what the catalogue and the render decide, pictures last."""
    assert [s.name for s in STEPS] == [
        "schemas",
        "lab facts",
        "sample drill results",
        "command outputs",
        "snapshots",
        "screenshots",
    ]
    assert [s.name for s in STEPS if s.needs_browser] == ["screenshots"]


def test_the_wrapper_and_make_run_the_module() -> None:
    script = (ROOT / "drgen.sh").read_text(encoding="utf-8")
    case = script.split("\n  regen)\n", 1)[1].split(";;", 1)[0]
    assert 'exec "$VENV/bin/python" -m tools.regen "$@"' in case
    assert "regen [--no-screenshots]" in script  # the usage line
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nregen:\n\t./drgen.sh regen\n" in makefile
    assert regen.COMMAND == REGEN


def recorder(
    log: list[str], fails: str | None = None
) -> Callable[[str], Callable[[Path], None]]:
    def make(name: str) -> Callable[[Path], None]:
        def run(root: Path) -> None:
            log.append(name)
            if name == fails:
                msg = "`python -m writer` exited 3"
                raise StepFailedError(msg)

        return run

    return make


def fake_steps(log: list[str], fails: str | None = None) -> list[Step]:
    make = recorder(log, fails)
    return [Step(s.name, s.writes, make(s.name), s.needs_browser) for s in STEPS]


def test_every_step_runs_in_order(tmp_path: Path) -> None:
    log: list[str] = []
    said: list[str] = []
    assert run_steps(fake_steps(log), tmp_path, said.append, said.append) == 0
    assert log == [s.name for s in STEPS]
    assert said[0] == "regen 1/6: schemas (schema/*.schema.json)"
    assert said[-1].startswith("regen: done")


def test_regen_stops_at_the_first_failing_step(tmp_path: Path) -> None:
    log: list[str] = []
    said: list[str] = []
    failed: list[str] = []
    steps = fake_steps(log, fails="sample drill results")
    assert run_steps(steps, tmp_path, said.append, failed.append) == 1
    assert log == ["schemas", "lab facts", "sample drill results"]
    (message,) = failed
    assert message == (
        "regen: step 3 (sample drill results) failed: `python -m writer` exited 3; "
        "not run: command outputs, snapshots, screenshots. "
        "Fix it, then run ./drgen.sh regen again."
    )
    assert not [line for line in said if line.startswith("regen: done")]


def test_a_writer_error_is_said_and_stops(tmp_path: Path) -> None:
    def broken(root: Path) -> None:
        raise KeyError("svc:Winmgmt")

    log: list[str] = []
    failed: list[str] = []
    steps = [Step("schemas", (), broken), *fake_steps(log)[1:]]
    assert run_steps(steps, tmp_path, lambda _: None, failed.append) == 1
    assert log == []
    assert failed[0].startswith("regen: step 1 (schemas) failed: KeyError('svc:")


def test_no_screenshots_skips_only_the_screenshots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen: list[list[str]] = []

    def remember(steps: list[Step], root: Path) -> int:
        chosen.append([s.name for s in steps])
        return 0

    monkeypatch.setattr(regen, "run_steps", remember)
    assert regen.main(["--no-screenshots"]) == 0
    assert regen.main([]) == 0
    names = [s.name for s in STEPS]
    assert chosen == [names[:-1], names]


class Exits:
    """subprocess.run for tools.regen: each call returns the next exit code."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(argv)
        return subprocess.CompletedProcess(argv, self.codes.pop(0))


@pytest.mark.parametrize(
    ("codes", "ran", "fails"),
    [
        ((0, 0), 2, False),  # nothing to update
        ((1, 0), 2, False),  # updated: pytest-snapshot fails the test that wrote
        ((1, 1), 2, True),  # still not matching after the update
        ((2, 0), 1, True),  # interrupted, or a usage error: no check run
        ((4, 0), 1, True),
    ],
)
def test_snapshot_update_exit_codes(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    codes: tuple[int, int],
    ran: int,
    fails: bool,
) -> None:
    exits = Exits(*codes)
    monkeypatch.setattr("tools.regen.subprocess.run", exits)
    if fails:
        with pytest.raises(StepFailedError, match="exited"):
            regen.update_snapshots(tmp_path)
    else:
        regen.update_snapshots(tmp_path)
    assert len(exits.calls) == ran
    update = exits.calls[0]
    assert "--snapshot-update" in update
    assert "--allow-snapshot-deletion" in update  # a file no longer rendered goes
    assert update[update.index("pytest") + 1 :].count(regen.SNAPSHOT_UPDATE) == 1
    if ran == 2:
        assert "--snapshot-update" not in exits.calls[1]
        assert regen.SNAPSHOT_TESTS in exits.calls[1]


@pytest.mark.parametrize(
    ("step", "argv"),
    [
        ("lab facts", ["-m", "tests.support.lab_facts_sample"]),
        ("sample drill results", ["-m", "tests.support.sample_results"]),
        ("command outputs", ["-m", "tests.support.command_outputs"]),
        ("screenshots", ["docs/screenshots.py"]),
    ],
)
def test_each_writer_step_runs_its_writer_in_the_checkout(
    monkeypatch: pytest.MonkeyPatch, step: str, argv: list[str]
) -> None:
    exits = Exits(0)
    monkeypatch.setattr("tools.regen.subprocess.run", exits)
    (found,) = [s for s in STEPS if s.name == step]
    found.run(ROOT)
    assert exits.calls == [[sys.executable, *argv]]
    # The writer exists and writes when run that way.
    source = ROOT / (
        argv[0] if argv[0] != "-m" else Path(*argv[1].split(".")).with_suffix(".py")
    )
    assert 'if __name__ == "__main__":' in source.read_text(encoding="utf-8")


# ------------------------------------------------- a clean checkout stays clean


def committed(globs: tuple[str, ...]) -> dict[str, bytes]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_bytes()
        for pattern in globs
        for path in ROOT.glob(pattern)
        if path.is_file()
    }


def schemas(rendered: Rendered, tmp: Path) -> dict[str, str]:
    return {f"schema/{name}": text for name, text in regen.schema_texts().items()}


def lab_facts(rendered: Rendered, tmp: Path) -> dict[str, str]:
    return {SAMPLE.relative_to(ROOT).as_posix(): sample_text(build_sample())}


def samples(rendered: Rendered, tmp: Path) -> dict[str, str]:
    return {f"examples/results/{p}": text for p, text in sample_files().items()}


def command_outputs(rendered: Rendered, tmp: Path) -> dict[str, str]:
    """As tests/support/command_outputs.py's main makes them: in a folder with
    the example inventories."""
    workspace(tmp)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp)
        made = outputs(tmp)
    return {f"tests/data/cli/{name}": text for name, text in made.items()}


def snapshots(rendered: Rendered, tmp: Path) -> dict[str, str]:
    """pytest-snapshot writes each value as ``Path.write_text`` would."""
    return {
        f"tests/snapshots/{stem}/bundle/{path.relative_to(stem)}": art.text.replace(
            "\n", os.linesep
        )
        for stem in EXAMPLES
        for path, art in rendered[stem].items()
    }


#: What each step (but the screenshots, which need a browser and are not
#: compared by any test) writes, made by the same code the step runs.
WRITTEN: dict[str, Callable[[Rendered, Path], dict[str, str]]] = {
    "schemas": schemas,
    "lab facts": lab_facts,
    "sample drill results": samples,
    "command outputs": command_outputs,
    "snapshots": snapshots,
}


def test_every_step_but_the_screenshots_is_held_to_the_checkout() -> None:
    assert set(WRITTEN) == {s.name for s in STEPS if not s.needs_browser}


@pytest.mark.parametrize(
    "step", [s for s in STEPS if s.name in WRITTEN], ids=lambda s: s.name
)
def test_regen_on_a_clean_checkout_changes_nothing(
    rendered: Rendered, tmp_path: Path, step: Step
) -> None:
    """Every file the step owns is exactly what it writes, and it writes no
    other: run on this checkout, `git status --porcelain` stays empty."""
    written = WRITTEN[step.name](rendered, tmp_path)
    made = {path: text.encode() for path, text in written.items()}
    found = committed(step.writes)
    assert sorted(found) == sorted(made), step.name
    changed = sorted(path for path in made if found[path] != made[path])
    assert not changed, f"{step.name}: {changed[:5]}"


def test_regen_runs_from_the_checkout() -> None:
    """``python -m tools.regen --help`` from the checkout: the module the wrapper
    calls imports and parses its options."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.regen", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--no-screenshots" in done.stdout
    assert done.stdout.startswith("usage: ./drgen.sh regen")
