"""Demo signing keys, and reading a PKCS#12 file with errors a user can act on.

Offices sign with certificates from a licensed CA (usually on a USB token).  For trying the
pipeline without one, :func:`init_demo_keys` makes a throw-away office CA and signing
certificate whose names say plainly that they are demo material, not for legal use.

The keys are RSA 2048: pyHanko raises the PDF header to 2.0 when it signs with ECDSA, and
no PDF/A-1/2 file may carry a 2.0 header.

:func:`load_pkcs12` is shared with :mod:`digitizer.signing` so that "the file is missing",
"the password is wrong" and "this is not a PKCS#12 file" each get their own message.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from digitizer.errors import CertificateError

__all__ = [
    "CA_FILE",
    "EXPIRY_WARNING",
    "PASSWORD_FILE",
    "SIGNER_FILE",
    "CertificateInfo",
    "DemoKeys",
    "KeyEntry",
    "LoadedPkcs12",
    "certificate_info",
    "describe_certificate",
    "import_pkcs12",
    "init_demo_keys",
    "list_keys",
    "load_pkcs12",
    "read_password_file",
]

log = logging.getLogger(__name__)

CA_FILE = "demo-ca.pem"
SIGNER_FILE = "demo-signer.p12"
PASSWORD_FILE = "demo-signer.password"
_ALL_FILES = (CA_FILE, SIGNER_FILE, PASSWORD_FILE)

_VALIDITY = dt.timedelta(days=5 * 365 + 1)
EXPIRY_WARNING = dt.timedelta(days=30)  # warn this long before a signing certificate expires
_ORGANISATION = "digitizer demo"
_CA_NAME = "DEMO – Digitizer office CA (not for legal use)"
_SIGNER_NAME = "DEMO – Bộ phận một cửa (not for legal use)"


@dataclass(frozen=True, slots=True)
class DemoKeys:
    """Where the demo key files are; ``created`` is False when they already existed."""

    ca_cert_path: Path
    p12_path: Path
    password_path: Path
    created: bool

    def password(self) -> bytes:
        """The PKCS#12 password, read from :attr:`password_path`."""
        return read_password_file(self.password_path)


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What a user needs to recognise a signing certificate."""

    subject: str
    issuer: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def serial_hex(self) -> str:
        return f"{self.serial:X}"

    def status(self, now: dt.datetime | None = None) -> str:
        """``valid``, ``expiring`` (within :data:`EXPIRY_WARNING`), ``expired`` or
        ``not_yet_valid``."""
        now = now or dt.datetime.now(dt.UTC)
        if now < self.not_before:
            return "not_yet_valid"
        if now > self.not_after:
            return "expired"
        return "expiring" if self.not_after - now < EXPIRY_WARNING else "valid"

    def days_left(self, now: dt.datetime | None = None) -> int:
        return (self.not_after - (now or dt.datetime.now(dt.UTC))).days


@dataclass(frozen=True, slots=True)
class LoadedPkcs12:
    """Key, certificate and any chain certificates read from a PKCS#12 file."""

    key: PrivateKeyTypes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def read_password_file(path: Path) -> bytes:
    """A password file's content without the trailing newline an editor may have added."""
    try:
        return Path(path).read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise CertificateError(
            f"cannot read the certificate password file {path}: {exc.strerror or exc}; "
            "check the path and its permissions"
        ) from exc


def _is_pkcs12(data: bytes) -> bool:
    """Whether ``data`` has the outer structure of a PKCS#12 (PFX) file."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return bool(pfx["auth_safe"]["content_type"].native in ("data", "signed_data"))
    except (ValueError, TypeError, KeyError):
        return False


def load_pkcs12(path: Path, password: bytes | None) -> LoadedPkcs12:
    """Read a PKCS#12 file, raising :class:`CertificateError` with one line saying why not."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise CertificateError(
            f"signing certificate file {path} does not exist: check the path, "
            "or run `digitizer keys init` to create demo keys"
        ) from exc
    except IsADirectoryError as exc:
        raise CertificateError(
            f"signing certificate path {path} is a folder: give the .p12/.pfx file inside it"
        ) from exc
    except OSError as exc:
        raise CertificateError(
            f"cannot read signing certificate file {path}: {exc.strerror or exc}; "
            "check its permissions (the user running digitizer must be able to read it)"
        ) from exc

    if not _is_pkcs12(data):
        hint = (
            "it is a PEM file: combine key and certificate with "
            "`openssl pkcs12 -export -inkey KEY.pem -in CERT.pem -out signer.p12`"
            if data.lstrip().startswith(b"-----BEGIN")
            else "export the certificate with its private key as .p12/.pfx"
        )
        raise CertificateError(f"{path} is not a PKCS#12 (.p12/.pfx) file: {hint}")

    attempts = [password] if password is not None else [None, b""]
    loaded = None
    for attempt in attempts:
        try:
            loaded = pkcs12.load_pkcs12(data, attempt)
            break
        except ValueError:
            continue
    if loaded is None:
        if password is None:
            raise CertificateError(
                f"{path} is protected by a password and none was given: "
                "pass the certificate password (for demo keys it is in demo-signer.password)"
            )
        raise CertificateError(
            f"wrong password for {path}: the file is a valid PKCS#12 but the password "
            "does not open it; check the password (or its file) for this certificate"
        )
    if loaded.key is None or loaded.cert is None:
        missing = "private key" if loaded.key is None else "certificate"
        raise CertificateError(
            f"{path} holds no {missing}: export the signing certificate together with its "
            "private key"
        )
    return LoadedPkcs12(
        key=loaded.key,
        certificate=loaded.cert.certificate,
        chain=tuple(c.certificate for c in loaded.additional_certs),
    )


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """Subject, issuer, serial and validity of ``cert``."""
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def describe_certificate(p12_path: Path, password: bytes | None) -> CertificateInfo:
    """Describe the signing certificate in a PKCS#12 file (expired ones too)."""
    return certificate_info(load_pkcs12(p12_path, password).certificate)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_demo_pki(
    now: dt.datetime,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey, x509.Certificate]:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    not_before = now - dt.timedelta(minutes=5)  # tolerate small clock differences
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(_CA_NAME))
        .issuer_name(_name(_CA_NAME))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(_SIGNER_NAME))
        .issuer_name(ca_cert.subject)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    # The CA key is not kept: the demo CA issues this one certificate and nothing else.
    return signer_cert, signer_key, ca_cert


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename) with ``mode``."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it; make it exact
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def init_demo_keys(home: Path) -> DemoKeys:
    """Create demo CA + signing certificate under ``home/keys/`` unless they exist.

    Idempotent and safe to call from several processes at once (a lock file serialises
    creation).  If only some of the files exist, nothing is overwritten: a
    :class:`CertificateError` says which are missing.
    """
    keys_dir = Path(home) / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    result = DemoKeys(
        ca_cert_path=keys_dir / CA_FILE,
        p12_path=keys_dir / SIGNER_FILE,
        password_path=keys_dir / PASSWORD_FILE,
        created=False,
    )
    with open(keys_dir / ".demo-keys.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        present = [name for name in _ALL_FILES if (keys_dir / name).exists()]
        if len(present) == len(_ALL_FILES):
            return result
        if present:
            missing = sorted(set(_ALL_FILES) - set(present))
            raise CertificateError(
                f"{keys_dir} has an incomplete set of demo keys (missing {', '.join(missing)}): "
                f"delete {', '.join(present)} there to create a new demo set"
            )
        password = secrets.token_urlsafe(24).encode("ascii")
        signer_cert, signer_key, ca_cert = _make_demo_pki(dt.datetime.now(dt.UTC))
        p12 = pkcs12.serialize_key_and_certificates(
            name=b"digitizer demo signer",
            key=signer_key,
            cert=signer_cert,
            cas=[ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(password),
        )
        _write_new(result.password_path, password + b"\n", 0o600)
        _write_new(result.p12_path, p12, 0o600)
        _write_new(result.ca_cert_path, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    log.info("created demo signing keys in %s", keys_dir)
    return DemoKeys(result.ca_cert_path, result.p12_path, result.password_path, created=True)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """A signing certificate in the keys folder."""

    path: Path
    info: CertificateInfo


def _sidecar(p12: Path) -> Path:
    """Where the (public) certificate of an imported .p12 is kept, to list it without
    asking for its password."""
    return p12.with_suffix(".cert.pem")


def list_keys(home: Path) -> list[KeyEntry]:
    """The .p12 files in ``home/keys`` whose certificate can be read without a secret."""
    keys_dir = Path(home) / "keys"
    out: list[KeyEntry] = []
    for p12 in sorted(keys_dir.glob("*.p12")):
        sidecar = _sidecar(p12)
        if sidecar.is_file():
            cert = x509.load_pem_x509_certificate(sidecar.read_bytes())
            out.append(KeyEntry(p12, certificate_info(cert)))
        elif p12.name == SIGNER_FILE and (keys_dir / PASSWORD_FILE).is_file():
            password = read_password_file(keys_dir / PASSWORD_FILE)
            out.append(KeyEntry(p12, describe_certificate(p12, password)))
        else:
            log.info("%s: certificate not listed (no %s beside it)", p12, sidecar.name)
    return out


def import_pkcs12(source: Path, password: bytes, home: Path, name: str | None) -> KeyEntry:
    """Copy a checked PKCS#12 file into ``home/keys`` (mode 0600) with its certificate.

    Refuses an expired certificate, a file that does not open with ``password``, and a name
    already taken (nothing is overwritten).
    """
    loaded = load_pkcs12(source, password)
    info = certificate_info(loaded.certificate)
    if info.status() == "expired":
        raise CertificateError(
            f"the certificate in {source} expired on {info.not_after:%Y-%m-%d}: "
            "it cannot sign; import the renewed one"
        )
    stem = name or Path(source).stem
    if not stem.replace("-", "").replace("_", "").isalnum():
        raise CertificateError(f"key name '{stem}' may hold only letters, digits, - and _")
    keys_dir = Path(home) / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    target = keys_dir / f"{stem}.p12"
    if target.exists():
        raise CertificateError(f"{target} already exists: choose another --name")
    _write_new(target, Path(source).read_bytes(), 0o600)
    pem_bytes = loaded.certificate.public_bytes(serialization.Encoding.PEM)
    _write_new(_sidecar(target), pem_bytes, 0o644)
    log.info("imported %s as %s", source, target)
    return KeyEntry(target, info)
