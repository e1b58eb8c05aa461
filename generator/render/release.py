"""What a drgen release fixes for every bundle: the values a script's code holds.

The code of a script (everything outside its data block) is the same in every
bundle of one release, so whatever it prints must come from here or from the
catalogue, never from an inventory. Templates see this as the Jinja global ``c``
(``render.make_environment``); the catalogue is ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from generator import __version__
from generator.catalogue import CATALOGUE as N
from generator.plan.databases import (
    group_name_query,
    messagebox_servers_query,
    secret_server_query,
)
from generator.plan.discovery_reads import DiscoveryReads, discovery_reads
from generator.plan.labprobe import catalogue_sha256
from generator.render.psdata import DATA_BEGIN, DATA_END, SIGNATURE_BEGIN
from generator.schema_ids import DISCOVERY, LAB_FACTS, TEST_RESULT


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a script waits for each thing, in seconds (every wait is bounded)."""

    # ENTSSO can take about three minutes to start (troubleshooting-enterprise-
    # single-sign-on.md); host instances depend on it.
    sso_start: int = 300
    service: int = 120
    host_start: int = 180
    wmi_restart: int = 120
    # Configuration.exe /S joining the group (Initialize-DrServer.ps1): SSO and the
    # runtime configured in one unattended run; killed after this, never waited on
    # without a bound.
    configuration: int = 3600


def _password_xpath() -> str:
    """XPath of an answer file NTService's Password element ({0}: its ID)."""
    element = "xml:answers/"
    return (
        f"/{N[element + 'Configuration']}/{N[element + 'Feature']}"
        f"/{N[element + 'NTService']}[@{N['xml:answers@ID']}='{{0}}']"
        f"/{N[element + 'Password']}"
    )


@dataclass(frozen=True, slots=True)
class Release:
    """The release constants the code of the scripts prints (``c`` in templates)."""

    drgen_version: str
    test_result_schema: str
    lab_result_schema: str
    discovery_schema: str
    catalogue_sha256: str
    secret_server_query: str
    # Reset-DrServer.ps1: is the production management database the group's?
    group_name_query: str
    messagebox_servers_query: str
    password_xpath: str
    # Export-BizTalkGroup.ps1's reads of the backup job and the BAM configuration.
    discovery_reads: DiscoveryReads
    data_begin: str = DATA_BEGIN
    data_end: str = DATA_END
    signature_begin: str = SIGNATURE_BEGIN
    timeouts: Timeouts = field(default_factory=Timeouts)


@cache
def release() -> Release:
    """This release's constants (computed once per process)."""
    return Release(
        drgen_version=__version__,
        test_result_schema=TEST_RESULT,
        lab_result_schema=LAB_FACTS,
        discovery_schema=DISCOVERY,
        catalogue_sha256=catalogue_sha256(),
        secret_server_query=secret_server_query(),
        group_name_query=group_name_query(),
        messagebox_servers_query=messagebox_servers_query(),
        password_xpath=_password_xpath(),
        discovery_reads=discovery_reads(),
    )
