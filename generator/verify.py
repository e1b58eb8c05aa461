"""``drgen verify``: a rendered bundle checked against its manifest and signatures.

Every problem is a ``Diagnostic`` whose file is the bundle file and whose code
says what is wrong (missing, extra, changed, signature, manifest); they reach
the user through ``VerificationError`` like any other drgen error.

The manifest is not signed, so an edit of a data file plus its manifest entry
would pass the manifest check. Each site's signed ``Test-DrBundle.ps1`` carries
the SHA-256 of every other file of its site; verify rebuilds that list from the
manifest with the very function that rendered it and checks that the signed
script contains it, row by row and whole. The script's text is never parsed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509

from generator.authenticode_verify import verify_script
from generator.contexts import expected_file_rows, expected_files_block
from generator.errors import Diagnostic, Location, VerificationError
from generator.writer import MANIFEST_NAME

BUNDLE_CHECK_NAME = "Test-DrBundle.ps1"
# Scripts write logs\ next to themselves on the servers.
IGNORED_FOLDERS = frozenset({"logs", "state"})


def _problem(path: str, kind: str, detail: str) -> Diagnostic:
    return Diagnostic(Location(path), kind, detail)


def load_ca(path: Path) -> x509.Certificate:
    """The root certificate the signatures must chain to."""
    try:
        data = path.read_bytes()
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (OSError, ValueError) as exc:
        raise VerificationError(f"{path}: cannot read CA certificate: {exc}") from None


def _entries(root: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    entries = {e["path"]: e for e in manifest["files"]}
    for path, entry in entries.items():
        if not isinstance(path, str) or not isinstance(entry.get("sha256"), str):
            raise TypeError(f"entry {path!r} has no path or sha256")
    return entries


def verify_bundle(root: Path, ca: x509.Certificate | None) -> list[Diagnostic]:
    """Every difference between ``root`` (OUT/<inventory>) and its manifest.

    Diagnostic files are relative to ``root``.
    """
    try:
        entries = _entries(root)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return [_problem(MANIFEST_NAME, "manifest", f"unreadable: {exc}")]
    found: list[Diagnostic] = []
    present = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and p.name != MANIFEST_NAME
        and not IGNORED_FOLDERS & set(p.relative_to(root).parts[:-1])
    }
    found += [
        _problem(path, "extra", "not in the manifest")
        for path in sorted(present - set(entries))
    ]
    for path, entry in sorted(entries.items()):
        if path not in present:
            found.append(_problem(path, "missing", "listed in the manifest"))
            continue
        data = (root / path).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            found.append(_problem(path, "changed", "sha256 differs from the manifest"))
        # Every script is checked, whatever the (unsigned) manifest claims.
        if entry.get("signed") or path.endswith(".ps1"):
            found += [_problem(path, "signature", p) for p in verify_script(data, ca)]
    reported = {(d.location.file, d.code) for d in found}
    found += [
        d
        for d in _against_signed_lists(root, entries, ca)
        if (d.location.file, d.code) not in reported
    ]
    return found


def _against_signed_lists(
    root: Path, entries: dict[str, dict[str, Any]], ca: x509.Certificate | None
) -> list[Diagnostic]:
    """Manifest entries that disagree with their site's signed Test-DrBundle.ps1."""
    found: list[Diagnostic] = []
    for script in sorted(root.glob(f"*/{BUNDLE_CHECK_NAME}")):
        data = script.read_bytes()
        if verify_script(data, ca):
            continue  # reported as a signature problem; its list proves nothing
        site = PurePosixPath(script.parent.relative_to(root).as_posix())
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
        files: list[tuple[str, str]] = []
        differs = len(found)
        for path, entry in entries.items():
            relative = PurePosixPath(path)
            if relative.parent == site and relative.name == BUNDLE_CHECK_NAME:
                continue
            if site not in relative.parents:
                continue
            row = ("\\".join(relative.relative_to(site).parts), entry["sha256"].upper())
            files.append(row)
            if expected_file_rows((row,)) not in text:
                found.append(
                    _problem(
                        path, "changed", f"differs from the signed {BUNDLE_CHECK_NAME}"
                    )
                )
        whole = expected_files_block(tuple(sorted(files)))
        if len(found) == differs and whole not in text:
            # Every listed file matches, so the signed list names a file the
            # manifest no longer has.
            found.append(
                _problem(
                    f"{site}/{BUNDLE_CHECK_NAME}",
                    "missing",
                    "names a file that is not in the manifest",
                )
            )
    return found


def verify_out(out: Path, ca_path: Path | None) -> int:
    """Verify every bundle under ``out``; returns how many were checked.

    Raises:
        VerificationError: one diagnostic per problem, or no bundle at all.
    """
    ca = load_ca(ca_path) if ca_path else None
    roots = sorted(p.parent for p in out.glob(f"*/{MANIFEST_NAME}"))
    if not roots:
        raise VerificationError(f"{out}: no bundle (no */{MANIFEST_NAME}) to verify")
    found = [
        _problem(f"{root.name}/{d.location.file}", d.code, d.message)
        for root in roots
        for d in verify_bundle(root, ca)
    ]
    if found:
        raise VerificationError(
            f"{len(roots)} bundle(s) checked, {len(found)} problem(s)", tuple(found)
        )
    return len(roots)
