"""A tiny RFC 3161 time-stamping authority on 127.0.0.1, signed by the test PKI
(tests/support/pki.py): granted replies, deliberately wrong ones, and a port
nothing listens on."""

from __future__ import annotations

import hashlib
import itertools
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support import pki

TSA_POLICY = "1.3.6.1.4.1.99999.1"


MAX_REQUESTS = 32  # the server stops itself after this many requests


LIFETIME = 60.0  # ... or after this many seconds, whichever comes first


Responder = Callable[[bytes], tuple[int, bytes]]


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


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
