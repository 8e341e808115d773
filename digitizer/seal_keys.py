"""Who signs the seal: opening the key, signing, and which earlier seal a key may extend.

A seal is extended only by the key that made it (:func:`require_own_seal`): a seal forged
with another key, even one the trust roots vouch for, is never built on by a run. The
office's certificate does change, though (renewed with a new key, or expired), and then
a person moves the seal to the new key with ``digitizer audit seal --rotate``
(:func:`require_rotatable`): the old seal must verify and chain to a trust root (an
expired certificate is judged at the time the seal's timestamp proves, or failing one at
the seal's own date, which is said), and the new seal records the change of signer, the
only place :mod:`digitizer.seal_files` accepts one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from digitizer.config import Layout
from digitizer.errors import CertificateError, DigitizerError
from digitizer.profiles import ScannerProfile
from digitizer.seal_files import SealFiles, check_signature, fingerprint, one_line

if TYPE_CHECKING:  # signing imports pyHanko: only when a seal is made
    from digitizer.signing import Signer, SignerSpec

log = logging.getLogger(__name__)

SealKey: TypeAlias = "ScannerProfile | SignerSpec | Signer | None"


class SealError(DigitizerError):
    """The seal cannot be written (or read) as it is; the message says what to do."""


@dataclass(frozen=True, slots=True)
class OpenKey:
    """An open signer, its certificate (DER) and the trust roots its profile names."""

    signer: Signer
    roots: list[Any]
    certificate: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


@contextlib.contextmanager
def opened(key: SealKey, layout: Layout) -> Iterator[OpenKey]:
    """An open signer for ``key``, closed afterwards unless the caller opened it."""
    from digitizer.signing import Signer, open_signer, spec_for_profile
    from digitizer.timestamping import load_certificates

    if isinstance(key, Signer):
        yield OpenKey(key, [], _certificate(key))
        return
    if key is None:
        raise CertificateError("no signing key to seal with: give the run's profile")
    spec = spec_for_profile(key.signing, layout.home) if isinstance(key, ScannerProfile) else key
    signer = open_signer(spec)
    try:
        yield OpenKey(signer, list(load_certificates(spec.trust_roots)), _certificate(signer))
    finally:
        signer.close()


def _certificate(signer: Signer) -> bytes:
    cert = signer.pyhanko_signer().signing_cert
    if cert is None:
        raise CertificateError("the signing key has no certificate to seal with")
    return bytes(cert.dump())


def require_own_seal(files: SealFiles, key: OpenKey, profile: str) -> None:
    """The previous seal is genuine and was signed with this very certificate."""
    check = check_signature(files, key.roots)
    if not check.genuine:
        raise SealError(f"the last seal is not genuine: {check.problem}")
    if check.certificate != key.certificate:
        raise SealError(
            f"the last seal was signed by {check.signer}, not by this key: if the office's "
            f"certificate was renewed, run 'digitizer audit seal --rotate --profile {profile}'"
        )


def require_rotatable(files: SealFiles, key: OpenKey) -> tuple[str, str]:
    """The previous seal, to be followed by one of ``key``, is genuine, trusted, and signed
    by another certificate. Returns that certificate's fingerprint, and what the seal's
    trust rests on when that is only its own date (its certificate expired since, and it
    has no timestamp), else ""."""
    assert files.head is not None
    check = check_signature(files, key.roots)
    if check.genuine and check.certificate == key.certificate:
        raise SealError("the last seal is already signed by this key: run 'digitizer audit seal'")
    if check.problem is None:
        return fingerprint(check.certificate), ""
    if not (check.genuine and check.expired_on is not None and check.timestamp is None):
        raise SealError(f"the last seal cannot be rotated from: {check.problem}")
    sealed_at = dt.datetime.fromisoformat(files.head["sealed_at"])
    again = check_signature(files, key.roots, moment=sealed_at)
    if again.problem is not None:
        raise SealError(f"the last seal cannot be rotated from: {again.problem}")
    return fingerprint(check.certificate), (
        f"seal {files.head['number']}'s certificate expired on {check.expired_on:%Y-%m-%d} and "
        f"it has no timestamp: that it was made before rests on its own date ({sealed_at:%Y-%m-%d})"
    )


def sign(signer: Signer, data: bytes) -> bytes:
    """A detached CMS signature of ``data``, timestamped when the signer has a timestamp
    server; sealed without the timestamp (a warning) when the server does not answer."""
    stamper = signer._timestamper
    try:
        return _cms(signer, data, stamper)
    except Exception as exc:
        if stamper is None:
            raise CertificateError(f"signing the seal failed: {one_line(exc)}") from exc
        log.warning("the seal has no timestamp: the timestamp server failed (%s)", one_line(exc))
    try:
        return _cms(signer, data, None)
    except Exception as exc:
        raise CertificateError(f"signing the seal failed: {one_line(exc)}") from exc


def _cms(signer: Signer, data: bytes, stamper: Any) -> bytes:
    pyhanko_signer = signer.pyhanko_signer()
    signed = asyncio.run(
        pyhanko_signer.async_sign_general_data(data, "sha256", detached=True, timestamper=stamper)
    )
    return bytes(signed.dump())
