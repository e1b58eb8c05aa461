"""Hash algorithms by OID and the RSA/ECDSA signature check.

Shared by the Authenticode verifier and the timestamp client, which check CMS
signatures the same way: PKCS#1 v1.5 for RSA keys, ECDSA for elliptic curves.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_SHA384 = "2.16.840.1.101.3.4.2.2"
OID_SHA512 = "2.16.840.1.101.3.4.2.3"

# The digest algorithms a signature or timestamp imprint may use, by OID.
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    OID_SHA256: hashes.SHA256,
    OID_SHA384: hashes.SHA384,
    OID_SHA512: hashes.SHA512,
}

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    """The ``algorithm`` hash of ``data``."""
    hasher = hashes.Hash(algorithm)
    hasher.update(data)
    return hasher.finalize()


def signature_verifies(
    key: PublicKey, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm
) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``data``.

    RSA signatures are PKCS#1 v1.5, elliptic-curve ones ECDSA, both over the
    ``algorithm`` hash.
    """
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            key.verify(signature, data, ec.ECDSA(algorithm))
    except (InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
