"""RFC 3161 timestamping against a tiny local TSA on 127.0.0.1."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import cms, tsp

from generator.errors import SigningError
from generator.signing.authenticode import (
    BOM,
    AuthenticodeSigner,
    split_signature,
)
from generator.signing.timestamp import display_url, make_timestamper
from generator.signing.verify import verify_script
from tests.support import pki
from tests.support.tsa import Responder, TestAuthority, closed_port, local_server

SPC_RFC3161 = "1.3.6.1.4.1.311.3.3.1"
SCRIPT = BOM + b"Write-Host 'timestamped'\r\n"


@pytest.fixture(scope="module")
def trust() -> pki.Pki:
    return pki.build_pki()


# -------------------------------------------------------------- test TSA


@pytest.fixture
def authority(trust: pki.Pki) -> TestAuthority:
    return TestAuthority(trust.tsa)


@pytest.fixture
def tsa_url(authority: TestAuthority) -> Iterator[str]:
    with local_server(lambda body: (200, authority.reply(body))) as url:
        yield url


def token_of(signed_script: bytes) -> cms.ContentInfo:
    _, der = split_signature(signed_script)
    assert der is not None
    info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    attributes = [a for a in info["unsigned_attrs"] if a["type"].dotted == SPC_RFC3161]
    assert len(attributes) == 1
    return cms.ContentInfo.load(attributes[0]["values"][0].dump())


# ------------------------------------------------------------------ tests


def test_timestamped_signature(
    trust: pki.Pki, authority: TestAuthority, tsa_url: str
) -> None:
    signer = AuthenticodeSigner(trust.identity(), make_timestamper(tsa_url))
    signed = signer.sign(SCRIPT)
    assert verify_script(signed, trust.root.cert) == []
    (request,) = authority.requests
    assert request["cert_req"].native is True
    _, der = split_signature(signed)
    assert der is not None
    signature = cms.ContentInfo.load(der)["content"]["signer_infos"][0]["signature"]
    imprint = request["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].native == "sha256"
    assert imprint["hashed_message"].native == hashlib.sha256(signature.native).digest()
    tst_info = token_of(signed)["content"]["encap_content_info"]["content"].parsed
    assert tst_info["nonce"].native == request["nonce"].native


def test_verify_script_detects_a_foreign_timestamp(
    trust: pki.Pki, tsa_url: str
) -> None:
    other = AuthenticodeSigner(trust.identity(), make_timestamper(tsa_url))
    foreign = token_of(other.sign(SCRIPT.replace(b"timestamped", b"other"))).dump()
    # A timestamper that hands back a token made for another signature.
    forged = AuthenticodeSigner(trust.identity(), lambda _: bytes(foreign)).sign(SCRIPT)
    problems = verify_script(forged, trust.root.cert)
    assert problems == [
        "the timestamp does not cover this signature (imprint mismatch)"
    ]


@pytest.mark.oracle
def test_osslsigncode_accepts_the_timestamp(
    tmp_path: Path, trust: pki.Pki, tsa_url: str
) -> None:
    tool = pki.osslsigncode_or_skip()
    signed = AuthenticodeSigner(trust.identity(), make_timestamper(tsa_url)).sign(
        SCRIPT
    )
    script = tmp_path / "stamped.ps1"
    script.write_bytes(signed)
    root = pki.write_pem(tmp_path / "root.pem", trust.root)
    tsa_root = pki.write_pem(tmp_path / "tsaroot.pem", trust.tsa_root)
    result = pki.verify_with_osslsigncode(tool, script, root, "-TSA-CAfile", tsa_root)
    output = result.stdout + result.stderr
    assert pki.accepted(result), output
    assert "Timestamp Server Signature verification: ok" in output
    assert "Signature verification time:" in output  # the timestamp was used
    # With the wrong TSA root the timestamp fails; osslsigncode then falls back
    # to the current time, so only its timestamp line shows the difference.
    wrong = pki.verify_with_osslsigncode(tool, script, root, "-TSA-CAfile", root)
    assert "Timestamp Server Signature verification: failed" in wrong.stdout


@pytest.mark.oracle
def test_osslsigncode_offline_timestamp_on_our_signature(
    tmp_path: Path, trust: pki.Pki
) -> None:
    # osslsigncode can add a timestamp without a server: the slot we leave open
    # for an RFC 3161 token must take it, and verify_script must accept it.
    tool = pki.osslsigncode_or_skip()
    unstamped = tmp_path / "plain.ps1"
    unstamped.write_bytes(AuthenticodeSigner(trust.identity()).sign(SCRIPT))
    tsa_certs = pki.write_pem(tmp_path / "tsa.pem", trust.tsa, trust.tsa_root)
    tsa_key = pki.write_key(tmp_path / "tsa.key", trust.tsa.key)
    stamped = tmp_path / "stamped.ps1"
    added = pki.run_osslsigncode(
        tool, "add", "-TSA-certs", tsa_certs, "-TSA-key", tsa_key,
        "-in", unstamped, "-out", stamped,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    root = pki.write_pem(tmp_path / "root.pem", trust.root)
    tsa_root = pki.write_pem(tmp_path / "tsaroot.pem", trust.tsa_root)
    result = pki.verify_with_osslsigncode(tool, stamped, root, "-TSA-CAfile", tsa_root)
    assert pki.accepted(result), result.stdout + result.stderr
    assert verify_script(stamped.read_bytes(), trust.root.cert) == []


def test_unreachable_tsa(trust: pki.Pki) -> None:
    url = f"http://127.0.0.1:{closed_port()}/tsa"
    signer = AuthenticodeSigner(trust.identity(), make_timestamper(url, timeout=2))
    with pytest.raises(SigningError, match="unreachable") as caught:
        signer.sign(SCRIPT)
    assert url in caught.value.message


def _bad_reply(authority: TestAuthority, kind: str) -> Responder:
    def respond(body: bytes) -> tuple[int, bytes]:
        if kind == "http 500":
            return 500, b""
        if kind == "rejected":
            status = {"status": "rejection", "status_string": ["policy says no"]}
            info = bytes(tsp.PKIStatusInfo(status).dump())
            # asn1crypto insists on a token, which a refusal does not carry.
            return 200, b"\x30" + bytes([len(info)]) + info
        if kind == "garbage":
            return 200, b"\x30\x03\x02\x01"
        if kind == "nonce":
            return 200, authority.reply(body, nonce_delta=1)
        return 200, authority.reply(body, imprint_xor=0x55)

    return respond


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("http 500", "answered HTTP 500"),
        ("rejected", r"request refused \(rejection\) policy says no"),
        ("garbage", "malformed timestamp reply"),
        ("nonce", "nonce does not match"),
        ("imprint", "imprint does not match"),
    ],
)
def test_bad_tsa_replies(
    trust: pki.Pki, authority: TestAuthority, kind: str, message: str
) -> None:
    with local_server(_bad_reply(authority, kind)) as url:
        signer = AuthenticodeSigner(trust.identity(), make_timestamper(url))
        with pytest.raises(SigningError, match=message) as caught:
            signer.sign(SCRIPT)
    assert url in caught.value.message


def test_tampered_token_signature(trust: pki.Pki, authority: TestAuthority) -> None:
    def respond(body: bytes) -> tuple[int, bytes]:
        reply = authority.reply(body)
        # Flip one bit inside the TSA's signature value (the last bytes).
        return 200, reply[:-1] + bytes([reply[-1] ^ 1])

    with local_server(respond) as url:
        signer = AuthenticodeSigner(trust.identity(), make_timestamper(url))
        with pytest.raises(SigningError, match="signature does not verify"):
            signer.sign(SCRIPT)


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/tsa", "file:///etc/passwd", "127.0.0.1:8080", "http://"]
)
def test_only_http_urls(url: str) -> None:
    with pytest.raises(SigningError, match="not an http"):
        make_timestamper(url)


def test_credentials_in_url_are_never_shown() -> None:
    url = f"http://user:hunter2@127.0.0.1:{closed_port()}/tsa"
    assert "hunter2" not in display_url(url)
    timestamper = make_timestamper(url, timeout=2)
    with pytest.raises(SigningError) as caught:
        timestamper(b"signature")
    assert "hunter2" not in caught.value.message
    assert "user" not in caught.value.message
