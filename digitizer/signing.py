"""PAdES signatures (B-B, B-T, B-LT) on finished PDF/A files, with pyHanko.

A :class:`Signer` is made once per worker process by :func:`open_signer` from a
:class:`SignerSpec`: a PKCS#12 file (the parsed private key is kept) or a key on a PKCS#11
token (one logged-in session kept open, :mod:`digitizer.pkcs11_token`), plus optionally a
timestamp server and long-term validation (:mod:`digitizer.timestamping`).  It then signs
any number of documents with :func:`sign_pdf`.

PDF/A survives signing because of what :mod:`digitizer.stamp` does around the signature
field (appearance stream, XMP kept in step with the info dictionary) and because the key
must be RSA: pyHanko marks ECDSA-signed files as PDF 2.0, which PDF/A-1/2 forbid.
pyHanko also sets the catalog ``/Version`` to 1.7 and declares the ESIC developer
extension, as PAdES requires below PDF 2.0; a PDF/A-1b file keeps its ``%PDF-1.4`` header.
PDFBox Preflight accepts this; PDF/A-2b is the more natural base for PAdES signatures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from digitizer.durable import fsync_dir
from digitizer.errors import CertificateError, SigningError
from digitizer.keys import EXPIRY_WARNING, CertificateInfo, certificate_info, load_pkcs12
from digitizer.pkcs11_token import UNAVAILABLE, TokenKey, TokenSpec, is_token_error, read_pin
from digitizer.profiles import SigningSettings
from digitizer.stamp import (
    StampSpec,
    add_invisible_field,
    add_stamp_field,
    free_field_name,
    install_xmp_sync,
    stamp_font_path,
    stamp_style,
)
from digitizer.timestamping import (
    add_validation_data,
    load_certificates,
    make_timestamper,
    timestamp_failure,
)

__all__ = [
    "Signer",
    "SignerSpec",
    "load_signer",
    "open_signer",
    "sign_pdf",
    "spec_for_profile",
]

log = logging.getLogger(__name__)

_TIMESTAMP_ROOM = 12_288  # bytes for the timestamp token (TSA certificate, signature)


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, minus re-parsing the private key for every signature.

    ``SimpleSigner.sign_raw`` turns its stored key back into a cryptography object on each
    call; a worker signing hundreds of documents keeps the parsed key instead.
    """

    def __init__(self, *, rsa_key: rsa.RSAPrivateKey, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._rsa_key = rsa_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo == "rsassa_pkcs1v15":
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            return self._rsa_key.sign(data, PKCS1v15(), hash_algo)
        return super().sign_raw(data, digest_algorithm)


@dataclass(frozen=True, slots=True)
class SignerSpec:
    """Everything needed to open a signer; picklable, sent once to each worker process.

    Exactly one of ``p12`` and ``token``.  Secrets (password, PIN) stay out of ``repr``.
    """

    p12: Path | None = None
    p12_password: bytes | None = field(default=None, repr=False)
    token: TokenSpec | None = None
    chain: tuple[Path, ...] = ()
    timestamp_url: str = ""
    ltv: bool = False
    trust_roots: tuple[Path, ...] = ()
    stamp: StampSpec | None = None

    def describe(self) -> str:
        return self.token.describe() if self.token is not None else str(self.p12)


@dataclass(slots=True)
class Signer:
    """A loaded signing key and certificate, reusable for any number of documents."""

    source: Path | str
    certificate: CertificateInfo
    _pyhanko_signer: signers.Signer | None
    _bytes_reserved: int
    _token: TokenKey | None = None
    _timestamper: HTTPTimeStamper | None = None
    _timestamp_url: str = ""
    _ltv_roots: list[asn1_x509.Certificate] | None = None
    _chain: list[asn1_x509.Certificate] = field(default_factory=list)
    _stamp: StampSpec | None = None

    def check_validity(self, now: dt.datetime | None = None) -> None:
        """Raise :class:`CertificateError` if the certificate is not valid at ``now``."""
        _check_validity(self.source, self.certificate, now or dt.datetime.now(dt.UTC))

    @property
    def level(self) -> str:
        """The PAdES baseline level this signer aims at."""
        if self._timestamper is None:
            return "B-B"
        return "B-LT" if self._ltv_roots is not None else "B-T"

    def pyhanko_signer(self) -> signers.Signer:
        """pyHanko's signer; for a token, on a live session (reopened after a failure)."""
        if self._token is None:
            assert self._pyhanko_signer is not None
            return self._pyhanko_signer
        signer = self._token.open()
        if self._chain:
            signer.cert_registry.register_multiple(self._chain)
        return signer

    def close(self) -> None:
        """Log out of the token, if any (a PKCS#12 signer holds nothing to release)."""
        if self._token is not None:
            self._token.close()


def _check_validity(source: Path | str, info: CertificateInfo, now: dt.datetime) -> None:
    if now < info.not_before:
        raise CertificateError(
            f"the certificate of {source} is not valid until {info.not_before:%Y-%m-%d %H:%M} "
            "UTC: check this computer's clock and timezone, or wait until then"
        )
    if now > info.not_after:
        raise CertificateError(
            f"the certificate of {source} expired on {info.not_after:%Y-%m-%d} "
            f"({info.subject}): refusing to sign; renew it with your CA and point digitizer "
            "at the new certificate"
        )
    if info.not_after - now < EXPIRY_WARNING:
        log.warning(
            "the signing certificate of %s expires on %s (in %d days): renew it now",
            source,
            f"{info.not_after:%Y-%m-%d}",
            (info.not_after - now).days,
        )


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def load_signer(p12_path: Path, password: bytes | None) -> Signer:
    """Load and check a PKCS#12 signing key (B-B); raise :class:`CertificateError` with the fix."""
    return open_signer(SignerSpec(p12=Path(p12_path), p12_password=password))


def _p12_signer(p12_path: Path, password: bytes | None) -> Signer:
    loaded = load_pkcs12(p12_path, password)
    info = certificate_info(loaded.certificate)
    if isinstance(loaded.key, ec.EllipticCurvePrivateKey):
        raise CertificateError(
            f"the key in {p12_path} is ECDSA: pyHanko marks ECDSA-signed files as PDF 2.0, "
            "which breaks PDF/A-1b/2b; use an RSA signing certificate"
        )
    if not isinstance(loaded.key, rsa.RSAPrivateKey):
        raise CertificateError(
            f"the key in {p12_path} is {type(loaded.key).__name__}, not RSA: PDF/A documents "
            "must be signed with an RSA certificate"
        )
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_spki = loaded.key.public_key().public_bytes(*spki)
    if key_spki != loaded.certificate.public_key().public_bytes(*spki):
        raise CertificateError(
            f"the private key in {p12_path} does not belong to its certificate: "
            "export the certificate together with its own private key"
        )
    _check_validity(p12_path, info, dt.datetime.now(dt.UTC))
    registry = SimpleCertificateStore()
    registry.register_multiple(_asn1_cert(c) for c in loaded.chain)
    pyhanko_signer = _LoadedKeySigner(
        rsa_key=loaded.key,
        signing_cert=_asn1_cert(loaded.certificate),
        signing_key=_asn1_key(loaded.key),
        cert_registry=registry,
    )
    # Room for the CMS blob: certificates, a signature of the key's size, signed
    # attributes, with ample margin.  Fixing it saves pyHanko a dry-run signature per file.
    der = serialization.Encoding.DER
    certs_size = sum(len(c.public_bytes(der)) for c in (loaded.certificate, *loaded.chain))
    reserved = certs_size + loaded.key.key_size // 8 + 4096
    return Signer(p12_path, info, pyhanko_signer, reserved)


def _token_signer(spec: TokenSpec) -> Signer:
    key = TokenKey(spec)
    signer = key.open(startup=True)
    asn1_cert = key.certificate
    cert = x509.load_der_x509_certificate(asn1_cert.dump())
    info = certificate_info(cert)
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        key.close()
        raise CertificateError(
            f"the {spec.describe()} is not RSA ({type(public).__name__}): PDF/A documents "
            "must be signed with an RSA certificate (pyHanko marks ECDSA files as PDF 2.0)"
        )
    try:
        _check_validity(spec.describe(), info, dt.datetime.now(dt.UTC))
    except CertificateError:
        key.close()
        raise
    pulled = sum(len(c.dump()) for c in signer.cert_registry)
    reserved = len(asn1_cert.dump()) + pulled + public.key_size // 8 + 4096
    return Signer(spec.describe(), info, None, reserved, _token=key)


def open_signer(spec: SignerSpec) -> Signer:
    """Open the key ``spec`` names and check everything a signature will need.

    Raises :class:`CertificateError` (missing key, wrong password or PIN, absent token,
    expired certificate, bad CA file) with one line saying what to do.
    """
    chain = load_certificates(spec.chain)
    if spec.token is not None:
        signer = _token_signer(spec.token)
    elif spec.p12 is not None:
        signer = _p12_signer(spec.p12, spec.p12_password)
    else:
        raise CertificateError("no signing key configured: set [signing] pkcs12 or pkcs11_module")
    signer._chain = chain
    signer._bytes_reserved += sum(len(c.dump()) for c in chain)
    if signer._pyhanko_signer is not None:
        signer._pyhanko_signer.cert_registry.register_multiple(chain)
    if spec.timestamp_url:
        signer._timestamper = make_timestamper(spec.timestamp_url)
        signer._timestamp_url = spec.timestamp_url
        signer._bytes_reserved += _TIMESTAMP_ROOM
        if spec.ltv:
            signer._ltv_roots = load_certificates(spec.trust_roots)
    if spec.stamp is not None:
        stamp_font_path()  # a missing font is a set-up problem: say so before any document
        signer._stamp = spec.stamp
    signer._bytes_reserved += signer._bytes_reserved % 2  # pyHanko wants an even count
    cert = signer.certificate
    log.debug("signing with %s (%s, serial %X)", signer.source, cert.subject, cert.serial)
    return signer


def _sign_once(
    signer: Signer, src: Path, tmp: Path, meta: signers.PdfSignatureMetadata, lookup_code: str
) -> None:
    with src.open("rb") as inf:
        writer = IncrementalPdfFileWriter(inf)
        install_xmp_sync(writer)
        field_name = free_field_name(writer)
        if signer._stamp is None:
            add_invisible_field(writer, field_name)
        else:
            add_stamp_field(writer, field_name, signer._stamp)
        meta = dataclasses.replace(meta, field_name=field_name)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer.pyhanko_signer(),
            timestamper=signer._timestamper,
            stamp_style=stamp_style() if signer._stamp is not None else None,
        )
        text_params = (
            {"office": signer._stamp.office, "url": lookup_code} if signer._stamp else None
        )
        with tmp.open("x+b") as outf:
            pdf_signer.sign_pdf(
                writer,
                bytes_reserved=signer._bytes_reserved,
                appearance_text_params=text_params,
                output=outf,
            )
            outf.flush()
            os.fsync(outf.fileno())


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def sign_pdf(
    signer: Signer,
    src: Path,
    dst: Path,
    *,
    reason: str,
    location: str | None,
    contact: str | None = None,
    lookup_code: str | None = None,
) -> str:
    """Sign ``src`` into ``dst``: PAdES (ETSI.CAdES.detached, SHA-256).

    Invisible, unless the signer has a visible stamp: then page 1 shows the office, the
    signing time and a QR code of ``lookup_code`` (by default the document id, which is
    the stem of ``dst``: what ``digitizer lookup`` and the store know it by).

    Returns the level reached: ``B-B``, ``B-T``, or ``B-LT`` (``B-T`` with a warning when
    B-LT was asked for but the revocation data could not be fetched).  ``dst`` appears
    atomically (temporary file in its folder, fsync, rename) and may be ``src`` itself.
    Raises :class:`SigningError` if signing fails (its message starts with
    ``signing unavailable`` when the token or the timestamp server is away: try later) and
    :class:`CertificateError` if the certificate has expired since it was loaded.
    """
    signer.check_validity()
    started = time.perf_counter()
    src, dst = Path(src), Path(dst)
    tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.tmp")
    level = signer.level

    meta = signers.PdfSignatureMetadata(
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        contact_info=contact,
    )
    try:
        _sign_once(signer, src, tmp, meta, lookup_code or dst.stem)
        if signer._ltv_roots is not None:
            try:
                add_validation_data(tmp, signer._ltv_roots)
            except Exception as exc:  # OCSP/CRL unreachable, chain not to the trust roots
                detail = " ".join(str(exc).split()) or type(exc).__name__
                log.warning("%s: no revocation data (%s); signed PAdES B-T only", src, detail)
                level = "B-T"
        tmp.replace(dst)
        fsync_dir(dst.parent)
    except FileNotFoundError as exc:
        tmp.unlink(missing_ok=True)
        missing = src if not src.exists() else dst.parent
        raise SigningError(f"cannot sign: {missing} does not exist") from exc
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if _caused_by(exc, (aiohttp.ClientError, asyncio.TimeoutError)):
            url = signer._timestamp_url
            raise SigningError(f"{UNAVAILABLE}: {timestamp_failure(url, exc)}") from exc
        raise SigningError(
            f"cannot sign {src} into {dst}: {exc.strerror or exc}; "
            "check free disk space and folder permissions"
        ) from exc
    except Exception as exc:  # pyHanko and PDF parsing errors of every kind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, SigningError | CertificateError) and str(exc).startswith(UNAVAILABLE):
            raise
        if signer._token is not None and is_token_error(exc):
            raise signer._token.lost(exc) from exc
        if _caused_by(exc, (TimestampRequestError, aiohttp.ClientError, asyncio.TimeoutError)):
            url = signer._timestamp_url
            raise SigningError(f"{UNAVAILABLE}: {timestamp_failure(url, exc)}") from exc
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise SigningError(
            f"signing {src} failed: {detail}; check that it is an unencrypted PDF written by "
            "digitizer"
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.debug("signed %s -> %s (%s) in %.3f s", src, dst, level, time.perf_counter() - started)
    return level


def _stamp_spec(settings: SigningSettings) -> StampSpec | None:
    if not settings.visible_stamp:
        return None
    return StampSpec(
        office=settings.stamp_office,
        position=settings.stamp_position,
        width_mm=settings.stamp_width_mm,
        height_mm=settings.stamp_height_mm,
        margin_mm=settings.stamp_margin_mm,
    )


def spec_for_profile(settings: SigningSettings, home: Path) -> SignerSpec:
    """The :class:`SignerSpec` a profile's ``[signing]`` table describes.

    Reads the secret (PKCS#12 password, or token PIN from its variable or a prompt) here,
    once, in the parent process: workers get it in memory, never from a file or a log.
    """
    common = {
        "chain": settings.chain_paths(home),
        "timestamp_url": settings.timestamp_url,
        "ltv": settings.ltv,
        "trust_roots": settings.trust_root_paths(home),
        "stamp": _stamp_spec(settings),
    }
    if settings.uses_token:
        token = TokenSpec(
            module=settings.module_path(home),
            token_label=settings.token_label,
            key_label=settings.key_label,
            pin=read_pin(settings.pin_env, settings.token_label),
        )
        return SignerSpec(token=token, **common)  # type: ignore[arg-type]
    return SignerSpec(
        p12=settings.pkcs12_path(home),
        p12_password=settings.password(home),
        **common,  # type: ignore[arg-type]
    )
