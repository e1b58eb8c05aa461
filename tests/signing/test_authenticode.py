"""Authenticode signing and verification, checked against independent oracles.

asn1crypto is the independent parser for structure checks; osslsigncode 2.9 is
the independent verifier (tests marked ``oracle``).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import SigningError, VerificationError
from generator.signing.authenticode import (
    BOM,
    CRLF,
    POWERSHELL_SIP_GUID,
    SIG_BEGIN,
    SIG_END,
    AuthenticodeSigner,
    file_digest,
    format_block,
    spc_indirect_data,
    split_signature,
)
from generator.signing.certificates import SigningIdentity, ensure_dev_identity
from generator.signing.verify import verify_script
from tests.support import pki
from tests.support.examples import examples

SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
SPC_SP_OPUS_INFO = "1.3.6.1.4.1.311.2.1.12"
SPC_STATEMENT_TYPE = "1.3.6.1.4.1.311.2.1.11"
CONTENT_TYPE = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
SIGNING_TIME = "1.2.840.113549.1.9.5"

SCRIPTS = {
    "ascii": "Write-Host 'hello'\n",
    "non-ascii": "# Grüße, Ærø, 日本語\n$name = 'Straße'\nWrite-Output \"$name\"\n",
    "long": "".join(f"Write-Verbose 'line {i}' -Verbose\n" for i in range(2000)),
    "blank-lines": "\n\nparam()\n\n",
    "here-string": "$x = @'\nliteral $notExpanded\n'@\n$x\n",
}


def encode(text: str) -> bytes:
    """Encode as drgen writes scripts: UTF-8 with BOM, CRLF."""
    return BOM + text.replace("\n", "\r\n").encode("utf-8")


@pytest.fixture(scope="module")
def trust() -> pki.Pki:
    return pki.build_pki()


@pytest.fixture(scope="module")
def signer(trust: pki.Pki) -> AuthenticodeSigner:
    return AuthenticodeSigner(trust.identity())


@pytest.fixture(scope="module")
def osslsigncode() -> str:
    return pki.osslsigncode_or_skip()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, trust: pki.Pki) -> Path:
    """A folder with root.pem, other_root.pem and the PFX of the good leaf."""
    folder = tmp_path_factory.mktemp("pki")
    pki.write_pem(folder / "root.pem", trust.root)
    pki.write_pem(folder / "other_root.pem", trust.other_root)
    pki.write_pfx(folder / "leaf.pfx", trust.leaf, (trust.intermediate.cert,))
    (folder / "pfx.pass").write_bytes(pki.PFX_PASSWORD)
    return folder


_counter = itertools.count()


def fresh(folder: Path, data: bytes | None = None, suffix: str = ".ps1") -> Path:
    """A new file name (osslsigncode refuses to overwrite), optionally written."""
    path = folder / f"script{next(_counter)}{suffix}"
    if data is not None:
        path.write_bytes(data)
    return path


def signed_der(data: bytes) -> bytes:
    _, der = split_signature(data)
    assert der is not None
    return der


def signer_info(der: bytes) -> cms.SignerInfo:
    signed = cms.ContentInfo.load(der)["content"]
    return signed["signer_infos"][0]


def spc_content(der: bytes) -> bytes:
    """The SpcIndirectDataContent TLV, located by asn1crypto (not our reader)."""
    encap = cms.ContentInfo.load(der)["content"]["encap_content_info"]
    assert encap["content_type"].dotted == SPC_INDIRECT_DATA
    class_, _, tag, _, inner, _ = parser.parse(encap["content"].dump())
    assert (class_, tag) == (2, 0)  # [0] EXPLICIT
    return bytes(inner)


# ------------------------------------------------------------------ format


def test_block_is_appended_with_exact_framing(signer: AuthenticodeSigner) -> None:
    script = encode(SCRIPTS["ascii"])
    signed = signer.sign(script)
    assert signed.startswith(script)
    block = signed[len(script) :]
    lines = block.split(CRLF)
    assert lines[0] == b""  # the block's own leading CRLF
    assert lines[1] == SIG_BEGIN
    assert lines[-2:] == [SIG_END, b""]
    payload = lines[2:-2]
    assert all(re.fullmatch(rb"# [A-Za-z0-9+/=]{64}", line) for line in payload[:-1])
    assert re.fullmatch(rb"# [A-Za-z0-9+/=]{1,64}", payload[-1])
    assert b"\n" not in block.replace(CRLF, b"")


def test_split_signature_returns_body_and_der(signer: AuthenticodeSigner) -> None:
    script = encode(SCRIPTS["non-ascii"])
    body, der = split_signature(signer.sign(script))
    assert body == script
    assert der is not None
    assert cms.ContentInfo.load(der)["content_type"].native == "signed_data"
    assert split_signature(script) == (script, None)


def test_signing_is_deterministic(trust: pki.Pki, signer: AuthenticodeSigner) -> None:
    script = encode(SCRIPTS["long"])
    again = AuthenticodeSigner(trust.identity())
    assert signer.sign(script) == signer.sign(script) == again.sign(script)
    assert signer.sign(script) != signer.sign(encode(SCRIPTS["ascii"]))


def test_signed_attributes_are_the_canonical_set(signer: AuthenticodeSigner) -> None:
    der = signed_der(signer.sign(encode(SCRIPTS["ascii"])))
    attributes = signer_info(der)["signed_attrs"]
    types = [a["type"].dotted for a in attributes]
    assert SIGNING_TIME not in types
    assert types == [SPC_SP_OPUS_INFO, CONTENT_TYPE, SPC_STATEMENT_TYPE, MESSAGE_DIGEST]
    encodings = [a.dump() for a in attributes]
    assert encodings == sorted(encodings), "DER SET OF must be sorted"
    values = {a["type"].dotted: a["values"] for a in attributes}
    assert values[CONTENT_TYPE][0].dotted == SPC_INDIRECT_DATA
    assert values[SPC_SP_OPUS_INFO][0].dump() == b"\x30\x00"


def test_pkcs7_structure(trust: pki.Pki, signer: AuthenticodeSigner) -> None:
    script = encode(SCRIPTS["non-ascii"])
    der = signed_der(signer.sign(script))
    signed = cms.ContentInfo.load(der)["content"]
    assert signed["version"].native == "v1"
    assert [a["algorithm"].native for a in signed["digest_algorithms"]] == ["sha256"]
    embedded = [c.chosen.dump() for c in signed["certificates"]]
    assert embedded == [trust.leaf.der, trust.intermediate.der]  # never the root
    info = signer_info(der)
    assert info["digest_algorithm"]["algorithm"].native == "sha256"
    assert info["signature_algorithm"]["algorithm"].native == "rsassa_pkcs1v15"
    assert info["sid"].chosen["serial_number"].native == trust.leaf.cert.serial_number
    content = spc_content(der)
    assert content == spc_indirect_data(file_digest(script))
    assert POWERSHELL_SIP_GUID in content
    message_digest = [
        a["values"][0].native
        for a in info["signed_attrs"]
        if a["type"].dotted == MESSAGE_DIGEST
    ]
    # Authenticode hashes the content without its outer tag and length.
    assert message_digest == [hashlib.sha256(parser.parse(content)[4]).digest()]


def test_file_digest_hashes_utf16_with_bom() -> None:
    script = encode("Grüße\n")
    expected = hashlib.sha256("\ufeffGrüße\r\n".encode("utf-16-le")).digest()
    assert file_digest(script) == expected


# ------------------------------------------------------------ input checks


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (b"Write-Host 1\r\n", "byte order mark"),
        (BOM + b"Write-Host 1\n", "CRLF"),
        (BOM + b"a\r\nb\n", "CRLF"),
        (BOM + b"a\rb\r\n", "CRLF"),
        (BOM + b"Write-Host 1", "end with CRLF"),
        (BOM + b"# SIG # Begin signature block\r\n", "signature block"),
        (BOM + b"$x = '# sig # end SIGNATURE block'\r\n", "signature block"),
        (BOM + b"\xff\xfe\r\n", "UTF-8"),
    ],
)
def test_sign_refuses_malformed_input(
    signer: AuthenticodeSigner, script: bytes, message: str
) -> None:
    with pytest.raises(SigningError, match=message):
        signer.sign(script)


def test_sign_refuses_an_already_signed_script(signer: AuthenticodeSigner) -> None:
    signed = signer.sign(encode(SCRIPTS["ascii"]))
    with pytest.raises(SigningError, match="already has a signature block"):
        signer.sign(signed)


def test_signer_refuses_key_certificate_mismatch(trust: pki.Pki) -> None:
    identity = SigningIdentity(trust.tsa.key, trust.leaf.cert, ())
    with pytest.raises(SigningError, match="does not match"):
        AuthenticodeSigner(identity)


# -------------------------------------------------------------- verify_script


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_verify_script_accepts_signed_scripts(
    trust: pki.Pki, signer: AuthenticodeSigner, name: str
) -> None:
    signed = signer.sign(encode(SCRIPTS[name]))
    assert verify_script(signed) == []
    assert verify_script(signed, trust.root.cert) == []


def _replace_once(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)

    return mutate


def _rewrap(width: int) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        body, der = split_signature(data)
        assert der is not None
        text = base64.b64encode(der)
        lines = [b"# " + text[i : i + width] + CRLF for i in range(0, len(text), width)]
        return body + CRLF + SIG_BEGIN + CRLF + b"".join(lines) + SIG_END + CRLF

    return mutate


def _base64_char(data: bytes) -> bytes:
    start = data.index(SIG_BEGIN) + len(SIG_BEGIN) + 200
    flipped = b"A" if data[start : start + 1] != b"A" else b"B"
    return data[:start] + flipped + data[start + 1 :]


MUTATIONS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "body edited": (_replace_once(b"hello", b"hellO"), "file digest mismatch"),
    "trailing space": (_replace_once(b"'hello'", b"'hello' "), "file digest mismatch"),
    "BOM removed": (lambda d: d[3:], "byte order mark"),
    "body LF": (lambda d: d.replace(b"'\r\n", b"'\n", 1), "line endings"),
    "file LF": (lambda d: d.replace(CRLF, b"\n"), "no signature block"),
    "data appended": (lambda d: d + b"Write-Host 'evil'\r\n", "followed by other data"),
    "final CRLF missing": (lambda d: d[:-2], "end marker line is missing"),
    "76 columns": (_rewrap(76), "line 1"),
    "base64 changed": (_base64_char, "digest|signature"),
}
# Framing osslsigncode 2.9 lets through (doc §3.4); only verify_script sees it.
OSSLSIGNCODE_LENIENT = frozenset({"data appended", "76 columns", "final CRLF missing"})


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_verify_script_reports_tampering(
    trust: pki.Pki, signer: AuthenticodeSigner, name: str
) -> None:
    mutate, message = MUTATIONS[name]
    problems = verify_script(
        mutate(signer.sign(encode(SCRIPTS["ascii"]))), trust.root.cert
    )
    assert problems
    assert any(re.search(message, p) for p in problems), problems


def test_verify_script_reports_unsorted_attributes(signer: AuthenticodeSigner) -> None:
    script = encode(SCRIPTS["ascii"])
    der = signed_der(signer.sign(script))
    first, second = (a.dump() for a in list(signer_info(der)["signed_attrs"])[:2])
    swapped = der.replace(first + second, second + first)
    problems = verify_script(script + format_block(swapped))
    assert "signed attributes are not in DER (sorted) order" in problems


def test_split_signature_refuses_non_canonical_base64() -> None:
    # "YWI=" and "YWJ=" both decode to b"ab": only the first is canonical.
    block = format_block(b"ab").replace(b"YWI=", b"YWJ=")
    with pytest.raises(VerificationError, match="canonical"):
        split_signature(BOM + b"x\r\n" + block)


def test_verify_script_without_block() -> None:
    assert verify_script(encode(SCRIPTS["ascii"])) == ["no signature block"]


def test_verify_script_rejects_wrong_root(
    trust: pki.Pki, signer: AuthenticodeSigner
) -> None:
    signed = signer.sign(encode(SCRIPTS["ascii"]))
    problems = verify_script(signed, trust.other_root.cert)
    assert any("does not lead to the trusted root" in p for p in problems), problems


def test_verify_script_follows_the_right_chain(trust: pki.Pki) -> None:
    signed = AuthenticodeSigner(trust.identity(trust.other_leaf)).sign(encode("1\n"))
    assert verify_script(signed, trust.other_root.cert) == []
    problems = verify_script(signed, trust.root.cert)
    assert any("does not lead to the trusted root" in p for p in problems), problems


def test_verify_script_needs_the_embedded_intermediate(trust: pki.Pki) -> None:
    no_chain = SigningIdentity(trust.leaf.key, trust.leaf.cert, ())
    signed = AuthenticodeSigner(no_chain).sign(encode("1\n"))
    assert verify_script(signed) == []  # the signature itself is fine
    problems = verify_script(signed, trust.root.cert)
    assert any("does not lead to the trusted root" in p for p in problems), problems


@pytest.mark.parametrize(
    ("leaf", "message"),
    [
        ("expired", "has expired"),
        ("not_yet_valid", "is not yet valid"),
        ("server_auth", "not valid for code signing"),
        ("no_eku", "no Extended Key Usage"),
        ("no_digital_signature", "lacks digitalSignature"),
    ],
)
def test_verify_script_rejects_bad_leaves(
    trust: pki.Pki, leaf: str, message: str
) -> None:
    issued = getattr(trust, leaf)
    signed = AuthenticodeSigner(trust.identity(issued)).sign(encode(SCRIPTS["ascii"]))
    problems = verify_script(signed, trust.root.cert)
    assert any(message in p for p in problems), problems


def test_verify_script_checks_validity_at_given_time(
    trust: pki.Pki, signer: AuthenticodeSigner
) -> None:
    signed = signer.sign(encode(SCRIPTS["ascii"]))
    later = trust.leaf.cert.not_valid_after_utc + timedelta(days=1)
    problems = verify_script(signed, trust.root.cert, now=later)
    assert any("has expired" in p for p in problems), problems


def test_verify_script_accepts_ecdsa(trust: pki.Pki) -> None:
    ecdsa = AuthenticodeSigner(trust.identity(trust.ecdsa))
    script = encode(SCRIPTS["non-ascii"])
    signed = ecdsa.sign(script)
    assert signed == ecdsa.sign(script)  # RFC 6979 deterministic ECDSA
    assert verify_script(signed, trust.root.cert) == []


# ------------------------------------------------------------------ oracle


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_osslsigncode_accepts_signed_scripts(
    osslsigncode: str,
    files: Path,
    trust: pki.Pki,
    signer: AuthenticodeSigner,
    name: str,
) -> None:
    path = fresh(files, signer.sign(encode(SCRIPTS[name])))
    leaf_hash = hashlib.sha256(trust.leaf.der).hexdigest()
    result = pki.verify_with_osslsigncode(
        osslsigncode,
        path,
        files / "root.pem",
        "-require-leaf-hash",
        f"sha256:{leaf_hash}",
    )
    assert pki.accepted(result), result.stdout + result.stderr


@pytest.mark.oracle
def test_osslsigncode_accepts_ecdsa(
    osslsigncode: str, files: Path, trust: pki.Pki
) -> None:
    signed = AuthenticodeSigner(trust.identity(trust.ecdsa)).sign(encode("1\n"))
    result = pki.verify_with_osslsigncode(
        osslsigncode, fresh(files, signed), files / "root.pem"
    )
    assert pki.accepted(result), result.stdout + result.stderr


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("leaf", "ca", "message"),
    [
        ("leaf", "other_root.pem", "unable to get local issuer certificate"),
        ("expired", "root.pem", "certificate has expired"),
        ("server_auth", "root.pem", "XKU_CODE_SIGN"),
    ],
)
def test_osslsigncode_rejects_bad_chains(
    osslsigncode: str, files: Path, trust: pki.Pki, leaf: str, ca: str, message: str
) -> None:
    issued = getattr(trust, leaf)
    signed = AuthenticodeSigner(trust.identity(issued)).sign(encode(SCRIPTS["ascii"]))
    result = pki.verify_with_osslsigncode(
        osslsigncode, fresh(files, signed), files / ca
    )
    assert result.returncode == 1
    assert message in result.stdout + result.stderr


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(set(MUTATIONS) - OSSLSIGNCODE_LENIENT))
def test_osslsigncode_rejects_tampering(
    osslsigncode: str, files: Path, signer: AuthenticodeSigner, name: str
) -> None:
    mutate, _ = MUTATIONS[name]
    tampered = mutate(signer.sign(encode(SCRIPTS["ascii"])))
    result = pki.verify_with_osslsigncode(
        osslsigncode, fresh(files, tampered), files / "root.pem"
    )
    assert result.returncode == 1


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(OSSLSIGNCODE_LENIENT))
def test_framing_osslsigncode_misses_is_caught_by_verify_script(
    osslsigncode: str,
    files: Path,
    trust: pki.Pki,
    signer: AuthenticodeSigner,
    name: str,
) -> None:
    mutate, _ = MUTATIONS[name]
    tampered = mutate(signer.sign(encode(SCRIPTS["ascii"])))
    result = pki.verify_with_osslsigncode(
        osslsigncode, fresh(files, tampered), files / "root.pem"
    )
    # If a newer osslsigncode starts rejecting this, move it out of the lenient set.
    assert pki.accepted(result), "osslsigncode became stricter: update the test"
    assert verify_script(tampered, trust.root.cert)


_MUTATION_SOURCE = encode(
    SCRIPTS["non-ascii"] + "Get-Service | Where-Object Status -eq 'Running'\n"
)


@pytest.fixture(scope="module")
def mutation_target(signer: AuthenticodeSigner) -> bytes:
    return signer.sign(_MUTATION_SOURCE)


@pytest.mark.oracle
@settings(
    max_examples=examples(25, local=8),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(region=st.sampled_from(["body", "block"]), data=st.data())
def test_one_byte_change_anywhere_is_detected(
    osslsigncode: str,
    files: Path,
    trust: pki.Pki,
    mutation_target: bytes,
    region: str,
    data: st.DataObject,
) -> None:
    signed = mutation_target
    split = len(_MUTATION_SOURCE)
    # osslsigncode 2.9 never looks at these bytes: the CR opening the block, the
    # CR ending the last base64 line and the final CRLF (measured by a sweep).
    unchecked = {split, signed.rindex(CRLF + SIG_END), len(signed) - 2, len(signed) - 1}
    low, high = (0, split - 1) if region == "body" else (split, len(signed) - 1)
    position = data.draw(st.integers(low, high), label="position")
    flip = data.draw(st.integers(1, 255), label="xor")
    tampered = bytearray(signed)
    tampered[position] ^= flip
    assert verify_script(bytes(tampered), trust.root.cert)
    path = fresh(files, bytes(tampered))
    result = pki.verify_with_osslsigncode(osslsigncode, path, files / "root.pem")
    if position not in unchecked:
        assert not pki.accepted(result), f"osslsigncode accepted a change at {position}"


def osslsigncode_sign(
    tool: str, files: Path, unsigned: Path, out: Path
) -> subprocess.CompletedProcess[str]:
    """Let osslsigncode sign with the test PFX (password read from a file)."""
    return pki.run_osslsigncode(
        tool, "sign", "-pkcs12", files / "leaf.pfx", "-readpass", files / "pfx.pass",
        "-h", "sha256", "-in", unsigned, "-out", out,
    )  # fmt: skip


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_spc_indirect_data_matches_osslsigncode(
    osslsigncode: str, files: Path, signer: AuthenticodeSigner, name: str
) -> None:
    script = encode(SCRIPTS[name])
    theirs = fresh(files)
    result = osslsigncode_sign(osslsigncode, files, fresh(files, script), theirs)
    assert result.returncode == 0, result.stderr
    extracted = fresh(files, suffix=".der")
    result = pki.run_osslsigncode(
        osslsigncode, "extract-signature", "-in", theirs, "-out", extracted
    )
    assert result.returncode == 0, result.stderr
    ours = signed_der(signer.sign(script))
    assert spc_content(ours) == spc_content(extracted.read_bytes())


@pytest.mark.oracle
def test_osslsigncode_extracts_our_der(
    osslsigncode: str, files: Path, signer: AuthenticodeSigner
) -> None:
    signed = signer.sign(encode(SCRIPTS["non-ascii"]))
    extracted = fresh(files, suffix=".der")
    result = pki.run_osslsigncode(
        osslsigncode,
        "extract-signature",
        "-in",
        fresh(files, signed),
        "-out",
        extracted,
    )
    assert result.returncode == 0, result.stderr
    assert extracted.read_bytes() == signed_der(signed)


@pytest.mark.oracle
def test_verify_script_flags_osslsigncode_signing_time(
    osslsigncode: str, files: Path, trust: pki.Pki
) -> None:
    # osslsigncode adds signingTime and omits SpcSpOpusInfo: valid for Windows,
    # but not drgen's deterministic format, so verify_script must say so.
    theirs = fresh(files)
    unsigned = fresh(files, encode(SCRIPTS["ascii"]))
    result = osslsigncode_sign(osslsigncode, files, unsigned, theirs)
    assert result.returncode == 0, result.stderr
    problems = verify_script(theirs.read_bytes(), trust.root.cert)
    assert any("signingTime" in p for p in problems), problems
    assert f"missing signed attribute {SPC_SP_OPUS_INFO}" in problems
    assert not any("digest" in p for p in problems), problems


@pytest.mark.oracle
def test_dev_identity_signature_verifies(
    osslsigncode: str, tmp_path: Path, trust: pki.Pki
) -> None:
    identity, created = ensure_dev_identity(tmp_path / "dev", trust.now)
    assert created
    signed = AuthenticodeSigner(identity).sign(encode(SCRIPTS["non-ascii"]))
    assert verify_script(signed, identity.certificate) == []
    ca_file = pki.write_pem(tmp_path / "dev.pem", identity.certificate)
    result = pki.verify_with_osslsigncode(
        osslsigncode, fresh(tmp_path, signed), ca_file
    )
    assert pki.accepted(result), result.stdout + result.stderr


def test_precomputed_layout_gives_the_assembled_block(trust: pki.Pki) -> None:
    """An RSA signer without a timestamp fills three values into precomputed
    bytes; the result must be exactly the SignedData assembled part by part."""
    identity = trust.identity()
    fast = AuthenticodeSigner(identity)
    assert fast._layout is not None  # the fast path is the one under test
    slow = AuthenticodeSigner(identity)
    slow._layout = None
    for seed in range(20):
        digest = hashlib.sha256(bytes([seed])).digest()
        assert fast.block(digest) == slow.block(digest)


@pytest.mark.parametrize("bits", [3072, 3736])
def test_precomputed_layout_holds_for_other_key_sizes(
    trust: pki.Pki, bits: int
) -> None:
    """3,736 bits is a 467-byte signature: its DER length ends in 0xD3, the byte
    of the first set of markers, which would shift that split by one; the layout
    is then found with other markers, and each block still equals the assembled
    one and verifies."""
    key = pki.new_rsa(bits)
    leaf = pki.issue(
        f"signer {bits}",
        key,
        trust.intermediate,
        pki.CODE_SIGNING,
        trust.now - timedelta(days=1),
        trust.now + timedelta(days=30),
    )
    identity = SigningIdentity(key, leaf.cert, (trust.intermediate.cert,))
    fast = AuthenticodeSigner(identity)
    assert fast._layout is not None
    slow = AuthenticodeSigner(identity)
    slow._layout = None
    for seed in range(3):
        digest = hashlib.sha256(bytes([seed])).digest()
        assert fast.block(digest) == slow.block(digest)
    script = encode(SCRIPTS["non-ascii"])
    assert verify_script(fast.sign(script), trust.root.cert) == []


def test_no_precomputed_layout_for_ecdsa_or_a_timestamp(trust: pki.Pki) -> None:
    """ECDSA signatures vary in length and a timestamp token follows the
    signature: both are assembled every time (and osslsigncode accepts them, above
    and in test_timestamp.py)."""
    assert AuthenticodeSigner(trust.identity(trust.ecdsa))._layout is None
    assert AuthenticodeSigner(trust.identity(), lambda _: b"\x30\x00")._layout is None
