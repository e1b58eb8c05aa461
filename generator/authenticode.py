"""Authenticode signatures for PowerShell scripts, made and checked in-process.

The layout follows docs/authenticode.md (shared docs): the PKCS#7 SignedData is
written with a small DER writer so that signing costs little more than the RSA
private-key operation, and read back by a separate strict DER reader in
:func:`verify_script`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from generator.certificates import SigningIdentity
from generator.errors import SigningError, VerificationError

Timestamper = Callable[[bytes], bytes]

BOM = b"\xef\xbb\xbf"
CRLF = b"\r\n"
SIG_BEGIN = b"# SIG # Begin signature block"
SIG_END = b"# SIG # End signature block"
LINE_WIDTH = 64  # what osslsigncode, jsign and Windows-made signatures all use

# --------------------------------------------------------------------- OIDs

OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
OID_SPC_STATEMENT_TYPE = "1.3.6.1.4.1.311.2.1.11"
OID_SPC_SP_OPUS_INFO = "1.3.6.1.4.1.311.2.1.12"
OID_SPC_INDIVIDUAL = "1.3.6.1.4.1.311.2.1.21"
OID_SPC_SIPINFO = "1.3.6.1.4.1.311.2.1.30"
OID_SPC_RFC3161 = "1.3.6.1.4.1.311.3.3.1"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"

# The PowerShell SIP GUID {603BCC1F-4B59-4E08-B724-D2C6297EF351} in the
# mixed-endian byte order Windows stores GUIDs in.
POWERSHELL_SIP_GUID = bytes.fromhex("1fcc3b60594b084eb724d2c6297ef351")
SIP_VERSION = 65536  # PowerShell's SpcSipInfo version (1 is for MSI, VBS, JS)

# DER tags used here (all single-byte).
_INTEGER, _OCTETS, _NULL, _OID = 0x02, 0x04, 0x05, 0x06
_SEQUENCE, _SET = 0x30, 0x31
_CTX0, _CTX1 = 0xA0, 0xA1
_MAX_CHAIN = 8


# --------------------------------------------------------------- DER writer


def _der_length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, *parts: bytes) -> bytes:
    content = b"".join(parts)
    return bytes((tag,)) + _der_length(len(content)) + content


def _seq(*parts: bytes) -> bytes:
    return _tlv(_SEQUENCE, *parts)


def _set_of(items: Iterable[bytes]) -> bytes:
    # DER sorts SET OF by encoding, the shorter padded with zero octets (X.690
    # 11.6); osslsigncode does not notice an unsorted set, Windows may.
    members = list(items)
    width = max((len(m) for m in members), default=0)
    return _tlv(_SET, *sorted(members, key=lambda m: m.ljust(width, b"\0")))


def _oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(_OID, bytes(body))


def _int(value: int) -> bytes:
    return _tlv(
        _INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    )


def _octets(value: bytes) -> bytes:
    return _tlv(_OCTETS, value)


def _attribute(oid: str, value: bytes) -> bytes:
    return _seq(_oid(oid), _tlv(_SET, value))


_DER_NULL = _tlv(_NULL)
SHA256_ALGORITHM = _seq(_oid(OID_SHA256), _DER_NULL)
_RSA_ALGORITHM = _seq(_oid(OID_RSA_ENCRYPTION), _DER_NULL)
_ECDSA_ALGORITHM = _seq(_oid(OID_ECDSA_SHA256))  # parameters absent (RFC 5758)
_SPC_SIP_INFO = _seq(_int(SIP_VERSION), _octets(POWERSHELL_SIP_GUID), *[_int(0)] * 5)
_SPC_DATA = _seq(_oid(OID_SPC_SIPINFO), _SPC_SIP_INFO)
_VERSION_1 = _int(1)
_DIGEST_ALGORITHMS = _set_of([SHA256_ALGORITHM])
_SPC_INDIRECT_DATA_TYPE = _oid(OID_SPC_INDIRECT_DATA)
_SIGNED_DATA_TYPE = _oid(OID_SIGNED_DATA)
# Windows-made signatures carry contentType, an empty SpcSpOpusInfo and
# messageDigest; SpcStatementType "individual" is what signtool adds. No
# signingTime: it would make every signature differ (design: byte-stable output).
_STATIC_ATTRIBUTES = (
    _attribute(OID_CONTENT_TYPE, _SPC_INDIRECT_DATA_TYPE),
    _attribute(OID_SPC_SP_OPUS_INFO, _seq()),
    _attribute(OID_SPC_STATEMENT_TYPE, _seq(_oid(OID_SPC_INDIVIDUAL))),
)
_BLOCK_HEAD = CRLF + SIG_BEGIN + CRLF
_BLOCK_TAIL = SIG_END + CRLF


def file_digest(body: bytes) -> bytes:
    """SHA-256 of ``body`` as the PowerShell SIP hashes it.

    The text is hashed as UTF-16LE, with the UTF-8 BOM kept as U+FEFF.

    Raises:
        UnicodeDecodeError: ``body`` is not UTF-8.
    """
    return hashlib.sha256(body.decode("utf-8").encode("utf-16-le")).digest()


def spc_indirect_data(digest: bytes) -> bytes:
    """The DER SpcIndirectDataContent for a PowerShell file digest (SHA-256)."""
    return _tlv(_SEQUENCE, _indirect_content(digest))


def _indirect_content(digest: bytes) -> bytes:
    return _SPC_DATA + _seq(SHA256_ALGORITHM, _octets(digest))


# ------------------------------------------------------------------- signer


class AuthenticodeSigner:
    """Signs PowerShell scripts with one identity, loaded once by the caller."""

    def __init__(
        self, identity: SigningIdentity, timestamper: Timestamper | None = None
    ) -> None:
        """Precompute everything that does not depend on the script.

        ``timestamper``, when given, receives the signature value and returns an
        RFC 3161 TimeStampToken (see :mod:`generator.timestamp`).

        Raises:
            SigningError: the key does not match the certificate.
        """
        key, cert = identity.key, identity.certificate
        if _public_der(key.public_key()) != _public_der(cert.public_key()):
            raise SigningError(
                f"the private key does not match the certificate {identity.subject!r}"
            )
        self._key = key
        self._timestamper = timestamper
        self._algorithm = (
            _RSA_ALGORITHM if isinstance(key, rsa.RSAPrivateKey) else _ECDSA_ALGORITHM
        )
        leaf_der = cert.public_bytes(serialization.Encoding.DER)
        issuer, serial = _issuer_and_serial(leaf_der)
        self._signer_head = _VERSION_1 + _seq(issuer, serial) + SHA256_ALGORITHM
        # Signer first, then the intermediates (PowerShell's
        # AddFullCertificateChainExceptRoot); the root is never embedded.
        chain = [c.public_bytes(serialization.Encoding.DER) for c in identity.chain]
        self._certificates = _tlv(_CTX0, leaf_der, *chain)

    def sign(self, script: bytes) -> bytes:
        """Return ``script`` followed by its Authenticode signature block.

        ``script`` must be UTF-8 with BOM, use CRLF only, end with CRLF and hold
        no signature block. Without a timestamper the result is deterministic.

        Raises:
            SigningError: the input is not in that form, or timestamping failed.
        """
        text = _check_unsigned(script)
        digest = hashlib.sha256(text.encode("utf-16-le")).digest()
        content = _indirect_content(digest)
        # Authenticode's messageDigest covers the SpcIndirectDataContent without
        # its own tag and length (osslsigncode helpers.c), unlike plain CMS.
        content_hash = hashlib.sha256(content).digest()
        attributes = _set_of(
            [*_STATIC_ATTRIBUTES, _attribute(OID_MESSAGE_DIGEST, _octets(content_hash))]
        )
        # The signature covers the attributes as a SET OF (0x31); they are stored
        # under the [0] IMPLICIT tag (0xA0).
        signature = self._signature(attributes)
        signer_info = _seq(
            self._signer_head,
            bytes((_CTX0,)) + attributes[1:],
            self._algorithm,
            _octets(signature),
            self._unsigned_attributes(signature),
        )
        signed_data = _seq(
            _VERSION_1,
            _DIGEST_ALGORITHMS,
            # [0] EXPLICIT around a SEQUENCE, not an OCTET STRING (PKCS#7 v1.5).
            _seq(_SPC_INDIRECT_DATA_TYPE, _tlv(_CTX0, _tlv(_SEQUENCE, content))),
            self._certificates,
            _tlv(_SET, signer_info),
        )
        return script + format_block(_seq(_SIGNED_DATA_TYPE, _tlv(_CTX0, signed_data)))

    def _signature(self, data: bytes) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            # PKCS#1 v1.5 is deterministic, which keeps re-signing byte-stable.
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        try:
            # RFC 6979 nonces keep ECDSA output byte-stable too.
            algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
            return self._key.sign(data, algorithm)
        except UnsupportedAlgorithm:
            raise SigningError(
                "this OpenSSL cannot make deterministic ECDSA signatures; use RSA"
            ) from None

    def _unsigned_attributes(self, signature: bytes) -> bytes:
        if self._timestamper is None:
            return b""
        token = self._timestamper(signature)
        try:
            _parse_single(token)
        except _DerError:
            raise SigningError("the timestamp token is not a DER structure") from None
        return _tlv(_CTX1, _attribute(OID_SPC_RFC3161, token))


def format_block(pkcs7: bytes) -> bytes:
    """The comment block carrying ``pkcs7``: CRLF framing, 64-column base64."""
    encoded = base64.b64encode(pkcs7)
    lines = [
        b"# " + encoded[i : i + LINE_WIDTH] + CRLF
        for i in range(0, len(encoded), LINE_WIDTH)
    ]
    return _BLOCK_HEAD + b"".join(lines) + _BLOCK_TAIL


def _check_unsigned(script: bytes) -> str:
    if not script.startswith(BOM):
        raise SigningError("the script is not UTF-8 with a byte order mark")
    crlf = script.count(CRLF)
    if script.count(b"\n") != crlf or script.count(b"\r") != crlf:
        raise SigningError("the script has line endings other than CRLF")
    if not script.endswith(CRLF):
        raise SigningError("the script does not end with CRLF")
    if _has_marker(script):
        raise SigningError(
            "the script already has a signature block (or contains the text "
            "'# SIG # Begin/End signature block')"
        )
    try:
        return script.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SigningError(
            f"the script is not valid UTF-8 (byte offset {exc.start})"
        ) from None


def _has_marker(data: bytes) -> bool:
    # Readers take the first marker line as the start of the block, so the body
    # must never contain it; compared without case to be safe.
    lowered = data.lower()
    return SIG_BEGIN.lower() in lowered or SIG_END.lower() in lowered


def _public_der(public_key: object) -> bytes:
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --------------------------------------------------------------- DER reader


class _DerError(ValueError):
    """The signature is not the strict DER expected; the text says where."""


@dataclass(frozen=True, slots=True)
class _Node:
    """One DER element: its tag, full encoding and where its content starts."""

    tag: int
    encoded: bytes
    header: int

    @property
    def content(self) -> bytes:
        return self.encoded[self.header :]

    def children(self) -> list[_Node]:
        if not self.tag & 0x20:
            raise _DerError(f"element 0x{self.tag:02x} is not constructed")
        return _parse_all(self.content)


def _parse_at(data: bytes, pos: int) -> tuple[_Node, int]:
    if pos + 2 > len(data):
        raise _DerError("truncated element")
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise _DerError("multi-byte tags are not expected")
    header = 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise _DerError("indefinite or oversized length (not DER)")
        raw = data[pos + 2 : pos + 2 + count]
        size = int.from_bytes(raw, "big")
        if len(raw) != count or raw[0] == 0 or size < 0x80:
            raise _DerError("length not in minimal DER form")
        header += count
    end = pos + header + size
    if end > len(data):
        raise _DerError("element runs past its container")
    return _Node(tag, data[pos:end], header), end


def _parse_all(data: bytes) -> list[_Node]:
    nodes, pos = [], 0
    while pos < len(data):
        node, pos = _parse_at(data, pos)
        nodes.append(node)
    return nodes


def _parse_single(data: bytes) -> _Node:
    node, end = _parse_at(data, 0)
    if end != len(data):
        raise _DerError("data after the end of the structure")
    return node


def _expect(node: _Node, tag: int, what: str) -> _Node:
    if node.tag != tag:
        raise _DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{node.tag:02x}")
    return node


def _fields(
    node: _Node, what: str, count: int | None = None, *, minimum: int = 0
) -> list[_Node]:
    _expect(node, _SEQUENCE, what)
    children = node.children()
    if count is not None and len(children) != count:
        raise _DerError(f"{what}: {len(children)} fields, expected {count}")
    if len(children) < minimum:
        raise _DerError(f"{what}: too few fields")
    return children


def _explicit(node: _Node, tag: int, what: str) -> _Node:
    inner = _expect(node, tag, what).children()
    if len(inner) != 1:
        raise _DerError(f"{what}: expected exactly one element")
    return inner[0]


def _oid_text(node: _Node) -> str:
    content = _expect(node, _OID, "object identifier").content
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs or content[-1] & 0x80:
        raise _DerError("malformed object identifier")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def _small_int(node: _Node) -> int:
    return int.from_bytes(
        _expect(node, _INTEGER, "integer").content, "big", signed=True
    )


def _issuer_and_serial(cert_der: bytes) -> tuple[bytes, bytes]:
    """The issuer Name and serial INTEGER encodings exactly as in the certificate."""
    outer = _fields(_parse_single(cert_der), "certificate", 3)
    tbs = _fields(outer[0], "tbsCertificate")
    if tbs and tbs[0].tag == _CTX0:  # explicit version
        tbs = tbs[1:]
    if len(tbs) < 3:
        raise _DerError("tbsCertificate: too few fields")
    return tbs[2].encoded, _expect(tbs[0], _INTEGER, "serial number").encoded


# ------------------------------------------------------------ PKCS#7 parsing


@dataclass(frozen=True)
class _SignerInfo:
    version: int
    issuer: bytes
    serial: bytes
    digest_algorithm: bytes
    attributes: _Node | None
    signature_algorithm: bytes
    signature: bytes
    unsigned: _Node | None


@dataclass(frozen=True)
class _Pkcs7:
    version: int
    digest_algorithms: list[bytes]
    content_type: str
    indirect: _Node
    certificates: list[bytes]
    has_crls: bool
    signer: _SignerInfo


def _parse_pkcs7(der: bytes) -> _Pkcs7:
    outer = _fields(_parse_single(der), "ContentInfo", 2)
    if _oid_text(outer[0]) != OID_SIGNED_DATA:
        raise _DerError("ContentInfo: not signedData")
    content = _explicit(outer[1], _CTX0, "ContentInfo content")
    fields = _fields(content, "SignedData", minimum=4)
    version = _small_int(fields[0])
    algorithms = [
        a.encoded for a in _expect(fields[1], _SET, "digestAlgorithms").children()
    ]
    encap = _fields(fields[2], "contentInfo", 2)
    indirect = _explicit(encap[1], _CTX0, "contentInfo content")
    rest = fields[3:]
    certificates: list[bytes] = []
    if rest and rest[0].tag == _CTX0:
        certificates = [c.encoded for c in rest.pop(0).children()]
    has_crls = bool(rest) and rest[0].tag == _CTX1
    if has_crls:
        rest.pop(0)
    if len(rest) != 1:
        raise _DerError("SignedData: unexpected fields after certificates")
    signers = _expect(rest[0], _SET, "signerInfos").children()
    if len(signers) != 1:
        raise _DerError(f"SignedData: {len(signers)} signers, expected exactly one")
    return _Pkcs7(
        version,
        algorithms,
        _oid_text(encap[0]),
        indirect,
        certificates,
        has_crls,
        _parse_signer(signers[0]),
    )


def _parse_signer(node: _Node) -> _SignerInfo:
    fields = _fields(node, "SignerInfo", minimum=5)
    version = _small_int(fields[0])
    sid = _fields(fields[1], "issuerAndSerialNumber", 2)
    digest_algorithm = _expect(fields[2], _SEQUENCE, "digestAlgorithm").encoded
    rest = fields[3:]
    attributes = rest.pop(0) if rest[0].tag == _CTX0 else None
    if len(rest) < 2:
        raise _DerError("SignerInfo: too few fields")
    algorithm = _expect(rest[0], _SEQUENCE, "signatureAlgorithm").encoded
    signature = _expect(rest[1], _OCTETS, "signature").content
    unsigned = None
    if len(rest) == 3:
        unsigned = _expect(rest[2], _CTX1, "unsignedAttributes")
    elif len(rest) > 3:
        raise _DerError("SignerInfo: unexpected trailing fields")
    return _SignerInfo(
        version,
        _expect(sid[0], _SEQUENCE, "issuer").encoded,
        _expect(sid[1], _INTEGER, "serial number").encoded,
        digest_algorithm,
        attributes,
        algorithm,
        signature,
        unsigned,
    )


def _attributes(node: _Node, what: str) -> list[tuple[str, list[_Node], bytes]]:
    """(OID, values, encoding) of each attribute in a [0]/[1] attribute set."""
    parsed = []
    for attribute in node.children():
        fields = _fields(attribute, what, 2)
        values = _expect(fields[1], _SET, f"{what} values").children()
        parsed.append((_oid_text(fields[0]), values, attribute.encoded))
    return parsed


# -------------------------------------------------------------------- verify


def split_signature(data: bytes) -> tuple[bytes, bytes | None]:
    """Split a script into its signed body and the PKCS#7 DER of its block.

    Returns ``(data, None)`` when there is no block. The block must be exactly
    what :func:`format_block` writes and the last thing in the file.

    Raises:
        VerificationError: a block is present but malformed.
    """
    start = data.find(_BLOCK_HEAD)
    if start < 0:
        return data, None
    rest = data[start + len(_BLOCK_HEAD) :]
    if not rest.endswith(_BLOCK_TAIL):
        where = "is followed by other data" if _BLOCK_TAIL in rest else "is missing"
        raise VerificationError(f"signature block: the end marker line {where}")
    lines = rest[: -len(_BLOCK_TAIL)].split(CRLF)
    if lines.pop() != b"":
        raise VerificationError("signature block: the last base64 line lacks CRLF")
    return data[:start], _decode_lines(lines)


def _decode_lines(lines: list[bytes]) -> bytes:
    if not lines:
        raise VerificationError("signature block: no base64 lines")
    for number, line in enumerate(lines, start=1):
        width = len(line) - 2
        last = number == len(lines)
        if not line.startswith(b"# ") or not (
            0 < width <= LINE_WIDTH if last else width == LINE_WIDTH
        ):
            raise VerificationError(
                f"signature block line {number}: expected '# ' and "
                f"{'at most ' if last else ''}{LINE_WIDTH} base64 characters"
            )
    encoded = b"".join(line[2:] for line in lines)
    try:
        der = binascii.a2b_base64(encoded, strict_mode=True)
    except binascii.Error:
        raise VerificationError("signature block: invalid base64") from None
    # Non-canonical base64 (stray bits in the last character) would decode to the
    # same DER, letting an edited file pass; insist on the one true encoding.
    if base64.b64encode(der) != encoded:
        raise VerificationError("signature block: base64 is not canonical")
    return der


def verify_script(
    data: bytes, ca: x509.Certificate | None = None, *, now: datetime | None = None
) -> list[str]:
    """Check a signed script as Windows would, plus drgen's format rules.

    Recomputes the file digest and messageDigest, checks the signature with the
    embedded signer certificate and, when ``ca`` is given, the chain up to that
    root at ``now`` (default: the current time). Also checks what osslsigncode
    lets through: BOM, CRLF only, block framing and position, the signed
    attribute set and its DER order, no signingTime.

    Returns:
        The problems found; an empty list means the script is valid.
    """
    try:
        body, der = split_signature(data)
    except VerificationError as exc:
        return [exc.message]
    problems = _body_problems(body)
    if der is None:
        return [*problems, "no signature block"]
    try:
        pkcs7 = _parse_pkcs7(der)
        problems += _signature_problems(body, pkcs7, ca, now or datetime.now(UTC))
    except _DerError as exc:
        problems.append(f"signature: {exc}")
    return problems


def _body_problems(body: bytes) -> list[str]:
    problems = []
    if not body.startswith(BOM):
        problems.append("the script does not start with a UTF-8 byte order mark")
    crlf = body.count(CRLF)
    if body.count(b"\n") != crlf or body.count(b"\r") != crlf:
        problems.append("the script body has line endings other than CRLF")
    if not body.endswith(CRLF):
        problems.append("the script body does not end with CRLF")
    if _has_marker(body):
        problems.append("the script body contains signature marker text")
    return problems


def _signature_problems(
    body: bytes, pkcs7: _Pkcs7, ca: x509.Certificate | None, now: datetime
) -> list[str]:
    problems = _layout_problems(pkcs7)
    problems += _digest_problems(body, pkcs7.indirect)
    signer = pkcs7.signer
    if signer.attributes is None:
        return [*problems, "the signer has no signed attributes"]
    problems += _attribute_problems(signer.attributes, pkcs7.indirect)
    cert, embedded = _find_signer(pkcs7)
    if cert is None:
        return [*problems, "the signer's certificate is not in the signature"]
    problems += _signature_value_problems(cert, signer, signer.attributes)
    problems += _leaf_problems(cert)
    if signer.unsigned is not None:
        problems += _unsigned_problems(signer.unsigned, signer.signature)
    if ca is not None:
        problems += _chain_problems(cert, embedded, ca, now)
    return problems


def _layout_problems(pkcs7: _Pkcs7) -> list[str]:
    problems = []
    signer = pkcs7.signer
    if pkcs7.version != 1 or signer.version != 1:
        problems.append("SignedData and SignerInfo must be version 1")
    if pkcs7.digest_algorithms != [SHA256_ALGORITHM]:
        problems.append("digestAlgorithms must be exactly SHA-256")
    if signer.digest_algorithm != SHA256_ALGORITHM:
        problems.append("the signer's digest algorithm is not SHA-256")
    if pkcs7.content_type != OID_SPC_INDIRECT_DATA:
        problems.append(f"content type {pkcs7.content_type} is not SPC_INDIRECT_DATA")
    if pkcs7.has_crls:
        problems.append("the signature unexpectedly embeds CRLs")
    return problems


def _digest_problems(body: bytes, indirect: _Node) -> list[str]:
    fields = _fields(indirect, "SpcIndirectDataContent", 2)
    problems = []
    if fields[0].encoded != _SPC_DATA:
        problems.append("SpcSipInfo is not the PowerShell SIP (version 65536, GUID)")
    digest_info = _fields(fields[1], "DigestInfo", 2)
    if digest_info[0].encoded != SHA256_ALGORITHM:
        return [*problems, "the file digest is not SHA-256"]
    signed_digest = _expect(digest_info[1], _OCTETS, "file digest").content
    try:
        actual = file_digest(body)
    except UnicodeDecodeError:
        return [*problems, "the script body is not valid UTF-8"]
    if actual != signed_digest:
        problems.append(
            "file digest mismatch: the script was changed after signing "
            f"(signed {signed_digest.hex()}, actual {actual.hex()})"
        )
    return problems


_REQUIRED_ATTRIBUTES = (OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SPC_SP_OPUS_INFO)
_ALLOWED_ATTRIBUTES = frozenset((*_REQUIRED_ATTRIBUTES, OID_SPC_STATEMENT_TYPE))


def _attribute_problems(node: _Node, indirect: _Node) -> list[str]:
    attributes = _attributes(node, "signed attribute")
    problems = []
    encodings = [encoded for _, _, encoded in attributes]
    width = max(len(e) for e in encodings) if encodings else 0
    if encodings != sorted(encodings, key=lambda e: e.ljust(width, b"\0")):
        problems.append("signed attributes are not in DER (sorted) order")
    oids = [oid for oid, _, _ in attributes]
    values = {oid: vals for oid, vals, _ in attributes}
    if len(set(oids)) != len(oids):
        problems.append("a signed attribute appears more than once")
    if OID_SIGNING_TIME in values:
        problems.append("signingTime present: signatures must be deterministic")
    unexpected = set(oids) - _ALLOWED_ATTRIBUTES - {OID_SIGNING_TIME}
    problems += [f"unexpected signed attribute {o}" for o in sorted(unexpected)]
    missing = [o for o in _REQUIRED_ATTRIBUTES if o not in values]
    problems += [f"missing signed attribute {o}" for o in missing]
    multi = [o for o, v in values.items() if len(v) != 1]
    problems += [f"signed attribute {o} must have exactly one value" for o in multi]
    if missing or multi:
        return problems
    if values[OID_CONTENT_TYPE][0].encoded != _SPC_INDIRECT_DATA_TYPE:
        problems.append("the contentType attribute is not SPC_INDIRECT_DATA")
    expected = hashlib.sha256(indirect.content).digest()
    if (
        _expect(values[OID_MESSAGE_DIGEST][0], _OCTETS, "messageDigest").content
        != expected
    ):
        problems.append("messageDigest does not match SpcIndirectDataContent")
    return problems


def _find_signer(
    pkcs7: _Pkcs7,
) -> tuple[x509.Certificate | None, list[x509.Certificate]]:
    embedded: list[x509.Certificate] = []
    signer_cert = None
    for der in pkcs7.certificates:
        try:
            cert = x509.load_der_x509_certificate(der)
            # cryptography parses these lazily; fail here, not in a later check.
            _ = (cert.subject, cert.issuer, cert.extensions, cert.public_key())
            _ = (cert.not_valid_before_utc, cert.not_valid_after_utc)
        except (ValueError, UnsupportedAlgorithm):
            raise _DerError("an embedded certificate cannot be parsed") from None
        embedded.append(cert)
        if _issuer_and_serial(der) == (pkcs7.signer.issuer, pkcs7.signer.serial):
            signer_cert = cert
    return signer_cert, [c for c in embedded if c is not signer_cert]


def _signature_value_problems(
    cert: x509.Certificate, signer: _SignerInfo, attributes: _Node
) -> list[str]:
    # The signature covers the attributes re-tagged as a SET OF (0x31).
    signed = bytes((_SET,)) + attributes.encoded[1:]
    public_key = cert.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if signer.signature_algorithm != _RSA_ALGORITHM:
                return ["the signature algorithm is not rsaEncryption"]
            public_key.verify(
                signer.signature, signed, padding.PKCS1v15(), hashes.SHA256()
            )
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            if signer.signature_algorithm != _ECDSA_ALGORITHM:
                return ["the signature algorithm is not ecdsa-with-SHA256"]
            public_key.verify(signer.signature, signed, ec.ECDSA(hashes.SHA256()))
        else:
            return ["the signer's key type is not supported"]
    except InvalidSignature:
        return ["the signature does not verify with the signer's certificate"]
    return []


def _leaf_problems(cert: x509.Certificate) -> list[str]:
    name = cert.subject.rfc4514_string()
    problems = []
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CODE_SIGNING not in usages:
            problems.append(f"signer {name!r} is not valid for code signing (EKU)")
    except x509.ExtensionNotFound:
        problems.append(f"signer {name!r} has no Extended Key Usage (Code Signing)")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            problems.append(f"signer {name!r} Key Usage lacks digitalSignature")
    except x509.ExtensionNotFound:
        pass
    return problems


def _unsigned_problems(node: _Node, signature: bytes) -> list[str]:
    problems = []
    for oid, values, _ in _attributes(node, "unsigned attribute"):
        if oid != OID_SPC_RFC3161 or len(values) != 1:
            problems.append(f"unexpected unsigned attribute {oid}")
            continue
        problems += _timestamp_problems(values[0], signature)
    return problems


_HASHES = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def _timestamp_problems(token: _Node, signature: bytes) -> list[str]:
    """Check that the RFC 3161 token covers this signature (its imprint).

    The TSA's own signature and chain are left to osslsigncode's -TSA-CAfile.
    """
    outer = _fields(token, "timestamp token", 2)
    content = _explicit(outer[1], _CTX0, "timestamp token")
    encap = _fields(
        _fields(content, "token SignedData", minimum=4)[2], "token content", 2
    )
    if _oid_text(encap[0]) != OID_TST_INFO:
        return ["the timestamp token does not hold a TSTInfo"]
    tst_octets = _expect(_explicit(encap[1], _CTX0, "TSTInfo"), _OCTETS, "TSTInfo")
    tst_info = _fields(_parse_single(tst_octets.content), "TSTInfo", minimum=5)
    imprint = _fields(tst_info[2], "messageImprint", 2)
    algorithm = _oid_text(_fields(imprint[0], "imprint algorithm", minimum=1)[0])
    name = _HASHES.get(algorithm)
    if name is None:
        return [f"the timestamp imprint uses unsupported hash {algorithm}"]
    expected = hashlib.new(name, signature).digest()
    if _expect(imprint[1], _OCTETS, "imprint").content != expected:
        return ["the timestamp does not cover this signature (imprint mismatch)"]
    return []


def _chain_problems(
    leaf: x509.Certificate,
    embedded: list[x509.Certificate],
    ca: x509.Certificate,
    now: datetime,
) -> list[str]:
    path = _path_to_root(leaf, embedded, ca)
    if path is None:
        return [
            "the certificate chain does not lead to the trusted root "
            f"{ca.subject.rfc4514_string()!r}"
        ]
    problems = []
    for cert in path:
        name = cert.subject.rfc4514_string()
        if now < cert.not_valid_before_utc:
            problems.append(f"certificate {name!r} is not yet valid")
        if now > cert.not_valid_after_utc:
            problems.append(f"certificate {name!r} has expired")
    for cert in path[1:-1]:
        problems += _intermediate_problems(cert)
    return problems


def _path_to_root(
    leaf: x509.Certificate, embedded: list[x509.Certificate], ca: x509.Certificate
) -> list[x509.Certificate] | None:
    """Leaf, intermediates and ``ca``, each issued by the next; None if no path."""
    path = [leaf]
    for _ in range(_MAX_CHAIN):
        current = path[-1]
        if current == ca:  # a self-signed signer trusted directly
            return path
        if _issued_by(current, ca):
            return [*path, ca]
        parent = next(
            (c for c in embedded if c not in path and _issued_by(current, c)), None
        )
        if parent is None:
            return None
        path.append(parent)
    return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _intermediate_problems(cert: x509.Certificate) -> list[str]:
    name = cert.subject.rfc4514_string()
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return [f"intermediate {name!r} is not a CA"]
    except x509.ExtensionNotFound:
        return [f"intermediate {name!r} has no Basic Constraints"]
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    # Windows intersects EKUs down the chain: a restricted CA must allow signing.
    allowed = {
        ExtendedKeyUsageOID.CODE_SIGNING,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    }
    if allowed.isdisjoint(usages):
        return [f"intermediate {name!r} does not allow code signing (EKU)"]
    return []
