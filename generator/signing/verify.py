"""Signed PowerShell scripts checked as Windows would, plus drgen's format rules.

The signature block is read by a strict DER reader (:mod:`generator.signing.der`,
:mod:`generator.signing.pkcs7`), separate from the writer that made it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from generator.errors import VerificationError
from generator.signing import der
from generator.signing.authenticode import (
    BOM,
    CRLF,
    ECDSA_ALGORITHM,
    OID_CONTENT_TYPE,
    OID_MESSAGE_DIGEST,
    OID_SIGNING_TIME,
    OID_SPC_INDIRECT_DATA,
    OID_SPC_RFC3161,
    OID_SPC_SP_OPUS_INFO,
    OID_SPC_STATEMENT_TYPE,
    OID_TST_INFO,
    RSA_ALGORITHM,
    SHA256_ALGORITHM,
    SPC_DATA,
    SPC_INDIRECT_DATA_TYPE,
    crlf_only,
    file_digest,
    has_marker,
    split_signature,
)
from generator.signing.certificates import allows_digital_signature, extended_key_usages
from generator.signing.pkcs7 import (
    SignedData,
    SignerInfo,
    attributes,
    issuer_and_serial,
    parse_signed_data,
)
from generator.signing.signatures import HASHES, digest, signature_verifies

_MAX_CHAIN = 8
_REQUIRED_ATTRIBUTES = (OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SPC_SP_OPUS_INFO)
_ALLOWED_ATTRIBUTES = frozenset((*_REQUIRED_ATTRIBUTES, OID_SPC_STATEMENT_TYPE))


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
        body, signature_der = split_signature(data)
    except VerificationError as exc:
        return [exc.message]
    problems = _body_problems(body)
    if signature_der is None:
        return [*problems, "no signature block"]
    try:
        pkcs7 = parse_signed_data(signature_der)
        problems += _signature_problems(body, pkcs7, ca, now or datetime.now(UTC))
    except der.DerError as exc:
        problems.append(f"signature: {exc}")
    return problems


def _body_problems(body: bytes) -> list[str]:
    problems = []
    if not body.startswith(BOM):
        problems.append("the script does not start with a UTF-8 byte order mark")
    if not crlf_only(body):
        problems.append("the script body has line endings other than CRLF")
    if not body.endswith(CRLF):
        problems.append("the script body does not end with CRLF")
    if has_marker(body):
        problems.append("the script body contains signature marker text")
    return problems


def _signature_problems(
    body: bytes, pkcs7: SignedData, ca: x509.Certificate | None, now: datetime
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


def _layout_problems(pkcs7: SignedData) -> list[str]:
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


def _digest_problems(body: bytes, indirect: der.Node) -> list[str]:
    fields = der.fields(indirect, "SpcIndirectDataContent", 2)
    problems = []
    if fields[0].encoded != SPC_DATA:
        problems.append("SpcSipInfo is not the PowerShell SIP (version 65536, GUID)")
    digest_info = der.fields(fields[1], "DigestInfo", 2)
    if digest_info[0].encoded != SHA256_ALGORITHM:
        return [*problems, "the file digest is not SHA-256"]
    signed_digest = der.expect(digest_info[1], der.OCTETS, "file digest").content
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


def _attribute_problems(node: der.Node, indirect: der.Node) -> list[str]:
    signed = attributes(node, "signed attribute")
    problems = []
    encodings = [encoded for _, _, encoded in signed]
    if encodings != der.der_sorted(encodings):
        problems.append("signed attributes are not in DER (sorted) order")
    oids = [oid for oid, _, _ in signed]
    values = {oid: vals for oid, vals, _ in signed}
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
    if values[OID_CONTENT_TYPE][0].encoded != SPC_INDIRECT_DATA_TYPE:
        problems.append("the contentType attribute is not SPC_INDIRECT_DATA")
    expected = hashlib.sha256(indirect.content).digest()
    message_digest = values[OID_MESSAGE_DIGEST][0]
    if der.expect(message_digest, der.OCTETS, "messageDigest").content != expected:
        problems.append("messageDigest does not match SpcIndirectDataContent")
    return problems


def _find_signer(
    pkcs7: SignedData,
) -> tuple[x509.Certificate | None, list[x509.Certificate]]:
    embedded: list[x509.Certificate] = []
    signer_cert = None
    for cert_der in pkcs7.certificates:
        try:
            cert = x509.load_der_x509_certificate(cert_der)
            # cryptography parses these lazily; fail here, not in a later check.
            _ = (cert.subject, cert.issuer, cert.extensions, cert.public_key())
            _ = (cert.not_valid_before_utc, cert.not_valid_after_utc)
        except (ValueError, UnsupportedAlgorithm):
            raise der.DerError("an embedded certificate cannot be parsed") from None
        embedded.append(cert)
        if issuer_and_serial(cert_der) == (pkcs7.signer.issuer, pkcs7.signer.serial):
            signer_cert = cert
    return signer_cert, [c for c in embedded if c is not signer_cert]


def _signature_value_problems(
    cert: x509.Certificate, signer: SignerInfo, signed_attributes: der.Node
) -> list[str]:
    # The signature covers the attributes re-tagged as a SET OF (0x31).
    signed = der.retag(der.SET, signed_attributes.encoded)
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        if signer.signature_algorithm != RSA_ALGORITHM:
            return ["the signature algorithm is not rsaEncryption"]
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        if signer.signature_algorithm != ECDSA_ALGORITHM:
            return ["the signature algorithm is not ecdsa-with-SHA256"]
    else:
        return ["the signer's key type is not supported"]
    if not signature_verifies(public_key, signer.signature, signed, hashes.SHA256()):
        return ["the signature does not verify with the signer's certificate"]
    return []


def _leaf_problems(cert: x509.Certificate) -> list[str]:
    name = cert.subject.rfc4514_string()
    problems = []
    usages = extended_key_usages(cert)
    if usages is None:
        problems.append(f"signer {name!r} has no Extended Key Usage (Code Signing)")
    elif ExtendedKeyUsageOID.CODE_SIGNING not in usages:
        problems.append(f"signer {name!r} is not valid for code signing (EKU)")
    if not allows_digital_signature(cert):
        problems.append(f"signer {name!r} Key Usage lacks digitalSignature")
    return problems


def _unsigned_problems(node: der.Node, signature: bytes) -> list[str]:
    problems = []
    for oid, values, _ in attributes(node, "unsigned attribute"):
        if oid != OID_SPC_RFC3161 or len(values) != 1:
            problems.append(f"unexpected unsigned attribute {oid}")
            continue
        problems += _timestamp_problems(values[0], signature)
    return problems


def _timestamp_problems(token: der.Node, signature: bytes) -> list[str]:
    """Check that the RFC 3161 token covers this signature (its imprint).

    The TSA's own signature and chain are left to osslsigncode's -TSA-CAfile.
    """
    outer = der.fields(token, "timestamp token", 2)
    content = der.explicit(outer[1], der.CTX0, "timestamp token")
    encap = der.fields(
        der.fields(content, "token SignedData", minimum=4)[2], "token content", 2
    )
    if der.oid_text(encap[0]) != OID_TST_INFO:
        return ["the timestamp token does not hold a TSTInfo"]
    tst_octets = der.expect(
        der.explicit(encap[1], der.CTX0, "TSTInfo"), der.OCTETS, "TSTInfo"
    )
    tst_info = der.fields(der.parse_single(tst_octets.content), "TSTInfo", minimum=5)
    imprint = der.fields(tst_info[2], "messageImprint", 2)
    algorithm = der.oid_text(der.fields(imprint[0], "imprint algorithm", minimum=1)[0])
    hash_algorithm = HASHES.get(algorithm)
    if hash_algorithm is None:
        return [f"the timestamp imprint uses unsupported hash {algorithm}"]
    expected = digest(hash_algorithm(), signature)
    if der.expect(imprint[1], der.OCTETS, "imprint").content != expected:
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
    usages = extended_key_usages(cert)
    if usages is None:
        return []
    # Windows intersects EKUs down the chain: a restricted CA must allow signing.
    allowed = {
        ExtendedKeyUsageOID.CODE_SIGNING,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    }
    if allowed.isdisjoint(usages):
        return [f"intermediate {name!r} does not allow code signing (EKU)"]
    return []
