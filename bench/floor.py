"""A render's CPU against its floor, both measured in the same benchmark run.

The floor is what any tool that writes these signed scripts must spend, whatever
it is written in: writing the same files (the bytes of a finished render, folders
included), SHA-256 over each script's text as UTF-16LE (the PowerShell SIP's
digest, conversion included), and one RSA-2048 private-key operation per script.
``drgen render`` is run as a whole process (interpreter start, imports, loading,
planning, rendering, signing, writing, the manifest) and its CPU seconds (user +
system, its workers included) are divided by the floor's.

Both write to a RAM disk (/dev/shm) when there is one: on the project's VM the
kernel time of writing 300 MB to the virtual disk varies by a factor of ten with
the write-back state, which would decide the ratio instead of drgen. drgen runs
from compiled bytecode after a warm-up run, as installed (``_installed_python``);
render and floor are each measured ``runs`` times and their medians compared.
The design's library start-up (``LIBRARY_START``) is reported beside the floor,
which leaves it out, with the ratio against the two together.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

SIGNATURE_LINE = b"\r\n# SIG # Begin signature block"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _installed_python(work: Path) -> dict[str, str]:
    """The environment of drgen as installed: modules run from compiled bytecode.

    pip compiles a package's modules when it installs it; a checkout run with
    PYTHONDONTWRITEBYTECODE (as this project's machine sets it) would compile every
    module from source in every process instead. The bytecode goes to a folder of
    the benchmark's own (PYTHONPYCACHEPREFIX), never into the checkout, and a
    warm-up run writes it before anything is timed.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def _render_cpu(
    inventory: Path, out: Path, jobs: int, env: dict[str, str] | None = None
) -> float:
    """CPU seconds of one whole `drgen render` process into an empty ``out``."""
    drgen = str(Path(sys.executable).with_name("drgen"))
    before = _cpu(resource.RUSAGE_CHILDREN)
    command = [
        drgen,
        "render",
        str(inventory),
        "--out",
        str(out),
        "-q",
        "-j",
        str(jobs),
    ]
    subprocess.run(command, check=True, capture_output=True, env=env)
    return _cpu(resource.RUSAGE_CHILDREN) - before


def floor_parts(root: Path, work: Path) -> dict[str, float]:
    """CPU seconds of the floor of the bundle under ``root``, part by part."""
    files = [
        (path.relative_to(root), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]
    scripts = [data for path, data in files if path.suffix == ".ps1"]
    target = work / "floor-write"
    start = _cpu(resource.RUSAGE_SELF)
    for path, data in files:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_bytes(data)
    write = _cpu(resource.RUSAGE_SELF) - start
    shutil.rmtree(target)
    start = _cpu(resource.RUSAGE_SELF)
    digests = []
    for data in scripts:
        body = data.split(SIGNATURE_LINE, 1)[0] + b"\r\n"
        text = body.decode("utf-8")  # the BOM stays, as U+FEFF
        digests.append(hashlib.sha256(text.encode("utf-16-le")).digest())
    utf16 = _cpu(resource.RUSAGE_SELF) - start
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = _cpu(resource.RUSAGE_SELF)
    for digest in digests:
        key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    rsa_seconds = _cpu(resource.RUSAGE_SELF) - start
    return {
        "write_s": round(write, 3),
        "utf16_sha256_s": round(utf16, 3),
        "rsa_s": round(rsa_seconds, 3),
        "floor_s": round(write + utf16 + rsa_seconds, 3),
    }


# What the design card's libraries cost a Python process before it does anything:
# the interpreter, then Jinja, pydantic, Typer, PyYAML and cryptography as drgen
# imports them. Any render in this design pays it once, whatever the inventory;
# the floor above does not count it (it is measured inside one running process).
LIBRARY_START = (
    "import jinja2, pydantic, typer, yaml, cryptography.x509\n"
    "from cryptography.hazmat.primitives.asymmetric import padding, rsa"
)


def _after_warm_up(measure: Callable[[], float], runs: int) -> list[float]:
    """``runs`` measurements after one that is not kept (it writes the bytecode)."""
    measure()
    return [measure() for _ in range(runs)]


def library_start_cpu(env: dict[str, str], runs: int) -> float:
    """Median CPU seconds of a Python process that only imports the libraries."""
    command = [sys.executable, "-c", LIBRARY_START]

    def once() -> float:
        before = _cpu(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True, env=env)
        return _cpu(resource.RUSAGE_CHILDREN) - before

    return statistics.median(_after_warm_up(once, runs))


def _scratch(work: Path) -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp folder inside it
    if shm.is_dir() and shutil.disk_usage(shm).free > 2_000_000_000:
        return Path(tempfile.mkdtemp(prefix="drgen-floor-", dir=shm))
    return work


def render_vs_floor(
    inventory: Path, work: Path, jobs: int, runs: int = 5
) -> dict[str, object]:
    """Median whole-process render CPU, the floor of its output, and their ratio."""
    scratch = _scratch(work)
    try:
        return _render_vs_floor(inventory, scratch, jobs, runs)
    finally:
        if scratch != work:
            shutil.rmtree(scratch, ignore_errors=True)


def _render_vs_floor(
    inventory: Path, work: Path, jobs: int, runs: int
) -> dict[str, object]:
    out = work / f"floor-out-{inventory.stem}"
    env = _installed_python(work)

    def once() -> float:
        if out.exists():
            shutil.rmtree(out)
        return _render_cpu(inventory, out, jobs, env)

    seconds = _after_warm_up(once, runs)
    render = statistics.median(seconds)
    # The floor is measured as often as the render, each part's median taken: on
    # a shared VM one run of either can be a third off.
    samples = [floor_parts(out / inventory.stem, work) for _ in range(runs)]
    floor = {
        part: round(statistics.median(s[part] for s in samples), 3)
        for part in ("write_s", "utf16_sha256_s", "rsa_s")
    }
    floor["floor_s"] = round(sum(floor.values()), 3)
    start = library_start_cpu(env, runs)
    files = sum(1 for p in (out / inventory.stem).rglob("*") if p.is_file())
    shutil.rmtree(out)
    return {
        "inventory": inventory.name,
        "jobs": jobs,
        "written_to": "RAM disk" if work.name.startswith("drgen-floor-") else "disk",
        "files": files,
        "render_cpu_s": round(render, 3),
        "render_cpu_s_runs": [round(s, 3) for s in seconds],
        **floor,
        "ratio": round(render / floor["floor_s"], 2),
        "library_start_s": round(start, 3),
        "ratio_with_library_start": round(render / (floor["floor_s"] + start), 2),
    }
