"""Benchmark: render and sign synthetic inventories; prints one JSON object.

    python bench/bench.py [--quick]

Not a test: it measures, it does not assert. Figures are recorded in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.synthetic import synthetic_inventory
from generator import api
from generator.bundle import build_bundle
from generator.defaults import default_jobs
from generator.render import make_environment, template_set_sha256
from generator.signing import SignerChoice, choose_signer
from generator.writer import diff_bundle, write_bundle


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, workers) / 1024, 1)


def render_run(
    servers: int, work: Path, choice: SignerChoice, jobs: int
) -> dict[str, object]:
    """Render + sign + write one synthetic inventory, then re-render it unchanged."""
    inventory = work / f"synthetic-{servers}.yaml"
    inventory.write_text(synthetic_inventory(servers), encoding="utf-8")
    out = work / f"out-{servers}"
    env = make_environment()
    templates = template_set_sha256()
    start = time.perf_counter()
    (plan,) = api.plan([inventory])  # timed: a render loads and plans too
    bundle = build_bundle(plan, env, choice.signer, templates, jobs)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    written = write_bundle(out, bundle.files, diff_bundle(out, bundle.files))
    write_s = time.perf_counter() - start
    artifacts = len(bundle.files.files)
    del bundle  # one bundle in memory at a time, as in `drgen render`
    (plan,) = api.plan([inventory])
    again = build_bundle(plan, env, choice.signer, templates, jobs)
    rewritten = write_bundle(out, again.files, diff_bundle(out, again.files))
    return {
        "servers": servers,
        "artifacts": artifacts,
        "files_written": written,
        "render_sign_s": round(elapsed, 3),
        "write_s": round(write_s, 3),
        "total_s": round(elapsed + write_s, 3),
        "ms_per_server": round(1000 * elapsed / servers, 3),
        "unchanged_rerender_files_written": rewritten,
    }


def signing_figures(work: Path, sample: int) -> dict[str, float]:
    """In-process signing vs one osslsigncode process per script, same scripts."""
    out = work / "out-100"
    scripts = sorted(out.rglob("Initialize-DrServer.ps1"))[:sample]
    bodies = [
        p.read_bytes().split(b"# SIG # Begin signature block")[0] for p in scripts
    ]
    choice = choose_signer(None, None, None, datetime.now(UTC), dev_folder=work / "dev")
    signer = choice.signer
    start = time.perf_counter()
    for _ in range(5):
        for body in bodies:
            signer.sign(body)
    inprocess = (time.perf_counter() - start) * 1000 / (5 * len(bodies))

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    digest = b"\x01" * 32
    start = time.perf_counter()
    for _ in range(500):
        key.sign(digest, padding.PKCS1v15(), hashes.SHA256())
    rsa_ms = (time.perf_counter() - start) * 1000 / 500

    tool = shutil.which("osslsigncode")
    figures = {
        "sign_inprocess_ms_per_script": round(inprocess, 3),
        "rsa_private_op_ms": round(rsa_ms, 3),
        "scripts_compared": len(bodies),
    }
    if tool is None:
        figures["sign_osslsigncode_ms_per_script"] = -1.0
        return figures
    cert = next((work / "dev").glob("*cert*.pem"))
    key_file = next((work / "dev").glob("*key*.pem"))
    unsigned = work / "unsigned"
    unsigned.mkdir(exist_ok=True)
    paths = []
    for index, body in enumerate(bodies):
        path = unsigned / f"s{index}.ps1"
        path.write_bytes(body)
        paths.append(path)
    start = time.perf_counter()
    for path in paths:
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
                str(path),
                "-out",
                str(path.with_suffix(".signed.ps1")),
            ],
            check=True,
            capture_output=True,
        )
    figures["sign_osslsigncode_ms_per_script"] = round(
        (time.perf_counter() - start) * 1000 / len(paths), 3
    )
    return figures


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 servers only")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    sizes = (100,) if args.quick else (100, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        choice = choose_signer(
            None, None, None, datetime.now(UTC), dev_folder=work / "dev"
        )
        runs = [render_run(n, work, choice, args.jobs) for n in sizes]
        signing = signing_figures(work, 40 if args.quick else 200)
    largest = runs[-1]
    result: dict[str, object] = {
        **largest,
        "peak_rss_mb": _peak_rss_mb(),
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
    ossl = float(signing["sign_osslsigncode_ms_per_script"])
    if ossl > 0:
        result["osslsigncode_over_inprocess"] = round(
            ossl / float(signing["sign_inprocess_ms_per_script"]), 1
        )
    result["sign_over_rsa"] = round(
        float(signing["sign_inprocess_ms_per_script"])
        / float(signing["rsa_private_op_ms"]),
        2,
    )
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
