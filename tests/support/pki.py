"""Throwaway test PKI built with cryptography: CAs, good and bad leaves, TSA, PFX.

Everything is generated in memory once per test session (RSA key generation is
the slow part) and valid relative to the real clock, because osslsigncode
verifies at the current time. Also holds the osslsigncode oracle helpers shared
by the signing tests.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
)

from generator.signing.certificates import SigningIdentity

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# Throwaway password for the test PFX and encrypted PEM; never a real secret.
PFX_PASSWORD = b"correct horse battery staple"
CRL_URL = "http://crl.example.invalid/code.crl"
OCSP_URL = "http://ocsp.example.invalid"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    key: PrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        """The certificate in PEM form."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        """The certificate in DER form."""
        return self.cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class Usage:
    """What a certificate may be used for (EKUs and key usage)."""

    ekus: tuple[x509.ObjectIdentifier, ...] | None = (ExtendedKeyUsageOID.CODE_SIGNING,)
    eku_critical: bool = False
    digital_signature: bool = True
    ca: bool = False
    urls: bool = False
    extra: tuple[x509.ExtensionType, ...] = field(default=())


CODE_SIGNING = Usage()
CA_USAGE = Usage(ekus=None, digital_signature=False, ca=True)
TSA_USAGE = Usage(ekus=(ExtendedKeyUsageOID.TIME_STAMPING,), eku_critical=True)


def new_rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def issue(
    name: str,
    key: PrivateKey,
    issuer: Issued | None,
    usage: Usage,
    not_before: datetime,
    not_after: datetime,
) -> Issued:
    """Issue a certificate for ``key``; self-signed when ``issuer`` is None."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "drgen tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    signer_key = key if issuer is None else issuer.key
    issuer_name = subject if issuer is None else issuer.cert.subject
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki_source = ski if issuer is None else _ski(issuer.cert)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=usage.ca, path_length=None), True)
        .add_extension(_key_usage(usage), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(aki_source),
            critical=False,
        )
    )
    if usage.ekus is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(list(usage.ekus)), critical=usage.eku_critical
        )
    if usage.urls:
        builder = builder.add_extension(_crl_points(), critical=False)
        builder = builder.add_extension(_ocsp_access(), critical=False)
    for extension in usage.extra:
        builder = builder.add_extension(extension, critical=False)
    return Issued(key, builder.sign(signer_key, hashes.SHA256()))


def _ski(cert: x509.Certificate) -> x509.SubjectKeyIdentifier:
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value


def _key_usage(usage: Usage) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=usage.digital_signature,
        content_commitment=False,
        key_encipherment=not usage.ca and not usage.digital_signature,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=usage.ca,
        crl_sign=usage.ca,
        encipher_only=False,
        decipher_only=False,
    )


def _crl_points() -> x509.CRLDistributionPoints:
    uri = x509.UniformResourceIdentifier(CRL_URL)
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                [uri], relative_name=None, reasons=None, crl_issuer=None
            )
        ]
    )


def _ocsp_access() -> x509.AuthorityInformationAccess:
    location = x509.UniformResourceIdentifier(OCSP_URL)
    return x509.AuthorityInformationAccess(
        [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, location)]
    )


@dataclass(frozen=True)
class Pki:
    """Every certificate the signing tests need."""

    now: datetime
    root: Issued
    intermediate: Issued
    leaf: Issued
    expired: Issued
    not_yet_valid: Issued
    expiring_soon: Issued
    server_auth: Issued
    no_eku: Issued
    no_digital_signature: Issued
    with_urls: Issued
    weak: Issued
    ecdsa: Issued
    other_root: Issued
    other_leaf: Issued
    tsa_root: Issued
    tsa: Issued

    def identity(self, issued: Issued | None = None) -> SigningIdentity:
        """A signing identity for a leaf under the intermediate (default: leaf)."""
        issued = issued or self.leaf
        chain: tuple[x509.Certificate, ...] = (self.intermediate.cert,)
        if issued.cert.issuer == self.other_root.cert.subject:
            chain = ()
        return SigningIdentity(issued.key, issued.cert, chain)


@functools.cache
def build_pki() -> Pki:
    """Build (once per session) the test PKI, valid relative to the real clock."""
    now = datetime.now(UTC).replace(microsecond=0)
    long_ago, far_ahead = now - 30 * DAY, now + 3650 * DAY
    root = issue("drgen test root", new_rsa(), None, CA_USAGE, long_ago, far_ahead)
    inter = issue(
        "drgen test intermediate", new_rsa(), root, CA_USAGE, long_ago, far_ahead
    )
    leaf_key = new_rsa()

    def leaf(
        name: str,
        usage: Usage = CODE_SIGNING,
        start: datetime = now - DAY,
        end: datetime = now + 730 * DAY,
        key: PrivateKey = leaf_key,
    ) -> Issued:
        return issue(name, key, inter, usage, start, end)

    other_root = issue("unrelated root", new_rsa(), None, CA_USAGE, long_ago, far_ahead)
    tsa_root = issue(
        "drgen test TSA root", new_rsa(), None, CA_USAGE, long_ago, far_ahead
    )
    return Pki(
        now=now,
        root=root,
        intermediate=inter,
        leaf=leaf("drgen test signer"),
        expired=leaf("expired signer", start=now - 400 * DAY, end=now - 30 * DAY),
        not_yet_valid=leaf("future signer", start=now + 30 * DAY, end=now + 400 * DAY),
        expiring_soon=leaf("expiring signer", end=now + 30 * DAY),
        server_auth=leaf(
            "server auth only", Usage(ekus=(ExtendedKeyUsageOID.SERVER_AUTH,))
        ),
        no_eku=leaf("no eku", Usage(ekus=None)),
        no_digital_signature=leaf(
            "no digital signature", Usage(digital_signature=False)
        ),
        with_urls=leaf("signer with urls", Usage(urls=True)),
        weak=leaf("weak signer", key=new_rsa(1024)),
        ecdsa=leaf("ecdsa signer", key=ec.generate_private_key(ec.SECP256R1())),
        other_root=other_root,
        other_leaf=issue(
            "signer under unrelated root",
            leaf_key,
            other_root,
            CODE_SIGNING,
            now - DAY,
            now + 730 * DAY,
        ),
        tsa_root=tsa_root,
        tsa=issue(
            "drgen test TSA", new_rsa(), tsa_root, TSA_USAGE, long_ago, far_ahead
        ),
    )


# ------------------------------------------------------------------ export


def key_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if password is None
        else serialization.BestAvailableEncryption(password)
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def write_pem(path: Path, *items: Issued | x509.Certificate) -> Path:
    """Write certificates as one PEM bundle and return the path."""
    certs = [i.cert if isinstance(i, Issued) else i for i in items]
    path.write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    )
    return path


def write_key(path: Path, key: PrivateKey, password: bytes | None = None) -> Path:
    """Write a private key as PEM and return the path."""
    path.write_bytes(key_pem(key, password))
    return path


def write_pfx(
    path: Path,
    issued: Issued,
    extra: tuple[x509.Certificate, ...] = (),
    password: bytes | None = PFX_PASSWORD,
) -> Path:
    """Write key, certificate and extra certificates as a PKCS#12 file."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if password is None
        else serialization.BestAvailableEncryption(password)
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"drgen test", issued.key, issued.cert, list(extra) or None, encryption
        )
    )
    return path


# ------------------------------------------------------------------ oracle


def osslsigncode_or_skip() -> str:
    """Path of osslsigncode; skip when missing, but fail under CI=true."""
    path = shutil.which("osslsigncode")
    if path is None:
        message = "osslsigncode 2.9+ is not installed (bookworm-backports)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_osslsigncode(tool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run osslsigncode (never through a shell) and capture its output."""
    return subprocess.run(
        [tool, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def verify_with_osslsigncode(
    tool: str, script: Path, ca_file: Path, *extra: str | Path
) -> subprocess.CompletedProcess[str]:
    """``osslsigncode verify`` offline against ``ca_file``."""
    return run_osslsigncode(
        tool, "verify", "-in", script, "-CAfile", ca_file, "-ignore-cdp", *extra
    )


def accepted(result: subprocess.CompletedProcess[str]) -> bool:
    """True when osslsigncode verify reported a valid signature."""
    return (
        result.returncode == 0
        and "Signature verification: ok" in result.stdout
        and result.stdout.rstrip().endswith("Succeeded")
    )
