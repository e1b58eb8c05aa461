"""Replace one file whole or not at all: a temporary file beside it, renamed over it.

``drgen import`` rewrites the inventory and ``drgen report`` the HTML report this
way, so an interrupted run or a full disk never leaves half a file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from generator.errors import OutputError


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (keeping its permission bits; a new file gets
    what ``open`` would give it under the process umask).

    Raises:
        OutputError: the file or its temporary file cannot be written.
    """
    folder = path.resolve().parent
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()
        Path(temp).chmod(mode)
        Path(temp).replace(path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"{path}: {exc.strerror or exc}") from None


def _new_file_mode() -> int:
    """0666 less the umask, as for a file created with ``open`` (mkstemp's 0600
    would hide a report or an inventory from the admin's team)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
