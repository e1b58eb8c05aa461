"""Code-signing identities: loading, checking and the development certificate."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from generator.errors import SigningError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

MIN_RSA_BITS = 2048
# Curves Windows' CNG accepts for ECDSA code signing.
ALLOWED_CURVES = ("secp256r1", "secp384r1", "secp521r1")
# Long enough to renew and re-sign a bundle that sits unused between DR tests.
EXPIRY_WARNING = timedelta(days=180)

DEV_COMMON_NAME = "drgen development code signing (evaluation only)"
DEV_KEY_FILE = "dev-signing.key.pem"
DEV_CERT_FILE = "dev-signing.cert.pem"
DEV_VALIDITY = timedelta(days=5 * 365)
# Backdated so a server whose clock lags the build host still sees it as valid.
DEV_BACKDATE = timedelta(days=1)

_PFX_SUFFIXES = frozenset({".pfx", ".p12"})


@dataclass(frozen=True)
class SigningIdentity:
    """A private key, its code-signing certificate and the intermediates to embed."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        """The signer's subject in RFC 4514 form."""
        return self.certificate.subject.rfc4514_string()

    @property
    def thumbprint(self) -> str:
        """SHA-1 of the certificate DER in upper-case hex, as Windows shows it."""
        # SHA-1 is what certmgr and Get-AuthenticodeSignature display; not security.
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303

    @property
    def not_after(self) -> datetime:
        """End of the certificate's validity (UTC)."""
        return self.certificate.not_valid_after_utc

    @property
    def key_matches(self) -> bool:
        """Whether the private key belongs to the certificate."""
        return _spki(self.key.public_key()) == _spki(self.certificate.public_key())


# ---------------------------------------------------------------- loading


def load_identity(
    cert: Path, key: Path | None = None, password: bytes | None = None
) -> SigningIdentity:
    """Load a signing identity from a PFX/P12 file or from PEM certificate and key.

    ``cert`` may be a ``.pfx``/``.p12`` (key, certificate and chain in one file) or
    a PEM bundle holding the signing certificate and its intermediates. ``key`` is
    the PEM or DER private key; without it the key is looked for in ``cert``
    (a PFX always carries its own key, so ``key`` is ignored for one).
    ``password`` decrypts the PFX or the key. Roots (self-signed certificates)
    are never put in the chain.

    Raises:
        SigningError: naming the file, when it cannot be read or decrypted, holds
            no usable key or certificate, or the key does not match a certificate.
    """
    data = _read(cert)
    if cert.suffix.lower() in _PFX_SUFFIXES:
        private_key, certificates = _load_pkcs12(cert, data, password)
    else:
        certificates = _load_certificates(cert, data)
        key_path = key or cert
        key_data = data if key is None else _read(key)
        private_key = _load_private_key(key_path, key_data, password)
    leaf = _matching_certificate(private_key, certificates)
    if leaf is None:
        raise SigningError(
            f"{key or cert}: the private key does not match any certificate in {cert}"
        )
    others = [c for c in certificates if c != leaf]
    return SigningIdentity(private_key, leaf, build_chain(leaf, others))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _load_pkcs12(
    path: Path, data: bytes, password: bytes | None
) -> tuple[PrivateKey, list[x509.Certificate]]:
    try:
        bundle = pkcs12.load_pkcs12(data, password)
    except (ValueError, TypeError):
        # cryptography cannot tell a wrong password from a damaged file.
        raise SigningError(
            f"{path}: cannot open the PKCS#12 file (wrong or missing password, "
            "or not a PKCS#12 file)"
        ) from None
    except UnsupportedAlgorithm:
        raise SigningError(
            f"{path}: the PKCS#12 file uses an unsupported encryption"
        ) from None
    if bundle.key is None:
        raise SigningError(f"{path}: the PKCS#12 file holds no private key")
    if bundle.cert is None:
        raise SigningError(f"{path}: the PKCS#12 file holds no certificate")
    certificates = [bundle.cert.certificate]
    certificates += [c.certificate for c in bundle.additional_certs]
    return _checked_key_type(path, bundle.key), certificates


def _load_certificates(path: Path, data: bytes) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise SigningError(f"{path}: no readable certificate (PEM or DER)") from None


def _load_private_key(path: Path, data: bytes, password: bytes | None) -> PrivateKey:
    try:
        if b"-----BEGIN" in data:
            if b"PRIVATE KEY-----" not in data:
                raise SigningError(
                    f"{path}: no private key found; give the key file as well"
                )
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except TypeError:
        # Raised both for "encrypted, no password" and "not encrypted, password".
        hint = (
            "it is encrypted: give its password"
            if password is None
            else ("it is not encrypted: give no password")
        )
        raise SigningError(f"{path}: cannot load the private key; {hint}") from None
    except ValueError:
        raise SigningError(
            f"{path}: cannot load the private key (wrong password or not a key)"
        ) from None
    except UnsupportedAlgorithm:
        raise SigningError(f"{path}: unsupported private key type") from None
    return _checked_key_type(path, key)


def _checked_key_type(path: Path, key: object) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise SigningError(f"{path}: only RSA and ECDSA keys can sign Authenticode")


def _matching_certificate(
    key: PrivateKey, certificates: list[x509.Certificate]
) -> x509.Certificate | None:
    wanted = _spki(key.public_key())
    return next((c for c in certificates if _spki(c.public_key()) == wanted), None)


def _spki(public_key: object) -> bytes:
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def is_self_signed(certificate: x509.Certificate) -> bool:
    """True when the certificate names itself as issuer (a root or a lone cert)."""
    return certificate.issuer == certificate.subject


def build_chain(
    leaf: x509.Certificate, candidates: list[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """Order the intermediates from ``leaf`` upwards, leaving out every root.

    PowerShell's default ``AddFullCertificateChainExceptRoot`` embeds exactly
    these; certificates not on the path to a root are dropped.
    """
    pool = [c for c in candidates if not is_self_signed(c) and c != leaf]
    chain: list[x509.Certificate] = []
    current = leaf
    while not is_self_signed(current):
        parent = next((c for c in pool if c.subject == current.issuer), None)
        if parent is None or parent in chain:
            break
        chain.append(parent)
        current = parent
    return tuple(chain)


# ---------------------------------------------------------------- checking


def check_identity(
    identity: SigningIdentity, now: datetime, timestamped: bool
) -> list[str]:
    """Refuse an identity Windows would not accept for signing; return warnings.

    Raises:
        SigningError: no Code Signing EKU, keyUsage without digitalSignature, key
            and certificate mismatch, certificate (or an intermediate) expired or
            not yet valid, RSA key shorter than 2048 bits or an unusual curve.
    """
    now = _as_utc(now)
    cert = identity.certificate
    who = f"signing certificate {identity.subject!r}"
    if not identity.key_matches:
        raise SigningError(f"the private key does not match the {who}")
    _require_code_signing_eku(cert, who)
    if not allows_digital_signature(cert):
        raise SigningError(f"{who} has a Key Usage without digitalSignature")
    _require_key_strength(identity.key, who)
    for certificate in (cert, *identity.chain):
        _require_valid_at(certificate, now)

    warnings: list[str] = []
    remaining = cert.not_valid_after_utc - now
    if not timestamped and remaining < EXPIRY_WARNING:
        warnings.append(
            f"{who} expires on {cert.not_valid_after_utc:%Y-%m-%d} "
            f"({remaining.days} days left); without a timestamp its signatures stop "
            "validating then: renew it and re-sign before"
        )
    if isinstance(identity.key, ec.EllipticCurvePrivateKey):
        warnings.append(
            f"{who} has an ECDSA key; it is untested on the target Windows servers, "
            "prefer RSA"
        )
    for certificate in (cert, *identity.chain):
        urls = revocation_urls(certificate)
        if urls:
            warnings.append(
                f"certificate {certificate.subject.rfc4514_string()!r} names "
                f"revocation/issuer URLs ({', '.join(urls)}) that air-gapped servers "
                "cannot reach; test on a pilot server first"
            )
    return warnings


def _as_utc(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC: certificate times are UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _require_code_signing_eku(cert: x509.Certificate, who: str) -> None:
    # PowerShell's CertIsGoodForSigning refuses a missing EKU extension too.
    usages = extended_key_usages(cert)
    if usages is None:
        raise SigningError(
            f"{who} has no Extended Key Usage extension; it needs Code Signing "
            "(1.3.6.1.5.5.7.3.3)"
        )
    if ExtendedKeyUsageOID.CODE_SIGNING not in usages:
        raise SigningError(
            f"{who} is not valid for code signing (its Extended Key Usage lacks "
            "1.3.6.1.5.5.7.3.3)"
        )


def extended_key_usages(cert: x509.Certificate) -> x509.ExtendedKeyUsage | None:
    """The certificate's Extended Key Usage, or None when it has no such extension."""
    try:
        return cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None


def allows_digital_signature(cert: x509.Certificate) -> bool:
    """False only when a Key Usage extension leaves out digitalSignature."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage.digital_signature


def _require_key_strength(key: PrivateKey, who: str) -> None:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise SigningError(
                f"{who} has a {key.key_size}-bit RSA key; at least {MIN_RSA_BITS} "
                "bits are required"
            )
    elif key.curve.name not in ALLOWED_CURVES:
        raise SigningError(f"{who} uses the unsupported curve {key.curve.name}")


def _require_valid_at(cert: x509.Certificate, now: datetime) -> None:
    name = cert.subject.rfc4514_string()
    if now < cert.not_valid_before_utc:
        raise SigningError(
            f"certificate {name!r} is not valid before "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC"
        )
    if now > cert.not_valid_after_utc:
        raise SigningError(
            f"certificate {name!r} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC"
        )


def revocation_urls(cert: x509.Certificate) -> list[str]:
    """CRL distribution point and AIA (OCSP, CA issuers) URLs named by ``cert``."""
    urls: list[str] = []
    for ext in cert.extensions:
        if isinstance(ext.value, x509.CRLDistributionPoints):
            for point in ext.value:
                urls += _uris(point.full_name or [])
        elif isinstance(ext.value, x509.AuthorityInformationAccess):
            urls += _uris(d.access_location for d in ext.value)
    return urls


def _uris(names: Iterable[x509.GeneralName]) -> list[str]:
    return [n.value for n in names if isinstance(n, x509.UniformResourceIdentifier)]


# ---------------------------------------------------------------- development


def ensure_dev_identity(folder: Path, now: datetime) -> tuple[SigningIdentity, bool]:
    """Create the self-signed development identity once, then reuse it.

    The key and certificate are PEM files in ``folder`` (the key with mode 0600).
    A missing or expired pair is (re)generated; the flag is True when that
    happened in this call.

    Raises:
        SigningError: the folder cannot be written, or stored files are unreadable
            or do not belong together (delete them to start over).
    """
    now = _as_utc(now)
    key_path, cert_path = folder / DEV_KEY_FILE, folder / DEV_CERT_FILE
    if key_path.exists() and cert_path.exists():
        identity = load_identity(cert_path, key_path)
        if identity.not_after > now:
            return identity, False
    identity = _make_dev_identity(now)
    _write_dev_identity(folder, key_path, cert_path, identity)
    return identity, True


def _make_dev_identity(now: datetime) -> SigningIdentity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEV_COMMON_NAME)])
    start = now.replace(microsecond=0) - DEV_BACKDATE
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + DEV_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(_digital_signature_only(), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(key, cert, ())


def _digital_signature_only() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _write_dev_identity(
    folder: Path, key_path: Path, cert_path: Path, identity: SigningIdentity
) -> None:
    key_pem = identity.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = identity.certificate.public_bytes(serialization.Encoding.PEM)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Key first: a crash in between leaves no certificate, so the next call
        # regenerates instead of pairing a new certificate with an old key.
        cert_path.unlink(missing_ok=True)
        _write_private(key_path, key_pem)
        _write_private(cert_path, cert_pem, mode=0o644)
    except OSError as exc:
        raise SigningError(
            f"{folder}: cannot write the development identity: {exc.strerror or exc}"
        ) from None


def _write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    # Created with its final mode (never briefly world-readable), then renamed
    # into place so a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as stream:
        os.fchmod(stream.fileno(), mode)
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    try:
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
