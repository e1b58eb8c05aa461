"""Names Windows cannot hold as a file or folder name.

The DR site, each DR server and each inventory become folders that admins copy
to Windows servers (``OUT/<inventory>/<site>/<server>/``). A name Windows
cannot hold renders happily on Linux and then cannot be copied, or lands in
another folder. The rules are Microsoft's "Naming Files, Paths, and
Namespaces" (:data:`SOURCE`, section "Naming conventions"):

* the reserved device names CON, PRN, AUX, NUL, COM0-COM9, COM¹-COM³,
  LPT0-LPT9, LPT¹-LPT³, in any case, also "followed immediately by an
  extension; for example, NUL.txt and NUL.tar.gz are both equivalent to NUL";
* "Do not end a file or directory name with a space or a period";
* the reserved characters ``< > : " / \\ | ? *`` and the characters 0-31.

COM0 and LPT0 are on the page's current list too (older copies list 1-9 only);
refusing them costs nothing. Names are compared case-insensitively, as
Windows does (``casefold``).
"""

from __future__ import annotations

SOURCE = "https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file"

_DIGITS = "0123456789\u00b9\u00b2\u00b3"
RESERVED_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in _DIGITS}
)
_RESERVED_CHARACTERS = frozenset('<>:"/\\|?*')


def device_name(name: str) -> str | None:
    """The reserved device name ``name`` stands for on Windows, or None.

    Only the part before the first dot counts (``nul.tar.gz`` is NUL); spaces
    before that dot are ignored too, to be on the safe side (``CON .txt``).
    """
    base = name.split(".", 1)[0].rstrip(" ").upper()
    return base if base in RESERVED_DEVICE_NAMES else None


def windows_name_problem(name: str) -> str | None:
    """Why Windows cannot hold ``name`` as a file or folder name, or None."""
    if not name:
        return "is empty"
    device = device_name(name)
    if device is not None:
        return f"is the reserved device name {device} on Windows"
    if name.endswith("."):
        return "ends with a dot, which Windows drops from a file or folder name"
    if name.endswith(" "):
        return "ends with a space, which Windows drops from a file or folder name"
    for char in name:
        if char in _RESERVED_CHARACTERS or ord(char) < 32:
            return f"contains {char!r}, which Windows does not allow in a name"
    return None


def same_on_windows(a: str, b: str) -> bool:
    """Whether two names are one folder on Windows (case ignored)."""
    return a.casefold() == b.casefold()
