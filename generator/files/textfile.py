"""Bytes of an input file as text: UTF-8, or UTF-16 with a byte order mark.

Windows PowerShell 5.1 writes UTF-16LE with a byte order mark for ``>`` and
``Out-File``, so an inventory or a discovery saved that way on a Windows
workstation arrives as UTF-16. Its byte order mark says so unambiguously, and
decoding it loses nothing, so drgen reads it rather than sending the admin off
to convert a file that is fine. (The inventory's SHA-256, and so the bundle
id, is still that of the bytes as stored.) What cannot be told apart safely is
refused with a located error that names the encoding and how to convert:
UTF-32, and UTF-16 without a byte order mark (NUL bytes between ASCII letters).
"""

from __future__ import annotations

import codecs

CONVERT_HINT = (
    "save it as UTF-8: in PowerShell, Get-Content FILE | Set-Content -Encoding UTF8 "
    "NEW-FILE; on Linux or macOS, iconv -f UTF-16 -t UTF-8 FILE > NEW-FILE"
)

# Longest first: the UTF-32LE mark starts with the UTF-16LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class TextDecodeError(Exception):
    """Where the bytes stop being text, and why (1-based line and column)."""

    def __init__(self, line: int, column: int, message: str, hint: str | None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint


def _line_column(text: str) -> tuple[int, int]:
    """The line and column just after ``text``."""
    return text.count("\n") + 1, len(text) - (text.rfind("\n") + 1) + 1


def _looks_utf16(raw: bytes) -> bool:
    """ASCII text in UTF-16 without a byte order mark: every other byte is NUL."""
    head = raw[:512]
    if len(head) < 4 or b"\x00" not in head:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) > len(even) * 0.6 or odd.count(0) > len(odd) * 0.6


def decode_text(raw: bytes, what: str) -> str:
    """``raw`` as text (a byte order mark removed); ``what`` names the file kind.

    Raises:
        TextDecodeError: UTF-32, BOM-less UTF-16, or bytes invalid in the
            encoding (located at the first bad byte).
    """
    encoding = "utf-8"
    start = 0
    for bom, name in _BOMS:
        if raw.startswith(bom):
            if name == "UTF-32":
                message = f"the {what} is UTF-32; drgen reads UTF-8 or UTF-16"
                raise TextDecodeError(1, 1, message, CONVERT_HINT)
            encoding, start = name, len(bom)
            break
    if start == 0 and _looks_utf16(raw):
        raise TextDecodeError(
            1,
            1,
            f"the {what} looks like UTF-16 without a byte order mark; drgen reads "
            "UTF-8, or UTF-16 that starts with one",
            CONVERT_HINT,
        )
    body = raw[start:]
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        # Decode what comes before the bad byte to say where it is.
        before = body[: exc.start - exc.start % (2 if "16" in encoding else 1)]
        line, column = _line_column(before.decode(encoding, "replace"))
        shown = "UTF-16" if "16" in encoding else "UTF-8"
        raise TextDecodeError(
            line,
            column,
            f"the {what} is not valid {shown} (byte {start + exc.start})",
            CONVERT_HINT if shown == "UTF-8" and b"\x00" in raw[:512] else None,
        ) from None
