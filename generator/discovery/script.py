"""``drgen discover``: the generic Export-BizTalkGroup.ps1, signed, in one folder.

The same template ``drgen render`` puts in ``OUT/<inventory>/production/`` (see
``artifact_plan.discovery_spec``), without the production-server guard: it runs on
any BizTalk server. One file, so no manifest: it is written whole (a temporary
file renamed over it) and only over a file drgen wrote, unless forced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2

from generator.discovery.model import SCHEMA_ID
from generator.errors import OutputError, UsageError
from generator.plan.artifacts import discovery_spec
from generator.plan.outputs import DISCOVERY_SCRIPT_NAME
from generator.render.artifacts import EncodedArtifact
from generator.render.environment import render_artifact
from generator.render.escaping import ps_str
from generator.signing.signer import Signer, encode_and_sign

# Every discovery script drgen writes carries this line; a file without it is not
# drgen's, and is replaced only with --force.
_OWN_LINE = f"$ResultSchema = {ps_str(SCHEMA_ID)}\r\n".encode()


@dataclass(frozen=True, slots=True)
class DiscoveryWritten:
    """What ``drgen discover`` did: the script's path and create/update/identical."""

    path: Path
    status: str
    sha256: str


def build_discovery_script(env: jinja2.Environment, signer: Signer) -> EncodedArtifact:
    """The generic discovery script, rendered, encoded and signed."""
    spec = discovery_spec(PurePosixPath(DISCOVERY_SCRIPT_NAME))
    (encoded,) = encode_and_sign((render_artifact(env, spec),), signer)
    return encoded


def check_discovery_target(out: Path, *, force: bool) -> Path:
    """The script's path in ``out``; refuses a file drgen did not write (before any
    work is done, so that a refused run costs nothing)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: --out must be a directory, and this is a file")
    target = out / DISCOVERY_SCRIPT_NAME
    if force or not (target.exists() or target.is_symlink()):
        return target
    if target.is_symlink() or not target.is_file():
        raise UsageError(f"{target}: exists and is not a file; pass --force")
    try:
        ours = _OWN_LINE in target.read_bytes()
    except OSError as exc:
        raise OutputError(f"{target}: cannot read: {exc.strerror or exc}") from None
    if not ours:
        raise UsageError(
            f"{target}: exists and was not written by drgen discover; move it away "
            "or pass --force"
        )
    return target


def write_discovery_script(target: Path, script: EncodedArtifact) -> DiscoveryWritten:
    """Write the script whole: a temporary file beside it, renamed over it."""
    try:
        if target.is_file() and not target.is_symlink():
            if target.read_bytes() == script.data:
                return DiscoveryWritten(target, "identical", script.sha256)
            status = "update"
        else:
            status = "create"
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            staging.write_bytes(script.data)
            staging.replace(target)
        finally:
            staging.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return DiscoveryWritten(target, status, script.sha256)
