"""PAdES B-B signatures on finished PDF/A files, with pyHanko.

A :class:`Signer` is made once per worker process (:func:`load_signer` reads and checks the
PKCS#12 file, and keeps the parsed private key) and then signs any number of documents
with :func:`sign_pdf`.

PDF/A survives signing because:

* the signature is an incremental update whose invisible widget has the flags PDF/A
  wants (Print + Locked, zero-size rectangle, set by pyHanko) and an empty appearance
  stream (which PDFBox Preflight requires of every widget; pyHanko adds none for
  invisible signatures);
* the key is RSA: pyHanko marks ECDSA-signed files as PDF 2.0, which PDF/A-1/2 forbid;
* the XMP is kept in step with the document info.  pyHanko appends itself to the info
  ``/Producer`` and sets ``/ModDate``, then re-serialises the XMP through its own model,
  which writes a different producer and mangles the ``pdfaExtension`` schema block (the
  namespace URI becomes a resource, our prefix becomes ``ns0``).  We hand pyHanko an XMP
  stream object whose update copies the new info ``/Producer`` and ``/ModDate`` into the
  packet text and leaves everything else byte for byte.

pyHanko also sets the catalog ``/Version`` to 1.7 and declares the ESIC developer extension,
as PAdES requires below PDF 2.0; a PDF/A-1b file keeps its ``%PDF-1.4`` header.  PDFBox
Preflight accepts this; PDF/A-2b is the more natural base for PAdES signatures.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import xmp_xml
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko_certvalidator.registry import SimpleCertificateStore

from digitizer.durable import fsync_dir
from digitizer.errors import CertificateError, SigningError
from digitizer.keys import CertificateInfo, certificate_info, load_pkcs12
from digitizer.pdfa.xmp import update_xmp_revision

__all__ = ["Signer", "load_signer", "sign_pdf"]

log = logging.getLogger(__name__)


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
class Signer:
    """A loaded signing key and certificate, reusable for any number of documents."""

    source: Path
    certificate: CertificateInfo
    _pyhanko_signer: signers.Signer
    _bytes_reserved: int

    def check_validity(self, now: dt.datetime | None = None) -> None:
        """Raise :class:`CertificateError` if the certificate is not valid at ``now``."""
        _check_validity(self.source, self.certificate, now or dt.datetime.now(dt.UTC))


def _check_validity(source: Path, info: CertificateInfo, now: dt.datetime) -> None:
    if now < info.not_before:
        raise CertificateError(
            f"the certificate in {source} is not valid until {info.not_before:%Y-%m-%d %H:%M} "
            "UTC: check this computer's clock and timezone, or wait until then"
        )
    if now > info.not_after:
        raise CertificateError(
            f"the certificate in {source} expired on {info.not_after:%Y-%m-%d} "
            f"({info.subject}): renew it with your CA and point digitizer at the new .p12"
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
    """Load and check a PKCS#12 signing key; raise :class:`CertificateError` with the fix."""
    p12_path = Path(p12_path)
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
    if loaded.key.public_key().public_bytes(*spki) != loaded.certificate.public_key().public_bytes(
        *spki
    ):
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
    certs_size = sum(
        len(c.public_bytes(serialization.Encoding.DER)) for c in (loaded.certificate, *loaded.chain)
    )
    reserved = certs_size + loaded.key.key_size // 8 + 4096
    log.debug("loaded signing certificate %s (serial %X)", info.subject, info.serial)
    return Signer(
        source=p12_path,
        certificate=info,
        _pyhanko_signer=pyhanko_signer,
        _bytes_reserved=reserved,
    )


class _XmpFollowingInfo(xmp_xml.MetadataStream):
    """XMP stream that, when pyHanko updates metadata, copies from the info dictionary.

    pyHanko's writer updates the info dictionary first, then calls
    :meth:`update_xmp_with_meta` on the catalog's metadata stream: at that point the info
    holds the final ``/Producer`` and ``/ModDate``, and the packet gets the same values.
    """

    def __init__(self, xmp: bytes, writer: IncrementalPdfFileWriter) -> None:
        super().__init__(stream_data=xmp)
        self._writer = writer

    def update_xmp_with_meta(self, meta: object) -> None:
        try:
            info = self._writer.trailer_view["/Info"]
        except KeyError:
            info = generic.DictionaryObject()
        producer = str(info.get("/Producer", VENDOR))
        try:
            modified = generic.parse_pdf_date(str(info["/ModDate"]))
        except (KeyError, PdfError):
            modified = dt.datetime.now().astimezone()
        self._data = update_xmp_revision(self.data, producer=producer, modified=modified)
        self._encoded_data = None


def _install_xmp_sync(writer: IncrementalPdfFileWriter) -> None:
    """Replace the catalog's XMP stream with an :class:`_XmpFollowingInfo` copy."""
    root = writer.root
    if "/Metadata" not in root:
        return
    current = root["/Metadata"]
    if not isinstance(current, generic.StreamObject):
        return
    root["/Metadata"] = writer.add_object(_XmpFollowingInfo(current.data, writer))
    writer.update_root()


def _add_invisible_field(writer: IncrementalPdfFileWriter, name: str) -> None:
    """Create the signature field, with an empty appearance stream, for pyHanko to fill."""
    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=name))
    for _, _, field_ref in fields.enumerate_sig_fields(writer, with_name=name):
        widget = field_ref.get_object()
        appearance = generic.StreamObject(
            {
                "/Type": generic.NameObject("/XObject"),
                "/Subtype": generic.NameObject("/Form"),
                "/BBox": generic.ArrayObject([generic.NumberObject(0)] * 4),
            },
            stream_data=b"",
        )
        widget["/AP"] = generic.DictionaryObject({"/N": writer.add_object(appearance)})


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer, filled_status=None)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


def sign_pdf(
    signer: Signer,
    src: Path,
    dst: Path,
    *,
    reason: str,
    location: str | None,
    contact: str | None = None,
) -> None:
    """Sign ``src`` into ``dst``: PAdES B-B (ETSI.CAdES.detached, SHA-256), invisible.

    ``dst`` appears atomically (temporary file in its folder, fsync, rename) and may be
    ``src`` itself.  Raises :class:`SigningError` if signing fails and
    :class:`CertificateError` if the certificate has expired since it was loaded.
    """
    signer.check_validity()
    started = time.perf_counter()
    src, dst = Path(src), Path(dst)
    tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.tmp")
    try:
        with src.open("rb") as inf:
            writer = IncrementalPdfFileWriter(inf)
            _install_xmp_sync(writer)
            field_name = _free_field_name(writer)
            _add_invisible_field(writer, field_name)
            meta = signers.PdfSignatureMetadata(
                field_name=field_name,
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
                reason=reason,
                location=location,
                contact_info=contact,
            )
            with tmp.open("xb") as outf:
                signers.sign_pdf(
                    writer,
                    meta,
                    signer=signer._pyhanko_signer,
                    bytes_reserved=signer._bytes_reserved,
                    output=outf,
                )
                outf.flush()
                os.fsync(outf.fileno())
        tmp.replace(dst)
        fsync_dir(dst.parent)
    except FileNotFoundError as exc:
        tmp.unlink(missing_ok=True)
        missing = src if not src.exists() else dst.parent
        raise SigningError(f"cannot sign: {missing} does not exist") from exc
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SigningError(
            f"cannot sign {src} into {dst}: {exc.strerror or exc}; "
            "check free disk space and folder permissions"
        ) from exc
    except Exception as exc:  # pyHanko and PDF parsing errors of every kind
        tmp.unlink(missing_ok=True)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise SigningError(
            f"signing {src} failed: {detail}; check that it is an unencrypted PDF written by "
            "digitizer"
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.debug("signed %s -> %s in %.3f s", src, dst, time.perf_counter() - started)
