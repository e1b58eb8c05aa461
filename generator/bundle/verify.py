"""``drgen verify``: a rendered bundle checked against its manifest and signatures.

Every problem is a ``Diagnostic`` whose file is the bundle file and whose code
says what is wrong (missing, extra, changed, signature, manifest); they reach
the user through ``VerificationError`` like any other drgen error.

The manifest is not signed, so an edit of a data file plus its manifest entry
would pass the manifest check. Each site's signed ``Test-DrBundle.ps1`` carries
the SHA-256 of every other file of its site; verify rebuilds that list from the
manifest with the functions that rendered it and checks that the signed script
contains it, row by row and whole. The script's text is never parsed. A site
without its bundle check is itself a finding, so deleting the check (and its
manifest entry) does not switch the check off.

Without ``--ca`` a signature proves only that the file was not changed after
someone signed it; with ``--ca`` it proves who signed it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

from cryptography import x509

from generator.bundle.writer import LEFTOVER, MANIFEST_NAME, bundle_manifest
from generator.errors import Diagnostic, Location, UsageError, VerificationError
from generator.plan.contexts import FileRow, site_file_list
from generator.plan.outputs import BUNDLE_CHECK_NAME, PRODUCTION_FOLDER
from generator.render.escaping import ps_str
from generator.render.psdata import (
    DataBlockError,
    code_part,
    render_item,
    unsigned_text,
)
from generator.render.script_data import expected_files_item
from generator.render.scripts import code_sha256
from generator.signing.verify import verify_script

# The folder the scripts write next to themselves on the servers (logs\): files
# there are not part of the bundle, unless the manifest itself has a folder of
# that name (a DR server called LOGS). Test-DrBundle.ps1 applies the same rule.
RUNTIME_FOLDERS = frozenset({"logs"})

Entries = dict[str, str]  # manifest path -> sha256 (lower-case hex)
Codes = dict[str, str]  # manifest path of a script -> code_sha256 (lower-case hex)


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


class _ManifestError(ValueError):
    pass


def _entries(root: Path) -> tuple[Entries, set[str], Codes]:
    """(path -> sha256, paths the manifest marks signed, path -> code_sha256);
    raises _ManifestError."""
    try:
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise _ManifestError(str(exc)) from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        raise _ManifestError("'files' is not a list")
    entries: Entries = {}
    signed: set[str] = set()
    codes: Codes = {}
    for entry in files:
        path = entry.get("path") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not isinstance(digest, str):
            raise _ManifestError(f"entry {entry!r:.80} has no path or sha256")
        if path in entries:
            raise _ManifestError(f"{path} is listed twice")
        entries[path] = digest
        if entry.get("signed") is True:
            signed.add(path)
        code = entry.get("code_sha256")
        if isinstance(code, str):
            codes[path] = code
    return entries, signed, codes


def _row_text(row: FileRow) -> str:
    """The lines of one file in the signed $ExpectedFiles (as script_data writes)."""
    block = render_item(expected_files_item((row,)))
    # Without the comment, the opening and the closing line: the record alone.
    return block.split("@(\n", 1)[1].rsplit(")\n", 1)[0]


def _runtime_file(relative: PurePosixPath, bundle_folders: set[PurePosixPath]) -> bool:
    """A file a script wrote on a server, in a logs\\ folder of its own."""
    return any(
        folder.name.casefold() in RUNTIME_FOLDERS and folder not in bundle_folders
        for folder in relative.parents
    )


def verify_bundle(root: Path, ca: x509.Certificate | None) -> list[Diagnostic]:
    """Every difference between ``root`` (OUT/<inventory>) and its manifest.

    Diagnostic files are relative to ``root``.
    """
    try:
        entries, signed, codes = _entries(root)
    except _ManifestError as exc:
        return [_problem(MANIFEST_NAME, "manifest", f"unreadable: {exc}")]
    folders = {p for path in entries for p in PurePosixPath(path).parents}
    present: dict[str, Path] = {}
    for file in root.rglob("*"):
        relative = PurePosixPath(file.relative_to(root).as_posix())
        if file.is_dir() or str(relative) == MANIFEST_NAME:
            continue
        if not _runtime_file(relative, folders):
            present[str(relative)] = file
    found = [
        _problem(path, "extra", "not in the manifest")
        for path in sorted(set(present) - set(entries))
    ]
    # Each site's bundle check with a valid signature: its text vouches for the site.
    valid_checks: dict[str, str] = {}
    for path, digest in sorted(entries.items()):
        if path not in present:
            found.append(_problem(path, "missing", "listed in the manifest"))
            continue
        data = present[path].read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            found.append(_problem(path, "changed", "sha256 differs from the manifest"))
        # Every script is checked, whatever the (unsigned) manifest claims.
        if path in signed or path.endswith(".ps1"):
            problems = verify_script(data, ca)
            found += [_problem(path, "signature", p) for p in problems]
            found += _code_problems(path, data, codes.get(path))
            if not problems and PurePosixPath(path).name == BUNDLE_CHECK_NAME:
                valid_checks[path] = data.decode("utf-8-sig").replace("\r\n", "\n")
    reported = {(d.location.file, d.code) for d in found}
    found += [
        d
        for d in _against_signed_lists(entries, codes, valid_checks)
        if (d.location.file, d.code) not in reported
    ]
    return found


def _code_problems(path: str, data: bytes, recorded: str | None) -> list[Diagnostic]:
    """A script whose code part is not the one its manifest entry records."""
    if not path.endswith(".ps1"):
        return []
    if recorded is None:
        return [_problem(path, "code", "the manifest records no code_sha256")]
    try:
        actual = code_sha256(code_part(unsigned_text(data)))
    except (UnicodeDecodeError, DataBlockError) as exc:
        return [_problem(path, "code", f"no code part: {exc}")]
    if actual.lower() != recorded.lower():
        return [_problem(path, "code", "code_sha256 differs from the manifest")]
    return []


def _sites(entries: Entries) -> list[str]:
    """The site folders of the bundle (OUT/<inventory>/<site>/...).

    Not production/: its scripts run on the production servers, no bundle check
    lists them, and the manifest hashes and their own signatures vouch for them
    (a rule keeps a DR site from taking that name).
    """
    return sorted(
        {
            PurePosixPath(p).parts[0]
            for p in entries
            if "/" in p and PurePosixPath(p).parts[0] != PRODUCTION_FOLDER
        }
    )


def _against_signed_lists(
    entries: Entries, codes: Codes, valid_checks: dict[str, str]
) -> list[Diagnostic]:
    """Manifest entries that disagree with their site's signed Test-DrBundle.ps1.

    ``valid_checks``: the text of each bundle check whose signature is valid (an
    invalid one is reported as a signature problem; its list proves nothing).
    """
    found: list[Diagnostic] = []
    for name in _sites(entries):
        site = PurePosixPath(name)
        check = site / BUNDLE_CHECK_NAME
        if str(check) not in entries:
            found.append(
                _problem(
                    str(check),
                    "missing",
                    "every site has a signed bundle check; without it the site's "
                    "files cannot be checked against a signed list",
                )
            )
            continue
        text = valid_checks.get(str(check))
        if text is None:
            continue  # missing on disk or badly signed: reported above
        files = [
            (PurePosixPath(path).relative_to(site), digest, codes.get(path, ""))
            for path, digest in entries.items()
            if site in PurePosixPath(path).parents and path != str(check)
        ]
        listed = site_file_list(files)
        before = len(found)
        for row in listed:
            if _row_text(row) in text:
                continue
            path = str(site / PurePosixPath(row[0].replace("\\", "/")))
            # The path line is ours too: present means the hash differs.
            if f"Path = {ps_str(row[0])}\n" in text:
                detail = f"differs from the signed {BUNDLE_CHECK_NAME}"
                found.append(_problem(path, "changed", detail))
            else:
                detail = f"not in the signed {BUNDLE_CHECK_NAME}"
                found.append(_problem(path, "extra", detail))
        if (
            len(found) == before
            and render_item(expected_files_item(listed)) not in text
        ):
            # Every listed file matches, so the signed list names a file the
            # manifest no longer has.
            found.append(
                _problem(
                    str(check), "missing", "names a file that is not in the manifest"
                )
            )
    return found


def _inventory_file(folder: Path, name: str) -> str:
    """The inventory file a bundle (or a leftover of one) was rendered from."""
    manifest = bundle_manifest(folder) if folder.is_dir() else None
    found = manifest["inventory"]["file"] if manifest else None
    return found if isinstance(found, str) and found else f"{name}.yaml"


def interrupted(out: Path) -> list[Diagnostic]:
    """What a render killed before it finished left in ``out``: its hidden
    staging and previous folders (``writer.LEFTOVER``), each a problem that names
    the command that repairs it. A bundle missing beside them is one too.

    A render that is still running leaves the same folders; the message says so.
    """
    found: list[Diagnostic] = []
    leftovers: dict[str, list[Path]] = {}
    for entry in sorted(out.iterdir()):
        match = LEFTOVER.match(entry.name)
        if match is not None:
            leftovers.setdefault(match["name"], []).append(entry)
    for name, entries in sorted(leftovers.items()):
        bundle = out / name
        source = next(
            (_inventory_file(e, name) for e in entries if bundle_manifest(e)),
            _inventory_file(bundle, name),
        )
        repair = (
            f"run drgen render again for {source} with --out {out}: it puts the "
            "bundle in place and removes what the interrupted render left (unless "
            "a render is still running now)"
        )
        if not (bundle / MANIFEST_NAME).is_file():
            kept = [e.name for e in entries if "previous" in e.name]
            where = f"; the last complete bundle is in {kept[0]}" if kept else ""
            found.append(
                _problem(
                    name,
                    "interrupted",
                    f"missing: a render was interrupted before it put this bundle "
                    f"in place{where}; {repair}",
                )
            )
        found += [
            _problem(
                entry.name,
                "interrupted",
                f"left by an interrupted render of {name}/, never a bundle to "
                f"copy; {repair}",
            )
            for entry in entries
        ]
    return found


def verify_out(out: Path, ca_path: Path | None) -> int:
    """Verify every bundle under ``out``; returns how many were checked.

    Only ``OUT/<inventory>/`` folders with a manifest are bundles; drgen's
    hidden folders (a render's staging and previous folders, its lock) never
    are, and what an interrupted render left is reported (``interrupted``).

    Raises:
        UsageError: ``out`` is not a directory.
        VerificationError: one diagnostic per problem, or no bundle at all.
    """
    if not out.is_dir():
        raise UsageError(f"{out}: no such directory")
    ca = load_ca(ca_path) if ca_path else None
    roots = sorted(
        p.parent
        for p in out.glob(f"*/{MANIFEST_NAME}")
        if p.is_file() and not p.parent.name.startswith(".")
    )
    found = interrupted(out)
    if not roots and not found:
        raise VerificationError(f"{out}: no bundle (no */{MANIFEST_NAME}) to verify")
    found += [
        _problem(f"{root.name}/{d.location.file}", d.code, d.message)
        for root in roots
        for d in verify_bundle(root, ca)
    ]
    if found:
        raise VerificationError(
            f"{len(roots)} bundle(s) checked, {len(found)} problem(s)", tuple(found)
        )
    return len(roots)
