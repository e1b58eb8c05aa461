"""Benchmark: render and sign synthetic inventories; prints one JSON object.

    python bench/bench.py [--quick] [--jobs N]

Not a test: it measures, it does not assert. Figures are recorded in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from bench.floor import render_vs_floor
from bench.synthetic import (
    synthetic_discovery,
    synthetic_inventory,
    synthetic_result,
)
from generator import api
from generator.bundle.build import build_bundle
from generator.bundle.staging import stage_bundle, swap
from generator.defaults import default_jobs
from generator.inventory.load import load_inventory
from generator.inventory.validation import parse_inventory
from generator.plan.site import build_plan
from generator.render.environment import make_environment, template_set_sha256
from generator.render.psdata import DataBlockError, split_script
from generator.signing.script_bytes import encoded_block, encoded_code
from generator.signing.signer import SignerChoice, choose_signer


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, workers) / 1024, 1)


def render_run(
    servers: int, work: Path, choice: SignerChoice, jobs: int
) -> dict[str, object]:
    """One synthetic inventory through the stages `drgen render` runs, each
    timed: load, plan, render + sign + write (overlapped, into staging), swap;
    then the same render in memory, to split rendering and signing from writing,
    and an unchanged re-render."""
    inventory = work / f"synthetic-{servers}.yaml"
    inventory.write_text(synthetic_inventory(servers), encoding="utf-8")
    out = work / f"out-{servers}"
    env = make_environment()
    templates = template_set_sha256()
    start = time.perf_counter()
    doc = load_inventory(inventory)
    inv = parse_inventory(doc)
    loaded = time.perf_counter()
    plan = build_plan(inv, doc, inventory.stem)
    planned = time.perf_counter()
    staged = stage_bundle(plan, env, choice.signer, templates, out, jobs)
    rendered = time.perf_counter()
    written = swap(out, staged)
    done = time.perf_counter()
    size = sum(p.stat().st_size for p in (out / plan.site.stem).rglob("*"))
    start_memory = time.perf_counter()
    in_memory = build_bundle(plan, env, choice.signer, templates, jobs)
    render_sign = time.perf_counter() - start_memory
    del in_memory
    (plan,) = api.plan([inventory])
    again = stage_bundle(plan, env, choice.signer, templates, out, jobs)
    rewritten = swap(out, again)
    return {
        "servers": servers,
        "artifacts": staged.files,
        "megabytes": round(size / 1e6, 1),
        "files_written": written,
        "load_s": round(loaded - start, 3),
        "plan_s": round(planned - loaded, 3),
        "render_sign_write_s": round(rendered - planned, 3),
        "swap_s": round(done - rendered, 3),
        "total_s": round(done - start, 3),
        "render_sign_in_memory_s": round(render_sign, 3),
        "ms_per_server": round(1000 * (done - start) / servers, 3),
        "unchanged_rerender_files_written": rewritten,
    }


def _median_wall(command: list[str], runs: int, cwd: Path) -> float:
    """Median wall time of a whole process, after one warm-up run."""
    times = []
    for index in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        if index:
            times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def startup_figures(work: Path, runs: int) -> dict[str, float]:
    """Whole-process wall times: the interpreter alone, then drgen commands."""
    drgen = str(Path(sys.executable).with_name("drgen"))
    root = Path(__file__).resolve().parent.parent
    examples = [str(p) for p in sorted((root / "inventories").glob("*.yaml"))]
    out = work / "out-examples"
    render = [drgen, "render", "-q", "--out", str(out), *examples]
    subprocess.run(render, cwd=work, check=True, capture_output=True)  # first write
    return {
        "python_pass_s": _median_wall([sys.executable, "-c", "pass"], runs, work),
        "drgen_version_s": _median_wall([drgen, "--version"], runs, work),
        "drgen_help_s": _median_wall([drgen, "--help"], runs, work),
        "drgen_render_examples_s": _median_wall(render, max(3, runs // 3), work),
        "drgen_render_check_examples_s": _median_wall(
            [drgen, "render", "--check", "--out", str(out), *examples],
            max(3, runs // 3),
            work,
        ),
    }


_SIZES = (1_000, 10_000, 40_000, 100_000)


def _body_of_size(size: int) -> bytes:
    """An unsigned script of about ``size`` bytes (UTF-8 BOM, CRLF, ends in CRLF)."""
    line = b"Write-Verbose 'drgen benchmark line: the text a signature covers'\r\n"
    return b"\xef\xbb\xbf" + line * max(1, size // len(line))


def _parts_of(body: bytes) -> tuple[str, str, str] | None:
    """(code head, data block, code tail) of a real script's unsigned bytes."""
    text = body.removeprefix(b"\xef\xbb\xbf").decode("utf-8").replace("\r\n", "\n")
    try:
        head, block, tail = split_script(text)
    except DataBlockError:
        return None
    return head, block, tail


def signing_figures(work: Path, repeat: int) -> dict[str, object]:
    """In-process signing per script size against its floor, and osslsigncode.

    The floor is what any Authenticode signer of a PowerShell script must do: the
    RSA private-key operation plus SHA-256 over the script's UTF-16LE text (the
    conversion included). Everything else is drgen's overhead.
    """
    choice = choose_signer(None, None, None, datetime.now(UTC), dev_folder=work / "dev")
    signer = choice.signer
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bodies = [(f"synthetic {size} B", _body_of_size(size)) for size in _SIZES]
    # And one of each real script of the 100-server bundle, signature removed.
    for name in (
        "Test-DrServer",
        "Disable-DrServer",
        "Initialize-DrServer",
        "Enable-DrServer",
    ):
        real = next((work / "out-100").rglob(f"{name}*.ps1"), None)
        if real is not None:
            body = real.read_bytes().split(b"\r\n# SIG # Begin signature block")[0]
            bodies.append((real.name, body + b"\r\n"))
    by_size = []
    for label, body in bodies:
        parts = _parts_of(body)
        start = time.perf_counter()
        for _ in range(repeat):
            signer.sign(body)
        sign_ms = (time.perf_counter() - start) * 1000 / repeat
        start = time.perf_counter()
        for _ in range(repeat):
            digest = hashlib.sha256(
                body[3:].decode("utf-8").encode("utf-16-le")
            ).digest()
            key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        floor_ms = (time.perf_counter() - start) * 1000 / repeat
        row: dict[str, object] = {
            "script": label,
            "bytes": len(body),
            "sign_ms": round(sign_ms, 3),
            "floor_ms": round(floor_ms, 3),
            "over_floor": round(sign_ms / floor_ms, 2),
        }
        if parts is not None:
            # As drgen signs a rendered script: its kind's code encoded and hashed
            # once (cached), its data block converted, checked and hashed, then
            # the signature over the digest.
            head, block, tail = parts
            encoded_code(head, tail)
            start = time.perf_counter()
            for _ in range(repeat):
                encoded_block.cache_clear()
                code = encoded_code(head, tail)
                data = encoded_block(block)
                digest = code.head_utf16.copy()
                digest.update(data.utf16)
                digest.update(code.tail_utf16)
                signature = signer.signature_block(digest.digest(), "")
                b"".join((code.head, data.utf8, code.tail, signature))
            parts_ms = (time.perf_counter() - start) * 1000 / repeat
            row["sign_from_parts_ms"] = round(parts_ms, 3)
            row["from_parts_over_floor"] = round(parts_ms / floor_ms, 2)
        by_size.append(row)
    figures: dict[str, object] = {"signing_by_size": by_size}
    tool = shutil.which("osslsigncode")
    if tool is None:
        return figures
    cert = next((work / "dev").glob("*cert*.pem"))
    key_file = next((work / "dev").glob("*key*.pem"))
    script = work / "unsigned.ps1"
    script.write_bytes(_body_of_size(40_000))
    start = time.perf_counter()
    for index in range(20):
        subprocess.run(
            [
                tool,
                "sign",
                "-certs",
                str(cert),
                "-key",
                str(key_file),
                "-h",
                "sha256",
                "-in",
                str(script),
                "-out",
                str(work / f"s{index}.ps1"),
            ],
            check=True,
            capture_output=True,
        )
    figures["osslsigncode_ms_per_40kb_script"] = round(
        (time.perf_counter() - start) * 1000 / 20, 3
    )
    return figures


def reader_figures(work: Path, hosts: int, megabytes: float) -> dict[str, object]:
    """The readers of untrusted files, each timed on a large input: a discovery
    of ``hosts`` hosts (read and checked, then compared by ``drgen drift``) and a
    drill result of about ``megabytes`` MB. Line and column come from a line index
    built once, so the time grows like the file (tests/files/test_linear_readers.py
    counts the work)."""
    from generator.discovery.checks import read_discovery
    from generator.evidence.results import read_result

    now = datetime(2026, 12, 7, tzinfo=UTC)
    discovery = work / f"discovery-{hosts}.json"
    discovery.write_text(synthetic_discovery(hosts), encoding="utf-8", newline="")
    inventory = work / "synthetic-drift.yaml"
    inventory.write_text(synthetic_inventory(100), encoding="utf-8")
    result = work / "Test-DrBundle-DR00000-20261201T080900Z.json"
    result.write_text(synthetic_result(megabytes), encoding="utf-8", newline="")
    start = time.perf_counter()
    read_discovery(discovery, now=now)
    read = time.perf_counter()
    found = api.drift(inventory, discovery, now=now)
    compared = time.perf_counter()
    checks = len(read_result(result).checks)
    done = time.perf_counter()
    return {
        "discovery_hosts": hosts,
        "discovery_megabytes": round(discovery.stat().st_size / 1e6, 1),
        "discovery_read_s": round(read - start, 3),
        "drift_s": round(compared - read, 3),
        "drift_findings": len(found.findings),
        "result_megabytes": round(result.stat().st_size / 1e6, 1),
        "result_checks": checks,
        "result_read_s": round(done - compared, 3),
    }


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 servers only")
    parser.add_argument("--jobs", type=int, default=min(2, default_jobs()))
    args = parser.parse_args()
    sizes = (100,) if args.quick else (100, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["DRGEN_DEV_CERT_DIR"] = str(work / "dev")
        choice = choose_signer(
            None, None, None, datetime.now(UTC), dev_folder=work / "dev"
        )
        runs = [render_run(n, work, choice, args.jobs) for n in sizes]
        peak = _peak_rss_mb()
        floors = []
        for servers in (100,) if args.quick else (300, 1000):
            inventory = work / f"floor-{servers}.yaml"
            inventory.write_text(synthetic_inventory(servers), encoding="utf-8")
            floors += [
                {"servers": servers, **render_vs_floor(inventory, work, jobs)}
                for jobs in sorted({1, args.jobs})
            ]
        signing = signing_figures(work, 20 if args.quick else 100)
        readers = reader_figures(
            work, 2_000 if args.quick else 20_000, 1.0 if args.quick else 10.0
        )
        startup = startup_figures(work, 5 if args.quick else 15)
    result: dict[str, object] = {
        "end_to_end": runs[-1],
        "peak_rss_mb": peak,
        "render_vs_cpu_floor": floors,
        "startup": startup,
        "readers": readers,
        **signing,
        "jobs": args.jobs,
        "runs": runs,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
    }
    if len(runs) > 1:
        first, last = runs[0]["ms_per_server"], runs[-1]["ms_per_server"]
        assert isinstance(first, float)  # noqa: S101
        assert isinstance(last, float)  # noqa: S101
        result["linearity_ms_per_server_ratio"] = round(last / first, 2)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
