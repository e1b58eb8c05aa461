"""PowerShell's single quotes, read the way its tokenizer reads them: the reference
un-quoter the escaping tests hold ps_str to."""

from __future__ import annotations

#: Every character Windows PowerShell's tokenizer accepts as a single quote.
QUOTES = "'\u2018\u2019\u201a\u201b"


def ps_unquote(literal: str) -> str:
    """Read a single-quoted literal the way PowerShell's tokenizer does.

    After the opening quote, a quote character followed by another quote character
    stands for the second one; a quote character followed by anything else ends the
    string. Raises ``AssertionError`` if the string ends before the last character
    (an undoubled quote inside) or never ends.
    """
    assert len(literal) >= 2, literal
    assert literal[0] in QUOTES, literal
    out: list[str] = []
    index = 1
    while index < len(literal):
        char = literal[index]
        if char in QUOTES:
            following = literal[index + 1 : index + 2]
            if following and following in QUOTES:
                out.append(following)
                index += 2
                continue
            assert index == len(literal) - 1, f"literal ends early at {index}"
            return "".join(out)
        out.append(char)
        index += 1
    raise AssertionError(f"unterminated literal {literal!r}")
