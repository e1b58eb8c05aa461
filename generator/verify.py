"""``drgen verify``: a rendered bundle checked against its manifest and signatures."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from generator.authenticode_verify import verify_script
from generator.errors import VerificationError
from generator.writer import MANIFEST_NAME


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a bundle: a missing, extra, changed or badly signed file."""

    kind: str  # missing | extra | changed | signature | manifest
    path: str
    detail: str = ""

    def format(self) -> str:
        """``kind: path (detail)``."""
        return f"{self.kind}: {self.path}" + (
            f" ({self.detail})" if self.detail else ""
        )


def load_ca(path: Path) -> x509.Certificate:
    """The root certificate the signatures must chain to."""
    try:
        data = path.read_bytes()
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (OSError, ValueError) as exc:
        raise VerificationError(f"{path}: cannot read CA certificate: {exc}") from None


def verify_bundle(root: Path, ca: x509.Certificate | None) -> list[Finding]:
    """Every difference between ``root`` (OUT/<inventory>) and its manifest."""
    manifest_path = root / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = {e["path"]: e for e in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Finding("manifest", MANIFEST_NAME, f"unreadable: {exc}")]
    findings: list[Finding] = []
    present = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and p.name != MANIFEST_NAME
        # Scripts write logs/ and state/ next to themselves on the servers.
        and not {"logs", "state"} & set(p.relative_to(root).parts[:-1])
    }
    findings += [Finding("extra", path) for path in sorted(present - set(entries))]
    for path, entry in sorted(entries.items()):
        file = root / path
        if path not in present:
            findings.append(Finding("missing", path))
            continue
        data = file.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            findings.append(
                Finding("changed", path, "sha256 differs from the manifest")
            )
        # Every script is checked, whatever the (unsigned) manifest claims.
        if entry.get("signed") or path.endswith(".ps1"):
            findings += [Finding("signature", path, p) for p in verify_script(data, ca)]
    reported = {(f.kind, f.path) for f in findings}
    findings += [
        f for f in _signed_site_hashes(root, ca) if (f.kind, f.path) not in reported
    ]
    return findings


# One entry of the signed Test-DrBundle.ps1 data block (our own generated form).
_BUNDLE_ENTRY = re.compile(r"Path = '((?:[^']|'')*)'\r\n\s+Sha256 = '([0-9A-F]{64})'")


def _signed_site_hashes(root: Path, ca: x509.Certificate | None) -> list[Finding]:
    """Files that differ from the hashes a valid, signed Test-DrBundle.ps1 carries.

    The manifest is not signed, so an edit of a data file plus its manifest entry
    would pass the manifest check; the signed per-site list catches it.
    """
    findings: list[Finding] = []
    for script in sorted(root.glob("*/Test-DrBundle.ps1")):
        data = script.read_bytes()
        if verify_script(data, ca):
            continue  # reported as a signature problem; its list proves nothing
        text = data.decode("utf-8-sig")
        for relative, digest in _BUNDLE_ENTRY.findall(text):
            name = relative.replace("''", "'").replace("\\", "/")
            target = script.parent / name
            shown = target.relative_to(root).as_posix()
            if not target.is_file():
                findings.append(Finding("missing", shown))
            elif hashlib.sha256(target.read_bytes()).hexdigest().upper() != digest:
                findings.append(
                    Finding(
                        "changed", shown, "differs from the signed Test-DrBundle.ps1"
                    )
                )
    return findings


def verify_out(out: Path, ca_path: Path | None) -> tuple[int, list[Finding]]:
    """Verify every bundle under ``out``; returns (bundles checked, findings)."""
    ca = load_ca(ca_path) if ca_path else None
    roots = sorted(p.parent for p in out.glob(f"*/{MANIFEST_NAME}"))
    if not roots:
        raise VerificationError(f"{out}: no bundle (no */{MANIFEST_NAME}) to verify")
    findings = [
        Finding(f.kind, f"{root.name}/{f.path}", f.detail)
        for root in roots
        for f in verify_bundle(root, ca)
    ]
    return len(roots), findings
