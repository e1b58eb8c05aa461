"""Rules about names that become folders: the DR site and each DR server.

``OUT/<inventory>/<site>/<server>/`` is copied to Windows servers, so each of
these names must be one Windows can hold (``inventory.winnames``), and none may
be a name drgen itself uses beside it: ``manifest.json`` and ``production/``
in ``OUT/<inventory>/``, ``logs\\`` (where the site's scripts write their logs
and results) and ``state\\`` (where older bundles kept a server's record) in a
site folder. Names compare case-insensitively, as on Windows. The per-site files
(UpdateInfo.xml, Runbook.md, ...) all have a dot, which no computer name has.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Diagnostic
from generator.inventory.load import RawDocument
from generator.inventory.model import Inventory
from generator.inventory.winnames import SOURCE, windows_name_problem
from generator.plan.outputs import PRODUCTION_FOLDER
from generator.plan.rules.common import error

# writer.MANIFEST_NAME, spelled here so that the rules do not import the writing
# stage (tests/inventory/test_windows_names.py holds the two equal).
MANIFEST_NAME = "manifest.json"
# Names in OUT/<inventory>/ beside the site folder, and what they are.
_SITE_TAKEN = {
    PRODUCTION_FOLDER: f"out/<inventory>/{PRODUCTION_FOLDER}/ holds the production "
    "servers' scripts",
    MANIFEST_NAME: f"out/<inventory>/{MANIFEST_NAME} is the bundle's manifest",
}
# Names in OUT/<inventory>/<site>/ beside the DR server folders.
_SERVER_TAKEN = {
    "logs": "the site's scripts write their logs and results into <site>\\logs\\",
    "state": "older bundles kept a server's record in a state\\ folder beside "
    "their scripts",
}
_WINDOWS_HINT = f"choose a name Windows can hold as a folder name ({SOURCE})"


def _site_name(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """The DR site's folder is one Windows can hold, and not one of drgen's."""
    site = inv.dr.site
    problem = windows_name_problem(site)
    if problem is not None:
        yield error(
            doc,
            ("dr", "site"),
            "windows-name",
            f"site name '{site}' {problem}; it is a folder on the DR servers",
            hint=_WINDOWS_HINT,
        )
    taken = _SITE_TAKEN.get(site.casefold())
    if taken is not None:
        yield error(
            doc,
            ("dr", "site"),
            "reserved-site-name",
            f"site name '{site}' is reserved: {taken}",
            hint="name the DR site after its location, e.g. DR-West",
        )


def _server_names(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Each DR server's folder is one Windows can hold, and not one of drgen's."""
    for index, server in enumerate(inv.dr.servers):
        path = ("dr", "servers", index, "name")
        problem = windows_name_problem(server.name)
        if problem is not None:
            yield error(
                doc,
                path,
                "windows-name",
                f"DR server name '{server.name}' {problem}; it is a folder of "
                "the bundle",
                hint=_WINDOWS_HINT,
            )
        taken = _SERVER_TAKEN.get(server.name.casefold())
        if taken is not None:
            yield error(
                doc,
                path,
                "reserved-server-name",
                f"DR server name '{server.name}' is reserved: {taken}",
                hint="a DR server's folder sits beside them in the site folder",
            )
