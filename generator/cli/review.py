"""The text of ``drgen review`` and of ``render --check --diff``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from generator import __version__
from generator.bundle.review import Change, Review, ScriptView

_SYMBOL = {"create": "+", "update": "~", "remove": "-"}


def _short(kind: str) -> str:
    return kind.removesuffix(".ps1")


def _data_groups(scripts: Sequence[ScriptView]) -> list[list[ScriptView]]:
    """Scripts of one folder with the same data block together (a DR server's
    scripts share theirs), in path order."""
    groups: dict[tuple[PurePosixPath, str], list[ScriptView]] = {}
    for script in scripts:
        groups.setdefault((script.path.parent, script.data), []).append(script)
    return list(groups.values())


def review_text(review: Review, *, data: bool = True) -> str:
    """The whole review: code per kind, then each data block (or the changes)."""
    lines = [f"Bundle {review.root} (reviewed with drgen {__version__})", ""]
    lines.append(
        "Code: review once per drgen release; it is the same in every bundle of "
        "the release."
    )
    by_kind = {s.kind: s for s in review.scripts}
    for summary in review.kinds:
        for digest, count in summary.hashes:
            code = by_kind[summary.kind].code.count("\n")
            lines.append(
                f"  {summary.kind:<28} {digest}  {count} script(s), {code} lines"
            )
        if len(summary.hashes) > 1:
            lines.append(
                f"  WARNING: {summary.kind} has {len(summary.hashes)} different codes "
                "in this bundle: it was edited or mixed from several renders"
            )
    lines += [f"  PROBLEM: {p}" for p in review.problems]
    if review.since is not None:
        lines += ["", *changes_text(review.since).splitlines()]
        return "\n".join(lines) + "\n"
    if not data:
        return "\n".join(lines) + "\n"
    lines += ["", "Data: review once per bundle (the values between the markers)."]
    for group in _data_groups(review.scripts):
        first = group[0]
        names = ", ".join(_short(s.kind) for s in group)
        start, end = first.data_lines
        where = f"data lines {start}-{end}" if end >= start else "no data"
        lines.append("")
        lines.append(
            f"== {first.path.parent}/ {names}: {where}, code lines {first.code_lines}"
        )
        lines += first.data.splitlines()
    return "\n".join(lines) + "\n"


def changes_text(changes: Sequence[Change]) -> str:
    """Terraform-like: what would change, file by file, in the inventory's words."""
    if not changes:
        return "No changes: the bundle is what the inventory renders to.\n"
    lines: list[str] = []
    seen_code: set[str] = set()
    groups: dict[tuple[str, PurePosixPath, tuple[str, ...], str], list[Change]] = {}
    for change in changes:
        data = change.lines
        if change.code == "code changed":
            # The code diff is printed once per kind, below the data changes.
            data = tuple(line for line in change.lines if not _is_diff(line))
        key = (change.status, change.path.parent, data, change.code)
        if change.path.suffix != ".ps1":
            key = (change.status, change.path, data, change.code)
        groups.setdefault(key, []).append(change)
    for (status, _, data, code), members in groups.items():
        paths = members[0].path.parent if len(members) > 1 else members[0].path
        what = ", ".join(m.path.name for m in members) if len(members) > 1 else ""
        head = f"{_SYMBOL[status]} {paths}" + (f"/ {what}" if what else "")
        lines.append(head + (f" ({code})" if code else ""))
        lines += [f"    {line}" for line in data]
        for member in members:
            if member.code == "code changed" and member.path.name not in seen_code:
                seen_code.add(member.path.name)
                diff = [line for line in member.lines if _is_diff(line)]
                lines += [f"    {line}" for line in diff]
    counts = {s: sum(1 for c in changes if c.status == s) for s in _SYMBOL}
    lines.append(
        f"Plan: {counts['create']} to add, {counts['update']} to change, "
        f"{counts['remove']} to remove."
    )
    return "\n".join(lines) + "\n"


def _is_diff(line: str) -> bool:
    return line.startswith(("--- a/", "+++ b/", "@@ ", " ", "+", "-", "... "))
