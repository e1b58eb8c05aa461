"""RFC 3161 timestamping against a tiny local TSA on 127.0.0.1."""

from __future__ import annotations

import hashlib
import itertools
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from generator.errors import SigningError
from generator.signing.authenticode import (
    BOM,
    AuthenticodeSigner,
    split_signature,
)
from generator.signing.timestamp import display_url, make_timestamper
from generator.signing.verify import verify_script
from tests import pki

SPC_RFC3161 = "1.3.6.1.4.1.311.3.3.1"
TSA_POLICY = "1.3.6.1.4.1.99999.1"
SCRIPT = BOM + b"Write-Host 'timestamped'\r\n"
MAX_REQUESTS = 32  # the server stops itself after this many requests
LIFETIME = 60.0  # ... or after this many seconds, whichever comes first

Responder = Callable[[bytes], tuple[int, bytes]]


@pytest.fixture(scope="module")
def trust() -> pki.Pki:
    return pki.build_pki()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours *_proxy variables; the local TSA must be reached directly.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")


# -------------------------------------------------------------- test TSA


class TestAuthority:
    """Builds RFC 3161 replies signed by the test TSA certificate."""

    __test__ = False  # not a pytest test class

    def __init__(self, tsa: pki.Issued) -> None:
        assert isinstance(tsa.key, rsa.RSAPrivateKey)
        self.key = tsa.key
        self.cert = asn1_x509.Certificate.load(tsa.der)
        self.cert_hash = hashlib.sha256(tsa.der).digest()
        self.serials = itertools.count(1)
        self.requests: list[tsp.TimeStampReq] = []

    def reply(
        self, request_der: bytes, *, nonce_delta: int = 0, imprint_xor: int = 0
    ) -> bytes:
        """A granted reply; the keyword arguments make it deliberately wrong."""
        request = tsp.TimeStampReq.load(request_der)
        self.requests.append(request)
        imprint = bytearray(request["message_imprint"]["hashed_message"].native)
        imprint[0] ^= imprint_xor
        tst_info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": TSA_POLICY,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": bytes(imprint),
                },
                "serial_number": next(self.serials),
                "gen_time": datetime.now(UTC).replace(microsecond=0),
                "accuracy": {"seconds": 1},
                "nonce": request["nonce"].native + nonce_delta,
            }
        )
        token = cms.ContentInfo(
            {"content_type": "signed_data", "content": self._signed_data(tst_info)}
        )
        return bytes(
            tsp.TimeStampResp(
                {"status": {"status": "granted"}, "time_stamp_token": token}
            ).dump()
        )

    def _signed_data(self, tst_info: tsp.TSTInfo) -> cms.SignedData:
        attributes = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {
                    "type": "message_digest",
                    "values": [hashlib.sha256(tst_info.dump()).digest()],
                },
                {
                    # ESS signingCertificateV2 (RFC 5816), as real TSAs send.
                    "type": "signing_certificate_v2",
                    "values": [{"certs": [{"cert_hash": self.cert_hash}]}],
                },
            ]
        )
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": {
                    "issuer_and_serial_number": {
                        "issuer": self.cert.issuer,
                        "serial_number": self.cert.serial_number,
                    }
                },
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": attributes,
                "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
                "signature": b"",
            }
        )
        # Sign exactly the bytes that will be stored, re-tagged as a SET OF.
        signed = b"\x31" + signer["signed_attrs"].dump()[1:]
        signer["signature"] = self.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        return cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {"content_type": "tst_info", "content": tst_info},
                "certificates": [self.cert],
                "signer_infos": [signer],
            }
        )


@contextmanager
def local_server(respond: Responder) -> Iterator[str]:
    """Serve ``respond`` on 127.0.0.1 (bounded requests and lifetime); yield URL."""
    served = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = min(int(self.headers.get("Content-Length", "0")), 1 << 16)
            status, payload = respond(self.rfile.read(size))
            self.send_response(status)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            if next(served) >= MAX_REQUESTS:
                threading.Thread(target=server.shutdown, daemon=True).start()

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    timer = threading.Timer(LIFETIME, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa"
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def authority(trust: pki.Pki) -> TestAuthority:
    return TestAuthority(trust.tsa)


@pytest.fixture
def tsa_url(authority: TestAuthority) -> Iterator[str]:
    with local_server(lambda body: (200, authority.reply(body))) as url:
        yield url


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


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
