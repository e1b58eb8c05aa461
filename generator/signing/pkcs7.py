"""The PKCS#7 SignedData of a signature, read with the strict DER reader.

Only the single-signer form Authenticode uses is accepted; the fields are kept
as their exact encodings so the verifier can compare them byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.signing import der

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"


@dataclass(frozen=True)
class SignerInfo:
    """The one SignerInfo of a signature."""

    version: int
    issuer: bytes
    serial: bytes
    digest_algorithm: bytes
    attributes: der.Node | None
    signature_algorithm: bytes
    signature: bytes
    unsigned: der.Node | None


@dataclass(frozen=True)
class SignedData:
    """A ContentInfo holding SignedData, with its encapsulated content."""

    version: int
    digest_algorithms: list[bytes]
    content_type: str
    indirect: der.Node
    certificates: list[bytes]
    has_crls: bool
    signer: SignerInfo


def parse_signed_data(data: bytes) -> SignedData:
    """Read a DER ContentInfo of type signedData with exactly one signer.

    Raises:
        der.DerError: ``data`` is not that structure in strict DER.
    """
    outer = der.fields(der.parse_single(data), "ContentInfo", 2)
    if der.oid_text(outer[0]) != OID_SIGNED_DATA:
        raise der.DerError("ContentInfo: not signedData")
    content = der.explicit(outer[1], der.CTX0, "ContentInfo content")
    fields = der.fields(content, "SignedData", minimum=4)
    version = der.small_int(fields[0])
    algorithms = [
        a.encoded for a in der.expect(fields[1], der.SET, "digestAlgorithms").children()
    ]
    encap = der.fields(fields[2], "contentInfo", 2)
    indirect = der.explicit(encap[1], der.CTX0, "contentInfo content")
    rest = fields[3:]
    certificates: list[bytes] = []
    if rest and rest[0].tag == der.CTX0:
        certificates = [c.encoded for c in rest.pop(0).children()]
    has_crls = bool(rest) and rest[0].tag == der.CTX1
    if has_crls:
        rest.pop(0)
    if len(rest) != 1:
        raise der.DerError("SignedData: unexpected fields after certificates")
    signers = der.expect(rest[0], der.SET, "signerInfos").children()
    if len(signers) != 1:
        raise der.DerError(f"SignedData: {len(signers)} signers, expected exactly one")
    return SignedData(
        version,
        algorithms,
        der.oid_text(encap[0]),
        indirect,
        certificates,
        has_crls,
        _parse_signer(signers[0]),
    )


def _parse_signer(node: der.Node) -> SignerInfo:
    fields = der.fields(node, "SignerInfo", minimum=5)
    version = der.small_int(fields[0])
    sid = der.fields(fields[1], "issuerAndSerialNumber", 2)
    digest_algorithm = der.expect(fields[2], der.SEQUENCE, "digestAlgorithm").encoded
    rest = fields[3:]
    attributes = rest.pop(0) if rest[0].tag == der.CTX0 else None
    if len(rest) < 2:
        raise der.DerError("SignerInfo: too few fields")
    algorithm = der.expect(rest[0], der.SEQUENCE, "signatureAlgorithm").encoded
    signature = der.expect(rest[1], der.OCTETS, "signature").content
    unsigned = None
    if len(rest) == 3:
        unsigned = der.expect(rest[2], der.CTX1, "unsignedAttributes")
    elif len(rest) > 3:
        raise der.DerError("SignerInfo: unexpected trailing fields")
    return SignerInfo(
        version,
        der.expect(sid[0], der.SEQUENCE, "issuer").encoded,
        der.expect(sid[1], der.INTEGER, "serial number").encoded,
        digest_algorithm,
        attributes,
        algorithm,
        signature,
        unsigned,
    )


def attributes(node: der.Node, what: str) -> list[tuple[str, list[der.Node], bytes]]:
    """(OID, values, encoding) of each attribute in a [0]/[1] attribute set."""
    parsed = []
    for attribute in node.children():
        fields = der.fields(attribute, what, 2)
        values = der.expect(fields[1], der.SET, f"{what} values").children()
        parsed.append((der.oid_text(fields[0]), values, attribute.encoded))
    return parsed


def issuer_and_serial(cert_der: bytes) -> tuple[bytes, bytes]:
    """The issuer Name and serial INTEGER encodings exactly as in the certificate."""
    outer = der.fields(der.parse_single(cert_der), "certificate", 3)
    tbs = der.fields(outer[0], "tbsCertificate")
    if tbs and tbs[0].tag == der.CTX0:  # explicit version
        tbs = tbs[1:]
    if len(tbs) < 3:
        raise der.DerError("tbsCertificate: too few fields")
    return tbs[2].encoded, der.expect(tbs[0], der.INTEGER, "serial number").encoded
