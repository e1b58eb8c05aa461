"""A script signed from its parts (code encoded once per kind, data per script) is
byte for byte the script signed whole, with the same hashes; and the parts are
held to the signer's checks."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import api
from generator.bundle.build import render_unsigned
from generator.errors import SigningError
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from generator.signing.signer import NullSigner, Signer, choose_signer, encode_and_sign
from tests.support.examples import examples
from tests.support.paths import INVENTORIES


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    keys = tmp_path_factory.mktemp("keys")
    return choose_signer(None, None, None, datetime.now(UTC), dev_folder=keys).signer


@pytest.fixture(scope="module")
def scripts() -> list[RenderedArtifact]:
    found = []
    for path in sorted(INVENTORIES.glob("*.yaml")):
        (plan,) = api.plan([path])
        found += [
            a
            for a in render_unsigned(plan, make_environment())
            if a.kind is ArtifactKind.POWERSHELL
        ]
    return found


def _whole(art: RenderedArtifact, signer: Signer) -> tuple[bytes, str, str]:
    """The script signed whole: bytes, SHA-256 of the unsigned and signed bytes."""
    unsigned = encode_text(art.text, art.kind)
    data = signer.sign(unsigned)
    return data, hashlib.sha256(unsigned).hexdigest(), hashlib.sha256(data).hexdigest()


def _parts(art: RenderedArtifact) -> RenderedArtifact:
    # render_unsigned keeps only text; put the parts back as render_artifact has them.
    text = art.text
    start = text.index("# ---- drgen data: begin")
    head_end = text.index("\n", start) + 1
    tail_start = text.index("# ---- drgen data: end")
    return dataclasses.replace(
        art,
        code_head=text[:head_end],
        data_block=text[head_end:tail_start],
        code_tail=text[tail_start:],
    )


def test_every_script_signed_from_parts_is_the_whole_one(
    scripts: list[RenderedArtifact], signer: Signer
) -> None:
    assert len(scripts) == 33  # both examples: 19 + 14
    for art in scripts:
        parted = _parts(art)
        assert parted.code_head
        (fast,) = encode_and_sign((parted,), signer)
        data, unsigned_sha, signed_sha = _whole(art, signer)
        assert fast.data == data, art.path
        assert fast.unsigned_sha256 == unsigned_sha, art.path
        assert fast.sha256 == signed_sha, art.path
        assert fast.signed
        assert fast.code_sha256 == art.code_sha256


@settings(max_examples=examples(40, local=10), deadline=None)
@given(
    st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\r"),
        max_size=300,
    ).map(lambda t: t + "\n")
)
def test_any_data_block_gives_the_same_bytes_both_ways(block: str) -> None:
    """Unsigned (NullSigner): whatever text the block holds, or the refusal."""
    art = RenderedArtifact(
        Path("x/Test.ps1"),  # type: ignore[arg-type]
        ArtifactKind.POWERSHELL,
        "t",
        None,
        "# head\n# ---- begin\n" + block + "# ---- end\nexit 0\n",
        "",
        block,
        "# head\n# ---- begin\n",
        "# ---- end\nexit 0\n",
    )
    whole = encode_text(art.text, art.kind)
    if b"# sig # begin signature block" in whole.lower() or (
        b"# sig # end signature block" in whole.lower()
    ):
        with pytest.raises(SigningError):
            encode_and_sign((art,), NullSigner())
        return
    (fast,) = encode_and_sign((art,), NullSigner())
    assert fast.data == whole
    assert fast.sha256 == hashlib.sha256(whole).hexdigest()


@pytest.mark.parametrize(
    "block",
    [
        "$A = 'x'\r\n",
        "# SIG # Begin signature block\n",
        "# sig # end SIGNATURE block\n",
    ],
)
def test_the_parts_are_held_to_the_signers_checks(block: str, signer: Signer) -> None:
    art = RenderedArtifact(
        Path("x/Test.ps1"),  # type: ignore[arg-type]
        ArtifactKind.POWERSHELL,
        "t",
        None,
        "# head\n" + block + "exit 0\n",
        "",
        block,
        "# head\n",
        "exit 0\n",
    )
    with pytest.raises(SigningError):
        encode_and_sign((art,), signer)
