"""One drgen at a time writes ``OUT/<inventory>``.

A render takes ``OUT/.<inventory>.lock`` (``flock``, exclusive, not waiting)
before it recovers leftovers, checks what is in the way, stages and swaps, and
holds it to the end. A second render of the same bundle then stops at once with
"another drgen is writing OUT/<inventory>" (``LockedError``, exit 11) instead of
removing the first one's staging folder; the first is never disturbed. Other
bundles in the same OUT are not blocked.

The lock dies with its process: the kernel releases an ``flock`` when the
process ends, ``kill -9`` included, so a stale lock file never blocks (the next
render takes it). The file is removed on release, while still locked; a process
that opened it just before finds afterwards that the path names another file
(or none) and tries again, so two holders are impossible.

Windows (drgen's own platform is Linux or macOS; see the README) has no
``fcntl``: there ``msvcrt.locking`` locks the file's first byte, which Windows
also releases when the process ends; the file is left in place there (it cannot
be removed while open).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from generator.errors import DrgenError, ExitCode


class LockedError(DrgenError):
    """Another drgen process is writing the same bundle."""

    exit_code = ExitCode.LOCKED


def lock_path(out: Path, name: str) -> Path:
    """The lock file of ``OUT/<name>``."""
    return out / f".{name}.lock"


@dataclass(frozen=True, slots=True)
class _Held:
    path: Path
    fd: int


if sys.platform == "win32":  # pragma: no cover - drgen's CI runs on Linux
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(held: _Held) -> None:
        os.lseek(held.fd, 0, os.SEEK_SET)
        msvcrt.locking(held.fd, msvcrt.LK_UNLCK, 1)
        os.close(held.fd)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(held: _Held) -> None:
        # Removed while still locked: whoever opened it meanwhile retries.
        with suppress(FileNotFoundError):
            held.path.unlink()
        os.close(held.fd)


def _holder(path: Path) -> str:
    """The process id the holder wrote into the lock file, as text (or '?')."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "?"
    return text if text.isdigit() else "?"


def _acquire(out: Path, name: str) -> _Held:
    path = lock_path(out, name)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            raise LockedError(
                f"another drgen is writing {out / name} (process {_holder(path)}, "
                f"lock {path}); wait until it has finished, then run drgen again"
            )
        try:
            mine = os.fstat(fd)
            named = path.stat()
            same = (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed it between our open and our lock
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return _Held(path, fd)


@contextmanager
def bundle_locks(out: Path, names: Sequence[str]) -> Iterator[None]:
    """Hold the lock of every ``OUT/<name>`` (taken in sorted order).

    Raises:
        LockedError: another process holds one of them (nothing is waited for).
        OSError: the lock file cannot be created (the caller reports it).
    """
    held: list[_Held] = []
    try:
        for name in sorted(set(names)):
            # One by one: those taken before a refusal are released below.
            held.append(_acquire(out, name))  # noqa: PERF401
        yield
    finally:
        for each in reversed(held):
            _unlock(each)
