"""The ids of drgen's file formats, in one light module.

The pipeline prints them into scripts; the readers (``evidence.results``,
``discovery.model``, ``evidence.labfacts``) check files against them. Kept apart
from those readers so that rendering does not build their pydantic models.
"""

from __future__ import annotations

from typing import Final

#: What Test-DrServer.ps1 and Test-DrBundle.ps1 write (``evidence.results``).
TEST_RESULT: Final = "drgen/test-result-v1"
#: What Export-BizTalkGroup.ps1 writes (``discovery.model``).
DISCOVERY: Final = "drgen/discovery-v1"
#: What Test-DrLabFacts.ps1 writes (``evidence.labfacts``).
LAB_FACTS: Final = "drgen/lab-facts-v1"
