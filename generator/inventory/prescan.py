"""The pre-scan: problems pydantic cannot see, found before the model is validated.

Keys that look like secrets (an inventory never holds passwords), control
characters or line breaks in any key or value, invisible format characters
(bidirectional controls, zero-width characters) in any key or value, the text of a
signature block marker line in any value, and the
``REPLACE-ME-`` placeholders ``drgen import`` leaves for a person to fill in.
"""

from __future__ import annotations

import re
from typing import Any

from generator.errors import Diagnostic
from generator.inventory.load import Path_, RawDocument
from generator.inventory.model import Inventory, nested_model
from generator.text import character_name, dotted, format_character, shown

# C0 and C1 controls, DEL, Unicode line breaks, lone surrogates and the two
# non-characters XML 1.0 forbids: none belongs in a one-line inventory value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")

# Authenticode's marker lines (any case): a value holding one would end up in a
# script that cannot be signed (authenticode.has_marker refuses it).
_SIGNATURE_MARKER = re.compile(r"# SIG # (Begin|End) signature block", re.I)

# What ``drgen import`` writes where only a person can fill the value in; refused
# here, once and with its own message, until it is replaced.
PLACEHOLDER = "REPLACE-ME-"


def _placeholder(value: str) -> bool:
    return value.upper().startswith(PLACEHOLDER.rstrip("-"))


_FORMAT_HINT = (
    "an invisible character makes a reviewer read something other than what "
    "runs; retype the text (other non-ASCII letters are fine)"
)


def _format_problem(doc: RawDocument, path: Path_, text: str, what: str) -> Diagnostic:
    char = format_character(text)
    assert char is not None  # noqa: S101 - called only when there is one
    return Diagnostic(
        doc.locate(path),
        "format-character",
        f"{what} contains the invisible format character {character_name(char)}",
        hint=_FORMAT_HINT,
    )


_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|credential|private[_-]?key|token", re.I
)


def _schema_keys() -> frozenset[str]:
    """Every key the schema defines (some, like master_secret_server, look secret)."""
    keys: set[str] = set()
    pending: list[Any] = [Inventory]
    while pending:
        model = pending.pop()
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
            inner = nested_model(info.annotation)
            if inner is not None:
                pending.append(inner)
    return frozenset(keys)


_SCHEMA_KEYS = _schema_keys()


def prescan(doc: RawDocument) -> tuple[list[Diagnostic], set[Path_]]:
    """Problems pydantic cannot see: secret-looking keys and control characters.

    Also returns the paths of the secret-looking keys and of placeholders: nothing
    below them may be echoed by another diagnostic.
    """
    found: list[Diagnostic] = []
    secrets: set[Path_] = set()

    def visit(value: Any, path: Path_) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if (
                    isinstance(key, str)
                    and key not in _SCHEMA_KEYS
                    and _SECRET_KEY.search(key)
                ):
                    secrets.add((*path, key))
                    found.append(
                        Diagnostic(
                            doc.locate((*path, key)),
                            "secret-in-inventory",
                            f"'{shown(key)}' looks like a secret; an inventory never "
                            "holds passwords",
                            hint="remove it: passwords are prompted on the DR server "
                            "at run time and never stored",
                        )
                    )
                if isinstance(key, str) and _CONTROL.search(key):
                    found.append(
                        Diagnostic(
                            doc.locate((*path, key)),
                            "control-character",
                            f"key '{shown(key)}' contains a control character "
                            "or line break",
                            hint="inventory keys and values are single-line text",
                        )
                    )
                if isinstance(key, str) and format_character(key):
                    found.append(
                        _format_problem(doc, (*path, key), key, f"key '{shown(key)}'")
                    )
                visit(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, (*path, index))
        elif isinstance(value, str) and _placeholder(value):
            # Reported once: no pattern error is added for the same value.
            secrets.add(path)
            found.append(
                Diagnostic(
                    doc.locate(path),
                    "placeholder",
                    f"{dotted(path)}: '{shown(value)}' is a placeholder left by "
                    "drgen import",
                    hint="replace it with the real value (the DR server, SQL "
                    "instance, site, account or application pool it stands for)",
                )
            )
        elif isinstance(value, str) and format_character(value):
            # Reported once: the pattern error of the same value would echo it.
            secrets.add(path)
            found.append(_format_problem(doc, path, value, f"{dotted(path)}: value"))
        elif isinstance(value, str) and _SIGNATURE_MARKER.search(value):
            # It would reach a script's data block, which then cannot be signed:
            # PowerShell reads such a line as the start of the signature block.
            found.append(
                Diagnostic(
                    doc.locate(path),
                    "signature-marker",
                    f"{dotted(path)}: value contains the text of a signature block "
                    "marker line ('# SIG # Begin/End signature block')",
                    hint="no inventory value may hold it: a script carrying it "
                    "cannot be signed",
                )
            )
        elif isinstance(value, str) and _CONTROL.search(value):
            found.append(
                Diagnostic(
                    doc.locate(path),
                    "control-character",
                    f"{dotted(path)}: value contains a control character or line break",
                    hint="inventory values are single-line text",
                )
            )

    visit(doc.data, ())
    return found, secrets
