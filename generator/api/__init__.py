"""drgen as a library: each command of the CLI is one call here.

Every function returns a value or raises a ``DrgenError`` (whose ``exit_code``
the CLI uses); none prints, prompts, or reads the command line or the
environment. Key material is loaded only after every inventory is valid, and
nothing is written into the output folder until every bundle is built.

    plans = api.plan([Path("inventories/example.yaml")])
    report = api.render([Path("inventories/example.yaml")], out=Path("out"))
    bundles = api.verify(Path("out"))

The functions live by command family (``inventories``, ``bundles``,
``discovery``, ``evidence``, and ``signing`` for the identity the signing
commands take); import them from here, as ``generator.api.X``.
"""

from generator.api.bundles import (
    CheckedBundle,
    Preview,
    Written,
    check,
    code_hashes,
    preview,
    render,
    review,
    verify,
)
from generator.api.discovery import (
    discovery_schema,
    discovery_script,
    drift,
    import_discovery,
    import_into,
    simulate_discovery,
    write_import,
)
from generator.api.evidence import Report, facts_check, report, report_expectation
from generator.api.inventories import (
    Checked,
    Validation,
    catalogue,
    check_inventory_names,
    init,
    inventory_name_problems,
    load,
    plan,
    schema,
    validate,
)
from generator.api.signing import Signing

__all__ = [
    "Checked",
    "CheckedBundle",
    "Preview",
    "Report",
    "Signing",
    "Validation",
    "Written",
    "catalogue",
    "check",
    "check_inventory_names",
    "code_hashes",
    "discovery_schema",
    "discovery_script",
    "drift",
    "facts_check",
    "import_discovery",
    "import_into",
    "init",
    "inventory_name_problems",
    "load",
    "plan",
    "preview",
    "render",
    "report",
    "report_expectation",
    "review",
    "schema",
    "simulate_discovery",
    "validate",
    "verify",
    "write_import",
]
