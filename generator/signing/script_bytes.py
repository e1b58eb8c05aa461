"""A script's bytes from its parts: the kind's code encoded once, the data per script.

``encode_text`` and ``AuthenticodeSigner.sign`` take a whole script: convert LF to
CRLF, encode UTF-8 with BOM, check it (CRLF only, no signature marker text, valid
UTF-8), convert it to UTF-16LE and hash it. For a script made of a code part that
is the same in every bundle and a small data block, all of that is done once per
code part here (cached) and per script only for the data block; hash states are
copied, not recomputed. The checks are the signer's, applied to each part.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from generator.errors import SigningError
from generator.signing.authenticode import BOM, has_marker

# The text the PowerShell SIP hashes starts with the BOM, kept as U+FEFF.
_BOM_UTF16 = "\ufeff".encode("utf-16-le")


def _checked(text: str, what: str) -> str:
    """``text`` (LF only) in CRLF; the signer's checks, on this part."""
    if "\r" in text:
        msg = f"the script's {what} contains a carriage return"
        raise SigningError(msg)
    crlf = text.replace("\n", "\r\n")
    if has_marker(crlf.encode("utf-8", "surrogatepass")):
        msg = (
            f"the script's {what} contains the text '# SIG # Begin/End signature block'"
        )
        raise SigningError(msg)
    return crlf


@dataclass(frozen=True, slots=True)
class EncodedCode:
    """A code part, encoded and hashed once."""

    head: bytes  # BOM + the text up to the data block, CRLF, UTF-8
    tail: bytes  # the text after the data block, CRLF, UTF-8
    tail_utf16: bytes
    head_utf16: Any  # SHA-256 state over U+FEFF + head, UTF-16LE (to copy)
    head_sha256: Any  # SHA-256 state over the head's bytes (to copy)


@functools.lru_cache(maxsize=64)
def encoded_code(head: str, tail: str) -> EncodedCode:
    """The code part around a data block, ready to be joined to one.

    Raises:
        SigningError: the code holds a CR or the signature marker text.
    """
    if not tail.endswith("\n"):
        msg = "the script does not end with a line break"
        raise SigningError(msg)
    head_crlf = _checked(head, "code")
    tail_crlf = _checked(tail, "code")
    head_bytes = BOM + head_crlf.encode("utf-8")
    return EncodedCode(
        head=head_bytes,
        tail=tail_crlf.encode("utf-8"),
        tail_utf16=tail_crlf.encode("utf-16-le"),
        head_utf16=hashlib.sha256(_BOM_UTF16 + head_crlf.encode("utf-16-le")),
        head_sha256=hashlib.sha256(head_bytes),
    )


@dataclass(frozen=True, slots=True)
class EncodedBlock:
    """A data block, encoded both ways."""

    utf8: bytes
    utf16: bytes


@functools.lru_cache(maxsize=16)
def encoded_block(block: str) -> EncodedBlock:
    """A data block in CRLF, UTF-8 and UTF-16LE (a server's scripts share it).

    Raises:
        SigningError: the block holds a CR or the signature marker text.
    """
    crlf = _checked(block, "data block")
    return EncodedBlock(crlf.encode("utf-8"), crlf.encode("utf-16-le"))
