"""The sample drill results in examples/results/, and how they are made.

    .venv/bin/python -m tests.support.sample_results     # rewrites examples/results/

(``./drgen.sh regen`` runs it with the other golden files.)

They are synthesized here, by Python, not written by a script on a server:
what Test-DrServer.ps1 and Test-DrBundle.ps1 would write for the two example
inventories. Two things say so without a key the scripts do not write: the
folder's README.md, and ``run_by`` (:data:`RUN_BY`), which names the account
``SYNTHESIZED\\tests.support.sample_results`` where a real run names the Windows account
that ran it. ``tests/scripts/test_json_contracts.py`` holds both, and every key of every
sample to the keys the scripts write. The check ids and expected values follow
the scripts' checks (``_partials/checks.ps1.jinja``,
``site/Test-DrBundle.ps1.jinja``), the bundle id and file hashes come from a
render of the current templates. Their times are fixed (around
:data:`SAMPLE_NOW`), so tests judge them at that moment; ``drgen report`` run
later shows them as stale as well.

``example`` (DR-West) is not a ready standby on purpose: DRserver2's latest
Dormant result has failed checks, DRserver3's bundle check found a changed
signature and an extra file and its Dormant result is from another render. Its
last full drill is two months earlier: Ready and Active results of this bundle
on every DR server (stale now: shown, not judged). ``consolidated`` (DR-North)
is a ready standby that was never drilled (no Ready or Active result): the
report says "Last full drill: never" beside its READY.
``tests/evidence/test_report.py`` checks that the committed files are exactly
what this module writes (so a template change that moves the bundle id asks for
a rerun).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from generator import __version__
from generator.api import plan
from generator.bundle.build import plan_identity, render_bundle
from generator.catalogue import CATALOGUE as N
from generator.evidence.results import RESULT_SCHEMA, utc_text
from generator.plan.contexts import BundleIdentity, site_file_list
from generator.plan.servers import ServerPlan
from generator.plan.site import Plan
from generator.plan.siteplan import SitePlan
from generator.render.environment import make_environment
from generator.signing.signer import NullSigner

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "results"
INVENTORIES = ("example", "consolidated")
# The moment the samples describe; tests judge them at SAMPLE_NOW.
SAMPLE_DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SAMPLE_NOW = SAMPLE_DAY + timedelta(days=1)
# A bundle id that is no render's: an older bundle left on a server.
OLD_BUNDLE_ID = hashlib.sha256(b"an older render of the bundle").hexdigest()
# Where a real run names the account that ran it (WindowsIdentity.GetCurrent()
# .Name), the samples say they were made here: no Windows domain is SYNTHESIZED.
# (The label keeps the module's first name, tests.sample_results: the committed
# samples and the README's screenshots carry it.)
RUN_BY = "SYNTHESIZED\\tests.support.sample_results"


@dataclass(frozen=True, slots=True)
class Rendered:
    """What the samples take from a render of one inventory."""

    plan: Plan
    identity: BundleIdentity
    site_files: tuple[tuple[str, str, str], ...]  # (path below the site, SHA-256, code)
    script_sha256: dict[str, str]  # (server or '') / script name -> SHA-256


def render(stem: str, inventory: Path | None = None) -> Rendered:
    """Plan and render (unsigned, in memory) one example inventory (or the
    inventory file ``inventory``, for results of an inventory a test writes)."""
    (each,) = plan([inventory or ROOT / "inventories" / f"{stem}.yaml"])
    env = make_environment()
    identity = plan_identity(each, env)
    site_root = PurePosixPath(each.site.stem, each.site.site)
    encoded = render_bundle(each, env, NullSigner())
    files = site_file_list(
        (art.path.relative_to(site_root), art.sha256, art.code_sha256)
        for art in encoded
        if site_root in art.path.parents and art.path.name != "Test-DrBundle.ps1"
    )
    scripts = {
        f"{art.server or ''}/{art.path.stem}": art.sha256.upper()
        for art in encoded
        if art.path.stem in ("Test-DrServer", "Test-DrBundle")
    }
    return Rendered(each, identity, files, scripts)


def check(
    check_id: str, text: str, expected: str, observed: str | None = None
) -> dict[str, Any]:
    """One check as the scripts write it (passed when observed equals expected)."""
    seen = expected if observed is None else observed
    return {
        "id": check_id,
        "check": text,
        "expected": expected,
        "observed": seen,
        "passed": seen == expected,
    }


def state_checks(
    site: SitePlan, server: ServerPlan, expect: str
) -> list[dict[str, Any]]:
    """``Get-DrStateReport -Expect``'s checks on a server where all of them hold."""
    failed_over = expect != "Dormant"
    running = expect == "Active"
    mgmt = site.dr_mgmt if failed_over else site.production_mgmt
    rows = [
        check(
            "wmi:restart-pending",
            "WMI restart pending (UpdateRegistry.vbs ran, WMI not restarted)",
            "none",
        ),
        check(
            "registry:management-server",
            "management database server (registry)",
            mgmt.server,
        ),
        check(
            "registry:management-database",
            "management database name (registry)",
            mgmt.name,
        ),
    ]
    for entry in server.registry_checks:
        # The optional 32-bit copies are absent on the sample servers.
        if entry.key == N["reg:biztalk-admin"] or entry.optional:
            continue
        wanted = entry.dr if failed_over else entry.production
        name = f"{entry.key}\\{entry.value}"
        rows.append(check(f"registry:{name}", f"{name} (registry)", wanted))
    for host in server.host_instances:
        base = f"host-instance:{host.host}"
        rows.append(
            check(f"{base}:installed", f"host instance {host.host}", "Installed")
        )
        if host.in_process:
            rows.append(
                check(
                    f"{base}:is-disabled",
                    f"host instance {host.host} IsDisabled",
                    str(not failed_over),
                )
            )
            rows.append(
                check(
                    f"{base}:state",
                    f"host instance {host.host} state",
                    "Running" if running else "Stopped",
                )
            )
    if failed_over:
        rows.append(
            check(
                "group:sso-server",
                "group SSO server (MSBTS_GroupSetting.SSOServerName)",
                site.master_secret_server,
            )
        )
    host_services = {h.service_name for h in server.host_instances}
    for service in server.services:
        if service.optional:
            continue
        on = running or (failed_over and service.name not in host_services)
        rows.append(
            check(
                f"service:{service.name}:startup-type",
                f"service {service.name} startup type",
                "Automatic" if on else "Disabled",
            )
        )
        rows.append(
            check(
                f"service:{service.name}:status",
                f"service {service.name} status",
                "Running" if on else "Stopped",
            )
        )
    for pool in server.app_pools:
        rows.append(
            check(
                f"app-pool:{pool}:state",
                f"application pool {pool} state",
                "Started" if running else "Stopped",
            )
        )
        rows.append(
            check(
                f"app-pool:{pool}:auto-start",
                f"application pool {pool} autoStart",
                str(running).lower(),
            )
        )
    for value in (
        "NetworkDtcAccess",
        "NetworkDtcAccessInbound",
        "NetworkDtcAccessOutbound",
    ):
        name = N[f"reg:msdtc-security/{value}"]
        rows.append(check(f"msdtc:{name}", f"MSDTC {name}", "enabled"))
    if failed_over and server.is_master_secret:
        rows.append(
            check(
                "sso:master-secret",
                "SSO master secret (SSOSS registry key)",
                "present",
            )
        )
    return rows


def bundle_checks(rendered: Rendered, server: str) -> list[dict[str, Any]]:
    """Test-DrBundle.ps1's checks on a server where the bundle arrived intact."""
    rows = []
    for path, digest, code in rendered.site_files:
        rows.append(check(f"sha256:{path}", f"{path} SHA-256", digest))
        if path.endswith(".ps1"):
            rows.append(check(f"signature:{path}", f"{path} signature", "Valid"))
            rows.append(check(f"code:{path}", f"{path} code SHA-256", code))
    rows.append(
        check(
            "signature:Test-DrBundle.ps1",
            "this script's own signature",
            "Valid",
        )
    )
    del server
    return rows


def fail(rows: list[dict[str, Any]], check_id: str, observed: str) -> None:
    """Make one check of ``rows`` fail with ``observed``."""
    (row,) = [r for r in rows if r["id"] == check_id]
    row["observed"] = observed
    row["passed"] = observed == row["expected"]


def document(
    rendered: Rendered,
    *,
    script: str,
    computer: str,
    expect: str | None,
    started: datetime,
    checks: list[dict[str, Any]],
    bundle_id: str | None = None,
    after_drill: bool = False,
) -> dict[str, Any]:
    """A whole result, in the key order the scripts write."""
    key = ("" if script == "Test-DrBundle" else computer) + f"/{script}"
    return {
        "schema": RESULT_SCHEMA,
        "script": script,
        "computer": computer.upper(),
        "run_by": RUN_BY,
        "site": rendered.plan.site.site,
        "inventory": rendered.identity.inventory,
        "inventory_sha256": rendered.identity.inventory_sha256,
        "drgen_version": __version__,
        "bundle_id": bundle_id or rendered.identity.bundle_id,
        "script_sha256": rendered.script_sha256[key],
        "expected_state": expect,
        "after_drill": after_drill,
        "started": utc_text(started),
        "finished": utc_text(started + timedelta(seconds=41)),
        "checks": checks,
    }


def _file_name(result: dict[str, Any]) -> str:
    stamp = datetime.fromisoformat(result["finished"]).strftime("%Y%m%dT%H%M%SZ")
    return f"{result['script']}-{result['computer']}-{stamp}.json"


def example_results(rendered: Rendered) -> list[dict[str, Any]]:
    """DR-West, not ready: failed and foreign results, and an old drill."""
    site = rendered.plan.site
    servers = {s.name: s for s in site.servers}
    at = SAMPLE_DAY
    results = []
    for index, name in enumerate(site.server_names):
        results.append(
            document(
                rendered,
                script="Test-DrBundle",
                computer=name,
                expect=None,
                started=at + timedelta(minutes=index),
                checks=bundle_checks(rendered, name),
            )
        )
    # DRserver3's copy of the bundle: one script changed after signing, one extra file.
    bundle3 = results[2]["checks"]
    edited = hashlib.sha256(b"edited on the server").hexdigest().upper()
    fail(bundle3, "sha256:DRserver3\\Enable-DrServer.ps1", edited)
    fail(bundle3, "signature:DRserver3\\Enable-DrServer.ps1", "HashMismatch")
    bundle3.insert(
        len(bundle3) - 1,
        check(
            "unexpected:DRserver3\\Enable-DrServer - Copy.ps1",
            "DRserver3\\Enable-DrServer - Copy.ps1 (not in the bundle)",
            "absent",
            "present",
        ),
    )
    dormant = {
        name: state_checks(site, servers[name], "Dormant") for name in site.server_names
    }
    results.append(
        document(
            rendered,
            script="Test-DrServer",
            computer="DRserver1",
            expect="Dormant",
            started=at + timedelta(minutes=10),
            checks=dormant["DRserver1"],
        )
    )
    # DRserver2: passed a week ago, fails today (someone set a host service to
    # Manual and turned off inbound MSDTC).
    results.append(
        document(
            rendered,
            script="Test-DrServer",
            computer="DRserver2",
            expect="Dormant",
            started=at - timedelta(days=7),
            checks=state_checks(site, servers["DRserver2"], "Dormant"),
        )
    )
    host_service = servers["DRserver2"].in_process_instances[0].service_name
    fail(dormant["DRserver2"], f"service:{host_service}:startup-type", "Manual")
    inbound = N["reg:msdtc-security/NetworkDtcAccessInbound"]
    fail(dormant["DRserver2"], f"msdtc:{inbound}", "disabled")
    results.append(
        document(
            rendered,
            script="Test-DrServer",
            computer="DRserver2",
            expect="Dormant",
            started=at + timedelta(minutes=11),
            checks=dormant["DRserver2"],
        )
    )
    # DRserver3: passing, but run by the script of an older bundle.
    results.append(
        document(
            rendered,
            script="Test-DrServer",
            computer="DRserver3",
            expect="Dormant",
            started=at + timedelta(minutes=12),
            checks=dormant["DRserver3"],
            bundle_id=OLD_BUNDLE_ID,
        )
    )
    # A full drill of this bundle two months ago: every DR server reached Ready,
    # then Active. Stale now (shown, not judged), and the site's last full drill.
    drill = at - timedelta(days=61)
    for step, expect in enumerate(("Ready", "Active")):
        for index, name in enumerate(site.server_names):
            results.append(
                document(
                    rendered,
                    script="Test-DrServer",
                    computer=name,
                    expect=expect,
                    started=drill + timedelta(minutes=30 * step + index),
                    checks=state_checks(site, servers[name], expect),
                )
            )
    return results


def consolidated_results(rendered: Rendered) -> list[dict[str, Any]]:
    """DR-North, ready: every server's bundle and dormant state checked today."""
    site = rendered.plan.site
    results = []
    for index, server in enumerate(site.servers):
        at = SAMPLE_DAY + timedelta(minutes=20 + index)
        results.append(
            document(
                rendered,
                script="Test-DrBundle",
                computer=server.name,
                expect=None,
                started=at,
                checks=bundle_checks(rendered, server.name),
            )
        )
        results.append(
            document(
                rendered,
                script="Test-DrServer",
                computer=server.name,
                expect="Dormant",
                started=at + timedelta(minutes=5),
                checks=state_checks(site, server, "Dormant"),
            )
        )
    return results


def sample_files() -> dict[PurePosixPath, str]:
    """Every sample file (path below examples/results/) and its text."""
    made: dict[PurePosixPath, str] = {}
    builders = {"example": example_results, "consolidated": consolidated_results}
    for stem in INVENTORIES:
        for result in builders[stem](render(stem)):
            text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
            made[PurePosixPath(stem, _file_name(result))] = text
    return made


def write_samples(folder: Path = SAMPLES) -> list[Path]:
    """Rewrite ``folder`` with exactly the sample files."""
    made = sample_files()
    for old in folder.rglob("*.json") if folder.is_dir() else ():
        old.unlink()
    written = []
    for relative, text in sorted(made.items()):
        path = folder / Path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def sample_report(stem: str = "example") -> str:
    """The report of one example's samples, judged at :data:`SAMPLE_NOW`.

    The samples are made afresh (as :func:`write_samples` would write them), so
    the picture shows the current render even before the committed files are
    regenerated; ``tests/evidence/test_report.py`` holds those to the same text.
    """
    import tempfile

    from generator.api import report

    with tempfile.TemporaryDirectory() as folder:
        for relative, text in sample_files().items():
            if relative.parts[0] == stem:
                path = Path(folder) / relative.name
                path.write_text(text, encoding="utf-8", newline="\n")
        made = report(
            [Path(folder)],
            now=SAMPLE_NOW,
            inventory=ROOT / "inventories" / f"{stem}.yaml",
        )
    # The files were read from a temporary folder: show where they are committed.
    return made.html.replace(folder, f"examples/results/{stem}")


if __name__ == "__main__":
    for each in write_samples():
        print(each.relative_to(ROOT))
