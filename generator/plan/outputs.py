"""What kinds of file a bundle has, and the names drgen gives its own files.

The kind decides a file's encoding and whether it is signed
(``generator.render.artifacts.encode_text``); the plan decides each file's kind from
its name.
"""

from __future__ import annotations

import enum
from pathlib import PurePosixPath

# The site's bundle check: it carries the SHA-256 of every other file of its site.
BUNDLE_CHECK_NAME = "Test-DrBundle.ps1"
# OUT/<inventory>/production/: the scripts for the production servers (not a DR
# site: no bundle check lists it, and no DR site may take this name).
PRODUCTION_FOLDER = "production"
DISCOVERY_SCRIPT_NAME = "Export-BizTalkGroup.ps1"


class ArtifactKind(enum.Enum):
    """What an artifact is, which decides its encoding and whether it is signed."""

    POWERSHELL = "ps1"
    XML = "xml"
    MARKDOWN = "md"
    JSON = "json"
    # Runbook.html: polyglot XHTML5, so xml.etree reads it back (render.environment
    # checks).
    HTML = "html"

    @property
    def bom(self) -> bool:
        """Whether the bytes start with a UTF-8 byte order mark."""
        return self is ArtifactKind.POWERSHELL

    @property
    def newline(self) -> str:
        """Line ending written to disk (Windows files get CRLF)."""
        return "\r\n" if self in (ArtifactKind.POWERSHELL, ArtifactKind.XML) else "\n"

    @property
    def signed(self) -> bool:
        """Whether Authenticode applies."""
        return self is ArtifactKind.POWERSHELL

    @classmethod
    def for_path(cls, path: PurePosixPath) -> ArtifactKind:
        """The kind for an output file name."""
        return cls(path.suffix.removeprefix("."))
