"""Injection: hostile text in every string field of the inventory.

Each mutated inventory must EITHER fail validation with located diagnostics and
exit code 3, OR render scripts that parse clean and pass the lint, in which the
value occurs only inside single-quoted literals, and XML files that carry the
value back exactly. Never anything else.
"""

from __future__ import annotations

import copy
import hashlib
import multiprocessing
import os
import re
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import reduce
from operator import getitem
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.errors import DrgenError, ExitCode, relative_display
from generator.inventory.load import load_inventory
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from tests.support import pwsh_oracle as ps
from tests.support.examples import examples
from tests.support.paths import INVENTORIES
from tests.support.ps_quotes import QUOTES, ps_unquote

pytestmark = [pytest.mark.oracle, pytest.mark.slow]

EXAMPLE = INVENTORIES / "example.yaml"
CONSOLIDATED = INVENTORIES / "consolidated.yaml"
ENV = make_environment()

CORPUS: tuple[str, ...] = (
    "'",
    "\u2018",
    "\u2019",
    "\u201a",
    "\u201b",
    "$(Get-Date)",
    "${x}",
    "`",
    ";",
    "|",
    "&",
    "\r",
    "\n",
    "\r\n",
    "#>",
    "<#",
    "'@",
    '"@',
    "\u201c$(Get-Date)\u201d",
    "# SIG # Begin signature block",
    "<>&\"'",
    "]]>",
    "\x00",
    "'; Remove-Item -Recurse -Force C:\\ #",
    "#",
    "$",
)

#: Mappings whose keys are inventory data, not schema keys.
DATA_KEY_MAPPINGS = {("dr", "sql")}

LOCATED = re.compile(r"^.+:[1-9][0-9]*:[1-9][0-9]*: error\[[a-z0-9-]+\]: ", re.S)


# ------------------------------------------------------------------ string slots


@dataclass(frozen=True, slots=True)
class Slot:
    """A string in the loaded YAML: a value at ``path`` or a mapping key."""

    path: tuple[str | int, ...]
    is_key: bool = False

    def __str__(self) -> str:
        text = ".".join(str(p) for p in self.path)
        return f"{text} (key)" if self.is_key else text


def string_slots(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[Slot]:
    if isinstance(data, dict):
        for key, value in data.items():
            if path in DATA_KEY_MAPPINGS:
                yield Slot((*path, key), is_key=True)
            yield from string_slots(value, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from string_slots(item, (*path, index))
    elif isinstance(data, str):
        yield Slot(path)


def slot_value(data: Any, slot: Slot) -> str:
    if slot.is_key:
        return str(slot.path[-1])
    value = reduce(getitem, slot.path, data)
    assert isinstance(value, str)
    return value


def value_groups(data: Any, slots: tuple[Slot, ...]) -> dict[str, tuple[Slot, ...]]:
    """Slots by their value: renaming all of them keeps cross-references intact."""
    found: dict[str, list[Slot]] = {}
    for slot in slots:
        found.setdefault(slot_value(data, slot), []).append(slot)
    return {value: tuple(same) for value, same in found.items()}


BASE_DATA: Any = load_inventory(EXAMPLE).data
SLOTS: tuple[Slot, ...] = tuple(string_slots(BASE_DATA))
GROUPS = value_groups(BASE_DATA, SLOTS)

# The consolidated example has the one free-text field that reaches an XML attribute:
# the name a custom database is registered under in the Backup job.
CONSOLIDATED_DATA: Any = load_inventory(CONSOLIDATED).data
OTHER_LABEL = Slot(("group", "databases", "other", 0, "backup_name"))


def test_the_corpus_survives_the_yaml_round_trip() -> None:
    for payload in CORPUS:
        data = {"a": "x" + payload, "b": [payload], payload: payload}
        assert yaml.safe_load(dump(data)) == data, payload


def test_the_slot_walk_finds_every_kind_of_field() -> None:
    names = {str(s) for s in SLOTS}
    for expected in (
        "group.name",
        "group.hosts.0.windows_group",
        "group.hosts.2.account",
        "group.accounts.sso_service",
        "group.databases.management.server",
        "group.databases.messageboxes.0.name",
        "group.sso.master_secret_server",
        "production.servers.1.name",
        "production.servers.0.host_instances.0",
        "dr.site",
        "dr.sql.SQLPROD01",
        "dr.sql.SQLPROD01 (key)",
        "dr.servers.2.name",
        "dr.servers.0.mirrors.0",
        "dr.servers.0.roles.1",
    ):
        assert expected in names
    assert len(SLOTS) >= 40
    assert any(len(slots) > 1 for slots in GROUPS.values())


def mutate(data: Any, slots: tuple[Slot, ...], new: str) -> Any:
    """A deep copy of ``data`` with every slot replaced by ``new``."""
    result = copy.deepcopy(data)
    # Values first: renaming a key would move the values below it.
    for slot in sorted(slots, key=lambda s: s.is_key):
        parent = reduce(getitem, slot.path[:-1], result)
        last = slot.path[-1]
        if slot.is_key:
            items = [(new if k == last else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        else:
            parent[last] = new
    return result


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    """YAML text for ``data``, as a person would write it (UTF-8, not escapes).

    A raw NEL, LS or PS would be read back as a line break and folded into a space,
    so text with one of them is written with escapes instead.
    """
    options: dict[str, Any] = {"Dumper": DUMPER, "sort_keys": False, "width": 10**6}
    text = str(yaml.dump(data, allow_unicode=True, **options))
    if re.search("[\x85\u2028\u2029]", text):
        text = str(yaml.dump(data, allow_unicode=False, **options))
    return text


# --------------------------------------------------------------- the oracle side


def ps_escape(value: str) -> str:
    """The test's own escaping: each of the five quote characters doubled."""
    return re.sub(f"([{QUOTES}])", r"\1\1", value)


def misread_literals(data: bytes) -> list[str]:
    """Single-quoted literals that PowerShell would end before tree-sitter does.

    tree-sitter-pwsh does not treat U+2018..U+201B as quotes; PowerShell does. A
    literal whose text does not read back with the reference un-quoter would end
    early in PowerShell, with the rest of it run as code.
    """
    bad: list[str] = []
    if not any(quote.encode() in data for quote in QUOTES[1:]):
        return bad  # without those characters both read every literal alike
    for start, end in ps.string_literal_ranges(data):
        text = data[start:end].decode("utf-8")
        if text[0] not in QUOTES:
            continue
        try:
            ps_unquote(text)
        except AssertionError:
            bad.append(text)
    return bad


Findings = tuple[list[str], list[str], list[str]]

# Scripts carry the SHA-256 of the data files they read, so most of them change with
# every mutation. Swapping one 64-hex-digit literal for another of the same length
# changes no token, no offset and nothing the lint looks at.
_SHA256_LITERAL = re.compile(rb"'[0-9A-Fa-f]{64}'")
_SHA256_PLACEHOLDER = b"'" + b"0" * 64 + b"'"


def normalised(data: bytes) -> bytes:
    return _SHA256_LITERAL.sub(_SHA256_PLACEHOLDER, data)


def script_findings(data: bytes) -> Findings:
    """Syntax problems, lint findings and misread literals of one script."""
    return ps.syntax_problems(data), ps.lint(data), misread_literals(data)


def oracle_job(
    job: tuple[bytes, bool, str | None],
) -> tuple[Findings | None, list[int]]:
    """One script's checks (a process-pool task): the full set when asked, and
    where the needle occurs outside single-quoted literals."""
    data, full, needle = job
    findings = script_findings(normalised(data)) if full else None
    outside = ps.occurrences_outside_string_literals(data, needle) if needle else []
    return findings, outside


#: Results of script_findings by sha256 of the normalised script: most scripts do
#: not change from one mutation to the next.
_FINDINGS: dict[bytes, Findings] = {}
#: Worker processes for the oracle (it is pure Python and the slow part); none
#: under pytest-xdist, whose workers already use every core.
JOBS = (
    1
    if "PYTEST_XDIST_WORKER" in os.environ
    else max(1, min(2, int(os.environ.get("DRGEN_TEST_JOBS", os.cpu_count() or 1))))
)
_POOL: dict[str, ProcessPoolExecutor] = {}


@pytest.fixture(scope="module", autouse=True)
def oracle_pool() -> Iterator[None]:
    if JOBS > 1:
        context = multiprocessing.get_context("forkserver")
        _POOL["pool"] = ProcessPoolExecutor(JOBS, mp_context=context)
    yield
    pool = _POOL.pop("pool", None)
    if pool is not None:
        pool.shutdown()


def run_oracle(
    jobs: list[tuple[bytes, bool, str | None]],
) -> list[tuple[Findings | None, list[int]]]:
    pool = _POOL.get("pool")
    if pool is None or len(jobs) < 2:
        return [oracle_job(job) for job in jobs]
    return list(pool.map(oracle_job, jobs))


def script_problems(data: bytes) -> Findings:
    """script_findings, memoised by content (hashes aside)."""
    key = hashlib.sha256(normalised(data)).digest()
    if key not in _FINDINGS:
        _FINDINGS[key] = script_findings(normalised(data))
    return _FINDINGS[key]


def xml_strings(text: str) -> list[tuple[str, str]]:
    """(where, value) of every tag, attribute, text and tail, in document order."""
    root = ET.fromstring(text.encode("utf-8"))
    found: list[tuple[str, str]] = []
    for index, element in enumerate(root.iter()):
        found.append((f"{index}:tag", element.tag))
        for name, value in element.attrib.items():
            found.append((f"{index}@{name}", value))
        found.append((f"{index}:text", element.text or ""))
        found.append((f"{index}:tail", element.tail or ""))
    return found


class Baseline:
    """An unmutated inventory (as dumped) and what it renders.

    A plain class, not a dataclass: Hypothesis prints the arguments of a failing
    example, and would print every field of a dataclass.
    """

    __slots__ = ("artifacts", "data", "xml")

    def __init__(
        self,
        data: Any,
        artifacts: dict[PurePosixPath, RenderedArtifact],
        xml: dict[PurePosixPath, list[tuple[str, str]]],
    ) -> None:
        self.data = data
        self.artifacts = artifacts
        self.xml = xml

    def __repr__(self) -> str:
        return f"Baseline({self.data['group']['name']!r})"


def render_baseline(tmp: Path, data: Any) -> Baseline:
    path = tmp / "baseline.yaml"
    path.write_text(dump(data), encoding="utf-8")
    (plan,) = plan_inventories([path])
    artifacts = {a.path: a for a in render_unsigned(plan, ENV)}
    xml = {
        PurePosixPath(*p.parts[1:]): xml_strings(a.text)
        for p, a in artifacts.items()
        if a.kind is ArtifactKind.XML
    }
    return Baseline(data, artifacts, xml)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("injection")


@pytest.fixture(scope="module")
def baseline(work: Path) -> Baseline:
    return render_baseline(work, BASE_DATA)


@pytest.fixture(scope="module")
def consolidated(work: Path) -> Baseline:
    return render_baseline(work, CONSOLIDATED_DATA)


def test_baseline_scripts_are_clean(baseline: Baseline, consolidated: Baseline) -> None:
    for base in (baseline, consolidated):
        scripts = [
            a for a in base.artifacts.values() if a.kind is ArtifactKind.POWERSHELL
        ]
        assert len(scripts) >= 9
        for art in scripts:
            problems = script_problems(encode_text(art.text, art.kind))
            assert problems == ([], [], []), art.path


def check_case(
    work: Path,
    baseline: Baseline,
    slots: tuple[Slot, ...],
    transform: Callable[[str], str],
    *,
    at_field: bool = False,
) -> str:
    """Run one mutated inventory; return "rejected" or "rendered", or fail.

    With ``at_field``, a rejection must also point at the line of a mutated field.
    """
    old = slot_value(baseline.data, slots[0])
    new = transform(old)
    what = f"{', '.join(map(str, slots))} = {new!r}"
    path = work / "mutated.yaml"
    path.write_text(dump(mutate(baseline.data, slots, new)), encoding="utf-8")
    outcome = run_pipeline(path, what)
    if isinstance(outcome, DrgenError):
        check_rejected(outcome, path, what)
        if at_field:
            lines = mutated_lines(path, slots, new)
            found = {d.location.line for d in outcome.diagnostics}
            assert lines & found, (what, lines, outcome.lines())
        return "rejected"
    check_rendered(baseline, outcome, old, new, transform, what)
    return "rendered"


def run_pipeline(path: Path, what: str) -> tuple[RenderedArtifact, ...] | DrgenError:
    """Plan and render in-process; a DrgenError is returned, anything else fails."""
    try:
        (plan,) = plan_inventories([path])
        return render_unsigned(plan, ENV)
    except DrgenError as exc:
        return exc
    except Exception:  # the property: never anything but a DrgenError
        pytest.fail(f"{what}: unexpected exception\n{traceback.format_exc()}")


def mutated_lines(path: Path, slots: tuple[Slot, ...], new: str) -> set[int]:
    """The lines of the mutated fields in the mutated file."""
    doc = load_inventory(path)
    paths = [(*s.path[:-1], new) if s.is_key else s.path for s in slots]
    return {doc.positions[p][0] for p in paths if p in doc.positions}


def check_rejected(error: DrgenError, path: Path, what: str) -> None:
    assert error.exit_code == ExitCode.INVALID_INVENTORY, (what, error.lines())
    assert error.diagnostics, what
    display = relative_display(path)
    for diagnostic in error.diagnostics:
        location = diagnostic.location
        assert location.file == display, (what, diagnostic)
        assert location.line > 0, (what, diagnostic)
        assert location.column > 0, (what, diagnostic)
    for line in error.lines():
        assert LOCATED.match(line), (what, line)


def check_rendered(
    baseline: Baseline,
    artifacts: tuple[RenderedArtifact, ...],
    old: str,
    new: str,
    transform: Callable[[str], str],
    what: str,
) -> None:
    needle = ps_escape(new)
    scripts = [
        (art, encode_text(art.text, art.kind))
        for art in artifacts
        if art.kind is ArtifactKind.POWERSHELL
    ]
    keys = [hashlib.sha256(normalised(data)).digest() for _, data in scripts]
    jobs: list[tuple[bytes, bool, str | None]] = []
    scheduled: set[bytes] = set()
    for (_, data), key in zip(scripts, keys, strict=True):
        full = key not in _FINDINGS and key not in scheduled
        scheduled.add(key)
        jobs.append((data, full, needle if needle.encode() in data else None))
    results = run_oracle([job for job in jobs if job[1] or job[2]])
    outcome = iter(results)
    seen = 0
    for (art, _), key, (_, full, searched) in zip(scripts, keys, jobs, strict=True):
        outside: list[int] = []
        if full or searched:
            findings, outside = next(outcome)
            if findings is not None:
                _FINDINGS[key] = findings
        syntax, lint, misread = _FINDINGS[key]
        assert syntax == [], (what, art.path, syntax)
        assert lint == [], (what, art.path, lint)
        assert misread == [], (what, art.path, misread)
        if searched:
            seen += 1
            assert outside == [], (what, art.path, outside)
    for art in artifacts:
        if art.kind is not ArtifactKind.XML:
            continue
        # Below the inventory stem; a renamed server or site renames its folder.
        base_path = PurePosixPath(
            *(old if part == new else part for part in art.path.parts[1:])
        )
        assert base_path in baseline.xml, (what, art.path)
        before = baseline.xml[base_path]
        after = xml_strings(art.text)
        assert [w for w, _ in after] == [w for w, _ in before], (what, art.path)
        tags = {w.split(":")[0]: v for w, v in after if w.endswith(":tag")}
        for (where, b), (_, m) in zip(before, after, strict=True):
            if m != b:
                if tags.get(where.split(":")[0]) == "IsGmsaAccount":
                    # An account name ending in '$' is a gMSA (gmsa-config.md):
                    # the flag follows the injected name, and nothing else does.
                    assert new.endswith("$") != old.endswith("$"), (what, where)
                    assert m == ("true" if new.endswith("$") else "false"), what
                    continue
                # The only change is the injected text, carried back exactly.
                assert m == transform(b), (what, art.path, where, b, m)
    # A value that was a literal of its own before must still be one, escaped.
    literal = f"'{ps_escape(old)}'"
    # Except an account made a gMSA by the '$': no password is asked for it, so
    # it leaves the prepare script's password list (gmsa-config.md).
    made_gmsa = new.endswith("$") and not old.endswith("$") and "\\" in old
    if not made_gmsa and any(
        literal in a.text
        for a in baseline.artifacts.values()
        if a.kind is ArtifactKind.POWERSHELL
    ):
        assert seen > 0, (what, needle)


# ---------------------------------------------------------------- the corpus


def suffix(payload: str) -> Callable[[str], str]:
    return lambda value: value + payload


CASES: list[tuple[str, tuple[Slot, ...]]] = [(str(s), (s,)) for s in SLOTS] + [
    (f"all {value!r}", slots) for value, slots in GROUPS.items() if len(slots) > 1
]

#: How much of the corpus some fields must render (not just reject): proof that the
#: rendered branch of the property is exercised, through scripts and XML.
MIN_RENDERED = {
    # All but CR, LF, CRLF, NUL and the text of a signature marker line (a script
    # carrying it could not be signed: a located error, signature-marker).
    "group.name": len(CORPUS) - 5,
    "group.hosts.0.windows_group": len(CORPUS) - 5,
    "group.accounts.sso_service": 10,  # into ConfigurationAnswers.xml too
    "group.hosts.0.account": 10,
    "group.databases.management.name": 1,
}


@pytest.mark.parametrize(("name", "slots"), CASES, ids=[c[0] for c in CASES])
def test_injection_corpus_in_every_field(
    work: Path, baseline: Baseline, name: str, slots: tuple[Slot, ...]
) -> None:
    outcomes = {
        p: check_case(work, baseline, slots, suffix(p), at_field=p == "'")
        for p in CORPUS
    }
    for payload, outcome in outcomes.items():
        if re.search(r"[\x00\r\n]", payload):
            assert outcome == "rejected", (name, payload)
    rendered = sum(outcome == "rendered" for outcome in outcomes.values())
    assert rendered >= MIN_RENDERED.get(name, 0), (name, outcomes)


def test_injection_corpus_in_a_label_that_reaches_xml(
    work: Path, consolidated: Baseline
) -> None:
    assert slot_value(consolidated.data, OTHER_LABEL) == "FabrikamOrders"
    outcomes = {
        p: check_case(work, consolidated, (OTHER_LABEL,), suffix(p)) for p in CORPUS
    }
    rejected = sorted(p for p, outcome in outcomes.items() if outcome == "rejected")
    assert rejected == sorted(
        ["\r", "\n", "\r\n", "\x00", "# SIG # Begin signature block"]
    )
    label = next(
        a for p, a in consolidated.artifacts.items() if p.name == "UpdateInfo.xml"
    )
    assert 'Name="FabrikamOrders"' in label.text


def test_the_checks_catch_an_unescaped_value(baseline: Baseline) -> None:
    # Prove the oracle side can fail: a value pasted into a script without ps_str.
    art = next(
        a for a in baseline.artifacts.values() if a.path.name == "Test-DrServer.ps1"
    )
    hostile = "BizTalk Group'; Remove-Item C:\\ #"
    broken = art.text.replace("'BizTalk Group'", f"'{hostile}'")
    data = encode_text(broken, ArtifactKind.POWERSHELL)
    assert ps.occurrences_outside_string_literals(data, hostile) != []
    assert ps.lint(data) != []


# -------------------------------------------------------------- arbitrary text


# Every string value group of the example (issue 5: "every string field"), in a
# fixed order so that Hypothesis can shrink and replay.
ALL_VALUES = tuple(sorted(GROUPS))


def test_every_field_can_be_drawn() -> None:
    assert len(ALL_VALUES) == len(GROUPS) > 30


# Any text, plus text spliced from corpus entries and characters that mean something
# to PowerShell or XML, which plain st.text() draws only rarely.
SPECIAL_CHARACTERS = [*QUOTES, *'$`;|&#<>@"{}()[]-.,\\ \t\r\n\x00\u201c\u201d']
TOKENS = st.sampled_from([*CORPUS, *SPECIAL_CHARACTERS])
PADDING = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=4)
SPLICED_TEXT = st.builds(
    "{}{}{}{}{}".format, PADDING, TOKENS, PADDING, TOKENS | PADDING, PADDING
)


@settings(max_examples=examples(100, local=20), deadline=None)
@given(
    value=st.sampled_from(ALL_VALUES),
    text=st.one_of(st.text(min_size=1), SPLICED_TEXT),
    prefix=st.booleans(),
)
def test_arbitrary_text_in_every_string_field(
    work: Path, baseline: Baseline, value: str, text: str, prefix: bool
) -> None:
    def transform(original: str) -> str:
        return text + original if prefix else original + text

    slots = GROUPS[value]
    new = transform(value)
    # The YAML written must read back as exactly the text drawn.
    assert yaml.safe_load(dump(mutate(BASE_DATA, slots, new))) == mutate(
        BASE_DATA, slots, new
    )
    event(check_case(work, baseline, slots, transform))
