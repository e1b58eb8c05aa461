"""How many examples a property test (Hypothesis) tries.

Under ``CI=true`` every property test runs its full count, the strength the suite
is reviewed at; a local run (``./drgen.sh test``) runs the smaller count each test
names beside it, so the whole suite stays within minutes on two cores. The
profile is chosen once, in tests/conftest.py: ``HYPOTHESIS_PROFILE`` if set
(``ci``, ``dev`` or ``thorough``), else ``ci`` under ``CI=true``, else ``dev``.
``thorough`` runs the full counts and the mutation tests' 10,000 examples.
"""

from __future__ import annotations

import os

from tests.support.paths import IN_CI

PROFILES = ("ci", "dev", "thorough")
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev")
if PROFILE not in PROFILES:
    msg = f"HYPOTHESIS_PROFILE={PROFILE!r}: choose one of {', '.join(PROFILES)}"
    raise ValueError(msg)
#: Whether property tests run their full number of examples.
FULL = PROFILE != "dev"
#: The mutation tests' long run (tests/inventory/test_mutations.py).
THOROUGH = PROFILE == "thorough"
#: Examples of a test that names no count of its own (Hypothesis' default is 100).
DEFAULT_FULL = 100
DEFAULT_LOCAL = 25


def examples(full: int, local: int) -> int:
    """``full`` under the ``ci`` and ``thorough`` profiles, ``local`` otherwise."""
    assert 0 < local <= full, (full, local)
    return full if FULL else local
