"""Timestamps (PAdES B-T) and long-term validation data (B-LT), and reading CA certificates.

A signature alone proves who signed but not when; once the certificate expires or is
revoked, a verifier can no longer tell whether the signature was made while it was good.
An RFC 3161 timestamp from the office's timestamp authority fixes the time (B-T), and the
chain with OCSP responses / CRLs captured at signing time, embedded in the file's document
security store (B-LT), lets anyone check the signature years later without the CA's servers.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import aiohttp
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from digitizer.errors import CertificateError, SigningError
from digitizer.pkcs11_token import UNAVAILABLE
from digitizer.stamp import install_xmp_sync

__all__ = [
    "add_validation_data",
    "check_timestamp_server",
    "load_certificates",
    "ltv_context",
    "make_timestamper",
    "verification_context",
]

log = logging.getLogger(__name__)

_TIMEOUT_SECONDS = 10


def load_certificates(paths: Iterable[Path]) -> list[asn1_x509.Certificate]:
    """Every certificate in the PEM or DER files ``paths``; one clear line if one is bad."""
    out: list[asn1_x509.Certificate] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CertificateError(
                f"cannot read CA certificate file {path}: {exc.strerror or exc}; "
                "fix [signing] chain / trust_roots in the profile"
            ) from exc
        try:
            if pem.detect(data):
                found = [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, True)]
            else:
                found = [asn1_x509.Certificate.load(data)]
            for cert in found:
                cert.native  # noqa: B018 - parse fully now, not at first use
        except (ValueError, TypeError) as exc:
            raise CertificateError(f"{path} is not a certificate file (PEM or DER): {exc}") from exc
        out.extend(found)
    return out


def make_timestamper(url: str) -> HTTPTimeStamper:
    """A client for the RFC 3161 server at ``url`` (a session per request: no idle sockets)."""
    return HTTPTimeStamper(url, timeout=_TIMEOUT_SECONDS)


def check_timestamp_server(url: str) -> None:
    """Ask the server for one timestamp now, so a wrong URL stops the run before any file."""
    stamper = make_timestamper(url)
    try:
        asyncio.run(stamper.async_dummy_response("sha256"))
    except (TimeoutError, TimestampRequestError, aiohttp.ClientError, OSError) as exc:
        raise SigningError(f"{UNAVAILABLE}: {timestamp_failure(url, exc)}") from exc


def timestamp_failure(url: str, exc: BaseException) -> str:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"timestamp server {url} did not answer ({detail}): check the network and "
        "[signing] timestamp_url"
    )


def ltv_context(
    trust_roots: list[asn1_x509.Certificate], fetchers: Fetchers | None = None
) -> ValidationContext:
    """What B-LT signing validates the signer with: fetch OCSP/CRL now, fail if they fail.

    Hard-fail, so that a signature claims B-LT only when the revocation data was really
    obtained; the caller falls back to B-T (with a warning) when it was not.
    """
    return ValidationContext(
        trust_roots=trust_roots,
        allow_fetching=True,
        fetchers=fetchers,
        revocation_mode="hard-fail",
    )


def verification_context(
    trust_roots: list[asn1_x509.Certificate],
    *,
    other_certs: Iterable[asn1_x509.Certificate] = (),
    crls: Iterable[object] = (),
    ocsps: Iterable[object] = (),
    fetch: bool = False,
) -> ValidationContext:
    """What ``digitizer verify`` checks chains with: the configured roots, embedded data.

    Revocation is soft-fail: a demo or offline certificate without OCSP/CRL still verifies,
    while a certificate the embedded (or fetched) data says is revoked does not.
    """
    return ValidationContext(
        trust_roots=trust_roots,
        other_certs=list(other_certs),
        crls=list(crls),
        ocsps=list(ocsps),
        allow_fetching=fetch,
        revocation_mode="soft-fail",
    )


def add_validation_data(path: Path, trust_roots: list[asn1_x509.Certificate]) -> None:
    """Make the last signature of ``path`` PAdES B-LT: embed chain, OCSP and CRLs (DSS).

    pyHanko can do this while signing, but its extra revision re-serialises the XMP and
    breaks PDF/A; here the revision goes through the same XMP-preserving writer as the
    signature.  Raises whatever fetching or validating the revocation data raised; the file
    is then left as it was (the DSS revision is only appended once everything is known).
    """
    asyncio.run(_add_validation_data(path, trust_roots))


async def _add_validation_data(path: Path, trust_roots: list[asn1_x509.Certificate]) -> None:
    backend = AIOHttpFetcherBackend(per_request_timeout=_TIMEOUT_SECONDS)
    try:
        await _embed(path, ltv_context(trust_roots, backend.get_fetchers()))
    finally:
        await backend.close()  # no HTTP session left open between documents


async def _embed(path: Path, context: ValidationContext) -> None:
    with path.open("r+b") as stream:
        reader = PdfFileReader(stream)
        signature = reader.embedded_signatures[-1]
        paths = await collect_validation_info(signature, context)
        writer = IncrementalPdfFileWriter.from_reader(reader)
        install_xmp_sync(writer)
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            signature.pkcs7_content.hex().encode("ascii"),
            validation_context=context,
            paths=paths,
        )
        writer.write_in_place()
        stream.flush()
        os.fsync(stream.fileno())
