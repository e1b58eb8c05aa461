"""Loading and checking code-signing identities, and the development identity."""

from __future__ import annotations

import hashlib
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from generator.errors import SigningError
from generator.signing.certificates import (
    DEV_CERT_FILE,
    DEV_COMMON_NAME,
    DEV_KEY_FILE,
    SigningIdentity,
    check_identity,
    ensure_dev_identity,
    load_identity,
)
from tests.support import pki


@pytest.fixture(scope="module")
def trust() -> pki.Pki:
    return pki.build_pki()


# ------------------------------------------------------------------- loading


def test_pfx_with_right_password(tmp_path: Path, trust: pki.Pki) -> None:
    extra = (trust.intermediate.cert, trust.root.cert)
    pfx = pki.write_pfx(tmp_path / "signer.pfx", trust.leaf, extra)
    identity = load_identity(pfx, password=pki.PFX_PASSWORD)
    assert identity.certificate == trust.leaf.cert
    assert identity.chain == (trust.intermediate.cert,)  # the root is left out
    assert identity.key.public_key().public_numbers() == (
        trust.leaf.key.public_key().public_numbers()
    )


@pytest.mark.parametrize("password", [b"wrong password", None])
def test_pfx_with_wrong_or_missing_password(
    tmp_path: Path, trust: pki.Pki, password: bytes | None
) -> None:
    pfx = pki.write_pfx(tmp_path / "signer.p12", trust.leaf)
    with pytest.raises(SigningError) as caught:
        load_identity(pfx, password=password)
    assert str(pfx) in caught.value.message
    assert "password" in caught.value.message
    assert pki.PFX_PASSWORD.decode() not in caught.value.message


@pytest.mark.parametrize("kind", ["pfx", "pem"])
def test_error_never_shows_the_password(
    tmp_path: Path, trust: pki.Pki, kind: str
) -> None:
    secret = b"s3cr3t-do-not-print"
    cert = pki.write_pfx(tmp_path / "signer.pfx", trust.leaf)
    key = None
    if kind == "pem":
        cert = pki.write_pem(tmp_path / "cert.pem", trust.leaf)
        key = pki.write_key(tmp_path / "key.pem", trust.leaf.key, pki.PFX_PASSWORD)
    with pytest.raises(SigningError) as caught:
        load_identity(cert, key, password=secret)
    assert secret.decode() not in "\n".join(caught.value.lines())


def test_pem_with_chain_and_separate_key(tmp_path: Path, trust: pki.Pki) -> None:
    # Bundle order does not matter: leaf, root and intermediate mixed up.
    bundle = pki.write_pem(
        tmp_path / "bundle.pem", trust.root, trust.leaf, trust.intermediate
    )
    key = pki.write_key(tmp_path / "key.pem", trust.leaf.key)
    identity = load_identity(bundle, key)
    assert identity.certificate == trust.leaf.cert
    assert identity.chain == (trust.intermediate.cert,)


def test_pem_with_encrypted_key(tmp_path: Path, trust: pki.Pki) -> None:
    cert = pki.write_pem(tmp_path / "cert.pem", trust.leaf, trust.intermediate)
    key = pki.write_key(tmp_path / "key.pem", trust.leaf.key, pki.PFX_PASSWORD)
    identity = load_identity(cert, key, pki.PFX_PASSWORD)
    assert identity.certificate == trust.leaf.cert
    with pytest.raises(SigningError, match="encrypted: give its password"):
        load_identity(cert, key)
    with pytest.raises(SigningError, match="wrong password"):
        load_identity(cert, key, b"nope")


def test_pem_with_key_in_the_same_file(tmp_path: Path, trust: pki.Pki) -> None:
    combined = tmp_path / "combined.pem"
    combined.write_bytes(pki.key_pem(trust.leaf.key) + trust.leaf.pem)
    assert load_identity(combined).certificate == trust.leaf.cert


def test_pem_without_key(tmp_path: Path, trust: pki.Pki) -> None:
    cert = pki.write_pem(tmp_path / "cert.pem", trust.leaf)
    with pytest.raises(SigningError, match="no private key"):
        load_identity(cert)


def test_key_mismatch(tmp_path: Path, trust: pki.Pki) -> None:
    cert = pki.write_pem(tmp_path / "cert.pem", trust.leaf)
    key = pki.write_key(tmp_path / "other.pem", trust.tsa.key)
    with pytest.raises(SigningError, match="does not match") as caught:
        load_identity(cert, key)
    assert str(key) in caught.value.message


def test_unreadable_and_garbage_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(SigningError, match="cannot read") as caught:
        load_identity(missing)
    assert str(missing) in caught.value.message
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n")
    with pytest.raises(SigningError, match="no readable certificate"):
        load_identity(garbage)
    with pytest.raises(SigningError, match="PKCS#12"):
        load_identity(garbage.rename(tmp_path / "garbage.pfx"), password=b"x")


def test_identity_properties(trust: pki.Pki) -> None:
    identity = trust.identity()
    assert identity.subject == "CN=drgen test signer,O=drgen tests"
    expected = hashlib.sha1(trust.leaf.der).hexdigest().upper()  # noqa: S324
    assert identity.thumbprint == expected
    assert identity.not_after == trust.leaf.cert.not_valid_after_utc


# ------------------------------------------------------------------ checking


def test_good_identity_has_no_warnings(trust: pki.Pki) -> None:
    assert check_identity(trust.identity(), trust.now, timestamped=False) == []


@pytest.mark.parametrize(
    ("leaf", "message"),
    [
        ("server_auth", "not valid for code signing"),
        ("no_eku", "no Extended Key Usage"),
        ("no_digital_signature", "without digitalSignature"),
        ("expired", "expired on"),
        ("not_yet_valid", "not valid before"),
        ("weak", "1024-bit RSA key"),
    ],
)
def test_unusable_identities_are_refused(
    trust: pki.Pki, leaf: str, message: str
) -> None:
    with pytest.raises(SigningError, match=message):
        check_identity(
            trust.identity(getattr(trust, leaf)), trust.now, timestamped=True
        )


def test_key_mismatch_is_refused(trust: pki.Pki) -> None:
    identity = SigningIdentity(trust.tsa.key, trust.leaf.cert, ())
    with pytest.raises(SigningError, match="does not match"):
        check_identity(identity, trust.now, timestamped=False)


def test_expiring_certificate_warns_unless_timestamped(trust: pki.Pki) -> None:
    identity = trust.identity(trust.expiring_soon)
    warnings = check_identity(identity, trust.now, timestamped=False)
    assert len(warnings) == 1
    assert "expires on" in warnings[0]
    assert check_identity(identity, trust.now, timestamped=True) == []


def test_revocation_urls_warn(trust: pki.Pki) -> None:
    warnings = check_identity(trust.identity(trust.with_urls), trust.now, True)
    assert len(warnings) == 1
    assert pki.CRL_URL in warnings[0]
    assert pki.OCSP_URL in warnings[0]


def test_ecdsa_warns(trust: pki.Pki) -> None:
    warnings = check_identity(trust.identity(trust.ecdsa), trust.now, True)
    assert any("ECDSA" in w for w in warnings)


def test_naive_now_is_taken_as_utc(trust: pki.Pki) -> None:
    naive = trust.now.replace(tzinfo=None)
    assert check_identity(trust.identity(), naive, timestamped=False) == []


# --------------------------------------------------------------- development


def test_dev_identity_created_once_and_reused(tmp_path: Path, trust: pki.Pki) -> None:
    folder = tmp_path / "state" / "signing"
    identity, created = ensure_dev_identity(folder, trust.now)
    assert created
    assert identity.subject == f"CN={DEV_COMMON_NAME}"
    assert identity.chain == ()
    assert isinstance(identity.key, rsa.RSAPrivateKey)
    assert identity.key.key_size == 2048
    assert check_identity(identity, trust.now, timestamped=False) == []
    assert stat.S_IMODE((folder / DEV_KEY_FILE).stat().st_mode) == 0o600
    assert not list(folder.glob(".*.tmp"))

    again, created_again = ensure_dev_identity(folder, trust.now + timedelta(days=30))
    assert not created_again
    assert again.thumbprint == identity.thumbprint
    assert again.key.public_key().public_numbers() == (
        identity.key.public_key().public_numbers()
    )


def test_dev_identity_regenerated_when_expired(tmp_path: Path, trust: pki.Pki) -> None:
    identity, _ = ensure_dev_identity(tmp_path, trust.now)
    later = identity.not_after + timedelta(days=1)
    renewed, created = ensure_dev_identity(tmp_path, later)
    assert created
    assert renewed.thumbprint != identity.thumbprint
    assert renewed.not_after > later
    assert check_identity(renewed, later, timestamped=False) == []


def test_dev_identity_regenerated_when_half_written(
    tmp_path: Path, trust: pki.Pki
) -> None:
    identity, _ = ensure_dev_identity(tmp_path, trust.now)
    (tmp_path / DEV_CERT_FILE).unlink()
    renewed, created = ensure_dev_identity(tmp_path, trust.now)
    assert created
    assert renewed.thumbprint != identity.thumbprint


def test_dev_identity_corrupt_files_are_reported(
    tmp_path: Path, trust: pki.Pki
) -> None:
    ensure_dev_identity(tmp_path, trust.now)
    (tmp_path / DEV_KEY_FILE).write_bytes(pki.key_pem(trust.tsa.key))
    with pytest.raises(SigningError, match="does not match"):
        ensure_dev_identity(tmp_path, trust.now)
