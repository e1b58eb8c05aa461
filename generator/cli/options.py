"""The arguments and options several commands share: inventories (with their
shell completion and default), output format, templates and the signing
options, and the library's ``Signing`` made from them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.inspection import OutputFormat
from generator.errors import UsageError

if TYPE_CHECKING:
    from generator.api import Signing

# The checkout this module runs from (generator/cli/options.py -> the root).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_inventories() -> list[Path]:
    folder = Path("inventories")
    if not folder.is_dir() and (PROJECT_ROOT / "inventories").is_dir():
        folder = PROJECT_ROOT / "inventories"  # a checkout, run from elsewhere
    found = sorted(folder.glob("*.yaml"))
    if not found:
        raise UsageError(
            f"no inventory given and none found in {folder}/ "
            "(name one, or start one with drgen init)"
        )
    return found


def inventory_paths(paths: list[Path] | None) -> list[Path]:
    """The inventories given, or by default every ``inventories/*.yaml``."""
    return list(paths) if paths else _default_inventories()


def complete_inventory(incomplete: str) -> list[str]:
    """Shell completion for inventory arguments: folders and YAML files."""
    folder, _, stem = incomplete.rpartition("/")
    base = Path(folder or ".")
    if folder == "" and incomplete.startswith("/"):
        base = Path("/")
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(stem) or entry.name.startswith("."):
            continue
        shown = (
            f"{folder}/{entry.name}"
            if folder or incomplete.startswith("/")
            else entry.name
        )
        if entry.is_dir():
            found.append(shown + "/")
        elif entry.suffix.lower() in {".yaml", ".yml"}:
            found.append(shown)
    return found


InventoryArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Inventory files (default: every inventories/*.yaml).",
        metavar="INVENTORY",
        show_default=False,
        autocompletion=complete_inventory,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", case_sensitive=False, help="text or json."),
]
TemplatesOption = Annotated[
    Path, typer.Option("--templates", help="Template directory.")
]
# The signing options of every command that writes a signed script.
CertOption = Annotated[
    Path | None,
    typer.Option(
        "--cert",
        help="Code-signing certificate: .pfx/.p12 (password from "
        "DRGEN_CERT_PASSWORD or a prompt) or PEM (with --key). Default: a local "
        "development certificate, for evaluation only, kept in .drgen/dev-signing "
        "(or in DRGEN_DEV_CERT_DIR).",
    ),
]
KeyOption = Annotated[
    Path | None, typer.Option("--key", help="PEM private key for a PEM --cert.")
]
TimestampOption = Annotated[
    str | None,
    typer.Option("--timestamp-url", help="RFC 3161 timestamp authority URL."),
]


def signing_from(
    cert: Path | None, key: Path | None, timestamp_url: str | None
) -> Signing:
    """The library's ``Signing``: the development folder from the environment and
    a password prompt when the certificate needs one (the library does neither)."""
    from generator import api
    from generator.signing.signer import (
        DEV_FOLDER_VARIABLE,
        DEV_IDENTITY_FOLDER,
        ask_password,
    )

    dev_folder = Path(os.environ.get(DEV_FOLDER_VARIABLE, str(DEV_IDENTITY_FOLDER)))
    return api.Signing(cert, key, timestamp_url, dev_folder, password=ask_password)
