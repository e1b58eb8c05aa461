"""RFC 3161 timestamps for Authenticode signatures, fetched from a TSA over HTTP.

Authenticode's RFC 3161 timestamp (unsigned attribute 1.3.6.1.4.1.311.3.3.1)
stamps the SignerInfo's signature value: the request's message imprint is the
SHA-256 of those bytes. Air-gapped servers never contact the TSA; only the
signing host does, once per script.
"""

from __future__ import annotations

import hashlib
import http.client
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from asn1crypto import cms, parser, tsp
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from generator.errors import SigningError
from generator.signing import der
from generator.signing.certificates import extended_key_usages
from generator.signing.signatures import HASHES, PublicKey, digest, signature_verifies

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
MAX_REPLY_BYTES = 1 << 20  # real tokens are a few KB; refuse to buffer more
_GRANTED = frozenset({"granted", "granted_with_mods"})


class _TokenError(ValueError):
    """The TSA's reply is not a usable token for our request."""


def make_timestamper(url: str, timeout: float = 10.0) -> Callable[[bytes], bytes]:
    """Return a function that timestamps an Authenticode signature value.

    The function sends an RFC 3161 request (SHA-256 imprint, random nonce,
    certReq) to ``url`` and returns the TimeStampToken DER from the reply after
    checking that it answers this request and that its signature verifies with
    the TSA certificate it carries. Trust in the TSA itself is left to the
    verifier (Windows, or osslsigncode ``-TSA-CAfile``).

    Raises:
        SigningError: ``url`` is not http(s); the returned function raises it,
            naming the URL, when the TSA is unreachable, answers with an error
            status, or its token does not match the request.
    """
    shown = display_url(url)

    def timestamp(signature: bytes) -> bytes:
        imprint = hashlib.sha256(signature).digest()
        nonce = secrets.randbits(64)
        reply = _post(url, shown, timestamp_request(imprint, nonce), timeout)
        try:
            return _token_from_reply(reply, imprint, nonce)
        except _TokenError as exc:
            raise SigningError(f"timestamp server {shown}: {exc}") from None

    return timestamp


def display_url(url: str) -> str:
    """``url`` without any user:password part, for messages; http(s) only.

    Raises:
        SigningError: the URL is not an http or https URL with a host.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    shown = urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SigningError(f"timestamp server URL {shown!r} is not an http(s) URL")
    return shown


def timestamp_request(imprint: bytes, nonce: int) -> bytes:
    """DER TimeStampReq for a SHA-256 imprint, asking for the TSA certificate."""
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": imprint,
            },
            "nonce": nonce,
            # The certificate lets Windows find the TSA's chain offline.
            "cert_req": True,
        }
    )
    return bytes(request.dump())


def _post(url: str, shown: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - scheme checked by display_url
        url,
        data=body,
        method="POST",
        headers={"Content-Type": CONTENT_TYPE_QUERY, "Accept": CONTENT_TYPE_REPLY},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = bytes(response.read(MAX_REPLY_BYTES + 1))
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SigningError(
            f"timestamp server {shown} answered HTTP {exc.code}"
        ) from None
    except urllib.error.URLError as exc:
        raise SigningError(
            f"timestamp server {shown} is unreachable: {exc.reason}"
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise SigningError(f"timestamp server {shown} is unreachable: {exc}") from None
    if len(data) > MAX_REPLY_BYTES:
        raise SigningError(f"timestamp server {shown}: reply larger than 1 MiB")
    return data


def _token_from_reply(reply: bytes, imprint: bytes, nonce: int) -> bytes:
    # Raises _TokenError for an error status, a malformed reply, a nonce or imprint
    # mismatch, or a token signature that does not verify.
    try:
        status_der, token_der = _split_reply(reply)
        info = tsp.PKIStatusInfo.load(status_der, strict=True)
        status = info["status"].native
        if status not in _GRANTED:
            text = "; ".join(info["status_string"].native or [])
            raise _TokenError(f"request refused ({status}) {text}".rstrip())
        if not token_der:
            raise _TokenError("the reply holds no timestamp token")
        token = cms.ContentInfo.load(token_der, strict=True)
        if token["content_type"].native != "signed_data":
            raise _TokenError("the reply holds no timestamp token")
        _check_token(token["content"], imprint, nonce)
        return token_der
    except _TokenError:
        raise
    except (ValueError, TypeError, KeyError):
        # asn1crypto parses lazily, so damage shows up at first access anywhere.
        raise _TokenError("malformed timestamp reply") from None


def _split_reply(reply: bytes) -> tuple[bytes, bytes]:
    """Split TimeStampResp into PKIStatusInfo and the (optional) token DER.

    asn1crypto's TimeStampResp insists on a token, which a refusal lacks.
    """
    class_, _, tag, _, contents, _ = parser.parse(reply, strict=True)
    if (class_, tag) != (0, 16):  # universal SEQUENCE
        raise ValueError("not a TimeStampResp")
    _, _, _, header, body, trailer = parser.parse(contents)
    size = len(header) + len(body) + len(trailer)
    return bytes(contents[:size]), bytes(contents[size:])


def _check_token(signed: Any, imprint: bytes, nonce: int) -> None:
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise _TokenError("the token does not hold a TSTInfo")
    tst_info = encap["content"].parsed
    if tst_info["nonce"].native != nonce:
        raise _TokenError("the token's nonce does not match the request")
    message = tst_info["message_imprint"]
    if (
        message["hash_algorithm"]["algorithm"].native != "sha256"
        or bytes(message["hashed_message"].native) != imprint
    ):
        raise _TokenError("the token's message imprint does not match the signature")
    signers = signed["signer_infos"]
    if len(signers) != 1:
        raise _TokenError("the token must have exactly one signer")
    _check_token_signature(signed, signers[0], bytes(encap["content"].contents))


def _check_token_signature(signed: Any, signer: Any, tst_der: bytes) -> None:
    cert = _token_certificate(signed, signer)
    usages = extended_key_usages(cert)
    if usages is None or ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        raise _TokenError("the token's certificate is not valid for timestamping")
    algorithm = HASHES.get(signer["digest_algorithm"]["algorithm"].dotted)
    attributes = signer["signed_attrs"]
    scheme = signer["signature_algorithm"].signature_algo
    if (
        algorithm is None
        or not attributes
        or scheme not in ("rsassa_pkcs1v15", "ecdsa")
    ):
        raise _TokenError("the token's signature uses an unsupported form")
    digests = [
        a["values"][0].native
        for a in attributes
        if a["type"].native == "message_digest"
    ]
    if digests != [digest(algorithm(), tst_der)]:
        raise _TokenError("the token's messageDigest does not match its TSTInfo")
    # Signed attributes are signed as a SET OF (0x31), stored as [0] IMPLICIT.
    data = der.retag(der.SET, bytes(attributes.dump()))
    _verify(cert, bytes(signer["signature"].native), data, algorithm())


def _token_certificate(signed: Any, signer: Any) -> x509.Certificate:
    sid = signer["sid"]
    if sid.name != "issuer_and_serial_number":
        raise _TokenError("the token's signer is not named by issuer and serial")
    wanted = (sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native)
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        tbs = choice.chosen["tbs_certificate"]
        if (tbs["issuer"].dump(), tbs["serial_number"].native) == wanted:
            return x509.load_der_x509_certificate(bytes(choice.chosen.dump()))
    raise _TokenError("the token does not carry the TSA certificate")


def _verify(
    cert: x509.Certificate,
    signature: bytes,
    data: bytes,
    algorithm: hashes.HashAlgorithm,
) -> None:
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm:
        raise _TokenError("the token's signature does not verify") from None
    if not isinstance(key, PublicKey):
        raise _TokenError("the TSA's key type is not supported")
    if not signature_verifies(key, signature, data, algorithm):
        raise _TokenError("the token's signature does not verify")
