"""Authenticode signatures for PowerShell scripts: the format and the signer.

The layout follows docs/authenticode.md (shared docs): the PKCS#7 SignedData is
written with the small DER writer of :mod:`generator.signing.der` so that signing costs
little more than the RSA private-key operation. The block is read back by
:func:`split_signature` and checked by :mod:`generator.signing.verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from generator.errors import SigningError, VerificationError
from generator.render.psdata import SIGNATURE_BEGIN
from generator.signing import der
from generator.signing.certificates import SigningIdentity
from generator.signing.pkcs7 import OID_SIGNED_DATA, issuer_and_serial
from generator.signing.signatures import OID_SHA256

Timestamper = Callable[[bytes], bytes]

BOM = b"\xef\xbb\xbf"
CRLF = b"\r\n"
SIG_BEGIN = SIGNATURE_BEGIN.encode("ascii")
SIG_END = b"# SIG # End signature block"
_MARKER = re.compile(
    b"|".join(re.escape(m) for m in (SIG_BEGIN, SIG_END)), re.IGNORECASE
)
_LONE_CR = re.compile(rb"\r(?!\n)")
LINE_WIDTH = 64  # what osslsigncode, jsign and Windows-made signatures all use

# --------------------------------------------------------------------- OIDs

OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
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


def attribute(oid: str, value: bytes) -> bytes:
    """A CMS Attribute with the one (encoded) ``value``."""
    return der.seq(der.oid(oid), der.tlv(der.SET, value))


_DER_NULL = der.tlv(der.NULL)
SHA256_ALGORITHM = der.seq(der.oid(OID_SHA256), _DER_NULL)
RSA_ALGORITHM = der.seq(der.oid(OID_RSA_ENCRYPTION), _DER_NULL)
ECDSA_ALGORITHM = der.seq(der.oid(OID_ECDSA_SHA256))  # parameters absent (RFC 5758)
_SPC_SIP_INFO = der.seq(
    der.integer(SIP_VERSION), der.octets(POWERSHELL_SIP_GUID), *[der.integer(0)] * 5
)
SPC_DATA = der.seq(der.oid(OID_SPC_SIPINFO), _SPC_SIP_INFO)
_VERSION_1 = der.integer(1)
_DIGEST_ALGORITHMS = der.set_of([SHA256_ALGORITHM])
SPC_INDIRECT_DATA_TYPE = der.oid(OID_SPC_INDIRECT_DATA)
_SIGNED_DATA_TYPE = der.oid(OID_SIGNED_DATA)
# Windows-made signatures carry contentType, an empty SpcSpOpusInfo and
# messageDigest; SpcStatementType "individual" is what signtool adds. No
# signingTime: it would make every signature differ (design: byte-stable output).
_STATIC_ATTRIBUTES = (
    attribute(OID_CONTENT_TYPE, SPC_INDIRECT_DATA_TYPE),
    attribute(OID_SPC_SP_OPUS_INFO, der.seq()),
    attribute(OID_SPC_STATEMENT_TYPE, der.seq(der.oid(OID_SPC_INDIVIDUAL))),
)
_BLOCK_HEAD = CRLF + SIG_BEGIN + CRLF
_BLOCK_TAIL = SIG_END + CRLF
_LINE_BREAK = CRLF + b"# "


def file_digest(body: bytes) -> bytes:
    """SHA-256 of ``body`` as the PowerShell SIP hashes it.

    The text is hashed as UTF-16LE, with the UTF-8 BOM kept as U+FEFF.

    Raises:
        UnicodeDecodeError: ``body`` is not UTF-8.
    """
    return hashlib.sha256(body.decode("utf-8").encode("utf-16-le")).digest()


def spc_indirect_data(digest: bytes) -> bytes:
    """The DER SpcIndirectDataContent for a PowerShell file digest (SHA-256)."""
    return der.tlv(der.SEQUENCE, _indirect_content(digest))


def _indirect_content(digest: bytes) -> bytes:
    return SPC_DATA + der.seq(SHA256_ALGORITHM, der.octets(digest))


# The SpcIndirectDataContent up to the digest's 32 bytes (its OCTET STRING's tag
# and length included): every length in it is fixed by SHA-256's 32 bytes.
SHA256_SIZE = 32
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_INDIRECT_HEAD = _indirect_content(bytes(SHA256_SIZE))[:-SHA256_SIZE]


def _attributes(content_hash: bytes) -> bytes:
    """The signed attributes as the SET OF the signature covers."""
    return der.set_of(
        [*_STATIC_ATTRIBUTES, attribute(OID_MESSAGE_DIGEST, der.octets(content_hash))]
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    """A SignedData whose only varying parts are three values of fixed length."""

    pieces: tuple[bytes, bytes, bytes, bytes]
    signature_size: int
    # The signed attributes around the message digest's 32 bytes.
    attributes_head: bytes
    attributes_tail: bytes

    def fill(self, digest: bytes, content_hash: bytes, signature: bytes) -> bytes:
        first, second, third, last = self.pieces
        return first + digest + second + content_hash + third + signature + last


# ------------------------------------------------------------------- signer


class AuthenticodeSigner:
    """Signs PowerShell scripts with one identity, loaded once by the caller."""

    def __init__(
        self, identity: SigningIdentity, timestamper: Timestamper | None = None
    ) -> None:
        """Precompute everything that does not depend on the script.

        ``timestamper``, when given, receives the signature value and returns an
        RFC 3161 TimeStampToken (see :mod:`generator.signing.timestamp`).

        Raises:
            SigningError: the key does not match the certificate.
        """
        if not identity.key_matches:
            raise SigningError(
                f"the private key does not match the certificate {identity.subject!r}"
            )
        key, cert = identity.key, identity.certificate
        self._key = key
        self._timestamper = timestamper
        self._algorithm = (
            RSA_ALGORITHM if isinstance(key, rsa.RSAPrivateKey) else ECDSA_ALGORITHM
        )
        leaf_der = cert.public_bytes(serialization.Encoding.DER)
        issuer, serial = issuer_and_serial(leaf_der)
        self._signer_head = _VERSION_1 + der.seq(issuer, serial) + SHA256_ALGORITHM
        # Signer first, then the intermediates (PowerShell's
        # AddFullCertificateChainExceptRoot); the root is never embedded.
        chain = [c.public_bytes(serialization.Encoding.DER) for c in identity.chain]
        self._certificates = der.tlv(der.CTX0, leaf_der, *chain)
        self._layout = self._fixed_layout()

    def sign(self, script: bytes) -> bytes:
        """Return ``script`` followed by its Authenticode signature block.

        ``script`` must be UTF-8 with BOM, use CRLF only, end with CRLF and hold
        no signature block. Without a timestamper the result is deterministic.

        Raises:
            SigningError: the input is not in that form, or timestamping failed.
        """
        text = _check_unsigned(script)
        digest = hashlib.sha256(text.encode("utf-16-le")).digest()
        return script + self.block(digest)

    def block(self, digest: bytes) -> bytes:
        """The signature block of a script whose Authenticode SHA-256 (over its
        UTF-16LE text) is ``digest``; the caller has checked the script."""
        if len(digest) != SHA256_SIZE:
            msg = f"an Authenticode SHA-256 digest has 32 bytes, not {len(digest)}"
            raise ValueError(msg)
        content = _INDIRECT_HEAD + digest
        # Authenticode's messageDigest covers the SpcIndirectDataContent without
        # its own tag and length (osslsigncode helpers.c), unlike plain CMS.
        content_hash = hashlib.sha256(content).digest()
        layout = self._layout
        if layout is None:
            attributes = _attributes(content_hash)
            signature = self._signature(attributes)
            return format_block(self._assemble(content, attributes, signature))
        attributes = layout.attributes_head + content_hash + layout.attributes_tail
        signature = self._signature(attributes)
        if len(signature) != layout.signature_size:
            return format_block(self._assemble(content, attributes, signature))
        return format_block(layout.fill(digest, content_hash, signature))

    def _assemble(self, content: bytes, attributes: bytes, signature: bytes) -> bytes:
        """The PKCS#7 SignedData (DER) around a signature of ``attributes``."""
        signer_info = der.seq(
            self._signer_head,
            # The signature covers the attributes as a SET OF (0x31); they are
            # stored under the [0] IMPLICIT tag (0xA0).
            der.retag(der.CTX0, attributes),
            self._algorithm,
            der.octets(signature),
            self._unsigned_attributes(signature),
        )
        signed_data = der.seq(
            _VERSION_1,
            _DIGEST_ALGORITHMS,
            # [0] EXPLICIT around a SEQUENCE, not an OCTET STRING (PKCS#7 v1.5).
            der.seq(
                SPC_INDIRECT_DATA_TYPE,
                der.tlv(der.CTX0, der.tlv(der.SEQUENCE, content)),
            ),
            self._certificates,
            der.tlv(der.SET, signer_info),
        )
        return der.seq(_SIGNED_DATA_TYPE, der.tlv(der.CTX0, signed_data))

    def _fixed_layout(self) -> _Layout | None:
        """Where the three per-script values sit in the SignedData, when nothing
        else varies: an RSA signature without a timestamp (PKCS#1 v1.5 gives
        exactly the modulus length). Then every length in the DER is the same
        for every script, and a block is the precomputed bytes with the digest,
        the content hash and the signature put in (``_Layout.fill``); anything
        else is assembled each time."""
        if self._timestamper is not None or not isinstance(
            self._key, rsa.RSAPrivateKey
        ):
            return None
        size = (self._key.key_size + 7) // 8
        for marks in (b"\xd1\xd2\xd3", b"\x5a\x6b\x7c", b"\x8e\x9f\xa1"):
            layout = self._layout_by_markers(size, marks)
            if layout is not None:
                return layout
        return None

    def _layout_by_markers(self, size: int, marks: bytes) -> _Layout | None:
        """The layout found by assembling with three marker values, or None when
        the markers cannot place the values unambiguously.

        A marker must occur exactly once; and a fixed byte next to a value could
        still equal the marker's byte (a length byte does, for some key sizes)
        and shift the split by one, so the layout is accepted only when filling
        it gives exactly the assembled SignedData for two other sets of values.
        """
        digest, content_hash = bytes([marks[0]]) * 32, bytes([marks[1]]) * 32
        signature = bytes([marks[2]]) * size
        attributes = _attributes(content_hash)
        encoded = self._assemble(_INDIRECT_HEAD + digest, attributes, signature)
        pieces = []
        rest = encoded
        for marker in (digest, content_hash, signature):
            if rest.count(marker) != 1:
                return None
            before, rest = rest.split(marker)
            pieces.append(before)
        first, second, third = pieces
        head, _, tail = attributes.partition(content_hash)
        layout = _Layout((first, second, third, rest), size, head, tail)
        for value in (0x00, 0xFF):
            digest, content_hash = bytes([value]) * 32, bytes([value ^ 0x0F]) * 32
            signature = bytes([value ^ 0xF0]) * size
            # DER sorts the attributes by their encoding: the message digest's
            # place among them must not depend on its value either.
            attributes = _attributes(content_hash)
            if attributes != head + content_hash + tail:
                return None
            assembled = self._assemble(_INDIRECT_HEAD + digest, attributes, signature)
            if layout.fill(digest, content_hash, signature) != assembled:
                return None
        return layout

    def _signature(self, data: bytes) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            # PKCS#1 v1.5 is deterministic, which keeps re-signing byte-stable.
            return self._key.sign(data, _PKCS1V15, _SHA256)
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
            der.parse_single(token)
        except der.DerError:
            raise SigningError("the timestamp token is not a DER structure") from None
        return der.tlv(der.CTX1, attribute(OID_SPC_RFC3161, token))


def _check_unsigned(script: bytes) -> str:
    if not script.startswith(BOM):
        raise SigningError("the script is not UTF-8 with a byte order mark")
    if not crlf_only(script):
        raise SigningError("the script has line endings other than CRLF")
    if not script.endswith(CRLF):
        raise SigningError("the script does not end with CRLF")
    if has_marker(script):
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


def crlf_only(data: bytes) -> bool:
    """Whether every line break in ``data`` is CRLF (no lone CR or LF)."""
    # As many CRs as LFs, and every CR followed by an LF: then each LF is the end
    # of a CRLF. Two one-byte counts and a prefix search are about twice as fast
    # as counting the two-byte CRLF (signing cost is measured per script size).
    return data.count(b"\r") == data.count(b"\n") and _LONE_CR.search(data) is None


def has_marker(data: bytes) -> bool:
    """Whether ``data`` contains a signature block marker line's text."""
    # Readers take the first marker line as the start of the block, so the body
    # must never contain it; compared without case to be safe.
    return _MARKER.search(data) is not None


# -------------------------------------------------------------------- block


def format_block(pkcs7: bytes) -> bytes:
    """The comment block carrying ``pkcs7``: CRLF framing, 64-column base64."""
    encoded = base64.b64encode(pkcs7)
    lines = [encoded[i : i + LINE_WIDTH] for i in range(0, len(encoded), LINE_WIDTH)]
    # Each line "# " + base64 + CRLF, joined in one pass.
    return b"".join((_BLOCK_HEAD, b"# ", _LINE_BREAK.join(lines), CRLF, _BLOCK_TAIL))


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
        decoded = binascii.a2b_base64(encoded, strict_mode=True)
    except binascii.Error:
        raise VerificationError("signature block: invalid base64") from None
    # Non-canonical base64 (stray bits in the last character) would decode to the
    # same DER, letting an edited file pass; insist on the one true encoding.
    if base64.b64encode(decoded) != encoded:
        raise VerificationError("signature block: base64 is not canonical")
    return decoded
